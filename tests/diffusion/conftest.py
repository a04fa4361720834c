"""Shared settings of the diffusion tests: one torch thread and tiny, fast models."""

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """One intra-op thread: the tests' models are tiny, and torch's threads slow down many
    times over when other processes share the cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def fast():
    """Parameters of a tiny model that trains in a fraction of a second."""
    return {"hidden_dim": 32, "n_layers": 1, "embedding_dim": 8, "n_heads": 2, "epochs": 3,
            "batch_size": 64, "n_sampling_steps": 5, "quantile_matching": True}
