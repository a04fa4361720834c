"""scikit-learn's estimator checks and skltab's synthesizer checks, with logic steps."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skltab import IndependentSynthesizer, SynthesisPipeline
from skltab.logic import LogicCompressor, LogicRestorer
from skltab.utils.estimator_checks import parametrize_with_synthesizer_checks

# The checks' numeric tables have columns x0, x1, ...; x0 >= -100 holds on some of them.
TRANSFORMERS = [LogicCompressor(), LogicRestorer(rules=["x0 >= -100"])]
# The checks seed the shortest-named random_state, so the synthesizer gets the shorter name.
PIPELINES = [
    SynthesisPipeline([("compress", LogicCompressor()),
                       ("model", IndependentSynthesizer(n_quantiles=50))]),
    SynthesisPipeline([("restore", LogicRestorer(["income >= age"])),
                       ("model", IndependentSynthesizer(n_quantiles=50))]),
]
_TABLE_RULES = "its rules name the columns of the check table, absent from this check's table"


def _expected_failed_synthesizer_checks(estimator):
    if isinstance(estimator[0], LogicRestorer):
        return dict.fromkeys(["check_output_containers", "check_pipeline_grid_search"],
                             _TABLE_RULES)
    return {}


@parametrize_with_checks(TRANSFORMERS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_synthesizer_checks(
    PIPELINES, expected_failed_checks=_expected_failed_synthesizer_checks
)
def test_synthesizer_contract_with_logic_steps(estimator, check):
    check(estimator)
