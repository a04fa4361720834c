"""Benchmark the collapse guard of RewardTunedSynthesizer on real tables.

A reward that can be exploited, "rows near the mean of every numeric column", drives the
rounds of :class:`~skltab.reward.RewardTunedSynthesizer` around the diffusion (its default
parameters), once without the collapse guard and once with it, with the settings that push
hardest towards the reward (temperature 0.02, weights up to 50, no anchor rows, 4 epochs a
round, 6 rounds, ``refit=False``, so that the guard's choice is what is measured). For the
reference (the model before the rounds), the unguarded and the guarded model, with as many
rows sampled as the training rows, it reports:

- ``spread``: the mean over the numeric columns of the sampled rows' standard deviation over
  the real training rows' (1 is the real spread; a collapse drives it towards 0);
- the test rows' ``coverage`` (:func:`skltab.metrics.diversity_scores`) and the detection
  AUC of the sampled rows against the test rows;
- the rounds kept and why the rounds stopped.

Usage::

    python benchmarks/bench_reward_collapse.py --datasets abalone insurance --name collapse
"""

import argparse
import json
import sys

from bench_data import DATASETS, DEFAULT_DATA_DIR, load_split
from run import RESULTS_DIR, machine_description, prepare

#: The settings that push hardest towards the reward; the rounds alone (no reward-guided
#: sampling, which the guard judges separately).
EXPLOIT = {"n_rounds": 6, "temperature": 0.02, "max_weight": 50.0, "anchor_share": 0.0,
           "epochs_per_round": 4, "n_iter_no_change": 2, "refit": False, "n_candidates": 1}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["abalone", "insurance"],
                        choices=sorted(DATASETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="reward_collapse")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    return parser.parse_args(argv)


def near_the_mean(numbers):
    """The exploitable reward: minus the squared scaled distance to the real means."""
    def reward(rows, real):
        scaled = (rows[numbers] - real[numbers].mean()) / real[numbers].std()
        return -(scaled ** 2).sum(axis=1).to_numpy()

    return reward


def scores(model, train, test, numbers, seed):
    """Spread, coverage and detection AUC of rows sampled from ``model``."""
    from skltab.metrics import detection_auc, diversity_scores

    rows = model.sample(len(train), random_state=seed)
    return {
        "spread": float((rows[numbers].std() / train[numbers].std()).mean()),
        "coverage": float(diversity_scores(test, rows, metadata=model.metadata_)["coverage"]),
        "detection_auc": float(detection_auc(test, rows, metadata=model.metadata_,
                                             random_state=seed)),
    }


def run_table(dataset, args):
    from skltab.diffusion import MaskedDiffusionSynthesizer
    from skltab.reward import RewardTunedSynthesizer

    train, test = load_split(dataset, args.data_dir, seed=args.seed)
    numbers = list(train.select_dtypes("number").columns)
    params = {**EXPLOIT, "rewards": near_the_mean(numbers), "random_state": args.seed}
    results = {}
    for name, guard in (("unguarded", False), ("guarded", True)):
        tuned = RewardTunedSynthesizer(MaskedDiffusionSynthesizer(), collapse_guard=guard,
                                       **params).fit(train)
        if guard:
            results["reference"] = scores(tuned.reference_, train, test, numbers, args.seed)
        results[name] = {**scores(tuned, train, test, numbers, args.seed),
                         "best_round": tuned.best_round_, "rounds": tuned.n_iter_,
                         "termination": tuned.termination_condition_,
                         "kept": [r["round"] for r in tuned.history_[1:] if r["kept"]]}
    return results


def render(record):
    lines = ["| table | model | spread | coverage | detection AUC | rounds run | rounds kept "
             "| model kept |", "|---|---|---:|---:|---:|---:|---|---:|"]
    for dataset, results in record["tables"].items():
        for name in ("reference", "unguarded", "guarded"):
            r = results[name]
            rounds = "" if name == "reference" else (
                f"{r['rounds']} ({r['termination']})")
            kept = "" if name == "reference" else ", ".join(map(str, r["kept"])) or "none"
            best = "" if name == "reference" else f"round {r['best_round']}"
            lines.append(f"| {dataset} | {name} | {r['spread']:.3f} | {r['coverage']:.3f} | "
                         f"{r['detection_auc']:.3f} | {rounds} | {kept} | {best} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    prepare(1)
    record = {"name": args.name, "command": " ".join(["python", *sys.argv]),
              "machine": machine_description(), "seed": args.seed, "tables": {}}
    for dataset in args.datasets:
        record["tables"][dataset] = run_table(dataset, args)
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(record, indent=1))
    print(render(record))


if __name__ == "__main__":
    main()
