"""The FastGen spec: a declarative, versioned JSON document, and its validator.

A spec describes how to sample each field of a table (family, parameters, bounds, rounding,
missing rate, categories and probabilities, text model) and how fields depend on each other
(a Gaussian copula). It is data: the sampler reads numbers and category values from it and
never evaluates a string. The validator enforces that: every key must be known, every
structural string must be one of a fixed list, every parameter a finite number, so a spec
that tries to carry code (a ``"code"`` key, a lambda as a family, an expression as a
parameter) is rejected with an error that says so.
"""

import math
import re
from numbers import Integral, Real

__all__ = ["SPEC_FORMAT", "SPEC_VERSION", "SpecError", "validate_field", "validate_spec"]

SPEC_FORMAT = "skltab.fastgen.spec"
SPEC_VERSION = 1

#: Parameters of each family: (required, optional).
FAMILY_PARAMS = {
    "normal": (("loc", "scale"), ()),
    "lognormal": (("sigma", "scale"), ("loc",)),
    "gamma": (("shape", "scale"), ("loc",)),
    "beta": (("a", "b", "scale"), ("loc",)),
    "exponential": (("scale",), ("loc",)),
    "uniform": (("low", "high"), ()),
    "student_t": (("df", "loc", "scale"), ()),
    "weibull": (("shape", "scale"), ("loc",)),
    "gaussian_mixture": (("weights", "means", "scales"), ()),
    "empirical": (("quantiles",), ("levels",)),
    "poisson": (("mu",), ("loc",)),
    "negative_binomial": (("n", "p"), ("loc",)),
}
CONTINUOUS_FAMILIES = ("normal", "lognormal", "gamma", "beta", "exponential", "uniform",
                       "student_t", "weibull", "gaussian_mixture", "empirical")
COUNT_FAMILIES = ("poisson", "negative_binomial")
#: Families allowed for each kind of field.
FAMILIES_OF_KIND = {
    "continuous": CONTINUOUS_FAMILIES,
    "datetime": CONTINUOUS_FAMILIES,
    "integer": CONTINUOUS_FAMILIES + COUNT_FAMILIES + ("categorical",),
    "categorical": ("categorical",),
    "boolean": ("categorical",),
    "text": ("markov",),
}
NUMERIC_KINDS = ("continuous", "integer", "datetime")
DATETIME_UNITS = ("D", "h", "min", "s", "ms", "us", "ns")
_POSITIVE = ("scale", "sigma", "shape", "a", "b", "df", "n")
_LIST_PARAMS = ("weights", "means", "scales", "quantiles", "levels")
_TOP_KEYS = ("format", "version", "fields", "dependence", "metadata", "id_seed")
_FIELD_KEYS = ("name", "kind", "missing_rate", "distribution", "bounds", "decimals", "unit",
               "values", "step", "step_offset", "description")
#: Kinds of the fields that may take a set of ``values`` or a grain (``step``).
GRAIN_KINDS = ("continuous", "integer")
_DISTRIBUTION_KEYS = {
    "categorical": ("family", "categories", "probabilities"),
    "markov": ("family", "vocabulary", "start", "transitions", "max_words"),
}
_DEPENDENCE_KEYS = {"independent": ("type",),
                    "gaussian_copula": ("type", "fields", "correlation", "pairs")}
_TOLERANCE = 1e-6
#: Largest lists a spec may hold (quantiles, mixture components, vocabulary, transitions).
MAX_QUANTILES = 100_000
MAX_COMPONENTS = 100
MAX_VOCABULARY = 1_000_000
MAX_TRANSITIONS = 10_000_000
MAX_WORDS = 10_000
MAX_DESCRIPTION = 10_000
#: Keys that name code: a spec that has one is rejected as carrying code.
CODE_KEYS = ("code", "script", "python", "lambda", "function", "func", "callable", "exec",
             "eval", "expression", "expr", "import", "module", "source", "program", "sampler",
             "generator", "command")
#: What code looks like where a name or a number belongs (family, kind, parameter, key).
_CODE_PATTERN = re.compile(
    r"__\w+__|\blambda\b|\bimport\b|\bdef\s|\bexec\s*\(|\beval\s*\(|\bopen\s*\(|\bos\.|"
    r"\bsys\.|\bsubprocess\b|\bnumpy\b|\bnp\.|\brandom\.|\bscipy\b|\breturn\b|=>|;|[{}]|"
    r"\w+\s*\(.*\)"
)
#: What code looks like inside free data (category values and example texts written by an
#: LLM), where ordinary prose must pass.
_DATA_CODE_PATTERN = re.compile(
    r"__\w+__|\blambda\s*\w*\s*:|^\s*(import|from)\s+[\w.]+|\bexec\s*\(|\beval\s*\(|"
    r"\bos\.(system|popen|remove)|\bsubprocess\.|<script\b|\bdef\s+\w+\s*\("
)


