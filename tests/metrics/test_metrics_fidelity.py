"""Per-column fidelity metrics against scipy and against their definitions."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy, ks_2samp
from scipy.stats import wasserstein_distance as scipy_wasserstein

from skltab.metadata import infer_metadata
from skltab.metrics import (
    column_fidelity,
    inverse_kl_divergence,
    jensen_shannon_distance,
    ks_statistic,
    missing_rate_difference,
    total_variation_distance,
    wasserstein_distance,
)


def _as_numbers(series):
    if pd.api.types.is_datetime64_any_dtype(series):
        return ((series - pd.Timestamp("1970-01-01")) / pd.Timedelta(1, "D")).dropna().to_numpy()
    return series.dropna().to_numpy(dtype=float)


@pytest.fixture
def real_and_synthetic(table_factory):
    real = table_factory(300, seed=0)
    synthetic = table_factory(250, seed=1, shift=0.4)
    synthetic.loc[:9, "color"] = "purple"  # a category the real table never holds
    return real, synthetic


NUMERIC = ["x", "y", "count", "day"]
CATEGORICAL = ["color", "flag", "label"]


def test_wasserstein_matches_scipy_divided_by_real_range(real_and_synthetic):
    real, synthetic = real_and_synthetic
    details = column_fidelity(real, synthetic)
    expected = {}
    for name in NUMERIC:
        r, s = _as_numbers(real[name]), _as_numbers(synthetic[name])
        expected[name] = scipy_wasserstein(r, s) / (r.max() - r.min())
        assert details.loc[name, "wasserstein"] == pytest.approx(expected[name], rel=1e-9)
    assert wasserstein_distance(real, synthetic) == pytest.approx(np.mean(list(expected.values())))


def test_ks_statistic_matches_scipy(real_and_synthetic):
    real, synthetic = real_and_synthetic
    details = column_fidelity(real, synthetic)
    expected = [ks_2samp(_as_numbers(real[c]), _as_numbers(synthetic[c])).statistic
                for c in NUMERIC]
    np.testing.assert_allclose(details.loc[NUMERIC, "ks_statistic"], expected, rtol=1e-12)
    assert ks_statistic(real, synthetic) == pytest.approx(np.mean(expected))


def test_jensen_shannon_matches_scipy_on_value_frequencies(real_and_synthetic):
    real, synthetic = real_and_synthetic
    details = column_fidelity(real, synthetic)
    expected = []
    for name in CATEGORICAL:
        p, q = real[name].value_counts(normalize=True).align(
            synthetic[name].value_counts(normalize=True), fill_value=0)
        expected.append(jensenshannon(p, q, base=2))
    np.testing.assert_allclose(details.loc[CATEGORICAL, "jensen_shannon"], expected, rtol=1e-9)
    assert jensen_shannon_distance(real, synthetic) == pytest.approx(np.mean(expected))


def test_total_variation_by_definition():
    real = pd.DataFrame({"c": ["a", "a", "b", "b"]})
    synthetic = pd.DataFrame({"c": ["a", "a", "a", "z"]})
    # real (a .5, b .5, z 0), synthetic (a .75, b 0, z .25): half of .25 + .5 + .25
    assert total_variation_distance(real, synthetic) == pytest.approx(0.5)


def test_inverse_kl_is_one_over_one_plus_kl():
    real = pd.DataFrame({"c": ["a", "b"] * 50})
    synthetic = pd.DataFrame({"c": ["a"] * 25 + ["b"] * 75})
    kl = entropy([0.5, 0.5], [0.25, 0.75])
    assert inverse_kl_divergence(real, synthetic) == pytest.approx(1 / (1 + kl))


def test_identical_tables_score_perfectly(table_factory):
    real = table_factory(200, seed=0)
    details = column_fidelity(real, real.copy())
    distances = ["wasserstein", "ks_statistic", "jensen_shannon", "total_variation",
                 "missing_rate_difference"]
    assert np.nanmax(details[distances].to_numpy()) == 0
    assert (details["inverse_kl"] == 1).all()


def test_disjoint_tables_score_worst():
    real = pd.DataFrame({"v": np.linspace(0, 1, 50), "c": ["a", "b"] * 25})
    synthetic = pd.DataFrame({"v": np.linspace(5, 6, 40), "c": ["x", "y"] * 20})
    assert ks_statistic(real, synthetic) == 1
    assert total_variation_distance(real, synthetic) == pytest.approx(1)
    assert jensen_shannon_distance(real, synthetic) == pytest.approx(1)
    assert wasserstein_distance(real, synthetic) == pytest.approx(5)
    assert inverse_kl_divergence(real, synthetic) < 0.1


def test_missing_rate_difference_per_column():
    real = pd.DataFrame({"v": [1.0, np.nan] + [2.0] * 8, "c": ["a"] * 10})
    synthetic = pd.DataFrame({"v": [np.nan] * 4 + [2.0] * 6, "c": ["a"] * 9 + [None]})
    details = column_fidelity(real, synthetic)
    assert details.loc["v", "missing_rate_difference"] == pytest.approx(0.3)
    assert details.loc["c", "missing_rate_difference"] == pytest.approx(0.1)
    assert missing_rate_difference(real, synthetic) == pytest.approx(0.2)


def test_synthetic_column_without_values_scores_worst():
    real = pd.DataFrame({"v": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    synthetic = pd.DataFrame({"v": [np.nan] * 3, "c": [None] * 3})
    details = column_fidelity(real, synthetic)
    assert details.loc["v", ["wasserstein", "ks_statistic"]].tolist() == [1, 1]
    assert details.loc["c", ["jensen_shannon", "total_variation"]].tolist() == [1, 1]
    assert (details["missing_rate_difference"] == 1).all()


def test_text_and_id_columns_are_not_compared_by_distribution(table_factory):
    real = table_factory(60, seed=0).assign(
        key=np.arange(60), note=[f"free text number {i} here" for i in range(60)])
    synthetic = table_factory(60, seed=1).assign(
        key=np.arange(100, 160), note=[f"other words for row {i}" for i in range(60)])
    assert infer_metadata(real)["key"].kind == "id"
    details = column_fidelity(real, synthetic)
    assert "key" not in details.index
    assert details.loc["note", "kind"] == "text"
    assert details.loc["note", ["wasserstein", "jensen_shannon", "total_variation"]].isna().all()
    assert details.loc["note", "missing_rate_difference"] == 0


def test_metadata_decides_the_kind(table_factory):
    real, synthetic = table_factory(100, seed=0), table_factory(100, seed=1)
    metadata = infer_metadata(real).update_column("count", kind="categorical")
    details = column_fidelity(real, synthetic, metadata=metadata)
    assert np.isnan(details.loc["count", "wasserstein"])
    counts = [real["count"].value_counts(normalize=True), synthetic["count"]
              .value_counts(normalize=True)]
    p, q = counts[0].align(counts[1], fill_value=0)
    assert details.loc["count", "total_variation"] == pytest.approx(0.5 * (p - q).abs().sum())


def test_strings_from_csv_compare_like_typed_columns(table_factory, tmp_path):
    real, synthetic = table_factory(80, seed=0), table_factory(80, seed=1)
    for name, table in (("real", real), ("synthetic", synthetic)):
        table.to_csv(tmp_path / f"{name}.csv", index=False)
    from_csv = column_fidelity(pd.read_csv(tmp_path / "real.csv"),
                               pd.read_csv(tmp_path / "synthetic.csv"))
    typed = column_fidelity(real, synthetic)
    assert from_csv.loc["day", "kind"] == "datetime"
    np.testing.assert_allclose(from_csv["ks_statistic"], typed["ks_statistic"])


def test_mismatched_columns_raise_naming_them(table_factory):
    real = table_factory(30, seed=0)
    synthetic = real.drop(columns="y").rename(columns={"x": "x2"})
    with pytest.raises(ValueError, match=r"missing \['x', 'y'\], unexpected \['x2'\]"):
        column_fidelity(real, synthetic)


def test_unreadable_synthetic_column_is_named(table_factory):
    real = table_factory(30, seed=0)
    synthetic = real.assign(count=["many"] * 30)
    with pytest.raises(ValueError, match="synthetic: column 'count'"):
        wasserstein_distance(real, synthetic)


def test_synthetic_must_be_a_dataframe(table_factory):
    real = table_factory(30, seed=0)
    with pytest.raises(TypeError, match="synthetic must be a pandas DataFrame"):
        ks_statistic(real, real.to_numpy())


def test_invented_values_are_numbers_off_the_recorded_values_or_grain():
    from skltab.metrics import evaluate

    real = pd.DataFrame({"discount": [0, 5, 10, 15] * 10, "amount": np.arange(40) * 100.0,
                         "x": np.linspace(0, 1, 40)})
    metadata = infer_metadata(real)
    assert metadata["discount"].values == [0, 5, 10, 15] and metadata["amount"].step == 100
    synthetic = real.copy()
    synthetic.loc[0, "discount"] = 7  # invented
    synthetic.loc[1, "amount"] = 150.0  # off the grain
    synthetic.loc[2, "amount"] = np.nan  # missing: not invented
    synthetic.loc[3, "x"] = 0.123  # no grain: never invented
    table = column_fidelity(real, synthetic, metadata=metadata)
    assert table.loc["discount", "invented_rate"] == pytest.approx(1 / 40)
    assert table.loc["amount", "invented_rate"] == pytest.approx(1 / 39)
    assert np.isnan(table.loc["x", "invented_rate"])
    summary = evaluate(real, synthetic, metadata=metadata).summary()
    assert summary.loc["invented_value_rate", "value"] == pytest.approx(2 / 40)
    assert not summary.loc["invented_value_rate", "greater_is_better"]
    assert evaluate(real, real, metadata=metadata).summary().loc[
        "invented_value_rate", "value"] == 0
