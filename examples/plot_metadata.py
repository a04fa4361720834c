"""
Inspect and correct the metadata
================================

Before learning a table, a synthesizer decides what each column is: a number, a category, a
date, free text, an identifier... skltab infers this *metadata* from the values (never from
the column names), lets you look at it, and lets you correct it. This example infers the
metadata of the demo table, overrides a kind, adjusts a column's precision, and saves the
metadata as JSON.
"""

# %%
# Infer the metadata
# ------------------
# :func:`~skltab.metadata.infer_metadata` returns a :class:`~skltab.metadata.TableMetadata`;
# ``to_frame`` shows it as a table, one row per column.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skltab import IndependentSynthesizer
from skltab.datasets import load_demo
from skltab.metadata import TableMetadata, infer_metadata, to_sdv_dict

real = load_demo(n_samples=1000, random_state=0)
metadata = infer_metadata(real)
metadata.to_frame()

# %%
# The order IDs are unique codes, so they are of kind ``"id"`` and will be regenerated rather
# than learned. The reviews are free text. Prices are ``"continuous"`` with two decimals,
# and the rating, whole numbers with missing values, is an ``"integer"`` column.
assert metadata.kinds["order_id"] == "id"
assert metadata.kinds["review"] == "text"
assert metadata["unit_price"].kind == "continuous" and metadata["unit_price"].decimals == 2
assert metadata["rating"].kind == "integer" and metadata["rating"].nullable
assert metadata.kinds["product_category"] == "categorical"

# %%
# Override a kind
# ---------------
# A rating from 1 to 5 is better treated as five categories than as a number. ``overrides``
# changes the kind and recomputes the column's statistics for it (here, its categories).
metadata = infer_metadata(real, overrides={"rating": "categorical"})
assert metadata["rating"].kind == "categorical"
assert metadata["rating"].categories == [1.0, 2.0, 3.0, 4.0, 5.0]
metadata.to_frame().loc[["rating"]]

# %%
# Adjust a field
# --------------
# ``update_column`` changes fields of one column in place. Say that unit prices should come
# out in whole dollars: set their precision to 0 decimals.
metadata.update_column("unit_price", decimals=0)

# %%
# Pass the corrected metadata to a synthesizer: it uses it instead of inferring its own.
synthesizer = IndependentSynthesizer(metadata=metadata, random_state=0).fit(real)
synthetic = synthesizer.sample(1000)

assert synthesizer.metadata_.kinds["rating"] == "categorical"
assert np.array_equal(synthetic["unit_price"], synthetic["unit_price"].round(0))
assert set(synthetic["rating"].dropna()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
synthetic[["unit_price", "rating"]].head()

# %%
# As a categorical column, the rating keeps the share of each star exactly as in the real
# table, missing ratings included.
shares = pd.DataFrame(
    {
        "real": real["rating"].value_counts(normalize=True, dropna=False),
        "synthetic": synthetic["rating"].value_counts(normalize=True, dropna=False),
    }
).sort_index()
ax = shares.plot.bar(rot=0, figsize=(6, 3.5))
ax.set_xlabel("rating (NaN: missing)")
ax.set_ylabel("share of rows")
plt.tight_layout()
assert np.allclose(shares["real"], shares["synthetic"], atol=0.05)

# %%
# Save the metadata as JSON
# -------------------------
# Metadata is plain data. ``to_json`` writes it and ``from_json`` reads it back: keep the JSON
# file beside your data, review it, and pass it to every synthesizer you train. Unlike a
# pickle, JSON runs no code when loaded, so metadata is safe to share.
text = metadata.to_json()
print(text[:400])
restored = TableMetadata.from_json(text)
assert restored == metadata
assert restored["unit_price"].decimals == 0

# %%
# The same metadata in SDV's vocabulary (``sdtypes``), for tools of the SDV ecosystem.
# Writing the dict needs no extra package; ``to_sdv_metadata`` builds SDV's own object and
# needs the ``sdv`` extra.
sdv_dict = to_sdv_dict(metadata)
columns = sdv_dict["tables"]["table"]["columns"]
assert sdv_dict["tables"]["table"]["primary_key"] == "order_id"
assert columns["unit_price"]["sdtype"] == "numerical"
assert columns["rating"]["sdtype"] == "categorical"
{name: entry["sdtype"] for name, entry in columns.items()}
