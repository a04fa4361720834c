"""Rules that tie a column's missing values (or one of its values) to a value of another."""

import numpy as np
import pandas as pd

from ._base import Rule, check_columns, matches, most_frequent
from ._expressions import column_text, value_text

__all__ = ["TieRule"]


class TieRule(Rule):
    """A column missing, or holding one value, on exactly the rows where another column holds
    a value: ``member_since missing when is_member is False``, ``years is 0 when experience is
    False``.

    Fitted on a real table, the rule rebuilds the other column when it has two values and no
    missing ones (``is_member`` is True exactly where ``member_since`` is present). Otherwise
    it rewrites the column: the model learns it with the state replaced by the column's other
    values (in their frequencies), and :meth:`restore` puts the state back exactly where the
    other column holds its value, and a stray state elsewhere is replaced by the column's most
    frequent other value.

    Parameters
    ----------
    column : str
        The column whose state is tied.
    state : float, str, bool or None
        Its value on the tied rows; None for missing.
    other : str
        The column that decides.
    value : float, str or bool
        The value of ``other`` on exactly those rows.
    """

    kind = "tie"

    def __init__(self, column, state, other, value):
        self.column, self.state, self.other, self.value = column, state, other, value

    @property
    def columns(self):
        return [self.column, self.other]

    def describe(self):
        state = "missing" if self.state is None else f"is {value_text(self.state)}"
        return (f"{column_text(self.column)} {state} when {column_text(self.other)} is "
                f"{value_text(self.value)}")

    def _parts(self):
        return {"column": self.column, "state": self.state, "other": self.other,
                "value": self.value}

    def check(self, table, reference=None):
        check_columns(self, table)
        tied = matches(table[self.other], self.value)
        in_state = matches(table[self.column], self.state)
        unknown = table[self.other].isna()
        if self.state is not None:
            unknown |= table[self.column].isna()
        return ((tied == in_state) | unknown).astype(bool)

    def support(self, table):
        present = table[self.other].notna()
        if self.state is not None:
            present &= table[self.column].notna()
        return int(present.sum())

    def fit(self, table):
        check_columns(self, table)
        other = table[self.other]
        values = pd.unique(other.dropna())
        self.alternative_ = None
        if len(values) == 2 and other.notna().all():
            alternative = values[0] if matches(pd.Series(values[1:]), self.value).all() \
                else values[1]
            self.alternative_ = alternative.item() if isinstance(alternative, np.generic) \
                else alternative
        rest = table[self.column][~matches(table[self.column], self.state)].dropna()
        self.fill_ = most_frequent(rest)
        counts = rest.value_counts(sort=True)
        self.fill_values_ = (counts.index.to_numpy(dtype=object), counts.to_numpy())
        return self

    def rebuildable(self):
        options = [] if self.alternative_ is None else [(self.other, "drop")]
        return options + ([] if self.fill_ is None else [(self.column, "rewrite")])

    def inputs(self, column):
        return [self.column] if column == self.other else [self.other]

    def restore(self, table, column, unknown="error"):
        if column == self.other:
            in_state = matches(table[self.column], self.state).to_numpy()
            return pd.Series(np.where(in_state, self.value, self.alternative_), dtype=object,
                             index=table.index)
        tied = matches(table[self.other], self.value)
        stray = ~tied & table[self.other].notna() & matches(table[self.column], self.state)
        values = table[self.column].astype(object).copy()
        values[stray] = self.fill_
        values[tied] = np.nan if self.state is None else self.state
        return values

    def compress(self, table, column):
        """The column with its tied rows holding its other values, in their frequencies.

        The tied rows get values spread over the column's other values in proportion to
        their counts (in a fixed shuffled order), so the model learns the column's other
        values without a spike; :meth:`restore` overwrites them with the state.
        """
        values = table[column].astype(object).copy()
        tied = matches(table[self.other], self.value).to_numpy()
        levels, counts = self.fill_values_
        quantiles = (np.random.RandomState(0).permutation(tied.sum()) + 0.5) / tied.sum()
        picks = np.searchsorted(np.cumsum(counts), quantiles * counts.sum(), side="right")
        values[tied] = levels[picks]
        return values

    def translate_conditions(self, frame, column, random_state):
        frame = frame.copy()
        if column == self.other:
            tied = matches(frame[column], self.value)
            if not tied.all():
                raise ValueError(
                    f"conditions: {column}={value_text(frame[column][~tied].iloc[0])} says that "
                    f"{self.column!r} is not {self._state_text()} (rule {self.describe()!r}), "
                    f"which cannot be fixed in advance; condition on {self.column!r} instead."
                )
            self._agree(frame, self.column, self.state, tied)
            frame[self.column] = np.nan if self.state is None else self.state
            return frame.drop(columns=column)
        in_state = matches(frame[column], self.state)
        if not in_state.any():
            return frame
        if self.other in frame.columns:
            self._agree(frame, self.other, self.value, in_state)
        elif in_state.all():
            frame[self.other] = self.value
        else:
            raise ValueError(
                f"conditions: rows with {column} {self._state_text()} need {self.other!r} "
                f"fixed to {value_text(self.value)} (rule {self.describe()!r}); add "
                f"{self.other!r} to the conditions."
            )
        frame[column] = frame[column].astype(object)
        frame.loc[in_state, column] = self.fill_
        return frame

    def _state_text(self):
        return "missing" if self.state is None else value_text(self.state)

    def _agree(self, frame, name, value, rows):
        """Raise if ``frame`` already fixes ``name`` to something else on ``rows``."""
        if name in frame.columns:
            clash = rows & ~matches(frame[name], value)
            if clash.any():
                raise ValueError(
                    f"conditions contradict the rule {self.describe()!r} on "
                    f"{int(clash.sum())} rows."
                )
