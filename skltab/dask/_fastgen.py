"""FastGen's statistical backend fitted by map-reduce over partitions.

Numeric fields choose their family from the counts of every value (a quantile sketch past
``MAX_EXACT_DISTINCT`` distinct values) and a uniform sample of ``FIT_SAMPLE_SIZE`` present
values (the rows of smallest key), categorical fields count every row, and the copula's
correlations sum the normal scores of every row (a second pass). Two pieces use the row
sample only: the order of unordered categories (chosen to correlate best with the other
fields) and the Markov chains of free-text fields.
"""

from dataclasses import dataclass

import numpy as np

from ..fastgen._spec_fit import (
    FIT_SAMPLE_SIZE,
    categorical_field,
    copula_from_moments,
    counted_numeric_field,
    counted_scores,
    metadata_field,
    order_categories,
    score_moments,
    text_field,
)
from ..fastgen._spec_runtime import compile_field
from ..fastgen._synthesizer import _counted_categories, _present, _spec_values
from ..metadata._column import NUMERIC_KINDS
from ..utils._random import draw_seed
from ._partitions import map_reduce, row_keys
from ._sketches import CountedValues


def fit_fastgen(synthesizer, frame, table_sample, seed):
    """Fit a prepared ``FastGenSynthesizer`` (metadata and seeds set) on the partitions of
    ``frame``; ``table_sample`` is the row sample of its modelled columns."""
    metadata = synthesizer.metadata_
    names = list(table_sample.columns)
    descriptions = synthesizer._check_descriptions(table_sample)
    fit_state = np.random.RandomState(draw_seed(synthesizer.random_state_))
    summaries = map_reduce(frame, _FieldSummarizer(metadata.select(names), seed),
                           _merge_summaries)
    counted = {name: (summary.categories, summary.counts)
               for name, summary in summaries.items() if summary.categories is not None}
    sample_values = {name: _spec_values(table_sample[name], metadata[name]) for name in names}
    fields = []
    for name in names:
        summary = summaries[name]
        base = synthesizer._base_field(metadata[name], 1 - summary.n_present / summary.n_rows,
                                       summary.observed_range())
        fields.append(_field(synthesizer, base, summary, sample_values[name], counted,
                             fit_state))
    for field in fields:
        if descriptions.get(field["name"]) and "description" not in field:
            field["description"] = descriptions[field["name"]]
    dependence = {"type": "independent"}
    if synthesizer.dependence == "copula":
        ordered = {name for name in names if metadata[name].ordered}
        order_categories(fields, sample_values, ordered)
        dependence = _copula(frame, fields, summaries, metadata, synthesizer.copula_shrinkage)
    synthesizer.llm_usage_ = None
    synthesizer._set_spec(fields, dependence)


def _field(synthesizer, base, summary, sample_values, counted, fit_state):
    if summary.n_present == 0:
        return metadata_field(base, synthesizer.metadata_[base["name"]])
    if base["kind"] in NUMERIC_KINDS:
        return counted_numeric_field(base, summary.values.values, summary.values.counts,
                                     summary.fit_sample, fit_state)
    if base["kind"] == "text":
        present = sample_values[_present(sample_values)]
        return text_field(base, [str(v) for v in present])
    return categorical_field(base, *counted[base["name"]], synthesizer.max_categories)


@dataclass
class _FieldSummary:
    """What a field's distribution is fitted from, summed over partitions."""

    n_rows: int
    n_present: int
    values: CountedValues = None
    sample_keys: np.ndarray = None
    fit_sample: np.ndarray = None
    categories: list = None
    counts: np.ndarray = None

    def merge(self, other):
        merged = _FieldSummary(self.n_rows + other.n_rows, self.n_present + other.n_present,
                               categories=self.categories)
        if self.values is not None:
            merged.values = self.values.merge(other.values)
            merged.sample_keys, merged.fit_sample = _smallest(
                np.concatenate([self.sample_keys, other.sample_keys]),
                np.concatenate([self.fit_sample, other.fit_sample]))
        if self.counts is not None:
            merged.counts = self.counts + other.counts
        return merged

    def observed_range(self):
        if self.values is None or not len(self.values.values):
            return None
        return [float(self.values.values[0]), float(self.values.values[-1])]


def _smallest(keys, values):
    kept = np.argsort(keys, kind="stable")[:FIT_SAMPLE_SIZE]
    return keys[kept], values[kept]


class _FieldSummarizer:
    """The :class:`_FieldSummary` of each modelled column of a partition."""

    def __init__(self, metadata, seed):
        self.metadata = metadata
        self.seed = seed

    def __call__(self, partition, index):
        keys = row_keys(self.seed, index, len(partition))
        table = partition[self.metadata.columns]
        counted = _counted_categories(table, self.metadata)
        summaries = {}
        for column in self.metadata:
            values = _spec_values(table[column.name], column)
            present = _present(values)
            summary = _FieldSummary(len(values), int(present.sum()))
            if column.kind in NUMERIC_KINDS:
                summary.values = CountedValues.of(values[present])
                summary.sample_keys, summary.fit_sample = _smallest(keys[present],
                                                                    values[present])
            elif column.name in counted:
                summary.categories, summary.counts = counted[column.name]
            summaries[column.name] = summary
        return summaries


def _merge_summaries(first, second):
    return {name: first[name].merge(second[name]) for name in first}


def _copula(frame, fields, summaries, metadata, shrinkage):
    candidates = [f for f in fields if f["kind"] != "text"]
    scorers = [_FieldScorer(f, summaries[f["name"]], metadata[f["name"]]) for f in candidates]
    moments = map_reduce(frame, _MomentSummarizer(scorers), _add_moments)
    return copula_from_moments([f["name"] for f in candidates], moments, shrinkage)


class _FieldScorer:
    """The normal score of each value of a field, from the counts of the whole column."""

    def __init__(self, field, summary, column):
        self.column = column
        self.field = field
        if summary.values is not None:
            self.values = summary.values
            self.scores = counted_scores(summary.values.counts)
        else:
            positions = {category: i for i, category in enumerate(summary.categories)}
            kept = [positions[category] for category in field["distribution"]["categories"]]
            counts = summary.counts[kept]
            self.values = None
            self.scores = counted_scores(counts[counts > 0])
            self.rank = np.cumsum(counts > 0) - 1

    def __call__(self, series):
        values = _spec_values(series, self.column)
        scores = np.full(len(values), np.nan)
        if self.values is not None:
            present = ~np.isnan(values)
            scores[present] = self.scores[self.values.locate(values[present])]
        else:
            indices = compile_field(self.field).indices(values)
            present = indices >= 0
            scores[present] = self.scores[self.rank[indices[present]]]
        return scores


class _MomentSummarizer:
    def __init__(self, scorers):
        self.scorers = scorers

    def __call__(self, partition, index):
        scores = np.column_stack([scorer(partition[scorer.column.name])
                                  for scorer in self.scorers] or [np.empty((len(partition), 0))])
        return score_moments(scores)


def _add_moments(first, second):
    return {key: first[key] + second[key] for key in first}
