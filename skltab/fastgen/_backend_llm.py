"""The ``"llm"`` backend of FastGen: prompts, a client, and the write-check-retry loop.

The steps of FASTGEN (Nguyen et al., 2025): the metadata of the table is enriched with a few
example rows, the LLM classifies every field and describes it, then writes a distribution
for each field as JSON. Each answer is validated against the spec schema and drawn from in a
dry run; a rejected answer is sent back with the error, up to ``n_retries`` times. Nothing
the LLM writes is executed: answers are parsed as JSON and read as data.

The client is any callable ``prompt -> str``, or an OpenAI-compatible chat endpoint
(``/chat/completions``) reached with :mod:`urllib` from the standard library.
"""

import json
import logging
import math
import os
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._spec import (
    FAMILIES_OF_KIND,
    FAMILY_PARAMS,
    MAX_DESCRIPTION,
    SpecError,
    check_mapping,
    looks_like_code,
    validate_field,
)
from ._spec_fit import text_field
from ._spec_runtime import compile_field

logger = logging.getLogger(__name__)

#: Seconds to wait for one answer of an HTTP endpoint.
REQUEST_TIMEOUT = 300
#: Characters per token, to estimate the usage of a callable that reports none.
CHARS_PER_TOKEN = 4
#: Values drawn in the dry run of each field spec.
DRY_RUN_SIZE = 1000
#: Characters of a text value quoted in a prompt.
MAX_QUOTED_CHARS = 200
#: Most categories per field the LLM is asked about when ``max_categories`` does not say
#: (the most frequent ones).
MAX_PROMPT_CATEGORIES = 200
#: Example texts the LLM writes for a free-text field (its Markov chain learns from them).
N_TEXT_EXAMPLES = 30
#: Fraction by which LLM probabilities may miss a total of 1 before they are refused.
PROBABILITY_SLACK = 0.05
CLASSES = ("continuous", "integer", "categorical", "boolean", "datetime", "text")
_FIELD_ANSWER_KEYS = ("family", "params", "categories", "probabilities", "examples",
                      "missing_rate", "bounds", "decimals")
_SYSTEM = (
    "You are a data analyst who describes the distribution of each field of a table as a "
    "JSON object. Answer with one JSON object only, no prose, and never write code."
)


class LLMClient:
    """Send prompts to a callable or an OpenAI-compatible endpoint, and count tokens.

    Parameters
    ----------
    llm : callable or None
        ``prompt -> str``. Its token usage is estimated (``len(text) / 4``).
    base_url : str or None
        Root of an OpenAI-compatible API, such as ``"http://localhost:8000/v1"``.
    model : str or None
        Model name sent to the endpoint.
    api_key_env : str or None
        Environment variable holding the API key (sent as a bearer token when set).

    Attributes
    ----------
    usage : dict
        ``calls``, ``prompt_tokens``, ``completion_tokens``, ``total_tokens`` and
        ``estimated`` (True when some counts are estimates).
    """

    def __init__(self, llm=None, base_url=None, model=None, api_key_env=None):
        self.llm = llm
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.usage = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                      "total_tokens": 0, "estimated": False}

    def __call__(self, prompt):
        """Return the answer to ``prompt`` and add its tokens to :attr:`usage`."""
        if self.llm is not None:
            answer, counts, sent = self.llm(prompt), None, prompt
            if not isinstance(answer, str):
                raise TypeError(f"The llm callable must return a str; got "
                                f"{type(answer).__name__}.")
        else:
            (answer, counts), sent = self._post(prompt), _SYSTEM + prompt
        if counts is None:
            counts = {"prompt_tokens": _estimate_tokens(sent),
                      "completion_tokens": _estimate_tokens(answer)}
            self.usage["estimated"] = True
        self.usage["calls"] += 1
        for key in ("prompt_tokens", "completion_tokens"):
            self.usage[key] += int(counts[key])
        self.usage["total_tokens"] = self.usage["prompt_tokens"] + self.usage["completion_tokens"]
        return answer

    def _post(self, prompt):
        body = {"messages": [{"role": "system", "content": _SYSTEM},
                             {"role": "user", "content": prompt}], "temperature": 0}
        if self.model is not None:
            body["model"] = self.model
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.base_url.rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                reply = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise RuntimeError(f"The LLM endpoint {url} answered HTTP {exc.code}: {detail}") \
                from exc
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise RuntimeError(f"The LLM endpoint {url} could not be reached or did not "
                               f"answer JSON: {exc}") from exc
        try:
            answer = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise RuntimeError(f"The LLM endpoint {url} answered without "
                               "choices[0].message.content.") from exc
        usage = reply.get("usage") or {}
        if not all(isinstance(usage.get(k), int) for k in ("prompt_tokens", "completion_tokens")):
            return answer, None
        return answer, usage


