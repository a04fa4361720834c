"""
Hybrid diffusion: relations, conditions and imputation
======================================================

:class:`~skltab.diffusion.MaskedDiffusionSynthesizer` learns a table with a Gaussian diffusion
on its numeric columns and a masked diffusion on its categorical columns, through one
network that sees the whole row. This example fits a small one on the demo table of online
orders, checks that it keeps relations that a column-by-column synthesizer loses, samples
under conditions on a numeric and a categorical column, and fills missing cells.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skltab import IndependentSynthesizer
from skltab.datasets import load_demo
from skltab.diffusion import MaskedDiffusionSynthesizer

columns = ["product_category", "unit_price", "quantity", "customer_age", "customer_income",
           "is_member", "member_since", "discount_pct", "rating"]
real = load_demo(n_samples=1000, random_state=0)[columns]
real.head()

# %%
# Fit a small model
# -----------------
# A small network and a few hundred training steps keep this example to seconds on a CPU;
# the defaults (``epochs="auto"``, about 10,000 steps) learn better.
synthesizer = MaskedDiffusionSynthesizer(
    hidden_dim=128, epochs=100, batch_size=256, n_sampling_steps=20, random_state=0
).fit(real)
synthetic = synthesizer.sample(1000, random_state=0)
independent = IndependentSynthesizer(random_state=0).fit(real).sample(1000, random_state=0)
assert synthetic.dtypes.equals(real.dtypes)
print(f"final training loss {synthesizer.history_[-1]['loss']:.3f} after "
      f"{synthesizer.n_updates_} steps")

# %%
# Relations between columns
# -------------------------
# In the demo table, ``member_since`` is missing exactly when the customer is not a member.
# Missing values are a learned state of the diffusion model, so this holds in almost every
# synthetic row; a synthesizer that draws columns independently breaks it in many rows.


def broken_membership(table):
    return (table["member_since"].isna() != ~table["is_member"]).mean()


print(f"rows breaking the membership rule: real {broken_membership(real):.1%}, "
      f"diffusion {broken_membership(synthetic):.1%}, "
      f"independent {broken_membership(independent):.1%}")
assert broken_membership(synthetic) < 0.1 < broken_membership(independent)

# %%
# Prices depend on the product category; the median price of each category is kept.
medians = pd.DataFrame({
    name: table.groupby("product_category", observed=True)["unit_price"].median()
    for name, table in [("real", real), ("diffusion", synthetic), ("independent", independent)]
})
fig, ax = plt.subplots(figsize=(7, 3.5))
medians.plot.bar(ax=ax, rot=20)
ax.set_ylabel("median unit price")
fig.tight_layout()
error = np.abs(np.log(medians["diffusion"] / medians["real"])).mean()
assert error < np.abs(np.log(medians["independent"] / medians["real"])).mean()

# %%
# Conditions on any column
# ------------------------
# Conditioned cells are fixed at every step of the reverse process and the other cells are
# generated given them (inpainting). A numeric condition: older customers earn more.
young = synthesizer.sample(300, conditions={"customer_age": 25}, random_state=1)
old = synthesizer.sample(300, conditions={"customer_age": 65}, random_state=1)
assert (young["customer_age"] == 25).all() and (old["customer_age"] == 65).all()
print(f"median income at 25: {young['customer_income'].median():,.0f}, "
      f"at 65: {old['customer_income'].median():,.0f}")
assert old["customer_income"].median() > young["customer_income"].median()

# %%
# A categorical condition: electronics cost more than books.
electronics = synthesizer.sample(200, conditions={"product_category": "Electronics"},
                                 random_state=2)
books = synthesizer.sample(200, conditions={"product_category": "Books"}, random_state=2)
assert electronics["unit_price"].median() > 2 * books["unit_price"].median()

# %%
# Filling missing cells
# ---------------------
# ``impute`` completes each row given its present cells. Hide the membership flag of one
# order in five: the model recovers it from the rest of the row (here, mostly from whether
# ``member_since`` is present). ``columns=["is_member"]`` fills only that column: the
# missing ``member_since`` dates of non-members are real missing values, to be kept.
rng = np.random.RandomState(0)
hidden = rng.uniform(size=len(real)) < 0.2
with_gaps = real.astype({"is_member": object})
with_gaps.loc[hidden, "is_member"] = None
completed = synthesizer.impute(with_gaps, columns=["is_member"], random_state=0)
accuracy = (completed.loc[hidden, "is_member"] == real.loc[hidden, "is_member"]).mean()
print(f"membership recovered for {accuracy:.1%} of the hidden cells")
assert accuracy > 0.9
assert completed.loc[~hidden].equals(real.loc[~hidden])
