"""SyntheticOversampler: fit_resample's contract, both ways of modelling the classes."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError

from skltab import (
    IndependentSynthesizer,
    LogicCompressor,
    SyntheticOversampler,
    make_synthesis_pipeline,
)
from skltab.fastgen import FastGenSynthesizer
from skltab.metrics import privacy_scores, rule_violation_rate

N_MAJORITY, N_MINORITY = 160, 40


def imbalanced_table(seed=0):
    """A mixed table whose minority rows differ from the majority's in every column."""
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], [N_MAJORITY, N_MINORITY])
    minority = y == 1
    price = np.where(minority, rng.normal(50, 5, len(y)), rng.normal(10, 2, len(y))).round(2)
    quantity = rng.randint(1, 5, len(y))
    score = np.where(rng.uniform(size=len(y)) < 0.25, np.nan, rng.normal(0, 1, len(y)))
    X = pd.DataFrame({
        "price": price,
        "quantity": quantity,
        "total": np.round(price * quantity, 2),
        "channel": pd.Categorical(np.where(minority, rng.choice(["web", "app"], len(y)),
                                           rng.choice(["store", "web"], len(y)))),
        "score": score,
    })
    return X, y


@pytest.fixture(scope="module")
def table():
    return imbalanced_table()


@pytest.mark.parametrize("model_per_class", [True, False])
def test_balances_the_classes_after_the_real_rows(table, model_per_class):
    X, y = table
    sampler = SyntheticOversampler(model_per_class=model_per_class, sampling_strategy="auto",
                                   random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res) == {0: N_MAJORITY, 1: N_MAJORITY}
    assert sampler.sampling_strategy_ == {1: N_MAJORITY - N_MINORITY}
    pd.testing.assert_frame_equal(X_res.iloc[:len(X)], X)
    np.testing.assert_array_equal(y_res[:len(y)], y)
    assert (X_res.dtypes == X.dtypes).all()
    added = X_res.iloc[len(X):]
    assert set(added["channel"]) <= set(X["channel"])
    assert 0.1 < added["score"].isna().mean() < 0.4


@pytest.mark.parametrize("model_per_class", [True, False])
def test_synthetic_rows_follow_their_class(table, model_per_class):
    X, y = table
    X_res, _ = SyntheticOversampler(model_per_class=model_per_class,
                                    random_state=0).fit_resample(X, y)
    added = X_res.iloc[len(X):]
    assert 40 < added["price"].median() < 60  # minority prices, not the majority's 10
    assert (added["channel"] == "store").mean() < 0.1


def test_one_model_per_class_or_one_conditioned_model(table):
    X, y = table
    sampler = SyntheticOversampler(random_state=0)
    sampler.fit_resample(X, y)
    assert list(sampler.synthesizers_) == [1]
    assert isinstance(sampler.synthesizers_[1], FastGenSynthesizer)
    assert sampler.synthesizers_[1].metadata_.columns == list(X.columns)
    assert not hasattr(sampler, "synthesizer_")

    conditioned = SyntheticOversampler(model_per_class=False, random_state=0)
    conditioned.fit_resample(X.assign(**{"class": 1}), y)
    assert conditioned.class_column_ == "class_"
    model = conditioned.synthesizer_
    assert model.metadata_[conditioned.class_column_].kind == "categorical"
    rows = model.sample(200, conditions={conditioned.class_column_: 0}, random_state=0)
    assert rows["price"].median() < 20


def test_synthesizer_is_cloned_and_seeded_from_random_state(table):
    X, y = table
    synthesizer = IndependentSynthesizer(random_state=123)
    first = SyntheticOversampler(synthesizer, random_state=0)
    X_first, _ = first.fit_resample(X, y)
    assert not hasattr(synthesizer, "metadata_")
    assert first.synthesizers_[1].random_state != 123
    X_again, _ = SyntheticOversampler(synthesizer, random_state=0).fit_resample(X, y)
    X_other, _ = SyntheticOversampler(synthesizer, random_state=1).fit_resample(X, y)
    pd.testing.assert_frame_equal(X_first, X_again)
    assert not X_first.iloc[len(X):].equals(X_other.iloc[len(X):])


def test_every_random_state_of_a_pipeline_is_seeded(table):
    X, y = table
    pipeline = make_synthesis_pipeline(LogicCompressor(), IndependentSynthesizer())
    sampler = SyntheticOversampler(pipeline, random_state=0).fit(X, y)
    sampler.fit_resample(X, y)
    seeds = {name: value for name, value in sampler.synthesizers_[1].get_params().items()
             if name.endswith("random_state")}
    assert len(seeds) == 2 and all(isinstance(seed, int) for seed in seeds.values())


