"""
Write your own synthesizer
==========================

A synthesizer derives from :class:`~skltab.base.BaseSynthesizer` and implements two methods:
``_fit(table)`` learns the table, ``_sample(n_samples, conditions, random_state)`` writes one
block of rows. The base class does everything else: validation, metadata, seeding, ID
columns, dtypes, conditions, chunked output, pickling. This example writes a small
synthesizer and runs skltab's and scikit-learn's checks on it.
"""

# %%
# The synthesizer
# ---------------
# Numeric columns (numbers and dates) follow one multivariate normal distribution, so their
# correlations are kept; discrete columns (categories, booleans, text) follow their observed
# frequencies. :class:`~skltab.metadata.TableEncoder` maps the table to model space (numbers
# as floats, discrete values as integer codes) and back: its ``inverse_transform`` clips
# numbers to the real range and restores the values. Missing numbers are drawn at each
# column's real rate.
#
# The conventions are scikit-learn's: ``__init__`` only stores its keyword arguments, every
# parameter is declared in ``_parameter_constraints`` (validated by ``fit``), and fitted
# attributes end in ``_``. ``_sample`` uses the ``random_state`` it receives and nothing else.
# This simple model ignores ``conditions``: the base class writes the asked values into the
# conditioned columns after ``_sample``.
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.estimator_checks import check_estimator

from skltab import IndependentSynthesizer
from skltab.base import BaseSynthesizer
from skltab.datasets import load_demo
from skltab.metadata import EncodedTable, TableEncoder
from skltab.utils.estimator_checks import synthesizer_checks


class GaussianSynthesizer(BaseSynthesizer):
    """Numeric columns from one multivariate normal, discrete columns from their frequencies.

    Parameters
    ----------
    shrinkage : float, default=0.0
        Weight of the diagonal in the covariance: 0 keeps the empirical covariance, 1 makes
        the numeric columns independent.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the table when None.
    random_state : int, RandomState instance or None, default=None
        Seeds :meth:`sample` calls that pass no ``random_state``.
    verbose : int, default=0
        0 silent, 1 progress bars.
    """

    _parameter_constraints = {
        **BaseSynthesizer._parameter_constraints,
        "shrinkage": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, shrinkage=0.0, metadata=None, random_state=None, verbose=0):
        self.shrinkage = shrinkage
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, table):
        self.encoder_ = TableEncoder(self.metadata_).fit(table)
        encoded = self.encoder_.transform(table)
        missing = np.isnan(encoded.numeric)
        self.missing_rates_ = missing.mean(axis=0)
        self.mean_ = np.nanmean(encoded.numeric, axis=0)
        filled = np.where(missing, self.mean_, encoded.numeric)
        covariance = np.cov(filled, rowvar=False, bias=True).reshape(len(self.mean_), -1)
        diagonal = np.diag(np.diag(covariance))
        self.covariance_ = (1 - self.shrinkage) * covariance + self.shrinkage * diagonal
        self.probabilities_ = [
            np.bincount(codes, minlength=cardinality) / len(table)
            for codes, cardinality in zip(encoded.discrete.T, self.encoder_.cardinalities_)
        ]

    def _sample(self, n_samples, conditions, random_state):
        numeric = random_state.multivariate_normal(self.mean_, self.covariance_, size=n_samples)
        numeric[random_state.uniform(size=numeric.shape) < self.missing_rates_] = np.nan
        discrete = np.column_stack(
            [random_state.choice(len(p), size=n_samples, p=p) for p in self.probabilities_]
            or [np.empty((n_samples, 0), dtype=np.int64)]
        )
        return self.encoder_.inverse_transform(EncodedTable(numeric, discrete))


# %%
# It is a synthesizer
# -------------------
# It fits any table and samples rows with the real columns and dtypes, IDs regenerated.
real = load_demo(n_samples=1000, random_state=0)
synthesizer = GaussianSynthesizer(random_state=0).fit(real)
synthetic = synthesizer.sample(1000)
assert synthetic.shape == real.shape and synthetic.dtypes.equals(real.dtypes)
assert synthetic["order_id"].is_unique
synthetic.head()

# %%
# It passes the checks
# --------------------
# :mod:`skltab.utils.estimator_checks` holds the checks every synthesizer must pass (output
# schema, containers, random state, chunks, pickling, the safe format of ``skltab.save``,
# cloning, pipelines, conditions, invalid tables); scikit-learn's ``check_estimator`` runs
# scikit-learn's own. In a test suite, use
# ``parametrize_with_synthesizer_checks`` and ``parametrize_with_checks`` instead, one test per
# check.
for check in synthesizer_checks(GaussianSynthesizer()):
    check("GaussianSynthesizer", GaussianSynthesizer())
check_estimator(GaussianSynthesizer(), on_skip=None)
print("all checks passed")

# %%
# It keeps correlations
# ---------------------
# The prices are strongly correlated (``total`` is the unit price times the quantity, ``net``
# the total after discount). The multivariate normal keeps those correlations, where the
# :class:`~skltab.IndependentSynthesizer` loses them.
independent = IndependentSynthesizer(random_state=0).fit(real).sample(1000)
amounts = ["unit_price", "total", "net", "customer_age", "customer_income"]


def correlation_error(table):
    """Largest gap between the correlations of ``table`` and of the real table."""
    return np.abs(table[amounts].corr() - real[amounts].corr()).to_numpy().max()


print(f"largest correlation error: Gaussian {correlation_error(synthetic):.2f}, "
      f"independent {correlation_error(independent):.2f}")
assert correlation_error(synthetic) < 0.2 < correlation_error(independent)

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharex=True, sharey=True)
for ax, (title, table) in zip(
    axes, [("real", real), ("GaussianSynthesizer", synthetic), ("independent", independent)]
):
    ax.scatter(table["unit_price"], table["total"], s=4, alpha=0.5)
    ax.set(title=title, xlabel="unit_price")
axes[0].set_ylabel("total")
fig.tight_layout()

# %%
# The correlations are right, but a normal distribution fits these skewed amounts poorly: it
# misses their long tail, and its draws below the real minimum are clipped to it. That is
# what better models are for; this one only shows the mechanics.
#
# ``shrinkage=1`` keeps only the diagonal of the covariance: the numeric columns become
# independent, as the parameter's documentation says.
uncorrelated = GaussianSynthesizer(shrinkage=1.0, random_state=0).fit(real).sample(1000)
assert correlation_error(uncorrelated) > 0.5
