"""skltab on a Dask LocalCluster against one process: sampling to Parquet, and a grid search.

Two measurements, saved to ``benchmarks/results/dask_sampling.json`` and printed as markdown:

1. **Sampling** adult's columns to Parquet with FastGen and with the diffusion (both fitted on
   adult's training part, the split of ``run.py``), ``--random-state 0``:

   - one process: what ``skltab sample model.joblib -n N -o one.parquet`` does (stream
     ``iter_samples`` chunks of ``--chunk-size`` rows into one file) in a fresh process,
     timed after its imports, its peak memory read in it before and after sampling (numpy's
     BLAS, torch and pyarrow may use more than one core there);
   - the cluster: ``skltab.dask.sample(...).to_parquet(folder)`` on a fresh
     ``skltab.dask.local_cluster`` of 1 and of ``--workers`` processes of one thread that
     have imported skltab and torch (``--dask-environment``: a ``LocalCluster`` in Dask's
     default worker environment, with its ``MALLOC_TRIM_THRESHOLD_``), timed from the call
     (the fitted model is sent to the workers then) to the last file written; the peak
     memory of each worker process read in the worker after;
   - the same rows: every row of both outputs hashed (``pandas.util.hash_pandas_object``)
     and the two sequences compared, with the columns and dtypes.

2. **Grid search** of 8 diffusion candidates (``hidden_dim`` x ``n_layers`` x
   ``temperature``, 2-fold, scored by ``neg_wasserstein``) on a subsample of adult, with
   joblib's Dask backend on the same clusters of 1 worker and of ``--workers`` workers: the
   wall time of ``fit``, and whether both give the same ``cv_results_``.

For row counts one process cannot write in a session (100 million diffusion rows),
``--one-process-rows N`` has the one process write the first ``N`` rows only (its rows/s
measured on them), ``--no-single-worker`` skips the cluster of 1 worker, and the same rows
are checked on the first ``N`` rows and on the cluster's last partition, computed again here
in this process (Dask's synchronous scheduler) from the same seeds.

Peak memory is the peak resident set size of the process (``VmHWM``), imports included;
beside it, the same before sampling (the model loaded, or the workers started with the
synthesizer's module imported). Each time is the fastest of ``--repeats`` runs.

Usage::

    python benchmarks/bench_dask_sampling.py [--fastgen-rows 5000000]
        [--diffusion-rows 16384] [--chunk-size 500000] [--diffusion-chunk-size 4096]
        [--workers 2] [--grid-rows 1000] [--repeats 2] [--synthesizers FastGen Diffusion]
        [--one-process-rows N]
        [--no-single-worker] [--no-search] [--dask-environment]
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import DEFAULT_DATA_DIR, load_split  # noqa: E402
from bench_memory import peak_rss_mib  # noqa: E402
from run import machine_description  # noqa: E402

import skltab.dask  # noqa: E402
from skltab import FastGenSynthesizer, MaskedDiffusionSynthesizer  # noqa: E402
from skltab._privacy_guard import total_report  # noqa: E402
from skltab.metrics import get_scorer  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "results" / "dask_sampling.json"
#: Training budget of the diffusion sampled from: sampling speed depends on the model's size
#: and steps, not on how long it trained.
DIFFUSION_EPOCHS = 5
GRID = {"hidden_dim": [32, 64], "n_layers": [1, 2], "temperature": [0.8, 1.0]}
GRID_EPOCHS = 10


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--fastgen-rows", type=int, default=5_000_000)
    parser.add_argument("--diffusion-rows", type=int, default=16_384)
    parser.add_argument("--chunk-size", type=int, default=500_000,
                        help="rows per partition of FastGen")
    parser.add_argument("--diffusion-chunk-size", type=int, default=4096,
                        help="rows per partition of the diffusion (default: one seed block, "
                        "so that both workers get work on few rows)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--grid-rows", type=int, default=1000,
                        help="rows of adult's training part the grid search learns")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each measurement; the fastest counts")
    parser.add_argument("--synthesizers", nargs="+", default=["FastGen", "Diffusion"],
                        choices=["FastGen", "Diffusion"])
    parser.add_argument("--one-process-rows", type=int, default=None,
                        help="rows the one process writes (default: all); fewer are checked "
                        "against the cluster's first rows, and its last partition is "
                        "computed again in this process")
    parser.add_argument("--no-single-worker", action="store_true",
                        help="skip the cluster of 1 worker")
    parser.add_argument("--no-search", action="store_true", help="skip the grid search")
    parser.add_argument("--dask-environment", action="store_true",
                        help="start the workers in Dask's default environment (with its "
                        "MALLOC_TRIM_THRESHOLD_) instead of skltab.dask.local_cluster's")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    return parser.parse_args()


#: The one-process run, in a fresh interpreter: what ``skltab sample`` does (stream
#: ``iter_samples`` chunks into one Parquet file), timed after the imports; it prints its
#: memory before sampling (the model loaded), its seconds and its privacy guard's report.
ONE_PROCESS = """
import json, sys, time, joblib
model, n_rows, chunk_size, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, sys.argv[5])
from bench_memory import peak_rss_mib
from skltab.cli import write_chunks
synthesizer = joblib.load(model)
print(peak_rss_mib())
start = time.perf_counter()
write_chunks(synthesizer.iter_samples(n_rows, chunk_size=chunk_size, random_state=0), path)
print(time.perf_counter() - start)
print(peak_rss_mib())
print(json.dumps(getattr(synthesizer, "privacy_guard_report_", None)))
"""


def _local_cluster(n_workers, module, dask_environment=False):
    """A fresh cluster of ``skltab.dask.local_cluster`` (or, with ``dask_environment``, a
    LocalCluster of one-thread workers in Dask's default environment) whose workers have
    imported ``module`` (what a worker does once, not per task), and its client."""
    import distributed

    if dask_environment:
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                           dashboard_address=None)
    else:
        cluster = skltab.dask.local_cluster(n_workers)
    client = distributed.Client(cluster)
    client.run(importlib.import_module, module)
    return cluster, client


def sample_in_one_process(model, n_rows, chunk_size, path, repeats):
    """Sample in fresh processes; return the best seconds, the memory before sampling, the
    peak memory (MiB, the largest of the runs) and the privacy guard's report."""
    command = [sys.executable, "-c", ONE_PROCESS, str(model), str(n_rows), str(chunk_size),
               str(path), str(Path(__file__).parent)]
    runs = []
    for _ in range(repeats):
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        before, seconds, peak, report = result.stdout.splitlines()
        runs.append((float(seconds), float(before), float(peak)))
    return (min(run[0] for run in runs), max(run[1] for run in runs),
            max(run[2] for run in runs), json.loads(report))


def sample_on_cluster(synthesizer, n_rows, chunk_size, path, n_workers, repeats,
                      dask_environment):
    """Sample to a Parquet folder on a fresh cluster; return the best seconds, the memory
    before sampling and the peak memory (MiB) of each worker, and the privacy guard's counts
    (summed over the partitions)."""
    import dask

    cluster, client = _local_cluster(n_workers, type(synthesizer).__module__, dask_environment)
    try:
        before = sorted(client.run(peak_rss_mib).values())
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            rows, report = skltab.dask.sample(synthesizer, n_rows, chunk_size=chunk_size,
                                              random_state=0, return_report=True)
            _, report = dask.compute(rows.to_parquet(path, write_index=False, overwrite=True,
                                                     compute=False), report)
            times.append(time.perf_counter() - start)
        peaks = sorted(client.run(peak_rss_mib).values())
    finally:
        client.close()
        cluster.close()
    if report is not None:
        report = total_report(report)
    return min(times), before, peaks, report


def _row_hashes(frames):
    hashes = [pd.util.hash_pandas_object(frame, index=False).to_numpy() for frame in frames]
    return np.concatenate(hashes)


def same_rows(one_file, folder):
    """Whether the cluster's output begins with the one process's rows, in the same order,
    with the same dtypes (all of them when the one process wrote every row)."""
    import dask
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    batches = pq.ParquetFile(one_file).iter_batches(batch_size=500_000)
    one = _row_hashes(batch.to_pandas() for batch in batches)
    with dask.config.set({"dataframe.convert-string": False}):  # object strings, as one_file
        parts = dd.read_parquet(folder)
    cluster, n_read, i = [], 0, 0
    while n_read < len(one) and i < parts.npartitions:
        cluster.append(parts.get_partition(i).compute(scheduler="sync"))
        n_read, i = n_read + len(cluster[-1]), i + 1
    cluster = _row_hashes(cluster)
    first = pq.ParquetFile(one_file).read_row_group(0).to_pandas()
    same_dtypes = first.dtypes.astype(str).equals(parts._meta.dtypes.astype(str))
    return bool(same_dtypes and np.array_equal(one, cluster[:len(one)]))


def same_last_partition(synthesizer, n_rows, chunk_size, folder):
    """Whether the cluster's last partition equals the same partition sampled again in this
    process, from the same seeds (Dask's synchronous scheduler)."""
    import dask
    import dask.dataframe as dd

    rows = skltab.dask.sample(synthesizer, n_rows, chunk_size=chunk_size, random_state=0)
    here = rows.get_partition(rows.npartitions - 1).compute(scheduler="sync")
    with dask.config.set({"dataframe.convert-string": False}):
        parts = dd.read_parquet(folder)
    there = parts.get_partition(parts.npartitions - 1).compute(scheduler="sync")
    return bool(np.array_equal(_row_hashes([here.reset_index(drop=True)]),
                               _row_hashes([there])))


def sampling(train, args, workdir):
    models = {
        "FastGen": (FastGenSynthesizer(random_state=0), args.fastgen_rows, args.chunk_size),
        "Diffusion": (MaskedDiffusionSynthesizer(epochs=DIFFUSION_EPOCHS, random_state=0),
                      args.diffusion_rows, args.diffusion_chunk_size),
    }
    results = []
    for name in args.synthesizers:
        synthesizer, n_rows, chunk_size = models[name]
        one_rows = min(n_rows, args.one_process_rows or n_rows)
        synthesizer.fit(train)
        model = workdir / f"{name}.joblib"
        joblib.dump(synthesizer, model)
        one_file, folder = workdir / f"{name}_one.parquet", workdir / f"{name}_cluster.parquet"
        one_seconds, one_before, one_peak, one_report = sample_in_one_process(
            model, one_rows, chunk_size, one_file, args.repeats)
        one_worker_seconds = None if args.no_single_worker else sample_on_cluster(
            synthesizer, n_rows, chunk_size, folder, 1, args.repeats, args.dask_environment)[0]
        cluster_seconds, worker_before, worker_peaks, cluster_report = sample_on_cluster(
            synthesizer, n_rows, chunk_size, folder, args.workers, args.repeats,
            args.dask_environment)
        results.append({
            "synthesizer": name, "rows": n_rows, "chunk_size": chunk_size,
            "one_process_rows": one_rows, "one_process_seconds": one_seconds,
            "one_process_rows_per_s": one_rows / one_seconds,
            "one_process_before_mib": one_before, "one_process_peak_mib": one_peak,
            "one_worker_rows_per_s": one_worker_seconds and n_rows / one_worker_seconds,
            "workers": args.workers, "cluster_seconds": cluster_seconds,
            "cluster_rows_per_s": n_rows / cluster_seconds,
            "worker_before_mib": worker_before, "worker_peak_mib": worker_peaks,
            "same_rows": same_rows(one_file, folder) and (
                one_rows == n_rows or same_last_partition(synthesizer, n_rows, chunk_size,
                                                          folder)),
            "one_process_privacy_guard": one_report, "cluster_privacy_guard": cluster_report,
        })
        print(json.dumps(results[-1]), flush=True)
    return results


def grid_search(train, n_workers, repeats, dask_environment):
    """Best seconds of an 8-candidate search on a fresh cluster, and its mean test scores."""
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(
        MaskedDiffusionSynthesizer(epochs=GRID_EPOCHS, random_state=0), GRID,
        scoring=get_scorer("neg_wasserstein"), cv=2, n_jobs=-1, error_score="raise",
    )
    cluster, client = _local_cluster(n_workers, MaskedDiffusionSynthesizer.__module__,
                                     dask_environment)
    try:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            with joblib.parallel_config(backend="dask"):
                search.fit(train)
            times.append(time.perf_counter() - start)
    finally:
        client.close()
        cluster.close()
    return min(times), search.cv_results_["mean_test_score"].tolist()


def searching(train, args):
    subsample = train.sample(args.grid_rows, random_state=0).reset_index(drop=True)
    runs = {n: grid_search(subsample, n, args.repeats, args.dask_environment)
            for n in (1, args.workers)}
    result = {"candidates": 8, "folds": 2, "rows": args.grid_rows, "epochs": GRID_EPOCHS,
              "seconds": {str(n): seconds for n, (seconds, _) in runs.items()},
              "same_scores": runs[1][1] == runs[args.workers][1]}
    print(json.dumps(result), flush=True)
    return result


def _mib(before, peak):
    return f"{peak:,.0f} ({before:,.0f})"


def _markdown(results):
    lines = ["| synthesizer | rows | one process: rows/s | peak MiB (before) | "
             f"1 worker: rows/s | {results['workers']} workers: rows/s | "
             "peak MiB per worker (before) | speed-up over one process | over 1 worker | "
             "same rows |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in results["sampling"]:
        workers = " / ".join(_mib(before, peak) for before, peak in zip(
            row["worker_before_mib"], row["worker_peak_mib"]))
        one_worker = row["one_worker_rows_per_s"]
        over_one_worker = (f"{row['cluster_rows_per_s'] / one_worker:.2f}" if one_worker
                           else "–")
        lines.append(
            f"| {row['synthesizer']} | {row['rows']:,} | {row['one_process_rows_per_s']:,.0f} "
            f"| {_mib(row['one_process_before_mib'], row['one_process_peak_mib'])} | "
            f"{f'{one_worker:,.0f}' if one_worker else '–'} | "
            f"{row['cluster_rows_per_s']:,.0f} | {workers} | "
            f"{row['cluster_rows_per_s'] / row['one_process_rows_per_s']:.2f} | "
            f"{over_one_worker} | "
            f"{'yes' if row['same_rows'] else 'NO'} |")
    search = results["search"]
    if search is None:
        return "\n".join(lines)
    seconds = list(search["seconds"].values())
    lines += ["", "| grid search | " + " | ".join(f"{n} worker(s)" for n in search["seconds"])
              + " | speed-up | same scores |", "|---|" + "---:|" * (len(seconds) + 1) + "---|",
              f"| 8 candidates x 2 folds, diffusion ({search['epochs']} epochs), "
              f"{search['rows']:,} rows | " + " | ".join(f"{s:.1f} s" for s in seconds)
              + f" | {seconds[0] / seconds[-1]:.2f} | "
              f"{'yes' if search['same_scores'] else 'NO'} |"]
    return "\n".join(lines)


def main():
    args = _parse_args()
    train, _ = load_split("adult", args.data_dir)
    started = time.strftime("%Y-%m-%d %H:%M")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as workdir:
        sampled = sampling(train, args, Path(workdir))
    results = {"date": started, "machine": machine_description(),
               "load_average_before": load_before, "workers": args.workers,
               "dask_environment": args.dask_environment,
               "sampling": sampled, "search": None if args.no_search else searching(train, args),
               "load_average_after": os.getloadavg()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(_markdown(results))


if __name__ == "__main__":
    main()
