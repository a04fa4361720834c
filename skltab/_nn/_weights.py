"""Row weights with one meaning over a whole ``fit`` or ``partial_fit`` call."""

import numpy as np
from sklearn.utils.validation import _check_sample_weight


def row_weights(sample_weight, n_rows):
    """The rows that train and their weights, scaled to a mean of 1 over the call.

    A weight counts against the whole call, never against its batch: weight 2 counts like the
    row twice, weight 0 like no row (the row is left out), and multiplying every weight by
    the same factor changes nothing.

    Parameters
    ----------
    sample_weight : array-like of shape (n_rows,) or None
        Non-negative weights; None weighs every row 1.
    n_rows : int
        Rows of the call.

    Returns
    -------
    kept : ndarray of shape (n_kept,)
        Indices of the rows with a positive weight.
    weights : ndarray of shape (n_kept,)
        Their weights, with mean 1.

    Raises
    ------
    ValueError
        If a weight is negative or not finite, the shape does not match, or every weight
        is 0.
    """
    if sample_weight is None:
        return np.arange(n_rows), np.ones(n_rows)
    weights = _check_sample_weight(sample_weight, np.empty((n_rows, 0)),
                                   ensure_non_negative=True)
    weights = np.asarray(weights, dtype=float)
    kept = np.flatnonzero(weights > 0)
    return kept, weights[kept] * (len(kept) / weights[kept].sum())
