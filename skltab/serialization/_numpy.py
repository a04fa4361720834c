"""Handlers of NumPy values: arrays, scalars, dtypes and ``RandomState`` generators.

Arrays of numbers and booleans go to ``arrays.safetensors``; datetimes and durations too, as
their int64 counts. Arrays of strings are JSON lists; arrays of objects are lists of nodes.
"""

import numpy as np

from ._walker import Handler, invalid, unsupported

#: Kinds of arrays stored in safetensors as they are, and as int64 counts.
_NUMBER_KINDS = "biuf"
_TIME_KINDS = "mM"


class ArrayHandler(Handler):
    tag = "numpy.ndarray"
    shared = True

    def handles(self, value):
        return type(value) is np.ndarray

    def encode(self, value, encoder, path):
        dtype = value.dtype
        node = {"dtype": _dtype_text(dtype, value, path), "shape": list(value.shape)}
        if dtype.kind in _NUMBER_KINDS:
            node["key"] = encoder.add_array(_contiguous(value), path)
        elif dtype.kind in _TIME_KINDS:
            node["key"] = encoder.add_array(_contiguous(value).view(np.int64), path)
        elif dtype.kind == "U":
            node["items"] = value.ravel().tolist()
        elif dtype.kind == "O":
            node["items"] = [encoder.encode(item, f"{path}[{i}]")
                             for i, item in enumerate(value.ravel())]
        else:
            raise unsupported(value, path, f"arrays of dtype {dtype} are not supported")
        return node

    def decode(self, node, decoder, path):
        dtype = _dtype(node["dtype"], path)
        shape = tuple(node["shape"])
        if dtype.kind in _NUMBER_KINDS + _TIME_KINDS:
            stored = decoder.store.array(node["key"], shape, path)
            expected = np.dtype(np.int64) if dtype.kind in _TIME_KINDS else dtype
            if stored.dtype != expected.newbyteorder("<"):
                raise invalid(path, f"the array {node['key']!r} holds {stored.dtype}, where "
                              f"the model expects {expected}.")
            if dtype.kind in _TIME_KINDS:
                return stored.view(dtype)
            return stored.astype(dtype, copy=False)
        items = node["items"] if dtype.kind == "U" else decoder.decode(node["items"], path)
        if not isinstance(items, list) or len(items) != int(np.prod(shape)):
            raise invalid(path, f"an array of shape {shape} needs {int(np.prod(shape))} items.")
        array = np.empty(len(items), dtype=dtype)
        for i, item in enumerate(items):
            array[i] = item
        return array.reshape(shape)


class ScalarHandler(Handler):
    tag = "numpy.scalar"

    def handles(self, value):
        return isinstance(value, np.generic)

    def encode(self, value, encoder, path):
        dtype = value.dtype
        if dtype.kind in _TIME_KINDS:
            item = int(value.view(np.int64))
        elif dtype.kind in _NUMBER_KINDS + "U":
            item = value.item()
        else:
            raise unsupported(value, path, f"scalars of dtype {dtype} are not supported")
        return {"dtype": _dtype_text(dtype, value, path), "value": encoder.encode(item, path)}

    def decode(self, node, decoder, path):
        dtype = _dtype(node["dtype"], path)
        value = decoder.decode(node["value"], path)
        if dtype.kind in _TIME_KINDS:
            return np.array(value, dtype=np.int64).view(dtype)[()]
        if dtype.kind not in _NUMBER_KINDS + "U":
            raise invalid(path, f"scalars of dtype {dtype} are not supported.")
        return np.array(value, dtype=dtype)[()]


class DtypeHandler(Handler):
    tag = "numpy.dtype"

    def handles(self, value):
        return isinstance(value, np.dtype)

    def encode(self, value, encoder, path):
        return {"dtype": _dtype_text(value, value, path)}

    def decode(self, node, decoder, path):
        return _dtype(node["dtype"], path)


class RandomStateHandler(Handler):
    """A ``RandomState`` in its exact state, so that it goes on with the same numbers."""

    tag = "numpy.random_state"
    shared = True

    def handles(self, value):
        return type(value) is np.random.RandomState

    def encode(self, value, encoder, path):
        name, keys, position, has_gauss, cached_gaussian = value.get_state(legacy=True)
        if name != "MT19937":
            raise unsupported(value, path, f"its bit generator {name} is not supported")
        return {"keys": encoder.add_array(keys, f"{path}.keys"), "position": int(position),
                "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)}

    def decode(self, node, decoder, path):
        keys = decoder.store.array(node["keys"], (624,), path)
        if keys.dtype != np.uint32:
            raise invalid(path, f"the keys of a RandomState are uint32, not {keys.dtype}.")
        generator = np.random.RandomState()
        generator.set_state(("MT19937", keys, node["position"], node["has_gauss"],
                             node["cached_gaussian"]))
        return generator


def _contiguous(array):
    """``array`` in C order (``np.ascontiguousarray`` would make a 0-d array 1-d)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def _dtype_text(dtype, value, path):
    if dtype.fields is not None or dtype.subdtype is not None:
        raise unsupported(value, path, "structured dtypes are not supported")
    return dtype.str


def _dtype(text, path):
    if not isinstance(text, str):
        raise invalid(path, f"{text!r} is not a dtype.")
    try:
        dtype = np.dtype(text)
    except TypeError as exc:
        raise invalid(path, f"{text!r} is not a dtype.") from exc
    if dtype.fields is not None or dtype.subdtype is not None:
        raise invalid(path, f"{text!r} is a structured dtype.")
    return dtype


HANDLERS = [ArrayHandler(), ScalarHandler(), DtypeHandler(), RandomStateHandler()]
