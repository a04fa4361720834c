"""TableMetadata: inspection, corrections, serialization and SDV conversion."""

import json

import numpy as np
import pandas as pd
import pytest

from skltab.metadata import TableMetadata, from_sdv_dict, infer_metadata, to_sdv_dict


@pytest.fixture
def table():
    rng = np.random.RandomState(2)
    n = 40
    return pd.DataFrame({
        "amount": rng.normal(50, 5, n).round(1),
        "units": rng.randint(1, 5, n),
        "kind": rng.choice(["a", "b"], n),
        "ok": rng.uniform(size=n) < 0.5,
        "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.randint(0, 30, n), unit="D"),
        "code": [f"X{i:03d}" for i in range(n)],
    })


def test_dict_and_json_round_trip(table):
    meta = infer_metadata(table)
    assert TableMetadata.from_dict(meta.to_dict()) == meta
    assert TableMetadata.from_json(meta.to_json()) == meta
    assert json.loads(meta.to_json())["format_version"] == 1


def test_from_dict_rejects_unknown_versions_and_fields(table):
    data = infer_metadata(table).to_dict()
    with pytest.raises(ValueError, match="format_version 7"):
        TableMetadata.from_dict({**data, "format_version": 7})
    data["columns"][0]["colour"] = "red"
    with pytest.raises(ValueError, match=r"Column 'amount': unknown metadata fields \['colour'\]"):
        TableMetadata.from_dict(data)


def test_update_column_and_its_errors(table):
    meta = infer_metadata(table)
    meta.update_column("units", kind="categorical", categories=[1, 2, 3, 4])
    assert meta["units"].kind == "categorical"
    with pytest.raises(ValueError, match="Column 'units': unknown kind 'bag'"):
        meta.update_column("units", kind="bag")
    with pytest.raises(KeyError, match="No column 'nope'"):
        meta.update_column("nope", kind="integer")


def test_to_frame_shows_one_row_per_column(table):
    frame = infer_metadata(table).to_frame()
    assert list(frame.index) == list(table.columns)
    assert frame.loc["amount", "kind"] == "continuous"


def test_check_columns_names_the_difference(table):
    meta = infer_metadata(table)
    with pytest.raises(ValueError, match=r"missing \['kind'\], unexpected \['other'\]"):
        meta.check_columns(table.drop(columns="kind").assign(other=1))


def test_sdv_dict_round_trip(table):
    meta = infer_metadata(table)
    data = to_sdv_dict(meta)
    columns = data["tables"]["table"]["columns"]
    assert columns["amount"] == {"sdtype": "numerical"}
    assert columns["code"] == {"sdtype": "id", "regex_format": "X[0-9]{3}"}
    assert data["tables"]["table"]["primary_key"] == "code"
    assert from_sdv_dict(data, table).kinds == meta.kinds


def test_sdv_metadata_object(table):
    pytest.importorskip("sdv")
    from skltab.metadata import to_sdv_metadata

    sdv_metadata = to_sdv_metadata(infer_metadata(table))
    sdv_metadata.validate_data({"table": table})
    assert from_sdv_dict(sdv_metadata.to_dict(), table).kinds == infer_metadata(table).kinds


def test_from_sdv_dict_rejects_several_tables(table):
    data = {"tables": {"a": {"columns": {}}, "b": {"columns": {}}}}
    with pytest.raises(ValueError, match="describes 2 tables"):
        from_sdv_dict(data, table)
