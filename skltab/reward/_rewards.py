"""Rewards of generated rows: one finite float per row, greater is better.

A reward learns from the real rows in ``fit`` and scores generated rows in ``score``.
:func:`make_reward` turns a name or a callable into a reward; :func:`combine_rewards` weighs
several, each ranked to [0, 1] first so that rewards on different scales combine. Reward
tuning turns the scores of a pool of sampled rows into training weights. Each reward calls
the per-row metric of :mod:`skltab.metrics` or the rule discovery of :mod:`skltab.logic` it
is named after.
"""

import copy
import warnings
from itertools import combinations
from numbers import Integral, Real

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._privacy_guard import PrivacyGuard
from ..logic import LogicCompressor, LogicRestorer, Rule, discover_rules, parse_rule
from ..metrics import closest_real_distance, realism_samples, rule_satisfaction_samples
from ..metrics._data import TablePair, _aligned, encode_compared, resolve_metadata
from ..metrics._space import FeatureSpace
from ..metrics._utility import _check_task, _model, _rows
from ..utils._refitted import RefittedModel
from ..utils._validation import check_table

#: Seed of the utility model (its early-stopping split, above 10,000 rows): fixed, so that
#: the reward is a function of the real rows alone.
_UTILITY_SEED = 0


class Reward(BaseEstimator):
    """Base class of the rewards: a per-row score of generated rows, greater is better.

    ``fit(real, metadata)`` learns from the real rows what the reward needs and
    ``score(rows)`` returns one finite float per generated row. A subclass implements
    ``_fit(real, metadata)`` (``real`` with a fresh index, ``metadata`` resolved) and
    ``_score(rows)`` (``rows`` checked to hold the real columns, in real order); the public
    methods validate the parameters, the tables and the scores. A callable
    ``f(rows, real) -> array`` is a reward too (:class:`CallableReward`).

    Attributes
    ----------
    metadata_ : TableMetadata
        Metadata of the real rows' columns.
    """

    #: Key of the reward's scores in :meth:`CombinedReward.score_parts`.
    name = "reward"
    _parameter_constraints = {}

    def fit(self, real, metadata=None):
        """Learn from the real rows what the reward needs.

        Parameters
        ----------
        real : DataFrame
            The real training rows, in the table space of the synthesizer (its target, if it
            was fitted with one, as a column).
        metadata : TableMetadata or dict, default=None
            Metadata of the columns of ``real``; inferred from it when None.

        Returns
        -------
        self : Reward
        """
        self._validate_params()
        check_table(real, name="real")
        self.metadata_ = resolve_metadata(metadata, real)
        self._real_header = real.iloc[:0]
        self._fit(real.reset_index(drop=True), self.metadata_)
        return self

    def score(self, rows):
        """Score each generated row.

        Parameters
        ----------
        rows : DataFrame
            Generated rows, with the columns of the real rows (in any order).

        Returns
        -------
        ndarray of shape (n_rows,)
            One finite float per row, in the order of ``rows``; greater is better.
        """
        check_is_fitted(self)
        rows = _aligned(rows, self._real_header, "rows")
        scores = np.asarray(self._score(rows), dtype=float)
        if scores.shape != (len(rows),) or not np.isfinite(scores).all():
            raise ValueError(f"The reward {self.name!r} must give one finite float per row "
                             f"({len(rows)} rows); got {_describe(scores)}.")
        return scores

    def _fit(self, real, metadata):
        raise NotImplementedError

    def _score(self, rows):
        raise NotImplementedError


