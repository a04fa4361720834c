"""RewardTunedSynthesizer: rounds, the frozen reference, the collapse guard, reward-guided
sampling."""

import io

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

pytest.importorskip("torch")

import skltab  # noqa: E402
from skltab import IndependentSynthesizer  # noqa: E402
from skltab.diffusion import MaskedDiffusionSynthesizer  # noqa: E402
from skltab.reward import RewardTunedSynthesizer, UtilityReward  # noqa: E402
from skltab.reward._synthesizer import _improves, _keeps_resampling  # noqa: E402

TINY = {"hidden_dim": 32, "n_layers": 1, "embedding_dim": 4, "n_heads": 1, "epochs": 20,
        "batch_size": 64, "n_sampling_steps": 4, "early_stopping": False}


def _table(n_rows=300, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n_rows)
    return pd.DataFrame({"x": x.round(3), "y": (2 * x + rng.normal(size=n_rows)).round(3),
                         "c": np.where(x + rng.normal(size=n_rows) > 0, "hi", "lo")})


def _table_with_rare_categories():
    """A 300-row table where four rows hold categories no other row has, and those
    categories."""
    real = _table(300)
    rare = {"r1", "r2", "r3", "r4"}
    real.loc[[3, 50, 120, 170], "c"] = sorted(rare)
    return real, rare


def _tuned(**params):
    return RewardTunedSynthesizer(MaskedDiffusionSynthesizer(**TINY),
                                  **{"n_rounds": 2, "random_state": 0, **params})


def test_rounds_record_rewards_and_held_out_metrics():
    real = _table()
    tuned = _tuned(rewards=["realism", "privacy"]).fit(real)
    assert [r["round"] for r in tuned.history_] == list(range(tuned.n_iter_ + 1))
    for record in tuned.history_[1:]:
        assert {"reward_realism", "reward_privacy", "detection_auc", "coverage",
                "association_error", "dcr_ratio", "log_likelihood", "kept"} <= set(record)
        assert 0 <= record["detection_auc"] <= 1 and 0 <= record["coverage"] <= 1
        assert np.isfinite(record["dcr_ratio"]) and record["dcr_ratio"] > 0
        assert 0 <= record["association_error"] <= 1
    assert tuned.history_[tuned.best_round_]["kept"]
    assert tuned.termination_condition_ in ("max_rounds", "n_iter_no_change")
    synthetic = tuned.sample(50, random_state=0)
    assert list(synthetic.columns) == list(real.columns) and len(synthetic) == 50
    assert tuned.n_features_in_ == 3 and list(tuned.feature_names_in_) == ["x", "y", "c"]


def test_every_round_trains_the_model_and_the_reference_stays_frozen():
    real = _table()
    tuned = _tuned(collapse_guard=False, epochs_per_round=2).fit(real)
    assert tuned.best_round_ == tuned.n_iter_ == 2
    assert tuned.synthesizer_.n_iter_ == tuned.reference_.n_iter_ + 4 == TINY["epochs"] + 4
    assert not tuned.sample(30, random_state=1).equals(
        tuned.reference_.sample(30, random_state=1))


def test_a_refit_reproduces_the_rounds():
    real = _table()
    first, second = _tuned().fit(real), _tuned().fit(real)
    assert first.history_ == second.history_
    pd.testing.assert_frame_equal(first.sample(20), second.sample(20))


def _mean_closeness(rows, real):
    """An exploitable reward: rows near the mean of every numeric column score high."""
    numbers = rows[["x", "y"]]
    centre, scale = real[["x", "y"]].mean(), real[["x", "y"]].std()
    return -(((numbers - centre) / scale) ** 2).sum(axis=1).to_numpy()


def test_the_guard_catches_an_exploitable_reward():
    real = _table(400)
    params = {"rewards": _mean_closeness, "n_rounds": 6, "temperature": 0.02,
              "max_weight": 50.0, "anchor_share": 0.0, "epochs_per_round": 4}
    unguarded = _tuned(**params, collapse_guard=False).fit(real)
    guarded = _tuned(**params, n_iter_no_change=2).fit(real)

    def spread(model):
        return model.sample(1000, random_state=0)[["x", "y"]].std().mean()

    # without the guard the rows pile up at the mean; the guard refuses those rounds
    real_spread = real[["x", "y"]].std().mean()
    assert spread(unguarded) < 0.65 * real_spread
    assert spread(guarded) > 0.85 * real_spread
    assert guarded.termination_condition_ == "n_iter_no_change"
    reference = guarded.history_[0]
    refused = [r for r in guarded.history_[1:] if not r["kept"]]
    assert len(refused) >= 2
    assert all(r["log_likelihood"] < reference["log_likelihood"]
               or r["coverage"] < reference["coverage"]
               or r["association_error"] > reference["association_error"] for r in refused)


