"""Benchmark PredLLMSynthesizer: validity, speed against unconstrained decoding, quality
against the peers, and the seed paper's ablations.

For every dataset (the harness's split, seed and metrics, see ``run.py``) it:

1. fits ``PredLLMSynthesizer`` on the training part (timed) and samples as many rows as the
   training part has (timed), scored with ``skltab.metrics.evaluate`` exactly as ``run.py``
   scores every synthesizer (row ``predllm``);
2. checks that every sampled row is valid: written back as text, each row parses strictly
   (every column once, categories seen in training, numbers inside the real range and
   precision, missing values only where the real column had some);
3. times GReaT-style unconstrained decoding with the same fitted model against constrained
   decoding, ``--speed-rows`` valid rows each: whole rows sampled with ``model.generate``
   (plain sampling, temperature 1, same batch size), parsed, invalid rows rejected, repeated
   until enough rows are valid (or ``--max-attempts`` times the rows asked were generated),
   the fastest of ``--speed-repeats`` runs of each; it also counts the tokens and decisions
   of a row, which bound the speed-up any decoder can reach (:func:`decision_budget`); with
   ``--score-unconstrained`` the unconstrained rows are also scored (row
   ``great_unconstrained``);
4. ablations: sampling-time variants of the same fit (``sampling="plain"``,
   ``label_query=None``, ``label_query="argmax"``) and refits with ``permutation="all"``
   and ``"none"`` (``--ablation-datasets``).

``--speed-epochs 1 3 10`` instead refits with each number of epochs and runs step 3 only:
the fewer the epochs, the fewer valid rows unconstrained decoding writes.

Peers (SDV CTGAN and TVAE) are run in the same run with ``--peers``, or read from a saved
``run.py`` result (``--peer-results``, default ``benchmarks/results/main.json``; same split,
seed and metrics). Results go to ``benchmarks/results/NAME.json`` / ``.csv`` and a markdown
section of ``--output``. Example::

    python benchmarks/bench_predllm.py --datasets insurance abalone bank adult \\
        --params '{"epochs": 30}' --ablation-datasets insurance bank
"""

import argparse
import datetime
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from bench_data import DATASETS, DEFAULT_DATA_DIR, load_split
from bench_registry import SynthesizerSpec, get_spec
from bench_report import _number, render, write_section
from bench_row_text import parse_row, split_fields, write_rows
from run import RESULTS_DIR, _jsonable, _load_average, machine_description, prepare, save, score

PREDLLM = "skltab.llm.PredLLMSynthesizer"
#: Sampling-time ablations: name and parameters set on the fitted synthesizer.
SAMPLING_ABLATIONS = {
    "predllm[plain start]": {"sampling": "plain"},
    "predllm[label generated]": {"label_query": None},
    "predllm[label argmax]": {"label_query": "argmax"},
}
#: Ablations that refit: name and parameters.
FIT_ABLATIONS = {
    "predllm[permute all]": {"permutation": "all"},
    "predllm[permute none]": {"permutation": "none"},
}
UNCONSTRAINED = "great_unconstrained"


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--params", type=json.loads, default={"row_format": "text"},
                        help="PredLLMSynthesizer parameters, as JSON (rows written as text "
                        "by default: unconstrained decoding reads and parses text)")
    parser.add_argument("--class-path", default=PREDLLM,
                        help="import path of the synthesizer class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--speed-rows", type=int, default=500,
                        help="valid rows asked of each decoder in the speed comparison")
    parser.add_argument("--speed-repeats", type=int, default=3,
                        help="runs of each decoder in the speed comparison; the fastest counts")
    parser.add_argument("--score-unconstrained", action="store_true",
                        help="also sample as many rows as the training part has by "
                        "unconstrained decoding and score them (slow)")
    parser.add_argument("--max-attempts", type=int, default=20,
                        help="unconstrained decoding stops after this many times the rows "
                        "asked, valid or not")
    parser.add_argument("--ablation-datasets", nargs="*", default=[],
                        help="datasets on which to run the ablations")
    parser.add_argument("--peers", nargs="*", default=[],
                        help="registered synthesizers to run in the same run (sdv_ctgan ...)")
    parser.add_argument("--peer-results", type=Path, default=RESULTS_DIR / "main.json",
                        help="run.py results to read peers from when --peers is empty")
    parser.add_argument("--save-models", type=Path, default=None,
                        help="folder where each fitted PredLLMSynthesizer is saved with joblib")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--name", default="predllm")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "predllm.md")
    parser.add_argument("--remeasure-speed", nargs="+", default=None, metavar="RUN",
                        help="instead of running, measure the speed comparison again with the "
                        "models saved by --save-models (give the same folder) and update the "
                        "saved runs RUN (names of JSON files in benchmarks/results)")
    parser.add_argument("--speed-epochs", nargs="+", type=int, default=None, metavar="E",
                        help="instead of running, refit with each number of epochs and measure "
                        "the speed comparison only (rows predllm[E epochs])")
    parser.add_argument("--merge", nargs="+", default=None, metavar="RUN",
                        help="instead of running, merge saved runs (names of JSON files in "
                        "benchmarks/results, e.g. runs of disjoint datasets in parallel) into "
                        "the run --name, and write its markdown")
    return parser.parse_args(argv)


