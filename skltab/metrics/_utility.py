"""Utility: train a model on synthetic rows, test it on real ones (TSTR), against real (TRTR)."""

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from ._data import CATEGORICAL_KINDS, TablePair
from ._space import FeatureSpace

#: Rows above which a utility model trains on a subsample.
UTILITY_MAX_ROWS = 50_000
TASKS = ("classification", "regression")


def utility_scores(real_test, synthetic, *, target, train=None, task=None, metadata=None,
                   random_state=0):
    """Machine-learning utility: train on synthetic, test on real (TSTR), against real (TRTR).

    A gradient-boosting model (scikit-learn's ``HistGradientBoostingClassifier`` or
    ``HistGradientBoostingRegressor``, default settings, seeded) learns ``target`` from the
    other columns of ``synthetic`` and is tested on ``real_test``. With ``train``, the same
    model trained on the real training rows gives the reference (TRTR) and ``utility_ratio``
    their ratio. Rows missing the target are left out; a training table above
    ``UTILITY_MAX_ROWS`` rows is subsampled with ``random_state``.

    Parameters
    ----------
    real_test : DataFrame
        Real rows the synthesizer never saw.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    target : str
        Column to predict.
    train : DataFrame, default=None
        The real rows the synthesizer was fitted on, for the TRTR reference.
    task : {"classification", "regression"}, default=None
        Inferred from the target's kind when None: categorical and boolean columns are
        classified, numeric ones regressed.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the real rows when None.
    random_state : int, RandomState instance or None, default=0
        Seed of the models and of subsampling.

    Returns
    -------
    dict of str to float
        For classification ``tstr_accuracy``, ``tstr_macro_f1`` and ``tstr_roc_auc`` (one
        versus rest, macro-averaged, for more than two classes); for regression ``tstr_r2``
        and ``tstr_rmse``; with ``train`` also the ``trtr_`` scores and ``utility_ratio``
        (TSTR over TRTR macro-F1 or R2; NaN when the TRTR score is not positive). Greater is
        better for all but RMSE.

    Raises
    ------
    ValueError
        If ``target`` is not a compared column, or ``task`` does not fit its kind.
    """
    pair = TablePair(real_test, synthetic, train=train, metadata=metadata,
                     random_state=random_state)
    return utility_from_pair(pair, target, task)


def utility_from_pair(pair, target, task=None):
    """:func:`utility_scores` of a :class:`TablePair`."""
    task = _check_task(pair, target, task)
    space = FeatureSpace(pair, [c for c in pair.encoder.columns_ if c != target])
    X_test, y_test = _rows(pair, space, "real", target)
    scores = {}
    for prefix, name in (("tstr", "synthetic"), ("trtr", "train")):
        if name not in pair.tables:
            continue
        X, y = _rows(pair, space, name, target)
        rows = pair.subsample(name, UTILITY_MAX_ROWS, "utility", total=len(y))
        model = _model(task, y[rows], space.categorical_mask_, pair.seed).fit(X[rows], y[rows])
        scores.update({f"{prefix}_{key}": value
                       for key, value in _scores(task, model, X_test, y_test).items()})
    if "train" in pair.tables:
        key = "macro_f1" if task == "classification" else "r2"
        reference = scores[f"trtr_{key}"]
        scores["utility_ratio"] = scores[f"tstr_{key}"] / reference if reference > 0 else np.nan
    return scores


def _check_task(pair, target, task):
    if target not in pair.encoder.columns_:
        raise ValueError(f"target {target!r} is not a compared column of the table; compared "
                         f"columns are {pair.encoder.columns_}.")
    kind = pair.metadata[target].kind
    if kind == "text":
        raise ValueError(f"target {target!r} is a text column, which utility cannot predict.")
    if task is None:
        return "classification" if kind in CATEGORICAL_KINDS else "regression"
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS} or None; got {task!r}.")
    if task == "regression" and kind in CATEGORICAL_KINDS:
        raise ValueError(f"target {target!r} is {kind}; it cannot be regressed. Use "
                         "task='classification'.")
    return task


def _rows(pair, space, name, target):
    """Features and target of the rows of table ``name`` whose target is present."""
    encoded = pair.encoded(name)
    X = space.transform_for_trees(encoded)
    if target in pair.encoder.numeric_columns_:
        y = encoded.numeric[:, pair.encoder.numeric_columns_.index(target)]
        present = ~np.isnan(y)
    else:
        y = encoded.discrete[:, pair.encoder.discrete_columns_.index(target)]
        present = y != len(pair.encoder.categories_[target])
    return X[present], y[present]


def _model(task, y, categorical_mask, seed):
    if task == "regression":
        return HistGradientBoostingRegressor(categorical_features=categorical_mask,
                                             random_state=seed)
    if len(np.unique(y)) < 2:
        return DummyClassifier(strategy="prior")
    return HistGradientBoostingClassifier(categorical_features=categorical_mask,
                                          random_state=seed)


def _scores(task, model, X, y):
    predicted = model.predict(X)
    if task == "regression":
        return {"r2": float(r2_score(y, predicted)),
                "rmse": float(root_mean_squared_error(y, predicted))}
    classes = np.unique(y)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, labels=classes, average="macro",
                                   zero_division=0)),
        "roc_auc": _roc_auc(y, model.predict_proba(X), model.classes_, classes),
    }


def _roc_auc(y, proba, model_classes, classes):
    """ROC AUC over the test classes; a class the model never saw has probability 0."""
    if len(classes) < 2:
        return np.nan
    scores = np.zeros((len(y), len(classes)))
    for k, label in enumerate(classes):
        column = np.flatnonzero(model_classes == label)
        if column.size:
            scores[:, k] = proba[:, column[0]]
    if len(classes) == 2:
        return float(roc_auc_score(y == classes[1], scores[:, 1] - scores[:, 0]))
    total = scores.sum(axis=1, keepdims=True)
    scores = np.where(total > 0, scores / np.where(total > 0, total, 1), 1 / len(classes))
    return float(roc_auc_score(y, scores, multi_class="ovr", labels=classes))
