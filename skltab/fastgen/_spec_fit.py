"""Statistical inference of a FastGen spec from a real table (the ``"statistical"`` backend).

Numeric fields choose among parametric families by BIC, keeping only the families that pass a
Kolmogorov-Smirnov goodness-of-fit check; when none does, a Gaussian mixture, and failing
that the empirical quantile function. Every candidate is judged through the compiled sampler
itself (bounds, rounding and all), so what is chosen is what is sampled. Categorical fields
keep every category with its frequency; free text gets a word-level Markov chain; the copula
correlations come from normal scores of the real rows.
"""

import logging
import math
import warnings

import numpy as np
from scipy import linalg, optimize, special, stats
from sklearn.mixture import GaussianMixture

from ._spec_runtime import compile_field, field_step, nearest_correlation

logger = logging.getLogger(__name__)

#: Values a parametric family is fitted on (a random subsample of larger columns).
FIT_SAMPLE_SIZE = 2000
#: Goodness of fit: a family passes when its KS statistic is at most
#: ``max(KS_FLOOR, KS_COEFFICIENT / sqrt(n))`` (the 1 % critical value, floored).
KS_COEFFICIENT = 1.63
KS_FLOOR = 0.01
#: Integer fields with at most this many distinct values may keep their exact frequencies.
MAX_PMF_VALUES = 100
#: Components tried by the Gaussian mixture fallback.
MIXTURE_COMPONENTS = (2, 3, 4, 5)
#: Evenly spaced levels of the empirical quantile fallback ...
EMPIRICAL_QUANTILES = 257
#: ... and extreme values kept at each end, at their empirical levels.
EMPIRICAL_TAIL_VALUES = 10
#: Smallest probability a value gets in likelihoods.
PROBABILITY_FLOOR = 1e-12
#: Largest copula correlation, so that the matrix stays invertible.
MAX_CORRELATION = 0.999


# ----------------------------------------------------------------------- numeric fields
def numeric_field(base, values, random_state):
    """Choose the distribution of a numeric field from its present values.

    Parameters
    ----------
    base : dict
        The field without its distribution: name, kind, missing_rate, bounds, and decimals
        or unit.
    values : ndarray
        Present values in spec space (datetimes in units since 1970).
    random_state : numpy.random.RandomState
        Draws the fitting subsample and seeds the mixture.

    Returns
    -------
    dict
        The field with its ``distribution``.
    """
    sample = values if len(values) <= FIT_SAMPLE_SIZE else random_state.choice(
        values, FIT_SAMPLE_SIZE, replace=False)
    distinct, counts = np.unique(values, return_counts=True)
    return counted_numeric_field(base, distinct, counts, sample, random_state)


def counted_numeric_field(base, distinct, counts, sample, random_state):
    """Choose the distribution of a numeric field from the counts of its present values.

    Parameters
    ----------
    base : dict
        As in :func:`numeric_field`.
    distinct : ndarray
        The present values, sorted and distinct (or the centroids of a quantile sketch).
    counts : ndarray
        Rows of each.
    sample : ndarray
        A uniform sample without replacement of at most ``FIT_SAMPLE_SIZE`` present values,
        which parametric families are fitted on.
    random_state : numpy.random.RandomState
        Seeds the mixture.

    Returns
    -------
    dict
        The field with its ``distribution``.
    """
    low, high = base["bounds"]
    if low == high:
        return {**base, "distribution": _family("uniform", low=low, high=high)}
    threshold = max(KS_FLOOR, KS_COEFFICIENT / math.sqrt(counts.sum()))
    judged = [_judge(base, distribution, n_params, distinct, counts)
              for distribution, n_params in _candidates(base, sample, distinct, counts)]
    passing = [j for j in judged if j is not None and j[1] <= threshold]
    if passing:
        field, statistic, _ = min(passing, key=lambda j: j[2])
    else:
        mixture = _judge(base, *_mixture(sample, random_state), distinct, counts) \
            if len(np.unique(sample)) > 2 else None
        if mixture is not None and mixture[1] <= threshold:
            field, statistic, _ = mixture
        else:
            field = {**base, "distribution": _empirical(distinct, counts)}
            statistic = _judge(base, field["distribution"], 0, distinct, counts)[1]
    logger.info("Field %r: %s (KS %.3f, threshold %.3f).", base["name"],
                field["distribution"]["family"], statistic, threshold)
    return field


