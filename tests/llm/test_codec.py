"""Cells as text and back: exact round trips, precision, missing values, escapes, strict parsing."""

import re

import numpy as np
import pandas as pd
import pytest

from skltab.llm._codec import (
    MISSING,
    NAME_SEPARATOR,
    RowCodec,
    escape_name,
    escape_value,
    unescape,
)
from skltab.metadata import infer_metadata


def _codec(table, overrides=None):
    metadata = infer_metadata(table, overrides=overrides)
    return RowCodec(metadata, table), metadata


def _read_cells(codec, cells, metadata):
    """The table of ``cells`` (escaped texts), each read back by its column's codec."""
    frame = pd.DataFrame({name: [codec.codecs[name].parse(text) for text in cells[name]]
                          for name in codec.columns})
    return metadata.cast(frame)


def _stays_in_its_field(text):
    """Whether ``text``, its escapes (a backslash and the next character) left out, holds no
    comma and no backslash: it can neither end its field early nor escape the comma after it."""
    return not set(re.sub(r"\\.", "", text, flags=re.S)) & {",", "\\"}


def _assert_names_lead_their_fields(codec):
    """Each escaped name reads back to its name, and the first separator of its field
    follows it whatever the value."""
    for name in codec.columns:
        escaped = codec.codecs[name].escaped_name
        assert unescape(escaped) == name and _stays_in_its_field(escaped)
        assert (escaped + NAME_SEPARATOR + "v").find(NAME_SEPARATOR) == len(escaped)


def _mixed_table():
    rng = np.random.RandomState(0)
    n = 40
    return pd.DataFrame({
        "age": rng.randint(-5, 90, n),
        "price": np.round(rng.uniform(-100, 100, n), 2),
        "ratio": rng.normal(size=n) * 10.0 ** rng.randint(-6, 4, n),
        "count": pd.array(np.where(rng.uniform(size=n) < 0.3, None, rng.randint(0, 9, n)),
                          dtype="Int64"),
        "city, or town is": rng.choice(["Paris, France", "a\\b", MISSING, "is is", " x "], n),
        "flag": rng.uniform(size=n) < 0.5,
        "day": pd.Timestamp("2020-02-20") + pd.to_timedelta(rng.randint(0, 30, n), unit="D"),
        "stamp": pd.Timestamp("2021-01-01 10:00", tz="Europe/Paris")
        + pd.to_timedelta(rng.randint(0, 10**6, n), unit="s"),
        "text date": pd.Series(pd.Timestamp("2019-12-30")
                               + pd.to_timedelta(rng.randint(0, 9, n), unit="D")
                               ).dt.strftime("%d/%m/%Y"),
        "note": np.where(rng.uniform(size=n) < 0.2, None,
                         rng.choice(["the cat sat, then ran", "a dog is here now",
                                     "no \\ comment, really"], n)).astype(object),
    })


def test_round_trip_is_exact_for_every_kind():
    table = _mixed_table()
    codec, metadata = _codec(table, {"note": "text"})
    assert metadata["note"].kind == "text" and metadata["text date"].kind == "datetime"
    cells = codec.cells(table)
    assert all(_stays_in_its_field(text) for texts in cells.values() for text in texts)
    pd.testing.assert_frame_equal(_read_cells(codec, cells, metadata), metadata.cast(table))
    _assert_names_lead_their_fields(codec)


def test_numbers_are_written_with_the_column_precision():
    table = pd.DataFrame({"n": [3, -12, 0], "d": [3.5, -0.001, 0.0], "f": [0.1, 1e-7, 2.0]})
    metadata = infer_metadata(table).update_column("d", decimals=3).update_column(
        "f", decimals=None)
    codec = RowCodec(metadata, table)
    cells = codec.cells(table)
    assert cells["n"] == ["3", "-12", "0"]
    assert cells["d"] == ["3.500", "-0.001", "0.000"]
    # full precision: the shortest positional text that reads back to the same float
    assert cells["f"] == ["0.1", "0.0000001", "2"]
    assert codec.codecs["f"].scale == 7


