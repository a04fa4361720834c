"""MaskedDiffusionSynthesizer: learning, conditions, imputation, scoring, training controls,
continued training and persistence."""

import io
import logging
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from skltab.diffusion import MaskedDiffusionSynthesizer


def _related_table(n=400, seed=0):
    """A category that sets a number's mean, and a second number that doubles the first."""
    rng = np.random.RandomState(seed)
    group = rng.choice(["a", "b", "c"], n)
    x = np.select([group == "a", group == "b"], [-3.0, 0.0], 3.0) + rng.normal(0, 0.3, n)
    return pd.DataFrame({"group": group, "x": np.round(x, 3),
                         "z": np.round(2 * x + rng.normal(0, 0.1, n), 3)})


@pytest.fixture(scope="module")
def trained():
    """A small model trained long enough (about 1,000 steps) to learn ``_related_table``."""
    torch.set_num_threads(1)
    real = _related_table()
    synthesizer = MaskedDiffusionSynthesizer(
        hidden_dim=64, n_layers=2, epochs=250, batch_size=100, n_sampling_steps=20,
        random_state=0,
    )
    return synthesizer.fit(real), real


def test_import_does_not_load_torch():
    code = "import sys, skltab.diffusion; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_learns_the_relations_between_columns(trained):
    synthesizer, real = trained
    synthetic = synthesizer.sample(600, random_state=0)
    means = synthetic.groupby("group")["x"].mean()
    assert means["a"] < -2 and abs(means["b"]) < 1 and means["c"] > 2
    assert np.corrcoef(synthetic["x"], synthetic["z"])[0, 1] > 0.95
    shares = synthetic["group"].value_counts(normalize=True)
    assert (abs(shares - real["group"].value_counts(normalize=True)) < 0.1).all()


def test_conditions_on_a_categorical_column_inpaint_the_others(trained):
    synthesizer, _ = trained
    for group, centre in (("a", -3.0), ("c", 3.0)):
        rows = synthesizer.sample(200, conditions={"group": group}, random_state=1)
        assert (rows["group"] == group).all()
        assert abs(rows["x"].mean() - centre) < 0.5
        assert abs(rows["z"].mean() - 2 * centre) < 1.0


def test_conditions_on_a_numeric_column_inpaint_the_others(trained):
    synthesizer, _ = trained
    for value, group in ((-3.0, "a"), (3.0, "c")):
        rows = synthesizer.sample(200, conditions={"x": value}, random_state=1)
        assert (rows["x"] == value).all()
        assert (rows["group"] == group).mean() > 0.8
        assert abs(rows["z"].mean() - 2 * value) < 1.0


def test_row_wise_conditions_on_both_kinds(trained):
    synthesizer, _ = trained
    conditions = pd.DataFrame({"group": ["a", "c"] * 50, "z": [-6.0, 6.0] * 50})
    rows = synthesizer.sample(100, conditions=conditions, random_state=2)
    assert rows["group"].tolist() == conditions["group"].tolist()
    assert rows["z"].tolist() == conditions["z"].tolist()
    assert rows.loc[rows["group"] == "a", "x"].mean() < -2
    assert rows.loc[rows["group"] == "c", "x"].mean() > 2


def test_impute_fills_missing_cells_from_the_rest_of_the_row(trained):
    synthesizer, real = trained
    incomplete = real.head(60).copy()
    incomplete.loc[:29, "x"] = np.nan
    incomplete.loc[30:, "group"] = np.nan
    completed = synthesizer.impute(incomplete, random_state=0)
    assert completed.notna().all().all()
    kept = incomplete.notna()
    pd.testing.assert_frame_equal(completed[kept], incomplete[kept].astype(completed.dtypes))
    x_error = np.abs(completed["x"].head(30) - real["x"].head(30))
    assert x_error.median() < 0.5
    assert (completed["group"].tail(30) == real["group"].iloc[30:60]).mean() > 0.7
    again = synthesizer.impute(incomplete, random_state=0)
    pd.testing.assert_frame_equal(again, completed)


def test_impute_fills_columns_that_had_no_missing_values_and_keeps_dtypes(trained):
    synthesizer, real = trained
    incomplete = real.head(5).astype({"x": float}).copy()
    incomplete.loc[2, "z"] = np.nan
    completed = synthesizer.impute(incomplete, random_state=0)
    assert completed.dtypes.equals(real.dtypes)
    assert np.isfinite(completed.loc[2, "z"])


