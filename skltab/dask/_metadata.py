"""Infer a table's metadata by map-reduce over its partitions.

Two passes: the first gathers what decides each column's kind (as
:func:`skltab.metadata.infer_kind` judges it on the whole table), the second what describes
it (ranges, decimals, values or grain, categories, datetime formats and units, ID
patterns). Each partition is summarized on its own and summaries merge exactly, except
where :mod:`._sketches` says: past ``MAX_EXACT_DISTINCT`` distinct values a column's
number of distinct values is estimated (this decides IDs and free text).
"""

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..metadata import ColumnMetadata, TableMetadata
from ..metadata._grain import MAX_VALUES, precision, record_grain
from ..metadata._ids import character_counts, merge_character_counts, template_from_counts
from ..metadata._infer import (
    _DATETIME_FORMATS,
    _DATETIME_UNITS,
    _MAX_DECIMALS,
    ID_MIN_ROWS,
    TEXT_MIN_WORDS,
    _datetime_unit,
    _python_number,
    decimals_from_errors,
    kind_of_dtype,
    rounding_errors,
)
from ._partitions import map_reduce
from ._sketches import MAX_EXACT_DISTINCT, HashCounts

#: Largest range of a grain, in units of precision (as in ``skltab.metadata._grain``).
_MAX_UNITS = 2**53


def infer_metadata(frame):
    """Infer the metadata of a Dask DataFrame, one partition at a time.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        The real table.

    Returns
    -------
    TableMetadata
        What :func:`skltab.metadata.infer_metadata` returns for the whole table, but for
        columns with more than ``MAX_EXACT_DISTINCT`` distinct values, whose number of
        distinct values is estimated (see :mod:`skltab.dask._sketches`).

    Raises
    ------
    ValueError
        If the table has no rows, or a categorical column has more than
        ``MAX_EXACT_DISTINCT`` categories.
    """
    evidence = map_reduce(frame, _kind_evidence, _merge_dicts)
    if not evidence or next(iter(evidence.values())).n_rows == 0:
        raise ValueError("The table has no rows; its metadata cannot be inferred.")
    kinds = {name: evidence[name].kind() for name in frame.columns}
    formats = {name: evidence[name].datetime_format() for name in frame.columns}
    described = map_reduce(frame, _Describer(kinds, formats), _merge_dicts)
    columns = []
    for name in frame.columns:
        column = described[name].column(evidence[name], kinds[name], formats[name])
        column.name = name
        columns.append(column)
    return TableMetadata(columns)


def _merge_dicts(first, second):
    return {name: first[name].merge(second[name]) for name in first}


# ---------------------------------------------------------------------- the kind of a column
@dataclass
class _KindEvidence:
    """What decides the kind of a column, summed over partitions."""

    dtype: object
    n_rows: int
    n_present: int
    has_strings: bool = False
    only_booleans: bool = True
    numbers: "_NumberEvidence" = None
    strings: "_StringEvidence" = None

    def merge(self, other):
        return _KindEvidence(
            self.dtype, self.n_rows + other.n_rows, self.n_present + other.n_present,
            self.has_strings or other.has_strings, self.only_booleans and other.only_booleans,
            _merge_optional(self.numbers, other.numbers),
            _merge_optional(self.strings, other.strings))

    def kind(self):
        dtype = self.dtype
        kind = kind_of_dtype(dtype)
        if kind is not None:
            return kind
        complete = self.n_present == self.n_rows
        if not pd.api.types.is_numeric_dtype(dtype):
            if self.only_booleans:
                return "boolean"
            if self.has_strings:
                return self.strings.kind(self.n_present, complete)
        return self.numbers.kind(self.n_present, complete)

    def datetime_format(self):
        if self.strings is None or not self.has_strings or not self.n_present:
            return None
        return next((fmt for fmt in _DATETIME_FORMATS if fmt in self.strings.formats), None)


def _merge_optional(first, second):
    if first is None or second is None:
        return first if second is None else second
    return first.merge(second)


@dataclass
class _NumberEvidence:
    whole: bool
    low: float
    high: float
    distinct: HashCounts

    @classmethod
    def of(cls, numbers):
        return cls(bool(np.all(numbers == np.round(numbers))), numbers.min(initial=np.inf),
                   numbers.max(initial=-np.inf), HashCounts.of(pd.Series(numbers)))

    def merge(self, other):
        return _NumberEvidence(self.whole and other.whole, min(self.low, other.low),
                               max(self.high, other.high), self.distinct.merge(other.distinct))

    def kind(self, n, complete):
        if not self.whole:
            return "continuous"
        dense = self.high - self.low + 1 <= 2 * n
        if complete and n >= ID_MIN_ROWS and self.distinct.all_distinct and dense:
            return "id"
        return "integer"


