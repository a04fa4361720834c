"""Checks on user input, run before any work; every error names the column or parameter."""

import numbers

import numpy as np
import pandas as pd

_SUPPORTED_OBJECT_TYPES = (str, bool, np.bool_, numbers.Number)


def check_n_samples(n_samples, name="n_samples"):
    """Return ``n_samples`` as an int, or raise if it is not an integer >= 1."""
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1; got {n_samples!r} of type "
                        f"{type(n_samples).__name__}.")
    if n_samples < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {n_samples}.")
    return int(n_samples)


def check_table(X, name="X", *, allow_empty=False, allow_missing_columns=False):
    """Check that ``X`` is a DataFrame that skltab can learn, without changing it.

    Parameters
    ----------
    X : DataFrame
        The table.
    name : str, default="X"
        How the table is called in error messages.
    allow_empty : bool, default=False
        Accept a table with columns but no rows (for synthesizers that can learn from
        metadata alone); only its column names are checked then.
    allow_missing_columns : bool, default=False
        Accept columns whose every cell is missing (cells for an imputer to fill).

    Raises
    ------
    TypeError
        For non-string column names and unsupported dtypes.
    ValueError
        For an empty table, duplicate column names, entirely missing columns, infinite values
        and object columns that mix types.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(X).__name__}.")
    if X.shape[1] == 0:
        raise ValueError(
            f"{name} has no columns: 0 feature(s) (shape={X.shape}) while a minimum of 1 is "
            "required."
        )
    if X.shape[0] == 0 and allow_empty:
        _check_column_names(X.columns, name)
        return
    if X.shape[0] == 0:
        raise ValueError(
            f"{name} is empty: found 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
            "required."
        )
    _check_column_names(X.columns, name)
    for column in X.columns:
        _check_column_values(X[column], name, allow_missing_columns)


def _check_column_names(columns, name):
    not_strings = [c for c in columns if not isinstance(c, str)]
    if not_strings:
        raise TypeError(
            f"{name} has column names that are not strings: {not_strings[:5]!r}. skltab needs "
            "string column names; rename them, e.g. X.columns = X.columns.astype(str)."
        )
    duplicated = sorted(set(columns[columns.duplicated()]))
    if duplicated:
        raise ValueError(f"{name} has duplicate column names: {duplicated!r}.")


def _check_column_values(series, name, allow_missing=False):
    column = series.name
    dtype = series.dtype
    if isinstance(dtype, pd.SparseDtype):
        raise TypeError(
            f"Column {column!r} of {name} is sparse; convert it with .sparse.to_dense()."
        )
    if pd.api.types.is_complex_dtype(dtype):
        raise TypeError(f"Column {column!r} of {name}: Complex data not supported.")
    if isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype)) or pd.api.types.is_timedelta64_dtype(
        dtype
    ):
        raise TypeError(f"Column {column!r} of {name} has unsupported dtype {dtype}.")
    if series.isna().all() and not allow_missing:
        raise ValueError(f"Column {column!r} of {name} is entirely missing; drop it or fill it.")
    if pd.api.types.is_float_dtype(dtype) and np.isinf(series.to_numpy(dtype=float,
                                                                       na_value=np.nan)).any():
        raise ValueError(f"Column {column!r} of {name} contains infinite values.")
    if dtype == object:
        _check_object_values(series.dropna(), name)


def _check_object_values(values, name):
    column = values.name
    unsupported = values[~values.map(lambda v: isinstance(v, _SUPPORTED_OBJECT_TYPES))]
    if len(unsupported):
        example = unsupported.iloc[0]
        raise TypeError(
            f"Column {column!r} of {name} holds a value of unsupported type "
            f"{type(example).__name__} ({example!r}): argument must be a string, a boolean or "
            "a number."
        )
    groups = set(values.map(_value_group))
    if len(groups) > 1:
        raise ValueError(
            f"Column {column!r} of {name} mixes value types {sorted(groups)}; convert it to a "
            "single type first."
        )
    if groups == {"number"}:
        if values.map(lambda v: isinstance(v, complex)).any():
            raise TypeError(f"Column {column!r} of {name}: Complex data not supported.")
        if np.isinf(values.astype(float)).any():
            raise ValueError(f"Column {column!r} of {name} contains infinite values.")


def _value_group(value):
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    return "number"
