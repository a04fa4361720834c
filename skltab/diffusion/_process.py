"""The hybrid diffusion process: corruption, training loss, variational bound and sampling.

Numeric cells are noised by the Gaussian diffusion of :mod:`._schedules` and the denoiser
predicts the noise; categorical cells (discrete columns and missing-value indicators) are
masked and the denoiser predicts the original code of masked cells. Both use the same time
``t`` per row.

A cell may also be *known*: a numeric cell given by a condition, or missing (its indicator
says so), is fed clean with a flag; a known categorical cell is simply never masked. In
training, a fraction of rows reveal a random subset of their cells, so the denoiser learns
to complete rows from any subset of known cells: this is how ``sample(conditions=...)`` and
``impute`` inpaint.

Random numbers are drawn from a CPU ``torch.Generator`` and moved to the model's device, so a
seed gives the same draws on every device.
"""

from typing import NamedTuple

import torch
import torch.nn.functional as F

from ._schedules import (
    alpha_sigma,
    log_snr_slope,
    mask_probability,
    stratified_times,
    time_grid,
    unmask_probability,
)

#: Share of training rows that reveal a random subset of their cells (conditional training).
REVEAL_RATE = 0.5
#: Predicted clean numeric values are clipped to this range (the quantile-normal transform
#: maps the real values into about [-5.2, 5.2]).
CLIP = 6.0
#: Rows per forward pass of the denoiser when sampling on a CPU: a layer's activations for
#: this many rows stay in a core's cache (about a quarter faster than 4,096 rows at once).
CPU_FORWARD_ROWS = 1024
#: Negative log-probability given to a category never seen in the real table, in the bound.
_UNSEEN_NLL = 27.631  # -log(1e-12), as IndependentSynthesizer's floor


class Rows(NamedTuple):
    """Model-space rows as tensors on the model's device (see ``ModelRows``)."""

    numeric: torch.Tensor
    present: torch.Tensor
    codes: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor

    def __len__(self):
        return len(self.codes)

    def take(self, index):
        """The rows at ``index``."""
        return Rows(*(tensor[index] for tensor in self))


class Known(NamedTuple):
    """Which cells of the rows to sample are fixed, and to what (see ``HybridDiffusion``).

    Attributes
    ----------
    rows : Rows
        Values of the fixed cells (other cells are ignored).
    numeric : Tensor of shape (n_rows, n_numeric), bool
        Numeric cells with a fixed present value.
    codes : Tensor of shape (n_rows, n_categorical), bool
        Categorical cells with a fixed code.
    forbid_missing : Tensor of shape (n_rows, n_categorical), bool
        Cells that may not take their column's missing state (imputation).
    """

    rows: Rows
    numeric: torch.Tensor
    codes: torch.Tensor
    forbid_missing: torch.Tensor


