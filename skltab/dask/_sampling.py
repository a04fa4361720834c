"""Distributed sampling: a Dask DataFrame whose partitions are seed blocks.

A synthesizer draws one seed per block of ``_seed_block_size`` rows, in order, from its
random state, and a block's rows depend on its seed alone. The seeds of every block are cheap
to draw here, on the client; each partition (whole blocks) is then sampled on a worker from
the fitted synthesizer and its seeds, and the partitions, in order, are the rows that
``sample`` writes on one machine.
"""

import uuid

import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..base import BaseSynthesizer
from ..pipeline import SynthesisPipeline
from ..reward import RewardTunedSynthesizer
from ..utils._conditions import check_conditions
from ..utils._optional import import_optional
from ..utils._output import sample_to_frame
from ..utils._random import block_spans, draw_seed
from ..utils._validation import check_n_samples

#: Rows per partition unless asked otherwise, as the CLI's ``--chunk-size``.
DEFAULT_CHUNK_SIZE = 100_000


def sample(synthesizer, n_samples, *, chunk_size=DEFAULT_CHUNK_SIZE, conditions=None,
           random_state=None, return_report=False):
    """Sample rows as a Dask DataFrame whose partitions are computed on the workers.

    The rows are exactly those of ``synthesizer.sample(n_samples, conditions=conditions,
    random_state=random_state)`` on one machine, however many workers compute them.

    Parameters
    ----------
    synthesizer : fitted synthesizer, SynthesisPipeline or RewardTunedSynthesizer
        A fitted skltab synthesizer, or a pipeline ending in one (its transformers'
        ``inverse_transform`` run on the workers, partition by partition).
    n_samples : int
        Number of rows.
    chunk_size : int, default=100_000
        Rows per partition, rounded down to whole seed blocks of the synthesizer, and at
        least one block (1,024 rows for most synthesizers, 4,096 for the diffusion, 65,536
        for FastGen). A worker holds about one partition per thread in memory.
    conditions : dict or DataFrame, default=None
        As in ``sample``. A dict is checked here and expanded on the workers; a DataFrame
        (of ``n_samples`` rows) is checked and, for a pipeline, translated here, then sent
        to the workers partition by partition.
    random_state : int, RandomState instance or None, default=None
        As in ``sample``: when None, the seeds are drawn from the fitted synthesizer's
        generator, which advances exactly as a call of ``sample`` would advance it.
    return_report : bool, default=False
        Also return what the synthesizer's privacy guard did on the workers, partition by
        partition.

    Returns
    -------
    rows : dask.dataframe.DataFrame
        The rows, numbered ``0`` to ``n_samples - 1`` (known divisions), with the columns and
        dtypes of ``sample``'s DataFrame. A synthesizer fitted on an ndarray gives columns
        ``x0``, ``x1``, ...; one fitted with ``y`` gives one DataFrame whose last column is
        the target (named ``y.name``, or ``"y"``). Nothing is sampled until it is computed
        or written (``to_parquet``), on the Dask scheduler in use (a ``distributed.Client``
        when one is open).
    report : dask.dataframe.DataFrame or None
        Only with ``return_report=True``: one row per partition, with the counts of the
        privacy guard's report (``n_samples``, ``n_too_close``, ``n_redraws``,
        ``n_remaining``; their sums are those of ``privacy_guard_report_`` after ``sample``
        in one process) and its ``threshold``; None when the synthesizer has no privacy
        guard on. Compute it with the rows, ``dask.compute(rows.to_parquet(path,
        compute=False), report)``, so that each partition is sampled once.

    Notes
    -----
    The DataFrame is lazy: it samples from the synthesizer as the synthesizer is when the
    DataFrame is computed, so do not refit it before. A privacy guard draws rows again on the
    workers exactly as in one process; the workers warn of no rows left too close, so check
    the report's ``n_remaining``.

    Examples
    --------
    >>> from skltab import IndependentSynthesizer
    >>> from skltab.datasets import load_demo
    >>> import skltab.dask
    >>> synthesizer = IndependentSynthesizer(random_state=0).fit(load_demo())
    >>> rows = skltab.dask.sample(synthesizer, 10_000, chunk_size=4096, random_state=0)
    >>> rows.npartitions
    3
    >>> rows.compute().equals(synthesizer.sample(10_000, random_state=0))
    True
    """
    dask = import_optional("dask", purpose="skltab.dask.sample")
    dd = import_optional("dask.dataframe", purpose="skltab.dask.sample")
    n_samples = check_n_samples(n_samples)
    chunk_size = check_n_samples(chunk_size, name="chunk_size")
    base, pipelines = _sampling_layers(synthesizer)
    conditions = _checked_conditions(base, pipelines, conditions, n_samples)
    rng = base.random_state_ if random_state is None else check_random_state(random_state)
    blocks = [(start, size, draw_seed(rng))
              for start, size in block_spans(n_samples, base._seed_block_size)]
    per_partition = max(1, chunk_size // base._seed_block_size)
    partitions = [blocks[i:i + per_partition] for i in range(0, len(blocks), per_partition)]
    # One graph key holds the synthesizer, so that a worker receives it once.
    shared = dask.delayed(synthesizer, name=f"skltab-synthesizer-{uuid.uuid4().hex}",
                          traverse=False)
    sample_partition = dask.delayed(_sample_partition, pure=True, nout=2)
    parts, reports = zip(*[
        sample_partition(shared, part, _partition_conditions(conditions, part), number)
        for number, part in enumerate(partitions)])
    meta, report_meta = _sample_partition(synthesizer, [(0, 1, 0)], _partition_conditions(
        conditions, [(0, 1, 0)]), 0)
    divisions = (*[part[0][0] for part in partitions], n_samples - 1)
    # Dask would turn text columns into pyarrow strings; the rows keep sample's dtypes.
    with dask.config.set({"dataframe.convert-string": False}):
        rows = dd.from_delayed(list(parts), meta=meta.iloc[:0], divisions=divisions)
    if not return_report:
        return rows
    if report_meta is None:
        return rows, None
    report = dd.from_delayed(list(reports), meta=report_meta.iloc[:0],
                             divisions=(*range(len(partitions)), len(partitions) - 1))
    return rows, report


def _sampling_layers(estimator):
    """The synthesizer that samples the seed blocks, and the pipelines around it (outermost
    first), whose ``inverse_transform`` map its rows back."""
    check_is_fitted(estimator)
    pipelines = []
    while not isinstance(estimator, BaseSynthesizer):
        if isinstance(estimator, SynthesisPipeline):
            pipelines.append(estimator)
            estimator = estimator._final_estimator
        elif isinstance(estimator, RewardTunedSynthesizer):
            estimator = estimator.synthesizer_
        else:
            raise TypeError(
                "skltab.dask.sample samples from a skltab synthesizer, a SynthesisPipeline "
                "ending in one or a RewardTunedSynthesizer; got "
                f"{type(estimator).__name__}."
            )
        check_is_fitted(estimator)
    return estimator, pipelines


def _checked_conditions(base, pipelines, conditions, n_samples):
    """Conditions for ``base``, as ``sample`` would pass them: translated by the pipelines,
    then checked; a dict the pipelines leave a dict is checked on one row, and stays one."""
    for pipeline in pipelines:
        conditions = pipeline._conditions_for_final(conditions, n_samples)
    if isinstance(conditions, dict):
        check_conditions(conditions, 1, base.metadata_)
        return conditions
    return check_conditions(conditions, n_samples, base.metadata_)


def _partition_conditions(conditions, blocks):
    """The conditions of the rows of ``blocks``: a dict as it is, a DataFrame's rows."""
    if not isinstance(conditions, pd.DataFrame):
        return conditions
    start, stop = blocks[0][0], blocks[-1][0] + blocks[-1][1]
    return conditions.iloc[start:stop]


def _sample_partition(estimator, blocks, conditions, number):
    """Sample the seed blocks ``(start, size, seed)`` of partition ``number`` (on a worker);
    return the rows and the privacy guard's report as a row (None without a guard)."""
    base, pipelines = _sampling_layers(estimator)
    first_row = blocks[0][0]
    n_rows = sum(size for _, size, _ in blocks)
    if isinstance(conditions, dict):
        conditions = check_conditions(conditions, n_rows, base.metadata_)
    guard = base._active_privacy_guard()
    report = None if guard is None else guard.new_report()
    table = pd.concat(list(base._seeded_blocks(blocks, conditions, report, first_row)))
    synthetic = base._to_output(table)
    for pipeline in reversed(pipelines):
        synthetic = pipeline._to_original_space(synthetic)
    frame = sample_to_frame(synthetic)
    frame.index = pd.RangeIndex(first_row, first_row + n_rows)
    return frame, None if report is None else pd.DataFrame(report, index=[number])