def _estimate_tokens(text):
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def extract_json(answer):
    """Return the first JSON object in an LLM answer (code fences and prose around it allowed).

    Raises
    ------
    SpecError
        If the answer holds no JSON object.
    """
    decoder = json.JSONDecoder()
    start = answer.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(answer, start)
        except json.JSONDecodeError:
            start = answer.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = answer.find("{", start + 1)
    raise SpecError("The answer holds no JSON object; answer with one JSON object only.")


def ask(client, prompt, parse, n_retries):
    """Ask until ``parse(answer)`` accepts an answer; feed each rejection back to the LLM.

    Parameters
    ----------
    client : callable
        ``prompt -> str``.
    prompt : str
        The question.
    parse : callable
        ``answer -> result``; raises ValueError (or SpecError) to reject an answer.
    n_retries : int
        Further attempts after the first.

    Returns
    -------
    result
        What ``parse`` returned for the first accepted answer.

    Raises
    ------
    SpecError
        If every attempt is rejected; the message holds the last error.
    """
    message = prompt
    for attempt in range(n_retries + 1):
        answer = client(message)
        try:
            return parse(answer)
        except (ValueError, TypeError) as exc:
            logger.info("Answer %d rejected: %s", attempt + 1, exc)
            message = (f"{prompt}\n\nYour previous answer was:\n{answer[:2000]}\n"
                       f"It was rejected: {exc}\nAnswer again with the corrected JSON object "
                       "only.")
            error = exc
    raise SpecError(f"No valid answer after {n_retries + 1} attempts; the last error: {error}")


# --------------------------------------------------------------------------------- prompts
def field_facts(base, column, values, categories):
    """What is known of one field, as a JSON-compatible dict for the prompts.

    Parameters
    ----------
    base : dict
        The field's name, kind, missing rate, and bounds, decimals or unit.
    column : ColumnMetadata
        The column's metadata.
    values : ndarray
        Present real values in spec space (empty in metadata-only mode).
    categories : list or None
        Categories of a categorical or boolean field that the answer must cover.
    """
    facts = {"name": base["name"], "kind": base["kind"], "missing_rate":
             round(base["missing_rate"], 4)}
    for key in ("bounds", "decimals", "unit", "values", "step", "step_offset"):
        if base.get(key) is not None:
            facts[key] = base[key]
    if base["kind"] == "datetime" and column.min is not None:
        facts["range_iso"] = [column.min, column.max]
    if categories is not None:
        facts["categories"] = list(categories)
    if len(values):
        facts["n_distinct"] = int(len(set(values.tolist())))
    return facts


def classify_prompt(facts, descriptions, rows_csv, ask_pairs):
    """Prompt of the first step: classify and describe every field (and name correlations)."""
    lines = ["### FastGen task: classify",
             f"A table has {len(facts)} fields. What is known of each:"]
    for fact in facts:
        description = descriptions.get(fact["name"])
        lines.append(json.dumps(fact, default=str)
                     + (f"  Description: {description}" if description else ""))
    if rows_csv:
        lines += ["Example rows (CSV):", rows_csv]
    lines += [
        "For every field, give its class, one of " + ", ".join(CLASSES) + " (text is free "
        "text such as comments or names; categorical is a small set of labels), and a short "
        "description of what it holds and how its values are spread.",
    ]
    shape = '{"fields": {"<name>": {"class": "<class>", "description": "<text>"}}'
    if ask_pairs:
        lines.append("Also list the pairs of fields that are clearly correlated, with a rank "
                     "correlation between -1 and 1.")
        shape += ', "correlations": [["<name>", "<name>", <correlation>]]'
    lines.append(f"Answer with this JSON object: {shape}}}")
    return "\n".join(lines)