def _family(name, **params):
    return {"family": name, "params": {k: float(v) for k, v in params.items()}}


def _candidates(base, sample, distinct, counts):
    """Yield (distribution, number of free parameters) of every family that can be fitted.

    Parametric families are fitted on ``sample``; exact frequencies come from the counts of
    all values.
    """
    step = field_step(base)
    low, high = base["bounds"]
    spread = high - low
    margin = max(step / 2, 1e-3 * spread)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if sample.std() > 0:
            yield _family("normal", loc=sample.mean(), scale=sample.std()), 2
            yield _family("uniform", low=low - step / 2, high=high + step / 2), 0
            yield _family("exponential", loc=low - step / 2,
                          scale=max(sample.mean() - low + step / 2, margin)), 1
            yield from _student_t(sample)
            shift = low - margin
            yield from _fitted(stats.beta, "beta", (sample - shift) / (spread + 2 * margin),
                               ("a", "b"), {"floc": 0, "fscale": 1},
                               {"loc": shift, "scale": spread + 2 * margin}, n_params=2)
            for loc in sorted({shift, 0.0} if low > 0 else {shift}):
                positive = sample - loc
                yield from _positive(positive, loc)
        if base["kind"] == "integer":
            yield from _count_candidates(sample, low)
        if base["kind"] == "integer" or base.get("values") is not None:
            number = int if base["kind"] == "integer" else float
            if 1 < len(distinct) <= MAX_PMF_VALUES:
                yield {"family": "categorical", "categories": [number(v) for v in distinct],
                       "probabilities": (counts / counts.sum()).tolist()}, len(distinct) - 1


def _positive(positive, loc):
    logs = np.log(positive)
    if logs.std() > 0:
        yield _family("lognormal", sigma=logs.std(), loc=loc, scale=np.exp(logs.mean())), 2
    yield from _fitted(stats.gamma, "gamma", positive, ("shape",), {"floc": 0}, {"loc": loc},
                       n_params=2)
    yield from _fitted(stats.weibull_min, "weibull", positive, ("shape",), {"floc": 0},
                       {"loc": loc}, n_params=2)


def _fitted(distribution, name, sample, shapes, fixed, extra, n_params):
    """Yield (maximum likelihood fit of a scipy family, n_params), or nothing if it fails.

    ``fixed`` holds scipy's fixed arguments (``floc``, ``fscale``); ``extra`` the spec
    parameters that replace them.
    """
    try:
        fitted = distribution.fit(sample, **fixed)
    except (ValueError, RuntimeError, FloatingPointError):
        return
    if not np.all(np.isfinite(fitted)):
        return
    params = dict(zip(shapes, fitted[:len(shapes)]))
    if "floc" not in fixed:
        params["loc"] = fitted[len(shapes)]
    if "fscale" not in fixed:
        params["scale"] = fitted[-1]
    params.update(extra)
    if params.get("scale", 1) <= 0 or min(params[s] for s in shapes) <= 0:
        return
    yield _family(name, **params), n_params


