"""With imbalanced-learn installed: its estimator checks, its Pipeline and a grid search."""

import numpy as np
import pandas as pd
import pytest

imblearn = pytest.importorskip("imblearn")

from imblearn.pipeline import Pipeline  # noqa: E402
from imblearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skltab import IndependentSynthesizer, SyntheticOversampler  # noqa: E402


@parametrize_with_checks([SyntheticOversampler(random_state=0),
                          SyntheticOversampler(model_per_class=False, random_state=0)])
def test_imbalanced_learn_checks(estimator, check):
    check(estimator)


def test_imbalanced_learn_sees_a_sampler():
    assert imblearn.base.is_sampler(SyntheticOversampler())


def numbers(n_majority=150, n_minority=30, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], [n_majority, n_minority])
    X = pd.DataFrame({"a": rng.normal(2.0 * y, 1.0), "b": rng.normal(-y, 1.0)})
    return X, y


def test_pipeline_resamples_only_while_fitting():
    X, y = numbers()
    pipeline = Pipeline([("over", SyntheticOversampler(IndependentSynthesizer(),
                                                       sampling_strategy="auto",
                                                       random_state=0)),
                         ("model", DummyClassifier(strategy="prior"))]).fit(X, y)
    np.testing.assert_allclose(pipeline["model"].class_prior_, [0.5, 0.5])
    assert pipeline.predict_proba(X).shape == (len(X), 2)
    assert pipeline["over"].sampling_strategy_ == {1: 120}


def test_grid_search_tunes_the_sampler_and_its_synthesizer():
    X, y = numbers()
    pipeline = Pipeline([("over", SyntheticOversampler(IndependentSynthesizer(),
                                                       random_state=0)),
                         ("model", LogisticRegression())])
    grid = {"over__sampling_strategy": [0.5, "auto"], "over__model_per_class": [True, False],
            "over__synthesizer__n_quantiles": [10, 100]}
    search = GridSearchCV(pipeline, grid, cv=3, scoring="average_precision").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 8 and np.all((scores > 0.5) & (scores <= 1))
    best = search.best_estimator_["over"]
    assert best.get_params()["synthesizer__n_quantiles"] == \
        search.best_params_["over__synthesizer__n_quantiles"]
    assert hasattr(best, "sampling_strategy_")
