"""Real and synthetic tables checked against each other and encoded once for every metric."""

import logging
from functools import cached_property
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..metadata import TableEncoder, TableMetadata, from_sdv_dict, infer_metadata
from ..metadata._column import NUMERIC_KINDS
from ..metadata._infer import numeric_values
from ..utils._random import draw_seed
from ..utils._validation import check_table
from ._space import FeatureSpace

logger = logging.getLogger(__name__)

#: Kinds compared by their category frequencies. Free text is compared only by missing rate
#: and exact copies, and ID columns (regenerated, not modelled) not at all.
CATEGORICAL_KINDS = ("categorical", "boolean")


class TablePair:
    """A real table and a synthetic one (and optionally the training table), ready to compare.

    The tables are checked to have the same columns, the metadata is resolved (inferred from the
    real rows when not given), and every table is encoded with one :class:`TableEncoder` fitted
    on the real rows. In the encoding, each discrete column of ``K`` real categories has the
    code ``K`` for a missing value and ``K + 1`` for any value the real rows never hold.

    Parameters
    ----------
    real : DataFrame
        The real table the synthetic one is compared with (held-out rows in an evaluation).
    synthetic : DataFrame
        The synthetic table, with the same columns.
    train : DataFrame, default=None
        The real rows the synthesizer was fitted on, for privacy and train-on-real metrics.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the real rows (``real`` and ``train``) when None.
    random_state : int, RandomState instance or None, default=0
        Seed of subsampling and of the models that some metrics train.

    Attributes
    ----------
    tables : dict of str to DataFrame
        ``"real"``, ``"synthetic"`` and, if given, ``"train"``, columns in real order.
    metadata : TableMetadata
        Metadata of every column of the tables.
    encoder : TableEncoder
        The encoder of the compared (non-ID) columns.
    seed : int
        ``random_state`` when it is an int, else an int drawn from it.
    notes : list of str
        What the metrics had to do, such as subsampling, in words.
    """

    def __init__(self, real, synthetic, *, train=None, metadata=None, random_state=0):
        check_table(real, name="real")
        self.tables = {"real": real.reset_index(drop=True)}
        self.tables["synthetic"] = _aligned(synthetic, real, "synthetic")
        if train is not None:
            self.tables["train"] = _aligned(train, real, "train")
        reference = self.real_rows
        self.metadata = resolve_metadata(metadata, reference)
        compared = [c.name for c in self.metadata if c.kind != "id"]
        if not compared:
            raise ValueError("Every column is an ID column; there is nothing to compare.")
        self.encoder = TableEncoder(_metric_metadata(self.metadata, compared)).fit(reference)
        self.seed = (int(random_state) if isinstance(random_state, Integral)
                     else draw_seed(check_random_state(random_state)))
        self.notes = []
        self._encoded = {}

    @cached_property
    def real_rows(self):
        """All real rows: ``real`` followed by ``train`` when given."""
        if "train" not in self.tables:
            return self.tables["real"]
        return pd.concat([self.tables["real"], self.tables["train"]], ignore_index=True)

    @cached_property
    def space(self):
        """The :class:`FeatureSpace` of every numeric and categorical column."""
        return FeatureSpace(self)

    def encoded(self, name):
        """The table ``name`` (``"real"``, ``"synthetic"``, ``"train"``) as an
        :class:`~skltab.metadata.EncodedTable`, encoded once."""
        if name not in self._encoded:
            self._encoded[name] = self._encode(self.tables[name], name)
        return self._encoded[name]

    def _encode(self, table, name):
        return encode_compared(self.encoder, table, name)

    def columns_of_kind(self, *kinds):
        """Compared columns whose kind is one of ``kinds``, in table order."""
        return [name for name in self.encoder.columns_ if self.metadata[name].kind in kinds]

    @property
    def numeric_columns(self):
        """Compared continuous, integer and datetime columns."""
        return self.columns_of_kind(*NUMERIC_KINDS)

    @property
    def categorical_columns(self):
        """Compared categorical and boolean columns."""
        return self.columns_of_kind(*CATEGORICAL_KINDS)

    def n_states(self, name):
        """Number of codes of discrete column ``name``: categories, missing, unseen."""
        return len(self.encoder.categories_[name]) + 2

    def subsample(self, table, n_rows, purpose, *, total=None):
        """Indices of at most ``n_rows`` of the ``total`` rows of ``table`` (all its rows when
        None), drawn with the pair's seed. A subsample is recorded in :attr:`notes`."""
        total = len(self.tables[table]) if total is None else total
        if n_rows >= total:
            return np.arange(total)
        note = (f"{purpose}: {table} subsampled from {total} to {n_rows} rows "
                f"(seed {self.seed}).")
        if note not in self.notes:
            self.notes.append(note)
            logger.info(note)
        rows = np.random.RandomState(self.seed).choice(total, size=n_rows, replace=False)
        return np.sort(rows)


