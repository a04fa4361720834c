"""Rewards of generated rows: each ranks rows the way its name says, combinations rank-average."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skltab import IndependentSynthesizer
from skltab.datasets import load_demo
from skltab.logic import LogicCompressor, LogicRestorer
from skltab.metrics import realism_samples
from skltab.reward import (
    CallableReward,
    CombinedReward,
    MarginalReward,
    PrivacyReward,
    RealismReward,
    Reward,
    RuleReward,
    UtilityReward,
    combine_rewards,
    make_reward,
)
from skltab.utils.estimator_checks import make_check_table


def _numbers(n_rows, seed, shift=0.0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n_rows) + shift
    return pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.5, size=n_rows),
                         "c": rng.choice(["a", "b", "c"], n_rows)})


# --- realism ---------------------------------------------------------------------------------

def test_realism_scores_real_looking_rows_above_shifted_noise():
    real = _numbers(300, seed=0)
    rows = pd.concat([_numbers(100, seed=1), _numbers(100, seed=2, shift=4)], ignore_index=True)
    for form in ("two_sided", "one_sided"):
        reward = RealismReward(form=form).fit(real).score(rows)
        assert np.median(reward[:100]) > np.percentile(reward[100:], 90)


def test_two_sided_realism_is_tabgraa_transform_of_the_discriminator():
    real, rows = _numbers(200, seed=0), _numbers(150, seed=3, shift=0.5)
    reward = RealismReward(n_splits=4, random_state=7).fit(real).score(rows)
    proba = realism_samples(real, rows, n_splits=4, random_state=7)
    np.testing.assert_allclose(reward, 1 - np.abs(proba - 0.5))
    assert ((reward >= 0.5) & (reward <= 1)).all()


def _two_modes(n_low, n_high, seed):
    rng = np.random.RandomState(seed)
    return pd.DataFrame({"x": np.r_[rng.normal(-3, 1, n_low), rng.normal(3, 1, n_high)]})


def test_one_sided_realism_favours_the_mode_the_pool_under_covers():
    real = _two_modes(300, 300, seed=0)
    rows = _two_modes(540, 60, seed=1)  # the high mode is under-covered
    one_sided = RealismReward(form="one_sided").fit(real).score(rows)
    two_sided = RealismReward().fit(real).score(rows)
    assert one_sided[540:].mean() > one_sided[:540].mean() + 0.2
    # TabGRAA's form penalises looking "too real", which here means the under-covered mode
    assert two_sided[540:].mean() < two_sided[:540].mean()


def test_realism_is_refitted_on_the_rows_it_scores():
    real, rows = _numbers(200, seed=0), _numbers(100, seed=1)
    reward = RealismReward(form="one_sided").fit(real)
    alone = reward.score(rows)
    beside_noise = reward.score(pd.concat([rows, _numbers(100, seed=2, shift=4)],
                                          ignore_index=True))[:100]
    # next to obvious fakes, the same real-looking rows look more real than on their own
    assert beside_noise.mean() > alone.mean() + 0.1


# --- marginals -------------------------------------------------------------------------------

def test_marginal_reward_favours_rows_in_under_represented_bins():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"color": rng.choice(["red", "blue"], 400),
                         "size": rng.uniform(0, 10, 400)})
    rows = pd.DataFrame({"color": ["red"] * 90 + ["blue"] * 10,
                         "size": np.r_[rng.uniform(0, 2, 90), rng.uniform(8, 10, 10)]})
    reward = MarginalReward().fit(real).score(rows)
    assert reward[90:].min() > reward[:90].max()


@pytest.mark.parametrize("column, value", [("c", "never seen"), ("x", 100.0), ("x", np.nan)])
def test_marginal_reward_falls_when_a_value_leaves_the_real_bins(column, value):
    real = _numbers(200, seed=0)  # x is never missing
    rows = _numbers(50, seed=1)
    reward = MarginalReward().fit(real)
    moved = rows.copy()
    moved.loc[0, column] = value
    assert reward.score(moved)[0] < reward.score(rows)[0]


def _shares(labels):
    """Share of each row's label among the rows."""
    labels = pd.Series(labels)
    return labels.map(labels.value_counts(normalize=True)).to_numpy()


