"""evaluate and EvaluationReport: summary, details, figures, HTML and JSON."""

import base64
import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from skltab.metrics import CopyingWarning, column_fidelity, detection_auc, evaluate

BASE = ["wasserstein", "jensen_shannon", "total_variation", "ks_statistic",
        "missing_rate_difference", "inverse_kl", "invented_value_rate", "association_error",
        "correlation_distance", "detection_auc", "precision", "recall", "density", "coverage"]
CLASSIFICATION = ["tstr_accuracy", "tstr_macro_f1", "tstr_roc_auc", "trtr_accuracy",
                  "trtr_macro_f1", "trtr_roc_auc", "utility_ratio"]
PRIVACY = ["dcr_synthetic", "dcr_holdout", "dcr_ratio", "too_close_rate", "too_close_reference",
           "exact_copy_rate", "holdout_exact_copy_rate", "nndr", "membership_inference_auc"]


@pytest.fixture
def tables(table_factory):
    return {"real": table_factory(200, seed=0), "train": table_factory(200, seed=1),
            "synthetic": table_factory(200, seed=2, shift=0.3)}


@pytest.fixture
def full_report(tables):
    return evaluate(tables["real"], tables["synthetic"], train=tables["train"],
                    target="label", rules=["y >= 2 * x - 3", "color -> flag"])


def test_summary_lists_every_metric_with_direction_and_category(full_report):
    summary = full_report.summary()
    assert list(summary.columns) == ["value", "greater_is_better", "category"]
    assert set(summary.index) == set(BASE + CLASSIFICATION + PRIVACY + ["rule_violation_rate"])
    assert summary.loc["detection_auc", "category"] == "detection"
    assert summary.loc["dcr_ratio", "category"] == "privacy"
    assert summary.loc["association_error", "category"] == "pairs"
    assert not summary.loc["wasserstein", "greater_is_better"]
    assert summary.loc["coverage", "greater_is_better"]
    assert summary["value"].notna().all()


def test_summary_values_are_the_metric_functions(tables, full_report):
    summary = full_report.summary()["value"]
    assert summary["ks_statistic"] == pytest.approx(
        column_fidelity(tables["real"], tables["synthetic"])["ks_statistic"].mean())
    assert summary["detection_auc"] == detection_auc(tables["real"], tables["synthetic"])


def test_metrics_follow_what_is_given(tables):
    bare = evaluate(tables["real"], tables["synthetic"]).summary()
    assert list(bare.index) == BASE
    regression = evaluate(tables["real"], tables["synthetic"], target="y").summary()
    assert set(regression.index) - set(BASE) == {"tstr_r2", "tstr_rmse"}


def test_details_per_column_pair_and_rule(full_report, tables):
    columns = full_report.details()
    assert list(columns.index) == list(tables["real"].columns)
    pairs = full_report.details("pairs")
    assert len(pairs) == 7 * 6 // 2
    rules = full_report.details("rules")
    assert list(rules.columns) == ["synthetic", "real"]
    assert rules.loc["color -> flag", "real"] > 0  # color and flag are independent
    with pytest.raises(ValueError, match="level must be one of"):
        full_report.details("rows")


def test_details_without_rules_say_so(tables):
    report = evaluate(tables["real"], tables["synthetic"])
    with pytest.raises(ValueError, match="pass rules= to evaluate"):
        report.details("rules")


def test_to_json(full_report):
    content = json.loads(full_report.to_json())
    assert set(content) == {"summary", "columns", "pairs", "rules", "notes", "warnings"}
    assert content["summary"]["inverse_kl"]["category"] == "fidelity"
    assert content["summary"]["detection_auc"]["value"] == pytest.approx(
        full_report.summary().loc["detection_auc", "value"])
    color = next(row for row in content["columns"] if row["column"] == "color")
    assert color["wasserstein"] is None


def test_plot_draws_every_column(full_report, tables):
    figures = full_report.plot()
    assert set(figures) == {"marginals", "associations", "projection"}
    titled = [ax.get_title() for ax in figures["marginals"].axes if ax.get_visible()]
    assert titled == [f"{name} ({kind})" for name, kind in
                      full_report.details()["kind"].items()]
    assert [ax.get_title() for ax in figures["associations"].axes[:3]] == [
        "real", "synthetic", "|real - synthetic|"]


