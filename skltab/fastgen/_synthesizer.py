"""FastGenSynthesizer: infer each field's distribution once, then sample at NumPy speed."""

import json
import logging
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from ..base import BaseSynthesizer, InputFormat
from ..metadata import TableEncoder, TableMetadata
from ..metadata._column import NUMERIC_KINDS
from ..metadata._dtypes import timestamp_to_number
from ..metadata._grain import GRAIN_FIELDS
from ..utils._docstrings import fill_doc
from ..metadata._infer import numeric_values
from ..utils._random import draw_seed
from . import _spec_runtime
from ._backend_llm import (
    MAX_PROMPT_CATEGORIES,
    FieldContext,
    LLMClient,
    examples_of,
    field_facts,
    infer_fields,
    rows_as_csv,
)
from ._spec import SPEC_FORMAT, SPEC_VERSION, SpecError, validate_spec
from ._spec_fit import (
    PROBABILITY_FLOOR,
    categorical_field,
    copula_dependence,
    metadata_field,
    most_frequent,
    numeric_field,
    text_field,
)
from ._spec_runtime import (
    SEED_BLOCK_SIZE,
    CompiledSpec,
    DiscreteMarginal,
    TextMarginal,
    truncated_normal_quantile,
)

__all__ = ["FastGenSynthesizer"]

logger = logging.getLogger(__name__)

#: Kinds whose values are the categories of the shared encoder.
_CATEGORY_KINDS = ("categorical", "boolean")
#: Draws of the GHK simulator that scores rows under a copula ...
SCORE_DRAWS = 64
#: ... for this many rows at a time.
SCORE_CHUNK = 1024