class RealismReward(Reward):
    """How real each row looks to a discriminator that did not see it.

    Each call to :meth:`score` refits the discriminator of
    :func:`skltab.metrics.realism_samples` (gradient boosting, real rows against the rows
    scored, ``n_splits`` folds) and gives each row the out-of-fold probability ``p`` that it
    is real. With ``form="two_sided"`` the reward is TabGRAA's ``1 - |p - 0.5|``, in
    [0.5, 1]: rows the discriminator cannot tell from real ones score highest, rows it
    recognizes as generated (``p`` near 0) and rows that look more real than the pool (``p``
    near 1) score lower. With ``form="one_sided"`` the reward is ``p`` itself, in [0, 1]: the
    more real-looking, the better. ``p`` orders rows as the ratio of the real density to the
    pool's does, so weighting rows by it moves the pool towards the real rows, under-covered
    regions included; the two-sided form lowers the weight of rows from regions the pool
    under-covers (where ``p > 0.5``) as well as that of obvious fakes.

    Parameters
    ----------
    n_splits : int, default=3
        Folds of the discriminator, at least 2; the real rows and the scored rows must each
        number at least as many.
    random_state : int, RandomState instance or None, default=0
        Seed of the discriminator's subsample, folds and model.
    form : {"two_sided", "one_sided"}, default="two_sided"
        ``1 - |p - 0.5|`` (TabGRAA) or ``p``.

    Attributes
    ----------
    real_ : DataFrame
        The real rows the discriminator compares with.
    metadata_ : TableMetadata
        Metadata of the real rows' columns.

    Notes
    -----
    Copies of real rows are not singled out: :func:`~skltab.metrics.realism_samples` keeps
    identical rows in one fold, so the model that scores a copy never saw the real row it
    copies. Penalise copies with :class:`PrivacyReward`.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skltab.reward import RealismReward
    >>> rng = np.random.RandomState(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=200)})
    >>> rows = pd.DataFrame({"x": np.r_[rng.normal(size=100), rng.normal(5, 1, 100)]})
    >>> reward = RealismReward().fit(real).score(rows)
    >>> bool(reward[:100].mean() > reward[100:].mean())
    True
    """

    name = "realism"
    _parameter_constraints = {
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "form": [StrOptions({"two_sided", "one_sided"})],
    }

    def __init__(self, n_splits=3, random_state=0, form="two_sided"):
        self.n_splits = n_splits
        self.random_state = random_state
        self.form = form

    def _fit(self, real, metadata):
        self.real_ = real

    def _score(self, rows):
        proba_real = realism_samples(self.real_, rows, metadata=self.metadata_,
                                     n_splits=self.n_splits, random_state=self.random_state)
        if self.form == "one_sided":
            return proba_real
        return 1.0 - np.abs(proba_real - 0.5)


class MarginalReward(Reward):
    """How much each row moves the scored rows' marginals and pair statistics to the real ones.

    Each numeric or datetime column is cut into ``n_bins`` quantile bins of the real values,
    plus a bin for values outside the real range and one for missing values; each
    categorical or boolean column keeps its categories, plus a bin for missing values and
    one for values the real rows never hold. Each pair of columns is binned on the product
    of coarser bins (``n_pair_bins`` per number). A row's reward is the sum, over the
    columns and the pairs, of the real share of the row's bin minus its share among the
    rows scored. Up to a positive factor and a constant common to every row, this is minus
    the derivative of the squared distance between the real and the scored histograms with
    respect to the row's weight: rows in under-represented bins score high, rows in
    over-represented bins low, a row in a bin the real rows never fill (an invented category,
    a number outside the real range, a value missing where no real value is) loses that
    bin's share among the rows scored. Text and ID columns are not scored.

    Parameters
    ----------
    n_bins : int, default=20
        Quantile bins of each numeric column, at least 2 (fewer when values repeat).
    n_pair_bins : int, default=5
        Quantile bins of each numeric column in the pairs, at least 2.

    Attributes
    ----------
    bin_edges_ : dict of str to ndarray
        Inner edges of the bins of each numeric column, from the real values.
    pairs_ : list of tuple of str
        The pairs of columns scored.
    metadata_ : TableMetadata
        Metadata of the real rows' columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.reward import MarginalReward
    >>> real = pd.DataFrame({"color": ["red", "blue"] * 50})
    >>> rows = pd.DataFrame({"color": ["red", "red", "red", "blue"]})
    >>> MarginalReward().fit(real).score(rows).tolist()
    [-0.25, -0.25, -0.25, 0.25]
    """

    name = "marginals"
    _parameter_constraints = {
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "n_pair_bins": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, n_bins=20, n_pair_bins=5):
        self.n_bins = n_bins
        self.n_pair_bins = n_pair_bins

    def _fit(self, real, metadata):
        pair = TablePair(real, real, metadata=metadata)
        columns = pair.numeric_columns + pair.categorical_columns
        if not columns:
            raise ValueError("MarginalReward needs a numeric, datetime, categorical or boolean "
                             "column; the real rows have only text and ID columns.")
        self._encoder = pair.encoder
        encoded = pair.encoded("real")
        self._bins = {}
        for j, name in enumerate(self._encoder.numeric_columns_):
            self._bins[name] = {size: _NumericBins(encoded.numeric[:, j], size)
                                for size in (self.n_bins, self.n_pair_bins)}
        self._categorical = pair.categorical_columns
        self._n_states = {name: pair.n_states(name) for name in self._categorical}
        self._n_states.update({name: bins[self.n_pair_bins].n_states
                               for name, bins in self._bins.items()})
        self.bin_edges_ = {name: bins[self.n_bins].edges for name, bins in self._bins.items()}
        self._columns_scored = [name for name in self._encoder.columns_ if name in columns]
        self.pairs_ = list(combinations(self._columns_scored, 2))
        self._real_shares = {feature: _shares(codes)
                             for feature, codes in self._codes(encoded).items()}

    def _codes(self, encoded):
        """The bin of each row in every column (keyed by name) and pair (keyed by tuple)."""
        fine, coarse = {}, {}
        for j, name in enumerate(self._encoder.numeric_columns_):
            bins = self._bins[name]
            fine[name] = bins[self.n_bins].codes(encoded.numeric[:, j])
            coarse[name] = bins[self.n_pair_bins].codes(encoded.numeric[:, j])
        for j, name in enumerate(self._encoder.discrete_columns_):
            if name in self._categorical:
                fine[name] = coarse[name] = encoded.discrete[:, j]
        pairs = {(a, b): coarse[a] * self._n_states[b] + coarse[b] for a, b in self.pairs_}
        return {**{name: fine[name] for name in self._columns_scored}, **pairs}

    def _score(self, rows):
        codes = self._codes(encode_compared(self._encoder, rows, "rows"))
        reward = np.zeros(len(rows))
        for feature, row_codes in codes.items():
            _, inverse, counts = np.unique(row_codes, return_inverse=True, return_counts=True)
            reward += (_share_of(row_codes, *self._real_shares[feature])
                       - counts[inverse] / len(row_codes))
        return reward


