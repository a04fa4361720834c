"""Infer each column's kind and statistics from its values, never from its name."""

import dataclasses

import numpy as np
import pandas as pd

from ..utils._validation import check_table
from ._column import KINDS, ColumnMetadata
from ._dtypes import datetime_to_number
from ._grain import infer_grain, with_grain_replaced
from ._ids import id_template

#: Fewest rows for a column of unique values to be taken as an ID rather than as data.
ID_MIN_ROWS = 20
#: Mean number of words from which a column of mostly distinct strings is free text.
TEXT_MIN_WORDS = 3
_DATETIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
)
_DATETIME_UNITS = ("D", "h", "min", "s", "ms", "us")
_MAX_DECIMALS = 8


def infer_metadata(X, *, overrides=None):
    """Infer the metadata of a table from its values.

    Parameters
    ----------
    X : DataFrame
        The real table.
    overrides : dict, default=None
        Per-column corrections: ``{column: kind}`` or ``{column: {field: value}}``, e.g.
        ``{"zip": "categorical"}`` or ``{"discount": {"values": None}}``. Statistics are
        computed for the overridden kind.

    Returns
    -------
    TableMetadata
        One :class:`ColumnMetadata` per column, in the table's order.

    Raises
    ------
    ValueError
        If the table is invalid, an override names an unknown column, field or kind, or its
        fields contradict each other.

    Notes
    -----
    A continuous or integer column with at most ``MAX_VALUES`` (32) distinct values, each
    seen ``MIN_ROWS_PER_VALUE`` (5) times or more on average, records them as ``values``.
    Otherwise, when every value lies on a grain ``step_offset + k * step`` coarser than the
    column's precision (``step`` at least 2 whole numbers, or 2 units of its last decimal),
    and chance alone would have put its ``n`` distinct values on that grain with probability
    ``(precision / step) ** (n - 1)`` of at most 1e-3, it records ``step`` (and
    ``step_offset`` when the grain does not start at 0).
    """
    from ._table import TableMetadata

    check_table(X)
    overrides = _normalize_overrides(overrides, X.columns)
    columns = []
    for name in X.columns:
        fields = dict(overrides.get(name, {}))
        kind = fields.pop("kind", None) or infer_kind(X[name])
        column = describe_column(X[name], kind)
        columns.append(dataclasses.replace(column, **with_grain_replaced(fields)))
    return TableMetadata(columns)


def _normalize_overrides(overrides, columns):
    if overrides is None:
        return {}
    unknown = [name for name in overrides if name not in columns]
    if unknown:
        raise ValueError(f"overrides name unknown columns {unknown!r}.")
    normalized = {}
    for name, value in overrides.items():
        fields = {"kind": value} if isinstance(value, str) else dict(value)
        if "kind" in fields and fields["kind"] not in KINDS:
            raise ValueError(
                f"overrides: column {name!r} has unknown kind {fields['kind']!r}; "
                f"expected one of {KINDS}."
            )
        unknown_fields = set(fields) - set(ColumnMetadata.__dataclass_fields__) - {"kind"}
        if unknown_fields:
            raise ValueError(f"overrides: column {name!r} has unknown metadata fields "
                             f"{sorted(unknown_fields)}.")
        normalized[name] = fields
    return normalized


def infer_kind(series):
    """Return the kind of one column, judged from its dtype and values."""
    dtype = series.dtype
    values = series.dropna()
    kind = kind_of_dtype(dtype)
    if kind is not None:
        return kind
    complete = len(values) == len(series)
    if pd.api.types.is_numeric_dtype(dtype):
        return _numeric_kind(values, complete)
    kinds_present = set(values.map(type))
    if kinds_present <= {bool, np.bool_}:
        return "boolean"
    if not any(issubclass(k, str) for k in kinds_present):
        return _numeric_kind(values.astype(float), complete)
    return _string_kind(values.astype(str), complete)


