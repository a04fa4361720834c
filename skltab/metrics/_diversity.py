"""Diversity: precision, recall, density and coverage (Naeem et al., 2020)."""

from numbers import Integral

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import gen_batches

from ._data import TablePair
from ._space import DISTANCE_TOLERANCE, NEIGHBORS_MAX_ROWS, nearest_distances

#: Synthetic rows compared with all real rows at once.
_BATCH_ROWS = 1_000


def diversity_scores(real, synthetic, *, metadata=None, n_neighbors=5, random_state=0):
    """Precision, recall, density and coverage of the synthetic rows (Naeem et al., 2020).

    Around each real row is a ball reaching its ``n_neighbors``-th nearest real row (and
    likewise around each synthetic row), in the distance space of the shared preprocessing
    (numbers scaled by the real range, categories one-hot). Tables above
    ``NEIGHBORS_MAX_ROWS`` rows are subsampled with ``random_state``.

    - precision: share of synthetic rows inside some real ball (realism);
    - recall: share of real rows inside some synthetic ball (diversity);
    - density: mean number of real balls holding a synthetic row, over ``n_neighbors``
      (about 1 when the synthetic rows follow the real density, above 1 when they crowd where
      real rows are dense);
    - coverage: share of real balls holding at least one synthetic row.

    A row on a ball's boundary counts as inside, so that copies of a repeated real row count.

    Parameters
    ----------
    real : DataFrame
        The real table.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.
    n_neighbors : int, default=5
        Rank of the neighbour that sets each ball's radius.
    random_state : int, RandomState instance or None, default=0
        Seed of the subsample.

    Returns
    -------
    dict of str to float
        ``precision``, ``recall`` and ``coverage`` in [0, 1], ``density`` at least 0; greater
        is better for all four.
    """
    pair = TablePair(real, synthetic, metadata=metadata, random_state=random_state)
    return diversity_from_pair(pair, n_neighbors=n_neighbors)


def diversity_from_pair(pair, n_neighbors=5):
    """:func:`diversity_scores` of a :class:`TablePair`."""
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, Integral) or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be an integer >= 1; got {n_neighbors!r}.")
    real, synthetic = (
        pair.space.transform(pair.encoded(name))[pair.subsample(name, NEIGHBORS_MAX_ROWS,
                                                                "diversity")]
        for name in ("real", "synthetic")
    )
    if min(len(real), len(synthetic)) <= n_neighbors:
        raise ValueError(f"Diversity with n_neighbors={n_neighbors} needs more than "
                         f"{n_neighbors} rows in each table.")
    real_radii = nearest_distances(real, real, n_neighbors + 1)[:, -1] + DISTANCE_TOLERANCE
    synthetic_radii = (nearest_distances(synthetic, synthetic, n_neighbors + 1)[:, -1]
                       + DISTANCE_TOLERANCE)
    balls_holding = np.empty(len(synthetic))
    recalled = np.zeros(len(real), dtype=bool)
    nearest = np.full(len(real), np.inf)
    for batch in gen_batches(len(synthetic), _BATCH_ROWS):
        distances = euclidean_distances(synthetic[batch], real)
        balls_holding[batch] = (distances <= real_radii).sum(axis=1)
        recalled |= (distances <= synthetic_radii[batch, None]).any(axis=0)
        nearest = np.minimum(nearest, distances.min(axis=0))
    return {
        "precision": float((balls_holding > 0).mean()),
        "recall": float(recalled.mean()),
        "density": float(balls_holding.mean() / n_neighbors),
        "coverage": float((nearest <= real_radii).mean()),
    }
