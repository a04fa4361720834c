"""Arithmetic expression trees over columns: evaluation, the columns they read, and text.

A tree is a tuple: ``("column", name)``, ``("number", float)``, ``("literal", value)`` (a
string or boolean constant), ``("neg", node)`` or ``(op, left, right)`` with ``op`` one of
``+ - * /``.
"""

import operator
import re
import warnings

import numpy as np
import pandas as pd

_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Words with a meaning in rule text; columns with these names are written in backticks.
KEYWORDS = ("missing", "when", "is", "True", "False")


def column_text(name):
    """Write a column name as rule text: bare when it is an identifier, else in backticks."""
    if _IDENTIFIER.match(name) and name not in KEYWORDS:
        return name
    return f"`{name}`"


def value_text(value):
    """Write a constant as rule text: ``-1``, ``0.5``, ``'unknown'``, ``True``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, str):
        return repr(value)
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def columns_of(node):
    """Return the set of column names that an expression reads."""
    if node[0] == "column":
        return {node[1]}
    if node[0] in ("number", "literal"):
        return set()
    return set().union(*(columns_of(child) for child in node[1:]))


def expression_text(node, parent=0, right=False):
    """Write an expression tree as text, with the parentheses that precedence needs."""
    kind = node[0]
    if kind == "column":
        return column_text(node[1])
    if kind in ("number", "literal"):
        return value_text(node[1])
    if kind == "neg":
        return "-" + expression_text(node[1], parent=3)
    level = _PRECEDENCE[kind]
    text = (f"{expression_text(node[1], level)} {kind} "
            f"{expression_text(node[2], level, right=True)}")
    # a - (b - c) and a / (b * c) need parentheses on the right at the same level
    if level < parent or (right and level == parent):
        return f"({text})"
    return text


def evaluate(node, table, text):
    """Compute an expression on the rows of ``table``; a Series, or a scalar for constants."""
    kind = node[0]
    if kind in ("number", "literal"):
        return node[1]
    if kind == "column":
        return column_values(table[node[1]])
    if kind == "neg":
        return -evaluate(node[1], table, text)
    left, right = (evaluate(child, table, text) for child in node[1:])
    try:
        return _ARITHMETIC[kind](left, right)
    except TypeError as exc:
        raise ValueError(f"Rule {text!r}: cannot compute {kind!r} on these columns: {exc}") \
            from exc


def column_values(series):
    """A column as numbers, as datetimes, or as it is, whichever reads all its values.

    Booleans become 0.0 and 1.0; strings that all read as numbers or as dates are converted,
    so rules compare ``"2021-01-31"`` as a date.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(
        series.dtype
    ):
        return series
    present = series.dropna()
    for convert in (pd.to_numeric, pd.to_datetime):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                converted = convert(present)
        except (TypeError, ValueError):
            continue
        return converted.reindex(series.index)
    return series


def as_series(values, index):
    """Broadcast a scalar result of :func:`evaluate` to a Series on ``index``."""
    if np.ndim(values) == 0:
        return pd.Series(values, index=index)
    return values
