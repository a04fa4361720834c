"""Pickling of fitted estimators: device-neutral torch state and a version stamp.

Torch modules, tensors and optimizers held as top-level attributes are stored as bytes
written by ``torch.save`` and read back with a ``map_location``, so a model fitted on a GPU
loads on a machine without one. Pickles run code when loaded: load only files you trust
(:func:`skltab.save` writes a format that does not). The version warning and the move to a
device this machine has are shared with that format.
"""

import io
import sys
import warnings

from .._version import __version__


class InconsistentVersionWarning(UserWarning):
    """An estimator, pickled or saved with :func:`skltab.save`, is loaded with another skltab
    version than the one that saved it."""


class TorchBlob:
    """Torch state saved as bytes, with the device it lived on."""

    def __init__(self, payload, device):
        self.payload = payload
        self.device = device


def pack_state(state):
    """Return a copy of an estimator's ``__dict__`` ready to pickle: torch objects as blobs."""
    state = dict(state)
    state["_skltab_version"] = __version__
    if "torch" not in sys.modules:
        return state
    for key, value in state.items():
        if _is_torch_object(value):
            state[key] = _to_blob(value)
    return state


def unpack_state(state):
    """Inverse of :func:`pack_state`; warns when the saving skltab version differs."""
    state = dict(state)
    warn_other_version(state.pop("_skltab_version", None), "pickled", stacklevel=4)
    blobs = {key: value for key, value in state.items() if isinstance(value, TorchBlob)}
    if blobs:
        relocate_device(state, stacklevel=4)
        for key, blob in blobs.items():
            state[key] = _from_blob(blob, loadable_device(blob.device))
    return state


def warn_other_version(version, saved_as, stacklevel=2):
    """Warn with :class:`InconsistentVersionWarning` if ``version`` is not this skltab's.

    Parameters
    ----------
    version : str or None
        The skltab version that saved the estimator.
    saved_as : str
        How it was saved, in the message ("pickled", "saved").
    stacklevel : int, default=2
        Passed to :func:`warnings.warn`.
    """
    if version != __version__:
        warnings.warn(
            f"This estimator was {saved_as} with skltab {version} and is loaded with skltab "
            f"{__version__}; it may not work as before. Refit it with this version.",
            InconsistentVersionWarning,
            stacklevel=stacklevel,
        )


def relocate_device(state, stacklevel=2):
    """Set ``state["device_"]`` to a device this machine has (the CPU for a missing GPU),
    with a warning when it changes.

    Parameters
    ----------
    state : dict
        The attributes of an estimator being loaded; changed in place.
    stacklevel : int, default=2
        Passed to :func:`warnings.warn`.
    """
    if "device_" not in state:
        return
    target = loadable_device(state["device_"])
    if state["device_"] != target:
        warnings.warn(
            f"The model was fitted on {state['device_']!r}, which this machine does not "
            f"have; it is loaded on {target!r}.",
            UserWarning,
            stacklevel=stacklevel,
        )
        state["device_"] = target


def _is_torch_object(value):
    import torch

    return isinstance(value, (torch.nn.Module, torch.Tensor, torch.optim.Optimizer))


def _to_blob(value):
    import torch

    buffer = io.BytesIO()
    torch.save(value, buffer)
    return TorchBlob(buffer.getvalue(), _device_of(value))


def _device_of(value):
    import torch

    if isinstance(value, torch.Tensor):
        return str(value.device)
    if isinstance(value, torch.nn.Module):
        tensor = next(value.parameters(), None)
        if tensor is None:
            tensor = next(value.buffers(), None)
        return "cpu" if tensor is None else str(tensor.device)
    return "cpu"


def loadable_device(device):
    """``device`` if this machine has it, else ``"cpu"`` (also for None)."""
    if device is None or not str(device).startswith("cuda"):
        return device if device is not None else "cpu"
    import torch

    return device if torch.cuda.is_available() else "cpu"


def _from_blob(blob, device):
    import torch

    return torch.load(io.BytesIO(blob.payload), map_location=device, weights_only=False)