def encode_compared(encoder, table, name):
    """Encode ``table`` with a pair's ``encoder``, as :meth:`TablePair.encoded` does: a value
    the real rows never hold gets its column's unseen code; errors name ``name``."""
    try:
        encoded = encoder.transform(table, unknown="mark")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {_failing_column(encoder, table)}{exc}") from exc
    unseen = np.array([len(encoder.categories_[c]) + 1 for c in encoder.discrete_columns_],
                      dtype=np.int64)
    discrete = np.where(encoded.discrete < 0, unseen, encoded.discrete)
    return encoded._replace(discrete=discrete)


def resolve_metadata(metadata, reference):
    """Return the metadata of ``reference``'s columns: ``metadata`` or inferred from it.

    Parameters
    ----------
    metadata : TableMetadata, dict or None
        skltab metadata, its dict form (``TableMetadata.to_dict``), SDV's metadata dict, or
        None to infer it.
    reference : DataFrame
        The real table.

    Returns
    -------
    TableMetadata
    """
    if metadata is None:
        return infer_metadata(reference)
    if isinstance(metadata, dict):
        metadata = (TableMetadata.from_dict(metadata) if "format_version" in metadata
                    else from_sdv_dict(metadata, reference))
    if not isinstance(metadata, TableMetadata):
        raise TypeError(f"metadata must be a TableMetadata, a dict or None; got "
                        f"{type(metadata).__name__}.")
    missing = [name for name in reference.columns if name not in metadata]
    if missing:
        raise ValueError(f"metadata describes no column {missing}; it must cover every column "
                         "of the real table.")
    return metadata.select(list(reference.columns))


def _aligned(table, real, name):
    """Return ``table`` with the columns of ``real`` in real order, or raise naming the gap."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(table).__name__}.")
    if len(table) == 0:
        raise ValueError(f"{name} is empty: it has 0 rows; at least one row is required.")
    if table.columns.duplicated().any():
        raise ValueError(f"{name} has duplicate column names: "
                         f"{sorted(set(table.columns[table.columns.duplicated()]))}.")
    missing = [c for c in real.columns if c not in table.columns]
    extra = [c for c in table.columns if c not in real.columns]
    if missing or extra:
        raise ValueError(f"The columns of {name} do not match the real table: missing {missing}, "
                         f"unexpected {extra}.")
    return table[list(real.columns)].reset_index(drop=True)


def _metric_metadata(metadata, columns):
    """Metadata of ``columns`` under which any table encodes: every column may be missing and
    discrete codes follow the real values, whatever categories a synthesizer recorded."""
    compared = metadata.select(columns)
    for name in columns:
        compared.update_column(name, nullable=True, categories=None)
    return compared


def _failing_column(encoder, table):
    """Name the numeric column that cannot be read as numbers, for the error message."""
    for name in encoder.numeric_columns_:
        try:
            numeric_values(table[name], encoder.metadata[name])
        except (TypeError, ValueError):
            return f"column {name!r} cannot be read as a {encoder.metadata[name].kind} column: "
    return ""