class SpecError(ValueError):
    """A FastGen spec does not follow the schema (or carries code)."""


def looks_like_code(text, *, in_data=False):
    """Return True if ``text`` reads like a program rather than a value.

    Parameters
    ----------
    text : str
    in_data : bool, default=False
        Judge ``text`` as free data (a category or an example text), where only unmistakable
        code counts; otherwise as a name or a number, where any call or operator counts.

    Returns
    -------
    bool
    """
    pattern = _DATA_CODE_PATTERN if in_data else _CODE_PATTERN
    return bool(pattern.search(text))


def validate_spec(spec):
    """Check a whole FastGen spec against the schema; raise :class:`SpecError` if it fails.

    Parameters
    ----------
    spec : dict
        The spec, as read from JSON.

    Raises
    ------
    SpecError
        Naming the field and the key at fault. A spec that carries code (a key such as
        ``"code"`` or ``"lambda"``, or a program where a family name or a number belongs) is
        rejected with a message that says so.
    """
    check_mapping(spec, "the spec", _TOP_KEYS, required=("format", "version", "fields"))
    if spec["format"] != SPEC_FORMAT:
        raise SpecError(f"spec format must be {SPEC_FORMAT!r}; got {spec['format']!r}.")
    if spec["version"] != SPEC_VERSION or isinstance(spec["version"], bool):
        raise SpecError(f"Unsupported spec version {spec['version']!r}; this skltab reads "
                        f"version {SPEC_VERSION}.")
    fields = spec["fields"]
    if not isinstance(fields, list) or not fields:
        raise SpecError("spec 'fields' must be a non-empty list of field specs.")
    for field in fields:
        validate_field(field)
    names = [field["name"] for field in fields]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise SpecError(f"spec has duplicate fields {duplicated}.")
    if "dependence" in spec:
        _check_dependence(spec["dependence"], {f["name"]: f["kind"] for f in fields})
    if "id_seed" in spec:
        _integer(spec["id_seed"], "spec id_seed", low=0)
    if "metadata" in spec and not isinstance(spec["metadata"], dict):
        raise SpecError("spec 'metadata' must be an object (TableMetadata.to_dict()).")


def validate_field(field):
    """Check one field spec against the schema; raise :class:`SpecError` if it fails.

    Parameters
    ----------
    field : dict
        One entry of a spec's ``fields``.
    """
    if not isinstance(field, dict) or not isinstance(field.get("name"), str):
        raise SpecError("Every field spec must be an object with a string 'name'.")
    where = f"spec field {field['name']!r}"
    check_mapping(field, where, _FIELD_KEYS, required=("name", "kind", "distribution"))
    kind = _choice(field["kind"], f"{where}: kind", tuple(FAMILIES_OF_KIND))
    _number(field.get("missing_rate", 0.0), f"{where}: missing_rate", low=0.0, high=1.0)
    if "description" in field:
        _string(field["description"], f"{where}: description", MAX_DESCRIPTION)
    _check_numeric_keys(field, kind, where)
    distribution = field["distribution"]
    if not isinstance(distribution, dict):
        raise SpecError(f"{where}: distribution must be an object with a 'family'.")
    families = FAMILIES_OF_KIND[kind]
    if field.get("values") is not None and "categorical" not in families:
        families += ("categorical",)
    family = _choice(distribution.get("family"), f"{where}: distribution.family", families)
    if family == "categorical":
        _check_categorical(distribution, kind, field.get("bounds"), where)
    elif family == "markov":
        _check_markov(distribution, where)
    else:
        check_mapping(distribution, f"{where}: distribution", ("family", "params"),
                      required=("family", "params"))
        _check_params(family, distribution["params"], kind, f"{where}: distribution.params")


def _check_numeric_keys(field, kind, where):
    numeric = kind in NUMERIC_KINDS
    for key in ("bounds", "decimals", "unit"):
        if key in field and field[key] is not None and not numeric:
            raise SpecError(f"{where}: {key!r} applies to numeric fields only, not to "
                            f"{kind} fields.")
    bounds = field.get("bounds")
    if bounds is not None:
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise SpecError(f"{where}: bounds must be a list [low, high].")
        low = _number(bounds[0], f"{where}: bounds[0]")
        high = _number(bounds[1], f"{where}: bounds[1]")
        if low > high:
            raise SpecError(f"{where}: bounds [{low}, {high}] have low > high.")
    if field.get("decimals") is not None:
        if kind != "continuous":
            raise SpecError(f"{where}: decimals apply to continuous fields only.")
        _integer(field["decimals"], f"{where}: decimals", low=0, high=15)
    if kind == "datetime":
        _choice(field.get("unit"), f"{where}: unit", DATETIME_UNITS)
    elif field.get("unit") is not None:
        raise SpecError(f"{where}: 'unit' applies to datetime fields only.")
    _check_grain(field, kind, bounds, where)


