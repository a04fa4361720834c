"""The quantile-normal transform of numeric columns, with ties spread over their probability.

Each numeric column's present values get the empirical distribution function ``F`` of the
real column, through ``n`` quantiles at evenly spaced levels from 0 (the minimum) to 1 (the
maximum). A value that equals several of these quantiles (a tie: an integer, a spike at 0,
a constant column) is not one point but the interval of probability ``[u_low, u_high]``
spanned by their levels; training draws ``u`` uniformly in
it, so the model-space marginal ``Phi^-1(u)`` is a smooth standard normal instead of a set of
spikes (scikit-learn's ``QuantileTransformer`` sends every value equal to a column's minimum
to its lower clip, -5.2, for instance 92 % of a capital-gain column). The inverse map
``F^-1(Phi(z))`` is flat over each tie's interval, so generated values land exactly on the
real values with the real frequencies, and between the real range's ends.
"""

import numpy as np
from scipy.special import ndtr, ndtri

#: Uniform levels are kept inside [EPS, 1 - EPS]: normal values within about +-5.2.
EPS = 1e-7


class QuantileNormal:
    """Map numeric columns to standard normal marginals and back.

    Parameters
    ----------
    n_quantiles : int
        Quantiles kept per column (at most the number of present values).

    Attributes
    ----------
    quantiles_ : list of ndarray
        Quantiles of each column's present values, at evenly spaced levels from 0 to 1.
    """

    def __init__(self, n_quantiles):
        self.n_quantiles = n_quantiles

    def fit(self, values):
        """Learn the quantiles of each column of ``values`` (NaN where missing)."""
        self.quantiles_ = []
        for column in values.T:
            present = column[~np.isnan(column)]
            self.quantiles_.append(np.quantile(present, _levels(min(self.n_quantiles,
                                                                    len(present)))))
        return self

    def intervals(self, values):
        """Uniform-space interval ``[low, high]`` of each value (equal ends when not tied).

        Returns
        -------
        low, high : ndarray of the shape of ``values``
            NaN where ``values`` is NaN.
        """
        low, high = np.full(values.shape, np.nan), np.full(values.shape, np.nan)
        for j, quantiles in enumerate(self.quantiles_):
            levels = _levels(len(quantiles))
            column = values[:, j]
            present = ~np.isnan(column)
            x = column[present]
            first = np.searchsorted(quantiles, x, side="left")
            last = np.searchsorted(quantiles, x, side="right") - 1
            point = np.interp(x, quantiles, levels)
            tied = last > first
            low[present, j] = np.where(tied, levels[np.minimum(first, len(levels) - 1)], point)
            high[present, j] = np.where(tied, levels[np.maximum(last, 0)], point)
        return np.clip(low, EPS, 1 - EPS), np.clip(high, EPS, 1 - EPS)

    def transform(self, values):
        """Normal values at the middle of each value's interval (NaN where missing); the
        inverse transform maps them back to the values."""
        low, high = self.intervals(values)
        return ndtri((low + high) / 2)

    def inverse_transform(self, normal):
        """Values whose quantile-normal image is ``normal``."""
        return self.values_at(ndtr(np.asarray(normal, dtype=float)))

    def values_at(self, levels):
        """Values of each column at the uniform ``levels`` (the quantile function)."""
        values = np.empty(levels.shape)
        for j, quantiles in enumerate(self.quantiles_):
            values[:, j] = np.interp(levels[:, j], _levels(len(quantiles)), quantiles)
        return values


def _levels(n):
    """``n`` levels from 0 to 1 (one level: 0.5)."""
    return np.linspace(0, 1, n) if n > 1 else np.array([0.5])
