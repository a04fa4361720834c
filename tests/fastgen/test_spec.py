"""The FastGen spec: schema validation (code is rejected) and the NumPy-only sampler."""

import ast
import copy
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from skltab.fastgen import FastGenSynthesizer, SpecError, validate_spec
from skltab.fastgen import _spec_runtime as runtime
from skltab.utils import _random
from skltab.utils.estimator_checks import make_check_table


@pytest.fixture(scope="module")
def spec():
    return FastGenSynthesizer(random_state=0).fit(make_check_table(300)).spec_


def _mutated(spec, change):
    spec = copy.deepcopy(spec)
    change(spec)
    return spec


def _field(spec, name):
    return next(f for f in spec["fields"] if f["name"] == name)


def test_a_fitted_spec_is_valid_json(spec):
    validate_spec(json.loads(json.dumps(spec, allow_nan=False)))
    assert spec["format"] == "skltab.fastgen.spec" and spec["version"] == 1


CODE_CARRIERS = {
    "code key in a field": lambda s: _field(s, "age").update(code="import os"),
    "script key in a distribution": lambda s: _field(s, "income")["distribution"].update(
        script="def sample(): ..."),
    "lambda key at the top": lambda s: s.update({"lambda": "x: x"}),
    "lambda as the family": lambda s: _field(s, "age")["distribution"].update(
        family="lambda n: rng.normal(40, 5, n)"),
    "expression as a parameter": lambda s: _field(s, "income")["distribution"].update(
        family="normal", params={"loc": "__import__('os').system('ls')", "scale": 1.0}),
    "call as the kind": lambda s: _field(s, "age").update(kind="eval('integer')"),
    "eval key in the dependence": lambda s: s["dependence"].update(eval="R"),
}


@pytest.mark.parametrize("change", CODE_CARRIERS.values(), ids=CODE_CARRIERS.keys())
def test_a_spec_that_carries_code_is_rejected(spec, change):
    with pytest.raises(SpecError, match="carries code"):
        validate_spec(_mutated(spec, change))


INVALID = {
    "unknown family": (lambda s: _field(s, "income")["distribution"].update(family="custom"),
                       "distribution.family must be one of"),
    "negative scale": (lambda s: _field(s, "income").update(distribution={
        "family": "normal", "params": {"loc": 1.0, "scale": -2.0}}), "scale must be > 0"),
    "probabilities off": (lambda s: _field(s, "segment")["distribution"].update(
        probabilities=[0.5, 0.2, 0.1]), "must sum to 1"),
    "bounds reversed": (lambda s: _field(s, "age").update(bounds=[80, 18]), "low > high"),
    "unknown key": (lambda s: _field(s, "age").update(comment="hi"), "unknown key 'comment'"),
    "text in the copula": (lambda s: s["dependence"]["fields"].append("nowhere"),
                           "unknown field 'nowhere'"),
    "asymmetric correlation": (lambda s: s["dependence"]["correlation"][0].__setitem__(1, 0.9),
                               "symmetric"),
    "future version": (lambda s: s.update(version=2), "Unsupported spec version"),
    "count family on a continuous field": (lambda s: _field(s, "income").update(distribution={
        "family": "poisson", "params": {"mu": 3.0}}), "distribution.family must be one of"),
}


