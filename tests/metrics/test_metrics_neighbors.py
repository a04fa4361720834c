"""Diversity and privacy: metrics on nearest-neighbour distances."""

import numpy as np
import pandas as pd
import pytest

from skltab.metrics import diversity_scores, privacy_scores


def test_copies_of_the_real_rows_are_precise_and_cover_everything(table_factory):
    real = table_factory(300, seed=0)
    scores = diversity_scores(real, real.copy())
    assert scores["precision"] == scores["recall"] == scores["coverage"] == 1
    # each real ball holds its own centre and its 5 neighbours: (5 + 1) / 5
    assert scores["density"] >= 1.2


def test_a_fresh_draw_is_precise_and_diverse(table_factory):
    scores = diversity_scores(table_factory(400, seed=0), table_factory(400, seed=1))
    assert scores["precision"] > 0.7 and scores["recall"] > 0.7
    assert scores["coverage"] > 0.7
    assert 0.6 < scores["density"] < 1.4


def test_mode_collapse_is_precise_but_neither_diverse_nor_covering(table_factory):
    real = table_factory(300, seed=0, missing=False)
    collapsed = pd.concat([real.iloc[[7]]] * 300, ignore_index=True)
    scores = diversity_scores(real, collapsed)
    assert scores["precision"] == 1
    assert scores["recall"] < 0.05 and scores["coverage"] < 0.05


def test_far_away_rows_score_zero(table_factory):
    real = table_factory(200, seed=0)
    scores = diversity_scores(real, table_factory(200, seed=1, shift=50))
    assert scores["precision"] == scores["density"] == scores["coverage"] == 0


def test_diversity_checks_n_neighbors(table_factory):
    real = table_factory(20, seed=0)
    with pytest.raises(ValueError, match="n_neighbors must be an integer >= 1"):
        diversity_scores(real, real, n_neighbors=0)
    with pytest.raises(ValueError, match="needs more than 25 rows"):
        diversity_scores(real, real, n_neighbors=25)


def test_copying_the_training_rows_is_caught(table_factory):
    train, holdout = table_factory(300, seed=0), table_factory(300, seed=1)
    scores = privacy_scores(holdout, train.sample(frac=1, random_state=0), train=train)
    assert scores["exact_copy_rate"] == 1 and scores["holdout_exact_copy_rate"] == 0
    assert scores["too_close_rate"] == 1
    assert 0.03 < scores["too_close_reference"] < 0.07
    assert scores["dcr_synthetic"] == 0 and scores["dcr_ratio"] == 0
    assert scores["dcr_holdout"] > 0
    assert scores["nndr"] == 0
    assert scores["membership_inference_auc"] > 0.95


def test_a_fresh_draw_leaks_nothing(table_factory):
    train, holdout = table_factory(400, seed=0), table_factory(400, seed=1)
    scores = privacy_scores(holdout, table_factory(400, seed=2), train=train)
    assert scores["exact_copy_rate"] == scores["holdout_exact_copy_rate"] == 0
    assert 0.03 < scores["too_close_reference"] < 0.07
    assert abs(scores["too_close_rate"] - scores["too_close_reference"]) < 0.03
    assert 0.75 < scores["dcr_ratio"] < 1.33
    assert 0.4 < scores["membership_inference_auc"] < 0.6
    assert 0.5 < scores["nndr"] <= 1


def test_exact_copies_count_missing_values_and_every_column():
    train = pd.DataFrame({"v": [1.0, np.nan, 3.0], "c": ["a", "b", None],
                          "note": ["one long text", "two long texts", "three long texts"]})
    synthetic = pd.DataFrame({"v": [np.nan, 3.0, 1.0, 1.0], "c": ["b", None, "a", "a"],
                              "note": ["two long texts", "three long texts", "one long text",
                                       "another text here"]})
    scores = privacy_scores(train, synthetic, train=train)
    assert scores["exact_copy_rate"] == pytest.approx(0.75)


def test_too_close_shares_follow_their_definition():
    # one number per row: the distances are |x - closest training x| over the real range
    rng = np.random.RandomState(0)
    train, holdout, synthetic = (pd.DataFrame({"x": rng.normal(size=n)}) for n in (200, 60, 80))
    to_train = {name: np.abs(table["x"].to_numpy()[:, None] - train["x"].to_numpy()).min(axis=1)
                for name, table in (("holdout", holdout), ("synthetic", synthetic))}
    threshold = np.percentile(to_train["holdout"], 5)
    leave_one_out = [to_train["holdout"][i] < np.percentile(np.delete(to_train["holdout"], i), 5)
                     for i in range(60)]
    scores = privacy_scores(holdout, synthetic, train=train)
    assert scores["too_close_rate"] == pytest.approx(np.mean(to_train["synthetic"] < threshold))
    assert scores["too_close_reference"] == pytest.approx(np.mean(leave_one_out))


def _plans(n_rows, seed):
    """Rows of which 40 % take one of six standard values: such rows repeat naturally."""
    rng = np.random.RandomState(seed)
    standard = rng.rand(n_rows) < 0.4
    return pd.DataFrame({
        "amount": np.where(standard, rng.choice([10.0, 20.0, 50.0], n_rows),
                           rng.gamma(2.0, 30.0, n_rows)),
        "plan": rng.choice(["basic", "plus"], n_rows),
    })


def test_exact_copies_are_measured_against_the_natural_rate():
    train, holdout = _plans(500, seed=0), _plans(500, seed=1)
    fresh = privacy_scores(holdout, _plans(500, seed=2), train=train)
    assert 0.3 < fresh["holdout_exact_copy_rate"] < 0.5
    assert abs(fresh["exact_copy_rate"] - fresh["holdout_exact_copy_rate"]) < 0.08
    copied = privacy_scores(holdout, train, train=train)
    assert copied["exact_copy_rate"] == 1
    assert copied["holdout_exact_copy_rate"] == fresh["holdout_exact_copy_rate"]
    # more than 5 % of the holdout rows sit at distance 0: the threshold is 0, nothing is below
    assert copied["too_close_rate"] == copied["too_close_reference"] == 0


def test_privacy_needs_train(table_factory):
    with pytest.raises(ValueError, match="needs train"):
        privacy_scores(table_factory(20, seed=0), table_factory(20, seed=1), train=None)


def test_privacy_is_deterministic_for_a_seed(table_factory, monkeypatch):
    monkeypatch.setattr("skltab.metrics._privacy.NEIGHBORS_MAX_ROWS", 100)
    train, holdout = table_factory(300, seed=0), table_factory(300, seed=1)
    synthetic = table_factory(300, seed=2)
    first = privacy_scores(holdout, synthetic, train=train, random_state=1)
    assert first == privacy_scores(holdout, synthetic, train=train, random_state=1)


def test_the_dcr_ratio_alone_is_privacy_scores_one(table_factory, monkeypatch):
    from skltab.metrics._data import TablePair
    from skltab.metrics._privacy import dcr_ratio_from_pair

    monkeypatch.setattr("skltab.metrics._privacy.NEIGHBORS_MAX_ROWS", 100)  # subsampled
    train, holdout = table_factory(300, seed=0), table_factory(300, seed=1)
    synthetic = train.iloc[:150].reset_index(drop=True)  # half copies: a ratio far from 1
    expected = privacy_scores(holdout, synthetic, train=train, random_state=1)["dcr_ratio"]
    pair = TablePair(holdout, synthetic, train=train, random_state=1)
    assert dcr_ratio_from_pair(pair) == expected and expected < 0.9
