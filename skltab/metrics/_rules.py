"""Logic: the share of rows that break rules given as text, callables or rule objects.

Rule text is read by :func:`skltab.logic.parse_rule`, a small parser, never by ``eval``;
the rules themselves (dependencies, formulas, durations, ties, orders) live in
:mod:`skltab.logic`.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..logic import LogicCompressor, LogicRestorer, Rule, parse_rule

__all__ = ["parse_rule", "rule_satisfaction", "rule_satisfaction_samples", "rule_violation_rate",
           "rule_violations", "satisfaction_shares", "violation_rate"]


def rule_satisfaction(table, rules, *, reference=None):
    """Check every rule on every row.

    Parameters
    ----------
    table : DataFrame
        The rows to check.
    rules : list, LogicCompressor or LogicRestorer
        Rule strings (see :func:`parse_rule`), :class:`skltab.logic.Rule` objects, objects
        with a ``check(table)`` method, or callables ``table -> boolean Series``; both return
        True where a row satisfies the rule. A fitted :class:`~skltab.logic.LogicCompressor`
        or :class:`~skltab.logic.LogicRestorer` stands for its fitted rules (``rules_``).
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies and the decimals of ``=``.

    Returns
    -------
    DataFrame
        One boolean column per rule (named by its text, its ``__name__`` or its ``repr``), True
        where the row satisfies it.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"The table to check must be a pandas DataFrame; got "
                        f"{type(table).__name__}.")
    rules = _rule_list(rules)
    columns = {}
    for rule in rules:
        parsed = parse_rule(rule) if isinstance(rule, str) else rule
        name = _rule_name(rule)
        if name in columns:
            name = f"{name} ({sum(key.startswith(name) for key in columns) + 1})"
        columns[name] = _satisfied(parsed, table, reference)
    return pd.DataFrame(columns, index=table.index)


def _rule_list(rules):
    """``rules`` as a non-empty list: a fitted logic transformer gives its ``rules_``."""
    if isinstance(rules, (LogicCompressor, LogicRestorer)):
        check_is_fitted(rules)
        if not rules.rules_:
            raise ValueError(f"The {type(rules).__name__} has no rules (its rules_ is empty); "
                             "there is nothing to check.")
        return list(rules.rules_)
    if isinstance(rules, str) or callable(rules) or hasattr(rules, "check"):
        raise TypeError("rules must be a list of rules; wrap a single rule in a list.")
    rules = list(rules)
    if not rules:
        raise ValueError("rules is empty; give at least one rule.")
    return rules


def _rule_name(rule):
    if isinstance(rule, str):
        return rule
    if isinstance(rule, Rule):
        return rule.describe()
    return getattr(rule, "__name__", None) or repr(rule)


def _satisfied(rule, table, reference):
    if isinstance(rule, Rule):
        result = rule.check(table, reference=reference)
    elif hasattr(rule, "check"):
        result = rule.check(table)
    elif callable(rule):
        result = rule(table)
    else:
        raise TypeError(f"A rule must be a str, an object with a check method or a callable; "
                        f"got {type(rule).__name__}.")
    result = pd.Series(result, copy=False) if not isinstance(result, pd.Series) else result
    if len(result) != len(table) or not pd.api.types.is_bool_dtype(result.dtype):
        raise TypeError(f"Rule {_rule_name(rule)!r} must return one boolean per row "
                        f"({len(table)}); got {len(result)} values of dtype {result.dtype}.")
    return result.fillna(True).to_numpy(dtype=bool)


def rule_violations(table, rules, *, reference=None):
    """Share of the rows of ``table`` that break each rule.

    Parameters
    ----------
    table : DataFrame
        The rows to check, such as a synthetic table.
    rules : list, LogicCompressor or LogicRestorer
        Rule strings (see :func:`parse_rule`), objects with a ``check(table)`` method, or
        callables ``table -> boolean Series`` (True where a row satisfies the rule); or a
        fitted :class:`~skltab.logic.LogicCompressor` or :class:`~skltab.logic.LogicRestorer`,
        whose fitted rules (``rules_``) are checked.
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies and the decimals of ``=``;
        without it, fitted rules use what they learned and the others learn from ``table``.

    Returns
    -------
    Series
        Violation rate of each rule, indexed by rule.
    """
    satisfied = rule_satisfaction(table, rules, reference=reference)
    return (~satisfied).mean().rename("violation_rate")


