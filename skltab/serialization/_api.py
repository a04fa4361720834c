"""``save`` and ``load``: a fitted (or unfitted) estimator to a file that loads without
running code, and back."""

import importlib.metadata

from .._version import __version__
from ..utils._persistence import warn_other_version
from . import _huggingface, _numpy, _pandas, _python, _torch
from ._allowlist import ClassResolver
from ._archive import FORMAT_NAME, FORMAT_VERSION, read_archive, write_archive
from ._walker import Decoder, Encoder

#: Every handler, in the order they are tried: the specific types before modules, modules
#: before plain objects.
_HANDLERS = [*_python.HANDLERS, *_numpy.HANDLERS, *_pandas.HANDLERS, *_torch.HANDLERS,
             *_huggingface.HANDLERS, _torch.MODULE_HANDLER, _python.ObjectHandler()]
#: Libraries whose versions a file records, for whoever reads it.
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "torch", "transformers", "peft", "tokenizers")


def save(model, file):
    """Save an estimator to a file that :func:`load` reads without running code.

    The file is a zip archive: the estimator's parameters, fitted attributes and the
    structure of its objects as JSON (``skltab.json``), and its arrays and tensors in
    safetensors files. Nothing is pickled. Tensors are stored from CPU copies, with the
    device they were on. Every synthesizer of skltab, :class:`~skltab.logic.LogicCompressor`,
    :class:`~skltab.logic.LogicRestorer` and :class:`~skltab.SynthesisPipeline` (with
    scikit-learn transformers) can be saved, fitted or not. Read more in the
    :ref:`User Guide <persistence>`.

    Parameters
    ----------
    model : estimator
        The estimator (or pipeline) to save.
    file : str, path-like or binary file object
        Where to write; ``.skltab`` is the usual extension.

    Raises
    ------
    TypeError
        If the estimator holds a value that has no safe encoding (a function, an object of
        an unknown extension type, SDV's models); save it with ``joblib.dump`` instead.

    See Also
    --------
    load : Load an estimator saved by this function.

    Examples
    --------
    >>> import io
    >>> import skltab
    >>> from skltab.datasets import load_demo
    >>> synthesizer = skltab.IndependentSynthesizer(random_state=0).fit(load_demo())
    >>> file = io.BytesIO()
    >>> skltab.save(synthesizer, file)
    >>> loaded = skltab.load(file)
    >>> loaded.sample(5, random_state=0).equals(synthesizer.sample(5, random_state=0))
    True
    """
    encoder = Encoder(_HANDLERS)
    root = encoder.encode(model, "model")
    encoder.finish()
    document = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "skltab_version": __version__, "libraries": _library_versions(),
                "model": root}
    write_archive(file, document, encoder.arrays, encoder.tensors)


def load(file, *, trusted=None):
    """Load an estimator saved by :func:`save`, running no code from the file.

    The file's JSON and safetensors are read by parsers that build data only; the only
    objects created are of the classes allowed by default (skltab's own, scikit-learn's
    estimators, torch's modules and optimizers, the models and configurations of
    transformers and peft, and the NumPy, pandas and tokenizers values they hold) or listed
    in ``trusted``. A model saved on a GPU loads on a machine without one: its tensors go to
    the CPU and its ``device_`` becomes ``"cpu"``, with a warning.

    Parameters
    ----------
    file : str, path-like or binary file object
        A file written by :func:`save`.
    trusted : list of type, default=None
        Further classes the file may construct, such as your own synthesizer. Pass a class
        only if you trust the file to hold a sound instance of it.

    Returns
    -------
    model : estimator
        The estimator, as it was saved: it samples, scores and trains on as before.

    Raises
    ------
    ValueError
        If the file is not a skltab model, is truncated or corrupted, was written by a
        newer format version, names a class neither allowed nor trusted, or lacks tensors
        or holds them with another shape than the model expects.

    Warns
    -----
    InconsistentVersionWarning
        If another version of skltab saved the file.

    See Also
    --------
    save : Save an estimator in this format.
    """
    document, store = read_archive(file)
    warn_other_version(document.get("skltab_version"), "saved", stacklevel=3)
    decoder = Decoder(_HANDLERS, ClassResolver(trusted), store, document["model"])
    try:
        return decoder.decode_root()
    except RecursionError as exc:
        raise ValueError("The model file is invalid: its objects are nested too deeply.") \
            from exc


def _library_versions():
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions
