"""How many rows to add to each class: imbalanced-learn's ``sampling_strategy``, over-sampling.

Every form counts against the class counts of ``y``, and the largest class (the first in
sorted order when several tie) is the majority:

- ``"not majority"`` (and ``"auto"``): every class but the majority grows to the majority's
  count;
- ``"minority"``: the smallest class alone (the first in sorted order when several tie);
- ``"not minority"``: every class but the minority;
- ``"all"``: every class (the majority gets no row);
- ``"geometric"``: every class but the majority grows to the geometric mean of its count and
  the majority's (half-way to balance on a log scale: a class of 2 % of a binary target
  reaches about 12 %, one of 11 % about 26 %), an extension of skltab;
- a float ``r`` in (0, 1], binary targets only: the minority grows to ``int(r *
  n_majority)`` rows;
- a dict ``{class: rows after resampling}``; a callable ``y -> dict`` is read the same way.
"""

import math
from collections import OrderedDict
from numbers import Integral, Real

import numpy as np


def class_counts(y):
    """``{class: rows}`` of the labels ``y``, in sorted class order."""
    classes, counts = np.unique(y, return_counts=True)
    return dict(zip(classes.tolist(), counts.tolist()))


def rows_to_add(sampling_strategy, y):
    """New rows per class that ``sampling_strategy`` asks for, given the labels ``y``.

    Parameters
    ----------
    sampling_strategy : str, float, dict or callable
        An over-sampling target (see the module's docstring); its type and range have been
        validated already.
    y : ndarray of shape (n_rows,)
        Class labels.

    Returns
    -------
    OrderedDict
        ``{class: number of new rows}``, sorted by class, for the targeted classes.

    Raises
    ------
    ValueError
        If ``y`` has a single class, a float is used on a non-binary target or asks for
        fewer rows than the minority has, or a dict names an absent class or asks for fewer
        rows than a class has.
    """
    counts = class_counts(y)
    if len(counts) < 2:
        raise ValueError(f"The target y needs more than 1 class to balance; got "
                         f"{len(counts)} class ({list(counts)}).")
    if isinstance(sampling_strategy, str):
        targets = _targets_of_name(sampling_strategy, counts)
    elif isinstance(sampling_strategy, Real):
        targets = _targets_of_ratio(sampling_strategy, counts)
    else:
        wanted = (sampling_strategy(y) if callable(sampling_strategy)
                  else sampling_strategy)
        targets = _targets_of_dict(wanted, counts)
    return OrderedDict(sorted((label, target - counts[label])
                              for label, target in targets.items()))


def _majority(counts):
    return max(counts, key=counts.get)


def _targets_of_name(name, counts):
    """Rows after resampling of the classes that the named strategy targets."""
    majority, minority = _majority(counts), min(counts, key=counts.get)
    if name == "geometric":
        return {label: round(math.sqrt(count * counts[majority]))
                for label, count in counts.items() if label != majority}
    excluded = {"auto": {majority}, "not majority": {majority}, "not minority": {minority},
                "all": set(), "minority": set(counts) - {minority}}[name]
    return {label: counts[majority] for label in counts if label not in excluded}


def _targets_of_ratio(ratio, counts):
    if len(counts) != 2:
        raise ValueError(f"sampling_strategy can be a float only for a binary target; y has "
                         f"{len(counts)} classes. Use a dict for more classes.")
    majority = _majority(counts)
    targets = {label: int(ratio * counts[majority]) for label in counts if label != majority}
    short = {label: counts[label] for label, target in targets.items()
             if target <= counts[label]}
    if short:
        raise ValueError(f"sampling_strategy={ratio} asks for no new minority row (the "
                         f"minority has {short}, the majority {counts[majority]} rows); "
                         "increase the ratio.")
    return targets


def _targets_of_dict(wanted, counts):
    if not isinstance(wanted, dict):
        raise TypeError(f"A callable sampling_strategy must return a dict of rows per class; "
                        f"got {type(wanted).__name__}.")
    not_counts = {label: rows for label, rows in wanted.items()
                  if isinstance(rows, bool) or not isinstance(rows, Integral)}
    if not_counts:
        raise TypeError(f"sampling_strategy must map classes to whole numbers of rows; got "
                        f"{not_counts}.")
    absent = [label for label in wanted if label not in counts]
    if absent:
        raise ValueError(f"sampling_strategy names classes absent from y: {absent}; the "
                         f"classes are {list(counts)}.")
    fewer = {label: (rows, counts[label]) for label, rows in wanted.items()
             if rows < counts[label]}
    if fewer:
        details = ", ".join(f"{label!r}: {rows} asked, {count} present"
                            for label, (rows, count) in fewer.items())
        raise ValueError("An over-sampler only adds rows: sampling_strategy asks for fewer "
                         f"rows than a class has ({details}).")
    return dict(wanted)