@pytest.mark.parametrize("model_per_class", [True, False])
def test_logic_compressor_rules_hold_in_synthetic_rows(table, model_per_class):
    X, y = table
    rule = ["total = price * quantity"]
    plain = SyntheticOversampler(FastGenSynthesizer(), model_per_class=model_per_class,
                                 random_state=0)
    kept = SyntheticOversampler(make_synthesis_pipeline(LogicCompressor(rules=rule),
                                                        FastGenSynthesizer()),
                                model_per_class=model_per_class, random_state=0)
    added_plain = plain.fit_resample(X, y)[0].iloc[len(X):]
    added_kept = kept.fit_resample(X, y)[0].iloc[len(X):]
    assert rule_violation_rate(added_plain, rule) > 0.5
    assert rule_violation_rate(added_kept, rule) == 0
    assert 40 < added_kept["price"].median() < 60


@pytest.mark.parametrize("model_per_class", [True, False])
def test_several_classes_grow_to_their_targets(model_per_class):
    X, y = make_classification(n_samples=300, n_classes=3, n_informative=4,
                               weights=[0.2, 0.3, 0.5], random_state=0)
    counts = Counter(y)
    sampler = SyntheticOversampler(IndependentSynthesizer(), model_per_class=model_per_class,
                                   sampling_strategy={0: 150, 2: counts[2] + 10},
                                   random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res) == {0: 150, 1: counts[1], 2: counts[2] + 10}
    assert list(sampler.sampling_strategy_) == [0, 2]
    np.testing.assert_array_equal(y_res[len(y):], [0] * (150 - counts[0]) + [2] * 10)


def test_a_refit_forgets_the_models_of_the_other_mode(table):
    X, y = table
    sampler = SyntheticOversampler(random_state=0)
    sampler.fit_resample(X, y)
    sampler.set_params(model_per_class=False).fit_resample(X, y)
    assert hasattr(sampler, "synthesizer_") and not hasattr(sampler, "synthesizers_")
    sampler.fit(X, y)
    assert not hasattr(sampler, "synthesizer_")


def test_pipelines_that_sample_arrays_give_rows_in_the_table(table):
    X, y = table
    numbers = X[["price", "quantity"]]
    pipeline = make_synthesis_pipeline(StandardScaler(), IndependentSynthesizer())
    X_res, _ = SyntheticOversampler(pipeline, random_state=0).fit_resample(numbers, y)
    assert (X_res.dtypes == numbers.dtypes).all()
    assert 40 < X_res["price"].iloc[len(X):].median() < 60


def test_the_default_grows_the_minority_half_way_to_balance(table):
    X, y = table
    X_res, y_res = SyntheticOversampler(random_state=0).fit_resample(X, y)
    n_minority = round(np.sqrt(N_MAJORITY * N_MINORITY))
    assert N_MINORITY < n_minority < N_MAJORITY
    assert Counter(y_res) == {0: N_MAJORITY, 1: n_minority}
    assert len(X_res) == N_MAJORITY + n_minority


def test_a_class_of_one_row_is_grown(table):
    X, y = table
    sampler = SyntheticOversampler(sampling_strategy="auto", random_state=0)
    X_res, y_res = sampler.fit_resample(X.iloc[:11], [0] * 10 + [1])
    assert Counter(y_res) == {0: 10, 1: 10}
    assert len(X_res) == 20 and X_res.iloc[11:].notna().any(axis=None)


def test_containers_and_dtypes_come_back(table):
    X, y = table
    numbers = X[["price", "quantity"]].to_numpy(dtype=np.float32)
    sampler = SyntheticOversampler(IndependentSynthesizer(), sampling_strategy="auto",
                                   random_state=0)
    X_res, y_res = sampler.fit_resample(numbers, y.astype(np.int8))
    assert X_res.dtype == np.float32 and y_res.dtype == np.int8
    assert not hasattr(sampler, "feature_names_in_")
    X_list, y_list = sampler.fit_resample(numbers.tolist(), y.tolist())
    assert isinstance(X_list, list) and isinstance(y_list, list)
    np.testing.assert_allclose(X_list, X_res)

    labels = pd.Series(np.where(y == 1, "rare", "common"), name="kind", dtype="category")
    _, y_series = sampler.fit_resample(X, labels)
    assert y_series.name == "kind" and y_series.dtype == labels.dtype
    assert Counter(y_series) == {"common": N_MAJORITY, "rare": N_MAJORITY}
    _, y_frame = sampler.fit_resample(X, labels.to_frame())
    assert list(y_frame.columns) == ["kind"]
    one_hot = np.eye(2, dtype=int)[y]
    _, y_one_hot = sampler.fit_resample(X, one_hot)
    assert y_one_hot.shape == (2 * N_MAJORITY, 2)
    np.testing.assert_array_equal(y_one_hot.sum(axis=0), [N_MAJORITY, N_MAJORITY])
    np.testing.assert_array_equal(sampler.feature_names_in_, X.columns)
    np.testing.assert_array_equal(sampler.get_feature_names_out(), X.columns)