def test_refit_fits_every_row_and_runs_the_best_rounds_on_it():
    real = _table(200)
    rare = {"r1", "r2", "r3", "r4"}
    real.loc[[3, 50, 120, 170], "c"] = sorted(rare)  # four categories of one row each
    held = _tuned(refit=False, validation_fraction=0.5).fit(real)
    refitted = _tuned(validation_fraction=0.5).fit(real)

    def categories(model):
        return set(model.metadata_["c"].categories)

    # without refit, the rows held out for the guard are never learned; with it, they are
    assert not rare <= categories(held)
    assert rare <= categories(refitted) and rare <= categories(refitted.reference_)
    # the same rounds were judged, and the refitted model was tuned for the best of them
    assert refitted.history_ == held.history_
    assert refitted.best_round_ == held.best_round_ >= 1
    assert refitted.synthesizer_.n_updates_ > refitted.reference_.n_updates_
    assert refitted.reference_.n_updates_ > held.reference_.n_updates_


def test_the_guard_judges_on_the_rows_the_synthesizer_held_out_and_fits_it_once():
    real, rare = _table_with_rare_categories()
    # 210 validation rows: enough for the guard (a table of 2,100 rows at the default 10 %)
    base = MaskedDiffusionSynthesizer(**{**TINY, "early_stopping": True,
                                         "validation_fraction": 0.7})
    tuned = RewardTunedSynthesizer(base, n_rounds=2, refit=False, random_state=0).fit(real)
    # fitted once, on every row (no split of its own, so every category is learned) ...
    assert rare <= set(tuned.reference_.metadata_["c"].categories)
    np.testing.assert_array_equal(tuned.validation_rows_, tuned.reference_.validation_rows_)
    assert len(tuned.validation_rows_) == 210
    # ... and judged on the rows it held out for its early stopping
    judged = real.iloc[tuned.validation_rows_]
    assert tuned.history_[0]["log_likelihood"] == pytest.approx(tuned.reference_.score(judged))


def test_a_synthesizer_holding_out_too_few_rows_holds_out_a_fifth_and_is_fitted_once():
    real, rare = _table_with_rare_categories()
    base = MaskedDiffusionSynthesizer(**{**TINY, "early_stopping": True,
                                         "validation_fraction": 0.1})
    tuned = RewardTunedSynthesizer(base, n_rounds=1, random_state=0).fit(real)
    # its 10 % (30 rows) are too few for the guard: it holds out a fifth instead ...
    assert tuned.reference_.validation_fraction == 0.2 and base.validation_fraction == 0.1
    np.testing.assert_array_equal(tuned.validation_rows_, tuned.reference_.validation_rows_)
    assert len(tuned.validation_rows_) == 60
    # ... is fitted once, on every row, and the guard judged that fit on the rows held out
    assert rare <= set(tuned.reference_.metadata_["c"].categories)
    judged = real.iloc[tuned.validation_rows_]
    assert tuned.history_[0]["log_likelihood"] == pytest.approx(tuned.reference_.score(judged))


def test_a_synthesizer_holding_out_no_rows_is_judged_on_a_split_and_refitted():
    real, rare = _table_with_rare_categories()
    tuned = _tuned(n_rounds=1).fit(real)
    # no early stopping, no validation rows: the guard holds out its own 20 % ...
    assert len(tuned.validation_rows_) == 60 and tuned.reference_.validation_rows_ is None
    # ... and the refit learns every row, the held-out ones included
    assert rare <= set(tuned.reference_.metadata_["c"].categories)
    judged = real.iloc[tuned.validation_rows_]
    assert tuned.history_[0]["log_likelihood"] != pytest.approx(tuned.reference_.score(judged))


def test_prefit_tunes_a_copy_of_the_fitted_synthesizer():
    real = _table()
    fitted = MaskedDiffusionSynthesizer(**TINY, random_state=3).fit(real)
    before = fitted.sample(20, random_state=0)
    tuned = RewardTunedSynthesizer(fitted, prefit=True, n_rounds=1, collapse_guard=False,
                                   random_state=0).fit(real)
    pd.testing.assert_frame_equal(tuned.reference_.sample(20, random_state=0), before)
    assert fitted.n_iter_ == TINY["epochs"] and tuned.synthesizer_.n_iter_ == TINY["epochs"] + 1
    unfitted = RewardTunedSynthesizer(MaskedDiffusionSynthesizer(**TINY), prefit=True)
    with pytest.raises(Exception, match="prefit=True needs a fitted synthesizer"):
        unfitted.fit(real)


