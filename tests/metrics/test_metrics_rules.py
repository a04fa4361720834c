"""The logic metric: rule text, callables and rule objects."""

import numpy as np
import pandas as pd
import pytest

from skltab.metrics import parse_rule, rule_violation_rate, rule_violations


def test_formula_rule(orders):
    assert rule_violation_rate(orders, ["total = unit_price * quantity"]) == 0.25


@pytest.mark.parametrize("text, expected", [
    ("total - quantity = unit_price * quantity - quantity", 0.25),
    ("unit_price = total / quantity", 0.25),
    ("total = (unit_price + 0) * quantity", 0.25),
    ("-total = -unit_price * quantity", 0.25),
    ("total >= unit_price", 0.0),
    ("total < 10", 0.25),
    ("quantity > 1", 0.25),
])
def test_arithmetic_and_comparisons(orders, text, expected):
    assert rule_violation_rate(orders, [text]) == expected


def test_equality_tolerates_the_rounding_of_the_left_column():
    table = pd.DataFrame({"price": [0.333, 1.115, 2.0], "quantity": [3, 3, 3],
                          "total": [1.0, 3.35, 6.02]})  # 0.999 and 3.345 rounded; 6.02 is wrong
    assert rule_violations(table, ["total = price * quantity"]).tolist() == [1 / 3]


def test_datetime_strings_compare_as_dates(orders):
    assert rule_violation_rate(orders, ["start <= end"]) == 0.25
    us_dates = orders.assign(start=["01/15/2021"] * 4, end=["02/01/2021", "01/02/2021",
                                                            "03/01/2021", "12/31/2021"])
    assert rule_violation_rate(us_dates, ["start <= end"]) == 0.25


def test_functional_dependency_follows_the_reference(orders):
    synthetic = orders.assign(city=["New York", "Boston", "San Francisco", "Oakland"],
                              zip=["10001", "10001", "94105", "60601"])
    # row 2: 10001 is New York in the reference; row 4: 60601 is unknown there but its
    # only city in the table is Oakland
    assert rule_violation_rate(synthetic, ["zip -> city"], reference=orders) == 0.25
    assert rule_violation_rate(orders, ["zip -> city"]) == 0


def test_functional_dependency_with_several_determinants(orders):
    table = orders.assign(country=["US"] * 4, city=["A", "A", "B", "C"])
    assert rule_violation_rate(table, ["country, zip -> city"]) == 0.25


def test_rows_at_least_one_rule_breaks(orders):
    rules = ["total = unit_price * quantity", "start <= end"]
    assert rule_violation_rate(orders, rules) == 0.5
    assert rule_violations(orders, rules).to_dict() == {rules[0]: 0.25, rules[1]: 0.25}


def test_missing_values_satisfy_rules(orders):
    orders.loc[2, "total"] = np.nan
    orders.loc[0, "city"] = None
    assert rule_violation_rate(orders, ["total = unit_price * quantity", "zip -> city"]) == 0


def test_callables_and_rule_objects(orders):
    class Positive:
        def check(self, table):
            return table["quantity"] > 1

    def cheap(table):
        return table["unit_price"] < 5

    violations = rule_violations(orders, [Positive(), cheap, lambda t: t["total"] < 100])
    assert violations["cheap"] == 0.25
    assert violations.iloc[0] == 0.25
    assert violations["<lambda>"] == 0


def test_backticks_quote_column_names():
    table = pd.DataFrame({"education-num": [1, 2], "years in school": [1, 3]})
    assert rule_violation_rate(table, ["`years in school` = `education-num`"]) == 0.5


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('true')", "unexpected character"),
    ("total = unit_price *", "ends too early"),
    ("total unit_price", "expected a comparison"),
    ("total = (unit_price * quantity", "parenthesis is not closed"),
    ("zip -> city, state", "must be one column"),
    ("zip + 1 -> city", "column names separated by commas"),
    ("total = price = quantity", "unexpected '='"),
    ("", "empty rule"),
])
def test_bad_rule_text_is_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rule(text)


def test_unknown_columns_are_named(orders):
    with pytest.raises(ValueError, match=r"reads columns \['price'\]"):
        rule_violation_rate(orders, ["total = price * quantity"])


def test_rules_must_be_a_list_of_checkable_rules(orders):
    with pytest.raises(TypeError, match="wrap a single rule in a list"):
        rule_violation_rate(orders, "total = unit_price * quantity")
    with pytest.raises(TypeError, match="must be a str, an object with a check method"):
        rule_violation_rate(orders, [42])
    with pytest.raises(TypeError, match="must return one boolean per row"):
        rule_violation_rate(orders, [lambda t: t["total"]])
    with pytest.raises(ValueError, match="rules is empty"):
        rule_violation_rate(orders, [])


def test_parsed_rules_expose_their_columns():
    assert parse_rule("total = unit_price * quantity").columns == ["quantity", "total",
                                                                   "unit_price"]
    assert parse_rule("zip, country -> city").columns == ["zip", "country", "city"]


def test_every_demo_rule_reads_and_holds_on_the_demo_table():
    from skltab.datasets import DEMO_RULES, load_demo

    demo = load_demo(n_samples=300)
    assert rule_violation_rate(demo, DEMO_RULES) == 0.0
    shifted = demo.assign(delivery_days=demo["delivery_days"] + 1)
    rates = rule_violations(shifted, DEMO_RULES)
    assert rates["delivery_days = ship_date - order_date (days)"] == 1.0


def test_rule_objects_of_skltab_logic_use_the_reference(orders):
    rule = parse_rule("zip -> city")
    synthetic = orders.assign(city=["Boston", "New York", "San Francisco", "San Francisco"])
    assert rule_violations(synthetic, [rule], reference=orders).to_dict() == {"zip -> city": 0.25}
