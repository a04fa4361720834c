"""Discrete numerics: inferred values and grains, their checks, and outputs that keep them."""

import numpy as np
import pandas as pd
import pytest

from skltab import IndependentSynthesizer
from skltab.metadata import ColumnMetadata, TableMetadata, infer_metadata
from skltab.metadata._grain import snap


def _discrete_table(n_rows=400, seed=0):
    rng = np.random.RandomState(seed)
    return pd.DataFrame({
        "discount": rng.choice([0, 5, 10, 15], n_rows),
        "amount": 100 * rng.randint(1, 200, n_rows),
        "weight": rng.choice([0.5, 1.25, 2.0], n_rows),
        "odd_age": 3 + 5 * rng.randint(0, 15, n_rows),
        "price": np.round(rng.gamma(2.0, 10.0, n_rows), 2),
    })


def test_inference_records_values_and_grains():
    metadata = infer_metadata(_discrete_table())
    assert metadata["discount"].values == [0, 5, 10, 15]
    assert metadata["weight"].values == [0.5, 1.25, 2.0]
    assert metadata["amount"].values is None
    assert (metadata["amount"].step, metadata["amount"].step_offset) == (100, None)
    assert metadata["odd_age"].values == sorted(set(3 + 5 * np.arange(15)))
    price = metadata["price"]
    assert (price.values, price.step) == (None, None)


def test_a_grain_needs_more_than_chance():
    # Two distinct values 200 apart are multiples of 200 by chance (1 in 200).
    few = infer_metadata(pd.DataFrame({"x": [100, 300]}))["x"]
    assert (few.values, few.step) == (None, None)
    many = infer_metadata(pd.DataFrame({"x": [100 * k for k in range(1, 9)]}))["x"]
    assert many.step == 100
    offset = infer_metadata(pd.DataFrame({"x": [3.5 + 0.25 * k for k in range(40)]}))["x"]
    assert (offset.step, offset.step_offset) == (0.25, None)
    shifted = infer_metadata(pd.DataFrame({"x": [3 + 5 * k for k in range(40)]}))["x"]
    assert (shifted.step, shifted.step_offset) == (5, 3)


def test_values_round_to_the_column_precision():
    thirds = pd.DataFrame({"x": np.tile([1 / 3, 0.65166666666666668, 10.0], 10)})
    column = infer_metadata(thirds)["x"]
    assert column.decimals == 8
    assert column.values == [0.33333333, 0.65166667, 10]


def test_snap_moves_numbers_to_the_nearest_allowed_value_in_range():
    values = ColumnMetadata("d", "integer", "int64", min=0, max=10, values=[0, 5, 10, 15])
    assert snap(np.array([-3.0, 2.4, 2.6, 12.0, np.nan]), values).tolist()[:4] == [0, 0, 5, 10]
    assert np.isnan(snap(np.array([np.nan]), values)[0])
    grain = ColumnMetadata("a", "continuous", "float64", min=150, max=950, decimals=0, step=100,
                           step_offset=50)
    assert snap(np.array([0.0, 249.0, 251.0, 2000.0]), grain).tolist() == [150, 250, 250, 950]


@pytest.mark.parametrize("fields, message", [
    ({"kind": "categorical", "values": [1, 2]}, "continuous and integer columns only"),
    ({"kind": "integer", "values": [1, 2], "step": 2}, "values or step, not both"),
    ({"kind": "integer", "step_offset": 1}, "step_offset needs a step"),
    ({"kind": "integer", "step": 0}, "step must be > 0"),
    ({"kind": "integer", "values": [1.5]}, "finer than the column's precision"),
    ({"kind": "continuous", "decimals": 1, "step": 0.25}, "finer than the column's precision"),
    ({"kind": "integer", "min": 1, "max": 4, "step": 5, "step_offset": 0}, "no multiple"),
    ({"kind": "integer", "min": 1, "max": 4, "values": [7, 9]}, "none of its values"),
    ({"kind": "integer", "values": []}, "must not be empty"),
    ({"kind": "integer", "values": "12"}, "list of numbers"),
])
def test_fields_that_cannot_hold_are_rejected_naming_the_column(fields, message):
    with pytest.raises(ValueError, match=f"Column 'col'.*{message}"):
        ColumnMetadata("col", dtype="float64", **fields)


