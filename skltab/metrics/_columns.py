"""Fidelity of each column's marginal distribution, real against synthetic."""

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.special import kl_div

from ..metadata._grain import on_grain
from ._data import TablePair

#: Equal-width bins over the real range in which numeric columns are counted for inverse KL.
INVERSE_KL_BINS = 10
#: Probability that replaces an empty bin in inverse KL, as synthcity does.
_KL_FLOOR = 1e-11
_WORST = {"wasserstein": 1.0, "ks_statistic": 1.0, "jensen_shannon": 1.0,
          "total_variation": 1.0, "inverse_kl": 0.0}
#: Columns of :func:`column_fidelity`, after ``kind``.
SCORE_COLUMNS = ["wasserstein", "ks_statistic", "jensen_shannon", "total_variation",
                 "inverse_kl", "missing_rate_difference", "missing_rate_real",
                 "missing_rate_synthetic", "invented_rate"]


def column_fidelity(real, synthetic, *, metadata=None):
    """Compare each column's distribution in the real and the synthetic table.

    Distributions are compared on present values; missing values are compared by their rate.
    Numeric and datetime columns get the Wasserstein-1 distance divided by the real range, the
    Kolmogorov-Smirnov statistic and inverse KL; discrete numeric columns (whose metadata
    records ``values`` or a ``step``) also the share of present synthetic values that are
    neither (``invented_rate``, see :func:`invented_values`); categorical and boolean columns
    get the Jensen-Shannon distance (base 2), the total variation distance and inverse KL; text
    columns only the missing-rate difference; ID columns nothing. A synthetic column with no present
    value gets the worst value of each distance (1, and 0 for inverse KL).

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
        One row per compared column, indexed by column name, with columns ``kind``,
        ``wasserstein``, ``ks_statistic``, ``jensen_shannon``, ``total_variation``,
        ``inverse_kl``, ``missing_rate_difference``, ``missing_rate_real``,
        ``missing_rate_synthetic`` and ``invented_rate``; NaN where a score does not apply to
        the kind.

    Raises
    ------
    ValueError
        If the tables do not have the same columns, or a synthetic column cannot be read as
        its real kind.
    """
    return column_table(TablePair(real, synthetic, metadata=metadata))


def column_table(pair, invented=None):
    """Return :func:`column_fidelity`'s table for a :class:`TablePair` (``invented``: its
    :func:`invented_values`, computed when None)."""
    encoder = pair.encoder
    real, synthetic = pair.encoded("real"), pair.encoded("synthetic")
    rows = {}
    if invented is None:
        invented = invented_values(pair)
    for j, name in enumerate(encoder.numeric_columns_):
        rows[name] = _numeric_scores(real.numeric[:, j], synthetic.numeric[:, j])
        if name in invented:
            present = ~np.isnan(synthetic.numeric[:, j])
            rows[name]["invented_rate"] = (float(invented[name][present].mean())
                                           if present.any() else 0.0)
    for j, name in enumerate(encoder.discrete_columns_):
        missing_code = len(encoder.categories_[name])
        real_codes, synthetic_codes = real.discrete[:, j], synthetic.discrete[:, j]
        scores = _missing_rates(real_codes == missing_code, synthetic_codes == missing_code)
        if pair.metadata[name].kind != "text":
            scores.update(_categorical_scores(real_codes, synthetic_codes, missing_code))
        rows[name] = scores
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(
        index=encoder.columns_, columns=SCORE_COLUMNS
    )
    table.insert(0, "kind", [pair.metadata[name].kind for name in table.index])
    table.index.name = "column"
    return table


def invented_values(pair):
    """Where the synthetic table holds numbers that its discrete numeric columns never take.

    A continuous or integer column whose metadata records ``values`` (a discount in {0, 5,
    10, 15}) or a ``step`` (amounts rounded to 100) takes only those numbers; any other
    present value is invented. Columns without either are not checked.

    Parameters
    ----------
    pair : TablePair

    Returns
    -------
    dict of str to ndarray of bool
        For each checked column, whether each synthetic row's value is invented.
    """
    synthetic = pair.tables["synthetic"]
    invented = {}
    for column in pair.metadata:
        if column.name in pair.encoder.columns_ and (column.values is not None
                                                     or column.step is not None):
            numbers = pd.to_numeric(synthetic[column.name], errors="coerce")
            invented[column.name] = ~on_grain(numbers.to_numpy(dtype=float), column)
    return invented


def invented_value_rate(invented):
    """Share of synthetic rows with at least one invented number, from
    :func:`invented_values`; 0 when no column is discrete."""
    if not invented:
        return 0.0
    return float(np.any(np.column_stack(list(invented.values())), axis=1).mean())


def _missing_rates(real_missing, synthetic_missing):
    real_rate, synthetic_rate = float(real_missing.mean()), float(synthetic_missing.mean())
    return {"missing_rate_real": real_rate, "missing_rate_synthetic": synthetic_rate,
            "missing_rate_difference": abs(real_rate - synthetic_rate)}


