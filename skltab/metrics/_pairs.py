"""Fidelity of the associations between pairs of columns."""

from itertools import combinations

import numpy as np
import pandas as pd

from ._data import TablePair


def association_matrix(table, *, metadata=None):
    """Association between every pair of columns of one table, whatever their kinds.

    Pearson's correlation for two numeric (or datetime) columns, Cramer's V for two categorical
    (or boolean) columns, and the correlation ratio for a numeric and a categorical column. A
    missing categorical value counts as a category of its own; rows missing a number are left
    out of that number's pairs. An association that a constant column makes undefined is 0.
    Text and ID columns are left out.

    Parameters
    ----------
    table : DataFrame
        The table.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``table`` when None.

    Returns
    -------
    DataFrame
        Square and symmetric, indexed by column name both ways, 1 on the diagonal. Pearson's
        correlation is in [-1, 1], the others in [0, 1].
    """
    pair = TablePair(table, table, metadata=metadata)
    return association_matrices(pair, names=("real",))["real"]


def association_matrices(pair, names=("real", "synthetic")):
    """Association matrices (:func:`association_matrix`) of tables of a :class:`TablePair`.

    Returns
    -------
    dict of str to DataFrame
        One matrix per name in ``names``.
    """
    columns = pair.numeric_columns + pair.categorical_columns
    return {name: pd.DataFrame(_associations(pair, pair.encoded(name)), index=columns,
                               columns=columns)
            for name in names}


def _associations(pair, encoded):
    encoder = pair.encoder
    numeric = encoded.numeric[:, [encoder.numeric_columns_.index(c) for c in pair.numeric_columns]]
    discrete_index = [encoder.discrete_columns_.index(c) for c in pair.categorical_columns]
    codes = encoded.discrete[:, discrete_index]
    n_numeric, n_discrete = numeric.shape[1], codes.shape[1]
    matrix = np.eye(n_numeric + n_discrete)
    if n_numeric:
        pearson = pd.DataFrame(numeric).corr().to_numpy()
        matrix[:n_numeric, :n_numeric] = np.nan_to_num(pearson, nan=0.0)
        np.fill_diagonal(matrix, 1.0)
    states = [pair.n_states(c) for c in pair.categorical_columns]
    for i, j in combinations(range(n_discrete), 2):
        value = _cramers_v(codes[:, i], codes[:, j], states[i], states[j])
        matrix[n_numeric + i, n_numeric + j] = matrix[n_numeric + j, n_numeric + i] = value
    for i in range(n_numeric):
        for j in range(n_discrete):
            value = _correlation_ratio(numeric[:, i], codes[:, j], states[j])
            matrix[i, n_numeric + j] = matrix[n_numeric + j, i] = value
    return matrix


def _cramers_v(a, b, a_states, b_states):
    """Cramer's V of two code vectors, from their contingency table (one ``bincount``)."""
    table = np.bincount(a * b_states + b, minlength=a_states * b_states)
    table = table.reshape(a_states, b_states).astype(float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return 0.0
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / n / (min(table.shape) - 1)))


def _correlation_ratio(values, codes, n_states):
    """Correlation ratio: the share of the numbers' spread explained by the categories."""
    present = ~np.isnan(values)
    values, codes = values[present], codes[present]
    if not len(values):
        return 0.0
    counts = np.bincount(codes, minlength=n_states)
    means = np.bincount(codes, weights=values, minlength=n_states) / np.maximum(counts, 1)
    deviations = values - values.mean()
    total = deviations @ deviations
    if total <= 0:
        return 0.0
    between = counts @ (means - values.mean()) ** 2
    return float(np.sqrt(min(between / total, 1.0)))


def pair_table(pair, matrices=None):
    """One row per pair of compared columns: the association in each table and its error.

    Parameters
    ----------
    pair : TablePair
    matrices : dict of str to DataFrame, default=None
        :func:`association_matrices` of ``pair``, if already computed.

    Returns
    -------
    DataFrame
        Columns ``column_1``, ``column_2``, ``association`` (``"pearson"``, ``"cramers_v"`` or
        ``"correlation_ratio"``), ``real``, ``synthetic`` and ``abs_difference``.
    """
    matrices = association_matrices(pair) if matrices is None else matrices
    real, synthetic = matrices["real"], matrices["synthetic"]
    numeric = set(pair.numeric_columns)
    rows = []
    for first, second in combinations(real.columns, 2):
        kinds = (first in numeric) + (second in numeric)
        rows.append({
            "column_1": first,
            "column_2": second,
            "association": ("cramers_v", "correlation_ratio", "pearson")[kinds],
            "real": real.loc[first, second],
            "synthetic": synthetic.loc[first, second],
        })
    table = pd.DataFrame(rows, columns=["column_1", "column_2", "association", "real",
                                        "synthetic"])
    table["abs_difference"] = (table["real"] - table["synthetic"]).abs()
    return table


def pair_fidelity(real, synthetic, *, metadata=None):
    """Compare the association of every pair of columns in the real and the synthetic table.

    See :func:`association_matrix` for the association of each pair of kinds.

    Parameters
    ----------
    real : DataFrame
        The real table.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.

    Returns
    -------
    DataFrame
        One row per pair, with columns ``column_1``, ``column_2``, ``association``, ``real``,
        ``synthetic`` and ``abs_difference``.
    """
    return pair_table(TablePair(real, synthetic, metadata=metadata))


def association_error(real, synthetic, *, metadata=None):
    """Mean absolute difference between the real and synthetic association of each pair.

    Parameters
    ----------
    real : DataFrame
        The real table.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.

    Returns
    -------
    float
        In [0, 2] (at most 1 when no pair is two numeric columns), lower is better; NaN for a
        table with fewer than two compared columns.
    """
    return association_scores(TablePair(real, synthetic, metadata=metadata))["association_error"]


def correlation_distance(real, synthetic, *, metadata=None):
    """L2 (Frobenius) distance between the real and synthetic association matrices.

    Parameters
    ----------
    real : DataFrame
        The real table.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.

    Returns
    -------
    float
        At least 0 and growing with the number of columns, lower is better.
    """
    return association_scores(
        TablePair(real, synthetic, metadata=metadata)
    )["correlation_distance"]


def association_scores(pair, matrices=None):
    """``association_error`` and ``correlation_distance`` of a :class:`TablePair`."""
    matrices = association_matrices(pair) if matrices is None else matrices
    difference = (matrices["real"] - matrices["synthetic"]).to_numpy()
    upper = np.triu_indices(len(difference), k=1)
    error = float(np.abs(difference[upper]).mean()) if len(upper[0]) else np.nan
    return {"association_error": error,
            "correlation_distance": float(np.linalg.norm(difference))}
