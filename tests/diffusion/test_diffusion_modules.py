"""The diffusion synthesizer's parts: schedules, model space, quantile matching, denoisers,
the hybrid process, and the shared torch helpers."""

import sys

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import ndtri

from skltab.diffusion import _schedules
from skltab.diffusion._denoisers import build_denoiser
from skltab.diffusion._process import HybridDiffusion, Known, Rows
from skltab.diffusion._quantile import QuantileNormal
from skltab.diffusion._space import MarginalMatcher, ModelSpace
from skltab.metadata import TableEncoder, infer_metadata
from skltab.utils._torch import import_torch, resolve_device, seeded_torch, torch_generator


# -- schedules ----------------------------------------------------------------------------
def test_noise_schedule_ends_and_slope():
    t = torch.linspace(0, 1, 101, dtype=torch.float64)
    snr = _schedules.log_snr(t)
    assert snr[0] == pytest.approx(_schedules.LOG_SNR_MAX)
    assert snr[-1] == pytest.approx(_schedules.LOG_SNR_MIN)
    assert torch.all(snr[1:] < snr[:-1])
    alpha, sigma = _schedules.alpha_sigma(t)
    assert torch.allclose(alpha**2 + sigma**2, torch.ones_like(t))
    h = 1e-6
    numeric_slope = -(_schedules.log_snr(t[1:-1] + h) - _schedules.log_snr(t[1:-1] - h)) / (2 * h)
    assert torch.allclose(_schedules.log_snr_slope(t[1:-1]), numeric_slope, rtol=1e-4)


def test_masking_schedule_and_stratified_times():
    assert _schedules.unmask_probability(0.4, 0.0) == 1.0
    assert _schedules.unmask_probability(1.0, 0.75) == pytest.approx(0.25)
    times = _schedules.stratified_times(8, torch.Generator().manual_seed(0))
    strata = torch.floor((times - _schedules.T_MIN) / (1 - _schedules.T_MIN) * 8).long()
    assert sorted(strata.tolist()) == list(range(8))
    grid = _schedules.time_grid(4)
    assert grid.tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]


# -- model space --------------------------------------------------------------------------
def _encoded_table():
    rng = np.random.RandomState(0)
    table = pd.DataFrame({
        "amount": rng.lognormal(2, 1, 300).round(2),
        "count": rng.poisson(3, 300).astype(float),
        "constant": np.full(300, 7.0),
        "g": rng.choice(["u", "v"], 300),
    })
    table.loc[rng.uniform(size=300) < 0.2, "count"] = np.nan
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    return table, encoder, encoder.transform(table)


def test_model_space_round_trip_with_indicators_and_constants():
    table, encoder, encoded = _encoded_table()
    space = ModelSpace(n_quantiles=200).fit(encoder, encoded)
    rows = space.transform(encoded)
    assert space.indicator_of_ == [encoder.numeric_columns_.index("count")]
    assert space.cardinalities_ == [2, 2] and space.missing_codes_ == [None, 1]
    assert np.array_equal(rows.codes[:, 1], table["count"].isna().to_numpy())
    assert np.all(rows.numeric[:, encoder.numeric_columns_.index("constant")] == 0)
    assert np.all(rows.numeric[~rows.present] == 0)
    amount = rows.numeric[:, encoder.numeric_columns_.index("amount")]
    assert abs(amount.mean()) < 0.1 and abs(amount.std() - 1) < 0.15
    back = encoder.inverse_transform(space.inverse_transform(rows.numeric, rows.codes))
    pd.testing.assert_frame_equal(back, table.astype(back.dtypes), atol=1e-6)


def test_quantile_normal_spreads_ties_over_their_probability():
    rng = np.random.RandomState(0)
    values = np.c_[np.where(rng.uniform(size=1000) < 0.9, 0.0, rng.exponential(size=1000)),
                   rng.poisson(2, 1000).astype(float)]
    transform = QuantileNormal(200).fit(values)
    low, high = transform.intervals(values)
    zeros = values[:, 0] == 0
    assert np.allclose(low[zeros, 0], 1e-7) and np.allclose(high[zeros, 0], 0.9, atol=0.02)
    assert np.all(high[~zeros, 0] == low[~zeros, 0]), "distinct values are points"
    dequantized = ndtri(low + (high - low) * rng.uniform(size=low.shape))
    assert np.allclose(np.quantile(dequantized, [0.1, 0.5, 0.9], axis=0).T,
                       ndtri([0.1, 0.5, 0.9]), atol=0.1), "ties become a standard normal"
    back = transform.inverse_transform(dequantized)
    assert np.array_equal(np.round(back[:, 1]), values[:, 1])
    assert np.all(back[zeros, 0] == 0)
    assert transform.transform(values[:3]).shape == (3, 2)


