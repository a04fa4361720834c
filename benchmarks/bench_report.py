"""Render saved benchmark results as markdown, into a section of ``docs/benchmarks.md``.

The generated text sits between ``<!-- benchmark:NAME:start -->`` and
``<!-- benchmark:NAME:end -->``; everything outside the markers (the hand-written reading of
the results) is kept when the section is rewritten. To regenerate the docs without rerunning::

    python benchmarks/bench_report.py benchmarks/results/main.json --output docs/benchmarks.md

Parts of one run started side by side on disjoint tables are merged with ``--merge NAME``.
Runs of the same tables that differ only by ``--seed`` are summarised (mean and standard
deviation over the seeds, per table and synthesizer) with ``--seeds NAME``.
"""

import argparse
import json
import math
import re
import statistics
from pathlib import Path

#: Metrics shown in the tables, in order: (summary name, column header).
COLUMNS = [
    ("wasserstein", "Wasserstein ↓"),
    ("jensen_shannon", "Jensen-Shannon ↓"),
    ("association_error", "assoc. error ↓"),
    ("detection_auc", "detection AUC (0.5 best)"),
    ("tstr", "TSTR ↑"),
    ("utility_ratio", "TSTR/TRTR ↑"),
    ("precision", "precision ↑"),
    ("recall", "recall ↑"),
    ("coverage", "coverage ↑"),
    ("dcr_ratio", "DCR ratio ↑"),
    ("too_close_rate", "too close ↓"),
    ("too_close_reference", "too close, holdout"),
    ("exact_copy_rate", "exact copies ↓"),
    ("holdout_exact_copy_rate", "exact copies, holdout"),
    ("rule_violation_rate", "rule violations ↓"),
    ("invented_value_rate", "invented values ↓"),
]
#: Metrics of the summary over seeds, in order: (summary name, column header, decimals).
SEED_COLUMNS = [
    ("fit_seconds", "fit (s)", 1),
    ("association_error", "assoc. error ↓", 3),
    ("detection_auc", "detection AUC (0.5 best)", 3),
    ("utility_ratio", "TSTR/TRTR ↑", 3),
    ("dcr_ratio", "DCR ratio ↑", 3),
    ("too_close_rate", "too close ↓", 3),
    ("exact_copy_rate", "exact copies ↓", 3),
]
#: Main utility metric of each task: train on synthetic / train on real, test on real.
UTILITY = {
    "classification": ("tstr_macro_f1", "trtr_macro_f1", "macro-F1"),
    "regression": ("tstr_r2", "trtr_r2", "R²"),
}


def render(run):
    """Return the markdown section of one benchmark run.

    Parameters
    ----------
    run : dict
        What ``run.py`` saves as JSON.

    Returns
    -------
    str
    """
    machine = run["machine"]
    lines = [
        f"### Run `{run['name']}`",
        "",
        f"- Date: {run['date']}",
        f"- Command: `{run['command']}`",
        f"- Machine: {machine['platform']}, {machine['cpu_count']} CPU cores"
        f" ({machine['processor'] or 'processor not reported'}), {machine['memory']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        f"- Seed {run['seed']}; epochs: {_epochs_text(run['epochs'])}; torch threads: "
        f"{run['torch_threads']}; 1-minute load average {run['load_average']['start']} at the "
        f"start and {run['load_average'].get('end')} at the end (other processes shared the "
        "cores when it is above 1).",
        "",
    ]
    for dataset in run["datasets"]:
        lines += _dataset_table(run, dataset)
    return "\n".join(lines)


def _epochs_text(epochs):
    return "each synthesizer's default (SDV: 300)" if epochs is None else f"{epochs} (--epochs)"


