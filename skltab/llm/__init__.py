"""Synthesizers built with language models.

:class:`PredLLMSynthesizer` fine-tunes a causal language model on rows written as text and
samples valid rows by constrained decoding. FastGen moved to :mod:`skltab.fastgen`.
"""

import importlib
import warnings

from ._predllm import PredLLMSynthesizer

__all__ = ["PredLLMSynthesizer"]

#: FastGen's names, importable from here until the next release.
_MOVED_TO_FASTGEN = ("SPEC_FORMAT", "SPEC_VERSION", "FastGenSynthesizer", "SpecError",
                     "validate_spec")


def __getattr__(name):
    if name in _MOVED_TO_FASTGEN:
        warnings.warn(
            f"skltab.llm.{name} moved to skltab.fastgen and will be removed from skltab.llm in "
            f"the next release; use `from skltab.fastgen import {name}`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("skltab.fastgen"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
