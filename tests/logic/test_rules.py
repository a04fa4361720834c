"""Each kind of rule: checking rows, learning from a table, rebuilding a column."""

import numpy as np
import pandas as pd
import pytest

from skltab.logic import parse_rule


@pytest.fixture
def orders():
    return pd.DataFrame({
        "zip": ["10001", "10001", "94105", "94105", "60601"],
        "city": ["New York", "New York", "San Francisco", "San Francisco", "Chicago"],
        "unit_price": [2.5, 1.99, 10.0, 3.33, 0.15],
        "quantity": [2, 3, 1, 3, 3],
        "order_date": pd.to_datetime(["2023-01-31", "2023-02-01", "2023-03-15", "2023-05-31",
                                      "2023-12-31"]),
        "days": [1, 4, 0, 2, 3],
    })


def test_dependency_rebuilds_the_most_frequent_dependent(orders):
    rule = parse_rule("zip -> city").fit(orders.assign(city=[*orders["city"][:4], "Chicago"]))
    restored = rule.restore(pd.DataFrame({"zip": ["94105", "60601", "10001"]}), "city")
    assert restored.tolist() == ["San Francisco", "Chicago", "New York"]
    broken = orders.assign(city=["New York", "Boston", "San Francisco", "San Francisco",
                                 "Chicago"])
    assert rule.check(broken).tolist() == [True, False, True, True, True]


@pytest.mark.parametrize("unknown, expected", [("nearest", [20.0]), ("missing", [np.nan])])
def test_unseen_determinants_follow_the_policy(unknown, expected):
    table = pd.DataFrame({"size": [1, 2, 12, 13] * 5, "price": [10.0, 10.0, 20.0, 20.0] * 5})
    rule = parse_rule("size -> price").fit(table)
    restored = rule.restore(pd.DataFrame({"size": [11]}), "price", unknown=unknown)
    np.testing.assert_array_equal(restored.astype(float), expected)
    with pytest.raises(ValueError, match="never seen the values"):
        rule.restore(pd.DataFrame({"size": [11]}), "price", unknown="error")


def test_one_to_one_rebuilds_either_side():
    table = pd.DataFrame({"education": ["HS", "BSc", "MSc", "BSc"], "years": [12, 16, 18, 16]})
    rule = parse_rule("education <-> years").fit(table)
    assert rule.restore(pd.DataFrame({"education": ["MSc", "HS"]}), "years").tolist() == [18, 12]
    assert rule.restore(pd.DataFrame({"years": [16]}), "education").tolist() == ["BSc"]
    assert rule.check(table.assign(years=[12, 16, 16, 16])).tolist() == [True, True, False,
                                                                         True]


def test_arithmetic_rebuilds_with_the_target_rounding(orders):
    table = orders.assign(total=np.round(orders["unit_price"] * orders["quantity"], 2))
    rule = parse_rule("total = unit_price * quantity").fit(table)
    assert rule.decimals_ == 2
    rebuilt = rule.restore(table.drop(columns="total"), "total")
    assert rebuilt.tolist() == table["total"].tolist()
    assert rule.check(table.assign(total=table["total"] + 0.004)).all()
    assert not rule.check(table.assign(total=table["total"] + 0.006)).any()


def test_percentages_and_linear_forms_rebuild_exactly():
    total = pd.Series([100.0, 59.99, 12.5, 7.0])
    discount = pd.Series([0, 15, 20, 5])
    table = pd.DataFrame({"total": total, "discount": discount,
                          "net": np.round(total * (1 - discount / 100), 2),
                          "celsius": [0.0, 37.5, -40.0, 100.0]})
    table["fahrenheit"] = 1.8 * table["celsius"] + 32
    net = parse_rule("net = total * (1 - discount / 100)").fit(table)
    assert net.restore(table, "net").tolist() == table["net"].tolist()
    linear = parse_rule("fahrenheit = 1.8 * celsius + 32").fit(table)
    assert linear.restore(table, "fahrenheit").tolist() == [32.0, 99.5, -40.0, 212.0]


