"""skltab.dask.sample: the rows of ``sample``, partition by partition, on a real cluster."""

import sys

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

import skltab.dask  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from skltab import (  # noqa: E402
    FastGenSynthesizer,
    IndependentSynthesizer,
    MaskedDiffusionSynthesizer,
    make_synthesis_pipeline,
)
from skltab._privacy_guard import total_report  # noqa: E402
from skltab.datasets import DEMO_RULES, load_demo  # noqa: E402
from skltab.logic import LogicCompressor  # noqa: E402

TINY_DIFFUSION = {"hidden_dim": 16, "n_layers": 1, "embedding_dim": 4, "n_heads": 2,
                  "epochs": 2, "batch_size": 64, "n_sampling_steps": 3}


@pytest.fixture(scope="module")
def demo():
    return load_demo(n_samples=300, random_state=0)


@pytest.mark.parametrize("make", [
    lambda: IndependentSynthesizer(random_state=0),
    lambda: FastGenSynthesizer(random_state=0),
    lambda: MaskedDiffusionSynthesizer(**TINY_DIFFUSION, random_state=0),
], ids=["independent", "fastgen", "diffusion"])
def test_partitions_computed_on_the_workers_are_the_rows_of_sample(client, demo, make):
    one, many = make().fit(demo), make().fit(demo)
    block = many._seed_block_size
    n_samples = 2 * block + 300
    rows = skltab.dask.sample(many, n_samples, chunk_size=block)
    assert rows.npartitions == 3 and rows.divisions == (0, block, 2 * block, n_samples - 1)
    rows = rows.persist()
    distributed.wait(rows)
    holders = client.who_has(distributed.futures_of(rows))
    assert len(holders) == 3 and all(holders.values())
    pd.testing.assert_frame_equal(rows.compute(), one.sample(n_samples))
    # The synthesizer's generator advanced as sample's does: the next calls agree too.
    pd.testing.assert_frame_equal(skltab.dask.sample(many, 40).compute(), one.sample(40))


def test_the_rows_do_not_depend_on_the_partitions(client, demo):
    synthesizer = IndependentSynthesizer(random_state=0).fit(demo)
    twin = IndependentSynthesizer(random_state=0).fit(demo)
    expected = synthesizer.sample(5000, random_state=3)
    for chunk_size, n_partitions in [(1, 5), (2500, 3), (10**6, 1)]:
        rows = skltab.dask.sample(synthesizer, 5000, chunk_size=chunk_size, random_state=3)
        assert rows.npartitions == n_partitions
        pd.testing.assert_frame_equal(rows.compute(), expected)
    # A seed of its own leaves the fitted generator alone.
    pd.testing.assert_frame_equal(synthesizer.sample(30), twin.sample(30))


def test_conditions_as_a_dict_or_a_dataframe(client, demo):
    synthesizer = IndependentSynthesizer(random_state=0).fit(demo)
    fixed = {"product_category": demo["product_category"].iloc[0], "is_member": True}
    rows = skltab.dask.sample(synthesizer, 2500, chunk_size=1024, conditions=fixed,
                              random_state=1)
    assert rows.npartitions == 3
    rows = rows.compute()
    pd.testing.assert_frame_equal(
        rows, synthesizer.sample(2500, conditions=fixed, random_state=1))
    assert (rows["product_category"] == fixed["product_category"]).all()
    assert rows["is_member"].all()
    per_row = demo[["customer_age"]].sample(2500, replace=True, random_state=0)
    rows = skltab.dask.sample(synthesizer, 2500, chunk_size=1024, conditions=per_row,
                              random_state=1).compute()
    pd.testing.assert_frame_equal(
        rows, synthesizer.sample(2500, conditions=per_row, random_state=1))
    np.testing.assert_array_equal(rows["customer_age"], per_row["customer_age"])


def test_a_pipeline_with_a_logic_compressor_and_conditions_on_a_dropped_column(client, demo):
    pipeline = make_synthesis_pipeline(LogicCompressor(rules=DEMO_RULES),
                                       IndependentSynthesizer(random_state=0)).fit(demo)
    assert "city" not in pipeline[-1].feature_names_in_
    city = demo["city"].iloc[0]
    rows = skltab.dask.sample(pipeline, 3000, chunk_size=1024, conditions={"city": city},
                              random_state=2)
    assert rows.npartitions == 3
    rows = rows.compute()
    pd.testing.assert_frame_equal(
        rows, pipeline.sample(3000, conditions={"city": city}, random_state=2))
    assert (rows["city"] == city).all()
    assert pipeline[0].check(rows)["violations"].sum() == 0


