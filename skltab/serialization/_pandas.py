"""Handlers of pandas values: frames, series, indexes, categoricals, extension arrays and
dtypes, timestamps, durations and missing-value markers.

A column or an index keeps its exact dtype: NumPy-backed values are arrays, categoricals
are their codes and dtype, other extension arrays (nullable integers, strings, time zones)
are their values as objects and their dtype.
"""

import sys

import numpy as np

from ._walker import Handler, invalid, unsupported


def _pandas():
    return sys.modules.get("pandas")


def _is(value, name):
    """Whether ``value`` is an instance of ``pandas.<name>`` (without importing pandas)."""
    pd = _pandas()
    return pd is not None and isinstance(value, getattr(pd, name))


def _values(container, encoder, path):
    """The node of the values of a series or an index: an array or an extension array."""
    if isinstance(container.dtype, np.dtype):
        return encoder.encode(container.to_numpy(), path)
    return encoder.encode(container.array, path)


class DataFrameHandler(Handler):
    tag = "pandas.dataframe"
    shared = True

    def handles(self, value):
        return _is(value, "DataFrame")

    def encode(self, value, encoder, path):
        return {
            "columns": encoder.encode(value.columns, f"{path}.columns"),
            "index": encoder.encode(value.index, f"{path}.index"),
            "data": [_values(value.iloc[:, j], encoder, f"{path}[{value.columns[j]!r}]")
                     for j in range(value.shape[1])],
        }

    def decode(self, node, decoder, path):
        pd = _pandas()
        columns = decoder.decode(node["columns"], path)
        index = decoder.decode(node["index"], path)
        data = decoder.decode(node["data"], path)
        if len(data) != len(columns):
            raise invalid(path, f"{len(data)} columns of data for {len(columns)} names.")
        # Each column as a Series of its own dtype, so that pandas infers nothing.
        frame = pd.DataFrame({j: pd.Series(values, index=index, dtype=values.dtype)
                              for j, values in enumerate(data)}, index=index)
        frame.columns = columns
        return frame


class SeriesHandler(Handler):
    tag = "pandas.series"
    shared = True

    def handles(self, value):
        return _is(value, "Series")

    def encode(self, value, encoder, path):
        return {"values": _values(value, encoder, f"{path}.values"),
                "index": encoder.encode(value.index, f"{path}.index"),
                "name": encoder.encode(value.name, f"{path}.name")}

    def decode(self, node, decoder, path):
        values = decoder.decode(node["values"], path)
        return _pandas().Series(values, index=decoder.decode(node["index"], path),
                                dtype=values.dtype, name=decoder.decode(node["name"], path))


class RangeIndexHandler(Handler):
    tag = "pandas.range_index"
    shared = True

    def handles(self, value):
        return _is(value, "RangeIndex")

    def encode(self, value, encoder, path):
        return {"start": value.start, "stop": value.stop, "step": value.step,
                "name": encoder.encode(value.name, f"{path}.name")}

    def decode(self, node, decoder, path):
        return _pandas().RangeIndex(node["start"], node["stop"], node["step"],
                                    name=decoder.decode(node["name"], path))


class IndexHandler(Handler):
    tag = "pandas.index"
    shared = True

    def handles(self, value):
        return _is(value, "Index")

    def encode(self, value, encoder, path):
        if _is(value, "MultiIndex"):
            raise unsupported(value, path, "multi-level indexes are not supported")
        return {"values": _values(value, encoder, f"{path}.values"),
                "dtype": encoder.encode(value.dtype, f"{path}.dtype"),
                "name": encoder.encode(value.name, f"{path}.name")}

    def decode(self, node, decoder, path):
        return _pandas().Index(decoder.decode(node["values"], path),
                               dtype=decoder.decode(node["dtype"], path),
                               name=decoder.decode(node["name"], path))


class CategoricalHandler(Handler):
    tag = "pandas.categorical"
    shared = True

    def handles(self, value):
        return _is(value, "Categorical")

    def encode(self, value, encoder, path):
        return {"codes": encoder.encode(np.asarray(value.codes), f"{path}.codes"),
                "dtype": encoder.encode(value.dtype, f"{path}.dtype")}

    def decode(self, node, decoder, path):
        dtype = decoder.decode(node["dtype"], path)
        return _pandas().Categorical.from_codes(decoder.decode(node["codes"], path), dtype=dtype)


