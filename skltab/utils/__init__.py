"""Utilities shared by skltab's estimators: validation, optional imports, persistence."""

from ._optional import import_optional, install_hint
from ._persistence import InconsistentVersionWarning
from ._validation import check_n_samples, check_table

__all__ = [
    "InconsistentVersionWarning",
    "check_n_samples",
    "check_table",
    "import_optional",
    "install_hint",
]
