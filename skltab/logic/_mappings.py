"""Rules that map values to values: a constant column, a functional dependency, a one-to-one
mapping."""

import logging

import numpy as np
import pandas as pd

from ._base import Rule, check_columns, matches
from ._expressions import column_text, value_text

__all__ = ["ConstantRule", "DependencyRule", "OneToOneRule"]

logger = logging.getLogger(__name__)
_COUNT = "__count__"


class ConstantRule(Rule):
    """A column that holds one value on every row: ``country = 'US'``.

    Parameters
    ----------
    column : str
        The constant column.
    value : float, str or bool
        Its value.
    """

    kind = "constant"

    def __init__(self, column, value):
        self.column, self.value = column, value

    @property
    def columns(self):
        return [self.column]

    def describe(self):
        return f"{column_text(self.column)} = {value_text(self.value)}"

    def _parts(self):
        return {"column": self.column, "value": self.value}

    def check(self, table, reference=None):
        check_columns(self, table)
        series = table[self.column]
        return matches(series, self.value) | series.isna()

    def rebuildable(self):
        return [(self.column, "drop")]

    def restore(self, table, column, unknown="error"):
        return pd.Series([self.value] * len(table), index=table.index, dtype=object)

    def translate_conditions(self, frame, column, random_state):
        wrong = ~matches(frame[column], self.value)
        if wrong.any():
            raise ValueError(
                f"conditions: {column!r} is always {value_text(self.value)} in the fitted "
                f"table (rule {self.describe()!r}); got {frame[column][wrong].iloc[0]!r}."
            )
        return frame.drop(columns=column)


class DependencyRule(Rule):
    """A functional dependency ``a, b -> c``: rows with equal determinants have one dependent.

    Fitted on a real table, the rule maps each combination of determinant values to the
    dependent value seen with it most often; missing values count as values.

    Parameters
    ----------
    determinants : list of str
        Columns on the left of ``->``.
    dependent : str
        Column on the right.
    """

    kind = "dependency"

    def __init__(self, determinants, dependent):
        self.determinants, self.dependent = list(determinants), dependent

    @property
    def columns(self):
        return [*self.determinants, self.dependent]

    def describe(self):
        left = ", ".join(column_text(name) for name in self.determinants)
        return f"{left} -> {column_text(self.dependent)}"

    def _parts(self):
        return {"determinants": list(self.determinants), "dependent": self.dependent}

    def check(self, table, reference=None):
        check_columns(self, table)
        values = _keys(table[self.columns])
        if reference is not None:
            check_columns(self, reference, name="the reference table")
            expected = [_majority(_keys(reference[self.columns]).dropna(), self.determinants)]
        else:
            expected = [self.mapping_] if hasattr(self, "mapping_") else []
        expected = pd.concat([*expected, _majority(values.dropna(), self.determinants)])
        expected = expected.drop_duplicates(self.determinants)[self.columns]
        merged = values.merge(expected.rename(columns={self.dependent: "__expected__"}),
                              on=self.determinants, how="left")
        satisfied = (merged[self.dependent] == merged["__expected__"]).to_numpy(dtype=bool)
        return pd.Series(satisfied | values.isna().any(axis=1).to_numpy(), index=table.index)

    def support(self, table):
        complete = table[self.columns].dropna()
        return int(len(complete) - len(complete[self.determinants].drop_duplicates()))

    def fit(self, table):
        check_columns(self, table)
        self.mapping_ = _majority(_keys(table[self.columns]), self.determinants)
        return self

    def rebuildable(self):
        return [(self.dependent, "drop")]

    def restore(self, table, column, unknown="error"):
        keys = _keys(table[self.determinants]).reset_index(drop=True)
        merged = keys.merge(self.mapping_, on=self.determinants, how="left", indicator=True)
        values = merged[self.dependent].astype(object)
        unseen = (merged["_merge"] == "left_only").to_numpy()
        if unseen.any():
            values[unseen] = self._unseen(keys[unseen], unknown)
        return pd.Series(values.to_numpy(), index=table.index, dtype=object)

    def _unseen(self, keys, unknown):
        combos = keys.drop_duplicates()
        shown = combos.head(5).to_dict("records")
        if unknown == "error":
            raise ValueError(
                f"Rule {self.describe()!r} has never seen the values {shown} (of "
                f"{len(combos)} unseen); set unknown='nearest' or 'missing' to rebuild "
                f"{self.dependent!r} anyway."
            )
        logger.info("Rule %r: %d rows with unseen values such as %s; unknown=%r.",
                    self.describe(), len(keys), shown, unknown)
        if unknown == "missing":
            return np.full(len(keys), np.nan, dtype=object)
        nearest = _nearest(combos, self.mapping_[self.determinants])
        lookup = combos.assign(__row__=nearest)
        rows = keys.merge(lookup, on=self.determinants, how="left")["__row__"].to_numpy()
        return self.mapping_[self.dependent].to_numpy(dtype=object)[rows]

    def translate_conditions(self, frame, column, random_state):
        fixed = [name for name in self.determinants if name in frame.columns]
        free = [name for name in self.determinants if name not in frame.columns]
        chosen = pd.DataFrame(index=frame.index, columns=free, dtype=object)
        patterns = _keys(frame[[column, *fixed]]).groupby([column, *fixed], dropna=False,
                                                          sort=False).indices
        for pattern, rows in patterns.items():
            pattern = pattern if isinstance(pattern, tuple) else (pattern,)
            candidates = self.mapping_
            for name, value in zip([column, *fixed], pattern):
                candidates = candidates[matches(candidates[name], None if pd.isna(value)
                                                else value).to_numpy()]
            if candidates.empty:
                raise ValueError(
                    f"conditions: no values of {self.determinants} give {column}={pattern[0]!r}"
                    f" together with the other fixed values (rule {self.describe()!r})."
                )
            if random_state is None and len(candidates) > 1:
                raise ValueError(
                    f"conditions: {len(candidates)} values of {free} give {column}="
                    f"{pattern[0]!r} (rule {self.describe()!r}); one must be drawn per row, "
                    "so pass n_samples or a DataFrame of conditions with one row per sample."
                )
            weights = candidates[_COUNT].to_numpy(dtype=float)
            picks = (np.zeros(len(rows), dtype=int) if random_state is None else
                     random_state.choice(len(candidates), size=len(rows),
                                         p=weights / weights.sum()))
            chosen.iloc[rows] = candidates[free].to_numpy(dtype=object)[picks]
        return pd.concat([frame.drop(columns=column), chosen], axis=1)


