"""Rows as plain text and back (the benchmarks' helpers): sentences, exact round trips in any
field order, strict parsing that names the problem, fields split at unescaped commas."""

import numpy as np
import pandas as pd
import pytest
from bench_row_text import parse_row, read_rows, split_fields, write_rows

from skltab.llm._codec import MISSING, RowCodec, escape_value
from skltab.metadata import infer_metadata


def _codec(table):
    metadata = infer_metadata(table)
    return RowCodec(metadata, table), metadata


def test_rows_read_like_sentences():
    table = pd.DataFrame({"age": [39], "workclass": ["State-gov"], "income": ["<=50K"]})
    codec, _ = _codec(table)
    assert write_rows(codec, table) == ["age is 39, workclass is State-gov, income is <=50K"]


def test_rows_in_any_field_order_read_back_exactly():
    rng = np.random.RandomState(0)
    n = 30
    table = pd.DataFrame({
        "age, or is": rng.randint(-5, 90, n),
        "price": np.where(rng.uniform(size=n) < 0.2, np.nan, np.round(rng.uniform(-9, 9, n), 2)),
        "city is": rng.choice(["Paris, France", "a\\b", MISSING, "is is", " x "], n),
        "day": pd.Timestamp("2020-02-20") + pd.to_timedelta(rng.randint(0, 30, n), unit="D"),
    })
    codec, metadata = _codec(table)
    orders = [list(rng.permutation(table.columns)) for _ in range(n)]
    texts = write_rows(codec, table, orders)
    assert texts[0].startswith(codec.codecs[orders[0][0]].escaped_name + " is ")
    pd.testing.assert_frame_equal(read_rows(codec, texts, metadata), metadata.cast(table))


@pytest.mark.parametrize("text, words", [
    ("a is 5, b is x", ["b", "'x'"]),
    ("a is 500, b is u", ["a", "outside"]),
    ("a is 5", ["['b']", "missing"]),
    ("a is 5, a is 6, b is u", ["'a'", "twice"]),
    ("a is 5,b is u", ["follow"]),
    ("c is 5, b is u", ["column name"]),
])
def test_parsing_is_strict_and_names_the_problem(text, words):
    table = pd.DataFrame({"a": [1, 9], "b": ["u", "v"]})
    codec, _ = _codec(table)
    with pytest.raises(ValueError) as info:
        parse_row(codec, text)
    for word in words:
        assert word in str(info.value)


def test_reading_names_the_row():
    table = pd.DataFrame({"a": [1, 9], "b": ["u", "v"]})
    codec, metadata = _codec(table)
    with pytest.raises(ValueError, match="Row 1: Column 'b'"):
        read_rows(codec, ["a is 1, b is u", "a is 2, b is w"], metadata)


@pytest.mark.parametrize("text", ["a, b", "\\", "x\\,y", MISSING, "is is ", ""])
def test_fields_split_at_unescaped_commas_only(text):
    value = escape_value(text)
    assert split_fields(value) == [value]
    assert split_fields(f"n is {value}, m is {value}") == [f"n is {value}", f" m is {value}"]
