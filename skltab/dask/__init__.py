"""Dask: sampling and searching on a cluster.

:func:`sample` returns a ``dask.dataframe.DataFrame`` of the rows of ``synthesizer.sample``,
whose partitions (seed blocks) are computed on the workers. Searches over synthesizers
(``GridSearchCV``, ``cross_validate``) run on a cluster through joblib's Dask backend; see
the user guide. Needs the ``dask`` extra (``pip install "skltab[dask]"``); importing this
module does not import Dask.
"""

from ._sampling import sample

__all__ = [
    "sample",
]