# -- validity and unconstrained decoding ---------------------------------------------------
def valid_fraction(synthesizer, table):
    """Share of the rows of ``table`` that parse strictly once written back as text."""
    codec = synthesizer.codec_
    texts = write_rows(codec, table[codec.columns])
    valid = 0
    for text in texts:
        try:
            parse_row(codec, text)
            valid += 1
        except ValueError:
            pass
    return valid / len(texts)


def lenient_parse(codec, text):
    """Values of a row's text, as GReaT reads them: numbers in any notation (rounded to the
    column's precision) and any spacing after commas; every column once, categories seen in
    training and values inside the real range are still required."""
    import pandas as pd

    from skltab.llm._codec import MISSING, NAME_SEPARATOR

    names = {column.escaped_name: column for column in codec.codecs.values()}
    fields = []
    for field in split_fields(text):
        name, separator, value = field.strip().partition(NAME_SEPARATOR)
        column = names.get(name)
        if column is not None and column.kind in ("continuous", "integer") and value != MISSING:
            try:
                value = column.format(pd.Series([float(value)]))[0]
            except (ValueError, OverflowError):
                pass
        fields.append(name + separator + value)
    return parse_row(codec, ", ".join(fields))


def unconstrained_sample(synthesizer, n_rows, seed, max_attempts):
    """GReaT-style decoding with the synthesizer's model: sample whole rows as text from the
    start token, parse them (:func:`lenient_parse`), reject the invalid ones, repeat until
    ``n_rows`` are valid.

    Returns every valid row generated (a DataFrame: the last batch may bring more than
    ``n_rows``), the number of rows generated and the seconds.
    """
    import pandas as pd
    import torch

    model, layout, codec = synthesizer.model_, synthesizer.layout_, synthesizer.codec_
    batch_size = synthesizer.sample_batch_size
    longest = layout.max_row_tokens(codec.columns) - 1
    generator_seed = torch.Generator().manual_seed(seed)
    rows, generated = [], 0
    start = time.perf_counter()
    with torch.inference_mode():
        while len(rows) < n_rows and generated < max_attempts * n_rows:
            torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=generator_seed)))
            prompt = torch.full((batch_size, 1), layout.bos_id, dtype=torch.long)
            output = model.generate(
                prompt, attention_mask=torch.ones_like(prompt), do_sample=True,
                temperature=synthesizer.temperature, top_k=0, top_p=1.0,
                max_new_tokens=longest, eos_token_id=layout.eos_id, pad_token_id=layout.eos_id,
            )
            generated += batch_size
            for sequence in output[:, 1:].tolist():
                ids = sequence[: sequence.index(layout.eos_id)] if layout.eos_id in sequence \
                    else sequence
                try:
                    rows.append(lenient_parse(codec, layout.tokenizer.decode(ids)))
                except ValueError:
                    continue
    seconds = time.perf_counter() - start
    frame = pd.DataFrame(rows, columns=codec.columns)
    metadata = synthesizer.metadata_.select(codec.columns)
    return metadata.cast(frame), generated, seconds


