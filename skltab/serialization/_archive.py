"""The file: one zip archive holding the model's JSON and its numbers in safetensors.

- ``skltab.json``: ``format`` ("skltab"), ``format_version``, the versions of skltab and of
  the libraries that wrote it, and ``model``, the tree of nodes (see ``_walker``);
- ``arrays.safetensors``: NumPy arrays of numbers, booleans and datetimes, by key;
- ``tensors.safetensors``: torch tensors, saved from CPU copies, by key.

Both safetensors files are absent when the model has no such data. Nothing in the archive is
executable: JSON and safetensors are read by parsers that build data only.
"""

import json
import os
import zipfile
import zlib

#: The ``format`` of the JSON document.
FORMAT_NAME = "skltab"
#: The version of the format written; a file of a newer version is refused when loading.
FORMAT_VERSION = 1
_JSON = "skltab.json"
_ARRAYS = "arrays.safetensors"
_TENSORS = "tensors.safetensors"
#: Errors of a damaged zip archive.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


def write_archive(file, document, arrays, tensors):
    """Write the archive of a model.

    Parameters
    ----------
    file : str, path-like or binary file object
        Where to write.
    document : dict
        The JSON document (``skltab.json``).
    arrays : dict of str to ndarray
        NumPy arrays by key.
    tensors : dict of str to torch.Tensor
        CPU tensors by key.
    """
    payload = json.dumps(document, allow_nan=False, separators=(",", ":")).encode("utf-8")
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr(_JSON, payload, compress_type=zipfile.ZIP_DEFLATED)
        if arrays:
            from safetensors.numpy import save

            archive.writestr(_ARRAYS, save(arrays))
        if tensors:
            from safetensors.torch import save

            archive.writestr(_TENSORS, save(tensors))


def read_archive(file):
    """Read the archive of a model.

    Parameters
    ----------
    file : str, path-like or binary file object
        The file.

    Returns
    -------
    document : dict
        The JSON document, whose format and version are checked.
    store : TensorStore
        Its arrays and tensors.

    Raises
    ------
    ValueError
        If the file is not a skltab model, is damaged, or has a newer format version.
    """
    name = _describe(file)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if _JSON not in names:
                raise ValueError(f"{name} is not a skltab model file: it has no {_JSON}.")
            document = json.loads(archive.read(_JSON).decode("utf-8"))
            data = {key: archive.read(key) for key in (_ARRAYS, _TENSORS) if key in names}
    except _DAMAGED as exc:
        raise ValueError(f"{name} is not a skltab model file, or it is truncated or "
                         f"corrupted ({exc}).") from exc
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{name} is corrupted: its {_JSON} is not valid JSON ({exc}).") from exc
    _check_document(document, name)
    return document, TensorStore(data.get(_ARRAYS), data.get(_TENSORS))


def _describe(file):
    if isinstance(file, (str, os.PathLike)):
        return repr(os.fspath(file))
    return "The file"


def _check_document(document, name):
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ValueError(f"{name} is not a skltab model file: its {_JSON} does not say "
                         f"format {FORMAT_NAME!r}.")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{name} is corrupted: its format_version {version!r} is not a "
                         "positive integer.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{name} was written in skltab model format version {version} (by skltab "
            f"{document.get('skltab_version')}), newer than version {FORMAT_VERSION}, the "
            "newest this skltab reads; upgrade skltab to load it."
        )
    if "model" not in document:
        raise ValueError(f"{name} is corrupted: its {_JSON} holds no model.")


class TensorStore:
    """The arrays and tensors of a file, parsed when first asked for.

    Parameters
    ----------
    arrays : bytes or None
        The content of ``arrays.safetensors``.
    tensors : bytes or None
        The content of ``tensors.safetensors`` (read with torch, imported only then).
    """

    def __init__(self, arrays, tensors):
        self._data = {"arrays": arrays, "tensors": tensors}
        self._parsed = {}

    def array(self, key, shape, path):
        """The NumPy array ``key``, checked to have ``shape``."""
        return self._get("arrays", key, shape, path)

    def tensor(self, key, shape, path):
        """The CPU torch tensor ``key``, checked to have ``shape``."""
        return self._get("tensors", key, shape, path)

    def _get(self, kind, key, shape, path):
        entries = self._entries(kind)
        if key not in entries:
            raise ValueError(f"The model file is invalid at {path}: the {kind[:-1]} {key!r} "
                             f"is missing from {kind}.safetensors.")
        value = entries[key]
        if tuple(value.shape) != tuple(shape):
            raise ValueError(f"The model file is invalid at {path}: the {kind[:-1]} {key!r} "
                             f"has shape {tuple(value.shape)}, where the model expects "
                             f"{tuple(shape)}.")
        return value

    def _entries(self, kind):
        if kind not in self._parsed:
            self._parsed[kind] = self._parse(kind)
        return self._parsed[kind]

    def _parse(self, kind):
        from safetensors import SafetensorError

        data = self._data[kind]
        if data is None:
            return {}
        if kind == "arrays":
            from safetensors.numpy import load
        else:
            from safetensors.torch import load
        try:
            return load(data)
        except SafetensorError as exc:
            raise ValueError(f"The model file is corrupted: its {kind}.safetensors cannot be "
                             f"read ({exc}).") from exc
