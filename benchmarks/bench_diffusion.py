"""Benchmark MaskedDiffusionSynthesizer (TabMDM) against SDV's synthesizers, with ablations.

Three parts, each written as a section of ``benchmarks/results/diffusion.md`` (text outside
the generated sections is kept) and saved under ``benchmarks/results/``:

``main``
    The shared harness (``run.py``) on adult (5,000 training rows), bank, abalone and
    insurance: the diffusion synthesizer with its defaults, SDV's GaussianCopula, CTGAN and
    TVAE at their defaults, the independent baseline and the real training rows, in one run.
``ablation``
    The same harness on insurance and abalone with variants of the diffusion synthesizer:
    the default (MLP denoiser, no quantile matching), with quantile matching, and with the
    transformer denoiser.
``speed``
    Sampling speed at the default settings on each table, best of three ``sample`` calls of
    10,000 rows, with a model fitted on the training part (or loaded from ``--models``, where
    fitted models are also saved). Run it alone: other jobs on the cores slow it down.
``sampling-seeds``
    The fitted adult model of ``speed``, sampled with seeds 0 to 4 and scored by the harness:
    how much the single-seed numbers of ``main`` move with the sampling seed alone.
``seeds``
    Insurance, split with seed 0, the diffusion synthesizer fitted with seeds 0, 1 and 2,
    against the TabMDM seed document's table: mean and standard deviation of the Wasserstein
    distance, the Jensen-Shannon distance and divergence, the association-matrix L2 distance
    and the train-on-synthetic R2 of scikit-learn's HistGradientBoostingRegressor.

Usage::

    python benchmarks/bench_diffusion.py main ablation seeds [--torch-threads 1]
    python benchmarks/bench_diffusion.py speed sampling-seeds --models /tmp/diffusion_models
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import run
from bench_data import DATASETS, load_split
from bench_registry import SYNTHESIZERS, SynthesizerSpec
from bench_report import write_section

_DIFFUSION = "skltab.diffusion.MaskedDiffusionSynthesizer"
#: The diffusion synthesizer and its ablation variants, added to the harness's registry.
VARIANTS = {
    "diffusion": {},
    "diffusion_matching": {"quantile_matching": True},
    "diffusion_transformer": {"denoiser": "transformer"},
}
OUTPUT = run.RESULTS_DIR / "diffusion.md"
PEERS = ["independent", "sdv_gaussian_copula", "sdv_ctgan", "sdv_tvae"]
#: The TabMDM seed document's Insurance figures (3 seeds): metric -> (TabMDM, TabDDPM).
SEED_TABLE = {
    "wasserstein": (0.1333, 0.1676),
    "jensen_shannon_divergence": (0.0029, 0.008),
    "correlation_l2": (0.0451, 0.07),
    "tstr_r2": (0.817, 0.809),
}


def register_variants():
    """Add the diffusion synthesizer and its variants to the harness's registry."""
    for name, params in VARIANTS.items():
        SYNTHESIZERS[name] = SynthesizerSpec(_DIFFUSION, params)


def run_harness(name, datasets, synthesizers, threads):
    """Run ``run.py``'s benchmark into the section ``name`` of :data:`OUTPUT`."""
    argv = ["--datasets", *datasets, "--synthesizers", *synthesizers, "--name", name,
            "--output", str(OUTPUT), "--torch-threads", str(threads)]
    return run.run(run.parse_args(argv))


def fidelity(real, synthetic, metadata):
    """The seed table's fidelity metrics of ``synthetic`` against ``real``.

    Wasserstein: mean over numeric columns of the Wasserstein-1 distance divided by the real
    range; Jensen-Shannon: mean over categorical columns of the distance (base 2) and of its
    square (the divergence); correlation L2: the Frobenius norm of the difference of the
    association matrices, and the root mean square of its off-diagonal entries.
    """
    from skltab.metrics import column_fidelity, correlation_distance

    columns = column_fidelity(real, synthetic, metadata=metadata)
    js = columns["jensen_shannon"].dropna()
    frobenius = correlation_distance(real, synthetic, metadata=metadata)
    n_columns = len(real.columns)
    return {"wasserstein": float(columns["wasserstein"].dropna().mean()),
            "jensen_shannon": float(js.mean()),
            "jensen_shannon_divergence": float((js**2).mean()),
            "correlation_l2": frobenius,
            "correlation_rms": frobenius / (n_columns * (n_columns - 1)) ** 0.5}


