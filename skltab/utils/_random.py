"""Seeds for reproducible generation in blocks."""

import numpy as np

#: Rows generated from one seed. Output never depends on how rows are batched, because each
#: block of this many rows has its own seed, drawn in order from the caller's random state.
SEED_BLOCK_SIZE = 1024

_MAX_SEED = np.iinfo(np.int32).max


def draw_seed(random_state):
    """Draw one integer seed from a ``numpy.random.RandomState``."""
    return int(random_state.randint(_MAX_SEED))


def block_sizes(n_samples, block_size=SEED_BLOCK_SIZE):
    """Split ``n_samples`` rows into consecutive blocks of at most ``block_size`` rows."""
    full, rest = divmod(n_samples, block_size)
    return [block_size] * full + ([rest] if rest else [])


def block_spans(n_samples, block_size=SEED_BLOCK_SIZE):
    """``(start, size)`` of each block of :func:`block_sizes`."""
    return list(zip(range(0, n_samples, block_size), block_sizes(n_samples, block_size)))