def _check_grain(field, kind, bounds, where):
    """``values`` (the only values of the field) or ``step`` and ``step_offset`` (its grain)."""
    given = [key for key in ("values", "step", "step_offset") if field.get(key) is not None]
    if not given:
        return
    if kind not in GRAIN_KINDS:
        raise SpecError(f"{where}: {given} apply to continuous and integer fields only.")
    check = _integer if kind == "integer" else _number
    low, high = bounds if bounds is not None else (-math.inf, math.inf)
    if field.get("values") is not None:
        if field.get("step") is not None or field.get("step_offset") is not None:
            raise SpecError(f"{where}: give values or step, not both.")
        values = field["values"]
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_VOCABULARY:
            raise SpecError(f"{where}: values must be a list of 1 to {MAX_VOCABULARY} numbers.")
        numbers = [check(value, f"{where}: values") for value in values]
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            raise SpecError(f"{where}: values must increase strictly.")
        if not any(low <= v <= high for v in numbers):
            raise SpecError(f"{where}: no value lies within the bounds {bounds}.")
        return
    if field.get("step") is None:
        raise SpecError(f"{where}: step_offset needs a step.")
    step = check(field["step"], f"{where}: step")
    offset = check(field.get("step_offset", 0), f"{where}: step_offset")
    if step <= 0:
        raise SpecError(f"{where}: step must be > 0; got {step}.")
    if bounds is not None and math.floor((high - offset) / step + _TOLERANCE) < math.ceil(
            (low - offset) / step - _TOLERANCE):
        raise SpecError(f"{where}: no multiple of step {step} lies within the bounds {bounds}.")


def _check_params(family, params, kind, where):
    required, optional = FAMILY_PARAMS[family]
    check_mapping(params, where, required + optional, required=required)
    for name, value in params.items():
        if name in _LIST_PARAMS:
            continue
        low = 0.0 if name == "mu" else None
        number = _number(value, f"{where}.{name}", low=low)
        if name in _POSITIVE and number <= 0:
            raise SpecError(f"{where}.{name} must be > 0; got {number}.")
    if family == "uniform" and params["low"] > params["high"]:
        raise SpecError(f"{where}: low {params['low']} is above high {params['high']}.")
    if family == "negative_binomial" and not 0 < params["p"] <= 1:
        raise SpecError(f"{where}.p must be in (0, 1]; got {params['p']}.")
    if family in COUNT_FAMILIES and "loc" in params:
        _integer(params["loc"], f"{where}.loc")
    if family in COUNT_FAMILIES and kind != "integer":
        raise SpecError(f"{where}: the {family} family is for integer fields.")
    if family == "gaussian_mixture":
        _check_mixture(params, where)
    if family == "empirical":
        quantiles = _numbers(params["quantiles"], f"{where}.quantiles", 1, MAX_QUANTILES)
        if any(b < a for a, b in zip(quantiles, quantiles[1:])):
            raise SpecError(f"{where}.quantiles must be non-decreasing.")
        if "levels" in params:
            levels = _numbers(params["levels"], f"{where}.levels", len(quantiles),
                              len(quantiles), low=0.0, high=1.0)
            if levels[0] != 0 or levels[-1] != 1 or any(
                b <= a for a, b in zip(levels, levels[1:])
            ):
                raise SpecError(f"{where}.levels must increase strictly from 0 to 1, one per "
                                "quantile.")


def _check_mixture(params, where):
    weights = _numbers(params["weights"], f"{where}.weights", 1, MAX_COMPONENTS, low=0.0)
    means = _numbers(params["means"], f"{where}.means", 1, MAX_COMPONENTS)
    scales = _numbers(params["scales"], f"{where}.scales", 1, MAX_COMPONENTS)
    if not len(weights) == len(means) == len(scales):
        raise SpecError(f"{where}: weights, means and scales must have the same length.")
    if sum(weights) <= 0 or min(scales) <= 0:
        raise SpecError(f"{where}: weights must not all be 0 and scales must be > 0.")


