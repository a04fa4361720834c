"""The diffusion model's space: quantile-normal numeric cells, missing-value indicators, codes.

:class:`ModelSpace` maps the :class:`~skltab.metadata.EncodedTable` of the shared
:class:`~skltab.metadata.TableEncoder` to the arrays the diffusion model learns, and back:

- numeric columns go through the quantile-normal transform of :mod:`._quantile` to a
  standard normal marginal (skewed, bounded and integer columns alike; the encoder then clips
  to the real range and rounds to the real precision on the way back); a tied value (an
  integer, a spike, a constant column) keeps its interval of probability, which training
  samples from;
- each numeric column that may be missing gets an indicator column (0 present, 1 missing),
  modelled as one more categorical column, so missing rates and where missing values occur
  are learned with the rest of the row; the numeric cell itself is then 0;
- discrete columns keep the encoder's codes (a nullable column's missing state included).

:class:`MarginalMatcher` is the optional post-hoc quantile matching of numeric marginals.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from ..metadata import EncodedTable
from ._quantile import QuantileNormal


class ModelRows(NamedTuple):
    """Rows in model space.

    Attributes
    ----------
    numeric : ndarray of shape (n_rows, n_numeric)
        Quantile-normal values (the middle of each value's interval); 0 where missing.
    present : ndarray of shape (n_rows, n_numeric)
        Whether each numeric cell holds a value.
    codes : ndarray of shape (n_rows, n_categorical)
        Codes of the discrete columns, then of the missing indicators; -1 for a value never
        seen in the real table.
    low, high : ndarray of shape (n_rows, n_numeric)
        Uniform-space interval of each numeric value (equal ends when it is not tied);
        0.5 where missing.
    """

    numeric: np.ndarray
    present: np.ndarray
    codes: np.ndarray
    low: np.ndarray
    high: np.ndarray


class ModelSpace:
    """Map an encoded table to the diffusion model's rows and back.

    Parameters
    ----------
    n_quantiles : int
        Quantiles of the quantile-normal transform (at most the number of rows).

    Attributes
    ----------
    transformer_ : QuantileNormal
        The quantile-normal transform of the numeric columns.
    indicator_of_ : list of int
        For each missing-value indicator, the numeric column it belongs to.
    cardinalities_ : list of int
        Codes of each categorical column of model space (discrete columns, then indicators).
    missing_codes_ : list of int or None
        Missing state of each categorical column of model space (None when it has none).
    """

    def __init__(self, n_quantiles):
        self.n_quantiles = n_quantiles

    def fit(self, encoder, encoded):
        """Learn the transform from the encoded real table and the encoder's columns."""
        metadata = encoder.metadata
        self.n_numeric_ = encoded.numeric.shape[1]
        self.n_discrete_ = encoded.discrete.shape[1]
        self.indicator_of_ = [
            j for j, name in enumerate(encoder.numeric_columns_) if metadata[name].nullable
        ]
        self.cardinalities_ = list(encoder.cardinalities_) + [2] * len(self.indicator_of_)
        self.missing_codes_ = [encoder.missing_code(name) for name in encoder.discrete_columns_]
        self.missing_codes_ += [1] * len(self.indicator_of_)
        self.transformer_ = QuantileNormal(self.n_quantiles).fit(encoded.numeric)
        return self

    @property
    def n_categorical_(self):
        """Categorical columns of model space: discrete columns and missing indicators."""
        return len(self.cardinalities_)

    def transform(self, encoded):
        """Return the :class:`ModelRows` of an encoded table."""
        present = ~np.isnan(encoded.numeric)
        low, high = self.transformer_.intervals(encoded.numeric)
        low[~present], high[~present] = 0.5, 0.5
        numeric = ndtri((low + high) / 2)
        indicators = (~present[:, self.indicator_of_]).astype(np.int64)
        codes = np.concatenate([encoded.discrete, indicators], axis=1).astype(np.int64)
        return ModelRows(numeric.astype(np.float32), present, codes, low, high)

    def inverse_transform(self, numeric, codes):
        """Return the :class:`~skltab.metadata.EncodedTable` of model-space values.

        Parameters
        ----------
        numeric : ndarray of shape (n_rows, n_numeric)
            Quantile-normal values.
        codes : ndarray of shape (n_rows, n_categorical)
            Codes of the discrete columns and the missing indicators.
        """
        numeric = np.asarray(numeric, dtype=float).reshape(len(codes), self.n_numeric_)
        values = self.transformer_.inverse_transform(numeric)
        missing = codes[:, self.n_discrete_:] == 1
        values[:, self.indicator_of_] = np.where(
            missing, np.nan, values[:, self.indicator_of_]
        )
        return EncodedTable(values, np.asarray(codes[:, : self.n_discrete_], dtype=np.int64))


class MarginalMatcher:
    """Post-hoc quantile matching: map each numeric column's model marginal onto the real one.

    Each value ``z`` of column ``j`` becomes ``Phi^-1(F_model(z))``, where ``F_model`` is the
    distribution function of a reference sample drawn from the model in quantile-normal
    space, where the real marginal is the standard normal ``Phi``. The map is fixed and
    monotone, so it keeps the order of the values (and so the model's rank dependencies),
    treats each row on its own (output does not depend on batching) and corrects a model
    whose marginal is too narrow, too wide or shifted.

    Parameters
    ----------
    n_quantiles : int
        Quantiles kept of each model marginal.
    """

    def __init__(self, n_quantiles):
        self.n_quantiles = n_quantiles

    def fit(self, values, present):
        """Learn the model's marginals from a reference sample (again after more training)."""
        self.levels_ = (np.arange(self.n_quantiles) + 0.5) / self.n_quantiles
        self.model_quantiles_ = [
            np.quantile(values[present[:, j], j], self.levels_) if present[:, j].sum() >= 2
            else None for j in range(values.shape[1])
        ]
        return self

    def transform(self, values, mask):
        """Return ``values`` with the cells where ``mask`` is True matched; others unchanged."""
        values = np.array(values, dtype=float)
        for j, model in enumerate(self.model_quantiles_):
            if model is None:
                continue
            rows = mask[:, j]
            values[rows, j] = ndtri(np.interp(values[rows, j], model, self.levels_))
        return values
