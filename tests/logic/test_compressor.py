"""LogicCompressor: the logical core in, every rule kept by construction on the way out."""

import numpy as np
import pandas as pd
import pytest

from skltab import IndependentSynthesizer, make_synthesis_pipeline
from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import LogicCompressor
from skltab.metrics import rule_violations


@pytest.fixture(scope="module")
def real():
    return load_demo()


@pytest.fixture(scope="module")
def pipeline(real):
    return make_synthesis_pipeline(LogicCompressor(random_state=0),
                                   IndependentSynthesizer(random_state=0)).fit(real)


def test_the_core_leaves_out_the_determined_columns(real):
    compressor = LogicCompressor().fit(real)
    report = compressor.rule_report_.set_index("rule")
    assert set(report.index) == set(DEMO_RULES)
    assert (report["violations"] == 0).all() and (report["source"] == "discovered").all()
    dropped = set(report.loc[report["action"] == "drop", "column"])
    assert dropped == {"city", "state", "total", "net", "ship_date", "is_member"}
    assert report.loc["order_date >= member_since", "action"] == "adjust"
    assert report.loc["ship_date >= order_date", "action"] == "check"
    core = compressor.transform(real)
    assert list(core.columns) == list(compressor.get_feature_names_out())
    assert list(core.columns) == [name for name in real.columns if name not in dropped]


def test_inverse_transform_gives_the_real_table_back(real):
    compressor = LogicCompressor().fit(real)
    pd.testing.assert_frame_equal(compressor.inverse_transform(compressor.transform(real)), real)


def test_samples_obey_every_rule_only_with_the_compressor(real, pipeline):
    synthetic = pipeline.sample(3000, random_state=0)
    assert synthetic.dtypes.equals(real.dtypes)
    assert (rule_violations(synthetic, DEMO_RULES, reference=real) == 0).all()
    alone = IndependentSynthesizer(random_state=0).fit(real).sample(3000, random_state=0)
    rates = rule_violations(alone, DEMO_RULES, reference=real)
    assert (rates > 0.3).sum() >= 6, rates


def test_a_condition_on_a_dropped_city_goes_through_its_zip_codes(real, pipeline):
    conditions = pd.DataFrame({"city": ["Boston"] * 400})
    synthetic = pipeline.sample(400, conditions=conditions, random_state=1)
    assert (synthetic["city"] == "Boston").all() and (synthetic["state"] == "MA").all()
    boston = real.loc[real["city"] == "Boston", "zip"].value_counts(normalize=True)
    drawn = synthetic["zip"].value_counts(normalize=True)
    assert set(drawn.index) == set(boston.index)
    assert np.abs(drawn - boston).max() < 0.1


def test_conditions_follow_chains_and_ties(pipeline):
    conditions = pd.DataFrame({"state": ["MA"] * 20 + ["TX"] * 20, "is_member": False})
    synthetic = pipeline.sample(40, conditions=conditions, random_state=0)
    assert synthetic["state"].tolist() == conditions["state"].tolist()
    assert set(synthetic["city"][:20]) <= {"Boston", "Cambridge", "Worcester"}
    assert not synthetic["is_member"].any() and synthetic["member_since"].isna().all()


def test_dict_conditions_need_the_number_of_rows_to_draw(pipeline):
    compressor = pipeline[0]
    frame = compressor.transform_conditions({"city": "Boston"}, n_samples=50)
    assert list(frame.columns) == ["zip"] and len(frame) == 50
    fixed = compressor.transform_conditions({"city": "Boston", "zip": "02116"})
    assert fixed == {"zip": "02116"}
    with pytest.raises(ValueError, match="pass n_samples"):
        compressor.transform_conditions({"city": "Boston"})


def test_dict_conditions_through_the_pipeline(pipeline):
    synthetic = pipeline.sample(30, conditions={"city": "Boston"}, random_state=0)
    assert (synthetic["city"] == "Boston").all()


@pytest.mark.parametrize("conditions, message", [
    ({"total": 10.0}, "condition on them instead"),
    ({"is_member": True}, "condition on 'member_since' instead"),
    ({"city": "Atlantis"}, "no values of"),
    ({"city": "Boston", "zip": "10001"}, "no values of"),
    ({"colour": "red"}, "unknown columns"),
])
def test_impossible_conditions_are_refused(pipeline, conditions, message):
    with pytest.raises(ValueError, match=message):
        pipeline[0].transform_conditions(conditions, n_samples=5)


