"""The walk from a Python value to JSON nodes and back, one handler per type.

A node is a JSON value. None, booleans, integers, strings and finite floats stand for
themselves, a list is a JSON array and a dict whose keys are strings (none starting with
``$``) is a JSON object. Any other value is a JSON object whose ``$type`` names the handler
that wrote it and will read it. Handlers of values whose identity matters (objects, arrays,
tensors, modules) are *shared*: their nodes get an ``$id``, and a later occurrence of the same
value is written ``{"$ref": id}``, so that objects shared in memory stay shared after loading
and cycles close. Numeric arrays and tensors are not in the JSON: a node names them by a key
of the safetensors files.
"""

import math

#: Types written as themselves.
_PLAIN_TYPES = (type(None), bool, int, str)


class Handler:
    """How one type is written and read.

    Attributes
    ----------
    tag : str
        The ``$type`` of its nodes.
    shared : bool
        Whether its values keep their identity (an ``$id``, and ``$ref`` for repeats).
    owner : bool
        Whether it creates the values of the shared nodes within its nodes itself (a model
        rebuilt as a whole, whose parameters are then those of the rebuilt model).
    """

    tag = None
    shared = False
    owner = False

    def handles(self, value):
        """Whether this handler writes ``value``."""
        raise NotImplementedError

    def encode(self, value, encoder, path):
        """The fields of the node of ``value`` (besides ``$type`` and ``$id``)."""
        raise NotImplementedError

    def decode(self, node, decoder, path):
        """The value of ``node``."""
        raise NotImplementedError


def is_plain_dict(value):
    """Whether ``value`` is a dict written as a JSON object (string keys, none with ``$``)."""
    return type(value) is dict and all(
        type(key) is str and not key.startswith("$") for key in value
    )


