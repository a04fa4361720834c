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
``seeds``
    Insurance, split with seed 0, the diffusion synthesizer fitted with seeds 0, 1 and 2,
    against the TabMDM seed document's table: mean and standard deviation of the Wasserstein
    distance, the Jensen-Shannon distance and divergence, the association-matrix L2 distance
    and the train-on-synthetic R2 of scikit-learn's HistGradientBoostingRegressor.

Usage::

    python benchmarks/bench_diffusion.py main ablation seeds [--torch-threads 1]
"""

import argparse
import json
import statistics
import time

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


def seeds_section(threads, seeds=(0, 1, 2)):
    """Fit on insurance with several seeds; compare with the seed document's table."""
    from skltab.metrics import column_fidelity

    run.prepare(threads)
    dataset = DATASETS["insurance"]
    train, test = load_split("insurance", seed=0)
    values = {name: [] for name in ("wasserstein", "jensen_shannon",
                                    "jensen_shannon_divergence", "correlation_l2", "tstr_r2",
                                    "fit_seconds")}
    for seed in seeds:
        start = time.perf_counter()
        synthesizer = SYNTHESIZERS["diffusion"].build(random_state=seed).fit(train)
        values["fit_seconds"].append(time.perf_counter() - start)
        synthetic = synthesizer.sample(len(train), random_state=seed)
        metrics = run.score(test, synthetic, train, dataset, synthesizer.metadata_,
                            seed)["metrics"]
        columns = column_fidelity(test, synthetic, metadata=synthesizer.metadata_)
        js = columns["jensen_shannon"].dropna()
        values["wasserstein"].append(metrics["wasserstein"])
        values["jensen_shannon"].append(metrics["jensen_shannon"])
        values["jensen_shannon_divergence"].append(float((js**2).mean()))
        values["correlation_l2"].append(metrics["correlation_distance"])
        values["tstr_r2"].append(metrics["tstr_r2"])
        print(f"[insurance] seed {seed}: " + ", ".join(
            f"{k}={v[-1]:.4f}" for k, v in values.items()), flush=True)
    reference = run.score(test, train, train, dataset, synthesizer.metadata_, 0)["metrics"]
    record = {"machine": run.machine_description(), "seeds": list(seeds), "values": values,
              "real_train": reference, "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                             time.gmtime())}
    (run.RESULTS_DIR / "diffusion_seeds.json").write_text(json.dumps(record, indent=1))
    write_section(OUTPUT, "diffusion_seeds", render_seeds(record))
    return record


def render_seeds(record):
    """Markdown table of the seeds run against the seed document's figures."""
    reference = record["real_train"]
    real = {"wasserstein": reference["wasserstein"],
            "jensen_shannon": reference["jensen_shannon"],
            "correlation_l2": reference["correlation_distance"],
            "tstr_r2": reference["trtr_r2"]}
    lines = [
        f"### Insurance against the TabMDM seed table ({record['date']})",
        "",
        f"Split seed 0 (1,070 training rows, 268 test rows); model seeds {record['seeds']}; "
        "metrics of `skltab.metrics.evaluate` against the test rows; TSTR with scikit-learn's "
        "`HistGradientBoostingRegressor` (default parameters). `real train` scores the real "
        "training rows as if they were a sample.",
        "",
        "| metric | skltab diffusion (mean ± sd) | real train | seed: TabMDM | seed: TabDDPM |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, mine in record["values"].items():
        if name == "fit_seconds":
            continue
        seed = SEED_TABLE.get(name, ("–", "–"))
        spread = statistics.stdev(mine) if len(mine) > 1 else 0.0
        real_value = real.get(name)
        lines.append(
            f"| {name} | {statistics.mean(mine):.4f} ± {spread:.4f} | "
            f"{'–' if real_value is None else f'{real_value:.4f}'} | {seed[0]} | {seed[1]} |"
        )
    fit = record["values"]["fit_seconds"]
    lines += ["", f"Fit time per seed: {', '.join(f'{s:.0f} s' for s in fit)}."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", choices=["main", "ablation", "seeds"])
    parser.add_argument("--torch-threads", type=int, default=1)
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


if __name__ == "__main__":
    main()