class HybridDiffusion:
    """Gaussian diffusion on numeric cells and masked diffusion on categorical cells.

    Parameters
    ----------
    n_numeric : int
        Numeric columns of model space.
    cardinalities : list of int
        Codes of each categorical column of model space.
    indicator_of : list of int
        For the last ``len(indicator_of)`` categorical columns (missing indicators), the
        numeric column each belongs to.
    missing_codes : list of int or None
        Missing state of each categorical column, None where it has none.
    device : str
        Device of the model.
    """

    def __init__(self, n_numeric, cardinalities, indicator_of, missing_codes, device):
        self.n_numeric = n_numeric
        self.cardinalities = list(cardinalities)
        self.n_categorical = len(cardinalities)
        self.n_columns = n_numeric + self.n_categorical
        self.device = device
        self.mask_codes = torch.tensor(cardinalities, dtype=torch.long, device=device)
        first = self.n_categorical - len(indicator_of)
        self.indicator_columns = torch.arange(first, self.n_categorical, device=device)
        self.indicator_numeric = torch.tensor(indicator_of, dtype=torch.long, device=device)
        self.missing_codes = missing_codes

    # -- random numbers, drawn on the CPU ---------------------------------------------------
    def _rand(self, shape, generator, shared=False):
        """Uniforms of ``shape`` (rows first); with ``shared``, one row of them for every
        row, so that a row's draws do not depend on the other rows."""
        if shared:
            return torch.rand((1, *shape[1:]), generator=generator).expand(shape).to(self.device)
        return torch.rand(shape, generator=generator).to(self.device)

    def _randn(self, shape, generator, shared=False):
        """Standard normals, as :meth:`_rand`."""
        if shared:
            return torch.randn((1, *shape[1:]), generator=generator).expand(shape).to(
                self.device)
        return torch.randn(shape, generator=generator).to(self.device)

    # -- corruption ----------------------------------------------------------------------
    def _missing_known(self, present, codes):
        """Numeric cells known to be missing: their indicator is unmasked and says 1."""
        known = torch.zeros_like(present)
        indicators = codes[:, self.indicator_columns]
        known[:, self.indicator_numeric] = indicators == 1
        return known

    def _input(self, numeric, known, noisy):
        """What the denoiser reads for numeric cells: known values clean, others noisy."""
        return torch.where(known, numeric, noisy), known.float()

    def corrupt(self, rows, t, generator, reveal_rate=0.0, shared=False):
        """Noise and mask the rows at times ``t``.

        Returns the denoiser's inputs (numeric values, their known flags, codes), the noise,
        the numeric cells the loss covers and the masked categorical cells. A code of -1 (a
        category never seen in fit) is fed as masked and is not a masked cell. With
        ``shared``, every row gets the same random draws.
        """
        n = len(rows)
        noise = self._randn((n, self.n_numeric), generator, shared)
        alpha, sigma = (value[:, None] for value in alpha_sigma(t))
        clean = self._dequantized(rows, generator, shared)
        noisy = alpha * clean + sigma * noise
        revealed = self._revealed(n, reveal_rate, generator, shared)
        masked = (self._rand((n, self.n_categorical), generator, shared)
                  < mask_probability(t)[:, None])
        masked[:, self.indicator_columns] &= ~revealed[:, self.indicator_numeric]
        hidden = masked | (rows.codes < 0)
        codes = torch.where(hidden, self.mask_codes.expand(n, -1), rows.codes)
        known = (revealed & rows.present) | self._missing_known(rows.present, codes)
        numeric, flags = self._input(rows.numeric, known, noisy)
        return numeric, flags, codes, noise, rows.present & ~known, masked & (rows.codes >= 0)

    def _dequantized(self, rows, generator, shared=False):
        """Clean numeric values: each drawn uniformly in its interval of probability (so a
        tied value is spread over its share of the normal), missing cells from N(0, 1)."""
        uniform = self._rand(rows.low.shape, generator, shared)
        clean = torch.special.ndtri(rows.low + (rows.high - rows.low) * uniform)
        filler = self._randn(rows.low.shape, generator, shared)
        return torch.where(rows.present, clean, filler)

    def _revealed(self, n, reveal_rate, generator, shared=False):
        """Numeric cells revealed for conditional training: in a share of rows, a random
        subset (with their missing-value indicators; categorical cells need no reveal, the
        masking already leaves any subset visible)."""
        rows = self._rand((n, 1), generator, shared) < reveal_rate
        share = self._rand((n, 1), generator, shared)
        return rows & (self._rand((n, self.n_numeric), generator, shared) < share)

    # -- losses ----------------------------------------------------------------------------
    def _categorical_nll(self, model, hidden, codes, masked):
        """Negative log-likelihood of every masked cell (0 elsewhere), column by column."""
        if not self.n_categorical:
            return torch.zeros(masked.shape, device=self.device)
        # Every row's logits, then the masked cells kept: a few large operations train
        # faster than gathering each column's masked rows (and scattering their gradients).
        nll = torch.stack([
            F.cross_entropy(model.logits(hidden, k), codes[:, k].clamp(min=0),
                            reduction="none")
            for k in range(self.n_categorical)], dim=1)
        return torch.where(masked, nll, torch.zeros_like(nll))

    def training_loss(self, model, rows, generator, categorical_weight):
        """Training loss of each row, and its two parts.

        Per row: the squared error of the predicted noise summed over the noisy present
        numeric cells, plus ``categorical_weight`` times the mean cross-entropy of the masked
        categorical cells times the number of categorical columns; divided by the number of
        columns. (The mean over masked cells is the masked-diffusion weighting ``1 / t``,
        with the number of masked cells in place of its expectation.)

        Returns
        -------
        losses : Tensor of shape (n_rows,)
        parts : dict
            ``numeric_loss`` and ``categorical_loss`` of each row, divided by the number of
            columns.
        """
        t = stratified_times(len(rows), generator).to(self.device)
        numeric, flags, codes, noise, targets, masked = self.corrupt(
            rows, t, generator, REVEAL_RATE
        )
        hidden = model.features(numeric, flags, codes, t)
        squared = (model.predict_noise(hidden) - noise) ** 2
        numeric_loss = torch.where(targets, squared, torch.zeros_like(squared)).sum(1)
        nll = self._categorical_nll(model, hidden, rows.codes, masked)
        n_masked = masked.sum(1)
        categorical_loss = nll.sum(1) / n_masked.clamp(min=1) * self.n_categorical
        total = (numeric_loss + categorical_weight * categorical_loss) / self.n_columns
        parts = {"numeric_loss": numeric_loss.detach() / self.n_columns,
                 "categorical_loss": categorical_loss.detach() / self.n_columns}
        return total, parts

    def variational_bound(self, model, rows, generator, n_times):
        """Monte-Carlo estimate of the diffusion loss bound of each row, in nats.

        The masked-diffusion bound ``E_t[(1/t) sum of masked cross-entropies]`` of the
        categorical cells, plus the continuous-time Gaussian diffusion term
        ``E_t[-lambda'(t) / 2 * sum of squared noise errors]`` of the present numeric cells,
        averaged over ``n_times`` stratified times per row. A category never seen in fit
        adds ``-log(1e-12)``. Every row gets the same times and draws (common random
        numbers), so a row's estimate depends on the row and ``generator`` alone.
        """
        total = torch.zeros(len(rows), device=self.device)
        offsets = torch.rand(1, generator=generator).expand(len(rows))
        for i in range(n_times):
            t = ((i + offsets) / n_times).clamp(min=1e-4).to(self.device)
            numeric, flags, codes, noise, targets, masked = self.corrupt(rows, t, generator,
                                                                         shared=True)
            hidden = model.features(numeric, flags, codes, t)
            squared = (model.predict_noise(hidden) - noise) ** 2
            numeric_term = torch.where(targets, squared, torch.zeros_like(squared)).sum(1)
            nll = self._categorical_nll(model, hidden, rows.codes, masked).sum(1)
            total += 0.5 * log_snr_slope(t) * numeric_term + nll / mask_probability(t)
        return total / n_times + _UNSEEN_NLL * (rows.codes < 0).sum(1)

    # -- sampling --------------------------------------------------------------------------
    def sample(self, model, known, *, n_steps, temperature, unmasking, generator):
        """Draw rows, keeping the known cells; return quantile-normal values and codes.

        Numeric cells follow ancestral sampling of the Gaussian reverse process from ``t = 1``
        to 0 in ``n_steps`` steps; at each step, every masked categorical cell is revealed
        with the schedule's probability ``(t - s) / t`` (``unmasking="random"``), or as many
        cells are revealed, the most confident first (``unmasking="confidence"``), with
        values drawn from the denoiser's distribution at ``temperature``.
        """
        n = len(known.rows)
        values = torch.where(known.rows.present, known.rows.numeric,
                             torch.zeros_like(known.rows.numeric))
        codes = torch.where(known.codes, known.rows.codes, self.mask_codes.expand(n, -1))
        x = self._randn((n, self.n_numeric), generator)
        grid = time_grid(n_steps)
        for t, s in zip(grid[:-1].tolist(), grid[1:].tolist()):
            fixed = known.numeric | self._missing_known(known.rows.present, codes)
            numeric, flags = self._input(values, fixed, x)
            times = torch.full((1,), t, device=self.device)
            hidden = self._features(model, numeric, flags, codes, times)
            x = self._numeric_step(x, model.predict_noise(hidden), t, s, generator)
            codes = self._categorical_step(model, hidden, codes, known.forbid_missing, t, s,
                                           temperature, unmasking, generator)
        return torch.where(known.numeric, values, x), codes

    def _features(self, model, numeric, flags, codes, times):
        """The denoiser's hidden states, :data:`CPU_FORWARD_ROWS` rows at a time on a CPU."""
        if torch.device(self.device).type != "cpu" or len(codes) <= CPU_FORWARD_ROWS:
            return model.features(numeric, flags, codes, times)
        chunks = zip(numeric.split(CPU_FORWARD_ROWS), flags.split(CPU_FORWARD_ROWS),
                     codes.split(CPU_FORWARD_ROWS))
        return torch.cat([model.features(*chunk, times) for chunk in chunks])

    def _numeric_step(self, x, noise, t, s, generator):
        """One step of the Gaussian reverse process from ``t`` to ``s`` (DDPM posterior)."""
        alpha_t, sigma_t = (float(v) for v in alpha_sigma(torch.tensor(t, dtype=torch.float64)))
        clean = ((x - sigma_t * noise) / alpha_t).clamp(-CLIP, CLIP)
        if s == 0:
            return clean
        alpha_s, sigma_s = (float(v) for v in alpha_sigma(torch.tensor(s, dtype=torch.float64)))
        alpha_ts = alpha_t / alpha_s
        variance_ts = sigma_t**2 - alpha_ts**2 * sigma_s**2
        mean = (alpha_ts * sigma_s**2 * x + alpha_s * variance_ts * clean) / sigma_t**2
        std = (variance_ts * sigma_s**2 / sigma_t**2) ** 0.5
        return mean + std * self._randn(x.shape, generator)

    def _categorical_step(self, model, hidden, codes, forbid, t, s, temperature, unmasking,
                          generator):
        masked = codes == self.mask_codes
        chosen = self._rand(masked.shape, generator) < unmask_probability(t, s)
        chosen &= masked
        if unmasking == "confidence":
            chosen = self._most_confident(model, hidden, masked, chosen.sum(1), temperature,
                                          forbid)
        codes = codes.clone()
        for k in range(self.n_categorical):
            rows = chosen[:, k].nonzero(as_tuple=True)[0]
            if len(rows):
                probabilities = self._probabilities(model, hidden, k, rows, temperature, forbid)
                codes[rows, k] = self._draw(probabilities, generator)
        return codes

    def _probabilities(self, model, hidden, k, rows, temperature, forbid):
        logits = model.logits(hidden, k, rows).float() / temperature
        missing = self.missing_codes[k]
        if missing is not None:
            blocked = forbid[rows, k]
            logits[:, missing] = torch.where(blocked, float("-inf"), logits[:, missing])
        return torch.softmax(logits, dim=1)

    def _draw(self, probabilities, generator):
        """One code per row by inverting the distribution function at a uniform draw."""
        uniform = self._rand((len(probabilities), 1), generator)
        cumulative = probabilities.cumsum(1)
        drawn = torch.searchsorted(cumulative, uniform * cumulative[:, -1:]).squeeze(1)
        return drawn.clamp(max=probabilities.shape[1] - 1)

    def _most_confident(self, model, hidden, masked, counts, temperature, forbid):
        """Among masked cells, the ``counts[i]`` of row ``i`` whose most likely code is the
        most probable."""
        confidence = torch.full(masked.shape, float("-inf"), device=self.device)
        for k in range(self.n_categorical):
            rows = masked[:, k].nonzero(as_tuple=True)[0]
            if len(rows):
                top = self._probabilities(model, hidden, k, rows, temperature, forbid).max(1)
                confidence[rows, k] = top.values
        order = confidence.argsort(dim=1, descending=True).argsort(dim=1)
        return masked & (order < counts[:, None])
