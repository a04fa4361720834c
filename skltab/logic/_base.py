"""What every rule can do: describe itself, check rows, and rebuild the column it determines."""

import numpy as np
import pandas as pd

__all__ = ["Rule"]


class Rule:
    """Base class of the rules: one subclass per kind of rule.

    A rule reads :attr:`columns`, checks rows with :meth:`check`, and writes itself back as
    text with :meth:`describe`. Rules that determine a column learn what they need from a real
    table with :meth:`fit` (the mapping of a dependency, the decimals of a total), then
    :meth:`restore` rebuilds that column on any table. Rules are compared by kind and text.
    """

    #: Name of the kind of rule, as in ``rule_report_``.
    kind = None

    @property
    def columns(self):
        """Names of the columns the rule reads, a list."""
        raise NotImplementedError

    def describe(self):
        """Return the rule as text, in the grammar that :func:`~skltab.logic.parse_rule` reads.

        Returns
        -------
        str
        """
        raise NotImplementedError

    def to_dict(self):
        """Return the rule as a JSON-compatible dict.

        ``parse_rule(rule.to_dict()["rule"])`` reads it back.

        Returns
        -------
        dict
            ``kind``, ``rule`` (the text) and ``columns``, and the parts of the rule.
        """
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns),
                **self._parts()}

    def _parts(self):
        return {}

    def __repr__(self):
        return f"{type(self).__name__}({self.describe()!r})"

    def __eq__(self, other):
        return type(self) is type(other) and self.describe() == other.describe()

    def __hash__(self):
        return hash((self.kind, self.describe()))

    def check(self, table, reference=None):
        """Return a boolean Series, True where a row of ``table`` satisfies the rule.

        Rows where a value the rule reads is missing satisfy it, unless the rule is about
        missing values.

        Parameters
        ----------
        table : DataFrame
            The rows to check.
        reference : DataFrame, default=None
            Real rows that fix what the rule needs to be checked (the mapping of a dependency,
            the decimals of a total). When None, a fitted rule uses what it learned, and an
            unfitted one learns from ``table`` itself.

        Returns
        -------
        Series of bool
        """
        raise NotImplementedError

    def support(self, table):
        """Number of rows of ``table`` that put the rule to the test.

        Parameters
        ----------
        table : DataFrame
            Rows holding the rule's columns.

        Returns
        -------
        int
        """
        return int(table[self.columns].notna().all(axis=1).sum())

    def fit(self, table):
        """Learn from real rows what :meth:`restore` needs.

        Parameters
        ----------
        table : DataFrame
            Real rows holding the rule's columns.

        Returns
        -------
        self : Rule
        """
        check_columns(self, table)
        return self

    def rebuildable(self):
        """Columns the fitted rule can rebuild, preferred first.

        Returns
        -------
        list of (str, str)
            ``(column, action)`` pairs: ``"drop"`` when the column can be left out of the
            model and rebuilt from the others, ``"rewrite"`` when it stays in the model but
            the rule rewrites part of it, ``"adjust"`` when the rule only corrects it.
        """
        return []

    def inputs(self, column):
        """Columns read to rebuild ``column``.

        Parameters
        ----------
        column : str
            One of the columns of :meth:`rebuildable`.

        Returns
        -------
        list of str
        """
        return [name for name in self.columns if name != column]

    def restore(self, table, column, unknown="error"):
        """Rebuild ``column`` from the other columns of ``table`` so that the rule holds.

        Parameters
        ----------
        table : DataFrame
            Rows holding the columns of :meth:`inputs`.
        column : str
            One of the columns of :meth:`rebuildable`.
        unknown : {"error", "nearest", "missing"}, default="error"
            What to do with values the fitted rule has never seen.

        Returns
        -------
        Series
            The rebuilt column, on ``table``'s index.
        """
        raise NotImplementedError

    def compress(self, table, column):
        """Return ``column`` as the model should learn it, for a ``"rewrite"`` action.

        Parameters
        ----------
        table : DataFrame
            Real rows.
        column : str
            The rewritten column.

        Returns
        -------
        Series
        """
        return table[column]

    def translate_conditions(self, frame, column, random_state):
        """Move the fixed values of a rebuilt column onto the columns it is rebuilt from.

        Parameters
        ----------
        frame : DataFrame
            Fixed values, one row per sampled row.
        column : str
            The rebuilt column, a column of ``frame``.
        random_state : RandomState
            Draws the inputs where several fit a fixed value.

        Returns
        -------
        DataFrame
            The fixed values, without ``column`` when it is dropped from the model.
        """
        raise ValueError(
            f"conditions: {column!r} is rebuilt by the rule {self.describe()!r}, whose inputs "
            f"{self.inputs(column)} cannot be derived from it; condition on them instead."
        )


def check_columns(rule, table, name="the table"):
    """Raise a ValueError naming the columns of ``rule`` that ``table`` lacks."""
    missing = [c for c in rule.columns if c not in table.columns]
    if missing:
        raise ValueError(f"Rule {rule.describe()!r} reads columns {missing} that {name} lacks.")


def matches(series, value):
    """Boolean Series, True where ``series`` holds ``value`` (None: where it is missing)."""
    if value is None:
        return series.isna()
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        if isinstance(value, str):
            return pd.Series(False, index=series.index)
        return (series == value).fillna(False).astype(bool)
    return (series.astype(object) == value).astype(bool)


def most_frequent(series):
    """The most frequent present value of ``series``, as a Python value (None if none)."""
    counts = series.dropna().value_counts(sort=True)
    if counts.empty:
        return None
    value = counts.index[0]
    return value.item() if isinstance(value, np.generic) else value
