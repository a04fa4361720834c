"""What ``sample`` returns, as one table."""

import numpy as np
import pandas as pd


def sample_to_frame(synthetic):
    """Return one DataFrame holding a sample, whatever container ``sample`` returned.

    Parameters
    ----------
    synthetic : DataFrame, ndarray or tuple (X, y)
        What a synthesizer's ``sample`` returned.

    Returns
    -------
    DataFrame
        ``X``, with columns ``x0``, ``x1``, ... when it is an ndarray, and the target ``y``
        as its last column, named as ``fit`` named it: ``y.name`` when a string, else
        ``"y"``.
    """
    X, y = synthetic if isinstance(synthetic, tuple) else (synthetic, None)
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    if y is None:
        return X
    name = y.name if isinstance(getattr(y, "name", None), str) else "y"
    return X.assign(**{name: np.asarray(y)})