class _NumericBins:
    """Quantile bins of the present real values of a numeric column, then one bin for values
    outside the real range and one for missing values."""

    def __init__(self, values, n_bins):
        present = values[~np.isnan(values)]
        levels = np.linspace(0, 1, n_bins + 1)[1:-1]
        self.edges = np.unique(np.quantile(present, levels))
        self.low, self.high = present.min(), present.max()
        self.n_states = len(self.edges) + 3

    def codes(self, values):
        codes = np.searchsorted(self.edges, values, side="right")
        codes[(values < self.low) | (values > self.high)] = len(self.edges) + 1
        codes[np.isnan(values)] = len(self.edges) + 2
        return codes


def _shares(codes):
    """The distinct codes, sorted, and the share of rows holding each."""
    keys, counts = np.unique(codes, return_counts=True)
    return keys, counts / len(codes)


def _share_of(codes, keys, shares):
    """The share of each code among the rows ``keys`` and ``shares`` describe; 0 if absent."""
    position = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    return np.where(keys[position] == codes, shares[position], 0.0)


class RuleReward(Reward):
    """The share of the table's rules that each row satisfies.

    The rules are checked with :func:`skltab.metrics.rule_satisfaction_samples`: a row that
    breaks one rule of five scores 0.8, a row that keeps them all 1. Without ``rules``, the
    rules are those :func:`skltab.logic.discover_rules` finds in the real rows (formulas,
    dependencies, ties, orders between dates); when it finds none, every row scores 1 and
    ``fit`` warns.

    Parameters
    ----------
    rules : list, LogicCompressor, LogicRestorer or None, default=None
        Rules as text (see :func:`skltab.logic.parse_rule`) or :class:`~skltab.logic.Rule`
        objects, fitted on the real rows (which fixes the mapping of a dependency); objects
        with a ``check(table)`` method or callables ``table -> boolean Series``, used as they
        are; or a :class:`~skltab.logic.LogicCompressor` or
        :class:`~skltab.logic.LogicRestorer`, whose fitted rules are used (a copy is fitted
        on the real rows when it is not fitted, as after ``clone``). None discovers them.

    Attributes
    ----------
    rules_ : list
        The rules checked, fitted; empty when none was found.
    metadata_ : TableMetadata
        Metadata of the real rows' columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.reward import RuleReward
    >>> real = pd.DataFrame({"price": [2.0, 3.0, 1.5] * 10, "quantity": [1, 2, 4] * 10})
    >>> real["total"] = real["price"] * real["quantity"]
    >>> reward = RuleReward().fit(real)
    >>> [rule.describe() for rule in reward.rules_]
    ['total = price * quantity']
    >>> rows = pd.DataFrame({"price": [2.0, 2.0], "quantity": [3, 3], "total": [6.0, 7.0]})
    >>> reward.score(rows).tolist()
    [1.0, 0.0]
    """

    name = "rules"
    _parameter_constraints = {"rules": [list, LogicCompressor, LogicRestorer, None]}

    def __init__(self, rules=None):
        self.rules = rules

    def _fit(self, real, metadata):
        if self.rules is None:
            self.rules_ = [rule.fit(real) for rule in discover_rules(real, metadata=metadata)]
            if not self.rules_:
                warnings.warn("RuleReward found no rule in the real rows; every row scores 1. "
                              "Give rules to check.", UserWarning, stacklevel=3)
        elif isinstance(self.rules, (LogicCompressor, LogicRestorer)):
            self.rules_ = list(_fitted_logic(self.rules, real).rules_)
        elif not self.rules:
            raise ValueError("rules is empty; give at least one rule, or None to discover "
                             "them in the real rows.")
        else:
            self.rules_ = [_fitted_rule(rule, real) for rule in self.rules]

    def _score(self, rows):
        if not self.rules_:
            return np.ones(len(rows))
        return rule_satisfaction_samples(rows, self.rules_)


