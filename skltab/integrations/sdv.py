"""SDV's single-table synthesizers behind skltab's synthesizer contract.

SDV (the Synthetic Data Vault) carries the Business Source License 1.1, so it is an optional
extra: this module imports without it, and SDV is imported when a model is fitted.
"""

import contextlib
import io
import logging
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseSynthesizer
from ..metadata import to_sdv_dict
from ..metadata._dtypes import datetime_to_number
from ..utils._docstrings import fill_doc
from ..utils._optional import import_optional
from ..utils._random import draw_seed

__all__ = ["SDVSynthesizer"]

logger = logging.getLogger(__name__)

#: SDV class of each ``model`` name.
_SDV_CLASSES = {
    "gaussian_copula": "GaussianCopulaSynthesizer",
    "ctgan": "CTGANSynthesizer",
    "tvae": "TVAESynthesizer",
    "copulagan": "CopulaGANSynthesizer",
}
#: Models trained by gradient descent, which take ``epochs`` and ``batch_size``.
_NEURAL_MODELS = ("ctgan", "tvae", "copulagan")
#: Models whose discriminator packs ``pac=10`` rows, so the batch size must be a multiple of 10.
_PACKED_MODELS = ("ctgan", "copulagan")
_PAC = 10
_TABLE_NAME = "table"
_RANDOMIZED_METHODS = ("transform", "reverse_transform")


@fill_doc
class SDVSynthesizer(BaseSynthesizer):
    """Run one of SDV's single-table synthesizers as a skltab synthesizer.

    The adapter gives SDV's GaussianCopula, CTGAN, TVAE and CopulaGAN synthesizers what skltab
    synthesizers have: scikit-learn parameters (``clone``, ``get_params``, grid search), output
    with the input's container, columns, dtypes and categories, regenerated ID columns,
    seeded and reproducible ``sample`` calls, ``conditions``, and joblib persistence.
    It needs the ``sdv`` extra (``pip install "skltab[sdv]"``), which carries the Business
    Source License 1.1.

    SDV sees the table without its ID columns, with the kinds of :attr:`metadata_` as sdtypes.
    Datetime columns reach SDV as numbers of their ``datetime_unit`` since 1970, which is what
    SDV's own datetime transformer models, so time zones and string formats are restored by
    skltab. Text columns (kind ``"text"``) get SDV's stand-in text (Faker sentences), not text
    learned from the table. Training runs on the CPU.

    Randomness: ``fit`` seeds NumPy's and torch's global generators from ``random_state``
    (inside a context that restores them afterwards), so fitting twice with the same integer
    ``random_state`` on the same machine gives the same model. Each seeded block of
    :meth:`sample` seeds the SDV model's generators and those of SDV's column transformers
    (missing values, category values), so ``sample(n, random_state=0)`` is reproducible,
    also after a joblib round trip, and blocks are independent. Not covered: CTGAN and TVAE
    fits may differ across machines, thread counts and torch versions (floating-point
    reduction order).

    Parameters
    ----------
    model : {"gaussian_copula", "ctgan", "tvae", "copulagan"}, default="gaussian_copula"
        SDV synthesizer to run: ``GaussianCopulaSynthesizer``, ``CTGANSynthesizer``,
        ``TVAESynthesizer`` or ``CopulaGANSynthesizer``.
    epochs : int, default=None
        Training epochs of the neural models; None keeps SDV's default (300). Ignored by
        ``"gaussian_copula"``.
    batch_size : int, default=None
        Training batch size of the neural models; None keeps SDV's default (500). CTGAN and
        CopulaGAN need a multiple of 10. Ignored by ``"gaussian_copula"``.
    enforce_min_max_values : bool, default=True
        Whether SDV clips numeric values to the real range.
    enforce_rounding : bool, default=True
        Whether SDV rounds numbers to the real precision. skltab's output rounds integer
        columns, and continuous columns with recorded ``decimals``, in any case.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the table when None. A dict may be skltab's
        (``TableMetadata.to_dict``) or SDV's metadata dict.
    random_state : int, RandomState instance or None, default=None
        Seeds ``fit`` and the :meth:`sample` calls that pass no ``random_state``.
    verbose : int, default=0
        0 silent; 1 skltab's and SDV's progress bars and the neural models' training losses.

    Attributes
    ----------
    sdv_synthesizer_ : sdv.single_table.BaseSingleTableSynthesizer
        The fitted SDV synthesizer.
    %(fit_attributes)s

    See Also
    --------
    skltab.IndependentSynthesizer : The baseline that ignores relations between columns.

    Notes
    -----
    ``conditions`` go to SDV's ``sample_remaining_columns``. GaussianCopula conditions
    natively; the neural models draw rows and keep those that match (reject sampling), which
    can fail for rare values or for continuous columns: :meth:`sample` then raises a
    ValueError rather than return rows that do not follow the model.

    Examples
    --------
    >>> from skltab.datasets import load_demo
    >>> from skltab.integrations.sdv import SDVSynthesizer
    >>> real = load_demo()
    >>> synthesizer = SDVSynthesizer("gaussian_copula", random_state=0).fit(real)
    >>> synthesizer.sample(5).shape == (5, real.shape[1])
    True
    """

    _parameter_constraints = {
        **BaseSynthesizer._parameter_constraints,
        "model": [StrOptions(set(_SDV_CLASSES))],
        "epochs": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "enforce_min_max_values": ["boolean"],
        "enforce_rounding": ["boolean"],
    }

    def __init__(
        self,
        model="gaussian_copula",
        *,
        epochs=None,
        batch_size=None,
        enforce_min_max_values=True,
        enforce_rounding=True,
        metadata=None,
        random_state=None,
        verbose=0,
    ):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.enforce_min_max_values = enforce_min_max_values
        self.enforce_rounding = enforce_rounding
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, table):
        self._check_batch_size()
        single_table = import_optional("sdv.single_table", purpose="SDV synthesizers")
        sdv_metadata = import_optional("sdv.metadata", purpose="SDV synthesizers")
        metadata = self.metadata_.select(list(table.columns))
        synthesizer_class = getattr(single_table, _SDV_CLASSES[self.model])
        self.sdv_synthesizer_ = synthesizer_class(
            sdv_metadata.Metadata.load_from_dict(_sdv_dict(metadata)), **self._sdv_params()
        )
        logger.info("Fitting SDV %s on %d rows.", synthesizer_class.__name__, len(table))
        with _seeded_globals(draw_seed(self.random_state_)):
            self.sdv_synthesizer_.fit({_TABLE_NAME: _to_sdv_frame(table, metadata)})

    def _check_batch_size(self):
        if self.model in _PACKED_MODELS and self.batch_size is not None:
            if self.batch_size % _PAC:
                raise ValueError(
                    f"batch_size={self.batch_size} is not a multiple of {_PAC}, which "
                    f"model={self.model!r} needs (its discriminator packs {_PAC} rows)."
                )

    def _sdv_params(self):
        params = {
            "enforce_min_max_values": self.enforce_min_max_values,
            "enforce_rounding": self.enforce_rounding,
        }
        if self.model not in _NEURAL_MODELS:
            return params
        params.update(verbose=self.verbose >= 1, enable_gpu=False)
        if self.epochs is not None:
            params["epochs"] = self.epochs
        if self.batch_size is not None:
            params["batch_size"] = self.batch_size
        return params

    def _sample(self, n_samples, conditions, random_state):
        synthesizer = self.sdv_synthesizer_
        with _seeded_globals(draw_seed(random_state)):
            _seed_synthesizer(synthesizer, random_state)
            if conditions is None:
                sampled = synthesizer.sample(n_samples)
            else:
                sampled = self._sample_conditioned(conditions)
        return sampled[_TABLE_NAME].reset_index(drop=True)

    def _sample_conditioned(self, conditions):
        metadata = self.metadata_.select(list(conditions.columns))
        known = _to_sdv_frame(conditions, metadata)
        # SDV always shows a progress bar here; it is kept off stderr unless verbose >= 1.
        quiet = contextlib.redirect_stderr(io.StringIO()) if self.verbose < 1 else None
        try:
            with quiet or contextlib.nullcontext():
                sampled = self.sdv_synthesizer_.sample_remaining_columns(known)
        except ValueError as exc:
            raise ValueError(_condition_failure(self.model, 0, len(known))) from exc
        n_drawn = len(sampled[_TABLE_NAME])
        if n_drawn < len(known):
            raise ValueError(_condition_failure(self.model, n_drawn, len(known)))
        return sampled

    @classmethod
    def _get_test_params(cls):
        return {"model": "gaussian_copula"}


