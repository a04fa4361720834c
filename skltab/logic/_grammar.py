"""Read rules from text with a small parser; nothing is ever evaluated as code.

The grammar::

    rule        := dependency | one_to_one | tie | comparison
    dependency  := names "->" name                  zip -> city; country, zip -> city
    one_to_one  := name "<->" name                  education <-> `education-num`
    tie         := name state "when" name "is" value
                   state := "missing" | "is" value   member_since missing when is_member is False
    comparison  := expression op expression [unit]  total = unit_price * quantity
                   op := "=" | "==" | "<=" | ">=" | "<" | ">"
                   unit := "(days)" | "(months)"    delivery_days = ship_date - order_date (days)
    expression  := term (("+" | "-") term)*
    term        := factor (("*" | "/") factor)*
    factor      := number | name | value | "-" factor | "(" expression ")"
    value       := number | "-" number | 'text' | "text" | True | False

Column names that are not identifiers (or are one of the words ``missing``, ``when``, ``is``,
``True``, ``False``) go in backticks: ```education-num```.
"""

import re

from ._expressions import KEYWORDS, columns_of
from ._base import Rule
from ._formulas import ArithmeticRule, DateDifferenceRule
from ._mappings import ConstantRule, DependencyRule, OneToOneRule
from ._orders import OrderRule
from ._ties import TieRule

__all__ = ["parse_rule", "parse_rules"]

_TOKEN = re.compile(
    r"\s*(?:(?P<quoted>`[^`]+`)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<op><->|->|<=|>=|==|[-+*/()=<>,]))"
)
_COMPARISONS = ("=", "==", "<=", ">=", "<", ">")
_UNITS = ("days", "months")
_EXAMPLES = ("rules look like 'total = unit_price * quantity', 'zip -> city', "
             "'start <= end' or 'salary missing when placed is False'")


def parse_rule(text):
    """Read one rule from text.

    Parameters
    ----------
    text : str
        A rule of one of these forms:

        - ``"zip -> city"``, ``"country, zip -> city"``: a functional dependency (rows with
          equal values on the left have one value on the right);
        - ``"education <-> `education-num`"``: a one-to-one mapping;
        - ``"country = 'US'"``: a constant column;
        - ``"total = unit_price * quantity"``, ``"net = total * (1 - discount_pct / 100)"``:
          an arithmetic identity, within the rounding of the column on the left;
        - ``"delivery_days = ship_date - order_date (days)"``: a duration in days or months;
        - ``"salary missing when placed is False"``, ``"years is 0 when experience is
          False"``: a column missing (or holding a value) on exactly the rows where another
          column holds a value;
        - ``"ship_date >= order_date"``, ``"start < end"``: an order between expressions.

        Column names that are not identifiers go in backticks.

    Returns
    -------
    rule : Rule
        The rule object; ``rule.describe()`` writes it back as text.

    Raises
    ------
    ValueError
        If the text is not a rule of this grammar.

    Examples
    --------
    >>> from skltab.logic import parse_rule
    >>> rule = parse_rule("total = unit_price * quantity")
    >>> rule.kind, rule.columns
    ('arithmetic', ['quantity', 'total', 'unit_price'])
    """
    if isinstance(text, Rule):
        return text
    if not isinstance(text, str):
        raise TypeError(f"A rule's text must be a str; got {type(text).__name__}.")
    tokens = _tokenize(text)
    if ("op", "<->") in tokens:
        return _one_to_one(text, tokens)
    if ("op", "->") in tokens:
        return _dependency(text, tokens)
    if ("name", "when") in tokens:
        return _tie(text, tokens)
    return _comparison(text, tokens)


def parse_rules(rules, name="rules"):
    """Read a list of rules given as text or rule objects.

    Parameters
    ----------
    rules : list of str or Rule
        The rules.
    name : str, default="rules"
        How the list is called in error messages.

    Returns
    -------
    list of Rule
    """
    if isinstance(rules, (str, Rule)):
        raise TypeError(f"{name} must be a list of rules; wrap a single rule in a list.")
    parsed = []
    for rule in rules:
        if not isinstance(rule, (str, Rule)):
            raise TypeError(f"{name} must hold rule strings or Rule objects; got "
                            f"{type(rule).__name__}.")
        parsed.append(parse_rule(rule))
    return parsed


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
        if kind == "quoted":
            value = value[1:-1]
        elif kind == "number":
            value = float(value)
        elif kind == "string":
            value = value[1:-1]
        tokens.append((kind, value))
        position = match.end()
    if not tokens:
        raise ValueError(f"Cannot read an empty rule; {_EXAMPLES}.")
    return tokens


def _fail(text, problem):
    raise ValueError(f"Cannot read rule {text!r}: {problem}; {_EXAMPLES}.")


def _is_column(token):
    kind, value = token
    return kind == "quoted" or (kind == "name" and value not in KEYWORDS)


