"""``evaluate``: every metric of a synthetic table at once, as a report with figures."""

import base64
import html
import io
import json
import warnings
from pathlib import Path

import pandas as pd

from ._copying import CopyingWarning, copying_warnings
from ._data import TablePair
from ._plots import associations_figure, marginals_figure, projection_figure
from ._registry import METRICS, applicable_metrics, compute_metrics

_DETAIL_LEVELS = ("columns", "pairs", "rules")
_FIGURE_TITLES = {"marginals": "Marginal distributions",
                  "associations": "Associations between columns",
                  "projection": "Rows on the principal axes of the real rows"}
_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; }
img { max-width: 100%; }
.warnings { color: #a00000; }
"""


def evaluate(real, synthetic, *, train=None, target=None, metadata=None, rules=None, task=None,
             random_state=0):
    """Compute every applicable metric of a synthetic table and gather them in a report.

    Parameters
    ----------
    real : DataFrame
        Real rows the synthesizer never saw (the test split). Fidelity, detection and
        diversity compare the synthetic rows with these.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    train : DataFrame, default=None
        The real rows the synthesizer was fitted on. Adds the privacy metrics, and with
        ``target`` the train-on-real utility reference.
    target : str, default=None
        Column to predict; adds the utility metrics.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the real rows when None.
    rules : list, LogicCompressor or LogicRestorer, default=None
        Rules whose violation rate to measure: strings such as ``"total = price * quantity"``,
        ``"zip -> city"`` or ``"start <= end"``, objects with a ``check(table)`` method, or
        callables ``table -> boolean Series``, or a fitted logic transformer for its rules
        (see :func:`rule_violation_rate`).
    task : {"classification", "regression"}, default=None
        Utility task; inferred from the target's kind when None.
    random_state : int, RandomState instance or None, default=0
        Seed of subsampling and of the models that some metrics train.

    Returns
    -------
    EvaluationReport
        The metric values (:meth:`~EvaluationReport.summary`), their breakdowns, figures,
        notes and warnings.

    Warns
    -----
    CopyingWarning
        When the metrics show signs that the synthetic rows copy real rows (listed in
        :attr:`EvaluationReport.warnings`): ``detection_auc`` below 0.45, ``too_close_rate``
        more than 1.5 times ``too_close_reference``, or ``exact_copy_rate`` more than one
        percentage point above ``holdout_exact_copy_rate``.

    Examples
    --------
    >>> from skltab import IndependentSynthesizer
    >>> from skltab.metrics import evaluate
    >>> from sklearn.datasets import load_iris
    >>> iris = load_iris(as_frame=True).frame
    >>> train, test = iris.iloc[::2], iris.iloc[1::2]
    >>> synthetic = IndependentSynthesizer(random_state=0).fit(train).sample(75)
    >>> report = evaluate(test, synthetic, train=train)
    >>> report.summary().loc["detection_auc", "category"]
    'detection'
    """
    pair = TablePair(real, synthetic, train=train, metadata=metadata, random_state=random_state)
    names = applicable_metrics(target=target, train=train, rules=rules)
    values, details = compute_metrics(pair, names, target=target, task=task, rules=rules)
    summary = pd.DataFrame(
        [{"metric": name, "value": values[name],
          "greater_is_better": METRICS[name].greater_is_better,
          "category": METRICS[name].category} for name in names if name in values]
    ).set_index("metric")
    report = EvaluationReport(summary, details, pair)
    for message in report.warnings:
        warnings.warn(message, CopyingWarning, stacklevel=2)
    return report


class EvaluationReport:
    """The result of :func:`evaluate`: metric values, their breakdowns and figures.

    Parameters
    ----------
    summary : DataFrame
        One row per metric, indexed by name, with columns ``value``, ``greater_is_better`` and
        ``category``.
    details : dict
        ``"columns"``, ``"pairs"`` and, with rules, ``"rules"`` tables, and the
        ``"associations"`` matrices of the real and synthetic tables.
    pair : TablePair
        The compared tables, for the figures.

    Attributes
    ----------
    notes : list of str
        What the metrics had to do, in words: which tables were subsampled, to how many rows,
        with which seed.
    warnings : list of str
        Signs that the synthetic rows copy real rows, in words (see :class:`CopyingWarning`);
        empty when there is none.
    """

    def __init__(self, summary, details, pair):
        self._summary = summary
        self._details = details
        self._pair = pair
        self._warnings = copying_warnings(summary["value"])

    @property
    def notes(self):
        """What the metrics had to do, such as subsampling large tables."""
        return list(self._pair.notes)

    @property
    def warnings(self):
        """Signs that the synthetic rows copy real rows, such as a detection AUC below 0.45."""
        return list(self._warnings)

    def summary(self):
        """One row per metric.

        Returns
        -------
        DataFrame
            Indexed by metric name, with columns ``value``, ``greater_is_better`` and
            ``category`` (fidelity, pairs, detection, utility, diversity, privacy or logic).
            What the values say about copying is in :attr:`warnings`, which the report's text,
            HTML and JSON forms show.
        """
        return self._summary.copy()

    def details(self, level="columns"):
        """Breakdown of the metrics per column, per pair of columns or per rule.

        Parameters
        ----------
        level : {"columns", "pairs", "rules"}, default="columns"
            ``"columns"``: one row per column, with its kind, distances and missing rates
            (see :func:`column_fidelity`); ``"pairs"``: one row per pair of columns, with the
            association in each table (see :func:`pair_fidelity`); ``"rules"``: the violation
            rate of each rule in the synthetic and in the real rows.

        Returns
        -------
        DataFrame
            A copy of the breakdown.
        """
        if level not in _DETAIL_LEVELS:
            raise ValueError(f"level must be one of {_DETAIL_LEVELS}; got {level!r}.")
        if level not in self._details:
            raise ValueError("The report has no rules; pass rules= to evaluate.")
        return self._details[level].copy()

    def plot(self):
        """Draw the report's figures with matplotlib.

        Returns
        -------
        dict of str to matplotlib.figure.Figure
            ``"marginals"``: real and synthetic distribution of every column;
            ``"associations"``: heatmaps of the real and synthetic association matrices and
            their absolute difference; ``"projection"``: real and synthetic rows on the first
            two principal axes of the real rows (in the distance space of the metrics).
        """
        return {
            "marginals": marginals_figure(self._pair),
            "associations": associations_figure(self._details["associations"]),
            "projection": projection_figure(self._pair),
        }

    def to_html(self, path):
        """Write the report as one self-contained HTML page, figures embedded as PNG.

        Parameters
        ----------
        path : str or path-like
            File to write.

        Returns
        -------
        path : Path
            The file written.
        """
        figures = "".join(
            f"<h2>{_FIGURE_TITLES[name]}</h2>\n<img alt=\"{name}\" "
            f"src=\"data:image/png;base64,{_png(figure)}\">\n"
            for name, figure in self.plot().items()
        )
        tables = "".join(
            f"<h2>Per {level[:-1]}</h2>\n{self._details[level].to_html(float_format=_format)}\n"
            for level in _DETAIL_LEVELS if level in self._details
        )
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        page = (
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>Synthetic data evaluation</title><style>{_STYLE}</style></head><body>\n"
            "<h1>Synthetic data evaluation</h1>\n"
            + (f"<h2>Warnings</h2>\n{self._warnings_html()}\n" if self._warnings else "")
            + f"<h2>Summary</h2>\n{self._summary.to_html(float_format=_format)}\n"
            + (f"<h2>Notes</h2>\n<ul>{notes}</ul>\n" if notes else "")
            + figures + tables + "</body></html>\n"
        )
        path = Path(path)
        path.write_text(page, encoding="utf-8")
        return path

    def to_json(self):
        """Return the summary, the breakdowns and the notes as a JSON string.

        Returns
        -------
        str
            A JSON object with ``summary`` (metric name to ``value``, ``greater_is_better``
            and ``category``), ``columns``, ``pairs``, ``rules`` (lists of records, ``rules``
            only when given), ``notes`` and ``warnings``; missing values are ``null``.
        """
        content = {"summary": json.loads(self._summary.to_json(orient="index"))}
        for level in _DETAIL_LEVELS:
            if level in self._details:
                table = self._details[level].reset_index()
                content[level] = json.loads(table.to_json(orient="records"))
        content["notes"] = self.notes
        content["warnings"] = self.warnings
        return json.dumps(content, indent=2)

    def __repr__(self):
        warned = "".join(f"\nWarning: {message}" for message in self._warnings)
        return f"EvaluationReport\n{self._summary.to_string()}{warned}"

    def _repr_html_(self):
        return self._warnings_html() + self._summary.to_html(float_format=_format)

    def _warnings_html(self):
        if not self._warnings:
            return ""
        items = "".join(f"<li>{html.escape(message)}</li>" for message in self._warnings)
        return f"<ul class=\"warnings\">{items}</ul>"


def _format(value):
    return f"{value:.4g}"


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
