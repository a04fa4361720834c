"""Scorers driving scikit-learn's model selection over synthesizers and pipelines."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV, cross_validate
from sklearn.preprocessing import FunctionTransformer

from skltab import IndependentSynthesizer, SynthesisPipeline
from skltab.metrics import (
    SynthesisScorer,
    get_scorer,
    get_scorer_names,
    make_synthesis_scorer,
    wasserstein_distance,
)


@pytest.fixture
def skewed():
    """A table whose marginals two quantiles (a uniform between min and max) cannot follow."""
    rng = np.random.RandomState(0)
    table = pd.DataFrame({"income": rng.lognormal(size=240), "age": rng.gamma(2, 10, 240),
                          "city": rng.choice(["a", "b", "c"], 240, p=[0.7, 0.2, 0.1])})
    target = pd.Series(np.where(table["income"] > 1.2, "rich", "poor"), name="wealth")
    return table, target


def test_scorer_names():
    names = get_scorer_names()
    for name in ["neg_wasserstein", "neg_association_error", "neg_detection_auc",
                 "inverse_kl", "tstr_macro_f1", "tstr_r2", "neg_tstr_rmse", "coverage"]:
        assert name in names
    assert not any(name.startswith(("neg_dcr", "trtr", "neg_rule")) for name in names)
    with pytest.raises(ValueError, match="not a skltab scorer"):
        get_scorer("wasserstein")


def test_grid_search_picks_the_quantiles_that_follow_the_marginals(skewed):
    X, _ = skewed
    search = GridSearchCV(IndependentSynthesizer(random_state=0), {"n_quantiles": [2, 100]},
                          scoring=get_scorer("neg_wasserstein"), cv=3, error_score="raise")
    search.fit(X)
    assert search.best_params_ == {"n_quantiles": 100}
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores <= 0) and scores[1] > scores[0]
    assert search.best_estimator_.n_quantiles == 100


def test_scoring_dict_with_refit(skewed):
    X, _ = skewed
    scoring = {"wasserstein": get_scorer("neg_wasserstein"),
               "ks": get_scorer("neg_ks_statistic")}
    search = GridSearchCV(IndependentSynthesizer(random_state=0), {"n_quantiles": [2, 100]},
                          scoring=scoring, refit="ks", cv=3, error_score="raise").fit(X)
    assert set(search.cv_results_) >= {"mean_test_wasserstein", "mean_test_ks"}
    assert search.best_params_ == {"n_quantiles": 100}


def test_synthesis_scorer_shares_one_sample_and_returns_a_dict(skewed):
    X, y = skewed
    synthesizer = IndependentSynthesizer(random_state=0).fit(X, y)
    calls = []
    original = synthesizer.sample

    def counting_sample(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    synthesizer.sample = counting_sample
    scorer = SynthesisScorer(["neg_wasserstein", "neg_detection_auc", "tstr_macro_f1"],
                             random_state=4)
    scores = scorer(synthesizer, X, y)
    assert calls == [{"random_state": 4}]
    assert set(scores) == {"neg_wasserstein", "neg_detection_auc", "tstr_macro_f1"}
    assert -1 <= scores["neg_detection_auc"] <= -0.3
    assert 0 <= scores["tstr_macro_f1"] <= 1


def test_callable_returning_a_dict_in_grid_search_with_y(skewed):
    X, y = skewed
    scorer = SynthesisScorer(["neg_wasserstein", "tstr_macro_f1"])
    search = GridSearchCV(IndependentSynthesizer(random_state=0), {"n_quantiles": [2, 100]},
                          scoring=scorer, refit="neg_wasserstein", cv=3, error_score="raise")
    search.fit(X, y)
    assert search.best_params_ == {"n_quantiles": 100}
    assert np.isfinite(search.cv_results_["mean_test_tstr_macro_f1"]).all()


def test_randomized_search_and_cross_validate(skewed):
    X, _ = skewed
    search = RandomizedSearchCV(IndependentSynthesizer(random_state=0),
                                {"n_quantiles": [2, 50, 100]}, n_iter=2, random_state=0,
                                scoring=get_scorer("neg_jensen_shannon"), cv=2,
                                error_score="raise").fit(X)
    assert len(search.cv_results_["mean_test_score"]) == 2
    results = cross_validate(IndependentSynthesizer(random_state=0), X, cv=3,
                             scoring=SynthesisScorer(["neg_wasserstein", "inverse_kl"]))
    assert results["test_neg_wasserstein"].shape == (3,)
    assert np.all((results["test_inverse_kl"] > 0) & (results["test_inverse_kl"] <= 1))


def test_grid_search_over_a_pipeline_fitted_with_y(skewed):
    X, y = skewed
    pipeline = SynthesisPipeline([
        ("identity", FunctionTransformer(feature_names_out="one-to-one")),
        ("synthesizer", IndependentSynthesizer(random_state=0)),
    ])
    search = GridSearchCV(pipeline, {"synthesizer__n_quantiles": [2, 100]},
                          scoring=SynthesisScorer(["neg_wasserstein", "tstr_accuracy"]),
                          refit="neg_wasserstein", cv=3, error_score="raise").fit(X, y)
    assert search.best_params_ == {"synthesizer__n_quantiles": 100}


def test_scorers_compare_with_the_held_out_fold(skewed):
    X, _ = skewed
    seen = []

    def record(real, synthetic):
        seen.append(sorted(real["income"]))
        return 0.0

    folds = KFold(n_splits=3)
    cross_validate(IndependentSynthesizer(random_state=0), X, cv=folds,
                   scoring=make_synthesis_scorer(record, greater_is_better=True))
    held_out = [sorted(X["income"].iloc[test]) for _, test in folds.split(X)]
    assert seen == held_out


def test_scores_depend_on_the_held_out_rows(skewed):
    X, _ = skewed
    synthesizer = IndependentSynthesizer(random_state=0).fit(X.iloc[:160])
    scorer = get_scorer("neg_ks_statistic")
    shifted = X.iloc[160:].assign(income=X["income"].iloc[160:] + 5)
    assert scorer(synthesizer, X.iloc[160:]) > scorer(synthesizer, shifted) + 0.3


def test_scorer_is_deterministic_and_samples_like_the_held_out_rows(skewed):
    X, _ = skewed
    synthesizer = IndependentSynthesizer(random_state=0).fit(X)
    scorer = make_synthesis_scorer("wasserstein", greater_is_better=False, random_state=7)
    value = scorer(synthesizer, X.iloc[:50])
    assert value == scorer(synthesizer, X.iloc[:50])
    expected = wasserstein_distance(X.iloc[:50], synthesizer.sample(50, random_state=7))
    assert value == pytest.approx(-expected)


def test_scorer_on_arrays(skewed):
    X, y = skewed
    numbers = X[["income", "age"]].to_numpy()
    synthesizer = IndependentSynthesizer(random_state=0).fit(numbers, y.to_numpy())
    scores = SynthesisScorer(["neg_ks_statistic", "tstr_accuracy"])(synthesizer, numbers,
                                                                    y.to_numpy())
    assert -1 <= scores["neg_ks_statistic"] <= 0 and 0 <= scores["tstr_accuracy"] <= 1


def test_named_metric_with_parameters(skewed):
    X, _ = skewed
    synthesizer = IndependentSynthesizer(random_state=0).fit(X)
    scorer = make_synthesis_scorer("tstr_r2", greater_is_better=True,
                                   metric_params={"target": "income"})
    assert scorer(synthesizer, X) < 0.3  # independent columns cannot predict income
    rules = make_synthesis_scorer("rule_violation_rate", greater_is_better=False,
                                  metric_params={"rules": ["age >= 0"]})
    assert rules(synthesizer, X) == 0


def test_scorer_errors(skewed):
    X, y = skewed
    fitted_with_y = IndependentSynthesizer(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="fitted with y; score it the same way"):
        get_scorer("neg_wasserstein")(fitted_with_y, X)
    fitted_without_y = IndependentSynthesizer(random_state=0).fit(X)
    with pytest.raises(ValueError, match="need a target column"):
        get_scorer("tstr_macro_f1")(fitted_without_y, X)
    with pytest.raises(ValueError, match="do not apply to the target 'wealth'"):
        get_scorer("tstr_r2")(fitted_with_y, X, y)
    with pytest.raises(ValueError, match="Unknown metric 'wasser'"):
        make_synthesis_scorer("wasser", greater_is_better=False)
    with pytest.raises(ValueError, match="metric_params has unknown keys"):
        make_synthesis_scorer("wasserstein", greater_is_better=False,
                              metric_params={"bins": 3})
    with pytest.raises(ValueError, match="Unknown scorers"):
        SynthesisScorer(["neg_wasserstein", "accuracy"])(fitted_without_y, X)
