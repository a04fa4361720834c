"""Torch helpers shared by the neural synthesizers: lazy import, devices and seeding.

Nothing here imports torch at module level; every function imports it when called, so that
``import skltab`` stays light.
"""

import contextlib

from ._optional import import_optional
from ._random import draw_seed

#: Values of a ``device`` parameter besides explicit torch device strings.
AUTO_DEVICE = "auto"


def import_torch(purpose=None):
    """Import torch, or raise an ImportError with the install command.

    Parameters
    ----------
    purpose : str, default=None
        What torch is needed for, quoted in the error message.

    Returns
    -------
    module
        The ``torch`` module.
    """
    return import_optional("torch", purpose=purpose)


def resolve_device(device):
    """Return the torch device string that a ``device`` parameter asks for.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``.

    Returns
    -------
    str
        The resolved device, such as ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    ValueError
        If the device is not understood, or asks for CUDA on a machine without it.
    """
    torch = import_torch("neural synthesizers")
    if device == AUTO_DEVICE:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device; use 'auto', 'cpu' or "
                         "'cuda'.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} asks for CUDA, which this machine does not have; "
                         "use device='auto' or 'cpu'.")
    return str(resolved)


def torch_generator(random_state):
    """Return a CPU ``torch.Generator`` seeded by one draw from a NumPy ``RandomState``.

    Random numbers are drawn on the CPU (and moved to the model's device), so a seed gives
    the same draws whatever device the model runs on.

    Parameters
    ----------
    random_state : numpy.random.RandomState
        Source of the seed; one integer is drawn from it.

    Returns
    -------
    torch.Generator
    """
    torch = import_torch()
    generator = torch.Generator(device="cpu")
    generator.manual_seed(draw_seed(random_state))
    return generator


@contextlib.contextmanager
def seeded_torch(seed):
    """Seed torch's global generators for a block of code, and restore them afterwards.

    Weight initialisation and dropout draw from torch's global generators; this makes them
    reproducible without changing the caller's global random state.

    Parameters
    ----------
    seed : int
        Seed of the block.
    """
    torch = import_torch()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
