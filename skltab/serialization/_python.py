"""Handlers of Python's own values and of plain objects of allowed classes.

A plain object (an estimator, a fitted helper, a dataclass) is written as its class name and
its ``__dict__``; it is read back by creating the instance without calling ``__init__``
(``cls.__new__(cls)``) and restoring its attributes, as pickle does, but only for classes
that the :class:`~._allowlist.ClassResolver` allows. A class may name, in its class attribute
``_unsaved_attributes``, attributes that are not written: a cache it rebuilds when missing
(a fitted model with no safe form, refitted from the saved data).
"""

import copyreg
import enum
import types
from collections import OrderedDict

from ..utils._persistence import relocate_device
from ._allowlist import class_name, is_nameable
from ._walker import Handler, invalid, unsupported

#: Classes that are never written, with the reason.
_REFUSED = {
    "skltab.integrations.sdv:SDVSynthesizer": "it holds SDV's objects, which cannot be "
    "saved without pickle",
}
_NON_FINITE = ("nan", "inf", "-inf")


class NonFiniteFloatHandler(Handler):
    """NaN and infinities, which JSON cannot hold."""

    tag = "float"

    def handles(self, value):
        return type(value) is float

    def encode(self, value, encoder, path):
        return {"value": repr(value)}

    def decode(self, node, decoder, path):
        if node["value"] not in _NON_FINITE:
            raise invalid(path, f"{node['value']!r} is not one of {_NON_FINITE}.")
        return float(node["value"])


class TupleHandler(Handler):
    tag = "tuple"

    def handles(self, value):
        return type(value) is tuple

    def encode(self, value, encoder, path):
        return {"items": [encoder.encode(item, f"{path}[{i}]") for i, item in enumerate(value)]}

    def decode(self, node, decoder, path):
        return tuple(decoder.decode(node["items"], path))


class DictHandler(Handler):
    """Dicts with keys other than strings, or ordered dicts, as lists of pairs."""

    tag = "dict"

    def handles(self, value):
        return type(value) in (dict, OrderedDict)

    def encode(self, value, encoder, path):
        items = [[encoder.encode(key, f"{path}<key {i}>"),
                  encoder.encode(item, f"{path}[{key!r}]")]
                 for i, (key, item) in enumerate(value.items())]
        return {"ordered": type(value) is OrderedDict, "items": items}

    def decode(self, node, decoder, path):
        pairs = decoder.decode(node["items"], path)
        return (OrderedDict if node["ordered"] else dict)((key, item) for key, item in pairs)


class SetHandler(Handler):
    tag = "set"

    def handles(self, value):
        return type(value) in (set, frozenset)

    def encode(self, value, encoder, path):
        items = [encoder.encode(item, f"{path}{{{i}}}") for i, item in enumerate(value)]
        return {"frozen": type(value) is frozenset, "items": items}

    def decode(self, node, decoder, path):
        return (frozenset if node["frozen"] else set)(decoder.decode(node["items"], path))


class NamedTupleHandler(Handler):
    """Named tuples of allowed classes."""

    tag = "namedtuple"

    def handles(self, value):
        return isinstance(value, tuple) and hasattr(type(value), "_fields")

    def encode(self, value, encoder, path):
        return {"class": _checked_class_name(value, path),
                "items": [encoder.encode(item, f"{path}.{name}")
                          for name, item in zip(value._fields, value)]}

    def decode(self, node, decoder, path):
        cls = decoder.resolver.resolve(node["class"], "object", path)
        if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise invalid(path, f"{node['class']} is not a named tuple.")
        return cls._make(decoder.decode(node["items"], path))


class EnumHandler(Handler):
    """Members of enumerations of allowed classes."""

    tag = "enum"

    def handles(self, value):
        return isinstance(value, enum.Enum)

    def encode(self, value, encoder, path):
        return {"class": _checked_class_name(value, path),
                "value": encoder.encode(value.value, path)}

    def decode(self, node, decoder, path):
        cls = decoder.resolver.resolve(node["class"], "object", path)
        if not issubclass(cls, enum.Enum):
            raise invalid(path, f"{node['class']} is not an enumeration.")
        return cls(decoder.decode(node["value"], path))


class ObjectHandler(Handler):
    """Plain objects: their class and attributes.

    An estimator's attribute ``device_`` naming a GPU this machine does not have becomes
    ``"cpu"``, with a warning, as in a pickle.
    """

    tag = "object"
    shared = True

    def handles(self, value):
        return hasattr(value, "__dict__") and not isinstance(value, _NOT_OBJECTS)

    def encode(self, value, encoder, path):
        cls = type(value)
        if class_name(cls) in _REFUSED:
            raise unsupported(value, path, _REFUSED[class_name(cls)])
        if _pickles_its_own_way(cls):
            raise unsupported(value, path, "its class pickles itself in its own way")
        if any(not klass.__flags__ & _HEAP_TYPE for klass in cls.__mro__[:-1]):
            raise unsupported(value, path, "its class is built in, so its state is not all in "
                              "its attributes")
        if _slots(cls):
            raise unsupported(value, path, f"its attributes {_slots(cls)} are slots")
        unsaved = getattr(cls, "_unsaved_attributes", ())
        state = {name: item for name, item in vars(value).items() if name not in unsaved}
        return {"class": _checked_class_name(value, path),
                "state": encoder.encode(state, path)}

    def decode(self, node, decoder, path):
        cls = decoder.resolver.resolve(node["class"], "object", path)
        value = cls.__new__(cls)
        decoder.remember(node, value)
        state = decoder.decode(node["state"], path)
        if not isinstance(state, dict) or not all(isinstance(key, str) for key in state):
            raise invalid(path, "the attributes of an object must be a dict with string keys.")
        relocate_device(state)
        value.__dict__.update(state)
        return value


_NOT_OBJECTS = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                types.ModuleType)
#: The flag of classes created at run time (by a class statement), as opposed to built-in ones.
_HEAP_TYPE = 1 << 9


def _pickles_its_own_way(cls):
    return (cls.__reduce_ex__ is not object.__reduce_ex__
            or cls.__reduce__ is not object.__reduce__
            or any(klass in copyreg.dispatch_table for klass in cls.__mro__))


def _checked_class_name(value, path):
    cls = type(value)
    if not is_nameable(cls):
        raise unsupported(value, path, "its class is defined inside a function, so it cannot "
                          "be found by name when loading")
    return class_name(cls)


def _slots(cls):
    names = []
    for klass in cls.__mro__:
        slots = getattr(klass, "__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
    return [name for name in names if name not in ("__dict__", "__weakref__")]


HANDLERS = [NonFiniteFloatHandler(), TupleHandler(), DictHandler(), SetHandler(),
            NamedTupleHandler(), EnumHandler()]
