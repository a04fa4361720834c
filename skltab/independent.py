"""IndependentSynthesizer: every column drawn from its own marginal, the lower-bound baseline."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from .base import BaseSynthesizer
from .metadata import EncodedTable, TableEncoder
from .metadata._infer import numeric_values
from .utils._docstrings import fill_doc

#: Probability given to a value the fitted marginal cannot produce, in :meth:`score_samples`.
_FLOOR = 1e-12


@fill_doc
class IndependentSynthesizer(BaseSynthesizer):
    """Draw each column independently from its own marginal distribution.

    Numeric and datetime columns follow their empirical quantile function, interpolated between
    ``n_quantiles`` quantiles (so values are new but stay within the real range); categorical,
    boolean and text columns follow their observed frequencies. Missing values keep each
    column's missing rate. Relations between columns are not learned: this is the reference
    implementation of the synthesizer contract and the lower bound in every benchmark.

    Text columns are drawn among the real strings, so free text is copied; do not use this
    synthesizer for text that must stay private.

    Parameters
    ----------
    n_quantiles : int, default=1000
        Quantiles kept per numeric column (fewer if the column has fewer values). The fitted
        model stores these quantiles, not the real values.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the table when None. A dict may be skltab's
        (``TableMetadata.to_dict``) or SDV's metadata dict.
    random_state : int, RandomState instance or None, default=None
        Seeds :meth:`sample` calls that pass no ``random_state``.
    verbose : int, default=0
        0 silent, 1 progress bars.

    Attributes
    ----------
    encoder_ : TableEncoder
        Map between the table and model space.
    quantiles_ : list of ndarray
        Quantiles of each numeric column's present values, in model space.
    missing_rates_ : ndarray of shape (n_numeric,)
        Missing rate of each numeric column.
    probabilities_ : list of ndarray
        Probability of each code of each discrete column, the missing state included.
    %(fit_attributes)s

    Examples
    --------
    >>> from skltab import IndependentSynthesizer
    >>> from skltab.datasets import load_demo
    >>> real = load_demo()
    >>> synthesizer = IndependentSynthesizer(random_state=0).fit(real)
    >>> synthesizer.sample(5).shape == (5, real.shape[1])
    True
    """

    _parameter_constraints = {
        **BaseSynthesizer._parameter_constraints,
        "n_quantiles": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, *, n_quantiles=1000, metadata=None, random_state=None, verbose=0):
        self.n_quantiles = n_quantiles
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, table):
        self.encoder_ = TableEncoder(self.metadata_).fit(table)
        encoded = self.encoder_.transform(table)
        self.quantiles_ = []
        missing = np.isnan(encoded.numeric)
        self.missing_rates_ = missing.mean(axis=0)
        for j in range(encoded.numeric.shape[1]):
            present = encoded.numeric[~missing[:, j], j]
            levels = np.linspace(0, 1, min(self.n_quantiles, len(present)))
            self.quantiles_.append(np.quantile(present, levels))
        self.probabilities_ = [
            np.bincount(encoded.discrete[:, j], minlength=cardinality) / len(table)
            for j, cardinality in enumerate(self.encoder_.cardinalities_)
        ]

    def _sample(self, n_samples, conditions, random_state):
        numeric = np.empty((n_samples, len(self.quantiles_)))
        for j, quantiles in enumerate(self.quantiles_):
            levels = np.linspace(0, 1, len(quantiles))
            numeric[:, j] = np.interp(random_state.uniform(size=n_samples), levels, quantiles)
            numeric[random_state.uniform(size=n_samples) < self.missing_rates_[j], j] = np.nan
        discrete = np.column_stack(
            [random_state.choice(len(p), size=n_samples, p=p) for p in self.probabilities_]
            or [np.empty((n_samples, 0), dtype=np.int64)]
        )
        return self.encoder_.inverse_transform(EncodedTable(numeric, discrete))

    def score_samples(self, X, y=None):
        """Log-likelihood of each row of ``X`` under the fitted marginals.

        A row's log-likelihood is the sum of its values' log-probabilities under their
        columns' marginals; :meth:`score` is their mean. Each numeric value counts as the
        interval of its recorded precision (1 for integers, ``10**-decimals`` for decimals, one
        ``datetime_unit`` for datetimes, a millionth of the range otherwise), so the result is
        a log-probability. Values the marginals cannot produce get probability 1e-12.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns.
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was fitted with one. Without it, the target is
            summed out: the result is the log-likelihood of the rows of ``X`` alone.

        Returns
        -------
        log_likelihood : ndarray of shape (n_rows,)
            Log-likelihood of each row (greater is more plausible).
        """
        table = self._check_scoring_table(X, y, target_optional=True)
        log_likelihood = np.zeros(len(table))
        for j, name in enumerate(self.encoder_.numeric_columns_):
            if name in table:
                values = numeric_values(table[name], self.metadata_[name])
                log_likelihood += self._numeric_log_likelihood(j, name, values)
        for name, probabilities in zip(self.encoder_.discrete_columns_, self.probabilities_):
            if name in table:
                codes = self.encoder_.codes(table[name], unknown="mark")
                known = codes >= 0
                p = np.full(len(codes), _FLOOR)
                p[known] = probabilities[codes[known]]
                log_likelihood += np.log(np.maximum(p, _FLOOR))
        return log_likelihood

    def _numeric_log_likelihood(self, j, name, values):
        quantiles = self.quantiles_[j]
        levels = np.linspace(0, 1, len(quantiles))
        half = self._precision(name, quantiles) / 2
        missing = np.isnan(values)
        mass = np.interp(values + half, quantiles, levels, left=0, right=1) - np.interp(
            values - half, quantiles, levels, left=0, right=1
        )
        rate = self.missing_rates_[j]
        p = np.where(missing, rate, (1 - rate) * mass)
        return np.log(np.maximum(p, _FLOOR))

    def _precision(self, name, quantiles):
        column = self.metadata_[name]
        if column.kind in ("integer", "datetime"):
            return 1.0
        if column.decimals is not None:
            return 10.0 ** -column.decimals
        return max(quantiles[-1] - quantiles[0], 1.0) * 1e-6

    @classmethod
    def _get_test_params(cls):
        return {"n_quantiles": 50}
