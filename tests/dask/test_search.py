"""Searches over synthesizers on a local Dask cluster of worker processes, through joblib's
Dask backend: the results of the same search in one process."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from skltab import (
    FastGenSynthesizer,
    IndependentSynthesizer,
    MaskedDiffusionSynthesizer,
    make_synthesis_pipeline,
)
from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import LogicCompressor
from skltab.metrics import SynthesisScorer, get_scorer

distributed = pytest.importorskip("distributed")

TINY_DIFFUSION = {"hidden_dim": 16, "n_layers": 1, "embedding_dim": 4, "n_heads": 2,
                  "epochs": 2, "batch_size": 64, "n_sampling_steps": 3}


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each: estimators and scorers travel pickled."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def demo():
    return load_demo(n_samples=240, random_state=0)


def _on_the_cluster(client, run):
    """Run ``run()`` with joblib's Dask backend; return its result and the workers that
    ran tasks."""
    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_config(backend="dask"):
            result = run()
    return result, {task["worker"] for task in tasks.data}


def test_grid_search_with_a_scorer_dict_matches_one_process(client, demo):
    def search():
        return GridSearchCV(
            IndependentSynthesizer(random_state=0), {"n_quantiles": [2, 30, 100]},
            scoring=SynthesisScorer(["neg_wasserstein", "neg_ks_statistic"]),
            refit="neg_ks_statistic", cv=3, n_jobs=-1, error_score="raise",
        ).fit(demo)

    distributed_search, workers = _on_the_cluster(client, search)
    assert workers and workers <= set(client.scheduler_info()["workers"])
    serial_search = search()
    for key in ("mean_test_neg_wasserstein", "mean_test_neg_ks_statistic"):
        np.testing.assert_array_equal(distributed_search.cv_results_[key],
                                      serial_search.cv_results_[key])
    assert distributed_search.best_params_ == serial_search.best_params_
    assert distributed_search.best_params_ != {"n_quantiles": 2}


def test_cross_validate_a_logic_pipeline_with_a_target(client, demo):
    X, y = demo.drop(columns="payment_method"), demo["payment_method"]

    def run():
        pipeline = make_synthesis_pipeline(LogicCompressor(rules=DEMO_RULES),
                                           FastGenSynthesizer(random_state=0))
        return cross_validate(pipeline, X, y, cv=3, n_jobs=-1, error_score="raise",
                              scoring=SynthesisScorer(["neg_wasserstein", "tstr_accuracy"]))

    results, workers = _on_the_cluster(client, run)
    assert workers
    serial = run()
    for key in ("test_neg_wasserstein", "test_tstr_accuracy"):
        np.testing.assert_array_equal(results[key], serial[key])
    assert np.all((results["test_tstr_accuracy"] >= 0) & (results["test_tstr_accuracy"] <= 1))


def test_grid_search_over_the_diffusion(client, demo, one_torch_thread):
    # Dask's worker processes run torch on one thread; so does the search here
    # (one_torch_thread), for the same sums.
    def search():
        return GridSearchCV(
            MaskedDiffusionSynthesizer(**TINY_DIFFUSION, random_state=0),
            {"temperature": [0.5, 1.0]}, scoring=get_scorer("neg_wasserstein"), cv=2,
            n_jobs=-1, error_score="raise",
        ).fit(demo)

    distributed_search, workers = _on_the_cluster(client, search)
    assert workers
    np.testing.assert_allclose(distributed_search.cv_results_["mean_test_score"],
                               search().cv_results_["mean_test_score"], rtol=1e-6)
    assert distributed_search.best_estimator_.sample(5, random_state=0).shape == (5, 20)
