"""FastGenSynthesizer with independent fields passes every check (tests/test_common.py runs
them on the default copula)."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skltab.fastgen import FastGenSynthesizer
from skltab.utils.estimator_checks import parametrize_with_synthesizer_checks

ESTIMATORS = [FastGenSynthesizer(dependence="independent")]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_synthesizer_checks(ESTIMATORS)
def test_synthesizer_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("params, message", [
    ({"backend": "gpt"}, "backend"),
    ({"dependence": "vine"}, "dependence"),
    ({"max_categories": 0}, "max_categories"),
    ({"n_retries": -1}, "n_retries"),
])
def test_bad_parameters_are_named(params, message):
    from skltab.utils.estimator_checks import make_check_table

    with pytest.raises(ValueError, match=message):
        FastGenSynthesizer(**params).fit(make_check_table(30))
