"""Fit from a Parquet table larger than memory: time and peak memory of ``skltab.dask.fit``.

Writes a Parquet dataset of ``--rows`` rows with adult's columns (rows of adult drawn with
replacement, numbers perturbed: ages and hours by a few units, ``fnlwgt``-like weights
rescaled, so most numbers are new), one file of ``--partition-rows`` rows at a time, then
runs each phase in a fresh process and reports its wall time and peak resident memory
(``VmHWM`` of that process, the Dask threaded scheduler with 2 threads inside it):

- ``metadata``: :func:`skltab.dask.infer_metadata` (two map-reduce passes);
- ``fastgen``: :func:`skltab.dask.fit` of ``FastGenSynthesizer`` (metadata, statistics and
  copula passes, 100,000-row sample);
- ``diffusion``: :func:`skltab.dask.fit` of ``MaskedDiffusionSynthesizer`` (the budget of
  the whole table, 10,000 optimizer steps past 2,400 rows, streamed through partitions);
- ``pandas``: for comparison, reading the whole table into pandas (what an in-memory fit
  needs before it starts).

Usage::

    python benchmarks/bench_dask_fit.py --rows 5000000 [--phases metadata fastgen diffusion]
"""

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_memory import peak_rss_mib

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "adult.csv"
PHASES = ("metadata", "fastgen", "diffusion", "pandas")


def write_table(path, n_rows, partition_rows, seed=0):
    """Write the Parquet dataset, one partition at a time."""
    adult = pd.read_csv(DATA).dropna()
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index, start in enumerate(range(0, n_rows, partition_rows)):
        size = min(partition_rows, n_rows - start)
        part = adult.iloc[rng.integers(0, len(adult), size)].reset_index(drop=True)
        part["age"] = np.clip(part["age"] + rng.integers(-2, 3, size), 17, 90)
        part["hours-per-week"] = np.clip(part["hours-per-week"] + rng.integers(-3, 4, size),
                                         1, 99)
        part["fnlwgt"] = np.round(rng.lognormal(12.0, 0.5, size)).astype(np.int64)
        part.to_parquet(path / f"part-{index:05d}.parquet", index=False)


def run_phase(phase, path):
    """Run one phase in this process; return its record."""
    import dask

    import skltab.dask

    dask.config.set(scheduler="threads", num_workers=2)
    start = time.perf_counter()
    record = {"phase": phase}
    if phase == "metadata":
        record["columns"] = len(skltab.dask.infer_metadata(str(path)))
    elif phase == "fastgen":
        from skltab.fastgen import FastGenSynthesizer

        synthesizer = skltab.dask.fit(FastGenSynthesizer(random_state=0), str(path))
        record["sample_rows_per_s"] = _rows_per_second(synthesizer)
    elif phase == "diffusion":
        from skltab.diffusion import MaskedDiffusionSynthesizer

        synthesizer = skltab.dask.fit(MaskedDiffusionSynthesizer(random_state=0), str(path))
        record.update(n_updates=synthesizer.n_updates_,
                      stopping_reason=synthesizer.stopping_reason_,
                      partitions_streamed=len(synthesizer.history_) - 1)
    else:
        record["rows"] = len(pd.read_parquet(path))
    record["seconds"] = round(time.perf_counter() - start, 1)
    record["peak_rss_mib"] = round(peak_rss_mib())
    return record


def _rows_per_second(synthesizer):
    start = time.perf_counter()
    synthesizer.sample(100_000, random_state=0)
    return round(100_000 / (time.perf_counter() - start))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--partition-rows", type=int, default=250_000)
    parser.add_argument("--path", type=Path, default=Path("/tmp/skltab_bench_dask_fit"))
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.path)))
        return
    start = time.perf_counter()
    write_table(args.path, args.rows, args.partition_rows)
    size = sum(f.stat().st_size for f in args.path.glob("*.parquet"))
    print(json.dumps({"rows": args.rows, "partition_rows": args.partition_rows,
                      "parquet_mib": round(size / 2**20), "write_seconds":
                      round(time.perf_counter() - start, 1), "machine": platform.platform()}))
    for phase in args.phases:
        result = subprocess.run([sys.executable, __file__, "--phase", phase, "--path",
                                 str(args.path)], capture_output=True, text=True)
        print(result.stdout.strip().splitlines()[-1] if result.returncode == 0
              else json.dumps({"phase": phase, "error": result.stderr[-2000:]}), flush=True)


if __name__ == "__main__":
    main()