def test_fit_only_computes_the_sampling_strategy(table):
    X, y = table
    sampler = SyntheticOversampler(sampling_strategy=0.5).fit(X, y)
    assert sampler.sampling_strategy_ == {1: N_MAJORITY // 2 - N_MINORITY}
    assert not hasattr(sampler, "synthesizers_")


@pytest.mark.parametrize("model_per_class", [True, False])
def test_no_row_asked_fits_no_model(table, model_per_class):
    X, y = table
    sampler = SyntheticOversampler(sampling_strategy={1: N_MINORITY},
                                   model_per_class=model_per_class)
    X_res, y_res = sampler.fit_resample(X, y)
    pd.testing.assert_frame_equal(X_res, X)
    assert len(y_res) == len(y)
    assert (sampler.synthesizers_ == {} if model_per_class else sampler.synthesizer_ is None)


@pytest.mark.parametrize("params, y, error, match", [
    ({"sampling_strategy": "majority"}, None, InvalidParameterError, "sampling_strategy"),
    ({"synthesizer": "fastgen"}, None, InvalidParameterError, "synthesizer"),
    ({}, np.linspace(0, 1, N_MAJORITY + N_MINORITY), ValueError, "Unknown label type"),
    ({}, np.zeros(5), ValueError, "X has 200 rows but y has 5"),
    ({}, np.ones((N_MAJORITY + N_MINORITY, 2)), ValueError, "Multilabel and multioutput"),
])
def test_bad_input_is_refused_clearly(table, params, y, error, match):
    X, y_table = table
    with pytest.raises(error, match=match):
        SyntheticOversampler(**params).fit_resample(X, y_table if y is None else y)


def test_diffusion_guards_each_class_against_its_own_rows(table):
    pytest.importorskip("torch")
    from skltab.diffusion import MaskedDiffusionSynthesizer

    X, y = table
    sampler = SyntheticOversampler(MaskedDiffusionSynthesizer(epochs=2, hidden_dim=16),
                                   sampling_strategy="auto", random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    model = sampler.synthesizers_[1]
    assert model.privacy_guard_report_["n_samples"] == N_MAJORITY - N_MINORITY
    assert np.all(model.privacy_guard_.distances(X[y == 1]) == 0)
    assert np.all(model.privacy_guard_.distances(X[y == 0]) > 0)


class SometimesCopies(BaseEstimator):
    """A synthesizer that returns real rows (of the class asked for by a one-column
    condition), a fifth of them unchanged and the others with a price moved by a tenth of
    its spread."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        self.rows_ = X.reset_index(drop=True)
        return self

    def sample(self, n_samples=1, conditions=None, random_state=None):
        rng = check_random_state(random_state)
        if conditions is None:
            positions = rng.randint(len(self.rows_), size=n_samples)
        else:
            (name, wanted), = conditions.items()
            positions = [rng.choice(np.flatnonzero(self.rows_[name] == value))
                         for value in wanted]
        rows = self.rows_.iloc[positions].reset_index(drop=True)
        moved = rng.uniform(size=n_samples) < 0.8
        rows.loc[moved, "price"] += 0.1 * self.rows_["price"].std()
        return rows


@pytest.mark.parametrize("model_per_class", [True, False])
def test_privacy_guard_draws_copies_again(table, model_per_class):
    X, y = table
    X = X.drop(columns="score")  # no missing values: a moved row differs from every real row
    guarded = SyntheticOversampler(SometimesCopies(), model_per_class=model_per_class,
                                   sampling_strategy="auto", random_state=0)
    unguarded = clone(guarded).set_params(privacy_guard=False)
    minority = X[y == 1]
    rates = []
    for sampler in (guarded, unguarded):
        added = sampler.fit_resample(X, y)[0].iloc[len(X):]
        rates.append(privacy_scores(minority, added, train=minority)["exact_copy_rate"])
    assert rates[0] == 0 and 0.1 < rates[1] < 0.3
    report = guarded.privacy_guard_report_
    assert report["n_samples"] == N_MAJORITY - N_MINORITY and report["n_remaining"] == 0
    assert report["n_too_close"] >= 0.1 * report["n_samples"]
    assert not hasattr(unguarded, "privacy_guard_report_")
