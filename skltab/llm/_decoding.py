"""Constrained decoding: every generated row parses, with no rejection and no retry.

The sampler writes column names, separators and fixed values itself; the model only chooses
value tokens, and only among those that keep the value valid for its column:

- categories (and booleans) follow a prefix tree of the token ids of the real categories;
- numbers are written digit by digit, and a digit is offered only if some number of the
  column's precision inside the real range starts with the digits so far;
- datetimes are written digit by digit in ISO order, inside the real range and the calendar;
- free text may use any token but a comma, up to a length cap;
- a missing value is offered only in columns that had missing values.

Each column's rules are an *automaton* with ``start()``, ``allowed(state, terminator)`` (the
token ids that may come next; the terminator ends the value), ``advance(state, token)`` and
``text(state, ids)`` (the value's escaped text). Rows are generated in lock step, one choice
per row per forward pass, with the model's key-value cache: a pass feeds each row the token it
chose and the run of tokens its plan forces after it; finished rows leave the batch.
Every random number comes from the row's own stream, so a row does not depend on the batch
it is generated in.
"""

import calendar
import functools
import inspect
import itertools
import re

import numpy as np

from ._codec import MISSING
from ._model import FieldLayout, padded_token_inputs

__all__ = ["build_automata", "generate", "value_log_probs"]


class _Automaton:
    """Shared caching of the allowed tokens of each state."""

    def allowed(self, state, terminator):
        """Token ids that may follow ``state`` (the terminator ends the value), as a tuple."""
        key = (state, terminator)
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = tuple(self._allowed(state, terminator))
        return cache[key]

    def allows(self, state, terminator, token):
        """Whether ``token`` may follow ``state``."""
        return token in self.allowed(state, terminator)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)
        return state


class CategoryAutomaton(_Automaton):
    """Prefix tree of the token ids of a column's category texts.

    Parameters
    ----------
    sequences : list of list of int
        Token ids of each text.
    texts : list of str
        The texts (escaped category texts, and :data:`MISSING` for a nullable column).
    """

    def __init__(self, sequences, texts):
        self.children = [{}]
        self.texts = [None]
        for sequence, text in zip(sequences, texts):
            node = 0
            for token in sequence:
                if token not in self.children[node]:
                    self.children.append({})
                    self.texts.append(None)
                    self.children[node][token] = len(self.children) - 1
                node = self.children[node][token]
            self.texts[node] = text

    def start(self):
        return 0

    def _allowed(self, state, terminator):
        ends = [terminator] if self.texts[state] is not None and terminator is not None else []
        return list(self.children[state]) + ends

    def advance(self, state, token):
        return self.children[state][token]

    def text(self, state, ids):
        return self.texts[state]


