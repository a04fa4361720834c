"""Scorers: metrics as ``scorer(estimator, X, y)`` callables for model selection.

scikit-learn calls a scorer with a fitted estimator and the held-out rows of a fold. A skltab
scorer samples from the estimator with a fixed seed, compares the sample with the held-out
rows (never the training rows) and returns a number where greater is better.
"""

import numpy as np
import pandas as pd

from ._data import TablePair
from ._registry import METRICS, compute_metrics

#: Metric parameters a named metric accepts in ``metric_params``.
_METRIC_PARAMS = ("metadata", "target", "task", "rules")


def _scorer_name(name):
    return name if METRICS[name].greater_is_better else f"neg_{name}"


#: Scorer name to metric name, for the metrics that need only the two tables (and a target).
_SCORERS = {_scorer_name(name): name for name, info in METRICS.items()
            if set(info.needs) <= {"target"}}


def get_scorer_names():
    """Names of the scorers that :func:`get_scorer` builds.

    Losses carry the prefix ``neg_`` and are negated, so that greater is always better.
    The ``tstr_*`` scorers need a target: a synthesizer fitted with ``y``, or
    ``make_synthesis_scorer(..., metric_params={"target": ...})``.

    Returns
    -------
    list of str
        The names, sorted.
    """
    return sorted(_SCORERS)


def get_scorer(name):
    """Build the scorer of a metric, by name.

    Parameters
    ----------
    name : str
        One of :func:`get_scorer_names`, such as ``"neg_wasserstein"``,
        ``"neg_detection_auc"`` or ``"tstr_macro_f1"``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, greater is better; it samples
        ``len(X)`` rows with ``random_state=0``.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skltab import IndependentSynthesizer
    >>> from skltab.metrics import get_scorer
    >>> search = GridSearchCV(IndependentSynthesizer(), {"n_quantiles": [5, 50]},
    ...                       scoring=get_scorer("neg_wasserstein"))
    """
    if name not in _SCORERS:
        raise ValueError(f"{name!r} is not a skltab scorer; valid names are "
                         f"{get_scorer_names()}.")
    metric = _SCORERS[name]
    return make_synthesis_scorer(metric, greater_is_better=METRICS[metric].greater_is_better)


def make_synthesis_scorer(metric, *, greater_is_better, n_samples=None, random_state=0,
                          metric_params=None):
    """Make a scorer for model selection from a metric.

    Parameters
    ----------
    metric : str or callable
        A metric name of :func:`evaluate`'s summary (such as ``"wasserstein"``,
        ``"detection_auc"``, ``"tstr_r2"``, ``"rule_violation_rate"``), or a callable
        ``metric(real, synthetic, **metric_params) -> float`` on two DataFrames.
    greater_is_better : bool
        Whether a greater metric is better; if not, the scorer returns its negative.
    n_samples : int, default=None
        Rows to sample; as many as the held-out rows when None.
    random_state : int, default=0
        Seed of the sample (passed to ``sample``) and of the metric.
    metric_params : dict, default=None
        Parameters of the metric: for a named metric ``metadata``, ``target``, ``task`` and
        ``rules``; for a callable any of its keyword parameters.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, for ``GridSearchCV(scoring=...)``,
        ``cross_validate`` and the like.

    Examples
    --------
    >>> from skltab.metrics import make_synthesis_scorer
    >>> scorer = make_synthesis_scorer("rule_violation_rate", greater_is_better=False,
    ...                                metric_params={"rules": ["total = price * quantity"]})
    """
    if isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(f"Unknown metric {metric!r}; known metrics are {list(METRICS)}.")
        _check_metric_params(metric_params)
    elif not callable(metric):
        raise TypeError(f"metric must be a metric name or a callable; got "
                        f"{type(metric).__name__}.")
    return _MetricScorer(metric, 1 if greater_is_better else -1, n_samples, random_state,
                         metric_params)


class _MetricScorer:
    """A scorer of one metric; see :func:`make_synthesis_scorer`."""

    def __init__(self, metric, sign, n_samples, random_state, metric_params):
        self._metric = metric
        self._sign = sign
        self._n_samples = n_samples
        self._random_state = random_state
        self._metric_params = dict(metric_params or {})

    def __call__(self, estimator, X, y=None):
        real, synthetic, target = sample_for_scoring(estimator, X, y, self._n_samples,
                                                     self._random_state)
        if callable(self._metric):
            return self._sign * float(self._metric(real, synthetic, **self._metric_params))
        values = _named_metrics([self._metric], estimator, real, synthetic, target,
                                self._random_state, self._metric_params)
        return self._sign * values[self._metric]

    def __repr__(self):
        metric = self._metric if isinstance(self._metric, str) else self._metric.__name__
        return (f"make_synthesis_scorer({metric}, greater_is_better={self._sign > 0}, "
                f"n_samples={self._n_samples}, random_state={self._random_state})")


