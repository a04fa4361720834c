"""
A language model that writes only valid rows
=============================================

:class:`~skltab.llm.PredLLMSynthesizer` fine-tunes a causal language model on rows written
as text and samples new rows with *constrained decoding*: the sampler writes the column
names itself and the model only chooses values valid for their column, so every row parses.
Here a small GPT-2, built from scratch and trained for a few seconds on scikit-learn's iris
table, writes new flowers; the species of each one is then queried from the model given the
measurements it wrote (Pred-LLM's label query).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import RandomForestClassifier

from skltab.datasets import load_sklearn_dataset
from skltab.llm import PredLLMSynthesizer

# A model this small trains fastest on one thread, above all on a busy machine.
torch.set_num_threads(1)
X, y = load_sklearn_dataset("iris")

# Features in a new random order in every training row, as Pred-LLM does: the model learns
# every column given any others, which the conditions at the end of this example use (the
# default, ``permutation="auto"``, writes half of the rows in one order; see the user guide).
synthesizer = PredLLMSynthesizer(
    model_config={"n_layer": 2, "n_embd": 64, "n_head": 4, "dropout": 0.0},
    epochs=40, batch_size=16, learning_rate=3e-3, permutation="features", random_state=0,
).fit(X, y)

# %%
# Rows as tokens
# --------------
# On a table this small each row is written as ``name is value`` fields: two measurements
# as the labels of their quantile bins (``n_bins``), the two with a recorded set of values in
# digits, one token per character, and the species as its name.
# The tokenizer was trained on the table, so a column name with its separator is one token.
# (From 2,000 rows the default writes one token per column instead, see ``row_format``.)
# Here are the tokens the model reads for the first real flower.
codec, layout = synthesizer.codec_, synthesizer.layout_
cells = codec.cells(synthesizer.bins_.encode(pd.concat([X, y], axis=1).head(1)))
value_ids = {name: layout.value_ids(name, texts[0]) for name, texts in cells.items()}
ids, _, _ = layout.row_ids(value_ids, codec.columns)
tokens = [layout.tokenizer.decode([token]) for token in ids[1:-1]]  # without start and end
print(tokens)
assert tokens[0] == "sepal length (cm) is " and tokens[2] == ","
assert "".join(tokens).startswith("sepal length (cm) is q")

# %%
# Every sampled row is valid
# --------------------------
# Numbers stay inside the real range with one decimal, and the species is one of the three
# seen in training. Nothing was rejected: the sampler never let the model write anything else.
X_synthetic, y_synthetic = synthesizer.sample(400, random_state=0)
assert set(y_synthetic) <= set(y)
for column in X.columns:
    assert X_synthetic[column].between(X[column].min(), X[column].max()).all()
    assert np.allclose(X_synthetic[column], X_synthetic[column].round(1))
pd.concat([X_synthetic, y_synthetic], axis=1).head()

# %%
# The label query learned the species
# -----------------------------------
# A random forest trained on the real flowers agrees with most of the labels the model
# queried for its own synthetic measurements.
forest = RandomForestClassifier(random_state=0).fit(X, y)
agreement = np.mean(forest.predict(X_synthetic) == y_synthetic)
print(f"agreement with a forest trained on real rows: {agreement:.0%}")
assert agreement > 0.7

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for ax, (features, labels, title) in zip(
    axes, [(X, y, "real"), (X_synthetic, y_synthetic, "PredLLMSynthesizer")]
):
    for species in sorted(y.unique()):
        rows = features[labels == species]
        ax.scatter(rows["petal length (cm)"], rows["petal width (cm)"], s=10, label=species)
    ax.set(title=title, xlabel="petal length (cm)")
axes[0].set_ylabel("petal width (cm)")
axes[1].legend()
plt.tight_layout()

# %%
# Conditions on any columns
# -------------------------
# Fixed values are written first, as the prompt; the model writes the other measurements
# and the species given them. Long petals make virginica.
long_petals = synthesizer.sample(100, conditions={"petal length (cm)": 6.0,
                                                  "petal width (cm)": 2.2}, random_state=1)
assert (long_petals[0]["petal length (cm)"] == 6.0).all()
print(long_petals[1].value_counts())
assert (long_petals[1] == "virginica").mean() > 0.8
