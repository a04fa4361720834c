"""Callbacks of the training loop: the weight average, validation losses and progress."""

import logging

from ..utils._progress import progress_bar
from ._loop import Callback

logger = logging.getLogger(__name__)


class WeightAverage(Callback):
    """Exponential moving average (EMA) of a model's weights, kept in another module.

    After each optimizer step, ``average = decay * average + (1 - decay) * weights``, with the
    usual warm-up ``decay = min(decay, (1 + n) / (10 + n))`` after ``n`` steps in all.

    Parameters
    ----------
    average : torch.nn.Module
        A module of the same architecture as the trained model, updated in place.
    decay : float
        Decay of the average (0 copies the weights).
    """

    def __init__(self, average, decay):
        self.average = average
        self.decay = decay

    def on_train_begin(self, loop):
        self._pairs = list(self.average.parameters()), list(loop.model.parameters())

    def on_step_end(self, loop):
        import torch

        decay = min(self.decay, (1 + loop.n_updates) / (10 + loop.n_updates))
        with torch.no_grad():
            torch._foreach_lerp_(*self._pairs, 1.0 - decay)


class ValidationLoss(Callback):
    """Record the loss of validation rows every few epochs and after the last one.

    Parameters
    ----------
    loss : callable
        ``loss()`` returns the validation loss of the model as it is now (the callable puts
        the model in the mode it needs; training resumes in training mode).
    every : int
        Epochs between two validation losses.
    """

    def __init__(self, loss, every):
        self.loss = loss
        self.every = every

    def on_epoch_end(self, loop, record):
        if loop.epoch % self.every == 0 or loop.epoch == loop.n_epochs:
            record["validation_loss"] = self.loss()


class ProgressReport(Callback):
    """A progress bar over the epochs (``verbose >= 1``) and a log line per epoch
    (``verbose >= 2``, logger ``skltab._nn._callbacks``).

    Parameters
    ----------
    verbose : int
        0 silent, 1 a progress bar, 2 also a log line per epoch.
    description : str
        Label of the bar.
    """

    def __init__(self, verbose, description):
        self.verbose = verbose
        self.description = description
        self._bar = None

    def on_train_begin(self, loop):
        self._bar = progress_bar(loop.n_epochs, self.verbose, self.description)

    def on_epoch_end(self, loop, record):
        self._bar.update(1)
        self._bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
        if self.verbose >= 2:
            logger.info("epoch %d: %s", record["epoch"], ", ".join(
                f"{name}={value:.4g}" for name, value in record.items() if name != "epoch"))

    def on_train_end(self, loop):
        self._bar.close()
