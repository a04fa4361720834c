"""The training loop: AdamW steps on weighted rows, epoch after epoch, with callbacks."""

import math
import time
from dataclasses import dataclass

from ._schedules import Schedule


@dataclass
class LoopSettings:
    """How to run a number of epochs.

    Attributes
    ----------
    epochs : int
        Most passes over the rows (a callback may stop sooner).
    batch_size : int
        Rows per forward pass (fewer when the call has fewer rows).
    learning_rate : float
        Peak learning rate.
    schedule : Schedule
        The learning rate of each optimizer step.
    max_grad_norm : float or None
        Gradients are clipped to this norm; None leaves them.
    accumulation_steps : int
        Forward passes (batches) per optimizer step.
    """

    epochs: int
    batch_size: int
    learning_rate: float
    schedule: Schedule
    max_grad_norm: float = None
    accumulation_steps: int = 1

    def steps_per_epoch(self, n_rows):
        """Optimizer steps of one pass over ``n_rows`` rows."""
        return steps_per_epoch(n_rows, self.batch_size, self.accumulation_steps)


def steps_per_epoch(n_rows, batch_size, accumulation_steps=1):
    """Optimizer steps of one pass over ``n_rows`` rows in batches of ``batch_size`` rows
    (fewer when there are fewer rows), ``accumulation_steps`` batches per step."""
    batches = math.ceil(n_rows / min(batch_size, n_rows))
    return math.ceil(batches / accumulation_steps)


class TrainingTask:
    """What a model family supplies to the loop: its batches and the loss of each row.

    Subclasses implement :meth:`epoch_batches` and :meth:`row_losses`, and may add fields
    to each epoch's record with :meth:`epoch_record`.
    """

    def epoch_batches(self, n_rows, batch_size):
        """Indices (into the call's rows) of each batch of the next epoch, in order."""
        raise NotImplementedError

    def row_losses(self, model, batch):
        """The loss of each row of ``batch`` (a tensor of shape (len(batch),)), and a dict
        of other per-row quantities whose weighted mean the epoch's record shows."""
        raise NotImplementedError

    def epoch_record(self):
        """Fields that the task adds to the record of the epoch just run."""
        return {}


class Callback:
    """Hooks into the loop; each does nothing by default.

    A callback stops training by setting ``loop.stop_training`` to True.
    """

    def on_train_begin(self, loop):
        """Before the first epoch."""

    def on_step_end(self, loop):
        """After each optimizer step (``loop.n_updates`` counts it)."""

    def on_epoch_end(self, loop, record):
        """After each epoch, with its record (which the callback may add fields to)."""

    def on_train_end(self, loop):
        """After the last epoch, when training ends without an error."""


class TrainingLoop:
    """Train ``model`` in place on weighted rows.

    Parameters
    ----------
    model : torch.nn.Module
        The model; its parameters with ``requires_grad`` train.
    optimizer : torch.optim.Optimizer
        Bound to those parameters. Its state is the caller's: it carries over between runs.
    task : TrainingTask
        Batches and per-row losses.
    callbacks : list of Callback
        Called in order.
    n_updates : int, default=0
        Optimizer steps taken before this run (for the callbacks, such as a weight
        average's warm-up).

    Attributes
    ----------
    n_updates : int
        Optimizer steps taken, this run's included.
    epoch : int
        Epochs run in this run so far.
    n_epochs : int
        Epochs of the run.
    stop_training : bool
        Set by a callback to stop after the current epoch.
    """

    def __init__(self, model, optimizer, task, callbacks, n_updates=0):
        self.model = model
        self.optimizer = optimizer
        self.task = task
        self.callbacks = list(callbacks)
        self.n_updates = n_updates
        self.epoch, self.n_epochs, self.stop_training = 0, 0, False
        self._parameters = list(model.parameters())

    def run(self, weights, settings, first_epoch=0):
        """Run up to ``settings.epochs`` epochs over rows of weights ``weights`` (a tensor
        of mean 1, see :func:`~skltab._nn._weights.row_weights`); return one record per
        epoch, numbered from ``first_epoch + 1``."""
        n_rows = len(weights)
        batch_size = min(settings.batch_size, n_rows)
        total_steps = settings.epochs * settings.steps_per_epoch(n_rows)
        self.n_epochs, step, history = settings.epochs, 0, []
        self._call("on_train_begin")
        for self.epoch in range(1, settings.epochs + 1):
            start = time.perf_counter()
            self.model.train()
            batches = self.task.epoch_batches(n_rows, batch_size)
            sums = _WeightedSums()
            for group in range(0, len(batches), settings.accumulation_steps):
                rate = settings.schedule.rate(settings.learning_rate, step, total_steps)
                self._step(batches[group : group + settings.accumulation_steps], weights,
                           rate, settings.max_grad_norm, sums)
                step += 1
            record = {"epoch": first_epoch + self.epoch, **sums.means(),
                      "learning_rate": rate, **self.task.epoch_record(),
                      "seconds": time.perf_counter() - start}
            self._call("on_epoch_end", record)
            history.append(record)
            if self.stop_training:
                break
        self._call("on_train_end")
        self.model.eval()
        return history

    def _step(self, batches, weights, rate, max_grad_norm, sums):
        """One optimizer step over a group of batches, each row's loss counting by its
        weight over the group's rows."""
        import torch

        for group in self.optimizer.param_groups:
            group["lr"] = rate
        self.optimizer.zero_grad(set_to_none=True)
        n_rows = sum(len(batch) for batch in batches)
        for batch in batches:
            losses, parts = self.task.row_losses(self.model, batch)
            batch_weights = weights[batch]
            loss = (batch_weights * losses).sum()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"The training loss became {value} after {self.n_updates} optimizer "
                    "steps. Lower learning_rate, set max_grad_norm, or check the table for "
                    "extreme values; the model was not changed by this step."
                )
            (loss / n_rows).backward()
            sums.add(batch_weights, losses, parts)
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self._parameters, max_grad_norm)
        self.optimizer.step()
        self.n_updates += 1
        self._call("on_step_end")

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)


class _WeightedSums:
    """Weighted means over an epoch's rows of the loss and the task's per-row quantities."""

    def __init__(self):
        self.weight, self.totals = 0.0, {}

    def add(self, weights, losses, parts):
        self.weight += float(weights.sum())
        for name, values in {"loss": losses, **parts}.items():
            total = float((weights * values.detach()).sum())
            self.totals[name] = self.totals.get(name, 0.0) + total

    def means(self):
        return {name: total / self.weight for name, total in self.totals.items()}