class SynthesisScorer:
    """A scorer that returns several metrics, computed on one sample.

    Use it as ``GridSearchCV(scoring=SynthesisScorer([...]), refit="neg_wasserstein")``.

    Parameters
    ----------
    metrics : list of str
        Scorer names from :func:`get_scorer_names`, such as ``"neg_wasserstein"`` or
        ``"tstr_macro_f1"``; they are the keys of the returned dict.
    n_samples : int, default=None
        Rows to sample; as many as the held-out rows when None.
    random_state : int, default=0
        Seed of the sample (passed to ``sample``) and of the metrics.
    metric_params : dict, default=None
        ``metadata``, ``target``, ``task`` or ``rules`` for the metrics.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skltab import IndependentSynthesizer
    >>> from skltab.metrics import SynthesisScorer
    >>> scorer = SynthesisScorer(["neg_wasserstein", "neg_jensen_shannon"])
    >>> search = GridSearchCV(IndependentSynthesizer(), {"n_quantiles": [5, 50]},
    ...                       scoring=scorer, refit="neg_wasserstein")
    """

    def __init__(self, metrics, *, n_samples=None, random_state=0, metric_params=None):
        self.metrics = metrics
        self.n_samples = n_samples
        self.random_state = random_state
        self.metric_params = metric_params

    def __call__(self, estimator, X, y=None):
        """Score ``estimator`` against the held-out rows ``X`` (and ``y``).

        Parameters
        ----------
        estimator : synthesizer or SynthesisPipeline
            A fitted estimator with ``sample``.
        X : DataFrame or array-like
            Held-out rows.
        y : array-like, default=None
            Held-out target, when the estimator was fitted with one.

        Returns
        -------
        dict of str to float
            One score per name of ``metrics``, greater is better.
        """
        if isinstance(self.metrics, str) or not len(self.metrics):
            raise ValueError("metrics must be a non-empty list of scorer names.")
        unknown = [name for name in self.metrics if name not in _SCORERS]
        if unknown:
            raise ValueError(f"Unknown scorers {unknown}; valid names are "
                             f"{get_scorer_names()}.")
        _check_metric_params(self.metric_params)
        real, synthetic, target = sample_for_scoring(estimator, X, y, self.n_samples,
                                                     self.random_state)
        names = [_SCORERS[name] for name in self.metrics]
        values = _named_metrics(names, estimator, real, synthetic, target, self.random_state,
                                dict(self.metric_params or {}))
        return {scorer: values[name] * (1 if METRICS[name].greater_is_better else -1)
                for scorer, name in zip(self.metrics, names)}

    def __repr__(self):
        return (f"SynthesisScorer({self.metrics!r}, n_samples={self.n_samples}, "
                f"random_state={self.random_state})")


def _check_metric_params(metric_params):
    unknown = sorted(set(metric_params or {}) - set(_METRIC_PARAMS))
    if unknown:
        raise ValueError(f"metric_params has unknown keys {unknown}; a named metric accepts "
                         f"{list(_METRIC_PARAMS)}.")


def _named_metrics(names, estimator, real, synthetic, target, random_state, params):
    """Values of the metrics ``names`` comparing ``synthetic`` with the held-out ``real``."""
    metadata = params.get("metadata")
    if metadata is None:
        metadata = _fitted_metadata(estimator, real.columns)
    pair = TablePair(real, synthetic, metadata=metadata, random_state=random_state)
    target = params.get("target", target)
    if target is None and any("target" in METRICS[name].needs for name in names):
        raise ValueError(f"The metrics {names} need a target column: fit the estimator with y, "
                         "or pass metric_params={'target': ...}.")
    values, _ = compute_metrics(pair, names, target=target, task=params.get("task"),
                                rules=params.get("rules"))
    inapplicable = [name for name in names if name not in values]
    if inapplicable:
        raise ValueError(f"The metrics {inapplicable} do not apply to the target {target!r} "
                         "(classification scores need a categorical target, regression "
                         "scores a numeric one; pass metric_params={'task': ...} to choose).")
    return values


def sample_for_scoring(estimator, X, y, n_samples, random_state):
    """Sample from a fitted estimator and shape the sample and the held-out rows alike.

    Parameters
    ----------
    estimator : synthesizer or SynthesisPipeline
        Fitted, with ``sample(n_samples, random_state=...)``.
    X : DataFrame or array-like
        Held-out rows.
    y : array-like or None
        Held-out target.
    n_samples : int or None
        Rows to sample; ``len(X)`` when None.
    random_state : int
        Seed passed to ``sample``.

    Returns
    -------
    real, synthetic : DataFrame
        The held-out rows and the sample, the target (if any) as their last column.
    target : str or None
        Name of the target column.
    """
    sample = estimator.sample(len(X) if n_samples is None else n_samples,
                              random_state=random_state)
    synthetic_X, synthetic_y = sample if isinstance(sample, tuple) else (sample, None)
    if (y is None) != (synthetic_y is None):
        fitted = "with" if synthetic_y is not None else "without"
        raise ValueError(f"The estimator was fitted {fitted} y; score it the same way.")
    target = None if y is None else _target_name(estimator, y)
    return _table(X, y, target), _table(synthetic_X, synthetic_y, target), target


def _final_step(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _target_name(estimator, y):
    form = getattr(_final_step(estimator), "input_format_", None)
    if getattr(form, "target", None) is not None:
        return form.target
    return y.name if isinstance(getattr(y, "name", None), str) else "y"


def _table(X, y, target):
    if isinstance(X, pd.DataFrame):
        table = X.reset_index(drop=True)
    else:
        array = np.asarray(X)
        table = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if y is None:
        return table
    values = y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else np.asarray(y)
    return table.assign(**{target: values.reshape(len(table))})


def _fitted_metadata(estimator, columns):
    """The estimator's fitted metadata when it describes exactly ``columns``, else None."""
    metadata = getattr(_final_step(estimator), "metadata_", None)
    if metadata is not None and list(metadata.columns) == list(columns):
        return metadata
    return None