@fill_doc
class FastGenSynthesizer(BaseSynthesizer):
    """Infer a declarative spec of every field once, then sample any number of rows from it.

    FASTGEN (Nguyen et al., 2025) has an LLM read a table's metadata and a few rows, classify
    each field and write a sampling script per field, so that millions of rows cost no
    further model call. This synthesizer keeps that shape and removes its limits:

    - the spec is declarative JSON (family, parameters, bounds, rounding, missing rate,
      categories and probabilities, text model), checked against a schema; **nothing written
      by an LLM is ever executed**, and a spec that carries code is rejected;
    - ``backend="statistical"`` (the default) needs no LLM: numeric fields choose among
      parametric families (normal, log-normal, gamma, beta, exponential, uniform, Student t,
      Weibull; Poisson and negative binomial for counts) by BIC, keeping only those that pass
      a Kolmogorov-Smirnov check, and fall back to a Gaussian mixture or the empirical
      quantile function; categorical fields keep every category, rare ones included; free
      text gets a word-level Markov chain trained on the column;
    - ``backend="llm"`` follows the paper with any callable ``prompt -> str`` or an
      OpenAI-compatible endpoint; every answer is validated by a dry run, and rejected
      answers are sent back with the error;
    - ``dependence="copula"`` joins the fields by a Gaussian copula (rank correlations of the
      real rows, or pairs named by the LLM when there are no rows), which also makes
      ``conditions`` on any subset of fields shape the other fields;
    - fitted on a table with no rows and a ``metadata`` parameter, it learns from the
      metadata and the ``column_descriptions`` alone (the paper's setting).

    Parameters
    ----------
    backend : {"statistical", "llm"}, default="statistical"
        Who writes the spec: statistics of the real rows, or an LLM.
    dependence : {"copula", "independent"}, default="copula"
        Join the fields by a Gaussian copula, or draw each field on its own (faster).
    copula_shrinkage : float, default=0.01
        Weight of the identity in the copula's correlation matrix estimated from rows, in
        [0, 1]. A little keeps near-deterministic relations (one-to-one columns, shared
        spikes) from making the model overconfident, which :meth:`score` punishes on new
        rows; tune it with :meth:`score` in a grid search.
    max_categories : int, default=None
        Keep at most this many categories per categorical field (the most frequent); the
        others are never sampled. None keeps them all.
    llm : callable, default=None
        ``prompt -> str`` answering the prompts of ``backend="llm"``. Its token usage is
        estimated at four characters per token.
    base_url : str, default=None
        Root of an OpenAI-compatible API (``.../v1``) for ``backend="llm"`` when ``llm`` is
        None: a local vLLM, llama.cpp or Ollama server, or a hosted one. Requests use the
        standard library; no client package is needed.
    model : str, default=None
        Model name sent to ``base_url``.
    api_key_env : str or None, default="OPENAI_API_KEY"
        Environment variable holding the API key of ``base_url``; sent only when set.
    n_examples : int, default=100
        Real rows shown to the LLM (and example values per field). Token usage grows with
        this and with the number of columns, not with the number of rows.
    n_retries : int, default=3
        Further attempts after an answer that fails validation; the error is sent back.
    column_descriptions : dict of str to str, default=None
        What each column holds, in words, for the LLM (and kept in the spec).
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the table when None. Required to fit on a table with
        no rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the fit (subsamples, mixtures) and :meth:`sample` calls that pass no
        ``random_state``.
    verbose : int, default=0
        0 silent, 1 progress bars.

    Attributes
    ----------
    spec_ : dict
        The spec: JSON-compatible, validated, and enough to rebuild the sampler
        (:meth:`to_json`, :meth:`from_json`, :meth:`export_script`).
    llm_usage_ : dict or None
        With ``backend="llm"``: ``calls``, ``prompt_tokens``, ``completion_tokens``,
        ``total_tokens``, ``estimated`` and ``fallback_fields`` (fields for which no answer
        was valid, inferred without the LLM). None with the statistical backend.
    %(fit_attributes)s

    See Also
    --------
    skltab.IndependentSynthesizer : Empirical marginals, no model choice.

    Notes
    -----
    Free text is written by a Markov chain of the real column's words, which may repeat
    real phrases or whole short texts; do not use it on text that must stay private.

    References
    ----------
    A. Nguyen, S. Schafft, N. Hale and J. Alfaro, "FASTGEN: Fast and Cost-Effective Synthetic
    Tabular Data Generation with LLMs", arXiv:2507.15839, 2025.

    Examples
    --------
    >>> from skltab.fastgen import FastGenSynthesizer
    >>> from skltab.datasets import load_demo
    >>> real = load_demo()
    >>> synthesizer = FastGenSynthesizer(random_state=0).fit(real)
    >>> synthesizer.sample(5).shape == (5, real.shape[1])
    True
    """

    _parameter_constraints = {
        **BaseSynthesizer._parameter_constraints,
        "backend": [StrOptions({"statistical", "llm"})],
        "dependence": [StrOptions({"copula", "independent"})],
        "copula_shrinkage": [Interval(Real, 0, 1, closed="both")],
        "max_categories": [Interval(Integral, 1, None, closed="left"), None],
        "llm": [callable, None],
        "base_url": [str, None],
        "model": [str, None],
        "api_key_env": [str, None],
        "n_examples": [Interval(Integral, 0, None, closed="left")],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "column_descriptions": [dict, None],
    }
    _seed_block_size = SEED_BLOCK_SIZE
    _allows_empty_table = True

    def __init__(self, *, backend="statistical", dependence="copula", copula_shrinkage=0.01,
                 max_categories=None, llm=None, base_url=None, model=None,
                 api_key_env="OPENAI_API_KEY", n_examples=100, n_retries=3,
                 column_descriptions=None, metadata=None, random_state=None, verbose=0):
        self.backend = backend
        self.dependence = dependence
        self.copula_shrinkage = copula_shrinkage
        self.max_categories = max_categories
        self.llm = llm
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.n_examples = n_examples
        self.n_retries = n_retries
        self.column_descriptions = column_descriptions
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------------------ fit
    def _fit(self, table):
        descriptions = self._check_descriptions(table)
        fit_state = np.random.RandomState(draw_seed(self.random_state_))
        columns = {name: _spec_values(table[name], self.metadata_[name]) for name in table}
        counted = _counted_categories(table, self.metadata_)
        bases = [self._base_field(self.metadata_[name], *_observed(columns[name],
                                                                   self.metadata_[name]))
                 for name in table]
        if self.backend == "llm":
            fields, pairs = self._llm_fields(table, bases, columns, counted, descriptions,
                                             fit_state)
        else:
            fields = [self._statistical_field(base, columns[base["name"]], counted, fit_state)
                      for base in bases]
            pairs = []
            self.llm_usage_ = None
        for field in fields:
            if descriptions.get(field["name"]) and "description" not in field:
                field["description"] = descriptions[field["name"]]
        self._set_spec(fields, self._dependence(fields, columns, pairs, len(table)))

    def _set_spec(self, fields, dependence):
        """Assemble, validate and compile the spec of ``fields`` joined by ``dependence``."""
        self.spec_ = {
            "format": SPEC_FORMAT,
            "version": SPEC_VERSION,
            "fields": fields,
            "dependence": dependence,
            "metadata": self.metadata_.to_dict(),
            "id_seed": int(self.id_seed_),
        }
        validate_spec(self.spec_)
        self._sampler = CompiledSpec(self.spec_)

    def _check_descriptions(self, table):
        descriptions = dict(self.column_descriptions or {})
        unknown = [name for name in descriptions if name not in self.metadata_]
        if unknown:
            raise ValueError(f"column_descriptions names unknown columns {unknown}; the "
                             f"columns are {self.metadata_.columns}.")
        bad = [name for name, text in descriptions.items() if not isinstance(text, str)]
        if bad:
            raise TypeError(f"column_descriptions must map columns to strings; {bad} do not.")
        return {name: text for name, text in descriptions.items() if name in table}

    def _base_field(self, column, missing_rate, observed_range):
        """The field spec without its distribution: kind, missing rate (None: the
        metadata's), bounds (the metadata's range, else ``observed_range``), rounding, and
        the column's ``values`` or grain (``step``, ``step_offset``)."""
        base = {"name": column.name, "kind": column.kind}
        if missing_rate is None:
            missing_rate = column.missing_rate if column.nullable else 0.0
        base["missing_rate"] = float(missing_rate)
        if column.kind in NUMERIC_KINDS:
            base["bounds"] = _bounds(column, observed_range)
            if column.kind == "continuous":
                base["decimals"] = column.decimals
            base.update({key: getattr(column, key) for key in GRAIN_FIELDS
                         if getattr(column, key, None) is not None})
            if column.kind == "datetime":
                if column.datetime_unit is None:
                    raise ValueError(f"Datetime column {column.name!r} needs a datetime_unit "
                                     "in its metadata.")
                base["unit"] = column.datetime_unit
        return base

    def _statistical_field(self, base, values, counted, random_state):
        present = values[_present(values)]
        if not len(present):
            return metadata_field(base, self.metadata_[base["name"]])
        if base["kind"] in NUMERIC_KINDS:
            return numeric_field(base, present.astype(float), random_state)
        if base["kind"] == "text":
            return text_field(base, [str(v) for v in present])
        return categorical_field(base, *counted[base["name"]], self.max_categories)

    def _llm_fields(self, table, bases, columns, counted, descriptions, random_state):
        if (self.llm is None) == (self.base_url is None):
            raise ValueError("backend='llm' needs exactly one of llm (a callable prompt -> str) "
                             "and base_url (an OpenAI-compatible endpoint).")
        client = LLMClient(self.llm, self.base_url, self.model, self.api_key_env)
        contexts = []
        for base in bases:
            column = self.metadata_[base["name"]]
            values = columns[base["name"]]
            present = values[_present(values)]
            categories = None
            if base["kind"] in _CATEGORY_KINDS:
                categories = _kept_categories(*counted[base["name"]],
                                              self.max_categories or MAX_PROMPT_CATEGORIES)
            contexts.append(FieldContext(
                base=base,
                facts=field_facts(base, column, present, categories),
                examples=examples_of(present, self.n_examples, random_state),
                categories=categories,
            ))
        rows = len(table) > 0
        fields, pairs, fallbacks = infer_fields(
            client, contexts, descriptions=descriptions,
            rows_csv=rows_as_csv(table, self.n_examples, random_state),
            ask_pairs=not rows and self.dependence == "copula",
            free_missing_rate={b["name"]: not rows and self.metadata_[b["name"]].nullable
                               and b["missing_rate"] == 0 for b in bases},
            n_retries=self.n_retries,
            fallback=lambda base: self._statistical_field(base, columns[base["name"]], counted,
                                                          random_state),
        )
        self.llm_usage_ = {**client.usage, "fallback_fields": fallbacks}
        return fields, pairs

    def _dependence(self, fields, columns, pairs, n_rows):
        if self.dependence == "independent":
            return {"type": "independent"}
        if n_rows:
            ordered = {name for name in columns if self.metadata_[name].ordered}
            return copula_dependence(fields, columns, ordered, self.copula_shrinkage)
        if not pairs:
            return {"type": "independent"}
        names = [f["name"] for f in fields if f["kind"] != "text"]
        return {"type": "gaussian_copula", "fields": names, "pairs": pairs}

    # --------------------------------------------------------------------------- sample
    def _sample(self, n_samples, conditions, random_state):
        fixed = None
        if conditions is not None:
            fixed = {name: _spec_values(conditions[name], self.metadata_[name])
                     for name in conditions.columns}
        columns = self._sampler.sample_block(n_samples, random_state, fixed, codes=True)
        for marginal in self._sampler.marginals:
            if columns[marginal.name].dtype.kind == "i":
                columns[marginal.name] = pd.Categorical.from_codes(
                    columns[marginal.name], categories=pd.Index(marginal.values, dtype=object))
        return pd.DataFrame(columns)

    # ---------------------------------------------------------------------------- score
    def score_samples(self, X, y=None):
        """Log-likelihood of each row of ``X`` under the spec; :meth:`score` is their mean.

        Each numeric value counts as the interval of its recorded precision (1 for integers
        and datetime units, ``10**-decimals`` for decimals, a millionth of the range
        otherwise), so every term is a log-probability; a missing value counts as the
        field's missing rate; a text as the probability of its words under the Markov
        chain. Under a copula, the probability of a row's values is that of a box of normal
        scores, estimated by the GHK simulator with ``SCORE_DRAWS`` fixed draws (consistent,
        and low by a little on average), the same for every row, so that a row's score does
        not depend on the other rows. Values the spec cannot produce get probability 1e-12.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns.
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was fitted with one. Without it, the target is
            summed out: the result is the log-likelihood of the rows of ``X`` alone.

        Returns
        -------
        log_likelihood : ndarray of shape (n_rows,)
            Log-likelihood of each row (greater is more plausible).
        """
        table = self._check_scoring_table(X, y, target_optional=True)
        sampler = self._sampler
        log_likelihood = np.zeros(len(table))
        boxes = {}
        for field, marginal in zip(self.spec_["fields"], sampler.marginals):
            if field["name"] not in table:  # the target, summed out
                if field["name"] in sampler.copula_fields:
                    boxes[field["name"]] = (np.zeros(len(table)), np.ones(len(table)))
                continue
            values = _spec_values(table[field["name"]], self.metadata_[field["name"]])
            present = _present(values)
            rate = field.get("missing_rate", 0.0)
            probability = np.where(present, 1 - rate, rate)
            if isinstance(marginal, TextMarginal):
                probability[present] *= np.exp([marginal.log_probability(str(text))
                                                for text in values[present]])
            else:
                low, high = np.zeros(len(table)), np.ones(len(table))
                low[present], high[present] = marginal.intervals(values[present])
                possible = high > low
                probability[~possible] = 0.0
                if field["name"] in sampler.copula_fields:
                    boxes[field["name"]] = (np.where(possible, low, 0.0),
                                            np.where(possible, high, 1.0))
                else:
                    probability *= high - low
            log_likelihood += np.log(np.maximum(probability, PROBABILITY_FLOOR))
        if boxes:
            low = np.column_stack([boxes[name][0] for name in sampler.copula_fields])
            high = np.column_stack([boxes[name][1] for name in sampler.copula_fields])
            log_likelihood += _box_log_probability(special.ndtri(low), special.ndtri(high),
                                                   sampler.correlation, _ghk_order(sampler))
        return log_likelihood

    # ------------------------------------------------------------------------ the spec
    def to_json(self):
        """Return :attr:`spec_` as JSON text (what :meth:`from_json` reads).

        Returns
        -------
        text : str
            The spec, validated, with the table's metadata and the seed of its IDs.
        """
        check_is_fitted(self)
        return json.dumps(self.spec_, allow_nan=False)

    @classmethod
    def from_json(cls, text, *, random_state=None):
        """Build a fitted synthesizer from a spec, without fitting.

        The spec is validated first: a spec that does not follow the schema, or that
        carries code, raises a ``ValueError``. The result samples exactly as the synthesizer
        that wrote the spec (for the same ``random_state`` of :meth:`sample`) and returns a
        DataFrame with every column of the spec's metadata.

        Parameters
        ----------
        text : str
            JSON text written by :meth:`to_json` (or by hand, following the schema).
        random_state : int, RandomState instance or None, default=None
            Seeds :meth:`sample` calls that pass no ``random_state``.

        Returns
        -------
        FastGenSynthesizer
            A fitted synthesizer.
        """
        spec = json.loads(text)
        validate_spec(spec)
        if "metadata" not in spec:
            raise SpecError("from_json needs a spec with 'metadata' (as to_json writes).")
        metadata = TableMetadata.from_dict(spec["metadata"])
        modelled = [c.name for c in metadata if c.kind != "id"]
        fields = {f["name"]: f["kind"] for f in spec["fields"]}
        if sorted(fields) != sorted(modelled):
            raise SpecError(f"The spec's fields {sorted(fields)} differ from the metadata's "
                            f"modelled columns {sorted(modelled)}.")
        dependence = spec.get("dependence", {}).get("type", "independent")
        synthesizer = cls(dependence="independent" if dependence == "independent" else "copula",
                          random_state=random_state)
        synthesizer.metadata_ = metadata
        synthesizer.input_format_ = InputFormat("dataframe", tuple(metadata.columns))
        synthesizer.n_features_in_ = len(metadata)
        synthesizer.feature_names_in_ = np.asarray(metadata.columns, dtype=object)
        synthesizer.random_state_ = check_random_state(random_state)
        synthesizer.id_seed_ = int(spec.get("id_seed", 0))
        synthesizer.llm_usage_ = None
        synthesizer.spec_ = spec
        synthesizer._sampler = CompiledSpec(spec)
        return synthesizer

    def export_script(self, path):
        """Write a standalone Python script (NumPy only) that samples like this synthesizer.

        The script holds the spec as JSON and the source of skltab's spec sampler, and writes
        CSV: ``python script.py N_ROWS --seed S --output rows.csv`` writes the rows of
        ``sample(N_ROWS, random_state=S)`` (datetimes in ISO 8601, UTC), except the ID
        columns, which the synthesizer regenerates and the script leaves out.

        Parameters
        ----------
        path : str or path-like
            Where to write the script.

        Returns
        -------
        path : Path
            The written file.
        """
        check_is_fitted(self)
        path = Path(path)
        runtime = Path(_spec_runtime.__file__).read_text(encoding="utf-8")
        header = (
            f'"""Standalone sampler exported by skltab {__version__} FastGenSynthesizer.\n\n'
            "Usage: python {name} N_ROWS [--seed SEED] [--output FILE.csv]\n\n"
            "Needs only NumPy. The spec below is data; nothing in it is executed.\n"
            '"""\n\n'
        ).format(name=path.name)
        body = runtime.split('"""', 2)[2]  # the runtime without its own docstring
        spec_line = f"\nSPEC_JSON = {json.dumps(self.spec_, allow_nan=False)!r}\n"
        footer = '\n\nif __name__ == "__main__":\n    main(SPEC_JSON)\n'
        path.write_text(header + body.lstrip() + spec_line + footer, encoding="utf-8")
        return path

    @classmethod
    def _get_test_params(cls):
        return {}


