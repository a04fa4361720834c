"""The ``skltab`` command: fit, sample, inspect and evaluate from the shell."""

import argparse
import contextlib
import json
import logging
import sys
import warnings
from pathlib import Path

import joblib
import pandas as pd

from ._privacy_guard import PrivacyGuard, total_report
from ._version import __version__
from .utils._output import sample_to_frame

logger = logging.getLogger(__name__)

_PARQUET_SUFFIXES = (".parquet", ".pq")
#: Model files written and read with joblib (pickles, which run code when loaded); a model
#: file with any other name is in skltab's safe format (skltab.save and skltab.load).
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


def main(argv=None):
    """Run the ``skltab`` command line; return its exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s")
    try:
        args.handler(args)
    except (ValueError, TypeError, ImportError, OSError, KeyError) as exc:
        print(f"skltab: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skltab", description="Learn a real table and write synthetic rows."
    )
    parser.add_argument("--version", action="version", version=f"skltab {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress")
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit", help="fit a synthesizer on a CSV or Parquet file")
    fit.add_argument("data", help="the real table (.csv or .parquet)")
    fit.add_argument("-o", "--output", required=True,
                     help="where to write the model: model.skltab writes the safe format "
                     "(any name but .joblib, .pkl or .pickle), model.joblib a pickle")
    _add_synthesizer_arguments(fit, "independent")
    fit.add_argument("--target", help="column to keep as the target y")
    fit.add_argument("--metadata", help="metadata JSON written by 'skltab info --json'")
    fit.add_argument("--random-state", type=int, help="seed of the synthesizer")
    fit.set_defaults(handler=_fit)

    sample = commands.add_parser("sample", help="write synthetic rows from a fitted model")
    sample.add_argument("model", help="a model written by 'skltab fit': the safe format loads "
                        "without running code; a .joblib, .pkl or .pickle file is a pickle, "
                        "which runs code when loaded: load only pickles you trust")
    sample.add_argument("-n", "--n-samples", type=int, required=True, help="number of rows")
    sample.add_argument("-o", "--output", required=True, help="the output table (.csv or .parquet)")
    sample.add_argument("--chunk-size", type=int, default=100_000,
                        help="rows generated and written at a time (default: 100000)")
    sample.add_argument("--random-state", type=int, help="seed of this sample")
    cluster = sample.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="sample on the Dask cluster of this scheduler (such as "
                         "tcp://10.0.0.5:8786), one partition of --chunk-size rows per task; "
                         "the workers write the output, so it must be a path they share. "
                         "Needs the dask extra")
    cluster.add_argument("--workers", type=_positive_int, metavar="N",
                         help="sample on a local Dask cluster of N worker processes, started "
                         "and closed by the command. Needs the dask extra")
    sample.add_argument("--trust", action="append", default=[], metavar="MODULE:CLASS",
                        help="a class of your own that the model may hold (a synthesizer "
                        "given to 'fit -s'); the safe format constructs only skltab's "
                        "classes otherwise")
    sample.set_defaults(handler=_sample)

    info = commands.add_parser("info", help="show the inferred metadata of a table")
    info.add_argument("data", help="a table (.csv or .parquet)")
    info.add_argument("--json", action="store_true", help="print the metadata as JSON")
    info.set_defaults(handler=_info)

    evaluate = commands.add_parser("evaluate", help="compare a synthetic table with a real one")
    evaluate.add_argument("real", help="the real (held-out) table")
    evaluate.add_argument("synthetic", help="the synthetic table")
    evaluate.add_argument("--train", help="the table the synthesizer was fitted on (privacy)")
    evaluate.add_argument("--target", help="target column (utility: train on synthetic, test "
                          "on real)")
    evaluate.add_argument("--html", help="write the full report with figures to this file")
    evaluate.add_argument("--json", help="write the report as JSON to this file")
    evaluate.set_defaults(handler=_evaluate)

    oversample = commands.add_parser(
        "oversample", help="add synthetic rows of the rare classes of a table (imbalanced-learn's "
        "sampling_strategy)")
    oversample.add_argument("data", help="the real table (.csv or .parquet)")
    oversample.add_argument("--target", required=True, help="the class column")
    oversample.add_argument("-o", "--output", required=True,
                            help="the resampled table (.csv or .parquet): the real rows, then "
                            "the synthetic ones")
    _add_synthesizer_arguments(oversample, "fastgen")
    oversample.add_argument("--sampling-strategy", default="geometric",
                            help="'geometric', 'auto', 'minority', 'not minority', "
                            "'not majority', 'all', a float in (0, 1] (minority rows per "
                            "majority row), or a JSON object of rows per class after "
                            "resampling (default: geometric)")
    oversample.add_argument("--conditioned", action="store_true",
                            help="one synthesizer of every row, conditioned on the class, "
                            "instead of one per class")
    oversample.add_argument("--random-state", type=int, help="seed")
    oversample.set_defaults(handler=_oversample)

    demo = commands.add_parser("demo", help="the main job on the embedded demo table")
    demo.add_argument("-o", "--output-dir", default="skltab_demo", help="where to write results")
    demo.add_argument("-s", "--synthesizer", default="fastgen",
                      help="synthesizer name or 'module:Class' (default: fastgen)")
    demo.add_argument("--no-logic", action="store_true",
                      help="model every column, without a LogicCompressor (given the demo's "
                      "rules and discovering more) in front")
    demo.add_argument("-n", "--n-rows", type=int, default=2000, help="rows of the demo table")
    demo.add_argument("--random-state", type=int, default=0, help="seed")
    demo.set_defaults(handler=_demo)
    return parser


def _add_synthesizer_arguments(command, default):
    """``-s/--synthesizer`` (default ``default``) and ``-p/--param`` of ``command``."""
    command.add_argument("-s", "--synthesizer", default=default,
                         help=f"synthesizer name or 'module:Class' (default: {default})")
    command.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                         help="a synthesizer parameter; VALUE is read as JSON when it can be")


def read_table(path):
    """Read a CSV or Parquet file into a DataFrame."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file {str(path)!r} not found")
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {str(path)!r} as CSV: {exc}") from exc


