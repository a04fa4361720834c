"""IndependentSynthesizer keeps every marginal and stores no real row."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skltab import IndependentSynthesizer
from skltab.utils.estimator_checks import make_check_table


@pytest.fixture(scope="module")
def real():
    return make_check_table(1000, random_state=3)


@pytest.fixture(scope="module")
def synthetic(real):
    return IndependentSynthesizer(random_state=0).fit(real).sample(5000)


@pytest.mark.parametrize("column", ["age", "income"])
def test_numeric_marginals_are_kept(real, synthetic, column):
    assert stats.ks_2samp(real[column], synthetic[column]).statistic < 0.05


@pytest.mark.parametrize("column", ["segment", "tier", "active"])
def test_category_frequencies_are_kept(real, synthetic, column):
    expected = real[column].value_counts(normalize=True)
    observed = synthetic[column].value_counts(normalize=True).reindex(expected.index)
    assert np.abs(expected - observed).max() < 0.03


@pytest.mark.parametrize("column", ["rating", "region"])
def test_missing_rates_are_kept(real, synthetic, column):
    assert synthetic[column].isna().mean() == pytest.approx(real[column].isna().mean(), abs=0.02)


def test_columns_are_independent(real, synthetic):
    assert abs(np.corrcoef(real["age"], real["income"])[0, 1]) > 0.3
    assert abs(np.corrcoef(synthetic["age"], synthetic["income"])[0, 1]) < 0.05


def test_only_quantiles_are_stored(real):
    synthesizer = IndependentSynthesizer(n_quantiles=25).fit(real)
    assert all(len(q) == 25 for q in synthesizer.quantiles_)


def test_score_prefers_the_real_distribution(real):
    synthesizer = IndependentSynthesizer(random_state=0).fit(real.iloc[:800])
    held_out = real.iloc[800:]
    shifted = held_out.assign(income=held_out["income"] * 1.5)
    assert synthesizer.score(held_out) > synthesizer.score(shifted)
    assert np.isfinite(synthesizer.score(held_out.assign(segment="unseen")))
    assert synthesizer.score(held_out.assign(segment="unseen")) < synthesizer.score(held_out)


def test_score_of_a_discrete_column_is_its_log_frequency():
    table = pd.DataFrame({"c": ["a"] * 3 + ["b"]})
    synthesizer = IndependentSynthesizer().fit(table)
    assert synthesizer.score(pd.DataFrame({"c": ["a"]})) == pytest.approx(np.log(0.75))
    np.testing.assert_allclose(synthesizer.score_samples(pd.DataFrame({"c": ["b", "a"]})),
                               np.log([0.25, 0.75]))


def test_score_samples_without_y_sums_the_target_out(real):
    X, y = real.drop(columns="segment"), real["segment"]
    with_target = IndependentSynthesizer(random_state=0).fit(X, y)
    without_target = IndependentSynthesizer(random_state=0).fit(X)
    np.testing.assert_allclose(with_target.score_samples(X), without_target.score_samples(X))
    frequency = y.map(y.value_counts(normalize=True)).to_numpy()
    np.testing.assert_allclose(with_target.score_samples(X, y) - with_target.score_samples(X),
                               np.log(frequency))
