"""FastGenSynthesizer with the statistical backend: marginals, copula, text, score, persistence."""

import csv
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skltab.fastgen import FastGenSynthesizer
from skltab.metadata import infer_metadata
from skltab.utils.estimator_checks import make_check_table


def _family(synthesizer, name):
    field = next(f for f in synthesizer.spec_["fields"] if f["name"] == name)
    return field["distribution"]["family"]


@pytest.fixture(scope="module")
def shapes():
    rng = np.random.RandomState(0)
    n = 3000
    return pd.DataFrame({
        "lognormal": np.round(np.exp(rng.normal(2, 0.8, n)), 3),
        "counts": rng.poisson(3, n),
        "bimodal": np.round(np.concatenate([rng.normal(-4, 1, n // 2),
                                            rng.normal(4, 1, n - n // 2)]), 3),
        "spiky": np.where(rng.uniform(size=n) < 0.7, 0.0, np.round(rng.gamma(2, 500, n), 1)),
    })


@pytest.fixture(scope="module")
def fitted_shapes(shapes):
    return FastGenSynthesizer(dependence="independent", random_state=0).fit(shapes)


def test_families_are_chosen_from_the_data(fitted_shapes):
    assert _family(fitted_shapes, "lognormal") == "lognormal"
    assert _family(fitted_shapes, "counts") == "poisson"
    # no single parametric family fits two modes or a spike at zero
    assert _family(fitted_shapes, "bimodal") in ("gaussian_mixture", "empirical")
    assert _family(fitted_shapes, "spiky") == "empirical"


@pytest.mark.parametrize("column", ["lognormal", "counts", "bimodal", "spiky"])
def test_marginals_are_kept(shapes, fitted_shapes, column):
    synthetic = fitted_shapes.sample(20000, random_state=0)
    assert stats.ks_2samp(shapes[column], synthetic[column]).statistic < 0.04


def test_rare_categories_are_kept_unless_max_categories_says_otherwise():
    rng = np.random.RandomState(1)
    values = np.array(["common"] * 3000 + ["usual"] * 1990 + ["rare"] * 10, dtype=object)
    table = pd.DataFrame({"kind": rng.permutation(values), "x": rng.normal(size=5000)})
    synthesizer = FastGenSynthesizer(random_state=0).fit(table)
    field = synthesizer.spec_["fields"][0]["distribution"]
    probability = dict(zip(field["categories"], field["probabilities"]))
    assert probability["rare"] == pytest.approx(10 / 5000)
    counts = synthesizer.sample(100000, random_state=0)["kind"].value_counts()
    assert counts["rare"] / 100000 == pytest.approx(0.002, abs=0.001)
    capped = FastGenSynthesizer(max_categories=2, random_state=0).fit(table)
    assert set(capped.sample(20000, random_state=0)["kind"]) == {"common", "usual"}


def test_capped_categories_never_seen_together_get_no_correlation():
    """With max_categories, two fields whose kept categories share no row (the two largest
    cities are in the smallest state) have no rows to correlate; the copula leaves them
    independent."""
    cities = {"Boston": "MA", "Lowell": "MA", "Austin": "TX", "Dallas": "TX", "Waco": "TX",
              "Salem": "OR", "Eugene": "OR", "Bend": "OR"}
    city = np.repeat(list(cities), [30, 30] + [25] * 6)
    state = np.array([cities[name] for name in city])
    rng = np.random.RandomState(0)
    table = pd.DataFrame({"city": city, "state": state, "x": rng.normal(size=len(city))})
    synthesizer = FastGenSynthesizer(max_categories=2, random_state=0).fit(table)
    dependence = synthesizer.spec_["dependence"]
    pair = [dependence["fields"].index(name) for name in ("city", "state")]
    assert dependence["correlation"][pair[0]][pair[1]] == pytest.approx(0, abs=0.02)
    synthetic = synthesizer.sample(2000, random_state=0)
    assert set(synthetic["city"]) == {"Boston", "Lowell"}
    assert set(synthetic["state"]) == {"TX", "OR"}


def test_missing_rates_are_kept():
    real = make_check_table(2000, random_state=1)
    synthetic = FastGenSynthesizer(random_state=0).fit(real).sample(20000, random_state=0)
    for column in ("rating", "region"):
        assert synthetic[column].isna().mean() == pytest.approx(real[column].isna().mean(),
                                                                abs=0.015)


@pytest.fixture(scope="module")
def related():
    """Income grows with age; each segment has its own income level."""
    rng = np.random.RandomState(2)
    n = 3000
    segment = rng.choice(["low", "mid", "high"], n, p=[0.5, 0.3, 0.2])
    level = pd.Series(segment).map({"low": 0.0, "mid": 1.0, "high": 2.5}).to_numpy()
    age = rng.randint(20, 70, n)
    income = np.round(np.exp(9 + 0.02 * age + 0.5 * level + rng.normal(0, 0.2, n)), 2)
    return pd.DataFrame({"age": age, "income": income, "segment": segment})


@pytest.fixture(scope="module")
def copula(related):
    return FastGenSynthesizer(random_state=0).fit(related)


def test_the_copula_keeps_relations_that_independence_loses(related, copula):
    independent = FastGenSynthesizer(dependence="independent", random_state=0).fit(related)
    real_rho = stats.spearmanr(related["age"], related["income"])[0]
    for synthesizer, expected in ((copula, real_rho), (independent, 0.0)):
        synthetic = synthesizer.sample(20000, random_state=0)
        rho = stats.spearmanr(synthetic["age"], synthetic["income"])[0]
        assert rho == pytest.approx(expected, abs=0.05)
    synthetic = copula.sample(20000, random_state=0)
    order = synthetic.groupby("segment")["income"].median().sort_values().index.tolist()
    assert order == ["low", "mid", "high"]


@pytest.fixture(scope="module")
def joint(copula):
    return copula.sample(200000, random_state=1)


@pytest.mark.parametrize("conditions", [{"segment": "low"}, {"segment": "high"}, {"age": 25},
                                        {"age": 60, "segment": "mid"}])
def test_conditions_draw_from_the_conditional_distribution(copula, joint, conditions):
    """Conditioned rows follow the model's own joint distribution restricted to the
    conditions (what rejection sampling would give, at a fraction of its cost)."""
    rows = copula.sample(3000, conditions=conditions, random_state=0)
    selected = joint
    for name, value in conditions.items():
        assert (rows[name] == value).all()
        selected = selected[selected[name] == value]
    assert len(selected) > 300
    for column in {"age", "income", "segment"} - set(conditions):
        if column == "segment":
            expected = selected[column].value_counts(normalize=True)
            observed = rows[column].value_counts(normalize=True).reindex(expected.index)
            assert np.abs(observed.fillna(0) - expected).max() < 0.05
        else:
            assert stats.ks_2samp(rows[column], selected[column]).pvalue > 0.001


def test_free_text_gets_a_markov_chain_of_the_column():
    rng = np.random.RandomState(3)
    subjects = ["the pump", "a valve", "the motor", "our fan", "the belt"]
    verbs = ["failed after", "was replaced after", "made noise after", "stopped after"]
    texts = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.randint(2, 30)} days"
             for _ in range(400)]
    table = pd.DataFrame({"note": texts, "cost": rng.gamma(2, 50, 400).round(2)})
    synthesizer = FastGenSynthesizer(random_state=0, metadata=infer_metadata(
        table, overrides={"note": "text"})).fit(table)
    assert _family(synthesizer, "note") == "markov"
    notes = synthesizer.sample(500, random_state=0)["note"]
    vocabulary = {word for text in texts for word in text.split()}
    assert all(set(note.split()) <= vocabulary for note in notes)
    assert notes.nunique() > 100
    assert notes.str.split().str.len().max() <= max(len(t.split()) for t in texts)


def test_score_is_a_log_likelihood_that_prefers_real_rows(related):
    train, held_out = related.iloc[:2400], related.iloc[2400:]
    shifted = held_out.assign(income=held_out["income"] * 1.3)
    scores = {}
    for dependence in ("independent", "copula"):
        synthesizer = FastGenSynthesizer(dependence=dependence, random_state=0).fit(train)
        scores[dependence] = synthesizer.score(held_out)
        assert synthesizer.score(shifted) < scores[dependence]
        unseen = held_out.assign(segment="unseen")
        assert np.isfinite(synthesizer.score(unseen))
        assert synthesizer.score(unseen) < scores[dependence]
    # the copula knows that income follows age and segment
    assert scores["copula"] > scores["independent"] + 0.1


def test_score_of_a_categorical_field_is_its_log_frequency():
    table = pd.DataFrame({"c": ["a"] * 3 + ["b"]})
    synthesizer = FastGenSynthesizer(dependence="independent").fit(table)
    assert synthesizer.score(pd.DataFrame({"c": ["b"]})) == pytest.approx(np.log(0.25))
    np.testing.assert_allclose(synthesizer.score_samples(pd.DataFrame({"c": ["b", "a"]})),
                               np.log([0.25, 0.75]))


def test_score_samples_without_y_sums_the_target_out(related):
    X, y = related.drop(columns="segment"), related["segment"]
    independent = FastGenSynthesizer(dependence="independent", random_state=0)
    np.testing.assert_allclose(independent.fit(X, y).score_samples(X),
                               independent.fit(X).score_samples(X))
    independent.fit(X, y)
    copula = FastGenSynthesizer(random_state=0).fit(X, y)
    # -log p(segment | age, income) on average: the segment's entropy when independent, less
    # under the copula, which knows that income tells the segment
    independent_gap = independent.score(X) - independent.score(X, y)
    copula_gap = copula.score(X) - copula.score(X, y)
    assert 0 < copula_gap < independent_gap - 0.3


def test_metadata_alone_gives_uniform_fields():
    real = make_check_table(500)
    metadata = infer_metadata(real)
    synthesizer = FastGenSynthesizer(metadata=metadata, random_state=0).fit(real.iloc[:0])
    synthetic = synthesizer.sample(20000, random_state=0)
    assert synthetic.dtypes.equals(real.dtypes)
    assert synthetic["age"].between(real["age"].min(), real["age"].max()).all()
    assert stats.kstest(synthetic["age"], stats.randint(real["age"].min(),
                                                        real["age"].max() + 1).cdf).statistic < 0.02
    assert set(synthetic["segment"]) == set(real["segment"])
    text_metadata = infer_metadata(real, overrides={"segment": "text"})
    with pytest.raises(ValueError, match="'segment'.*backend='llm'"):
        FastGenSynthesizer(metadata=text_metadata).fit(real.iloc[:0])


def test_no_rows_and_no_metadata_is_refused():
    with pytest.raises(ValueError, match="0 sample.*metadata"):
        FastGenSynthesizer().fit(make_check_table(30).iloc[:0])


def test_from_json_rebuilds_the_same_sampler():
    real = make_check_table(400)
    synthesizer = FastGenSynthesizer(random_state=0).fit(real)
    rebuilt = FastGenSynthesizer.from_json(synthesizer.to_json())
    pd.testing.assert_frame_equal(rebuilt.sample(3000, random_state=5),
                                  synthesizer.sample(3000, random_state=5))
    conditions = {"segment": "public"}
    pd.testing.assert_frame_equal(
        rebuilt.sample(200, conditions=conditions, random_state=1),
        synthesizer.sample(200, conditions=conditions, random_state=1))
    assert rebuilt.score(real) == pytest.approx(synthesizer.score(real))


def test_the_exported_script_writes_the_same_rows(tmp_path):
    real = make_check_table(400)
    synthesizer = FastGenSynthesizer(random_state=0).fit(real)
    script = synthesizer.export_script(tmp_path / "sampler.py")
    output = tmp_path / "rows.csv"
    n_rows, seed = 70000, 11  # two blocks of rows, each with its own seed
    subprocess.run([sys.executable, "-I", str(script), str(n_rows), "--seed", str(seed),
                    "--output", str(output)], check=True, cwd=tmp_path, timeout=60)
    with open(output, newline="") as stream:
        rows = list(csv.DictReader(stream))
    expected = synthesizer.sample(n_rows, random_state=seed)
    assert len(rows) == n_rows and "customer_id" not in rows[0]
    for column in ("age", "income", "rating"):
        written = np.array([float(r[column]) if r[column] else np.nan for r in rows])
        np.testing.assert_array_equal(written, expected[column].astype(float).to_numpy())
    for column in ("segment", "tier", "active", "region"):
        written = [r[column] or None for r in rows]
        assert written == [None if pd.isna(v) else str(v) for v in expected[column]]
    assert pd.to_datetime([r["joined"] for r in rows]).equals(pd.DatetimeIndex(expected["joined"]))


def test_sampling_is_fast(related):
    """Independent sampling writes far more than 100,000 rows per second (benchmarks measure
    the real rate; this only guards against an accidental slow path)."""
    import time

    synthesizer = FastGenSynthesizer(dependence="independent", random_state=0).fit(related)
    start = time.perf_counter()
    synthesizer.sample(200000, random_state=0)
    assert time.perf_counter() - start < 2.0
