"""Sample a FastGen spec with NumPy alone: the one sampler of FastGenSynthesizer.

This module imports nothing but NumPy and the standard library, and reads specs as plain
data: it never evaluates a string. :meth:`FastGenSynthesizer.export_script` embeds its source
text verbatim in a standalone script, so the exported script and the synthesizer run the same
code and write the same values for the same seed.

Every field compiles to a marginal with a monotone table: a continuous field to its quantile
function on a grid, a discrete field to its cumulative probabilities. A field is drawn by
mapping a uniform number through its table. The fields of a Gaussian copula (the spec's
``dependence``) get their uniform numbers from correlated normal scores.
"""

import math

import numpy as np

#: Nodes of the warped grid on which each continuous family's density is integrated.
GRID_SIZE = 1025
#: Evenly spaced nodes added between the bounds, so narrow bounds keep a fine table.
BOUNDED_GRID_SIZE = 257
#: Largest support of a discrete family, in values.
MAX_SUPPORT = 1_000_000
#: Levels of the quantile table of a continuous field, evenly spaced in [0, 1].
QUANTILE_GRID_SIZE = 4096
#: Cells of the guide table of a discrete field.
GUIDE_SIZE = 1024
#: Sweeps of the Gibbs sampler that draws the scores of several conditioned fields.
GIBBS_SWEEPS = 8
#: Smallest eigenvalue kept when a correlation matrix is made positive definite.
MIN_EIGENVALUE = 1e-6
#: Rows drawn from one seed; the synthesizer's ``_seed_block_size``.
SEED_BLOCK_SIZE = 65536
#: Seeds drawn for blocks of rows are below this (as ``skltab.utils._random``).
MAX_SEED = 2**31 - 1
_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- normal scores
def _erfc(x):
    """Complementary error function, relative error below 1.2e-7 (Numerical Recipes)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    result = t * np.exp(-z * z + poly)
    return np.where(x >= 0, result, 2.0 - result)


def norm_cdf(z):
    """Standard normal distribution function, accurate in both tails."""
    return 0.5 * _erfc(-np.asarray(z, dtype=float) / _SQRT2)


_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)
_P_LOW = 0.02425


def _polyval(coefficients, x):
    result = np.zeros_like(x)
    for coefficient in coefficients:
        result = result * x + coefficient
    return result


def norm_ppf(p):
    """Standard normal quantile function (Acklam's approximation, relative error 1.2e-9).

    Returns -inf for 0 and inf for 1.
    """
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = p - 0.5
        r = q * q
        central = q * _polyval(_A, r) / (_polyval(_B, r) * r + 1.0)
        low = np.sqrt(-2.0 * np.log(np.clip(p, 1e-300, 1.0)))
        lower = _polyval(_C, low) / (_polyval(_D, low) * low + 1.0)
        high = np.sqrt(-2.0 * np.log(np.clip(1.0 - p, 1e-300, 1.0)))
        upper = -_polyval(_C, high) / (_polyval(_D, high) * high + 1.0)
    z = np.where(p < _P_LOW, lower, np.where(p > 1.0 - _P_LOW, upper, central))
    return np.where(p <= 0.0, -np.inf, np.where(p >= 1.0, np.inf, z))


def truncated_normal(mean, sd, low, high, random_state):
    """Draw one value per row from N(mean, sd**2) restricted to [low, high]."""
    return truncated_normal_quantile(mean, sd, low, high,
                                     random_state.random_sample(np.shape(mean)))


def truncated_normal_quantile(mean, sd, low, high, u):
    """The ``u``-quantile of N(mean, sd**2) restricted to [low, high], elementwise.

    Computed on the lower tail (intervals above the mean are mirrored), so intervals far in a
    tail keep their precision.
    """
    alpha, beta = (low - mean) / sd, (high - mean) / sd
    mirror = alpha > 0
    alpha, beta = np.where(mirror, -beta, alpha), np.where(mirror, -alpha, beta)
    p_low, p_high = norm_cdf(alpha), norm_cdf(beta)
    z = np.clip(norm_ppf(p_low + u * (p_high - p_low)), alpha, beta)
    z = np.where(np.isfinite(z), z, np.where(np.isfinite(alpha), alpha, beta))
    return mean + sd * np.where(mirror, -z, z)


def nearest_correlation(matrix):
    """Return the positive definite correlation matrix nearest ``matrix`` (eigenvalue clip)."""
    matrix = (np.asarray(matrix, dtype=float) + np.asarray(matrix, dtype=float).T) / 2
    values, vectors = np.linalg.eigh(matrix)
    fixed = (vectors * np.maximum(values, MIN_EIGENVALUE)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(scale, scale)
    np.fill_diagonal(fixed, 1.0)
    return fixed


# ------------------------------------------------------------------------------- families
def _warped(low, high, transform):
    return transform(np.linspace(low, high, GRID_SIZE))


def _normal(params):
    loc, scale = params["loc"], params["scale"]

    def density(x):
        return np.exp(-0.5 * ((x - loc) / scale) ** 2 - _LOG_SQRT_2PI) / scale

    return (-np.inf, np.inf), loc + scale * np.linspace(-9, 9, GRID_SIZE), density


def _lognormal(params):
    sigma, loc, scale = params["sigma"], params.get("loc", 0.0), params["scale"]

    def density(x):
        y = (x - loc) / scale
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.exp(-0.5 * (np.log(y) / sigma) ** 2 - _LOG_SQRT_2PI) / (y * sigma * scale)
        return np.where(y > 0, value, 0.0)

    nodes = _warped(-9, 9, lambda t: loc + scale * np.exp(sigma * t))
    return (loc, np.inf), nodes, density


def _gamma(params):
    shape, loc, scale = params["shape"], params.get("loc", 0.0), params["scale"]
    constant = math.lgamma(shape)

    def density(x):
        y = (x - loc) / scale
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.exp((shape - 1) * np.log(y) - y - constant) / scale
        return np.where(y > 0, value, 0.0)

    low = max(-700.0, (math.log(1e-12) + math.lgamma(shape + 1)) / shape)
    high = math.log(shape + 12 * math.sqrt(shape) + 30)
    return (loc, np.inf), _warped(low, high, lambda t: loc + scale * np.exp(t)), density


def _beta(params):
    a, b, loc, scale = params["a"], params["b"], params.get("loc", 0.0), params["scale"]
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    def density(x):
        y = (x - loc) / scale
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.exp((a - 1) * np.log(y) + (b - 1) * np.log1p(-y) - log_beta) / scale
        return np.where((y > 0) & (y < 1), value, 0.0)

    low = max(-700.0, min(-9.0, (math.log(1e-12) + math.log(a) + log_beta) / a))
    high = min(700.0, max(9.0, -(math.log(1e-12) + math.log(b) + log_beta) / b))
    nodes = _warped(low, high, lambda t: loc + scale / (1 + np.exp(-t)))
    return (loc, loc + scale), nodes, density


def _exponential(params):
    loc, scale = params.get("loc", 0.0), params["scale"]

    def density(x):
        y = (x - loc) / scale
        with np.errstate(over="ignore"):
            return np.where(y >= 0, np.exp(-np.maximum(y, 0)) / scale, 0.0)

    return (loc, np.inf), loc + scale * np.linspace(0, 40, GRID_SIZE), density


def _uniform(params):
    low, high = params["low"], params["high"]
    width = high - low

    def density(x):
        return np.where((x >= low) & (x <= high), 1.0 / width if width > 0 else 1.0, 0.0)

    return (low, high), np.array([low, high], dtype=float), density


def _student_t(params):
    df, loc, scale = params["df"], params["loc"], params["scale"]
    constant = (math.lgamma((df + 1) / 2) - math.lgamma(df / 2)
                - 0.5 * math.log(df * math.pi) - math.log(scale))

    def density(x):
        y = (x - loc) / scale
        return np.exp(constant - (df + 1) / 2 * np.log1p(y * y / df))

    reach = math.asinh(max(12.0, 10 ** min(4.0, 6.0 / df)))
    return (-np.inf, np.inf), _warped(-reach, reach, lambda t: loc + scale * np.sinh(t)), density


def _weibull(params):
    shape, loc, scale = params["shape"], params.get("loc", 0.0), params["scale"]

    def density(x):
        y = (x - loc) / scale
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = shape / scale * np.exp((shape - 1) * np.log(y) - y ** shape)
        return np.where(y > 0, value, 0.0)

    low, high = max(-700.0, math.log(1e-12) / shape), min(700.0, math.log(50.0) / shape)
    return (loc, np.inf), _warped(low, high, lambda t: loc + scale * np.exp(t)), density


def _gaussian_mixture(params):
    weights = np.asarray(params["weights"], dtype=float)
    weights = weights / weights.sum()
    means = np.asarray(params["means"], dtype=float)
    scales = np.asarray(params["scales"], dtype=float)

    def density(x):
        z = (np.asarray(x)[..., None] - means) / scales
        return (weights / scales * np.exp(-0.5 * z * z - _LOG_SQRT_2PI)).sum(axis=-1)

    per_component = max(129, GRID_SIZE // len(means))
    nodes = (means[:, None] + scales[:, None] * np.linspace(-9, 9, per_component)).ravel()
    return (-np.inf, np.inf), np.sort(nodes), density


#: Continuous families: params -> (support, grid nodes, density function).
CONTINUOUS_FAMILIES = {
    "normal": _normal,
    "lognormal": _lognormal,
    "gamma": _gamma,
    "beta": _beta,
    "exponential": _exponential,
    "uniform": _uniform,
    "student_t": _student_t,
    "weibull": _weibull,
    "gaussian_mixture": _gaussian_mixture,
}


def _poisson_log_pmf(params, j):
    mu = params["mu"]
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, j[-1] + 1)))])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(j > 0, j * math.log(mu) if mu > 0 else -np.inf, 0.0) - mu \
            - log_factorial[j]


def _negative_binomial_log_pmf(params, j):
    n, p = params["n"], params["p"]
    steps = np.arange(j[-1] + 1)
    log_rising = np.concatenate([[0.0], np.cumsum(np.log(n + steps[:-1]))])
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.maximum(steps[1:], 1)))])
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(j > 0, j * math.log1p(-p) if p < 1 else -np.inf, 0.0)
    return log_rising[j] - log_factorial[j] + n * math.log(p) + tail


def _count_reach(family, params):
    if family == "poisson":
        mu = params["mu"]
        return int(math.ceil(mu + 12 * math.sqrt(mu) + 30))
    n, p = params["n"], params["p"]
    mean = n * (1 - p) / p
    return int(math.ceil(mean + 15 * math.sqrt(mean / p) + 30))


#: Count families: params, offsets j = value - loc -> log probabilities.
COUNT_FAMILIES = {"poisson": _poisson_log_pmf, "negative_binomial": _negative_binomial_log_pmf}


# ------------------------------------------------------------------------------ marginals
def field_step(field):
    """Rounding step of a numeric field: its grain ``step``, 1 for integers and datetimes,
    10**-decimals, or 0."""
    if field.get("step") is not None:
        return float(field["step"])
    if field["kind"] in ("integer", "datetime"):
        return 1.0
    decimals = field.get("decimals")
    return 0.0 if decimals is None else 10.0 ** -decimals


def field_values(field):
    """The ``values`` of a numeric field within its bounds, sorted."""
    values = np.asarray(field["values"], dtype=float)
    low, high = field.get("bounds") or (-np.inf, np.inf)
    return values[(values >= low) & (values <= high)]


def on_grain(numbers, field):
    """Numbers moved to the nearest value a field allows within its bounds: one of its
    ``values``, or a point ``step_offset + k * step`` of its grain (as ``cast_column`` of
    skltab's metadata does); unchanged without either."""
    numbers = np.asarray(numbers, dtype=float)
    if field.get("values") is not None:
        allowed = field_values(field)
        right = np.clip(np.searchsorted(allowed, numbers), 0, len(allowed) - 1)
        left = np.maximum(right - 1, 0)
        nearer_left = np.abs(numbers - allowed[left]) < np.abs(allowed[right] - numbers)
        return np.where(nearer_left, allowed[left], allowed[right])
    if field.get("step") is None:
        return numbers
    step, offset = float(field["step"]), float(field.get("step_offset", 0))
    low, high = field.get("bounds") or (-np.inf, np.inf)
    first, last = np.ceil((low - offset) / step - 1e-9), np.floor((high - offset) / step + 1e-9)
    return offset + np.clip(np.rint((numbers - offset) / step), first, last) * step


class ContinuousMarginal:
    """A numeric field drawn through its quantile table, then rounded (to its grain, if it
    has a ``step``) and kept in bounds.

    The table holds the quantile function at ``QUANTILE_GRID_SIZE`` evenly spaced levels and
    is read by linear interpolation, so a draw costs a few arithmetic operations.

    Parameters
    ----------
    field : dict
        A validated field whose family is continuous or ``empirical``.
    """

    def __init__(self, field):
        self.name = field["name"]
        self.missing_rate = field.get("missing_rate", 0.0)
        self.step = field_step(field)
        self.grain = field if field.get("step") is not None else None
        self.decimals = field.get("decimals") if field["kind"] == "continuous" else 0
        self.bounds = field.get("bounds")
        self.x, self.cdf_table = _continuous_table(field, self.step)
        self.levels = np.linspace(0.0, 1.0, QUANTILE_GRID_SIZE + 1)
        self.quantiles = np.maximum.accumulate(np.interp(self.levels, self.cdf_table, self.x))
        #: Width of the interval a value stands for, in likelihoods and conditions.
        span = self.quantiles[-1] - self.quantiles[0]
        self.precision = self.step if self.step > 0 else max(span, 1.0) * 1e-6

    def draw(self, n_rows, random_state):
        """Draw ``n_rows`` values on their own (an independent field)."""
        return self.from_uniform(random_state.random_sample(n_rows))

    def from_uniform(self, u):
        """Values for uniform numbers ``u``.

        The first and last cells of the quantile table, where an unbounded tail would be
        stretched into a straight line, are read from the fine table instead.
        """
        position = u * QUANTILE_GRID_SIZE
        index = position.astype(np.intp)
        np.minimum(index, QUANTILE_GRID_SIZE - 1, out=index)
        low = self.quantiles.take(index)
        values = low + (position - index) * (self.quantiles.take(index + 1) - low)
        tail = np.flatnonzero((index == 0) | (index == QUANTILE_GRID_SIZE - 1))
        values[tail] = np.interp(u[tail], self.cdf_table, self.x)
        if self.grain is not None:
            values = on_grain(values, self.grain)
        if self.decimals is not None:
            values = np.round(values, self.decimals)
        if self.bounds is not None:
            values = np.clip(values, self.bounds[0], self.bounds[1])
        return values

    def intervals(self, values):
        """Probability interval (p_low, p_high) of each present value.

        A value stands for the values that round to it (``precision`` wide): its probability
        is ``p_high - p_low``, and the uniform numbers that the sampler maps to it are
        exactly those between ``p_low`` and ``p_high``.
        """
        values = np.asarray(values, dtype=float)
        return (self.cdf(values - self.precision / 2), self.cdf(values + self.precision / 2))

    def cdf(self, values):
        """Distribution function of the sampler (before rounding), the inverse of its map."""
        p = np.interp(values, self.quantiles, self.levels)
        tail = (p < self.levels[1]) | (p > self.levels[-2])
        return np.clip(np.where(tail, np.interp(values, self.x, self.cdf_table), p), 0.0, 1.0)

    def conditioned_intervals(self, values):
        """Probability interval of each conditioned value; (0, 1) where it is missing."""
        values = np.asarray(values, dtype=float)
        missing = np.isnan(values)
        low, high = self.intervals(np.where(missing, self.quantiles[0], values))
        return np.where(missing, 0.0, low), np.where(missing, 1.0, high)

    def output(self, values):
        """Column written for conditioned cells given in spec space."""
        return np.asarray(values, dtype=float)


def _continuous_table(field, step):
    """Return nodes and distribution function values of a continuous field within bounds."""
    distribution = field["distribution"]
    bounds = field.get("bounds")
    if distribution["family"] == "empirical":
        params = distribution["params"]
        x = np.asarray(params["quantiles"], dtype=float)
        levels = np.asarray(params.get("levels", np.linspace(0.0, 1.0, len(x))), dtype=float)
        low, high = _limits(bounds, step, (x[0], x[-1]))
        return _restrict(field["name"], x, levels, low, high)
    support, nodes, density = CONTINUOUS_FAMILIES[distribution["family"]](
        distribution["params"]
    )
    nodes = nodes[np.isfinite(nodes)]
    low, high = _limits(bounds, step, (nodes.min(), nodes.max()))
    low, high = max(low, support[0]), min(high, support[1])
    if high <= low:
        return _point_mass(field["name"], low, high)
    x = np.unique(np.concatenate([nodes, np.linspace(low, high, BOUNDED_GRID_SIZE)]))
    x = x[(x >= low) & (x <= high)]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        mass = density((x[1:] + x[:-1]) / 2) * np.diff(x)
    total = mass.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError(
            f"Field {field['name']!r}: the distribution puts no probability within its bounds."
        )
    return _strictly_increasing(x, np.concatenate([[0.0], np.cumsum(mass) / total]))


def _limits(bounds, step, natural):
    if bounds is None:
        return natural
    return bounds[0] - step / 2, bounds[1] + step / 2


def _point_mass(name, low, high):
    if high < low:
        raise ValueError(f"Field {name!r}: its bounds lie outside the support of its family.")
    return np.array([low, low]), np.array([0.0, 1.0])


def _restrict(name, x, cdf, low, high):
    if x[-1] == x[0]:
        return _point_mass(name, x[0], x[0])
    p_low = np.interp(low, x, cdf, left=0.0, right=1.0)
    p_high = np.interp(high, x, cdf, left=0.0, right=1.0)
    if p_high <= p_low:
        raise ValueError(
            f"Field {name!r}: the distribution puts no probability within its bounds."
        )
    inside = (x > low) & (x < high)
    x = np.concatenate([[max(low, x[0])], x[inside], [min(high, x[-1])]])
    cdf = np.concatenate([[p_low], cdf[inside], [p_high]])
    return _strictly_increasing(x, (cdf - p_low) / (p_high - p_low))


def _strictly_increasing(x, cdf):
    """Tilt a distribution function by 1e-12 in all, so that its inverse is well defined."""
    ramp = np.arange(len(cdf)) * (1e-12 / len(cdf))
    return x, (cdf + ramp) / (1.0 + ramp[-1])


class DiscreteMarginal:
    """A field of finitely many values drawn through its cumulative probabilities.

    A guide table (the value at each of ``GUIDE_SIZE`` evenly spaced levels) finds the value
    of a uniform number in a few vectorized steps.

    Parameters
    ----------
    field : dict
        A validated field whose family is ``categorical`` or a count family.
    """

    def __init__(self, field):
        self.name = field["name"]
        self.missing_rate = field.get("missing_rate", 0.0)
        self.values, probabilities = _discrete_table(field)
        self.numeric = self.values.dtype != object
        self.cdf_table = np.cumsum(probabilities)
        self.cdf_table[-1] = 1.0
        cells = np.arange(GUIDE_SIZE + 1) / GUIDE_SIZE
        first = np.searchsorted(self.cdf_table[:-1], cells, side="right")
        self.guide = first[:-1]
        self.n_steps = int((first[1:] - first[:-1]).max())
        self._padded = np.concatenate([self.cdf_table[:-1], [2.0]])
        self._index = None if self.numeric else {
            _key(value): i for i, value in enumerate(self.values)
        }

    def draw(self, n_rows, random_state, codes=False):
        """Draw ``n_rows`` values on their own (an independent field); see from_uniform."""
        return self.from_uniform(random_state.random_sample(n_rows), codes)

    def from_uniform(self, u, codes=False):
        """Values for uniform numbers ``u``, or their positions in ``values`` with ``codes``."""
        cell = (u * GUIDE_SIZE).astype(np.intp)
        index = self.guide.take(np.minimum(cell, GUIDE_SIZE - 1, out=cell))
        for _ in range(self.n_steps):
            index += self._padded.take(index) <= u
        return index if codes else self.values.take(index)

    def indices(self, values, nearest=False):
        """Position of each value among ``self.values``; -1 for missing or unknown values.

        With ``nearest``, a number between the values of a numeric field takes the position
        of the nearest one.
        """
        if not self.numeric:
            return np.array([self._index.get(_key(v), -1) for v in values], dtype=np.int64)
        values = np.asarray(values, dtype=float)
        last = len(self.values) - 1
        right = np.clip(np.searchsorted(self.values, values), 0, last)
        left = np.clip(right - 1, 0, last)
        closer = np.abs(self.values[left] - values) < np.abs(self.values[right] - values)
        where = np.where(closer, left, right)
        keep = np.isfinite(values) if nearest else self.values[where] == values
        return np.where(keep, where, -1)

    def _intervals_of(self, indices, default):
        cdf = np.concatenate([[0.0], self.cdf_table])
        known = indices >= 0
        safe = np.maximum(indices, 0)
        return (np.where(known, cdf[safe], default[0]),
                np.where(known, cdf[safe + 1], default[1]))

    def intervals(self, values):
        """Probability interval of each present value; (0, 0) for unknown values (see
        :meth:`ContinuousMarginal.intervals`)."""
        return self._intervals_of(self.indices(values), (0.0, 0.0))

    def conditioned_intervals(self, values):
        """Probability interval of each conditioned value; (0, 1) where it is missing."""
        return self._intervals_of(self.indices(values, nearest=True), (0.0, 1.0))

    def output(self, values):
        """Column written for conditioned cells given in spec space."""
        return np.asarray(values, dtype=float if self.numeric else object)


def _key(value):
    """Dictionary key of a category: booleans apart from the numbers 0 and 1."""
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, np.generic):
        return value.item()
    return value


def _discrete_table(field):
    distribution = field["distribution"]
    family = distribution["family"]
    if family == "categorical":
        probabilities = np.asarray(distribution["probabilities"], dtype=float)
        probabilities = probabilities / probabilities.sum()
        if field["kind"] in ("categorical", "boolean"):
            values = np.empty(len(probabilities), dtype=object)
            values[:] = list(distribution["categories"])
            return values, probabilities
        return _on_grain_table(field, np.asarray(distribution["categories"], dtype=float),
                               probabilities)
    params = distribution["params"]
    loc = int(params.get("loc", 0))
    bounds = field.get("bounds")
    low = loc if bounds is None else max(loc, int(math.ceil(bounds[0])))
    high = loc + _count_reach(family, params) if bounds is None else int(math.floor(bounds[1]))
    if high < low:
        raise ValueError(f"Field {field['name']!r}: its bounds lie outside the support of "
                         f"the {family} distribution.")
    if high - loc >= MAX_SUPPORT:
        raise ValueError(f"Field {field['name']!r}: the {family} support is wider than "
                         f"{MAX_SUPPORT} values; give tighter bounds.")
    log_pmf = COUNT_FAMILIES[family](params, np.arange(high - loc + 1))[low - loc:]
    if not np.isfinite(log_pmf).any():
        raise ValueError(f"Field {field['name']!r}: the {family} distribution puts no "
                         "probability within its bounds.")
    probabilities = np.exp(log_pmf - log_pmf.max())
    return _on_grain_table(field, np.arange(low, high + 1, dtype=float),
                           probabilities / probabilities.sum())


def _on_grain_table(field, numbers, probabilities):
    """Sorted distinct values of a discrete numeric field, each number moved onto the
    field's values or grain, with the probabilities of the numbers it gathers."""
    values, inverse = np.unique(on_grain(numbers, field), return_inverse=True)
    return values, np.bincount(inverse.ravel(), weights=probabilities, minlength=len(values))


def _on_values(field):
    """A field of ``values`` with a continuous family, as the categorical field it samples:
    each value has the probability of the numbers nearer to it than to the others."""
    allowed = field_values(field)
    edges = np.concatenate([[-np.inf], (allowed[1:] + allowed[:-1]) / 2, [np.inf]])
    continuous = ContinuousMarginal({k: v for k, v in field.items() if k != "values"})
    masses = np.diff(continuous.cdf(edges))
    if not masses.sum() > 0:
        raise ValueError(f"Field {field['name']!r}: the distribution puts no probability "
                         "near its values.")
    return {**field, "distribution": {"family": "categorical", "categories": allowed.tolist(),
                                      "probabilities": (masses / masses.sum()).tolist()}}


class TextMarginal:
    """Free text written by a word-level Markov chain (order one) stored in the spec.

    Parameters
    ----------
    field : dict
        A validated field whose family is ``markov``.
    """

    def __init__(self, field):
        distribution = field["distribution"]
        self.name = field["name"]
        self.missing_rate = field.get("missing_rate", 0.0)
        self.vocabulary = np.array(list(distribution["vocabulary"]) + [""], dtype=object)
        self.end = len(distribution["vocabulary"])
        self.start_cdf = np.cumsum(np.asarray(distribution["start"], dtype=float))
        self.start_cdf /= self.start_cdf[-1]
        transitions = distribution["transitions"]
        indptr = np.asarray(transitions["indptr"], dtype=np.int64)
        counts = np.diff(indptr)
        self.targets = np.asarray(transitions["targets"], dtype=np.int64)
        self.probabilities = np.asarray(transitions["probabilities"], dtype=float)
        self.indptr = indptr
        cumulative = np.cumsum(self.probabilities)
        within = cumulative - np.repeat(np.concatenate([[0.0], cumulative])[indptr[:-1]], counts)
        within = within / np.repeat(within[indptr[1:] - 1], counts)
        #: Cumulative probabilities of each word's successors, shifted by the word's number,
        #: so that one sorted search finds the next word of every row at once.
        self.keys = np.repeat(np.arange(self.end), counts) + within
        self.max_words = distribution["max_words"]

    def draw(self, n_rows, random_state):
        """Write ``n_rows`` texts (text fields never join the copula)."""
        first = np.searchsorted(self.start_cdf[:-1], random_state.random_sample(n_rows),
                                side="right")
        words = [first]
        active = first != self.end
        while active.any() and len(words) < self.max_words:
            u = random_state.random_sample(n_rows)
            state = np.where(active, words[-1], 0)
            position = np.searchsorted(self.keys, state + u, side="right")
            following = self.targets[np.minimum(position, len(self.targets) - 1)]
            following = np.where(active, following, self.end)
            words.append(following)
            active = following != self.end
        ids = np.column_stack(words)
        texts = np.empty(n_rows, dtype=object)
        for i, row in enumerate(ids):
            texts[i] = " ".join(self.vocabulary[row[row != self.end]])
        return texts

    def log_probability(self, text):
        """Log-probability of one text (its whitespace-separated words); -inf if impossible."""
        index = {word: i for i, word in enumerate(self.vocabulary[:-1])}
        words = [index.get(word, -1) for word in text.split()] + [self.end]
        if -1 in words or len(words) > self.max_words + 1:
            return -math.inf
        probabilities = np.diff(np.concatenate([[0.0], self.start_cdf]))
        total = math.log(probabilities[words[0]]) if probabilities[words[0]] > 0 else -math.inf
        for current, following in zip(words[:-1], words[1:]):
            segment = slice(self.indptr[current], self.indptr[current + 1])
            match = self.targets[segment] == following
            if not match.any():
                return -math.inf
            total += math.log(self.probabilities[segment][match][0])
        return total

    def output(self, values):
        """Column written for conditioned cells."""
        return np.asarray(values, dtype=object)


def compile_field(field):
    """Return the marginal sampler of one validated field.

    A numeric field with ``values`` draws only those values, whatever its family.
    """
    family = field["distribution"]["family"]
    if family == "markov":
        return TextMarginal(field)
    if family == "categorical" or family in COUNT_FAMILIES:
        return DiscreteMarginal(field)
    if field.get("values") is not None:
        return DiscreteMarginal(_on_values(field))
    return ContinuousMarginal(field)


# ---------------------------------------------------------------------------------- table
class CompiledSpec:
    """A spec ready to sample: one marginal per field and the Gaussian copula, if any.

    Parameters
    ----------
    spec : dict
        A validated spec.

    Attributes
    ----------
    marginals : list
        The marginal of each field, in spec order.
    copula_fields : list of str
        Fields joined by the Gaussian copula (empty without one).
    correlation : ndarray of shape (n_copula_fields, n_copula_fields)
        Correlation matrix of the copula's normal scores.
    """

    def __init__(self, spec):
        self.marginals = [compile_field(field) for field in spec["fields"]]
        self.names = [marginal.name for marginal in self.marginals]
        dependence = spec.get("dependence", {"type": "independent"})
        self.copula_fields = list(dependence.get("fields", []))
        self.correlation = copula_correlation(dependence)
        try:
            self._cholesky = np.linalg.cholesky(self.correlation)
        except np.linalg.LinAlgError:
            raise ValueError("The copula's correlation matrix is not positive definite.")
        self._position = {name: i for i, name in enumerate(self.copula_fields)}

    def sample(self, n_samples, seed):
        """Write ``n_samples`` rows from an integer seed, one seed per block of rows.

        The rows of ``FastGenSynthesizer.sample(n_samples, random_state=seed)``, but for
        the ID columns, which the synthesizer regenerates.

        Returns
        -------
        dict of str to ndarray
            One array per field.
        """
        random_state = np.random.RandomState(seed)
        blocks = []
        for start in range(0, n_samples, SEED_BLOCK_SIZE):
            size = min(SEED_BLOCK_SIZE, n_samples - start)
            block_state = np.random.RandomState(int(random_state.randint(MAX_SEED)))
            blocks.append(self.sample_block(size, block_state))
        return {name: np.concatenate([block[name] for block in blocks]) for name in self.names}

    def sample_block(self, n_rows, random_state, conditions=None, codes=False):
        """Write one block of rows.

        Parameters
        ----------
        n_rows : int
            Number of rows.
        random_state : numpy.random.RandomState
            Generator of this block.
        conditions : dict of str to array, default=None
            Fixed values per field, in spec space (numbers for numeric and datetime fields,
            category values otherwise); NaN or None fixes a cell to missing.
        codes : bool, default=False
            Return the fields of category values as positions in their categories (-1 where
            missing), which are cheaper to turn into a table than Python objects.

        Returns
        -------
        dict of str to ndarray
        """
        conditions = conditions or {}
        uniforms = self._copula_uniforms(n_rows, conditions, random_state)
        columns = {}
        for marginal in self.marginals:
            name = marginal.name
            if name in conditions:
                columns[name] = marginal.output(conditions[name])
                continue
            as_codes = {"codes": True} if codes and _has_categories(marginal) else {}
            if name in self._position:
                values = marginal.from_uniform(uniforms[self._position[name]], **as_codes)
            else:
                values = marginal.draw(n_rows, random_state, **as_codes)
            columns[name] = _with_missing(values, marginal.missing_rate, random_state)
        return columns

    def _copula_uniforms(self, n_rows, conditions, random_state):
        """Uniform numbers of the copula's fields (one array per field, computed one at a
        time to stay in cache), joined by their normal scores."""
        if not self.copula_fields:
            return None
        given = [i for i, name in enumerate(self.copula_fields) if name in conditions]
        if not given:
            noise = random_state.standard_normal((len(self.copula_fields), n_rows))
            return [norm_cdf(scores) for scores in self._cholesky @ noise]
        low, high = np.empty((n_rows, len(given))), np.empty((n_rows, len(given)))
        for k, i in enumerate(given):
            name = self.copula_fields[i]
            marginal = self.marginals[self.names.index(name)]
            low[:, k], high[:, k] = marginal.conditioned_intervals(conditions[name])
        scores = self._conditional_scores(given, norm_ppf(low), norm_ppf(high), random_state)
        return [norm_cdf(column) for column in scores.T]

    def _conditional_scores(self, given, low, high, random_state):
        """Normal scores given score intervals of the conditioned fields: a Gibbs sampler
        over those, then the Gaussian conditional distribution of the others."""
        n_rows = len(low)
        precision = np.linalg.inv(self.correlation[np.ix_(given, given)])
        z = truncated_normal(np.zeros_like(low), np.ones_like(low), low, high, random_state)
        for _ in range(GIBBS_SWEEPS if len(given) > 1 else 0):
            for k in range(len(given)):
                rest = [j for j in range(len(given)) if j != k]
                mean = -(z[:, rest] @ precision[k, rest]) / precision[k, k]
                sd = np.full(n_rows, 1.0 / math.sqrt(precision[k, k]))
                z[:, k] = truncated_normal(mean, sd, low[:, k], high[:, k], random_state)
        scores = np.empty((n_rows, len(self.copula_fields)))
        scores[:, given] = z
        free = [i for i in range(len(self.copula_fields)) if i not in given]
        if free:
            cross = self.correlation[np.ix_(free, given)]
            weights = cross @ precision
            covariance = self.correlation[np.ix_(free, free)] - weights @ cross.T
            factor = np.linalg.cholesky(covariance + 1e-10 * np.eye(len(free)))
            noise = random_state.standard_normal((n_rows, len(free)))
            scores[:, free] = z @ weights.T + noise @ factor.T
        return scores


def _has_categories(marginal):
    return isinstance(marginal, DiscreteMarginal) and not marginal.numeric


def _with_missing(values, rate, random_state):
    if rate <= 0:
        return values
    missing = random_state.random_sample(len(values)) < rate
    if values.dtype.kind == "i":
        return np.where(missing, -1, values)
    if values.dtype != object:
        return np.where(missing, np.nan, values)
    values = values.copy()
    values[missing] = None
    return values


def copula_correlation(dependence):
    """Correlation matrix of a spec's ``dependence``: given in full, or built from pairs."""
    fields = list(dependence.get("fields", []))
    if "correlation" in dependence:
        return np.asarray(dependence["correlation"], dtype=float).reshape(len(fields), -1)
    matrix = np.eye(len(fields))
    position = {name: i for i, name in enumerate(fields)}
    for first, second, value in dependence.get("pairs", []):
        i, j = position[first], position[second]
        matrix[i, j] = matrix[j, i] = value
    return nearest_correlation(matrix) if fields else matrix


# ------------------------------------------------------------------------------ the script
#: NumPy's name of each datetime unit of a spec.
_NUMPY_UNITS = {"D": "D", "h": "h", "min": "m", "s": "s", "ms": "ms", "us": "us", "ns": "ns"}


def csv_columns(spec, columns):
    """Format sampled columns as CSV cells: missing values empty, datetimes in ISO 8601 (UTC)."""
    cells = []
    for field in spec["fields"]:
        values = columns[field["name"]]
        if values.dtype == object:
            cells.append(["" if v is None else str(v) for v in values])
            continue
        missing = np.isnan(values)
        if field["kind"] == "datetime":
            steps = np.where(missing, 0, values).astype(np.int64)
            text = np.datetime_as_string(steps.astype(f"datetime64[{_NUMPY_UNITS[field['unit']]}]"))
            cells.append(["" if m else t for m, t in zip(missing, text)])
        elif field["kind"] == "integer":
            cells.append(["" if m else str(int(v)) for m, v in zip(missing, values)])
        else:
            cells.append(["" if m else repr(float(v)) for m, v in zip(missing, values)])
    return cells


def main(spec_json, argv=None):
    """Command line of an exported script: ``python script.py N_ROWS [--seed S] [--output F]``."""
    import argparse
    import csv
    import json
    import sys

    parser = argparse.ArgumentParser(description="Write synthetic rows as CSV.")
    parser.add_argument("n_rows", type=int, help="number of rows to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--output", help="CSV file to write (default: standard output)")
    args = parser.parse_args(argv)
    spec = json.loads(spec_json)
    compiled = CompiledSpec(spec)
    cells = csv_columns(spec, compiled.sample(args.n_rows, args.seed))
    stream = open(args.output, "w", newline="") if args.output else sys.stdout
    try:
        writer = csv.writer(stream)
        writer.writerow(compiled.names)
        writer.writerows(zip(*cells))
    finally:
        if args.output:
            stream.close()
