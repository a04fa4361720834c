"""Dask: sampling, searching and fitting on a cluster, for tables larger than memory.

:func:`sample` returns a ``dask.dataframe.DataFrame`` of the rows of ``synthesizer.sample``,
whose partitions (seed blocks) are computed on the workers. Searches over synthesizers
(``GridSearchCV``, ``cross_validate``) run on a cluster through joblib's Dask backend; see
the user guide. :func:`fit` fits a synthesizer on a Dask DataFrame or a Parquet dataset
larger than memory, and :func:`infer_metadata` infers its metadata, both by map-reduce over
the partitions. :func:`local_cluster` starts a local cluster whose workers sample at full
speed. Needs the ``dask`` extra (``pip install "skltab[dask]"``; reading Parquet
needs the ``parquet`` extra too); importing this module does not import Dask.
"""

from ._cluster import local_cluster
from ._fit import fit, infer_metadata
from ._sampling import sample

__all__ = [
    "fit",
    "infer_metadata",
    "local_cluster",
    "sample",
]