@pytest.mark.parametrize("change, message", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_spec_is_rejected_with_a_clear_error(spec, change, message):
    with pytest.raises(SpecError, match=message):
        validate_spec(_mutated(spec, change))


def test_from_json_rejects_code_before_building_anything(spec):
    text = json.dumps(_mutated(spec, CODE_CARRIERS["lambda as the family"]))
    with pytest.raises(SpecError, match="carries code"):
        FastGenSynthesizer.from_json(text)


def test_the_sampler_runs_no_code_and_needs_only_numpy():
    """The runtime imports math and numpy only and calls no eval, exec, compile or import."""
    tree = ast.parse(Path(runtime.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    assert imported <= {"math", "numpy", "argparse", "csv", "json", "sys"}
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


def test_block_seeding_matches_the_base_class():
    assert runtime.MAX_SEED == _random._MAX_SEED
    assert runtime.SEED_BLOCK_SIZE == FastGenSynthesizer._seed_block_size


def test_normal_functions_match_scipy():
    z = np.linspace(-8, 8, 1601)
    assert np.allclose(runtime.norm_cdf(z), stats.norm.cdf(z), rtol=1e-6, atol=0)
    p = np.concatenate([np.logspace(-300, -2, 200), np.linspace(0.01, 0.99, 99)])
    assert np.allclose(runtime.norm_ppf(p), stats.norm.ppf(p), rtol=1e-7, atol=1e-7)
    assert runtime.norm_ppf(np.array([0.0, 1.0])).tolist() == [-np.inf, np.inf]


FAMILIES = [
    ("normal", {"loc": 1.0, "scale": 2.0}, stats.norm(1, 2)),
    ("lognormal", {"sigma": 1.2, "loc": 0.0, "scale": 3.0}, stats.lognorm(1.2, 0, 3)),
    ("gamma", {"shape": 0.4, "loc": 1.0, "scale": 2.0}, stats.gamma(0.4, 1, 2)),
    ("beta", {"a": 0.5, "b": 3.0, "loc": -1.0, "scale": 2.0}, stats.beta(0.5, 3, -1, 2)),
    ("exponential", {"loc": 0.0, "scale": 2.0}, stats.expon(0, 2)),
    ("uniform", {"low": -1.0, "high": 3.0}, stats.uniform(-1, 4)),
    ("student_t", {"df": 2.5, "loc": 0.0, "scale": 1.0}, stats.t(2.5)),
    ("weibull", {"shape": 0.7, "loc": 0.0, "scale": 1.0}, stats.weibull_min(0.7)),
]


@pytest.mark.parametrize("family, params, reference", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_each_family_samples_its_distribution(family, params, reference):
    field = {"name": "x", "kind": "continuous",
             "distribution": {"family": family, "params": params}}
    marginal = runtime.compile_field(field)
    values = marginal.draw(20000, np.random.RandomState(0))
    assert stats.kstest(values, reference.cdf).pvalue > 0.001
    quantiles = reference.ppf([0.01, 0.25, 0.5, 0.75, 0.99])
    assert np.allclose(marginal.cdf(quantiles), [0.01, 0.25, 0.5, 0.75, 0.99], atol=2e-3)


@pytest.mark.parametrize("family, params, reference", [
    ("poisson", {"mu": 3.5}, stats.poisson(3.5)),
    ("negative_binomial", {"n": 2.5, "p": 0.3}, stats.nbinom(2.5, 0.3)),
])
def test_count_families_hold_their_probabilities(family, params, reference):
    field = {"name": "k", "kind": "integer", "distribution": {"family": family, "params": params}}
    marginal = runtime.compile_field(field)
    assert np.allclose(marginal.cdf_table, reference.cdf(marginal.values), atol=1e-9)
    values = marginal.draw(20000, np.random.RandomState(0))
    assert abs(values.mean() - reference.mean()) < 4 * reference.std() / np.sqrt(20000)


def test_bounds_truncate_and_rounding_keeps_the_range():
    field = {"name": "x", "kind": "continuous", "bounds": [0.0, 1.0], "decimals": 2,
             "distribution": {"family": "normal", "params": {"loc": 0.0, "scale": 1.0}}}
    values = runtime.compile_field(field).draw(20000, np.random.RandomState(0))
    assert values.min() >= 0 and values.max() <= 1
    assert np.allclose(values, np.round(values, 2))
    truncated = stats.truncnorm(0, 1)
    inside = values[(values > 0.005) & (values < 0.995)]
    assert stats.kstest(inside, lambda x: (truncated.cdf(x) - truncated.cdf(0.005))
                        / (truncated.cdf(0.995) - truncated.cdf(0.005))).pvalue > 0.001


def test_a_copula_from_pairs_keeps_the_named_correlation():
    spec = {"fields": [{"name": n, "kind": "continuous", "distribution": {
        "family": "normal", "params": {"loc": 0.0, "scale": 1.0}}} for n in "abc"],
        "dependence": {"type": "gaussian_copula", "fields": ["a", "b", "c"],
                       "pairs": [["a", "b", 0.7], ["b", "c", -0.5]]}}
    columns = runtime.CompiledSpec(spec).sample(20000, seed=0)
    assert np.corrcoef(columns["a"], columns["b"])[0, 1] == pytest.approx(0.7, abs=0.02)
    assert np.corrcoef(columns["b"], columns["c"])[0, 1] == pytest.approx(-0.5, abs=0.02)


def test_a_correlation_matrix_that_is_not_positive_definite_is_refused():
    spec = {"fields": [{"name": n, "kind": "continuous", "distribution": {
        "family": "normal", "params": {"loc": 0.0, "scale": 1.0}}} for n in "abc"],
        "dependence": {"type": "gaussian_copula", "fields": ["a", "b", "c"],
                       "correlation": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]}}
    with pytest.raises(ValueError, match="not positive definite"):
        runtime.CompiledSpec(spec)