def test_given_rules_are_checked_and_merged(real):
    compressor = LogicCompressor(rules=["zip -> state", "unit_price * quantity = total"],
                                 discover=True).fit(real)
    report = compressor.rule_report_.set_index("rule")
    assert report.loc["zip -> state", "source"] == "given"
    assert report.loc["zip -> state", "action"] == "drop"
    assert report.loc["city -> state", "action"] == "check"  # state is already rebuilt
    assert "total = unit_price * quantity" in report.index
    with pytest.raises(ValueError, match="broken on .* rows"):
        LogicCompressor(rules=["zip -> payment_method"]).fit(real)


def test_proposals_are_verified_and_never_run(real, tmp_path):
    marker = tmp_path / "ran"

    def proposer(columns, rows):
        assert "zip" in columns and len(rows) == 20
        return ["zip -> city", "quantity -> unit_price", f"__import__('os').mkdir('{marker}')",
                "city -> customer_age"]

    compressor = LogicCompressor(proposer=proposer, discover=False).fit(real)
    report = compressor.rule_report_.set_index("rule")
    assert report.loc["zip -> city", "action"] == "drop"
    assert (report["action"] == "rejected").sum() == 3
    assert not marker.exists()
    assert [rule.describe() for rule in compressor.rules_] == ["zip -> city"]


def test_unknown_determinants_follow_the_policy(real):
    core = LogicCompressor().fit(real).transform(real.head(3))
    unseen = core.assign(zip=["99999", "02116", "10001"])
    for unknown in ("nearest", "missing"):
        restored = LogicCompressor(unknown=unknown).fit(real).inverse_transform(unseen)
        assert restored["city"].tolist()[1:] == ["Boston", "New York"]
        assert pd.isna(restored["city"].iloc[0]) == (unknown == "missing")
    with pytest.raises(ValueError, match="never seen"):
        LogicCompressor(unknown="error").fit(real).inverse_transform(unseen)


def test_inputs_are_checked_with_the_columns_named(real):
    compressor = LogicCompressor().fit(real)
    with pytest.raises(ValueError, match="missing.*'unit_price'.*unexpected.*'total'"):
        compressor.inverse_transform(compressor.transform(real).rename(
            columns={"unit_price": "total"}))
    with pytest.raises(ValueError, match="feature names"):
        compressor.transform(real.rename(columns={"zip": "postcode"}))


def test_arrays_go_in_and_come_out():
    rng = np.random.RandomState(0)
    a, b = rng.randint(0, 50, 200), rng.randint(0, 50, 200)
    X = np.column_stack([a, b, a + b]).astype(float)
    compressor = LogicCompressor().fit(X)
    core = compressor.transform(X)
    assert core.shape == (200, 2) and list(compressor.get_feature_names_out()) == ["x0", "x1"]
    np.testing.assert_array_equal(compressor.inverse_transform(core), X)
    assert compressor.check(X)["violations"].tolist() == [0]
    assert compressor.check(X + [0, 0, 1])["violations"].tolist() == [200]


def test_tied_values_are_rewritten_then_put_back():
    rng = np.random.RandomState(0)
    previous = np.where(rng.uniform(size=600) < 0.7, 0, rng.randint(1, 6, 600))
    table = pd.DataFrame({"previous": previous,
                          "pdays": np.where(previous == 0, -1, rng.randint(1, 400, 600)),
                          "channel": rng.choice(["web", "phone"], 600)})
    pipeline = make_synthesis_pipeline(LogicCompressor(), IndependentSynthesizer(random_state=0))
    pipeline.fit(table)
    assert pipeline[0].rule_report_["rule"].tolist() == ["pdays is -1 when previous is 0"]
    assert -1 not in pipeline[0].transform(table)["pdays"].tolist()
    synthetic = pipeline.sample(2000, random_state=0)
    assert ((synthetic["previous"] == 0) == (synthetic["pdays"] == -1)).all()
    assert abs((synthetic["pdays"] == -1).mean() - 0.7) < 0.05


def test_missing_rebuilt_values_get_a_nullable_dtype():
    table = pd.DataFrame({"group": list("aabbcc") * 10, "level": [1, 1, 2, 2, 3, 3] * 10})
    compressor = LogicCompressor(["group -> level"], discover=False, unknown="missing")
    restored = compressor.fit(table).inverse_transform(pd.DataFrame({"group": ["b", "z"]}))
    assert str(restored["level"].dtype) == "Int64"
    assert restored["level"].iloc[0] == 2 and restored["level"].isna().iloc[1]
