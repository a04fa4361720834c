"""LogicRestorer: make given rules hold on any table, and report where they break."""

import copy

from sklearn.base import _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in

from ._grammar import parse_rules
from ._plan import plan_steps
from ._transformer import BaseLogicTransformer, fitted_columns

__all__ = ["LogicRestorer"]


class LogicRestorer(BaseLogicTransformer):
    """Apply rules to a table, made by skltab or by any other tool, so that they hold.

    ``fit`` learns from a real table what the rules need (the mapping of ``zip -> city``, the
    decimals of ``total``); ``transform`` rewrites, on any table with the same columns, each
    column a rule determines (``city`` from ``zip``, ``total`` from ``unit_price`` and
    ``quantity``) and corrects values that break an order (``ship_date >= order_date``).
    :meth:`check` reports the violations of each rule. As the last step before a synthesizer
    in a :class:`~skltab.pipeline.SynthesisPipeline`, it leaves real rows as they are (the
    rules hold there) and repairs the sampled rows in ``inverse_transform``; to also leave
    the determined columns out of the model, use :class:`LogicCompressor`.

    Parameters
    ----------
    rules : list of str or Rule
        Rules as text (see :func:`parse_rule`) or rule objects.
    unknown : {"error", "nearest", "missing"}, default="nearest"
        What a dependency does with determinant values it never saw in ``fit``: raise,
        use the mapping of the nearest seen values (numbers by distance, other values by the
        number of columns that match), or leave the determined value missing.

    Attributes
    ----------
    rules_ : list of Rule
        The rules, fitted.
    metadata_ : TableMetadata
        Metadata of the fitted table; rewritten columns get its dtypes back.
    input_format_ : InputFormat
        How ``X`` was passed.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``; defined only when ``X`` was a DataFrame.

    See Also
    --------
    LogicCompressor : Find rules, leave the determined columns out of the model, rebuild them.

    Examples
    --------
    >>> from skltab.datasets import load_demo
    >>> from skltab.logic import LogicRestorer
    >>> real = load_demo(n_samples=300)
    >>> restorer = LogicRestorer(["zip -> city", "total = unit_price * quantity"]).fit(real)
    >>> broken = real.assign(city=real["city"].iloc[::-1].to_numpy(), total=0.0)
    >>> restorer.check(broken)["violations"].gt(0).tolist()
    [True, True]
    >>> restorer.check(restorer.transform(broken))["violations"].tolist()
    [0, 0]
    """

    _parameter_constraints = {
        "rules": [list, None],
        "unknown": [StrOptions({"error", "nearest", "missing"})],
    }

    def __init__(self, rules=None, *, unknown="nearest"):
        self.rules = rules
        self.unknown = unknown

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn from the real table ``X`` what the rules need.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            The real table.
        y : None
            Ignored.

        Returns
        -------
        self : LogicRestorer
        """
        if not self.rules:
            raise ValueError("LogicRestorer needs rules, such as rules=['zip -> city']; to "
                             "find them in a table, use LogicCompressor or discover_rules.")
        table = self._fit_table(X)
        self.rules_ = [copy.deepcopy(rule).fit(table) for rule in parse_rules(self.rules)]
        self._steps, self._checked = plan_steps(self.rules_)
        return self

    def transform(self, X):
        """Rewrite the columns the rules determine and correct broken orders.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            A table with the fitted columns.

        Returns
        -------
        DataFrame or ndarray
            ``X`` with the rules holding, in the fitted container and dtypes.
        """
        table = self._transform_table(X)
        return self._output(self._restore(table, self._steps, self._checked))

    def inverse_transform(self, X):
        """Same as :meth:`transform`: in a pipeline, this repairs the sampled rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            A table with the fitted columns.

        Returns
        -------
        DataFrame or ndarray
        """
        return self.transform(X)

    def transform_conditions(self, conditions, n_samples=None):
        """Return ``conditions`` unchanged: the restorer keeps every column.

        Parameters
        ----------
        conditions : dict or DataFrame
            Fixed values of a sample.
        n_samples : int, default=None
            Ignored.

        Returns
        -------
        dict or DataFrame
        """
        return conditions

    def check(self, X):
        """Count the rows of ``X`` that break each rule.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            A table with the fitted columns.

        Returns
        -------
        DataFrame
            One row per rule: ``rule``, ``kind``, ``violations`` (rows) and
            ``violation_rate``.
        """
        table = self._input_table(X, fitted_columns(self))
        return self._check_report(table, self.rules_)

    def get_feature_names_out(self, input_features=None):
        """Column names of the output: the input's.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; the fitted ones when None.

        Returns
        -------
        ndarray of str
        """
        fitted_columns(self)
        return _check_feature_names_in(self, input_features)
