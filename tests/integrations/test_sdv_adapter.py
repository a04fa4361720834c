"""SDVSynthesizer: SDV's single-table synthesizers behind skltab's synthesizer contract."""

import io
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skltab.integrations.sdv import SDVSynthesizer
from skltab.utils.estimator_checks import parametrize_with_synthesizer_checks


@pytest.fixture
def sdv():
    return pytest.importorskip("sdv")


def _mixed_table(n_rows=240, seed=0):
    """Numbers, integers, categories (plain and pandas), booleans, datetimes, missing values."""
    rng = np.random.RandomState(seed)
    visits = rng.randint(0, 20, n_rows)
    # spend grows with visits, so samples (conditioned or not) can show the relation.
    spend = 5.0 * visits + rng.normal(0, 2, n_rows) + 10
    return pd.DataFrame(
        {
            "spend": np.round(spend, 2),
            "visits": visits,
            "segment": rng.choice(["retail", "corporate", "public"], n_rows, p=[0.5, 0.3, 0.2]),
            "tier": pd.Categorical(rng.choice(["gold", "silver"], n_rows)),
            "active": rng.uniform(size=n_rows) < 0.7,
            "joined": pd.Timestamp("2021-01-01")
            + pd.to_timedelta(rng.randint(0, 700, n_rows), unit="D"),
            "score": np.where(rng.uniform(size=n_rows) < 0.25, np.nan, rng.normal(size=n_rows)),
        }
    )


def test_gaussian_copula_keeps_the_schema(sdv):
    real = _mixed_table()
    synthetic = SDVSynthesizer("gaussian_copula", random_state=0).fit(real).sample(600)
    assert list(synthetic.columns) == list(real.columns)
    assert (synthetic.dtypes == real.dtypes).all()
    for column in ("spend", "visits", "joined"):
        assert synthetic[column].between(real[column].min(), real[column].max()).all(), column
    assert set(synthetic["segment"]) <= set(real["segment"])
    assert list(synthetic["tier"].cat.categories) == list(real["tier"].cat.categories)
    assert synthetic.drop(columns="score").notna().all().all()
    # the real missing rate of 'score' is about 0.25; SDV models it.
    assert 0.15 < synthetic["score"].isna().mean() < 0.35
    assert np.allclose(synthetic["spend"], synthetic["spend"].round(2))


def test_gaussian_copula_learns_a_relation(sdv):
    real = _mixed_table(400)
    synthetic = SDVSynthesizer(random_state=0).fit(real).sample(1000, random_state=1)
    assert synthetic["spend"].corr(synthetic["visits"]) > 0.8


@pytest.mark.parametrize("model", ["ctgan", "tvae"])
def test_neural_models_fit_and_sample(sdv, model):
    real = _mixed_table(100)
    synthesizer = SDVSynthesizer(model, epochs=2, batch_size=50, random_state=0).fit(real)
    assert synthesizer.sdv_synthesizer_.epochs == 2
    assert synthesizer.sdv_synthesizer_.batch_size == 50
    synthetic = synthesizer.sample(80)
    assert (synthetic.dtypes == real.dtypes).all()
    assert set(synthetic["segment"]) <= set(real["segment"])
    assert synthetic["visits"].between(0, 19).all()


def test_epochs_none_keeps_sdv_default_and_copula_ignores_epochs(sdv):
    # SDV's own defaults apply when epochs and batch_size are None (fitting 300 epochs here
    # would be slow, so the arguments are checked before they reach SDV).
    params = SDVSynthesizer("tvae", epochs=None, batch_size=None)._sdv_params()
    assert "epochs" not in params and "batch_size" not in params
    # GaussianCopula has no epochs; the parameter is ignored rather than passed on.
    copula = SDVSynthesizer("gaussian_copula", epochs=5, batch_size=7).fit(_mixed_table(60))
    assert len(copula.sample(10)) == 10


def test_random_state_reproduces_and_blocks_differ(sdv):
    real = _mixed_table()
    synthesizer = SDVSynthesizer(random_state=0).fit(real)
    first = synthesizer.sample(50, random_state=3)
    pd.testing.assert_frame_equal(first, synthesizer.sample(50, random_state=3))
    assert not first.equals(synthesizer.sample(50, random_state=4))
    # two seeded blocks of rows: each must draw its own values and missing cells.
    block = SDVSynthesizer._seed_block_size
    two_blocks = synthesizer.sample(2 * block, random_state=0)
    head, tail = two_blocks.iloc[:block], two_blocks.iloc[block:]
    assert not np.array_equal(head["spend"].to_numpy(), tail["spend"].to_numpy())
    assert not np.array_equal(head["score"].isna().to_numpy(), tail["score"].isna().to_numpy())
    refitted = SDVSynthesizer(random_state=0).fit(real)
    pd.testing.assert_frame_equal(refitted.sample(50, random_state=3), first)


def test_neural_fit_is_reproducible_and_leaves_global_generators(sdv):
    import torch

    real = _mixed_table(100)
    np.random.seed(11)
    torch.manual_seed(11)
    numpy_before, torch_before = np.random.get_state()[1].copy(), torch.get_rng_state()
    params = {"epochs": 2, "batch_size": 50, "random_state": 5}
    first = SDVSynthesizer("ctgan", **params).fit(real)
    second = SDVSynthesizer("ctgan", **params).fit(real)
    pd.testing.assert_frame_equal(
        first.sample(40, random_state=0), second.sample(40, random_state=0)
    )
    assert np.array_equal(np.random.get_state()[1], numpy_before)
    assert torch.equal(torch.get_rng_state(), torch_before)


