"""The shared training engine: weights over a whole call, steps, schedules and callbacks."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skltab._nn._callbacks import ValidationLoss, WeightAverage  # noqa: E402
from skltab._nn._early_stopping import EarlyStopping  # noqa: E402
from skltab._nn._loop import Callback, LoopSettings, TrainingLoop, TrainingTask  # noqa: E402
from skltab._nn._optimizer import continued_adamw  # noqa: E402
from skltab._nn._schedules import Schedule  # noqa: E402
from skltab._nn._weights import row_weights  # noqa: E402


class _Regression(TrainingTask):
    """Squared error of a linear model on fixed rows, batches in the rows' order."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def epoch_batches(self, n_rows, batch_size):
        return list(torch.arange(n_rows).split(batch_size))

    def row_losses(self, model, batch):
        errors = (model(self.x[batch]).squeeze(1) - self.y[batch]) ** 2
        return errors, {"absolute": errors.detach().sqrt()}


class _Parameters(Callback):
    """The model's weights after every step."""

    def __init__(self):
        self.steps = []

    def on_step_end(self, loop):
        self.steps.append(loop.model.weight.detach().clone().ravel())


def _model():
    torch.manual_seed(0)
    return torch.nn.Linear(2, 1, bias=False)


def _train(x, y, sample_weight, batch_size=64, epochs=1, accumulation=1, callbacks=()):
    """Train a fresh linear model by SGD; return it."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    kept, weights = row_weights(sample_weight, len(x))
    settings = LoopSettings(epochs, batch_size, 0.1, Schedule("constant"), None, accumulation)
    loop = TrainingLoop(model, optimizer, _Regression(x[kept], y[kept]), callbacks)
    loop.history = loop.run(torch.as_tensor(weights, dtype=torch.float32), settings)
    return model, loop


def _rows(n_rows=4, seed=0):
    rng = np.random.RandomState(seed)
    x = torch.as_tensor(rng.normal(size=(n_rows, 2)), dtype=torch.float32)
    return x, x @ torch.tensor([1.5, -2.0]) + 0.3


def test_weight_two_counts_like_the_row_twice_and_weight_zero_like_no_row():
    x, y = _rows()
    weighted, _ = _train(x, y, [2.0, 1.0, 1.0, 0.0])
    duplicated, _ = _train(x[[0, 0, 1, 2]], y[[0, 0, 1, 2]], None)
    assert torch.allclose(weighted.weight, duplicated.weight, atol=1e-6)
    scaled, _ = _train(x, y, [8.0, 4.0, 4.0, 0.0])
    assert torch.equal(weighted.weight, scaled.weight)


def test_a_light_batch_takes_a_light_step():
    # Weights count against the whole call: the batch of a row of weight 1e-3 moves the
    # model about a thousand times less than the batch of a row of weight 1.
    x, y = _rows(2)
    trace = _Parameters()
    start = _model().weight.detach().ravel()
    _train(x, y, [1.0, 1e-3], batch_size=1, callbacks=[trace])
    heavy = (trace.steps[0] - start).norm()
    light = (trace.steps[1] - trace.steps[0]).norm()
    assert light < heavy * 0.01


def test_gradient_accumulation_equals_one_larger_batch():
    x, y = _rows(8)
    weights = [1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 1.0, 0.5]
    accumulated, _ = _train(x, y, weights, batch_size=2, accumulation=4)
    whole, _ = _train(x, y, weights, batch_size=8)
    assert torch.allclose(accumulated.weight, whole.weight, atol=1e-6)


def test_history_holds_the_weighted_mean_loss_of_each_epoch():
    x, y = _rows(6)
    weights = np.array([1.0, 2.0, 1.0, 1.0, 0.5, 0.5])
    model = _model()
    with torch.no_grad():
        errors = ((model(x).squeeze(1) - y) ** 2).numpy()
    _, loop = _train(x, y, weights, batch_size=6, epochs=3)
    assert [record["epoch"] for record in loop.history] == [1, 2, 3]
    assert loop.history[0]["loss"] == pytest.approx(np.average(errors, weights=weights))
    assert loop.history[0]["absolute"] == pytest.approx(
        np.average(np.sqrt(errors), weights=weights))
    assert loop.history[-1]["loss"] < loop.history[0]["loss"]
    assert loop.n_updates == 3


def test_a_non_finite_loss_stops_before_changing_the_model():
    x, y = _rows()
    y[1] = float("nan")
    model = _model()
    before = model.weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loop = TrainingLoop(model, optimizer, _Regression(x, y), [])
    settings = LoopSettings(1, 4, 0.1, Schedule("constant"))
    with pytest.raises(FloatingPointError, match="after 0 optimizer steps"):
        loop.run(torch.ones(4), settings)
    assert torch.equal(model.weight, before)


@pytest.mark.parametrize("shape, last", [("cosine", 0.0), ("linear", 0.0), ("constant", 1.0)])
def test_schedules_warm_up_then_follow_their_shape(shape, last):
    schedule = Schedule(shape, warmup_steps=4)
    rates = [schedule.rate(1.0, step, 104) for step in range(105)]
    assert rates[:4] == [0.25, 0.5, 0.75, 1.0]
    assert rates[104] == pytest.approx(last)
    assert all(a >= b for a, b in zip(rates[4:], rates[5:]))
    if shape == "cosine":
        assert rates[54] == pytest.approx(0.5)
    if shape == "linear":
        assert rates[54] == pytest.approx(0.5)


def test_an_unknown_schedule_is_named():
    with pytest.raises(ValueError, match="'step'"):
        Schedule("step")


def test_weights_are_checked_and_scaled_to_a_mean_of_one():
    kept, weights = row_weights([0.0, 2.0, 6.0], 3)
    assert list(kept) == [1, 2] and list(weights) == [0.5, 1.5]
    with pytest.raises(ValueError, match="non-zero"):
        row_weights([0.0, 0.0], 2)
    with pytest.raises(ValueError, match="Negative"):
        row_weights([1.0, -1.0], 2)


def test_callbacks_validate_average_and_stop():
    x, y = _rows(6)
    model = _model()
    average = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0])
    states = []
    monitor = EarlyStopping(2, 8, lambda: model.weight.detach().clone(),
                            lambda state: states.append(state))
    callbacks = [WeightAverage(average, 0.9), ValidationLoss(lambda: next(losses), 1),
                 monitor]
    history = TrainingLoop(model, optimizer, _Regression(x, y), callbacks).run(
        torch.ones(6), LoopSettings(8, 6, 0.1, Schedule("constant")))
    # the loss stopped improving at epoch 2: two more epochs, then the state of epoch 2
    assert [r["validation_loss"] for r in history] == [3.0, 2.0, 2.5, 2.6]
    assert monitor.reason == "n_iter_no_change" and monitor.best_epoch == 2 and len(states) == 1
    # the average moved from its start towards the weights, with the warm-up's decay
    assert not torch.equal(average.weight, _model().weight)


def test_validation_runs_every_few_epochs_and_after_the_last():
    x, y = _rows()
    calls = []
    callback = ValidationLoss(lambda: calls.append(1) or float(len(calls)), 2)
    history = TrainingLoop(_model(), torch.optim.SGD(_model().parameters(), lr=0.1),
                           _Regression(x, y), [callback]).run(
        torch.ones(4), LoopSettings(5, 4, 0.1, Schedule("constant")))
    assert [r["epoch"] for r in history if "validation_loss" in r] == [2, 4, 5]


def test_weight_average_follows_its_formula():
    model, average = _model(), _model()
    with torch.no_grad():
        model.weight.fill_(1.0)
        average.weight.fill_(0.0)

    class _Loop:
        pass

    loop = _Loop()
    loop.model, loop.n_updates = model, 1
    callback = WeightAverage(average, 0.99)
    callback.on_train_begin(loop)
    callback.on_step_end(loop)
    decay = min(0.99, 2 / 11)
    assert torch.allclose(average.weight, torch.full_like(average.weight, 1 - decay))


def test_the_optimizer_continues_when_the_parameters_match():
    model = _model()
    first = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(3, 2)).sum().backward()
    first.step()
    copy = _model()
    continued = continued_adamw(copy.parameters(), 0.1, 0.0, first)
    state = continued.state_dict()["state"][0]
    assert torch.equal(state["exp_avg"], first.state_dict()["state"][0]["exp_avg"])
    fresh = continued_adamw(torch.nn.Linear(3, 1).parameters(), 0.1, 0.0, first)
    assert fresh.state_dict()["state"] == {}
    assert not math.isnan(continued.param_groups[0]["lr"])


def test_the_optimizer_uses_the_fused_kernel_and_steps_like_the_plain_one():
    fused_model, plain_model = _model(), _model()
    plain_model.load_state_dict(fused_model.state_dict())
    fused = continued_adamw(fused_model.parameters(), 0.1, 0.01)
    plain = torch.optim.AdamW(plain_model.parameters(), lr=0.1, weight_decay=0.01)
    assert fused.param_groups[0]["fused"] and not plain.param_groups[0]["fused"]
    for model, optimizer in ((fused_model, fused), (plain_model, plain)):
        for _ in range(3):
            optimizer.zero_grad()
            model(torch.ones(3, 2)).sum().backward()
            optimizer.step()
    for fused_parameter, plain_parameter in zip(fused_model.parameters(),
                                                plain_model.parameters()):
        assert torch.allclose(fused_parameter, plain_parameter, atol=1e-6)
