"""Rules that compute a column: arithmetic identities and durations between dates."""

import numpy as np
import pandas as pd

from ..metadata import infer_metadata
from ._base import Rule, check_columns
from ._expressions import as_series, column_text, column_values, columns_of, evaluate, \
    expression_text

__all__ = ["ArithmeticRule", "DateDifferenceRule"]

#: Relative tolerance of ``=`` on top of half a unit of the rebuilt column's last decimal.
RELATIVE_TOLERANCE = 1e-9


class ArithmeticRule(Rule):
    """An identity between arithmetic expressions: ``total = unit_price * quantity``.

    When one side is a single column (the *target*), the identity holds within the rounding
    of that column: half a unit of its last decimal (0.005 for cents, 0.5 for integers), and
    :meth:`restore` rebuilds it rounded to those decimals with :func:`numpy.round`.

    Parameters
    ----------
    left, right : tuple
        Expression trees (see :mod:`skltab.logic._expressions`).
    """

    kind = "arithmetic"

    def __init__(self, left, right):
        self.left, self.right = left, right

    @property
    def columns(self):
        return sorted(columns_of(self.left) | columns_of(self.right))

    @property
    def target(self):
        """The single-column side (the left one first), or None."""
        side = next((s for s in (self.left, self.right) if s[0] == "column"), None)
        return None if side is None else side[1]

    def _expression(self):
        return self.right if self.left[0] == "column" else self.left

    def describe(self):
        return f"{expression_text(self.left)} = {expression_text(self.right)}"

    def _parts(self):
        return {"target": self.target, "expression": expression_text(self._expression())}

    def check(self, table, reference=None):
        check_columns(self, table)
        text = self.describe()
        left, right = (as_series(evaluate(side, table, text), table.index)
                       for side in (self.left, self.right))
        uncheckable = left.isna() | right.isna()
        if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
            if reference is None and hasattr(self, "decimals_"):
                decimals = self.decimals_
            else:
                decimals = _decimals(table if reference is None else reference, self.target)
            difference = (left - right).abs()
            satisfied = difference <= tolerance(decimals) + RELATIVE_TOLERANCE * np.maximum(
                left.abs(), right.abs())
        else:
            satisfied = left == right
        return (satisfied | uncheckable).astype(bool)

    def fit(self, table):
        check_columns(self, table)
        self.decimals_ = _decimals(table, self.target)
        return self

    def rebuildable(self):
        return [] if self.target is None else [(self.target, "drop")]

    def inputs(self, column):
        return sorted(columns_of(self._expression()))

    def restore(self, table, column, unknown="error"):
        values = as_series(evaluate(self._expression(), table, self.describe()), table.index)
        values = pd.to_numeric(values).astype(float)
        return values if self.decimals_ is None else values.round(self.decimals_)


def tolerance(decimals):
    """Half a unit of the last decimal: 0.5 for integers, 0 for unrounded numbers."""
    return 0.0 if decimals is None else 0.5 * 10.0 ** -decimals


def _decimals(table, name):
    """Decimals of column ``name`` in ``table``: 0 for integers, None for full precision."""
    if name is None or name not in table.columns or table[name].isna().all():
        return None
    column = infer_metadata(table[[name]].dropna())[name]
    if column.kind in ("integer", "id"):
        return 0
    if column.kind == "continuous":
        return column.decimals
    return None


class DateDifferenceRule(Rule):
    """A duration between two dates: ``delivery_days = ship_date - order_date (days)``.

    In months, the end is the start moved by whole calendar months (the day of month kept,
    or the month's last day when it is shorter): a loan from 2021-01-31 for 1 month ends on
    2021-02-28.

    Parameters
    ----------
    duration : str
        Column of durations (whole numbers).
    end, start : str
        Datetime columns.
    unit : {"days", "months"}
        Unit of the duration.
    """

    kind = "date_difference"

    def __init__(self, duration, end, start, unit):
        self.duration, self.end, self.start, self.unit = duration, end, start, unit

    @property
    def columns(self):
        return [self.duration, self.end, self.start]

    def describe(self):
        return (f"{column_text(self.duration)} = {column_text(self.end)} - "
                f"{column_text(self.start)} ({self.unit})")

    def _parts(self):
        return {"duration": self.duration, "end": self.end, "start": self.start,
                "unit": self.unit}

    def _dates(self, table, name):
        values = column_values(table[name])
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            raise ValueError(f"Rule {self.describe()!r}: column {name!r} does not hold dates.")
        return values

    def check(self, table, reference=None):
        check_columns(self, table)
        start, end = self._dates(table, self.start), self._dates(table, self.end)
        duration = pd.to_numeric(table[self.duration]).astype(float)
        whole = duration == np.round(duration)
        expected = shift_dates(start, duration.where(whole), self.unit)
        missing = start.isna() | end.isna() | duration.isna()
        return ((expected == end) & whole | missing).astype(bool)

    def rebuildable(self):
        return [(self.end, "drop"), (self.duration, "drop")]

    def inputs(self, column):
        if column == self.end:
            return [self.start, self.duration]
        return [self.start, self.end]

    def restore(self, table, column, unknown="error"):
        start = self._dates(table, self.start)
        if column == self.end:
            duration = pd.to_numeric(table[self.duration]).astype(float)
            return shift_dates(start, np.round(duration), self.unit)
        end = self._dates(table, self.end)
        if self.unit == "days":
            return (end - start) / pd.Timedelta(1, unit="D")
        return _month_difference(start, end)


def shift_dates(stamps, amounts, unit):
    """Move datetimes by ``amounts`` days or calendar months (NaN amounts give NaT)."""
    if unit == "days":
        return stamps + pd.to_timedelta(amounts, unit="D")
    result = pd.Series(pd.NaT, index=stamps.index, dtype="datetime64[ns]")
    present = (stamps.notna() & amounts.notna()).to_numpy()
    if not present.any():
        return result
    dates = stamps[present]
    timezone = dates.dt.tz
    if timezone is not None:
        dates = dates.dt.tz_localize(None)
    total = dates.dt.year * 12 + dates.dt.month - 1 + amounts[present].astype(np.int64)
    first = pd.to_datetime(pd.DataFrame({"year": total // 12, "month": total % 12 + 1,
                                         "day": 1}))
    day = np.minimum(dates.dt.day, first.dt.days_in_month)
    moved = first + pd.to_timedelta(day - 1, unit="D") + (dates - dates.dt.normalize())
    if timezone is not None:
        moved = moved.dt.tz_localize(timezone)
        result = result.dt.tz_localize(timezone)
    result[present] = moved
    return result


def _month_difference(start, end):
    """Whole calendar months from ``start`` to ``end``: the largest n with start + n <= end."""
    months = ((end.dt.year - start.dt.year) * 12 + end.dt.month - start.dt.month).astype(float)
    too_far = shift_dates(start, months, "months") > end
    return months - too_far.astype(float)
