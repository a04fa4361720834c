"""Logic kept by construction: rules of tables, found, checked, and restored.

Real tables obey exact rules (zip -> city -> state, total = price x quantity, a ship date after
the order date) that statistical generators break now and then. This sub-package reads rules
from text (:func:`parse_rule`, a small grammar, never ``eval``), finds them in a table with
evidence (:func:`discover_rules`), and applies them: :class:`LogicCompressor` leaves the
columns the rules determine out of the model and rebuilds them after sampling
(Compress-Generate-Restore), :class:`LogicRestorer` makes given rules hold on any table.
"""

from ._base import Rule
from ._compressor import PROPOSAL_ROWS, LogicCompressor
from ._discovery import CHANCE, discover_rules
from ._formulas import ArithmeticRule, DateDifferenceRule
from ._grammar import parse_rule, parse_rules
from ._mappings import ConstantRule, DependencyRule, OneToOneRule
from ._orders import OrderRule
from ._restorer import LogicRestorer
from ._ties import TieRule

__all__ = [
    "CHANCE",
    "PROPOSAL_ROWS",
    "ArithmeticRule",
    "ConstantRule",
    "DateDifferenceRule",
    "DependencyRule",
    "LogicCompressor",
    "LogicRestorer",
    "OneToOneRule",
    "OrderRule",
    "Rule",
    "TieRule",
    "discover_rules",
    "parse_rule",
    "parse_rules",
]