def test_update_column_replaces_the_grain_it_overrides():
    metadata = infer_metadata(_discrete_table())
    metadata.update_column("amount", values=[100, 200])
    assert (metadata["amount"].values, metadata["amount"].step) == ([100, 200], None)
    metadata.update_column("discount", step=5)
    assert (metadata["discount"].values, metadata["discount"].step) == (None, 5)
    metadata.update_column("odd_age", kind="categorical")
    assert metadata["odd_age"].values is None
    before = metadata["weight"].to_dict()
    with pytest.raises(ValueError, match="Column 'weight'"):
        metadata.update_column("weight", values=[0.5], step=0.5)
    assert metadata["weight"].to_dict() == before


def test_overrides_turn_a_grain_off_and_reject_unknown_fields():
    table = _discrete_table()
    metadata = infer_metadata(table, overrides={"discount": {"values": None}})
    assert metadata["discount"].values is None
    with pytest.raises(ValueError, match="column 'discount' has unknown metadata fields"):
        infer_metadata(table, overrides={"discount": {"valeus": [0]}})


def test_json_round_trip_keeps_values_and_grains():
    metadata = infer_metadata(_discrete_table())
    restored = TableMetadata.from_json(metadata.to_json())
    for name in ("discount", "amount", "weight"):
        assert restored[name].to_dict() == metadata[name].to_dict()


def test_conditions_off_the_grain_are_rejected():
    synthesizer = IndependentSynthesizer(random_state=0).fit(_discrete_table())
    with pytest.raises(ValueError, match="column 'discount' value 7 is not one it takes"):
        synthesizer.sample(2, conditions={"discount": 7})
    rows = synthesizer.sample(3, conditions={"discount": 10})
    assert (rows["discount"] == 10).all()


def _check_allowed(table, metadata):
    for name in ("discount", "weight", "odd_age"):
        assert set(table[name].dropna()) <= set(metadata[name].values), name
    amount = table["amount"].to_numpy(dtype=float)
    assert np.all(amount % 100 == 0)
    assert amount.min() >= metadata["amount"].min and amount.max() <= metadata["amount"].max


def _synthesizers():
    from skltab.diffusion import MaskedDiffusionSynthesizer
    from skltab.fastgen import FastGenSynthesizer
    from skltab.llm import PredLLMSynthesizer

    return {
        "independent": IndependentSynthesizer(),
        "fastgen": FastGenSynthesizer(),
        "diffusion": MaskedDiffusionSynthesizer(hidden_dim=16, n_layers=1, embedding_dim=4,
                                                n_heads=1, epochs=2, n_sampling_steps=3),
        "predllm": PredLLMSynthesizer(model_config={"n_layer": 1, "n_embd": 16, "n_head": 2,
                                                    "vocab_size": 300}, epochs=1),
    }


@pytest.mark.parametrize("name", ["independent", "fastgen", "diffusion", "predllm"])
def test_every_synthesizer_writes_only_allowed_values(name):
    if name in ("diffusion", "predllm"):
        pytest.importorskip("torch")
    if name == "predllm":
        pytest.importorskip("transformers")
    table = _discrete_table(n_rows=200)
    synthesizer = _synthesizers()[name].set_params(random_state=0).fit(table)
    _check_allowed(synthesizer.sample(300, random_state=1), synthesizer.metadata_)


def test_an_exported_fastgen_script_writes_only_allowed_values(tmp_path):
    import subprocess
    import sys

    from skltab.fastgen import FastGenSynthesizer

    table = _discrete_table(n_rows=200)
    synthesizer = FastGenSynthesizer(random_state=0).fit(table)
    fields = {field["name"]: field for field in synthesizer.spec_["fields"]}
    assert fields["discount"]["values"] == [0, 5, 10, 15]
    assert fields["amount"]["step"] == 100
    path = tmp_path / "sample.py"
    synthesizer.export_script(path)
    output = tmp_path / "rows.csv"
    subprocess.run([sys.executable, str(path), "300", "--seed", "1", "--output", str(output)],
                   check=True)
    _check_allowed(pd.read_csv(output), synthesizer.metadata_)
