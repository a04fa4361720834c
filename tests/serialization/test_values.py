"""Python, NumPy and pandas values come back equal, with their exact types, and shared
objects stay shared."""

from collections import OrderedDict

import numpy as np
import pandas as pd
import pytest

import skltab
from skltab.base import InputFormat
from skltab.metadata import EncodedTable
from skltab.utils.estimator_checks import make_check_table


class Node:
    """An object that may point to itself."""


def test_python_values_keep_their_types(round_trip):
    value = {
        "none": None, "flag": True, "big": 2**70, "pi": 3.25, "text": "é\n",
        "special": [float("nan"), float("inf"), float("-inf")],
        "tuple": (1, ("a", 2.5)), "set": {1, 2}, "frozen": frozenset({"x"}),
        "int keys": {1: "a", (2, 3): "b"}, "$dollar": {"$type": "not a node"},
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "dataclass": InputFormat("ndarray", ("x0",), dtype=np.dtype("float32")),
        "named": EncodedTable(np.zeros((2, 1)), np.ones((2, 0), dtype=np.int64)),
    }
    loaded = round_trip(value)
    assert set(loaded) == set(value)
    assert np.isnan(loaded["special"][0]) and loaded["special"][1:] == [np.inf, -np.inf]
    for key in ("none", "flag", "big", "pi", "text", "tuple", "set", "frozen", "int keys",
                "$dollar", "ordered", "dataclass"):
        assert loaded[key] == value[key] and type(loaded[key]) is type(value[key]), key
    assert type(loaded["named"]) is EncodedTable
    np.testing.assert_array_equal(loaded["named"].numeric, value["named"].numeric)
    assert loaded["named"].discrete.shape == (2, 0)


@pytest.mark.parametrize("array", [
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.array([1, -2], dtype=">i8"),
    np.array([True, False]),
    np.array([1.5, np.nan], dtype=np.float16),
    np.array(7, dtype=np.uint8),
    np.zeros((0, 4)),
    np.array(["2020-01-01", "NaT"], dtype="datetime64[ns]"),
    np.array([3, 4], dtype="timedelta64[s]"),
    np.array([["ab", "c"]], dtype="<U2"),
])
def test_arrays_keep_dtype_shape_and_values(array, round_trip):
    loaded = round_trip(array)
    assert loaded.dtype == array.dtype and loaded.shape == array.shape
    np.testing.assert_array_equal(loaded, array)


def test_object_arrays_hold_any_saved_values(round_trip):
    array = np.array(["a", None, np.nan, 3, pd.Timestamp("2021-05-01", tz="Europe/Paris"),
                      pd.NA], dtype=object)
    loaded = round_trip(array)
    assert loaded.dtype == object and loaded[0] == "a" and loaded[1] is None
    assert np.isnan(loaded[2]) and loaded[3] == 3 and loaded[5] is pd.NA
    assert loaded[4] == array[4] and str(loaded[4].tz) == "Europe/Paris"


@pytest.mark.parametrize("scalar", [np.float32(1.5), np.int64(-3), np.bool_(True),
                                    np.str_("s"), np.datetime64("2020-01-02", "D"),
                                    np.float64("nan")])
def test_numpy_scalars_keep_their_type(scalar, round_trip):
    loaded = round_trip([scalar])[0]
    assert type(loaded) is type(scalar) and loaded.dtype == scalar.dtype
    assert loaded == scalar or (np.isnan(loaded) and np.isnan(scalar))


def test_dtypes_come_back(round_trip):
    dtypes = [np.dtype("float32"), np.dtype("O"), np.dtype("datetime64[ms]"),
              pd.CategoricalDtype(["b", "a"], ordered=True), pd.Int64Dtype(),
              pd.StringDtype(), pd.DatetimeTZDtype(tz="UTC")]
    assert round_trip(dtypes) == dtypes


def test_a_random_state_goes_on_with_the_same_numbers(round_trip):
    generator = np.random.RandomState(0)
    generator.normal(size=3)  # a cached Gaussian is part of the state
    loaded = round_trip(generator)
    np.testing.assert_array_equal(loaded.normal(size=5), generator.normal(size=5))
    assert loaded.randint(100) == generator.randint(100)


def test_a_frame_keeps_its_columns_index_and_dtypes(round_trip):
    frame = make_check_table(30)
    frame["label"] = pd.array(["x", None] * 15, dtype="string")
    frame["when"] = pd.date_range("2020-01-01", periods=30, tz="America/New_York")
    frame.index = [f"r{i}" for i in range(30)]
    pd.testing.assert_frame_equal(round_trip(frame), frame)


def test_series_indexes_and_categoricals_come_back(round_trip):
    values = [
        pd.Series([1, None, 3], dtype="Int64", name=("a", 1), index=[5, 6, 7]),
        pd.RangeIndex(2, 10, 3, name="r"),
        pd.Index([1.5, 2.5], name="f"),
        pd.DatetimeIndex(["2020-01-01", None]),
        pd.Categorical(["x", None, "y"], categories=["y", "x"], ordered=True),
        pd.DataFrame(index=pd.Index(["a", "b"])),
        [pd.NaT, pd.Timedelta("1h"), pd.Timestamp("2020-01-01 12:00").as_unit("s")],
    ]
    loaded = round_trip(values)
    pd.testing.assert_series_equal(loaded[0], values[0])
    for index in (1, 2, 3):
        pd.testing.assert_index_equal(loaded[index], values[index], exact=True)
    pd.testing.assert_extension_array_equal(loaded[4], values[4])
    pd.testing.assert_frame_equal(loaded[5], values[5])
    assert loaded[6][0] is pd.NaT and loaded[6][1:] == values[6][1:]
    assert loaded[6][2].unit == "s"


def test_multi_indexes_are_refused():
    import io

    frame = pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, 2), (3, 4)]))
    with pytest.raises(TypeError, match="multi-level indexes"):
        skltab.save(frame, io.BytesIO())


def test_shared_objects_stay_shared_and_cycles_close(round_trip):
    array = np.arange(3)
    node = Node()
    node.self, node.array, node.again = node, array, array
    loaded = round_trip([node, array], trusted=[Node])
    assert loaded[0].self is loaded[0] and loaded[0].array is loaded[0].again is loaded[1]
