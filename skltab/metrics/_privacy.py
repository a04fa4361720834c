"""Privacy: how close synthetic rows come to the training rows, against fresh real rows."""

import numpy as np
from sklearn.metrics import roc_auc_score

from ._data import TablePair
from ._space import NEIGHBORS_MAX_ROWS, nearest_distances, row_hashes

#: Percentile of the held-out rows' distances to the training rows below which a row is
#: too close to a training row.
TOO_CLOSE_PERCENTILE = 5


def privacy_scores(real, synthetic, *, train, metadata=None, random_state=0):
    """Distance-based privacy of synthetic rows with respect to the training rows.

    ``real`` is the holdout: real rows the synthesizer never saw. A synthesizer that copies
    its training rows puts synthetic rows closer to them than holdout rows are. Distances are
    Euclidean in the distance space of the shared preprocessing (numbers scaled by the real
    range, categories one-hot, one unit per differing category); tables above
    ``NEIGHBORS_MAX_ROWS`` rows are subsampled with ``random_state``, except for exact copies,
    which are counted on all rows.

    Each metric of the synthetic rows comes with its reference, the same measure of the
    holdout rows: what a synthesizer that does not copy (one that writes fresh rows of the
    real distribution) would get. ``too_close_rate`` well above ``too_close_reference``, or
    ``exact_copy_rate`` above ``holdout_exact_copy_rate``, means that the synthesizer copies
    its training rows.

    Parameters
    ----------
    real : DataFrame
        Real holdout rows.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    train : DataFrame
        The real rows the synthesizer was fitted on.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the real rows when None.
    random_state : int, RandomState instance or None, default=0
        Seed of the subsample.

    Returns
    -------
    dict of str to float
        - ``dcr_synthetic``: median distance from a synthetic row to its closest training row
          (greater is more private);
        - ``dcr_holdout``: the same for holdout rows, the reference;
        - ``dcr_ratio``: ``dcr_synthetic / dcr_holdout``; about 1 when the synthesizer does not
          copy, below 1 when synthetic rows sit closer to the training rows than new real rows
          (1 when both are 0, NaN when only the holdout's is);
        - ``too_close_rate``: share of synthetic rows whose distance to the closest training
          row is below (strictly) the ``TOO_CLOSE_PERCENTILE`` = 5th percentile of the
          holdout rows' distances to their closest training row (lower is better);
        - ``too_close_reference``: the same share for the holdout rows, each held-out row
          against the 5th percentile of the other holdout rows' distances (leave one out),
          so that no row sets its own threshold; about 0.05, less where distances tie (on
          tables of few distinct rows, where 5 % of the holdout rows or more equal a
          training row, the threshold is 0 and both shares are 0: exact copies then tell);
        - ``exact_copy_rate``: share of synthetic rows equal to a training row in every
          compared column, text included (lower is better);
        - ``holdout_exact_copy_rate``: the same share for the holdout rows, the natural rate
          of a table whose rows repeat (0 for a table of distinct rows);
        - ``nndr``: median ratio of the distances from a synthetic row to its closest and
          second-closest training rows, in [0, 1]; near 0, a synthetic row singles out one
          training row (greater is better);
        - ``membership_inference_auc``: ROC AUC of an attack that calls a row a training
          member when a synthetic row lies close to it, over training and holdout rows; 0.5
          means the attack learns nothing (lower is better).
    """
    if train is None:
        raise ValueError("privacy_scores needs train, the rows the synthesizer was fitted on.")
    pair = TablePair(real, synthetic, train=train, metadata=metadata, random_state=random_state)
    return privacy_from_pair(pair)


def privacy_from_pair(pair):
    """:func:`privacy_scores` of a :class:`TablePair` that holds a ``train`` table."""
    to_train = closest_distances(pair, "synthetic", "train", n_neighbors=2)
    holdout_to_train = closest_distances(pair, "real", "train")[:, 0]
    nndr = (float(np.median(_ratio(to_train[:, 0], to_train[:, 1])))
            if to_train.shape[1] > 1 else np.nan)
    members, others = (closest_distances(pair, name, "synthetic")[:, 0]
                       for name in ("train", "real"))
    is_member = np.repeat([True, False], [len(members), len(others)])
    return {
        **_dcr_scores(to_train[:, 0], holdout_to_train),
        "too_close_rate": float(np.mean(
            to_train[:, 0] < np.percentile(holdout_to_train, TOO_CLOSE_PERCENTILE))),
        "too_close_reference": _leave_one_out_too_close(holdout_to_train),
        **exact_copy_rates(pair),
        "nndr": nndr,
        "membership_inference_auc": float(roc_auc_score(is_member,
                                                        -np.concatenate([members, others]))),
    }


def dcr_ratio_from_pair(pair):
    """The ``dcr_ratio`` of :func:`privacy_scores` of a :class:`TablePair` with a ``train``
    table, alone: two of its four nearest-neighbour searches."""
    return _dcr_scores(closest_distances(pair, "synthetic", "train")[:, 0],
                       closest_distances(pair, "real", "train")[:, 0])["dcr_ratio"]


