"""Settings shared by every test."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """Gradient boosting on the tests' tiny tables runs fastest on one thread, and OpenMP
    threads that wait for a busy core make it many times slower on a shared CI machine."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
