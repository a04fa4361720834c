"""sampling_strategy read as imbalanced-learn reads it for over-samplers."""

import numpy as np
import pytest

from skltab.oversampling._strategy import rows_to_add

# Class "a" is the majority (6 rows), "c" the minority (2 rows).
Y = np.array(["a"] * 6 + ["b"] * 4 + ["c"] * 2)


@pytest.mark.parametrize("strategy, expected", [
    ("auto", {"b": 2, "c": 4}),
    ("not majority", {"b": 2, "c": 4}),
    ("minority", {"c": 4}),
    ("not minority", {"a": 0, "b": 2}),
    ("all", {"a": 0, "b": 2, "c": 4}),
    # the geometric means of 4 and 6 (4.90) and of 2 and 6 (3.46), rounded
    ("geometric", {"b": 1, "c": 1}),
    ({"b": 5, "c": 2}, {"b": 1, "c": 0}),
    (lambda y: {"c": int((y == "a").sum()) * 2}, {"c": 10}),
])
def test_rows_per_class(strategy, expected):
    added = rows_to_add(strategy, Y)
    assert added == expected
    assert list(added) == sorted(expected)


def test_float_is_a_share_of_the_majority_for_binary_targets():
    y = np.array([0] * 90 + [1] * 10)
    assert rows_to_add(0.5, y) == {1: 35}
    assert rows_to_add(1.0, y) == {1: 80}


def test_geometric_goes_half_way_to_balance_on_a_log_scale():
    y = np.array([0] * 9800 + [1] * 200)
    added = rows_to_add("geometric", y)
    assert added == {1: 1200}
    assert np.log(200 + added[1]) == pytest.approx((np.log(200) + np.log(9800)) / 2)
    assert rows_to_add("geometric", np.array([0, 0, 1, 1])) == {1: 0}


def test_ties_pick_the_first_class_in_sorted_order():
    y = np.array([2, 2, 1, 1, 0])
    assert rows_to_add("auto", y) == {0: 1, 2: 0}


@pytest.mark.parametrize("strategy, y, match", [
    ("auto", np.zeros(5), "more than 1 class"),
    (0.5, Y, "only for a binary target"),
    (0.05, np.array([0] * 90 + [1] * 10), "no new minority row"),
    ({"d": 3}, Y, r"absent from y: \['d'\]"),
    ({"b": 3}, Y, "'b': 3 asked, 4 present"),
])
def test_impossible_targets_are_refused(strategy, y, match):
    with pytest.raises(ValueError, match=match):
        rows_to_add(strategy, y)


@pytest.mark.parametrize("strategy", [{"c": 2.5}, lambda y: [3]])
def test_counts_must_be_a_dict_of_whole_numbers(strategy):
    with pytest.raises(TypeError, match="sampling_strategy|dict of rows"):
        rows_to_add(strategy, Y)