def _student_t(sample):
    """Yield the maximum likelihood Student t fit (a direct NumPy likelihood, which is much
    faster than scipy's generic fit)."""
    center = float(np.median(sample))
    spread = float(np.median(np.abs(sample - center))) * 1.4826 or float(sample.std())

    def negative_log_likelihood(theta):
        df, loc, scale = math.exp(theta[0]), theta[1], math.exp(theta[2])
        y = (sample - loc) / scale
        return -(len(sample) * (special.gammaln((df + 1) / 2) - special.gammaln(df / 2)
                                - 0.5 * math.log(df * math.pi) - math.log(scale))
                 - (df + 1) / 2 * np.log1p(y * y / df).sum())

    result = optimize.minimize(negative_log_likelihood, [math.log(5.0), center,
                                                         math.log(spread)],
                               method="Nelder-Mead", options={"maxiter": 400})
    df, loc, log_scale = result.x
    if np.all(np.isfinite(result.x)):
        yield _family("student_t", df=math.exp(df), loc=loc, scale=math.exp(log_scale)), 3


def _count_candidates(sample, low):
    if low < 0:
        return
    for loc in sorted({0, int(low)}):
        mean, variance = sample.mean() - loc, sample.var()
        if mean <= 0:
            continue
        yield _count_family("poisson", loc, mu=mean), 1
        if variance > mean:
            yield _count_family("negative_binomial", loc, n=mean ** 2 / (variance - mean),
                                p=mean / variance), 2


def _count_family(name, loc, **params):
    distribution = _family(name, **params)
    distribution["params"]["loc"] = int(loc)
    return distribution


def _mixture(sample, random_state):
    """Fit Gaussian mixtures of a few components; return the one with the lowest BIC."""
    data = sample.reshape(-1, 1)
    best = None
    for n_components in MIXTURE_COMPONENTS:
        if n_components >= len(np.unique(sample)):
            break
        model = GaussianMixture(n_components, random_state=random_state.randint(2**31 - 1),
                                reg_covar=1e-6 * max(sample.var(), 1e-12),
                                init_params="k-means++")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data)
        bic = model.bic(data)
        if best is None or bic < best[0]:
            best = (bic, model)
    model = best[1]
    distribution = {"family": "gaussian_mixture", "params": {
        "weights": model.weights_.tolist(),
        "means": model.means_.ravel().tolist(),
        "scales": np.sqrt(model.covariances_.ravel()).tolist(),
    }}
    return distribution, 3 * model.n_components - 1


