"""Checks that any synthesizer must pass, beside scikit-learn's own estimator checks.

Use :func:`parametrize_with_synthesizer_checks` in a test module, as scikit-learn's
``parametrize_with_checks``::

    @parametrize_with_synthesizer_checks([MySynthesizer(epochs=1)])
    def test_synthesizer(estimator, check):
        check(estimator)

Each check takes ``(name, estimator)`` and raises ``AssertionError`` when the contract is
broken. Checks clone the estimator, so it is passed unfitted with fast parameters.
"""

import io
from functools import partial

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

__all__ = [
    "check_chunk_invariance",
    "check_conditions",
    "check_partial_fit_continues_training",
    "check_fit_rejects_bad_tables",
    "check_joblib_round_trip",
    "check_n_samples_validation",
    "check_output_containers",
    "check_output_schema",
    "check_params_and_clone",
    "check_pipeline_grid_search",
    "check_random_state_semantics",
    "check_safe_format_round_trip",
    "check_sample_before_fit",
    "check_score_samples",
    "check_score_samples_without_target",
    "make_check_table",
    "parametrize_with_synthesizer_checks",
    "synthesizer_checks",
    "check_weight_scale_changes_nothing",
    "check_zero_weight_rows_change_nothing",
]


def make_check_table(n_rows=120, random_state=0):
    """Return a small table with every column kind, missing values and an ID column.

    Parameters
    ----------
    n_rows : int, default=120
        Number of rows.
    random_state : int, default=0
        Seed.

    Returns
    -------
    DataFrame
    """
    rng = np.random.RandomState(random_state)
    age = rng.randint(18, 80, n_rows)
    income = np.round(age * 800 * np.exp(rng.normal(0, 0.2, n_rows)), 2)
    rating = np.where(rng.uniform(size=n_rows) < 0.2, np.nan, rng.randint(1, 6, n_rows))
    return pd.DataFrame(
        {
            "customer_id": [f"C-{i:05d}" for i in range(n_rows)],
            "age": age,
            "income": income,
            "rating": pd.array(rating, dtype="Int64"),
            "segment": rng.choice(["retail", "corporate", "public"], n_rows, p=[0.6, 0.3, 0.1]),
            "tier": pd.Categorical(rng.choice(["gold", "silver"], n_rows),
                                   categories=["bronze", "silver", "gold"], ordered=True),
            "active": rng.uniform(size=n_rows) < 0.7,
            "joined": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.randint(0, 1500, n_rows), unit="D"),
            "region": np.where(rng.uniform(size=n_rows) < 0.15, None,
                               rng.choice(["north", "south"], n_rows)).astype(object),
        }
    )


def synthesizer_checks(estimator=None):
    """Yield every skltab check, as functions of ``(name, estimator)``.

    Parameters
    ----------
    estimator : estimator, default=None
        The estimator to check: the checks of ``score_samples`` and of the incremental
        contract are yielded when it has ``score_samples`` and ``partial_fit``; None yields
        the checks every synthesizer must pass.
    """
    yield check_sample_before_fit
    yield check_n_samples_validation
    yield check_output_schema
    yield check_output_containers
    yield check_random_state_semantics
    yield check_chunk_invariance
    yield check_joblib_round_trip
    yield check_safe_format_round_trip
    yield check_params_and_clone
    yield check_pipeline_grid_search
    yield check_conditions
    yield check_fit_rejects_bad_tables
    if hasattr(estimator, "score_samples"):
        yield check_score_samples
        yield check_score_samples_without_target
    if hasattr(estimator, "partial_fit"):
        yield check_zero_weight_rows_change_nothing
        yield check_weight_scale_changes_nothing
        yield check_partial_fit_continues_training


def parametrize_with_synthesizer_checks(estimators, *, expected_failed_checks=None):
    """Pytest decorator that runs every skltab check on every estimator.

    Parameters
    ----------
    estimators : list of estimators
        Unfitted synthesizers (or pipelines ending in one), preferably with parameters that
        make them fast.
    expected_failed_checks : callable, default=None
        Called with an estimator, returns ``{check_name: reason}`` for the checks it is known
        to fail; those are marked as strict expected failures.

    Returns
    -------
    decorator
        ``pytest.mark.parametrize("estimator, check", ...)``.
    """
    import pytest

    def pairs():
        for estimator in estimators:
            name = type(estimator).__name__
            expected = expected_failed_checks(estimator) if expected_failed_checks else {}
            for check in synthesizer_checks(estimator):
                marks = []
                if check.__name__ in expected:
                    marks = [pytest.mark.xfail(strict=True, reason=expected[check.__name__])]
                yield pytest.param(
                    estimator, partial(check, name), id=f"{name}-{check.__name__}", marks=marks
                )

    return pytest.mark.parametrize("estimator, check", list(pairs()))


