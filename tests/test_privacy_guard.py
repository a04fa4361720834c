"""The privacy guard: its threshold from real rows, its training check, and the redraws."""

import numpy as np
import pandas as pd
import pytest

from skltab import IndependentSynthesizer
from skltab._privacy_guard import MAX_REDRAW_ROUNDS, PrivacyGuard
from skltab.metadata import infer_metadata


def _table(n_rows, seed):
    rng = np.random.RandomState(seed)
    return pd.DataFrame({"x": rng.normal(size=n_rows).round(4),
                         "y": rng.uniform(0, 10, n_rows).round(3),
                         "g": rng.choice(["a", "b", "c"], n_rows)})


@pytest.fixture(scope="module")
def guard():
    train, holdout = _table(300, 0), _table(60, 1)
    return PrivacyGuard().fit(train, holdout, infer_metadata(train)), train


def test_the_threshold_is_a_low_quantile_of_real_rows_distances(guard):
    guard, _ = guard
    fresh = guard.distances(_table(400, 2))
    assert 0 < guard.threshold_ < np.median(fresh)
    assert 0.01 < np.mean(fresh < guard.threshold_) < 0.12
    assert guard.n_holdout_ == 60


def test_the_check_fails_copies_and_passes_fresh_rows(guard):
    guard, train = guard
    scores, passed = guard.check(train.sample(200, random_state=0))
    assert not passed and scores == {"too_close_rate": 1.0}
    scores, passed = guard.check(_table(200, 3))
    assert passed and scores["too_close_rate"] < 0.15


def test_the_check_does_not_take_a_narrow_model_for_a_copying_one(guard):
    # Rows squeezed towards the centre sit near many real rows, seen or not: no copying.
    guard, _ = guard
    narrow = _table(200, 4)
    narrow[["x", "y"]] = (narrow[["x", "y"]] - [0, 5]) * 0.3 + [0, 5]
    scores, passed = guard.check(narrow.round(3))
    assert passed, scores


def _copying_draw(train, share_copied):
    """A generator whose rows are copies of training rows with probability ``share_copied``."""
    def draw(n_samples, conditions, random_state):
        rows = _table(n_samples, random_state.randint(2**31 - 1))
        copied = random_state.uniform(size=n_samples) < share_copied
        rows[copied] = train.iloc[random_state.randint(len(train), size=copied.sum())].to_numpy()
        return rows
    return draw


def test_sampling_redraws_rows_too_close_and_keeps_the_count(guard):
    guard, train = guard
    report = guard.new_report()
    rows = guard.sample(_copying_draw(train, 0.3), 500, None, np.random.RandomState(0), report)
    assert len(rows) == 500 and list(rows.index) == list(range(500))
    assert report["n_too_close"] >= 100 and report["n_redraws"] >= report["n_too_close"]
    # A redraw is too close again with chance 0.35 (0.3 copies, 0.05 by chance).
    assert guard.too_close(rows).sum() == report["n_remaining"] <= 5


def test_rows_still_too_close_are_kept_counted_and_warned(guard):
    guard, train = guard
    report = guard.new_report()
    rows = guard.sample(_copying_draw(train, 1.0), 50, None, np.random.RandomState(0), report)
    assert len(rows) == 50
    assert report["n_remaining"] == 50 and report["n_redraws"] == 50 * MAX_REDRAW_ROUNDS
    with pytest.warns(UserWarning, match="50 of 50 sampled rows are still closer"):
        PrivacyGuard.warn(report, "Test")


def test_redrawn_rows_keep_their_conditions(guard):
    guard, train = guard
    conditions = pd.DataFrame({"g": ["a", "b"] * 50})

    def draw(n_samples, conditions, random_state):
        rows = _copying_draw(train, 0.5)(n_samples, None, random_state)
        rows["g"] = conditions["g"].to_numpy()
        return rows

    report = guard.new_report()
    rows = guard.sample(draw, 100, conditions, np.random.RandomState(0), report)
    assert report["n_redraws"] > 0
    assert rows["g"].tolist() == conditions["g"].tolist()


def test_text_only_tables_have_no_guard():
    table = pd.DataFrame({"note": [f"free text {i} words" for i in range(50)]})
    metadata = infer_metadata(table, overrides={"note": "text"})
    assert PrivacyGuard().fit(table, None, metadata) is None


def test_a_synthesizer_without_the_parameter_never_goes_through_a_guard():
    synthesizer = IndependentSynthesizer(random_state=0).fit(_table(100, 0))
    synthesizer.sample(10)
    assert not hasattr(synthesizer, "privacy_guard_report_")