def _parse_params(pairs):
    params = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--param expects NAME=VALUE; got {pair!r}")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text
    return params


def _make_synthesizer(name, params, random_state=None, metadata=None):
    from .utils.discovery import get_synthesizer_class

    cls = get_synthesizer_class(name)
    known = cls().get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"{cls.__name__} has no parameters {unknown}; its parameters are "
                         f"{sorted(known)}")
    if random_state is not None:
        params = {**params, "random_state": random_state}
    if metadata is not None:
        params = {**params, "metadata": metadata}
    return cls(**params)


def _fit(args):
    table = read_table(args.data)
    metadata = None
    if args.metadata:
        from .metadata import TableMetadata

        metadata = TableMetadata.from_json(Path(args.metadata).read_text())
    synthesizer = _make_synthesizer(args.synthesizer, _parse_params(args.param),
                                    args.random_state, metadata)
    if args.verbose:
        synthesizer.set_params(verbose=1)
    if args.target:
        if args.target not in table.columns:
            raise ValueError(f"--target {args.target!r} is not a column of {args.data!r}")
        synthesizer.fit(table.drop(columns=args.target), table[args.target])
    else:
        synthesizer.fit(table)
    save_model(synthesizer, args.output)
    print(f"Fitted {type(synthesizer).__name__} on {len(table)} rows; model written to "
          f"{args.output}")


def save_model(model, path):
    """Write a model: a pickle for a .joblib, .pkl or .pickle path, else the safe format."""
    if Path(path).suffix.lower() in _PICKLE_SUFFIXES:
        joblib.dump(model, path)
        return
    from .serialization import save

    try:
        save(model, path)
    except TypeError as exc:
        raise TypeError(f"{exc} From the command line, write it to a .joblib file.") from exc