def test_quantile_matching_maps_the_model_marginal_onto_the_standard_normal():
    rng = np.random.RandomState(0)
    model = np.c_[rng.normal(size=4000), 0.5 * rng.normal(size=4000) + 1.0]
    present = np.ones_like(model, dtype=bool)
    matched = MarginalMatcher(200).fit(model, present).transform(model, present)
    central = np.abs(model[:, 0]) < 2
    assert np.allclose(matched[central, 0], model[central, 0], atol=0.1)
    assert abs(matched[:, 1].mean()) < 0.05 and abs(matched[:, 1].std() - 1) < 0.05
    order = np.argsort(model[:, 1])
    assert np.all(np.diff(matched[order, 1]) >= 0), "the map is monotone"
    untouched = MarginalMatcher(200).fit(model, present).transform(model, ~present)
    assert np.array_equal(untouched, model)


# -- denoisers ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "resnet", "transformer"])
def test_denoisers_shapes_and_time_broadcast(kind):
    torch.manual_seed(0)
    cardinalities = [3, 2500, 2]
    model = build_denoiser(kind, 2, cardinalities, embedding_dim=8, hidden_dim=16, n_layers=2,
                           n_heads=2, dropout=0.0).eval()
    numeric = torch.randn(5, 2)
    known = torch.tensor([[1.0, 0.0]] * 5)
    codes = torch.tensor([[0, 2499, 2], [3, 0, 1]] * 2 + [[1, 2500, 0]])
    hidden = model.features(numeric, known, codes, torch.full((5,), 0.3))
    assert model.predict_noise(hidden).shape == (5, 2)
    assert model.logits(hidden, 1).shape == (5, 2500)
    rows = torch.tensor([0, 3])
    assert torch.allclose(model.logits(hidden, 0, rows), model.logits(hidden, 0)[rows])
    broadcast = model.features(numeric, known, codes, torch.full((1,), 0.3))
    assert torch.allclose(broadcast, hidden, atol=1e-6)
    other = model.features(numeric, torch.zeros(5, 2), codes, torch.full((5,), 0.3))
    assert not torch.allclose(other, hidden), "the known flags must reach the network"


# -- the hybrid process -------------------------------------------------------------------
def _process_and_rows():
    process = HybridDiffusion(2, [3, 2], indicator_of=[1], missing_codes=[None, 1],
                              device="cpu")
    present = torch.tensor([[True, True], [True, False]] * 3)
    numeric = torch.where(present, torch.randn(6, 2), 0.0)
    uniform = torch.special.ndtr(numeric)
    rows = Rows(numeric, present, torch.tensor([[0, 0], [2, 1]] * 3), uniform, uniform)
    return process, rows


def test_corruption_at_both_ends_of_time():
    process, rows = _process_and_rows()
    generator = torch.Generator().manual_seed(0)
    early = process.corrupt(rows, torch.full((6,), 1e-6), generator)
    numeric, flags, codes, _, targets, masked = early
    assert not masked.any() and torch.equal(codes, rows.codes)
    missing = ~rows.present
    assert torch.equal(flags.bool(), missing), "a missing cell whose indicator shows is known"
    assert torch.allclose(numeric[rows.present], rows.numeric[rows.present], atol=0.02)
    assert torch.equal(targets, rows.present)
    late = process.corrupt(rows, torch.ones(6), generator)
    assert late[5].all() and torch.equal(late[2], torch.tensor([[3, 2]] * 6))
    assert not late[1].any(), "with masked indicators no numeric cell is known"


def test_sampling_keeps_known_cells_and_forbidden_missing_states():
    process, rows = _process_and_rows()
    model = build_denoiser("mlp", 2, [3, 2], embedding_dim=4, hidden_dim=8, n_layers=1,
                           n_heads=1, dropout=0.0).eval()
    known = Known(rows, numeric=torch.tensor([[True, False]] * 6),
                  codes=torch.tensor([[True, False]] * 6),
                  forbid_missing=torch.tensor([[False, True]] * 6))
    with torch.no_grad():
        numeric, codes = process.sample(model, known, n_steps=4, temperature=1.0,
                                        unmasking="random",
                                        generator=torch.Generator().manual_seed(0))
    assert torch.equal(numeric[:, 0], rows.numeric[:, 0])
    assert torch.equal(codes[:, 0], rows.codes[:, 0])
    assert torch.all(codes[:, 1] == 0), "the indicator's missing state is forbidden"
    assert torch.isfinite(numeric).all() and numeric.abs().max() <= 6.0


# -- torch helpers ------------------------------------------------------------------------
def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="'abacus' is not a torch device"):
        resolve_device("abacus")


def test_torch_generator_follows_the_numpy_random_state():
    first = torch.rand(4, generator=torch_generator(np.random.RandomState(3)))
    second = torch.rand(4, generator=torch_generator(np.random.RandomState(3)))
    other = torch.rand(4, generator=torch_generator(np.random.RandomState(4)))
    assert torch.equal(first, second) and not torch.equal(first, other)


def test_seeded_torch_is_reproducible_and_restores_the_global_state():
    torch.manual_seed(7)
    expected_after = torch.rand(2)
    torch.manual_seed(7)
    with seeded_torch(1):
        inside = torch.rand(2)
    with seeded_torch(1):
        assert torch.equal(torch.rand(2), inside)
    assert torch.equal(torch.rand(2), expected_after)


def test_import_torch_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        import_torch("a test")