def test_to_html_is_one_page_with_every_figure(full_report, tmp_path):
    path = full_report.to_html(tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    for name in ["membership_inference_auc", "tstr_roc_auc", "rule_violation_rate"]:
        assert name in page
    assert "<script" not in page and "http" not in page


def test_large_tables_are_subsampled_and_the_report_says_so(tables, monkeypatch):
    monkeypatch.setattr("skltab.metrics._detection.DETECTION_MAX_ROWS", 80)
    monkeypatch.setattr("skltab.metrics._diversity.NEIGHBORS_MAX_ROWS", 60)
    first = evaluate(tables["real"], tables["synthetic"], random_state=2)
    notes = " ".join(first.notes)
    assert "detection: real subsampled from 200 to 80 rows (seed 2)" in notes
    assert "diversity: synthetic subsampled from 200 to 60 rows" in notes
    second = evaluate(tables["real"], tables["synthetic"], random_state=2)
    assert first.summary().equals(second.summary())
    assert "subsampled" in json.loads(first.to_json())["notes"][0]


def test_importing_the_metrics_does_not_import_matplotlib():
    code = "import sys, skltab.metrics; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_report_repr_shows_the_summary(full_report):
    assert "detection_auc" in repr(full_report)
    assert np.isfinite(full_report.summary()["value"]).all()


@pytest.fixture
def split(table_factory):
    return {"train": table_factory(500, seed=0), "holdout": table_factory(500, seed=1)}


def test_a_fresh_draw_raises_no_copying_warning(split, table_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CopyingWarning)
        report = evaluate(split["holdout"], table_factory(500, seed=2), train=split["train"])
    assert report.warnings == []
    assert "Warning" not in repr(report) and json.loads(report.to_json())["warnings"] == []


def test_copies_of_the_training_rows_are_reported(split, tmp_path):
    copies = split["train"].sample(frac=1, random_state=0)
    with pytest.warns(CopyingWarning) as caught:
        report = evaluate(split["holdout"], copies, train=split["train"])
    assert [str(warning.message) for warning in caught] == report.warnings
    assert len(report.warnings) == 2
    assert report.warnings[0].startswith("too_close_rate is 1.000, more than 1.5 x "
                                         "too_close_reference (0.0")
    assert report.warnings[1].startswith("exact_copy_rate is 1.000, more than "
                                         "holdout_exact_copy_rate (0.000) + 0.01")
    assert f"Warning: {report.warnings[1]}" in repr(report)
    assert json.loads(report.to_json())["warnings"] == report.warnings
    page = report.to_html(tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Warnings</h2>" in page and "too_close_rate is 1.000" in page
    assert "exact_copy_rate is 1.000" in report._repr_html_()


def test_near_copies_fool_detection_and_the_report_says_so(table_factory):
    # copies with a little noise are not identical rows: the detector learns each one on the
    # wrong side, and scores far below 0.5
    real = table_factory(300, seed=0)
    near_copies = real.sample(frac=1, random_state=1).reset_index(drop=True)
    near_copies["x"] += 1e-3 * np.random.RandomState(0).normal(size=len(near_copies))
    with pytest.warns(CopyingWarning, match="below 0.45: the synthetic rows likely copy real "
                                            "rows; look at the privacy metrics"):
        report = evaluate(real, near_copies)
    assert report.summary().loc["detection_auc", "value"] < 0.45
    assert "evaluate with train=" in report.warnings[0]


def test_a_table_repeating_one_row_is_detected_and_the_folds_are_noted(table_factory):
    real = table_factory(300, seed=0)
    collapsed = pd.concat([real.iloc[[7]]] * 300, ignore_index=True)
    report = evaluate(real, collapsed)
    assert report.summary().loc["detection_auc", "value"] > 0.9
    assert any("identical rows could not be kept in one fold" in note for note in report.notes)
