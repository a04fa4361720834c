"""Detection and utility: metrics that train models."""

import numpy as np
import pandas as pd
import pytest

from skltab.metrics import detection_auc, utility_scores


def test_detection_cannot_tell_two_draws_of_one_distribution(table_factory):
    auc = detection_auc(table_factory(300, seed=0), table_factory(300, seed=1))
    assert 0.35 < auc < 0.65


def test_detection_recognizes_a_shifted_table(table_factory):
    auc = detection_auc(table_factory(300, seed=0), table_factory(300, seed=1, shift=3))
    assert auc > 0.95


def test_detection_sees_a_broken_correlation(table_factory):
    real = table_factory(400, seed=0, missing=False)
    synthetic = table_factory(400, seed=1, missing=False)
    synthetic["y"] = synthetic["y"].sample(frac=1, random_state=0).to_numpy()
    assert detection_auc(real, synthetic) > 0.8


def test_copies_of_the_real_rows_are_not_scored_below_chance(table_factory, monkeypatch):
    # identical rows share a fold: a row is never learnt as real and tested as synthetic
    real = table_factory(300, seed=0)
    copies = real.sample(frac=1, random_state=1)
    assert 0.45 <= detection_auc(real, copies) <= 0.55
    # every row its own group: plain stratified folds, where the copies score far below 0.5
    monkeypatch.setattr("skltab.metrics._detection.row_hashes",
                        lambda rows: np.arange(len(rows)))
    assert detection_auc(real, copies) < 0.3


def test_partial_copies_are_kept_in_one_fold(table_factory):
    real = table_factory(300, seed=0)
    synthetic = pd.concat([real.iloc[:150], table_factory(150, seed=1)], ignore_index=True)
    assert detection_auc(real, synthetic) >= 0.45


def test_detection_is_deterministic_for_a_seed(table_factory):
    real, synthetic = table_factory(200, seed=0), table_factory(200, seed=1, shift=0.3)
    assert detection_auc(real, synthetic, random_state=3) == detection_auc(
        real, synthetic, random_state=3)


def test_classification_utility(table_factory):
    test, train = table_factory(300, seed=0), table_factory(300, seed=1)
    scores = utility_scores(test, table_factory(300, seed=2), target="label", train=train)
    assert set(scores) == {"tstr_accuracy", "tstr_macro_f1", "tstr_roc_auc", "trtr_accuracy",
                           "trtr_macro_f1", "trtr_roc_auc", "utility_ratio"}
    assert scores["tstr_roc_auc"] > 0.8
    assert abs(scores["tstr_macro_f1"] - scores["trtr_macro_f1"]) < 0.1
    assert scores["utility_ratio"] == pytest.approx(
        scores["tstr_macro_f1"] / scores["trtr_macro_f1"])


def test_labels_unrelated_to_features_have_no_utility(table_factory):
    test = table_factory(300, seed=0)
    synthetic = table_factory(300, seed=2)
    synthetic["label"] = synthetic["label"].sample(frac=1, random_state=0).to_numpy()
    scores = utility_scores(test, synthetic, target="label")
    assert "trtr_accuracy" not in scores
    assert scores["tstr_roc_auc"] < 0.65


def test_regression_utility(table_factory):
    test, train = table_factory(300, seed=0, missing=False), table_factory(300, seed=1)
    scores = utility_scores(test, table_factory(300, seed=2), target="y", train=train)
    assert scores["tstr_r2"] > 0.75
    # y = 2 x + noise of scale 0.5: a good model's error is near the noise
    assert 0.4 < scores["tstr_rmse"] < 0.9
    assert 0.85 < scores["utility_ratio"] < 1.15


def test_multiclass_utility_with_a_class_missing_from_the_synthetic_rows(table_factory):
    test = table_factory(300, seed=0)
    synthetic = table_factory(300, seed=2)
    synthetic = synthetic[synthetic["color"] != "blue"]
    scores = utility_scores(test, synthetic, target="color", task="classification")
    assert 0 <= scores["tstr_roc_auc"] <= 1
    assert 0 <= scores["tstr_accuracy"] <= 1


def test_single_class_synthetic_predicts_the_prior(table_factory):
    test, synthetic = table_factory(200, seed=0), table_factory(200, seed=1)
    synthetic["label"] = "yes"
    scores = utility_scores(test, synthetic, target="label")
    assert scores["tstr_roc_auc"] == 0.5
    assert scores["tstr_accuracy"] == pytest.approx((test["label"] == "yes").mean())


def test_utility_errors_name_the_problem(table_factory):
    test, synthetic = table_factory(50, seed=0), table_factory(50, seed=1)
    with pytest.raises(ValueError, match="target 'price' is not a compared column"):
        utility_scores(test, synthetic, target="price")
    with pytest.raises(ValueError, match="'color' is categorical; it cannot be regressed"):
        utility_scores(test, synthetic, target="color", task="regression")
    with pytest.raises(ValueError, match="task must be one of"):
        utility_scores(test, synthetic, target="y", task="ranking")


def test_utility_is_deterministic_for_a_seed(table_factory):
    test, synthetic = table_factory(200, seed=0), table_factory(200, seed=1)
    first = utility_scores(test, synthetic, target="y", random_state=5)
    assert first == utility_scores(test, synthetic, target="y", random_state=5)
    assert np.isfinite(list(first.values())).all()
