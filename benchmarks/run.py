"""Benchmark synthesizers on the public tables: fit time, sampling speed and quality.

For every dataset and synthesizer: split the table (seeded, 80/20, stratified for
classification), fit on the training part, sample as many rows as the training part has
(timed), and score the sample with :func:`skltab.metrics.evaluate` against the held-out test
part. Results go to ``benchmarks/results/NAME.json`` and ``.csv``, and a markdown section
into ``--output``. Example::

    python benchmarks/run.py --datasets adult bank abalone insurance \\
        --synthesizers independent sdv_gaussian_copula sdv_ctgan sdv_tvae \\
        --output docs/benchmarks.md
"""

import argparse
import datetime
import importlib
import importlib.util
import json
import os
import platform
import shlex
import sys
import time
import traceback
from importlib import metadata as importlib_metadata
from pathlib import Path

import pandas as pd

from bench_data import DATASETS, DEFAULT_DATA_DIR, load_split
from bench_registry import SYNTHESIZERS, get_spec
from bench_report import render, write_section

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REFERENCE = "real_train"
_PACKAGES = ["skltab", "numpy", "pandas", "scikit-learn", "torch", "sdv"]


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark synthesizers on the public tables.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument(
        "--synthesizers", nargs="+", default=list(SYNTHESIZERS),
        help=f"registered names ({', '.join(SYNTHESIZERS)}) or import paths of classes",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of splits, fits and samples")
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="epochs of the synthesizers that take them; default: each synthesizer's own",
    )
    parser.add_argument(
        "--torch-threads", type=int, default=1,
        help="threads of torch and of the native pools (OpenMP, BLAS); 1 keeps timings stable "
        "when other processes share the cores (OpenMP threads slow down many times over on "
        "oversubscribed cores)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--name", default="main", help="name of the run and its result files")
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument(
        "--no-reference", action="store_true",
        help=f"skip the '{REFERENCE}' row, which scores the real training rows themselves",
    )
    args = parser.parse_args(argv)
    for name in args.synthesizers:
        get_spec(name)
    return args


def machine_description():
    """Platform, cores, memory and package versions of this machine."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    pages = os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    memory = f"{pages * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB RAM" if pages else "RAM ?"
    return {
        "platform": platform.platform(),
        "processor": _processor_name(),
        "cpu_count": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "versions": versions,
    }


def _processor_name():
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def prepare(torch_threads):
    """Set the thread count of torch and of the native pools (OpenMP, BLAS: scikit-learn's
    gradient boosting inside the metrics and the reward discriminators), and import the
    heavy libraries so no fit time includes them."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(torch_threads)
    # OpenMP threads that spin while another process holds the core slow a fit many times
    threadpool_limits(torch_threads)
    # torch's optimizers import torch._dynamo on first use (about 1.5 s): whichever
    # synthesizer fitted first in the process would pay it
    for module in ("sdv.single_table", "skltab.metrics", "torch._dynamo"):
        if importlib.util.find_spec(module.split(".")[0]) is not None:
            importlib.import_module(module)


