"""Values and column names as text, and back: the text of a row's fields.

A row is written as fields ``NAME is VALUE`` joined by ``", "``
(``"age is 39, workclass is State-gov, income is <=50K"``); :class:`~._model.TokenLayout`
writes these fields as token ids, with the names and values of this module. Each text is
exact both ways:

- a backslash escapes the next character. Values and names escape ``\\`` and ``,``; names also
  escape the ``i`` of every `` is`` followed by a space or the end of the name (so the first
  `` is `` of a field always separates its name from its value), and a value that reads like
  the missing token is written with a leading backslash;
- numbers are written in positional notation with the column's precision: integers as
  integers, continuous columns with ``decimals`` places, columns of full precision with the
  shortest digits that read back to the same float;
- datetimes are written in ISO order (``2021-03-04 17:05``, in UTC for time-zone aware
  columns) down to the column's ``datetime_unit``, whatever the real column's string format;
- a missing value is the token :data:`MISSING`.

:meth:`ColumnCodec.parse` is strict: it rejects a value outside the real range, with the
wrong precision, or a category never seen, so a text that parses is a valid value of the real
column.
"""

import re
from decimal import Decimal

import numpy as np
import pandas as pd

from ..metadata._dtypes import datetime_to_number, timestamp_to_number

__all__ = ["MISSING", "ColumnCodec", "RowCodec"]

#: Text of a missing value.
MISSING = "<NA>"
#: Between a column name and its value.
NAME_SEPARATOR = " is "
#: Between two fields; its first character, :data:`TERMINATOR`, ends a value.
FIELD_SEPARATOR = ", "
TERMINATOR = ","
_ESCAPE = "\\"
#: ISO template of each datetime unit: ``9`` is a digit, anything else is written as is.
DATETIME_TEMPLATES = {
    "D": "9999-99-99",
    "h": "9999-99-99 99",
    "min": "9999-99-99 99:99",
    "s": "9999-99-99 99:99:99",
    "ms": "9999-99-99 99:99:99.999",
    "us": "9999-99-99 99:99:99.999999",
    "ns": "9999-99-99 99:99:99.999999999",
}
_NAME_IS = re.compile(r" is(?= |$)")


def escape_value(text):
    """Escape a value's text: backslashes, commas, and a value equal to :data:`MISSING`."""
    text = text.replace(_ESCAPE, _ESCAPE * 2).replace(TERMINATOR, _ESCAPE + TERMINATOR)
    return _ESCAPE + text if text == MISSING else text


def escape_name(name):
    """Escape a column name so that the first `` is `` of a field follows the name."""
    text = name.replace(_ESCAPE, _ESCAPE * 2).replace(TERMINATOR, _ESCAPE + TERMINATOR)
    return _NAME_IS.sub(lambda match: " " + _ESCAPE + "is", text)


def unescape(text):
    """Inverse of the escapes: a backslash keeps the next character (a last one is kept)."""
    if _ESCAPE not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == _ESCAPE and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


