"""Constrained decoding: the automata accept exactly the valid values, sampling follows the
model's renormalised probabilities, and batched label queries and scores are exact."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")

from skltab.llm._codec import MISSING, RowCodec  # noqa: E402
from skltab.llm._decoding import (  # noqa: E402
    CategoryAutomaton,
    DatetimeAutomaton,
    MissingOr,
    NumberAutomaton,
    RowPlan,
    TextAutomaton,
    _draw,
    _union,
    build_automata,
    generate,
    value_log_probs,
)
from skltab.llm._model import FieldLayout, TokenLayout, build_model, check_model_config  # noqa: E402,E501
from skltab.llm._model import train_tokenizer  # noqa: E402
from skltab.metadata import infer_metadata  # noqa: E402

CHARS = {char: 100 + k for k, char in enumerate("0123456789.-: ")}
TERM = 7


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def accepted(automaton, limit=20000):
    """Every text the automaton accepts, by depth-first search; fails on a dead end."""
    char_of = {token: char for char, token in CHARS.items()}
    found, stack = [], [(automaton.start(), [])]
    while stack:
        state, ids = stack.pop()
        allowed = automaton.allowed(state, TERM)
        assert allowed, f"dead end after {ids}"
        for token in allowed:
            if token == TERM:
                found.append(automaton.text(state, ids))
            else:
                stack.append((automaton.advance(state, token), ids + [token]))
        assert len(found) < limit
    assert all(isinstance(t, str) for t in found) and char_of
    return found


@pytest.mark.parametrize("low, high, scale", [(-12, 7, 1), (0, 1250, 2), (95, 1030, 0),
                                              (-40, -3, 1), (0, 0, 0)])
def test_exact_numbers_are_the_values_in_range(low, high, scale):
    texts = accepted(NumberAutomaton(low, high, scale, True, CHARS))
    expected = {f"{units / 10 ** scale:.{scale}f}" for units in range(low, high + 1)}
    expected = {t[1:] if t.startswith("-") and float(t) == 0 else t for t in expected}
    assert sorted(texts) == sorted(expected)


def test_variable_precision_numbers_cover_the_range_and_stay_in_it():
    texts = accepted(NumberAutomaton(-25, 130, 2, False, CHARS))
    values = {round(float(t) * 100) for t in texts}
    assert values == set(range(-25, 131))
    assert all(t.count(".") <= 1 and not t.endswith(".") for t in texts)
    assert "1.3" in texts and "0.05" in texts and "-0.25" in texts and "-0" not in texts


def test_datetimes_follow_the_calendar_and_the_range():
    low, high = pd.Timestamp("2020-02-26"), pd.Timestamp("2020-03-02")
    texts = accepted(DatetimeAutomaton("9999-99-99", low, high, CHARS))
    assert sorted(texts) == [d.strftime("%Y-%m-%d") for d in pd.date_range(low, high)]
    low, high = pd.Timestamp("2021-12-31 22:00"), pd.Timestamp("2022-01-01 01:00")
    texts = accepted(DatetimeAutomaton("9999-99-99 99", low, high, CHARS))
    assert sorted(texts) == [d.strftime("%Y-%m-%d %H") for d in pd.date_range(low, high,
                                                                              freq="h")]


def test_category_tree_accepts_exactly_the_categories_even_prefixes_of_others():
    sequences = [[1, 2], [1, 2, 3], [4]]
    texts = ["Married", "Married-civ", "Single"]
    automaton = CategoryAutomaton(sequences, texts)
    assert sorted(accepted(automaton)) == sorted(texts)
    state = automaton.advance(automaton.start(), 1)
    assert automaton.allowed(state, TERM) == (2,)
    assert set(automaton.allowed(automaton.advance(state, 2), TERM)) == {3, TERM}


def test_missing_values_are_an_alternative_path():
    automaton = MissingOr(NumberAutomaton(0, 3, 0, True, CHARS), [50, 51])
    assert sorted(accepted(automaton)) == sorted(["0", "1", "2", "3", MISSING])


def test_free_text_never_writes_a_comma_and_stops_at_its_cap():
    class Tokenizer:
        def decode(self, ids):
            return "".join(texts[i] for i in ids)

    texts = ["", "a", ", b", "\\", "<NA", ">", "c,"]
    automaton = TextAutomaton(Tokenizer(), texts, max_tokens=3, nullable=False)
    start = automaton.start()
    assert set(automaton.allowed(start, TERM)) == {1, 3, 4, 5}
    state = automaton.advance(automaton.advance(start, 4), 5)  # "<NA>": not when not nullable
    assert TERM not in automaton.allowed(state, TERM)
    pending = automaton.advance(start, 3)  # a lone backslash must be followed by something
    assert TERM not in automaton.allowed(pending, TERM)
    assert TERM in automaton.allowed(automaton.advance(pending, 3), TERM)
    capped = automaton.advance(automaton.advance(automaton.advance(start, 1), 1), 1)
    assert automaton.allowed(capped, TERM) == (TERM,)
    assert automaton.text(capped, [1, 1, 1]) == "aaa"


def test_draw_follows_the_probabilities_renormalised_over_the_allowed_tokens():
    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0]], dtype=torch.float64)
    index, mask = np.array([[1, 3, 4, 1]]), np.array([[True, True, True, False]])
    scores = logits[:, index[0]]
    n = 20000
    uniforms = (np.arange(n) + 0.5) / n
    draws = [_draw(scores, index, mask, uniforms[i : i + 1], 1.0)[0] for i in range(0, n, 97)]
    probabilities = torch.softmax(logits[0, [1, 3, 4]] / 1.0, 0).numpy()
    frequencies = [np.mean(np.asarray(draws) == t) for t in (1, 3, 4)]
    assert np.allclose(frequencies, probabilities, atol=0.02)
    hot = _draw(scores.repeat(3, 1), index.repeat(3, 0), mask.repeat(3, 0),
                np.array([0.01, 0.5, 0.99]), 0.05)
    assert hot.tolist() == [4, 4, 4]


def _tiny_setup(table, seed=0):
    metadata = infer_metadata(table)
    codec = RowCodec(metadata, table)
    cells = codec.cells(table)
    corpus = [t for name in codec.columns for t in cells[name]] + [
        codec.codecs[n].escaped_name + " is " for n in codec.columns] * 5 + [","]
    tokenizer = train_tokenizer(corpus, 400)
    layout = TokenLayout(tokenizer, codec, 0, 0)
    torch.manual_seed(seed)
    model = build_model(check_model_config({"n_layer": 1, "n_embd": 16, "n_head": 2}),
                        tokenizer.get_vocab_size(), layout.max_row_tokens(codec.columns), 0)
    observed = {name: set(texts) for name, texts in cells.items()}
    return codec, layout, build_automata(layout, codec, observed), model.eval()


def _table():
    rng = np.random.RandomState(0)
    return pd.DataFrame({
        "colour": rng.choice(["red", "green", "dark red"], 50),
        "size": rng.randint(-30, 400, 50),
        "weight": np.where(rng.uniform(size=50) < 0.2, np.nan, np.round(rng.uniform(0, 9, 50), 1)),
        "day": pd.Timestamp("2024-02-20") + pd.to_timedelta(rng.randint(0, 20, 50), unit="D"),
    })


def _plans(codec, layout, n_rows, seed):
    rng = np.random.RandomState(seed)
    plans = []
    for _ in range(n_rows):
        order = list(rng.permutation(codec.columns))
        operations, forced = [], [layout.bos_id]
        for k, name in enumerate(order):
            forced = forced + layout.name_ids[name][k > 0]
            operations += [("force", forced),
                           ("value", name, layout.eos_id if k == len(order) - 1
                            else layout.term_id)]
            forced = []
        plans.append(RowPlan(operations, rng.uniform(size=100)))
    return plans


def test_generated_rows_all_parse_and_do_not_depend_on_the_batch():
    """Alone in its batch a row feeds no padding; in a batch its runs of forced tokens are
    padded to the longest; the rows are the same."""
    table = _table()
    codec, layout, automata, model = _tiny_setup(table)
    plans = _plans(codec, layout, 40, seed=1)
    values, tokens, scores = generate(model, plans, automata, 1.5, 1, "cpu")
    again, _, _ = generate(model, plans, automata, 1.5, 64, "cpu")
    assert scores == [None] * 40
    assert values == again
    for row in values:
        assert set(row) == set(codec.columns)
        parsed = {name: codec.codecs[name].parse(text) for name, text in row.items()}
        assert parsed["colour"] in {"red", "green", "dark red"}
        assert -30 <= parsed["size"] <= 399 or np.isnan(parsed["size"])
    assert {row["weight"] for row in values} - {MISSING} and all(t[-1] == 0 for t in tokens)


def _lora(model):
    peft = pytest.importorskip("peft")
    config = peft.LoraConfig(r=2, lora_alpha=4, target_modules=["c_attn"],
                             fan_in_fan_out=True, init_lora_weights=False)
    lora = peft.get_peft_model(model, config)
    return lora.eval()


@pytest.mark.parametrize("wrap", [lambda model: model, _lora], ids=["gpt2", "lora-unmerged"])
def test_logits_of_allowed_tokens_only_give_the_rows_of_the_whole_model(wrap, monkeypatch):
    """GPT-2 runs its body alone and scores only the allowed tokens; other models run whole.
    Both ways write the same rows."""
    import skltab.llm._decoding as decoding

    codec, layout, automata, model = _tiny_setup(_table(), seed=5)
    model = wrap(model)
    plans = _plans(codec, layout, 30, seed=2)
    assert decoding._body_and_head(model) is not None
    values, tokens, _ = generate(model, plans, automata, 1.0, 8, "cpu")
    monkeypatch.setattr(decoding, "_body_and_head", lambda model: None)
    whole_values, whole_tokens, _ = generate(model, plans, automata, 1.0, 8, "cpu")
    assert values == whole_values and tokens == whole_tokens


@pytest.mark.parametrize("wrap", [lambda model: model, _lora], ids=["gpt2", "lora-unmerged"])
def test_the_cache_goes_under_the_name_the_model_takes(wrap, monkeypatch, recwarn):
    """transformers 5 renamed the forward's ``past_key_values`` to ``cache`` and warns at
    every decoding step when given the old name; generation, with the body alone or the
    whole model, and label queries pass the name the model takes."""
    import skltab.llm._decoding as decoding

    codec, layout, automata, model = _tiny_setup(_table(), seed=5)
    model = wrap(model)
    plans = _plans(codec, layout, 6, seed=2)
    plans.append(RowPlan([("force", [0] + layout.name_ids["colour"][0])], np.zeros(20),
                         query=True))
    labels = [layout.ids("dark red") + [0], layout.ids("red") + [0]]
    values, _, scores = generate(model, plans, automata, 1.0, 4, "cpu", labels)
    monkeypatch.setattr(decoding, "_body_and_head", lambda model: None)
    again, _, _ = generate(model, plans, automata, 1.0, 4, "cpu", labels)
    assert values == again and scores[-1] is not None
    assert not [w for w in recwarn if "past_key_values" in str(w.message)]


def test_cache_name_follows_the_forward_signature():
    import skltab.llm._decoding as decoding

    class Renamed:
        def forward(self, input_ids=None, cache=None, attention_mask=None):
            pass

    class Former:
        def forward(self, input_ids=None, past_key_values=None, attention_mask=None):
            pass

    assert decoding._cache_keyword(Renamed) == "cache"
    assert decoding._cache_keyword(Former) == "past_key_values"


def _naive_label_log_probs(model, prompt, labels):
    out = []
    for label in labels:
        with torch.no_grad():
            log_probs = torch.log_softmax(model(torch.tensor([prompt + label])).logits[0].double(),
                                          1)
        out.append(sum(float(log_probs[len(prompt) - 1 + j, t]) for j, t in enumerate(label)))
    return out


@pytest.mark.parametrize("batch_size", [1, 3])
def test_labels_are_scored_from_each_row_cache(batch_size):
    table = _table()
    codec, layout, automata, model = _tiny_setup(table, seed=3)
    prompts = [[0] + layout.name_ids["size"][0] + [layout.char_ids[c] for c in "12"],
               [0] + layout.name_ids["colour"][0] + layout.ids("red") + [layout.term_id]
               + layout.name_ids["size"][1] + [layout.char_ids["7"]],
               [0, layout.term_id]]
    labels = [layout.ids("dark red") + [0], layout.ids("red") + [0], [layout.char_ids["3"], 0]]
    plans = [RowPlan([("force", prompt)], np.zeros(20), query=True) for prompt in prompts]
    plans.insert(1, RowPlan([("force", [0, 5])], np.zeros(20)))
    _, tokens, scores = generate(model, plans, automata, 1.0, batch_size, "cpu", labels)
    assert scores[1] is None and tokens[1] == [0, 5]
    for prompt, row_scores in zip(prompts, [scores[0]] + scores[2:]):
        assert np.allclose(row_scores, _naive_label_log_probs(model, prompt, labels),
                           atol=1e-5)


@pytest.mark.parametrize("run_whole", [False, True], ids=["body-and-head", "whole"])
def test_value_log_probs_renormalise_over_the_allowed_tokens(run_whole, monkeypatch):
    """GPT-2 scores the allowed tokens from its body's states; other models run whole."""
    import skltab.llm._decoding as decoding

    table = _table()
    codec, layout, automata, model = _tiny_setup(table, seed=4)
    if run_whole:
        monkeypatch.setattr(decoding, "_body_and_head", lambda model: None)
    sequences = [[0, 5, 6, 7, 8], [0, 9, 10]]
    choices = [[(2, (6, 3, 11), 6), (4, (8, 1), 1)], [(1, (9, 12), 12)]]
    totals = value_log_probs(model, sequences, choices, 1, "cpu")
    with torch.no_grad():
        logits = [model(torch.tensor([s])).logits[0].double() for s in sequences]
    expected = [
        float(torch.log_softmax(logits[0][1, [6, 3, 11]], 0)[0]
              + torch.log_softmax(logits[0][3, [8, 1]], 0)[1]),
        float(torch.log_softmax(logits[1][0, [9, 12]], 0)[1]),
    ]
    assert np.allclose(totals, expected)