def _random_state_key(estimator):
    """The parameter that seeds the synthesizer: its ``random_state``, in a pipeline the last
    step's."""
    if hasattr(estimator, "steps"):
        name, final = estimator.steps[-1]
        return f"{name}__{_random_state_key(final)}"
    if "random_state" not in estimator.get_params():
        raise AssertionError(f"{type(estimator).__name__} has no random_state parameter.")
    return "random_state"


def _fitted(estimator, X, y=None, random_state=0):
    estimator = clone(estimator)
    estimator.set_params(**{_random_state_key(estimator): random_state})
    return estimator.fit(X, y)


def _expect_error(error, words, function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except error as exc:
        message = str(exc)
        for word in words:
            assert word in message, f"The error message {message!r} does not name {word!r}."
        return
    raise AssertionError(f"{function.__qualname__} did not raise {error.__name__}.")


def check_sample_before_fit(name, estimator):
    """``sample`` before ``fit`` raises NotFittedError."""
    _expect_error(NotFittedError, [], clone(estimator).sample, 3)


def check_n_samples_validation(name, estimator):
    """``n_samples`` must be an integer >= 1; the output has exactly that many rows."""
    fitted = _fitted(estimator, make_check_table())
    for bad in (0, -2):
        _expect_error(ValueError, ["n_samples"], fitted.sample, bad)
    for bad in (2.5, "3", True, None):
        _expect_error(TypeError, ["n_samples"], fitted.sample, bad)
    assert len(fitted.sample()) == 1, f"{name}.sample() must return one row."
    assert len(fitted.sample(np.int64(7))) == 7, f"{name}.sample(7) must return seven rows."


def check_output_schema(name, estimator):
    """Samples keep the real columns, order, dtypes, categories, ranges and missing values."""
    real = make_check_table()
    synthetic = _fitted(estimator, real).sample(300)
    assert list(synthetic.columns) == list(real.columns), f"{name} changed the columns."
    for column in real.columns:
        assert synthetic[column].dtype == real[column].dtype, (
            f"{name} changed the dtype of {column!r}: {synthetic[column].dtype} for "
            f"{real[column].dtype}."
        )
        if real[column].notna().all():
            assert synthetic[column].notna().all(), (
                f"{name} wrote missing values in {column!r}, which had none."
            )
    for column in ("segment", "region", "active"):
        invented = set(synthetic[column].dropna()) - set(real[column].dropna())
        assert not invented, f"{name} invented categories {invented} in {column!r}."
    assert list(synthetic["tier"].cat.categories) == list(real["tier"].cat.categories)
    for column in ("age", "income", "rating", "joined"):
        low, high = real[column].min(), real[column].max()
        values = synthetic[column].dropna()
        assert values.between(low, high).all(), f"{name} left the real range of {column!r}."
    assert np.allclose(synthetic["income"], synthetic["income"].round(2)), (
        f"{name} wrote more decimals in 'income' than the real column has."
    )
    ids = synthetic["customer_id"]
    assert ids.is_unique, f"{name} wrote duplicate IDs."
    assert ids.str.fullmatch(r"C-\d{5}").all(), f"{name} changed the ID pattern."


def check_output_containers(name, estimator):
    """An ndarray gives an ndarray; ``fit(X, y)`` gives ``(X, y)`` in the types received."""
    rng = np.random.RandomState(0)
    array = rng.normal(size=(80, 3))
    synthetic = _fitted(estimator, array).sample(10)
    assert isinstance(synthetic, np.ndarray) and synthetic.shape == (10, 3), (
        f"{name} fitted on an ndarray must return an ndarray of shape (n_samples, 3)."
    )
    assert synthetic.dtype == array.dtype
    real = make_check_table()
    X, y = real.drop(columns="segment"), real["segment"]
    out = _fitted(estimator, X, y).sample(10)
    assert isinstance(out, tuple) and len(out) == 2, f"{name} fitted with y must return (X, y)."
    assert list(out[0].columns) == list(X.columns) and isinstance(out[1], pd.Series)
    assert out[1].name == "segment" and set(out[1]) <= set(y)
    _, y_array = _fitted(estimator, array, (array[:, 0] > 0).astype(int)).sample(10)
    assert isinstance(y_array, np.ndarray) and y_array.shape == (10,)
    assert set(np.unique(y_array)) <= {0, 1}


def check_random_state_semantics(name, estimator):
    """Successive samples differ; a refit reproduces them; an explicit seed reproduces."""
    real = make_check_table()
    fitted = _fitted(estimator, real)
    first, second = fitted.sample(40), fitted.sample(40)
    assert not first.equals(second), f"{name}: successive sample() calls returned the same rows."
    refitted = _fitted(estimator, real)
    pd.testing.assert_frame_equal(refitted.sample(40), first)
    pd.testing.assert_frame_equal(refitted.sample(40), second)
    pd.testing.assert_frame_equal(
        fitted.sample(40, random_state=7), fitted.sample(40, random_state=7)
    )


def check_chunk_invariance(name, estimator):
    """``iter_samples`` chunks, concatenated, equal ``sample`` with the same seed."""
    fitted = _fitted(estimator, make_check_table())
    whole = fitted.sample(2500, random_state=3)
    chunks = list(fitted.iter_samples(2500, chunk_size=999, random_state=3))
    assert [len(chunk) for chunk in chunks] == [999, 999, 502]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)


