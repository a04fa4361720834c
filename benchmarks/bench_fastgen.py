"""FastGenSynthesizer against SDV's GaussianCopula: sampling speed, quality, LLM tokens.

Three measurements, written as markdown to ``benchmarks/results/fastgen.md``:

1. **Speed**: rows per second of ``sample`` on a 10-column table (the first ten columns of
   adult's training part), FastGen with independent fields and with the copula, and SDV's
   GaussianCopula (through ``skltab.integrations.sdv.SDVSynthesizer``) in the same run.
2. **Quality**, copula mode: mean per-column Wasserstein distance and pairwise association
   error against the real test rows, on adult, bank, abalone and insurance (the split and
   subsample of ``run.py``), for FastGen and SDV's GaussianCopula, over a few seeds.
3. **LLM tokens**: the ``"llm"`` backend talks to a counting OpenAI-compatible server on
   loopback that answers canned, valid specs; the real HTTP client runs. Tokens are measured
   for tables of 5 to 20 columns and 1,000 to 100,000 rows, beside the tokens an LLM would
   need just to write the rows (the CSV text at four characters per token).

Usage::

    python benchmarks/bench_fastgen.py [--data-dir ../shared/datasets] [--seeds 0 1 2]
"""

import argparse
import json
import os
import platform
import re
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import DEFAULT_DATA_DIR, load_split  # noqa: E402

import skltab  # noqa: E402
from skltab.fastgen import FastGenSynthesizer  # noqa: E402
from skltab.metrics import association_error, wasserstein_distance  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "results" / "fastgen.md"
DATASETS = ("adult", "bank", "abalone", "insurance")
SPEED_ROWS = {"fastgen": 1_000_000, "sdv": 100_000}
TOKEN_COLUMNS = (5, 10, 20)
TOKEN_ROWS = (1_000, 10_000, 100_000)
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _sdv_copula(seed):
    from skltab.integrations.sdv import SDVSynthesizer

    return SDVSynthesizer(model="gaussian_copula", random_state=seed)


def _rate(synthesizer, n_rows, repeats):
    """Best rows per second of ``repeats`` calls to ``sample(n_rows)``."""
    best = np.inf
    for seed in range(repeats):
        start = time.perf_counter()
        synthesizer.sample(n_rows, random_state=seed)
        best = min(best, time.perf_counter() - start)
    return n_rows / best


def speed(data_dir):
    train, _ = load_split("adult", data_dir)
    table = train.iloc[:, :10]
    rows = []
    for label, synthesizer, n_rows in [
        ("FastGen, independent", FastGenSynthesizer(dependence="independent", random_state=0),
         SPEED_ROWS["fastgen"]),
        ("FastGen, copula", FastGenSynthesizer(random_state=0), SPEED_ROWS["fastgen"]),
        ("SDV GaussianCopula", _sdv_copula(0), SPEED_ROWS["sdv"]),
    ]:
        start = time.perf_counter()
        synthesizer.fit(table)
        fit = time.perf_counter() - start
        rate = _rate(synthesizer, n_rows, repeats=3)
        rows.append({"synthesizer": label, "fit (s)": round(fit, 2), "rows sampled": n_rows,
                     "sample (rows/s)": round(rate)})
        print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def quality(data_dir, seeds):
    rows = []
    for name in DATASETS:
        train, test = load_split(name, data_dir)
        for label, build in [("FastGen, copula", lambda s: FastGenSynthesizer(random_state=s)),
                             ("SDV GaussianCopula", _sdv_copula)]:
            scores = []
            for seed in seeds:
                synthesizer = build(seed)
                start = time.perf_counter()
                synthesizer.fit(train)
                fit = time.perf_counter() - start
                synthetic = synthesizer.sample(len(train), random_state=seed)
                metadata = synthesizer.metadata_
                scores.append((wasserstein_distance(test, synthetic, metadata=metadata),
                               association_error(test, synthetic, metadata=metadata), fit))
            scores = np.array(scores)
            rows.append({"dataset": name, "synthesizer": label,
                         "Wasserstein": _mean_sd(scores[:, 0]),
                         "assoc. error": _mean_sd(scores[:, 1]),
                         "fit (s)": f"{scores[:, 2].mean():.2f}"})
            print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def _mean_sd(values):
    return f"{values.mean():.4f} ± {values.std():.4f}"


