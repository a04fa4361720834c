"""Small tables for the metric tests, drawn from known distributions."""

import numpy as np
import pandas as pd
import pytest


def make_table(n_rows, seed, *, shift=0.0, missing=True):
    """A mixed table: two correlated numbers, a count, a category, a flag, a date, a label.

    ``label`` is "yes" when ``x`` plus noise is positive, so it can be predicted from ``x``.
    ``shift`` moves ``x`` (and what depends on it) by that many standard deviations.
    """
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n_rows) + shift
    table = pd.DataFrame({
        "x": x,
        "y": 2 * x + rng.normal(scale=0.5, size=n_rows),
        "count": rng.poisson(3, n_rows),
        "color": rng.choice(["red", "green", "blue"], n_rows, p=[0.5, 0.3, 0.2]),
        "flag": rng.rand(n_rows) < 0.4,
        "day": pd.Timestamp("2021-01-01")
        + pd.to_timedelta(rng.randint(0, 365, n_rows), unit="D"),
        "label": np.where(x + rng.normal(scale=0.5, size=n_rows) > 0, "yes", "no"),
    })
    if missing:
        table.loc[rng.rand(n_rows) < 0.1, "x"] = np.nan
        table.loc[rng.rand(n_rows) < 0.05, "color"] = np.nan
    return table


@pytest.fixture
def table_factory():
    return make_table


@pytest.fixture
def orders():
    """Four orders: the third breaks its total, the second ends before it starts."""
    return pd.DataFrame({
        "unit_price": [2.50, 1.99, 10.00, 3.33],
        "quantity": [2, 3, 1, 3],
        "total": [5.00, 5.97, 12.00, 9.99],  # the third row is wrong
        "zip": ["10001", "10001", "94105", "94105"],
        "city": ["New York", "New York", "San Francisco", "San Francisco"],
        "start": ["2021-01-01", "2021-03-01", "2021-05-01", "2021-07-01"],
        "end": ["2021-02-01", "2021-02-01", "2021-06-01", "2021-08-01"],  # row 2 ends early
    })
