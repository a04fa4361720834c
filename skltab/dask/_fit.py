"""Fit a synthesizer on a table larger than memory: a Dask DataFrame or a Parquet dataset."""

import contextlib
import logging
from numbers import Integral

from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ..base import IncrementalMixin
from ..utils._random import draw_seed
from ._metadata import infer_metadata as _infer_metadata
from ._partitions import RowSample, as_dask_frame, map_reduce, row_keys

__all__ = ["fit", "infer_metadata"]

logger = logging.getLogger(__name__)


@validate_params({"data": "no_validation"}, prefer_skip_nested_validation=True)
def infer_metadata(data):
    """Infer the metadata of a table larger than memory, one partition at a time.

    Parameters
    ----------
    data : dask.dataframe.DataFrame or str or path-like
        The table, or the path of a Parquet dataset.

    Returns
    -------
    TableMetadata
        What :func:`skltab.metadata.infer_metadata` returns on the whole table, exactly
        for every column with at most 100,000 distinct values; past that, a column's number
        of distinct values, which tells IDs and free text apart, is estimated (see the user
        guide).
    """
    return _infer_metadata(as_dask_frame(data))


@validate_params(
    {
        "estimator": "no_validation",
        "data": "no_validation",
        "sample_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def fit(estimator, data, *, sample_size=100_000, random_state=None):
    """Fit a synthesizer (or a synthesis pipeline) on a table larger than memory.

    The table is read one partition at a time, so memory is bounded by the partition size
    (and ``sample_size`` rows), never by the table. The metadata and FastGen's statistics
    are computed by map-reduce over the partitions; an incremental synthesizer (the
    diffusion) trains by streaming partitions through ``partial_fit``; the pieces that need
    rows together (the rules of a :class:`~skltab.logic.LogicCompressor`, the transforms of
    the diffusion) learn from a uniform sample of ``sample_size`` rows. The fitted
    estimator samples, saves and pickles like one fitted in memory.

    Parameters
    ----------
    estimator : estimator
        A :class:`~skltab.fastgen.FastGenSynthesizer` (statistical backend), a
        :class:`~skltab.diffusion.MaskedDiffusionSynthesizer`, or a
        :class:`~skltab.pipeline.SynthesisPipeline` of transformers ending in one of them.
        Fitted in place.
    data : dask.dataframe.DataFrame or str or path-like
        The real table, or the path of a Parquet dataset (read with
        ``dask.dataframe.read_parquet``; its row groups or files are the partitions).
    sample_size : int, default=100_000
        Rows of the uniform sample (without replacement) that the pieces needing rows
        together learn from.
    random_state : int, RandomState instance or None, default=None
        Seeds the row sample and the diffusion's validation rows. None uses the
        synthesizer's own ``random_state``.

    Returns
    -------
    estimator : estimator
        The fitted estimator.

    Raises
    ------
    TypeError
        If the estimator cannot be fitted from partitions (the message names it), or
        ``data`` is not a Dask DataFrame or a path.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import skltab.dask
    >>> from skltab.datasets import load_demo
    >>> from skltab.fastgen import FastGenSynthesizer
    >>> table = dd.from_pandas(load_demo(), npartitions=4)
    >>> synthesizer = skltab.dask.fit(FastGenSynthesizer(random_state=0), table)
    >>> synthesizer.sample(3).shape
    (3, 20)
    """
    frame = as_dask_frame(data)
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    _check_supported(estimator, final)
    if random_state is None:
        random_state = final.random_state
    seed = draw_seed(check_random_state(random_state))
    sample = map_reduce(frame, _Sampler(seed, sample_size), RowSample.merge)
    if hasattr(estimator, "steps"):
        frame, sample = _fit_transformers(estimator, frame, sample)
    _fit_synthesizer(final, frame, sample, seed)
    return estimator


def _check_supported(estimator, final):
    from ..diffusion import MaskedDiffusionSynthesizer
    from ..fastgen import FastGenSynthesizer

    name = type(final).__name__
    if isinstance(final, FastGenSynthesizer):
        if final.backend != "statistical":
            raise TypeError(f"{name}(backend={final.backend!r}) cannot be fitted from "
                            "partitions; use backend='statistical'.")
        return
    if isinstance(final, MaskedDiffusionSynthesizer):
        return
    what = name if final is estimator else f"A pipeline ending in {name}"
    raise TypeError(f"{what} cannot be fitted from a Dask DataFrame or Parquet dataset: only "
                    "FastGenSynthesizer (statistical backend) and "
                    "MaskedDiffusionSynthesizer are, alone or at the end of a "
                    "SynthesisPipeline. Fit it on a pandas DataFrame (a sample of the table).")


class _Sampler:
    """The row sample of one partition (a picklable callable)."""

    def __init__(self, seed, size):
        self.seed = seed
        self.size = size

    def __call__(self, partition, index):
        return RowSample.of(partition, row_keys(self.seed, index, len(partition)), self.size)


def _fit_transformers(pipeline, frame, sample):
    """Fit the transformers of ``pipeline`` on the row sample; return the table and the
    sample transformed (the table lazily, partition by partition)."""
    rows = sample.rows
    for _, transformer in pipeline.steps[:-1]:
        if transformer in (None, "passthrough"):
            continue
        transformer.fit(rows)
        _check_rules(transformer, frame)
        rows = transformer.transform(rows)
        frame = frame.map_partitions(transformer.transform, meta=rows.iloc[:0])
    return frame, RowSample(sample.keys, rows, sample.size)


def _check_rules(transformer, frame):
    """Check the rules a fitted LogicCompressor found on the row sample against every row of
    the table, and reject those broken beyond the tolerance, as ``fit`` on the whole table
    would have (a rule given by the user is an error, as there)."""
    if not getattr(transformer, "rules_", None):
        return
    counts = map_reduce(frame, _ViolationCounter(transformer), _add_counts)
    limit = transformer.tolerance * counts["rows"]
    report = transformer.rule_report_
    in_table = {rule.describe(): int(n) for rule, n in zip(transformer.rules_, counts["broken"])}
    broken = {text: n for text, n in in_table.items() if n > limit}
    found = []
    for rule, record in zip([*transformer.rules_, *[None] * len(report)],
                            report.to_dict("records")):
        if rule is not None and rule.describe() in broken:
            _refuse_given(record, broken, counts["rows"], transformer.tolerance)
            record["action"] = "rejected"
        found.append((rule, record))
    if broken:
        logger.warning("Rules found on the row sample are broken on the whole table (rows) and "
                       "were rejected: %s.", broken)
        transformer._accept(found)
    transformer.rule_report_["violations_in_table"] = transformer.rule_report_["rule"].map(
        in_table)


def _refuse_given(record, broken, n_rows, tolerance):
    if record["source"] == "given":
        raise ValueError(
            f"The rule {record['rule']!r} is broken on {broken[record['rule']]} of {n_rows} "
            f"rows of the table (tolerance={tolerance}); fix the rule or the data, or raise "
            "tolerance.")


class _ViolationCounter:
    def __init__(self, compressor):
        self.compressor = compressor

    def __call__(self, partition, index):
        report = self.compressor.check(partition)
        return {"rows": len(partition), "broken": report["violations"].to_numpy()}


def _add_counts(first, second):
    return {key: first[key] + second[key] for key in first}


@contextlib.contextmanager
def _metadata_of(synthesizer, frame):
    """Give ``synthesizer`` the metadata of the table while it prepares its fit: its own
    ``metadata`` parameter if set, else the metadata inferred by map-reduce."""
    given = synthesizer.metadata
    if given is None:
        synthesizer.metadata = _infer_metadata(frame)
    try:
        yield
    finally:
        synthesizer.metadata = given


def _fit_synthesizer(synthesizer, frame, sample, seed):
    if isinstance(synthesizer, IncrementalMixin):
        from ._streaming import stream_fit

        with _metadata_of(synthesizer, frame):
            stream_fit(synthesizer, frame, sample, seed)
        return
    from ._fastgen import fit_fastgen

    with _metadata_of(synthesizer, frame):
        table_sample, *_ = synthesizer._prepare_fit(sample.rows, None)
    fit_fastgen(synthesizer, frame, table_sample, seed)
