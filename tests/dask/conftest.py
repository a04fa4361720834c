"""A real Dask cluster for the tests that distribute work."""

import pytest


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two one-thread workers in this process, and its client."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client