def check_joblib_round_trip(name, estimator):
    """A fitted synthesizer pickled with joblib samples identically after loading."""
    fitted = _fitted(estimator, make_check_table())
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    pd.testing.assert_frame_equal(loaded.sample(30), fitted.sample(30))
    pd.testing.assert_frame_equal(
        loaded.sample(30, random_state=1), fitted.sample(30, random_state=1)
    )


def check_safe_format_round_trip(name, estimator):
    """An estimator saved with :func:`skltab.save` loads with :func:`skltab.load`, fitted or
    not, with its parameters; fitted, it samples, scores and trains on as before saving.

    The estimator's own class, and its steps' in a pipeline, are passed as ``trusted``, so
    that a synthesizer defined outside skltab is checked too.
    """
    from ..serialization import load, save

    def round_trip(model):
        buffer = io.BytesIO()
        save(model, buffer)
        buffer.seek(0)
        return load(buffer, trusted=_own_classes(model))

    unfitted = round_trip(clone(estimator))
    assert repr(unfitted) == repr(estimator), f"{name} lost parameters in skltab.save."
    _expect_error(NotFittedError, [], unfitted.sample, 2)
    table = make_check_table()
    fitted = _fitted(estimator, table)
    loaded = round_trip(fitted)
    assert repr(loaded) == repr(fitted), f"{name} lost parameters in skltab.save."
    pd.testing.assert_frame_equal(loaded.sample(30, random_state=1),
                                  fitted.sample(30, random_state=1))
    pd.testing.assert_frame_equal(loaded.sample(30), fitted.sample(30))
    if hasattr(fitted, "score"):
        assert loaded.score(table) == fitted.score(table), f"{name} scores otherwise loaded."
    if hasattr(fitted, "partial_fit"):
        loaded.partial_fit(table)
        fitted.partial_fit(table)
        pd.testing.assert_frame_equal(loaded.sample(30, random_state=2),
                                      fitted.sample(30, random_state=2))


def _own_classes(estimator):
    """The class of ``estimator`` and of its steps, in a pipeline."""
    classes = [type(estimator)]
    for _, step in getattr(estimator, "steps", []):
        if hasattr(step, "get_params"):
            classes += _own_classes(step)
    return classes


def check_params_and_clone(name, estimator):
    """``get_params`` / ``set_params`` round trip; a clone is unfitted with equal parameters."""
    params = estimator.get_params()
    clone_params = clone(estimator).get_params()
    assert params.keys() == clone_params.keys()
    fitted = _fitted(estimator, make_check_table())
    clone(fitted).get_params()
    unfitted = clone(fitted)
    _expect_error(NotFittedError, [], unfitted.sample, 2)
    key = _random_state_key(unfitted)
    unfitted.set_params(**{key: 123})
    assert unfitted.get_params()[key] == 123


