import re

import numpy as np
import pandas as pd
import pytest

from skltab import IndependentSynthesizer
from skltab.datasets import DEMO_RULES, load_demo, make_demo_table
from skltab.metadata import infer_metadata

SEEDS = [0, 1, 7]

INTENDED_KINDS = {
    "order_id": "id",
    "order_date": "datetime",
    "ship_date": "datetime",
    "delivery_days": "integer",
    "zip": "categorical",
    "city": "categorical",
    "state": "categorical",
    "product_category": "categorical",
    "unit_price": "continuous",
    "quantity": "integer",
    "total": "continuous",
    "discount_pct": "integer",
    "net": "continuous",
    "payment_method": "categorical",
    "customer_age": "integer",
    "customer_income": "integer",
    "is_member": "boolean",
    "member_since": "datetime",
    "rating": "integer",
    "review": "text",
}


@pytest.fixture(scope="module", params=SEEDS)
def orders(request):
    return make_demo_table(3000, random_state=request.param)


def _cents(values):
    return np.rint(values.to_numpy() * 100).astype(np.int64)


def test_same_seed_same_table_and_different_seeds_differ():
    pd.testing.assert_frame_equal(make_demo_table(300, random_state=3),
                                  make_demo_table(300, random_state=3))
    pd.testing.assert_frame_equal(make_demo_table(300, random_state=np.random.RandomState(3)),
                                  make_demo_table(300, random_state=3))
    first, second = make_demo_table(300, random_state=3), make_demo_table(300, random_state=4)
    for column in ["order_id", "order_date", "unit_price", "customer_income", "review"]:
        assert not first[column].equals(second[column]), column


def test_load_demo_is_the_generated_table():
    pd.testing.assert_frame_equal(load_demo(n_samples=200, random_state=5),
                                  make_demo_table(200, random_state=5))
    assert load_demo().shape == (1000, 20)


def test_columns_and_natural_dtypes():
    table = make_demo_table(500)
    assert list(table.columns) == list(INTENDED_KINDS)
    for column in ["delivery_days", "quantity", "discount_pct", "customer_age", "customer_income"]:
        assert table[column].dtype == np.int64, column
    for column in ["unit_price", "total", "net", "rating"]:
        assert table[column].dtype == np.float64, column
    for column in ["order_date", "ship_date", "member_since"]:
        assert pd.api.types.is_datetime64_any_dtype(table[column]), column
    for column in ["order_id", "zip", "city", "state", "payment_method", "review"]:
        dtype = table[column].dtype
        assert dtype == object or isinstance(dtype, pd.StringDtype), column
        assert table[column].dropna().map(type).eq(str).all(), column
    assert table["is_member"].dtype == bool
    assert isinstance(table["product_category"].dtype, pd.CategoricalDtype)
    assert table["product_category"].cat.categories.size >= 5


def test_order_id_is_unique_and_patterned(orders):
    assert orders["order_id"].is_unique
    assert orders["order_id"].str.fullmatch(r"ORD-\d{6}").all()


def test_zip_city_state_hierarchy(orders):
    assert orders.groupby("zip")["city"].nunique().eq(1).all()
    assert orders.groupby("city")["state"].nunique().eq(1).all()
    # A real hierarchy: several zips per city and several cities per state.
    assert orders.groupby("city")["zip"].nunique().ge(2).all()
    assert orders.groupby("state")["city"].nunique().ge(2).all()
    assert orders["zip"].str.fullmatch(r"\d{5}").all()


def test_total_is_unit_price_times_quantity(orders):
    recomputed = np.round(orders["unit_price"] * orders["quantity"], 2)
    assert (recomputed == orders["total"]).all()
    # The same identity in exact integer cents, independent of float rounding conventions.
    assert (_cents(orders["unit_price"]) * orders["quantity"].to_numpy()
            == _cents(orders["total"])).all()
    assert (np.round(orders["unit_price"], 2) == orders["unit_price"]).all()


