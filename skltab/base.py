"""The synthesizer contract: ``fit(X, y=None)`` learns a table, ``sample(n)`` writes new rows."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted

from .metadata import TableMetadata, from_sdv_dict, infer_metadata
from ._nn._weights import row_weights
from .metadata._ids import generate_ids
from .utils._conditions import check_conditions
from .utils._persistence import pack_state, unpack_state
from .utils._progress import progress_bar
from .utils._random import SEED_BLOCK_SIZE, block_spans, draw_seed
from .utils._validation import check_n_samples, check_table

__all__ = [
    "BaseSynthesizer",
    "IncrementalMixin",
    "InputFormat",
    "SynthesizerMixin",
    "is_synthesizer",
]


def is_synthesizer(estimator):
    """Return True if ``estimator`` (or a pipeline ending in one) is a synthesizer.

    Parameters
    ----------
    estimator : object
        An estimator instance.

    Returns
    -------
    bool
    """
    try:
        return get_tags(estimator).estimator_type == "synthesizer"
    except (AttributeError, TypeError, ValueError):
        return False


class SynthesizerMixin:
    """Mixin class for all synthesizers in skltab.

    It sets the ``estimator_type`` tag to ``"synthesizer"``, declares that inputs may hold
    strings, categories and missing values, and adds :meth:`fit_sample`.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "synthesizer"
        tags.target_tags.required = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def fit_sample(self, X, y=None, *, n_samples=None):
        """Fit to ``X`` (and ``y``), then sample as many rows as ``X`` has, or ``n_samples``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            The real table.
        y : array-like of shape (n_rows,), default=None
            An optional target, kept as the table's last column.
        n_samples : int, default=None
            Number of rows to write; ``len(X)`` when None.

        Returns
        -------
        synthetic : DataFrame, ndarray or tuple (X, y)
            The same container as the input.
        """
        self.fit(X, y)
        return self.sample(len(X) if n_samples is None else n_samples)


@dataclass(frozen=True)
class InputFormat:
    """How the table reached ``fit``, so that ``sample`` returns the same container.

    Attributes
    ----------
    container : {"dataframe", "ndarray"}
        Type of ``X``.
    columns : tuple of str
        Columns of ``X`` (``x0``, ``x1``, ... for arrays).
    dtype : numpy dtype or None
        dtype of an ndarray ``X``.
    target : str or None
        Name of the target column in the table, None when fitted without ``y``.
    target_container : {"series", "ndarray"} or None
        Type of ``y``.
    target_name : object
        ``y.name`` of a Series target (possibly None).
    target_dtype : numpy dtype or None
        dtype of an ndarray ``y``.
    """

    container: str
    columns: tuple
    dtype: object = None
    target: str = None
    target_container: str = None
    target_name: object = None
    target_dtype: object = None


