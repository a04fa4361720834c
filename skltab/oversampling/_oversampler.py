"""SyntheticOversampler: any synthesizer as an imbalanced-learn over-sampler."""

from dataclasses import dataclass, field, fields
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._tags import InputTags, Tags

from .._privacy_guard import REPORT_COUNTS, PrivacyGuard, add_counts
from ..utils._random import draw_seed
from ._containers import append_labels, append_rows, read_features, read_target
from ._strategy import rows_to_add

__all__ = ["SyntheticOversampler"]

#: The named targets of ``sampling_strategy``: imbalanced-learn's, for over-sampling, and
#: ``"geometric"``.
STRATEGY_NAMES = {"auto", "minority", "not minority", "not majority", "all", "geometric"}


@dataclass(slots=True)
class SamplerTags:
    """imbalanced-learn's sampler tags: ``sample_indices``, whether the sampler keeps the
    indices of the rows it selected (an over-sampler that writes new rows does not)."""

    sample_indices: bool = False


@dataclass(slots=True)
class SamplerInputTags(InputTags):
    """scikit-learn's input tags and imbalanced-learn's ``dataframe`` tag."""

    dataframe: bool = True


@dataclass(slots=True)
class SamplerEstimatorTags(Tags):
    """scikit-learn's tags and imbalanced-learn's ``sampler_tags``, which mark a sampler."""

    sampler_tags: SamplerTags = field(default_factory=SamplerTags)