def _check_categorical(distribution, kind, bounds, where):
    check_mapping(distribution, f"{where}: distribution", _DISTRIBUTION_KEYS["categorical"],
                  required=_DISTRIBUTION_KEYS["categorical"])
    categories = distribution["categories"]
    if not isinstance(categories, list) or not categories:
        raise SpecError(f"{where}: categories must be a non-empty list.")
    for category in categories:
        if not isinstance(category, (str, bool, Real)) or (
            isinstance(category, float) and not math.isfinite(category)
        ):
            raise SpecError(f"{where}: category {category!r} is not a string, a boolean or a "
                            "finite number.")
    keys = [(type(c) is bool, c) for c in categories]
    if len(set(keys)) != len(keys):
        raise SpecError(f"{where}: categories must be unique.")
    if kind in NUMERIC_KINDS:
        numbers = _numbers(categories, f"{where}: categories", 1, MAX_VOCABULARY)
        if kind == "integer" and any(not float(v).is_integer() for v in numbers):
            raise SpecError(f"{where}: the categories of an integer field must be integers.")
        if bounds is not None and (min(numbers) < bounds[0] or max(numbers) > bounds[1]):
            raise SpecError(f"{where}: categories lie outside the bounds {bounds}.")
    check_probabilities(distribution["probabilities"], len(categories),
                        f"{where}: probabilities")


def _check_markov(distribution, where):
    keys = _DISTRIBUTION_KEYS["markov"]
    check_mapping(distribution, f"{where}: distribution", keys, required=keys)
    vocabulary = distribution["vocabulary"]
    if not isinstance(vocabulary, list) or len(vocabulary) > MAX_VOCABULARY:
        raise SpecError(f"{where}: vocabulary must be a list of at most {MAX_VOCABULARY} "
                        "words.")
    if any(not isinstance(w, str) or not w or w != w.strip() or len(w.split()) != 1
           for w in vocabulary):
        raise SpecError(f"{where}: vocabulary entries must be words without whitespace.")
    if len(set(vocabulary)) != len(vocabulary):
        raise SpecError(f"{where}: vocabulary words must be unique.")
    n_words = len(vocabulary)
    check_probabilities(distribution["start"], n_words + 1, f"{where}: start")
    _integer(distribution["max_words"], f"{where}: max_words", low=1, high=MAX_WORDS)
    transitions = distribution["transitions"]
    names = ("indptr", "targets", "probabilities")
    check_mapping(transitions, f"{where}: transitions", names, required=names)
    indptr, targets = transitions["indptr"], transitions["targets"]
    probabilities = transitions["probabilities"]
    for name in names:
        if not isinstance(transitions[name], list) or len(transitions[name]) > MAX_TRANSITIONS:
            raise SpecError(f"{where}: transitions.{name} must be a list.")
    if len(indptr) != n_words + 1 or len(targets) != len(probabilities):
        raise SpecError(f"{where}: transitions need one indptr entry per word plus one and "
                        "one probability per target.")
    if any(not _is_integer(i) for i in indptr + targets):
        raise SpecError(f"{where}: transitions.indptr and targets must hold integers.")
    if indptr[0] != 0 or indptr[-1] != len(targets) or any(
        b <= a for a, b in zip(indptr, indptr[1:])
    ):
        raise SpecError(f"{where}: transitions.indptr must start at 0, increase strictly and "
                        "end at the number of targets (every word has a successor).")
    if any(not 0 <= t <= n_words for t in targets):
        raise SpecError(f"{where}: transition targets must be word numbers or {n_words} "
                        "(the end of a text).")
    _numbers(probabilities, f"{where}: transitions.probabilities", 0, MAX_TRANSITIONS, low=0.0)
    for start, stop in zip(indptr, indptr[1:]):
        if abs(sum(probabilities[start:stop]) - 1) > _TOLERANCE:
            raise SpecError(f"{where}: the transition probabilities of word "
                            f"{vocabulary[indptr.index(start)]!r} do not sum to 1.")


def _check_dependence(dependence, kinds):
    if not isinstance(dependence, dict):
        raise SpecError("spec 'dependence' must be an object with a 'type'.")
    kind = _choice(dependence.get("type"), "spec dependence.type", tuple(_DEPENDENCE_KEYS))
    check_mapping(dependence, "spec dependence", _DEPENDENCE_KEYS[kind], required=("type",))
    if kind == "independent":
        return
    fields = dependence.get("fields")
    if not isinstance(fields, list) or len(set(map(str, fields))) != len(fields):
        raise SpecError("spec dependence.fields must be a list of distinct field names.")
    for name in fields:
        if name not in kinds:
            raise SpecError(f"spec dependence names an unknown field {name!r}.")
        if kinds[name] == "text":
            raise SpecError(f"spec dependence: text field {name!r} cannot join the copula.")
    if ("correlation" in dependence) == ("pairs" in dependence):
        raise SpecError("spec dependence needs exactly one of 'correlation' (a matrix) and "
                        "'pairs' (a list of [field, field, correlation]).")
    if "correlation" in dependence:
        _check_correlation(dependence["correlation"], len(fields))
    else:
        _check_pairs(dependence["pairs"], fields)