class NumberAutomaton(_Automaton):
    """Numbers in positional notation, of a column's precision, inside its range.

    The value is an integer number of units of ``10**-scale`` between ``low`` and ``high``;
    its text is an optional ``-``, the integer part without leading zeros, and a point with
    ``scale`` digits (exactly ``scale`` when ``exact``, at least one otherwise).

    Parameters
    ----------
    low, high : int
        Range in units.
    scale : int
        Digits after the point.
    exact : bool
        Whether the text has exactly ``scale`` digits after the point.
    char_ids : dict of str to int
        Token id of each character.
    """

    def __init__(self, low, high, scale, exact, char_ids):
        self.low, self.high, self.scale, self.exact = low, high, scale, exact
        self.char_ids = char_ids
        self.char_of = {token: char for char, token in char_ids.items()}

    def start(self):
        return ""

    def advance(self, state, token):
        return state + self.char_of[token]

    def text(self, state, ids):
        return state

    def _allowed(self, prefix, terminator):
        tokens = [self.char_ids[c] for c in "-0123456789." if self._possible(prefix + c)]
        return tokens + ([terminator] if self._complete(prefix) else [])

    def _parts(self, prefix):
        """``(negative, integer, point, fraction)`` of a grammatical prefix, else None."""
        negative = prefix.startswith("-")
        body = prefix[1:] if negative else prefix
        integer, point, fraction = body.partition(".")
        if not (integer.isdigit() or integer == "") or (len(integer) > 1 and integer[0] == "0"):
            return None
        if point and (not integer or self.scale == 0 or len(fraction) > self.scale
                      or not (fraction.isdigit() or fraction == "")):
            return None
        return negative, integer, point, fraction

    def _magnitudes(self, negative):
        """Range of the absolute value in units for the sign (no negative zero)."""
        if negative:
            return max(1, -self.high), -self.low
        return max(0, self.low), self.high

    def _possible(self, prefix):
        parts = self._parts(prefix)
        if parts is None:
            return False
        negative, integer, point, fraction = parts
        low, high = self._magnitudes(negative)
        if low > high:
            return False
        unit = 10 ** self.scale
        if point:
            step = 10 ** (self.scale - len(fraction))
            start = int(integer) * unit + (int(fraction) * step if fraction else 0)
            return start <= high and start + step - 1 >= low
        if not integer:
            return True
        value, width = int(integer), 1
        if value == 0:
            return low <= unit - 1
        while value * width * unit <= high:
            if (value + 1) * width * unit - 1 >= low:
                return True
            width *= 10
        return False

    def _complete(self, prefix):
        parts = self._parts(prefix)
        if parts is None:
            return False
        negative, integer, point, fraction = parts
        if not integer or (point and not fraction):
            return False
        if self.exact and len(fraction) != self.scale:
            return False
        units = int(integer + fraction.ljust(self.scale, "0"))
        if negative and units == 0:
            return False
        return self.low <= (-units if negative else units) <= self.high


class DatetimeAutomaton(_Automaton):
    """Datetimes in the ISO template of their unit, inside the real range and the calendar.

    Parameters
    ----------
    template : str
        ``9`` for a digit, any other character written as is (see ``DATETIME_TEMPLATES``).
    low, high : pandas.Timestamp
        The real range (UTC, without time zone).
    char_ids : dict of str to int
        Token id of each character.
    """

    _FIELDS = ("year", "month", "day", "hour", "minute", "second", "fraction")

    def __init__(self, template, low, high, char_ids):
        self.template = template
        self.char_ids = char_ids
        self.char_of = {token: char for char, token in char_ids.items()}
        self.runs = [(m.start(), m.end()) for m in re.finditer(r"9+", template)]
        self.low = self._components(low)
        self.high = self._components(high)

    def _components(self, stamp):
        fraction = f"{stamp.microsecond:06d}{stamp.nanosecond:03d}"
        values = [stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second]
        if len(self.runs) == 7:
            width = self.runs[6][1] - self.runs[6][0]
            values.append(int(fraction[:width]))
        return values[: len(self.runs)]

    def start(self):
        return ""

    def advance(self, state, token):
        return state + self.char_of[token]

    def text(self, state, ids):
        return state

    def _allowed(self, prefix, terminator):
        position = len(prefix)
        if position == len(self.template):
            return [terminator]
        if self.template[position] != "9":
            return [self.char_ids[self.template[position]]]
        index = next(k for k, (a, b) in enumerate(self.runs) if a <= position < b)
        start, end = self.runs[index]
        done = [int(prefix[a:b]) for a, b in self.runs[:index]]
        low, high = self._range(index, done)
        partial = prefix[start:position]
        width = end - start
        tokens = []
        for digit in "0123456789":
            step = 10 ** (width - len(partial) - 1)
            first = int(partial + digit) * step
            if first <= high and first + step - 1 >= low:
                tokens.append(self.char_ids[digit])
        return tokens

    def _range(self, index, done):
        """Values the component ``index`` may take after the components ``done``."""
        field = self._FIELDS[index]
        if field == "year":
            low, high = 1, 9999
        elif field == "month":
            low, high = 1, 12
        elif field == "day":
            low, high = 1, calendar.monthrange(done[0], done[1])[1]
        elif field == "hour":
            low, high = 0, 23
        elif field in ("minute", "second"):
            low, high = 0, 59
        else:
            width = self.runs[index][1] - self.runs[index][0]
            low, high = 0, 10 ** width - 1
        if done == self.low[:index]:
            low = max(low, self.low[index])
        if done == self.high[:index]:
            high = min(high, self.high[index])
        return low, high


