"""
Conditional sampling and streaming to a file
============================================

``sample(n_samples, conditions=...)`` fixes the values of some columns: the same value in
every row with a dict, or row by row with a DataFrame. ``iter_samples`` writes a sample in
chunks, for outputs larger than memory. This example shows both on the demo table.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from skltab import IndependentSynthesizer
from skltab.datasets import load_demo

real = load_demo(n_samples=1000, random_state=0)
synthesizer = IndependentSynthesizer(random_state=0).fit(real)

# %%
# The same condition for every row
# --------------------------------
# A dict ``{column: value}`` fixes those columns in all rows: here, orders of books paid by
# members.
books = synthesizer.sample(300, conditions={"product_category": "Books", "is_member": True})
assert len(books) == 300
assert (books["product_category"] == "Books").all() and books["is_member"].all()
assert books.dtypes.equals(real.dtypes)
books[["order_id", "product_category", "is_member", "unit_price", "quantity"]].head()

# %%
# The synthesizer generates the other columns given the fixed ones. The
# :class:`~skltab.IndependentSynthesizer` learns no relations between columns, so for it the
# other columns keep their overall distribution; a synthesizer that learns relations would,
# for instance, write members' discounts here.

# %%
# One condition per row
# ---------------------
# A DataFrame gives the fixed values row by row: one output row per row of conditions, so
# ``n_samples`` must equal its length. A missing cell asks for a missing value (allowed only
# in columns that had missing values), here an order without a payment method.
scenarios = pd.DataFrame(
    {
        "state": ["CA", "NY", "TX", "WA"],
        "customer_age": [25, 40, 65, 33],
        "payment_method": ["PayPal", "credit card", "bank transfer", None],
    }
)
rows = synthesizer.sample(len(scenarios), conditions=scenarios, random_state=0)
assert rows["state"].tolist() == ["CA", "NY", "TX", "WA"]
assert rows["customer_age"].tolist() == [25, 40, 65, 33]
assert rows["payment_method"].iloc[:3].tolist() == ["PayPal", "credit card", "bank transfer"]
assert pd.isna(rows["payment_method"].iloc[3])
rows[["state", "customer_age", "payment_method", "product_category", "net"]]

# %%
# Conditioning on many rows at once is the way to make a synthetic table with a chosen
# distribution of one column, here 500 orders for each state:
states = sorted(real["state"].unique())
balanced = synthesizer.sample(
    500 * len(states), conditions=pd.DataFrame({"state": states * 500}), random_state=0
)
counts = balanced["state"].value_counts()
assert (counts == 500).all()

fig, ax = plt.subplots(figsize=(6, 3.5))
pd.DataFrame(
    {"real": real["state"].value_counts(normalize=True),
     "conditioned": counts / counts.sum()}
).loc[states].plot.bar(ax=ax, rot=0)
ax.set_ylabel("share of orders")
fig.tight_layout()

# %%
# Impossible conditions are refused
# ---------------------------------
# Conditions are checked against the real table before anything is generated. An unseen
# category, a value outside the real range, a missing value in a column that had none, or a
# condition on an ID column (IDs are regenerated, not sampled) raise a ``ValueError`` that
# names the column.
impossible = [
    {"state": "FL"},
    {"customer_age": 120},
    {"is_member": None},
    {"order_id": "ORD-000001"},
]
for conditions in impossible:
    try:
        synthesizer.sample(5, conditions=conditions)
    except ValueError as error:
        print(f"{conditions}: {error}")
        assert next(iter(conditions)) in str(error)
    else:
        raise AssertionError(f"{conditions} was accepted")

# %%
# Stream a large sample to a CSV file
# -----------------------------------
# ``iter_samples`` yields ``chunk_size`` rows at a time, so only one chunk is in memory.
# Each chunk is appended to the file. The chunks, put together, are exactly the rows that
# one call to ``sample`` returns for the same seed (order IDs included, unique across
# chunks), whatever the chunk size.
n_samples, chunk_size = 10_000, 3_000
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "synthetic_orders.csv"
    for i, chunk in enumerate(
        synthesizer.iter_samples(n_samples, chunk_size=chunk_size, random_state=42)
    ):
        chunk.to_csv(path, mode="a", header=(i == 0), index=False)
    print(f"{i + 1} chunks written, {path.stat().st_size / 1e6:.1f} MB")
    streamed = path.read_text()

assert i + 1 == 4  # three chunks of 3000 rows and one of 1000
whole = synthesizer.sample(n_samples, random_state=42)
assert streamed == whole.to_csv(index=False)
assert whole["order_id"].is_unique

# %%
# Conditions work with ``iter_samples`` too: a dict for every row, or a DataFrame of
# ``n_samples`` rows that is consumed chunk by chunk.
chunks = synthesizer.iter_samples(2_000, chunk_size=500, conditions={"state": "WA"},
                                  random_state=0)
assert all((chunk["state"] == "WA").all() for chunk in chunks)
