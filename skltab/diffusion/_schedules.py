"""Noise and masking schedules of the hybrid diffusion, in continuous time ``t`` in [0, 1].

Numeric cells follow a variance-preserving Gaussian diffusion with the cosine schedule,
written through its log signal-to-noise ratio ``lambda(t) = -2 log tan(a t + b)``, truncated
to ``[LOG_SNR_MIN, LOG_SNR_MAX]`` so that both ends stay finite. Categorical cells follow an
absorbing-state (masked) diffusion: at time ``t`` each cell is masked with probability ``t``.
"""

import math

import torch

#: Log signal-to-noise ratio at t = 0 (almost clean data) and t = 1 (almost pure noise).
LOG_SNR_MAX = 10.0
LOG_SNR_MIN = -10.0
_B = math.atan(math.exp(-LOG_SNR_MAX / 2))
_A = math.atan(math.exp(-LOG_SNR_MIN / 2)) - _B
#: Smallest time drawn in training, where the masking weight ``1 / t`` would blow up.
T_MIN = 1e-3


def log_snr(t):
    """Log signal-to-noise ratio of the cosine schedule at times ``t``."""
    return -2.0 * torch.log(torch.tan(_A * t + _B))


def log_snr_slope(t):
    """``-d lambda / dt``, the weight of the Gaussian term of the variational bound."""
    return 4.0 * _A / torch.sin(2.0 * (_A * t + _B))


def alpha_sigma(t):
    """Signal and noise scales: ``x_t = alpha x_0 + sigma eps`` with ``alpha^2 + sigma^2 = 1``."""
    snr = log_snr(t)
    return torch.sigmoid(snr).sqrt(), torch.sigmoid(-snr).sqrt()


def mask_probability(t):
    """Probability that a categorical cell is masked at time ``t`` (the linear schedule)."""
    return t


def unmask_probability(t, s):
    """Probability that a cell masked at time ``t`` is revealed by time ``s < t``."""
    return (t - s) / t


def time_grid(n_steps):
    """``n_steps + 1`` times from 1 down to 0, evenly spaced, for sampling."""
    return torch.linspace(1.0, 0.0, n_steps + 1, dtype=torch.float64)


def stratified_times(n, generator):
    """``n`` times in [T_MIN, 1], one in each of ``n`` equal strata (a shared uniform offset).

    Low-discrepancy times lower the variance of a batch's loss, as in variational diffusion
    models; the rows of a batch are in random order, so which row gets which time is random.
    """
    offset = torch.rand(1, generator=generator)
    t = torch.remainder(offset + torch.arange(n) / n, 1.0)
    return T_MIN + (1.0 - T_MIN) * t
