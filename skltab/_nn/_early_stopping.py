"""Early stopping of the neural synthesizers: a held-out split of the training rows, patience
on their loss, privacy checks of sampled rows, and the best state kept.
"""

import logging
import math

import numpy as np

from ._loop import Callback

logger = logging.getLogger(__name__)

#: Fewest validation rows early stopping holds out; smaller tables train on every row.
MIN_VALIDATION_ROWS = 10
#: A validation loss within this share of the best one counts as no worse: on a plateau the
#: latest state is kept (its weights are further refined) rather than the first.
VALIDATION_TOLERANCE = 0.01
#: Privacy checks spread over the epoch budget (plus one when training stops).
N_PRIVACY_CHECKS = 10
#: Why training stopped (``stopping_reason_``).
REASONS = ("n_iter_no_change", "max_epochs", "privacy")


def split_rows(n_rows, validation_fraction, early_stopping, seed):
    """Indices of the training rows and of the validation rows (None: no split).

    Early stopping holds out ``round(validation_fraction * n_rows)`` rows drawn with
    ``seed``; a table where that is fewer than ``MIN_VALIDATION_ROWS`` rows is not split.

    Raises
    ------
    ValueError
        If the validation rows would leave no training row.
    """
    n_validation = round(validation_fraction * n_rows)
    if not early_stopping:
        return np.arange(n_rows), None
    if n_validation < MIN_VALIDATION_ROWS:
        logger.info("No early stopping: validation_fraction=%s of %d rows is fewer than %d "
                    "validation rows; training on every row.", validation_fraction, n_rows,
                    MIN_VALIDATION_ROWS)
        return np.arange(n_rows), None
    if n_validation >= n_rows:
        raise ValueError(f"early_stopping needs rows to train on: validation_fraction="
                         f"{validation_fraction} of {n_rows} rows leaves none.")
    order = np.random.RandomState(seed).permutation(n_rows)
    return np.sort(order[n_validation:]), np.sort(order[:n_validation])


class EarlyStopping(Callback):
    """Decide after each epoch whether training stops, and which state it keeps.

    After each evaluated epoch, a validation loss within ``VALIDATION_TOLERANCE`` of the best
    one so far saves the model's state; ``n_iter_no_change`` epochs without such a loss stop
    training, and the latest saved state is kept. Epochs need not all be evaluated: the
    epochs are read from the records. Every ``check_every`` epochs, and when training is
    about to stop, a privacy check samples rows from the current model: if they
    sit markedly closer to the training rows than held-out rows do, training stops and the
    best state as of the last passing check is kept (a state from before a passing check is
    assumed no closer to the training rows than the checked one).

    Parameters
    ----------
    n_iter_no_change : int
        Epochs since the last validation loss within the tolerance of the best before
        stopping.
    max_epochs : int
        Epochs of the budget.
    snapshot : callable
        ``snapshot()`` returns a copy of the model's state.
    restore : callable
        ``restore(state)`` puts a copy back.
    privacy_check : callable or None
        ``privacy_check()`` returns ``(scores, passed)`` (see ``PrivacyGuard.check``); None
        checks the validation loss only.

    Attributes
    ----------
    reason : str or None
        Why training stopped, one of ``REASONS``.
    best_epoch : int or None
        Epoch (as numbered in the history) of the state kept.
    """

    def __init__(self, n_iter_no_change, max_epochs, snapshot, restore, privacy_check=None):
        self.n_iter_no_change = n_iter_no_change
        self.max_epochs = max_epochs
        self.snapshot = snapshot
        self.restore = restore
        self.privacy_check = privacy_check
        self.check_every = max(1, math.ceil(max_epochs / N_PRIVACY_CHECKS))
        self.reason, self.best_epoch = None, None
        self._best_loss, self._best_state, self._improved = math.inf, None, 0
        self._safe = None
        self._next_check = self.check_every

    def on_epoch_end(self, loop, record):
        if "validation_loss" in record and self.update(record):
            loop.stop_training = True

    def on_train_end(self, loop):
        self.finish()

    def update(self, record):
        """Read an evaluated epoch's ``record`` (its ``epoch``, counted from 1, and
        ``validation_loss``; the check's scores are added to it); return whether training
        stops."""
        epoch, loss = record["epoch"], record["validation_loss"]
        self._best_loss = min(self._best_loss, loss)
        if loss <= self._best_loss + VALIDATION_TOLERANCE * abs(self._best_loss):
            self._improved = epoch
            self._best_state, self.best_epoch = self.snapshot(), epoch
        stale = epoch - self._improved >= self.n_iter_no_change
        stopping = stale or epoch >= self.max_epochs
        if self.privacy_check is not None and (stopping or epoch >= self._next_check):
            self._next_check = epoch + self.check_every
            scores, passed = self.privacy_check()
            record.update(scores)
            if not passed:
                logger.info("Stopping after epoch %d: sampled rows are too close to the "
                            "training rows (%s).", record["epoch"], scores)
                self.reason = "privacy"
                return True
            self._safe = (self._best_state, self.best_epoch)
        if stopping:
            self.reason = "n_iter_no_change" if stale else "max_epochs"
        return stopping

    def finish(self):
        """Put back the state kept; return its epoch."""
        if self.reason == "privacy":
            if self._safe is None:
                logger.warning("The first privacy check already failed; the best state "
                               "before it is kept.")
            else:
                self._best_state, self.best_epoch = self._safe
        if self._best_state is not None:
            self.restore(self._best_state)
        return self.best_epoch
