"""How close rows come to the training rows, against real rows the model never saw.

:class:`PrivacyGuard` keeps the training rows in the distance space of the privacy metrics
(:func:`skltab.metrics.privacy_scores`: numbers scaled by the real range, categories one-hot,
missing values as indicators; free text and ID columns are not compared) and the distance
from each held-out real row to its closest training row (DCR). Synthesizers use it twice:

- during training, a privacy check of rows sampled from the current model (:meth:`check`):
  the share of them much nearer to a training row than to a held-out row, against real
  rows;
- when sampling, the guard (:meth:`sample`): rows closer to a training row than that
  threshold are drawn again, a bounded number of times, and never dropped.

It holds one float32 value per training row and distance-space column (numeric columns,
missing indicators, one per category up to ``MAX_ONE_HOT`` per column): these are the
training rows, so a synthesizer that keeps a guard contains its training rows.
"""

import logging
import warnings

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: The guard's threshold is this quantile of the held-out rows' DCRs.
THRESHOLD_QUANTILE = 0.05
#: The training check fails above this share of sampled rows closer than the threshold
#: (about ``THRESHOLD_QUANTILE`` expected).
MAX_TOO_CLOSE_RATE = 0.15
#: Training rows, evenly spread, whose leave-one-out distances join the reference ones.
MAX_REFERENCE_ROWS = 2000
#: Times the guard draws again the rows that are still too close.
MAX_REDRAW_ROUNDS = 5
#: The counts of a report, which add up over sampling calls.
REPORT_COUNTS = ("n_samples", "n_too_close", "n_redraws", "n_remaining")


