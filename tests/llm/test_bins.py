"""Numbers written as quantile bins: the columns chosen, the real distribution kept."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skltab.llm._bins import OUT_OF_RANGE, QuantileBins, auto_n_bins
from skltab.metadata import infer_metadata


def _table(n_rows=2000, seed=0):
    rng = np.random.RandomState(seed)
    spike = np.where(rng.uniform(size=n_rows) < 0.7, 0.0, rng.lognormal(8, 1, n_rows).round())
    return pd.DataFrame({
        "height": rng.normal(170, 10, n_rows),
        "gain": spike,
        "children": rng.randint(0, 4, n_rows),
        "city": rng.choice(["a", "b"], n_rows),
    })


def _fitted(table, n_bins=16):
    return QuantileBins(n_bins).fit(table, infer_metadata(table))


def test_many_valued_numbers_are_binned_and_other_columns_kept():
    table = _table()
    bins = _fitted(table)
    assert bins.columns_ == ["height", "gain"]
    encoded = bins.encode(table)
    assert encoded["children"].equals(table["children"])
    assert encoded["city"].equals(table["city"])
    assert set(encoded["height"]) <= set(bins.labels) and encoded["height"].nunique() == 16
    metadata = bins.metadata(infer_metadata(table))
    assert metadata["height"].kind == "categorical" and metadata["height"].categories == bins.labels
    assert metadata["children"].kind == "integer"
    assert QuantileBins(None).fit(table, infer_metadata(table)).columns_ == []


def test_decoded_values_follow_the_real_distribution_and_keep_spikes():
    table = _table()
    bins = _fitted(table)
    rng = np.random.RandomState(1)
    decoded = bins.decode(bins.encode(table), rng.uniform(size=(len(table), 2)))
    assert stats.ks_2samp(decoded["height"], table["height"]).statistic < 0.03
    assert decoded["height"].between(table["height"].min(), table["height"].max()).all()
    # the spike at 0 is one label, and decodes to 0 as often as the real column holds it
    zero_labels = set(bins.encode(table)["gain"][table["gain"] == 0])
    assert len(zero_labels) == 1
    assert np.mean(decoded["gain"] == 0) == pytest.approx(np.mean(table["gain"] == 0), abs=0.02)


def test_each_label_decodes_between_the_quantiles_of_its_bin():
    table = _table()
    bins = _fitted(table)
    encoded = bins.encode(table)
    bin_of_row = encoded["height"].str[1:].astype(int).to_numpy()
    bounds = [bins.transform_.values_at(np.column_stack([(bin_of_row + k) / 16] * 2))[:, 0]
              for k in (0, 1)]
    for uniform in (0.0, 0.5, 0.999):
        decoded = bins.decode(encoded, np.full((len(table), 2), uniform))["height"]
        assert np.all((bounds[0] - 1e-9 <= decoded) & (decoded <= bounds[1] + 1e-9))
        assert (bins.encode(bins.decode(encoded, np.full((len(table), 2), 0.5)))["height"]
                == encoded["height"]).all()


def test_the_density_within_a_bin_integrates_to_one():
    table = _table()
    bins = _fitted(table)
    grid = np.linspace(table["height"].min(), table["height"].max(), 200_001)
    frame = pd.DataFrame({"height": grid, "gain": np.nan})
    density = np.exp(bins.log_density(frame))
    labels = bins.encode(frame)["height"]
    step = grid[1] - grid[0]
    for label in ("q0", "q7", "q15"):
        assert density[labels == label].sum() * step == pytest.approx(1.0, abs=0.02)
    # a tied value has the probability of its tie within its bin: 0 fills its bins whole
    zero = pd.DataFrame({"height": [np.nan], "gain": [0.0]})
    assert bins.log_density(zero)[0] == pytest.approx(0.0)


def test_values_outside_the_real_range_are_named_or_become_no_label():
    table = _table()
    bins = _fitted(table)
    wider = table.assign(height=table["height"] + 100)
    with pytest.raises(ValueError, match="'height'.*outside the real range"):
        bins.check(wider)
    assert (bins.encode(wider)["height"] == OUT_OF_RANGE).any()


def test_conditions_may_hold_some_binned_columns_only():
    table = _table()
    bins = _fitted(table)
    encoded = bins.encode(pd.DataFrame({"gain": [0.0, np.nan]}))
    assert list(encoded.columns) == ["gain"]
    assert encoded["gain"][0] in bins.labels and encoded["gain"][1] is None


@pytest.mark.parametrize("n_rows, expected", [(40, 8), (142, 8), (300, 18), (455, 28), (5000, 64)])
def test_automatic_bins_follow_the_rows(n_rows, expected):
    assert auto_n_bins(n_rows) == expected


@pytest.mark.parametrize("n_bins", [17, 37, 64])
def test_bins_hold_equal_shares_of_a_continuous_column(n_bins):
    table = pd.DataFrame({"x": np.random.RandomState(0).normal(size=3000)})
    counts = _fitted(table, n_bins).encode(table)["x"].value_counts()
    assert len(counts) == n_bins and counts.max() - counts.min() <= 0.1 * 3000 / n_bins


def test_rows_all_missing_in_a_binned_column_decode_to_missing():
    """A few sampled rows (a privacy guard's redraw) may all miss a binned column, which
    pandas then holds as floats."""
    table = _table().assign(height=lambda t: t["height"].where(t.index % 3 > 0))
    bins = _fitted(table)
    encoded = bins.encode(table.iloc[[0, 3]])
    assert encoded["height"].isna().all()
    missing = encoded.assign(height=np.nan)
    decoded = bins.decode(missing, np.full((2, 2), 0.5))
    assert decoded["height"].isna().all() and decoded["gain"].notna().all()