def test_union_of_allowed_tokens_is_that_of_numpy_unique():
    rng = np.random.RandomState(0)
    for _ in range(50):
        index = rng.randint(0, rng.randint(1, 600), size=(rng.randint(1, 40), rng.randint(1, 20)))
        union, inverse = _union(index)
        expected, expected_inverse = np.unique(index, return_inverse=True)
        assert union.tolist() == expected.tolist()
        assert inverse.tolist() == expected_inverse.reshape(index.shape).tolist()
        assert (union[inverse] == index).all()


# -- rows written as fields ------------------------------------------------------------------
def _field_table():
    rng = np.random.RandomState(0)
    return pd.DataFrame({
        "colour": rng.choice(["red", "green", "dark red"], 60),
        "size": rng.choice([1, 2, 3, 5], 60),
        "shade": rng.choice(["red", "blue"], 60),
    })


def _tiny_field_setup(table, seed=0):
    metadata = infer_metadata(table)
    codec = RowCodec(metadata, table)
    cells = codec.cells(table)
    tokenizer = train_tokenizer([","] + [t for texts in cells.values() for t in texts], 300)
    layout = FieldLayout(tokenizer, codec, 0, 0, cells)
    torch.manual_seed(seed)
    model = build_model(check_model_config({"n_layer": 1, "n_embd": 16, "n_head": 2}),
                        layout.vocab_size, layout.n_positions(codec.columns), 0)
    with torch.no_grad():  # weights large enough that every input moves the logits
        for parameter in model.parameters():
            parameter.normal_(0, 0.5)
    observed = {name: set(texts) for name, texts in cells.items()}
    return codec, layout, build_automata(layout, codec, observed), model.eval()


