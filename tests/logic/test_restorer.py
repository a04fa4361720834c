"""LogicRestorer: given rules made to hold on a table made elsewhere."""

import numpy as np
import pandas as pd
import pytest

from skltab import IndependentSynthesizer, SynthesisPipeline
from skltab.datasets import DEMO_RULES, load_demo
from skltab.logic import LogicRestorer


@pytest.fixture(scope="module")
def real():
    return load_demo(n_samples=600)


@pytest.fixture(scope="module")
def foreign(real):
    """Rows from another tool: every column drawn on its own, so the rules break."""
    return IndependentSynthesizer(random_state=0).fit(real).sample(1500, random_state=0)


def test_check_reports_the_violations_of_each_rule(real, foreign):
    restorer = LogicRestorer(DEMO_RULES).fit(real)
    assert restorer.check(real)["violations"].tolist() == [0] * len(DEMO_RULES)
    report = restorer.check(foreign).set_index("rule")
    assert list(report.columns) == ["kind", "violations", "violation_rate"]
    broken = foreign["ship_date"] < foreign["order_date"]
    assert report.loc["ship_date >= order_date", "violations"] == broken.sum()
    assert (report["violation_rate"] > 0).all()


def test_transform_makes_every_rule_hold_and_keeps_the_dtypes(real, foreign):
    restorer = LogicRestorer(DEMO_RULES).fit(real)
    repaired = restorer.transform(foreign)
    assert repaired.dtypes.equals(real.dtypes)
    assert (restorer.check(repaired)["violations"] == 0).all()
    assert repaired["zip"].equals(foreign["zip"])  # determinants are kept
    expected_total = np.round(foreign["unit_price"] * foreign["quantity"], 2)
    assert repaired["total"].tolist() == expected_total.tolist()
    pd.testing.assert_frame_equal(restorer.transform(real), real)


def test_in_a_pipeline_the_samples_are_repaired(real):
    pipeline = SynthesisPipeline([("rules", LogicRestorer(["zip -> city", "city -> state"])),
                                  ("model", IndependentSynthesizer(random_state=0))]).fit(real)
    synthetic = pipeline.sample(500, random_state=0)
    mapping = real.drop_duplicates("zip").set_index("zip")["city"]
    assert synthetic["city"].equals(synthetic["zip"].map(mapping))
    assert pipeline[0].transform_conditions({"city": "Boston"}) == {"city": "Boston"}


def test_rules_are_required_and_checked(real):
    with pytest.raises(ValueError, match="needs rules"):
        LogicRestorer().fit(real)
    with pytest.raises(ValueError, match=r"reads columns \['price'\]"):
        LogicRestorer(["total = price * quantity"]).fit(real)