def kind_of_dtype(dtype):
    """The kind that ``dtype`` alone decides (categorical, boolean, datetime), else None."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return None


def _numeric_kind(values, complete):
    numbers = values.to_numpy(dtype=float)
    if not np.all(numbers == np.round(numbers)):
        return "continuous"
    n = len(numbers)
    unique = len(np.unique(numbers)) == n
    dense = numbers.max() - numbers.min() + 1 <= 2 * n
    if complete and n >= ID_MIN_ROWS and unique and dense:
        return "id"
    return "integer"


def _string_kind(values, complete):
    if datetime_format(values) is not None:
        return "datetime"
    n = len(values)
    n_unique = values.nunique()
    all_distinct = complete and n >= ID_MIN_ROWS and n_unique == n
    if all_distinct and not values.str.contains(r"\s").any() and values.str.contains(r"\d").all():
        return "id"
    words = values.str.split().str.len().mean()
    if words >= TEXT_MIN_WORDS and n_unique >= 0.5 * n:
        return "text"
    return "categorical"


def datetime_format(values):
    """Return the ``strftime`` format that writes every string in ``values`` back exactly.

    Returns ``None`` when no known format fits all values.
    """
    if not len(values) or not values.str.match(r"^\d").all():
        return None
    head = values.iloc[:100]
    for fmt in _DATETIME_FORMATS:
        parsed = pd.to_datetime(head, format=fmt, errors="coerce")
        if parsed.notna().all() and (parsed.dt.strftime(fmt) == head).all():
            parsed = pd.to_datetime(values, format=fmt, errors="coerce")
            if parsed.notna().all() and (parsed.dt.strftime(fmt) == values).all():
                return fmt
    return None


def describe_column(series, kind):
    """Compute the :class:`ColumnMetadata` of ``series`` modelled as ``kind``."""
    values = series.dropna()
    column = ColumnMetadata(
        name=series.name,
        kind=kind,
        dtype=str(series.dtype),
        nullable=bool(len(values) < len(series)),
        missing_rate=float(1 - len(values) / len(series)),
    )
    if kind in ("continuous", "integer"):
        _describe_number(values, column)
    elif kind == "datetime":
        _describe_datetime(values, column)
    elif kind in ("categorical", "boolean"):
        _describe_categories(series, values, column)
    elif kind == "id":
        _describe_id(values, column)
    return column


def _describe_number(values, column):
    numbers = _as_float(values, column.name)
    column.min, column.max = _python_number(numbers.min()), _python_number(numbers.max())
    if column.kind == "continuous":
        column.decimals = _decimals(numbers)
    infer_grain(numbers, column)


def _as_float(values, name):
    try:
        return values.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Column {name!r} cannot be read as numbers: {exc}") from exc


def _python_number(value):
    return int(value) if float(value).is_integer() else float(value)


def _decimals(numbers):
    return decimals_from_errors(rounding_errors(numbers), float(np.abs(numbers).max()))


def rounding_errors(numbers):
    """Largest change of ``numbers`` when rounded to 0, 1, ..., ``_MAX_DECIMALS`` decimals."""
    return np.array([np.abs(np.round(numbers, decimals) - numbers).max()
                     for decimals in range(_MAX_DECIMALS + 1)])


def decimals_from_errors(errors, largest):
    """The fewest decimals whose rounding error (:func:`rounding_errors`) is negligible
    against the largest absolute value ``largest``; None when none is."""
    scale = max(1.0, largest)
    for decimals, error in enumerate(errors):
        if error <= 1e-9 * scale:
            return decimals
    return None


def _describe_datetime(values, column):
    if not pd.api.types.is_datetime64_any_dtype(values):
        column.datetime_format = datetime_format(values.astype(str))
        if column.datetime_format is None:
            raise ValueError(
                f"Column {column.name!r} cannot be modelled as datetime: its values do not "
                "follow one date format."
            )
        values = pd.to_datetime(values, format=column.datetime_format)
    elif values.dt.tz is not None:
        column.timezone = str(values.dt.tz)
    column.datetime_unit = _datetime_unit(values)
    column.min, column.max = values.min().isoformat(), values.max().isoformat()


def _datetime_unit(stamps):
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    nanoseconds = stamps.astype("datetime64[ns]").astype("int64").to_numpy()
    for unit in _DATETIME_UNITS:
        if np.all(nanoseconds % pd.Timedelta(1, unit=unit).value == 0):
            return unit
    return "ns"


def _describe_categories(series, values, column):
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = list(series.dtype.categories)
        column.ordered = bool(series.dtype.ordered)
    else:
        categories = sorted(pd.unique(values), key=lambda v: (str(type(v)), v))
    column.categories = [v.item() if hasattr(v, "item") else v for v in categories]


def _describe_id(values, column):
    if pd.api.types.is_numeric_dtype(values.dtype) or not values.map(
        lambda v: isinstance(v, str)
    ).any():
        numbers = _as_float(values, column.name)
        column.min, column.max = _python_number(numbers.min()), _python_number(numbers.max())
        return
    column.id_template = id_template(values)


def numeric_values(series, column):
    """Return a numeric or datetime column as floats (datetimes in ``datetime_unit`` steps)."""
    if column.kind == "datetime":
        return datetime_to_number(series, column)
    return pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan)