def test_fitted_with_y_gives_one_table_with_the_target_last(client, demo):
    X, y = demo.drop(columns="rating"), demo["rating"]
    synthesizer = IndependentSynthesizer(random_state=0).fit(X, y)
    rows = skltab.dask.sample(synthesizer, 2100, chunk_size=1024, random_state=0).compute()
    X_expected, y_expected = synthesizer.sample(2100, random_state=0)
    pd.testing.assert_frame_equal(rows, X_expected.assign(rating=y_expected.to_numpy()))


def test_fitted_on_arrays_gives_numbered_columns(client):
    X = np.random.RandomState(0).normal(size=(200, 3))
    synthesizer = IndependentSynthesizer(random_state=0).fit(X, X[:, 0] > 0)
    rows = skltab.dask.sample(synthesizer, 2100, chunk_size=1024, random_state=0).compute()
    X_expected, y_expected = synthesizer.sample(2100, random_state=0)
    assert list(rows.columns) == ["x0", "x1", "x2", "y"]
    np.testing.assert_array_equal(rows[["x0", "x1", "x2"]].to_numpy(), X_expected)
    np.testing.assert_array_equal(rows["y"].to_numpy(), y_expected)


def test_to_parquet_writes_the_rows_of_sample(client, demo, tmp_path):
    synthesizer = IndependentSynthesizer(random_state=0).fit(demo)
    path = tmp_path / "synthetic.parquet"
    skltab.dask.sample(synthesizer, 3000, chunk_size=1024, random_state=0).to_parquet(
        path, write_index=False)
    assert len(list(path.glob("*.parquet"))) == 3
    one_file = tmp_path / "one_machine.parquet"
    synthesizer.sample(3000, random_state=0).to_parquet(one_file, index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(one_file))


def test_privacy_guard_report_gives_the_workers_counts(client, demo, tmp_path):
    one = MaskedDiffusionSynthesizer(**TINY_DIFFUSION, random_state=0).fit(demo)
    many = MaskedDiffusionSynthesizer(**TINY_DIFFUSION, random_state=0).fit(demo)
    for synthesizer in (one, many):  # a stricter guard, so that it redraws rows
        synthesizer.privacy_guard_.threshold_ *= 3
    n_samples = 3 * many._seed_block_size
    with pytest.warns(UserWarning, match="still closer to a real row"):
        one.sample(n_samples).to_parquet(tmp_path / "one.parquet", index=False)
    rows, report = skltab.dask.sample(many, n_samples, chunk_size=1, return_report=True)
    assert rows.npartitions == report.npartitions == 3
    path = tmp_path / "guarded.parquet"
    _, report = client.compute([rows.to_parquet(path, write_index=False, compute=False),
                                report], sync=True)
    pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(tmp_path / "one.parquet"))
    assert list(report.index) == [0, 1, 2]
    assert (report["n_samples"] == many._seed_block_size).all()
    totals = report.drop(columns="threshold").sum().to_dict()
    assert totals == {k: v for k, v in one.privacy_guard_report_.items() if k != "threshold"}
    assert totals["n_too_close"] > 0
    assert (report["threshold"] == one.privacy_guard_report_["threshold"]).all()
    assert total_report(report) == one.privacy_guard_report_
    unguarded = IndependentSynthesizer(random_state=0).fit(demo)
    assert skltab.dask.sample(unguarded, 10, return_report=True)[1] is None


def test_bad_input_is_refused_with_a_clear_error(demo, monkeypatch):
    with pytest.raises(NotFittedError):
        skltab.dask.sample(IndependentSynthesizer(), 10)
    synthesizer = IndependentSynthesizer(random_state=0).fit(demo)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        skltab.dask.sample(synthesizer, 10, chunk_size=0)
    with pytest.raises(ValueError, match="conditions name unknown columns"):
        skltab.dask.sample(synthesizer, 10, conditions={"nope": 1})
    with pytest.raises(TypeError, match="got LogicCompressor"):
        skltab.dask.sample(LogicCompressor(rules=DEMO_RULES).fit(demo), 10)
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r'pip install "skltab\[dask\]"'):
        skltab.dask.sample(synthesizer, 10)
