"""Train an incremental synthesizer by streaming partitions through ``partial_fit``.

The budget is the one ``fit`` would give the whole table, in optimizer steps, not rounded
up to whole epochs (one epoch of millions of rows is many times the automatic budget);
partitions come in a seeded random order, one ``partial_fit``
call each (at the constant ``learning_rate``), until the budget is spent. Validation rows
are the rows of smallest key (never trained on); after each partition their ``score``
decides early stopping, and the best state is kept.
"""

import copy
import logging

import numpy as np

from .._nn._early_stopping import MIN_VALIDATION_ROWS, VALIDATION_TOLERANCE
from ._partitions import row_keys

logger = logging.getLogger(__name__)

#: Most validation rows (the diffusion's validation loss repeats rows up to 1,024 draws).
MAX_VALIDATION_ROWS = 2048


def stream_fit(synthesizer, frame, sample, seed):
    """Fit ``synthesizer`` (whose ``metadata`` is set) on the partitions of ``frame``.

    Parameters
    ----------
    synthesizer : IncrementalMixin
        An unfitted incremental synthesizer; fitted in place.
    frame : dask.dataframe.DataFrame
        The table.
    sample : RowSample
        The rows of smallest key (``seed``) of ``frame``, in key order.
    seed : int
        Seed of the row keys.
    """
    lengths = frame.map_partitions(len).compute().to_numpy()
    n_rows = int(lengths.sum())
    n_validation = _n_validation(synthesizer, n_rows, len(sample.rows))
    validation = sample.rows.iloc[:n_validation]
    threshold = sample.keys[n_validation - 1] if n_validation else -1.0
    synthesizer.partial_fit(sample.rows.iloc[n_validation:])
    _check_streamable(synthesizer)
    n_train = n_rows - n_validation
    budget = synthesizer._n_steps(n_train, len(synthesizer.modelled_columns_))
    patience = synthesizer._patience(n_train) * synthesizer._steps_per_epoch(n_train)
    monitor = _BestState(synthesizer, patience)
    monitor.update(validation)
    order = np.random.RandomState(seed)
    parts = frame.to_delayed()
    while synthesizer.n_updates_ < budget and not monitor.stale:
        for index in order.permutation(len(parts)):
            rows = _training_rows(parts[index].compute(), row_keys(seed, index, lengths[index]),
                                  threshold)
            room = (budget - synthesizer.n_updates_) * synthesizer.batch_size
            if len(rows) > room:
                rows = rows.iloc[np.sort(order.permutation(len(rows))[:room])]
            if len(rows):
                synthesizer.partial_fit(rows)
                synthesizer.history_[-1]["partition"] = int(index)
                monitor.update(validation)
            if synthesizer.n_updates_ >= budget or monitor.stale:
                break
    monitor.finish(seed)


def _n_validation(synthesizer, n_rows, sample_size):
    if not getattr(synthesizer, "early_stopping", False):
        return 0
    n_validation = min(round(synthesizer.validation_fraction * n_rows), MAX_VALIDATION_ROWS,
                       sample_size // 2)
    return n_validation if n_validation >= MIN_VALIDATION_ROWS else 0


def _check_streamable(synthesizer):
    text = synthesizer.metadata_.columns_of_kind("text")
    if text:
        raise TypeError(f"{type(synthesizer).__name__} cannot be fitted from partitions on "
                        f"free-text columns {text}: their values are learned from the rows "
                        "given first. Set their kind to 'categorical' with their categories "
                        "in the metadata, or drop them.")


def _training_rows(partition, keys, threshold):
    """The rows of a partition that are not validation rows."""
    return partition.iloc[np.flatnonzero(keys > threshold)]


class _BestState:
    """Early stopping on the validation rows' ``score`` after each partition."""

    def __init__(self, synthesizer, patience):
        self.synthesizer = synthesizer
        self.patience = patience
        self.best_score, self.best_state, self.best_step = -np.inf, None, 0
        self.stale = False

    def update(self, validation):
        if not len(validation):
            return
        synthesizer = self.synthesizer
        score = synthesizer.score(validation)
        synthesizer.history_[-1]["validation_score"] = score
        self.best_score = max(self.best_score, score)
        if score >= self.best_score - VALIDATION_TOLERANCE * abs(self.best_score):
            self.best_step = synthesizer.n_updates_
            self.best_state = (copy.deepcopy(synthesizer.model_.state_dict()),
                               copy.deepcopy(synthesizer.ema_model_.state_dict()),
                               synthesizer.n_iter_)
        self.stale = synthesizer.n_updates_ - self.best_step >= self.patience

    def finish(self, seed):
        synthesizer = self.synthesizer
        synthesizer.stopping_reason_ = "n_iter_no_change" if self.stale else "max_epochs"
        if self.best_state is None:
            return
        model, average, epoch = self.best_state
        synthesizer.model_.load_state_dict(model)
        synthesizer.ema_model_.load_state_dict(average)
        synthesizer.best_epoch_ = epoch
        synthesizer._fit_matcher(seed)