def test_a_seeded_synthesizer_keeps_its_seed_and_an_unseeded_one_gets_one():
    real = _table()
    seeded = MaskedDiffusionSynthesizer(**TINY, random_state=5)
    alone = MaskedDiffusionSynthesizer(**TINY, random_state=5).fit(real)
    for random_state in (0, 1):
        tuned = RewardTunedSynthesizer(seeded, n_rounds=1, random_state=random_state).fit(real)
        # the reference is the model the synthesizer fits alone on the same rows
        pd.testing.assert_frame_equal(tuned.reference_.sample(20, random_state=0),
                                      alone.sample(20, random_state=0))
    seeds = {RewardTunedSynthesizer(MaskedDiffusionSynthesizer(**TINY), n_rounds=1,
                                    random_state=random_state).fit(real).reference_.random_state
             for random_state in (0, 1)}
    assert len(seeds) == 2 and None not in seeds


def test_a_synthesizer_that_cannot_continue_training_is_refused():
    with pytest.raises(ValueError, match="synthesizer"):
        RewardTunedSynthesizer(IndependentSynthesizer()).fit(_table())


def test_too_few_rows_to_hold_out_are_named():
    with pytest.raises(ValueError, match="at least 6, and trains on at least 2: got n_samples=7"):
        _tuned().fit(_table(7))


def test_weights_are_tempered_and_clipped():
    tuned = RewardTunedSynthesizer(temperature=0.5, max_weight=3.0)
    weights = tuned._weights(np.array([0.0, 0.5, 1.0, 1.0]))
    expected = np.exp(np.array([-2.0, -1.0, 0.0, 0.0]))
    expected = np.minimum(expected * 4 / expected.sum(), 3.0)
    assert np.allclose(weights, expected) and weights.max() <= 3.0


def _scores(detection_auc, log_likelihood=None, coverage=1.0, association_error=0.1,
            dcr_ratio=1.0):
    scores = {"detection_auc": detection_auc, "coverage": coverage,
              "association_error": association_error, "dcr_ratio": dcr_ratio}
    return scores if log_likelihood is None else {**scores, "log_likelihood": log_likelihood}


@pytest.mark.parametrize("round_scores, kept", [
    # on a few held-out rows the detection AUC sits at 0.5: the likelihood decides
    (_scores(0.5, -9.9), True),
    (_scores(0.5, -10.1), False),
    (_scores(0.5, -10.0), False),
    # a detection AUC farther from 0.5 is refused whatever the likelihood
    (_scores(0.53, -9.0), False),
    (_scores(0.47, -9.0), False),
    # lost coverage or pair statistics, or a likelihood far below the reference's, is refused
    (_scores(0.5, -9.9, coverage=0.9), False),
    (_scores(0.5, -9.9, association_error=0.11), False),
    (_scores(0.5, -9.9, association_error=0.104), True),
])
def test_the_guard_keeps_a_round_by_detection_then_likelihood(round_scores, kept):
    best = reference = _scores(0.5, -10.0)
    assert _improves(round_scores, best, reference) is kept


def test_the_guard_keeps_a_closer_detection_within_the_likelihood_tolerance():
    best, reference = _scores(0.6, -10.0), _scores(0.6, -10.0)
    assert _improves(_scores(0.55, -10.4), best, reference)
    assert not _improves(_scores(0.55, -10.6), best, reference)
    # a synthesizer that does not score is judged by detection and coverage alone
    assert _improves(_scores(0.55), _scores(0.6), _scores(0.6))
    assert not _improves(_scores(0.6), _scores(0.6), _scores(0.6))


def test_sampling_and_scoring_go_to_the_tuned_synthesizer():
    real = _table()
    tuned = _tuned(n_rounds=1, collapse_guard=False).fit(real)
    assert tuned.score(real) == tuned.synthesizer_.score(real)
    assert np.array_equal(tuned.score_samples(real.iloc[:5]),
                          tuned.synthesizer_.score_samples(real.iloc[:5]))
    fixed = tuned.sample(10, conditions={"c": "hi"}, random_state=0)
    assert (fixed["c"] == "hi").all()
    chunks = list(tuned.iter_samples(30, chunk_size=12, random_state=2))
    pd.testing.assert_frame_equal(pd.concat(chunks), tuned.sample(30, random_state=2))


