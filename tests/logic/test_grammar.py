"""The rule grammar: every form reads back to itself, bad text is refused, nothing runs."""

import pytest

from skltab.datasets import DEMO_RULES
from skltab.logic import (
    ArithmeticRule,
    ConstantRule,
    DateDifferenceRule,
    DependencyRule,
    OneToOneRule,
    OrderRule,
    TieRule,
    parse_rule,
    parse_rules,
)


@pytest.mark.parametrize("text, cls", [
    ("zip -> city", DependencyRule),
    ("country, zip -> city", DependencyRule),
    ("education <-> `education-num`", OneToOneRule),
    ("country = 'US'", ConstantRule),
    ("flag = True", ConstantRule),
    ("offset = -1", ConstantRule),
    ("total = unit_price * quantity", ArithmeticRule),
    ("net = total * (1 - discount_pct / 100)", ArithmeticRule),
    ("fahrenheit = 1.8 * celsius + 32", ArithmeticRule),
    ("a - (b - c) = d / (e * f)", ArithmeticRule),
    ("delivery_days = ship_date - order_date (days)", DateDifferenceRule),
    ("term = end - start (months)", DateDifferenceRule),
    ("member_since missing when is_member is False", TieRule),
    ("years is 0 when experience is False", TieRule),
    ("poutcome is 'unknown' when pdays is -1", TieRule),
    ("ship_date >= order_date", OrderRule),
    ("start < end", OrderRule),
])
def test_each_form_reads_back_to_the_same_text(text, cls):
    rule = parse_rule(text)
    assert isinstance(rule, cls)
    assert rule.describe() == text
    assert parse_rule(rule.to_dict()["rule"]) == rule


def test_the_demo_rules_are_all_readable():
    rules = parse_rules(DEMO_RULES)
    assert [rule.describe() for rule in rules] == DEMO_RULES
    assert {rule.kind for rule in rules} == {"dependency", "arithmetic", "order",
                                             "date_difference", "tie"}


def test_equivalent_spellings_give_equal_rules():
    assert parse_rule("total=unit_price*quantity") == parse_rule("total = unit_price * quantity")
    assert parse_rule("member_since missing when is_member = False") == parse_rule(
        "member_since missing when is_member is False")
    assert parse_rule("x == 2") == parse_rule("x = 2")
    assert parse_rule("zip -> city") != parse_rule("city -> zip")


def test_parts_of_a_rule_are_exposed():
    tie = parse_rule("salary missing when placed is False").to_dict()
    assert tie == {"kind": "tie", "rule": "salary missing when placed is False",
                   "columns": ["salary", "placed"], "column": "salary", "state": None,
                   "other": "placed", "value": False}
    duration = parse_rule("d = e - s (days)")
    assert (duration.duration, duration.end, duration.start, duration.unit) == ("d", "e", "s",
                                                                                "days")
    assert parse_rule("a, b -> c").to_dict()["determinants"] == ["a", "b"]
    assert parse_rule("total = price * quantity").target == "total"


def test_names_that_are_words_of_the_grammar_need_backticks():
    rule = parse_rule("`is` missing when `when` is 'x'")
    assert rule.columns == ["is", "when"]
    assert rule.describe() == "`is` missing when `when` is 'x'"


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('echo hacked')", "unexpected character"),
    ("exec('x')", "expected a comparison"),
    ("lambda: 1", "unexpected character"),
    ("zip -> city, state", "must be one column"),
    ("zip + 1 -> city", "column names separated by commas"),
    ("a <-> b, c", "each side of '<->' must be one column"),
    ("state, city -> state", "appears twice"),
    ("salary missing when placed", "expected 'is'"),
    ("salary missing when placed is x", "expected one value"),
    ("d = e + s (days)", "duration = end - start"),
    ("name = 'a' + b", "text and True/False constants"),
    ("total = price *", "ends too early"),
    ("", "empty rule"),
])
def test_bad_text_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rule(text)


def test_rules_must_come_as_a_list_of_text_or_rules():
    with pytest.raises(TypeError, match="wrap a single rule in a list"):
        parse_rules("zip -> city")
    with pytest.raises(TypeError, match="rule strings or Rule objects"):
        parse_rules([lambda table: True])
    rule = parse_rule("zip -> city")
    assert parse_rules([rule, "city -> state"])[0] is rule