def test_impute_fills_a_column_missing_in_every_row(trained):
    synthesizer, real = trained
    for column, missing in (("x", np.nan), ("group", None), ("group", np.nan)):
        incomplete = real.head(60).copy()
        incomplete[column] = missing
        completed = synthesizer.impute(incomplete, random_state=0)
        assert completed.dtypes.equals(real.dtypes)
        if column == "x":
            assert np.abs(completed["x"] - real["x"].head(60)).median() < 0.5
        else:
            assert (completed["group"] == real["group"].head(60)).mean() > 0.8


def test_impute_fills_a_target_missing_in_every_row(trained):
    _, real = trained
    X, y = real.drop(columns="group"), real["group"]
    synthesizer = MaskedDiffusionSynthesizer(
        hidden_dim=64, n_layers=2, epochs=250, batch_size=100, n_sampling_steps=20,
        random_state=0,
    ).fit(X, y)
    completed_X, completed_y = synthesizer.impute(
        X.head(60), pd.Series([None] * 60, name="group"), random_state=0)
    pd.testing.assert_frame_equal(completed_X, X.head(60))
    assert (completed_y.to_numpy() == y.head(60).to_numpy()).mean() > 0.8
    with pytest.raises(ValueError, match="'x' of X is entirely missing"):
        synthesizer.score(X.head(60).assign(x=np.nan), y.head(60))


def test_impute_never_writes_the_missing_state():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"g": np.where(rng.uniform(size=200) < 0.6, None,
                                       rng.choice(["u", "v"], 200)).astype(object),
                         "x": rng.normal(size=200)})
    synthesizer = MaskedDiffusionSynthesizer(hidden_dim=32, epochs=5, n_sampling_steps=5,
                                             random_state=0).fit(real)
    completed = synthesizer.impute(real, random_state=0)
    assert completed["g"].notna().all()
    assert synthesizer.sample(500, random_state=0)["g"].isna().mean() > 0.3


def test_impute_only_the_asked_columns_keeps_other_missing_values():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"g": rng.choice(["u", "v"], 200), "x": rng.normal(size=200)})
    real.loc[real["g"] == "u", "x"] = np.nan
    synthesizer = MaskedDiffusionSynthesizer(hidden_dim=32, epochs=5, n_sampling_steps=5,
                                             random_state=0).fit(real)
    gaps = real.head(20).astype({"g": object})
    gaps.loc[:9, "g"] = None
    completed = synthesizer.impute(gaps, columns=["g"], random_state=0)
    assert completed["g"].notna().all()
    assert completed["x"].isna().equals(gaps["x"].isna())
    assert synthesizer.impute(gaps, random_state=0)["x"].notna().all()
    with pytest.raises(ValueError, match="'colour'"):
        synthesizer.impute(gaps, columns=["colour"])


def test_missing_values_keep_their_rate_and_their_relation():
    rng = np.random.RandomState(0)
    n = 500
    group = rng.choice(["often", "never"], n)
    x = rng.normal(size=n)
    x[(group == "often") & (rng.uniform(size=n) < 0.6)] = np.nan
    real = pd.DataFrame({"group": group, "x": x})
    synthesizer = MaskedDiffusionSynthesizer(hidden_dim=64, epochs=100, batch_size=100,
                                             early_stopping=False, n_sampling_steps=10,
                                             random_state=0).fit(real)
    synthetic = synthesizer.sample(1000, random_state=0)
    missing = synthetic["x"].isna().groupby(synthetic["group"]).mean()
    assert abs(synthetic["x"].isna().mean() - real["x"].isna().mean()) < 0.08
    assert missing["often"] > 0.4 and missing["never"] < 0.1


def test_integer_bounded_and_skewed_columns_keep_their_shape():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"count": rng.poisson(2, 600), "share": rng.beta(0.5, 3, 600).round(4),
                         "amount": rng.lognormal(3, 1, 600).round(2)})
    synthesizer = MaskedDiffusionSynthesizer(hidden_dim=64, epochs=100, batch_size=100,
                                             early_stopping=False, n_sampling_steps=50,
                                             random_state=0).fit(real)
    synthetic = synthesizer.sample(2000, random_state=0)
    assert synthetic.dtypes.equals(real.dtypes)
    assert synthetic["count"].between(real["count"].min(), real["count"].max()).all()
    assert synthetic["share"].between(0, 1).all()
    for column in real.columns:
        for q in (0.1, 0.5, 0.9):
            real_q, synthetic_q = real[column].quantile(q), synthetic[column].quantile(q)
            assert abs(real_q - synthetic_q) <= 0.15 * real[column].std() + 1e-9, (column, q)


