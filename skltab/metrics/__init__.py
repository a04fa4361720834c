"""Metrics of synthetic tables: fidelity, detection, utility, diversity, privacy and logic.

Every metric compares a real table with a synthetic one that has the same columns, handles
numeric, datetime, categorical and boolean columns and missing values, and is deterministic
for a given ``random_state``. :func:`realism_samples`, :func:`closest_real_distance` and
:func:`rule_satisfaction_samples` give one value per synthetic row, from which the detection,
distance and rule aggregates are computed. :func:`evaluate` computes them all into an
:class:`EvaluationReport`; :func:`get_scorer` and :func:`make_synthesis_scorer` turn them into
scorers for ``GridSearchCV`` and ``cross_validate``.
"""

from ._columns import (
    column_fidelity,
    inverse_kl_divergence,
    jensen_shannon_distance,
    ks_statistic,
    missing_rate_difference,
    total_variation_distance,
    wasserstein_distance,
)
from ._detection import DETECTION_FOLDS, DETECTION_MAX_ROWS, detection_auc, realism_samples
from ._copying import CopyingWarning
from ._diversity import diversity_scores
from ._pairs import (
    association_error,
    association_matrix,
    correlation_distance,
    pair_fidelity,
)
from ._privacy import closest_real_distance, privacy_scores
from ._registry import CATEGORIES, METRICS, MetricInfo
from ._report import EvaluationReport, evaluate
from ._rules import (
    parse_rule,
    rule_satisfaction_samples,
    rule_violation_rate,
    rule_violations,
)
from ._scorers import SynthesisScorer, get_scorer, get_scorer_names, make_synthesis_scorer
from ._space import MAX_ONE_HOT, NEIGHBORS_MAX_ROWS
from ._utility import UTILITY_MAX_ROWS, utility_scores

__all__ = [
    "CATEGORIES",
    "CopyingWarning",
    "DETECTION_FOLDS",
    "DETECTION_MAX_ROWS",
    "EvaluationReport",
    "MAX_ONE_HOT",
    "METRICS",
    "MetricInfo",
    "NEIGHBORS_MAX_ROWS",
    "SynthesisScorer",
    "UTILITY_MAX_ROWS",
    "association_error",
    "association_matrix",
    "closest_real_distance",
    "column_fidelity",
    "correlation_distance",
    "detection_auc",
    "diversity_scores",
    "evaluate",
    "get_scorer",
    "get_scorer_names",
    "inverse_kl_divergence",
    "jensen_shannon_distance",
    "ks_statistic",
    "make_synthesis_scorer",
    "missing_rate_difference",
    "pair_fidelity",
    "parse_rule",
    "privacy_scores",
    "realism_samples",
    "rule_satisfaction_samples",
    "rule_violation_rate",
    "rule_violations",
    "total_variation_distance",
    "utility_scores",
    "wasserstein_distance",
]