def _empirical(distinct, counts):
    """Quantiles at evenly spaced levels, and at the levels of the few most extreme values, so
    that outliers keep their real (small) probability."""
    n = int(counts.sum())
    tails = np.arange(1, min(EMPIRICAL_TAIL_VALUES, n // 2) + 1) / n
    levels = np.unique(np.concatenate([np.linspace(0, 1, min(EMPIRICAL_QUANTILES, n)),
                                       tails, 1 - tails]))
    return {"family": "empirical", "params": {
        "quantiles": counted_quantiles(distinct, counts, levels).tolist(),
        "levels": levels.tolist()}}


def counted_quantiles(distinct, counts, levels):
    """``numpy.quantile`` (linear interpolation) of the values ``distinct`` repeated
    ``counts`` times, without repeating them."""
    ends = np.cumsum(counts)
    position = (ends[-1] - 1) * np.asarray(levels, dtype=float)
    below = np.floor(position)
    low = distinct[np.searchsorted(ends, below, side="right")]
    high = distinct[np.minimum(np.searchsorted(ends, below + 1, side="right"),
                               len(distinct) - 1)]
    fraction = position - below
    difference = high - low
    # numpy's own interpolation, so that the result is the same to the last bit.
    return np.where(fraction >= 0.5, high - difference * (1 - fraction),
                    low + difference * fraction)


def _judge(base, distribution, n_params, unique, counts):
    """Return (field, KS statistic, BIC) of a candidate, or None if it does not compile."""
    field = {**base, "distribution": distribution}
    try:
        marginal = compile_field(field)
    except (ValueError, FloatingPointError, OverflowError):
        return None
    p_low, p_high = marginal.intervals(unique)
    n = counts.sum()
    right = np.cumsum(counts) / n
    statistic = max(np.abs(right - p_high).max(), np.abs(right - counts / n - p_low).max())
    log_likelihood = counts @ np.log(np.maximum(p_high - p_low, PROBABILITY_FLOOR))
    return field, float(statistic), -2 * log_likelihood + n_params * math.log(n)


# ------------------------------------------------------------------ discrete and text fields
def categorical_field(base, categories, counts, max_categories=None):
    """The field of a categorical or boolean column: every category with its frequency.

    Parameters
    ----------
    base : dict
        Name, kind and missing rate.
    categories : list
        The column's categories.
    counts : ndarray
        Present rows of each category.
    max_categories : int, default=None
        Keep only the most frequent categories (the others are never sampled).
    """
    counts = np.asarray(counts, dtype=float)
    keep = most_frequent(counts, max_categories)
    total = counts[keep].sum()
    probabilities = counts[keep] / total if total > 0 else np.full(len(keep), 1 / len(keep))
    return {**base, "distribution": {
        "family": "categorical",
        "categories": [_python(categories[i]) for i in keep],
        "probabilities": probabilities.tolist(),
    }}


def most_frequent(counts, max_categories):
    """Positions of the ``max_categories`` largest ``counts`` (ties to the first), in order;
    all positions when ``max_categories`` is None or not smaller than their number."""
    if max_categories is None or len(counts) <= max_categories:
        return np.arange(len(counts))
    return np.sort(np.argsort(-np.asarray(counts), kind="stable")[:max_categories])


def _python(value):
    return value.item() if isinstance(value, np.generic) else value


def text_field(base, texts):
    """The field of a free-text column: a word-level Markov chain of order one.

    Parameters
    ----------
    base : dict
        Name, kind and missing rate.
    texts : list of str
        Present texts.
    """
    documents = [text.split() for text in texts]
    vocabulary = sorted({word for words in documents for word in words})
    index = {word: i for i, word in enumerate(vocabulary)}
    end = len(vocabulary)
    starts = np.bincount([index[w[0]] if w else end for w in documents], minlength=end + 1)
    sources, targets = [], []
    for words in documents:
        ids = [index[word] for word in words]
        sources.extend(ids)
        targets.extend(ids[1:] + [end])
    pairs, counts = np.unique(np.asarray(sources, dtype=np.int64) * (end + 1)
                              + np.asarray(targets, dtype=np.int64), return_counts=True)
    rows, columns = np.divmod(pairs, end + 1)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=end))])
    totals = np.bincount(rows, weights=counts, minlength=end)
    return {**base, "distribution": {
        "family": "markov",
        "vocabulary": vocabulary,
        "start": (starts / starts.sum()).tolist(),
        "transitions": {"indptr": indptr.tolist(), "targets": columns.tolist(),
                        "probabilities": (counts / totals[rows]).tolist()},
        "max_words": max(1, max(map(len, documents))),
    }}


