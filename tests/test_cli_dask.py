"""``skltab sample --workers N`` and ``--scheduler ADDRESS``: the rows of one process,
written by the workers of a Dask cluster."""

import sys

import pandas as pd
import pytest

from skltab.cli import main
from skltab.utils.estimator_checks import make_check_table

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")


@pytest.fixture
def model(tmp_path):
    real = tmp_path / "real.csv"
    make_check_table(150).to_csv(real, index=False)
    path = tmp_path / "model.skltab"
    assert main(["fit", str(real), "-o", str(path), "--target", "segment",
                 "--random-state", "0"]) == 0
    return path


def test_local_workers_write_the_rows_of_one_process_to_parquet(tmp_path, model, capsys):
    one_process, cluster = tmp_path / "one.parquet", tmp_path / "cluster.parquet"
    common = ["sample", str(model), "-n", "2500", "--chunk-size", "1024", "--random-state", "4"]
    assert main([*common, "-o", str(one_process)]) == 0
    assert main([*common, "-o", str(cluster), "--workers", "2"]) == 0
    message = capsys.readouterr().out.splitlines()[-1]
    assert message == (f"Wrote 2500 rows to {cluster} on a local cluster of 2 worker(s), "
                       "in 3 partition(s)")
    assert cluster.is_dir() and len(list(cluster.glob("*.parquet"))) == 3
    rows = pd.read_parquet(cluster)
    assert list(rows.columns)[-1] == "segment"
    pd.testing.assert_frame_equal(rows, pd.read_parquet(one_process))


def test_a_running_scheduler_writes_the_rows_of_one_process_to_csv(tmp_path, model, capsys):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert main(["sample", str(model), "-n", "2100", "--chunk-size", "1024",
                     "-o", str(tmp_path / "cluster.csv"), "--scheduler",
                     cluster.scheduler_address]) == 0
    assert f"the scheduler {cluster.scheduler_address} of 2 worker(s)" in capsys.readouterr().out
    # Without --random-state both draw from the saved model's generator, in the same state.
    assert main(["sample", str(model), "-n", "2100", "-o", str(tmp_path / "one.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cluster.csv"),
                                  pd.read_csv(tmp_path / "one.csv"))


def test_cluster_options_are_checked(tmp_path, model, capsys, monkeypatch):
    out = str(tmp_path / "s.parquet")
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(model), "-n", "10", "-o", out, "--workers", "0"])
    assert exit_info.value.code == 2 and "expected an integer >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(model), "-n", "10", "-o", out, "--workers", "2",
              "--scheduler", "tcp://localhost:8786"])
    assert exit_info.value.code == 2 and "not allowed with" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["sample", str(model), "-n", "10", "-o", out, "--workers", "2"]) == 1
    assert 'pip install "skltab[dask]"' in capsys.readouterr().err


def test_workers_warn_of_rows_the_privacy_guard_kept_as_one_process_does(tmp_path):
    from skltab import MaskedDiffusionSynthesizer
    from skltab.cli import save_model

    synthesizer = MaskedDiffusionSynthesizer(
        hidden_dim=16, n_layers=1, embedding_dim=4, epochs=2, batch_size=64,
        n_sampling_steps=3, random_state=0).fit(make_check_table(150))
    synthesizer.privacy_guard_.threshold_ *= 10  # a stricter guard, so that rows stay close
    path = tmp_path / "model.skltab"
    save_model(synthesizer, path)
    common = ["sample", str(path), "-n", "5000", "--chunk-size", "4096", "--random-state", "1"]
    messages = []
    for where in (["-o", str(tmp_path / "one.csv")],
                  ["-o", str(tmp_path / "cluster.csv"), "--workers", "1"]):
        with pytest.warns(UserWarning, match="still closer to a real row") as caught:
            assert main([*common, *where]) == 0
        messages.append([str(w.message) for w in caught if "still closer" in str(w.message)])
    assert len(messages[0]) == 1 and messages[0] == messages[1]