def test_durations_in_days_rebuild_the_end_date(orders):
    rule = parse_rule("days = ship_date - order_date (days)")
    table = orders.assign(ship_date=orders["order_date"] + pd.to_timedelta(orders["days"], "D"))
    rule.fit(table)
    assert rule.rebuildable()[0] == ("ship_date", "drop")
    assert rule.restore(table, "ship_date").equals(table["ship_date"])
    assert rule.restore(table, "days").tolist() == orders["days"].tolist()
    assert rule.check(table.assign(days=orders["days"] + 1)).sum() == 0


def test_durations_in_months_keep_the_day_or_the_last_day_of_the_month(orders):
    months = pd.Series([1, 1, 11, 9, 2])
    table = orders.assign(months=months)
    ends = parse_rule("months = end - order_date (months)").restore(
        table.assign(end=pd.NaT), "end")
    assert ends.dt.strftime("%Y-%m-%d").tolist() == ["2023-02-28", "2023-03-01", "2024-02-15",
                                                     "2024-02-29", "2024-02-29"]
    rule = parse_rule("months = end - order_date (months)")
    table = table.assign(end=ends)
    assert rule.check(table).all()
    assert rule.restore(table, "months").tolist() == [1, 1, 11, 9, 2]
    assert not rule.check(table.assign(end=ends + pd.Timedelta(1, "D"))).any()


def test_binary_tie_rebuilds_the_deciding_column():
    table = pd.DataFrame({"member_since": pd.to_datetime(["2020-01-01", None, "2021-06-01",
                                                          None]),
                          "is_member": [True, False, True, False]})
    rule = parse_rule("member_since missing when is_member is False").fit(table)
    assert rule.rebuildable()[0] == ("is_member", "drop")
    rebuilt = rule.restore(table.drop(columns="is_member"), "is_member")
    assert rebuilt.tolist() == [True, False, True, False]
    assert rule.check(table.assign(is_member=True)).tolist() == [True, False, True, False]


def test_tie_with_many_values_rewrites_the_tied_column():
    table = pd.DataFrame({"pdays": [-1, -1, 30, 60, -1, 90, 30, -1],
                          "previous": [0, 0, 2, 1, 0, 1, 1, 0]})
    rule = parse_rule("previous is 0 when pdays is -1").fit(table)
    assert rule.rebuildable() == [("previous", "rewrite")]
    core = rule.compress(table, "previous")
    assert 0 not in core.tolist()
    assert sorted(core[table["pdays"] == -1]) == [1, 1, 1, 2]  # spread like the other values
    sampled = pd.DataFrame({"pdays": [-1, 30, 60], "previous": [2, 1, 0]})
    assert rule.restore(sampled, "previous").tolist() == [0, 1, 1]  # a stray 0 gets the mode


def test_order_corrects_the_column_it_adjusts():
    table = pd.DataFrame({"start": pd.to_datetime(["2024-01-01", "2024-01-05"]),
                          "end": pd.to_datetime(["2024-01-03", "2024-01-02"])})
    rule = parse_rule("end > start").fit(table.iloc[:1])
    assert rule.check(table).tolist() == [True, False]
    assert rule.rebuildable() == [("start", "adjust"), ("end", "adjust")]
    fixed = rule.restore(table, "end")
    assert fixed.tolist() == [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-06")]
    bounded = parse_rule("quantity <= 10").fit(pd.DataFrame({"quantity": [1, 2]}))
    assert bounded.restore(pd.DataFrame({"quantity": [3, 12]}), "quantity").tolist() == [3, 10]


def test_constant_rule_and_missing_values():
    rule = parse_rule("country = 'US'")
    table = pd.DataFrame({"country": ["US", None, "CA"]})
    assert rule.check(table).tolist() == [True, True, False]
    assert rule.restore(table, "country").tolist() == ["US"] * 3


def test_rules_name_the_columns_a_table_lacks(orders):
    with pytest.raises(ValueError, match=r"reads columns \['state'\]"):
        parse_rule("city -> state").fit(orders)