def test_marginal_reward_matches_the_histogram_gradient_on_a_tiny_table():
    real = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]})
    rows = pd.DataFrame({"x": [0.0, 2.0, 3.0, 9.0], "c": ["a", "a", "b", None]})
    # two bins split at the median 1.5; 9 is outside the real range, None never real
    real_bins = pd.Series(["low", "low", "high", "high"])
    row_bins = pd.Series(["low", "high", "high", "outside"])
    real_c, row_c = real["c"], rows["c"].fillna("missing")

    def gap(real_labels, row_labels):
        real_share = row_labels.map(real_labels.value_counts(normalize=True)).fillna(0.0)
        return real_share.to_numpy() - _shares(row_labels)

    expected = (gap(real_bins, row_bins) + gap(real_c, row_c)
                + gap(real_bins + real_c, row_bins + row_c))
    reward = MarginalReward(n_bins=2, n_pair_bins=2).fit(real).score(rows)
    np.testing.assert_allclose(reward, expected)
    assert reward[0] == reward.max() and reward[3] == reward.min()


def test_marginal_reward_bins_follow_the_parameters():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"x": rng.uniform(size=100), "y": rng.normal(size=100)})
    reward = MarginalReward(n_bins=4, n_pair_bins=2).fit(real)
    np.testing.assert_allclose(reward.bin_edges_["x"], real["x"].quantile([0.25, 0.5, 0.75]))
    assert reward.pairs_ == [("x", "y")]
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        MarginalReward(n_bins=1).fit(real)


# --- rules -----------------------------------------------------------------------------------

def _demo_rows_half_broken():
    rows = load_demo(n_samples=60, random_state=1)
    broken = rows.index < 30
    rows.loc[broken, "total"] = rows.loc[broken, "total"] + 1.0
    return rows, broken


def test_rule_reward_discovers_rules_and_scores_broken_rows_lower():
    real = load_demo(n_samples=300, random_state=0)
    reward = RuleReward().fit(real)
    assert "total = unit_price * quantity" in [rule.describe() for rule in reward.rules_]
    rows, broken = _demo_rows_half_broken()
    scores = reward.score(rows)
    assert (scores[~broken] == 1).all()
    assert (scores[broken] < 1).all() and (scores[broken] > 0).all()  # one rule of several


_RULES = ["total = unit_price * quantity", "zip -> city"]


def _positive_quantity(table):
    return table["quantity"] > 0


@pytest.mark.parametrize("make_rules", [
    lambda real: list(_RULES),
    lambda real: ["total = unit_price * quantity", _positive_quantity],
    lambda real: LogicRestorer(_RULES),
    lambda real: LogicRestorer(_RULES).fit(real),
], ids=["text", "text and callable", "restorer", "fitted restorer"])
def test_rule_reward_takes_rule_lists_and_logic_transformers(make_rules):
    real = load_demo(n_samples=300, random_state=0)
    rows, broken = _demo_rows_half_broken()
    scores = RuleReward(make_rules(real)).fit(real).score(rows)
    np.testing.assert_allclose(scores, np.where(broken, 0.5, 1.0))


def test_rule_reward_fits_a_clone_of_an_unfitted_compressor():
    real = load_demo(n_samples=300, random_state=0)
    compressor = LogicCompressor()
    reward = RuleReward(compressor).fit(real)
    assert reward.rules_ and not hasattr(compressor, "rules_")


def test_rule_reward_without_rules_warns_and_scores_every_row_one():
    real = _numbers(100, seed=0)
    with pytest.warns(UserWarning, match="found no rule"):
        reward = RuleReward().fit(real)
    np.testing.assert_array_equal(reward.score(_numbers(10, seed=1)), np.ones(10))


def test_rule_reward_errors_name_the_problem():
    real = load_demo(n_samples=100, random_state=0)
    with pytest.raises(ValueError, match="rules is empty"):
        RuleReward([]).fit(real)
    with pytest.raises(ValueError, match="no_such_column"):
        RuleReward(["no_such_column = unit_price * quantity"]).fit(real)
    with pytest.raises(InvalidParameterError, match="'rules' parameter"):
        RuleReward("zip -> city").fit(real)