def _fitted_logic(logic, real):
    """A fitted logic transformer: ``logic`` itself, or a copy fitted on the real rows."""
    try:
        check_is_fitted(logic)
    except NotFittedError:
        return clone(logic).fit(real)
    return logic


def _fitted_rule(rule, real):
    """A rule given as text or Rule, fitted on the real rows; other rules as they are."""
    if isinstance(rule, (str, Rule)):
        return copy.deepcopy(parse_rule(rule)).fit(real)
    return rule


class UtilityReward(Reward):
    """How well each row's target agrees with a model of the real rows.

    A gradient-boosting model (``HistGradientBoostingClassifier`` for a categorical or
    boolean target, ``HistGradientBoostingRegressor`` for a numeric or datetime one, with the
    categorical columns as categorical features and missing values handled natively) learns
    the target from the other numeric and categorical columns of the real rows. A row's
    reward is the probability the model gives its label (0 for a label the real rows never
    hold), or ``-|y - y_hat| / std(y_real)`` for a numeric target: rows whose target follows
    the real relation score high, rows with a label that contradicts their features low.
    Rows whose target is missing get the mean reward of the other rows (the missing rate is
    :class:`MarginalReward`'s business), or 0 when every target is missing.

    Parameters
    ----------
    target : str or None, default=None
        The target column. None takes the last column of the real rows, where the target of
        a synthesizer fitted with ``y`` is; :class:`RewardTunedSynthesizer` gives it the
        synthesizer's target.

    Attributes
    ----------
    target_ : str
        The target column.
    task_ : {"classification", "regression"}
        What the model does, from the target's kind.
    model_ : estimator
        The model fitted on the real rows (a copy loaded by :func:`skltab.load` refits it,
        identically, on first use: a fitted gradient boosting has no safe form).
    scale_ : float
        The standard deviation of the real target (regression; 1 when it is 0).
    metadata_ : TableMetadata
        Metadata of the real rows' columns.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skltab.reward import UtilityReward
    >>> rng = np.random.RandomState(0)
    >>> x = rng.normal(size=300)
    >>> real = pd.DataFrame({"x": x, "label": np.where(x > 0, "high", "low")})
    >>> rows = pd.DataFrame({"x": [2.0, 2.0], "label": ["high", "low"]})
    >>> reward = UtilityReward().fit(real).score(rows)
    >>> bool(reward[0] > 0.9 > 0.1 > reward[1])
    True
    """

    name = "utility"
    _parameter_constraints = {"target": [str, None]}

    def __init__(self, target=None):
        self.target = target

    def _fit(self, real, metadata):
        target = real.columns[-1] if self.target is None else self.target
        if target not in real.columns:
            raise ValueError(f"target {target!r} is not a column of the real rows; the "
                             f"columns are {list(real.columns)}.")
        pair = TablePair(real, real, metadata=metadata)
        self.task_ = _check_task(pair, target, None)
        features = [name for name in pair.numeric_columns + pair.categorical_columns
                    if name != target]
        if not features:
            raise ValueError(f"UtilityReward needs a numeric or categorical column besides "
                             f"the target {target!r} to predict it from; there is none.")
        self._encoder, self._space = pair.encoder, FeatureSpace(pair, features)
        X, y = _rows(pair, self._space, "real", target)
        self._model = RefittedModel(
            _model(self.task_, y, self._space.categorical_mask_, _UTILITY_SEED), X, y)
        self.target_ = target
        if self.task_ == "regression":
            self.scale_ = float(np.std(y)) or 1.0

    @property
    def model_(self):
        return self._model.fitted()

    def _score(self, rows):
        encoded = encode_compared(self._encoder, rows, "rows")
        X = self._space.transform_for_trees(encoded)
        if self.task_ == "classification":
            labels = encoded.discrete[:, self._encoder.discrete_columns_.index(self.target_)]
            present = labels != len(self._encoder.categories_[self.target_])
            agreement = self._label_probability(X, labels)
        else:
            values = encoded.numeric[:, self._encoder.numeric_columns_.index(self.target_)]
            present = ~np.isnan(values)
            agreement = -np.abs(values - self.model_.predict(X)) / self.scale_
        fill = agreement[present].mean() if present.any() else 0.0
        return np.where(present, agreement, fill)

    def _label_probability(self, X, labels):
        """The model's probability of each row's label; 0 for a label it never saw."""
        proba = self.model_.predict_proba(X)
        classes = self.model_.classes_
        column = np.minimum(np.searchsorted(classes, labels), len(classes) - 1)
        known = classes[column] == labels
        return np.where(known, proba[np.arange(len(labels)), column], 0.0)


