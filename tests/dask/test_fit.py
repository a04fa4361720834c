"""Fitting from partitions: metadata and FastGen by map-reduce, the diffusion by streaming."""

import pickle

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")

import skltab.dask  # noqa: E402
from skltab import IndependentSynthesizer, LogicCompressor, make_synthesis_pipeline  # noqa: E402
from skltab.dask._sketches import SKETCH_SIZE, CountedValues, HashCounts  # noqa: E402
from skltab.datasets import load_demo  # noqa: E402
from skltab.diffusion import MaskedDiffusionSynthesizer  # noqa: E402
from skltab.fastgen import FastGenSynthesizer  # noqa: E402
from skltab.metadata import infer_metadata  # noqa: E402


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def _mixed_table(n_rows=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "amount": np.round(rng.gamma(2.0, 50.0, n_rows), 2),
        "hundreds": rng.integers(1, 40, n_rows) * 100,
        "steps": 3 + 5 * rng.integers(0, 200, n_rows),
        "maybe": np.where(rng.random(n_rows) < 0.2, np.nan, rng.normal(size=n_rows)),
        "day": pd.Series(pd.date_range("2020-01-01", periods=n_rows, freq="D")
                         .strftime("%d/%m/%Y")).sample(frac=1, random_state=seed).to_numpy(),
        "flag": pd.Series(rng.random(n_rows) < 0.5, dtype=object),
        "code": [f"K-{i:05d}" for i in rng.permutation(n_rows)],
        "number": rng.permutation(n_rows) + 1000,
        "color": rng.choice(["red", "green", "blue", None], n_rows),
    })


@pytest.mark.parametrize("n_partitions", [1, 3, 7])
def test_metadata_equals_in_memory_inference(demo, n_partitions):
    for table in (demo, _mixed_table()):
        frame = dd.from_pandas(table, npartitions=n_partitions)
        assert skltab.dask.infer_metadata(frame) == infer_metadata(frame.compute())


def test_metadata_from_parquet_path(tmp_path):
    table = _mixed_table()
    dd.from_pandas(table, npartitions=3).to_parquet(tmp_path / "table")
    metadata = skltab.dask.infer_metadata(str(tmp_path / "table"))
    assert metadata == infer_metadata(dd.read_parquet(tmp_path / "table").compute())
    assert metadata["code"].kind == "id" and metadata["steps"].step == 5


def test_hash_counts_past_exact_size_estimate_and_detect_duplicates(monkeypatch):
    monkeypatch.setattr("skltab.dask._sketches.MAX_EXACT_DISTINCT", 1000)
    unique = [HashCounts.of(pd.Series(np.arange(i, 50_000, 4, dtype=float))) for i in range(4)]
    merged = unique[0].merge(unique[1]).merge(unique[2]).merge(unique[3])
    assert not merged.exact and merged.all_distinct
    assert abs(merged.n_distinct - 50_000) < 4 * 50_000 / np.sqrt(SKETCH_SIZE)
    repeated = merged.merge(HashCounts.of(pd.Series(np.arange(0, 50_000, 10, dtype=float))))
    assert not repeated.all_distinct


def test_counted_values_compress_to_a_quantile_sketch(monkeypatch):
    monkeypatch.setattr("skltab.dask._sketches.MAX_EXACT_DISTINCT", 20_000)
    numbers = np.random.default_rng(0).normal(size=60_000)
    parts = [CountedValues.of(part) for part in np.array_split(numbers, 6)]
    sketch = parts[0]
    for part in parts[1:]:
        sketch = sketch.merge(part)
    assert not sketch.exact and sketch.total == len(numbers) and len(sketch.values) <= 20_000
    ranks = np.cumsum(sketch.counts) / sketch.total
    true_ranks = np.searchsorted(np.sort(numbers), sketch.values, side="right") / len(numbers)
    assert np.abs(ranks - true_ranks).max() < 6 / SKETCH_SIZE


