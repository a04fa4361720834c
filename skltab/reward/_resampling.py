"""Reward-guided sampling: each row written is kept from several candidate rows, drawn by how
real each looks (sampling-importance-resampling)."""

import numpy as np
import pandas as pd
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._available_if import available_if

from ..base import _table_from_output
from ..metrics._data import TablePair, encode_compared
from ..metrics._detection import discriminator
from ..utils._conditions import check_conditions
from ..utils._random import draw_seed
from ..utils._refitted import RefittedModel
from ..utils._validation import check_n_samples

#: A discriminator's probability is kept this far from 0 and 1, so that every odds is finite
#: and positive.
_PROBABILITY_MARGIN = 1e-6


class RealismOdds:
    """A discriminator of real rows against a synthesizer's rows, fitted once; called on rows,
    it returns the odds ``p / (1 - p)`` it gives each of being real.

    The odds estimate the ratio of the real density to the synthesizer's at each row, up to a
    factor that is the same for every row. The discriminator is the detection metric's
    gradient boosting on the same features (:func:`skltab.metrics.detection_auc`), kept as a
    :class:`~skltab.utils._refitted.RefittedModel`: it has no safe form, so a copy loaded by
    :func:`skltab.load` refits it, identically, the first time it is called.

    Parameters
    ----------
    real : DataFrame
        The real rows.
    rows : DataFrame
        Rows of the synthesizer, with the same columns.
    metadata : TableMetadata
        Metadata of the columns.
    seed : int
        Seed of the discriminator.
    """

    def __init__(self, real, rows, metadata, seed):
        pair = TablePair(real, rows, metadata=metadata, random_state=seed)
        self.encoder, self.space = pair.encoder, pair.space
        features = np.vstack([self.space.transform_for_trees(pair.encoded(name))
                              for name in ("real", "synthetic")])
        self.model = RefittedModel(discriminator(self.space.categorical_mask_, seed), features,
                                   np.repeat([1, 0], [len(real), len(rows)]))

    def __call__(self, rows):
        features = self.space.transform_for_trees(encode_compared(self.encoder, rows, "rows"))
        proba = self.model.fitted().predict_proba(features)[:, 1]
        proba = np.clip(proba, _PROBABILITY_MARGIN, 1 - _PROBABILITY_MARGIN)
        return proba / (1 - proba)


class Resampled:
    """The rows of ``synthesizer``, each kept from ``n_candidates`` candidates, drawn with
    probability proportional to its realism ``odds``.

    As the number of candidates grows, the rows kept follow the distribution of the
    synthesizer's rows reweighted by the odds, which is the real rows' distribution as far as
    the discriminator estimates it. Every candidate of a row holds the row's conditions, so the
    odds' factor of the conditioned values is the same for all of them and the row kept
    follows the real rows' distribution given the conditions.

    Parameters
    ----------
    synthesizer : synthesizer
        A fitted synthesizer with ``sample``, ``iter_samples`` and ``metadata_``.
    odds : RealismOdds
        The realism odds of its rows.
    n_candidates : int
        Candidates drawn for each row.
    """

    def __init__(self, synthesizer, odds, n_candidates):
        self.synthesizer, self.odds, self.n_candidates = synthesizer, odds, n_candidates

    def sample(self, n_samples=1, *, conditions=None, random_state=None):
        """Write ``n_samples`` rows, as the synthesizer's :meth:`sample` does: the one chunk
        of :meth:`iter_samples`."""
        n_samples = check_n_samples(n_samples)
        return next(self.iter_samples(n_samples, chunk_size=n_samples, conditions=conditions,
                                      random_state=random_state))

    def iter_samples(self, n_samples, *, chunk_size, conditions=None, random_state=None):
        """Write ``n_samples`` rows in chunks of ``chunk_size``; concatenated, the chunks are
        :meth:`sample`'s rows for the same ``random_state``."""
        n_samples = check_n_samples(n_samples)
        chunk_size = check_n_samples(chunk_size, name="chunk_size")
        conditions = self._candidate_conditions(conditions, n_samples)
        rng = check_random_state(random_state)
        chunks = self.synthesizer.iter_samples(
            self.n_candidates * n_samples, chunk_size=self.n_candidates * chunk_size,
            conditions=conditions, random_state=draw_seed(rng))
        return self._kept_chunks(chunks, np.random.RandomState(draw_seed(rng)))

    @available_if(lambda self: hasattr(self.synthesizer, "score"))
    def score(self, X, y=None):
        """The synthesizer's :meth:`score` (the likelihood of its rows before resampling)."""
        return self.synthesizer.score(X, y)

    def _candidate_conditions(self, conditions, n_samples):
        """The conditions of every candidate: each row's, repeated for its candidates."""
        frame = check_conditions(conditions, n_samples, self.synthesizer.metadata_)
        if frame is None:
            return None
        return frame.iloc[np.repeat(np.arange(n_samples), self.n_candidates)].reset_index(
            drop=True)

    def _kept_chunks(self, chunks, choice_rng):
        """One row of each ``n_candidates`` consecutive candidates of every chunk, numbered
        on from the previous chunk's."""
        start = 0
        for candidates in chunks:
            odds = self.odds(_table_from_output(candidates)).reshape(-1, self.n_candidates)
            chosen = choose_by_weight(odds, choice_rng.random_sample(len(odds)))
            yield _take_rows(candidates, np.arange(len(odds)) * self.n_candidates + chosen,
                             start)
            start += len(odds)


def choose_by_weight(weights, uniforms):
    """For each row of ``weights``, the column drawn with probability proportional to its
    weight, by inverting the cumulative weights at ``uniforms`` (one draw in [0, 1) per
    row)."""
    cumulative = np.cumsum(weights, axis=1)
    thresholds = uniforms * cumulative[:, -1]
    return np.minimum((cumulative <= thresholds[:, None]).sum(axis=1), weights.shape[1] - 1)


def _take_rows(output, index, start):
    """Rows ``index`` of what ``sample`` returned (a table, an array or ``(X, y)``), with a
    pandas index numbered from ``start``."""
    if isinstance(output, tuple):
        return tuple(_take_rows(part, index, start) for part in output)
    rows = _safe_indexing(output, index)
    if isinstance(rows, (pd.DataFrame, pd.Series)):
        rows.index = pd.RangeIndex(start, start + len(rows))
    return rows