def test_quantile_matching_corrects_the_numeric_marginals():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"amount": rng.lognormal(0, 1.2, 500), "g": rng.choice(["u", "v"], 500)})
    params = {"hidden_dim": 32, "epochs": 10, "batch_size": 100, "n_sampling_steps": 10,
              "random_state": 0}
    matched = MaskedDiffusionSynthesizer(**params, quantile_matching=True).fit(real)
    plain = MaskedDiffusionSynthesizer(**params).fit(real)
    assert plain.matcher_ is None and matched.matcher_ is not None

    def gap(synthesizer):
        values = np.sort(synthesizer.sample(500, random_state=0)["amount"])
        return np.abs(np.quantile(values, np.linspace(0.05, 0.95, 19))
                      - np.quantile(real["amount"], np.linspace(0.05, 0.95, 19))).mean()

    assert gap(matched) < gap(plain)


def test_score_is_a_deterministic_bound_that_prefers_real_rows(trained):
    synthesizer, real = trained
    score = synthesizer.score(real)
    assert score == synthesizer.score(real)
    shuffled = real.assign(x=np.random.RandomState(0).permutation(real["x"].to_numpy()))
    assert score > synthesizer.score(shuffled) + 1.0
    untrained = MaskedDiffusionSynthesizer(hidden_dim=64, n_layers=2, epochs=1,
                                           random_state=0).fit(real)
    assert score > untrained.score(real)


def test_score_handles_unseen_categories(trained):
    synthesizer, real = trained
    unseen = real.head(10).assign(group="zzz")
    assert synthesizer.score(unseen) < synthesizer.score(real.head(10))


def _sample_with(synthesizer, n_samples, **params):
    """Sample from the fitted model with other generation settings, then restore them."""
    previous = {name: getattr(synthesizer, name) for name in params}
    synthesizer.set_params(**params)
    try:
        return synthesizer.sample(n_samples, random_state=0)
    finally:
        synthesizer.set_params(**previous)


def test_temperature_sharpens_or_flattens_the_categories(fast):
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"g": rng.choice(["u", "v", "w"], 300, p=[0.8, 0.15, 0.05]),
                         "x": rng.normal(size=300)})
    synthesizer = MaskedDiffusionSynthesizer(**{**fast, "epochs": 30}, early_stopping=False,
                                             random_state=0)
    synthesizer.fit(real)

    def shares(temperature):
        rows = _sample_with(synthesizer, 1000, temperature=temperature)
        return rows["g"].value_counts(normalize=True).reindex(["u", "v", "w"], fill_value=0)

    assert shares(0.05)["u"] > 0.95
    assert 0.65 < shares(1.0)["u"] < 0.95
    assert shares(100.0).min() > 0.25


def test_confidence_unmasking_keeps_the_relations(trained):
    synthesizer, _ = trained
    rows = _sample_with(synthesizer, 600, unmasking="confidence")
    means = rows.groupby("group")["x"].mean()
    assert means["a"] < -2 and means["c"] > 2


@pytest.mark.parametrize("denoiser", ["mlp", "resnet", "transformer"])
def test_every_denoiser_lowers_the_loss(denoiser):
    real = _related_table(200)
    synthesizer = MaskedDiffusionSynthesizer(
        denoiser=denoiser, hidden_dim=32, embedding_dim=16, n_layers=2, epochs=60,
        batch_size=50, n_sampling_steps=5, quantile_matching=False, random_state=0,
    ).fit(real)
    losses = [record["loss"] for record in synthesizer.history_]
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:5])
    assert synthesizer.sample(50).shape == (50, 3)