class ColumnCodec:
    """Text of one column's values, and the values of a text.

    Parameters
    ----------
    column : ColumnMetadata
        The column's metadata (kind, range, decimals, categories, datetime unit).
    fraction_digits : int, default=0
        Most digits after the point of a continuous column of full precision
        (``decimals=None``); ignored otherwise.

    Attributes
    ----------
    name : str
        The column's name.
    kind : str
        The column's kind.
    escaped_name : str
        The name as written in a field.
    """

    def __init__(self, column, fraction_digits=0):
        self.column = column
        self.name = column.name
        self.kind = column.kind
        self.escaped_name = escape_name(column.name)
        self.fraction_digits = fraction_digits
        if self.kind in ("categorical", "boolean"):
            texts = [escape_value(str(value)) for value in column.categories]
            if len(set(texts)) < len(texts):
                raise ValueError(
                    f"Column {self.name!r}: two categories are written the same way as text "
                    f"({column.categories[:20]!r}); make their string forms distinct."
                )
            self.category_texts = texts
            self._category_of_text = dict(zip(texts, column.categories))
        if self.kind in ("continuous", "integer"):
            # the real range as written at the column's precision, as real values are written
            self.written_range = tuple(float(self._number_text(bound))
                                       for bound in (column.min, column.max))
        if self.kind == "datetime":
            self.template = DATETIME_TEMPLATES[column.datetime_unit]
            self.bounds = tuple(_utc_naive(value) for value in (column.min, column.max))

    # -- numbers ------------------------------------------------------------------------
    @property
    def scale(self):
        """Digits after the point: 0 for integers, ``decimals``, or ``fraction_digits``."""
        if self.kind == "integer":
            return 0
        return self.column.decimals if self.column.decimals is not None else self.fraction_digits

    @property
    def exact_scale(self):
        """Whether every number has exactly :attr:`scale` digits after the point."""
        return self.kind == "integer" or self.column.decimals is not None

    def unit_bounds(self):
        """Lowest and highest value in units of ``10**-scale``, as Python integers."""
        factor = Decimal(10) ** self.scale
        low = Decimal(repr(self.column.min)) * factor
        high = Decimal(repr(self.column.max)) * factor
        return int(low.to_integral_value(rounding="ROUND_CEILING")), int(
            high.to_integral_value(rounding="ROUND_FLOOR"))

    def _number_text(self, value):
        value = float(value)
        if self.kind == "integer":
            return str(int(round(value)))
        if self.column.decimals is not None:
            text = f"{value:.{self.column.decimals}f}"
        else:
            text = np.format_float_positional(value, unique=True, trim="-")
        return text[1:] if text.startswith("-") and float(text) == 0 else text

    def _parse_number(self, text):
        match = re.fullmatch(r"-?(0|[1-9][0-9]*)(\.([0-9]+))?", text)
        if match is None:
            raise ValueError(f"{text!r} is not a number written in positional notation")
        fraction = match.group(3) or ""
        if match.group(2) is not None and not fraction:
            raise ValueError(f"{text!r} has a point without digits after it")
        if len(fraction) > self.scale or (self.exact_scale and len(fraction) != self.scale):
            raise ValueError(f"{text!r} does not have the column's {self.scale} decimals")
        if text.startswith("-") and Decimal(text) == 0:
            raise ValueError(f"{text!r} is a negative zero")
        value = int(text) if self.kind == "integer" else float(text)
        low, high = self.written_range
        if not low <= value <= high:
            raise ValueError(
                f"{text} is outside the real range [{self.column.min}, {self.column.max}]"
            )
        return value

    # -- datetimes ----------------------------------------------------------------------
    def _datetime_text(self, stamp):
        text = stamp.strftime("%Y-%m-%d %H:%M:%S") + f".{stamp.microsecond:06d}"
        text += f"{stamp.nanosecond:03d}"
        return text[: len(self.template)]

    def _parse_datetime(self, text):
        if len(text) != len(self.template) or any(
            (t == "9") != c.isdigit() or (t != "9" and t != c) for t, c in zip(self.template, text)
        ):
            raise ValueError(f"{text!r} does not follow the datetime template {self.template!r}")
        digits = re.findall(r"[0-9]+", text) + ["0"] * 7
        fraction = digits[6].ljust(9, "0") if len(text) > 19 else "0"
        try:
            stamp = pd.Timestamp(*map(int, digits[:6]), int(fraction[:6]),
                                 nanosecond=int(fraction[6:9] or 0))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid date: {exc}") from exc
        if not self.bounds[0] <= stamp <= self.bounds[1]:
            raise ValueError(
                f"{text} is outside the real range [{self.column.min}, {self.column.max}]"
            )
        return timestamp_to_number(stamp, self.column.datetime_unit)

    # -- any kind -----------------------------------------------------------------------
    def format(self, series):
        """Return the escaped text of each value of ``series`` (real values, any dtype).

        Parameters
        ----------
        series : Series
            Values of this column.

        Returns
        -------
        list of str
        """
        missing = series.isna().to_numpy()
        if self.kind in ("continuous", "integer"):
            numbers = pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan)
            texts = [None if m else self._number_text(v) for v, m in zip(numbers, missing)]
        elif self.kind == "datetime":
            steps = datetime_to_number(series, self.column)
            stamps = pd.to_datetime(np.where(missing, 0, steps), unit=self.column.datetime_unit)
            texts = [None if m else self._datetime_text(s) for s, m in zip(stamps, missing)]
        else:
            texts = [None if m else escape_value(str(v)) for v, m in zip(series, missing)]
        return [MISSING if text is None else text for text in texts]

    def parse(self, text):
        """Return the value written as ``text``: a number (datetimes as ``datetime_unit``
        steps since 1970), a category, a string, or NaN for :data:`MISSING`.

        Raises
        ------
        ValueError
            If the text is no valid value of the real column; the message names the column.
        """
        try:
            return self._parse(text)
        except ValueError as exc:
            raise ValueError(f"Column {self.name!r}: {exc}.") from None

    def _parse(self, text):
        if text == MISSING:
            if not self.column.nullable:
                raise ValueError("a missing value, but the real column has none")
            return np.nan
        if self.kind in ("continuous", "integer"):
            return self._parse_number(text)
        if self.kind == "datetime":
            return self._parse_datetime(text)
        if self.kind in ("categorical", "boolean"):
            if text not in self._category_of_text:
                raise ValueError(f"{unescape(text)!r} is not one of its categories")
            return self._category_of_text[text]
        return unescape(text)


class RowCodec:
    """The text of every column of a table: the codec of each column.

    Parameters
    ----------
    metadata : TableMetadata
        Metadata of the modelled columns, in table order.
    table : DataFrame
        The real table: it sets the digits of continuous columns of full precision.

    Attributes
    ----------
    columns : list of str
        The columns, in table order.
    codecs : dict of str to ColumnCodec
        Each column's codec.
    """

    def __init__(self, metadata, table):
        self.columns = list(metadata.columns)
        self.codecs = {}
        for column in metadata:
            digits = 0
            if column.kind == "continuous" and column.decimals is None:
                digits = _fraction_digits(table[column.name])
            self.codecs[column.name] = ColumnCodec(column, digits)

    def cells(self, table):
        """Escaped text of every cell: a dict of column name to list of str."""
        return {name: self.codecs[name].format(table[name]) for name in self.columns}


def _fraction_digits(series):
    """Most digits after the point in the shortest positional text of the values."""
    values = pd.to_numeric(series.dropna()).to_numpy(dtype=float)
    texts = (np.format_float_positional(v, unique=True, trim="-") for v in values)
    return max((len(text.partition(".")[2]) for text in texts), default=0)


def _utc_naive(value):
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tz is not None else stamp