def test_missing_values_of_two_columns_are_drawn_independently(sdv):
    rng = np.random.RandomState(0)
    n_rows = 400
    real = pd.DataFrame(
        {
            "a": np.where(rng.uniform(size=n_rows) < 0.5, np.nan, rng.normal(size=n_rows)),
            "b": np.where(rng.uniform(size=n_rows) < 0.5, np.nan, rng.normal(size=n_rows)),
        }
    )
    synthetic = SDVSynthesizer(random_state=0).fit(real).sample(1000, random_state=0)
    same_pattern = (synthetic["a"].isna() == synthetic["b"].isna()).mean()
    assert 0.35 < same_pattern < 0.65


def test_text_columns_are_reproducible(sdv):
    rng = np.random.RandomState(0)
    words = ["alpha", "beta", "gamma", "delta", "zeta", "theta"]
    notes = [" ".join(rng.choice(words, 5)) + f" {i}" for i in range(60)]
    real = pd.DataFrame({"x": rng.normal(size=60), "note": notes})
    synthesizer = SDVSynthesizer(random_state=0).fit(real)
    assert synthesizer.metadata_["note"].kind == "text"
    first = synthesizer.sample(5, random_state=1)
    pd.testing.assert_frame_equal(first, synthesizer.sample(5, random_state=1))
    assert not first["note"].equals(synthesizer.sample(5, random_state=2)["note"])


def test_joblib_round_trip_of_ctgan(sdv):
    real = _mixed_table(100)
    fitted = SDVSynthesizer("ctgan", epochs=2, batch_size=50, random_state=0).fit(real)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    pd.testing.assert_frame_equal(
        loaded.sample(60, random_state=2), fitted.sample(60, random_state=2)
    )
    # without random_state both draw from the pickled generator, in step.
    pd.testing.assert_frame_equal(loaded.sample(20), fitted.sample(20))


def test_clone_and_get_params():
    synthesizer = SDVSynthesizer("tvae", epochs=3, batch_size=20, enforce_rounding=False)
    params = clone(synthesizer).get_params()
    assert params == synthesizer.get_params()
    assert params["model"] == "tvae" and params["epochs"] == 3 and params["batch_size"] == 20
    assert set(params) == set(SDVSynthesizer._parameter_constraints)


def test_bad_parameters_are_named():
    real = _mixed_table(30)
    with pytest.raises(ValueError, match="'model'"):
        SDVSynthesizer("gan").fit(real)
    with pytest.raises(ValueError, match="'epochs'"):
        SDVSynthesizer("ctgan", epochs=0).fit(real)
    with pytest.raises(ValueError, match="batch_size=25"):
        SDVSynthesizer("ctgan", batch_size=25).fit(real)


def test_conditions_follow_the_model(sdv):
    real = _mixed_table(400)
    synthesizer = SDVSynthesizer(random_state=0).fit(real)
    few = synthesizer.sample(200, conditions={"visits": 2}, random_state=0)
    many = synthesizer.sample(200, conditions={"visits": 18}, random_state=0)
    assert (few["visits"] == 2).all() and (many["visits"] == 18).all()
    # SDV conditions the other columns (the base class only fixes the asked ones):
    # spend follows the number of visits asked for (real means 20 and 100).
    assert few["spend"].mean() < 40 and many["spend"].mean() > 70
    rows = pd.DataFrame({"segment": ["public", "corporate"], "active": [True, False]})
    synthetic = synthesizer.sample(2, conditions=rows, random_state=0)
    assert synthetic["segment"].tolist() == ["public", "corporate"]
    assert synthetic["active"].tolist() == [True, False]


def test_impossible_conditions_of_neural_models_raise(sdv):
    real = _mixed_table(100)
    synthesizer = SDVSynthesizer("tvae", epochs=2, batch_size=50, random_state=0).fit(real)
    # spend is rounded to cents, so 1e-6 never comes out of rejection sampling.
    with pytest.raises(ValueError, match="gaussian_copula"):
        synthesizer.sample(2, conditions={"spend": 10.000001}, random_state=0)


def test_module_imports_without_sdv_and_fit_names_the_extra():
    code = textwrap.dedent(
        """
        import sys
        import pandas as pd
        sys.modules["sdv"] = None  # makes "import sdv" fail as if it were not installed
        from skltab.integrations.sdv import SDVSynthesizer
        from skltab.integrations import SDVSynthesizer as Same
        assert Same is SDVSynthesizer
        try:
            SDVSynthesizer().fit(pd.DataFrame({"a": [1.0, 2.5, 3.0]}))
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("fit did not raise ImportError")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "skltab[sdv]" in result.stdout


def test_import_does_not_load_sdv():
    code = "import sys, skltab.integrations.sdv; print('sdv' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_safe_format_refuses_sdv_models_and_says_to_use_joblib():
    import skltab

    with pytest.raises(TypeError, match="SDVSynthesizer.*SDV's objects.*joblib.dump"):
        skltab.save(SDVSynthesizer("gaussian_copula"), io.BytesIO())


_SDV_OBJECTS = "SDV's objects cannot be saved without pickle; skltab.save refuses them"


@parametrize_with_synthesizer_checks(
    [SDVSynthesizer("gaussian_copula")],
    expected_failed_checks=lambda estimator: {"check_safe_format_round_trip": _SDV_OBJECTS},
)
def test_synthesizer_contract(estimator, check):
    pytest.importorskip("sdv")
    check(estimator)