def test_history_and_learning_rate_schedule(fast):
    synthesizer = MaskedDiffusionSynthesizer(**{**fast, "epochs": 6}, early_stopping=False,
                                             random_state=0)
    synthesizer.fit(_related_table(128))
    history = synthesizer.history_
    assert [record["epoch"] for record in history] == list(range(1, 7))
    assert synthesizer.n_iter_ == 6 and synthesizer.n_updates_ == 6 * 2
    assert set(history[0]) == {"epoch", "loss", "numeric_loss", "categorical_loss",
                               "learning_rate", "seconds"}
    rates = [record["learning_rate"] for record in history]
    assert rates[-1] < rates[1] and rates == sorted(rates, reverse=True)
    constant = clone(synthesizer).set_params(lr_schedule="constant").fit(_related_table(128))
    assert constant.history_[-1]["learning_rate"] == constant.learning_rate


def test_auto_epochs_follow_the_size_of_the_table():
    synthesizer = MaskedDiffusionSynthesizer(batch_size=256)
    # 0.3 steps per cell: 1,000 rows x 10 columns is 3,000 steps, 4 per epoch.
    assert synthesizer._n_epochs(1000, 10) == 750
    assert synthesizer._n_epochs(30, 5) == 250  # at least 250 steps, one per epoch
    assert synthesizer._n_epochs(100_000, 20) == 26  # at most 10,000 steps, 391 per epoch
    # 400 rows x 31 columns would be 3,720 steps, 1,860 passes over the rows: at most 800
    assert synthesizer._n_epochs(400, 31) == 800
    assert synthesizer.set_params(epochs=7)._n_epochs(1000, 10) == 7


def test_auto_patience_covers_the_lag_of_the_weight_average():
    synthesizer = MaskedDiffusionSynthesizer(batch_size=100, ema_decay=0.995)
    assert synthesizer._patience(1000) == 60  # 600 steps at 10 steps per epoch
    assert synthesizer._patience(100_000) == 10
    assert synthesizer.set_params(n_iter_no_change=3)._patience(1000) == 3


def test_early_stopping_stops_and_records_validation_loss(fast):
    synthesizer = MaskedDiffusionSynthesizer(
        **{**fast, "epochs": 200}, learning_rate=0.02, lr_schedule="constant",
        early_stopping=True, n_iter_no_change=2, random_state=0,
    ).fit(_related_table(200))
    assert synthesizer.n_iter_ < 200 and synthesizer.stopping_reason_ == "n_iter_no_change"
    assert synthesizer.n_iter_ - synthesizer.best_epoch_ >= 2
    losses = [r["validation_loss"] for r in synthesizer.history_ if "validation_loss" in r]
    assert len(losses) >= 2 and np.all(np.isfinite(losses))


def test_fit_reports_the_rows_it_held_out_as_positions_in_x(fast):
    table = _related_table(200)
    weights = np.ones(200)
    weights[:20] = 0  # left out before the split: positions still count them
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0)
    held_out = synthesizer.fit(table, sample_weight=weights).validation_rows_
    assert len(held_out) == 18 and len(np.unique(held_out)) == 18 and held_out.min() >= 20
    assert synthesizer.set_params(early_stopping=False).fit(table).validation_rows_ is None
    started = MaskedDiffusionSynthesizer(**fast).partial_fit(table)
    assert started.validation_rows_ is None


def test_early_stopping_needs_training_rows(fast):
    synthesizer = MaskedDiffusionSynthesizer(**fast, early_stopping=True,
                                             validation_fraction=0.999)
    with pytest.raises(ValueError, match="validation_fraction=0.999 of 100 rows"):
        synthesizer.fit(_related_table(100))


def test_non_finite_loss_stops_training_with_a_clear_error(fast):
    synthesizer = MaskedDiffusionSynthesizer(**{**fast, "epochs": 50}, learning_rate=1e12,
                                             max_grad_norm=None, lr_schedule="constant",
                                             random_state=0)
    with pytest.raises(FloatingPointError, match="training loss became .* learning_rate"):
        synthesizer.fit(_related_table(200))


def test_verbose_logs_one_line_per_epoch(fast, caplog):
    with caplog.at_level(logging.INFO, logger="skltab._nn"):
        MaskedDiffusionSynthesizer(**fast, verbose=2, random_state=0).fit(_related_table(64))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert len(lines) == fast["epochs"] and "loss=" in lines[0]


def test_devices(fast):
    real = _related_table(64)
    assert MaskedDiffusionSynthesizer(**fast).fit(real).device_ in ("cpu", "cuda")
    assert MaskedDiffusionSynthesizer(**fast, device="cpu").fit(real).device_ == "cpu"
    with pytest.raises(ValueError, match="not a torch device"):
        MaskedDiffusionSynthesizer(**fast, device="abacus").fit(real)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            MaskedDiffusionSynthesizer(**fast, device="cuda").fit(real)


