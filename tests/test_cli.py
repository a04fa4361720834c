"""The skltab command line, run as a user would."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import skltab
from skltab.cli import main
from skltab.utils.estimator_checks import make_check_table


@pytest.fixture
def real_csv(tmp_path):
    path = tmp_path / "real.csv"
    make_check_table(150).to_csv(path, index=False)
    return path


def test_fit_then_sample_streams_chunks_to_csv(tmp_path, real_csv, capsys):
    model = tmp_path / "model.skltab"
    assert main(["fit", str(real_csv), "-o", str(model), "-p", "n_quantiles=30",
                 "--random-state", "3"]) == 0
    out = tmp_path / "synthetic.csv"
    assert main(["sample", str(model), "-n", "2500", "--chunk-size", "1000",
                 "-o", str(out), "--random-state", "1"]) == 0
    synthetic, real = pd.read_csv(out), pd.read_csv(real_csv)
    assert synthetic.shape == (2500, real.shape[1]) and list(synthetic.columns) == list(
        real.columns)
    assert synthetic["customer_id"].is_unique
    assert set(synthetic["segment"]) <= set(real["segment"])
    assert "Wrote 2500 rows" in capsys.readouterr().out
    main(["sample", str(model), "-n", "2500", "-o", str(tmp_path / "again.csv"),
          "--random-state", "1"])
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), synthetic)
    assert skltab.load(model).n_quantiles == 30


def test_a_pickle_is_written_and_read_for_a_joblib_or_pkl_name(tmp_path, real_csv):
    import joblib

    for name in ("model.joblib", "model.pkl"):
        model = tmp_path / name
        assert main(["fit", str(real_csv), "-o", str(model), "-p", "n_quantiles=30"]) == 0
        assert joblib.load(model).n_quantiles == 30
        assert main(["sample", str(model), "-n", "10", "-o", str(tmp_path / "s.csv")]) == 0
        assert len(pd.read_csv(tmp_path / "s.csv")) == 10


def test_a_synthesizer_of_the_user_samples_once_trusted(tmp_path, real_csv, capsys,
                                                        monkeypatch):
    (tmp_path / "my_models.py").write_text(
        "from skltab import IndependentSynthesizer\n\n\n"
        "class MySynthesizer(IndependentSynthesizer):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    model, out = str(tmp_path / "m.skltab"), str(tmp_path / "s.csv")
    assert main(["fit", str(real_csv), "-o", model, "-s", "my_models:MySynthesizer"]) == 0
    assert main(["sample", model, "-n", "10", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "my_models:MySynthesizer" in err and "--trust module:Class" in err
    assert main(["sample", model, "-n", "10", "-o", out, "--trust",
                 "my_models:MySynthesizer"]) == 0
    assert len(pd.read_csv(out)) == 10


def test_parquet_in_and_out_with_a_target(tmp_path, real_csv):
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "real.parquet"
    pd.read_csv(real_csv).to_parquet(parquet)
    model = tmp_path / "m.skltab"
    assert main(["fit", str(parquet), "-o", str(model), "--target", "segment"]) == 0
    assert main(["sample", str(model), "-n", "300", "--chunk-size", "128",
                 "-o", str(tmp_path / "s.parquet")]) == 0
    synthetic = pd.read_parquet(tmp_path / "s.parquet")
    assert len(synthetic) == 300 and synthetic.columns[-1] == "segment"


def test_info_prints_kinds_and_json(real_csv, capsys):
    assert main(["info", str(real_csv)]) == 0
    text = capsys.readouterr().out
    assert "customer_id" in text and "categorical" in text
    assert main(["info", str(real_csv), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    kinds = {c["name"]: c["kind"] for c in data["columns"]}
    assert kinds["customer_id"] == "id" and kinds["joined"] == "datetime"


def test_metadata_file_overrides_inference(tmp_path, real_csv, capsys):
    main(["info", str(real_csv), "--json"])
    data = json.loads(capsys.readouterr().out)
    for column in data["columns"]:
        if column["name"] == "age":
            column.update(kind="categorical",
                          categories=sorted(pd.read_csv(real_csv)["age"].unique().tolist()))
            column.pop("min"), column.pop("max")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(data))
    model = tmp_path / "m.skltab"
    assert main(["fit", str(real_csv), "-o", str(model), "--metadata", str(meta)]) == 0
    assert skltab.load(model).metadata_["age"].kind == "categorical"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "missing.csv", "-o", "m.skltab"], "file 'missing.csv' not found"),
        (["fit", "{real}", "-o", "m.skltab", "-s", "magic"], "Unknown synthesizer 'magic'"),
        (["fit", "{real}", "-o", "m.skltab", "-p", "speed=3"],
         "IndependentSynthesizer has no parameters ['speed']"),
        (["fit", "{real}", "-o", "m.skltab", "-p", "n_quantiles"], "--param expects NAME=VALUE"),
        (["fit", "{real}", "-o", "m.skltab", "-p", "n_quantiles=-4"], "'n_quantiles' parameter"),
        (["fit", "{real}", "-o", "m.skltab", "--target", "nope"],
         "--target 'nope' is not a column"),
        (["sample", "{real}", "-n", "5", "-o", "x.csv"], "is not a skltab model file"),
        (["sample", "missing.skltab", "-n", "5", "-o", "x.csv"], "No such file"),
        (["oversample", "{real}", "--target", "segment", "-o", "x.csv", "--sampling-strategy",
          '{"retail": 90, "private": 50}'], "classes absent from the target: ['private']"),
        (["oversample", "{real}", "--target", "segment", "-o", "x.csv", "--sampling-strategy",
          "balanced"], "'sampling_strategy' parameter"),
    ],
)
def test_errors_exit_non_zero_with_a_message(tmp_path, real_csv, capsys, argv, message):
    argv = [a.replace("{real}", str(real_csv)) for a in argv]
    argv = [str(tmp_path / a) if a.endswith((".skltab", "x.csv")) else a for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("skltab: error:") and message in err


def test_oversample_writes_real_rows_then_synthetic_ones(tmp_path, real_csv, capsys):
    out = tmp_path / "resampled.csv"
    assert main(["oversample", str(real_csv), "--target", "segment", "-o", str(out),
                 "-s", "independent", "-p", "n_quantiles=20", "--random-state", "0"]) == 0
    real, resampled = pd.read_csv(real_csv), pd.read_csv(out)
    counts = resampled["segment"].value_counts().to_dict()
    # the default, "geometric": sqrt(44 * 87) = 61.9 and sqrt(19 * 87) = 40.7 rows
    assert counts == {"retail": 87, "corporate": 62, "public": 41}
    pd.testing.assert_frame_equal(resampled.iloc[:len(real)], real)
    assert resampled["customer_id"].iloc[len(real):].notna().all()
    assert "Added 40 synthetic rows (corporate: 44 -> 62, public: 19 -> 41" in \
        capsys.readouterr().out

    assert main(["oversample", str(real_csv), "--target", "segment", "-o", str(out),
                 "--sampling-strategy", "auto", "-s", "independent"]) == 0
    assert set(pd.read_csv(out)["segment"].value_counts()) == {87}

    assert main(["oversample", str(real_csv), "--target", "segment", "-o", str(out),
                 "--sampling-strategy", '{"public": 30}', "--conditioned"]) == 0
    assert pd.read_csv(out)["segment"].value_counts()["public"] == 30


def test_bad_sample_count_is_reported(tmp_path, real_csv, capsys):
    model = tmp_path / "m.skltab"
    main(["fit", str(real_csv), "-o", str(model)])
    assert main(["sample", str(model), "-n", "0", "-o", str(tmp_path / "x.csv")]) == 1
    assert "n_samples must be an integer >= 1" in capsys.readouterr().err


def test_unreadable_csv_is_reported(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2,3,4\n\xff\xfe")
    assert main(["info", str(bad)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_usage_errors_exit_with_2():
    result = subprocess.run([sys.executable, "-m", "skltab", "fit"], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "the following arguments are required" in result.stderr


def test_console_script_and_module_agree():
    result = subprocess.run([sys.executable, "-m", "skltab", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == f"skltab {skltab.__version__}"


def test_demo_writes_the_table_the_model_and_a_report(tmp_path, capsys):
    output = tmp_path / "demo"
    assert main(["demo", "-o", str(output), "-n", "1000"]) == 0
    real, synthetic = pd.read_csv(output / "real.csv"), pd.read_csv(output / "synthetic.csv")
    assert list(synthetic.columns) == list(real.columns) and len(synthetic) == 750
    summary = pd.read_csv(output / "evaluation_summary.csv", index_col=0)
    assert summary.loc["rule_violation_rate", "value"] == 0
    assert 0.4 < summary.loc["detection_auc", "value"] < 1
    assert (output / "report.html").read_text().count("data:image/png;base64") >= 3
    assert "LogicCompressor -> FastGenSynthesizer" in capsys.readouterr().out
    assert skltab.load(output / "model.skltab").sample(5).shape == (5, real.shape[1])


def test_evaluate_compares_two_files(tmp_path, capsys):
    real = make_check_table(200)
    real.iloc[:100].to_csv(tmp_path / "test.csv", index=False)
    real.iloc[100:].to_csv(tmp_path / "train.csv", index=False)
    real.iloc[100:].to_csv(tmp_path / "copy.csv", index=False)
    html = tmp_path / "report.html"
    assert main(["evaluate", str(tmp_path / "test.csv"), str(tmp_path / "copy.csv"),
                 "--train", str(tmp_path / "train.csv"), "--html", str(html),
                 "--json", str(tmp_path / "report.json")]) == 0
    out = capsys.readouterr().out
    copy_rate = [line for line in out.splitlines() if line.startswith("exact_copy_rate")][0]
    assert float(copy_rate.split()[1]) == 1.0, "a copy of the training rows is all copies"
    assert html.is_file() and json.loads((tmp_path / "report.json").read_text())


def test_reward_tuning_from_the_command_line(tmp_path, real_csv):
    pytest.importorskip("torch")
    model = tmp_path / "model.skltab"
    assert main(["fit", str(real_csv), "-s", "reward_tuned", "-o", str(model),
                 "-p", "n_rounds=1", "-p", 'rewards=["marginals", "privacy"]',
                 "--random-state", "0"]) == 0
    tuned = skltab.load(model)
    assert type(tuned).__name__ == "RewardTunedSynthesizer"
    assert [r["round"] for r in tuned.history_] == [0, 1]
    assert "reward_marginals" in tuned.history_[1]
    out = tmp_path / "synthetic.csv"
    assert main(["sample", str(model), "-n", "40", "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) == 40
