"""Pairwise associations against pandas, scipy and a least-squares fit."""

import time

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association
from sklearn.linear_model import LinearRegression

from skltab.metrics import (
    association_error,
    association_matrix,
    correlation_distance,
    pair_fidelity,
)


def test_pearson_uses_pairwise_complete_rows(table_factory):
    table = table_factory(300, seed=0)
    matrix = association_matrix(table)
    expected = table[["x", "y", "count"]].corr()
    np.testing.assert_allclose(matrix.loc[["x", "y", "count"], ["x", "y", "count"]], expected,
                               rtol=1e-12)


def test_cramers_v_matches_scipy(table_factory):
    table = table_factory(400, seed=0)
    matrix = association_matrix(table)
    for first, second in [("color", "label"), ("flag", "label"), ("color", "flag")]:
        # a missing colour is a category of its own
        crosstab = pd.crosstab(table[first].fillna("(missing)"), table[second])
        assert matrix.loc[first, second] == pytest.approx(
            association(crosstab.to_numpy(), method="cramer"), rel=1e-9)


def test_correlation_ratio_is_the_root_of_a_one_hot_regression_r2():
    rng = np.random.RandomState(0)
    groups = rng.choice(["a", "b", "c"], 500)
    values = rng.normal(size=500) + (groups == "b") * 1.5
    table = pd.DataFrame({"v": values, "g": groups})
    one_hot = pd.get_dummies(table["g"]).to_numpy(dtype=float)
    r2 = LinearRegression().fit(one_hot, values).score(one_hot, values)
    assert association_matrix(table).loc["v", "g"] == pytest.approx(np.sqrt(r2), rel=1e-9)


def test_matrix_is_symmetric_with_unit_diagonal(table_factory):
    matrix = association_matrix(table_factory(200, seed=0)).to_numpy()
    np.testing.assert_allclose(matrix, matrix.T)
    np.testing.assert_allclose(np.diag(matrix), 1)


def test_broken_correlation_shows_in_pair_error(table_factory):
    real = table_factory(500, seed=0, missing=False)
    synthetic = table_factory(500, seed=1, missing=False)
    synthetic["y"] = synthetic["y"].sample(frac=1, random_state=0).to_numpy()
    pairs = pair_fidelity(real, synthetic).set_index(["column_1", "column_2"])
    assert pairs.loc[("x", "y"), "association"] == "pearson"
    assert pairs.loc[("x", "y"), "real"] > 0.9
    assert abs(pairs.loc[("x", "y"), "synthetic"]) < 0.15
    assert pairs.loc[("x", "y"), "abs_difference"] > 0.75
    kept = table_factory(500, seed=2, missing=False)
    assert association_error(real, synthetic) > association_error(real, kept)


def test_pair_kinds_and_errors_are_consistent(table_factory):
    real, synthetic = table_factory(200, seed=0), table_factory(200, seed=1)
    pairs = pair_fidelity(real, synthetic).set_index(["column_1", "column_2"])
    assert pairs.loc[("x", "color"), "association"] == "correlation_ratio"
    assert pairs.loc[("color", "flag"), "association"] == "cramers_v"
    difference = association_matrix(real) - association_matrix(synthetic)
    assert correlation_distance(real, synthetic) == pytest.approx(
        np.linalg.norm(difference.to_numpy()))
    assert association_error(real, synthetic) == pytest.approx(pairs["abs_difference"].mean())


def test_identical_tables_have_no_pair_error(table_factory):
    real = table_factory(150, seed=0)
    assert association_error(real, real.copy()) == 0
    assert correlation_distance(real, real.copy()) == 0


def test_constant_column_has_no_association():
    table = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [5.0] * 4, "c": ["x"] * 4})
    matrix = association_matrix(table)
    assert matrix.loc["a", "b"] == 0 and matrix.loc["a", "c"] == 0


def test_many_categorical_columns_are_fast():
    rng = np.random.RandomState(0)
    table = pd.DataFrame({f"c{i}": rng.choice(list("abcdefghij"), 5000) for i in range(25)})
    start = time.perf_counter()
    pair_fidelity(table, table.sample(frac=1, random_state=1))
    assert time.perf_counter() - start < 10
