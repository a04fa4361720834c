"""Logic: the share of rows that break rules given as text, callables or rule objects.

Rule text is read by a small parser, never by ``eval``: column names (in backticks when they
hold other characters, as in ```education-num```), numbers, ``+ - * /`` and parentheses, one
comparison (``=``, ``==``, ``<=``, ``>=``, ``<``, ``>``), or a functional dependency
``a, b -> c``.
"""

import operator
import re
import warnings

import numpy as np
import pandas as pd

from ..metadata import infer_metadata

_TOKEN = re.compile(
    r"\s*(?:(?P<name>`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<op>->|<=|>=|==|[-+*/()=<>,]))"
)
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_COMPARISONS = {"=": None, "==": None, "<=": operator.le, ">=": operator.ge, "<": operator.lt,
                ">": operator.gt}
_EXAMPLES = "rules look like 'total = unit_price * quantity', 'zip -> city' or 'start <= end'"
#: Relative tolerance of ``=`` on top of half a unit of the left column's last decimal.
_RELATIVE_TOLERANCE = 1e-9


def parse_rule(text):
    """Read one rule from text.

    Parameters
    ----------
    text : str
        An equation or inequality between arithmetic expressions of columns, such as
        ``"total = unit_price * quantity"`` or ``"start_date <= end_date"``, or a functional
        dependency such as ``"zip -> city"`` or ``"country, zip -> city"``. Column names that
        are not identifiers go in backticks.

    Returns
    -------
    rule : object
        A rule with ``columns`` (the names it reads) and ``check(table, reference=None)``,
        which returns a boolean Series, True where a row satisfies the rule.

    Raises
    ------
    ValueError
        If the text is not a rule of this grammar.
    """
    if not isinstance(text, str):
        raise TypeError(f"A rule's text must be a str; got {type(text).__name__}.")
    tokens = _tokenize(text)
    if ("op", "->") in tokens:
        return _dependency(text, tokens)
    parser = _Parser(text, tokens)
    left = parser.expression()
    comparison = parser.take(*_COMPARISONS)
    if comparison is None:
        parser.fail("expected a comparison (=, <=, >=, <, >) or '->'")
    right = parser.expression()
    parser.finish()
    return ComparisonRule(text, left, comparison, right)


def _tokenize(text):
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"Cannot read rule {text!r}: unexpected character "
                             f"{text[position:].lstrip()[:1]!r}; {_EXAMPLES}.")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "name":
            value = value.strip("`")
        elif kind == "number":
            value = float(value)
        tokens.append((kind, value))
        position = match.end()
    if not tokens:
        raise ValueError(f"Cannot read an empty rule; {_EXAMPLES}.")
    return tokens


class _Parser:
    """Recursive descent over tokens: expression := term (+|- term)*, term := factor (*|/
    factor)*, factor := number | column | -factor | (expression)."""

    def __init__(self, text, tokens):
        self.text, self.tokens, self.position = text, tokens, 0

    def fail(self, problem):
        raise ValueError(f"Cannot read rule {self.text!r}: {problem}; {_EXAMPLES}.")

    def take(self, *ops):
        if self.position < len(self.tokens) and self.tokens[self.position] in [
            ("op", op) for op in ops
        ]:
            self.position += 1
            return self.tokens[self.position - 1][1]
        return None

    def finish(self):
        if self.position < len(self.tokens):
            self.fail(f"unexpected {self.tokens[self.position][1]!r}")

    def expression(self):
        node = self.term()
        while (op := self.take("+", "-")) is not None:
            node = (op, node, self.term())
        return node

    def term(self):
        node = self.factor()
        while (op := self.take("*", "/")) is not None:
            node = (op, node, self.factor())
        return node

    def factor(self):
        if self.take("-") is not None:
            return ("neg", self.factor())
        if self.take("(") is not None:
            node = self.expression()
            if self.take(")") is None:
                self.fail("a parenthesis is not closed")
            return node
        if self.position >= len(self.tokens):
            self.fail("it ends too early")
        kind, value = self.tokens[self.position]
        if kind == "op":
            self.fail(f"unexpected {value!r}")
        self.position += 1
        return ("column", value) if kind == "name" else ("number", value)


def _columns_of(node):
    if node[0] == "column":
        return {node[1]}
    if node[0] == "number":
        return set()
    return set().union(*(_columns_of(child) for child in node[1:]))


