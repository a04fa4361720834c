"""Every metric by name, with its direction and category, and how to compute a set of them."""

from dataclasses import dataclass

import pandas as pd

from ._columns import column_table, invented_value_rate, invented_values
from ._detection import detection_score
from ._diversity import diversity_from_pair
from ._pairs import association_matrices, association_scores, pair_table
from ._privacy import privacy_from_pair
from ._rules import rule_satisfaction, satisfaction_shares, violation_rate
from ._utility import utility_from_pair

CATEGORIES = ("fidelity", "pairs", "detection", "utility", "diversity", "privacy", "logic")


@dataclass(frozen=True)
class MetricInfo:
    """What one metric is.

    Parameters
    ----------
    name : str
        Name in reports and scorers.
    category : str
        One of ``CATEGORIES``.
    greater_is_better : bool
        Direction of the metric.
    family : str
        The computation that yields it along with others.
    needs : tuple of str, default=()
        What the metric needs beyond the two tables, among ``"target"``, ``"train"`` and
        ``"rules"``.
    """

    name: str
    category: str
    greater_is_better: bool
    family: str
    needs: tuple = ()


def _info(names, category, greater_is_better, family, needs=()):
    return [MetricInfo(name, category, greater_is_better, family, needs) for name in names]


_COLUMN_LOSSES = ["wasserstein", "jensen_shannon", "total_variation", "ks_statistic",
                  "missing_rate_difference"]
_CLASSIFICATION = ["accuracy", "macro_f1", "roc_auc"]
METRICS = {info.name: info for info in [
    *_info(_COLUMN_LOSSES, "fidelity", False, "columns"),
    *_info(["inverse_kl"], "fidelity", True, "columns"),
    *_info(["invented_value_rate"], "fidelity", False, "columns"),
    *_info(["association_error", "correlation_distance"], "pairs", False, "pairs"),
    *_info(["detection_auc"], "detection", False, "detection"),
    *_info([f"tstr_{name}" for name in _CLASSIFICATION], "utility", True, "utility",
           ("target",)),
    *_info([f"trtr_{name}" for name in _CLASSIFICATION], "utility", True, "utility",
           ("target", "train")),
    *_info(["tstr_r2"], "utility", True, "utility", ("target",)),
    *_info(["tstr_rmse"], "utility", False, "utility", ("target",)),
    *_info(["trtr_r2"], "utility", True, "utility", ("target", "train")),
    *_info(["trtr_rmse"], "utility", False, "utility", ("target", "train")),
    *_info(["utility_ratio"], "utility", True, "utility", ("target", "train")),
    *_info(["precision", "recall", "density", "coverage"], "diversity", True, "diversity"),
    *_info(["dcr_synthetic", "dcr_holdout", "dcr_ratio"], "privacy", True, "privacy",
           ("train",)),
    *_info(["too_close_rate", "too_close_reference", "exact_copy_rate",
            "holdout_exact_copy_rate"], "privacy", False, "privacy", ("train",)),
    *_info(["nndr"], "privacy", True, "privacy", ("train",)),
    *_info(["membership_inference_auc"], "privacy", False, "privacy", ("train",)),
    *_info(["rule_violation_rate"], "logic", False, "logic", ("rules",)),
]}


def _columns(pair, options):
    invented = invented_values(pair)
    table = column_table(pair, invented)
    names = [name for name, info in METRICS.items() if info.family == "columns"
             and name in table.columns]
    values = {name: float(table[name].mean()) for name in names}
    values["invented_value_rate"] = invented_value_rate(invented)
    return values, {"columns": table}


def _pairs(pair, options):
    matrices = association_matrices(pair)
    return association_scores(pair, matrices), {"pairs": pair_table(pair, matrices),
                                                "associations": matrices}


def _logic(pair, options):
    reference = pair.real_rows
    satisfied = {name: rule_satisfaction(table, options["rules"], reference=reference)
                 for name, table in (("synthetic", pair.tables["synthetic"]),
                                     ("real", reference))}
    rates = pd.DataFrame({name: (~table).mean() for name, table in satisfied.items()})
    rates.index.name = "rule"
    shares = satisfaction_shares(satisfied["synthetic"])
    return {"rule_violation_rate": violation_rate(shares)}, {"rules": rates}


_FAMILIES = {
    "columns": _columns,
    "pairs": _pairs,
    "detection": lambda pair, options: ({"detection_auc": detection_score(pair)}, {}),
    "utility": lambda pair, options: (
        utility_from_pair(pair, options["target"], options["task"]), {}
    ),
    "diversity": lambda pair, options: (diversity_from_pair(pair), {}),
    "privacy": lambda pair, options: (privacy_from_pair(pair), {}),
    "logic": _logic,
}


def compute_metrics(pair, names, *, target=None, task=None, rules=None):
    """Compute the metrics ``names`` of a :class:`TablePair`, each family once.

    Parameters
    ----------
    pair : TablePair
    names : list of str
        Names from :data:`METRICS`.
    target, task : str, default=None
        Target column and task of the utility metrics.
    rules : list, default=None
        Rules of the logic metric.

    Returns
    -------
    values : dict of str to float
        Every metric the families computed: those of ``names`` that apply (a utility family
        computes either the classification or the regression scores), and others.
    details : dict of str to object
        Per-column, per-pair and per-rule tables of the families computed.

    Raises
    ------
    ValueError
        If a name is unknown, or a metric lacks what it needs (``target``, ``train``,
        ``rules``).
    """
    options = {"target": target, "task": task, "rules": rules, "train": pair.tables.get("train")}
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; known metrics are {list(METRICS)}.")
    for name in names:
        lacking = [need for need in METRICS[name].needs if options[need] is None]
        if lacking:
            raise ValueError(f"The metric {name!r} needs {' and '.join(lacking)}.")
    values, details = {}, {}
    for family in dict.fromkeys(METRICS[name].family for name in names):
        family_values, family_details = _FAMILIES[family](pair, options)
        values.update(family_values)
        details.update(family_details)
    return values, details


def applicable_metrics(*, target=None, train=None, rules=None):
    """Names of the metrics that can be computed with what is given, in report order."""
    given = {"target": target is not None, "train": train is not None,
             "rules": rules is not None}
    return [name for name, info in METRICS.items() if all(given[need] for need in info.needs)]
