"""Conversion between skltab's metadata and SDV's metadata dict."""

import itertools
import re

from ..utils._optional import import_optional

_SDTYPE_OF_KIND = {
    "continuous": "numerical",
    "integer": "numerical",
    "categorical": "categorical",
    "boolean": "boolean",
    "datetime": "datetime",
    "text": "text",
    "id": "id",
}
_REGEX_OF_CLASS = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}


def to_sdv_dict(metadata, table_name="table"):
    """Write ``metadata`` as an SDV single-table metadata dict (spec ``"V1"``).

    Parameters
    ----------
    metadata : TableMetadata
    table_name : str, default="table"

    Returns
    -------
    dict
        Loadable with ``sdv.metadata.Metadata.load_from_dict``.
    """
    columns = {}
    for column in metadata:
        entry = {"sdtype": _SDTYPE_OF_KIND[column.kind]}
        if column.datetime_format is not None:
            entry["datetime_format"] = column.datetime_format
        if column.id_template is not None:
            entry["regex_format"] = _template_regex(column.id_template)
        columns[column.name] = entry
    table = {"columns": columns}
    id_columns = metadata.columns_of_kind("id")
    if id_columns:
        table["primary_key"] = id_columns[0]
    return {"tables": {table_name: table}, "relationships": [], "METADATA_SPEC_VERSION": "V1"}


def to_sdv_metadata(metadata, table_name="table"):
    """Return an ``sdv.metadata.Metadata`` object; needs the ``sdv`` extra."""
    sdv_metadata = import_optional("sdv.metadata", purpose="SDV metadata")
    return sdv_metadata.Metadata.load_from_dict(to_sdv_dict(metadata, table_name))


def from_sdv_dict(data, X):
    """Build a :class:`TableMetadata` from an SDV metadata dict and the table it describes.

    SDV's sdtypes choose the kinds; the statistics come from ``X``. Numerical columns become
    ``"integer"`` when their values are whole numbers, and sdtypes with no skltab counterpart
    (PII such as ``"email"``) become ``"text"``.

    Parameters
    ----------
    data : dict
        SDV metadata, multi-table (``"tables"``) with one table, or single-table (``"columns"``).
    X : DataFrame
        The table.

    Returns
    -------
    TableMetadata
    """
    from ._infer import infer_kind, infer_metadata

    columns = _sdv_columns(data)
    overrides = {}
    for name, entry in columns.items():
        sdtype = entry.get("sdtype")
        if sdtype == "numerical":
            kind = "integer" if infer_kind(X[name]) in ("integer", "id") else "continuous"
        elif sdtype == "ordinal":
            kind = "categorical"
        else:
            kind = {v: k for k, v in _SDTYPE_OF_KIND.items() if k != "integer"}.get(sdtype, "text")
        overrides[name] = kind
    return infer_metadata(X, overrides=overrides)


def _sdv_columns(data):
    if "tables" in data:
        tables = data["tables"]
        if len(tables) != 1:
            raise ValueError(
                f"The SDV metadata describes {len(tables)} tables; skltab needs exactly one."
            )
        return next(iter(tables.values()))["columns"]
    if "columns" in data:
        return data["columns"]
    raise ValueError("Not an SDV metadata dict: it has neither 'tables' nor 'columns'.")


def _template_regex(template):
    parts = []
    for char, run in itertools.groupby(template):
        count = len(list(run))
        piece = _REGEX_OF_CLASS.get(char, re.escape(char))
        parts.append(piece if count == 1 else f"{piece}{{{count}}}")
    return "".join(parts)
