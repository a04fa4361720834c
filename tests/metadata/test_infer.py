"""Kinds and statistics are inferred from values, never from names."""

import numpy as np
import pandas as pd
import pytest

from skltab.metadata import infer_kind, infer_metadata


def _dates(n, rng):
    return pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.randint(0, 900, n), unit="D")


@pytest.fixture
def table():
    rng = np.random.RandomState(0)
    n = 150
    return pd.DataFrame(
        {
            "price": rng.gamma(2, 10, n).round(2),
            "count": rng.poisson(3, n),
            "count_with_gaps": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.poisson(3, n)),
            "colour": rng.choice(["red", "green", "blue"], n),
            "level": pd.Categorical(rng.choice(["low", "high"], n), categories=["low", "high"],
                                    ordered=True),
            "flag": rng.uniform(size=n) < 0.5,
            "flag_object": pd.Series(rng.uniform(size=n) < 0.5, dtype=object),
            "when": _dates(n, rng),
            "when_text": _dates(n, rng).strftime("%d/%m/%Y"),
            "stamp": (pd.Timestamp("2021-01-01", tz="America/New_York")
                      + pd.to_timedelta(rng.randint(0, 10**7, n), unit="s")),
            "order_no": [f"ORD-{i:06d}" for i in rng.permutation(n)],
            "row": np.arange(n) + 1000,
            "note": [f"the parcel arrived {w} and {v}" for w, v in
                     zip(rng.choice(["late", "early", "today", "broken"], n), range(n))],
        }
    )


def test_each_kind_is_inferred(table):
    kinds = infer_metadata(table).kinds
    assert kinds == {
        "price": "continuous",
        "count": "integer",
        "count_with_gaps": "integer",
        "colour": "categorical",
        "level": "categorical",
        "flag": "boolean",
        "flag_object": "boolean",
        "when": "datetime",
        "when_text": "datetime",
        "stamp": "datetime",
        "order_no": "id",
        "row": "id",
        "note": "text",
    }


def test_statistics(table):
    meta = infer_metadata(table)
    assert meta["price"].decimals == 2
    assert meta["price"].min == table["price"].min() and meta["price"].max == table["price"].max()
    assert meta["count_with_gaps"].nullable
    assert meta["count_with_gaps"].missing_rate == pytest.approx(
        table["count_with_gaps"].isna().mean())
    assert not meta["count"].nullable and meta["count"].missing_rate == 0
    assert meta["colour"].categories == ["blue", "green", "red"]
    assert meta["level"].categories == ["low", "high"] and meta["level"].ordered
    assert meta["when"].datetime_unit == "D"
    assert meta["when_text"].datetime_format == "%d/%m/%Y"
    assert meta["stamp"].timezone == "America/New_York" and meta["stamp"].datetime_unit == "s"
    assert meta["order_no"].id_template == "ORD-999999"
    assert meta["row"].id_template is None and meta["row"].min == 1000
    assert meta["price"].dtype == "float64" and meta["level"].dtype == "category"


def test_names_do_not_decide_the_kind():
    n = 60
    table = pd.DataFrame({
        "id": ["a", "b", "c"] * (n // 3),
        "date": np.linspace(0, 1, n),
        "price": [f"item number {i} is good" for i in range(n)],
    })
    assert infer_metadata(table).kinds == {"id": "categorical", "date": "continuous",
                                           "price": "text"}


def test_small_tables_are_not_taken_for_ids():
    assert infer_kind(pd.Series([f"X{i}" for i in range(10)])) == "categorical"
    assert infer_kind(pd.Series(np.arange(10))) == "integer"


def test_integers_stored_as_floats_are_integers():
    column = infer_metadata(pd.DataFrame({"n": [1.0, 2.0, np.nan, 5.0]}))["n"]
    assert column.kind == "integer" and column.dtype == "float64" and column.nullable


def test_unpadded_date_strings_stay_categorical():
    series = pd.Series(["1/2/2020", "11/12/2020", "3/4/2021"] * 5)
    assert infer_kind(series) == "categorical"


def test_overrides_change_kind_and_fields(table):
    meta = infer_metadata(table, overrides={"count": "categorical",
                                            "price": {"decimals": 1}})
    assert meta["count"].kind == "categorical"
    assert meta["count"].categories == sorted(table["count"].unique().tolist())
    assert meta["price"].decimals == 1


def test_overrides_are_validated(table):
    with pytest.raises(ValueError, match=r"unknown columns \['nope'\]"):
        infer_metadata(table, overrides={"nope": "integer"})
    with pytest.raises(ValueError, match="column 'count' has unknown kind 'number'"):
        infer_metadata(table, overrides={"count": "number"})


def test_datetime_override_of_free_strings_is_rejected():
    table = pd.DataFrame({"d": ["soon", "later"] * 5})
    with pytest.raises(ValueError, match="'d' cannot be modelled as datetime"):
        infer_metadata(table, overrides={"d": "datetime"})