# -- one dataset ---------------------------------------------------------------------------
def _result(dataset, name, synthesizer, fit_seconds, sample_seconds, n_rows, metrics,
            extra=None):
    return {"dataset": dataset, "synthesizer": name,
            "params": {k: _jsonable(v) for k, v in synthesizer.get_params().items()},
            "fit_seconds": fit_seconds, "sample_seconds": sample_seconds,
            "rows_per_second": None if sample_seconds is None else n_rows / sample_seconds,
            "error": None, **metrics, **(extra or {})}


def _fit(synthesizer, train, spec):
    """Fit with the benchmark's target as ``y`` (Pred-LLM writes it last and queries it)."""
    start = time.perf_counter()
    synthesizer.fit(train.drop(columns=spec.target), train[spec.target])
    return time.perf_counter() - start


def _table(output, columns):
    """The ``(X, y)`` of ``sample`` as one table with the real column order."""
    import pandas as pd

    return pd.concat(output, axis=1)[list(columns)]


def _sample_and_score(synthesizer, train, test, spec, seed, n_rows=None):
    start = time.perf_counter()
    synthetic = _table(synthesizer.sample(n_rows or len(train), random_state=seed),
                       train.columns)
    seconds = time.perf_counter() - start
    metrics = score(test, synthetic, train, spec, synthesizer.metadata_, seed)
    return synthetic, seconds, metrics


def benchmark_dataset(dataset, args, record):
    """Fit, sample, score, time and ablate on one dataset; append results to ``record``."""
    spec = DATASETS[dataset]
    train, test = load_split(dataset, args.data_dir, seed=args.seed)
    record["datasets"][dataset] = {"target": spec.target, "task": spec.task,
                                   "n_train": len(train), "n_test": len(test),
                                   "n_synthetic": len(train)}
    synthesizer = SynthesizerSpec(args.class_path, args.params).build(random_state=args.seed)
    print(f"[{dataset}] fitting PredLLMSynthesizer {args.params} ...", flush=True)
    fit_seconds = _fit(synthesizer, train, spec)
    if args.save_models is not None:
        import joblib

        args.save_models.mkdir(parents=True, exist_ok=True)
        joblib.dump(synthesizer, args.save_models / f"predllm_{dataset}.joblib")
    synthetic, seconds, metrics = _sample_and_score(synthesizer, train, test, spec, args.seed)
    valid = valid_fraction(synthesizer, synthetic)
    speed = _speed(synthesizer, args)
    print(f"[{dataset}] fit {fit_seconds:.0f} s, valid {valid:.1%}, speed {speed}", flush=True)
    record["results"].append(_result(
        dataset, "predllm", synthesizer, fit_seconds, seconds, len(synthetic), metrics,
        {"valid_fraction": valid, "final_loss": synthesizer.history_[-1]["loss"], **speed}))
    if args.score_unconstrained:
        rows, generated, useconds = unconstrained_sample(synthesizer, len(train), args.seed,
                                                         args.max_attempts)
        valid_fraction_unconstrained = len(rows) / generated
        rows = rows.iloc[: len(train)]
        metrics = score(test, rows[train.columns], train, spec, synthesizer.metadata_,
                        args.seed) if len(rows) >= 2 else {"metrics": {}, "metric_info": {}}
        record["results"].append(_result(
            dataset, UNCONSTRAINED, synthesizer, None, useconds, len(rows), metrics,
            {"valid_fraction": valid_fraction_unconstrained}))
    save(record)
    if dataset in args.ablation_datasets:
        _ablations(dataset, synthesizer, train, test, spec, args, record)