class TextAutomaton(_Automaton):
    """Free text: any token but special tokens and tokens holding a comma, up to a cap.

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        The model's tokenizer (writes the text of the generated ids).
    token_texts : list of str
        Text of each token id (empty for special tokens).
    max_tokens : int
        Most tokens of one value.
    nullable : bool
        Whether the text :data:`MISSING` (a missing value) may be written.
    """

    def __init__(self, tokenizer, token_texts, max_tokens, nullable):
        self.tokenizer = tokenizer
        self.token_texts = token_texts
        self.max_tokens = max_tokens
        self.nullable = nullable
        self.free = tuple(i for i, text in enumerate(token_texts) if text and "," not in text)
        self._free_set = frozenset(self.free)

    def start(self):
        # (tokens so far, the text while it is no longer than MISSING, a pending backslash)
        return (0, "", False)

    def advance(self, state, token):
        count, short, pending = state
        text = self.token_texts[token]
        stripped = text.rstrip("\\")
        odd = (len(text) - len(stripped)) % 2 == 1
        pending = (pending != odd) if not stripped else odd
        if short is not None and len(short + text) <= len(MISSING):
            short += text
        else:
            short = None
        return (count + 1, short, pending)

    def _ends(self, state):
        count, short, pending = state
        if count >= self.max_tokens:
            return True
        return count > 0 and not pending and (self.nullable or short != MISSING)

    def allowed(self, state, terminator):
        if state[0] >= self.max_tokens:
            return (terminator,)
        return super().allowed((min(state[0], 1), state[1], state[2]), terminator)

    def _allowed(self, state, terminator):
        return list(self.free) + ([terminator] if self._ends(state) else [])

    def allows(self, state, terminator, token):
        if token == terminator:
            return self._ends(state)
        return state[0] < self.max_tokens and token in self._free_set

    def text(self, state, ids):
        return self.tokenizer.decode(ids)


class MissingOr(_Automaton):
    """An automaton that also accepts the missing-value token sequence.

    Parameters
    ----------
    inner : automaton
        The automaton of present values.
    missing_ids : list of int
        Token ids of :data:`MISSING`; its first token must not be allowed by ``inner`` at its
        start.
    """

    def __init__(self, inner, missing_ids):
        self.inner = inner
        self.missing_ids = tuple(missing_ids)

    def start(self):
        return ("value", self.inner.start())

    def _allowed(self, state, terminator):
        which, inner = state
        if which == "missing":
            return [self.missing_ids[inner]] if inner < len(self.missing_ids) else [terminator]
        tokens = list(self.inner.allowed(inner, terminator))
        if inner == self.inner.start():
            tokens.append(self.missing_ids[0])
        return tokens

    def advance(self, state, token):
        which, inner = state
        if which == "missing":
            return ("missing", inner + 1)
        if inner == self.inner.start() and token == self.missing_ids[0]:
            return ("missing", 1)
        return ("value", self.inner.advance(inner, token))

    def text(self, state, ids):
        which, inner = state
        return MISSING if which == "missing" else self.inner.text(inner, ids)


