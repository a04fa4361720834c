"""Give generated values back the exact dtype of the real column."""

import numpy as np
import pandas as pd

from ._grain import snap

_EPOCH = pd.Timestamp("1970-01-01")


def pandas_dtype(column):
    """Return the pandas dtype recorded for ``column``."""
    if column.dtype == "category":
        return pd.CategoricalDtype(column.categories, ordered=column.ordered)
    if column.dtype == "str" and int(pd.__version__.split(".")[0]) < 3:
        return np.dtype(object)
    return pd.api.types.pandas_dtype(column.dtype)


def cast_column(series, column):
    """Convert ``series`` to the real column's dtype, with numbers on its values or grain.

    Numbers are moved to the nearest of the column's ``values`` or to its grain (``step``)
    within its real range, then rounded to its precision.

    Parameters
    ----------
    series : Series
        Generated values: numbers for numeric kinds (datetimes as numbers of
        ``column.datetime_unit`` since 1970, or datetime-like), Python values otherwise; missing
        values as NaN, None or NA.
    column : ColumnMetadata
        The real column's metadata.

    Returns
    -------
    Series
        Values with the real column's dtype.
    """
    if column.kind == "datetime":
        return _cast_datetime(series, column)
    if column.kind in ("continuous", "integer"):
        numbers = pd.to_numeric(series).astype(float)
        series = _round(pd.Series(snap(numbers.to_numpy(), column), index=series.index,
                                  name=series.name), column)
    return _astype(series, pandas_dtype(column), column.name)


def datetime_to_number(series, column):
    """Express datetimes (or their strings) as float ``datetime_unit`` steps since 1970."""
    stamps = _parse_datetimes(series, column)
    return ((stamps - _EPOCH) / pd.Timedelta(1, unit=column.datetime_unit)).to_numpy(
        dtype=float, na_value=np.nan
    )


def timestamp_to_number(value, unit):
    """Express one timestamp (or its ISO string) as float ``unit`` steps since 1970, in UTC."""
    stamp = pd.Timestamp(value)
    if stamp.tz is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return (stamp - _EPOCH) / pd.Timedelta(1, unit=unit)


def _parse_datetimes(series, column):
    if column.datetime_format is not None and not pd.api.types.is_datetime64_any_dtype(series):
        stamps = pd.to_datetime(series, format=column.datetime_format, errors="raise")
    else:
        stamps = pd.to_datetime(series)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _cast_datetime(series, column):
    if pd.api.types.is_numeric_dtype(series):
        stamps = pd.Series(
            _steps_to_datetime64(series.to_numpy(dtype=float), column.datetime_unit),
            index=series.index,
        )
    else:
        stamps = _parse_datetimes(series, column)
    if column.timezone is not None:
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(column.timezone)
    if column.datetime_format is not None:
        text = stamps.dt.strftime(column.datetime_format).astype(object)
        return _astype(text.where(stamps.notna(), np.nan), pandas_dtype(column), column.name)
    return _astype(stamps, pandas_dtype(column), column.name)


def _steps_to_datetime64(values, unit):
    """Whole ``unit`` steps since 1970 as datetime64[ns], NaN as NaT.

    Integer arithmetic on purpose: pandas' float path checks floating-point flags under
    ``np.errstate(over="raise")`` and was seen to fail on valid input.
    """
    steps = np.rint(values)
    missing = np.isnan(steps)
    nanoseconds = np.where(missing, 0, steps).astype(np.int64) * pd.Timedelta(1, unit=unit).value
    stamps = nanoseconds.astype("datetime64[ns]")
    stamps[missing] = np.datetime64("NaT")
    return stamps


def _round(values, column):
    if column.kind == "integer":
        return np.rint(values)
    if column.decimals is not None:
        return values.round(column.decimals)
    return values


def _astype(series, dtype, name):
    if series.isna().any() and (
        (isinstance(dtype, np.dtype) and dtype.kind in "iub")
    ):
        raise ValueError(
            f"Column {name!r} has dtype {dtype}, which cannot hold missing values, but "
            "missing values were generated for it."
        )
    if isinstance(dtype, np.dtype) and dtype == object:
        return series.astype(object).where(series.notna(), np.nan)
    return series.astype(dtype)