def check_pipeline_grid_search(name, estimator):
    """The synthesizer works inside a SynthesisPipeline tuned by GridSearchCV."""
    from ..pipeline import make_synthesis_pipeline

    rng = np.random.RandomState(0)
    X = rng.normal(loc=[0, 5, -3], scale=[1, 2, 0.5], size=(90, 3))
    pipeline = make_synthesis_pipeline(StandardScaler(), clone(estimator))
    key = _random_state_key(pipeline)
    search = GridSearchCV(pipeline, {key: [0, 1]}, scoring=_mean_gap_score, cv=3).fit(X)
    assert search.best_params_[key] in (0, 1)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    synthetic = search.best_estimator_.sample(200, random_state=0)
    assert synthetic.shape == (200, 3)
    assert np.all(np.abs(synthetic.mean(axis=0) - X.mean(axis=0)) < X.std(axis=0)), (
        f"{name} in a pipeline does not sample in the original space."
    )


def _mean_gap_score(estimator, X, y=None):
    """Negative gap between column means of synthetic and held-out rows."""
    synthetic = estimator.sample(len(X), random_state=0)
    return -float(np.abs(np.mean(synthetic, axis=0) - np.mean(X, axis=0)).sum())


def check_conditions(name, estimator):
    """Conditions fix the asked columns; impossible conditions raise a clear error."""
    real = make_check_table()
    fitted = _fitted(estimator, real)
    synthetic = fitted.sample(30, conditions={"segment": "public", "age": 40})
    assert (synthetic["segment"] == "public").all() and (synthetic["age"] == 40).all()
    rows = pd.DataFrame({"active": [True, False, True], "tier": ["gold", "silver", "gold"]})
    synthetic = fitted.sample(3, conditions=rows)
    assert synthetic["active"].tolist() == [True, False, True]
    assert synthetic["tier"].astype(str).tolist() == ["gold", "silver", "gold"]
    _expect_error(ValueError, ["colour"], fitted.sample, 3, conditions={"colour": "red"})
    _expect_error(ValueError, ["segment", "private"], fitted.sample, 3,
                  conditions={"segment": "private"})
    _expect_error(ValueError, ["age"], fitted.sample, 3, conditions={"age": 500})
    _expect_error(ValueError, ["customer_id"], fitted.sample, 3,
                  conditions={"customer_id": "C-00001"})


def check_fit_rejects_bad_tables(name, estimator):
    """Invalid tables fail in ``fit`` with an error naming the problem."""
    real = make_check_table(30)
    cases = [
        (ValueError, ["0 sample"], real.iloc[:0]),
        (ValueError, ["0 feature"], real[[]]),
        (ValueError, ["duplicate", "age"], pd.concat([real, real[["age"]]], axis=1)),
        (TypeError, ["not strings"], real.set_axis(range(real.shape[1]), axis=1)),
        (ValueError, ["empty_col", "entirely missing"], real.assign(empty_col=np.nan)),
        (ValueError, ["income", "infinite"], real.assign(income=np.inf)),
        (ValueError, ["mixed", "mixes"], real.assign(mixed=["a", 1] * 15)),
        (TypeError, ["cplx", "Complex"], real.assign(cplx=np.ones(30) * 1j)),
        (TypeError, ["nested", "list"], real.assign(nested=[[1, 2]] * 30)),
        (TypeError, ["sparse", "sparse"],
         real.assign(sparse=pd.arrays.SparseArray(np.zeros(30)))),
    ]
    for error, words, table in cases:
        _expect_error(error, words, clone(estimator).fit, table)


def _weighted_check_table():
    """The check table with an ``(n_rows,)`` array of weights in {0.5, 1, 2, 3}."""
    real = make_check_table(n_rows=80)
    weights = np.random.RandomState(1).choice([0.5, 1.0, 2.0, 3.0], len(real))
    return real, weights


def check_zero_weight_rows_change_nothing(name, estimator):
    """Rows of weight 0 count like no row, in ``fit`` and in ``partial_fit``."""
    real, weights = _weighted_check_table()
    other = make_check_table(n_rows=30, random_state=1)
    padded = pd.concat([real, other], ignore_index=True)
    padded_weights = np.concatenate([weights, np.zeros(len(other))])
    plain = _fitted(estimator, real).fit(real, sample_weight=weights)
    padded_fit = _fitted(estimator, real).fit(padded, sample_weight=padded_weights)
    pd.testing.assert_frame_equal(
        plain.sample(50, random_state=0), padded_fit.sample(50, random_state=0),
        obj=f"{name}: samples after fit with extra rows of weight 0")
    repeated = pd.concat([real, real.iloc[::-1]], ignore_index=True)
    plain.partial_fit(real, sample_weight=weights)
    padded_fit.partial_fit(repeated, sample_weight=np.concatenate([weights, 0 * weights]))
    pd.testing.assert_frame_equal(
        plain.sample(50, random_state=0), padded_fit.sample(50, random_state=0),
        obj=f"{name}: samples after partial_fit with extra rows of weight 0")


