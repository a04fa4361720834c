"""Detection: how well a classifier tells real rows from synthetic ones, overall and per row."""

from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

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
    values natively. The out-of-fold predictions are those of :func:`realism_samples`.

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
    """:func:`detection_auc` of a :class:`TablePair`: the mean over the folds of the ROC AUC
    of the out-of-fold predictions."""
    predictions = out_of_fold_predictions(pair, DETECTION_FOLDS, "detection")
    return float(np.mean([
        roc_auc_score(predictions.y[test], predictions.proba[test])
        for _, test in predictions.folds
    ]))


def realism_samples(real, synthetic, *, metadata=None, n_splits=DETECTION_FOLDS,
                    random_state=0):
    """Out-of-fold probability, for each synthetic row, that it is a real row.

    The discriminator of :func:`detection_auc` (a ``HistGradientBoostingClassifier`` on as
    many rows of each table, at most ``DETECTION_MAX_ROWS``, identical rows kept in one fold)
    is fitted ``n_splits`` times, each time without one fold, and each synthetic row is
    scored by the model that did not see it. Synthetic rows left out of the discriminator's
    subsample (when the synthetic table is the larger one) are scored by the model of the
    fold that holds their identical rows, or else by the model of a fold drawn at random
    (one draw per distinct row): in every case by a model that never saw the row, and
    identical rows get one probability. With the default ``n_splits`` and the same
    ``random_state``, the ROC AUC of these predictions on each fold of the subsample,
    averaged, is :func:`detection_auc`.

    Parameters
    ----------
    real : DataFrame
        The real table.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from ``real`` when None.
    n_splits : int, default=DETECTION_FOLDS
        Number of folds, at least 2; each table needs at least as many rows.
    random_state : int, RandomState instance or None, default=0
        Seed of the subsample, the folds and the classifier.

    Returns
    -------
    ndarray of shape (n_synthetic_rows,)
        Probability that each synthetic row is real, in the synthetic table's row order:
        near 0 for rows the discriminator recognizes as synthetic, about 0.5 for rows it
        cannot tell from real ones, above 0.5 for rows that look more real than synthetic.

    Raises
    ------
    ValueError
        If the columns of the tables differ (the error names them), ``n_splits`` is not an
        integer >= 2, or a table has fewer than ``n_splits`` rows.

    See Also
    --------
    detection_auc : The aggregate of the same discriminator.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skltab.metrics import realism_samples
    >>> rng = np.random.RandomState(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=200)})
    >>> synthetic = pd.DataFrame({"x": np.r_[rng.normal(size=100), rng.normal(5, 1, 100)]})
    >>> realism = realism_samples(real, synthetic)
    >>> realism.shape
    (200,)
    >>> bool(realism[:100].mean() > realism[100:].mean())
    True
    """
    if isinstance(n_splits, bool) or not isinstance(n_splits, Integral) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2; got {n_splits!r}.")
    pair = TablePair(real, synthetic, metadata=metadata, random_state=random_state)
    return realism_from_pair(pair, n_splits)


def realism_from_pair(pair, n_splits=DETECTION_FOLDS):
    """:func:`realism_samples` of a :class:`TablePair`."""
    predictions = out_of_fold_predictions(pair, n_splits, "realism")
    rows = pair.space.transform_for_trees(pair.encoded("synthetic"))
    fold_of_row = _synthetic_folds(pair, predictions, rows)
    proba_synthetic = np.empty(len(rows))
    for fold, model in enumerate(predictions.models):
        scored = fold_of_row == fold
        if scored.any():
            proba_synthetic[scored] = model.predict_proba(rows[scored])[:, 1]
    return 1.0 - proba_synthetic


class OutOfFold(NamedTuple):
    """The discriminator's cross-validation on a balanced subsample of the two tables."""

    #: Features of the subsample: the real rows, then as many synthetic rows.
    X: np.ndarray
    #: 0 for a real row, 1 for a synthetic row.
    y: np.ndarray
    #: Train and test indices of each fold.
    folds: list
    #: The model fitted on each fold's train rows.
    models: list
    #: Out-of-fold probability that each row of ``X`` is synthetic.
    proba: np.ndarray
    #: Position in the synthetic table of each synthetic row of ``X``.
    synthetic_rows: np.ndarray


def out_of_fold_predictions(pair, n_splits, purpose):
    """Fit the discriminator on each fold of a balanced subsample and predict the held-out
    fold; ``purpose`` names the computation in the pair's notes."""
    n_rows = min(len(pair.tables["real"]), len(pair.tables["synthetic"]), DETECTION_MAX_ROWS)
    if n_rows < n_splits:
        raise ValueError(f"{purpose.capitalize()} with {n_splits} folds needs at least "
                         f"{n_splits} rows in each table; got {n_rows}.")
    space = pair.space
    chosen = {name: pair.subsample(name, n_rows, purpose) for name in ("real", "synthetic")}
    X = np.vstack([space.transform_for_trees(pair.encoded(name))[rows]
                   for name, rows in chosen.items()])
    y = np.repeat([0, 1], n_rows)
    classifier = discriminator(space.categorical_mask_, pair.seed)
    folds = _folds(pair, X, y, n_splits, purpose)
    models = [clone(classifier).fit(X[train], y[train]) for train, _ in folds]
    proba = np.empty(len(X))
    for model, (_, test) in zip(models, folds):
        proba[test] = model.predict_proba(X[test])[:, 1]
    return OutOfFold(X, y, folds, models, proba, chosen["synthetic"])


def discriminator(categorical_mask, seed):
    """The unfitted classifier of real rows against synthetic rows: gradient boosting on the
    features of :meth:`FeatureSpace.transform_for_trees`, whose ``categorical_mask``
    declares the categorical columns."""
    return HistGradientBoostingClassifier(categorical_features=categorical_mask,
                                          random_state=seed)


def _folds(pair, X, y, n_splits, purpose):
    """Train and test indices of the folds, identical rows of ``X`` in one fold when every
    fold can still hold rows of both tables."""
    grouped = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=pair.seed)
    groups = row_hashes(X)
    if len(np.unique(groups)) >= n_splits:
        folds = list(grouped.split(X, y, groups))
        if all(len(np.unique(y[rows])) == 2 for fold in folds for rows in fold):
            return folds
    note = (f"{purpose}: identical rows could not be kept in one fold (too many repeats of one "
            "row); the folds are plain stratified folds.")
    if note not in pair.notes:
        pair.notes.append(note)
    plain = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=pair.seed)
    return list(plain.split(X, y))


def _synthetic_folds(pair, predictions, rows):
    """The fold whose model scores each synthetic row of ``rows``: its own fold for a row of
    the subsample, else the fold of an identical row of the subsample, else a fold drawn
    for each distinct row."""
    fold_of_sample = np.empty(len(predictions.X), dtype=np.int64)
    for fold, (_, test) in enumerate(predictions.folds):
        fold_of_sample[test] = fold
    hashes = row_hashes(rows)
    distinct, inverse = np.unique(hashes, return_inverse=True)
    drawn = np.random.RandomState(pair.seed).randint(len(predictions.folds), size=len(distinct))
    fold_of_row = drawn[inverse]
    sampled, first = np.unique(row_hashes(predictions.X), return_index=True)
    twin = np.isin(hashes, sampled)
    fold_of_row[twin] = fold_of_sample[first[np.searchsorted(sampled, hashes[twin])]]
    n_real = len(predictions.X) - len(predictions.synthetic_rows)
    fold_of_row[predictions.synthetic_rows] = fold_of_sample[n_real:]
    return fold_of_row