# --- utility ---------------------------------------------------------------------------------

def test_utility_reward_favours_labels_that_agree_with_the_real_relation():
    rng = np.random.RandomState(0)
    x = rng.normal(size=400)
    real = pd.DataFrame({"x": x, "c": rng.choice(["p", "q"], 400),
                         "label": np.where(x > 0, "high", "low")})
    rows = pd.DataFrame({"x": np.r_[np.linspace(0.5, 2, 20), np.linspace(0.5, 2, 20)],
                         "c": "p", "label": ["high"] * 20 + ["low"] * 20})
    reward = UtilityReward().fit(real)
    assert reward.target_ == "label" and reward.task_ == "classification"
    scores = reward.score(rows)
    assert scores[:20].min() > scores[20:].max()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_utility_reward_regression_favours_targets_near_the_real_relation():
    rng = np.random.RandomState(0)
    real = pd.DataFrame({"x": rng.uniform(0, 10, 400), "c": rng.choice(["p", "q"], 400)})
    real["y"] = 3 * real["x"] + np.where(real["c"] == "p", 10, 0) + rng.normal(size=400)
    rows = pd.DataFrame({"y": [3 * 5 + 10, 3 * 5 + 10 + 8, 3 * 5], "x": 5.0,
                         "c": ["p", "p", "p"]})
    reward = UtilityReward(target="y").fit(real)
    assert reward.task_ == "regression"
    scores = reward.score(rows)
    assert scores[0] > scores[1] > scores[2]
    scale = real["y"].std(ddof=0)  # the prediction at the rows is about 25
    assert -1.5 / scale < scores[0] and -11.5 / scale < scores[2] < -8.5 / scale


def test_utility_reward_labels_never_seen_or_missing():
    rng = np.random.RandomState(0)
    x = rng.normal(size=200)
    real = pd.DataFrame({"x": x, "label": np.where(x > 0, "high", "low")})
    rows = pd.DataFrame({"x": [1.0, 1.0, -1.0, 1.0], "label": ["high", "other", "low", None]})
    scores = UtilityReward().fit(real).score(rows)
    assert scores[1] == 0.0  # a label the real rows never hold
    assert scores[3] == pytest.approx(scores[:3].mean())  # missing: neither good nor bad


def test_utility_reward_errors_name_the_target():
    real = _numbers(50, seed=0)
    with pytest.raises(ValueError, match="'label' is not a column"):
        UtilityReward(target="label").fit(real)
    text = pd.DataFrame({"x": np.arange(50.0),
                         "note": [f"a rather long free text note number {i}" for i in range(50)]})
    with pytest.raises(ValueError, match="'note'"):
        UtilityReward().fit(text)
    with pytest.raises(ValueError, match="besides the target 'x'"):
        UtilityReward(target="x").fit(real[["x"]])


# --- privacy ---------------------------------------------------------------------------------

def test_privacy_reward_penalises_copies_and_not_fresh_rows():
    real, fresh = _numbers(300, seed=0), _numbers(200, seed=1)
    copies = real.sample(100, random_state=0)
    rows = pd.concat([copies, fresh], ignore_index=True)
    reward = PrivacyReward().fit(real)
    assert reward.threshold_ > 0
    scores = reward.score(rows)
    np.testing.assert_array_equal(scores[:100], -1.0)
    assert (scores[100:] == 0).mean() > 0.85  # about 5 % of fresh real rows are this close
    assert ((scores >= -1) & (scores <= 0)).all()


def test_privacy_reward_is_graded_below_the_threshold():
    real = pd.DataFrame({"x": np.linspace(0, 1, 101)})  # every row 0.01 from the next
    reward = PrivacyReward().fit(real)
    assert reward.threshold_ == pytest.approx(0.01, rel=1e-5)
    scores = reward.score(pd.DataFrame({"x": [0.5, 0.5025, 0.505, 0.2]}))
    np.testing.assert_allclose(scores, [-1.0, -0.75, -0.5, -1.0], rtol=1e-5)


