"""SynthesisPipeline: transformers, a synthesizer, samples mapped back."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skltab import IndependentSynthesizer, SynthesisPipeline, make_synthesis_pipeline


class LogAmount(TransformerMixin, BaseEstimator):
    """Log-transform the column 'amount' and translate conditions on it."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.assign(amount=np.log(X["amount"]))

    def inverse_transform(self, X):
        return X.assign(amount=np.exp(X["amount"]).round(2))

    def transform_conditions(self, conditions):
        if "amount" in conditions:
            return conditions.assign(amount=np.log(conditions["amount"]))
        return conditions


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(0)
    return pd.DataFrame({
        "amount": np.exp(rng.normal(3, 1, 300)).round(2),
        "shop": rng.choice(["a", "b", "c"], 300),
    })


def test_samples_come_back_in_the_original_space(table):
    pipeline = make_synthesis_pipeline(LogAmount(), IndependentSynthesizer(random_state=0))
    synthetic = pipeline.fit(table).sample(2000)
    assert synthetic["amount"].min() > 0
    assert synthetic["amount"].median() == pytest.approx(table["amount"].median(), rel=0.25)
    inner = pipeline[-1].sample(5)
    assert inner["amount"].max() < 10, "the synthesizer itself samples in log space"


def test_conditions_are_translated_by_each_step(table):
    pipeline = make_synthesis_pipeline(LogAmount(), IndependentSynthesizer(random_state=0))
    amount = float(table["amount"].iloc[0])
    synthetic = pipeline.fit(table).sample(4, conditions={"amount": amount, "shop": "b"})
    assert (synthetic["shop"] == "b").all()
    assert np.allclose(synthetic["amount"], amount, atol=0.02)


def test_conditions_through_a_step_without_translation_fail_clearly():
    X = np.random.RandomState(0).normal(size=(50, 2))
    pipeline = make_synthesis_pipeline(StandardScaler(), IndependentSynthesizer()).fit(X)
    with pytest.raises(TypeError, match="StandardScaler cannot translate conditions"):
        pipeline.sample(3, conditions={"x0": 0.0})


def test_step_without_inverse_transform_fails_clearly(table):
    class Keep(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return X

    pipeline = make_synthesis_pipeline(Keep(), IndependentSynthesizer()).fit(table)
    with pytest.raises(TypeError, match="Keep has no inverse_transform"):
        pipeline.sample(3)


def test_y_passes_through(table):
    pipeline = make_synthesis_pipeline(LogAmount(), IndependentSynthesizer(random_state=0))
    X, y = pipeline.fit(table[["amount"]], table["shop"]).sample(10)
    assert list(X.columns) == ["amount"] and X["amount"].min() > 0
    assert y.name == "shop" and set(y) <= {"a", "b", "c"}


def test_sample_is_hidden_when_the_last_step_cannot_sample():
    pipeline = SynthesisPipeline([("scale", StandardScaler())])
    assert not hasattr(pipeline, "sample") and not hasattr(pipeline, "iter_samples")


def test_set_params_clone_and_grid_search(table):
    pipeline = make_synthesis_pipeline(LogAmount(), IndependentSynthesizer(random_state=0))
    pipeline.set_params(independentsynthesizer__n_quantiles=20)
    cloned = clone(pipeline)
    assert cloned.get_params()["independentsynthesizer__n_quantiles"] == 20
    grid = [2, 20, 200]
    search = GridSearchCV(pipeline, {"independentsynthesizer__n_quantiles": grid}, cv=3)
    search.fit(table)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and len(set(scores)) == 3
    assert search.best_params_ == {"independentsynthesizer__n_quantiles": grid[np.argmax(scores)]}
    assert search.best_estimator_[-1].n_quantiles == grid[np.argmax(scores)]
    assert isinstance(search.best_estimator_.sample(3), pd.DataFrame)