def field_prompt(facts, description, examples):
    """Prompt of the second step: the distribution of one field, as JSON."""
    kind = facts["kind"]
    lines = [f"### FastGen task: field {json.dumps(facts['name'])}",
             "Known facts: " + json.dumps(facts, default=str)]
    if description:
        lines.append(f"Description: {description}")
    if examples:
        lines.append("Example values: " + json.dumps(examples, default=str))
    lines += _answer_instructions(kind, facts)
    return "\n".join(lines)


def _answer_instructions(kind, facts):
    if kind in ("categorical", "boolean"):
        listed = "the listed categories, every one of them (rare ones too)" \
            if "categories" in facts else "its categories"
        return [f"Give the probability of {listed}. Answer with "
                '{"family": "categorical", "categories": [...], "probabilities": [...]} and, '
                'if values may be missing, "missing_rate".']
    if kind == "text":
        return [f"Write {N_TEXT_EXAMPLES} new, varied example values in the style of this "
                'field. Answer with {"family": "examples", "examples": ["...", ...]}.']
    families = [f for f in FAMILIES_OF_KIND[kind] if f != "empirical"]
    signatures = "; ".join(
        f"{family}: " + ", ".join(list(FAMILY_PARAMS[family][0])
                                  + [f"{p} (optional)" for p in FAMILY_PARAMS[family][1]])
        for family in families if family != "categorical"
    )
    lines = ["Choose the family and parameters that fit this field best.",
             f"Families and their parameters: {signatures}."]
    if kind == "integer":
        lines.append('For a few distinct values you may use {"family": "categorical", '
                     '"categories": [numbers], "probabilities": [...]}.')
    if kind == "datetime":
        lines.append(f"Datetimes are numbers of {facts.get('unit')} since 1970-01-01.")
    lines.append('Answer with {"family": "<family>", "params": {...}}, adding "bounds": [low, '
                 'high] if the range is not given, "decimals" for the precision of '
                 'continuous values, and "missing_rate" if values may be missing.')
    return lines


def rows_as_csv(table, n_examples, random_state):
    """Up to ``n_examples`` rows of ``table`` as CSV text (long values cut)."""
    if not n_examples or table.empty:
        return ""
    rows = table.sample(min(n_examples, len(table)), random_state=random_state)
    rows = rows.apply(lambda c: c if pd.api.types.is_numeric_dtype(c) else c.map(_quote))
    return rows.to_csv(index=False).strip()


def _quote(value):
    return value[:MAX_QUOTED_CHARS] if isinstance(value, str) else value


def examples_of(values, n_examples, random_state):
    """Up to ``n_examples`` present values, as JSON-compatible Python values."""
    if not len(values) or not n_examples:
        return []
    chosen = values[random_state.choice(len(values), min(n_examples, len(values)),
                                        replace=False)]
    return [_quote(v.item() if isinstance(v, np.generic) else v) for v in chosen]


# --------------------------------------------------------------------------------- answers
def parse_classification(answer, names, copula_names):
    """Read the classification answer: ({name: (class, description)}, correlation pairs)."""
    data = extract_json(answer)
    check_mapping(data, "The answer", ("fields", "correlations"), required=("fields",))
    fields = data["fields"]
    if not isinstance(fields, dict):
        raise SpecError('"fields" must be an object keyed by field name.')
    classes = {}
    for name, entry in fields.items():
        if name not in names:
            raise SpecError(f"The answer names an unknown field {name!r}.")
        check_mapping(entry, f"field {name!r}", ("class", "description"), required=("class",))
        if entry["class"] not in CLASSES:
            raise SpecError(f"field {name!r}: class must be one of {list(CLASSES)}; got "
                            f"{entry['class']!r}.")
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise SpecError(f"field {name!r}: description must be a string.")
        classes[name] = (entry["class"], description[:2000])
    pairs = []
    for pair in data.get("correlations", []) or []:
        if not (isinstance(pair, list) and len(pair) == 3 and pair[0] in copula_names
                and pair[1] in copula_names and pair[0] != pair[1]):
            raise SpecError(f"Each correlation must be [field, field, value] naming two "
                            f"different non-text fields; got {pair!r}.")
        value = pair[2]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
            raise SpecError(f"Correlation {pair!r} must be a number between -1 and 1.")
        pairs.append([pair[0], pair[1], float(value)])
    return classes, pairs