class PrivacyReward(Reward):
    """A penalty for rows too close to a real row.

    In ``fit``, the threshold is the 5th percentile of the real rows' distances to their
    closest other real row, as :class:`skltab._privacy_guard.PrivacyGuard` computes it (a
    real row is closer than this to the others one time in twenty). In :meth:`score`, each
    row's distance ``d`` to its closest real row (:func:`skltab.metrics.closest_real_distance`:
    numbers scaled by the real range, categories one-hot, every real row compared) gives the
    reward ``-(1 - d / threshold)`` below the threshold and 0 at or beyond it: -1 for an
    exact copy, rising linearly to 0 at the threshold. When the threshold is 0 (5 % of the
    real rows or more repeat another), a copy is as common as among the real rows, and every
    row scores 0.

    Attributes
    ----------
    threshold_ : float
        The distance under which a row is penalised.
    real_ : DataFrame
        The real rows the distances are measured to.
    metadata_ : TableMetadata
        Metadata of the real rows' columns.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skltab.reward import PrivacyReward
    >>> real = pd.DataFrame({"x": np.linspace(0, 1, 101)})
    >>> rows = pd.DataFrame({"x": [0.5, 0.505, 1.2]})
    >>> PrivacyReward().fit(real).score(rows).round(2).tolist()
    [-1.0, -0.5, 0.0]
    """

    name = "privacy"

    def _fit(self, real, metadata):
        guard = PrivacyGuard().fit(real, None, metadata)
        if guard is None:
            raise ValueError("PrivacyReward needs a numeric, datetime, categorical or boolean "
                             "column to measure distances on; the real rows have none.")
        self.threshold_ = guard.threshold_
        self.real_ = real

    def _score(self, rows):
        if self.threshold_ == 0:
            return np.zeros(len(rows))
        distance = closest_real_distance(self.real_, rows, metadata=self.metadata_)
        return np.minimum(distance / self.threshold_ - 1.0, 0.0)


