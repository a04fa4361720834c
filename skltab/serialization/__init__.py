"""A safe file format for estimators: JSON and safetensors in one zip archive, no pickle.

:func:`save` writes an estimator, fitted or not; :func:`load` reads it back without running
code from the file, constructing only classes it allows by default or is told to trust.
"""

from ._allowlist import UntrustedClassError
from ._api import load, save
from ._archive import FORMAT_VERSION

__all__ = ["FORMAT_VERSION", "UntrustedClassError", "load", "save"]
