"""Discrete numerics: the few values, or the grain, that a numeric column takes.

A ``continuous`` or ``integer`` column may record ``values``, the sorted set of numbers it
takes (a discount in {0, 5, 10, 15}), or ``step`` and ``step_offset``, a grain that every
value lies on (``step_offset + k * step``: amounts rounded to 100, integers in steps of 5).
Generated numbers are then moved to the nearest allowed value within the real range.
"""

import math
from numbers import Real

import numpy as np

#: Most distinct values for a column to record its set of ``values`` ...
MAX_VALUES = 32
#: ... when each of them is seen at least this many times on average.
MIN_ROWS_PER_VALUE = 5
#: A grain is recorded when chance alone would put the distinct values on it with at most
#: this probability, ``g ** -(k - 1)`` for ``k`` distinct values and a grain of ``g`` units
#: of the column's precision.
MAX_CHANCE = 1e-3
#: Largest range, in units of the precision, in which a grain is looked for (exact floats).
_MAX_UNITS = 2**53
_TOLERANCE = 1e-9
GRAIN_FIELDS = ("values", "step", "step_offset")
GRAIN_KINDS = ("continuous", "integer")


def infer_grain(numbers, column):
    """Record the values or the grain of a numeric column in ``column``, if it has one.

    Parameters
    ----------
    numbers : ndarray
        The column's present values, as floats.
    column : ColumnMetadata
        The column's metadata, with its kind, ``min`` and ``decimals`` set; updated in place.
    """
    distinct = np.unique(numbers)
    record_grain(column, len(numbers), distinct, len(distinct),
                 units_gcd(distinct, precision(column)))


def units_gcd(distinct, unit):
    """Greatest common divisor of the steps between sorted ``distinct`` values, counted in
    ``unit``; None without a unit, with fewer than 2 values, or over too wide a range."""
    if unit is None or len(distinct) < 2:
        return None
    units = np.rint(distinct / unit)
    if units[-1] - units[0] >= _MAX_UNITS:
        return None
    return int(np.gcd.reduce((units - units[0]).astype(np.int64)))


def record_grain(column, n_values, distinct, n_distinct, grain):
    """Record the values or the grain of a numeric column from a summary of its values.

    Parameters
    ----------
    column : ColumnMetadata
        The column's metadata, with its kind, ``min`` and ``decimals`` set; updated in place.
    n_values : int
        Present values of the column.
    distinct : ndarray or None
        Its distinct values, sorted; only read when there are at most ``MAX_VALUES``.
    n_distinct : int
        How many distinct values it has (any number above ``MAX_VALUES`` reads the same
        once it is above 10, as ``MAX_CHANCE`` then holds for every grain).
    grain : int or None
        :func:`units_gcd` of the distinct values in units of :func:`precision`.
    """
    if 0 < n_distinct <= MAX_VALUES and n_values >= MIN_ROWS_PER_VALUE * n_distinct:
        digits = 0 if column.kind == "integer" else column.decimals
        rounded = distinct if digits is None else np.unique(np.round(distinct, digits))
        column.values = [_number(v, column.kind) for v in rounded]
        return
    if grain is None or grain < 2 or (n_distinct - 1) * math.log(grain) < -math.log(
            MAX_CHANCE):
        return
    unit = precision(column)
    digits = column.decimals or 0
    column.step = _number(round(grain * unit, digits), column.kind)
    offset = _number(round((np.rint(column.min / unit) % grain) * unit, digits), column.kind)
    column.step_offset = offset or None


def with_grain_replaced(fields):
    """Override ``fields`` that also clear the inferred grain they replace.

    Giving ``values`` drops an inferred ``step`` and ``step_offset``, and giving ``step``
    drops inferred ``values``, unless those are given too.
    """
    cleared = {}
    if fields.get("values") is not None:
        cleared = {"step": None, "step_offset": None}
    elif fields.get("step") is not None:
        cleared = {"values": None}
    return {**cleared, **fields}


def precision(column):
    """The unit of a numeric column's values: 1 for integers, ``10**-decimals`` for
    decimals, None when the precision is not recorded."""
    if column.kind == "integer":
        return 1.0
    return None if column.decimals is None else 10.0**-column.decimals


def _number(value, kind):
    value = float(value)
    return int(value) if kind == "integer" or value.is_integer() else value