class ComparisonRule:
    """A rule ``left <comparison> right`` between arithmetic expressions of columns.

    ``=`` accepts a difference of half a unit of the last decimal that the left column (or,
    when the left side is an expression, the right column) holds in the reference table.
    Rows where a side is missing satisfy the rule.

    Parameters
    ----------
    text : str
        The rule as written.
    left, right : tuple
        Expression trees.
    comparison : str
        One of ``=``, ``==``, ``<=``, ``>=``, ``<``, ``>``.
    """

    def __init__(self, text, left, comparison, right):
        self.text, self.left, self.comparison, self.right = text, left, comparison, right
        self.columns = sorted(_columns_of(left) | _columns_of(right))

    def __repr__(self):
        return self.text

    def check(self, table, reference=None):
        """Return a boolean Series, True where a row of ``table`` satisfies the rule."""
        _check_columns(self, table)
        left, right = (_evaluate(side, table, self.text) for side in (self.left, self.right))
        left, right = (pd.Series(side, index=table.index) if np.ndim(side) == 0 else side
                       for side in (left, right))
        uncheckable = left.isna() | right.isna()
        if _COMPARISONS[self.comparison] is not None:
            satisfied = _COMPARISONS[self.comparison](left, right)
        elif pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
            tolerance = self._tolerance(table if reference is None else reference)
            satisfied = (left - right).abs() <= tolerance + _RELATIVE_TOLERANCE * np.maximum(
                left.abs(), right.abs())
        else:
            satisfied = left == right
        return (satisfied | uncheckable).astype(bool)

    def _tolerance(self, reference):
        """Half a unit of the last decimal of the single-column side, in ``reference``."""
        side = next((s for s in (self.left, self.right) if s[0] == "column"), None)
        if side is None or side[1] not in reference.columns or reference[side[1]].isna().all():
            return 0.0
        column = infer_metadata(reference[[side[1]]].dropna())[side[1]]
        if column.kind in ("integer", "id"):
            return 0.5
        if column.kind == "continuous" and column.decimals is not None:
            return 0.5 * 10.0 ** -column.decimals
        return 0.0


class DependencyRule:
    """A functional dependency ``a, b -> c``: rows with equal determinants have one dependent.

    A row satisfies it when its dependent value is the one most often seen with its
    determinants in the reference table (in ``table`` itself for determinants the reference
    lacks, or when there is no reference). Rows missing a value satisfy it.

    Parameters
    ----------
    text : str
        The rule as written.
    determinants : list of str
        Columns on the left of ``->``.
    dependent : str
        Column on the right.
    """

    def __init__(self, text, determinants, dependent):
        self.text, self.determinants, self.dependent = text, determinants, dependent
        self.columns = [*determinants, dependent]

    def __repr__(self):
        return self.text

    def check(self, table, reference=None):
        """Return a boolean Series, True where a row of ``table`` satisfies the rule."""
        _check_columns(self, table)
        expected = self._majority(table)
        if reference is not None:
            _check_columns(self, reference, name="the reference table")
            expected = pd.concat([self._majority(reference), expected]).drop_duplicates(
                self.determinants
            )
        values = table[self.columns].astype(object).reset_index(drop=True)
        merged = values.merge(
            expected.rename(columns={self.dependent: "__expected__"}),
            on=self.determinants, how="left",
        )
        satisfied = merged["__expected__"].isna() | (merged[self.dependent]
                                                    == merged["__expected__"])
        satisfied |= values.isna().any(axis=1)
        return pd.Series(satisfied.to_numpy(dtype=bool), index=table.index)

    def _majority(self, table):
        complete = table[self.columns].dropna().astype(object)
        counts = complete.value_counts(sort=True).reset_index()
        return counts.drop_duplicates(self.determinants)[self.columns]


def _dependency(text, tokens):
    arrow = tokens.index(("op", "->"))
    sides = []
    for side in (tokens[:arrow], tokens[arrow + 1:]):
        names = [value for kind, value in side if kind == "name"]
        expected = [tok for name in names for tok in (("name", name), ("op", ","))][:-1]
        if not names or side != expected:
            raise ValueError(f"Cannot read rule {text!r}: each side of '->' must be column "
                             f"names separated by commas; {_EXAMPLES}.")
        sides.append(names)
    determinants, dependent = sides
    if len(dependent) != 1:
        raise ValueError(f"Cannot read rule {text!r}: the right of '->' must be one column.")
    return DependencyRule(text, determinants, dependent[0])


def _check_columns(rule, table, name="the table"):
    missing = [c for c in rule.columns if c not in table.columns]
    if missing:
        raise ValueError(f"Rule {rule.text!r} reads columns {missing} that {name} lacks.")


def _evaluate(node, table, text):
    kind = node[0]
    if kind == "number":
        return node[1]
    if kind == "column":
        return _values(table[node[1]], text)
    if kind == "neg":
        return -_evaluate(node[1], table, text)
    left, right = (_evaluate(child, table, text) for child in node[1:])
    try:
        return _ARITHMETIC[kind](left, right)
    except TypeError as exc:
        raise ValueError(f"Rule {text!r}: cannot compute {kind!r} on these columns: {exc}") \
            from exc