class Encoder:
    """Write values as nodes, collecting arrays and tensors.

    Parameters
    ----------
    handlers : list
        Handlers, tried in order; the first whose ``handles(value)`` is true writes it.

    Attributes
    ----------
    arrays : dict of str to ndarray
        The NumPy arrays, by key.
    tensors : dict of str to torch.Tensor
        The torch tensors (CPU copies), by key.
    """

    def __init__(self, handlers):
        self.handlers = handlers
        self.arrays = {}
        self.tensors = {}
        # id(value) -> (value, node id); the value is kept so that its id is not reused.
        self._memo = {}
        self._deferred = []

    def encode(self, value, path):
        """The node of ``value``, found at ``path`` (for error messages and keys)."""
        if type(value) in _PLAIN_TYPES or (type(value) is float and math.isfinite(value)):
            return value
        if type(value) is list:
            return [self.encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if is_plain_dict(value):
            return {key: self.encode(item, f"{path}.{key}") for key, item in value.items()}
        seen = self._memo.get(id(value))
        if seen is not None:
            return {"$ref": seen[1]}
        handler = self._handler(value, path)
        node = {"$type": handler.tag}
        if handler.shared:
            node["$id"] = len(self._memo)
            self._memo[id(value)] = (value, node["$id"])
        node.update(handler.encode(value, self, path))
        return node

    def _handler(self, value, path):
        for handler in self.handlers:
            if handler.handles(value):
                return handler
        raise unsupported(value, path, "no safe encoding is known for this type")

    def add_array(self, array, path):
        """Store a NumPy array; return its key."""
        key = self._free_key(path)
        self.arrays[key] = array
        return key

    def add_tensor(self, tensor, path):
        """Store a CPU torch tensor; return its key."""
        key = self._free_key(path)
        self.tensors[key] = tensor
        return key

    def _free_key(self, path):
        key, n = path, 1
        while key in self.arrays or key in self.tensors:
            n += 1
            key = f"{path}#{n}"
        return key

    def defer(self, write):
        """Call ``write()`` once every value is written (it may write more values)."""
        self._deferred.append(write)

    def finish(self):
        """Run the deferred writes."""
        while self._deferred:
            self._deferred.pop(0)()


def unsupported(value, path, reason):
    """The TypeError of a value that cannot be saved safely."""
    kind = type(value)
    return TypeError(
        f"skltab.save cannot store the {kind.__module__}.{kind.__qualname__} at {path} "
        f"safely: {reason}. Save this model with joblib.dump instead (a pickle: load it only "
        "where you trust its source)."
    )


def invalid(path, message):
    """The ValueError of a node that does not describe a valid value."""
    return ValueError(f"The model file is invalid at {path}: {message}")


class Decoder:
    """Read nodes back into values.

    Parameters
    ----------
    handlers : list
        The handlers; each node is read by the one whose ``tag`` is its ``$type``.
    resolver : ClassResolver
        Which classes may be constructed.
    store : TensorStore
        The arrays and tensors of the file.
    root : node
        The node of the saved value; every ``$id`` under it is indexed first, so that a
        reference may be read before the node it points to.
    """

    def __init__(self, handlers, resolver, store, root):
        self.handlers = {handler.tag: handler for handler in handlers}
        self.resolver = resolver
        self.store = store
        self.root = root
        self._memo = {}
        self._in_progress = set()
        # $id -> (node, path, owner node): an owner (a model rebuilt as a whole) creates the
        # values of the shared nodes inside it.
        self._index = {}
        self._index_nodes(root, "model", None)

    def _index_nodes(self, node, path, owner):
        if isinstance(node, list):
            for i, item in enumerate(node):
                self._index_nodes(item, f"{path}[{i}]", owner)
            return
        if not isinstance(node, dict):
            return
        if "$id" in node:
            if not isinstance(node["$id"], int) or node["$id"] in self._index:
                raise invalid(path, f"its $id {node['$id']!r} is not a new integer.")
            self._index[node["$id"]] = (node, path, owner)
        handler = self.handlers.get(node.get("$type"))
        inner_owner = node if getattr(handler, "owner", False) and "$id" in node else owner
        for key, item in node.items():
            self._index_nodes(item, f"{path}.{key}", inner_owner)

    def decode_root(self):
        """The saved value."""
        return self.decode(self.root, "model")

    def decode(self, node, path):
        """The value of ``node``, found at ``path``."""
        if node is None or type(node) in (bool, int, str, float):
            return node
        if type(node) is list:
            return [self.decode(item, f"{path}[{i}]") for i, item in enumerate(node)]
        if type(node) is not dict:
            raise invalid(path, f"{node!r} is not a node.")
        if "$ref" in node:
            return self.resolve(node["$ref"], path)
        if "$type" not in node:
            return {key: self.decode(item, f"{path}.{key}") for key, item in node.items()}
        if node.get("$id") in self._memo:
            return self._memo[node["$id"]]
        handler = self.handlers.get(node["$type"])
        if handler is None:
            raise invalid(path, f"unknown $type {node['$type']!r} (was it written by a newer "
                          "skltab?).")
        if "$id" in node:
            self._in_progress.add(node["$id"])
        try:
            value = handler.decode(node, self, path)
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            raise invalid(path, repr(exc)) from exc
        self.remember(node, value)
        return value

    def remember(self, node, value):
        """Record the value of a shared node (before reading its contents, for cycles)."""
        if "$id" in node:
            self._memo[node["$id"]] = value

    def resolve(self, node_id, path):
        """The value of the shared node ``node_id``, read now if it was not yet."""
        if node_id in self._memo:
            return self._memo[node_id]
        if node_id not in self._index:
            raise invalid(path, f"it refers to #{node_id!r}, which the file does not hold.")
        if node_id in self._in_progress:
            raise invalid(path, f"#{node_id} refers to itself.")
        node, node_path, owner = self._index[node_id]
        if owner is not None and owner["$id"] not in self._in_progress:
            self.decode(owner, self._index[owner["$id"]][1])
            if node_id in self._memo:
                return self._memo[node_id]
        return self.decode(node, node_path)

    def shared_node(self, node, path):
        """``node``, or the node it refers to when it is a ``$ref``."""
        if isinstance(node, dict) and "$ref" in node:
            if node["$ref"] not in self._index:
                raise invalid(path, f"it refers to #{node['$ref']!r}, which the file does not "
                              "hold.")
            return self._index[node["$ref"]][0]
        return node