def rule_satisfaction_samples(table, rules, *, reference=None):
    """Share of the rules that each row of ``table`` satisfies.

    The share, not all-or-nothing, so that a row that breaks one rule of five scores above
    a row that breaks them all; a row scores 1 exactly when it satisfies every rule, so the
    share of rows below 1 is :func:`rule_violation_rate`. Rows where a value a rule reads is
    missing satisfy that rule.

    Parameters
    ----------
    table : DataFrame
        The rows to check, such as a synthetic table.
    rules : list, LogicCompressor or LogicRestorer
        Rule strings such as ``"total = unit_price * quantity"`` or ``"zip -> city"`` (see
        :func:`parse_rule`), :class:`skltab.logic.Rule` objects, objects with a
        ``check(table)`` method, or callables ``table -> boolean Series`` (True where a row
        satisfies the rule); or a fitted :class:`~skltab.logic.LogicCompressor` or
        :class:`~skltab.logic.LogicRestorer`, whose fitted rules (``rules_``) are checked.
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies (``zip -> city`` must give
        the city the real rows give) and the decimals that ``=`` tolerates; without it,
        fitted rules use what they learned and the others learn from ``table``.

    Returns
    -------
    ndarray of shape (n_rows,)
        Share of the rules each row satisfies, in [0, 1], in the table's row order; greater
        is better.

    Raises
    ------
    ValueError
        If a rule cannot be read, reads a column the table lacks (the error names it), or
        there is no rule.
    TypeError
        If ``table`` is not a DataFrame, a rule is of an unsupported type or does not return
        one boolean per row.
    NotFittedError
        If a :class:`~skltab.logic.LogicCompressor` or :class:`~skltab.logic.LogicRestorer`
        is not fitted.

    See Also
    --------
    rule_violation_rate : The share of rows that break at least one rule.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.metrics import rule_satisfaction_samples
    >>> table = pd.DataFrame({"price": [2.0, 3.0, 1.0], "quantity": [1, 2, 3],
    ...                       "total": [2.0, 5.0, 0.5]})
    >>> rule_satisfaction_samples(table, ["total = price * quantity", "total >= price"])
    array([1. , 0.5, 0. ])
    """
    return satisfaction_shares(rule_satisfaction(table, rules, reference=reference))


def satisfaction_shares(satisfied):
    """Share of the rules each row satisfies, from a table of :func:`rule_satisfaction`."""
    return satisfied.to_numpy(dtype=float).mean(axis=1)


def violation_rate(shares):
    """Share of the rows that break at least one rule, from their satisfaction shares."""
    return float(np.mean(shares < 1))


def rule_violation_rate(table, rules, *, reference=None):
    """Share of the rows of ``table`` that break at least one rule.

    It is the share of rows whose :func:`rule_satisfaction_samples` is below 1.

    Parameters
    ----------
    table : DataFrame
        The rows to check, such as a synthetic table.
    rules : list, LogicCompressor or LogicRestorer
        Rule strings such as ``"total = unit_price * quantity"``, ``"a = b / c"``,
        ``"zip -> city"`` or ``"start <= end"`` (see :func:`parse_rule`), objects with a
        ``check(table)`` method, or callables ``table -> boolean Series``; both return True
        where a row satisfies the rule. A fitted :class:`~skltab.logic.LogicCompressor` or
        :class:`~skltab.logic.LogicRestorer` stands for its fitted rules (``rules_``).
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies (``zip -> city`` must give
        the city the real rows give) and the decimals that ``=`` tolerates; without it,
        fitted rules use what they learned and the others learn from ``table``.

    Returns
    -------
    float
        In [0, 1], lower is better.

    Raises
    ------
    ValueError
        If a rule cannot be read or reads a column the table lacks.
    TypeError
        If a rule is of an unsupported type or does not return one boolean per row.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.metrics import rule_violation_rate
    >>> table = pd.DataFrame({"price": [2.0, 3.0], "quantity": [1, 2], "total": [2.0, 5.0]})
    >>> rule_violation_rate(table, ["total = price * quantity"])
    0.5
    """
    return violation_rate(rule_satisfaction_samples(table, rules, reference=reference))
