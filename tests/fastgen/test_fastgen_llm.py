"""FastGenSynthesizer with an LLM: a fake OpenAI-compatible server on loopback answers.

The server speaks the chat-completions protocol and counts tokens; the real client code
(urllib) talks to it. Its answers are canned but valid specs, built from the facts the prompt
states, unless a test scripts other answers for a field.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skltab.fastgen import FastGenSynthesizer, validate_spec
from skltab.metadata import infer_metadata
from skltab.utils.estimator_checks import make_check_table


class FakeLLM:
    """Answers FastGen's prompts; ``scripted`` gives a field a list of answers to use first."""

    def __init__(self, scripted=None, correlations=(), fenced=False):
        self.scripted = {name: list(answers) for name, answers in (scripted or {}).items()}
        self.correlations = [list(pair) for pair in correlations]
        self.fenced = fenced
        self.prompts = []

    def __call__(self, prompt):
        self.prompts.append(prompt)
        lines = prompt.splitlines()
        if lines[0] == "### FastGen task: classify":
            answer = self._classification(lines)
        else:
            name = json.loads(lines[0].removeprefix("### FastGen task: field "))
            facts = json.loads(next(line for line in lines if line.startswith("Known facts: "))
                               .removeprefix("Known facts: "))
            scripted = self.scripted.get(name)
            answer = scripted.pop(0) if scripted else self._field(facts)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return f"Here it is:\n```json\n{text}\n```" if self.fenced else text

    def _classification(self, lines):
        decoder = json.JSONDecoder()
        facts = [decoder.raw_decode(line)[0] for line in lines if line.startswith("{")]
        answer = {"fields": {f["name"]: {"class": f["kind"], "description": f"The {f['name']}."}
                             for f in facts}}
        if any("correlated" in line for line in lines):
            answer["correlations"] = self.correlations
        return answer

    @staticmethod
    def _field(facts):
        kind = facts["kind"]
        if kind in ("categorical", "boolean"):
            categories = facts.get("categories", ["alpha", "beta"])
            return {"family": "categorical", "categories": categories,
                    "probabilities": [1 / len(categories)] * len(categories)}
        if kind == "text":
            return {"family": "examples", "examples": ["a short note", "another note here"]}
        low, high = facts.get("bounds") or [0, 100]
        return {"family": "normal", "params": {"loc": (low + high) / 2,
                                               "scale": (high - low) / 4 or 1.0}}


class Server:
    """An OpenAI-compatible ``/v1/chat/completions`` endpoint on 127.0.0.1, in a thread."""

    def __init__(self, llm, status=200):
        self.llm = llm
        self.status = status
        self.requests = []
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers),
                                        "body": body})
                if server.status != 200:
                    self.send_error(server.status, "overloaded")
                    return
                prompt = body["messages"][-1]["content"]
                answer = server.llm(prompt)
                usage = {"prompt_tokens": sum(len(m["content"].split())
                                              for m in body["messages"]),
                         "completion_tokens": len(answer.split())}
                for key in usage:
                    server.usage[key] += usage[key]
                reply = json.dumps({
                    "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": answer}}],
                    "usage": {**usage, "total_tokens": sum(usage.values())},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def real():
    return make_check_table(200)


def _spec_field(synthesizer, name):
    return next(f for f in synthesizer.spec_["fields"] if f["name"] == name)