def test_net_is_total_less_discount(orders):
    recomputed = np.round(orders["total"] * (1 - orders["discount_pct"] / 100), 2)
    assert (recomputed == orders["net"]).all()
    exact_hundredths_of_cents = _cents(orders["total"]) * (100 - orders["discount_pct"].to_numpy())
    assert (np.abs(_cents(orders["net"]) * 100 - exact_hundredths_of_cents) <= 50).all()
    assert orders["discount_pct"].gt(0).any() and orders["discount_pct"].eq(0).any()


def test_ship_date_and_delivery_days(orders):
    assert (orders["ship_date"] >= orders["order_date"]).all()
    difference = (orders["ship_date"] - orders["order_date"]).dt.days
    assert (difference == orders["delivery_days"]).all()
    assert (orders["order_date"] == orders["order_date"].dt.normalize()).all()


def test_member_since_missing_exactly_for_non_members(orders):
    missing = orders["member_since"].isna()
    assert (missing == ~orders["is_member"]).all()
    members = orders[orders["is_member"]]
    assert (members["order_date"] >= members["member_since"]).all()


def test_every_rule_names_demo_columns():
    columns = set(make_demo_table(50).columns)
    words = {"missing", "when", "is", "days"}
    for rule in DEMO_RULES:
        names = set(re.findall(r"\b[a-z_]+\b", rule)) - words
        assert names and names <= columns, rule


def test_missing_values_where_intended():
    table = make_demo_table(5000, random_state=2)
    rates = table.isna().mean()
    assert 0.04 <= rates["payment_method"] <= 0.08
    assert 0.08 <= rates["rating"] <= 0.12
    assert 0.2 <= table["is_member"].mean() <= 0.5
    others = rates.drop(["payment_method", "rating", "member_since"])
    assert (others == 0).all(), others[others > 0]


def test_statistical_dependencies():
    table = make_demo_table(5000, random_state=0)
    age, income = table["customer_age"], table["customer_income"]
    assert income[age.between(40, 55)].median() > 1.3 * income[age <= 25].median()
    assert income.mean() > 1.05 * income.median() > 0  # right-skewed
    quantity = table.groupby("product_category", observed=True)["quantity"].mean()
    assert quantity["Grocery"] > 2 * quantity["Electronics"]
    price = table.groupby("product_category", observed=True)["unit_price"].median()
    assert price["Electronics"] > 3 * price["Grocery"]
    rating = table["rating"]
    assert rating[table["delivery_days"] >= 6].mean() < rating[table["delivery_days"] <= 3].mean()
    rich = income > income.median()
    assert table.loc[rich, "is_member"].mean() > table.loc[~rich, "is_member"].mean()
    assert table.groupby("is_member")["discount_pct"].mean()[True] > \
        table.groupby("is_member")["discount_pct"].mean()[False]


def test_reviews_are_mostly_distinct_sentences():
    reviews = make_demo_table(2000, random_state=1)["review"]
    assert reviews.str.split().str.len().min() >= 3
    assert reviews.nunique() >= 0.8 * len(reviews)


def test_inferred_kinds_are_the_intended_ones():
    metadata = infer_metadata(load_demo())
    assert {column.name: column.kind for column in metadata} == INTENDED_KINDS


def test_independent_synthesizer_round_trip():
    real = load_demo(n_samples=400)
    synthetic = IndependentSynthesizer(random_state=0).fit(real).sample(50)
    assert synthetic.shape == (50, real.shape[1])
    assert list(synthetic.columns) == list(real.columns)
    pd.testing.assert_series_equal(synthetic.dtypes, real.dtypes)
    assert set(synthetic["city"]) <= set(real["city"])


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, "10"])
def test_invalid_n_samples(n_samples):
    with pytest.raises((ValueError, TypeError), match="n_samples"):
        make_demo_table(n_samples)


def test_invalid_random_state():
    with pytest.raises((ValueError, TypeError), match="random_state"):
        load_demo(random_state="seed")