def _dataset_table(run, dataset):
    info = run["datasets"][dataset]
    tstr, trtr, label = UTILITY[info["task"]]
    results = [r for r in run["results"] if r["dataset"] == dataset]
    trtr_values = [r["metrics"].get(trtr) for r in results if r["metrics"].get(trtr) is not None]
    trtr_text = _number(trtr_values[0]) if trtr_values else "–"
    headers = ["synthesizer", "fit (s)", "sample (rows/s)"] + [
        header.replace("TSTR", f"TSTR {label}") for _, header in COLUMNS
    ]
    lines = [
        f"#### {dataset}",
        "",
        f"{info['n_train']} training rows, {info['n_test']} test rows, "
        f"{info['n_synthetic']} synthetic rows per synthesizer; target `{info['target']}` "
        f"({info['task']}). TRTR {label} (trained on the real training rows): {trtr_text}.",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    for result in results:
        lines.append(_row(result, tstr, len(headers)))
    lines.append("")
    return lines


def _row(result, tstr, n_columns):
    name = f"`{result['synthesizer']}`"
    if result["error"] is not None:
        cells = [name, f"failed: {result['error']}"] + [""] * (n_columns - 2)
        return "| " + " | ".join(cells) + " |"
    metrics = result["metrics"]
    cells = [
        name,
        _number(result["fit_seconds"], "{:.1f}"),
        _number(result["rows_per_second"], "{:,.0f}"),
    ] + [_number(metrics.get(tstr if key == "tstr" else key)) for key, _ in COLUMNS]
    return "| " + " | ".join(cells) + " |"


def _number(value, style="{:.3f}"):
    return "–" if _missing(value) else style.format(value)


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def render_seeds(runs, name):
    """Return the markdown section that summarises runs differing only by their seed: per
    table and synthesizer, the mean and standard deviation (ddof 1) of each metric of
    ``SEED_COLUMNS`` over the runs where it was computed, and how many runs that is."""
    seeds = ", ".join(str(run["seed"]) for run in runs)
    lines = [f"### Runs `{name}`: seeds {seeds}", "",
             "Runs: " + ", ".join(f"`{run['name']}` ({run['date']})" for run in runs) + ".", ""]
    headers = ["table", "synthesizer", "seeds"] + [header for _, header, _ in SEED_COLUMNS]
    lines += ["| " + " | ".join(headers) + " |",
              "|" + "|".join(["---", "---"] + ["---:"] * (len(headers) - 2)) + "|"]
    for dataset in runs[0]["datasets"]:
        for synthesizer in dict.fromkeys(r["synthesizer"] for r in runs[0]["results"]
                                         if r["dataset"] == dataset):
            results = [r for run in runs for r in run["results"] if r["dataset"] == dataset
                       and r["synthesizer"] == synthesizer and r["error"] is None]
            cells = [dataset, f"`{synthesizer}`", str(len(results))] + [
                _mean_and_deviation([_value(r, key) for r in results], decimals)
                for key, _, decimals in SEED_COLUMNS]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def _value(result, key):
    value = result[key] if key in result else result["metrics"].get(key)
    return None if _missing(value) else value


def _mean_and_deviation(values, decimals):
    values = [value for value in values if value is not None]
    if not values:
        return "–"
    mean = f"{statistics.mean(values):.{decimals}f}"
    return mean if len(values) == 1 else f"{mean} ± {statistics.stdev(values):.{decimals}f}"


def write_section(path, name, text, title="# Benchmarks"):
    """Put ``text`` between the markers of section ``name`` in the file ``path``.

    The section is replaced when present and appended otherwise; the file is created with
    ``title`` when missing.
    """
    path = Path(path)
    start, end = f"<!-- benchmark:{name}:start -->", f"<!-- benchmark:{name}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    document = path.read_text(encoding="utf-8") if path.exists() else f"{title}\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.DOTALL)
    if pattern.search(document):
        document = pattern.sub(lambda _: block, document)
    else:
        document = document.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")


def merge(runs, name):
    """One run from parts started side by side on disjoint tables (one per core).

    The merged run keeps every part's tables and results, the earliest date, the parts'
    commands joined with ``&`` and the highest load averages.
    """
    merged = {**runs[0], "name": name, "date": min(run["date"] for run in runs),
              "command": " & ".join(run["command"] for run in runs), "datasets": {},
              "results": [],
              "load_average": {key: max(run["load_average"].get(key) or 0 for run in runs)
                               for key in ("start", "end")}}
    for run in runs:
        merged["datasets"].update(run["datasets"])
        merged["results"] += run["results"]
    return merged


def main(argv=None):
    """Command line: render saved JSON results into a markdown file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="JSON files written by run.py")
    parser.add_argument("--output", default="docs/benchmarks.md", help="markdown file")
    parser.add_argument("--merge", metavar="NAME", default=None,
                        help="merge the runs (parts run side by side on disjoint tables) into "
                        "one run NAME, saved beside them, and render that")
    parser.add_argument("--seeds", metavar="NAME", default=None,
                        help="render one section NAME: the mean and standard deviation of the "
                        "runs (the same tables with different seeds)")
    args = parser.parse_args(argv)
    runs = [json.loads(Path(results).read_text(encoding="utf-8")) for results in args.results]
    if args.seeds is not None:
        write_section(args.output, args.seeds, render_seeds(runs, args.seeds))
        print(f"Wrote section {args.seeds!r} of {args.output}")
        return
    if args.merge is not None:
        from run import save

        runs = [merge(runs, args.merge)]
        save(runs[0])
    for run in runs:
        write_section(args.output, run["name"], render(run))
        print(f"Wrote section {run['name']!r} of {args.output}")


if __name__ == "__main__":
    main()