def build_automata(layout, codec, observed):
    """The automaton of every column.

    Parameters
    ----------
    layout : TokenLayout
        Token ids of segments and characters.
    codec : RowCodec
        The columns' codecs.
    observed : dict of str to set of str
        Escaped texts seen in training of each categorical and boolean column: the only
        categories (and missing value) the automaton writes.

    Returns
    -------
    dict of str to automaton
    """
    automata = {}
    token_texts = None
    for name in codec.columns:
        column = codec.codecs[name]
        nullable = bool(column.column.nullable)
        if isinstance(layout, FieldLayout):
            texts = sorted(layout.field_texts[name])
            automaton = CategoryAutomaton([layout.value_ids(name, t) for t in texts], texts)
        elif column.kind in ("categorical", "boolean"):
            texts = [t for t in column.category_texts + [MISSING] if t in observed[name]]
            automaton = CategoryAutomaton([layout.value_ids(name, t) for t in texts], texts)
        elif column.kind == "text":
            if token_texts is None:
                size = layout.tokenizer.get_vocab_size()
                special = {layout.bos_id, layout.eos_id}
                token_texts = ["" if i in special else layout.tokenizer.decode([i])
                               for i in range(size)]
            automaton = TextAutomaton(layout.tokenizer, token_texts,
                                      layout.max_value_tokens[name], nullable)
        else:
            if column.kind == "datetime":
                automaton = DatetimeAutomaton(column.template, *column.bounds, layout.char_ids)
            else:
                low, high = column.unit_bounds()
                automaton = NumberAutomaton(low, high, column.scale, column.exact_scale,
                                            layout.char_ids)
            if nullable:
                automaton = MissingOr(automaton, layout.missing_ids)
        automata[name] = automaton
    return automata


# -- lock-step generation -------------------------------------------------------------------
class RowPlan:
    """What the sampler writes for one row, as a list of operations.

    ``("force", ids)`` writes the tokens ``ids``; ``("value", name, terminator)`` lets the
    model write a value of column ``name`` through its automaton, ended by ``terminator``
    (None: by the automaton's last token).

    Parameters
    ----------
    operations : list of tuple
        The operations, in order; the first writes the start token.
    uniforms : ndarray of shape (n_positions,)
        The row's random numbers, one per token position.
    query : bool, default=False
        Whether the labels are scored after the row's tokens (see :func:`generate`).
    token_inputs : dict of str to list of int, default=None
        The model's other inputs for each token (see
        :meth:`~._model.TokenLayout.token_inputs`); None: positions are the tokens' indices.
    """

    def __init__(self, operations, uniforms, query=False, token_inputs=None):
        self.operations = operations
        self.uniforms = uniforms
        self.query = query
        self.token_inputs = token_inputs

    @property
    def max_tokens(self):
        """Most tokens the row may take."""
        if self.token_inputs is not None:
            return len(next(iter(self.token_inputs.values())))
        return len(self.uniforms) + 1


class _RowState:
    """A row being generated: where it is in its plan, its tokens and its values, and the
    tokens it has written but the model has not read yet (``pending``)."""

    def __init__(self, plan, automata):
        self.plan = plan
        self.automata = automata
        self.tokens = []
        self.values = {}
        self.cache = None
        self.pending = []
        self.index = -1
        self._next_operation()

    def _next_operation(self):
        self.index += 1
        self.offset = 0
        self.value_ids = []
        if self.done:
            return
        operation = self.plan.operations[self.index]
        if operation[0] == "value":
            self.automaton = self.automata[operation[1]]
            self.state = self.automaton.start()

    @property
    def done(self):
        return self.index >= len(self.plan.operations)

    def forced(self):
        """The next token if the plan fixes it, else None."""
        operation = self.plan.operations[self.index]
        if operation[0] == "force":
            return operation[1][self.offset]
        allowed = self.automaton.allowed(self.state, operation[2])
        return allowed[0] if len(allowed) == 1 else None

    def push_forced(self):
        """Push the tokens the plan fixes from here, up to the next choice or the row's end,
        and return them."""
        pushed = []
        while not self.done:
            token = self.forced()
            if token is None:
                break
            self.push(token)
            pushed.append(token)
        return pushed

    def allowed(self):
        return self.automaton.allowed(self.state, self.plan.operations[self.index][2])

    def push(self, token):
        self.tokens.append(token)
        operation = self.plan.operations[self.index]
        if operation[0] == "force":
            self.offset += 1
            if self.offset == len(operation[1]):
                self._next_operation()
            return
        name, terminator = operation[1], operation[2]
        if token == terminator:
            self.values[name] = self.automaton.text(self.state, self.value_ids)
            self._next_operation()
            return
        self.state = self.automaton.advance(self.state, token)
        self.value_ids.append(token)
        if terminator is None and not self.automaton.allowed(self.state, None):
            self.values[name] = self.automaton.text(self.state, self.value_ids)
            self._next_operation()