def _values(series, text):
    """A column as numbers, as datetimes, or as it is, whichever reads all its values."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(
        series.dtype
    ):
        return series
    present = series.dropna()
    for convert in (pd.to_numeric, pd.to_datetime):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                converted = convert(present)
        except (TypeError, ValueError):
            continue
        return converted.reindex(series.index)
    return series


def rule_satisfaction(table, rules, *, reference=None):
    """Check every rule on every row.

    Parameters
    ----------
    table : DataFrame
        The rows to check.
    rules : list
        Rule strings (see :func:`parse_rule`), objects with a ``check(table)`` method, or
        callables ``table -> boolean Series``; both return True where a row satisfies the rule.
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies and the decimals of ``=``.

    Returns
    -------
    DataFrame
        One boolean column per rule (named by its text, its ``__name__`` or its ``repr``), True
        where the row satisfies it.
    """
    if isinstance(rules, str) or callable(rules) or hasattr(rules, "check"):
        raise TypeError("rules must be a list of rules; wrap a single rule in a list.")
    rules = list(rules)
    if not rules:
        raise ValueError("rules is empty; give at least one rule.")
    columns = {}
    for rule in rules:
        parsed = parse_rule(rule) if isinstance(rule, str) else rule
        name = _rule_name(rule)
        if name in columns:
            name = f"{name} ({sum(key.startswith(name) for key in columns) + 1})"
        columns[name] = _satisfied(parsed, table, reference)
    return pd.DataFrame(columns, index=table.index)


def _rule_name(rule):
    if isinstance(rule, str):
        return rule
    return getattr(rule, "__name__", None) or repr(rule)


def _satisfied(rule, table, reference):
    if isinstance(rule, (ComparisonRule, DependencyRule)):
        result = rule.check(table, reference=reference)
    elif hasattr(rule, "check"):
        result = rule.check(table)
    elif callable(rule):
        result = rule(table)
    else:
        raise TypeError(f"A rule must be a str, an object with a check method or a callable; "
                        f"got {type(rule).__name__}.")
    result = pd.Series(result, copy=False) if not isinstance(result, pd.Series) else result
    if len(result) != len(table) or not pd.api.types.is_bool_dtype(result.dtype):
        raise TypeError(f"Rule {_rule_name(rule)!r} must return one boolean per row "
                        f"({len(table)}); got {len(result)} values of dtype {result.dtype}.")
    return result.fillna(True).to_numpy(dtype=bool)


def rule_violations(table, rules, *, reference=None):
    """Share of the rows of ``table`` that break each rule.

    Parameters
    ----------
    table : DataFrame
        The rows to check, such as a synthetic table.
    rules : list
        Rule strings (see :func:`parse_rule`), objects with a ``check(table)`` method, or
        callables ``table -> boolean Series`` (True where a row satisfies the rule).
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies and the decimals of ``=``;
        without it, ``table`` itself does.

    Returns
    -------
    Series
        Violation rate of each rule, indexed by rule.
    """
    satisfied = rule_satisfaction(table, rules, reference=reference)
    return (~satisfied).mean().rename("violation_rate")


def rule_violation_rate(table, rules, *, reference=None):
    """Share of the rows of ``table`` that break at least one rule.

    Parameters
    ----------
    table : DataFrame
        The rows to check, such as a synthetic table.
    rules : list
        Rule strings such as ``"total = unit_price * quantity"``, ``"a = b / c"``,
        ``"zip -> city"`` or ``"start <= end"`` (see :func:`parse_rule`), objects with a
        ``check(table)`` method, or callables ``table -> boolean Series``; both return True
        where a row satisfies the rule.
    reference : DataFrame, default=None
        Real rows that fix the mapping of functional dependencies (``zip -> city`` must give
        the city the real rows give) and the decimals that ``=`` tolerates; without it,
        ``table`` itself does.

    Returns
    -------
    float
        In [0, 1], lower is better.

    Raises
    ------
    ValueError
        If a rule cannot be read or reads a column the table lacks.
    TypeError
        If a rule is of an unsupported type or does not return one boolean per row.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.metrics import rule_violation_rate
    >>> table = pd.DataFrame({"price": [2.0, 3.0], "quantity": [1, 2], "total": [2.0, 5.0]})
    >>> rule_violation_rate(table, ["total = price * quantity"])
    0.5
    """
    satisfied = rule_satisfaction(table, rules, reference=reference)
    return float((~satisfied.to_numpy().all(axis=1)).mean())
