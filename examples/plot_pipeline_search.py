"""
Pipelines and hyper-parameter search
====================================

A :class:`~skltab.pipeline.SynthesisPipeline` is a scikit-learn ``Pipeline`` that ends in a
synthesizer. ``fit`` transforms the table and fits the synthesizer on the result; ``sample``
draws rows from the synthesizer and maps them back through each step's
``inverse_transform``, in reverse order. Since it is an ordinary estimator, ``GridSearchCV``
can tune it.

Here the transformers are not just plumbing: :class:`~skltab.IndependentSynthesizer` draws
every column independently, so on its own it loses the correlations between columns. Fitted
on principal components (which are uncorrelated), it keeps them.
"""

# %%
# The data: four positive, skewed and strongly related amounts from the demo table (the
# total is the unit price times the quantity, the net is the total after discount).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skltab import IndependentSynthesizer, make_synthesis_pipeline
from skltab.datasets import load_demo
from skltab.metrics import SynthesisScorer

columns = ["unit_price", "total", "net", "customer_income"]
X = load_demo(n_samples=1000, random_state=0)[columns].to_numpy(dtype=float)

# %%
# The pipeline
# ------------
# Take logarithms (``FunctionTransformer`` with ``np.exp`` as its inverse), standardise, and
# rotate to principal components; then learn each component's distribution.
# :func:`~skltab.make_synthesis_pipeline` names the steps after their classes.
pipeline = make_synthesis_pipeline(
    FunctionTransformer(np.log, inverse_func=np.exp),
    StandardScaler(),
    PCA(),
    IndependentSynthesizer(random_state=0),
)
pipeline

# %%
# Tune it with the synthesizer's own score
# ----------------------------------------
# Without a ``scoring`` argument, ``GridSearchCV`` ranks candidates by the pipeline's
# ``score``: the synthesizer's mean log-likelihood of the held-out rows, in the space it was
# fitted in (greater is better). The candidates share the transformers, so their scores are
# comparable. ``n_quantiles`` sets how finely each marginal is stored.
search = GridSearchCV(
    pipeline, {"independentsynthesizer__n_quantiles": [5, 50, 500]}, cv=5
).fit(X)
for n_quantiles, score in zip(
    search.cv_results_["param_independentsynthesizer__n_quantiles"],
    search.cv_results_["mean_test_score"],
):
    print(f"n_quantiles={n_quantiles}: mean held-out log-likelihood {score:.2f}")

assert np.isfinite(search.cv_results_["mean_test_score"]).all()
assert search.best_params_["independentsynthesizer__n_quantiles"] in (50, 500)

# %%
# Sample
# ------
# The best pipeline, refitted on all rows, samples in the original space: an ndarray like
# ``X``, with positive amounts.
synthetic = search.best_estimator_.sample(1000, random_state=0)
assert isinstance(synthetic, np.ndarray) and synthetic.shape == X.shape
assert (synthetic > 0).all()

# %%
# Compare with the synthesizer alone, fitted on the raw columns: it reproduces each column's
# distribution, but not the relations between them. The correlation matrices of the
# logarithms show the difference.
alone = IndependentSynthesizer(random_state=0).fit(X).sample(1000)


def log_correlations(table):
    return np.corrcoef(np.log(table), rowvar=False)


errors = {
    name: np.abs(log_correlations(table) - log_correlations(X)).max()
    for name, table in [("pipeline", synthetic), ("synthesizer alone", alone)]
}
print({name: round(float(error), 3) for name, error in errors.items()})
assert errors["pipeline"] < 0.1 < errors["synthesizer alone"]

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharex=True, sharey=True)
for ax, (title, table) in zip(
    axes, [("real", X), ("pipeline", synthetic), ("synthesizer alone", alone)]
):
    ax.scatter(table[:, 0], table[:, 1], s=4, alpha=0.5)
    ax.set(xscale="log", yscale="log", title=title, xlabel="unit_price")
axes[0].set_ylabel("total")
fig.tight_layout()

# %%
# Compare transformations with skltab's scorers
# ---------------------------------------------
# Log-likelihoods measured in different spaces cannot be compared, so the default score
# cannot tell whether the PCA step helps. skltab's scorers can: they sample from each fitted
# candidate with a fixed seed and compare the sample with the held-out rows in the original
# space. :class:`~skltab.metrics.SynthesisScorer` computes several metrics on one sample;
# ``refit`` names the one that picks the winner. Losses are negated (``neg_...``), so greater
# is always better.
scorer = SynthesisScorer(["neg_correlation_distance", "neg_wasserstein"])
search = GridSearchCV(
    pipeline, {"pca": [PCA(), "passthrough"]}, scoring=scorer,
    refit="neg_correlation_distance", cv=5,
).fit(X)
for pca, correlation, wasserstein in zip(
    search.cv_results_["param_pca"],
    search.cv_results_["mean_test_neg_correlation_distance"],
    search.cv_results_["mean_test_neg_wasserstein"],
):
    print(f"pca={pca!s:12} neg_correlation_distance={correlation:.3f} "
          f"neg_wasserstein={wasserstein:.4f}")

assert isinstance(search.best_params_["pca"], PCA)

# %%
# A caveat: the synthesizer's guarantees (range, precision, integers) hold in the space it
# was fitted in. After ``inverse_transform``, values may leave the real range a little and
# lose the real precision; round or clip them yourself if that matters.
print("real range:", X.min(axis=0).round(2), X.max(axis=0).round(2))
print("synthetic range:", synthetic.min(axis=0).round(2), synthetic.max(axis=0).round(2))