class OneToOneRule(Rule):
    """A one-to-one mapping ``a <-> b``: each value of one column goes with one value of the
    other, both ways.

    Parameters
    ----------
    left, right : str
        The two columns.
    """

    kind = "one_to_one"

    def __init__(self, left, right):
        self.left, self.right = left, right
        self._directions = {right: DependencyRule([left], right),
                            left: DependencyRule([right], left)}

    @property
    def columns(self):
        return [self.left, self.right]

    def describe(self):
        return f"{column_text(self.left)} <-> {column_text(self.right)}"

    def _parts(self):
        return {"left": self.left, "right": self.right}

    def _direction(self, column):
        return self._directions[column]

    def check(self, table, reference=None):
        return (self._direction(self.right).check(table, reference)
                & self._direction(self.left).check(table, reference))

    def support(self, table):
        return min(self._direction(c).support(table) for c in self.columns)

    def fit(self, table):
        for column in self.columns:
            self._direction(column).fit(table)
        return self

    def rebuildable(self):
        return [(self.right, "drop"), (self.left, "drop")]

    def restore(self, table, column, unknown="error"):
        return self._direction(column).restore(table, column, unknown)

    def translate_conditions(self, frame, column, random_state):
        return self._direction(column).translate_conditions(frame, column, random_state)


def _keys(frame):
    """Values as Python objects with one kind of missing value, so that merges match them."""
    values = frame.astype(object)
    return values.where(values.notna(), np.nan)


def _majority(values, determinants):
    """Each combination of determinants with its most frequent dependent and its count."""
    counts = values.groupby(list(values.columns), dropna=False, sort=False).size()
    counts = counts.rename(_COUNT).reset_index().sort_values(_COUNT, ascending=False,
                                                             kind="stable")
    return counts.drop_duplicates(determinants).reset_index(drop=True)


def _nearest(unseen, seen, block=256):
    """Row of ``seen`` closest to each row of ``unseen``: numbers by their distance over the
    range, other values by mismatch; ties go to the first (the most frequent)."""
    if len(unseen) > block:
        return np.concatenate([_nearest(unseen.iloc[start:start + block], seen, block)
                               for start in range(0, len(unseen), block)])
    distance = np.zeros((len(unseen), len(seen)))
    for name in seen.columns:
        new, old = unseen[name], seen[name]
        numbers = pd.to_numeric(pd.concat([new, old]), errors="coerce")
        if numbers.notna().all():
            scale = max(float(numbers.max() - numbers.min()), 1e-12)
            a = numbers.iloc[:len(new)].to_numpy(float)
            b = numbers.iloc[len(new):].to_numpy(float)
            distance += np.abs(a[:, None] - b[None, :]) / scale
        else:
            a, b = new.to_numpy(dtype=object), old.to_numpy(dtype=object)
            same = (a[:, None] == b[None, :]) | (pd.isna(a)[:, None] & pd.isna(b)[None, :])
            distance += ~same
    return distance.argmin(axis=1)
