"""The benchmark tables: where they are, their targets, and the seeded train/test split.

The CSV files live in ``../shared/datasets/`` beside the repository (see its README); they are
read from there and never copied into the repository. The small tables (wine, diabetes, breast
cancer) are the ones scikit-learn ships, loaded with its ``load_*`` functions.
"""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sklearn.datasets
from sklearn.model_selection import train_test_split

#: ``../shared/datasets`` relative to the repository root.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
TEST_SIZE = 0.2


@dataclass(frozen=True)
class Dataset:
    """One benchmark table.

    Attributes
    ----------
    file : str
        CSV file name in the data folder, or ``"sklearn:load_NAME"`` for a table that
        scikit-learn ships (its ``load_NAME(as_frame=True)``).
    target : str
        Column predicted by the utility metrics (TSTR / TRTR).
    task : {"classification", "regression"}
        Kind of the prediction task; classification splits are stratified.
    max_train_rows : int or None
        Size of the seeded subsample of the training part, None to keep it whole.
    encoding : str
        Text encoding of the CSV file.
    rules : tuple of str
        Rules the real table keeps, whose violation rate the benchmark reports (rule text of
        :func:`skltab.metrics.evaluate`).
    """

    file: str
    target: str
    task: str
    max_train_rows: int = None
    encoding: str = "utf-8"
    rules: tuple = ()


DATASETS = {
    # education and education-num name the same thing (see the datasets README).
    "adult": Dataset(
        "adult.csv", "income-per-year", "classification", max_train_rows=5000,
        rules=("education <-> `education-num`",),
    ),
    "bank": Dataset("bank.csv", "subscribe", "classification"),
    # a shell's length is its longest measurement (1 real row in 4,177 breaks it).
    "abalone": Dataset(
        "abalone.csv", "Age", "regression", encoding="utf-8-sig", rules=("Length >= Diameter",)
    ),
    "insurance": Dataset("insurance.csv", "charges", "regression"),
    # Small tables, where copying training rows is the risk.
    "wine": Dataset("sklearn:load_wine", "target", "classification"),
    "diabetes": Dataset("sklearn:load_diabetes", "target", "regression"),
    "breast_cancer": Dataset("sklearn:load_breast_cancer", "target", "classification"),
    "insurance_300": Dataset("insurance.csv", "charges", "regression", max_train_rows=300),
}
SMALL_DATASETS = ["wine", "diabetes", "breast_cancer", "insurance_300"]


def load_split(name, data_dir=DEFAULT_DATA_DIR, seed=0):
    """Read a benchmark table and split it into seeded train and test parts.

    80 % / 20 %, stratified on the target for classification; the training part is then
    subsampled to ``max_train_rows`` (with the same seed) when the dataset sets it. The test
    part is not subsampled.

    Parameters
    ----------
    name : str
        Key of :data:`DATASETS`.
    data_dir : path-like
        Folder holding the CSV files.
    seed : int
        Seed of the split and the subsample.

    Returns
    -------
    train, test : DataFrame
        Both with a fresh RangeIndex.
    """
    spec = DATASETS[name]
    table = _read(name, spec, data_dir)
    stratify = table[spec.target] if spec.task == "classification" else None
    train, test = train_test_split(
        table, test_size=TEST_SIZE, random_state=seed, stratify=stratify
    )
    if spec.max_train_rows is not None and len(train) > spec.max_train_rows:
        train = train.sample(spec.max_train_rows, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _read(name, spec, data_dir):
    """The whole table of one dataset."""
    if spec.file.startswith("sklearn:"):
        loader = getattr(sklearn.datasets, spec.file.removeprefix("sklearn:"))
        table = loader(as_frame=True).frame
        if spec.task == "classification":  # class labels, not quantities
            table[spec.target] = table[spec.target].astype(str)
        return table
    path = Path(data_dir) / spec.file
    if not path.exists():
        raise FileNotFoundError(
            f"Dataset {name!r} expects {path}; pass --data-dir to point at the folder "
            "holding the benchmark CSV files."
        )
    return pd.read_csv(path, encoding=spec.encoding)