def load_model(path, trusted=()):
    """Read a model written by :func:`save_model`; ``trusted`` names classes ("module:Class")
    the safe format may construct besides skltab's."""
    if Path(path).suffix.lower() in _PICKLE_SUFFIXES:
        return joblib.load(path)
    from .serialization import UntrustedClassError, load
    from .utils.discovery import get_synthesizer_class

    try:
        return load(path, trusted=[get_synthesizer_class(name) for name in trusted])
    except UntrustedClassError as exc:
        raise UntrustedClassError(f"{exc} From the command line: --trust module:Class.") \
            from exc


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {value}")
    return value


def _sample(args):
    synthesizer = load_model(args.model, args.trust)
    if not hasattr(synthesizer, "iter_samples"):
        raise ValueError(f"{args.model!r} does not hold a skltab synthesizer")
    if args.scheduler or args.workers:
        where = _sample_on_cluster(synthesizer, args)
        print(f"Wrote {args.n_samples} rows to {args.output} on {where}")
        return
    chunks = synthesizer.iter_samples(
        args.n_samples, chunk_size=args.chunk_size, random_state=args.random_state
    )
    write_chunks(chunks, args.output)
    print(f"Wrote {args.n_samples} rows to {args.output}")


def _sample_on_cluster(synthesizer, args):
    """Sample with :func:`skltab.dask.sample` on the scheduler at ``--scheduler``, or on a
    local cluster of ``--workers`` processes; return where, in words."""
    from .dask import local_cluster, sample
    from .utils import import_optional

    distributed = import_optional("distributed", purpose="--scheduler and --workers")
    with contextlib.ExitStack() as stack:
        cluster = args.scheduler
        if cluster is None:
            cluster = stack.enter_context(local_cluster(args.workers))
        client = stack.enter_context(distributed.Client(cluster))
        rows, report = sample(synthesizer, args.n_samples, chunk_size=args.chunk_size,
                              random_state=args.random_state, return_report=True)
        report = write_frame(rows, args.output, report)
        n_workers = len(client.scheduler_info()["workers"])
    if report is not None:
        PrivacyGuard.warn(total_report(report), type(synthesizer).__name__)
    place = f"the scheduler {args.scheduler}" if args.scheduler else "a local cluster"
    return f"{place} of {n_workers} worker(s), in {rows.npartitions} partition(s)"


def write_frame(rows, path, report):
    """Write a Dask DataFrame from its workers: a Parquet path becomes a folder of one file
    per partition (replaced if it exists), a CSV path one file. Return ``report`` (the
    privacy guard's Dask DataFrame of :func:`skltab.dask.sample`, or None) computed with
    the rows."""
    import dask

    path = Path(path).resolve()
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        written = rows.to_parquet(path, write_index=False, overwrite=True, compute=False)
    else:
        written = rows.to_csv(path, single_file=True, index=False, compute=False)
    with warnings.catch_warnings():
        # to_csv's delayed writes with the report's collection: computed together all the
        # same, which is the point (each partition sampled once).
        warnings.filterwarnings("ignore", "Computing mixed collections", UserWarning)
        return dask.compute(written, report)[1]


def write_chunks(chunks, path):
    """Write successive table chunks to one CSV or Parquet file, holding one at a time."""
    path = Path(path)
    parquet = path.suffix.lower() in _PARQUET_SUFFIXES
    writer = None
    for i, chunk in enumerate(chunks):
        chunk = sample_to_frame(chunk)
        if parquet:
            writer = _write_parquet_chunk(chunk, path, writer)
        else:
            chunk.to_csv(path, mode="w" if i == 0 else "a", header=i == 0, index=False)
    if writer is not None:
        writer.close()


def _write_parquet_chunk(chunk, path, writer):
    from .utils import import_optional

    pa = import_optional("pyarrow", purpose="Parquet files")
    import_optional("pyarrow.parquet", purpose="Parquet files")
    table = pa.Table.from_pandas(chunk, preserve_index=False)
    if writer is None:
        writer = pa.parquet.ParquetWriter(path, table.schema)
    writer.write_table(table)
    return writer