def test_privacy_reward_does_not_penalise_copies_when_real_rows_repeat():
    real = pd.DataFrame({"c": ["a", "b", "c"] * 20, "flag": [True, False] * 30})
    reward = PrivacyReward().fit(real)
    assert reward.threshold_ == 0
    np.testing.assert_array_equal(reward.score(real.head(10)), np.zeros(10))


# --- make_reward and combine_rewards ---------------------------------------------------------

@pytest.mark.parametrize("name, kind", [("realism", RealismReward), ("marginals", MarginalReward),
                                        ("rules", RuleReward), ("utility", UtilityReward),
                                        ("privacy", PrivacyReward)])
def test_make_reward_knows_each_name(name, kind):
    reward = make_reward(name)
    assert type(reward) is kind and reward.name == name


def _first_column(rows, real):
    return rows.iloc[:, 0].to_numpy(dtype=float)


def test_make_reward_keeps_rewards_and_wraps_callables():
    reward = MarginalReward(n_bins=5)
    assert make_reward(reward) is reward
    wrapped = make_reward(_first_column)
    assert isinstance(wrapped, CallableReward) and wrapped.name == "_first_column"
    real = _numbers(20, seed=0)
    np.testing.assert_array_equal(wrapped.fit(real).score(real), real["x"].to_numpy())
    assert wrapped.real_ is not None


def test_make_reward_errors():
    with pytest.raises(ValueError, match=r"Unknown reward 'realness'.*'marginals'"):
        make_reward("realness")
    with pytest.raises(TypeError, match=r"RealismReward\(\), not the class"):
        make_reward(RealismReward)
    with pytest.raises(TypeError, match="got int"):
        make_reward(3)


@pytest.mark.parametrize("bad", [
    lambda rows, real: np.ones(len(rows) + 1),
    lambda rows, real: np.full(len(rows), np.nan),
    lambda rows, real: np.ones((len(rows), 2)),
])
def test_a_reward_must_give_one_finite_float_per_row(bad):
    real = _numbers(10, seed=0)
    with pytest.raises(ValueError, match="reward '<lambda>' must give one finite float"):
        CallableReward(bad).fit(real).score(real)


@pytest.mark.parametrize("specs, names, weights", [
    ("marginals", ["marginals"], [1.0]),
    (["marginals", _first_column], ["marginals", "_first_column"], [1.0, 1.0]),
    ([("marginals", 2), (_first_column, 0.5), "privacy"],
     ["marginals", "_first_column", "privacy"], [2.0, 0.5, 1.0]),
    ({"realism": 3, "marginals": 1}, ["realism", "marginals"], [3.0, 1.0]),
    (["marginals", MarginalReward(n_bins=4)], ["marginals", "marginals_2"], [1.0, 1.0]),
])
def test_combine_rewards_accepts_every_form(specs, names, weights):
    combined = combine_rewards(specs)
    assert isinstance(combined, CombinedReward)
    assert [name for name, _, _ in combined.rewards] == names
    assert [weight for _, _, weight in combined.rewards] == weights
    assert all(isinstance(reward, Reward) for _, reward, _ in combined.rewards)
    assert combine_rewards(combined) is combined


@pytest.mark.parametrize("weight", [0, -1, np.nan, np.inf, True, "2"])
def test_combine_rewards_names_the_reward_with_a_bad_weight(weight):
    with pytest.raises(ValueError, match="weight of the reward 'privacy' must be a positive"):
        combine_rewards({"marginals": 1, "privacy": weight})


def test_combine_rewards_errors():
    with pytest.raises(ValueError, match="no reward to combine"):
        combine_rewards([])
    with pytest.raises(ValueError, match=r"\(reward, weight\) pair"):
        combine_rewards([("marginals", 1, 2)])
    with pytest.raises(ValueError, match="Unknown reward 'margin'"):
        combine_rewards({"margin": 1})
    with pytest.raises(ValueError, match=r"names must be unique; \['a'\]"):
        CombinedReward([("a", MarginalReward(), 1.0), ("a", PrivacyReward(), 1.0)]).fit(
            _numbers(20, seed=0))


