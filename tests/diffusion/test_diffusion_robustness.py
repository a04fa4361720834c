"""MaskedDiffusionSynthesizer trains and samples finite, valid rows on awkward tables."""

import numpy as np
import pandas as pd
import pytest

from skltab.diffusion import MaskedDiffusionSynthesizer


def _many_categoricals(rng):
    table = pd.DataFrame({f"c{i}": rng.choice(list("abcde")[: 2 + i % 4], 80) for i in range(12)})
    return table.assign(x=rng.normal(size=80))


def _high_cardinality(rng):
    categories = [f"city_{i:04d}" for i in range(2500)]
    codes = np.r_[np.arange(2500), rng.randint(0, 2500, 500)]
    return pd.DataFrame({
        "city": pd.Categorical(np.array(categories)[codes], categories=categories),
        "x": rng.normal(size=len(codes)),
    })


def _constant_columns(rng):
    return pd.DataFrame({"one": np.ones(60), "label": ["same"] * 60, "flag": [True] * 60,
                         "x": rng.normal(size=60)})


def _thirty_rows(rng):
    return pd.DataFrame({"x": rng.normal(size=30), "k": rng.randint(0, 4, 30),
                         "g": rng.choice(["u", "v"], 30)})


def _missing_everywhere(rng):
    n = 120
    table = pd.DataFrame({
        "x": rng.normal(size=n),
        "k": pd.array(rng.randint(0, 9, n), dtype="Int64"),
        "g": rng.choice(["u", "v", "w"], n).astype(object),
        "b": pd.array(rng.uniform(size=n) < 0.5, dtype="boolean"),
        "d": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.randint(0, 300, n), unit="D"),
    })
    for i, name in enumerate(table.columns):
        table.loc[rng.uniform(size=n) < 0.1 + 0.05 * i, name] = None
    return table


TABLES = {
    "more_than_10_categoricals": _many_categoricals,
    "2500_categories": _high_cardinality,
    "constant_columns": _constant_columns,
    "30_rows": _thirty_rows,
    "single_numeric_column": lambda rng: pd.DataFrame({"x": rng.exponential(size=50)}),
    "single_categorical_column": lambda rng: pd.DataFrame({"g": rng.choice(list("pqr"), 50)}),
    "all_categorical": lambda rng: pd.DataFrame({"g": rng.choice(list("pq"), 50),
                                                 "h": rng.choice(list("xyz"), 50)}),
    "all_numeric": lambda rng: pd.DataFrame(rng.lognormal(size=(50, 3)), columns=list("abc")),
    "missing_values_in_every_kind": _missing_everywhere,
}


@pytest.mark.parametrize("denoiser", ["mlp", "transformer"])
@pytest.mark.parametrize("name", list(TABLES))
def test_awkward_tables_train_and_sample_finite_valid_rows(name, denoiser, fast):
    real = TABLES[name](np.random.RandomState(0))
    synthesizer = MaskedDiffusionSynthesizer(**fast, denoiser=denoiser, random_state=0)
    synthesizer.fit(real)
    assert all(np.isfinite(record["loss"]) for record in synthesizer.history_)
    synthetic = synthesizer.sample(200, random_state=0)
    assert list(synthetic.columns) == list(real.columns)
    for column in real.columns:
        values, reference = synthetic[column], real[column]
        if reference.notna().all():
            assert values.notna().all(), f"{column!r} got missing values"
        if pd.api.types.is_datetime64_any_dtype(reference):
            assert values.dropna().between(reference.min(), reference.max()).all()
        elif pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(
                reference):
            present = values.dropna().to_numpy(dtype=float)
            assert np.isfinite(present).all()
            assert reference.min() <= present.min() and present.max() <= reference.max()
        else:
            assert set(values.dropna()) <= set(reference.dropna()), f"{column!r} invented values"
    assert np.isfinite(synthesizer.score(real))


def test_constant_columns_stay_constant(fast):
    real = _constant_columns(np.random.RandomState(0))
    synthetic = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real).sample(100)
    assert (synthetic["one"] == 1).all() and (synthetic["label"] == "same").all()
    assert synthetic["flag"].all()


def test_high_cardinality_column_draws_many_categories(fast):
    real = _high_cardinality(np.random.RandomState(0))
    synthesizer = MaskedDiffusionSynthesizer(**fast, random_state=0).fit(real)
    synthetic = synthesizer.sample(1000, random_state=0)
    assert synthetic["city"].nunique() > 300