def test_fastgen_statistics_match_the_in_memory_fit(demo):
    frame = dd.from_pandas(demo, npartitions=4)
    streamed = skltab.dask.fit(FastGenSynthesizer(random_state=0), frame)
    in_memory = FastGenSynthesizer(random_state=0).fit(frame.compute())
    assert streamed.metadata_ == in_memory.metadata_
    for ours, theirs in zip(streamed.spec_["fields"], in_memory.spec_["fields"]):
        assert ours["missing_rate"] == theirs["missing_rate"]
        if ours["distribution"]["family"] in ("categorical", "markov"):
            assert ours["distribution"] == theirs["distribution"], ours["name"]
        else:  # fitted on the same values in another order: equal to rounding
            assert ours["distribution"]["family"] == theirs["distribution"]["family"]
    ours, theirs = streamed.spec_["dependence"], in_memory.spec_["dependence"]
    assert ours["fields"] == theirs["fields"]
    np.testing.assert_allclose(ours["correlation"], theirs["correlation"], atol=1e-9)
    synthetic = streamed.sample(500, random_state=0, conditions={"state": "CA"})
    assert (synthetic["state"] == "CA").all() and list(synthetic.columns) == list(demo.columns)
    again = pickle.loads(pickle.dumps(streamed))
    pd.testing.assert_frame_equal(again.sample(50, random_state=1),
                                  streamed.sample(50, random_state=1))


def test_fastgen_large_column_uses_sample_and_sketch_within_tolerance():
    rng = np.random.default_rng(1)
    n_rows = 20_000
    x = rng.normal(size=n_rows)
    table = pd.DataFrame({"x": x, "y": np.round(x + rng.normal(scale=0.5, size=n_rows), 3),
                          "group": np.where(x > 0, "high", "low")})
    streamed = skltab.dask.fit(FastGenSynthesizer(random_state=0),
                               dd.from_pandas(table, npartitions=5), sample_size=5000)
    in_memory = FastGenSynthesizer(random_state=0).fit(table)
    assert streamed.spec_["fields"][2] == in_memory.spec_["fields"][2]
    np.testing.assert_allclose(streamed.spec_["dependence"]["correlation"],
                               in_memory.spec_["dependence"]["correlation"], atol=1e-9)
    ours = streamed.sample(20_000, random_state=0)
    theirs = in_memory.sample(20_000, random_state=0)
    # Families fitted on another uniform subsample of 2,000 values: equal within noise.
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    np.testing.assert_allclose(ours[["x", "y"]].quantile(levels),
                               theirs[["x", "y"]].quantile(levels), atol=0.1)


def test_pipeline_with_logic_compressor(demo):
    pipeline = make_synthesis_pipeline(LogicCompressor(), FastGenSynthesizer(random_state=0))
    skltab.dask.fit(pipeline, dd.from_pandas(demo, npartitions=3), sample_size=600)
    report = pipeline[0].rule_report_
    assert (report["violations_in_table"].dropna() == 0).all()
    synthetic = pipeline.sample(200, random_state=0, conditions={"city": "Boston"})
    assert (synthetic["city"] == "Boston").all()
    assert pipeline[0].check(synthetic)["violations"].sum() == 0


