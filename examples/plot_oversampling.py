"""
Over-sampling a rare class with synthetic rows
==============================================

:class:`~skltab.SyntheticOversampler` is an over-sampler with imbalanced-learn's
``fit_resample`` contract: it returns the real rows followed by synthetic rows of the rare
classes, written by a synthesizer fitted on each class. This example makes members rare in
the demo table (6 % of the orders), balances the classes with synthetic members, checks that
the new rows keep the table's kinds, missing values and rules and copy no real member, and
trains a classifier on real and resampled rows.
"""

# %%
from collections import Counter

import numpy as np
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skltab import LogicCompressor, SyntheticOversampler, make_synthesis_pipeline
from skltab.datasets import load_demo
from skltab.fastgen import FastGenSynthesizer
from skltab.metrics import privacy_scores, rule_violation_rate

demo = load_demo(n_samples=4000, random_state=0)
# Dates, IDs and free text are left out to keep the classifier simple; ``member_since`` says
# who is a member, so it goes too.
table = demo.drop(columns=["order_id", "order_date", "ship_date", "member_since", "review"])
table = table.astype({c: "category" for c in table.select_dtypes(object).columns})
members = table[table["is_member"]].sample(150, random_state=0)
table = table.drop(table[table["is_member"]].index.difference(members.index))
X, y = table.drop(columns="is_member"), table["is_member"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
Counter(y_train)

# %%
# Balance the classes
# -------------------
# The synthesizer is a :class:`~skltab.pipeline.SynthesisPipeline`: a
# :class:`~skltab.logic.LogicCompressor` that finds the table's rules (``zip -> city ->
# state``, ``total = unit_price * quantity``, ...) and FastGen on what is left. The
# over-sampler fits a clone of it on the members' rows (``model_per_class=True``, the
# default) and, with ``sampling_strategy="auto"``, samples as many rows as the members lack
# (the default, ``"geometric"``, adds fewer: see the next section).
sampler = SyntheticOversampler(
    make_synthesis_pipeline(LogicCompressor(), FastGenSynthesizer()),
    sampling_strategy="auto", random_state=0,
)
X_resampled, y_resampled = sampler.fit_resample(X_train, y_train)
added = X_resampled.iloc[len(X_train):]
assert Counter(y_resampled)[True] == Counter(y_resampled)[False]
assert sampler.sampling_strategy_ == {True: len(added)}
assert X_resampled.iloc[: len(X_train)].equals(X_train.reset_index(drop=True))
assert (X_resampled.dtypes == X_train.dtypes).all()
added.head()

# %%
# The new rows are rows of members: they keep the table's rules and the members' missing
# values and discounts (members get larger ones).
rules = [rule.describe() for rule in sampler.synthesizers_[True][0].rules_]
assert "total = unit_price * quantity" in rules
assert rule_violation_rate(added, rules, reference=X_train) == 0
assert 0 < added["payment_method"].isna().mean() < 0.2
assert added["discount_pct"].mean() > X_train.loc[~y_train, "discount_pct"].mean() + 2
print(rules)
print("discount of real members:", X_train.loc[y_train, "discount_pct"].mean().round(2),
      "of synthetic ones:", added["discount_pct"].mean().round(2))

# %%
# No real member is copied. The over-sampler's privacy guard drew again the synthetic rows
# closer to a real member than 95 % of real members are to their closest other one; the
# synthetic members are as far from the real members the synthesizer learned as members it
# never saw are (a DCR ratio about 1 or more), and none is an exact copy of one.
assert sampler.privacy_guard_report_["n_remaining"] == 0
print(sampler.privacy_guard_report_)
privacy = privacy_scores(X_test[y_test], added, train=X_train[y_train])
assert privacy["exact_copy_rate"] == 0 and privacy["dcr_ratio"] > 0.9
{key: round(privacy[key], 3) for key in ("dcr_ratio", "exact_copy_rate", "too_close_rate",
                                         "too_close_reference")}

# %%
# Train on real and on resampled rows
# -----------------------------------
# A logistic regression on one-hot categories and scaled numbers, scored on real test rows
# only. Balanced classes move its decisions towards the rare class: more members found, at
# some cost in precision.


def classifier():
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include="category")),
        remainder=make_pipeline(SimpleImputer(), StandardScaler()),
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


scores = {}
for name, (X_fit, y_fit) in {"real rows": (X_train, y_train),
                             "resampled": (X_resampled, y_resampled)}.items():
    predicted = classifier().fit(X_fit, y_fit).predict(X_test)
    scores[name] = {"balanced accuracy": balanced_accuracy_score(y_test, predicted),
                    "member recall": recall_score(y_test, predicted),
                    "member precision": precision_score(y_test, predicted),
                    "member F1": f1_score(y_test, predicted)}
    print(name, {key: round(value, 3) for key, value in scores[name].items()})
assert all(0 <= value <= 1 for row in scores.values() for value in row.values())

# %%
# In an imbalanced-learn pipeline
# -------------------------------
# With imbalanced-learn installed (``pip install "skltab[imbalanced]"``), the over-sampler is
# a step of ``imblearn.pipeline.Pipeline``: it resamples while the pipeline fits, and the
# pipeline predicts on real rows untouched, so ``GridSearchCV`` tunes the sampler, its
# synthesizer and the classifier together and scores them on real rows. Here it chooses how
# many members to add: balancing the classes finds more members but costs precision, and
# with rare members a smaller ``sampling_strategy``, such as the default ``"geometric"``
# (half-way to balance on a log scale), often gives the better F1.
try:
    from imblearn.pipeline import Pipeline
except ImportError:
    Pipeline = None
if Pipeline is not None:
    from sklearn.model_selection import GridSearchCV

    pipeline = Pipeline([
        ("oversample", SyntheticOversampler(FastGenSynthesizer(), random_state=0)),
        ("model", classifier()),
    ])
    grid = {"oversample__sampling_strategy": ["geometric", 1.0]}
    search = GridSearchCV(pipeline, grid, scoring="f1", cv=2).fit(X_train, y_train)
    assert np.isfinite(search.best_score_)
    print(search.best_params_, round(search.best_score_, 3))
