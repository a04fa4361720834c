import socket

import pandas as pd
import pytest
from sklearn.utils.multiclass import type_of_target

from skltab.datasets import SKLEARN_DATASETS, load_sklearn_dataset, load_student_placements
from skltab.metadata import from_sdv_dict

STUDENT_COLUMNS = {
    "student_id", "gender", "second_perc", "high_perc", "high_spec", "degree_perc",
    "degree_type", "work_experience", "experience_years", "employability_perc", "mba_spec",
    "mba_perc", "salary", "placed", "start_date", "end_date", "duration",
}


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline loader")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "name, shape, classes",
    [
        ("iris", (150, 4), {"setosa": 50, "versicolor": 50, "virginica": 50}),
        ("wine", (178, 13), {"class_0": 59, "class_1": 71, "class_2": 48}),
        ("breast_cancer", (569, 30), {"malignant": 212, "benign": 357}),
    ],
)
def test_classification_sets_have_class_name_targets(no_network, name, shape, classes):
    X, y = load_sklearn_dataset(name)
    assert isinstance(X, pd.DataFrame) and X.shape == shape
    assert isinstance(y, pd.Series) and y.index.equals(X.index)
    assert y.map(type).eq(str).all()
    assert y.value_counts().to_dict() == classes
    assert type_of_target(y) == ("binary" if len(classes) == 2 else "multiclass")
    assert all(pd.api.types.is_float_dtype(dtype) for dtype in X.dtypes)


def test_diabetes_in_original_units(no_network):
    X, y = load_sklearn_dataset("diabetes")
    assert X.shape == (442, 10) and len(y) == 442
    assert pd.api.types.is_float_dtype(y) and y.nunique() > 100
    assert set(X["sex"]) == {1.0, 2.0}
    assert 18 <= X["age"].min() and X["age"].max() <= 80
    assert X["bmi"].between(15, 50).all()


def test_every_listed_name_loads():
    assert set(SKLEARN_DATASETS) == {"iris", "wine", "breast_cancer", "diabetes"}
    for name in SKLEARN_DATASETS:
        X, y = load_sklearn_dataset(name)
        assert len(X) == len(y) > 0


@pytest.mark.parametrize("name", ["california_housing", "digits", "Iris", 3])
def test_unknown_name_lists_valid_names(name):
    with pytest.raises(ValueError) as error:
        load_sklearn_dataset(name)
    for valid in SKLEARN_DATASETS:
        assert valid in str(error.value)


def test_student_placements(no_network):
    pytest.importorskip("sdmetrics")
    data = load_student_placements()
    assert isinstance(data, pd.DataFrame)
    assert data.shape == (215, 17) and set(data.columns) == STUDENT_COLUMNS
    assert data["student_id"].is_unique
    # Salary and placement dates exist exactly for the students who were placed.
    for column in ["salary", "start_date", "end_date", "duration"]:
        assert (data[column].notna() == data["placed"]).all(), column
    placed = data[data["placed"]]
    assert (pd.to_datetime(placed["end_date"]) > pd.to_datetime(placed["start_date"])).all()


def test_student_placements_metadata_is_readable(no_network):
    pytest.importorskip("sdmetrics")
    data, metadata = load_student_placements(return_metadata=True)
    kinds = {column.name: column.kind for column in from_sdv_dict(metadata, data)}
    assert kinds["student_id"] == "id"
    assert kinds["placed"] == "boolean"
    assert kinds["start_date"] == "datetime"
    assert kinds["gender"] == "categorical"
    assert kinds["degree_perc"] == "continuous"


def test_student_placements_without_sdmetrics(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sdmetrics", None)
    monkeypatch.setitem(sys.modules, "sdmetrics.demos", None)
    with pytest.raises(ImportError, match="sdmetrics"):
        load_student_placements()