def test_the_utility_reward_predicts_the_synthesizers_target():
    real = _table()
    X, y = real[["c", "y"]], real["x"]  # the target is not the table's last column
    tuned = _tuned(rewards=["utility"], n_rounds=1).fit(X, y)
    (name, utility, _), = tuned.rewards_.rewards_
    assert name == "utility" and utility.target_ == "x" and utility.task_ == "regression"
    # a target named by the user is kept
    named = _tuned(rewards=[UtilityReward(target="c")], n_rounds=1).fit(real)
    assert named.rewards_.rewards_[0][1].target_ == "c"


def test_the_utility_reward_without_a_target_is_refused_before_fitting():
    tuned = _tuned(rewards={"realism": 1, "utility": 2})
    with pytest.raises(ValueError, match="'utility' .*needs a target: fit .* with y"):
        tuned.fit(_table())
    assert not hasattr(tuned, "synthesizer_")
    fitted = MaskedDiffusionSynthesizer(**TINY, random_state=0).fit(_table())
    with pytest.raises(ValueError, match="needs a target"):
        RewardTunedSynthesizer(fitted, rewards="utility", prefit=True).fit(_table())


def _favours_hi(rows, real):
    return (rows["c"] == "hi").to_numpy(dtype=float)


def test_preference_refinement_trains_pairs_against_the_reference():
    pytest.importorskip("transformers")
    from skltab.llm import PredLLMSynthesizer

    real = _table()
    # random orders: with one sampling order ("mixed") the first column's value is drawn
    # from the real marginal, which no training moves, and "c" may be that column
    base = PredLLMSynthesizer(model_config={"n_layer": 1, "n_embd": 32, "n_head": 2,
                                            "vocab_size": 300, "dropout": 0.0},
                              epochs=10, batch_size=32, permutation="features")
    params = {"rewards": _favours_hi, "refinement": "preference", "n_rounds": 2,
              "collapse_guard": False, "refit": False, "random_state": 0}
    tuned = RewardTunedSynthesizer(base, anchor_share=0.0, **params).fit(real)
    new_epochs = tuned.synthesizer_.history_[tuned.reference_.n_iter_:]
    # each round is one DPO epoch on pairs, best against worst: the chosen rows are "hi"
    assert len(new_epochs) == 2
    assert all(r["preference_accuracy"] > 0.5 for r in new_epochs)

    def share_hi(model):
        return np.mean(model.sample(1000, random_state=0)["c"] == "hi")

    assert share_hi(tuned.synthesizer_) > share_hi(tuned.reference_) + 0.1
    anchored = RewardTunedSynthesizer(base, anchor_share=0.5, **params).fit(real)
    # and the anchor rows train one more epoch a round
    assert anchored.synthesizer_.n_iter_ == anchored.reference_.n_iter_ + 4
    assert "preference_accuracy" not in anchored.synthesizer_.history_[-1]


def test_preference_refinement_needs_a_synthesizer_that_trains_on_pairs():
    tuned = _tuned(refinement="preference")
    with pytest.raises(ValueError, match="refinement='preference' needs .*"
                                         "MaskedDiffusionSynthesizer has none"):
        tuned.fit(_table())
    assert not hasattr(tuned, "synthesizer_")
    with pytest.raises(ValueError, match="MaskedDiffusionSynthesizer has none"):
        RewardTunedSynthesizer(refinement="preference").fit(_table())
    with pytest.raises(ValueError, match="pool_size=1 makes no pair"):
        RewardTunedSynthesizer(_Paired(), refinement="preference", pool_size=1).fit(_table())


class _Paired(BaseEstimator):
    def fit(self, X, y=None):
        return self

    partial_fit = partial_fit_preference = fit

    def sample(self, n_samples=1):
        return None


def test_post_training_runs_at_its_own_learning_rate():
    real = _table()
    params = {"n_rounds": 1, "collapse_guard": False, "refit": False}
    still = _tuned(learning_rate=1e-12, **params).fit(real)
    moved = _tuned(**params).fit(real)
    assert still.synthesizer_.learning_rate == 1e-12
    assert still.reference_.learning_rate == moved.synthesizer_.learning_rate == 2e-3

    def change(tuned):
        pairs = zip(tuned.synthesizer_.model_.parameters(), tuned.reference_.model_.parameters())
        return max(float((a - b).detach().abs().max()) for a, b in pairs)

    assert change(still) < 1e-6 < 1e-3 < change(moved)


class _NoLearningRate(BaseEstimator):
    def fit(self, X, y=None):
        return self

    partial_fit = fit

    def sample(self, n_samples=1):
        return None