# ------------------------------------------------------------------------------- copula
def truncated_normal_moments(low, high):
    """Mean and variance of a standard normal restricted to [low, high], elementwise.

    Computed in log space on the lower tail (intervals above zero are mirrored), so they stay
    accurate far in the tails; intervals narrower than 1e-7 count as points.
    """
    low, high = np.broadcast_arrays(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    with np.errstate(all="ignore"):
        mirror = low + high > 0
        a, b = np.where(mirror, -high, low), np.where(mirror, -low, high)
        narrow = (b - a) < 1e-7
        log_b, log_a = special.log_ndtr(b), special.log_ndtr(a)
        log_mass = log_b + np.log1p(-np.exp(log_a - log_b))
        density_a = np.exp(-0.5 * a * a - 0.5 * math.log(2 * math.pi) - log_mass)
        density_b = np.exp(-0.5 * b * b - 0.5 * math.log(2 * math.pi) - log_mass)
        density_a = np.where(np.isfinite(a), density_a, 0.0)
        density_b = np.where(np.isfinite(b), density_b, 0.0)
        mean = density_a - density_b
        edge = np.where(np.isfinite(a), a * density_a, 0.0) - np.where(
            np.isfinite(b), b * density_b, 0.0)
        variance = np.maximum(1 + edge - mean * mean, 0.0)
        middle = np.where(np.isfinite(a + b), (a + b) / 2, np.where(np.isfinite(a), a, b))
    mean = np.where(narrow, middle, mean)
    variance = np.where(narrow, (b - a) ** 2 / 12, variance)
    return np.where(mirror, -mean, mean), variance


def normal_scores(keys):
    """Rank-based normal scores: the conditional mean of a standard normal over each value's
    interval of empirical probability (tied values share one interval); NaN where missing.

    Parameters
    ----------
    keys : ndarray
        Numbers that order the values (the values, or category positions); NaN if missing.
    """
    scores = np.full(len(keys), np.nan)
    present = ~np.isnan(keys)
    unique, inverse, counts = np.unique(keys[present], return_inverse=True, return_counts=True)
    scores[present] = counted_scores(counts)[inverse]
    return scores


def counted_scores(counts):
    """The normal score of each of the sorted distinct values seen ``counts`` times."""
    high = np.cumsum(counts) / counts.sum()
    low = high - counts / counts.sum()
    return truncated_normal_moments(special.ndtri(low), special.ndtri(high))[0]


def copula_dependence(fields, columns, ordered, shrinkage):
    """Estimate the Gaussian copula of the real rows (and order unordered categories).

    Each value becomes the conditional mean of its normal score over its interval of
    empirical probability (a rank-based score, whatever the fitted marginal); unordered
    categories are first put in the order that best correlates them with the other fields
    (the leading canonical variate). Correlations
    are computed on pairwise complete rows and corrected for the coarsening of discrete
    fields (a score's variance below one shrinks its correlations by that factor), made
    positive definite, and shrunk towards the identity by ``shrinkage``.

    Parameters
    ----------
    fields : list of dict
        Field specs; categorical ones may be reordered in place.
    columns : dict of str to ndarray
        Real values of each field in spec space (NaN or None where missing).
    ordered : set of str
        Fields whose category order is meaningful and kept.
    shrinkage : float
        Weight of the identity matrix in the correlation matrix, in [0, 1].

    Returns
    -------
    dict
        The spec's ``dependence``.
    """
    scores = order_categories(fields, columns, ordered)
    names = list(scores)
    matrix = np.column_stack([scores[name] for name in names] or [np.empty((0, 0))])
    return copula_from_moments(names, score_moments(matrix), shrinkage)


def order_categories(fields, columns, ordered):
    """Put the categories of unordered categorical fields in the order that best correlates
    them with the other fields (in place); return the normal scores of every field but
    text, by name."""
    candidates = [f for f in fields if f["kind"] != "text"]
    scores = {f["name"]: _scores(f, columns[f["name"]]) for f in candidates}
    reorderable = [f for f in candidates if f["distribution"]["family"] == "categorical"
                   and f["kind"] in ("categorical", "boolean") and f["name"] not in ordered
                   and len(f["distribution"]["categories"]) > 2]
    for _ in range(2):
        for field in reorderable:
            others = [scores[f["name"]] for f in candidates if f is not field]
            _reorder(field, columns[field["name"]], others)
            scores[field["name"]] = _scores(field, columns[field["name"]])
    return scores


def score_moments(scores):
    """Sums over rows of the normal ``scores`` (NaN where missing) that the copula's
    correlation is computed from; the sums of two sets of rows add up.

    Returns
    -------
    dict of str to ndarray
        ``cross`` (products of pairs), ``squares`` (squares of each field where the other is
        present), ``pairs`` (rows where both are present) and ``sums``.
    """
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    mask = present.astype(float)
    return {"cross": filled.T @ filled, "squares": (filled ** 2).T @ mask,
            "pairs": mask.T @ mask, "sums": filled.sum(axis=0)}


def copula_from_moments(names, moments, shrinkage):
    """The spec's ``dependence`` from the :func:`score_moments` of the fields ``names``:
    fields whose scores vary, their correlations corrected for coarsening, made positive
    definite and shrunk towards the identity by ``shrinkage``."""
    counts = np.diag(moments["pairs"])
    with np.errstate(invalid="ignore", divide="ignore"):
        means = moments["sums"] / counts
        variances = np.diag(moments["squares"]) / counts - means ** 2
    kept = np.flatnonzero(variances > 1e-9)
    if len(kept) < 2:
        return {"type": "independent"}
    subset = {key: value[np.ix_(kept, kept)] for key, value in moments.items() if key != "sums"}
    correlation = (1 - shrinkage) * _corrected_correlation(subset) + shrinkage * np.eye(
        len(kept))
    return {"type": "gaussian_copula", "fields": [names[i] for i in kept],
            "correlation": np.round(correlation, 12).tolist()}


def _scores(field, values):
    return normal_scores(_order_keys(field, values))


def _order_keys(field, values):
    """Numbers that order a field's values: the values, or their category positions."""
    if values.dtype != object:
        return values
    indices = compile_field(field).indices(values).astype(float)
    return np.where(indices >= 0, indices, np.nan)


def _reorder(field, values, others):
    """Order categories by their mean on the leading canonical variate of the other scores."""
    if not others:
        return
    distribution = field["distribution"]
    codes = compile_field(field).indices(values)
    rows = codes >= 0
    other = np.nan_to_num(np.column_stack(others)[rows])
    codes = codes[rows]
    n_categories = len(distribution["categories"])
    counts = np.bincount(codes, minlength=n_categories).astype(float)
    sums = np.zeros((n_categories, other.shape[1]))
    np.add.at(sums, codes, other)
    means = sums / np.maximum(counts, 1)[:, None]
    weights = counts / counts.sum()
    between = (means * weights[:, None]).T @ means
    within = other.T @ other / len(other) + 1e-6 * np.eye(other.shape[1])
    direction = linalg.eigh(between, within)[1][:, -1]
    order = np.argsort(means @ direction, kind="stable")
    distribution["categories"] = [distribution["categories"][i] for i in order]
    distribution["probabilities"] = [distribution["probabilities"][i] for i in order]


def _corrected_correlation(moments):
    counts = np.maximum(moments["pairs"], 1.0)
    covariance = moments["cross"] / counts
    variance = moments["squares"] / counts
    # Fields never present together (categories dropped by max_categories) get no correlation.
    scale = variance * variance.T
    correlation = np.divide(covariance, scale, out=np.zeros_like(covariance), where=scale > 0)
    correlation = np.clip(correlation, -MAX_CORRELATION, MAX_CORRELATION)
    np.fill_diagonal(correlation, 1.0)
    return nearest_correlation(correlation)


# -------------------------------------------------------------------------- metadata only
def metadata_field(base, column):
    """The field of a column known only from its metadata: uniform within what it allows.

    Raises
    ------
    ValueError
        If the metadata leaves the distribution open (no range, no categories, text).
    """
    kind = base["kind"]
    if kind in ("categorical", "boolean"):
        categories = column.categories if column.categories is not None else (
            [False, True] if kind == "boolean" else None)
        if not categories:
            raise ValueError(f"Column {column.name!r} has no rows and no categories in its "
                             "metadata; give them, or use backend='llm'.")
        return categorical_field(base, categories, np.ones(len(categories)))
    if kind == "text":
        raise ValueError(f"Text column {column.name!r} has no rows to learn from; use "
                         "backend='llm' to write its texts from a description.")
    if base.get("bounds") is None:
        raise ValueError(f"Column {column.name!r} has no rows and no min and max in its "
                         "metadata; give them, or use backend='llm'.")
    low, high = base["bounds"]
    step = field_step(base)
    return {**base, "distribution": _family("uniform", low=low - step / 2, high=high + step / 2)}
