"""The benchmark scripts import their helpers as top-level modules from their own folder
(``python benchmarks/NAME.py``); the tests of those helpers import them the same way."""

import sys
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS_DIR) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS_DIR))
