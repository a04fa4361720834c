"""
FastGen: infer a spec once, sample at NumPy speed
=================================================

:class:`~skltab.fastgen.FastGenSynthesizer` describes every column of a table by a declarative
JSON *spec* (a distribution family and its parameters, bounds, rounding, missing rate,
categories, a text model) and joins the columns by a Gaussian copula. Sampling then only
reads the spec: no model call, no training loop, hundreds of thousands of rows per second.

The spec is written by statistics of the real rows (the default) or by an LLM, and it is
data: nothing in it is ever executed.
"""

# %%
# Fit on the demo table
# ---------------------
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from skltab.datasets import load_demo
from skltab.fastgen import FastGenSynthesizer, SpecError, validate_spec

real = load_demo(n_samples=1000, random_state=0)
synthesizer = FastGenSynthesizer(random_state=0).fit(real)

# %%
# Each field got a family chosen by BIC among those that pass a goodness-of-fit test, or a
# Gaussian mixture, or the empirical quantiles; categories keep all their values; the
# free-text reviews get a word-level Markov chain.
families = pd.Series({f["name"]: f["distribution"]["family"]
                      for f in synthesizer.spec_["fields"]}, name="family")
families.to_frame()

# %%
assert families["review"] == "markov"
assert families["product_category"] == "categorical"

# %%
# Sample
# ------
# The output has the real columns and dtypes. The copula keeps the relations between
# columns: here the order total against the unit price.
start = time.perf_counter()
synthetic = synthesizer.sample(100_000, random_state=0)
print(f"{len(synthetic) / (time.perf_counter() - start):,.0f} rows per second, reviews included")
assert synthetic.dtypes.equals(real.dtypes)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharex=True, sharey=True)
for ax, (label, table) in zip(axes, [("real", real), ("FastGen", synthetic.iloc[:1000])]):
    ax.scatter(table["unit_price"], table["total"], s=4, alpha=0.5)
    ax.set(title=label, xlabel="unit_price", xscale="log", yscale="log")
axes[0].set_ylabel("total")
fig.tight_layout()

real_rho = real[["unit_price", "total"]].corr("spearman").iloc[0, 1]
synthetic_rho = synthetic[["unit_price", "total"]].corr("spearman").iloc[0, 1]
print(f"Spearman correlation: real {real_rho:.2f}, synthetic {synthetic_rho:.2f}")
assert abs(real_rho - synthetic_rho) < 0.1

# %%
# Conditions
# ----------
# Conditions fix some columns; the copula draws the others from their conditional
# distribution. Electronics cost more than books in the real table, and in the conditioned
# samples too.
prices = {category: synthesizer.sample(2000, conditions={"product_category": category},
                                       random_state=0)["unit_price"].median()
          for category in ("Books", "Electronics")}
print(prices)
assert prices["Electronics"] > prices["Books"]

# %%
# The spec is data
# ----------------
# ``to_json`` writes the spec; ``from_json`` rebuilds a synthesizer that samples the same
# rows; ``export_script`` writes a standalone Python file (NumPy only) that samples them
# without skltab.
spec = json.loads(synthesizer.to_json())
print(json.dumps(next(f for f in spec["fields"] if f["name"] == "unit_price"), indent=1))
rebuilt = FastGenSynthesizer.from_json(synthesizer.to_json())
assert rebuilt.sample(50, random_state=1).equals(synthesizer.sample(50, random_state=1))

with tempfile.TemporaryDirectory() as folder:
    script = synthesizer.export_script(Path(folder) / "orders_sampler.py")
    result = subprocess.run([sys.executable, str(script), "5", "--seed", "1"],
                            capture_output=True, text=True, check=True)
print(result.stdout)
assert len(result.stdout.strip().splitlines()) == 1 + 5

# %%
# A spec that carries code is refused before anything reads it, so a spec from an untrusted
# source (or from an LLM) cannot run anything:
spec["fields"][0]["distribution"]["family"] = "lambda n: __import__('os').system('ls')"
try:
    validate_spec(spec)
except SpecError as error:
    print(error)
else:
    raise AssertionError("the spec was accepted")

# %%
# The LLM backend, from descriptions alone
# ----------------------------------------
# With ``backend="llm"``, an LLM classifies the fields and writes each field's spec; each
# answer is validated by a dry run and sent back with the error when it fails. Any callable
# ``prompt -> str`` works, as does ``base_url=`` an OpenAI-compatible server (vLLM,
# llama.cpp, Ollama). Fitted on a table with no rows, it learns from the metadata and the
# column descriptions alone. This stand-in "LLM" answers from the facts quoted in the
# prompt, so the example runs offline.


def stand_in_llm(prompt):
    lines = prompt.splitlines()
    if lines[0].endswith("classify"):
        return '{"fields": {}, "correlations": [["customer_age", "customer_income", 0.4]]}'
    facts = json.loads(next(line for line in lines if line.startswith("Known facts: "))[13:])
    if "categories" in facts:
        share = 1 / len(facts["categories"])
        return json.dumps({"family": "categorical", "categories": facts["categories"],
                           "probabilities": [share] * len(facts["categories"])})
    if facts["kind"] == "text":
        return '{"family": "examples", "examples": ["Great value.", "Arrived late, works."]}'
    low, high = facts["bounds"]
    return json.dumps({"family": "normal", "params": {"loc": (low + high) / 2,
                                                      "scale": (high - low) / 6}})


columns = ["customer_age", "customer_income", "state", "review"]
described = FastGenSynthesizer(
    backend="llm", llm=stand_in_llm, metadata=synthesizer.metadata_.select(columns),
    column_descriptions={"customer_income": "Yearly income in dollars"}, random_state=0,
).fit(real[columns].iloc[:0])
print(described.llm_usage_)
from_descriptions = described.sample(2000, random_state=0)
assert from_descriptions[["customer_age", "customer_income"]].corr().iloc[0, 1] > 0.3
from_descriptions.head()
