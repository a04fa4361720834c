"""Summaries of a column that partitions merge: distinct values by hash, and counted values
that become a quantile sketch past a size.

Both are exact up to a number of distinct values, and bounded beyond it:

- :class:`HashCounts` counts the 64-bit hashes of the distinct values (exact up to
  ``MAX_EXACT_DISTINCT``; two values sharing a hash, about ``n**2 / 2**65`` likely, count
  as one); beyond, it keeps the ``SKETCH_SIZE`` smallest hashes with their counts (a
  k-minimum-values sketch): the number of distinct values is then estimated within about
  ``1 / sqrt(SKETCH_SIZE)`` (1.6 %), and a column reads as all-distinct unless a value among
  them is seen twice, so a column with a share ``d`` of duplicated values passes for
  all-distinct with probability about ``exp(-SKETCH_SIZE * d)``;
- :class:`CountedValues` holds sorted numbers with their counts (exact up to
  ``MAX_EXACT_DISTINCT``); beyond, runs of neighbouring values are merged into centroids of
  equal weight, so ranks and quantiles are off by at most ``1 / SKETCH_SIZE`` of the rows
  per merge that compressed it.
"""

import numpy as np
import pandas as pd

#: Distinct values counted exactly.
MAX_EXACT_DISTINCT = 100_000
#: Hashes of a k-minimum-values sketch, and centroids of a compressed quantile sketch.
SKETCH_SIZE = 8192


def _merged_counts(keys, counts):
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts, minlength=len(unique)).astype(np.int64)


class HashCounts:
    """The distinct values of a column, by hash, with their counts.

    Parameters
    ----------
    hashes : ndarray of uint64
        Distinct hashes, sorted.
    counts : ndarray of int64
        Rows of each.
    exact : bool
        Whether every distinct value is there (else the ``SKETCH_SIZE`` smallest hashes).
    """

    def __init__(self, hashes, counts, exact):
        self.hashes = hashes
        self.counts = counts
        self.exact = exact

    @classmethod
    def of(cls, values):
        """The hash counts of ``values`` (a Series with no missing value)."""
        hashes = pd.util.hash_pandas_object(values.reset_index(drop=True), index=False)
        hashes, counts = np.unique(hashes.to_numpy(), return_counts=True)
        return cls(hashes, counts, True)._bounded()

    def merge(self, other):
        """The hash counts of both sets of values."""
        hashes, counts = _merged_counts(np.concatenate([self.hashes, other.hashes]),
                                        np.concatenate([self.counts, other.counts]))
        return HashCounts(hashes, counts, self.exact and other.exact)._bounded()

    def _bounded(self):
        if not self.exact:
            # Both sides kept their smallest hashes: beyond the smaller largest, one side's
            # hashes are missing.
            return HashCounts(self.hashes[:SKETCH_SIZE], self.counts[:SKETCH_SIZE], False)
        if len(self.hashes) > MAX_EXACT_DISTINCT:
            return HashCounts(self.hashes[:SKETCH_SIZE], self.counts[:SKETCH_SIZE], False)
        return self

    @property
    def n_distinct(self):
        """Number of distinct values: exact, or estimated from the sketch."""
        if self.exact:
            return len(self.hashes)
        return int(round((SKETCH_SIZE - 1) / (float(self.hashes[-1]) / 2.0**64)))

    @property
    def all_distinct(self):
        """Whether no value is seen twice (among the sketch's, past the exact size)."""
        return bool((self.counts == 1).all())


class CountedValues:
    """Sorted numbers with their counts, compressed to a quantile sketch past a size.

    Parameters
    ----------
    values : ndarray of float
        Distinct values (centroids once compressed), sorted.
    counts : ndarray of int64
        Rows of each.
    exact : bool
        Whether ``values`` are the distinct values themselves.
    """

    def __init__(self, values, counts, exact):
        self.values = values
        self.counts = counts
        self.exact = exact

    @classmethod
    def of(cls, numbers):
        """The counted values of ``numbers`` (floats, no NaN)."""
        values, counts = np.unique(numbers, return_counts=True)
        return cls(values, counts.astype(np.int64), True)._bounded()

    def merge(self, other):
        """The counted values of both sets of numbers."""
        values, counts = _merged_counts(np.concatenate([self.values, other.values]),
                                        np.concatenate([self.counts, other.counts]))
        return CountedValues(values, counts, self.exact and other.exact)._bounded()

    def _bounded(self):
        if len(self.values) <= MAX_EXACT_DISTINCT:
            return self
        total = self.counts.sum()
        middles = np.cumsum(self.counts) - self.counts / 2
        groups = np.minimum((middles / total * SKETCH_SIZE).astype(np.int64), SKETCH_SIZE - 1)
        _, starts = np.unique(groups, return_index=True)
        counts = np.add.reduceat(self.counts, starts)
        sums = np.add.reduceat(self.values * self.counts, starts)
        return CountedValues(sums / counts, counts, False)

    @property
    def total(self):
        """Number of values counted."""
        return int(self.counts.sum())

    def locate(self, numbers):
        """Index of the value (or nearest centroid) of each number."""
        if self.exact:
            return np.clip(np.searchsorted(self.values, numbers), 0, len(self.values) - 1)
        edges = (self.values[1:] + self.values[:-1]) / 2
        return np.searchsorted(edges, numbers)
