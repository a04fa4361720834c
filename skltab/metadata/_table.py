"""The metadata of a whole table."""

import copy
import dataclasses
import json

import pandas as pd

from ._column import KINDS, ColumnMetadata
from ._dtypes import cast_column
from ._grain import GRAIN_FIELDS, GRAIN_KINDS, with_grain_replaced

FORMAT_VERSION = 1


class TableMetadata:
    """Per-column metadata of a table, in column order.

    Build it with :func:`infer_metadata`, look at it with :meth:`to_frame`, and correct it with
    :meth:`update_column` before passing it to a synthesizer's ``metadata`` parameter.

    Parameters
    ----------
    columns : list of ColumnMetadata
        One entry per column, in the table's order.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.metadata import infer_metadata
    >>> meta = infer_metadata(pd.DataFrame({"a": [1.5, 2.25], "b": ["x", "y"]}))
    >>> meta.kinds
    {'a': 'continuous', 'b': 'categorical'}
    """

    def __init__(self, columns):
        names = [column.name for column in columns]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"TableMetadata has duplicate column names {duplicated!r}.")
        self._columns = {column.name: column for column in columns}

    @property
    def columns(self):
        """Column names, in order."""
        return list(self._columns)

    @property
    def kinds(self):
        """Dict of column name to kind."""
        return {name: column.kind for name, column in self._columns.items()}

    def __getitem__(self, name):
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"No column {name!r} in the metadata; columns are {self.columns}.")

    def __contains__(self, name):
        return name in self._columns

    def __iter__(self):
        return iter(self._columns.values())

    def __len__(self):
        return len(self._columns)

    def __eq__(self, other):
        return isinstance(other, TableMetadata) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"TableMetadata({self.kinds})"

    def columns_of_kind(self, *kinds):
        """Names of the columns whose kind is one of ``kinds``, in order."""
        return [column.name for column in self if column.kind in kinds]

    def select(self, names):
        """Return the metadata of the columns ``names`` only, in that order."""
        return TableMetadata([copy.deepcopy(self[name]) for name in names])

    def update_column(self, name, **fields):
        """Correct the metadata of one column in place.

        Parameters
        ----------
        name : str
            Column name.
        **fields
            New values of :class:`ColumnMetadata` fields, e.g. ``kind="categorical"`` or
            ``values=None``. Giving ``values`` drops the column's ``step`` and
            ``step_offset``, giving ``step`` drops its ``values``, and a new kind other than
            continuous and integer drops all three, unless they are given too.

        Returns
        -------
        self : TableMetadata

        Raises
        ------
        ValueError
            Naming the column, for unknown fields or kinds, or fields that contradict each
            other (the column is then left unchanged).
        """
        column = self[name]
        unknown = set(fields) - set(ColumnMetadata.__dataclass_fields__)
        if unknown:
            raise ValueError(f"Column {name!r}: unknown metadata fields {sorted(unknown)}.")
        if "kind" in fields and fields["kind"] not in KINDS:
            raise ValueError(f"Column {name!r}: unknown kind {fields['kind']!r}; expected one "
                             f"of {KINDS}.")
        fields = with_grain_replaced(fields)
        if fields.get("kind", column.kind) not in GRAIN_KINDS:
            fields = {**dict.fromkeys(GRAIN_FIELDS), **fields}
        updated = dataclasses.replace(column, **fields)
        for key in fields:
            setattr(column, key, getattr(updated, key))
        return self

    def check_columns(self, X, name="X"):
        """Raise a ValueError naming the difference if ``X``'s columns differ from these."""
        missing = [c for c in self.columns if c not in X.columns]
        extra = [c for c in X.columns if c not in self._columns]
        if missing or extra:
            raise ValueError(
                f"The columns of {name} do not match the fitted table: missing {missing}, "
                f"unexpected {extra}."
            )

    def cast(self, X):
        """Return ``X`` with the columns in metadata order and each column's real dtype."""
        self.check_columns(X)
        return pd.DataFrame(
            {name: cast_column(X[name], self[name]) for name in self.columns}, index=X.index
        )

    def to_frame(self):
        """Show the metadata as a DataFrame, one row per column."""
        rows = [column.to_dict() for column in self]
        return pd.DataFrame(rows).set_index("name")

    def to_dict(self):
        """Return a JSON-compatible dict that :meth:`from_dict` reads back."""
        return {
            "format_version": FORMAT_VERSION,
            "columns": [column.to_dict() for column in self],
        }

    @classmethod
    def from_dict(cls, data):
        """Build metadata from the output of :meth:`to_dict`."""
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"Unsupported metadata format_version {version!r}; expected {FORMAT_VERSION}."
            )
        return cls([ColumnMetadata.from_dict(column) for column in data["columns"]])

    def to_json(self):
        """Return the metadata as a JSON string."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text):
        """Build metadata from the output of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))
