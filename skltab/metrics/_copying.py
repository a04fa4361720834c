"""Signs that a synthetic table copies real rows, read from its metric values."""

import math

#: Detection AUC below which the synthetic rows likely copy real rows: a copied row is
#: unlearnable, and a detector trained on copies leans the wrong way.
DETECTION_COPYING_AUC = 0.45
#: Factor of ``too_close_reference`` above which ``too_close_rate`` is a sign of copying.
TOO_CLOSE_FACTOR = 1.5
#: Margin over ``holdout_exact_copy_rate`` above which ``exact_copy_rate`` is a sign of
#: copying (one percentage point).
EXACT_COPY_MARGIN = 0.01


class CopyingWarning(UserWarning):
    """The metrics of a synthetic table show signs that it copies real rows.

    :func:`evaluate` emits it, and :attr:`EvaluationReport.warnings` lists the same messages,
    when the detection AUC is below 0.45, when ``too_close_rate`` is more than 1.5 times
    ``too_close_reference``, or when ``exact_copy_rate`` exceeds ``holdout_exact_copy_rate``
    by more than one percentage point.
    """


def copying_warnings(values):
    """Messages for the signs of copying among metric values.

    Parameters
    ----------
    values : mapping of str to float
        Metric values by name, such as the ``value`` column of a report's summary; absent or
        missing (NaN) values raise no warning.

    Returns
    -------
    list of str
        One message per sign, naming the metrics and their values.
    """
    value = {name: _value(values, name) for name in (
        "detection_auc", "too_close_rate", "too_close_reference", "exact_copy_rate",
        "holdout_exact_copy_rate")}
    messages = []
    if value["detection_auc"] < DETECTION_COPYING_AUC:
        where = ("" if "too_close_rate" in values
                 else " (evaluate with train=, the training rows, to compute them)")
        messages.append(f"detection_auc is {value['detection_auc']:.3f}, below "
                        f"{DETECTION_COPYING_AUC}: the synthetic rows likely copy real rows; "
                        f"look at the privacy metrics{where}.")
    if value["too_close_rate"] > TOO_CLOSE_FACTOR * value["too_close_reference"]:
        messages.append(f"too_close_rate is {value['too_close_rate']:.3f}, more than "
                        f"{TOO_CLOSE_FACTOR} x too_close_reference "
                        f"({value['too_close_reference']:.3f}): more synthetic rows sit close "
                        "to a training row than fresh real rows do; the synthesizer likely "
                        "copies its training rows.")
    if value["exact_copy_rate"] > value["holdout_exact_copy_rate"] + EXACT_COPY_MARGIN:
        messages.append(f"exact_copy_rate is {value['exact_copy_rate']:.3f}, more than "
                        f"holdout_exact_copy_rate ({value['holdout_exact_copy_rate']:.3f}) + "
                        f"{EXACT_COPY_MARGIN}: the synthetic table holds more copies of "
                        "training rows than fresh real rows do.")
    return messages


def _value(values, name):
    """The value of ``name``, NaN when absent or missing, so that no comparison holds."""
    value = values.get(name)
    return math.nan if value is None else float(value)
