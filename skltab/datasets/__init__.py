"""Datasets that work offline: the embedded demo table of online orders and loaders for the
tables that installed packages ship (scikit-learn's bundled sets, SDMetrics' student
placements)."""

from ._demo import DEMO_RULES, load_demo, make_demo_table
from ._loaders import SKLEARN_DATASETS, load_sklearn_dataset, load_student_placements

__all__ = [
    "DEMO_RULES",
    "SKLEARN_DATASETS",
    "load_demo",
    "load_sklearn_dataset",
    "load_student_placements",
    "make_demo_table",
]
