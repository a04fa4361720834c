"""Table metadata: what each column is, inferred from values, and the shared encoder."""

from ._column import KINDS, ColumnMetadata
from ._encoder import EncodedTable, TableEncoder
from ._infer import infer_kind, infer_metadata
from ._sdv import from_sdv_dict, to_sdv_dict, to_sdv_metadata
from ._table import TableMetadata

__all__ = [
    "KINDS",
    "ColumnMetadata",
    "EncodedTable",
    "TableEncoder",
    "TableMetadata",
    "from_sdv_dict",
    "infer_kind",
    "infer_metadata",
    "to_sdv_dict",
    "to_sdv_metadata",
]