def _condition_failure(model, n_drawn, n_asked):
    return (
        f"SDV's {model!r} model matched only {n_drawn} of the {n_asked} conditioned rows "
        "asked for. Only 'gaussian_copula' conditions natively; the neural models draw rows "
        "and keep those that match, which fails for rare values and continuous columns. "
        "Condition on fewer or more frequent values, or use model='gaussian_copula'."
    )


def _sdv_dict(metadata):
    """SDV metadata of ``metadata``'s columns, with datetime columns as numbers."""
    sdv_dict = to_sdv_dict(metadata, table_name=_TABLE_NAME)
    columns = sdv_dict["tables"][_TABLE_NAME]["columns"]
    for name in metadata.columns_of_kind("datetime"):
        columns[name] = {"sdtype": "numerical"}
    return sdv_dict


def _to_sdv_frame(table, metadata):
    """Return ``table`` in the plain value types SDV handles, one column per metadata entry.

    Numbers become float (nullable integers included), datetimes become float steps of their
    ``datetime_unit`` since 1970, booleans without missing values stay bool, and other columns
    become object columns with NaN for missing values (SDV's transformers warn on pandas
    categoricals and on object columns of booleans).
    """
    frame = {}
    for column in metadata:
        values = table[column.name]
        if column.kind in ("continuous", "integer"):
            frame[column.name] = pd.to_numeric(values).astype(float)
        elif column.kind == "datetime":
            frame[column.name] = datetime_to_number(values, column)
        elif column.kind == "boolean" and values.notna().all():
            frame[column.name] = values.astype(bool)
        else:
            frame[column.name] = values.astype(object).where(values.notna(), np.nan)
    return pd.DataFrame(frame, index=table.index)


def _seed_synthesizer(synthesizer, random_state):
    """Seed the SDV model and each of SDV's column transformers from ``random_state``.

    SDV keeps generators of its own, which it swaps into NumPy's and torch's global state while
    it samples: the model's, one per transformer and method (missing values, the value drawn
    inside a category's interval), and a Faker instance per text column. Each gets its own
    seed, so columns stay independent.
    """
    synthesizer._set_random_state(draw_seed(random_state))
    transformers = synthesizer._data_processor._hyper_transformer.field_transformers
    for name in sorted(transformers, key=str):
        transformer = transformers[name]
        if transformer is None:
            continue
        for method in _RANDOMIZED_METHODS:
            transformer.set_random_state(np.random.RandomState(draw_seed(random_state)), method)
        faker = getattr(transformer, "faker", None)  # the text of SDV's "text" sdtype
        if faker is not None:
            faker.seed_instance(draw_seed(random_state))


@contextlib.contextmanager
def _seeded_globals(seed):
    """Seed NumPy's and torch's global generators, and restore their states on exit."""
    import torch

    numpy_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
