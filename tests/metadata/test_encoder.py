"""The shared encoder maps tables to model space and back with the exact dtypes."""

import numpy as np
import pandas as pd
import pytest

from skltab.metadata import EncodedTable, TableEncoder, infer_metadata


@pytest.fixture
def table():
    rng = np.random.RandomState(1)
    n = 100
    return pd.DataFrame(
        {
            "x": rng.normal(size=n).round(3),
            "k": rng.randint(0, 9, n),
            "k_na": pd.array(np.where(rng.uniform(size=n) < 0.3, None, rng.randint(0, 4, n)),
                             dtype="Int64"),
            "c": rng.choice(["a", "b"], n),
            "c_na": pd.Series(rng.choice(["u", "v"], n),
                              dtype=object).mask(rng.uniform(size=n) < 0.2),
            "cat": pd.Categorical(rng.choice(["p", "q"], n), categories=["p", "q", "r"]),
            "b": rng.uniform(size=n) < 0.5,
            "b_na": pd.array(np.where(rng.uniform(size=n) < 0.2, None, rng.uniform(size=n) < 0.5),
                             dtype="boolean"),
            "t": pd.Timestamp("2022-01-01", tz="UTC")
            + pd.to_timedelta(rng.randint(0, 10**6, n), unit="s"),
            "ts": (pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.randint(0, 99, n), unit="D"))
            .strftime("%Y-%m-%d"),
            "id": [f"K{i:04d}" for i in range(n)],
        }
    )


def test_round_trip_restores_values_and_dtypes(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    decoded = encoder.inverse_transform(encoder.transform(table))
    expected = table.drop(columns="id")
    pd.testing.assert_frame_equal(decoded, expected)


def test_blocks_and_missing_codes(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    assert encoder.numeric_columns_ == ["x", "k", "k_na", "t", "ts"]
    assert encoder.discrete_columns_ == ["c", "c_na", "cat", "b", "b_na"]
    assert encoder.cardinalities_ == [2, 3, 3, 2, 3]
    encoded = encoder.transform(table)
    assert np.isnan(encoded.numeric[:, 2]).sum() == table["k_na"].isna().sum()
    code = encoder.missing_code("c_na")
    assert code == 2 and (encoded.discrete[:, 1] == code).sum() == table["c_na"].isna().sum()
    assert encoder.missing_code("c") is None


def test_codes_of_one_column_index_its_categories(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    assert encoder.categories_["c_na"] == ["u", "v"]
    values = pd.Series(["v", None, "u", "z"], name="c_na")
    np.testing.assert_array_equal(encoder.codes(values, unknown="mark"), [1, 2, 0, -1])
    with pytest.raises(ValueError, match="Column 'c_na' holds values never seen"):
        encoder.codes(values)


def test_decoding_clips_and_rounds(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    encoded = encoder.transform(table.iloc[:2])
    numeric = encoded.numeric.copy()
    numeric[0, 0] = 1e6
    numeric[1, 0] = 0.123456
    numeric[0, 1] = 3.7
    decoded = encoder.inverse_transform(EncodedTable(numeric, encoded.discrete))
    assert decoded["x"].iloc[0] == table["x"].max()
    assert decoded["x"].iloc[1] == 0.123
    assert decoded["k"].iloc[0] == 4 and decoded["k"].dtype == np.int64


def test_unseen_category_is_an_error_naming_the_column(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    with pytest.raises(ValueError, match=r"Column 'c' holds values never seen .*\['z'\]"):
        encoder.transform(table.assign(c="z"))
    marked = encoder.transform(table.assign(c="z"), unknown="mark")
    assert (marked.discrete[:, 0] == -1).all()


def test_missing_value_in_column_without_missing_is_an_error(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    with pytest.raises(ValueError, match="Column 'c' has missing values but had none"):
        encoder.transform(table.assign(c=None))
    encoded = encoder.transform(table.iloc[:3])
    numeric = encoded.numeric.copy()
    numeric[0, 1] = np.nan
    with pytest.raises(ValueError, match="Column 'k' has dtype int64, which cannot hold missing"):
        encoder.inverse_transform(EncodedTable(numeric, encoded.discrete))


def test_invalid_codes_are_an_error(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    encoded = encoder.transform(table.iloc[:3])
    discrete = encoded.discrete.copy()
    discrete[0, 0] = 5
    with pytest.raises(ValueError, match=r"Column 'c': codes \[5\] are outside 0..1"):
        encoder.inverse_transform(EncodedTable(encoded.numeric, discrete))


def test_missing_column_is_an_error(table):
    encoder = TableEncoder(infer_metadata(table)).fit(table)
    with pytest.raises(ValueError, match=r"Columns \['x'\] are missing"):
        encoder.transform(table.drop(columns="x"))