def generate(model, plans, automata, temperature, batch_size, device, labels=None):
    """Generate rows by their plans, ``batch_size`` rows at a time.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        The causal language model, in evaluation mode.
    plans : list of RowPlan
        One plan per row.
    automata : dict of str to automaton
        Each column's automaton.
    temperature : float
        Temperature of the model's distributions.
    batch_size : int
        Rows per forward pass.
    device : str
        Torch device of the model.
    labels : list of list of int, default=None
        Token ids of each label (its end token included), scored after the rows whose plan
        has ``query``: the model's key-value cache of the row is reused, and all labels of
        all such rows of a batch are scored in two forward passes.

    Returns
    -------
    values : list of dict of str to str
        Escaped text of each generated value, per row.
    tokens : list of list of int
        Every token of each row.
    scores : list of ndarray or None
        For each row whose plan has ``query``, ``log p(label | row's tokens)`` of each label
        (summed over its tokens); None for the other rows.
    """
    import torch

    values, tokens, scores = [], [], []
    with torch.inference_mode():
        for start in range(0, len(plans), batch_size):
            rows = [_RowState(plan, automata) for plan in plans[start : start + batch_size]]
            _generate_batch(model, rows, temperature, device)
            queried = [row for row in rows if row.cache is not None]
            row_scores = _label_scores(model, queried, labels, device) if queried else []
            by_row = dict(zip(map(id, queried), row_scores))
            values += [row.values for row in rows]
            tokens += [row.tokens for row in rows]
            scores += [by_row.get(id(row)) for row in rows]
    return values, tokens, scores


def _generate_batch(model, rows, temperature, device):
    """Generate ``rows`` in lock step, one choice per row per forward pass.

    A row feeds in one pass every token it wrote since the last: the token it chose and the
    run of tokens its plan forces after it (names, separators, a category's only
    continuation). Rows feed runs of different lengths, so each pass is right-padded to the
    longest; the padding stays masked in the key-value cache, and positions count a row's own
    tokens only (or come from its plan).
    """
    import torch

    body_and_head = _body_and_head(model)
    active = [row for row in rows if not row.done]
    for row in active:
        row.pending = row.push_forced()
    active = _leave(active, None)[0]
    if not active:
        return
    cache, mask = _new_cache(model), torch.zeros((len(active), 0), dtype=torch.long,
                                                 device=device)
    keys, table = _input_table([row.plan for row in active], device)
    while active:
        # a finished row is still here only for its label query: it feeds all but its last token
        feeds = [row.pending[:-1] if row.done else row.pending for row in active]
        cache, mask, last = _feed(model, body_and_head, cache, mask, keys, table, feeds,
                                  device)
        for k, row in enumerate(active):
            if row.done:
                real = mask[k].bool()
                row.cache = [(layer.keys[k][:, real], layer.values[k][:, real])
                             for layer in cache.layers]
        active, (cache, mask, last, table) = _leave(active, (cache, mask, last, table),
                                                    finished=True)
        if not active:
            break
        index, index_mask = _padded([row.allowed() for row in active])
        scores = _allowed_logits(body_and_head, last, index, device)
        uniforms = np.array([row.plan.uniforms[len(row.tokens)] for row in active])
        for row, token in zip(active, _draw(scores, index, index_mask, uniforms,
                                            temperature).tolist()):
            row.push(token)
            row.pending = [token] + row.push_forced()
        active, (cache, mask, last, table) = _leave(active, (cache, mask, last, table))


