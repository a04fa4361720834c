"""Rules that order columns: ``ship_date >= order_date``, ``start < end``."""

import operator

import numpy as np
import pandas as pd

from ..metadata import infer_metadata
from ._base import Rule, check_columns
from ._expressions import as_series, column_values, columns_of, evaluate, expression_text

__all__ = ["OrderRule"]

_OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


class OrderRule(Rule):
    """An order between expressions of columns: ``ship_date >= order_date``.

    An order rebuilds no column; :meth:`restore` corrects a column that breaks it, moving the
    value to the bound the other side sets (one unit past it for ``<`` and ``>``: one day,
    one cent, one).

    Parameters
    ----------
    left, right : tuple
        Expression trees.
    comparison : {"<=", ">=", "<", ">"}
        The order.
    """

    kind = "order"

    def __init__(self, left, comparison, right):
        self.left, self.comparison, self.right = left, comparison, right

    @property
    def columns(self):
        return sorted(columns_of(self.left) | columns_of(self.right))

    def describe(self):
        return f"{expression_text(self.left)} {self.comparison} {expression_text(self.right)}"

    def _parts(self):
        return {"left": expression_text(self.left), "comparison": self.comparison,
                "right": expression_text(self.right)}

    def _sides(self, table):
        text = self.describe()
        return [as_series(evaluate(side, table, text), table.index)
                for side in (self.left, self.right)]

    def check(self, table, reference=None):
        check_columns(self, table)
        left, right = self._sides(table)
        try:
            satisfied = _OPERATORS[self.comparison](left, right)
        except TypeError as exc:
            raise ValueError(f"Rule {self.describe()!r}: cannot order these columns: {exc}") \
                from exc
        return (satisfied | left.isna() | right.isna()).astype(bool)

    def fit(self, table):
        check_columns(self, table)
        self.steps_ = {name: _step(table[name]) for name, _ in self.rebuildable()}
        return self

    def rebuildable(self):
        sides = (self.right, self.left)
        return [(side[1], "adjust") for side in sides if side[0] == "column"]

    def inputs(self, column):
        other = self.right if self.left == ("column", column) else self.left
        return sorted(columns_of(other))

    def restore(self, table, column, unknown="error"):
        is_left = self.left == ("column", column)
        values = column_values(table[column])
        bound = self._sides(table)[1 if is_left else 0]
        below = (self.comparison in ("<", "<=")) == is_left
        if self.comparison in ("<", ">"):
            step = self.steps_[column]
            if step is None:
                step = 1e-9 * np.maximum(bound.abs(), 1.0)
            bound = bound - step if below else bound + step
        wrong = values > bound if below else values < bound
        return values.mask(wrong.fillna(False).astype(bool), bound)


def _step(series):
    """The smallest difference between two values of ``series``: one unit of its precision."""
    present = series.dropna()
    if present.empty:
        return None
    column = infer_metadata(present.to_frame())[series.name]
    if column.kind == "datetime":
        return pd.Timedelta(1, unit=column.datetime_unit)
    if column.kind in ("integer", "id"):
        return 1.0
    if column.kind == "continuous" and column.decimals is not None:
        return 10.0 ** -column.decimals
    return None