def benchmark_one(spec, train, test, dataset, seed, epochs):
    """Fit, time and score one synthesizer; return its result fields."""
    synthesizer = spec.build(random_state=seed, epochs=epochs)
    start = time.perf_counter()
    if spec.fit_with_target:
        synthesizer.fit(train.drop(columns=dataset.target), train[dataset.target])
    else:
        synthesizer.fit(train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    synthetic = synthesizer.sample(len(train), random_state=seed)
    sample_seconds = time.perf_counter() - start
    if spec.fit_with_target:
        synthetic = synthetic[0].assign(**{dataset.target: synthetic[1].to_numpy()})[
            list(train.columns)]
    return {
        "params": {k: _jsonable(v) for k, v in synthesizer.get_params().items()},
        "fit_seconds": fit_seconds,
        "sample_seconds": sample_seconds,
        "n_rows": len(synthetic),
        "rows_per_second": len(synthetic) / sample_seconds,
        # rows a sampler wrote and threw away as invalid (GReaT's peer counts them)
        "n_invalid": getattr(synthesizer, "n_invalid_", None),
        # whether RewardTunedSynthesizer's guard kept reward-guided sampling
        "resampling": getattr(synthesizer, "resampling_", None),
        # and the round of post-training it kept (0: none)
        "best_round": getattr(synthesizer, "best_round_", None),
        **score(test, synthetic, train, dataset, synthesizer.metadata_, seed),
    }


def score(test, synthetic, train, dataset, metadata, seed):
    """Evaluate ``synthetic`` and return its metric values and the time scoring took."""
    from skltab.metrics import evaluate

    start = time.perf_counter()
    report = evaluate(test, synthetic, train=train, target=dataset.target, metadata=metadata,
                      rules=list(dataset.rules) or None, task=dataset.task, random_state=seed)
    summary = report.summary()
    return {
        "evaluate_seconds": time.perf_counter() - start,
        "metrics": {name: _jsonable(value) for name, value in summary["value"].items()},
        "metric_info": {
            name: {"greater_is_better": _jsonable(row["greater_is_better"]),
                   "category": row["category"]}
            for name, row in summary.iterrows()
        },
    }


def reference_row(train, test, dataset, seed):
    """Score the real training rows as if they were a sample: the best fidelity reachable."""
    from skltab.metadata import infer_metadata

    return {"params": {}, "fit_seconds": None, "sample_seconds": None, "rows_per_second": None,
            **score(test, train, train, dataset, infer_metadata(train), seed)}


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def run(args):
    """Run the benchmark, save the results and write the markdown section."""
    record = {
        "name": args.name,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
        "machine": machine_description(),
        "seed": args.seed,
        "epochs": args.epochs,
        "torch_threads": args.torch_threads,
        "load_average": {"start": _load_average()},
        "datasets": {},
        "results": [],
    }
    prepare(args.torch_threads)
    for dataset in args.datasets:
        spec = DATASETS[dataset]
        train, test = load_split(dataset, args.data_dir, seed=args.seed)
        record["datasets"][dataset] = {
            "target": spec.target, "task": spec.task, "n_train": len(train),
            "n_test": len(test), "n_synthetic": len(train),
        }
        names = list(args.synthesizers) + ([] if args.no_reference else [REFERENCE])
        for name in names:
            print(f"[{dataset}] {name} ...", flush=True)
            try:
                if name == REFERENCE:
                    fields = reference_row(train, test, spec, args.seed)
                else:
                    fields = benchmark_one(
                        get_spec(name), train, test, spec, args.seed, args.epochs
                    )
                fields["error"] = None
            except Exception as exc:  # one failure must not lose the other results
                traceback.print_exc()
                fields = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:200],
                          "metrics": {}}
            record["results"].append({"dataset": dataset, "synthesizer": name, **fields})
            record["load_average"]["end"] = _load_average()
            save(record)
            print(f"[{dataset}] {name}: {_short(fields)}", flush=True)
    write_section(args.output, args.name, render(record))
    print(f"Wrote {args.output} (section {args.name!r}) and {RESULTS_DIR / args.name}.json/.csv")
    return record


def _load_average():
    """1-minute load average (runnable processes), or None where the OS does not tell."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _short(fields):
    if fields["error"] is not None:
        return fields["error"]
    fit = fields["fit_seconds"]
    return ("reference" if fit is None else f"fit {fit:.1f} s") + ", " + ", ".join(
        f"{k}={v:.3f}" for k, v in fields["metrics"].items() if isinstance(v, float)
    )


def save(record):
    """Write the run as JSON (everything) and CSV (one row per dataset and synthesizer)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    base = RESULTS_DIR / record["name"]
    base.with_suffix(".json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    rows = [
        {key: value for key, value in result.items()
         if key not in ("metrics", "metric_info", "params")}
        | result["metrics"]
        for result in record["results"]
    ]
    pd.DataFrame(rows).to_csv(base.with_suffix(".csv"), index=False)


if __name__ == "__main__":
    run(parse_args())
