"""Partitions of a table larger than memory: reading them, map-reduce over them, and a
seeded uniform sample of their rows.

Every row gets a key, a uniform number drawn from the seed and the row's partition, so the
same rows are drawn whatever the scheduler; the rows of smallest key are a uniform sample
without replacement that partitions merge exactly (a bottom-k sample).
"""

import os

import numpy as np
import pandas as pd

from ..utils._optional import import_optional

#: Partial results combined at once by one task of a map-reduce.
SPLIT_EVERY = 8


def as_dask_frame(data):
    """Return ``data`` as a Dask DataFrame: itself, or the Parquet dataset at a path.

    Raises
    ------
    TypeError
        If ``data`` is neither.
    """
    dd = import_optional("dask.dataframe", purpose="fitting from partitions")
    if isinstance(data, (str, os.PathLike)):
        return dd.read_parquet(data)
    if isinstance(data, dd.DataFrame):
        return data
    hint = " (fit the synthesizer on it directly)" if isinstance(data, pd.DataFrame) else ""
    raise TypeError(f"data must be a dask DataFrame or the path of a Parquet dataset; got "
                    f"{type(data).__name__}{hint}.")


def map_reduce(frame, summarize, combine):
    """Summarize each partition and combine the summaries in a tree, on Dask's scheduler.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
    summarize : callable
        ``summarize(partition, index)`` returns the summary of one partition (a pandas
        DataFrame) and its position among the partitions.
    combine : callable
        ``combine(first, second)`` returns the summary of both; associative.

    Returns
    -------
    object
        The summary of the whole table.
    """
    dask = import_optional("dask", purpose="fitting from partitions")
    summaries = [dask.delayed(summarize)(part, index)
                 for index, part in enumerate(frame.to_delayed())]
    while len(summaries) > 1:
        summaries = [dask.delayed(_combine_all)(combine, *summaries[i:i + SPLIT_EVERY])
                     for i in range(0, len(summaries), SPLIT_EVERY)]
    return dask.compute(summaries[0])[0]


def _combine_all(combine, first, *others):
    for other in others:
        first = combine(first, other)
    return first


def row_keys(seed, index, n_rows):
    """The keys of the ``n_rows`` rows of partition ``index``: uniform numbers in [0, 1)."""
    return np.random.default_rng([seed, index]).random(n_rows)


def iter_partitions(frame):
    """Yield ``(index, partition)``, computing one partition at a time."""
    for index, part in enumerate(frame.to_delayed()):
        yield index, part.compute()


class RowSample:
    """The rows of smallest key: a uniform sample without replacement of at most ``size``
    rows, which two samples merge exactly (:meth:`merge`).

    Parameters
    ----------
    keys : ndarray
        Keys of the rows, sorted.
    rows : DataFrame
        The rows, in the order of their keys.
    size : int
        Most rows kept.
    """

    def __init__(self, keys, rows, size):
        self.keys = keys
        self.rows = rows
        self.size = size

    @classmethod
    def of(cls, partition, keys, size):
        """The sample of one partition whose rows have ``keys``."""
        kept = np.argsort(keys, kind="stable")[:size]
        return cls(keys[kept], partition.iloc[kept], size)

    def merge(self, other):
        """The sample of both sets of rows."""
        return RowSample.of(pd.concat([self.rows, other.rows]),
                            np.concatenate([self.keys, other.keys]), self.size)
