"""Benchmark SyntheticOversampler against imbalanced-learn's over-samplers.

On bank (11 % positives), adult (24 % positives; training part cut to 5,000 rows, as in
``run.py``) and adult with its positives cut to 2 % of the rows (``adult_2pct``: every
negative row of the table and a seeded subsample of the positives, split 80/20; the training
part is kept whole, about 18,500 rows of which 370 positive), for each seed:

1. split the table 80/20, stratified on the target, with the seed (``bench_data``'s split);
2. resample the training part with each method: ``none`` (no resampling), imbalanced-learn's
   ``smotenc`` and ``random`` (RandomOverSampler), and ``SyntheticOversampler`` around
   FastGen (``fastgen``) and the diffusion (``diffusion``), every one at its defaults
   (``sampling_strategy="auto"``: the minority grows to the majority's count) and seeded;
3. train scikit-learn's ``HistGradientBoostingClassifier`` (default settings, categories
   native through ``categorical_features="from_dtype"``) on the resampled rows, and score
   it on the real test rows: balanced accuracy and the minority class's F1 (of
   ``predict``, threshold 0.5) and average precision (of ``predict_proba``); torch and
   OpenMP run one thread each;
4. score the privacy of the rows a method added to the minority class with
   :func:`skltab.metrics.privacy_scores`: the added rows against the minority's training
   rows, with the minority's test rows as the held-out reference.

Other methods measure the levers (``--methods``, see :func:`make_sampler`):
``fastgen_conditioned`` and ``diffusion_conditioned`` (one model of every row, conditioned
on the class), ``fastgen_unguarded`` (without the over-sampler's privacy guard),
``METHOD@RATIO`` (``sampling_strategy=RATIO``: the minority grows to RATIO
times the majority's count), ``METHOD@geometric`` (``sampling_strategy="geometric"``, for
imbalanced-learn's samplers the class counts it asks for), ``fastgen_independent`` (FastGen
without its copula) and ``independent`` (the IndependentSynthesizer).

Results: ``benchmarks/results/NAME.json`` (every seed and metric, rewritten after every
cell) and the section ``NAME`` of ``--output`` (default ``docs/benchmarks.md``): means and
standard deviations over the seeds.

Usage (the runs in ``docs/benchmarks.md``; ``--render-only`` rewrites a saved run's section)::

    python benchmarks/bench_oversampling.py --methods none smotenc random fastgen \\
        diffusion smotenc@0.5 random@0.5 fastgen@0.5 diffusion@0.5 fastgen_conditioned
    python benchmarks/bench_oversampling.py --datasets adult_2pct --methods none \\
        random@0.1 smotenc@0.1 fastgen@0.1 diffusion@0.1 --name oversampling_ratio
    python benchmarks/bench_oversampling.py --seeds 0 1 --methods none fastgen diffusion \\
        diffusion_conditioned --name oversampling_conditioned
    python benchmarks/bench_oversampling.py --methods none fastgen fastgen_unguarded \\
        --name oversampling_guard
    python benchmarks/bench_oversampling.py --methods none smotenc@geometric \\
        random@geometric fastgen@geometric diffusion@geometric --name oversampling_geometric
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_data import DATASETS, DEFAULT_DATA_DIR, load_split
from bench_report import write_section
from run import RESULTS_DIR, machine_description, prepare
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skltab import IndependentSynthesizer, SyntheticOversampler
from skltab.fastgen import FastGenSynthesizer
from skltab.metrics import privacy_scores
from skltab.oversampling._strategy import class_counts, rows_to_add

#: The positive (minority) label of each table's target.
POSITIVE = {"bank": "yes", "adult": ">50K", "adult_2pct": ">50K"}
#: Share of positive rows in ``adult_2pct``, and the seed of its subsample of positives.
TWO_PERCENT, SUBSAMPLE_SEED = 0.02, 0
METHODS = ["none", "smotenc", "random", "fastgen", "diffusion"]
PRIVACY = ["dcr_ratio", "too_close_rate", "too_close_reference", "exact_copy_rate",
           "holdout_exact_copy_rate"]
SCORES = ["balanced_accuracy", "minority_f1", "average_precision"]


def load_task(name, data_dir, seed):
    """Train and test features (categories as pandas categoricals) and 0/1 targets."""
    if name == "adult_2pct":
        train, test = _two_percent_split(data_dir, seed)
    else:
        train, test = load_split(name, data_dir, seed)
    target = DATASETS["adult" if name == "adult_2pct" else name].target
    categories = {column: pd.CategoricalDtype(sorted(set(train[column]) | set(test[column])))
                  for column in train.columns
                  if train[column].dtype == object and column != target}
    parts = []
    for part in (train, test):
        X = part.drop(columns=target).astype(categories)
        parts += [X, (part[target] == POSITIVE[name]).astype(int).to_numpy()]
    return parts


def _two_percent_split(data_dir, seed):
    """Adult with every negative row and positives making 2 % of the rows, split 80/20."""
    spec = DATASETS["adult"]
    table = pd.read_csv(Path(data_dir) / spec.file, encoding=spec.encoding)
    positive = table[spec.target] == POSITIVE["adult"]
    n_positive = round(TWO_PERCENT / (1 - TWO_PERCENT) * (~positive).sum())
    table = pd.concat([table[~positive],
                       table[positive].sample(n_positive, random_state=SUBSAMPLE_SEED)])
    train, test = train_test_split(table, test_size=0.2, random_state=seed,
                                   stratify=table[spec.target])
    return train.reset_index(drop=True), test.reset_index(drop=True)


def make_sampler(method, seed):
    """The sampler of ``method`` (None for no resampling).

    ``method`` is ``none``, ``smotenc``, ``random`` or a synthesizer's name (``fastgen``,
    ``fastgen_independent``, ``diffusion``, ``independent``), the latter optionally followed
    by ``_conditioned`` (one conditioned model of every row) and ``_unguarded``
    (``privacy_guard=False``); any of them but ``none`` may
    end with ``@RATIO``, a float ``sampling_strategy`` (the minority grows to RATIO times the
    majority's count) or ``@geometric`` (``sampling_strategy="geometric"``) instead of
    ``"auto"``.
    """
    from imblearn.over_sampling import SMOTENC, RandomOverSampler

    from skltab.diffusion import MaskedDiffusionSynthesizer

    if method == "none":
        return None
    name, _, ratio = method.partition("@")
    strategy = {"": "auto", "geometric": "geometric"}.get(ratio) or float(ratio)
    if name == "smotenc":
        return SMOTENC(categorical_features="auto", sampling_strategy=_imblearn(strategy),
                       random_state=seed)
    if name == "random":
        return RandomOverSampler(sampling_strategy=_imblearn(strategy), random_state=seed)
    synthesizers = {"fastgen": FastGenSynthesizer(), "diffusion": MaskedDiffusionSynthesizer(),
                    "fastgen_independent": FastGenSynthesizer(dependence="independent"),
                    "independent": IndependentSynthesizer()}
    unguarded = name.endswith("_unguarded")
    synthesizer = name.removesuffix("_unguarded").removesuffix("_conditioned")
    return SyntheticOversampler(synthesizers[synthesizer], sampling_strategy=strategy,
                                model_per_class="_conditioned" not in name,
                                privacy_guard=not unguarded, random_state=seed)


def _imblearn(strategy):
    """``strategy`` for imbalanced-learn's samplers: ``"geometric"`` as their callable form,
    the class counts it asks for."""
    if strategy != "geometric":
        return strategy

    def geometric(y):
        added = rows_to_add("geometric", np.asarray(y))
        return {label: count + added.get(label, 0) for label, count in class_counts(y).items()}
    return geometric


def run_cell(method, X, y, X_test, y_test, seed):
    """Resample, train, score and measure the privacy of the added minority rows."""
    sampler = make_sampler(method, seed)
    start = time.perf_counter()
    X_res, y_res = (X, y) if sampler is None else sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    classifier = HistGradientBoostingClassifier(categorical_features="from_dtype",
                                                random_state=seed).fit(X_res, y_res)
    predicted = classifier.predict(X_test)
    result = {
        "balanced_accuracy": balanced_accuracy_score(y_test, predicted),
        "minority_f1": f1_score(y_test, predicted),
        "average_precision": average_precision_score(y_test,
                                                     classifier.predict_proba(X_test)[:, 1]),
        "resample_seconds": seconds,
        "rows_added": len(X_res) - len(X),
    }
    added = X_res.iloc[len(X):][np.asarray(y_res)[len(X):] == 1]
    if len(added):
        result.update({key: privacy_scores(X_test[y_test == 1], added, train=X[y == 1],
                                           random_state=seed)[key] for key in PRIVACY})
    return result


def summarize(results):
    """Mean and standard deviation of every metric per dataset and method."""
    frame = pd.DataFrame(results)
    metrics = [c for c in frame.columns if c not in ("dataset", "method", "seed")]
    grouped = frame.groupby(["dataset", "method"], sort=False)[metrics]
    return grouped.mean(), grouped.std(ddof=1), grouped.size()


def describe_splits(dataset, data_dir, seeds):
    """Rows and positive rows of the training and test parts, over the seeds' splits."""
    counts = {"training": [], "training positives": [], "test": [], "test positives": []}
    for seed in seeds:
        _, y, _, y_test = load_task(dataset, data_dir, seed)
        for key, values in (("training", y), ("test", y_test)):
            counts[key].append(len(values))
            counts[f"{key} positives"].append(int(values.sum()))
    text = {key: f"{min(values):,}" if min(values) == max(values)
            else f"{min(values):,} to {max(values):,}" for key, values in counts.items()}
    return (f"{text['training']} training rows ({text['training positives']} positive), "
            f"{text['test']} test rows ({text['test positives']} positive).")


def render(record, data_dir):
    """The markdown section of a run."""
    machine = record["machine"]
    means, stds, counts = summarize(record["results"])
    lines = [
        f"### Run `{record['name']}`",
        "",
        f"- Date: {record['date']}; {record['minutes']:.0f} minutes",
        f"- Command: `{record['command']}`",
        f"- Machine: {machine['processor']}, {machine['cpu_count']} CPU cores, "
        f"{machine['memory']}, Python {machine['python']}; "
        + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        f"- Seeds: {', '.join(map(str, record['seeds']))} (mean ± standard deviation); "
        "classifier: HistGradientBoostingClassifier, default settings",
    ]
    for dataset in record["datasets"]:
        lines += ["", f"#### {dataset}", "", describe_splits(dataset, data_dir, record["seeds"]),
                  "",
                  "| method | balanced accuracy ↑ | minority F1 ↑ | average precision ↑ "
                  "| rows added | resample (s) | DCR ratio ↑ | too close ↓ | too close, "
                  "holdout | exact copies ↓ | exact copies, holdout |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for method in record["methods"]:
            if (dataset, method) not in means.index:
                continue
            mean, std = means.loc[(dataset, method)], stds.loc[(dataset, method)]
            cells = [f"{mean[m]:.3f} ± {std[m]:.3f}" if counts[(dataset, method)] > 1
                     else f"{mean[m]:.3f}" for m in SCORES]
            cells += [f"{mean['rows_added']:,.0f}", f"{mean['resample_seconds']:.1f}"]
            cells += ["–" if pd.isna(mean.get(m, np.nan)) else f"{mean[m]:.3f}"
                      for m in PRIVACY]
            lines.append(f"| `{method}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["bank", "adult", "adult_2pct"])
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--name", default="oversampling")
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1]
                                                / "docs" / "benchmarks.md"))
    parser.add_argument("--render-only", action="store_true",
                        help="write the section of the saved run NAME without running")
    args = parser.parse_args(argv)
    path = RESULTS_DIR / f"{args.name}.json"
    if args.render_only:
        write_section(args.output, args.name,
                      render(json.loads(path.read_text()), args.data_dir))
        return
    prepare(1)
    # One OpenMP thread: gradient boosting's threads wait for busy cores on a shared machine.
    threadpool_limits(1, user_api="openmp")
    started = time.perf_counter()
    record = {"name": args.name, "machine": machine_description(), "seeds": args.seeds,
              "methods": args.methods, "datasets": args.datasets, "results": [],
              "command": "python benchmarks/bench_oversampling.py "
                         + " ".join(sys.argv[1:] if argv is None else argv),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for dataset in args.datasets:
        for seed in args.seeds:
            X, y, X_test, y_test = load_task(dataset, args.data_dir, seed)
            for method in args.methods:
                result = run_cell(method, X, y, X_test, y_test, seed)
                record["results"].append({"dataset": dataset, "method": method, "seed": seed,
                                          **result})
                print(f"[{dataset}] seed {seed} {method:22s} "
                      + " ".join(f"{m}={result[m]:.3f}" for m in SCORES)
                      + f" ({result['resample_seconds']:.1f} s)", flush=True)
                record["minutes"] = (time.perf_counter() - started) / 60
                path.write_text(json.dumps(record, indent=2, default=float))
    write_section(args.output, args.name, render(record, args.data_dir))
    print(f"Results written to {path} and the section {args.name!r} of {args.output}")


if __name__ == "__main__":
    main()