class PrivacyGuard:
    """The training rows in distance space and real rows' distances to them.

    Build it with :meth:`fit`. The reference distances, of real rows the model did not learn
    from, are those of the held-out rows to their closest training row and the training
    rows' leave-one-out distances (each to its closest other training row): both are the
    distance from a real row to the other real rows, and the second is available in
    numbers even on a small table, where the held-out rows are a few dozen (on a large one,
    ``MAX_REFERENCE_ROWS`` training rows are enough).

    Attributes
    ----------
    threshold_ : float
        The ``THRESHOLD_QUANTILE`` quantile of the reference distances; rows closer to a
        training row than this are too close (none when it is 0: then the real table has
        duplicate rows, and a copy is as likely as in real rows).
    ratio_threshold_ : float
        With held-out rows: the ``THRESHOLD_QUANTILE`` quantile of the training rows' ratios
        of distances, to the closest other training row over to the closest held-out row
        (see :meth:`check`).
    n_holdout_ : int
        Number of held-out rows.
    """

    def fit(self, train, holdout, metadata):
        """Learn from the training rows and the held-out rows (a DataFrame, or None).

        Returns
        -------
        self or None
            None when the tables have no numeric or categorical column to compare rows on.
        """
        from .metrics._data import CATEGORICAL_KINDS, TablePair
        from .metrics._space import nearest_distances
        from .metadata._column import NUMERIC_KINDS

        if not any(c.kind in NUMERIC_KINDS + CATEGORICAL_KINDS for c in metadata):
            return None
        pair = TablePair(train, train if holdout is None else holdout, metadata=metadata)
        self._encoder, self._space = pair.encoder, pair.space
        self._train = self._space.transform(pair.encoded("real")).astype(np.float32)
        reference = [np.zeros(0)]
        if len(self._train) >= 2:
            rows = np.unique(np.linspace(0, len(self._train) - 1, MAX_REFERENCE_ROWS).astype(int))
            reference = [nearest_distances(self._train[rows], self._train, 2)[:, 1]]
        self._holdout = None
        if holdout is not None and len(self._train) >= 2:
            self._holdout = self._rows(holdout)
            reference.append(nearest_distances(self._holdout, self._train, 1)[:, 0])
            self.ratio_threshold_ = float(np.quantile(self._ratios(
                reference[0], self._train[rows]), THRESHOLD_QUANTILE))
        reference = np.concatenate(reference) if sum(map(len, reference)) else np.zeros(1)
        self.n_holdout_ = 0 if holdout is None else len(holdout)
        self.threshold_ = float(np.quantile(reference, THRESHOLD_QUANTILE))
        return self

    def _rows(self, table):
        from .metrics._data import encode_compared

        encoded = encode_compared(self._encoder, table, "sampled rows")
        return self._space.transform(encoded).astype(np.float32)

    def distances(self, table):
        """Distance from each row of ``table`` to its closest training row."""
        return self._to_train(self._rows(table))

    def _to_train(self, rows):
        from .metrics._space import nearest_distances

        return nearest_distances(rows, self._train, 1)[:, 0]

    def too_close(self, table):
        """Whether each row of ``table`` is closer to a training row than ``threshold_``."""
        return self.distances(table) < self.threshold_

    def _ratios(self, to_train, rows):
        """Each row's distance to the closest training row over that to the closest held-out
        row (1 when both are 0)."""
        from .metrics._space import nearest_distances

        to_holdout = nearest_distances(rows, self._holdout, 1)[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = to_train / to_holdout
        return np.where((to_train == 0) & (to_holdout == 0), 1.0, ratios)

    def check(self, table):
        """The privacy check of rows sampled during training (the guard needs held-out rows).

        For each row it takes the distance to the closest training row over the distance to
        the closest held-out row. Real rows have such ratios too (training rows, each without
        itself), and ``ratio_threshold_`` is their 5th percentile. A model that reproduces
        its training rows, or writes rows just beside them, has many more rows below it. A
        model that is narrower than the data (early in training) does not: its rows sit in
        dense regions, as near to unseen real rows as to training rows, whereas their plain
        distance to the closest training row would be small.

        Returns
        -------
        scores : dict
            ``too_close_rate``: the share of the rows whose ratio is below
            ``ratio_threshold_``.
        passed : bool
            False when ``too_close_rate > MAX_TOO_CLOSE_RATE``.
        """
        rows = self._rows(table)
        ratios = self._ratios(self._to_train(rows), rows)
        too_close = float(np.mean(ratios < self.ratio_threshold_))
        return {"too_close_rate": too_close}, too_close <= MAX_TOO_CLOSE_RATE

    def sample(self, draw, n_samples, conditions, random_state, report):
        """Draw ``n_samples`` rows and draw again those too close to a training row.

        Parameters
        ----------
        draw : callable
            ``draw(n_samples, conditions=..., random_state=...)`` returns a DataFrame of rows
            (a synthesizer's ``_sample``).
        n_samples : int
            Rows to return.
        conditions : DataFrame or None
            Fixed values of each row; a redrawn row keeps its own.
        random_state : numpy.random.RandomState
            The source of every draw, so the rows depend on it alone.
        report : dict
            Counts of the sampling call, updated in place (see :func:`new_report`).

        Returns
        -------
        DataFrame
            ``n_samples`` rows; those still too close after ``MAX_REDRAW_ROUNDS`` redraws are
            kept (their last draw) and counted in ``report["n_remaining"]``.
        """
        table = draw(n_samples, conditions=conditions, random_state=random_state)
        table = table.reset_index(drop=True)
        close = np.flatnonzero(self.too_close(table))
        report["n_samples"] += n_samples
        report["n_too_close"] += len(close)
        for _ in range(MAX_REDRAW_ROUNDS):
            if not len(close):
                break
            subset = None if conditions is None else conditions.iloc[close].reset_index(drop=True)
            redrawn = draw(len(close), conditions=subset, random_state=random_state)
            report["n_redraws"] += len(close)
            redrawn.index = close
            table = pd.concat([table.drop(index=close), redrawn]).sort_index()
            close = close[self.too_close(redrawn)]
        report["n_remaining"] += len(close)
        return table

    def new_report(self):
        """Counts of one sampling call, which :meth:`sample` updates.

        ``n_samples``: rows sampled; ``n_too_close``: rows too close at the first draw;
        ``n_redraws``: rows drawn again, over every round; ``n_remaining``: rows still too
        close, kept; ``threshold``: the distance under which a row is too close.
        """
        return {**dict.fromkeys(REPORT_COUNTS, 0), "threshold": self.threshold_}

    @staticmethod
    def warn(report, name):
        """Warn when rows too close to a training row remain after the redraws."""
        if report["n_remaining"]:
            warnings.warn(
                f"{name}: {report['n_remaining']} of {report['n_samples']} sampled rows are "
                f"still closer to a real row than {1 - THRESHOLD_QUANTILE:.0%} of real rows "
                f"are to the others (distance {report['threshold']:.3g}) after "
                f"{MAX_REDRAW_ROUNDS} redraws; they are kept. See privacy_guard_report_.",
                UserWarning, stacklevel=4,
            )


def add_counts(total, report):
    """Add the counts of ``report`` to those of ``total``, in place."""
    for key in REPORT_COUNTS:
        total[key] += report[key]


def total_report(reports):
    """One report from a DataFrame of reports, one per row (as :func:`skltab.dask.sample`
    returns them): the counts summed, the threshold (the same in each) kept."""
    return {**{key: int(reports[key].sum()) for key in REPORT_COUNTS},
            "threshold": float(reports["threshold"].iloc[0])}
