"""Per-row metrics: realism, distance to the closest real row, rule satisfaction, and the
aggregates computed from them."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict, cross_val_score

from skltab.logic import LogicCompressor, LogicRestorer
from skltab.metrics import (
    closest_real_distance,
    detection_auc,
    privacy_scores,
    realism_samples,
    rule_satisfaction_samples,
    rule_violation_rate,
)
from skltab.metrics._data import TablePair
from skltab.metrics._registry import compute_metrics


def _numbers(n_rows, seed, shift=0.0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n_rows) + shift
    return pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.5, size=n_rows)})


def test_shifted_rows_are_less_realistic_than_fresh_rows(table_factory):
    real = table_factory(300, seed=0)
    synthetic = pd.concat([table_factory(150, seed=1), table_factory(150, seed=2, shift=3)],
                          ignore_index=True)
    realism = realism_samples(real, synthetic)
    assert realism.shape == (300,)
    assert ((realism >= 0) & (realism <= 1)).all()
    fresh, shifted = realism[:150], realism[150:]
    assert np.median(fresh) > 0.5 and np.median(shifted) < 0.1
    assert np.median(shifted) < np.percentile(fresh, 10)


def test_realism_and_detection_are_the_out_of_fold_predictions_of_one_discriminator():
    # numbers only, as many rows in each table: the discriminator sees the values as they are
    real, synthetic = _numbers(200, seed=0), _numbers(200, seed=1, shift=0.5)
    X = np.vstack([real.to_numpy(), synthetic.to_numpy()])
    y = np.repeat([0, 1], 200)
    # one group per distinct row, identified as the metric identifies rows: by their hash
    groups = pd.util.hash_pandas_object(pd.DataFrame(X), index=False).to_numpy()
    folds = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    classifier = HistGradientBoostingClassifier(random_state=0)
    expected_auc = cross_val_score(classifier, X, y, groups=groups, cv=folds,
                                   scoring="roc_auc").mean()
    proba = cross_val_predict(classifier, X, y, groups=groups, cv=folds,
                              method="predict_proba")
    assert detection_auc(real, synthetic) == pytest.approx(expected_auc, abs=1e-12)
    assert realism_samples(real, synthetic) == pytest.approx(proba[200:, 0], abs=1e-12)


def test_rows_beyond_the_subsample_are_scored_too():
    # more synthetic rows than real ones: the discriminator trains on 150 of them
    real = _numbers(150, seed=0)
    synthetic = pd.concat([_numbers(300, seed=1), _numbers(300, seed=2, shift=4)],
                          ignore_index=True)
    realism = realism_samples(real, synthetic)
    assert realism.shape == (600,) and np.isfinite(realism).all()
    assert np.median(realism[:300]) > 0.4 and np.median(realism[300:]) < 0.1


def test_identical_rows_get_one_realism():
    real = _numbers(100, seed=0)
    fresh = _numbers(100, seed=1, shift=0.5)
    synthetic = pd.concat([fresh, fresh.iloc[::-1], real.iloc[:20]], ignore_index=True)
    realism = realism_samples(real, synthetic)
    np.testing.assert_array_equal(realism[:100], realism[100:200][::-1])
    assert len(np.unique(realism[:100])) > 10


def test_realism_is_deterministic_for_a_seed(table_factory):
    real, synthetic = table_factory(150, seed=0), table_factory(200, seed=1, shift=0.3)
    first = realism_samples(real, synthetic, n_splits=4, random_state=3)
    np.testing.assert_array_equal(first, realism_samples(real, synthetic, n_splits=4,
                                                         random_state=3))
    assert not np.array_equal(first, realism_samples(real, synthetic, random_state=4))


def test_realism_checks_its_input(table_factory):
    real = table_factory(30, seed=0)
    with pytest.raises(ValueError, match=r"missing \['x'\], unexpected \['z'\]"):
        realism_samples(real, real.rename(columns={"x": "z"}))
    for bad in (1, 2.0, True):
        with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
            realism_samples(real, real, n_splits=bad)
    with pytest.raises(ValueError, match="needs at least 5 rows in each table; got 4"):
        realism_samples(real, real.iloc[:4], n_splits=5)


def test_a_copied_row_is_at_distance_zero(table_factory):
    real = table_factory(200, seed=0)
    synthetic = pd.concat([real.iloc[[3, 10, 42]], table_factory(50, seed=1)],
                          ignore_index=True)
    assert real.iloc[[3, 10, 42]].isna().any(axis=None)  # missing values copied too
    distances = closest_real_distance(real, synthetic)
    assert distances.shape == (53,)
    assert (distances[:3] == 0).all() and (distances[3:] > 0).all()


def test_distances_follow_their_definition():
    # a number counts by the share of its real range it moves, a category by 1
    real = pd.DataFrame({"x": [0.0, 4.0, 10.0], "color": ["red", "red", "blue"]})
    synthetic = pd.DataFrame({"x": [5.0, 10.0, 0.0, 7.0, 1.0],
                              "color": ["red", "red", "blue", "blue", "green"]})
    expected = [0.1, 0.6, 1.0, 0.3, np.hypot(0.1, 1.0)]
    np.testing.assert_allclose(closest_real_distance(real, synthetic), expected)


def test_dcr_is_the_median_distance_to_the_closest_training_row():
    rng = np.random.RandomState(0)
    train = pd.DataFrame({"x": rng.uniform(0, 10, 200)})
    holdout = pd.DataFrame({"x": rng.uniform(1, 9, 80)})  # within the training range
    synthetic = pd.DataFrame({"x": rng.uniform(0, 10, 120)})
    span = train["x"].max() - train["x"].min()
    to_train = np.abs(synthetic["x"].to_numpy()[:, None] - train["x"].to_numpy()).min(axis=1)
    distances = closest_real_distance(train, synthetic)
    np.testing.assert_allclose(distances, to_train / span)
    scores = privacy_scores(holdout, synthetic, train=train)
    assert scores["dcr_synthetic"] == pytest.approx(np.median(distances))


def test_distance_checks_its_input(table_factory):
    real = table_factory(30, seed=0)
    with pytest.raises(ValueError, match=r"missing \['color'\], unexpected \[\]"):
        closest_real_distance(real, real.drop(columns="color"))
    with pytest.raises(TypeError, match="synthetic must be a pandas DataFrame"):
        closest_real_distance(real, real.to_numpy())


RULES = ["total = unit_price * quantity", "start <= end", "quantity >= 1"]


def test_a_row_that_breaks_a_rule_scores_lower(orders):
    shares = rule_satisfaction_samples(orders, RULES)
    np.testing.assert_allclose(shares, [1, 2 / 3, 2 / 3, 1])
    broken = orders.assign(quantity=[2, 3, 0, 3])  # row 3 now also breaks quantity >= 1
    assert rule_satisfaction_samples(broken, RULES)[2] == pytest.approx(1 / 3)


def test_the_violation_rate_counts_rows_below_full_satisfaction(orders):
    dates = orders[["start", "end"]].apply(pd.to_datetime)
    broken = ((orders["total"] - orders["unit_price"] * orders["quantity"]).abs() > 0.005) | (
        dates["start"] > dates["end"])
    assert rule_violation_rate(orders, RULES) == broken.mean()
    # the report's logic family, on rows checked against real ones
    pair = TablePair(orders, orders.iloc[[0, 1, 3]])
    values, _ = compute_metrics(pair, ["rule_violation_rate"], rules=RULES)
    assert values["rule_violation_rate"] == broken.iloc[[0, 1, 3]].mean()


def test_fitted_logic_transformers_give_their_rules(orders):
    clean = orders.drop(index=[1, 2]).reset_index(drop=True)
    restorer = LogicRestorer(RULES[:2]).fit(clean)
    np.testing.assert_allclose(rule_satisfaction_samples(orders, restorer), [1, 0.5, 0.5, 1])
    assert rule_violation_rate(orders, restorer) == 0.5
    with pytest.raises(NotFittedError):
        rule_satisfaction_samples(orders, LogicRestorer(RULES))


def test_a_compressor_checks_the_rules_it_found():
    from skltab.datasets import load_demo

    demo = load_demo(n_samples=300)
    compressor = LogicCompressor().fit(demo)
    assert (rule_satisfaction_samples(demo, compressor) == 1).all()
    broken = demo.assign(total=demo["total"] + 1)
    shares = rule_satisfaction_samples(broken, compressor)
    assert (shares < 1).all()
    # the mean share is one minus the mean violation rate that the compressor reports
    assert shares.mean() == pytest.approx(1 - compressor.check(broken)["violation_rate"].mean())


def test_rule_satisfaction_checks_its_input(orders):
    with pytest.raises(ValueError, match=r"reads columns \['price'\]"):
        rule_satisfaction_samples(orders, ["total = price * quantity"])
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        rule_satisfaction_samples(orders.to_numpy(), RULES)
    with pytest.raises(TypeError, match="wrap a single rule in a list"):
        rule_satisfaction_samples(orders, RULES[0])
    with pytest.raises(ValueError, match="rules is empty"):
        rule_satisfaction_samples(orders, [])
