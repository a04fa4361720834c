"""Pred-LLM's sampling speed on fitted models, to compare two versions of the decoder, or
Pred-LLM against a peer (``--synthesizer great``: be_great's GReaT) on the same machine.

Fits the synthesizer (``--synthesizer``, a name of ``run.py``'s, ``predllm`` by default)
with ``random_state=SEED`` and ``--params`` (JSON) on each dataset's training part (the
split of ``run.py``) unless ``--models`` already holds it (``SYNTHESIZER_DATASET.joblib``;
fitting does not depend on the decoder; use one folder per ``--params``), then times
``sample(--rows, random_state=1)`` ``--repeats`` times after a warm-up and keeps the
fastest. The rows' hash is saved too: two versions of the decoder that write the same rows
give the same hash. Run it with two checkouts' skltab on ``PYTHONPATH`` and the same
``--models`` folder to compare them on one machine (the results name the commit of the
skltab that ran)::

    PYTHONPATH=../before python benchmarks/bench_predllm_sampling.py --datasets wine bank \\
        --models /tmp/models --label before
    python benchmarks/bench_predllm_sampling.py --datasets wine bank --models /tmp/models \\
        --label after
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import joblib
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import DATASETS, DEFAULT_DATA_DIR, load_split  # noqa: E402
from bench_registry import SYNTHESIZERS, get_spec  # noqa: E402
from run import RESULTS_DIR, machine_description, prepare  # noqa: E402

SEED = 0


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["wine", "bank"],
                        choices=list(DATASETS))
    parser.add_argument("--models", type=Path, required=True,
                        help="folder of the fitted models (made and filled when missing)")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--label", required=True, help="name of this version in the results")
    parser.add_argument("--synthesizer", default="predllm", choices=list(SYNTHESIZERS))
    parser.add_argument("--params", type=json.loads, default={},
                        help="the synthesizer's parameters of the fit, as JSON")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output", type=Path,
                        default=RESULTS_DIR / "predllm_sampling.json")
    return parser.parse_args()


def fitted_model(synthesizer, dataset, folder, data_dir, params):
    """The saved ``synthesizer`` of ``dataset``, fitted with ``params`` and saved first if
    missing."""
    path = folder / f"{synthesizer}_{dataset}.joblib"
    if not path.exists():
        train, _ = load_split(dataset, data_dir, SEED)
        folder.mkdir(parents=True, exist_ok=True)
        estimator = get_spec(synthesizer).build(SEED).set_params(**params)
        joblib.dump(estimator.fit(train), path)
    return joblib.load(path)


def time_sampling(model, n_rows, repeats):
    """Fastest seconds of ``repeats`` calls of ``sample(n_rows, random_state=1)`` after a
    warm-up, and the hash of the rows."""
    model.sample(50, random_state=0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        rows = model.sample(n_rows, random_state=1)
        times.append(time.perf_counter() - start)
    digest = int(pd.util.hash_pandas_object(rows, index=False).sum() % (2 ** 61))
    return min(times), digest


def _commit():
    """The commit of the skltab that runs (which may be another checkout's, on PYTHONPATH)."""
    import skltab

    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=Path(skltab.__file__).parent)
    return result.stdout.strip() or None


def main():
    args = _parse_args()
    prepare(args.torch_threads)
    runs = json.loads(args.output.read_text()) if args.output.exists() else []
    for dataset in args.datasets:
        model = fitted_model(args.synthesizer, dataset, args.models, args.data_dir,
                             args.params)
        seconds, digest = time_sampling(model, args.rows, args.repeats)
        runs.append({"label": args.label, "commit": _commit(),
                     "synthesizer": args.synthesizer, "params": args.params,
                     "dataset": dataset,
                     "rows": args.rows, "seconds": seconds, "rows_per_s": args.rows / seconds,
                     "rows_hash": digest, "torch_threads": args.torch_threads,
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "machine": machine_description()})
        print(f"{args.label} {args.synthesizer} {dataset}: {args.rows / seconds:,.0f} rows/s",
              flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