def _input_table(plans, device):
    """The names of the model's inputs beside the token ids and their value at each token
    index of each row, as a tensor of shape (rows, inputs, tokens)."""
    import torch

    width = max(plan.max_tokens for plan in plans)
    inputs = padded_token_inputs([plan.token_inputs for plan in plans],
                                 [plan.max_tokens for plan in plans], width, device)
    return list(inputs), torch.stack(list(inputs.values()), dim=1)


def _leave(active, batch, finished=False):
    """The rows that stay in the batch, and ``batch`` (a cache and tensors of one row per
    active row, or None) cut to them. Rows leave when done: at once without a label query,
    and once their tokens are fed with one (or, with ``finished``, all done rows)."""
    import torch

    keep = [k for k, row in enumerate(active)
            if not row.done or (row.plan.query and not finished)]
    if len(keep) == len(active) or batch is None:
        return [active[k] for k in keep], batch
    cache, *tensors = batch
    keep_t = torch.as_tensor(keep, dtype=torch.long, device=tensors[0].device)
    cache.batch_select_indices(keep_t)
    return [active[k] for k in keep], (cache, *(t[keep_t] for t in tensors))


def _feed(model, body_and_head, cache, mask, keys, table, feeds, device):
    """One forward pass of each row's tokens ``feeds`` (right-padded) continuing ``cache``:
    the new cache, the attention mask of every cached position and the output (the body's
    last hidden state, or the logits for a model run whole) at each row's last fed token.
    The model's inputs ``keys`` of a token are the row's entries of ``table`` (see
    :func:`_input_table`) at the token's index."""
    import torch

    widths = np.array([len(feed) for feed in feeds])
    fed = np.arange(max(1, widths.max())) < widths[:, None]
    ids = np.zeros(fed.shape, dtype=np.int64)
    ids[fed] = list(itertools.chain.from_iterable(feeds))  # row by row, as fed is read
    widths, fresh = torch.as_tensor(widths, device=device), torch.as_tensor(fed, device=device)
    indices = (mask.sum(1, keepdim=True) + torch.arange(fed.shape[1], device=device)).clamp(
        max=table.shape[2] - 1)
    values = table.gather(2, indices[:, None, :].expand(-1, len(keys), -1)) * fresh[:, None]
    mask = torch.cat([mask, fresh.long()], dim=1)
    output, cache = _cached_forward(body_and_head[0] if body_and_head else model, cache,
                                    input_ids=torch.as_tensor(ids, device=device),
                                    attention_mask=mask, **dict(zip(keys, values.unbind(1))))
    states = output.last_hidden_state if body_and_head else output.logits
    last = states[torch.arange(len(feeds), device=device), (widths - 1).clamp(min=0)]
    return cache, mask, last


def _body_and_head(model):
    """The body and the output embeddings of a GPT-2 model (LoRA adapters merged or not),
    whose logits are the output embeddings of the body's last hidden state; None for other
    models, which run whole."""
    import torch

    inner = _inner_model(model)
    head = inner.get_output_embeddings()
    plain_gpt2 = getattr(inner.config, "model_type", None) == "gpt2" and isinstance(
        head, torch.nn.Linear)
    return (inner.base_model, head) if plain_gpt2 else None


def _allowed_logits(body_and_head, last, index, device):
    """The logits (float64) of the allowed tokens ``index`` of each row, from its output
    ``last`` (see :func:`_feed`).

    With a body and a head, only the logits of the union of the allowed tokens are computed
    (the output embeddings are most of a small model's work per token).
    """
    import torch
    import torch.nn.functional as F

    if body_and_head is None:
        return last.gather(1, torch.as_tensor(index, device=device)).double()
    head = body_and_head[1]
    union, inverse = _union(index)
    union_t = torch.as_tensor(union, device=device)
    bias = None if head.bias is None else head.bias[union_t]
    logits = F.linear(last, head.weight[union_t], bias)
    return logits.gather(1, torch.as_tensor(inverse, device=device)).double()