def _names(text, tokens, what):
    """Column names separated by commas."""
    columns, commas = tokens[::2], tokens[1::2]
    if (not tokens or len(tokens) % 2 == 0 or not all(map(_is_column, columns))
            or any(comma != ("op", ",") for comma in commas)):
        _fail(text, f"{what} must be column names separated by commas")
    return [value for _, value in columns]


def _dependency(text, tokens):
    arrow = tokens.index(("op", "->"))
    side = "each side of '->'"
    determinants = _names(text, tokens[:arrow], side)
    dependent = _names(text, tokens[arrow + 1:], side)
    if len(dependent) != 1:
        raise ValueError(f"Cannot read rule {text!r}: the right of '->' must be one column.")
    if dependent[0] in determinants or len(set(determinants)) < len(determinants):
        _fail(text, "a column appears twice")
    return DependencyRule(determinants, dependent[0])


def _one_to_one(text, tokens):
    arrow = tokens.index(("op", "<->"))
    left, right = tokens[:arrow], tokens[arrow + 1:]
    if len(left) != 1 or len(right) != 1 or not (_is_column(left[0]) and _is_column(right[0])):
        _fail(text, "each side of '<->' must be one column")
    if left[0][1] == right[0][1]:
        _fail(text, "a column appears twice")
    return OneToOneRule(left[0][1], right[0][1])


def _tie(text, tokens):
    when = tokens.index(("name", "when"))
    column, state = _tie_side(text, tokens[:when], allow_missing=True)
    other, value = _tie_side(text, tokens[when + 1:], allow_missing=False)
    return TieRule(column, state, other, value)


def _tie_side(text, tokens, allow_missing):
    if not tokens or not _is_column(tokens[0]):
        _fail(text, "each side of 'when' must start with a column")
    column, rest = tokens[0][1], tokens[1:]
    if allow_missing and rest == [("name", "missing")]:
        return column, None
    if not rest or rest[0] not in (("name", "is"), ("op", "="), ("op", "==")):
        _fail(text, f"expected 'is' after {column!r}")
    value = _value(text, rest[1:])
    if value is None:
        _fail(text, f"expected one value after {column!r} is")
    return column, value


def _value(text, tokens):
    """A constant: a number (maybe negative), a quoted string, True or False; else None."""
    sign = 1.0
    if tokens[:1] == [("op", "-")]:
        sign, tokens = -1.0, tokens[1:]
    if len(tokens) != 1:
        return None
    kind, value = tokens[0]
    if kind == "number":
        return sign * value
    if sign == 1.0 and kind == "string":
        return value
    if sign == 1.0 and kind == "name" and value in ("True", "False"):
        return value == "True"
    return None


def _comparison(text, tokens):
    tokens, unit = _unit(tokens)
    parser = _Parser(text, tokens)
    left = parser.expression()
    comparison = parser.take(*_COMPARISONS)
    if comparison is None:
        parser.fail("expected a comparison (=, <=, >=, <, >) or '->'")
    right = parser.expression()
    parser.finish()
    if unit is not None:
        return _date_difference(text, left, comparison, right, unit)
    if comparison in ("<=", ">=", "<", ">"):
        return OrderRule(left, comparison, right)
    if left[0] == "column" and not columns_of(right):
        return ConstantRule(left[1], _constant(text, right))
    if "literal" in repr(left) + repr(right):
        _fail(text, "text and True/False constants only appear alone, as in \"country = 'US'\"")
    return ArithmeticRule(left, right)


def _unit(tokens):
    """Split a trailing ``(days)`` or ``(months)`` off the tokens."""
    head, tail = tokens[:-3], tokens[-3:]
    if (len(head) > 0 and tail[0] == ("op", "(") and tail[2] == ("op", ")")
            and tail[1][0] == "name" and tail[1][1] in _UNITS
            and (head[-1][0] != "op" or head[-1] == ("op", ")"))):
        return head, tail[1][1]
    return tokens, None


def _date_difference(text, left, comparison, right, unit):
    if (comparison not in ("=", "==") or left[0] != "column" or right[0] != "-"
            or right[1][0] != "column" or right[2][0] != "column"):
        _fail(text, f"a rule in ({unit}) must read 'duration = end - start ({unit})'")
    return DateDifferenceRule(left[1], right[1][1], right[2][1], unit)


def _constant(text, node):
    if node[0] in ("number", "literal"):
        return node[1]
    if node[0] == "neg" and node[1][0] == "number":
        return -node[1][1]
    _fail(text, "a constant column is written 'column = value'")


class _Parser:
    """Recursive descent over tokens: expression := term (+|- term)*, term := factor (*|/
    factor)*, factor := number | column | value | -factor | (expression)."""

    def __init__(self, text, tokens):
        self.text, self.tokens, self.position = text, tokens, 0

    def fail(self, problem):
        _fail(self.text, problem)

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
        token = self.tokens[self.position]
        kind, value = token
        self.position += 1
        if _is_column(token):
            return ("column", value)
        if kind == "number":
            return ("number", value)
        if kind == "string" or (kind == "name" and value in ("True", "False")):
            return ("literal", value if kind == "string" else value == "True")
        self.position -= 1
        self.fail(f"unexpected {value!r}")