class SyntheticOversampler(OneToOneFeatureMixin, BaseEstimator):
    """Over-sample classes with rows written by a synthesizer.

    An over-sampler with imbalanced-learn's contract: :meth:`fit_resample` returns the real
    rows followed by synthetic rows of the classes that ``sampling_strategy`` targets, in the
    containers and dtypes of ``X`` and ``y``. In an ``imblearn.pipeline.Pipeline`` it resamples
    while the pipeline fits and passes rows through untouched when it predicts, so
    cross-validation and ``GridSearchCV`` score on real rows only. Unlike SMOTE, which
    interpolates between neighbours, the synthesizer learns the class's rows as a table:
    categories, integers, dates and missing values come out as the real rows hold them, and
    a :class:`~skltab.pipeline.SynthesisPipeline` with a
    :class:`~skltab.logic.LogicCompressor` keeps the table's rules.

    Read more in the :ref:`User Guide <oversampling>`.

    Parameters
    ----------
    synthesizer : synthesizer, default=None
        The synthesizer that learns the rows (any object with ``fit`` and ``sample``, such as
        a :class:`~skltab.pipeline.SynthesisPipeline`); cloned in :meth:`fit_resample`, never
        fitted itself. None means ``FastGenSynthesizer()``.
    sampling_strategy : float, str, dict or callable, default="geometric"
        Rows after resampling, as imbalanced-learn defines it for over-samplers, and one
        more name:

        - ``"geometric"``: every class but the majority grows to the geometric mean of its
          count and the majority's (half-way to balance on a log scale: a class of 2 % of a
          binary target reaches about 12 %, one of 11 % about 26 %). It is the default
          because it measures better than balancing (see Notes);
        - ``"auto"`` or ``"not majority"`` (imbalanced-learn's default): every class but the
          majority grows to the majority's count; ``"minority"``: the smallest class alone;
          ``"not minority"``: every class but the smallest; ``"all"``: every class;
        - a float ``r`` in (0, 1] (binary targets): the minority grows to ``r`` times the
          majority's count;
        - a dict ``{class: rows after resampling}``, at least the class's count;
        - a callable ``y -> dict``, read as the dict.
    model_per_class : bool, default=True
        Fit one synthesizer on the rows of each class that gets new rows, and sample it
        unconditionally (``synthesizers_``); or fit one synthesizer on every row with the
        class as an extra categorical column and sample each class by conditioning on that
        column (``synthesizer_``). One model per class measures better in the benchmarks (a
        model of one class spends its capacity on that class) and works with every
        synthesizer and pipeline; the conditioned model learns from every row, which helps
        a class of a few rows only when the synthesizer shares what the classes have in
        common.
    privacy_guard : bool, default=True
        Whether to draw again the synthetic rows closer to a real row the synthesizer
        learned than 95 % of those real rows are to their closest other one (up to five
        times; rows still too close are kept and counted in ``privacy_guard_report_``), so
        that no real row of a class comes back as a synthetic row, whatever the synthesizer.
        Distances are those of :func:`skltab.metrics.privacy_scores`; free text and ID
        columns are not compared.
    random_state : int, RandomState instance or None, default=None
        Seeds every ``random_state`` parameter of the cloned synthesizers, and their
        sampling; an int makes :meth:`fit_resample` reproducible.

    Attributes
    ----------
    sampling_strategy_ : OrderedDict
        ``{class: number of synthetic rows}`` of the targeted classes, sorted by class.
    synthesizers_ : dict
        With ``model_per_class=True``: ``{class: fitted synthesizer}`` of the classes that
        got at least one row.
    synthesizer_ : synthesizer or None
        With ``model_per_class=False``: the synthesizer fitted on every row with the class
        column ``class_column_`` (None when no row was asked for).
    privacy_guard_report_ : dict
        With ``privacy_guard=True``, what the guard did, summed over the models:
        ``n_samples`` (rows drawn), ``n_too_close`` (rows too close at their first draw),
        ``n_redraws`` (rows drawn again) and ``n_remaining`` (still too close, kept).
    class_column_ : str
        With ``model_per_class=False``: the name of the class column, a categorical column
        of the class labels; ``synthesizer_.sample(n, conditions={class_column_: label})``
        writes rows of one class.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``; defined only when ``X`` was a DataFrame with string column
        names.

    See Also
    --------
    imblearn.over_sampling.SMOTENC : Interpolation between neighbours, for mixed tables.
    imblearn.over_sampling.RandomOverSampler : Copies of real rows.

    Notes
    -----
    Synthetic rows follow the real ones, class by class in sorted order. ``fit`` only
    validates and computes ``sampling_strategy_``, as in imbalanced-learn; use
    :meth:`fit_resample`.

    How many rows: balancing the classes (``"auto"``) moves a classifier's decisions towards
    the rare class, which costs precision. With very rare classes that cost dominates the F1
    of ``predict``: on a table of 2 % positives, balancing lowered the positive class's F1
    below no resampling for every over-sampler, imbalanced-learn's included, where
    ``"geometric"`` raised it (the benchmarks in the documentation).

    Privacy: a synthesizer fitted on a few hundred rows of a class can write rows very close
    to them, or copies. The guard (``privacy_guard``) learns, for each model, the rows it
    learned (the class's rows, or every row with the class column) and their distances to
    each other; the threshold is 0, and the guard draws nothing again, when 5 % of those
    rows or more have an exact duplicate among them (a copy is then as likely as among real
    rows). It keeps the training rows in memory while :meth:`fit_resample` runs, not after.
    Measure the result with :func:`skltab.metrics.privacy_scores` against held-out rows of
    the class (the benchmarks do). A class of a handful of rows cannot be learned: its
    synthetic rows repeat its values.

    Examples
    --------
    >>> from collections import Counter
    >>> from skltab import SyntheticOversampler
    >>> from skltab.datasets import load_demo
    >>> X = load_demo(n_samples=300, random_state=0).drop(columns="order_id")
    >>> y = X.pop("is_member")
    >>> Counter(y)
    Counter({False: 202, True: 98})
    >>> X_res, y_res = SyntheticOversampler(random_state=0).fit_resample(X, y)
    >>> Counter(y_res)
    Counter({False: 202, True: 141})
    >>> balancer = SyntheticOversampler(sampling_strategy="auto", random_state=0)
    >>> Counter(balancer.fit_resample(X, y)[1])
    Counter({False: 202, True: 202})
    """

    _parameter_constraints = {
        "synthesizer": [HasMethods(["fit", "sample"]), None],
        "sampling_strategy": [Interval(Real, 0, 1, closed="right"),
                              StrOptions(STRATEGY_NAMES), dict, callable],
        "model_per_class": ["boolean"],
        "privacy_guard": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, synthesizer=None, *, sampling_strategy="geometric", model_per_class=True,
                 privacy_guard=True, random_state=None):
        self.synthesizer = synthesizer
        self.sampling_strategy = sampling_strategy
        self.model_per_class = model_per_class
        self.privacy_guard = privacy_guard
        self.random_state = random_state

    def fit(self, X, y):
        """Check the input and compute ``sampling_strategy_``; use :meth:`fit_resample`.

        Parameters
        ----------
        X : DataFrame, array-like or list of rows of shape (n_rows, n_features)
            The real rows.
        y : array-like of shape (n_rows,)
            The class of each row (or a label indicator matrix).

        Returns
        -------
        self : object
            The over-sampler, with ``sampling_strategy_``.
        """
        self._read(X, y)
        return self

    def fit_resample(self, X, y):
        """Learn each targeted class and return the real rows followed by synthetic ones.

        Parameters
        ----------
        X : DataFrame, array-like or list of rows of shape (n_rows, n_features)
            The real rows: numbers, categories, strings, booleans, dates and missing
            values.
        y : array-like of shape (n_rows,)
            The class of each row: an array, a list, a Series, a one-column DataFrame, or a
            label indicator matrix (one column per class).

        Returns
        -------
        X_resampled : DataFrame, ndarray or list of shape (n_rows + n_new, n_features)
            The rows of ``X`` followed by the synthetic rows, in ``X``'s container and
            dtypes.
        y_resampled : array-like of shape (n_rows + n_new,)
            Their classes, in ``y``'s container and dtype.
        """
        features, target = self._read(X, y)
        random_state = check_random_state(self.random_state)
        if self.privacy_guard:
            self.privacy_guard_report_ = dict.fromkeys(REPORT_COUNTS, 0)
        if self.model_per_class:
            synthetic = self._sample_per_class(features.table, target.labels, random_state)
        else:
            synthetic = self._sample_conditioned(features.table, target.labels, random_state)
        return append_rows(features, synthetic), append_labels(target, self._new_labels())

    def _read(self, X, y):
        """Validate the parameters and the input; learn ``sampling_strategy_`` and the
        input's features (and forget the models of an earlier fit)."""
        self._validate_params()
        for name in ("synthesizers_", "synthesizer_", "class_column_", "privacy_guard_report_"):
            self.__dict__.pop(name, None)
        features = read_features(X)
        target = read_target(y, len(features.table))
        self.n_features_in_ = features.table.shape[1]
        if features.container == "dataframe" and all(isinstance(name, str)
                                                     for name in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.sampling_strategy_ = rows_to_add(self.sampling_strategy, target.labels)
        return features, target

    def _new_labels(self):
        """The class of each synthetic row, in the order they are written."""
        return np.repeat(np.asarray(list(self.sampling_strategy_), dtype=object),
                         list(self.sampling_strategy_.values()))

    def _new_synthesizer(self, random_state):
        """A clone of ``synthesizer`` (or the default), every ``random_state`` parameter
        seeded from ``random_state``."""
        if self.synthesizer is None:
            from ..fastgen import FastGenSynthesizer

            synthesizer = FastGenSynthesizer()
        else:
            synthesizer = clone(self.synthesizer)
        seeded = sorted(name for name in synthesizer.get_params(deep=True)
                        if name == "random_state" or name.endswith("__random_state"))
        return synthesizer.set_params(**{name: draw_seed(random_state) for name in seeded})

    def _sample_per_class(self, table, labels, random_state):
        """Fit one synthesizer per targeted class on its rows; sample each."""
        self.synthesizers_ = {}
        blocks = [table.iloc[:0]]
        for label, n_rows in self.sampling_strategy_.items():
            if not n_rows:
                continue
            rows = table[labels == label].reset_index(drop=True)
            synthesizer = self._new_synthesizer(random_state).fit(rows)
            self.synthesizers_[label] = synthesizer
            blocks.append(self._draw(synthesizer, rows, n_rows, None, draw_seed(random_state)))
        return pd.concat(blocks, ignore_index=True)

    def _sample_conditioned(self, table, labels, random_state):
        """Fit one synthesizer on every row with the class column; sample every targeted
        class at once, conditioned on its class."""
        self.class_column_ = _free_name("class", table.columns)
        classes = np.unique(labels)
        n_new = sum(self.sampling_strategy_.values())
        self.synthesizer_ = None
        if not n_new:
            return table.iloc[:0]
        rows = table.assign(**{self.class_column_: pd.Categorical(labels, categories=classes)})
        synthesizer = self._new_synthesizer(random_state).fit(rows)
        self.synthesizer_ = synthesizer
        wanted = pd.Categorical(self._new_labels(), categories=classes)
        conditions = pd.DataFrame({self.class_column_: wanted})
        return self._draw(synthesizer, rows, n_new, conditions, draw_seed(random_state))

    def _draw(self, synthesizer, rows, n_rows, conditions, seed):
        """``n_rows`` rows of the synthesizer fitted on ``rows``, through the privacy guard
        of ``rows`` when ``privacy_guard`` is on."""
        def draw(n_samples, conditions=None, random_state=None):
            given = {} if conditions is None else {"conditions": conditions}
            return _as_table(synthesizer.sample(n_samples, random_state=random_state, **given),
                             rows.columns)

        guard = None
        if self.privacy_guard:
            from ..metadata import infer_metadata

            guard = PrivacyGuard().fit(rows, None, infer_metadata(rows))
        if guard is None:
            return draw(n_rows, conditions, seed)
        report = guard.new_report()
        synthetic = guard.sample(draw, n_rows, conditions, np.random.RandomState(seed), report)
        guard.warn(report, type(self).__name__)
        add_counts(self.privacy_guard_report_, report)
        return synthetic

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags = SamplerEstimatorTags(**{f.name: getattr(tags, f.name) for f in fields(tags)})
        tags.estimator_type = "sampler"
        tags.target_tags.required = True
        tags.input_tags = SamplerInputTags(**{f.name: getattr(tags.input_tags, f.name)
                                              for f in fields(tags.input_tags)})
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _as_table(synthetic, columns):
    """A synthesizer's output (a DataFrame, or an array of ``columns``) as a DataFrame."""
    if not isinstance(synthetic, pd.DataFrame):
        synthetic = pd.DataFrame(np.asarray(synthetic), columns=list(columns))
    return synthetic.reset_index(drop=True)


def _free_name(name, taken):
    """``name``, with underscores added until no column of ``taken`` has it."""
    while name in taken:
        name += "_"
    return name