def _speed(synthesizer, args):
    """Rows per second of constrained and unconstrained decoding, side by side (the best of
    ``--speed-repeats`` runs of each, with different seeds), and the decoding budget of a row
    (see :func:`decision_budget`).

    Unconstrained decoding generates whole batches: its rate counts every valid row of every
    batch (more than ``--speed-rows`` when the last batch brings extra ones), so the batch
    size does not penalise it.
    """
    n_rows = args.speed_rows
    constrained_seconds = []
    for repeat in range(args.speed_repeats):
        start = time.perf_counter()
        synthesizer.sample(n_rows, random_state=args.seed + 1 + repeat)
        constrained_seconds.append(time.perf_counter() - start)
    constrained = n_rows / min(constrained_seconds)
    rows, generated, seconds = min(
        (unconstrained_sample(synthesizer, n_rows, args.seed + 1 + repeat, args.max_attempts)
         for repeat in range(args.speed_repeats)),
        key=lambda run: run[2] / max(len(run[0]), 1))
    budget = decision_budget(synthesizer, n_rows, args.seed + 1)
    valid = len(rows) / generated
    return {"speed_rows": n_rows, "constrained_rows_per_second": constrained,
            "unconstrained_rows_per_second": len(rows) / seconds,
            "unconstrained_valid_fraction": valid,
            "unconstrained_complete": len(rows) >= n_rows,
            # with no valid row at all, a lower bound: as if the next row had been valid
            "speedup": constrained * seconds / max(len(rows), 1), **budget,
            "speedup_bound": budget["tokens_per_row"] / (
                max(valid, 1 / generated) * budget["decisions_per_row"])}


def decision_budget(synthesizer, n_rows, seed):
    """Tokens of a row and the decisions among them, in constrained decoding.

    A decision is a token the model samples among two or more allowed ones (the label
    query's scoring counts as one); the other tokens (names, separators, the only token a
    value allows) are forced. Unconstrained decoding samples every token and keeps a share
    ``v`` of its rows, so a decoder that still runs the model once per decision is at most
    ``tokens / (v * decisions)`` times faster (``speedup_bound``), whatever the hardware.
    """
    from skltab.llm._decoding import _RowState, generate

    rng = np.random.RandomState(seed)
    plans = [synthesizer._plan({}, np.random.default_rng(row_seed))[0]
             for row_seed in rng.randint(np.iinfo(np.int32).max, size=n_rows)]
    _, tokens, scores = generate(synthesizer.model_, plans, synthesizer.automata_,
                                 synthesizer.temperature, synthesizer.sample_batch_size,
                                 synthesizer.device_, synthesizer.label_ids_)
    label_tokens = np.mean([len(ids) for ids in synthesizer.label_ids_ or [[]]])
    n_tokens, n_decisions = [], []
    for plan, row_tokens, row_scores in zip(plans, tokens, scores):
        row, decisions = _RowState(plan, synthesizer.automata_), 0
        for token in row_tokens:
            decisions += row.forced() is None
            row.push(token)
        queried = row_scores is not None
        n_tokens.append(len(row_tokens) + (label_tokens if queried else 0))
        n_decisions.append(decisions + queried)
    return {"tokens_per_row": float(np.mean(n_tokens)),
            "decisions_per_row": float(np.mean(n_decisions))}


def _ablations(dataset, synthesizer, train, test, spec, args, record):
    for name, params in SAMPLING_ABLATIONS.items():
        if "label_query" in params and not synthesizer.labels_:
            continue  # a numeric target is generated after the features either way
        print(f"[{dataset}] {name} ...", flush=True)
        default = {key: synthesizer.get_params()[key] for key in params}
        synthesizer.set_params(**params)
        _, seconds, metrics = _sample_and_score(synthesizer, train, test, spec, args.seed)
        synthesizer.set_params(**default)
        record["results"].append(_result(dataset, name, synthesizer, None, seconds, len(train),
                                         metrics))
        save(record)
    for name, params in FIT_ABLATIONS.items():
        print(f"[{dataset}] {name} ...", flush=True)
        refit = SynthesizerSpec(args.class_path, {**args.params, **params}).build(
            random_state=args.seed)
        fit_seconds = _fit(refit, train, spec)
        _, seconds, metrics = _sample_and_score(refit, train, test, spec, args.seed)
        record["results"].append(_result(dataset, name, refit, fit_seconds, seconds, len(train),
                                         metrics))
        save(record)


