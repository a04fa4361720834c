"""``skltab.dask.local_cluster``: one-thread worker processes without Dask's malloc trim."""

import os

import pytest

import skltab.dask

distributed = pytest.importorskip("distributed")


def _worker_environment():
    import torch

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"), \
        torch.get_num_threads()


def test_workers_are_one_thread_processes_without_the_malloc_trim():
    with skltab.dask.local_cluster(2) as cluster, distributed.Client(cluster) as client:
        environments = client.run(_worker_environment)
        pids = client.run(os.getpid)
    assert len(environments) == 2 and os.getpid() not in pids.values()
    assert set(environments.values()) == {(None, "1", 1)}


@pytest.mark.parametrize("n_workers", [0, 1.5, "2"])
def test_a_bad_number_of_workers_is_refused_before_a_process_starts(n_workers):
    with pytest.raises((ValueError, TypeError), match="n_workers"):
        skltab.dask.local_cluster(n_workers)
