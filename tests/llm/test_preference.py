"""Preference training (DPO) of PredLLMSynthesizer against a frozen reference."""

import copy

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")

from skltab.llm._predllm import PredLLMSynthesizer  # noqa: E402
from skltab.llm._preference import PreferenceTask, reference_log_likelihoods  # noqa: E402

PARAMS = {"model_config": {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 300,
                           "dropout": 0.0},
          "epochs": 10, "batch_size": 32}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _table(n_rows=300, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n_rows)
    return pd.DataFrame({"x": x.round(2), "c": np.where(x + rng.normal(size=n_rows) > 0, "a", "b"),
                         "k": rng.choice(["u", "v", "w"], n_rows)})


@pytest.fixture(scope="module", params=["fields", "text"])
def fitted(request):
    return PredLLMSynthesizer(**PARAMS, row_format=request.param, random_state=0).fit(_table())


def _pairs(table, n_pairs=100):
    chosen = table[table["c"] == "a"].sample(n_pairs, replace=True, random_state=0)
    rejected = table[table["c"] == "b"].sample(n_pairs, replace=True, random_state=1)
    return chosen.reset_index(drop=True), rejected.reset_index(drop=True)


def _share_of_a(model):
    return np.mean(model.sample(1000, random_state=0)["c"] == "a")


def test_preference_training_raises_the_chosen_rows_and_leaves_the_reference(fitted):
    model, reference = copy.deepcopy(fitted), copy.deepcopy(fitted)
    frozen = [p.detach().clone() for p in reference.model_.parameters()]
    chosen, rejected = _pairs(_table())
    for _ in range(3):
        model.partial_fit_preference(chosen, rejected, reference=reference)
    assert model.n_iter_ == fitted.n_iter_ + 3 and len(model.history_) == model.n_iter_
    records = model.history_[-3:]
    assert all({"loss", "margin", "preference_accuracy"} <= set(r) for r in records)
    assert records[-1]["margin"] > records[0]["margin"] > 0
    assert records[-1]["preference_accuracy"] > 0.9
    assert _share_of_a(model) > _share_of_a(reference) + 0.15
    assert all(torch.equal(a, b) for a, b in zip(frozen, reference.model_.parameters()))


def test_the_first_step_starts_from_the_reference(fitted):
    """Against itself, every pair's log-ratio margin is 0 and its loss log 2."""
    model = copy.deepcopy(fitted).set_params(batch_size=64)
    chosen, rejected = _pairs(_table(), n_pairs=40)
    model.partial_fit_preference(chosen, rejected, reference=fitted, beta=0.5)
    record = model.history_[-1]
    assert record["loss"] == pytest.approx(np.log(2), abs=1e-5)
    assert record["margin"] == pytest.approx(0, abs=1e-4)


@torch.no_grad()
def _log_probability(model, sequence):
    ids, _, token_inputs = sequence
    inputs = {key: torch.as_tensor([values]) for key, values in (token_inputs or {}).items()}
    logits = model(input_ids=torch.as_tensor([ids]), **inputs).logits[0, :-1]
    log_probs = torch.log_softmax(logits, -1)
    return float(log_probs[torch.arange(len(ids) - 1), torch.as_tensor(ids[1:])].sum())


def test_the_loss_is_dpo_on_the_rows_log_ratios(fitted):
    model = copy.deepcopy(fitted)
    with torch.no_grad():
        for parameter in model.model_.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    columns = fitted.codec_.columns
    cells = fitted.codec_.cells(fitted.bins_.encode(_table(4, seed=1)))
    sequences = fitted._sequences(fitted._value_ids(cells),
                                  [columns, columns[::-1], columns[1:] + columns[:1], columns])
    chosen, rejected = sequences[:2], sequences[2:]
    reference = reference_log_likelihoods(fitted.model_, chosen, rejected, 1, 0, "cpu")
    task = PreferenceTask(chosen, rejected, reference, 0.3, np.random.RandomState(0), 0, "cpu")
    losses, parts = task.row_losses(model.model_.eval(), np.array([0, 1]))
    for i in range(2):
        ratio = [_log_probability(model.model_, rows[i])
                 - _log_probability(fitted.model_, rows[i]) for rows in (chosen, rejected)]
        margin = ratio[0] - ratio[1]
        assert float(parts["margin"][i]) == pytest.approx(margin, abs=1e-4)
        assert float(losses[i].detach()) == pytest.approx(np.log1p(np.exp(-0.3 * margin)), abs=1e-5)


def test_bad_pairs_and_references_are_named(fitted):
    model = copy.deepcopy(fitted)
    chosen, rejected = _pairs(_table(), n_pairs=10)
    with pytest.raises(ValueError, match="beta must be a positive"):
        model.partial_fit_preference(chosen, rejected, reference=fitted, beta=0)
    with pytest.raises(ValueError, match="one row of each pair; got 10 and 9 rows"):
        model.partial_fit_preference(chosen, rejected.iloc[:9], reference=fitted)
    with pytest.raises(ValueError, match="'c'"):
        model.partial_fit_preference(chosen.assign(c="zz"), rejected, reference=fitted)
    with pytest.raises(TypeError, match="reference must be a fitted PredLLMSynthesizer"):
        model.partial_fit_preference(chosen, rejected, reference=fitted.model_)
    with pytest.raises(Exception, match="reference must be fitted"):
        model.partial_fit_preference(chosen, rejected, reference=PredLLMSynthesizer())
    other = PredLLMSynthesizer(**{**PARAMS, "epochs": 1}, random_state=0).fit(
        _table().rename(columns={"k": "kk"}))
    with pytest.raises(ValueError, match="same columns and vocabulary"):
        model.partial_fit_preference(chosen, rejected, reference=other)
    assert model.n_iter_ == fitted.n_iter_