class CallableReward(Reward):
    """A reward from a function ``function(rows, real) -> array``.

    Parameters
    ----------
    function : callable
        Called as ``function(rows, real)`` with the DataFrame of rows to score and that of
        the real rows; returns one finite float per row, greater is better.

    Attributes
    ----------
    real_ : DataFrame
        The real rows, passed to ``function``.
    metadata_ : TableMetadata
        Metadata of the real rows' columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltab.reward import CallableReward
    >>> def near_median(rows, real):
    ...     return -(rows["x"] - real["x"].median()).abs()
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    >>> CallableReward(near_median).fit(real).score(pd.DataFrame({"x": [2.0, 5.0]})).tolist()
    [-0.0, -3.0]
    """

    _parameter_constraints = {"function": [callable]}

    def __init__(self, function):
        self.function = function

    @property
    def name(self):
        """The function's name."""
        return getattr(self.function, "__name__", type(self.function).__name__)

    def _fit(self, real, metadata):
        self.real_ = real

    def _score(self, rows):
        return self.function(rows, self.real_)


class CombinedReward(Reward):
    """A weighted mean of rewards, each ranked to [0, 1] first.

    Each reward's scores of the rows are replaced by their ranks, scaled to [0, 1] (ties get
    their average rank; 0.5 for a single row), so that rewards on any scale combine; the
    combined score is the weighted sum of the ranks over the sum of the weights. Build one
    with :func:`combine_rewards`.

    Parameters
    ----------
    rewards : list of (str, Reward, float) tuples
        The name, the reward and the weight of each part. Names are unique; weights are
        positive and finite.

    Attributes
    ----------
    rewards_ : list of (str, Reward, float) tuples
        The parts, each reward a fitted copy of the given one.
    metadata_ : TableMetadata
        Metadata of the real rows' columns.
    """

    name = "combined"
    _parameter_constraints = {"rewards": [list]}

    def __init__(self, rewards):
        self.rewards = rewards

    def _fit(self, real, metadata):
        _check_parts(self.rewards)
        self.rewards_ = [(name, _fresh(reward).fit(real, metadata), float(weight))
                         for name, reward, weight in self.rewards]

    def score_parts(self, rows):
        """Score the rows with each reward.

        Parameters
        ----------
        rows : DataFrame
            Generated rows, with the columns of the real rows.

        Returns
        -------
        dict of str to ndarray of shape (n_rows,)
            The raw scores of each reward, by name, in the order of :attr:`rewards_`.
        """
        check_is_fitted(self)
        return {name: reward.score(rows) for name, reward, _ in self.rewards_}

    def combine(self, parts):
        """Combine the scores of :meth:`score_parts` into the combined reward.

        ``combine(score_parts(rows))`` is ``score(rows)``; with both at hand, no reward is
        computed twice.

        Parameters
        ----------
        parts : dict of str to array-like of shape (n_rows,)
            The scores of each reward, by name.

        Returns
        -------
        ndarray of shape (n_rows,)
            The weighted mean of the ranks, in [0, 1].
        """
        check_is_fitted(self)
        missing = [name for name, _, _ in self.rewards_ if name not in parts]
        if missing:
            raise ValueError(f"parts lacks the scores of the rewards {missing}.")
        total = sum(weight * _unit_ranks(parts[name]) for name, _, weight in self.rewards_)
        return total / sum(weight for _, _, weight in self.rewards_)

    def _score(self, rows):
        return self.combine(self.score_parts(rows))


