"""Every example of the gallery runs to the end; each one asserts its own results."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
#: Seconds an example may take; they are meant to run in a few seconds on a CPU.
TIMEOUT = 120


def test_examples_are_found():
    assert len(EXAMPLES) >= 4, f"expected the gallery's examples in {EXAMPLES_DIR}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path, tmp_path):
    # one OpenMP thread, as the in-process tests have (conftest.py): gradient boosting on the
    # examples' small tables slows down many times over when its threads wait for a busy core
    environment = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"{path.name} failed with exit code {result.returncode}:\n{result.stderr[-4000:]}"
    )
    assert list(tmp_path.iterdir()) == [], f"{path.name} left files in its working directory"