# ------------------------------------------------------------------------------- helpers
def _spec_values(series, column):
    """A column in spec space: floats (datetimes in units since 1970) with NaN for numeric
    kinds, an object array with None for missing values otherwise."""
    if column.kind in NUMERIC_KINDS:
        return numeric_values(series, column)
    values = series.astype(object).to_numpy(dtype=object, copy=True)
    values[pd.isna(series).to_numpy()] = None
    return values


def _present(values):
    if values.dtype == object:
        return np.array([v is not None for v in values], dtype=bool)
    return ~np.isnan(values)


def _observed(values, column):
    """The missing rate of a column's ``values`` in spec space (None without rows) and the
    range of its present values (None for other kinds than numeric, or none present)."""
    if not len(values):
        return None, None
    present = _present(values)
    observed_range = None
    if column.kind in NUMERIC_KINDS and present.any():
        observed_range = [float(values[present].min()), float(values[present].max())]
    return float(1 - present.mean()), observed_range


def _bounds(column, observed_range):
    if column.kind == "datetime" and column.min is not None:
        return [timestamp_to_number(column.min, column.datetime_unit),
                timestamp_to_number(column.max, column.datetime_unit)]
    if column.min is not None and column.max is not None:
        return [float(column.min), float(column.max)]
    return observed_range