@dataclass
class _StringEvidence:
    formats: frozenset
    distinct: HashCounts
    any_space: bool
    all_digit: bool
    words: int

    @classmethod
    def of(cls, values):
        return cls(frozenset(_fitting_formats(values)), HashCounts.of(values),
                   bool(values.str.contains(r"\s").any()),
                   bool(values.str.contains(r"\d").all()),
                   int(values.str.split().str.len().sum()))

    def merge(self, other):
        return _StringEvidence(self.formats & other.formats, self.distinct.merge(other.distinct),
                               self.any_space or other.any_space,
                               self.all_digit and other.all_digit, self.words + other.words)

    def kind(self, n, complete):
        if any(fmt in self.formats for fmt in _DATETIME_FORMATS):
            return "datetime"
        n_unique = self.distinct.n_distinct
        all_distinct = complete and n >= ID_MIN_ROWS and self.distinct.all_distinct
        if all_distinct and not self.any_space and self.all_digit:
            return "id"
        if self.words / n >= TEXT_MIN_WORDS and n_unique >= 0.5 * n:
            return "text"
        return "categorical"


def _fitting_formats(values):
    """The datetime formats that write every string of ``values`` back exactly."""
    if not len(values):
        return _DATETIME_FORMATS
    if not values.str.match(r"^\d").all():
        return ()
    return [fmt for fmt in _DATETIME_FORMATS
            if _writes_back(values.iloc[:100], fmt) and _writes_back(values, fmt)]


def _writes_back(values, fmt):
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    return bool(parsed.notna().all() and (parsed.dt.strftime(fmt) == values).all())


def _kind_evidence(partition, index):
    return {name: _column_kind_evidence(partition[name]) for name in partition.columns}


def _column_kind_evidence(series):
    values = series.dropna()
    evidence = _KindEvidence(series.dtype, len(series), len(values))
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype) or \
            pd.api.types.is_datetime64_any_dtype(dtype):
        return evidence
    if pd.api.types.is_numeric_dtype(dtype):
        evidence.numbers = _NumberEvidence.of(values.to_numpy(dtype=float))
        return evidence
    types = set(values.map(type))
    evidence.only_booleans = types <= {bool, np.bool_}
    evidence.has_strings = any(issubclass(k, str) for k in types)
    evidence.strings = _StringEvidence.of(values.astype(str))
    if not evidence.has_strings:
        evidence.numbers = _NumberEvidence.of(values.astype(float).to_numpy())
    return evidence


# ---------------------------------------------------------------- the statistics of a column
class _Describer:
    """Summarize each column of a partition for its kind (a picklable callable)."""

    def __init__(self, kinds, formats):
        self.kinds = kinds
        self.formats = formats

    def __call__(self, partition, index):
        return {name: _describe(partition[name].dropna(), self.kinds[name], self.formats[name])
                for name in partition.columns}


def _describe(values, kind, fmt):
    if kind in ("continuous", "integer"):
        return _NumberDescription.of(values.to_numpy(dtype=float))
    if kind == "datetime":
        return _DatetimeDescription.of(values, fmt)
    if kind in ("categorical", "boolean"):
        return _CategoryDescription.of(values)
    if kind == "id" and not pd.api.types.is_numeric_dtype(values.dtype) and values.map(
            lambda v: isinstance(v, str)).any():
        return _TemplateDescription(character_counts(values))
    return _NothingToDescribe()


@dataclass
class _NothingToDescribe:
    def merge(self, other):
        return self

    def column(self, evidence, kind, fmt):
        column = _base_column(evidence, kind)
        if kind == "id":
            column.min = _python_number(evidence.numbers.low)
            column.max = _python_number(evidence.numbers.high)
        return column


def _base_column(evidence, kind):
    return ColumnMetadata(name=None, kind=kind, dtype=str(evidence.dtype),
                          nullable=evidence.n_present < evidence.n_rows,
                          missing_rate=float(1 - evidence.n_present / evidence.n_rows))


@dataclass
class _NumberDescription:
    n_values: int
    low: float
    high: float
    largest: float
    errors: np.ndarray
    few: np.ndarray
    distinct: HashCounts
    grains: list = field(default_factory=list)

    @classmethod
    def of(cls, numbers):
        few = np.unique(numbers)
        return cls(len(numbers), numbers.min(initial=np.inf), numbers.max(initial=-np.inf),
                   float(np.abs(numbers).max(initial=0.0)), rounding_errors(numbers)
                   if len(numbers) else np.zeros(_MAX_DECIMALS + 1),
                   few if len(few) <= MAX_VALUES else None, HashCounts.of(pd.Series(numbers)),
                   [_Grain.of(few, 10.0 ** -d) for d in range(_MAX_DECIMALS + 1)])

    def merge(self, other):
        few = None
        if self.few is not None and other.few is not None:
            few = np.union1d(self.few, other.few)
            few = few if len(few) <= MAX_VALUES else None
        return _NumberDescription(
            self.n_values + other.n_values, min(self.low, other.low),
            max(self.high, other.high), max(self.largest, other.largest),
            np.maximum(self.errors, other.errors), few, self.distinct.merge(other.distinct),
            [a.merge(b) for a, b in zip(self.grains, other.grains)])

    def column(self, evidence, kind, fmt):
        column = _base_column(evidence, kind)
        column.min, column.max = _python_number(self.low), _python_number(self.high)
        if kind == "continuous":
            column.decimals = decimals_from_errors(self.errors, self.largest)
        unit = precision(column)
        grain = None
        if unit is not None:
            digits = int(round(-math.log10(unit)))
            grain = self.grains[digits].gcd(self.low, self.high, unit)
        n_distinct = self.distinct.n_distinct if self.distinct.exact else MAX_EXACT_DISTINCT
        record_grain(column, self.n_values, self.few, n_distinct, grain)
        return column


