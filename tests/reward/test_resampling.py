"""Reward-guided sampling: candidates kept by their realism odds, in RewardTunedSynthesizer."""

import io

import numpy as np
import pandas as pd
import pytest

import skltab
from skltab import IndependentSynthesizer
from skltab.reward._resampling import RealismOdds, Resampled, choose_by_weight
from skltab.utils._random import draw_seed


def _correlated(n_rows=600, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n_rows)
    return pd.DataFrame({"x": x, "y": x + 0.3 * rng.normal(size=n_rows),
                         "c": np.where(x > 0, "hi", "lo")})


def _independent_and_odds(real):
    """A synthesizer that loses every relation, and the odds of its rows against ``real``."""
    synthesizer = IndependentSynthesizer(random_state=0).fit(real)
    odds = RealismOdds(real, synthesizer.sample(len(real), random_state=1),
                       synthesizer.metadata_, seed=0)
    return synthesizer, odds


def test_a_row_is_drawn_in_proportion_to_its_weight():
    rng = np.random.RandomState(0)
    weights = np.tile([0.0, 1.0, 3.0], (20_000, 1))
    chosen = choose_by_weight(weights, rng.random_sample(len(weights)))
    shares = np.bincount(chosen, minlength=3) / len(chosen)
    assert shares[0] == 0
    assert shares[2] == pytest.approx(0.75, abs=0.01)


def test_resampling_moves_rows_towards_the_real_relations():
    real = _correlated()
    synthesizer, odds = _independent_and_odds(real)
    plain = synthesizer.sample(2000, random_state=2)
    resampled = Resampled(synthesizer, odds, n_candidates=8).sample(2000, random_state=2)
    real_corr = real["x"].corr(real["y"])
    assert abs(plain["x"].corr(plain["y"])) < 0.1
    assert resampled["x"].corr(resampled["y"]) > 0.5 * real_corr
    agree = np.mean((resampled["x"] > 0) == (resampled["c"] == "hi"))
    assert agree > np.mean((plain["x"] > 0) == (plain["c"] == "hi")) + 0.2
    # realism odds are higher on the kept rows than on the rows of the synthesizer
    assert np.median(odds(resampled)) > 2 * np.median(odds(plain))


def test_each_kept_row_holds_its_conditions_and_chunks_equal_the_whole():
    real = _correlated()
    synthesizer, odds = _independent_and_odds(real)
    sampler = Resampled(synthesizer, odds, n_candidates=4)
    fixed = sampler.sample(50, conditions={"c": "hi"}, random_state=0)
    assert len(fixed) == 50 and (fixed["c"] == "hi").all()
    rows = pd.DataFrame({"c": ["lo", "hi", "lo"]})
    assert sampler.sample(3, conditions=rows, random_state=0)["c"].tolist() == ["lo", "hi", "lo"]
    with pytest.raises(ValueError, match="conditions has 3 rows but n_samples=4"):
        sampler.sample(4, conditions=rows)
    whole = sampler.sample(250, random_state=5)
    chunks = list(sampler.iter_samples(250, chunk_size=100, random_state=5))
    assert [len(chunk) for chunk in chunks] == [100, 100, 50]
    assert list(chunks[1].index) == list(range(100, 200))
    pd.testing.assert_frame_equal(pd.concat(chunks), whole)


def test_a_target_output_keeps_x_and_y_of_the_same_rows():
    real = _correlated()
    synthesizer = IndependentSynthesizer(random_state=0).fit(real[["x", "y"]], real["c"])
    table = pd.concat(synthesizer.sample(300, random_state=1), axis=1)
    odds = RealismOdds(real, table, synthesizer.metadata_, seed=0)
    X, y = Resampled(synthesizer, odds, n_candidates=4).sample(200, random_state=3)
    assert list(X.index) == list(y.index) == list(range(200))
    # the candidates: the synthesizer's rows for the first seed drawn from the call's seed
    first_seed = draw_seed(np.random.RandomState(3))
    candidates = pd.concat(synthesizer.sample(800, random_state=first_seed), axis=1)
    kept = pd.concat([X, y], axis=1)
    # every kept row is one of its own four candidates, x and y together
    for i in (0, 57, 199):
        group = candidates.iloc[4 * i:4 * i + 4].reset_index(drop=True)
        assert (group == kept.iloc[i]).all(axis=1).any()


def test_the_discriminator_is_refitted_identically_after_the_safe_format():
    real = _correlated()
    _, odds = _independent_and_odds(real)
    expected = odds(real)  # fits the discriminator
    buffer = io.BytesIO()
    skltab.save(odds, buffer)
    buffer.seek(0)
    loaded = skltab.load(buffer)
    assert "_fitted" not in vars(loaded.model)  # not saved: it has no safe form
    np.testing.assert_array_equal(loaded(real), expected)
