"""Validation of ``conditions``, done once for every synthesizer."""

import numbers

import numpy as np
import pandas as pd

from ..metadata._dtypes import timestamp_to_number
from ..metadata._grain import snap


def check_conditions(conditions, n_samples, metadata):
    """Check fixed values asked of ``sample`` against the fitted table's metadata.

    Parameters
    ----------
    conditions : dict, DataFrame or None
        ``{column: value}`` for every row, or a DataFrame of ``n_samples`` rows.
    n_samples : int
        Number of rows asked for.
    metadata : TableMetadata
        Metadata of the fitted table.

    Returns
    -------
    DataFrame or None
        ``n_samples`` rows of fixed values (index 0..n_samples-1), or None without conditions.

    Raises
    ------
    ValueError
        For unknown or ID columns, a DataFrame of the wrong length, and values the real
        column could not hold: an unseen category, a number outside the real range, a
        fraction in an integer column, a number off a column's ``values`` or ``step``, a
        missing value in a column without missing values.
    """
    if conditions is None:
        return None
    if isinstance(conditions, dict):
        frame = pd.DataFrame({name: [value] * n_samples for name, value in conditions.items()})
    elif isinstance(conditions, pd.DataFrame):
        if len(conditions) != n_samples:
            raise ValueError(
                f"conditions has {len(conditions)} rows but n_samples={n_samples}; pass "
                f"n_samples=len(conditions) for one output row per condition row."
            )
        frame = conditions.reset_index(drop=True)
    else:
        raise TypeError(
            f"conditions must be a dict or a DataFrame; got {type(conditions).__name__}."
        )
    if frame.shape[1] == 0:
        return None
    unknown = [name for name in frame.columns if name not in metadata]
    if unknown:
        raise ValueError(
            f"conditions name unknown columns {unknown}; the fitted columns are "
            f"{metadata.columns}."
        )
    for name in frame.columns:
        _check_column(frame[name], metadata[name])
    return frame


def _check_column(values, column):
    name = column.name
    if column.kind == "id":
        raise ValueError(f"conditions: column {name!r} is an ID column, which is regenerated, "
                         "not sampled; it cannot be conditioned on.")
    present = values[values.notna()]
    if len(present) < len(values) and not column.nullable:
        raise ValueError(f"conditions: column {name!r} had no missing values in the real "
                         "table; a missing value cannot be asked for.")
    if column.kind in ("categorical", "boolean"):
        _check_categories(present, column)
    elif column.kind in ("continuous", "integer"):
        _check_numbers(present, column)
    elif column.kind == "datetime":
        _check_datetimes(present, column)
    elif not present.map(lambda v: isinstance(v, str)).all():
        raise ValueError(f"conditions: column {name!r} holds text; its values must be strings.")


def _check_categories(values, column):
    known = pd.Index(column.categories)
    unseen = [v for v in values.drop_duplicates().tolist() if not _is_known(v, known)]
    if unseen:
        raise ValueError(
            f"conditions: column {column.name!r} never takes the values {unseen[:5]!r}; its "
            f"categories are {column.categories[:20]!r}."
        )


def _is_known(value, known):
    try:
        return value in known
    except TypeError:
        return False


def _check_numbers(values, column):
    name = column.name
    bad = [v for v in values if isinstance(v, (bool, np.bool_)) or not isinstance(
        v, numbers.Real)]
    if bad:
        raise ValueError(f"conditions: column {name!r} is numeric; got {bad[0]!r}.")
    numbers_ = values.to_numpy(dtype=float)
    if column.kind == "integer" and not np.all(numbers_ == np.round(numbers_)):
        raise ValueError(f"conditions: column {name!r} holds integers; got a fraction.")
    outside = (numbers_ < column.min) | (numbers_ > column.max) | ~np.isfinite(numbers_)
    if outside.any():
        raise ValueError(
            f"conditions: column {name!r} value {values[outside].iloc[0]} is outside the "
            f"real range [{column.min}, {column.max}]."
        )
    off_grain = ~np.isclose(snap(numbers_, column), numbers_, rtol=1e-12, atol=0)
    if off_grain.any():
        allowed = f"values {column.values}" if column.values is not None else (
            f"multiples of {column.step} from {column.step_offset or 0}")
        raise ValueError(
            f"conditions: column {name!r} value {values[off_grain].iloc[0]} is not one it "
            f"takes; it takes only {allowed}."
        )


def _check_datetimes(values, column):
    try:
        stamps = [timestamp_to_number(_parse(v, column), column.datetime_unit) for v in values]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"conditions: column {column.name!r} holds datetimes; {exc}") from exc
    low = timestamp_to_number(column.min, column.datetime_unit)
    high = timestamp_to_number(column.max, column.datetime_unit)
    outside = [v for v, s in zip(values, stamps) if not low <= s <= high]
    if outside:
        raise ValueError(
            f"conditions: column {column.name!r} value {outside[0]!r} is outside the real "
            f"range [{column.min}, {column.max}]."
        )


def _parse(value, column):
    if isinstance(value, str) and column.datetime_format is not None:
        return pd.to_datetime(value, format=column.datetime_format)
    stamp = pd.Timestamp(value)
    if column.timezone is not None and stamp.tz is None:
        raise ValueError(f"{value!r} has no time zone; the column is in {column.timezone}.")
    return stamp