def _unit_ranks(scores):
    """Ranks of ``scores`` scaled to [0, 1], ties averaged; 0.5 for a single score."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) < 2:
        return np.full(len(scores), 0.5)
    return (rankdata(scores) - 1) / (len(scores) - 1)


def _fresh(reward):
    """An unfitted copy of ``reward`` (a deep copy of one that is no estimator)."""
    return clone(reward) if hasattr(reward, "get_params") else copy.deepcopy(reward)


#: The rewards :func:`make_reward` knows by name.
REWARDS = {
    "realism": RealismReward,
    "marginals": MarginalReward,
    "rules": RuleReward,
    "utility": UtilityReward,
    "privacy": PrivacyReward,
}


def make_reward(spec):
    """Turn a reward specification into a :class:`Reward`.

    Parameters
    ----------
    spec : Reward, str or callable
        A reward, returned as it is; one of the names ``"realism"``
        (:class:`RealismReward`), ``"marginals"`` (:class:`MarginalReward`), ``"rules"``
        (:class:`RuleReward`), ``"utility"`` (:class:`UtilityReward`) and ``"privacy"``
        (:class:`PrivacyReward`), which gives the reward with its default parameters; or a
        callable ``f(rows, real) -> array``, wrapped in a :class:`CallableReward`.

    Returns
    -------
    Reward

    Raises
    ------
    ValueError
        For an unknown name (the error lists the names).
    TypeError
        For anything else, a reward class included (pass an instance).

    Examples
    --------
    >>> from skltab.reward import make_reward
    >>> make_reward("marginals")
    MarginalReward()
    """
    if isinstance(spec, Reward):
        return spec
    if isinstance(spec, str):
        if spec not in REWARDS:
            raise ValueError(f"Unknown reward {spec!r}; the named rewards are "
                             f"{sorted(REWARDS)}.")
        return REWARDS[spec]()
    if isinstance(spec, type):
        raise TypeError(f"Pass a reward instance, such as {spec.__name__}(), not the class "
                        f"{spec.__name__}.")
    if callable(spec):
        return CallableReward(spec)
    raise TypeError(f"A reward must be a Reward, one of the names {sorted(REWARDS)} or a "
                    f"callable f(rows, real) -> array; got {type(spec).__name__}.")


def combine_rewards(specs):
    """Combine rewards with weights into one :class:`CombinedReward`.

    Parameters
    ----------
    specs : Reward, str, callable, list or dict
        One reward specification (see :func:`make_reward`), weight 1; a list of them, each
        weight 1, or of ``(spec, weight)`` pairs (both may mix); or a dict
        ``{spec: weight}``. Weights are relative: the combination is their weighted mean. A
        :class:`CombinedReward` is returned as it is.

    Returns
    -------
    CombinedReward
        Unfitted. Its parts are named by the names given, or by each reward's ``name``
        (``"realism"``, a function's name), with ``_2``, ``_3``... for repeats.

    Raises
    ------
    ValueError
        If there is no reward, a weight is not a positive finite number (the error names
        the reward), a pair is not ``(spec, weight)`` or a name is unknown.
    TypeError
        If a specification is not a reward, a name or a callable.

    Examples
    --------
    >>> from skltab.reward import combine_rewards
    >>> combined = combine_rewards({"realism": 2, "marginals": 1, "privacy": 1})
    >>> [(name, weight) for name, _, weight in combined.rewards]
    [('realism', 2.0), ('marginals', 1.0), ('privacy', 1.0)]
    """
    if isinstance(specs, CombinedReward):
        return specs
    if isinstance(specs, dict):
        pairs = list(specs.items())
    elif isinstance(specs, list):
        pairs = [item if isinstance(item, tuple) else (item, 1.0) for item in specs]
    else:
        pairs = [(specs, 1.0)]
    parts, taken = [], set()
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"A weighted reward is a (reward, weight) pair; got {pair!r}.")
        spec, weight = pair
        reward = make_reward(spec)
        name = _unique_name(spec if isinstance(spec, str) else reward.name, taken)
        taken.add(name)
        parts.append((name, reward, weight))
    _check_parts(parts)
    return CombinedReward([(name, reward, float(weight)) for name, reward, weight in parts])


def _unique_name(name, taken):
    """``name``, or ``name_2``, ``name_3``... if taken."""
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name}_{count}"
    return candidate


def _check_parts(parts):
    """Raise unless ``parts`` is a non-empty list of (name, Reward, weight) triples with
    unique names and positive finite weights."""
    if not parts:
        raise ValueError("There is no reward to combine; give at least one.")
    names = []
    for part in parts:
        if not (isinstance(part, tuple) and len(part) == 3):
            raise ValueError(f"Each part of a CombinedReward is a (name, reward, weight) "
                             f"tuple; got {part!r}.")
        name, reward, weight = part
        if not isinstance(reward, Reward):
            raise TypeError(f"The reward {name!r} must be a Reward; got "
                            f"{type(reward).__name__}. make_reward builds one.")
        if (isinstance(weight, bool) or not isinstance(weight, Real) or not np.isfinite(weight)
                or weight <= 0):
            raise ValueError(f"The weight of the reward {name!r} must be a positive finite "
                             f"number; got {weight!r}.")
        names.append(name)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"Reward names must be unique; {repeated} repeat.")


def _describe(scores):
    """What a reward returned, for the error message."""
    if scores.ndim != 1:
        return f"an array of shape {scores.shape}"
    return f"{len(scores)} values, {int((~np.isfinite(scores)).sum())} of them not finite"