# ---------------------------------------------------------------------------------- tokens
def _canned_answer(prompt):
    """A valid answer to a FastGen prompt, built from the facts the prompt quotes."""
    lines = prompt.splitlines()
    if lines[0] == "### FastGen task: classify":
        return '{"fields": {}}'
    facts = json.loads(next(line for line in lines if line.startswith("Known facts: "))[13:])
    if "categories" in facts:
        share = 1 / len(facts["categories"])
        return json.dumps({"family": "categorical", "categories": facts["categories"],
                           "probabilities": [share] * len(facts["categories"])})
    low, high = facts["bounds"]
    return json.dumps({"family": "normal", "params": {"loc": (low + high) / 2,
                                                      "scale": (high - low) / 6 or 1.0}})


def _count(text):
    return len(_TOKEN.findall(text))


class CountingServer:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 that answers canned specs and reports
    token counts (words and punctuation marks) in ``usage``."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = _canned_answer(body["messages"][-1]["content"])
                prompt_tokens = sum(_count(m["content"]) for m in body["messages"])
                reply = json.dumps({"choices": [{"message": {"role": "assistant",
                                                             "content": answer}}],
                                    "usage": {"prompt_tokens": prompt_tokens,
                                              "completion_tokens": _count(answer)}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _token_table(n_rows, n_columns, random_state):
    columns = {}
    for j in range(n_columns):
        if j % 2:
            columns[f"category_{j}"] = random_state.choice(["north", "south", "east", "west"],
                                                           n_rows)
        else:
            columns[f"amount_{j}"] = np.round(random_state.gamma(2 + j, 10, n_rows), 2)
    return pd.DataFrame(columns)


def tokens():
    server = CountingServer()
    random_state = np.random.RandomState(0)
    rows = []
    try:
        for n_columns in TOKEN_COLUMNS:
            for n_rows in TOKEN_ROWS:
                table = _token_table(n_rows, n_columns, random_state)
                synthesizer = FastGenSynthesizer(backend="llm", base_url=server.url,
                                                 model="counting", random_state=0).fit(table)
                usage = synthesizer.llm_usage_
                rows.append({"columns": n_columns, "rows": n_rows, "LLM calls": usage["calls"],
                             "prompt tokens": usage["prompt_tokens"],
                             "completion tokens": usage["completion_tokens"],
                             "total tokens": usage["total_tokens"],
                             "tokens to write the rows directly":
                                 len(table.to_csv(index=False)) // 4})
                print(rows[-1], flush=True)
    finally:
        server.close()
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------- markdown
def _markdown_table(frame):
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *body])


def _cell(value):
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return str(value)


def write_report(path, speed_table, quality_table, token_table, seeds, elapsed):
    import sdv

    lines = [
        "# FastGenSynthesizer benchmark",
        "",
        f"Written by `python benchmarks/bench_fastgen.py --seeds {' '.join(map(str, seeds))}` "
        f"in {elapsed / 60:.1f} minutes on {platform.machine()} with {os.cpu_count()} CPU "
        f"cores, Python {platform.python_version()}, skltab {skltab.__version__}, numpy "
        f"{np.__version__}, pandas {pd.__version__}, SDV {sdv.__version__}. Other jobs shared "
        "the machine, so rates vary by some tens of percent between runs.",
        "",
        "## Sampling speed",
        "",
        "The first ten columns of adult's training part (5,000 rows: 4 integer, 6 "
        "categorical). Best of three `sample` calls, each a full DataFrame with the real "
        "dtypes (skltab's output casting included).",
        "",
        _markdown_table(speed_table),
        "",
        "## Quality, copula mode",
        "",
        "Split and subsample of `run.py` (80/20 with seed 0, adult's training part cut to "
        "5,000 rows); each synthesizer fitted on the training part and sampling as many rows, "
        f"with seeds {', '.join(map(str, seeds))} (mean ± standard deviation). Metrics against "
        "the real test rows: `skltab.metrics.wasserstein_distance` (per numeric column, "
        "divided by the real range) and `skltab.metrics.association_error` (pairwise "
        "association matrices). Lower is better.",
        "",
        _markdown_table(quality_table),
        "",
        "## LLM tokens: columns, not rows",
        "",
        "The `llm` backend (default `n_examples=100`) against a counting OpenAI-compatible "
        "server on 127.0.0.1 (tokens counted as words and punctuation marks). Tables of "
        "alternating numeric and categorical columns. The last column is what an LLM would "
        "spend only to write the rows as CSV, at four characters per token.",
        "",
        _markdown_table(token_table),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, type=Path)
    parser.add_argument("--seeds", default=[0, 1, 2], nargs="+", type=int)
    parser.add_argument("--output", default=OUTPUT, type=Path)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    speed_table = speed(args.data_dir)
    quality_table = quality(args.data_dir, args.seeds)
    token_table = tokens()
    write_report(args.output, speed_table, quality_table, token_table, args.seeds,
                 time.perf_counter() - start)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