def test_real_extremes_written_at_the_precision_read_back_and_nothing_beyond():
    # 14/3 is written 4.66666667 at 8 decimals, above the real maximum 4.666666666666667
    table = pd.DataFrame({"x": [2 / 3, 14 / 3, 1.5]})
    metadata = infer_metadata(table).update_column("x", decimals=8)
    codec = RowCodec(metadata, table).codecs["x"]
    texts = codec.format(table["x"])
    assert texts[:2] == ["0.66666667", "4.66666667"]
    assert [codec.parse(text) for text in texts[:2]] == [0.66666667, 4.66666667]
    for text in ("4.66666668", "0.66666666"):
        with pytest.raises(ValueError, match="outside the real range"):
            codec.parse(text)


def test_missing_values_use_the_missing_token_and_a_real_lookalike_is_escaped():
    table = pd.DataFrame({"c": ["x", None, MISSING, "y"], "n": [1.0, np.nan, 2.0, 3.0]})
    codec, metadata = _codec(table)
    cells = codec.cells(table)
    assert cells["c"] == ["x", MISSING, "\\" + MISSING, "y"]
    assert cells["n"][1] == MISSING
    decoded = _read_cells(codec, cells, metadata)
    assert decoded["c"].isna().tolist() == [False, True, False, False]
    assert decoded["c"][2] == MISSING


def test_random_names_and_values_with_separators_round_trip():
    rng = np.random.RandomState(0)
    alphabet = list(" is,\\<NA>x")

    def word():
        return "".join(rng.choice(alphabet, rng.randint(1, 9)))

    for _ in range(30):
        names = list(dict.fromkeys(word() for _ in range(4)))
        table = pd.DataFrame({name: [word() for _ in range(6)] for name in names})
        codec, metadata = _codec(table)
        cells = codec.cells(table)
        assert all(_stays_in_its_field(text) for texts in cells.values() for text in texts)
        pd.testing.assert_frame_equal(_read_cells(codec, cells, metadata), metadata.cast(table))
        _assert_names_lead_their_fields(codec)


@pytest.mark.parametrize("text", ["a, b", "\\", "x\\,y", MISSING, "is is ", ""])
def test_escape_and_unescape_are_inverse(text):
    assert unescape(escape_value(text)) == text
    assert unescape(escape_name(text)) == text
    assert _stays_in_its_field(escape_value(text)) and _stays_in_its_field(escape_name(text))


def test_escaped_names_never_hold_the_name_separator():
    for name in ["a is b", "this is", "is", " is is ", "x\\ is"]:
        escaped = escape_name(name)
        assert " is " not in escaped + " " and (escaped + " is v").find(" is ") == len(escaped)


@pytest.mark.parametrize("column, text, words", [
    ("b", "x", ["'b'", "'x'"]),
    ("a", "500", ["'a'", "outside"]),
    ("a", "5.5", ["'a'", "0 decimals"]),
    ("a", "05", ["'a'", "positional"]),
    ("a", MISSING, ["'a'", "missing"]),
])
def test_parsing_is_strict_and_names_the_problem(column, text, words):
    table = pd.DataFrame({"a": [1, 9], "b": ["u", "v"]})
    codec, _ = _codec(table)
    with pytest.raises(ValueError) as info:
        codec.codecs[column].parse(text)
    for word in words:
        assert word in str(info.value)


def test_datetimes_are_checked_against_range_and_calendar():
    table = pd.DataFrame({"d": pd.to_datetime(["2020-02-01", "2020-03-31"])})
    codec, _ = _codec(table)
    column = codec.codecs["d"]
    assert column.parse("2020-02-29") == (pd.Timestamp("2020-02-29") - pd.Timestamp(0)).days
    for bad, word in [("2020-02-30", "valid date"), ("2020-04-01", "outside"),
                      ("2020-3-01", "template")]:
        with pytest.raises(ValueError, match=word):
            column.parse(bad)


def test_categories_with_the_same_text_are_refused():
    table = pd.DataFrame({"c": pd.Categorical(["1", "x"], categories=["1", "x"])})
    metadata = infer_metadata(table).update_column("c", categories=[1, "1", "x"])
    with pytest.raises(ValueError, match="'c'.*same way"):
        RowCodec(metadata, table)
