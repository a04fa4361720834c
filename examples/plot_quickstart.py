"""
Quick start: learn a table, sample a new one
============================================

A synthesizer learns a real table with ``fit`` and writes new rows with ``sample``. This
example fits :class:`~skltab.IndependentSynthesizer`, the reference synthesizer that draws
every column from its own distribution, on the demo table of online orders, then compares
the synthetic table with the real one.
"""

# %%
# The real table
# --------------
# :func:`~skltab.datasets.load_demo` generates 1000 online orders: dates, places, prices,
# customers, ratings and free-text reviews, with missing values in some columns.
import matplotlib.pyplot as plt
import numpy as np

from skltab import IndependentSynthesizer
from skltab.datasets import load_demo

real = load_demo(n_samples=1000, random_state=0)
real.head()

# %%
# Fit and sample
# --------------
# ``fit`` infers what each column is (its *metadata*), then learns the table. ``sample``
# returns a DataFrame with the same columns and dtypes, categorical columns keeping their
# categories.
synthesizer = IndependentSynthesizer(random_state=0).fit(real)
synthetic = synthesizer.sample(1000)
synthetic.head()

# %%
assert synthetic.shape == real.shape
assert (synthetic.dtypes == real.dtypes).all()
assert list(synthetic["product_category"].cat.categories) == list(
    real["product_category"].cat.categories
)

# %%
# The output respects the real table: prices keep two decimals and stay within the real
# range, categories are never invented, missing values appear in the columns that had
# some, at about the same rate, and order IDs are new, unique, and follow the real pattern.
assert np.allclose(synthetic["unit_price"], synthetic["unit_price"].round(2))
assert synthetic["unit_price"].between(real["unit_price"].min(), real["unit_price"].max()).all()
assert set(synthetic["city"]) <= set(real["city"])
assert synthetic["order_id"].is_unique
assert synthetic["order_id"].str.fullmatch(r"ORD-\d{6}").all()
for column in ("payment_method", "rating"):
    real_rate, synthetic_rate = real[column].isna().mean(), synthetic[column].isna().mean()
    print(f"{column}: {real_rate:.1%} missing in the real table, {synthetic_rate:.1%} in the "
          "synthetic one")
    assert abs(real_rate - synthetic_rate) < 0.04
assert synthetic["quantity"].notna().all()

# %%
# Compare the marginals
# ---------------------
# Each column follows its real distribution: here the customers' income (a skewed number)
# and the product categories.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
bins = np.linspace(real["customer_income"].min(), real["customer_income"].max(), 40)
left.hist(real["customer_income"], bins=bins, alpha=0.6, label="real")
left.hist(synthetic["customer_income"], bins=bins, alpha=0.6, label="synthetic")
left.set_xlabel("customer_income")
left.legend()

categories = real["product_category"].cat.categories
width = 0.4
positions = np.arange(len(categories))
right.bar(positions - width / 2, real["product_category"].value_counts()[categories], width,
          label="real")
right.bar(positions + width / 2, synthetic["product_category"].value_counts()[categories],
          width, label="synthetic")
right.set_xticks(positions, categories, rotation=45, ha="right")
right.legend()
fig.tight_layout()

# %%
# What an independent model misses
# --------------------------------
# Each column is right on its own, but relations between columns are lost: in the real table
# every city lies in one state, in the synthetic table cities and states are drawn
# separately. The IndependentSynthesizer is the baseline that every other synthesizer must
# beat.


def share_of_consistent_rows(table, reference):
    """Share of rows whose (city, state) pair exists in the reference table."""
    pairs = set(zip(reference["city"], reference["state"]))
    return np.mean([pair in pairs for pair in zip(table["city"], table["state"])])


real_share = share_of_consistent_rows(real, real)
synthetic_share = share_of_consistent_rows(synthetic, real)
print(f"rows with a real (city, state) pair: real {real_share:.0%}, "
      f"synthetic {synthetic_share:.0%}")
assert real_share == 1.0 and synthetic_share < 0.5

# %%
# Reproducibility
# ---------------
# Successive calls to ``sample`` return new rows; fitting again with the same
# ``random_state`` replays the same sequence, and an explicit seed gives the same rows.
refitted = IndependentSynthesizer(random_state=0).fit(real)
assert refitted.sample(1000).equals(synthetic)
assert not synthesizer.sample(5).equals(synthesizer.sample(5))
assert synthesizer.sample(5, random_state=1).equals(synthesizer.sample(5, random_state=1))

# %%
# The synthesizer's ``score`` is the mean log-likelihood of rows under the fitted model
# (greater is better), the quantity ``GridSearchCV`` maximises by default.
print(f"mean log-likelihood of the real rows: {synthesizer.score(real):.1f}")
assert np.isfinite(synthesizer.score(real))
