"""Numbers written as quantile bins: one token per number, the real distribution inside each bin.

A language model built from scratch learns a number's digits one by one, and on a table of a
few hundred rows it has too few examples to learn how the digits of one column depend on
another's. :class:`QuantileBins` writes each value of a many-valued numeric column as the
label of its quantile bin instead (``"q0"`` to ``"q63"``): the model then learns the columns'
dependencies between labels, as between categories, and a sampled label becomes a number
drawn from the real column's distribution inside that bin, through the quantile transform of
:mod:`skltab.diffusion._quantile` (ties, such as a spike at 0, keep their real frequency).
"""

import numpy as np
import pandas as pd

from ..diffusion._quantile import QuantileNormal

#: Text of bin ``b``'s label.
LABEL = "q{}"
#: Text of a value outside the real range, which no bin holds.
OUT_OF_RANGE = "out of range"
#: Quantiles kept per column to map the uniform level of a bin back to a value.
_N_QUANTILES = 1000
#: The automatic number of bins: about this many training rows per bin ...
_ROWS_PER_BIN = 16
#: ... and at least and at most as many bins.
_MIN_BINS, _MAX_BINS = 8, 64


def auto_n_bins(n_rows):
    """Bins of the automatic setting for a table of ``n_rows`` rows."""
    return min(max(n_rows // _ROWS_PER_BIN, _MIN_BINS), _MAX_BINS)


class QuantileBins:
    """Write numeric columns as the labels of their quantile bins, and back.

    Parameters
    ----------
    n_bins : int or None
        Bins per column, of equal probability under the real column; None bins no column
        (every method then returns its input, or zeros).

    Attributes
    ----------
    columns_ : list of str
        The binned columns: continuous and integer columns with more distinct values than
        ``n_bins`` and no recorded set of ``values``.
    transform_ : QuantileNormal
        Quantiles of the binned columns, in ``columns_`` order (the first and last are the
        real range).
    """

    def __init__(self, n_bins):
        self.n_bins = n_bins

    def fit(self, table, metadata):
        """Choose the columns to bin among ``table``'s and learn their quantiles."""
        self.columns_ = [] if self.n_bins is None else [
            column.name for column in metadata
            if column.kind in ("continuous", "integer") and column.values is None
            and table[column.name].nunique() > self.n_bins
        ]
        self.transform_ = QuantileNormal(_N_QUANTILES).fit(self._numbers(table))
        return self

    @property
    def labels(self):
        """Every bin's label, in order."""
        return [LABEL.format(b) for b in range(self.n_bins)]

    def metadata(self, metadata):
        """Metadata of the table :meth:`encode` writes: the binned columns are categorical,
        with every label as a category."""
        encoded = metadata.select(metadata.columns)
        for name in self.columns_:
            encoded.update_column(name, kind="categorical", dtype="object",
                                  categories=self.labels, decimals=None, min=None, max=None,
                                  ordered=True)
        return encoded

    def check(self, table):
        """Raise a ValueError naming the column if a binned value is outside the real range."""
        numbers = self._numbers(table)
        outside = self._outside(numbers)
        for j, name in enumerate(self.columns_):
            if outside[:, j].any():
                quantiles = self.transform_.quantiles_[j]
                raise ValueError(f"Column {name!r}: {numbers[outside[:, j], j][0]:g} is outside "
                                 f"the real range [{quantiles[0]:g}, {quantiles[-1]:g}].")

    def encode(self, table):
        """A copy of ``table`` (which may lack some binned columns) with each binned value
        replaced by its bin's label: missing values stay missing, values outside the real
        range become :data:`OUT_OF_RANGE`, which is no label.

        A value tied with others (an integer, a spike) is put in the bin of the middle of its
        probability interval, so that all its rows share one label.
        """
        encoded = table.copy()
        numbers = self._numbers(table)
        bins = self._bins(*self.transform_.intervals(numbers))
        outside = self._outside(numbers)
        for j, name in enumerate(self.columns_):
            if name not in table.columns:
                continue
            labels = [None if np.isnan(b) else LABEL.format(int(b)) for b in bins[:, j]]
            encoded[name] = pd.Series(np.where(outside[:, j], OUT_OF_RANGE, labels),
                                      index=table.index, dtype=object)
        return encoded

    def decode(self, table, uniforms):
        """A copy of ``table`` with each label replaced by a number of its bin.

        Parameters
        ----------
        table : DataFrame
            Rows as :meth:`encode` writes them (labels, or None where missing).
        uniforms : ndarray of shape (n_rows, len(columns_))
            A uniform draw per cell: the place of the value within its bin, as a level of
            the real column's distribution.
        """
        if not self.columns_:
            return table
        decoded = table.copy()
        levels = np.full((len(table), len(self.columns_)), 0.5)
        present = np.zeros(levels.shape, dtype=bool)
        for j, name in enumerate(self.columns_):
            labels = table[name]
            present[:, j] = labels.notna().to_numpy()
            # (a column of rows that are all missing holds floats: no .str accessor)
            bins = np.array([int(label[1:]) for label in labels[present[:, j]]], dtype=int)
            levels[present[:, j], j] = (bins + uniforms[present[:, j], j]) / self.n_bins
        values = self.transform_.values_at(levels)
        for j, name in enumerate(self.columns_):
            decoded[name] = np.where(present[:, j], values[:, j], np.nan)
        return decoded

    def log_density(self, table):
        """Log-density of each row's binned values given their bins (0 without any binned
        column): the density of the bin's values under :meth:`decode`, or, for a tied value
        (which :meth:`decode` writes with a probability), the log of that probability.
        Missing and out-of-range values count 0."""
        total = np.zeros(len(table))
        if not self.columns_:
            return total
        numbers = self._numbers(table)
        low, high = self.transform_.intervals(numbers)
        first = self._bins(low, high) / self.n_bins
        scored = ~np.isnan(numbers) & ~self._outside(numbers)
        for j, quantiles in enumerate(self.transform_.quantiles_):
            rows = scored[:, j]
            tie_low, tie_high = low[rows, j], high[rows, j]
            tie = (np.minimum(tie_high, first[rows, j] + 1 / self.n_bins)
                   - np.maximum(tie_low, first[rows, j]))
            slope = _level_slope(quantiles, numbers[rows, j])
            total[rows] += np.log(self.n_bins * np.where(tie_high > tie_low, tie, slope))
        return total

    def _bins(self, low, high):
        """Bin (0 to ``n_bins - 1``, as floats; NaN where missing) of each value of
        probability interval ``[low, high]``: the bin of the interval's middle."""
        return np.floor((low + high) / 2 * self.n_bins)

    def _outside(self, numbers):
        """Whether each value lies outside its column's real range (False where missing)."""
        low = np.array([quantiles[0] for quantiles in self.transform_.quantiles_])
        high = np.array([quantiles[-1] for quantiles in self.transform_.quantiles_])
        with np.errstate(invalid="ignore"):
            return (numbers < low) | (numbers > high)

    def _numbers(self, table):
        """The binned columns' values as floats, NaN for a column ``table`` lacks."""
        missing = np.full(len(table), np.nan)
        return np.column_stack([
            pd.to_numeric(table[name]).to_numpy(dtype=float, na_value=np.nan)
            if name in table.columns else missing for name in self.columns_
        ]) if self.columns_ else np.empty((len(table), 0))


def _level_slope(quantiles, values):
    """Slope of the level against the value (the density) of the piecewise-linear quantile
    map through ``quantiles`` at evenly spaced levels, at ``values`` (0 on a flat piece)."""
    if len(quantiles) < 2:
        return np.zeros(len(values))
    right = np.clip(np.searchsorted(quantiles, values, side="right"), 1, len(quantiles) - 1)
    widths = quantiles[right] - quantiles[right - 1]
    return np.where(widths > 0, 1.0 / ((len(quantiles) - 1) * np.where(widths > 0, widths, 1.0)),
                    0.0)
