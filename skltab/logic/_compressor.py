"""LogicCompressor: leave the columns that rules determine out of the model, rebuild them after.

Compress-Generate-Restore: ``transform`` keeps the logical core of a table, a synthesizer
learns and samples it, ``inverse_transform`` rebuilds the determined columns so that every
rule holds on every sampled row.
"""

import copy
import logging
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ..utils._random import draw_seed
from ._discovery import discover_rules
from ._grammar import parse_rule, parse_rules
from ._plan import plan_steps
from ._transformer import BaseLogicTransformer, cast_nullable, fitted_columns

__all__ = ["LogicCompressor"]

logger = logging.getLogger(__name__)

#: Rows of the real table shown to a ``proposer``.
PROPOSAL_ROWS = 20
_REPORT_COLUMNS = ["rule", "kind", "source", "support", "violations", "column", "action"]


class LogicCompressor(BaseLogicTransformer):
    """Find the rules of a table, leave the columns they determine out, rebuild them after.

    ``fit`` collects rules: those given in ``rules``, those a ``proposer`` suggests, and those
    :func:`discover_rules` finds; each is checked on the table. Then each rule that
    determines a column claims it: ``transform`` drops it (``city`` when ``zip -> city``,
    ``total`` when ``total = unit_price * quantity``), or rewrites part of it (a tied state),
    and keeps the logical core; ``inverse_transform`` rebuilds the dropped columns, puts the
    tied states back and corrects broken orders, so that the rules hold on every row. In a
    :class:`~skltab.pipeline.SynthesisPipeline`, any synthesizer then learns the core and the
    pipeline's samples obey every rule; conditions on a dropped column are moved onto the
    columns it is rebuilt from (:meth:`transform_conditions`).

    Parameters
    ----------
    rules : list of str or Rule, default=None
        Rules written by people, as text (see :func:`parse_rule`) or rule objects, merged
        with the discovered ones and preferred over them. Each must hold on the table (within
        ``tolerance``), else ``fit`` raises.
    discover : bool, default=True
        Whether to look for rules with :func:`discover_rules`.
    max_determinant_size : int, default=2
        Most columns on the left of a discovered dependency.
    min_support : int, default=5
        Evidence a discovered or proposed rule needs: rows per determinant value on average,
        rows on each side of a tie, rows testing a formula or an order.
    tolerance : float, default=0.0
        Largest share of rows that may break a rule for it to be used. Above 0, the rebuilt
        columns differ from the real ones on those rows.
    proposer : callable, default=None
        Suggests rules, as a large language model would: called as
        ``proposer(columns, rows)`` with the list of column names and a DataFrame of
        :data:`PROPOSAL_ROWS` real rows, it returns rule texts (a list, or one string with a
        rule per line). Each suggestion is parsed by the grammar (never run as code) and kept
        only if it holds on the table with ``min_support`` rows of evidence; the others are
        reported as rejected.
    unknown : {"error", "nearest", "missing"}, default="nearest"
        What a dependency does on restore with determinant values never seen in ``fit``:
        raise, use the mapping of the nearest seen values, or leave the value missing.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of :meth:`transform_conditions`; the same fitted compressor draws
        the same values for the same conditions.

    Attributes
    ----------
    rules_ : list of Rule
        The rules used, fitted: given, then proposed, then discovered.
    rule_report_ : DataFrame
        One row per rule: ``rule``, ``kind``, ``source`` (given, proposed, discovered),
        ``support`` (rows that test it), ``violations`` (rows of the real table that break
        it), ``column`` (the column it rebuilds or corrects) and ``action`` (``"drop"``,
        ``"rewrite"``, ``"adjust"``, ``"check"`` when it rebuilds nothing, ``"rejected"`` for
        proposals that do not hold).
    metadata_ : TableMetadata
        Metadata of the fitted table; rebuilt columns get its dtypes.
    condition_seed_ : int
        Seed of the draws of :meth:`transform_conditions`.
    input_format_ : InputFormat
        How ``X`` was passed.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``; defined only when ``X`` was a DataFrame.

    See Also
    --------
    LogicRestorer : Apply given rules to any table.
    discover_rules : The rules of a table.

    Examples
    --------
    >>> from skltab import IndependentSynthesizer, make_synthesis_pipeline
    >>> from skltab.datasets import load_demo
    >>> from skltab.logic import LogicCompressor
    >>> real = load_demo()
    >>> compressor = LogicCompressor().fit(real)
    >>> compressor.rule_report_["rule"].iloc[0]
    'total = unit_price * quantity'
    >>> sorted(compressor.rule_report_.query("action == 'drop'")["column"])
    ['city', 'is_member', 'net', 'ship_date', 'state', 'total']
    >>> pipeline = make_synthesis_pipeline(LogicCompressor(),
    ...                                    IndependentSynthesizer(random_state=0)).fit(real)
    >>> synthetic = pipeline.sample(500, random_state=0)
    >>> bool((synthetic["ship_date"] >= synthetic["order_date"]).all())
    True
    """

    _parameter_constraints = {
        "rules": [list, None],
        "discover": ["boolean"],
        "max_determinant_size": [Interval(Integral, 1, None, closed="left")],
        "min_support": [Interval(Integral, 1, None, closed="left")],
        "tolerance": [Interval(Real, 0, 1, closed="left")],
        "proposer": [callable, None],
        "unknown": [StrOptions({"error", "nearest", "missing"})],
        "random_state": ["random_state"],
    }

    def __init__(self, rules=None, *, discover=True, max_determinant_size=2, min_support=5,
                 tolerance=0.0, proposer=None, unknown="nearest", random_state=None):
        self.rules = rules
        self.discover = discover
        self.max_determinant_size = max_determinant_size
        self.min_support = min_support
        self.tolerance = tolerance
        self.proposer = proposer
        self.unknown = unknown
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Collect and check the rules of ``X``, and choose the columns to leave out.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            The real table.
        y : None
            Ignored.

        Returns
        -------
        self : LogicCompressor
        """
        table = self._fit_table(X)
        self._accept(self._given(table) + self._proposed(table) + self._discovered(table))
        self.condition_seed_ = draw_seed(check_random_state(self.random_state))
        return self

    def _accept(self, found):
        """Keep the rules of ``found`` (pairs of a rule and its report record) that are not
        rejected, plan the columns they rebuild, and write ``rule_report_``."""
        accepted, records, rejected = [], [], []
        for rule, record in found:
            if record["action"] == "rejected":
                rejected.append(record)
            elif rule not in accepted:
                accepted.append(rule)
                records.append(record)
        self.rules_ = accepted
        self._steps, self._checked = plan_steps(accepted)
        claims = {step.rule: step for step in self._steps}
        for rule, record in zip(accepted, records):
            step = claims.get(rule)
            record.update(column=None if step is None else step.column,
                          action="check" if step is None else step.action)
        self.rule_report_ = pd.DataFrame(records + rejected, columns=_REPORT_COLUMNS)

    def _given(self, table):
        found = []
        for rule in parse_rules(self.rules or []):
            rule = copy.deepcopy(rule)
            record = _evidence(rule, table, "given")
            if record["violations"] > self.tolerance * len(table):
                raise ValueError(
                    f"The rule {rule.describe()!r} is broken on {record['violations']} of "
                    f"{len(table)} rows of X (tolerance={self.tolerance}); fix the rule or "
                    "the data, or raise tolerance."
                )
            found.append((rule, record))
        return found

    def _proposed(self, table):
        if self.proposer is None:
            return []
        rows = table.sample(min(len(table), PROPOSAL_ROWS), random_state=0)
        proposals = self.proposer(list(table.columns), rows)
        if isinstance(proposals, str):
            proposals = [line for line in proposals.splitlines() if line.strip()]
        found = []
        for text in proposals:
            try:
                rule = copy.deepcopy(parse_rule(text))
                record = _evidence(rule, table, "proposed")
            except (TypeError, ValueError) as exc:
                logger.info("Proposed rule %r rejected: %s", text, exc)
                found.append((None, _record(str(text), None, "proposed", 0, None)))
                continue
            holds = record["violations"] <= self.tolerance * len(table)
            if not holds or record["support"] < self.min_support:
                logger.info("Proposed rule %r rejected: %d violations, support %d.", text,
                            record["violations"], record["support"])
                record["action"] = "rejected"
            found.append((rule, record))
        return found

    def _discovered(self, table):
        if not self.discover:
            return []
        rules = discover_rules(table, max_determinant_size=self.max_determinant_size,
                               min_support=self.min_support, tolerance=self.tolerance,
                               metadata=self.metadata_)
        return [(rule, _evidence(rule, table, "discovered")) for rule in rules]

    def _dropped(self):
        return [step.column for step in self._steps if step.action == "drop"]

    def transform(self, X):
        """Leave out the columns the rules rebuild, and take tied states out of the others.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            A table with the fitted columns.

        Returns
        -------
        DataFrame or ndarray
            The logical core: the columns of :meth:`get_feature_names_out`.
        """
        table = self._transform_table(X)
        core = table.copy()
        for step in self._steps:
            if step.action == "rewrite":
                values = step.rule.compress(table, step.column)
                core[step.column] = cast_nullable(values, self.metadata_[step.column])
        return self._output(core.drop(columns=self._dropped()))

    def inverse_transform(self, X):
        """Rebuild the columns left out, put tied states back and correct broken orders.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features_out)
            A table with the columns of :meth:`get_feature_names_out`, such as a sample of a
            synthesizer fitted on the output of :meth:`transform`.

        Returns
        -------
        DataFrame or ndarray
            Every fitted column, in order, with its dtype; every rule holds on every row
            (orders that no column can be corrected for are only checked, and logged).
        """
        columns = fitted_columns(self)
        kept = [name for name in columns if name not in self._dropped()]
        table = self._input_table(X, kept)
        restored = self._restore(table, self._steps, self._checked)
        return self._output(restored[columns])

    def transform_conditions(self, conditions, n_samples=None):
        """Move fixed values of dropped columns onto the columns they are rebuilt from.

        ``{"city": "Boston"}`` becomes a zip code of Boston on each row, drawn with the
        frequencies of Boston's zip codes in the fitted table; ``{"state": "MA"}`` a city of
        Massachusetts, then a zip code of that city. Values of columns rebuilt by formulas
        cannot be moved (condition on their inputs).

        Parameters
        ----------
        conditions : dict or DataFrame
            Fixed values in the space of the fitted table: ``{column: value}`` for every row,
            or one row per sampled row.
        n_samples : int, default=None
            Number of rows of a dict condition. Needed when a value must be drawn per row
            (several zip codes give Boston); without it, a dict comes back as a dict.

        Returns
        -------
        dict or DataFrame
            Fixed values in the space of :meth:`transform`'s output.
        """
        check_is_fitted(self)
        if conditions is None:
            return None
        columns = fitted_columns(self)
        as_dict = isinstance(conditions, dict) and n_samples is None
        if isinstance(conditions, dict):
            rows = 1 if n_samples is None else n_samples
            frame = pd.DataFrame({name: [value] * rows for name, value in conditions.items()})
        elif isinstance(conditions, pd.DataFrame):
            frame = conditions.reset_index(drop=True)
        else:
            raise TypeError(f"conditions must be a dict or a DataFrame; got "
                            f"{type(conditions).__name__}.")
        unknown = [name for name in frame.columns if name not in columns]
        if unknown:
            raise ValueError(f"conditions name unknown columns {unknown}; the fitted columns "
                             f"are {columns}.")
        random_state = None if as_dict else np.random.RandomState(self.condition_seed_)
        for step in reversed(self._steps):
            if step.column in frame.columns and step.action != "adjust":
                frame = step.rule.translate_conditions(frame, step.column, random_state)
        return frame.iloc[0].to_dict() if as_dict else frame

    def check(self, X):
        """Count the rows of ``X`` that break each rule of :attr:`rules_`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            A table with the fitted columns, such as a synthetic table.

        Returns
        -------
        DataFrame
            One row per rule: ``rule``, ``kind``, ``violations`` (rows) and
            ``violation_rate``.
        """
        table = self._input_table(X, fitted_columns(self))
        return self._check_report(table, self.rules_)

    def get_feature_names_out(self, input_features=None):
        """Column names of :meth:`transform`'s output: the fitted columns not left out.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; the fitted ones when None.

        Returns
        -------
        ndarray of str
        """
        columns = fitted_columns(self)
        names = _check_feature_names_in(self, input_features)
        dropped = set(self._dropped())
        keep = [name not in dropped for name in columns]
        return np.asarray(names, dtype=object)[keep]


def _evidence(rule, table, source):
    """Fit ``rule`` on ``table`` and record its support and violations."""
    rule.fit(table)
    broken = int((~rule.check(table)).sum())
    return _record(rule.describe(), rule.kind, source, rule.support(table), broken)


def _record(text, kind, source, support, violations):
    return {"rule": text, "kind": kind, "source": source, "support": support,
            "violations": violations, "column": None,
            "action": "rejected" if kind is None else None}