def seeds_section(threads, seeds=(0, 1, 2)):
    """Fit on insurance with several seeds; compare with the seed document's table."""
    run.prepare(threads)
    dataset = DATASETS["insurance"]
    train, test = load_split("insurance", seed=0)
    values = {"test": {}, "train": {}, "tstr_r2": [], "fit_seconds": []}
    for seed in seeds:
        start = time.perf_counter()
        synthesizer = SYNTHESIZERS["diffusion"].build(random_state=seed).fit(train)
        values["fit_seconds"].append(time.perf_counter() - start)
        synthetic = synthesizer.sample(len(train), random_state=seed)
        metrics = run.score(test, synthetic, train, dataset, synthesizer.metadata_,
                            seed)["metrics"]
        values["tstr_r2"].append(metrics["tstr_r2"])
        for against, real in (("test", test), ("train", train)):
            for name, value in fidelity(real, synthetic, synthesizer.metadata_).items():
                values[against].setdefault(name, []).append(value)
        print(f"[insurance] seed {seed}: tstr_r2={metrics['tstr_r2']:.4f}, "
              f"test={ {k: round(v[-1], 4) for k, v in values['test'].items()} }", flush=True)
    reference = {"fidelity": fidelity(test, train, synthesizer.metadata_),
                 "trtr_r2": run.score(test, train, train, dataset, synthesizer.metadata_,
                                      0)["metrics"]["trtr_r2"]}
    record = {"machine": run.machine_description(), "seeds": list(seeds), "values": values,
              "real_train": reference, "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                             time.gmtime())}
    (run.RESULTS_DIR / "diffusion_seeds.json").write_text(json.dumps(record, indent=1))
    write_section(OUTPUT, "diffusion_seeds", render_seeds(record))
    return record


def fitted_model(dataset, models):
    """The default diffusion synthesizer fitted on ``dataset``'s training part with seed 0,
    loaded from the folder ``models`` when saved there before (and saved after fitting)."""
    import joblib

    path = None if models is None else models / f"diffusion_{dataset}.joblib"
    if path is not None and path.exists():
        return joblib.load(path)
    train, _ = load_split(dataset, seed=0)
    synthesizer = SYNTHESIZERS["diffusion"].build(random_state=0).fit(train)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(synthesizer, path)
    return synthesizer


def speed_section(threads, models, n_rows=10_000, repeats=3):
    """Best-of-``repeats`` sampling rate of the default model on every table."""
    run.prepare(threads)
    rates = {}
    for dataset in DATASETS:
        synthesizer = fitted_model(dataset, models)
        seconds = []
        for repeat in range(repeats):
            start = time.perf_counter()
            synthesizer.sample(n_rows, random_state=repeat)
            seconds.append(time.perf_counter() - start)
        rates[dataset] = n_rows / min(seconds)
        print(f"[{dataset}] {rates[dataset]:,.0f} rows/s", flush=True)
    steps = SYNTHESIZERS["diffusion"].build(0).n_sampling_steps
    lines = [f"### Sampling speed ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"Default settings (MLP denoiser, {steps} steps), torch on {threads} thread(s), "
             f"best of {repeats} `sample({n_rows:,})` calls (output casting included); "
             f"1-minute load average "
             f"{run._load_average()} at the end.", "",
             "| dataset | rows/s |", "|---|---:|"]
    lines += [f"| {dataset} | {rate:,.0f} |" for dataset, rate in rates.items()]
    write_section(OUTPUT, "diffusion_speed", "\n".join(lines))
    return rates


def sampling_seeds_section(threads, models, seeds=(0, 1, 2, 3, 4)):
    """Harness metrics of the adult model sampled with several seeds."""
    run.prepare(threads)
    dataset = DATASETS["adult"]
    train, test = load_split("adult", seed=0)
    synthesizer = fitted_model("adult", models)
    names = ["utility_ratio", "detection_auc", "association_error", "wasserstein"]
    values = {name: [] for name in names}
    for seed in seeds:
        synthetic = synthesizer.sample(len(train), random_state=seed)
        metrics = run.score(test, synthetic, train, dataset, synthesizer.metadata_,
                            0)["metrics"]
        for name in names:
            values[name].append(metrics[name])
        print(f"[adult] sampling seed {seed}: "
              + ", ".join(f"{k}={v[-1]:.4f}" for k, v in values.items()), flush=True)
    lines = [f"### Adult, sampling seeds {list(seeds)} "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             "The default model fitted with seed 0 on adult's 5,000 training rows (as in "
             "`main`), sampled with each seed and scored by the harness (evaluation seed 0).",
             "", "| metric | " + " | ".join(f"seed {seed}" for seed in seeds)
             + " | mean ± sd |", "|---|" + "---:|" * (len(seeds) + 1)]
    for name, row in values.items():
        lines.append(f"| {name} | " + " | ".join(f"{v:.4f}" for v in row)
                     + f" | {_mean_sd(row)} |")
    write_section(OUTPUT, "diffusion_sampling_seeds", "\n".join(lines))
    return values


def _mean_sd(values):
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {spread:.4f}"


def render_seeds(record):
    """Markdown table of the seeds run against the seed document's figures."""
    values, reference = record["values"], record["real_train"]
    lines = [
        f"### Insurance against the TabMDM seed table ({record['date']})",
        "",
        f"Split seed 0 (1,070 training rows, 268 test rows); model seeds {record['seeds']}. "
        "Fidelity of the synthetic rows against the test rows and against the training rows "
        "(see `fidelity` in this script for the definitions); `real train vs test` scores "
        "the real training rows against the test rows, the level that sampling noise alone "
        "gives. TSTR: scikit-learn's `HistGradientBoostingRegressor` (default parameters) "
        "trained on the synthetic rows, R² on the test rows; the real-train column is TRTR.",
        "",
        "| metric | diffusion vs test | diffusion vs train | real train vs test "
        "| seed: TabMDM | seed: TabDDPM |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, mine in values["test"].items():
        seed = SEED_TABLE.get(name, ("–", "–"))
        lines.append(f"| {name} | {_mean_sd(mine)} | {_mean_sd(values['train'][name])} | "
                     f"{reference['fidelity'][name]:.4f} | {seed[0]} | {seed[1]} |")
    seed = SEED_TABLE["tstr_r2"]
    lines.append(f"| tstr_r2 | {_mean_sd(values['tstr_r2'])} | – | "
                 f"{reference['trtr_r2']:.4f} | {seed[0]} | {seed[1]} |")
    fit = values["fit_seconds"]
    lines += ["", f"Fit time per seed: {', '.join(f'{s:.0f} s' for s in fit)}."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+",
                        choices=["main", "ablation", "seeds", "speed", "sampling-seeds"])
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--models", type=Path, default=None,
                        help="folder of fitted models for speed and sampling-seeds")
    args = parser.parse_args(argv)
    register_variants()
    if "main" in args.parts:
        run_harness("diffusion_main", list(DATASETS), ["diffusion", *PEERS],
                    args.torch_threads)
    if "ablation" in args.parts:
        run_harness("diffusion_ablation", ["insurance", "abalone"], list(VARIANTS),
                    args.torch_threads)
    if "seeds" in args.parts:
        seeds_section(args.torch_threads)
    if "speed" in args.parts:
        speed_section(args.torch_threads, args.models)
    if "sampling-seeds" in args.parts:
        sampling_seeds_section(args.torch_threads, args.models)


if __name__ == "__main__":
    main()
