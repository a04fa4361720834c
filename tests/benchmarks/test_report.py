"""The summary over seeds of the benchmark report: per table and synthesizer, the mean and
standard deviation of each metric over the runs that computed it."""

import math

from bench_report import SEED_COLUMNS, main, render_seeds


def _run(seed, results):
    return {"name": f"seeds_s{seed}", "seed": seed, "date": f"2026-12-0{seed + 1} 00:00 UTC",
            "datasets": {"wine": {}, "adult": {}}, "results": results}


def _result(dataset, synthesizer, fit_seconds, association_error, error=None):
    metrics = {"association_error": association_error, "detection_auc": 0.5,
               "utility_ratio": float("nan")}
    return {"dataset": dataset, "synthesizer": synthesizer, "fit_seconds": fit_seconds,
            "metrics": metrics, "error": error}


def _rows(section):
    return [line.split(" | ") for line in section.splitlines() if line.startswith("| wine")
            or line.startswith("| adult")]


def test_summary_gives_mean_and_sample_deviation_per_table_and_synthesizer():
    values = [(2.0, 0.10, 50.0, 0.02), (4.0, 0.20, 70.0, 0.04), (3.0, 0.30, 60.0, 0.03)]
    runs = [_run(seed, [_result("wine", "diffusion", wine_fit, wine_error),
                        _result("adult", "diffusion", adult_fit, adult_error)])
            for seed, (wine_fit, wine_error, adult_fit, adult_error) in enumerate(values)]
    rows = _rows(render_seeds(runs, "seeds"))
    assert [row[0] for row in rows] == ["| wine", "| adult"]
    wine = rows[0]
    assert wine[2] == "3"
    assert wine[3] == "3.0 ± 1.0"
    assert wine[4] == f"0.200 ± {math.sqrt(0.01):.3f}"
    assert wine[5] == "0.500 ± 0.000"
    # a metric no run computed, and one that none reports, are dashes
    assert wine[6] == "–" and wine[7] == "–"
    assert len(wine) == 3 + len(SEED_COLUMNS)


def test_failed_runs_are_left_out_and_counted():
    runs = [_run(0, [_result("wine", "great", 10.0, 0.3), _result("adult", "great", 1.0, 0.1)]),
            _run(1, [_result("wine", "great", None, None, error="ValueError: empty"),
                     _result("adult", "great", 3.0, 0.2)])]
    wine, adult = _rows(render_seeds(runs, "seeds"))
    assert wine[2] == "1" and wine[3] == "10.0" and wine[4] == "0.300"
    assert adult[2] == "2" and adult[3] == "2.0 ± 1.4"


def test_command_line_writes_the_section_between_its_markers(tmp_path):
    import json

    paths = []
    for seed, value in ((0, 0.1), (1, 0.3)):
        path = tmp_path / f"s{seed}.json"
        path.write_text(json.dumps(_run(seed, [_result("wine", "diffusion", 1.0, value)])))
        paths.append(str(path))
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n\nReading kept.\n", encoding="utf-8")
    main(paths + ["--seeds", "spread", "--output", str(output)])
    text = output.read_text(encoding="utf-8")
    assert "Reading kept." in text
    section = text.split("<!-- benchmark:spread:start -->")[1].split(
        "<!-- benchmark:spread:end -->")[0]
    assert "seeds 0, 1" in section
    assert "| wine | `diffusion` | 2 | 1.0 ± 0.0 | 0.200 ± 0.141 |" in section