def _counted_categories(table, metadata):
    """The categories of each categorical and boolean column, as the shared encoder holds
    them, with the number of real rows of each."""
    names = [name for name in table if metadata[name].kind in _CATEGORY_KINDS]
    encoder = TableEncoder(metadata.select(names)).fit(table[names])
    counted = {}
    for name in names:
        categories = encoder.categories_[name]
        codes = encoder.codes(table[name], unknown="mark")
        # The code after the last category is the missing state, which is not a category.
        counts = np.bincount(codes[codes >= 0], minlength=len(categories) + 1)[:len(categories)]
        counted[name] = (categories, counts)
    return counted


def _kept_categories(categories, counts, max_categories):
    """Categories the LLM must give probabilities to: the ``max_categories`` most frequent;
    None when neither the rows nor the metadata name any."""
    if not categories:
        return None
    return [categories[i] for i in most_frequent(counts, max_categories)]


def _ghk_order(sampler):
    """Order of the copula fields for the GHK simulator, narrowest intervals first.

    A value of a continuous field is a point-like interval; a discrete field's intervals are
    as wide as their probabilities, so its typical width is the sum of their squares. The
    order depends on the spec alone, not on the rows scored.
    """
    marginals = {marginal.name: marginal for marginal in sampler.marginals}
    widths = [np.sum(np.diff(marginals[name].cdf_table, prepend=0.0) ** 2)
              if isinstance(marginals[name], DiscreteMarginal) else 0.0
              for name in sampler.copula_fields]
    return np.argsort(widths, kind="stable")


