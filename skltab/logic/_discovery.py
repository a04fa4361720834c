"""Find the rules a table obeys, with evidence: support, and a guard against chance.

Each candidate is tried on a sample of rows first, then on every row. A rule is kept when it
breaks on no more than ``tolerance`` of the rows it reads, when enough rows test it, and when
a table without the rule would show it by chance with probability below :data:`CHANCE`. The
rules kept are then made minimal: no dependency that others imply (``zip -> state`` when
``zip -> city`` and ``city -> state`` hold), no dependency from a nearly unique column.
"""

import itertools
import math

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ..metadata import infer_metadata
from ._expressions import column_values
from ._formulas import ArithmeticRule, DateDifferenceRule, shift_dates, tolerance as half_unit
from ._mappings import ConstantRule, DependencyRule, OneToOneRule
from ._orders import OrderRule
from ._ties import TieRule

__all__ = ["CHANCE", "discover_rules"]

#: Highest probability, for a table where the rule does not hold, of seeing it hold on every
#: row that tests it; rules more likely than that to be coincidences are not kept.
CHANCE = 1e-6
#: Rows on which candidates are tried before they are checked on every row.
_SAMPLE_ROWS = 512
_RELATIVE = 1e-9
_SIGNIFICANT_DIGITS = range(1, 13)
_MONTH_DAYS = 365.2425 / 12


def discover_rules(X, *, max_determinant_size=2, min_support=5, tolerance=0.0,
                   metadata=None):
    """Find the rules that hold on a table.

    Looks for constant columns; arithmetic identities between numeric columns within their
    rounding (``c = a + b``, ``c = a * b``, ``c = a / b``, ``c = a * (1 - b / 100)``,
    ``c = a * (1 + b / 100)``, ``c = k * a + m``); durations in days or months between two
    dates; functional dependencies with up to ``max_determinant_size`` determinants and
    one-to-one mappings; columns missing (or holding one value) exactly when another holds a
    value; and orders between datetime columns. Orders between numbers are not looked for:
    amounts in different units are ordered by chance far too often; give them as rules.

    Parameters
    ----------
    X : DataFrame
        The table.
    max_determinant_size : int, default=2
        Most columns on the left of a dependency.
    min_support : int, default=5
        Fewest rows per value of a determinant, on average (so no dependency from an ID or
        nearly unique column), fewest rows on each side of a tie, fewest rows testing a
        formula or an order.
    tolerance : float, default=0.0
        Largest share of the rows a rule reads that may break it.
    metadata : TableMetadata, default=None
        Column kinds; inferred when None. ID and text columns are left out.

    Returns
    -------
    list of Rule
        Unfitted rules, by kind: constants, formulas, one-to-one mappings, dependencies,
        ties, orders.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.logic import discover_rules
    >>> table = pd.DataFrame({"price": [1.5, 2.0, 3.25, 4.0, 0.99] * 4,
    ...                       "quantity": [3, 1, 2, 2, 5] * 4})
    >>> table["total"] = (table["price"] * table["quantity"]).round(2)
    >>> [rule.describe() for rule in discover_rules(table)]
    ['total = price * quantity']
    """
    metadata = infer_metadata(X) if metadata is None else metadata
    finder = _Finder(X, metadata, max_determinant_size, min_support, tolerance)
    return finder.run()


