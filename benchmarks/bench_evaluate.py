"""Time ``skltab.metrics.evaluate`` with every metric on a 30,000 x 15 table.

The target is under 60 seconds on 2 CPU cores. The script makes a mixed table (numbers,
datetimes, categories up to 80 values, a boolean, missing values, a derived column and a
functional dependency), fits IndependentSynthesizer on one draw (the training rows), samples
as many rows, and evaluates against a second draw (the holdout) with a target, the training
rows and three rules, so that every metric runs. Numerical libraries are held to
``--threads`` threads (2 by default); on a larger machine, also pin the process to two cores
(``taskset -c 0,1 python benchmarks/bench_evaluate.py``). On a machine whose cores other
processes keep busy, OpenMP threads that wait for one another slow gradient boosting and the
nearest-neighbour searches down many times over: compare with ``--threads 1``.

Usage::

    python benchmarks/bench_evaluate.py [--rows 30000] [--threads 2] [--html report.html]
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from skltab import IndependentSynthesizer
from skltab.metrics import evaluate

BUDGET_SECONDS = 60
RULES = ["total = unit_price * quantity", "city -> region", "signup <= last_login"]


def make_table(n_rows, seed):
    """A 15-column customer table with the kinds, dependencies and gaps of real data."""
    rng = np.random.RandomState(seed)
    cities = np.array([f"city_{i:02d}" for i in range(80)])
    city = rng.choice(cities, n_rows, p=np.arange(80, 0, -1) / np.arange(80, 0, -1).sum())
    income = np.round(rng.lognormal(10, 0.6, n_rows), 2)
    unit_price = np.round(rng.gamma(2, 15, n_rows), 2)
    quantity = rng.randint(1, 10, n_rows)
    signup = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.randint(0, 1500, n_rows), "D")
    table = pd.DataFrame({
        "age": rng.randint(18, 90, n_rows),
        "income": income,
        "score": np.round(np.log(income) * 8 + rng.normal(0, 4, n_rows), 1),
        "unit_price": unit_price,
        "quantity": quantity,
        "total": np.round(unit_price * quantity, 2),
        "signup": signup,
        "last_login": signup + pd.to_timedelta(rng.randint(0, 400, n_rows), "D"),
        "segment": rng.choice(["a", "b", "c", "d"], n_rows),
        "region": np.char.add("region_", (np.searchsorted(cities, city) % 8).astype(str)),
        "city": city,
        "product": rng.choice([f"product_{i}" for i in range(30)], n_rows),
        "channel": rng.choice(["web", "store", "phone"], n_rows, p=[0.6, 0.3, 0.1]),
        "employed": rng.rand(n_rows) < 0.7,
    })
    odds = (table["age"] - 50) / 20 + (table["segment"] == "d") - table["employed"]
    table["churn"] = np.where(odds + rng.logistic(size=n_rows) > 0, "yes", "no")
    table.loc[rng.rand(n_rows) < 0.03, "income"] = np.nan
    table.loc[rng.rand(n_rows) < 0.05, "channel"] = np.nan
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000, help="rows of each table")
    parser.add_argument("--threads", type=int, default=2, help="BLAS and OpenMP threads")
    parser.add_argument("--html", default=None, help="also write the report's HTML page here")
    args = parser.parse_args(argv)

    train, holdout = make_table(args.rows, seed=0), make_table(args.rows, seed=1)
    synthesizer = IndependentSynthesizer(random_state=0).fit(train)
    synthetic = synthesizer.sample(args.rows, random_state=0)
    with threadpool_limits(limits=args.threads):
        start = time.perf_counter()
        report = evaluate(holdout, synthetic, train=train, target="churn", rules=RULES)
        elapsed = time.perf_counter() - start
        html_seconds = None
        if args.html:
            start = time.perf_counter()
            report.to_html(args.html)
            html_seconds = time.perf_counter() - start

    print(f"evaluate on {args.rows} x {train.shape[1]} tables (real, synthetic and train), "
          f"{len(report.summary())} metrics, {args.threads} threads: {elapsed:.1f} s "
          f"(budget {BUDGET_SECONDS} s)")
    if html_seconds is not None:
        print(f"to_html({args.html!r}): {html_seconds:.1f} s")
    print(report.summary().to_string(float_format=lambda v: f"{v:.4f}"))
    for note in report.notes:
        print(f"note: {note}")
    return 0 if elapsed < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