class ExtensionArrayHandler(Handler):
    """Extension arrays besides categoricals, as their values (objects) and dtype."""

    tag = "pandas.array"
    shared = True

    def handles(self, value):
        pd = _pandas()
        return pd is not None and isinstance(value, pd.api.extensions.ExtensionArray)

    def encode(self, value, encoder, path):
        return {"values": encoder.encode(np.asarray(value, dtype=object), f"{path}.values"),
                "dtype": encoder.encode(value.dtype, f"{path}.dtype")}

    def decode(self, node, decoder, path):
        return _pandas().array(decoder.decode(node["values"], path),
                               dtype=decoder.decode(node["dtype"], path))


class CategoricalDtypeHandler(Handler):
    tag = "pandas.categorical_dtype"

    def handles(self, value):
        return _is(value, "CategoricalDtype")

    def encode(self, value, encoder, path):
        return {"categories": encoder.encode(value.categories, f"{path}.categories"),
                "ordered": encoder.encode(value.ordered, path)}

    def decode(self, node, decoder, path):
        return _pandas().CategoricalDtype(decoder.decode(node["categories"], path),
                                          ordered=decoder.decode(node["ordered"], path))


class StringDtypeHandler(Handler):
    tag = "pandas.string_dtype"

    def handles(self, value):
        return _is(value, "StringDtype")

    def encode(self, value, encoder, path):
        return {"storage": value.storage,
                "na_value": encoder.encode(value.na_value, f"{path}.na_value")}

    def decode(self, node, decoder, path):
        pd = _pandas()
        na_value = decoder.decode(node["na_value"], path)
        if na_value is pd.NA:
            return pd.StringDtype(node["storage"])
        return pd.StringDtype(node["storage"], na_value=na_value)


class ExtensionDtypeHandler(Handler):
    """Other extension dtypes (nullable numbers, time zones, periods), by their name."""

    tag = "pandas.dtype"

    def handles(self, value):
        pd = _pandas()
        return pd is not None and isinstance(value, pd.api.extensions.ExtensionDtype)

    def encode(self, value, encoder, path):
        return {"name": str(value)}

    def decode(self, node, decoder, path):
        pd = _pandas()
        dtype = pd.api.types.pandas_dtype(node["name"])
        if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
            raise invalid(path, f"{node['name']!r} is not a pandas extension dtype.")
        return dtype


class TimestampHandler(Handler):
    tag = "pandas.timestamp"

    def handles(self, value):
        return _is(value, "Timestamp")

    def encode(self, value, encoder, path):
        return {"nanoseconds": value.value, "unit": value.unit,
                "tz": None if value.tz is None else str(value.tz)}

    def decode(self, node, decoder, path):
        pd = _pandas()
        if node["tz"] is None:
            stamp = pd.Timestamp(node["nanoseconds"], unit="ns")
        else:
            stamp = pd.Timestamp(node["nanoseconds"], unit="ns", tz="UTC").tz_convert(node["tz"])
        return stamp.as_unit(node["unit"])


class TimedeltaHandler(Handler):
    tag = "pandas.timedelta"

    def handles(self, value):
        return _is(value, "Timedelta")

    def encode(self, value, encoder, path):
        return {"nanoseconds": value.value, "unit": value.unit}

    def decode(self, node, decoder, path):
        return _pandas().Timedelta(node["nanoseconds"], unit="ns").as_unit(node["unit"])


class MissingHandler(Handler):
    """``pandas.NA`` and ``pandas.NaT``."""

    tag = "pandas.missing"

    def handles(self, value):
        pd = _pandas()
        return pd is not None and (value is pd.NA or value is pd.NaT)

    def encode(self, value, encoder, path):
        return {"name": "NA" if value is _pandas().NA else "NaT"}

    def decode(self, node, decoder, path):
        if node["name"] not in ("NA", "NaT"):
            raise invalid(path, f"{node['name']!r} is not a pandas missing value.")
        return getattr(_pandas(), node["name"])


HANDLERS = [DataFrameHandler(), SeriesHandler(), RangeIndexHandler(), IndexHandler(),
            CategoricalHandler(), ExtensionArrayHandler(), CategoricalDtypeHandler(),
            StringDtypeHandler(), ExtensionDtypeHandler(), MissingHandler(), TimestampHandler(),
            TimedeltaHandler()]
