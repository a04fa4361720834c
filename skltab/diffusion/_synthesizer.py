"""MaskedDiffusionSynthesizer: Gaussian diffusion for numbers, masked diffusion for categories."""

import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseSynthesizer, IncrementalMixin
from ..metadata import EncodedTable, TableEncoder
from .._nn._early_stopping import EarlyStopping, split_rows
from .._nn._loop import steps_per_epoch
from .._nn._schedules import Schedule
from ..utils._docstrings import fill_doc
from ..utils._random import block_sizes, draw_seed
from ..utils._torch import import_torch, resolve_device, seeded_torch, torch_generator

__all__ = ["MaskedDiffusionSynthesizer"]

#: ``epochs="auto"``: optimizer steps per cell (row x column) of the training rows, the
#: fewest and most steps, and the most passes over the rows (steps grow with the columns, and
#: on a wide table of a few hundred rows would pass over each row thousands of times).
_STEPS_PER_CELL = 0.3
_MIN_STEPS = 250
_MAX_STEPS = 10_000
_MAX_EPOCHS = 800
#: ``n_iter_no_change="auto"``: patience of at least this many time constants of the weight
#: average (``1 / (1 - ema_decay)`` steps), which the validation loss lags behind.
_PATIENCE_TIME_CONSTANTS = 3
_MIN_PATIENCE = 10
#: Early stopping: rows of the validation loss (the validation rows repeated, each time with
#: other fixed noise, so that the loss is precise enough to compare epochs), and optimizer
#: steps between two validation losses.
_VALIDATION_DRAWS = 1024
_VALIDATION_STEPS = 20
#: Rows sampled (with the full sampler) by each privacy check of early stopping.
_CHECK_ROWS = 256
#: Warm-up of the learning rate in :meth:`fit`: a linear ramp over this share of the steps
#: (at most ``_MAX_WARMUP_STEPS``).
_WARMUP_SHARE = 0.05
_MAX_WARMUP_STEPS = 100
#: Rows drawn from the model after training to learn the quantile matching.
_MATCHING_ROWS = 4096
#: Times per row, and the fixed seed, of the Monte-Carlo bound in :meth:`score`.
_SCORE_TIMES = 16
_SCORE_SEED = 0