def _field_plans(codec, layout, n_rows, seed, query=False):
    rng = np.random.RandomState(seed)
    plans = []
    for _ in range(n_rows):
        order = list(rng.permutation(codec.columns))
        written = order[:-1] if query else order
        operations = [("force", [layout.bos_id])] + [
            ("value", name, layout.terminator(k == len(order) - 1))
            for k, name in enumerate(written)]
        plans.append(RowPlan(operations, rng.uniform(size=10), query, layout.token_inputs(order)))
    return plans


def test_a_field_is_one_token_beside_its_column_and_the_next_column():
    codec, layout, _, _ = _tiny_field_setup(_field_table())
    assert codec.columns == ["colour", "size", "shade"]
    # the text "red" of two columns is one token; its column is the token type
    assert layout.value_ids("colour", "red") == layout.value_ids("shade", "red")
    texts = {"red", "green", "dark red", "1", "2", "3", "5", "blue"}
    first = layout.tokenizer.get_vocab_size()
    assert layout.vocab_size == first + len(texts) + 3
    values = {"shade": layout.value_ids("shade", "blue"),
              "colour": layout.value_ids("colour", "red"), "size": layout.value_ids("size", "3")}
    ids, weights, inputs = layout.row_ids(values, ["shade", "colour", "size"], {"size": 5.0})
    assert ids == [0] + values["shade"] + values["colour"] + values["size"] + [0]
    assert weights == [1.0, 1.0, 1.0, 5.0, 5.0]
    # each token's position is the column written next (3: the end)
    assert inputs["position_ids"] == [2, 0, 1, 3, 3]
    assert inputs["token_type_ids"] == [0, layout.type_ids["shade"], layout.type_ids["colour"],
                                        layout.type_ids["size"], 0]
    assert len(set(layout.type_ids.values()) | set(layout.text_ids.values())) == len(texts) + 3
    assert layout.writes("size", "5") and not layout.writes("size", "4")
    with pytest.raises(ValueError, match="Column 'size': '4' is not one of the values"):
        layout.value_ids("size", "4")