def _peers(dataset, args, record):
    spec = DATASETS[dataset]
    if args.peers:
        from run import benchmark_one

        train, test = load_split(dataset, args.data_dir, seed=args.seed)
        for name in args.peers:
            print(f"[{dataset}] {name} ...", flush=True)
            fields = benchmark_one(get_spec(name), train, test, spec, args.seed, None)
            record["results"].append({"dataset": dataset, "synthesizer": name, "error": None,
                                      **fields})
            save(record)
        return
    if not args.peer_results.exists():
        return
    saved = json.loads(args.peer_results.read_text(encoding="utf-8"))
    for result in saved["results"]:
        if result["dataset"] == dataset and result["synthesizer"] in (
                "sdv_ctgan", "sdv_tvae", "independent", "real_train"):
            record["results"].append({**result,
                                      "synthesizer": f"{result['synthesizer']} (from "
                                      f"{saved['name']} run, {saved['date']})"})


# -- report --------------------------------------------------------------------------------
def summary(record):
    """Markdown tables: validity and speed, targets, per dataset."""
    return speed_table(record) + "\n" + targets_table(record)


def speed_table(record):
    """Markdown table: validity and speed of the decoders, per fitted model."""
    lines = ["#### Validity and speed (same fitted model, side by side)", "",
             "| dataset | model | valid rows (constrained) | valid rows (unconstrained) | "
             "constrained rows/s | unconstrained rows/s | speed-up | tokens / row | "
             "decisions / row | speed-up bound |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in record["results"]:
        if "speedup" not in result:
            continue
        valid = result.get("valid_fraction")
        complete = result["unconstrained_complete"]
        lines.append(
            f"| {result['dataset']} | {result['synthesizer']} | "
            f"{'–' if valid is None else f'{valid:.1%}'} | "
            f"{result['unconstrained_valid_fraction']:.1%} | "
            f"{result['constrained_rows_per_second']:.0f} | "
            f"{result['unconstrained_rows_per_second']:.1f}{'' if complete else ' (gave up)'} | "
            f"{'' if complete else '≥ '}{result['speedup']:.1f}x | "
            f"{_budget(result, 'tokens_per_row')} | {_budget(result, 'decisions_per_row')} | "
            f"{'' if complete else '≥ '}{_budget(result, 'speedup_bound')}"
            f"{'x' if 'speedup_bound' in result else ''} |")
    lines += ["", "Speed-up bound: tokens / (unconstrained valid share x decisions), the most "
              "any decoder that runs the model once per decision can gain over unconstrained "
              "decoding with the same model (`decision_budget`)."]
    remeasured = sorted({result["speed_measured"] for result in record["results"]
                         if "speed_measured" in result})
    if remeasured:
        lines += ["", "Speed comparison measured again on the saved models with "
                  f"`--remeasure-speed` ({', '.join(remeasured)})."]
    return "\n".join(lines) + "\n"


def _budget(result, key):
    return f"{result[key]:.1f}" if key in result else "–"


def targets_table(record):
    """Markdown table: the issue's quality targets, per dataset."""
    lines = ["#### Targets", "",
             "| dataset | TSTR/TRTR | ≥ 0.95? | detection AUC | CTGAN | TVAE "
             "| lower than both? |",
             "|---|---:|---|---:|---:|---:|---|"]
    for dataset in record["datasets"]:
        rows = {r["synthesizer"].split(" (from")[0]: r for r in record["results"]
                if r["dataset"] == dataset}
        ours = rows.get("predllm", {}).get("metrics", {})
        peers = [rows.get(p, {}).get("metrics", {}).get("detection_auc")
                 for p in ("sdv_ctgan", "sdv_tvae")]
        ratio = ours.get("utility_ratio")
        classification = record["datasets"][dataset]["task"] == "classification"
        detection = ours.get("detection_auc")
        lower = ("yes" if all(p is not None and detection < p for p in peers) else "no") \
            if detection is not None and None not in peers else "–"
        lines.append(
            f"| {dataset} | {_number(ratio)} | "
            f"{('yes' if ratio >= 0.95 else 'no') if classification and ratio else '–'} | "
            f"{_number(detection)} | {_number(peers[0])} | {_number(peers[1])} | {lower} |")
    return "\n".join(lines) + "\n"


def merge(names, name):
    """One record from saved runs of disjoint datasets (machine and command of the first)."""
    runs = [json.loads((RESULTS_DIR / f"{run}.json").read_text(encoding="utf-8"))
            for run in names]
    record = {**runs[0], "name": name, "datasets": {}, "results": [],
              "command": " ; ".join(run["command"] for run in runs),
              "load_average": {"start": max(run["load_average"]["start"] for run in runs),
                               "end": max(run["load_average"].get("end") or 0 for run in runs)}}
    for run in runs:
        record["datasets"].update(run["datasets"])
        record["results"] += run["results"]
    return record


def remeasure_speed(names, args):
    """Measure :func:`_speed` again on the saved models of the runs ``names``."""
    import joblib

    prepare(args.torch_threads)
    for name in names:
        record = json.loads((RESULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        for result in record["results"]:
            if result["synthesizer"] != "predllm":
                continue
            model = joblib.load(args.save_models / f"predllm_{result['dataset']}.joblib")
            result.update(_speed(model, args))
            result["speed_measured"] = datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC")
            print(f"[{result['dataset']}] speed-up {result['speedup']:.2f}", flush=True)
        save(record)


def _new_record(args):
    return {
        "name": args.name,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(["python", "benchmarks/bench_predllm.py", *sys.argv[1:]]),
        "machine": machine_description(), "seed": args.seed, "epochs": None,
        "torch_threads": args.torch_threads, "load_average": {"start": _load_average()},
        "datasets": {}, "results": [],
    }


def speed_by_epochs(args):
    """Refit with each of ``--speed-epochs`` and compare the decoders on each model: the
    fewer the epochs, the fewer valid rows unconstrained decoding writes."""
    record = _new_record(args)
    prepare(args.torch_threads)
    for dataset in args.datasets:
        spec = DATASETS[dataset]
        train, _ = load_split(dataset, args.data_dir, seed=args.seed)
        record["datasets"][dataset] = {"target": spec.target, "task": spec.task,
                                       "n_train": len(train)}
        for epochs in args.speed_epochs:
            print(f"[{dataset}] {epochs} epochs ...", flush=True)
            synthesizer = SynthesizerSpec(args.class_path, {**args.params, "epochs": epochs}
                                          ).build(random_state=args.seed)
            fit_seconds = _fit(synthesizer, train, spec)
            record["results"].append(_result(
                dataset, f"predllm[{epochs} epochs]", synthesizer, fit_seconds, None, 0,
                {"metrics": {}}, {"final_loss": synthesizer.history_[-1]["loss"],
                                  **_speed(synthesizer, args)}))
            record["load_average"]["end"] = _load_average()
            save(record)
    return record


def main(argv=None):
    """Run the benchmark (or merge saved runs) and write the results."""
    args = parse_args(argv)
    if args.remeasure_speed:
        remeasure_speed(args.remeasure_speed, args)
        return None
    if args.speed_epochs:
        record = speed_by_epochs(args)
    elif args.merge:
        record = merge(args.merge, args.name)
    if args.speed_epochs or args.merge:
        save(record)
        report = speed_table(record) if args.speed_epochs else render(record) + "\n" + summary(
            record)
        write_section(args.output, args.name, report, title="# PredLLMSynthesizer benchmarks")
        print(f"Wrote {args.output} and {RESULTS_DIR / args.name}.json/.csv")
        return record
    record = _new_record(args)
    prepare(args.torch_threads)
    for dataset in args.datasets:
        benchmark_dataset(dataset, args, record)
        _peers(dataset, args, record)
        record["load_average"]["end"] = _load_average()
        save(record)
    write_section(args.output, args.name, render(record) + "\n" + summary(record),
                  title="# PredLLMSynthesizer benchmarks")
    print(f"Wrote {args.output} and {RESULTS_DIR / args.name}.json/.csv")
    return record


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