@fill_doc
class MaskedDiffusionSynthesizer(IncrementalMixin, BaseSynthesizer):
    """Hybrid diffusion synthesizer: Gaussian diffusion on numbers, masked diffusion on
    categories, one shared denoiser (TabMDM).

    Numeric, integer and datetime columns are mapped to a standard normal marginal by a
    quantile transform (a tied value, such as an integer or a spike at 0, spread over its
    share of probability) and follow a Gaussian diffusion (cosine schedule, noise
    prediction); generated values come back in the real range and precision.
    Categorical, boolean and text columns follow a masked (absorbing-state) diffusion: each
    cell is hidden behind its column's mask token with probability ``t`` and the denoiser
    predicts its code from a learned embedding of the visible cells, without one-hot
    encoding, so columns with thousands of categories stay cheap and stable. Missing values
    are a state of their own: a categorical column's missing code, and for numeric columns a
    learned missing-value indicator, so missing rates and where missing values occur are
    kept. One denoiser (``denoiser``) reads the whole noisy row and the time, and predicts
    the numeric noise (squared-error loss) and every categorical column's logits
    (cross-entropy on masked cells).

    The denoiser is also trained to complete rows in which a random subset of cells is
    known, so :meth:`sample` with ``conditions`` on any columns (numeric or categorical) and
    :meth:`impute` generate the other cells given the known ones (inpainting).

    Read more in the :ref:`User Guide <diffusion>`.

    Parameters
    ----------
    denoiser : {"mlp", "resnet", "transformer"}, default="mlp"
        The shared network: a multilayer perceptron on the flattened column embeddings,
        pre-norm residual blocks, or a small pre-norm transformer over column tokens.
    hidden_dim : int, default=128
        Width of the MLP and ResNet layers; the transformer's feed-forward width. On the
        benchmark tables 128 measured about as good as 256 in a third to two thirds of its
        fit time.
    n_layers : int, default=3
        Hidden layers (MLP), residual blocks (ResNet) or transformer layers.
    embedding_dim : int, default=32
        Size of each column's token (the transformer's model width).
    n_heads : int, default=4
        Attention heads of the transformer; must divide ``embedding_dim``.
    dropout : float, default=0.0
        Dropout rate in the denoiser.
    categorical_loss_weight : float, default=1.0
        Weight of the categorical (cross-entropy) term against the numeric (squared noise
        error) term of the loss.
    epochs : int or "auto", default="auto"
        Most passes over the training rows in :meth:`fit` (early stopping may stop sooner).
        ``"auto"`` derives the budget from the table: ``0.3 * n_rows * n_columns``
        optimizer steps (rows after the validation split, modelled columns), at least 250
        and at most 10,000, as epochs of ``batch_size`` rows, and at most 800 epochs. On a
        few hundred rows this is a few hundred epochs, where a much larger budget starts to
        reproduce training rows; on 30,000 rows of 15 columns, about 95 epochs.
    batch_size : int, default=256
        Rows per optimizer step.
    learning_rate : float, default=2e-3
        Peak learning rate of AdamW.
    weight_decay : float, default=1e-4
        Decoupled weight decay of AdamW.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        Learning rate over :meth:`fit`: a short linear warm-up, then a cosine decay to 0 or a
        constant rate. :meth:`partial_fit` always uses the constant ``learning_rate``.
    ema_decay : float, default=0.995
        Decay of the exponential moving average of the weights; the average samples.
    max_grad_norm : float or None, default=1.0
        Gradients are clipped to this norm; None does not clip.
    early_stopping : bool, default=True
        Whether to hold out ``validation_fraction`` of the rows (never trained on) and stop
        when their loss has not improved for ``n_iter_no_change`` epochs, or when a privacy
        check fails, keeping the best weights (see Notes). A table too small for 10
        validation rows trains the whole budget on every row.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping`` is True.
    n_iter_no_change : int or "auto", default="auto"
        Patience of early stopping, in epochs. ``"auto"``: 10 epochs, and at least
        ``3 / (1 - ema_decay)`` optimizer steps (600 at the default), since the validation
        loss is that of the weight average, which lags the weights.
    privacy_guard : bool, default=True
        Whether :meth:`sample` draws again the rows closer to a real row than 95 % of real
        rows are to their closest other real row (see Notes). It is learned in :meth:`fit`
        from every row given (held-out ones included) and keeps the
        training rows in the fitted model; setting it to False after fitting turns the
        redraws off (the rows stay in the model until the next fit).
    n_sampling_steps : int, default=25
        Steps of the reverse process in :meth:`sample`; fewer is faster (the cost of
        sampling is proportional), more can be a little more faithful.
    unmasking : {"random", "confidence"}, default="random"
        Which masked categorical cells are revealed at each step: a random set, with the
        probability of the masking schedule, or as many cells, those with the most probable
        prediction first.
    temperature : float, default=1.0
        Temperature of the categorical distributions when sampling (below 1 sharper).
    quantile_matching : bool, default=False
        Whether to map each numeric column's sampled marginal onto the real one after
        sampling (a fixed monotone map learned at the end of :meth:`fit` from a reference
        sample of the model; it keeps the order of values and so the model's rank
        dependencies). It brings the marginals closer (lower Wasserstein distance) but may
        move linear correlations where columns have heavy tails; see the benchmarks.
        The map is learned in :meth:`fit`: setting it to False afterwards turns it off,
        setting it to True on a model fitted without it has no effect until the next fit.
    n_quantiles : int, default=1000
        Quantiles of the quantile-normal transform and of the quantile matching.
    device : str, default="auto"
        Torch device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the table when None. A dict may be skltab's
        (``TableMetadata.to_dict``) or SDV's metadata dict.
    random_state : int, RandomState instance or None, default=None
        Seeds the fit (weights, batches, noise) and the :meth:`sample` calls that pass no
        ``random_state``.
    verbose : int, default=0
        0 silent, 1 progress bars, 2 also a log line per epoch (logger
        ``skltab._nn``).

    Attributes
    ----------
    model_ : torch.nn.Module
        The trained denoiser.
    ema_model_ : torch.nn.Module
        Exponential moving average of ``model_``'s weights; it samples and scores.
    device_ : str
        The device ``device`` resolved to.
    encoder_ : TableEncoder
        Map between the table and model space.
    space_ : object
        The quantile-normal transform (it stores ``n_quantiles`` quantiles of each numeric
        column) and the missing-value indicators.
    matcher_ : object or None
        The quantile matching of numeric marginals (None when ``quantile_matching=False``).
    history_ : list of dict
        One dict per epoch: ``epoch``, ``loss``, ``numeric_loss``, ``categorical_loss``,
        ``learning_rate``, ``seconds`` and, with early stopping, ``validation_loss``; the
        epochs of a privacy check add its ``too_close_rate``. The validation loss is
        computed about every 20 optimizer steps (every epoch on larger tables) and after
        the last epoch.
    %(training_attributes)s
    %(privacy_guard_attributes)s
    n_updates_ : int
        Optimizer steps taken.
    %(fit_attributes)s

    See Also
    --------
    skltab.IndependentSynthesizer : Columns drawn independently, the baseline.

    Notes
    -----
    Early stopping and the privacy check: with ``early_stopping=True`` the validation rows
    are never trained on. Their loss (under the weight average, each row repeated with
    other fixed noise up to 1,024 draws, so that epochs compare on more than noise) is
    computed about every 20 optimizer steps. About 10 times over the budget, and when
    training stops, 256 rows are sampled from the weight average with the full sampler and
    compared with the real rows in the distance space of
    :func:`skltab.metrics.privacy_scores`: for each row, its distance to the closest
    training row over its distance to the closest validation row. If more than 15 % of the
    sampled rows (about 5 % expected) have a ratio below the 5th percentile of the training
    rows' own ratios (each without itself), training stops, and the weights kept are the
    best as of the last check that passed. The ratio, unlike the plain distance, does not
    take a model that is still narrower than the data for one that copies.

    The privacy guard learns its threshold in :meth:`fit`, from all the rows given: the 5th
    percentile of each row's distance to the closest other row. :meth:`sample` draws the
    rows closer than that again, up to 5 times, from the same seeded generator, so the rows
    still depend only on the seed and not on ``chunk_size``; the requested number of rows
    is always returned, and rows still too close are kept, counted in
    ``privacy_guard_report_`` and reported by a warning. Conditioned rows are drawn again
    under their conditions. Distances ignore free-text columns. The guard keeps the
    training rows (float32, one value per numeric column, missing indicator and category
    up to 50 per column: about 4 bytes x rows x those columns), so a fitted model, and its
    pickle, contains the training rows: use ``privacy_guard=False`` for a model that
    leaves the premises.

    Randomness: ``fit`` seeds torch's global generators from ``random_state`` inside a
    context that restores them, so the same integer ``random_state`` gives the same model on
    the same machine and thread count. Sampling draws every random number from a CPU
    generator seeded by the block's seed, so ``sample(n, random_state=0)`` is reproducible,
    after a joblib round trip too, and gives the same draws on a GPU (where floating-point
    results may still differ in the last bits).

    References
    ----------
    Kotelnikov et al., "TabDDPM: Modelling Tabular Data with Diffusion Models", ICML 2023.
    Sahoo et al., "Simple and Effective Masked Diffusion Language Models", NeurIPS 2024.
    Kingma et al., "Variational Diffusion Models", NeurIPS 2021.

    Examples
    --------
    >>> from skltab.datasets import load_demo
    >>> from skltab.diffusion import MaskedDiffusionSynthesizer
    >>> real = load_demo(n_samples=200)
    >>> synthesizer = MaskedDiffusionSynthesizer(epochs=2, random_state=0).fit(real)
    >>> synthesizer.sample(5).shape == (5, real.shape[1])
    True
    """

    _parameter_constraints = {
        **BaseSynthesizer._parameter_constraints,
        "denoiser": [StrOptions({"mlp", "resnet", "transformer"})],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "categorical_loss_weight": [Interval(Real, 0, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "privacy_guard": ["boolean"],
        "n_sampling_steps": [Interval(Integral, 1, None, closed="left")],
        "unmasking": [StrOptions({"random", "confidence"})],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "quantile_matching": ["boolean"],
        "n_quantiles": [Interval(Integral, 2, None, closed="left")],
        "device": [str],
    }
    #: The sampler is vectorised over rows; one seed per 4,096 rows keeps it fast.
    _seed_block_size = 4096

    def __init__(
        self,
        *,
        denoiser="mlp",
        hidden_dim=128,
        n_layers=3,
        embedding_dim=32,
        n_heads=4,
        dropout=0.0,
        categorical_loss_weight=1.0,
        epochs="auto",
        batch_size=256,
        learning_rate=2e-3,
        weight_decay=1e-4,
        lr_schedule="cosine",
        ema_decay=0.995,
        max_grad_norm=1.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        privacy_guard=True,
        n_sampling_steps=25,
        unmasking="random",
        temperature=1.0,
        quantile_matching=False,
        n_quantiles=1000,
        device="auto",
        metadata=None,
        random_state=None,
        verbose=0,
    ):
        self.denoiser = denoiser
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.embedding_dim = embedding_dim
        self.n_heads = n_heads
        self.dropout = dropout
        self.categorical_loss_weight = categorical_loss_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.ema_decay = ema_decay
        self.max_grad_norm = max_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.privacy_guard = privacy_guard
        self.n_sampling_steps = n_sampling_steps
        self.unmasking = unmasking
        self.temperature = temperature
        self.quantile_matching = quantile_matching
        self.n_quantiles = n_quantiles
        self.device = device
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ---------------------------------------------------------------------------
    def _fit(self, table, weights):
        rows = self._build(table)
        seed = draw_seed(self.random_state_)
        train, validation = split_rows(len(table), self.validation_fraction,
                                       self.early_stopping, seed)
        epochs = self._n_epochs(len(train), table.shape[1])
        callbacks = []
        if validation is not None:
            callbacks = self._early_stopping_callbacks(
                table, rows, weights, train, validation, epochs, seed)
        self._train(_take(rows, train), weights[train], epochs,
                    self._fit_schedule(epochs, len(train)), seed, callbacks)
        return validation

    def _start(self, table):
        self._build(table)

    def _partial_fit(self, table, weights):
        rows = self.space_.transform(self.encoder_.transform(table))
        self._train(rows, weights, 1, Schedule("constant"), draw_seed(self.random_state_))

    def _build(self, table):
        """Learn the transforms and the privacy guard, build the denoiser; return the
        table's model-space rows."""
        import_torch("MaskedDiffusionSynthesizer")
        self._check_heads()
        from .._privacy_guard import PrivacyGuard
        from ._denoisers import build_denoiser
        from ._space import ModelSpace

        self.device_ = resolve_device(self.device)
        self.encoder_ = TableEncoder(self.metadata_).fit(table)
        encoded = self.encoder_.transform(table)
        seed = draw_seed(self.random_state_)
        self.space_ = ModelSpace(self.n_quantiles).fit(self.encoder_, encoded)
        with seeded_torch(seed):
            model = build_denoiser(
                self.denoiser, self.space_.n_numeric_, self.space_.cardinalities_,
                embedding_dim=self.embedding_dim, hidden_dim=self.hidden_dim,
                n_layers=self.n_layers, n_heads=self.n_heads, dropout=self.dropout,
            )
        self.model_ = model.to(self.device_)
        self.ema_model_ = copy.deepcopy(self.model_).requires_grad_(False).eval()
        self.optimizer_ = None
        self.history_, self.n_iter_, self.n_updates_ = [], 0, 0
        self.privacy_guard_ = (PrivacyGuard().fit(table, None, self.metadata_)
                               if self.privacy_guard else None)
        return self.space_.transform(encoded)

    def _check_heads(self):
        if self.denoiser == "transformer" and self.embedding_dim % self.n_heads:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be a multiple of "
                f"n_heads={self.n_heads} for the transformer denoiser."
            )

    def _steps_per_epoch(self, n_rows):
        return steps_per_epoch(n_rows, self.batch_size)

    def _n_steps(self, n_rows, n_columns):
        """The budget in optimizer steps on ``n_rows`` training rows: ``epochs`` epochs, or
        with ``"auto"`` about ``_STEPS_PER_CELL`` step per cell within the bounds (less than
        one epoch on a table of millions of rows, which a streamed fit can stop within)."""
        steps_per_epoch = self._steps_per_epoch(n_rows)
        if self.epochs != "auto":
            return self.epochs * steps_per_epoch
        steps = min(max(_STEPS_PER_CELL * n_rows * n_columns, _MIN_STEPS), _MAX_STEPS)
        return math.ceil(min(steps, _MAX_EPOCHS * steps_per_epoch))

    def _n_epochs(self, n_rows, n_columns):
        """The epoch budget of :meth:`fit` on ``n_rows`` training rows: the steps of the
        budget rounded up to whole epochs."""
        return math.ceil(self._n_steps(n_rows, n_columns) / self._steps_per_epoch(n_rows))

    def _fit_schedule(self, epochs, n_rows):
        """The learning rate of :meth:`fit`: ``lr_schedule`` after a linear warm-up of
        ``_WARMUP_SHARE`` of the steps (at most ``_MAX_WARMUP_STEPS``)."""
        steps = epochs * self._steps_per_epoch(n_rows)
        warmup = min(_MAX_WARMUP_STEPS, max(1, int(_WARMUP_SHARE * steps)))
        return Schedule(self.lr_schedule, warmup)

    def _validation_every(self, n_rows):
        """Epochs between two validation losses: about ``_VALIDATION_STEPS`` steps."""
        return math.ceil(_VALIDATION_STEPS / self._steps_per_epoch(n_rows))

    def _patience(self, n_rows):
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        steps = _PATIENCE_TIME_CONSTANTS / (1 - self.ema_decay)
        return max(_MIN_PATIENCE, math.ceil(steps / self._steps_per_epoch(n_rows)))

    def _early_stopping_callbacks(self, table, rows, weights, train, validation, epochs, seed):
        """The validation loss of the weight average on the held-out rows (repeated, each
        time with other fixed noise) and early stopping with a privacy check."""
        import torch

        from .._nn._callbacks import ValidationLoss
        from .._privacy_guard import PrivacyGuard
        from ._training import held_out_loss

        draws = np.tile(validation, math.ceil(_VALIDATION_DRAWS / len(validation)))
        held_out = self._tensors(_take(rows, draws))
        held_out_weights = torch.as_tensor(weights[draws], dtype=torch.float32,
                                           device=self.device_)
        guard = PrivacyGuard().fit(table.iloc[train], table.iloc[validation], self.metadata_)

        def validation_loss():
            return held_out_loss(self._process(), self.ema_model_, held_out, held_out_weights,
                                 seed, self.categorical_loss_weight)

        def snapshot():
            return [{k: v.clone() for k, v in model.state_dict().items()}
                    for model in (self.model_, self.ema_model_)]

        def restore(state):
            self.model_.load_state_dict(state[0])
            self.ema_model_.load_state_dict(state[1])

        def privacy_check():
            numeric, codes = self._draw_rows(self._unknown(_CHECK_ROWS),
                                             np.random.RandomState(seed), matching=False)
            return guard.check(self._decode(numeric, codes))

        monitor = EarlyStopping(self._patience(len(train)), epochs, snapshot, restore,
                                None if guard is None else privacy_check)
        return [ValidationLoss(validation_loss, self._validation_every(len(train))), monitor]

    def _train(self, rows, weights, epochs, schedule, seed, callbacks=()):
        """Run the training engine on model-space rows of weights ``weights`` (mean 1) for
        ``epochs`` epochs with the learning rate of ``schedule``, then refresh the quantile
        matching; early stopping, if any, is among ``callbacks``."""
        import torch

        from .._nn._callbacks import ProgressReport, WeightAverage
        from .._nn._loop import LoopSettings, TrainingLoop
        from ._training import DiffusionTask

        settings = LoopSettings(epochs, self.batch_size, self.learning_rate, schedule,
                                self.max_grad_norm)
        generator = torch.Generator().manual_seed(seed)
        task = DiffusionTask(self._process(), self._tensors(rows), generator,
                             self.categorical_loss_weight)
        callbacks = [WeightAverage(self.ema_model_, self.ema_decay), *callbacks,
                     ProgressReport(self.verbose, "MaskedDiffusionSynthesizer.fit")]
        loop = TrainingLoop(self.model_, self._optimizer(), task, callbacks, self.n_updates_)
        with seeded_torch(seed):
            history = loop.run(torch.as_tensor(weights, dtype=torch.float32,
                                               device=self.device_), settings, self.n_iter_)
        self.n_updates_ = loop.n_updates
        self.history_ = self.history_ + history
        self.n_iter_ += len(history)
        monitor = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
        self.stopping_reason_ = "max_epochs" if monitor is None else monitor.reason
        self.best_epoch_ = self.n_iter_ if monitor is None else monitor.best_epoch
        self._fit_matcher(seed)

    def _optimizer(self):
        """``optimizer_`` bound to ``model_``'s parameters (a loaded model holds copies)."""
        from .._nn._optimizer import continued_adamw

        self.optimizer_ = continued_adamw(self.model_.parameters(), self.learning_rate,
                                          self.weight_decay, self.optimizer_)
        return self.optimizer_

    def _fit_matcher(self, seed):
        """Learn the quantile matching from a reference sample of the model."""
        from ._space import MarginalMatcher

        self.matcher_ = None
        if not self.quantile_matching or self.space_.n_numeric_ == 0:
            return
        numeric, codes = self._draw_rows(self._unknown(_MATCHING_ROWS),
                                         np.random.RandomState(seed))
        present = ~np.isnan(self.space_.inverse_transform(numeric, codes).numeric)
        self.matcher_ = MarginalMatcher(self.n_quantiles).fit(numeric, present)

    # -- model-space helpers ---------------------------------------------------------------
    def _process(self):
        from ._process import HybridDiffusion

        space = self.space_
        return HybridDiffusion(space.n_numeric_, space.cardinalities_, space.indicator_of_,
                               space.missing_codes_, self.device_)

    def _tensors(self, rows):
        import torch

        from ._process import Rows

        as_tensor = lambda array, dtype: torch.as_tensor(  # noqa: E731
            array, dtype=dtype, device=self.device_
        )
        return Rows(as_tensor(rows.numeric, torch.float32), as_tensor(rows.present, torch.bool),
                    as_tensor(rows.codes, torch.long), as_tensor(rows.low, torch.float32),
                    as_tensor(rows.high, torch.float32))

    def _placeholder_table(self, n_rows):
        """``n_rows`` rows of valid values (code 0, numbers at 0 clipped to the range)."""
        encoded = EncodedTable(np.zeros((n_rows, self.space_.n_numeric_)),
                               np.zeros((n_rows, self.space_.n_discrete_), dtype=np.int64))
        return self.encoder_.inverse_transform(encoded)

    def _unknown(self, n_rows):
        """Known cells of an unconditional sample: none."""
        from ._space import ModelRows

        space = self.space_
        numeric = np.zeros((n_rows, space.n_numeric_), dtype=np.float32)
        rows = ModelRows(numeric, np.ones(numeric.shape, dtype=bool),
                         np.zeros((n_rows, space.n_categorical_), dtype=np.int64),
                         numeric + 0.5, numeric + 0.5)
        return _KnownCells(rows, np.zeros(rows.numeric.shape, dtype=bool),
                           np.zeros(rows.codes.shape, dtype=bool),
                           np.zeros(rows.codes.shape, dtype=bool))

    def _known_from_conditions(self, conditions, n_rows):
        """Known cells of a conditioned sample: every cell of the conditioned columns."""
        if conditions is None:
            return self._unknown(n_rows)
        frame = self._placeholder_table(n_rows)
        for name in conditions.columns:
            frame[name] = conditions[name].to_numpy()
        rows = self.space_.transform(self.encoder_.transform(frame))
        numeric, codes = self._column_masks(lambda name: name in conditions.columns, n_rows)
        return _KnownCells(rows, numeric & rows.present, codes, np.zeros(codes.shape, bool))

    def _column_masks(self, mask_of, n_rows):
        """Numeric and categorical masks of model space from ``mask_of(column name)``.

        A missing-value indicator takes the mask of its numeric column.
        """
        numeric_names = self.encoder_.numeric_columns_
        numeric = np.zeros((n_rows, len(numeric_names)), dtype=bool)
        for j, name in enumerate(numeric_names):
            numeric[:, j] = mask_of(name)
        names = self.encoder_.discrete_columns_ + [
            numeric_names[j] for j in self.space_.indicator_of_
        ]
        codes = np.zeros((n_rows, len(names)), dtype=bool)
        for k, name in enumerate(names):
            codes[:, k] = mask_of(name)
        return numeric, codes

    def _draw_rows(self, known, random_state, matching=True):
        """Sample model-space rows given the known cells; return quantile-normal values and
        codes as NumPy arrays (after the quantile matching, if any and ``matching``)."""
        import torch

        from ._process import Known

        generator = torch_generator(random_state)
        tensors = self._tensors(known.rows)
        as_mask = lambda mask: torch.as_tensor(mask, device=self.device_)  # noqa: E731
        with torch.inference_mode():
            numeric, codes = self._process().sample(
                self.ema_model_,
                Known(tensors, as_mask(known.numeric), as_mask(known.codes),
                      as_mask(known.forbid_missing)),
                n_steps=self.n_sampling_steps, temperature=self.temperature,
                unmasking=self.unmasking, generator=generator,
            )
        numeric, codes = numeric.cpu().numpy(), codes.cpu().numpy()
        if matching and self.quantile_matching and self.matcher_ is not None:
            numeric = self.matcher_.transform(numeric, ~known.numeric)
        return numeric, codes

    def _decode(self, numeric, codes):
        return self.encoder_.inverse_transform(self.space_.inverse_transform(numeric, codes))

    # -- sampling --------------------------------------------------------------------------
    def _sample(self, n_samples, conditions, random_state):
        known = self._known_from_conditions(conditions, n_samples)
        return self._decode(*self._draw_rows(known, random_state))

    def impute(self, X, y=None, *, columns=None, random_state=None):
        """Fill the missing cells of ``X`` with values drawn given the rest of each row.

        Each row is completed by the same inpainting as conditional sampling: its present
        cells are known and its missing cells are generated, never as missing. Present cells
        are returned unchanged. Rows are processed in seeded blocks, like :meth:`sample`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns and missing values to fill; a column may be
            missing in every row.
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was fitted with one (its missing cells are filled
            too; it may be missing in every row).
        columns : list of str, default=None
            Columns whose missing cells are filled; None fills every column. In the other
            columns a missing cell is kept and read as a known missing value (which the real
            table must have had in that column), like a missing value in ``conditions``.
        random_state : int, RandomState instance or None, default=None
            Seed of this call; when None, draws from ``random_state_`` like :meth:`sample`.

        Returns
        -------
        completed : DataFrame, ndarray or tuple (X, y)
            What :meth:`sample` returns, with the rows of ``X``.
        """
        table = self._check_scoring_table(X, y, allow_missing_columns=True)
        modelled = self.modelled_columns_
        to_fill = self._cells_to_fill(table[modelled], columns)
        filled = table[modelled].copy()
        placeholder = self._placeholder_table(len(table))
        for name in modelled:
            if to_fill[name].any():
                filled[name] = filled[name].where(~to_fill[name], placeholder[name])
        rows = self.space_.transform(self.encoder_.transform(filled))
        known_numeric, known_codes = self._column_masks(
            lambda name: ~to_fill[name].to_numpy(), len(table)
        )
        known_numeric &= rows.present
        known_codes[:, self.space_.n_discrete_:] = True
        known = _KnownCells(rows, known_numeric, known_codes, ~known_codes)
        rng = self.random_state_ if random_state is None else check_random_state(random_state)
        blocks, start = [], 0
        for size in block_sizes(len(table), self._seed_block_size):
            block = known.take(slice(start, start + size))
            blocks.append(self._draw_rows(block, np.random.RandomState(draw_seed(rng))))
            start += size
        generated = self._decode(np.concatenate([b[0] for b in blocks]),
                                 np.concatenate([b[1] for b in blocks]))
        completed = table.copy()
        for name in modelled:
            generated_column = generated[name].set_axis(table.index)
            completed[name] = table[name].where(~to_fill[name], generated_column)
        return self._to_output(self.metadata_.cast(completed))

    def _cells_to_fill(self, table, columns):
        """The missing cells of the columns to fill (all columns when ``columns`` is None)."""
        missing = table.isna()
        if columns is None:
            return missing
        unknown = [name for name in columns if name not in table.columns]
        if unknown:
            raise ValueError(f"impute: columns {unknown} are not modelled columns of the "
                             f"fitted table {list(table.columns)}.")
        missing.loc[:, ~missing.columns.isin(list(columns))] = False
        return missing

    # -- scoring ---------------------------------------------------------------------------
    def score_samples(self, X, y=None):
        """Negative diffusion loss bound of each row of ``X`` (in nats); :meth:`score` is
        its mean.

        For each row, a Monte-Carlo estimate (16 stratified times and draws, the same for
        every row, from a fixed seed, so a row's score is deterministic and does not depend
        on the other rows) of the variational bound of the hybrid diffusion: the masked
        diffusion bound ``E_t[(1/t) sum of cross-entropies of masked cells]`` of the
        categorical cells (an upper bound of their negative log-likelihood), plus the
        continuous-time Gaussian diffusion term ``E_t[-lambda'(t)/2 * squared noise error]``
        of the numeric cells in quantile-normal space (the prior and reconstruction terms of
        the bound do not depend on the denoiser and are left out). Greater is better; compare
        scores of this class on the same table and columns, not with other synthesizers'
        log-likelihoods. A category never seen in fit counts as probability 1e-12.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns.
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was fitted with one.

        Returns
        -------
        scores : ndarray of shape (n_rows,)
            Negative bound of each row (greater is better).
        """
        import torch

        table = self._check_scoring_table(X, y)
        rows = self._tensors(self.space_.transform(
            self.encoder_.transform(table, unknown="mark")
        ))
        process = self._process()
        bounds = []
        with torch.inference_mode():
            for index in torch.arange(len(rows)).split(self._seed_block_size):
                batch = rows.take(index.to(self.device_))
                generator = torch.Generator().manual_seed(_SCORE_SEED)
                bounds.append(process.variational_bound(self.ema_model_, batch, generator,
                                                        _SCORE_TIMES))
        return -torch.cat(bounds).cpu().numpy().astype(float)

    @classmethod
    def _get_test_params(cls):
        return {"hidden_dim": 32, "n_layers": 1, "embedding_dim": 4, "n_heads": 1, "epochs": 2,
                "batch_size": 64, "n_sampling_steps": 4, "quantile_matching": True}


class _KnownCells:
    """Known cells of rows to sample, in model space (NumPy arrays; see ``Known``)."""

    def __init__(self, rows, numeric, codes, forbid_missing):
        self.rows = rows
        self.numeric = numeric
        self.codes = codes
        self.forbid_missing = forbid_missing

    def take(self, index):
        """The rows at ``index``."""
        return _KnownCells(_take(self.rows, index), self.numeric[index], self.codes[index],
                           self.forbid_missing[index])


def _take(rows, index):
    """The rows at ``index`` of a ``ModelRows``."""
    return type(rows)(*(array[index] for array in rows))
