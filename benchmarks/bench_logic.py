"""Benchmark skltab.logic: how fast discovery is, and how often samples break the rules.

Two parts:

1. **Discovery speed**: :func:`skltab.logic.discover_rules` on the adult table (30,162 rows x
   14 columns), on a 30,000-row demo table cut to 15 columns (those of its rules and the ID),
   and on the other benchmark tables; best of ``--repeats`` runs, one process, one thread.
2. **Violations**: each synthesizer fitted on the demo table and on adult's training part
   (the split of ``bench_data``), alone and behind a :class:`~skltab.logic.LogicCompressor`
   in a :class:`~skltab.pipeline.SynthesisPipeline`; as many rows sampled as it learned; the
   share of sampled rows that break each rule the compressor found in the real table, and
   the share that break at least one, computed with :func:`skltab.metrics.rule_violations`
   (the real rows fix the mappings).

Example::

    python benchmarks/bench_logic.py --synthesizers independent sdv_gaussian_copula \\
        sdv_ctgan sdv_tvae --epochs 30 --output benchmarks/results/logic.md
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd
from bench_data import DATASETS, DEFAULT_DATA_DIR, load_split
from bench_registry import get_spec

from skltab import make_synthesis_pipeline
from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import LogicCompressor, discover_rules
from skltab.metrics import rule_violation_rate, rule_violations

#: Demo columns kept for the 30,000 x 15 speed table: the ID and every column of a rule.
DEMO_SPEED_COLUMNS = [
    "order_id", "order_date", "ship_date", "delivery_days", "zip", "city", "state",
    "product_category", "unit_price", "quantity", "total", "discount_pct", "net", "is_member",
    "member_since",
]
RESULTS = Path(__file__).resolve().parent / "results"


def speed_tables(data_dir):
    """Tables timed by the discovery part, by name."""
    tables = {"demo 30,000 x 15": load_demo(n_samples=30_000)[DEMO_SPEED_COLUMNS]}
    for name, spec in DATASETS.items():
        path = Path(data_dir) / spec.file
        if path.exists():
            tables[name] = pd.read_csv(path, encoding=spec.encoding)
    return tables


def time_discovery(tables, repeats):
    rows = []
    for name, table in tables.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            rules = discover_rules(table)
            times.append(time.perf_counter() - start)
        rows.append({"table": name, "rows": len(table), "columns": table.shape[1],
                     "seconds": round(min(times), 2),
                     "rules": "; ".join(rule.describe() for rule in rules) or "(none)"})
    return rows


def violation_tables(data_dir, seed, demo_rows):
    tables = {"demo": load_demo(n_samples=demo_rows, random_state=seed)}
    if (Path(data_dir) / DATASETS["adult"].file).exists():
        tables["adult"] = load_split("adult", data_dir, seed)[0]
    return tables


def measure_violations(tables, synthesizers, seed, epochs):
    results = []
    for dataset, real in tables.items():
        rules = [rule.describe() for rule in LogicCompressor().fit(real).rules_]
        if dataset == "demo":
            assert set(rules) == set(DEMO_RULES), rules
        for name in synthesizers:
            spec = get_spec(name)
            for compressed in (False, True):
                synthesizer = spec.build(seed, epochs)
                model = (make_synthesis_pipeline(LogicCompressor(random_state=seed), synthesizer)
                         if compressed else synthesizer)
                start = time.perf_counter()
                model.fit(real)
                fit_seconds = time.perf_counter() - start
                synthetic = model.sample(len(real), random_state=seed)
                per_rule = rule_violations(synthetic, rules, reference=real)
                results.append({
                    "dataset": dataset, "synthesizer": name,
                    "logic": "LogicCompressor" if compressed else "-",
                    "fit (s)": round(fit_seconds, 1),
                    "any rule": rule_violation_rate(synthetic, rules, reference=real),
                    **per_rule.to_dict(),
                })
                print(f"{dataset:6s} {name:22s} compressed={compressed!s:5s} "
                      f"any rule={results[-1]['any rule']:.3f}", flush=True)
    return results


def render(speed, violations, sizes, args):
    lines = [
        "# skltab.logic benchmark",
        "",
        f"Command: `python benchmarks/bench_logic.py {' '.join(args.argv)}`  ",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores "
        f"visible, Python {platform.python_version()}; load average at the end "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "## Discovery speed",
        "",
        f"`discover_rules(table)` with default settings, best of {args.repeats} runs.",
        "",
        markdown(pd.DataFrame(speed)),
        "",
        "## Violations of the rules found in the real table",
        "",
        "Share of sampled rows that break each rule (mappings fixed by the real rows); as many "
        f"rows sampled as learned; epochs of the neural models: {args.epochs}; seed "
        f"{args.seed}.",
    ]
    frame = pd.DataFrame(violations, columns=["dataset"] if not violations else None)
    for dataset, part in frame.groupby("dataset", sort=False):
        part = part.dropna(axis=1, how="all").drop(columns="dataset")
        rates = part.columns[part.columns.get_loc("any rule"):]
        part[rates] = part[rates].map(lambda value: f"{value:.3f}")
        lines += ["", f"### {dataset} ({sizes[dataset]} rows)", "", markdown(part)]
    return "\n".join(lines) + "\n"


def markdown(frame):
    """A DataFrame as a markdown table."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * frame.shape[1]
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthesizers", nargs="+", default=["independent",
                                                              "sdv_gaussian_copula"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--demo-rows", type=int, default=2000)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--output", default=str(RESULTS / "logic.md"))
    parser.add_argument("--skip-violations", action="store_true")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    speed = time_discovery(speed_tables(args.data_dir), args.repeats)
    for row in speed:
        print(f"{row['table']:18s} {row['seconds']:6.2f} s  {row['rules']}", flush=True)
    tables = ({} if args.skip_violations
              else violation_tables(args.data_dir, args.seed, args.demo_rows))
    violations = measure_violations(tables, args.synthesizers, args.seed, args.epochs)
    sizes = {name: len(table) for name, table in tables.items()}
    Path(args.output).write_text(render(speed, violations, sizes, args))
    Path(args.output).with_suffix(".json").write_text(
        json.dumps({"speed": speed, "violations": violations}, indent=2, default=str))


if __name__ == "__main__":
    main()