def parse_field(answer, base, categories, free_missing_rate):
    """Turn one field answer into a validated field spec and draw from it (the dry run).

    Parameters
    ----------
    answer : str
        The LLM's answer.
    base : dict
        The field's name, kind, missing rate, and bounds, decimals or unit, as known.
    categories : list or None
        Categories the field must keep (from the metadata), if known.
    free_missing_rate : bool
        Whether the answer may set the missing rate (not measured, and allowed).

    Returns
    -------
    dict
        A field spec that compiles and samples.
    """
    draft = extract_json(answer)
    name = base["name"]
    check_mapping(draft, f"The answer for field {name!r}", _FIELD_ANSWER_KEYS,
                  required=("family",))
    field = dict(base)
    if free_missing_rate and "missing_rate" in draft:
        field["missing_rate"] = draft["missing_rate"]
    for key in ("bounds", "decimals"):
        if key in draft and field.get(key) is None and (
                key == "bounds" or base["kind"] == "continuous"):
            field[key] = draft[key]
    family = draft["family"]
    if family == "examples" and base["kind"] == "text":
        field = text_field(field, _texts(draft.get("examples"), name))
    elif family == "categorical":
        field["distribution"] = _categorical(draft, categories, name)
    else:
        field["distribution"] = {"family": family, "params": draft.get("params")}
    validate_field(field)
    values = compile_field(field).draw(DRY_RUN_SIZE, np.random.RandomState(0))
    if values.dtype != object and not np.all(np.isfinite(values)):
        raise SpecError(f"field {name!r}: the dry run drew values that are not finite.")
    return field


def _texts(examples, name):
    if not isinstance(examples, list) or not examples or not all(
        isinstance(e, str) and e.strip() for e in examples
    ):
        raise SpecError(f"field {name!r}: examples must be a non-empty list of texts.")
    for example in examples:
        if looks_like_code(example, in_data=True):
            raise SpecError(f"field {name!r}: the example {example[:60]!r} carries code; "
                            "write plain values.")
    return examples


def _categorical(draft, categories, name):
    listed, probabilities = draft.get("categories"), draft.get("probabilities")
    if not isinstance(listed, list) or not isinstance(probabilities, list) or len(listed) != len(
            probabilities) or not listed:
        raise SpecError(f"field {name!r}: give as many probabilities as categories.")
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0
           for p in probabilities):
        raise SpecError(f"field {name!r}: probabilities must be non-negative numbers.")
    total = float(sum(probabilities))
    if abs(total - 1) > PROBABILITY_SLACK:
        raise SpecError(f"field {name!r}: probabilities must sum to 1; they sum to {total:.4g}.")
    if categories is not None:
        listed = _match_categories(listed, categories, name)
    for category in listed:
        if isinstance(category, str) and looks_like_code(category, in_data=True):
            raise SpecError(f"field {name!r}: the category {category[:60]!r} carries code.")
    return {"family": "categorical", "categories": listed,
            "probabilities": [p / total for p in probabilities]}


def _match_categories(listed, categories, name):
    """Map the answer's categories onto the known ones (by text, then case-insensitively)."""
    by_text = {str(c): c for c in categories}
    by_folded = {str(c).casefold(): c for c in categories}
    matched = []
    for category in listed:
        known = by_text.get(str(category), by_folded.get(str(category).casefold(), _UNKNOWN))
        if known is _UNKNOWN:
            raise SpecError(f"field {name!r}: {category!r} is not one of its categories "
                            f"{list(categories)[:20]}.")
        matched.append(known)
    missing = [c for c in categories if str(c) not in {str(m) for m in matched}]
    if missing:
        raise SpecError(f"field {name!r}: give a probability to every category; missing "
                        f"{missing[:20]}.")
    if len({str(m) for m in matched}) != len(matched):
        raise SpecError(f"field {name!r}: each category must be listed once.")
    return matched