def _oversample(args):
    from collections import Counter

    from .oversampling import SyntheticOversampler

    table = read_table(args.data)
    if args.target not in table.columns:
        raise ValueError(f"--target {args.target!r} is not a column of {args.data!r}")
    X, y = table.drop(columns=args.target), table[args.target]
    sampler = SyntheticOversampler(
        _make_synthesizer(args.synthesizer, _parse_params(args.param)),
        sampling_strategy=_sampling_strategy(args.sampling_strategy, y),
        model_per_class=not args.conditioned, random_state=args.random_state,
    )
    X_resampled, y_resampled = sampler.fit_resample(X, y)
    resampled = X_resampled.copy()
    resampled.insert(table.columns.get_loc(args.target), args.target, y_resampled.to_numpy())
    write_chunks([resampled], args.output)
    counts = ", ".join(f"{label}: {Counter(y)[label]} -> {count}"
                       for label, count in sorted(Counter(y_resampled).items()))
    print(f"Added {len(X_resampled) - len(X)} synthetic rows ({counts}); written to "
          f"{args.output}")


def _sampling_strategy(text, y):
    """``--sampling-strategy``: a name, a float, or a JSON object whose keys are the
    classes as written in the file."""
    try:
        return float(text)
    except ValueError:
        pass
    if not text.lstrip().startswith("{"):
        return text
    wanted = json.loads(text)
    labels = {str(label): label for label in y.unique()}
    unknown = sorted(set(wanted) - set(labels))
    if unknown:
        raise ValueError(f"--sampling-strategy names classes absent from the target: {unknown}; "
                         f"the classes are {sorted(labels)}")
    return {labels[key]: rows for key, rows in wanted.items()}


def _info(args):
    from .metadata import infer_metadata

    metadata = infer_metadata(read_table(args.data))
    if args.json:
        print(metadata.to_json())
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            frame = metadata.to_frame().dropna(axis=1, how="all").astype(object)
            print(frame.where(frame.notna(), ""))


def _evaluate(args):
    from .metrics import evaluate

    train = read_table(args.train) if args.train else None
    report = evaluate(read_table(args.real), read_table(args.synthetic), train=train,
                      target=args.target)
    _print_summary(report)
    if args.html:
        report.to_html(args.html)
        print(f"Report written to {args.html}")
    if args.json:
        Path(args.json).write_text(report.to_json())


def _print_summary(report):
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        print(report.summary().round(4).to_string())


def _demo(args):
    from sklearn.model_selection import train_test_split

    from .datasets import DEMO_RULES, load_demo
    from .logic import LogicCompressor
    from .metrics import evaluate
    from .pipeline import make_synthesis_pipeline

    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    real = load_demo(n_samples=args.n_rows, random_state=args.random_state)
    train, test = train_test_split(real, test_size=0.25, random_state=args.random_state)
    synthesizer = _make_synthesizer(args.synthesizer, {}, args.random_state)
    synthesizer.set_params(verbose=int(args.verbose))
    if not args.no_logic:
        synthesizer = make_synthesis_pipeline(LogicCompressor(rules=DEMO_RULES), synthesizer)
    synthesizer.fit(train)
    synthetic = synthesizer.sample(len(train))
    real.to_csv(output / "real.csv", index=False)
    synthetic.to_csv(output / "synthetic.csv", index=False)
    save_model(synthesizer, output / "model.skltab")
    report = evaluate(test, synthetic, train=train, rules=DEMO_RULES)
    report.summary().to_csv(output / "evaluation_summary.csv")
    report.to_html(output / "report.html")
    steps = " -> ".join(type(step).__name__ for step in getattr(
        synthesizer, "named_steps", {"": synthesizer}).values())
    print(f"Fitted {steps} on {len(train)} rows of the demo table and sampled "
          f"{len(synthetic)} rows.")
    _print_summary(report)
    print(f"Written to {output}/: real.csv, synthetic.csv, model.skltab, "
          "evaluation_summary.csv, report.html")


if __name__ == "__main__":
    sys.exit(main())