def test_the_llm_backend_over_http(real):
    with Server(FakeLLM()) as server:
        synthesizer = FastGenSynthesizer(backend="llm", base_url=server.url, model="fake-model",
                                         n_examples=20, random_state=0).fit(real)
    n_fields = real.shape[1] - 1  # the ID column is regenerated, not modelled
    assert {r["path"] for r in server.requests} == {"/v1/chat/completions"}
    assert all(r["body"]["model"] == "fake-model" for r in server.requests)
    usage = synthesizer.llm_usage_
    assert usage["calls"] == len(server.requests) == 1 + n_fields
    assert usage["prompt_tokens"] == server.usage["prompt_tokens"]
    assert usage["completion_tokens"] == server.usage["completion_tokens"]
    assert usage["estimated"] is False and usage["fallback_fields"] == []
    assert _spec_field(synthesizer, "income")["distribution"]["family"] == "normal"
    assert _spec_field(synthesizer, "segment")["distribution"]["probabilities"] == [1 / 3] * 3
    classify = server.requests[0]["body"]["messages"][-1]["content"]
    rows_csv = classify.split("Example rows (CSV):\n")[1].split("\nFor every field")[0]
    assert len(rows_csv.splitlines()) == 1 + 20  # a header and n_examples rows
    synthetic = synthesizer.sample(500, random_state=0)
    assert synthetic.dtypes.equals(real.dtypes)
    assert synthetic["income"].between(real["income"].min(), real["income"].max()).all()


def test_the_api_key_comes_from_the_environment(real, monkeypatch):
    monkeypatch.setenv("FAKE_LLM_KEY", "s3cret")
    with Server(FakeLLM()) as server:
        FastGenSynthesizer(backend="llm", base_url=server.url, api_key_env="FAKE_LLM_KEY",
                           random_state=0).fit(real[["age", "segment"]])
        FastGenSynthesizer(backend="llm", base_url=server.url, api_key_env=None,
                           random_state=0).fit(real[["age", "segment"]])
    authorizations = [r["headers"].get("Authorization") for r in server.requests]
    assert authorizations == ["Bearer s3cret"] * 3 + [None] * 3


def test_a_rejected_answer_is_sent_back_with_its_error(real):
    bad = {"family": "normal", "params": {"loc": 40.0, "scale": -5.0}}
    good = {"family": "gamma", "params": {"shape": 9.0, "scale": 5.0}}
    llm = FakeLLM(scripted={"age": ["I think a normal fits.", bad, good]})
    with Server(llm) as server:
        synthesizer = FastGenSynthesizer(backend="llm", base_url=server.url, n_retries=3,
                                         random_state=0).fit(real[["age", "income"]])
    age_prompts = [p for p in llm.prompts if p.startswith('### FastGen task: field "age"')]
    assert len(age_prompts) == 3
    assert "holds no JSON object" in age_prompts[1]
    assert "scale must be > 0" in age_prompts[2]
    assert _spec_field(synthesizer, "age")["distribution"] == good
    assert synthesizer.llm_usage_["calls"] == 1 + 2 + 2


def test_an_answer_that_forgets_a_rare_category_is_sent_back(real):
    partial = {"family": "categorical", "categories": ["retail", "corporate"],
               "probabilities": [0.7, 0.3]}
    complete = {"family": "categorical", "categories": ["RETAIL", "corporate", "public"],
                "probabilities": [0.6, 0.3, 0.1]}
    llm = FakeLLM(scripted={"segment": [partial, complete]})
    synthesizer = FastGenSynthesizer(backend="llm", llm=llm,
                                     random_state=0).fit(real[["segment", "age"]])
    segment_prompts = [p for p in llm.prompts if p.startswith('### FastGen task: field "seg')]
    assert "give a probability to every category; missing ['public']" in segment_prompts[1]
    distribution = _spec_field(synthesizer, "segment")["distribution"]
    probabilities = dict(zip(distribution["categories"], distribution["probabilities"]))
    assert probabilities == pytest.approx({"retail": 0.6, "corporate": 0.3, "public": 0.1})
    assert set(synthesizer.sample(3000, random_state=0)["segment"]) == {"retail", "corporate",
                                                                        "public"}