_UNKNOWN = object()


# ------------------------------------------------------------------------------ the steps
@dataclass
class FieldContext:
    """What the prompts say about one field.

    Attributes
    ----------
    base : dict
        Name, kind, missing rate, and bounds, decimals or unit.
    facts : dict
        Facts quoted in the prompts (see :func:`field_facts`).
    examples : list
        Example values quoted in the field's prompt.
    categories : list or None
        Categories the field must keep.
    """

    base: dict
    facts: dict
    examples: list
    categories: list


def infer_fields(client, contexts, *, descriptions, rows_csv, ask_pairs, free_missing_rate,
                 n_retries, fallback):
    """Run the FASTGEN steps: classify and describe the fields, then write each one's spec.

    Parameters
    ----------
    client : LLMClient
        Where prompts go.
    contexts : list of FieldContext
        One per field, in table order.
    descriptions : dict of str to str
        Descriptions given by the user.
    rows_csv : str
        Example rows for the first step ("" in metadata-only mode).
    ask_pairs : bool
        Whether to ask for correlated pairs (metadata-only mode with a copula).
    free_missing_rate : dict of str to bool
        Whether the LLM may set each field's missing rate.
    n_retries : int
        Further attempts after a rejected answer.
    fallback : callable
        ``base -> field`` used when no answer for a field is valid.

    Returns
    -------
    fields : list of dict
        Field specs, in table order.
    pairs : list
        Correlated pairs ``[field, field, value]`` named by the LLM.
    fallbacks : list of str
        Fields for which the LLM gave no valid answer.
    """
    names = [c.base["name"] for c in contexts]
    copula_names = [c.base["name"] for c in contexts if c.base["kind"] != "text"]
    prompt = classify_prompt([c.facts for c in contexts], descriptions, rows_csv, ask_pairs)
    try:
        classes, pairs = ask(client, prompt,
                             lambda a: parse_classification(a, names, copula_names), n_retries)
    except SpecError as exc:
        warnings.warn(f"FastGen: the LLM gave no valid classification ({exc}); the metadata "
                      "kinds are kept.", UserWarning, stacklevel=3)
        classes, pairs = {}, []
    fields, fallbacks = [], []
    for context in contexts:
        name = context.base["name"]
        class_, enriched = classes.get(name, (None, ""))
        base = _refined(context.base, class_)
        description = " ".join(d for d in (descriptions.get(name), enriched) if d)
        prompt = field_prompt({**context.facts, "kind": base["kind"]}, description,
                              context.examples)
        categories = context.categories if base["kind"] == context.base["kind"] else None
        try:
            spec = ask(client, prompt, lambda a: parse_field(
                a, base, categories, free_missing_rate[name]), n_retries)
        except SpecError as exc:
            spec = _fall_back(fallback, context.base, exc)
            fallbacks.append(name)
        if description:
            spec["description"] = description[:MAX_DESCRIPTION]
        fields.append(spec)
    pairs = [p for p in pairs if p[0] in _copula_names(fields) and p[1] in _copula_names(fields)]
    return fields, pairs, fallbacks


def _fall_back(fallback, base, error):
    name = base["name"]
    try:
        spec = fallback(base)
    except ValueError as reason:
        raise ValueError(f"The LLM gave no valid spec for field {name!r} ({error}), and it "
                         f"cannot be inferred without the LLM: {reason}") from reason
    warnings.warn(f"FastGen: the LLM gave no valid spec for field {name!r} ({error}); it is "
                  "inferred without the LLM.", UserWarning, stacklevel=4)
    return spec


def _copula_names(fields):
    return {f["name"] for f in fields if f["kind"] != "text"}


def _refined(base, class_):
    """The field with the LLM's class where it may refine the metadata: string fields may be
    categorical or free text; other kinds are kept."""
    if base["kind"] in ("categorical", "text") and class_ in ("categorical", "text"):
        return {**base, "kind": class_}
    if class_ is not None and class_ != base["kind"]:
        logger.info("Field %r: the LLM classed it %s; its metadata kind %s is kept.",
                    base["name"], class_, base["kind"])
    return base
