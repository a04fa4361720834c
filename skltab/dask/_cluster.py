"""A local Dask cluster whose workers sample at full speed."""

import numbers

from sklearn.utils import check_scalar

from ..utils._optional import import_optional

#: Dask's default environment for worker processes sets this (to return freed memory to the
#: system sooner); glibc then stops raising its mmap threshold, so every large temporary
#: array (torch's tensors, numpy's) is mapped and zero-filled afresh: the diffusion's and
#: FastGen's workers sampled 1.6 to 2 times slower (docs/benchmarks.md).
_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def local_cluster(n_workers):
    """Start a ``distributed.LocalCluster`` of one-thread worker processes for skltab.

    Each worker is a process with one thread (Dask sets ``OMP_NUM_THREADS=1`` in it, so torch
    runs on one thread and the processes do not fight for the cores), started without the
    ``MALLOC_TRIM_THRESHOLD_`` that Dask sets in its workers by default, which slows
    sampling down (see the user guide). ``skltab sample --workers N`` starts this cluster.

    Parameters
    ----------
    n_workers : int
        Number of worker processes, usually the number of cores (or of GPUs).

    Returns
    -------
    cluster : distributed.LocalCluster
        The running cluster; close it, or use it as a context manager, and connect a
        ``distributed.Client`` to it.

    Examples
    --------
    >>> import skltab.dask
    >>> from distributed import Client
    >>> with skltab.dask.local_cluster(2) as cluster, Client(cluster):  # doctest: +SKIP
    ...     rows = skltab.dask.sample(synthesizer, 10_000_000, random_state=0)
    ...     rows.to_parquet("synthetic/")
    """
    check_scalar(n_workers, "n_workers", numbers.Integral, min_val=1)
    dask = import_optional("dask", purpose="skltab.dask.local_cluster")
    distributed = import_optional("distributed", purpose="skltab.dask.local_cluster")
    with dask.config.set({_MALLOC_TRIM: None}):
        return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                        dashboard_address=None)
