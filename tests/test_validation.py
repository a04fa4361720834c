"""Every bad input fails before any work, with a message naming the column or parameter."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.exceptions import NotFittedError

from skltab import IndependentSynthesizer
from skltab.utils.estimator_checks import make_check_table


@pytest.fixture(scope="module")
def real():
    return make_check_table(60)


@pytest.fixture(scope="module")
def fitted(real):
    return IndependentSynthesizer(random_state=0).fit(real)


@pytest.mark.parametrize(
    "make_table, error, message",
    [
        (lambda t: t.iloc[:0], ValueError, r"X is empty: found 0 sample\(s\)"),
        (lambda t: t[[]], ValueError, r"X has no columns"),
        (lambda t: pd.concat([t, t[["age"]]], axis=1), ValueError,
         r"duplicate column names: \['age'\]"),
        (lambda t: t.rename(columns={"age": 3}), TypeError,
         r"column names that are not strings: \[3\]"),
        (lambda t: t.assign(blank=None), ValueError, r"Column 'blank' of X is entirely missing"),
        (lambda t: t.assign(income=t["income"].where(t.index > 0, np.inf)), ValueError,
         r"Column 'income' of X contains infinite values"),
        (lambda t: t.assign(obj_inf=pd.Series([1.0, -np.inf] * 30, dtype=object)), ValueError,
         r"Column 'obj_inf' of X contains infinite values"),
        (lambda t: t.assign(mixed=["a", 2.5] * 30), ValueError,
         r"Column 'mixed' of X mixes value types \['number', 'string'\]"),
        (lambda t: t.assign(z=np.arange(60) * 1j), TypeError,
         r"Column 'z' of X: Complex data not supported"),
        (lambda t: t.assign(s=pd.arrays.SparseArray(np.zeros(60))), TypeError,
         r"Column 's' of X is sparse"),
        (lambda t: t.assign(nested=[{"a": 1}] * 60), TypeError,
         r"Column 'nested' of X holds a value of unsupported type dict"),
        (lambda t: t.assign(gap=pd.to_timedelta(np.arange(60), unit="D")), TypeError,
         r"Column 'gap' of X has unsupported dtype timedelta64"),
    ],
)
def test_bad_tables_are_rejected_in_fit(real, make_table, error, message):
    with pytest.raises(error, match=message):
        IndependentSynthesizer().fit(make_table(real))


def test_bad_arrays_are_rejected_in_fit():
    with pytest.raises(ValueError, match="Expected 2D array for X, got 1D"):
        IndependentSynthesizer().fit(np.arange(5.0))
    with pytest.raises(TypeError, match="X is sparse"):
        IndependentSynthesizer().fit(sparse.csr_matrix(np.eye(3)))
    with pytest.raises(ValueError, match="Complex data not supported"):
        IndependentSynthesizer().fit(np.ones((3, 2)) * 1j)


def test_bad_targets_are_rejected_in_fit(real):
    X = real.drop(columns="segment")
    with pytest.raises(ValueError, match="X has 60 rows but y has 59"):
        IndependentSynthesizer().fit(X, real["segment"].iloc[:59])
    with pytest.raises(ValueError, match="target name 'age' is also a column of X"):
        IndependentSynthesizer().fit(X, real["age"])
    with pytest.raises(ValueError, match=r"y must be 1-dimensional; got shape \(60, 2\)"):
        IndependentSynthesizer().fit(X, np.ones((60, 2)))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_quantiles": 1}, "'n_quantiles' parameter"),
        ({"random_state": "seed"}, "'random_state' parameter"),
        ({"verbose": -1}, "'verbose' parameter"),
        ({"metadata": [1]}, "'metadata' parameter"),
    ],
)
def test_bad_parameters_are_rejected_in_fit(real, params, message):
    with pytest.raises(ValueError, match=message):
        IndependentSynthesizer(**params).fit(real)


def test_metadata_must_match_the_table(real):
    from skltab.metadata import infer_metadata

    metadata = infer_metadata(real.drop(columns="age"))
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['age'\]"):
        IndependentSynthesizer(metadata=metadata).fit(real)


def test_every_column_an_id_is_rejected():
    table = pd.DataFrame({"key": [f"K{i:03d}" for i in range(30)]})
    with pytest.raises(ValueError, match="Every column of X is an ID column"):
        IndependentSynthesizer().fit(table)


def test_sample_before_fit():
    with pytest.raises(NotFittedError, match="IndependentSynthesizer instance is not fitted"):
        IndependentSynthesizer().sample(3)


@pytest.mark.parametrize(
    "n_samples, error, message",
    [
        (0, ValueError, "n_samples must be an integer >= 1; got 0"),
        (-3, ValueError, "n_samples must be an integer >= 1; got -3"),
        (1.5, TypeError, "n_samples must be an integer >= 1; got 1.5 of type float"),
        ("10", TypeError, "got '10' of type str"),
        (True, TypeError, "got True of type bool"),
    ],
)
def test_bad_n_samples(fitted, n_samples, error, message):
    with pytest.raises(error, match=message):
        fitted.sample(n_samples)


def test_bad_chunk_size_fails_at_the_call(fitted):
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1; got 0"):
        fitted.iter_samples(10, chunk_size=0)


@pytest.mark.parametrize(
    "conditions, error, message",
    [
        ({"colour": "red"}, ValueError, r"conditions name unknown columns \['colour'\]"),
        ({"segment": "private"}, ValueError,
         r"column 'segment' never takes the values \['private'\]"),
        ({"active": "yes"}, ValueError, r"column 'active' never takes the values \['yes'\]"),
        ({"age": 17}, ValueError, r"column 'age' value 17 is outside the real range \[18, "),
        ({"age": 40.5}, ValueError, r"column 'age' holds integers; got a fraction"),
        ({"age": "forty"}, ValueError, r"column 'age' is numeric; got 'forty'"),
        ({"age": None}, ValueError, r"column 'age' had no missing values"),
        ({"joined": "1999-01-01"}, ValueError, r"column 'joined' value '1999-01-01' is outside"),
        ({"customer_id": "C-00001"}, ValueError, r"column 'customer_id' is an ID column"),
        ("segment=retail", TypeError, r"conditions must be a dict or a DataFrame; got str"),
        (pd.DataFrame({"age": [30, 40]}), ValueError,
         r"conditions has 2 rows but n_samples=3"),
    ],
)
def test_impossible_conditions(fitted, conditions, error, message):
    with pytest.raises(error, match=message):
        fitted.sample(3, conditions=conditions)


def test_missing_values_can_be_asked_where_the_real_column_has_them(fitted):
    synthetic = fitted.sample(4, conditions={"region": None, "rating": 3})
    assert synthetic["region"].isna().all() and (synthetic["rating"] == 3).all()


def test_score_rejects_mismatched_columns(real, fitted):
    with pytest.raises(ValueError, match="X has 8 features, but IndependentSynthesizer is "
                                         "expecting 9 features"):
        fitted.score(real.drop(columns="age"))
    with pytest.raises(ValueError, match=r"missing \['age'\], unexpected \['years'\]"):
        fitted.score(real.rename(columns={"age": "years"}))
    with pytest.raises(ValueError, match="fitted without y; score it the same way"):
        fitted.score(real.drop(columns="segment"), real["segment"])