class _Finder:
    """State of one discovery: the columns as codes and numbers, and the rules found."""

    def __init__(self, table, metadata, max_size, min_support, tolerance):
        self.table, self.max_size = table.reset_index(drop=True), max_size
        self.min_support, self.tolerance = min_support, tolerance
        self.n = len(table)
        self.kinds = {c.name: c.kind for c in metadata if c.kind not in ("id", "text")}
        self.order = {name: i for i, name in enumerate(table.columns)}
        self.codes = {name: pd.factorize(self.table[name], use_na_sentinel=False)[0]
                      for name in self.kinds}
        self.sizes = {name: int(codes.max()) + 1 for name, codes in self.codes.items()}
        self.decimals = {c.name: (0 if c.kind == "integer" else c.decimals)
                         for c in metadata if c.kind in ("continuous", "integer")}
        rng = np.random.RandomState(0)
        self.sample = np.sort(rng.permutation(self.n)[:_SAMPLE_ROWS])
        self.shuffle = rng.permutation(self.n)
        self.log_chance = math.log(CHANCE)

    def run(self):
        constants = self._constants()
        self.varying = [name for name in self.kinds if self.sizes[name] > 1]
        formulas = self._arithmetic() + self._durations()
        self.covered = [set(rule.columns) for rule in formulas]
        pairs = self._pairs()
        every = self._dependencies(pairs)
        related = {frozenset(r.columns) for r in every if len(r.determinants) == 1}
        dependencies = [rule for rule in every if not self._covered(rule.columns)]
        one_to_one, dependencies = self._one_to_one(dependencies)
        ties, dependencies = self._ties(pairs, related, dependencies)
        implied = [rule for rule in every if rule not in dependencies]
        dependencies = _minimal(dependencies, implied, self._groups, self.order)
        return constants + formulas + one_to_one + dependencies + ties + self._orders()

    # constants and formulas ------------------------------------------------------------

    def _constants(self):
        if self.n < self.min_support:
            return []
        return [ConstantRule(name, _python(self.table[name].iloc[0])) for name in self.kinds
                if self.sizes[name] == 1 and self.table[name].notna().all()]

    def _holds(self, broken, tested):
        return tested >= self.min_support and broken <= self.tolerance * tested

    def _chance(self, hit_rate, tested):
        """Whether a relation that a shuffled table satisfies at ``hit_rate`` holds by chance."""
        return tested * math.log(max(hit_rate, 1e-300)) > self.log_chance

    def _arithmetic(self):
        numeric = [n for n in self.varying if self.kinds[n] in ("continuous", "integer")]
        values = {n: pd.to_numeric(self.table[n]).to_numpy(dtype=float) for n in numeric}
        found, used = [], set()

        def consider(target, inputs, form, predict):
            key = frozenset((target, *inputs))
            if key in used or any(rule.target == target for rule in found):
                return
            rule = self._formula(target, inputs, form, predict, values)
            if rule is not None:
                found.append(rule)
                used.add(key)

        for form in ("product", "percent_off", "percent_on", "ratio", "sum"):
            for a, b in itertools.permutations(numeric, 2):
                if form in ("product", "sum") and self.order[a] > self.order[b]:
                    continue
                predict = _FORMS[form]
                sample = predict(values[a][self.sample], values[b][self.sample])
                for target in numeric:
                    if target not in (a, b) and self._close(target, values, sample):
                        consider(target, (a, b), form, predict)
        for a, target in itertools.permutations(numeric, 2):
            coefficients = self._linear(values[a], values[target], target)
            if coefficients is not None:
                consider(target, (a,), coefficients, None)
        return found

    def _close(self, target, values, prediction, rows=None):
        """Share-within-tolerance test of a prediction of ``target`` on the sample rows."""
        rows = self.sample if rows is None else rows
        actual = values[target][rows]
        tested = np.isfinite(actual) & np.isfinite(prediction)
        if tested.sum() < min(self.min_support, len(rows)):
            return False
        within = _within(actual, prediction, self.decimals[target])
        return (~within & tested).sum() <= self.tolerance * tested.sum()

    def _formula(self, target, inputs, form, predict, values):
        """The rule ``target = form(inputs)`` if it holds with evidence, else None; ``form``
        is a form's name, or the coefficients ``(k, m)`` of a line when ``predict`` is None."""
        if predict is None:
            prediction = form[0] * values[inputs[0]] + form[1]
        else:
            prediction = predict(*(values[name] for name in inputs))
        actual = values[target]
        tested = np.all([np.isfinite(values[name]) for name in inputs], axis=0)
        if (np.isnan(actual) == tested).any():
            return None
        good = np.isfinite(prediction) & _within(actual, prediction, self.decimals[target])
        if not self._holds(int((tested & ~good).sum()), int(tested.sum())):
            return None
        shuffled = actual[self.shuffle][self.sample]
        hits = _within(shuffled, prediction[self.sample], self.decimals[target])
        valid = np.isfinite(shuffled) & np.isfinite(prediction[self.sample])
        if self._chance((hits[valid].sum() + 1) / (valid.sum() + 1), int(tested.sum())):
            return None
        return ArithmeticRule(("column", target), _tree(form, inputs))

    def _linear(self, a, c, target):
        """Coefficients ``(k, m)`` written with the fewest digits for which ``c = k * a + m``
        holds on the sample, or None."""
        rows = self.sample[np.isfinite(a[self.sample]) & np.isfinite(c[self.sample])]
        if len(rows) < self.min_support or np.ptp(a[rows]) == 0:
            return None
        k, m = np.polyfit(a[rows], c[rows], 1)
        if abs(k) < 1e-12 or not self._close(target, {target: c}, k * a[rows] + m, rows):
            return None
        for digits in _SIGNIFICANT_DIGITS:
            rounded = (float(f"{k:.{digits}g}"), float(f"{m:.{digits}g}"))
            if self._close(target, {target: c}, rounded[0] * a[rows] + rounded[1], rows):
                return rounded
        return None

    def _durations(self):
        dates = [n for n in self.varying if self.kinds[n] == "datetime"]
        integers = [n for n in self.varying if self.kinds[n] == "integer"]
        days = {n: _days(self.table[n]) for n in dates}
        found = []
        for duration, (end, start) in itertools.product(integers, itertools.permutations(dates, 2)):
            amount = pd.to_numeric(self.table[duration]).to_numpy(dtype=float)
            for unit in ("days", "months"):
                rule = self._duration(duration, end, start, unit, amount, days)
                if rule is not None:
                    found.append(rule)
                    break
        return found

    def _duration(self, duration, end, start, unit, amount, days):
        rows = self.sample
        if unit == "days":
            expected = days[start] + amount
        elif not self._close_dates(np.round((days[end][rows] - days[start][rows]) / _MONTH_DAYS),
                                   np.round(amount[rows]), slack=1):
            return None
        else:
            expected = np.full(self.n, np.nan)
            expected[rows] = _days(shift_dates(column_values(self.table[start].iloc[rows]),
                                               pd.Series(amount[rows], index=rows), unit))
        if not self._close_dates(days[end][rows], expected[rows]):
            return None
        if unit == "months":
            expected = _days(shift_dates(column_values(self.table[start]), pd.Series(amount),
                                         unit))
        tested = np.isfinite(days[end]) & np.isfinite(expected)
        broken = int((tested & (days[end] != expected)).sum())
        missing = np.isnan(days[end]) != (np.isnan(days[start]) | np.isnan(amount))
        if not self._holds(broken, int(tested.sum())) or missing.any():
            return None
        shuffled = days[end][self.shuffle][rows]
        valid = np.isfinite(shuffled) & np.isfinite(expected[rows])
        hits = (shuffled == expected[rows]) & valid
        if self._chance((hits.sum() + 1) / (valid.sum() + 1), int(tested.sum())):
            return None
        return DateDifferenceRule(duration, end, start, unit)

    def _close_dates(self, actual, expected, slack=0):
        tested = np.isfinite(actual) & np.isfinite(expected)
        if tested.sum() < min(self.min_support, len(actual)):
            return False
        far = np.abs(actual - expected) > slack
        return (far & tested).sum() <= self.tolerance * tested.sum()

    # dependencies, one-to-one mappings, ties ---------------------------------------------

    def _groups(self, rule):
        codes = np.column_stack([self.codes[name] for name in rule.determinants])
        return len(np.unique(codes, axis=0))

    def _determinant_ok(self, groups):
        return groups > 1 and self.n >= self.min_support * groups

    def _pairs(self):
        """Contingency of every pair of varying columns, as (codes of a, codes of b, counts)."""
        pairs = {}
        for a, b in itertools.combinations(self.varying, 2):
            combined = self.codes[a].astype(np.int64) * self.sizes[b] + self.codes[b]
            unique, counts = np.unique(combined, return_counts=True)
            pairs[a, b] = (unique // self.sizes[b], unique % self.sizes[b], counts)
        return pairs

    def _dependencies(self, pairs):
        """Every dependency that holds with evidence; ``raw`` collects those that merely
        hold, so that wider determinants are tried only where no narrower one works."""
        found, raw = [], set()
        for (a, b), (codes_a, codes_b, counts) in pairs.items():
            for (x, cx), (y, cy) in (((a, codes_a), (b, codes_b)), ((b, codes_b), (a, codes_a))):
                broken = self.n - _largest_per_group(cx, cy, counts, self.sizes[x])
                if broken <= self.tolerance * self.n:
                    raw.add((frozenset([x]), y))
                    if self._dependency_ok([x], y, self.codes[x], self.sizes[x]):
                        found.append(DependencyRule([x], y))
        for size in range(2, self.max_size + 1):
            for determinants in itertools.combinations(self.varying, size):
                found += self._wide_dependencies(list(determinants), raw)
        return found

    def _dependency_ok(self, determinants, dependent, codes, groups):
        if not self._determinant_ok(groups):
            return False
        group_sizes = np.bincount(codes, minlength=groups)
        counts = np.bincount(self.codes[dependent])
        log_frequencies = np.log(counts[counts > 0] / self.n)
        sizes, repeats = np.unique(group_sizes, return_counts=True)
        # a group of s rows agrees by chance with probability sum_y p_y ** s
        log_chance = repeats @ logsumexp(sizes[:, None] * log_frequencies[None, :], axis=1)
        return log_chance <= self.log_chance

    def _wide_dependencies(self, determinants, raw):
        codes = self.codes[determinants[0]].astype(np.int64)
        for name in determinants[1:]:
            codes = codes * self.sizes[name] + self.codes[name]
        _, codes = np.unique(codes, return_inverse=True)
        groups = int(codes.max()) + 1
        if not self._determinant_ok(groups):
            return []
        found = []
        for dependent in self.varying:
            smaller = any((frozenset(subset), dependent) in raw
                          for k in range(1, len(determinants))
                          for subset in itertools.combinations(determinants, k))
            if dependent in determinants or smaller:
                continue
            if not self._dependency_holds(codes[self.sample], self.codes[dependent][self.sample],
                                          len(self.sample)):
                continue
            if self._dependency_holds(codes, self.codes[dependent], self.n):
                raw.add((frozenset(determinants), dependent))
                if self._dependency_ok(determinants, dependent, codes, groups):
                    found.append(DependencyRule(determinants, dependent))
        return found

    def _dependency_holds(self, codes, dependent_codes, n):
        combined = codes.astype(np.int64) * (int(dependent_codes.max()) + 1) + dependent_codes
        unique, counts = np.unique(combined, return_counts=True)
        size = int(dependent_codes.max()) + 1
        kept = _largest_per_group(unique // size, unique % size, counts, int(codes.max()) + 1)
        return n - kept <= self.tolerance * n

    def _covered(self, columns):
        return any(set(columns) <= formula for formula in self.covered)

    def _one_to_one(self, dependencies):
        """Merge ``a -> b`` and ``b -> a`` into ``a <-> b``; drop what the mapping implies."""
        single = {(r.determinants[0], r.dependent) for r in dependencies
                  if len(r.determinants) == 1}
        parent = {}
        for a, b in single:
            root_a, root_b = _root(parent, a), _root(parent, b)
            if (b, a) in single and root_a != root_b:
                parent[max(root_a, root_b, key=self.order.get)] = min(root_a, root_b,
                                                                      key=self.order.get)
        members = sorted(parent, key=self.order.get)
        mappings = [OneToOneRule(_root(parent, name), name) for name in members]
        kept = [r for r in dependencies if not set(members) & set(r.columns)]
        return mappings, kept

    def _ties(self, pairs, related, dependencies):
        """Values tied one to one across two columns, merged into classes of equal states."""
        binary = {name for name in self.varying
                  if self.sizes[name] == 2 and self.table[name].notna().all()}
        states = {}
        for (a, b), (codes_a, codes_b, counts) in pairs.items():
            if (a in binary and b in binary) or self._covered([a, b]):
                continue
            if frozenset((a, b)) in related and not binary & {a, b}:
                continue
            for code_a, code_b in self._tied_codes(a, b, codes_a, codes_b, counts):
                _union(states, (a, code_a), (b, code_b))
        return self._tie_rules(states, binary, dependencies)

    def _tied_codes(self, a, b, codes_a, codes_b, counts):
        totals_a = np.bincount(self.codes[a], minlength=self.sizes[a])
        totals_b = np.bincount(self.codes[b], minlength=self.sizes[b])
        tied = (counts == totals_a[codes_a]) & (counts == totals_b[codes_b])
        tied &= (counts >= self.min_support) & (self.n - counts >= self.min_support)
        for code_a, code_b, count in zip(codes_a[tied], codes_b[tied], counts[tied]):
            log_chance = math.lgamma(count + 1) + math.lgamma(self.n - count + 1) - math.lgamma(
                self.n + 1)
            if log_chance <= self.log_chance:
                yield int(code_a), int(code_b)

    def _tie_rules(self, states, binary, dependencies):
        classes = {}
        for state in states:
            classes.setdefault(_root(states, state), []).append(state)
        rules, explained = [], set()
        for members in classes.values():
            members = sorted(members, key=lambda s: self.order[s[0]])
            values = {state: self._value(*state) for state in members}
            free = [s for s in members if s[0] not in binary]
            if not free:
                continue
            root = next((s for s in free if values[s] is not None), free[0])
            for state in members:
                if state == root:
                    continue
                if state[0] in binary:
                    rule = TieRule(root[0], values[root], state[0], values[state])
                elif values[root] is not None:
                    rule = TieRule(state[0], values[state], root[0], values[root])
                else:
                    continue
                if frozenset(rule.columns) not in explained:
                    rules.append(rule)
                    explained.add(frozenset(rule.columns))
        kept = [r for r in dependencies if frozenset(r.columns) not in explained]
        return rules, kept

    def _value(self, name, code):
        value = self.table[name].iloc[int(np.argmax(self.codes[name] == code))]
        return None if pd.isna(value) else _python(value)

    # orders ---------------------------------------------------------------------------------

    def _orders(self):
        dates = [n for n in self.varying if self.kinds[n] == "datetime"]
        days = {n: _days(self.table[n]) for n in dates}
        found = []
        for early, late in itertools.permutations(dates, 2):
            tested = np.isfinite(days[early]) & np.isfinite(days[late])
            broken = int((tested & (days[early] > days[late])).sum())
            if not self._holds(broken, int(tested.sum())) or not (
                    days[early] < days[late]).any():
                continue
            shuffled = days[late][self.shuffle][self.sample]
            valid = np.isfinite(shuffled) & np.isfinite(days[early][self.sample])
            hits = (days[early][self.sample] <= shuffled) & valid
            if not self._chance((hits.sum() + 1) / (valid.sum() + 1), int(tested.sum())):
                found.append((early, late))
        implied = {(a, c) for a, b in found for b2, c in found if b == b2}
        return [OrderRule(("column", late), ">=", ("column", early))
                for early, late in found if (early, late) not in implied]


def _within(actual, prediction, decimals):
    with np.errstate(invalid="ignore"):
        return np.abs(actual - prediction) <= half_unit(decimals) + _RELATIVE * np.maximum(
            np.abs(actual), np.abs(prediction))


def _product(a, b):
    return a * b


def _ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def _percent_off(a, b):
    return a * (1 - b / 100)


def _percent_on(a, b):
    return a * (1 + b / 100)


def _sum(a, b):
    return a + b


_FORMS = {"product": _product, "ratio": _ratio, "percent_off": _percent_off,
          "percent_on": _percent_on, "sum": _sum}


def _tree(form, inputs):
    """Expression tree of a form, written the way the functions above compute it."""
    a = ("column", inputs[0])
    if isinstance(form, tuple):
        k, m = form
        scaled = a if k == 1 else ("*", ("number", k), a)
        if m == 0:
            return scaled
        return ("+", scaled, ("number", m)) if m > 0 else ("-", scaled, ("number", -m))
    b = ("column", inputs[1])
    if form in ("percent_off", "percent_on"):
        sign = "-" if form == "percent_off" else "+"
        return ("*", a, (sign, ("number", 1.0), ("/", b, ("number", 100.0))))
    return ({"product": "*", "ratio": "/", "sum": "+"}[form], a, b)


def _largest_per_group(group_codes, value_codes, counts, n_groups):
    """Sum over groups of the count of the group's most frequent value."""
    best = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(best, group_codes, counts)
    return int(best.sum())


def _days(series):
    """Datetimes as float days since 1970 (NaN where missing)."""
    stamps = column_values(series)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(1, unit="D")).to_numpy(
        dtype=float, na_value=np.nan)


def _python(value):
    return value.item() if isinstance(value, np.generic) else value


def _root(parent, item):
    while parent.get(item, item) != item:
        item = parent[item]
    return item


def _union(parent, a, b):
    parent.setdefault(a, a)
    parent.setdefault(b, b)
    root_a, root_b = _root(parent, a), _root(parent, b)
    if root_a != root_b:
        parent[root_b] = root_a


def _minimal(dependencies, implied, groups, order):
    """Drop the dependencies that the others (and those that other rules stand for) imply,
    trying the widest and finest determinants first (``zip -> state`` before
    ``city -> state``), then those of the last columns."""
    edges = [(frozenset(r.determinants), r.dependent) for r in implied]
    ranked = sorted(dependencies, key=lambda r: (
        -len(r.determinants), -groups(r), sorted(-order[name] for name in r.determinants)))
    kept = list(ranked)
    for rule in ranked:
        others = [(frozenset(r.determinants), r.dependent) for r in kept if r is not rule]
        if rule.dependent in _closure(set(rule.determinants), others + edges):
            kept.remove(rule)
    return sorted(kept, key=lambda r: [order[name] for name in r.columns])


def _closure(columns, edges):
    columns = set(columns)
    grown = True
    while grown:
        grown = False
        for left, right in edges:
            if left <= columns and right not in columns:
                columns.add(right)
                grown = True
    return columns
