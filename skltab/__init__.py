"""skltab: scikit-learn compatible synthetic tabular data.

Synthesizers learn a real table with ``fit`` and write new rows with ``sample``. The package
imports no deep-learning library until a model that needs one is used.
"""

import importlib
import logging

from ._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SUBMODULES = [
    "base",
    "dask",
    "datasets",
    "diffusion",
    "fastgen",
    "integrations",
    "llm",
    "logic",
    "metadata",
    "metrics",
    "oversampling",
    "pipeline",
    "reward",
    "serialization",
    "utils",
]
_LAZY_ATTRIBUTES = {
    "BaseSynthesizer": "base",
    "SynthesizerMixin": "base",
    "is_synthesizer": "base",
    "IndependentSynthesizer": "independent",
    "FastGenSynthesizer": "fastgen",
    "PredLLMSynthesizer": "llm",
    "MaskedDiffusionSynthesizer": "diffusion",
    "RewardTunedSynthesizer": "reward",
    "LogicCompressor": "logic",
    "LogicRestorer": "logic",
    "SyntheticOversampler": "oversampling",
    "SynthesisPipeline": "pipeline",
    "make_synthesis_pipeline": "pipeline",
    "TableMetadata": "metadata",
    "infer_metadata": "metadata",
    "save": "serialization",
    "load": "serialization",
}

__all__ = ["__version__", *_SUBMODULES, *_LAZY_ATTRIBUTES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRIBUTES:
        module = importlib.import_module(f".{_LAZY_ATTRIBUTES[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'skltab' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