def _naive_field_rows(model, layout, automata, plans, temperature):
    """Decode each row alone, one full forward pass per field, with the plan's uniforms."""
    rows = []
    for plan in plans:
        tokens, values = [layout.bos_id], {}
        for operation in plan.operations[1:]:
            name = operation[1]
            inputs = {key: torch.tensor([v[: len(tokens)]]) for key, v in plan.token_inputs.items()}
            with torch.no_grad():
                logits = model(torch.tensor([tokens]), **inputs).logits[0, -1].double()
            allowed = list(automata[name].allowed(automata[name].start(), None))
            probabilities = torch.softmax(logits[allowed] / temperature, 0).cumsum(0).numpy()
            k = min(int((probabilities < plan.uniforms[len(tokens)]).sum()), len(allowed) - 1)
            values[name] = automata[name].texts[automata[name].advance(0, allowed[k])]
            tokens.append(allowed[k])
        rows.append(values)
    return rows


@pytest.mark.parametrize("batch_size", [1, 7])
def test_field_rows_follow_the_model_given_each_token_s_column_and_the_next(batch_size):
    """Rows written as fields in lock step, with the key-value cache, are the rows of a
    decoder that runs the whole row through the model for each field."""
    codec, layout, automata, model = _tiny_field_setup(_field_table(), seed=1)
    plans = _field_plans(codec, layout, 30, seed=3)
    values, tokens, _ = generate(model, plans, automata, 1.5, batch_size, "cpu")
    assert values == _naive_field_rows(model, layout, automata, plans, 1.5)
    assert all(len(row) == 5 and row[-1] == 0 for row in tokens)
    assert len({tuple(row.items()) for row in values}) > 10


