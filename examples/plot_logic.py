"""
Rules kept by construction: Compress, Generate, Restore
=======================================================

Real tables obey exact rules: a zip code belongs to one city, a total is a price times a
quantity, an order ships after it is placed. Synthesizers learn statistics, so they break
such rules now and then. :class:`~skltab.logic.LogicCompressor` finds the rules, leaves the
columns they determine out of the model, and rebuilds them after sampling, so that every
rule holds on every sampled row, whatever the synthesizer.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd

from skltab import IndependentSynthesizer, make_synthesis_pipeline
from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import LogicCompressor, LogicRestorer, discover_rules
from skltab.metrics import rule_violations

real = load_demo(n_samples=1000, random_state=0)

# %%
# Find the rules
# --------------
# :func:`~skltab.logic.discover_rules` looks for constant columns, formulas within the
# data's rounding, durations between dates, functional dependencies, one-to-one mappings,
# missing values tied to another column, and orders between dates. It keeps a rule only if
# it holds on every row, with enough rows behind it to rule out chance, and it keeps no rule
# that others imply (``zip -> state`` follows from ``zip -> city`` and ``city -> state``).
# On the demo table it finds exactly the rules the table was made with.
rules = discover_rules(real)
for rule in rules:
    print(f"{rule.kind:16s} {rule.describe()}")
assert {rule.describe() for rule in rules} == set(DEMO_RULES)

# %%
# Compress
# --------
# Each rule that determines a column claims it: the compressor's ``transform`` drops
# ``city`` and ``state`` (rebuilt from ``zip``), ``total`` and ``net`` (computed),
# ``ship_date`` (the order date plus the delivery days) and ``is_member`` (true where
# ``member_since`` is present). The order ``order_date >= member_since`` drops nothing: it is
# enforced on the way back.
compressor = LogicCompressor().fit(real)
compressor.rule_report_[["rule", "kind", "support", "column", "action"]]

# %%
core = compressor.transform(real)
print(f"{real.shape[1]} columns -> {core.shape[1]} in the logical core")
pd.testing.assert_frame_equal(compressor.inverse_transform(core), real)

# %%
# Generate and restore
# --------------------
# In a :class:`~skltab.pipeline.SynthesisPipeline`, the synthesizer learns the core and the
# pipeline's ``sample`` rebuilds the rest. :class:`~skltab.IndependentSynthesizer` draws
# every column on its own, the worst case for rules: alone it breaks almost all of them;
# behind the compressor, none.
alone = IndependentSynthesizer(random_state=0).fit(real)
pipeline = make_synthesis_pipeline(LogicCompressor(), IndependentSynthesizer(random_state=0))
pipeline.fit(real)

rates = pd.DataFrame({
    "alone": rule_violations(alone.sample(2000, random_state=0), DEMO_RULES, reference=real),
    "with LogicCompressor": rule_violations(pipeline.sample(2000, random_state=0), DEMO_RULES,
                                            reference=real),
})
assert (rates["with LogicCompressor"] == 0).all()
assert (rates["alone"] > 0).all()

fig, ax = plt.subplots(figsize=(7, 4))
rates.plot.barh(ax=ax)
ax.set_xlabel("share of sampled rows that break the rule")
fig.tight_layout()

# %%
# Conditions on a dropped column
# ------------------------------
# ``city`` is not in the model, yet conditions on it work: the compressor moves them onto
# ``zip``, drawing Boston's zip codes with their real frequencies, and the synthesizer
# generates the other columns given the zip code.
boston = pipeline.sample(300, conditions=pd.DataFrame({"city": ["Boston"] * 300}),
                         random_state=0)
assert (boston["city"] == "Boston").all() and (boston["state"] == "MA").all()
boston["zip"].value_counts()

# %%
# Rules from people, and from a language model
# --------------------------------------------
# Rules can be written as text in a small grammar (never run as code) and merged with the
# discovered ones. A ``proposer``, such as a call to a language model, receives the column
# names and a few rows and returns candidate rules; each is checked on the data and kept
# only if it holds. Here a stand-in proposes two true rules, a false one, and code, which the
# grammar refuses to read.


def proposer(columns, rows):
    return ["zip -> state", "quantity <= 50", "customer_age = customer_income / 1000",
            "__import__('os').remove('orders.csv')"]


checked = LogicCompressor(rules=["city -> state"], proposer=proposer, discover=False)
checked.fit(real)
checked.rule_report_[["rule", "source", "violations", "column", "action"]]

# %%
# The given ``city -> state`` claims ``state`` first, so ``zip -> state`` is only checked.
report = checked.rule_report_.set_index("rule")
assert report.loc["zip -> state", "action"] == "check"
assert report.loc["quantity <= 50", "action"] == "adjust"
assert (report["action"] == "rejected").sum() == 2

# %%
# Repair a table made elsewhere
# -----------------------------
# :class:`~skltab.logic.LogicRestorer` applies given rules to any table with the same
# columns, here the independent sample, and reports the violations before and after.
restorer = LogicRestorer(DEMO_RULES).fit(real)
foreign = alone.sample(1000, random_state=1)
repaired = restorer.transform(foreign)
report = restorer.check(foreign).merge(restorer.check(repaired), on=["rule", "kind"],
                                       suffixes=(" before", " after"))
assert (report["violations after"] == 0).all()
report[["rule", "violations before", "violations after"]]