class BaseSynthesizer(SynthesizerMixin, BaseEstimator):
    """Base class for synthesizers.

    Subclasses implement ``_fit(table)`` and ``_sample(n_samples, conditions, random_state)``
    and list their parameters in ``_parameter_constraints``. The public :meth:`fit` and
    :meth:`sample` validate input, infer metadata, split generation into seeded blocks,
    regenerate ID columns, enforce conditions and restore the exact input types.

    ``_fit`` receives the table (a DataFrame, ``y`` as its last column, ID columns left out).
    ``_sample`` receives the number of rows of one block, the block's conditions (a DataFrame
    of fixed values in table space, or None) and a ``numpy.random.RandomState`` of its own;
    it returns a DataFrame with the modelled columns, in any numeric or Python value types.
    """

    _parameter_constraints = {
        "metadata": [TableMetadata, dict, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    #: Rows generated from one seed. A class constant, never a parameter, so that the output
    #: of a synthesizer never depends on how it is batched; fast samplers raise it.
    _seed_block_size = SEED_BLOCK_SIZE
    #: Whether ``fit`` accepts a table with no rows (learning from ``metadata`` alone).
    _allows_empty_table = False

    def fit(self, X, y=None):
        """Learn the table ``X`` (with ``y`` as its last column, if given).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            The real table. Columns may hold numbers, strings, categories, booleans,
            datetimes and missing values.
        y : array-like of shape (n_rows,), default=None
            An optional target. When given, :meth:`sample` returns a tuple ``(X, y)``.

        Returns
        -------
        self : object
            The fitted synthesizer.
        """
        table, *_ = self._prepare_fit(X, y)
        self._fit(table)
        return self

    def _prepare_fit(self, X, y, sample_weight=None):
        """Validate the parameters and the input, learn the metadata, the input format and
        ``random_state_``; return the modelled columns of the rows to learn, their weights
        (:func:`~skltab._nn._weights.row_weights`: rows of weight 0 are left out before
        anything is learned) and their positions in ``X``."""
        self._validate_params()
        table, self.input_format_ = _table_from_input(X, y, self._allows_empty_table)
        kept, weights = row_weights(sample_weight, len(table))
        if sample_weight is not None:
            table = table.iloc[kept].reset_index(drop=True)
        self.n_features_in_ = len(self.input_format_.columns)
        if self.input_format_.container == "dataframe":
            self.feature_names_in_ = np.asarray(self.input_format_.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.metadata_ = self._resolve_metadata(table)
        self.random_state_ = check_random_state(self.random_state)
        self.id_seed_ = draw_seed(self.random_state_)
        modelled = self.modelled_columns_
        if not modelled:
            raise ValueError("Every column of X is an ID column; there is nothing to model.")
        return table[modelled], weights, kept

    @property
    def modelled_columns_(self):
        """Columns the model learns: all but ID columns, in table order."""
        return [column.name for column in self.metadata_ if column.kind != "id"]

    def _resolve_metadata(self, table):
        if self.metadata is None and table.empty:
            raise ValueError(
                f"X is empty: found 0 sample(s) (shape={table.shape}), so its metadata cannot "
                "be inferred; pass the metadata parameter to learn from metadata alone."
            )
        if self.metadata is None:
            return infer_metadata(table)
        if isinstance(self.metadata, TableMetadata):
            metadata = TableMetadata.from_dict(self.metadata.to_dict())
        elif "format_version" in self.metadata:
            metadata = TableMetadata.from_dict(self.metadata)
        else:
            metadata = from_sdv_dict(self.metadata, table)
        metadata.check_columns(table)
        return metadata.select(list(table.columns))

    def sample(self, n_samples=1, *, conditions=None, random_state=None):
        """Write new rows.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.
        conditions : dict or DataFrame, default=None
            Fixed values: ``{column: value}`` for every row, or a DataFrame of ``n_samples``
            rows with one column per conditioned column. Missing cells of a DataFrame are
            fixed to missing.
        random_state : int, RandomState instance or None, default=None
            Seed of this call. When None, draws from the generator fitted in ``fit``, so
            successive calls differ and a refit reproduces the same sequence.

        Returns
        -------
        synthetic : DataFrame, ndarray or tuple (X, y)
            What ``fit`` received: a DataFrame with the same columns and dtypes, an ndarray,
            or ``(X, y)`` when fitted with ``y``.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        conditions = check_conditions(conditions, n_samples, self.metadata_)
        rng = self.random_state_ if random_state is None else check_random_state(random_state)
        blocks = list(self._generate(n_samples, conditions, rng))
        return self._to_output(pd.concat(blocks, ignore_index=True))

    def iter_samples(self, n_samples, *, chunk_size, conditions=None, random_state=None):
        """Write ``n_samples`` rows as successive chunks, for output larger than memory.

        The chunks, concatenated, equal ``sample(n_samples, random_state=...)`` for the same
        random state.

        Parameters
        ----------
        n_samples : int
            Total number of rows.
        chunk_size : int
            Rows per chunk (the last one may be smaller).
        conditions : dict or DataFrame, default=None
            As in :meth:`sample`.
        random_state : int, RandomState instance or None, default=None
            As in :meth:`sample`.

        Returns
        -------
        chunks : generator
            Yields what :meth:`sample` returns, ``chunk_size`` rows at a time.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        chunk_size = check_n_samples(chunk_size, name="chunk_size")
        conditions = check_conditions(conditions, n_samples, self.metadata_)
        rng = self.random_state_ if random_state is None else check_random_state(random_state)
        return self._iter_chunks(n_samples, chunk_size, conditions, rng)

    def _iter_chunks(self, n_samples, chunk_size, conditions, rng):
        pending = []
        n_pending = 0
        for block in self._generate(n_samples, conditions, rng):
            pending.append(block)
            n_pending += len(block)
            while n_pending >= chunk_size:
                table = pd.concat(pending)
                yield self._to_output(table.iloc[:chunk_size])
                pending, n_pending = [table.iloc[chunk_size:]], n_pending - chunk_size
        if n_pending:
            yield self._to_output(pd.concat(pending))

    def _generate(self, n_samples, conditions, rng):
        """Yield finished tables, one per seeded block of rows, each seed drawn from ``rng``
        just before its block is sampled.

        A synthesizer with a ``privacy_guard`` parameter that is on and a fitted
        ``privacy_guard_`` draws each block through the guard (rows too close to a training
        row are drawn again, from the block's generator) and counts what it did in
        ``privacy_guard_report_``.
        """
        guard = self._active_privacy_guard()
        report = None
        if guard is not None:
            report = self.privacy_guard_report_ = guard.new_report()
        seeded = ((start, size, draw_seed(rng))
                  for start, size in block_spans(n_samples, self._seed_block_size))
        with progress_bar(n_samples, self.verbose, f"{type(self).__name__}.sample") as bar:
            for block in self._seeded_blocks(seeded, conditions, report):
                yield block
                bar.update(len(block))
        if guard is not None:
            guard.warn(report, type(self).__name__)

    def _active_privacy_guard(self):
        if not getattr(self, "privacy_guard", False):
            return None
        return getattr(self, "privacy_guard_", None)

    def _seeded_blocks(self, blocks, conditions, report, first_row=0):
        """Yield the finished table of each block ``(start, size, seed)``: ``size`` rows
        drawn from ``RandomState(seed)`` and numbered from ``start``, whatever came before.

        This is what makes a block computable anywhere (:mod:`skltab.dask` samples blocks on
        other machines). ``conditions`` (a DataFrame or None) holds the fixed values of the
        rows from ``first_row`` on; ``report`` is the privacy guard's report to update (None
        without a guard).
        """
        guard = self._active_privacy_guard()
        for start, size, seed in blocks:
            block_rng = np.random.RandomState(seed)
            block_conditions = None
            if conditions is not None:
                offset = start - first_row
                block_conditions = conditions.iloc[offset:offset + size].reset_index(drop=True)
            if guard is None:
                block = self._sample(size, conditions=block_conditions, random_state=block_rng)
            else:
                block = guard.sample(self._sample, size, block_conditions, block_rng, report)
            yield self._finish_block(block, size, block_conditions, start)

    def _finish_block(self, block, size, conditions, start):
        missing = [c for c in self.modelled_columns_ if c not in block.columns]
        if missing or len(block) != size:
            raise RuntimeError(
                f"{type(self).__name__}._sample returned {len(block)} rows for {size} asked, "
                f"missing columns {missing}."
            )
        block = block.reset_index(drop=True)
        if conditions is not None:
            for name in conditions.columns:
                block[name] = conditions[name].to_numpy()
        for name in self.metadata_.columns_of_kind("id"):
            block[name] = generate_ids(self.metadata_[name], start, len(block), self.id_seed_)
        table = self.metadata_.cast(block[self.metadata_.columns])
        table.index = pd.RangeIndex(start, start + len(table))
        return table

    def _to_output(self, table):
        form = self.input_format_
        X = table[list(form.columns)]
        if form.container == "ndarray":
            X = X.to_numpy(dtype=form.dtype)
        if form.target is None:
            return X
        y = table[form.target]
        if form.target_container == "ndarray":
            return X, y.to_numpy(dtype=form.target_dtype)
        return X, y.rename(form.target_name)

    @available_if(lambda self: hasattr(self, "score_samples"))
    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over the rows of ``X``: their mean log-likelihood
        per row under the model (or its bound), greater is better.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns.
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was fitted with one.

        Returns
        -------
        score : float
            Mean log-likelihood per row.
        """
        return float(np.mean(self.score_samples(X, y)))

    def _check_scoring_table(self, X, y=None, *, target_optional=False,
                             allow_missing_columns=False):
        """Return the table to score: ``X`` (and ``y``) checked against the fitted columns.

        With ``target_optional``, ``X`` alone may be scored by a synthesizer fitted with
        ``y``: the table then lacks the target column, which the caller sums out. With
        ``allow_missing_columns``, a column may be missing in every row (an imputer fills
        it).
        """
        check_is_fitted(self)
        table, form = _table_from_input(X, y, allow_missing_columns=allow_missing_columns)
        target = self.input_format_.target
        summed_out = target_optional and target is not None and form.target is None
        if (form.target is None) != (target is None) and not summed_out:
            fitted = "with" if target is not None else "without"
            raise ValueError(f"This synthesizer was fitted {fitted} y; score it the same way.")
        if len(form.columns) != self.n_features_in_:
            raise ValueError(
                f"X has {len(form.columns)} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        columns = [name for name in self.metadata_.columns if not summed_out or name != target]
        self.metadata_.select(columns).check_columns(table)
        return table[columns]

    def __getstate__(self):
        return pack_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(unpack_state(state))

    def _fit(self, table):
        raise NotImplementedError

    def _sample(self, n_samples, conditions, random_state):
        raise NotImplementedError


class IncrementalMixin:
    """Mixin of synthesizers that continue training: :meth:`fit` and :meth:`partial_fit`
    with row weights.

    A weight means the same in both, and in every synthesizer: over the whole call, a row of
    weight 2 counts like the row twice, a row of weight 0 like no row (it is left out before
    anything is learned), and multiplying every weight by the same factor changes nothing.
    Weights never count against their batch alone.

    Subclasses of :class:`BaseSynthesizer` put this mixin first and implement
    ``_fit(table, weights)`` (the whole training of :meth:`fit`), ``_start(table)`` (what
    :meth:`partial_fit` does on an unfitted synthesizer before training: transforms and an
    untrained model) and ``_partial_fit(table, weights)`` (one more epoch), where ``table``
    holds the modelled columns of the rows with a positive weight and ``weights`` their
    weights, scaled to a mean of 1. ``_fit`` returns the positions in ``table`` of the rows
    it held out from training (for early stopping), or None; :meth:`fit` stores their
    positions in ``X`` as ``validation_rows_``.
    """

    def fit(self, X, y=None, sample_weight=None):
        """Learn the table ``X`` (with ``y`` as its last column, if given), with optional
        row weights.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            The real table. Columns may hold numbers, strings, categories, booleans,
            datetimes and missing values.
        y : array-like of shape (n_rows,), default=None
            An optional target. When given, :meth:`sample` returns a tuple ``(X, y)``.
        sample_weight : array-like of shape (n_rows,), default=None
            Non-negative weight of each row (see the class's notes on weights); every row
            weighs 1 when None.

        Returns
        -------
        self : object
            The fitted synthesizer.
        """
        table, weights, kept = self._prepare_fit(X, y, sample_weight)
        held_out = self._fit(table, weights)
        self.validation_rows_ = None if held_out is None else kept[held_out]
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train one more epoch on the rows of ``X``, from the current state, with optional
        row weights.

        On an unfitted synthesizer, this first learns what :meth:`fit` learns before
        training (metadata, transforms, an untrained model) from ``X``. Each call is one pass
        over the rows at the constant ``learning_rate``, continuing the optimizer's state;
        the history grows by one epoch.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns (and no category unseen by the first fit).
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was (or is to be) fitted with one.
        sample_weight : array-like of shape (n_rows,), default=None
            Non-negative weight of each row (see the class's notes on weights); every row
            weighs 1 when None.

        Returns
        -------
        self : object
            The synthesizer.
        """
        try:
            check_is_fitted(self)
        except NotFittedError:
            table, weights, _ = self._prepare_fit(X, y, sample_weight)
            self._start(table)
            self.validation_rows_ = None
        else:
            self._validate_params()
            table = self._check_scoring_table(X, y)[self.modelled_columns_]
            kept, weights = row_weights(sample_weight, len(table))
            table = table.iloc[kept].reset_index(drop=True)
        self._partial_fit(table, weights)
        return self


def _table_from_output(output):
    """The table (target as the last column) of what a synthesizer's ``sample`` returned."""
    X, y = output if isinstance(output, tuple) else (output, None)
    return _table_from_input(X, y)[0]


def _table_from_input(X, y, allow_empty=False, allow_missing_columns=False):
    """Return the table that ``fit`` learns (``y`` as the last column) and its InputFormat."""
    checks = {"allow_empty": allow_empty, "allow_missing_columns": allow_missing_columns}
    if isinstance(X, pd.DataFrame):
        check_table(X, **checks)
        table = X
        form = {"container": "dataframe", "columns": tuple(X.columns)}
    else:
        array = _as_2d_array(X, "X")
        columns = tuple(f"x{i}" for i in range(array.shape[1]))
        table = pd.DataFrame(array, columns=list(columns))
        check_table(table, **checks)
        form = {"container": "ndarray", "columns": columns, "dtype": array.dtype}
    if y is None:
        return table, InputFormat(**form)
    target, target_form = _target_column(y, len(table), table.columns)
    table = table.assign(**{target.name: target.to_numpy()})
    check_table(table, **checks)
    return table, InputFormat(**form, target=target.name, **target_form)


def _as_2d_array(X, name):
    if hasattr(X, "sparse") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name} is sparse; skltab needs dense input (call .toarray()).")
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"Expected 2D array for {name}, got {array.ndim}D array instead. Reshape your data "
            "with array.reshape(-1, 1) for a single feature."
        )
    if np.iscomplexobj(array):
        raise ValueError(f"{name}: Complex data not supported.")
    return array


def _target_column(y, n_rows, x_columns):
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"y must be one column; got a DataFrame with {y.shape[1]} columns.")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        name = y.name if isinstance(y.name, str) else "y"
        form = {"target_container": "series", "target_name": y.name}
        values = y.reset_index(drop=True)
    else:
        array = np.asarray(y)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array.ravel()
        if array.ndim != 1:
            raise ValueError(f"y must be 1-dimensional; got shape {array.shape}.")
        name = "y"
        form = {"target_container": "ndarray", "target_dtype": array.dtype}
        values = pd.Series(array)
    if len(values) != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {len(values)}; they must match.")
    if name in x_columns:
        raise ValueError(f"The target name {name!r} is also a column of X; rename one of them.")
    return values.rename(name), form