def test_field_labels_are_scored_from_each_row_cache():
    codec, layout, automata, model = _tiny_field_setup(_field_table(), seed=2)
    plans = _field_plans(codec, layout, 6, seed=4, query=True)
    labels = [layout.label_ids("colour", text) for text in ("red", "green", "dark red")]
    _, tokens, scores = generate(model, plans, automata, 1.0, 4, "cpu", labels)
    for plan, row_tokens, row_scores in zip(plans, tokens, scores):
        inputs = {key: torch.tensor([v[: len(row_tokens)]]) for key, v in plan.token_inputs.items()}
        with torch.no_grad():
            logits = model(torch.tensor([row_tokens]), **inputs).logits[0, -1].double()
        expected = torch.log_softmax(logits, 0)[[label[0] for label in labels]].numpy()
        # the query scores the last column, whichever it is
        assert np.allclose(row_scores, expected, atol=1e-5)


def test_value_log_probs_of_fields_give_each_token_its_inputs():
    codec, layout, automata, model = _tiny_field_setup(_field_table(), seed=5)
    order = ["size", "shade", "colour"]
    values = {"size": layout.value_ids("size", "2"), "shade": layout.value_ids("shade", "red"),
              "colour": layout.value_ids("colour", "green")}
    ids, _, inputs = layout.row_ids(values, order)
    allowed = [tuple(automata[name].allowed(0, None)) for name in order]
    choices = [[(k + 1, allowed[k], ids[k + 1]) for k in range(3)]]
    total = value_log_probs(model, [ids, ids[:2]], choices + [[]], 2, "cpu", [inputs, inputs])
    with torch.no_grad():
        logits = model(torch.tensor([ids]), **{k: torch.tensor([v]) for k, v in inputs.items()})
    logits = logits.logits[0].double()
    expected = sum(float(torch.log_softmax(logits[k, list(allowed[k])], 0)[
        allowed[k].index(ids[k + 1])]) for k in range(3))
    assert np.allclose(total, [expected, 0.0])
