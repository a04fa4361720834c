"""The training loop: AdamW steps on weighted rows, with a learning-rate schedule, gradient
clipping, an exponential moving average (EMA) of the weights, a guard against non-finite
losses, optional early stopping on validation rows (``skltab.utils._early_stopping``), a
progress bar and a history.
"""

import logging
import math
import time
from dataclasses import dataclass

import torch

from ..utils._progress import progress_bar

logger = logging.getLogger(__name__)

#: Warm-up of the learning rate: a linear ramp over this share of the steps (at most 100).
_WARMUP_SHARE = 0.05
_MAX_WARMUP_STEPS = 100
#: Rows per forward pass when evaluating validation rows.
_EVALUATION_BATCH = 4096


@dataclass
class TrainingSettings:
    """How to run a number of epochs.

    Attributes
    ----------
    epochs : int
        Passes over the rows.
    batch_size : int
        Rows per step (fewer when the table is smaller).
    learning_rate : float
        Peak learning rate.
    schedule : {"cosine", "constant", "none"}
        ``"cosine"``: linear warm-up then cosine decay to 0 over the run; ``"constant"``:
        warm-up then constant; ``"none"``: constant without warm-up (continued training).
    max_grad_norm : float or None
        Gradients are clipped to this norm; None leaves them.
    ema_decay : float
        Decay of the EMA of the weights (0 copies the weights).
    categorical_weight : float
        Weight of the categorical term of the loss.
    """

    epochs: int
    batch_size: int
    learning_rate: float
    schedule: str
    max_grad_norm: float
    ema_decay: float
    categorical_weight: float


class Trainer:
    """Train a denoiser and its EMA copy in place.

    Parameters
    ----------
    process : HybridDiffusion
        Defines the loss.
    model : torch.nn.Module
        The denoiser, trained in place.
    ema_model : torch.nn.Module
        Its exponential moving average, updated in place; it samples.
    optimizer : torch.optim.Optimizer
        AdamW over ``model``'s parameters (its state carries over between runs).
    n_updates : int
        Optimizer steps taken before (for the EMA warm-up).
    verbose : int
        0 silent, 1 a progress bar, 2 also a log line per epoch.
    """

    def __init__(self, process, model, ema_model, optimizer, n_updates, verbose):
        self.process = process
        self.model = model
        self.ema_model = ema_model
        self.optimizer = optimizer
        self.n_updates = n_updates
        self.verbose = verbose

    def run(self, rows, weights, settings, generator, validation=None, first_epoch=0,
            monitor=None, validation_every=1):
        """Train for ``settings.epochs`` epochs, or until ``monitor`` (an ``EarlyStopping``
        fed with the loss of the ``validation`` rows, every ``validation_every`` epochs and
        after the last) stops it and puts back the state it keeps; return one history dict
        per epoch."""
        batch_size = min(settings.batch_size, len(rows))
        steps_per_epoch = math.ceil(len(rows) / batch_size)
        total_steps = settings.epochs * steps_per_epoch
        history = []
        with progress_bar(settings.epochs, self.verbose, "MaskedDiffusionSynthesizer.fit") as bar:
            for epoch in range(settings.epochs):
                start = time.perf_counter()
                record = self._epoch(rows, weights, settings, generator, batch_size,
                                     epoch * steps_per_epoch, total_steps)
                record = {"epoch": first_epoch + epoch + 1, **record}
                stop = False
                last = epoch + 1 == settings.epochs
                if validation is not None and ((epoch + 1) % validation_every == 0 or last):
                    record["validation_loss"] = self.validation_loss(validation, settings)
                    stop = monitor is not None and monitor.update(record)
                record["seconds"] = time.perf_counter() - start
                history.append(record)
                self._report(record, bar)
                if stop:
                    break
        if monitor is not None:
            monitor.finish()
        return history

    def _epoch(self, rows, weights, settings, generator, batch_size, step, total_steps):
        self.model.train()
        order = torch.randperm(len(rows), generator=generator).to(weights.device)
        sums = {"loss": 0.0, "numeric_loss": 0.0, "categorical_loss": 0.0}
        total_weight = 0.0
        for batch in order.split(batch_size):
            learning_rate = self._learning_rate(settings, step, total_steps)
            loss, parts = self._step(rows.take(batch), weights[batch], settings, generator,
                                     learning_rate)
            weight = float(weights[batch].sum())
            sums["loss"] += loss * weight
            for name, value in parts.items():
                sums[name] += value * weight
            total_weight += weight
            step += 1
        return {**{name: value / total_weight for name, value in sums.items()},
                "learning_rate": learning_rate}

    def _step(self, batch, weights, settings, generator, learning_rate):
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        loss, parts = self.process.training_loss(
            self.model, batch, weights, generator, settings.categorical_weight
        )
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(
                f"The training loss became {value} after {self.n_updates} optimizer steps. "
                "Lower learning_rate, set max_grad_norm, or check the table for extreme "
                "values; the model was not changed by this step."
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if settings.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), settings.max_grad_norm)
        self.optimizer.step()
        self.n_updates += 1
        self._update_ema(settings.ema_decay)
        return value, parts

    @staticmethod
    def _learning_rate(settings, step, total_steps):
        if settings.schedule == "none":
            return settings.learning_rate
        warmup = min(_MAX_WARMUP_STEPS, max(1, int(_WARMUP_SHARE * total_steps)))
        if step < warmup:
            return settings.learning_rate * (step + 1) / warmup
        if settings.schedule == "constant":
            return settings.learning_rate
        progress = (step - warmup) / max(1, total_steps - warmup)
        return settings.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))

    @torch.no_grad()
    def _update_ema(self, decay):
        """EMA of the weights, with the usual warm-up ``min(decay, (1 + n) / (10 + n))``."""
        decay = min(decay, (1 + self.n_updates) / (10 + self.n_updates))
        for average, current in zip(self.ema_model.parameters(), self.model.parameters()):
            average.lerp_(current, 1.0 - decay)

    @torch.no_grad()
    def validation_loss(self, validation, settings):
        """Training loss of the EMA model on the validation rows, with fixed noise."""
        rows, weights, seed = validation
        generator = torch.Generator().manual_seed(seed)
        self.ema_model.eval()
        total, weight = 0.0, 0.0
        for index in torch.arange(len(rows)).split(_EVALUATION_BATCH):
            index = index.to(weights.device)
            loss, _ = self.process.training_loss(
                self.ema_model, rows.take(index), weights[index], generator,
                settings.categorical_weight,
            )
            batch_weight = float(weights[index].sum())
            total += float(loss) * batch_weight
            weight += batch_weight
        return total / weight

    def _report(self, record, bar):
        bar.update(1)
        bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
        if self.verbose >= 2:
            logger.info("epoch %d: %s", record["epoch"], ", ".join(
                f"{k}={v:.4g}" for k, v in record.items() if k != "epoch"
            ))