def test_heads_must_divide_the_embedding(fast):
    synthesizer = MaskedDiffusionSynthesizer(**{**fast, "embedding_dim": 10, "n_heads": 4},
                                             denoiser="transformer")
    with pytest.raises(ValueError, match="embedding_dim=10 .* n_heads=4"):
        synthesizer.fit(_related_table(32))


def test_fit_does_not_change_the_global_torch_generator(fast):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MaskedDiffusionSynthesizer(**fast, random_state=0).fit(_related_table(64))
    assert torch.equal(torch.rand(3), expected)


# -- continued training -------------------------------------------------------------------
def test_partial_fit_continues_training_one_epoch(fast):
    real = _related_table(128)
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    before = [p.clone() for p in synthesizer.model_.parameters()]
    updates = synthesizer.n_updates_
    assert synthesizer.partial_fit(real) is synthesizer
    assert synthesizer.n_iter_ == fast["epochs"] + 1 and len(synthesizer.history_) == 4
    assert synthesizer.n_updates_ == updates + 2
    assert synthesizer.history_[-1]["learning_rate"] == synthesizer.learning_rate
    assert any(not torch.equal(a, b) for a, b in zip(before, synthesizer.model_.parameters()))


def test_partial_fit_from_scratch_and_unit_weights_equal_no_weights(fast):
    real = _related_table(128)
    first = MaskedDiffusionSynthesizer(**fast, random_state=0).partial_fit(real)
    second = MaskedDiffusionSynthesizer(**fast, random_state=0).partial_fit(
        real, sample_weight=np.ones(len(real)))
    assert first.n_iter_ == 1 and not hasattr(first, "_partial_fit_request")
    pd.testing.assert_frame_equal(first.sample(50, random_state=0),
                                  second.sample(50, random_state=0))


def test_sample_weight_moves_the_model_towards_heavy_rows():
    real = _related_table(300)
    synthesizer = MaskedDiffusionSynthesizer(hidden_dim=64, epochs=40, batch_size=50,
                                             ema_decay=0.9, n_sampling_steps=10,
                                             random_state=0).fit(real)
    before = (synthesizer.sample(600, random_state=0)["group"] == "a").mean()
    weights = (real["group"] == "a").to_numpy(dtype=float)
    for _ in range(20):
        synthesizer.partial_fit(real, sample_weight=weights)
    after = (synthesizer.sample(600, random_state=0)["group"] == "a").mean()
    assert after > before + 0.2


@pytest.mark.parametrize("weights, error", [
    (-np.ones(64), "Negative values"),
    (np.ones(3), "sample_weight.shape"),
    (np.zeros(64), "non-zero"),
])
def test_partial_fit_rejects_bad_weights(fast, weights, error):
    real = _related_table(64)
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    with pytest.raises(ValueError, match=error):
        synthesizer.partial_fit(real, sample_weight=weights)


def test_partial_fit_rejects_other_columns(fast):
    real = _related_table(64)
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    with pytest.raises(ValueError, match="columns"):
        synthesizer.partial_fit(real.rename(columns={"z": "w"}))


# -- persistence --------------------------------------------------------------------------
def _round_trip(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def test_pickled_model_samples_scores_and_trains_on_identically(fast):
    real = _related_table(128)
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    loaded = _round_trip(synthesizer)
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=3),
                                  synthesizer.sample(40, random_state=3))
    assert loaded.score(real) == synthesizer.score(real)
    conditions = {"group": "b"}
    pd.testing.assert_frame_equal(loaded.sample(40, conditions=conditions, random_state=1),
                                  synthesizer.sample(40, conditions=conditions, random_state=1))
    loaded.partial_fit(real)
    synthesizer.partial_fit(real)
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=3),
                                  synthesizer.sample(40, random_state=3))


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_model_fitted_on_a_gpu_loads_on_the_cpu(fast):
    real = _related_table(128)
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    expected = synthesizer.sample(40, random_state=3)
    synthesizer.device_ = "cuda"  # what a GPU fit records; tensors are remapped on load
    with pytest.warns(UserWarning, match="loaded on 'cpu'"):
        loaded = _round_trip(synthesizer)
    assert loaded.device_ == "cpu"
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=3), expected)


