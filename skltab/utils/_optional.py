"""Import optional dependencies lazily, with an install hint when they are missing."""

import importlib

_EXTRA_OF_MODULE = {
    "torch": None,
    "transformers": "llm",
    "peft": "llm",
    "tokenizers": "llm",
    "safetensors": "llm",
    "sdv": "sdv",
    "sdmetrics": "sdv",
    "dask": "dask",
    "distributed": "dask",
    "pyarrow": "parquet",
    "matplotlib": "plot",
    "imblearn": "imbalanced",
}


def install_hint(module_name):
    """Return the pip command that installs ``module_name`` for skltab.

    Parameters
    ----------
    module_name : str
        Top-level name of the module, such as ``"transformers"``.

    Returns
    -------
    hint : str
        A ``pip install`` command line.
    """
    top = module_name.split(".")[0]
    extra = _EXTRA_OF_MODULE.get(top)
    if top == "torch":
        return "pip install torch"
    if extra is None:
        return f"pip install {top}"
    return f'pip install "skltab[{extra}]"'


def import_optional(module_name, *, purpose=None):
    """Import a module that skltab does not need at import time.

    Parameters
    ----------
    module_name : str
        Dotted module name, such as ``"sdv.metadata"``.
    purpose : str, default=None
        What the module is needed for, quoted in the error message.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If the module is not installed; the message names the pip extra to install.
    """
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = module_name.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise
        needed_for = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"{top!r} is required{needed_for} but is not installed. "
            f"Install it with: {install_hint(top)}"
        ) from exc