def _dcr_scores(synthetic_to_train, holdout_to_train):
    """``dcr_synthetic``, ``dcr_holdout`` and ``dcr_ratio`` of the distances of synthetic and
    holdout rows to their closest training rows."""
    dcr_synthetic = float(np.median(synthetic_to_train))
    dcr_holdout = float(np.median(holdout_to_train))
    return {"dcr_synthetic": dcr_synthetic, "dcr_holdout": dcr_holdout,
            "dcr_ratio": float(_ratio(np.array([dcr_synthetic]), np.array([dcr_holdout]))[0])}


def closest_real_distance(real, synthetic, *, metadata=None):
    """Distance from each synthetic row to its closest real row.

    Distances are Euclidean in the distance space of the privacy and diversity metrics:
    numbers scaled to [0, 1] by the real range (a missing number is 0 plus an indicator
    column), categories one-hot with entries ``sqrt(1/2)``, so that two rows that differ in
    one category, or in one number by its whole real range, are at distance 1. Every row of
    both tables is compared (no subsample), so the cost grows with the product of the table
    sizes. ``dcr_synthetic`` of :func:`privacy_scores` is the median of the same distances
    to the training rows (with numbers scaled by the range of the training and holdout rows
    together).

    Parameters
    ----------
    real : DataFrame
        The real rows to measure against, such as the rows a synthesizer was fitted on.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.

    Returns
    -------
    ndarray of shape (n_synthetic_rows,)
        Distance of each synthetic row, in the synthetic table's row order, at least 0: 0 for
        a copy of a real row (in the compared columns; text and ID columns are not
        compared), 1 for a row one category or one real range away from every real row.

    Raises
    ------
    ValueError
        If the columns of the tables differ (the error names them), or no column is numeric
        or categorical.

    See Also
    --------
    privacy_scores : Aggregates of the distances to the training rows, against a holdout.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.metrics import closest_real_distance
    >>> real = pd.DataFrame({"x": [0.0, 5.0, 10.0], "color": ["red", "blue", "red"]})
    >>> synthetic = pd.DataFrame({"x": [5.0, 1.0, 10.0], "color": ["blue", "red", "blue"]})
    >>> closest_real_distance(real, synthetic).round(3).tolist()
    [0.0, 0.1, 0.5]
    """
    pair = TablePair(real, synthetic, metadata=metadata)
    return closest_distances(pair, "synthetic", "real", max_rows=None)[:, 0]


def closest_distances(pair, query, reference, *, n_neighbors=1, max_rows=NEIGHBORS_MAX_ROWS):
    """Distances from each row of the table ``query`` to its ``n_neighbors`` closest rows of
    the table ``reference`` (as many as it has, if fewer), closest first, in distance space;
    each table subsampled to ``max_rows`` rows, every row when None."""
    rows = {}
    for name in (query, reference):
        features = pair.space.transform(pair.encoded(name))
        rows[name] = (features if max_rows is None
                      else features[pair.subsample(name, max_rows, "privacy")])
    return nearest_distances(rows[query], rows[reference],
                             min(n_neighbors, len(rows[reference])))


def _ratio(numerator, denominator):
    """Elementwise ratio, with 0 / 0 = 1 and x / 0 = NaN for x > 0."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.where(numerator == 0, 1.0, np.nan))


def _leave_one_out_too_close(distances):
    """Share of ``distances`` below the ``TOO_CLOSE_PERCENTILE``-th percentile of the others.

    ``np.percentile`` of the ``n - 1`` other values interpolates between the values of ranks
    ``low`` and ``low + 1`` among them; leaving out the value of rank ``r`` shifts the ranks
    from ``r`` on by one, so every threshold comes from the sorted values at once.
    """
    n_rows = len(distances)
    if n_rows < 2:
        return np.nan
    ordered = np.sort(distances)
    position = TOO_CLOSE_PERCENTILE / 100 * (n_rows - 2)
    low, fraction = int(position), position - int(position)
    left_out = np.arange(n_rows)

    def others(rank):
        return ordered[np.where(rank < left_out, rank, np.minimum(rank + 1, n_rows - 1))]

    thresholds = others(low) + fraction * (others(low + 1) - others(low))
    return float(np.mean(ordered < thresholds))


def exact_copy_rates(pair):
    """``exact_copy_rate`` and ``holdout_exact_copy_rate``: shares of the synthetic and of
    the holdout rows equal to some training row in every compared column."""
    train = _row_hashes(pair.encoded("train"))
    return {f"{prefix}exact_copy_rate": float(np.isin(_row_hashes(pair.encoded(table)),
                                                      train).mean())
            for prefix, table in (("", "synthetic"), ("holdout_", "real"))}


def _row_hashes(encoded):
    """One hash per encoded row, over every compared column."""
    return row_hashes(np.hstack([encoded.numeric, encoded.discrete.astype(float)]))
