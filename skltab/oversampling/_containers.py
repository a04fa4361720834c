"""What an over-sampler reads and returns: ``X`` and ``y`` in the containers they came in.

Synthesizers learn DataFrames with string column names. :func:`read_features` turns ``X`` (a
DataFrame, an array or a list of rows) into one and :func:`append_rows` returns the real rows
followed by synthetic ones in ``X``'s container and dtypes; :func:`read_target` and
:func:`append_labels` do the same for ``y`` (an array, a list, a Series, a DataFrame, or a
one-hot label indicator matrix, which comes back one-hot).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ..base import _as_2d_array
from ..utils._validation import check_table


@dataclass(frozen=True)
class Features:
    """``X`` as given and as the table that synthesizers learn.

    Attributes
    ----------
    original : DataFrame or ndarray
        ``X`` (a list of rows becomes an array).
    table : DataFrame
        The table to learn: ``X`` itself, with sparse columns made dense, or the array's
        columns named ``x0``, ``x1``, ...
    container : {"dataframe", "ndarray", "list"}
        Type of ``X``.
    """

    original: object
    table: pd.DataFrame
    container: str


@dataclass(frozen=True)
class Target:
    """``y`` as given and as one class label per row.

    Attributes
    ----------
    original : object
        ``y``.
    labels : ndarray of shape (n_rows,)
        The class of each row.
    container : {"ndarray", "list", "series", "dataframe"}
        Type of ``y``.
    one_hot : bool
        Whether ``y`` is a label indicator matrix (one column per class, one 1 per row).
    """

    original: object
    labels: np.ndarray
    container: str
    one_hot: bool


def read_features(X):
    """Return :class:`Features` of ``X``; raise for input that is not a table skltab can
    learn (:func:`~skltab.utils.check_table`)."""
    if isinstance(X, pd.DataFrame):
        sparse = {name: dtype.subtype for name, dtype in X.dtypes.items()
                  if isinstance(dtype, pd.SparseDtype)}
        table = X.astype(sparse) if sparse else X
        check_table(table)
        return Features(X, table.reset_index(drop=True), "dataframe")
    array = _as_2d_array(X, "X")
    table = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    check_table(table)
    return Features(array, table, "list" if isinstance(X, list) else "ndarray")


def append_rows(features, synthetic):
    """The rows of ``X`` followed by the rows of the DataFrame ``synthetic``, in ``X``'s
    container (a DataFrame gets a fresh RangeIndex and keeps its dtypes)."""
    if features.container == "dataframe":
        original = features.original
        rows = pd.concat([features.table, synthetic[features.table.columns]],
                         ignore_index=True)
        return rows.astype(original.dtypes.to_dict())
    array = features.original
    rows = np.concatenate([array, synthetic[features.table.columns].to_numpy(dtype=array.dtype)])
    return rows.tolist() if features.container == "list" else rows


def read_target(y, n_rows):
    """Return the :class:`Target` of ``y``.

    Raises
    ------
    ValueError
        For a continuous, multilabel or multioutput target, or one whose length is not
        ``n_rows``.
    """
    if isinstance(y, pd.DataFrame):
        container = "dataframe"
    elif isinstance(y, pd.Series):
        container = "series"
    else:
        container = "list" if isinstance(y, list) else "ndarray"
    values = (y.iloc[:, 0].to_numpy() if container == "dataframe" and y.shape[1] == 1
              else np.asarray(y))
    one_hot = (values.ndim == 2 and values.shape[1] > 1
               and type_of_target(values) == "multilabel-indicator"
               and bool(np.all(values.sum(axis=1) == 1)))
    if one_hot:
        labels = values.argmax(axis=1)
    elif values.ndim == 2 and values.shape[1] > 1:
        raise ValueError("Multilabel and multioutput targets are not supported: y must hold "
                         f"one class per row; got shape {values.shape}.")
    else:
        labels = column_or_1d(values, warn=True)
    check_classification_targets(labels)
    if len(labels) != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {len(labels)}; they must match.")
    return Target(y, labels, container, one_hot)


def append_labels(target, new_labels):
    """The labels of ``y`` followed by ``new_labels``, in ``y``'s container and dtype."""
    original = target.original
    labels = np.concatenate([target.labels, new_labels])
    if target.one_hot:
        indicator = np.asarray(original)
        values = np.eye(indicator.shape[1], dtype=indicator.dtype)[labels.astype(np.intp)]
    else:
        values = labels.astype(np.asarray(original).dtype)
    if target.container == "series":
        return pd.Series(values, name=original.name).astype(original.dtype)
    if target.container == "dataframe":
        frame = pd.DataFrame(values.reshape(len(values), -1), columns=original.columns)
        return frame.astype(original.dtypes.to_dict())
    return values.tolist() if target.container == "list" else values
