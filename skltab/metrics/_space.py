"""The one preprocessing of the metrics that compare whole rows (diversity, privacy, detection,
utility): numbers scaled by the real range, categories one-hot, missing values as indicators."""

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

#: Most one-hot columns a categorical column gets in distance space; rarer categories share one.
MAX_ONE_HOT = 50
#: Most categories a tree model sees per column (HistGradientBoosting's limit); rarer ones share.
MAX_TREE_CATEGORIES = 255
#: Rows per table above which the nearest-neighbour metrics (diversity and privacy) use a
#: subsample.
NEIGHBORS_MAX_ROWS = 10_000
#: Distances below this are round-off of the distance computation: the rows are equal.
DISTANCE_TOLERANCE = 1e-6
#: One-hot value, so that two different categories are at distance 1, like the two ends of a
#: numeric column's real range.
_ONE_HOT = np.sqrt(0.5)


class FeatureSpace:
    """Map encoded tables to feature matrices with one shared preprocessing.

    In distance space (:meth:`transform`), each numeric column is scaled to [0, 1] by the real
    range, a missing value becomes 0 plus an indicator column, and each categorical column is
    one-hot with entries ``sqrt(1/2)``, so that two rows differing in one category, or in one
    number by its whole real range, are at distance 1. For tree models
    (:meth:`transform_for_trees`), numbers stay as they are (missing as NaN) and categories are
    integer codes, declared by :attr:`categorical_mask_`.

    Parameters
    ----------
    pair : TablePair
        The encoded tables; scales come from the real rows, the states kept from every table.
    columns : list of str, default=None
        Numeric and categorical columns to use; all of them when None.

    Attributes
    ----------
    categorical_mask_ : ndarray of bool
        Which columns of :meth:`transform_for_trees` are categorical.
    """

    def __init__(self, pair, columns=None):
        encoder = pair.encoder
        usable = pair.numeric_columns + pair.categorical_columns
        columns = usable if columns is None else [c for c in usable if c in columns]
        if not columns:
            raise ValueError("There is no numeric or categorical column to compare rows on.")
        self._numeric = [encoder.numeric_columns_.index(c) for c in columns
                         if c in pair.numeric_columns]
        self._discrete = [encoder.discrete_columns_.index(c) for c in columns
                          if c in pair.categorical_columns]
        tables = [pair.encoded(name) for name in pair.tables]
        real = [pair.encoded(name) for name in ("real", "train") if name in pair.tables]
        self._fit_numeric(real, tables)
        self._one_hot, self._tree_codes = [], []
        for j in self._discrete:
            n_states = pair.n_states(encoder.discrete_columns_[j])
            counts = sum(np.bincount(t.discrete[:, j], minlength=n_states) for t in real)
            present = sum(np.bincount(t.discrete[:, j], minlength=n_states) for t in tables) > 0
            self._one_hot.append(_state_map(counts, present, MAX_ONE_HOT))
            self._tree_codes.append(_state_map(counts, present, MAX_TREE_CATEGORIES)[0])
        self.categorical_mask_ = np.array(
            [False] * len(self._numeric) + [True] * len(self._discrete), dtype=bool
        )

    def _fit_numeric(self, real, tables):
        values = np.vstack([t.numeric[:, self._numeric] for t in real])
        self._low = np.nanmin(values, axis=0, initial=np.inf)
        span = np.nanmax(values, axis=0, initial=-np.inf) - self._low
        self._span = np.where(span > 0, span, 1.0)
        self._indicators = np.zeros(len(self._numeric), dtype=bool)
        for table in tables:
            self._indicators |= np.isnan(table.numeric[:, self._numeric]).any(axis=0)

    def transform(self, encoded):
        """Return the rows of ``encoded`` in distance space, as a float array."""
        n_rows = len(encoded.numeric)
        scaled = (encoded.numeric[:, self._numeric] - self._low) / self._span
        missing = np.isnan(scaled)
        blocks = [np.where(missing, 0.0, scaled), missing[:, self._indicators].astype(float)]
        for j, (positions, width) in zip(self._discrete, self._one_hot):
            one_hot = np.zeros((n_rows, width))
            one_hot[np.arange(n_rows), positions[encoded.discrete[:, j]]] = _ONE_HOT
            blocks.append(one_hot)
        return np.hstack(blocks)

    def transform_for_trees(self, encoded):
        """Return the rows of ``encoded`` as numbers and category codes, for tree models."""
        codes = [positions[encoded.discrete[:, j]]
                 for j, positions in zip(self._discrete, self._tree_codes)]
        return np.column_stack([encoded.numeric[:, self._numeric], *codes]).astype(float)


def _state_map(counts, present, limit):
    """Map every code to an output position: the ``limit - 1`` states most frequent in the real
    rows (and any state present) keep one each; the rest share the last one.

    Returns
    -------
    positions : ndarray of int
        Output position of each code.
    width : int
        Number of output positions.
    """
    order = np.lexsort((np.arange(len(counts)), -counts))
    kept = [code for code in order if present[code]]
    positions = np.zeros(len(counts), dtype=np.int64)
    if len(kept) <= limit:
        positions[kept] = np.arange(len(kept))
        return positions, max(len(kept), 1)
    positions[kept[: limit - 1]] = np.arange(limit - 1)
    positions[kept[limit - 1:]] = limit - 1
    return positions, limit


def nearest_distances(query, reference, n_neighbors):
    """Distances from each row of ``query`` to its ``n_neighbors`` nearest rows of
    ``reference``, closest first; round-off below ``DISTANCE_TOLERANCE`` is set to 0, so that
    copies are at distance 0 exactly."""
    model = NearestNeighbors(n_neighbors=n_neighbors).fit(reference)
    distances = model.kneighbors(query, return_distance=True)[0]
    distances[distances < DISTANCE_TOLERANCE] = 0.0
    return distances


def row_hashes(rows):
    """One 64-bit hash per row of the float array ``rows``; equal rows (missing values
    included) hash equal."""
    present = np.where(np.isnan(rows), np.inf, rows) + 0.0  # + 0.0 turns -0.0 into 0.0
    return pd.util.hash_pandas_object(pd.DataFrame(present), index=False).to_numpy()
