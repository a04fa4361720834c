"""Every estimator of skltab through the safe format: it samples, goes on with its random
sequence, scores and trains on exactly as before saving; a GPU model loads on a CPU."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import skltab
from skltab import IndependentSynthesizer
from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import LogicCompressor, LogicRestorer
from skltab.pipeline import make_synthesis_pipeline
from skltab.utils.estimator_checks import make_check_table

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _relation_table(n_rows=60):
    rng = np.random.RandomState(0)
    size = rng.randint(0, 100, n_rows)
    return pd.DataFrame({"size": size, "shade": rng.choice(["light", "dark"], n_rows),
                         "kind": np.where(size >= 50, "big", "small")})


def _assert_same_output(first, second):
    if isinstance(first, tuple):
        pd.testing.assert_frame_equal(first[0], second[0])
        pd.testing.assert_series_equal(first[1], second[1])
    else:
        pd.testing.assert_frame_equal(first, second)


def _assert_loads_as_saved(fitted, loaded, X, y=None):
    """Same parameters, samples (seeded and continued), score and continued training."""
    assert loaded.get_params() == fitted.get_params()
    _assert_same_output(loaded.sample(25, random_state=0), fitted.sample(25, random_state=0))
    _assert_same_output(loaded.sample(25), fitted.sample(25))
    _assert_same_output(loaded.sample(25), fitted.sample(25))
    assert loaded.score(X, y) == fitted.score(X, y)
    loaded.partial_fit(X, y)
    fitted.partial_fit(X, y)
    _assert_same_output(loaded.sample(25, random_state=1), fitted.sample(25, random_state=1))


@pytest.mark.parametrize("denoiser", ["mlp", "resnet", "transformer"])
def test_diffusion_with_each_denoiser(denoiser, round_trip):
    from skltab.diffusion import MaskedDiffusionSynthesizer

    table = make_check_table()
    fitted = MaskedDiffusionSynthesizer(
        **MaskedDiffusionSynthesizer._get_test_params(), denoiser=denoiser, random_state=0
    ).fit(table)
    loaded = round_trip(fitted)
    parameters = list(loaded.model_.parameters())
    assert [id(p) for p in loaded.optimizer_.param_groups[0]["params"]] == list(
        map(id, parameters))
    assert not any(p.requires_grad for p in loaded.ema_model_.parameters())
    _assert_loads_as_saved(fitted, loaded, table)


@pytest.mark.parametrize("params", [
    {"model_config": {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 300}},
    {"model_config": {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 300},
     "lora_r": 2, "merge_lora": False},
    {"model_config": {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 300},
     "row_format": "fields"},
    {"model_config": {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 300},
     "row_format": "fields", "lora_r": 2, "merge_lora": False},
    {"pretrained": True},
    {"pretrained": True, "lora_r": 2},
    {"pretrained": True, "lora_r": 2, "lora_target_modules": ["c_attn", "c_proj"],
     "merge_lora": False},
], ids=["scratch", "scratch-lora-unmerged", "fields", "fields-lora-unmerged",
        "pretrained", "pretrained-lora-merged",
        "pretrained-lora-unmerged"])
def test_predllm_built_from_scratch_or_pretrained_with_or_without_lora(
        params, round_trip, request):
    pytest.importorskip("transformers")
    from skltab.llm import PredLLMSynthesizer

    params = dict(params)
    if params.pop("pretrained", False):
        params["model_name_or_path"] = request.getfixturevalue("pretrained_folder")
    table = _relation_table()
    X, y = table.drop(columns="kind"), table["kind"]
    fitted = PredLLMSynthesizer(**params, epochs=1, batch_size=20, random_state=0).fit(X, y)
    loaded = round_trip(fitted)
    assert type(loaded.model_) is type(fitted.model_)
    assert loaded.layout_.tokenizer is loaded.tokenizer_
    assert loaded.tokenizer_.to_str() == fitted.tokenizer_.to_str()
    trainable = [name for name, p in loaded.model_.named_parameters() if p.requires_grad]
    assert trainable == [name for name, p in fitted.model_.named_parameters() if p.requires_grad]
    _assert_loads_as_saved(fitted, loaded, X, y)


@pytest.mark.parametrize("estimator", [
    LogicCompressor(rules=DEMO_RULES), LogicCompressor(), LogicRestorer(rules=DEMO_RULES)
], ids=["compressor-given-rules", "compressor-discovering", "restorer"])
def test_logic_steps_transform_and_restore_as_before(estimator, round_trip):
    real = load_demo(n_samples=300, random_state=0)
    fitted = clone(estimator).fit(real)
    loaded = round_trip(fitted)
    assert loaded.get_params() == fitted.get_params()
    assert [str(rule) for rule in loaded.rules_] == [str(rule) for rule in fitted.rules_]
    pd.testing.assert_frame_equal(loaded.transform(real), fitted.transform(real))
    reduced = fitted.transform(real)
    pd.testing.assert_frame_equal(loaded.inverse_transform(reduced),
                                  fitted.inverse_transform(reduced))
    if hasattr(fitted, "rule_report_"):
        pd.testing.assert_frame_equal(loaded.rule_report_, fitted.rule_report_)


def test_a_pipeline_fitted_or_not(round_trip):
    real = load_demo(n_samples=300, random_state=0)
    pipeline = make_synthesis_pipeline(LogicCompressor(rules=DEMO_RULES),
                                       IndependentSynthesizer(n_quantiles=50, random_state=0))
    unfitted = round_trip(pipeline)
    assert repr(unfitted) == repr(pipeline) and not hasattr(unfitted[-1], "random_state_")
    fitted = clone(pipeline).fit(real)
    loaded = round_trip(fitted)
    pd.testing.assert_frame_equal(loaded.sample(40, random_state=0),
                                  fitted.sample(40, random_state=0))
    pd.testing.assert_frame_equal(loaded.sample(40, conditions={"city": "Boston"}),
                                  fitted.sample(40, conditions={"city": "Boston"}))
    pd.testing.assert_frame_equal(unfitted.fit(real).sample(40),
                                  clone(pipeline).fit(real).sample(40))


def _as_if_saved_on_a_gpu(document, find_nodes):
    """Record every tensor and the estimator as on CUDA, as a GPU machine would have."""
    for node in find_nodes(document, "torch.tensor"):
        node["device"] = "cuda:0"
    document["model"]["state"]["device_"] = "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("kind", ["diffusion", "predllm"])
def test_a_model_saved_on_a_gpu_loads_on_the_cpu(kind, saved, rewritten, find_nodes):
    table = make_check_table()
    if kind == "diffusion":
        from skltab.diffusion import MaskedDiffusionSynthesizer as cls
    else:
        pytest.importorskip("transformers")
        from skltab.llm import PredLLMSynthesizer as cls
    fitted = cls(**cls._get_test_params(), random_state=0).fit(table)
    buffer = rewritten(saved(fitted),
                       edit=lambda document: _as_if_saved_on_a_gpu(document, find_nodes))
    with pytest.warns(UserWarning, match="fitted on 'cuda', which this machine does not have; "
                                         "it is loaded on 'cpu'"):
        loaded = skltab.load(buffer)
    assert loaded.device_ == "cpu"
    assert {p.device.type for p in loaded.model_.parameters()} == {"cpu"}
    pd.testing.assert_frame_equal(loaded.sample(20, random_state=0),
                                  fitted.sample(20, random_state=0))
    loaded.partial_fit(table)
    assert loaded.n_iter_ == fitted.n_iter_ + 1