def check_grain(column):
    """Check the ``values``, ``step`` and ``step_offset`` of ``column``; return its values sorted.

    Raises
    ------
    ValueError
        Naming the column, if the fields do not fit its kind, precision or range.
    """
    given = [name for name in GRAIN_FIELDS if getattr(column, name) is not None]
    if not given:
        return None
    where = f"Column {column.name!r}"
    if column.kind not in GRAIN_KINDS:
        raise ValueError(f"{where}: {given} apply to continuous and integer columns only, not "
                         f"to {column.kind} columns.")
    if column.values is not None and column.step is not None:
        raise ValueError(f"{where}: give values or step, not both (set one to None).")
    if column.step is None and column.step_offset is not None:
        raise ValueError(f"{where}: step_offset needs a step.")
    if column.values is not None:
        return _check_values(column, where)
    for name in ("step", "step_offset"):
        _check_number(getattr(column, name), column, f"{where}: {name}")
    if column.step <= 0:
        raise ValueError(f"{where}: step must be > 0; got {column.step!r}.")
    first, last = grain_range(column)
    if first > last:
        raise ValueError(f"{where}: no multiple of step {column.step} (from step_offset "
                         f"{column.step_offset or 0}) lies in [{column.min}, {column.max}].")
    return None


def _check_values(column, where):
    if isinstance(column.values, (str, bytes)) or not hasattr(column.values, "__iter__"):
        raise ValueError(f"{where}: values must be a list of numbers; got {column.values!r}.")
    values = list(column.values)
    if not values:
        raise ValueError(f"{where}: values must not be empty (set it to None instead).")
    for value in values:
        _check_number(value, column, f"{where}: value")
    values = sorted({_number(v, column.kind) for v in values})
    if not len(allowed_values(column, values)):
        raise ValueError(f"{where}: none of its values lies in [{column.min}, {column.max}].")
    return values


def _check_number(value, column, where):
    if value is None:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real) or not math.isfinite(
            value):
        raise ValueError(f"{where} must be a finite number; got {value!r}.")
    digits = 0 if column.kind == "integer" else column.decimals
    if digits is not None and abs(round(value, digits) - value) > _TOLERANCE * max(
            1.0, abs(value)):
        precision = "whole numbers" if column.kind == "integer" else f"{digits} decimals"
        raise ValueError(f"{where} {value!r} is finer than the column's precision "
                         f"({precision}).")


def allowed_values(column, values=None):
    """The column's ``values`` (or ``values``) within its range ``[min, max]``, sorted."""
    allowed = np.asarray(column.values if values is None else values, dtype=float)
    low = -np.inf if column.min is None else float(column.min)
    high = np.inf if column.max is None else float(column.max)
    return allowed[(allowed >= low) & (allowed <= high)]


def grain_range(column):
    """First and last ``k`` of the grain ``step_offset + k * step`` within the real range."""
    offset = column.step_offset or 0
    first = -np.inf if column.min is None else math.ceil(
        (column.min - offset) / column.step - _TOLERANCE)
    last = np.inf if column.max is None else math.floor(
        (column.max - offset) / column.step + _TOLERANCE)
    return first, last


def on_grain(numbers, column):
    """Whether each number is one that ``column`` allows: one of its ``values``, or a point
    of its grain ``step_offset + k * step`` (the range is not checked). NaN, and every number
    of a column without either, count as allowed.

    Parameters
    ----------
    numbers : ndarray of float
    column : ColumnMetadata

    Returns
    -------
    ndarray of bool
    """
    numbers = np.asarray(numbers, dtype=float)
    allowed = np.ones(numbers.shape, dtype=bool)
    present = ~np.isnan(numbers)
    if column.kind not in GRAIN_KINDS:
        return allowed
    if column.values is not None:
        values = np.asarray(column.values, dtype=float)
        nearest = np.abs(numbers[present, None] - values[None, :]).min(axis=1)
        allowed[present] = nearest <= _TOLERANCE * np.maximum(1.0, np.abs(numbers[present]))
    elif column.step is not None:
        steps = (numbers[present] - (column.step_offset or 0)) / column.step
        allowed[present] = np.abs(steps - np.rint(steps)) <= 1e-6
    return allowed


def snap(numbers, column):
    """Move each number to the nearest value that ``column`` allows within its real range.

    Numbers go to the nearest of the column's ``values``, or to the nearest point of its grain
    ``step_offset + k * step``; without either, they are returned as they are. NaN stays NaN.

    Parameters
    ----------
    numbers : ndarray of float
        Generated values of the column.
    column : ColumnMetadata

    Returns
    -------
    ndarray of float
        A new array (``numbers`` is not modified).
    """
    numbers = np.asarray(numbers, dtype=float)
    if column.kind not in GRAIN_KINDS:
        return numbers.copy()
    if column.values is not None:
        allowed = allowed_values(column)
        right = np.clip(np.searchsorted(allowed, numbers), 0, len(allowed) - 1)
        left = np.maximum(right - 1, 0)
        nearer_left = np.abs(numbers - allowed[left]) < np.abs(allowed[right] - numbers)
        snapped = np.where(nearer_left, allowed[left], allowed[right])
    elif column.step is not None:
        offset = column.step_offset or 0
        with np.errstate(invalid="ignore"):
            steps = np.clip(np.rint((numbers - offset) / column.step), *grain_range(column))
        snapped = offset + steps * column.step
    else:
        return numbers.copy()
    return np.where(np.isnan(numbers), numbers, snapped)
