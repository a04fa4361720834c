"""Which classes a model file may ask :func:`skltab.load` to construct.

A file names classes as ``"module:qualname"``. Without being told to trust more, ``load``
constructs only the classes of a few packages, each for one kind of node and under one base
class: skltab's own classes, scikit-learn's estimators, torch's modules and optimizers, and
the models and configurations of transformers and peft. Any other class must be passed to
``load`` in ``trusted`` (the class object itself, so no module is imported by name).
"""

import importlib
import re

#: For each kind of node, the packages whose classes it may construct and the base class
#: ("module:name") they must derive from.
_ALLOWED = {
    "object": [("skltab", "builtins:object"), ("sklearn", "sklearn.base:BaseEstimator")],
    "torch.module": [("skltab", "torch.nn:Module"), ("torch.nn", "torch.nn:Module")],
    "torch.optimizer": [("torch.optim", "torch.optim:Optimizer")],
    "transformers.model": [("transformers", "transformers:PreTrainedModel")],
    "transformers.config": [("transformers", "transformers:PretrainedConfig")],
    "peft.model": [("peft", "peft:PeftModel")],
    "peft.config": [("peft", "peft:PeftConfig")],
}
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_QUALNAME = _MODULE


class UntrustedClassError(ValueError):
    """A model file names a class that :func:`skltab.load` was not told to trust."""


def class_name(cls):
    """The ``"module:qualname"`` of a class, as a file names it."""
    return f"{cls.__module__}:{cls.__qualname__}"


def is_nameable(cls):
    """Whether a class can be found again by its name (it is not local to a function)."""
    return _QUALNAME.match(cls.__qualname__) is not None


class ClassResolver:
    """Find the classes a file names, among those allowed or trusted.

    Parameters
    ----------
    trusted : list of type or None
        Classes to construct besides the allowed ones.
    """

    def __init__(self, trusted=None):
        trusted = list(trusted or [])
        for cls in trusted:
            if not isinstance(cls, type):
                raise TypeError(f"trusted must hold classes; got {cls!r}.")
        self._trusted = {class_name(cls): cls for cls in trusted}

    def resolve(self, name, kind, path):
        """The class called ``name``, allowed for nodes of ``kind``.

        Raises
        ------
        ValueError
            If the class is neither allowed nor trusted, or does not fit the node.
        """
        if not isinstance(name, str):
            raise ValueError(f"The model file is invalid at {path}: {name!r} is not a class "
                             "name.")
        cls = self._trusted.get(name)
        if cls is None:
            cls = self._allowed(name, kind, path)
        base = _base_class(_ALLOWED[kind][0][1])
        if not issubclass(cls, base):
            raise ValueError(f"The model file is invalid at {path}: {name} is not a "
                             f"{base.__qualname__}.")
        return cls

    def _allowed(self, name, kind, path):
        module, _, qualname = name.partition(":")
        for package, base in _ALLOWED[kind]:
            if not _is_within(module, package):
                continue
            cls = _import(name)
            if cls is None:
                raise ValueError(f"The model file holds a {name} at {path}, a class this "
                                 "installation does not have; was the file saved with "
                                 "another version of its package?")
            if issubclass(cls, _base_class(base)):
                return cls
        raise UntrustedClassError(
            f"The model file holds a {name} at {path}, a class skltab.load does not construct "
            "unless told to trust it. If you trust this file and that class, pass it: "
            f"skltab.load(file, trusted=[{qualname or name}])."
        )


def _is_within(module, package):
    if not _MODULE.match(module) or any(part.startswith("__") for part in module.split(".")):
        return False
    return module == package or module.startswith(package + ".")


def _base_class(name):
    """The base class ``"module:name"`` (in an allowed package)."""
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _import(name):
    """The object called ``"module:qualname"``, if it is a class defined there."""
    module, _, qualname = name.partition(":")
    if not _QUALNAME.match(qualname):
        return None
    try:
        value = importlib.import_module(module)
    except ImportError:
        return None
    for part in qualname.split("."):
        value = getattr(value, part, None)
    if not isinstance(value, type) or class_name(value) != name:
        return None
    return value
