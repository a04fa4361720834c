"""Detection: how well a classifier tells real rows from synthetic ones."""

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score

from ._data import TablePair
from ._space import row_hashes

#: Rows per table above which the discriminator trains on a subsample.
DETECTION_MAX_ROWS = 10_000
#: Cross-validation folds of the discriminator.
DETECTION_FOLDS = 3


def detection_auc(real, synthetic, *, metadata=None, random_state=0):
    """Cross-validated ROC AUC of a classifier that tells real rows from synthetic rows.

    A gradient-boosting classifier (scikit-learn's ``HistGradientBoostingClassifier``) learns
    to separate the two tables, as many rows of each (at most ``DETECTION_MAX_ROWS``, drawn
    with ``random_state``), and is scored by ``DETECTION_FOLDS``-fold stratified
    cross-validation. Numbers enter as they are, categories as categorical features, missing
    values natively.

    Identical rows, real or synthetic, are kept in one fold (scikit-learn's
    ``StratifiedGroupKFold``, one group per distinct row). Otherwise a synthetic row that copies
    a real row would be learnt as "real" in one fold and tested as "synthetic" in another, and a
    synthesizer that copies would score below 0.5. When one group of identical rows is too
    large for every fold to hold both tables (a synthetic table that repeats one row), the folds
    are plain stratified ones, and the pair's notes say so.

    Parameters
    ----------
    real : DataFrame
        The real table.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.
    random_state : int, RandomState instance or None, default=0
        Seed of the subsample, the folds and the classifier.

    Returns
    -------
    float
        Mean ROC AUC over the folds, lower is better: 0.5 means indistinguishable, 1 means the
        synthetic rows are always recognized. Clearly below 0.5 (under 0.45) is not better: it
        is a sign of copying, which the privacy metrics (:func:`privacy_scores`) measure.
    """
    pair = TablePair(real, synthetic, metadata=metadata, random_state=random_state)
    return detection_score(pair)


def detection_score(pair):
    """:func:`detection_auc` of a :class:`TablePair`."""
    n_rows = min(len(pair.tables["real"]), len(pair.tables["synthetic"]), DETECTION_MAX_ROWS)
    if n_rows < DETECTION_FOLDS:
        raise ValueError(f"Detection needs at least {DETECTION_FOLDS} rows in each table; got "
                         f"{n_rows}.")
    space = pair.space
    blocks = [space.transform_for_trees(pair.encoded(name))[pair.subsample(name, n_rows,
                                                                           "detection")]
              for name in ("real", "synthetic")]
    X = np.vstack(blocks)
    y = np.repeat([0, 1], n_rows)
    classifier = HistGradientBoostingClassifier(
        categorical_features=space.categorical_mask_, random_state=pair.seed
    )
    folds = _folds(pair, X, y)
    return float(cross_val_score(classifier, X, y, cv=folds, scoring="roc_auc").mean())


def _folds(pair, X, y):
    """Train and test indices of the folds, identical rows of ``X`` in one fold when every
    fold can still hold rows of both tables."""
    grouped = StratifiedGroupKFold(n_splits=DETECTION_FOLDS, shuffle=True, random_state=pair.seed)
    groups = row_hashes(X)
    if len(np.unique(groups)) >= DETECTION_FOLDS:
        folds = list(grouped.split(X, y, groups))
        if all(len(np.unique(y[rows])) == 2 for fold in folds for rows in fold):
            return folds
    note = ("detection: identical rows could not be kept in one fold (too many repeats of one "
            "row); the folds are plain stratified folds.")
    if note not in pair.notes:
        pair.notes.append(note)
    plain = StratifiedKFold(n_splits=DETECTION_FOLDS, shuffle=True, random_state=pair.seed)
    return list(plain.split(X, y))
