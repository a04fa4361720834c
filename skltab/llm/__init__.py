"""Synthesizers built with language models, and FastGen's spec language.

:class:`PredLLMSynthesizer` fine-tunes a causal language model on rows written as text and
samples valid rows by constrained decoding. :class:`FastGenSynthesizer` infers a declarative
spec of every field once (with statistics or an LLM) and samples from it at NumPy speed;
:func:`validate_spec` checks a spec against its schema.
"""

from ._fastgen import FastGenSynthesizer
from ._predllm import PredLLMSynthesizer
from ._spec import SPEC_FORMAT, SPEC_VERSION, SpecError, validate_spec

__all__ = [
    "SPEC_FORMAT",
    "SPEC_VERSION",
    "FastGenSynthesizer",
    "PredLLMSynthesizer",
    "SpecError",
    "validate_spec",
]
