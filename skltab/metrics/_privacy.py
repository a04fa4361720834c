"""Privacy: how close synthetic rows come to the training rows, against fresh real rows."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ._data import TablePair
from ._space import NEIGHBORS_MAX_ROWS, nearest_distances


def privacy_scores(real, synthetic, *, train, metadata=None, random_state=0):
    """Distance-based privacy of synthetic rows with respect to the training rows.

    ``real`` is the holdout: real rows the synthesizer never saw. A synthesizer that copies
    its training rows puts synthetic rows closer to them than holdout rows are. Distances are
    Euclidean in the distance space of the shared preprocessing (numbers scaled by the real
    range, categories one-hot, one unit per differing category); tables above
    ``NEIGHBORS_MAX_ROWS`` rows are subsampled with ``random_state``, except for exact copies,
    which are counted on all rows.

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
        - ``exact_copy_rate``: share of synthetic rows equal to a training row in every
          compared column, text included (lower is better);
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
    train, holdout, synthetic = (
        pair.space.transform(pair.encoded(name))[pair.subsample(name, NEIGHBORS_MAX_ROWS,
                                                                "privacy")]
        for name in ("train", "real", "synthetic")
    )
    to_train = nearest_distances(synthetic, train, min(2, len(train)))
    dcr_synthetic = float(np.median(to_train[:, 0]))
    dcr_holdout = float(np.median(nearest_distances(holdout, train, 1)[:, 0]))
    nndr = (float(np.median(_ratio(to_train[:, 0], to_train[:, 1])))
            if len(train) > 1 else np.nan)
    to_synthetic = nearest_distances(np.vstack([train, holdout]), synthetic, 1)[:, 0]
    is_member = np.repeat([True, False], [len(train), len(holdout)])
    return {
        "dcr_synthetic": dcr_synthetic,
        "dcr_holdout": dcr_holdout,
        "dcr_ratio": float(_ratio(np.array([dcr_synthetic]), np.array([dcr_holdout]))[0]),
        "exact_copy_rate": exact_copy_rate(pair),
        "nndr": nndr,
        "membership_inference_auc": float(roc_auc_score(is_member, -to_synthetic)),
    }


def _ratio(numerator, denominator):
    """Elementwise ratio, with 0 / 0 = 1 and x / 0 = NaN for x > 0."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.where(numerator == 0, 1.0, np.nan))


def exact_copy_rate(pair):
    """Share of synthetic rows equal to some training row in every compared column."""
    train = _row_hashes(pair.encoded("train"))
    return float(np.isin(_row_hashes(pair.encoded("synthetic")), train).mean())


def _row_hashes(encoded):
    """One 64-bit hash per encoded row; equal rows (missing values included) hash equal."""
    numeric = np.where(np.isnan(encoded.numeric), np.inf, encoded.numeric) + 0.0
    frame = pd.DataFrame(np.hstack([numeric, encoded.discrete.astype(float)]))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()