def _tens(rows, real):
    return np.array([10.0, 20.0, 30.0])


def _fives(rows, real):
    return np.array([5.0, 5.0, 1.0])


def test_combined_reward_is_the_weighted_mean_of_ranks():
    real = _numbers(3, seed=0)
    combined = combine_rewards([(_tens, 3), (_fives, 1)]).fit(real)
    parts = combined.score_parts(real)
    np.testing.assert_array_equal(parts["_tens"], [10, 20, 30])  # raw scores
    # ranks in [0, 1]: tens (0, 1/2, 1); fives tie the first two, (3/4, 3/4, 0)
    expected = (3 * np.array([0, 0.5, 1]) + np.array([0.75, 0.75, 0])) / 4
    np.testing.assert_allclose(combined.score(real), expected)
    np.testing.assert_allclose(combined.combine(parts), expected)
    with pytest.raises(ValueError, match=r"lacks the scores of the rewards \['_fives'\]"):
        combined.combine({"_tens": parts["_tens"]})


def test_combined_reward_fits_copies_of_its_rewards():
    marginal = MarginalReward()
    combined = combine_rewards([marginal, "privacy"]).fit(_numbers(50, seed=0))
    assert not hasattr(marginal, "metadata_")
    assert all(hasattr(reward, "metadata_") for _, reward, _ in combined.rewards_)
    assert clone(combined).get_params()["rewards"][0][0] == "marginals"


# --- every column kind -----------------------------------------------------------------------

def _every_kind_rows():
    rows = make_check_table(n_rows=60, random_state=1)
    rows.loc[0, "segment"] = "unheard of"
    rows.loc[1, "income"] = 1e9
    rows.loc[2:5, ["income", "joined"]] = np.nan
    rows.loc[6, "income"] = 1.0  # below the age: breaks "income >= age"
    return rows.iloc[::-1]


@pytest.mark.parametrize("reward", [
    RealismReward(), RealismReward(form="one_sided"), MarginalReward(),
    RuleReward(["income >= age", "joined >= '2020-01-01'"]),
    UtilityReward(), UtilityReward(target="income"), UtilityReward(target="tier"),
    PrivacyReward(), combine_rewards(["realism", "marginals", "utility", "privacy"]),
], ids=lambda reward: repr(reward)[:40])
def test_scores_of_a_table_with_every_kind_and_missing_values(reward):
    real = make_check_table(n_rows=120, random_state=0)
    rows = _every_kind_rows()
    scores = reward.fit(real).score(rows)
    assert scores.shape == (len(rows),) and scores.dtype == float
    assert np.isfinite(scores).all()
    assert np.unique(scores).size > 1  # the rows are told apart


def test_rewards_score_a_synthesizers_sample_in_the_unit_interval():
    real = load_demo(n_samples=200, random_state=0)
    rows = IndependentSynthesizer(random_state=0).fit(real).sample(150)
    reward = combine_rewards(["realism", "marginals", "rules", "privacy"]).fit(real)
    parts = reward.score_parts(rows)
    scores = reward.combine(parts)
    assert ((scores >= 0) & (scores <= 1)).all()
    # independent columns break the demo table's rules: some rows keep more of them than others
    assert parts["rules"].min() < parts["rules"].max() <= 1


def test_scoring_checks_fit_and_columns():
    real = _numbers(30, seed=0)
    with pytest.raises(NotFittedError):
        MarginalReward().score(real)
    reward = MarginalReward().fit(real)
    with pytest.raises(ValueError, match=r"missing \['c'\]"):
        reward.score(real.drop(columns="c"))
    with pytest.raises(TypeError, match="real must be a pandas DataFrame"):
        MarginalReward().fit(real.to_numpy())
    np.testing.assert_array_equal(reward.score(real[["c", "y", "x"]]), reward.score(real))


def test_importing_rewards_loads_no_deep_learning_library():
    code = ("import sys, skltab.reward\n"
            "print([m for m in ('torch', 'transformers') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