def check_weight_scale_changes_nothing(name, estimator):
    """Multiplying every weight by the same factor changes nothing."""
    real, weights = _weighted_check_table()
    first = _fitted(estimator, real).fit(real, sample_weight=weights)
    second = _fitted(estimator, real).fit(real, sample_weight=8 * weights)
    first.partial_fit(real, sample_weight=weights)
    second.partial_fit(real, sample_weight=weights / 4)
    pd.testing.assert_frame_equal(
        first.sample(50, random_state=0), second.sample(50, random_state=0),
        obj=f"{name}: samples after fit and partial_fit with scaled weights")


def check_partial_fit_continues_training(name, estimator):
    """``partial_fit`` trains one more epoch of the fitted model: the history grows by one
    record and the rows sampled with a fixed seed change; on an unfitted synthesizer it
    learns the table first."""
    real = make_check_table()
    fitted = _fitted(estimator, real)
    before, n_records = fitted.sample(50, random_state=0), len(fitted.history_)
    assert fitted.partial_fit(real) is fitted, f"{name}.partial_fit must return self."
    assert len(fitted.history_) == n_records + 1 and fitted.n_iter_ == n_records + 1, (
        f"{name}.partial_fit must add one epoch to history_ and n_iter_.")
    assert not before.equals(fitted.sample(50, random_state=0)), (
        f"{name}.partial_fit did not change the model.")
    started = clone(estimator).partial_fit(real)
    assert len(started.sample(5)) == 5 and started.n_iter_ == 1
    _expect_error(ValueError, ["sample_weight"], fitted.partial_fit, real,
                  sample_weight=np.ones(3))


def check_score_samples(name, estimator):
    """``score_samples`` gives each held-out row a finite log-likelihood (or bound) that does
    not depend on the other rows or their order, ``score`` is their mean, and implausible
    rows score lower."""
    real = make_check_table(200)
    train, rows = real.iloc[:150], real.iloc[150:].reset_index(drop=True)
    fitted = _fitted(estimator, train)
    log_likelihood = fitted.score_samples(rows)
    assert isinstance(log_likelihood, np.ndarray) and log_likelihood.shape == (len(rows),), (
        f"{name}.score_samples must return an ndarray of shape (n_rows,)."
    )
    assert np.isfinite(log_likelihood).all(), f"{name}.score_samples is not finite."
    assert np.isclose(fitted.score(rows), np.mean(log_likelihood), rtol=1e-6, atol=0), (
        f"{name}.score must be the mean of score_samples.")
    np.testing.assert_allclose(fitted.score_samples(rows.iloc[::-1])[::-1], log_likelihood,
                               rtol=1e-5,
                               err_msg=f"{name}: a row's score depends on the row order.")
    np.testing.assert_allclose(fitted.score_samples(rows.iloc[:7]), log_likelihood[:7],
                               rtol=1e-5,
                               err_msg=f"{name}: a row's score depends on the other rows.")
    implausible = rows.assign(income=rows["income"] * 100, segment="unseen")
    assert (fitted.score_samples(implausible) < log_likelihood).all(), (
        f"{name}: rows with an extreme income and an unseen segment do not score lower."
    )


def check_score_samples_without_target(name, estimator):
    """Fitted with ``y``, ``score_samples(X)`` scores ``X`` alone (the target summed out),
    higher than ``(X, y)``, as scikit-learn's checks and ``Pipeline.score_samples`` call it."""
    real = make_check_table(200)
    train, rows = real.iloc[:150], real.iloc[150:].reset_index(drop=True)
    X, y = train.drop(columns="segment"), train["segment"]
    with_target = _fitted(estimator, X, y)
    X_rows, y_rows = rows.drop(columns="segment"), rows["segment"]
    assert with_target.score(X_rows) > with_target.score(X_rows, y_rows), (
        f"{name}: X alone must score higher than X with its target."
    )