def _union(index):
    """The sorted distinct token ids of ``index`` and the position of each in them (what
    ``np.unique(index, return_inverse=True)`` gives, by counting: ids are few, rows many)."""
    present = np.bincount(index.ravel()) > 0
    union = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return union, position[index]


def _cached_forward(model, cache, **inputs):
    """One forward pass of ``model`` (a transformers model, or a PEFT model around one)
    continuing the key-value ``cache``: its output and the new cache."""
    keyword = _cache_keyword(type(_inner_model(model)))
    output = model(**inputs, **{keyword: cache}, use_cache=True)
    return output, getattr(output, keyword)


@functools.lru_cache
def _cache_keyword(model_class):
    """The name of the key-value cache in the forward pass of ``model_class``: ``cache``
    from transformers 5.x (where ``past_key_values`` is deprecated), ``past_key_values``
    before."""
    parameters = inspect.signature(model_class.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def _inner_model(model):
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _new_cache(model, layers=None):
    from transformers import DynamicCache

    if layers is not None:
        return DynamicCache(ddp_cache_data=layers)
    return DynamicCache(config=model.config)


def _draw(scores, index, mask, uniforms, temperature):
    """Draw one token per row among its allowed ids ``index`` (padded; ``mask`` marks the
    real ones) from their logits ``scores``, by inverse transform of ``uniforms``."""
    import torch

    scores = scores / temperature
    scores = scores.masked_fill(~torch.as_tensor(mask, device=scores.device), -torch.inf)
    cdf = torch.softmax(scores, dim=1).cumsum(dim=1).cpu().numpy()
    choice = (cdf < uniforms[:, None]).sum(axis=1)
    choice = np.minimum(choice, mask.sum(axis=1) - 1)
    return index[np.arange(len(index)), choice]


def _padded(lists):
    """A rectangular array of ragged integer lists (padded with their first item) and a mask."""
    width = max(map(len, lists))
    index = np.empty((len(lists), width), dtype=np.int64)
    mask = np.zeros((len(lists), width), dtype=bool)
    for r, items in enumerate(lists):
        index[r, : len(items)] = items
        index[r, len(items):] = items[0]
        mask[r, : len(items)] = True
    return index, mask


# -- label queries and scoring ----------------------------------------------------------------
def _label_scores(model, rows, labels, device):
    """``log p(label | row)`` of every label after every row, from the rows' cached keys and
    values (left-padded to a common length) and their last token."""
    import torch

    lengths = torch.as_tensor([row.cache[0][0].shape[1] for row in rows], device=device)
    width = int(lengths.max())
    layers = [_left_padded([row.cache[layer] for row in rows], width)
              for layer in range(len(rows[0].cache))]
    for row in rows:
        row.cache = None
    mask = (torch.arange(width + 1, device=device)[None, :] >= width - lengths[:, None]).long()
    last = torch.as_tensor([[row.tokens[-1]] for row in rows], device=device)
    keys, table = _input_table([row.plan for row in rows], device)
    values = table[torch.arange(len(rows), device=device), :, lengths]
    output, cache = _cached_forward(model, _new_cache(model, layers), input_ids=last,
                                    attention_mask=mask,
                                    **{key: values[:, [k]] for k, key in enumerate(keys)})
    first = torch.log_softmax(output.logits[:, -1].double(), dim=1)
    return list(_label_pass(model, cache, mask, lengths, first, labels, device))


def _left_padded(pairs, width):
    """Keys and values of rows, each of shape (heads, length, dim), left-padded with zeros
    into tensors of shape (rows, heads, width, dim)."""
    out = []
    for tensors in zip(*pairs):
        first = tensors[0]
        padded = first.new_zeros((len(tensors), first.shape[0], width, first.shape[2]))
        for r, tensor in enumerate(tensors):
            padded[r, :, width - tensor.shape[1]:] = tensor
        out.append(padded)
    return tuple(out)


def _label_pass(model, cache, mask, last_positions, first, labels, device):
    """Sum of the label tokens' log-probabilities, given the cache of the prompts and the
    log-probabilities ``first`` of the first label token."""
    import torch

    label_index, label_mask = _padded(labels)
    label_index = torch.as_tensor(label_index, device=device)
    label_mask = torch.as_tensor(label_mask, device=device)
    n_labels, width = label_index.shape
    scores = first[:, label_index[:, 0]]
    if width > 1:
        n_rows = len(first)
        cache.batch_repeat_interleave(n_labels)
        follow = label_index[:, :-1].repeat(n_rows, 1)
        follow_mask = torch.cat([mask.repeat_interleave(n_labels, 0),
                                 torch.ones_like(follow, dtype=mask.dtype)], dim=1)
        positions = last_positions[:, None].repeat_interleave(n_labels, 0) + 1 + torch.arange(
            width - 1, device=device)
        output, _ = _cached_forward(model, cache, input_ids=follow, attention_mask=follow_mask,
                                    position_ids=positions)
        logits = output.logits.double()
        log_probs = torch.log_softmax(logits, dim=2).gather(
            2, label_index[:, 1:].repeat(n_rows, 1)[:, :, None])[:, :, 0]
        log_probs = log_probs.masked_fill(~label_mask[:, 1:].repeat(n_rows, 1), 0)
        scores = scores + log_probs.sum(1).view(n_rows, n_labels)
    return scores.cpu().numpy()


def value_log_probs(model, sequences, choices, batch_size, device, token_inputs=None):
    """Sum, per sequence, of the log-probabilities of chosen tokens among allowed ones.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        The causal language model, in evaluation mode.
    sequences : list of list of int
        Token ids of each row.
    choices : list of list of tuple
        For each row, ``(position, allowed ids, token)``: the token at ``position`` was
        chosen among ``allowed``; its probability is the model's, renormalised over them.
    batch_size : int
        Sequences per forward pass.
    device : str
        Torch device of the model.
    token_inputs : list of dict, default=None
        The model's other inputs for each row (see
        :meth:`~._model.TokenLayout.token_inputs`); None: positions are the tokens' indices.

    Returns
    -------
    ndarray of shape (n_sequences,)
    """
    import torch

    totals = np.zeros(len(sequences))
    body_and_head = _body_and_head(model)
    with torch.inference_mode():
        for start in range(0, len(sequences), batch_size):
            rows, positions, allowed, tokens = [], [], [], []
            for r, row_choices in enumerate(choices[start : start + batch_size]):
                for position, allowed_ids, token in row_choices:
                    rows.append(r)
                    positions.append(position - 1)
                    allowed.append(allowed_ids)
                    tokens.append(allowed_ids.index(token))
            if not rows:
                continue
            batch = sequences[start : start + batch_size]
            ids, mask = _right_padded(batch, device)
            inputs = padded_token_inputs(
                (token_inputs or [None] * len(sequences))[start : start + batch_size],
                [len(sequence) for sequence in batch], ids.shape[1], device)
            output = (body_and_head[0] if body_and_head else model)(
                input_ids=ids, attention_mask=mask, **inputs)
            states = output.last_hidden_state if body_and_head else output.logits
            index, index_mask = _padded(allowed)
            scores = _allowed_logits(body_and_head, states[rows, positions], index, device)
            scores = scores.masked_fill(~torch.as_tensor(index_mask, device=device), -torch.inf)
            log_probs = torch.log_softmax(scores, dim=1)
            chosen = log_probs[torch.arange(len(rows)), torch.as_tensor(tokens)].cpu().numpy()
            np.add.at(totals, start + np.asarray(rows), chosen)
    return totals


def _right_padded(sequences, device):
    import torch

    width = max(map(len, sequences))
    ids = torch.zeros((len(sequences), width), dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for r, sequence in enumerate(sequences):
        ids[r, : len(sequence)] = torch.as_tensor(sequence)
        mask[r, : len(sequence)] = 1
    return ids.to(device), mask.to(device)
