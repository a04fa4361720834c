"""Discovery finds the rules a table obeys, and nothing that holds by chance."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import discover_rules, parse_rules

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def _texts(rules):
    return {rule.describe() for rule in rules}


@pytest.mark.parametrize("random_state", [0, 1])
def test_demo_rules_are_recovered_exactly(random_state):
    found = discover_rules(load_demo(random_state=random_state))
    assert set(found) == set(parse_rules(DEMO_RULES))  # precision and recall 1.0
    assert len(found) == len(DEMO_RULES)


def test_chains_are_not_repeated_and_ids_determine_nothing():
    found = _texts(discover_rules(load_demo(n_samples=600, random_state=2)))
    assert "zip -> state" not in found  # implied by zip -> city and city -> state
    assert not [text for text in found if text.startswith(("order_id", "review"))]
    assert "ship_date >= member_since" not in found  # implied by the two orders


def _random_table(n, random_state=0):
    rng = np.random.RandomState(random_state)
    return pd.DataFrame({
        "a": rng.randint(1, 40, n),
        "b": np.round(rng.uniform(1, 50, n), 2),
        "group": rng.choice(["x", "y", "z", "w"], n),
        "flag": rng.uniform(size=n) < 0.5,
        "code": rng.choice(["p", "q", "r"], n),
    })


@pytest.mark.parametrize("expression, expected", [
    ("a + b", "c = a + b"),
    ("b / a", "c = b / a"),
    ("b * (1 + a / 100)", "c = b * (1 + a / 100)"),
    ("1.8 * b + 32", "c = 1.8 * b + 32"),
])
def test_formulas_are_found_within_the_rounding(expression, expected):
    table = _random_table(300)
    values = {"a + b": table["a"] + table["b"], "b / a": table["b"] / table["a"],
              "b * (1 + a / 100)": table["b"] * (1 + table["a"] / 100),
              "1.8 * b + 32": 1.8 * table["b"] + 32}[expression]
    table["c"] = np.round(values, 3)
    assert _texts(discover_rules(table)) == {expected}


def test_random_columns_have_no_rules():
    assert discover_rules(_random_table(2000)) == []


def test_a_dependency_seen_on_few_rows_is_taken_for_chance():
    table = _random_table(12)
    table["label"] = table["group"].map({"x": "one", "y": "two", "z": "one", "w": "two"})
    assert discover_rules(table) == []
    larger = _random_table(400)
    larger["label"] = larger["group"].map({"x": "one", "y": "two", "z": "one", "w": "two"})
    assert _texts(discover_rules(larger)) == {"group -> label"}


def test_two_column_determinants_are_minimal():
    table = _random_table(800)
    prices = {(False, "p"): 1.0, (True, "p"): 1.0, (False, "q"): 1.0, (True, "q"): 2.0,
              (False, "r"): 2.0, (True, "r"): 2.0}  # neither column alone, nor with price
    table["price"] = [prices[key] for key in zip(table["flag"], table["code"])]
    found = _texts(discover_rules(table))
    assert found == {"flag, code -> price"}
    assert _texts(discover_rules(table, max_determinant_size=1)) == set()


def test_ties_constants_and_months():
    table = _random_table(500)
    table["years"] = np.where(table["flag"], np.random.RandomState(1).randint(1, 30, 500), 0)
    table["country"] = "US"
    table["start"] = pd.Timestamp("2020-01-31") + pd.to_timedelta(table["a"] * 7, unit="D")
    table["end"] = table.apply(lambda row: row["start"] + pd.DateOffset(months=row["a"]), axis=1)
    found = _texts(discover_rules(table))
    assert found == {"country = 'US'", "years is 0 when flag is False",
                     "a = end - start (months)", "end >= start"}


def test_tolerance_accepts_rare_breaks():
    table = _random_table(1000)
    table["c"] = table["a"] * table["b"]
    table.loc[3, "c"] += 100
    assert discover_rules(table) == []
    assert _texts(discover_rules(table, tolerance=0.01)) == {"c = a * b"}


def test_equivalent_determinants_give_one_dependency():
    table = _random_table(500)
    table["a_plus"] = table["a"] + 1000  # another name for a, tied to it by a formula
    table["years"] = np.where(table["flag"], table["a"], 0)
    found = _texts(discover_rules(table))
    assert found == {"a_plus = a + 1000", "a, flag -> years", "years is 0 when flag is False"}


def test_min_support_keeps_nearly_unique_determinants_out():
    table = _random_table(200)
    table["key"] = np.arange(200) // 4  # 50 values of 4 rows
    table["value"] = table["key"] % 7
    assert "key -> value" in _texts(discover_rules(table, min_support=3))
    assert "key -> value" not in _texts(discover_rules(table, min_support=5))


@pytest.mark.skipif(not (SHARED / "adult.csv").exists(), reason="shared datasets absent")
def test_adult_education_maps_one_to_one():
    adult = pd.read_csv(SHARED / "adult.csv")
    found = discover_rules(adult)
    assert _texts(found) == {"education <-> `education-num`"}
    assert found[0].check(adult).all()