def test_code_in_an_answer_is_rejected_and_never_run(real, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = "__import__('pathlib').Path('pwned').touch()"
    attacks = [
        {"family": "normal", "params": {"loc": 40, "scale": 5}, "code": payload},
        {"family": f"lambda n: {payload}", "params": {}},
        {"family": "normal", "params": {"loc": payload, "scale": 5}},
    ]
    llm = FakeLLM(scripted={"age": attacks})
    with pytest.warns(UserWarning, match="no valid spec for field 'age'"):
        synthesizer = FastGenSynthesizer(backend="llm", llm=llm, n_retries=2,
                                         random_state=0).fit(real[["age", "income"]])
    age_prompts = [p for p in llm.prompts if p.startswith('### FastGen task: field "age"')]
    assert all("carries code" in p for p in age_prompts[1:])
    assert not (tmp_path / "pwned").exists()
    assert synthesizer.llm_usage_["fallback_fields"] == ["age"]
    family = _spec_field(synthesizer, "age")["distribution"]["family"]
    assert "lambda" not in family
    validate_spec(synthesizer.spec_)


def test_metadata_only_mode_learns_from_descriptions_and_named_pairs(real):
    metadata = infer_metadata(real)
    descriptions = {"age": "Age of the customer in years.",
                    "income": "Yearly income in dollars; grows with age."}
    llm = FakeLLM(correlations=[["age", "income", 0.8]])
    with Server(llm) as server:
        synthesizer = FastGenSynthesizer(
            backend="llm", base_url=server.url, metadata=metadata,
            column_descriptions=descriptions, random_state=0,
        ).fit(real.iloc[:0])
    prompts = [r["body"]["messages"][-1]["content"] for r in server.requests]
    assert "Example rows" not in prompts[0] and "correlated" in prompts[0]
    assert all(descriptions["income"] in p for p in prompts if '"income"' in p.splitlines()[0])
    assert synthesizer.spec_["dependence"]["pairs"] == [["age", "income", 0.8]]
    assert _spec_field(synthesizer, "age")["description"].startswith(descriptions["age"])
    synthetic = synthesizer.sample(5000, random_state=0)
    assert synthetic.dtypes.equals(real.dtypes)
    assert stats.spearmanr(synthetic["age"], synthetic["income"])[0] > 0.7


def test_a_callable_llm_and_tokens_that_grow_with_columns_not_rows():
    rng = np.random.RandomState(0)

    def table(n_rows, n_columns):
        return pd.DataFrame({f"x{j}": rng.normal(10 * j, 1 + j, n_rows).round(2)
                             for j in range(n_columns)})

    def tokens(n_rows, n_columns):
        llm = FakeLLM(fenced=True)
        synthesizer = FastGenSynthesizer(backend="llm", llm=llm, n_examples=30,
                                         random_state=0).fit(table(n_rows, n_columns))
        assert synthesizer.llm_usage_["estimated"] is True
        return synthesizer.llm_usage_["total_tokens"]

    few_rows, many_rows = tokens(100, 4), tokens(5000, 4)
    assert many_rows == pytest.approx(few_rows, rel=0.1)
    assert tokens(100, 8) > 1.7 * few_rows


def test_endpoint_errors_are_reported(real):
    with Server(FakeLLM(), status=503) as server:
        with pytest.raises(RuntimeError, match="HTTP 503"):
            FastGenSynthesizer(backend="llm", base_url=server.url).fit(real[["age"]])


@pytest.mark.parametrize("params", [{}, {"llm": FakeLLM(), "base_url": "http://127.0.0.1:9"}])
def test_the_llm_backend_needs_exactly_one_client(real, params):
    with pytest.raises(ValueError, match="exactly one of llm"):
        FastGenSynthesizer(backend="llm", **params).fit(real[["age"]])


def test_without_rows_a_field_the_llm_cannot_describe_is_an_error(real):
    table = real[["age"]].assign(note="a few words here")
    metadata = infer_metadata(table, overrides={"note": "text"})
    llm = FakeLLM(scripted={"note": ["no idea"] * 2})
    with pytest.raises(ValueError, match="'note'.*cannot be inferred without the LLM"):
        FastGenSynthesizer(backend="llm", llm=llm, metadata=metadata,
                           n_retries=1).fit(table.iloc[:0])
