"""evaluate and EvaluationReport: summary, details, figures, HTML and JSON."""

import base64
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from skltab.metrics import column_fidelity, detection_auc, evaluate

BASE = ["wasserstein", "jensen_shannon", "total_variation", "ks_statistic",
        "missing_rate_difference", "inverse_kl", "association_error", "correlation_distance",
        "detection_auc", "precision", "recall", "density", "coverage"]
CLASSIFICATION = ["tstr_accuracy", "tstr_macro_f1", "tstr_roc_auc", "trtr_accuracy",
                  "trtr_macro_f1", "trtr_roc_auc", "utility_ratio"]
PRIVACY = ["dcr_synthetic", "dcr_holdout", "dcr_ratio", "exact_copy_rate", "nndr",
           "membership_inference_auc"]


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
    assert set(content) == {"summary", "columns", "pairs", "rules", "notes"}
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