def _priced_table(n_rows=5000, n_exceptions=5):
    """``total = price * quantity`` on every row but ``n_exceptions``."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"price": rng.integers(1, 50, n_rows).astype(float),
                          "quantity": rng.integers(1, 9, n_rows).astype(float),
                          "shop": rng.choice(["north", "south"], n_rows)})
    table["total"] = table["price"] * table["quantity"]
    table.loc[rng.choice(n_rows, n_exceptions, replace=False), "total"] += 1.0
    return table


def _fit_on_sample(rules, table, sample_size):
    compressor = LogicCompressor(rules=rules, discover=rules is None)
    pipeline = make_synthesis_pipeline(compressor, FastGenSynthesizer(random_state=0))
    return skltab.dask.fit(pipeline, dd.from_pandas(table, npartitions=4),
                           sample_size=sample_size, random_state=0)


def test_rule_found_on_the_sample_but_broken_on_the_table_is_rejected():
    table = _priced_table()
    formula = "total = price * quantity"
    in_memory = LogicCompressor().fit(table)
    assert formula not in [rule.describe() for rule in in_memory.rules_]

    pipeline = _fit_on_sample(None, table, sample_size=200)
    compressor = pipeline[0]
    # Found on the 200 rows of the sample, which miss the 5 exceptions:
    report = compressor.rule_report_.set_index("rule")
    assert report.loc[formula, "action"] == "rejected"
    assert report.loc[formula, "violations_in_table"] == 5
    assert formula not in [rule.describe() for rule in compressor.rules_]
    assert "total" in compressor.get_feature_names_out()
    assert "total" in pipeline.sample(20, random_state=0).columns


def test_given_rule_broken_on_the_table_raises():
    with pytest.raises(ValueError, match=r"total = price \* quantity.*broken on 5 of 5000"):
        _fit_on_sample(["total = price * quantity"], _priced_table(), sample_size=200)


def test_diffusion_streams_partitions_within_the_budget(demo):
    table = demo.drop(columns=["review"])
    synthesizer = MaskedDiffusionSynthesizer(
        hidden_dim=16, n_layers=1, embedding_dim=4, epochs=2, batch_size=64,
        n_sampling_steps=3, random_state=0)
    skltab.dask.fit(synthesizer, dd.from_pandas(table, npartitions=4), sample_size=300)
    n_validation = round(0.1 * len(table))
    budget = 2 * int(np.ceil((len(table) - n_validation) / 64))
    assert synthesizer.n_updates_ == budget
    assert {"partition", "validation_score"} <= set(synthesizer.history_[-1])
    assert synthesizer.stopping_reason_ in ("max_epochs", "n_iter_no_change")
    synthetic = synthesizer.sample(40, random_state=0, conditions={"state": "CA"})
    assert (synthetic["state"] == "CA").all() and synthetic.shape == (40, table.shape[1])


def test_automatic_budget_stops_within_an_epoch_of_a_large_table(monkeypatch):
    from skltab.diffusion import _synthesizer

    monkeypatch.setattr(_synthesizer, "_MAX_STEPS", 40)  # as 10,000 steps on millions of rows
    table = _priced_table(n_rows=4000)
    synthesizer = MaskedDiffusionSynthesizer(
        hidden_dim=16, n_layers=1, embedding_dim=4, batch_size=16, n_sampling_steps=3,
        early_stopping=False, random_state=0)
    skltab.dask.fit(synthesizer, dd.from_pandas(table, npartitions=4), sample_size=200)
    assert synthesizer.n_updates_ == 40 < synthesizer._steps_per_epoch(len(table))
    assert synthesizer._n_epochs(len(table), 4) == 1  # in memory: one whole epoch


@pytest.mark.parametrize("make", [
    lambda: FastGenSynthesizer(random_state=0),
    lambda: MaskedDiffusionSynthesizer(hidden_dim=16, n_layers=1, embedding_dim=4, epochs=2,
                                       batch_size=64, n_sampling_steps=3, random_state=0),
], ids=["fastgen", "diffusion"])
def test_a_fit_on_a_cluster_equals_the_fit_on_local_threads(client, demo, make):
    import dask
    import distributed

    frame = dd.from_pandas(demo.drop(columns=["review"]), npartitions=4)
    with distributed.get_task_stream(client) as tasks:
        on_cluster = skltab.dask.fit(make(), frame, sample_size=300)
    assert {task["worker"] for task in tasks.data} == set(client.scheduler_info()["workers"])
    with dask.config.set(scheduler="threads"):
        threaded = skltab.dask.fit(make(), frame, sample_size=300)
    assert on_cluster.metadata_ == threaded.metadata_
    pd.testing.assert_frame_equal(on_cluster.sample(200, random_state=0),
                                  threaded.sample(200, random_state=0))


def test_diffusion_refuses_free_text(demo):
    synthesizer = MaskedDiffusionSynthesizer(hidden_dim=8, n_layers=1, embedding_dim=4,
                                             epochs=1, random_state=0)
    with pytest.raises(TypeError, match="MaskedDiffusionSynthesizer.*free-text.*review"):
        skltab.dask.fit(synthesizer, dd.from_pandas(demo, npartitions=2), sample_size=200)


def test_refuses_what_cannot_be_fitted_from_partitions(demo):
    frame = dd.from_pandas(demo, npartitions=2)
    with pytest.raises(TypeError, match="IndependentSynthesizer cannot be fitted"):
        skltab.dask.fit(IndependentSynthesizer(), frame)
    with pytest.raises(TypeError, match="backend='llm'"):
        skltab.dask.fit(FastGenSynthesizer(backend="llm"), frame)
    with pytest.raises(TypeError, match="dask DataFrame or the path"):
        skltab.dask.fit(FastGenSynthesizer(), demo)