def _check_correlation(matrix, size):
    if not isinstance(matrix, list) or len(matrix) != size or any(
        not isinstance(row, list) or len(row) != size for row in matrix
    ):
        raise SpecError(f"spec dependence.correlation must be a {size} x {size} matrix.")
    for i, row in enumerate(matrix):
        _numbers(row, "spec dependence.correlation", size, size, low=-1.0, high=1.0)
        if abs(row[i] - 1) > _TOLERANCE:
            raise SpecError("spec dependence.correlation must have ones on its diagonal.")
        if any(abs(row[j] - matrix[j][i]) > _TOLERANCE for j in range(size)):
            raise SpecError("spec dependence.correlation must be symmetric.")


def _check_pairs(pairs, fields):
    if not isinstance(pairs, list):
        raise SpecError("spec dependence.pairs must be a list of [field, field, correlation].")
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 3:
            raise SpecError(f"spec dependence.pairs: {pair!r} is not [field, field, "
                            "correlation].")
        first, second, value = pair
        if first not in fields or second not in fields or first == second:
            raise SpecError(f"spec dependence.pairs: {pair!r} must name two different fields "
                            "of dependence.fields.")
        _number(value, f"spec dependence.pairs {first!r}-{second!r}", low=-1.0, high=1.0)


# ---------------------------------------------------------------------------------- helpers
def check_mapping(mapping, where, allowed, required=()):
    """Check that ``mapping`` is a dict with only ``allowed`` keys and all ``required`` ones.

    A key that names code (``"code"``, ``"lambda"``, ...) gets an error that says so.
    """
    if not isinstance(mapping, dict):
        raise SpecError(f"{where} must be an object.")
    for key in mapping:
        if not isinstance(key, str):
            raise SpecError(f"{where} has a key that is not a string: {key!r}.")
        if key.lower() in CODE_KEYS or looks_like_code(key):
            raise SpecError(f"{where} carries code (key {key!r}); a spec is declarative data "
                            "and code in it is never executed.")
        if key not in allowed:
            raise SpecError(f"{where} has an unknown key {key!r}; allowed keys are "
                            f"{list(allowed)}.")
    missing = [key for key in required if key not in mapping]
    if missing:
        raise SpecError(f"{where} is missing {missing}.")


def _code_error(value, where):
    return SpecError(f"{where} carries code ({value[:60]!r}); a spec is declarative data and "
                     "code in it is never executed.")


def _choice(value, where, options):
    if isinstance(value, str) and value in options:
        return value
    if isinstance(value, str) and looks_like_code(value):
        raise _code_error(value, where)
    raise SpecError(f"{where} must be one of {list(options)}; got {value!r}.")


def _string(value, where, max_length):
    if not isinstance(value, str) or len(value) > max_length:
        raise SpecError(f"{where} must be a string of at most {max_length} characters.")


def _is_integer(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _number(value, where, low=None, high=None):
    if isinstance(value, str) and looks_like_code(value):
        raise _code_error(value, where)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise SpecError(f"{where} must be a finite number; got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise SpecError(f"{where} must be within [{low}, {high}]; got {value}.")
    return float(value)


def _integer(value, where, low=None, high=None):
    if not _is_integer(value):
        if isinstance(value, str) and looks_like_code(value):
            raise _code_error(value, where)
        raise SpecError(f"{where} must be an integer; got {value!r}.")
    return int(_number(value, where, low, high))


def _numbers(values, where, min_length, max_length, low=None, high=None):
    if not isinstance(values, list) or not min_length <= len(values) <= max_length:
        raise SpecError(f"{where} must be a list of {min_length} to {max_length} numbers.")
    return [_number(value, where, low, high) for value in values]


def check_probabilities(values, length, where):
    """Check ``length`` non-negative numbers that sum to 1 and return them as floats."""
    numbers = _numbers(values, where, length, length, low=0.0)
    if abs(sum(numbers) - 1) > _TOLERANCE:
        raise SpecError(f"{where} must sum to 1; they sum to {sum(numbers):.6g}.")
    return numbers
