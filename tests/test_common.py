"""Every estimator against scikit-learn's checks and skltab's synthesizer checks."""

import importlib.util

import pytest
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skltab import (
    IndependentSynthesizer,
    SynthesisPipeline,
    SyntheticOversampler,
    make_synthesis_pipeline,
)
from skltab.diffusion import MaskedDiffusionSynthesizer
from skltab.fastgen import FastGenSynthesizer
from skltab.reward import RewardTunedSynthesizer
from skltab.utils.estimator_checks import parametrize_with_synthesizer_checks

SYNTHESIZER_CLASSES = [IndependentSynthesizer, FastGenSynthesizer, MaskedDiffusionSynthesizer,
                       RewardTunedSynthesizer]
if importlib.util.find_spec("transformers") is not None:
    from skltab.llm import PredLLMSynthesizer

    SYNTHESIZER_CLASSES.append(PredLLMSynthesizer)


def _fast(cls):
    return cls(**cls._get_test_params())


SYNTHESIZERS = [_fast(cls) for cls in SYNTHESIZER_CLASSES]
# Not a synthesizer: imbalanced-learn's checks run in tests/oversampling.
SKLEARN_ONLY = [SyntheticOversampler(random_state=0),
                SyntheticOversampler(model_per_class=False, random_state=0)]
# SDV is an optional extra; its synthesizer checks run in tests/integrations.
if importlib.util.find_spec("sdv") is not None:
    from skltab.integrations.sdv import SDVSynthesizer

    SKLEARN_ONLY.append(SDVSynthesizer(model="gaussian_copula"))
PIPELINES = [
    make_synthesis_pipeline(StandardScaler(), _fast(IndependentSynthesizer)),
    make_synthesis_pipeline(FunctionTransformer(), _fast(IndependentSynthesizer)),
]

# scikit-learn checks that cannot hold for an estimator, with the reason.
_IN_PLACE = "fits its steps in place, exactly as scikit-learn's Pipeline does"
_IDENTITY_TAGS = "FunctionTransformer's tags claim it rejects NaN; it passes NaN on"


_STRING_NAMES = ("builds a DataFrame with integer column names, which skltab refuses with a "
                 "clear error (it needs string column names)")
_JOINT_SCORE = ("the diffusion and Pred-LLM do not sum the target out: fitted with y, they score "
                "rows with y (check_score_samples checks the invariance with y)")


def _scores_with_target_only(estimator):
    """The diffusion and Pred-LLM, and a meta-estimator around one."""
    return hasattr(estimator, "partial_fit") or isinstance(estimator, RewardTunedSynthesizer)


def _expected_failed_checks(estimator):
    expected = {}
    if hasattr(estimator, "partial_fit"):
        expected["check_sample_weights_pandas_series"] = _STRING_NAMES
    if _scores_with_target_only(estimator):
        return {**expected, **dict.fromkeys(["check_methods_sample_order_invariance",
                                             "check_methods_subset_invariance"], _JOINT_SCORE)}
    if not isinstance(estimator, SynthesisPipeline):
        return {}
    expected = dict.fromkeys(
        ["check_estimators_overwrite_params", "check_dont_overwrite_parameters"], _IN_PLACE
    )
    if isinstance(estimator.steps[0][1], FunctionTransformer):
        expected.update(
            {"check_estimators_nan_inf": _IDENTITY_TAGS}
        )
    return expected


def _expected_failed_synthesizer_checks(estimator):
    if _scores_with_target_only(estimator):
        return {"check_score_samples_without_target": _JOINT_SCORE}
    if not isinstance(estimator, SynthesisPipeline):
        return {}
    return {
        "check_conditions": "FunctionTransformer has no transform_conditions to translate them",
        "check_fit_rejects_bad_tables": "the first step validates tables with its own messages",
    }


@parametrize_with_checks(
    SYNTHESIZERS + SKLEARN_ONLY + PIPELINES, expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_synthesizer_checks(
    SYNTHESIZERS + PIPELINES[1:], expected_failed_checks=_expected_failed_synthesizer_checks
)
def test_synthesizer_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", SYNTHESIZER_CLASSES + [SyntheticOversampler])
def test_every_parameter_is_constrained(cls):
    params = set(cls().get_params())
    assert params == set(cls._parameter_constraints)