def _numeric_scores(real, synthetic):
    scores = _missing_rates(np.isnan(real), np.isnan(synthetic))
    real, synthetic = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
    names = ("wasserstein", "ks_statistic", "inverse_kl")
    if len(synthetic) == 0:
        return {**scores, **{name: _WORST[name] for name in names}}
    low, high = real.min(), real.max()
    span = high - low if high > low else 1.0
    wasserstein, ks_statistic = cdf_distances(real, synthetic)
    edges = np.linspace(low, low + span, INVERSE_KL_BINS + 1)
    real_counts = np.histogram(real, bins=edges)[0]
    synthetic_counts = np.histogram(np.clip(synthetic, low, high), bins=edges)[0]
    return {**scores, "wasserstein": wasserstein / span, "ks_statistic": ks_statistic,
            "inverse_kl": _inverse_kl(real_counts, synthetic_counts)}


def cdf_distances(u, v):
    """Wasserstein-1 distance and Kolmogorov-Smirnov statistic of two samples, in one pass.

    Both compare the empirical distribution functions ``F`` and ``G``: Wasserstein-1 is the
    area between them, the KS statistic their largest gap.

    Parameters
    ----------
    u, v : ndarray of shape (n,) and (m,)
        Two non-empty samples without missing values.

    Returns
    -------
    wasserstein : float
    ks_statistic : float
    """
    u, v = np.sort(u), np.sort(v)
    points = np.sort(np.concatenate([u, v]))
    gap = np.abs(np.searchsorted(u, points[:-1], side="right") / len(u)
                 - np.searchsorted(v, points[:-1], side="right") / len(v))
    return float(np.sum(gap * np.diff(points))), float(gap.max())


def _categorical_scores(real, synthetic, missing_code):
    n_states = missing_code + 2
    real, synthetic = real[real != missing_code], synthetic[synthetic != missing_code]
    if len(synthetic) == 0:
        return {name: _WORST[name] for name in ("jensen_shannon", "total_variation",
                                                "inverse_kl")}
    real_counts = np.bincount(real, minlength=n_states)
    synthetic_counts = np.bincount(synthetic, minlength=n_states)
    p, q = real_counts / real_counts.sum(), synthetic_counts / synthetic_counts.sum()
    return {"jensen_shannon": float(jensenshannon(p, q, base=2)),
            "total_variation": float(0.5 * np.abs(p - q).sum()),
            "inverse_kl": _inverse_kl(real_counts, synthetic_counts)}


def _inverse_kl(real_counts, synthetic_counts):
    """``1 / (1 + KL(real || synthetic))`` of two histograms, empty bins floored as synthcity."""
    p = np.maximum(real_counts / real_counts.sum(), _KL_FLOOR)
    q = np.maximum(synthetic_counts / synthetic_counts.sum(), _KL_FLOOR)
    return float(1.0 / (1.0 + kl_div(p, q).sum()))


def _column_mean(score, real, synthetic, metadata):
    return float(column_fidelity(real, synthetic, metadata=metadata)[score].mean())


def wasserstein_distance(real, synthetic, *, metadata=None):
    """Mean Wasserstein-1 distance of the numeric columns, each divided by its real range.

    0 means the same distribution; 1 means, for instance, every value moved by the whole real
    range. Datetime columns count as numbers; missing values are left out.

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
        Lower is better; NaN if the table has no numeric column.
    """
    return _column_mean("wasserstein", real, synthetic, metadata)


def ks_statistic(real, synthetic, *, metadata=None):
    """Mean Kolmogorov-Smirnov statistic of the numeric columns.

    The largest gap between the real and the synthetic empirical distribution functions, in
    [0, 1]; SDMetrics' KSComplement is one minus it.

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
        Lower is better; NaN if the table has no numeric column.
    """
    return _column_mean("ks_statistic", real, synthetic, metadata)


def jensen_shannon_distance(real, synthetic, *, metadata=None):
    """Mean Jensen-Shannon distance (base 2) of the categorical and boolean columns.

    The square root of the Jensen-Shannon divergence between the category frequencies, in
    [0, 1]. Missing values are left out.

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
        Lower is better; NaN if the table has no categorical column.
    """
    return _column_mean("jensen_shannon", real, synthetic, metadata)


def total_variation_distance(real, synthetic, *, metadata=None):
    """Mean total variation distance of the categorical and boolean columns.

    Half the sum of absolute differences between the category frequencies, in [0, 1];
    SDMetrics' TVComplement is one minus it. Missing values are left out.

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
        Lower is better; NaN if the table has no categorical column.
    """
    return _column_mean("total_variation", real, synthetic, metadata)


def missing_rate_difference(real, synthetic, *, metadata=None):
    """Mean absolute difference between the real and synthetic missing rates of each column.

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
        In [0, 1], lower is better.
    """
    return _column_mean("missing_rate_difference", real, synthetic, metadata)


def inverse_kl_divergence(real, synthetic, *, metadata=None):
    """Mean inverse KL divergence of the columns, as synthcity defines it.

    Per column, ``1 / (1 + KL(real || synthetic))`` between the category frequencies, or the
    counts in 10 equal-width bins over the real range for numeric columns (synthetic values
    beyond it count in the edge bins). Empty bins get probability 1e-11.

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
        In (0, 1], greater is better; 1 means the same frequencies.
    """
    return _column_mean("inverse_kl", real, synthetic, metadata)
