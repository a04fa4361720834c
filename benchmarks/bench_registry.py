"""Synthesizers the benchmark can run, by name.

Add a synthesizer with one line in :data:`SYNTHESIZERS`: a name, the import path of its class
and the parameters it gets (``random_state`` and ``epochs`` are set by the harness). On the
command line, an import path such as ``skltab.IndependentSynthesizer`` also works as a name.
"""

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SynthesizerSpec:
    """How to build one benchmarked synthesizer.

    Attributes
    ----------
    path : str
        Import path of the class, ``"package.module.Class"``.
    params : dict
        Constructor parameters.
    fit_with_target : bool
        Whether the harness calls ``fit(X, y)`` with the dataset's target as ``y`` (and joins
        the ``(X, y)`` that ``sample`` returns), instead of ``fit(table)``.
    """

    path: str
    params: dict = field(default_factory=dict)
    fit_with_target: bool = False

    def build(self, random_state, epochs=None):
        """Return a new instance seeded by ``random_state``, and so is the synthesizer a
        meta-estimator wraps: ``reward_predllm`` then tunes the very model ``predllm``
        fits with the same seed, and their difference is the tuning's alone.

        ``epochs`` is set only when not None and only on synthesizers that take ``epochs``.
        """
        estimator = self.instance()
        params = {name: random_state for name in estimator.get_params(deep=True)
                  if name == "random_state" or name.endswith("__random_state")}
        if epochs is not None and "epochs" in estimator.get_params():
            params["epochs"] = epochs
        return estimator.set_params(**params)

    def instance(self):
        """A new instance with ``params``; a parameter that is itself a spec (the synthesizer
        a meta-estimator wraps) becomes its instance."""
        module_name, _, class_name = self.path.rpartition(".")
        params = {name: value.instance() if isinstance(value, SynthesizerSpec) else value
                  for name, value in self.params.items()}
        return getattr(importlib.import_module(module_name), class_name)(**params)


_SDV = "skltab.integrations.sdv.SDVSynthesizer"
_REWARD = "skltab.reward.RewardTunedSynthesizer"
_DIFFUSION = SynthesizerSpec("skltab.diffusion.MaskedDiffusionSynthesizer")


def random_reward(rows, real):
    """A control reward that knows nothing of the table: a uniform number per row, drawn from
    a hash of the row's values (the same row always gets the same number)."""
    import pandas as pd

    hashes = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    return (hashes % 1_000_003) / 1_000_003


SYNTHESIZERS = {
    "independent": SynthesizerSpec("skltab.IndependentSynthesizer"),
    "fastgen": SynthesizerSpec("skltab.fastgen.FastGenSynthesizer"),
    "diffusion": _DIFFUSION,
    "predllm": SynthesizerSpec("skltab.llm.PredLLMSynthesizer"),
    "predllm_y": SynthesizerSpec("skltab.llm.PredLLMSynthesizer", fit_with_target=True),
    "predllm_fixed": SynthesizerSpec("skltab.llm.PredLLMSynthesizer", {"permutation": "fixed"}),
    "predllm_mixed": SynthesizerSpec("skltab.llm.PredLLMSynthesizer", {"permutation": "mixed"}),
    "reward_diffusion": SynthesizerSpec(_REWARD, {"synthesizer": _DIFFUSION}),
    # control of reward_diffusion: the same guard, rounds and sampling with a reward that
    # knows nothing
    "reward_diffusion_random": SynthesizerSpec(
        _REWARD, {"synthesizer": _DIFFUSION, "rewards": random_reward}),
    # post-training at a tenth of Pred-LLM's peak rate: one more epoch at the peak rate
    # undoes part of the fit (docs/user_guide/reward.rst)
    "reward_predllm": SynthesizerSpec(
        _REWARD, {"synthesizer": SynthesizerSpec("skltab.llm.PredLLMSynthesizer"),
                  "learning_rate": 2e-4}),
    "reward_predllm_dpo": SynthesizerSpec(
        _REWARD, {"synthesizer": SynthesizerSpec("skltab.llm.PredLLMSynthesizer"),
                  "learning_rate": 2e-4, "refinement": "preference"}),
    "great": SynthesizerSpec("bench_great.GReaTPeer"),
    "sdv_gaussian_copula": SynthesizerSpec(_SDV, {"model": "gaussian_copula"}),
    "sdv_ctgan": SynthesizerSpec(_SDV, {"model": "ctgan"}),
    "sdv_tvae": SynthesizerSpec(_SDV, {"model": "tvae"}),
}


def get_spec(name):
    """Return the spec registered as ``name``, or one for an import path ``"pkg.mod.Class"``."""
    if name in SYNTHESIZERS:
        return SYNTHESIZERS[name]
    if "." in name:
        return SynthesizerSpec(name)
    raise ValueError(
        f"Unknown synthesizer {name!r}: use one of {sorted(SYNTHESIZERS)} or an import path "
        "such as 'skltab.IndependentSynthesizer'."
    )