def test_a_learning_rate_for_a_synthesizer_without_one_is_refused():
    with pytest.raises(ValueError, match="learning_rate=0.001 sets the synthesizer's "
                                         "learning_rate, and _NoLearningRate has none"):
        RewardTunedSynthesizer(_NoLearningRate(), learning_rate=1e-3).fit(_table())


def test_reward_guided_sampling_is_judged_by_the_guard():
    real = _table()
    tuned = _tuned().fit(real)
    scores = tuned.resampling_scores_
    assert {"detection_auc", "coverage", "association_error", "log_likelihood"} <= set(scores)
    assert {"detection_auc", "dcr_ratio"} <= set(scores)
    assert tuned.resampling_ == _keeps_resampling(scores, tuned.history_[tuned.best_round_])
    assert (tuned.discriminator_ is not None) == tuned.resampling_
    # without the guard it is always kept, and then sample() resamples
    kept = _tuned(collapse_guard=False).fit(real)
    assert kept.resampling_ and kept.discriminator_ is not None
    assert not kept.sample(40, random_state=0).equals(
        kept.synthesizer_.sample(40, random_state=0))


def test_one_candidate_turns_resampling_off():
    real = _table()
    tuned = _tuned(n_candidates=1, collapse_guard=False).fit(real)
    assert not tuned.resampling_
    assert tuned.resampling_scores_ is None and tuned.discriminator_ is None
    pd.testing.assert_frame_equal(tuned.sample(20, random_state=3),
                                  tuned.synthesizer_.sample(20, random_state=3))


@pytest.mark.parametrize("store", ["joblib", "safe"])
def test_resampling_samples_the_same_after_loading(store):
    real = _table()
    tuned = _tuned(collapse_guard=False).fit(real)
    buffer = io.BytesIO()
    (joblib.dump if store == "joblib" else skltab.save)(tuned, buffer)
    buffer.seek(0)
    loaded = (joblib.load if store == "joblib" else skltab.load)(buffer)
    pd.testing.assert_frame_equal(loaded.sample(30, random_state=4),
                                  tuned.sample(30, random_state=4))
    pd.testing.assert_frame_equal(loaded.sample(30), tuned.sample(30))


@pytest.mark.parametrize("resampled, best, kept", [
    (_scores(0.55, -10.0), _scores(0.6, -10.0), True),
    # the held-out detection AUC is not judged: on a few hundred rows its change is noise
    (_scores(0.62, -10.0), _scores(0.6, -10.0), True),
    # its rows come closer to the training rows than held-out rows are
    (_scores(0.55, -10.0, dcr_ratio=0.85), _scores(0.6, -10.0), False),
    # where the best round's rows are already closer, resampling must not bring them closer
    (_scores(0.55, -10.0, dcr_ratio=0.85), _scores(0.6, -10.0, dcr_ratio=0.8), True),
    (_scores(0.55, -10.0, dcr_ratio=0.75), _scores(0.6, -10.0, dcr_ratio=0.8), False),
    # lost coverage or pair statistics
    (_scores(0.55, -10.0, coverage=0.9), _scores(0.6, -10.0), False),
    (_scores(0.55, -10.0, association_error=0.11), _scores(0.6, -10.0), False),
    (_scores(0.55, -10.0, association_error=0.104), _scores(0.6, -10.0), True),
])
def test_resampling_is_kept_unless_it_loses_coverage_pairs_or_privacy(resampled, best, kept):
    assert _keeps_resampling(resampled, best) == kept


def test_the_utility_reward_goes_through_the_safe_format():
    real = _table()
    tuned = _tuned(rewards=[UtilityReward(target="c")], n_rounds=1).fit(real)
    buffer = io.BytesIO()
    skltab.save(tuned, buffer)
    buffer.seek(0)
    loaded = skltab.load(buffer)
    rows = real.iloc[:20]
    np.testing.assert_array_equal(loaded.rewards_.score(rows), tuned.rewards_.score(rows))
    pd.testing.assert_frame_equal(loaded.sample(30, random_state=1),
                                  tuned.sample(30, random_state=1))


def test_the_number_of_candidates_changes_no_tuned_model():
    real = _table()
    with_resampling = _tuned(collapse_guard=False).fit(real)
    without = _tuned(collapse_guard=False, n_candidates=1).fit(real)
    assert with_resampling.history_ == without.history_
    pd.testing.assert_frame_equal(with_resampling.synthesizer_.sample(40, random_state=0),
                                  without.synthesizer_.sample(40, random_state=0))
    assert not with_resampling.sample(40, random_state=0).equals(
        without.sample(40, random_state=0))
