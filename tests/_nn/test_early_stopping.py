"""Early stopping: the validation split, patience, privacy checks and the state kept."""

import logging

import numpy as np
import pytest

from skltab._nn._early_stopping import MIN_VALIDATION_ROWS, EarlyStopping, split_rows


class _Model:
    """A stand-in for a torch model's state: one number, copied by snapshot and restore."""

    def __init__(self):
        self.state = 0

    def snapshot(self):
        return self.state

    def restore(self, state):
        self.state = state


def _run(losses, patience, max_epochs=100, checks=None):
    """Feed ``losses`` epoch by epoch (the model's state is its epoch); return the monitor,
    the epochs run and the model."""
    model = _Model()
    results = iter(checks or [])
    check = None if checks is None else (lambda: next(results))
    monitor = EarlyStopping(patience, max_epochs, model.snapshot, model.restore, check)
    for epoch, loss in enumerate(losses, start=1):
        model.state = epoch
        if monitor.update({"epoch": epoch, "validation_loss": loss}):
            break
    monitor.finish()
    return monitor, epoch, model


def test_split_rows_holds_out_a_seeded_share_and_never_overlaps():
    train, validation = split_rows(200, 0.1, True, seed=3)
    assert len(validation) == 20 and len(train) == 180
    assert not set(train) & set(validation) and set(train) | set(validation) == set(range(200))
    again = split_rows(200, 0.1, True, seed=3)[1]
    other = split_rows(200, 0.1, True, seed=4)[1]
    assert np.array_equal(validation, again) and not np.array_equal(validation, other)


def test_split_rows_does_not_split_without_early_stopping_or_enough_rows(caplog):
    assert split_rows(200, 0.1, False, seed=0)[1] is None
    n_rows = 10 * MIN_VALIDATION_ROWS - 10
    with caplog.at_level(logging.INFO, logger="skltab._nn._early_stopping"):
        train, validation = split_rows(n_rows, 0.1, True, seed=0)
    assert validation is None and len(train) == n_rows
    assert "fewer than 10 validation rows" in caplog.text


def test_split_rows_rejects_a_split_that_leaves_no_training_row():
    with pytest.raises(ValueError, match="validation_fraction=0.999 of 100 rows leaves none"):
        split_rows(100, 0.999, True, seed=0)


def test_patience_stops_and_keeps_the_best_state():
    monitor, epochs, model = _run([5, 4, 3, 3.5, 3.6, 3.7, 1], patience=3)
    assert (monitor.reason, epochs, monitor.best_epoch, model.state) == (
        "n_iter_no_change", 6, 3, 3)


def test_a_loss_within_the_tolerance_of_the_best_keeps_the_later_state():
    monitor, _, model = _run([5, 3, 3.01, 4, 4, 4], patience=3)
    assert monitor.best_epoch == 3 and model.state == 3


def test_the_budget_stops_training_with_its_own_reason():
    monitor, epochs, model = _run([5, 4, 3, 2], patience=3, max_epochs=4)
    assert (monitor.reason, epochs, model.state) == ("max_epochs", 4, 4)


def test_a_failed_privacy_check_keeps_the_best_state_of_the_last_passing_check():
    # max_epochs=20: a check every 2 epochs; the check at epoch 4 fails.
    checks = [({"too_close_rate": 0.05}, True), ({"too_close_rate": 0.5}, False)]
    monitor, epochs, model = _run([5, 4, 3, 2, 1], patience=3, max_epochs=20, checks=checks)
    assert (monitor.reason, epochs, monitor.best_epoch, model.state) == ("privacy", 4, 2, 2)


def test_a_first_failed_check_keeps_the_best_state_and_warns(caplog):
    checks = [({"too_close_rate": 0.5}, False)]
    with caplog.at_level(logging.WARNING, logger="skltab._nn._early_stopping"):
        monitor, epochs, model = _run([5, 4, 3], patience=3, max_epochs=20, checks=checks)
    assert (monitor.reason, epochs, model.state) == ("privacy", 2, 2)
    assert "first privacy check already failed" in caplog.text


def test_the_check_scores_go_into_the_epoch_record():
    model = _Model()
    monitor = EarlyStopping(3, 1, model.snapshot, model.restore,
                            lambda: ({"too_close_rate": 0.04}, True))
    record = {"epoch": 1, "validation_loss": 1.0}
    assert monitor.update(record)
    assert record == {"epoch": 1, "validation_loss": 1.0, "too_close_rate": 0.04}
