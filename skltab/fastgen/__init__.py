"""FastGen: a declarative spec of every field, inferred once, sampled at NumPy speed.

:class:`FastGenSynthesizer` infers the spec with statistics (the default, no model needed) or
with an LLM, and samples from it with a NumPy-only runtime that
:meth:`FastGenSynthesizer.export_script` embeds in a standalone script;
:func:`validate_spec` checks a spec against its schema.
"""

from ._spec import SPEC_FORMAT, SPEC_VERSION, SpecError, validate_spec
from ._synthesizer import FastGenSynthesizer

__all__ = [
    "SPEC_FORMAT",
    "SPEC_VERSION",
    "FastGenSynthesizer",
    "SpecError",
    "validate_spec",
]