def _box_log_probability(low, high, correlation, order):
    """Log-probability that normal scores with ``correlation`` fall in each row's box.

    The GHK simulator: scores are drawn one field at a time (in ``order``), each from its
    conditional distribution truncated to its interval, and the probability of each interval
    given the previous draws is multiplied. The uniform numbers behind the draws are fixed (a
    seeded generator) and shared by every row, so the result is deterministic and each row's
    does not depend on the others. With independent scores it is exact.
    """
    low, high = low[:, order], high[:, order]
    factor = np.linalg.cholesky(correlation[np.ix_(order, order)])
    uniforms = np.random.RandomState(0).random_sample((SCORE_DRAWS, len(order)))
    result = np.empty(len(low))
    for start in range(0, len(low), SCORE_CHUNK):
        rows = slice(start, start + SCORE_CHUNK)
        result[rows] = _ghk(low[rows], high[rows], factor, uniforms)
    return result


def _ghk(low, high, factor, uniforms):
    n_rows, n_fields = low.shape
    draws = np.zeros((n_rows, SCORE_DRAWS, n_fields))
    log_probability = np.zeros((n_rows, SCORE_DRAWS))
    for k in range(n_fields):
        mean = draws[:, :, :k] @ factor[k, :k]
        alpha = (low[:, k, None] - mean) / factor[k, k]
        beta = (high[:, k, None] - mean) / factor[k, k]
        log_probability += _log_normal_mass(alpha, beta)
        draws[:, :, k] = truncated_normal_quantile(0.0, 1.0, alpha, beta, uniforms[:, k])
    return special.logsumexp(log_probability, axis=1) - np.log(SCORE_DRAWS)


def _log_normal_mass(alpha, beta):
    """log(Phi(beta) - Phi(alpha)), accurate in both tails and for narrow intervals."""
    with np.errstate(invalid="ignore"):
        mirror = alpha + beta > 0
    a, b = np.where(mirror, -beta, alpha), np.where(mirror, -alpha, beta)
    log_b, log_a = special.log_ndtr(b), special.log_ndtr(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return log_b + np.log(-np.expm1(np.minimum(log_a - log_b, 0.0)))