@dataclass
class _Grain:
    """The greatest common divisor of the steps between values, in units of a precision,
    and the first value in those units; None when there are no two values."""

    gcd_units: int
    first: float

    @classmethod
    def of(cls, distinct, unit):
        if not len(distinct):
            return cls(None, None)
        units = np.rint(distinct / unit)
        if units[-1] - units[0] >= _MAX_UNITS:
            return cls(-1, units[0])
        return cls(int(np.gcd.reduce((units - units[0]).astype(np.int64))), units[0])

    def merge(self, other):
        if self.first is None or other.first is None:
            return self if other.first is None else other
        if -1 in (self.gcd_units, other.gcd_units) or abs(self.first - other.first) >= _MAX_UNITS:
            return _Grain(-1, min(self.first, other.first))
        return _Grain(math.gcd(self.gcd_units, other.gcd_units,
                               int(abs(self.first - other.first))),
                      min(self.first, other.first))

    def gcd(self, low, high, unit):
        """The grain of the whole column, as ``units_gcd`` computes it."""
        if self.first is None or self.gcd_units == -1 or low == high:
            return None
        if np.rint(high / unit) - np.rint(low / unit) >= _MAX_UNITS:
            return None
        return self.gcd_units


@dataclass
class _DatetimeDescription:
    unit_index: int
    low: object
    high: object
    timezone: str

    @classmethod
    def of(cls, values, fmt):
        if fmt is not None and not pd.api.types.is_datetime64_any_dtype(values):
            values = pd.to_datetime(values, format=fmt)
        if not len(values):
            return cls(-1, None, None, None)
        timezone = None if values.dt.tz is None else str(values.dt.tz)
        units = _DATETIME_UNITS + ("ns",)
        return cls(units.index(_datetime_unit(values)), values.min(), values.max(), timezone)

    def merge(self, other):
        if self.low is None or other.low is None:
            return self if other.low is None else other
        return _DatetimeDescription(max(self.unit_index, other.unit_index),
                                    min(self.low, other.low), max(self.high, other.high),
                                    self.timezone)

    def column(self, evidence, kind, fmt):
        column = _base_column(evidence, kind)
        if pd.api.types.is_datetime64_any_dtype(evidence.dtype):
            column.timezone = self.timezone
        else:
            column.datetime_format = fmt
        column.datetime_unit = (_DATETIME_UNITS + ("ns",))[self.unit_index]
        column.min, column.max = self.low.isoformat(), self.high.isoformat()
        return column


@dataclass
class _CategoryDescription:
    values: set
    dtype_categories: list = None
    ordered: bool = False

    @classmethod
    def of(cls, values):
        if isinstance(values.dtype, pd.CategoricalDtype):
            return cls(set(), list(values.dtype.categories), bool(values.dtype.ordered))
        return cls(set(pd.unique(values)))

    def merge(self, other):
        categories = self.dtype_categories
        if categories is not None and other.dtype_categories is not None:
            categories = categories + [c for c in other.dtype_categories
                                       if c not in set(categories)]
        values = self.values | other.values
        if len(values) > MAX_EXACT_DISTINCT:
            raise ValueError(f"A categorical column has more than {MAX_EXACT_DISTINCT} "
                             "distinct values; give its kind (text or id) in the metadata.")
        return _CategoryDescription(values, categories, self.ordered)

    def column(self, evidence, kind, fmt):
        column = _base_column(evidence, kind)
        if self.dtype_categories is not None:
            categories = self.dtype_categories
            column.ordered = self.ordered
        else:
            categories = sorted(self.values, key=lambda v: (str(type(v)), v))
        column.categories = [v.item() if hasattr(v, "item") else v for v in categories]
        return column


@dataclass
class _TemplateDescription:
    counts: dict

    def merge(self, other):
        return _TemplateDescription(merge_character_counts(self.counts, other.counts))

    def column(self, evidence, kind, fmt):
        return replace(_base_column(evidence, kind), id_template=template_from_counts(
            self.counts))