def test_sampling_draws_the_same_numbers_whatever_the_device_count(fast):
    """Every random number comes from a CPU generator: the global generators are unused."""
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(_related_table(64))
    torch.manual_seed(0)
    first = synthesizer.sample(30, random_state=5)
    torch.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = synthesizer.sample(30, random_state=5)
    pd.testing.assert_frame_equal(first, second)


def test_cpu_forward_chunks_do_not_change_the_rows(trained, monkeypatch):
    from skltab.diffusion import _process

    synthesizer, _ = trained
    whole = synthesizer.sample(300, random_state=3)
    monkeypatch.setattr(_process, "CPU_FORWARD_ROWS", 64)
    chunked = synthesizer.sample(300, random_state=3)
    pd.testing.assert_frame_equal(chunked, whole)


def test_default_fit_holds_out_rows_checks_privacy_and_says_why_it_stopped(fast):
    real = _related_table(300)
    synthesizer = MaskedDiffusionSynthesizer(**{**fast, "epochs": 20}, random_state=0).fit(real)
    history = synthesizer.history_
    every = synthesizer._validation_every(270)
    evaluated = [record["epoch"] for record in history if "validation_loss" in record]
    assert every > 1 and evaluated[:2] == [every, 2 * every]
    assert evaluated[-1] == synthesizer.n_iter_
    checked = [record["epoch"] for record in history if "too_close_rate" in record]
    assert set(checked) <= set(evaluated) and checked[-1] == synthesizer.n_iter_
    assert synthesizer.stopping_reason_ in ("max_epochs", "n_iter_no_change", "privacy")
    best = min(record["validation_loss"] for record in history if "validation_loss" in record)
    kept = next(r for r in history if r["epoch"] == synthesizer.best_epoch_)
    assert kept["validation_loss"] <= best * 1.01 + 1e-12


def test_a_failed_privacy_check_stops_training_and_keeps_the_checked_weights():
    # A large model on 150 rows, fast weight average, no patience: it learns rows by heart.
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"a": rng.normal(size=150).round(3), "b": rng.normal(size=150).round(3),
                         "c": rng.choice(list("xyz"), 150)})
    synthesizer = MaskedDiffusionSynthesizer(
        hidden_dim=128, n_layers=2, epochs=400, batch_size=64, learning_rate=3e-3,
        ema_decay=0.9, n_iter_no_change=10**6, n_sampling_steps=10, random_state=0).fit(real)
    checks = [r for r in synthesizer.history_ if "too_close_rate" in r]
    assert synthesizer.stopping_reason_ == "privacy" and synthesizer.n_iter_ < 400
    assert checks[-1]["epoch"] == synthesizer.n_iter_ and checks[-1]["too_close_rate"] > 0.15
    assert all(check["too_close_rate"] <= 0.15 for check in checks[:-1])
    assert synthesizer.best_epoch_ <= checks[-2]["epoch"]


def test_the_privacy_guard_redraws_close_rows_and_can_be_turned_off(fast):
    real = _related_table(200)
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    rows = synthesizer.sample(400, random_state=0)
    report = synthesizer.privacy_guard_report_
    assert len(rows) == 400 and report["n_samples"] == 400
    assert report["n_redraws"] >= report["n_too_close"]
    assert synthesizer.privacy_guard_.too_close(rows).sum() == report["n_remaining"]
    pd.testing.assert_frame_equal(rows, synthesizer.sample(400, random_state=0))
    unguarded = MaskedDiffusionSynthesizer(**fast, privacy_guard=False, random_state=0).fit(real)
    unguarded.sample(10)
    assert unguarded.privacy_guard_ is None and not hasattr(unguarded, "privacy_guard_report_")


def test_without_early_stopping_every_row_trains_the_whole_budget(fast):
    synthesizer = MaskedDiffusionSynthesizer(**{**fast, "epochs": 4}, early_stopping=False,
                                             random_state=0).fit(_related_table(200))
    assert synthesizer.n_iter_ == 4 and synthesizer.stopping_reason_ == "max_epochs"
    assert synthesizer.best_epoch_ == 4
    assert "validation_loss" not in synthesizer.history_[0]
    assert synthesizer.privacy_guard_.n_holdout_ == 0
