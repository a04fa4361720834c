"""PredLLMSynthesizer: a causal language model fine-tuned on rows written as text (Pred-LLM)."""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import BaseSynthesizer, IncrementalMixin
from .._nn._early_stopping import EarlyStopping, split_rows
from .._nn._loop import steps_per_epoch
from .._nn._schedules import Schedule
from ..utils._docstrings import fill_doc
from ..utils._random import draw_seed
from ..utils._torch import import_torch, resolve_device, seeded_torch
from ._codec import MISSING, RowCodec
from ._model import FieldLayout

__all__ = ["PredLLMSynthesizer"]

#: Probability given to a value the model cannot write (unseen category, out of range), in
#: :meth:`PredLLMSynthesizer.score`.
_FLOOR = 1e-12
#: Learning rates of ``learning_rate="auto"``.
_SCRATCH_LEARNING_RATE = 2e-3
_PRETRAINED_LEARNING_RATE = 5e-5
#: Kinds of targets whose label is queried among the real labels.
_LABEL_KINDS = ("categorical", "boolean")
#: Kinds of columns ``row_format="fields"`` writes (numbers binned or of few values).
_FIELD_KINDS = ("categorical", "boolean", "continuous", "integer")
#: ``epochs="auto"``: training tokens of the budget where an epoch has at most
#: ``_FULL_BUDGET_EPOCH_TOKENS`` tokens (beyond, the budget falls with the square root of an
#: epoch's tokens), and the fewest and most epochs.
_TOKEN_BUDGET = 6_000_000
_FULL_BUDGET_EPOCH_TOKENS = 100_000
_MIN_EPOCHS = 10
_MAX_EPOCHS = 400
#: Rows written as fields: each field counts as the three tokens it takes in text (name,
#: value, separator), and at most this many epochs, as the model learns them in fewer passes
#: (on wine and diabetes its held-out loss was lowest after about 50 epochs, against about
#: 180 for the text).
_TOKENS_PER_FIELD = 3
_MAX_FIELD_EPOCHS = 100
#: ``n_iter_no_change="auto"``: patience of at least this share of the epoch budget, this many
#: epochs and this many validation losses.
_PATIENCE_SHARE = 0.1
_MIN_PATIENCE = 3
_PATIENCE_VALIDATIONS = 3
#: Early stopping: held-out rows are written in several column orders up to this many
#: sequences, and evaluated about as often as costs this share of the training.
_VALIDATION_SEQUENCES = 256
_VALIDATION_COST = 0.1
#: Significant digits of a number that count in the validation loss.
_VALIDATION_DIGITS = 2
_NUMBER_KINDS = ("continuous", "integer")
#: Rows sampled by each privacy check of early stopping.
_CHECK_ROWS = 256
#: ``n_sampling_orders``: column orders compared, and held-out rows they are compared on.
_CANDIDATE_ORDERS = 16
_ORDER_ROWS = 256
#: The values of ``permutation`` that write every training and sampled row in one order.
_ONE_ORDER = ("fixed", "none")
#: ``permutation="mixed"``: share of the training rows written in the one order of ``fit``.
_ANCHOR_SHARE = 0.5
#: ``permutation="auto"``: tables of at least this many rows are fitted with ``"mixed"``
#: (over three seeds it kept more dependencies than random orders on three of the four
#: tables of 142 to 455 rows, as many within the seeds' spread on the fourth, more on the
#: larger ones; see docs/benchmarks.md), smaller ones, unmeasured, with ``"features"``.
_MIXED_MIN_ROWS = 100
#: ``row_format="auto"``: rows are written as fields on tables of at least this many rows (on
#: adult, bank and abalone, 3,341 to 5,000 rows, they measured as close to the real rows as
#: text in a third to three fifths of the fit time; breast cancer's 455 rows were told apart
#: from real rows more easily and insurance's 1,070 lost utility; see docs/benchmarks.md),
#: as text on smaller ones.
_FIELDS_MIN_ROWS = 2_000
#: Gradients are clipped to this norm.
_MAX_GRAD_NORM = 1.0


@fill_doc
class PredLLMSynthesizer(IncrementalMixin, BaseSynthesizer):
    """Fine-tune a causal language model on rows written as text, then sample valid rows.

    Each row is written as ``"age is q21, workclass is State-gov, ..., income is <=50K"``
    (many-valued numbers as the labels of their quantile bins, or in digits, see
    ``n_bins`` and :ref:`the user guide <predllm>`), or, for a model built from scratch on
    columns of finitely many values, as *fields*: one token per column, the value's text,
    with its column and the next column as the token's type and position (``row_format``).
    A GPT-2-class model learns the sequences. This is Pred-LLM (Nguyen et al., 2024): the
    features are permuted while the target stays last, so the target always attends to
    every feature; sampling starts from one feature drawn from its real marginal; and the
    label is queried from the model given the generated features.

    Sampling is *constrained*: the sampler writes column names and separators itself and
    the model only chooses value tokens that keep the value valid (categories through a
    prefix tree of the real categories, numbers digit by digit inside the real range and
    precision, datetimes inside the range and the calendar), so every row parses and no
    row is rejected. Rows are generated in batches with the model's key-value cache.

    Read more in the :ref:`User Guide <predllm>`.

    Parameters
    ----------
    model_name_or_path : str or None, default=None
        None builds a GPT-2 from scratch (``model_config``) with a byte-level BPE tokenizer
        trained on the rows, which needs no download. A local folder (written by
        ``save_pretrained``) or a Hugging Face hub name loads a pretrained causal language
        model and its fast tokenizer.
    model_config : dict or None, default=None
        Architecture of the model built from scratch: ``n_layer`` (default 3), ``n_embd``
        (96), ``n_head`` (4), ``vocab_size`` (largest tokenizer vocabulary, 2048) and
        ``dropout`` (0.0; on the embeddings and the residual connections, never on the
        attention weights, so that PyTorch's fused attention kernel trains the model). Only
        with ``model_name_or_path=None``. Early stopping and its privacy checks, not
        dropout, keep the model from learning rows by heart: dropout 0.1 measured worse
        dependencies, up to train-on-synthetic 0.76 against 0.88 (see the user guide).
    lora_r : int or None, default=None
        Rank of LoRA adapters (peft); None fine-tunes every weight.
    lora_alpha : float, default=16
        LoRA scaling numerator (updates are scaled by ``lora_alpha / lora_r``).
    lora_dropout : float, default=0.0
        Dropout on the LoRA adapters' input.
    lora_target_modules : list of str or None, default=None
        Modules that get adapters; None takes peft's default for the architecture.
    merge_lora : bool, default=True
        Whether to fold the adapters into the weights after training (faster sampling, a
        plain model in ``model_``).
    permutation : {"auto", "features", "all", "fixed", "mixed", "none"}, default="auto"
        Column order of the training rows: the features in a random order with the target
        last (Pred-LLM), every column in a random order (GReaT), one order drawn at
        :meth:`fit` for every row (the features in a random order, the target last), that
        one order for half of the rows (drawn anew at every epoch) and random orders as
        ``"features"`` for the others, or the table's order. ``"auto"`` is ``"mixed"`` on
        tables of at least 100 rows and ``"features"`` on smaller ones. Without ``y``,
        "features" and "all" are the same. With one order ("mixed", "fixed", "none") every
        sampled row is written in it, and the model learns that way of writing a row
        better than it learns every way: fitted without ``y``, "mixed" measured a
        train-on-synthetic over train-on-real ratio of 0.98 on bank and 0.93 on abalone,
        where random orders measured 0.76 and 0.88; on tables of 142 to 455 rows its
        association error was lower than random orders' on three of four over three
        seeds (see the user guide).
    n_bins : int, "auto" or None, default="auto"
        How many-valued numbers are written. An int writes each value of a continuous or
        integer column with more distinct values than ``n_bins`` as the label of its
        quantile bin (``"q0"`` to ``"q{n_bins - 1}"``, bins of equal real frequency), one
        token the model learns like a category; a sampled label becomes a number drawn from
        the real column's distribution within the bin. None writes every number in digits,
        with the column's precision, as the paper does. ``"auto"``: one bin per 16 rows
        given to :meth:`fit`, 8 to 64, for a model built from scratch (a few hundred rows
        do not teach such a model how the digits of columns depend on each other, nor
        how the labels of many narrow bins do); None for a pretrained model, which knows
        numbers written in digits.
    row_format : {"auto", "fields", "text"}, default="auto"
        How a row is written as tokens. ``"text"`` writes ``name is value`` fields joined by
        commas. ``"fields"`` writes one token per column, its value's text, without names
        or separators (the token's column and the column written next are given to the
        model as the token's type and position ids): a third of the tokens, so training
        and sampling pass a third of the tokens through the model. It needs a model built
        from scratch and columns of finitely many values: categories, booleans and numbers
        (binned, see ``n_bins``, or of at most ``n_bins`` distinct values, which are then
        written only as values of the training rows); not datetimes or free text.
        ``"auto"`` is ``"fields"`` where it applies on tables of at least 2,000 rows given
        to :meth:`fit` (where fields measured as close to the real rows as text, in a
        third to three fifths of the fit time), ``"text"`` elsewhere (on breast cancer's
        455 rows fields were told apart from real rows more easily, on insurance's 1,070
        they lost utility).
    epochs : int or "auto", default="auto"
        Most passes over the training rows in :meth:`fit` (early stopping may stop sooner).
        ``"auto"`` derives the budget from the table: about 6 million training tokens
        (rows after the validation split times their mean length in tokens) where an epoch
        has at most 100,000 tokens, and beyond, 6 million times the square root of
        100,000 over an epoch's tokens; at least 10 and at most 400 epochs. A table of a
        few hundred short rows gets the 400 epochs (small tables need many passes, and
        early stopping guards them against copying); adult (4,500 training rows of about
        44 tokens, 4.3 million tokens) gets 22. Rows written as fields (``row_format``)
        count three tokens a field, as in text, and get at most 100 epochs.
    batch_size : int, default=32
        Rows per forward pass in training.
    learning_rate : float or "auto", default="auto"
        Peak learning rate of AdamW. ``"auto"``: 2e-3 for a model built from scratch or LoRA
        adapters, 5e-5 for full fine-tuning of a pretrained model.
    weight_decay : float, default=0.01
        Decoupled weight decay of AdamW.
    warmup_ratio : float, default=0.05
        Share of the optimizer steps of the linear warm-up; the rate then decays linearly
        to 0.
    gradient_accumulation_steps : int, default=1
        Forward passes per optimizer step.
    target_weight : float, default=5.0
        Weight, in the training loss, of the tokens of the target's value (``fit(X, y)``)
        against 1 for every other token. Above 1 the model spends more of its capacity on
        ``p(target | features)``, which the label query uses; 1 weighs every token alike,
        as in the paper.
    early_stopping : bool, default=True
        Whether to hold out ``validation_fraction`` of the rows (never trained on) and stop
        when their validation loss has not improved for ``n_iter_no_change`` epochs, or when
        a privacy check fails, keeping the best weights (see Notes). A table too small for
        10 validation rows trains the whole budget on every row.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping`` is True.
    n_iter_no_change : int or "auto", default="auto"
        Patience of early stopping, in epochs. ``"auto"``: a tenth of the epoch budget, and
        at least 3 epochs and 3 validation losses.
    privacy_guard : bool, default=True
        Whether :meth:`sample` draws again the rows closer to a real row than 95 % of real
        rows are to their closest other real row (see Notes). It is learned in :meth:`fit`
        from every row given and keeps the training rows in the fitted model; setting it to
        False after fitting turns the redraws off.
    sampling : {"feature_conditional", "plain"}, default="feature_conditional"
        How a row starts: with one feature (chosen at random, or the first of the row's
        order with one order or ``n_sampling_orders``) set to a value drawn from its real
        marginal (Pred-LLM), or from the start token alone.
    n_sampling_orders : int or None, default=None
        Column orders of the sampled rows. None: a new random order per row (GReaT,
        Pred-LLM). An int: each row is written in one of the ``n_sampling_orders`` orders
        (1 to 16), drawn at random, that give the held-out rows (or, without early
        stopping, up to 256 training rows) the highest likelihood among 16 drawn as
        ``permutation`` draws the training orders; conditioned columns come first, then
        the others in the row's order, and a feature-conditional start is its first free
        feature. Not used with ``permutation="fixed"``, ``"mixed"`` or ``"none"``. A
        parameter to tune: it helped some tables and hurt others (see Notes).
    label_query : {"sample", "argmax"} or None, default="sample"
        How the target of ``fit(X, y)`` is written. The target comes after the generated
        features, and for a categorical or boolean target (or a binned numeric one, whose
        labels are its bins) the model's probability of every label seen in training is
        computed given them; the label is drawn from these probabilities ("sample", at
        ``temperature``) or the most probable one is taken ("argmax"). A numeric target
        written in digits is generated digit by digit after the features and read as a
        number. None generates the target with the row, token by token, where
        ``permutation`` puts it.
    temperature : float, default=1.0
        Temperature of the model's distributions when sampling.
    sample_batch_size : int, default=512
        Rows generated together (one forward pass per choice of a token), and rows scored
        together by :meth:`score_samples`. Does not change the rows.
    device : str, default="auto"
        Torch device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    metadata : TableMetadata or dict, default=None
        Column metadata; inferred from the table when None.
    random_state : int, RandomState instance or None, default=None
        Seeds the fit (tokenizer, weights, column orders, batches, dropout) and the
        :meth:`sample` calls that pass no ``random_state``.
    verbose : int, default=0
        0 silent, 1 progress bars, 2 also a log line per epoch (logger
        ``skltab._nn``).

    Attributes
    ----------
    model_ : torch.nn.Module
        The fine-tuned causal language model (a peft model when LoRA is not merged).
    tokenizer_ : tokenizers.Tokenizer
        Its tokenizer.
    bins_ : QuantileBins
        The quantile bins of the binned columns (``bins_.columns_``, empty when numbers are
        written in digits).
    codec_ : RowCodec
        Text of each column's values (a binned column's labels), and back.
    layout_ : TokenLayout
        Rows as token ids.
    automata_ : dict
        The constrained-decoding automaton of each column.
    start_values_ : dict of str to tuple
        For each feature, the texts of its real values and their cumulative frequencies,
        from which feature-conditional sampling draws a row's first value.
    labels_ : list of str
        Texts of the real labels a categorical target is queried among (empty otherwise).
    label_ids_ : list of list of int
        Token ids of each label, its end token included.
    device_ : str
        The device ``device`` resolved to.
    sampling_orders_ : list of list of str or None
        The column orders of ``n_sampling_orders``, chosen by :meth:`fit`, likeliest first;
        ``[column_order_]`` with ``permutation="mixed"``; None (a new random order per row)
        with ``n_sampling_orders=None``, ``permutation="fixed"`` or ``"none"``, or a model
        started by :meth:`partial_fit`.
    permutation_ : str
        ``permutation``, with ``"auto"`` resolved for the fitted table.
    column_order_ : list of str or None
        The one column order of every row with ``permutation="fixed"`` (drawn by
        :meth:`fit`) or ``"none"`` (the table's), of half of the training rows and every
        sampled row with ``"mixed"``; None with random orders.
    history_ : list of dict
        One record per training epoch: ``epoch``, ``loss``, ``learning_rate``, ``n_tokens``,
        ``seconds`` and, with early stopping, ``validation_loss`` where it was computed
        (every few epochs on small tables, and after the last); the epochs of a privacy
        check add its ``too_close_rate``.
    %(training_attributes)s
    %(privacy_guard_attributes)s
    %(fit_attributes)s

    See Also
    --------
    skltab.IndependentSynthesizer : Columns drawn independently, the baseline.

    Notes
    -----
    Early stopping and the privacy check: with ``early_stopping=True`` the validation rows
    are never trained on. Each is written in several fixed column orders (up to 256
    sequences) and their loss is computed every few epochs (so that it costs about a tenth
    of the training). The digits of a number after its second significant digit do not
    count in that loss: they are mostly noise, which a model can only learn from the
    training rows, so their held-out loss rises long before the sampled rows stop
    improving. About 10 times over the budget, and when training stops, 256 rows are
    sampled and compared with the real rows in the distance space of
    :func:`skltab.metrics.privacy_scores`: for each row, its distance to the closest
    training row over its distance to the closest validation row. If more than 15 % of the
    sampled rows (about 5 % expected) have a ratio below the 5th percentile of the training
    rows' own ratios, training stops, and the weights kept are the best as of the last
    check that passed.

    The privacy guard learns its threshold in :meth:`fit`, from all the rows given: the 5th
    percentile of each row's distance to the closest other row. :meth:`sample` draws the
    rows closer than that again, up to 5 times, from the same seeded generator, so the
    rows depend only on the seed; the requested number of rows is always returned, and
    rows still too close are kept, counted in ``privacy_guard_report_`` and reported by a
    warning. Distances ignore free-text columns. The guard keeps the training rows
    (float32, one value per numeric column, missing indicator and category up to 50 per
    column), so a fitted model, and its pickle, contains the training rows: use
    ``privacy_guard=False`` for a model that leaves the premises.

    Feature-conditional sampling draws real values of single cells (never whole rows), and
    ``start_values_`` stores them; free-text columns may reproduce real text. The fitted
    model is self-contained: it pickles with joblib (torch state device-neutrally) and needs
    no file or network to sample. Pickles run code when loaded: load only files you trust.

    Sampling orders: a model trained on every column order is not equally good in each.
    With ``permutation="features"`` or ``"all"`` and ``n_sampling_orders`` set, :meth:`fit`
    scores up to 256 held-out rows in 16 candidate orders (16 forward passes over them)
    and samples every row in one of the likeliest. Fitted without a target (seed 0, 4
    orders, four draws of the held-out rows and candidates), bank's train-on-synthetic
    ratio was 0.80 to 0.95 (mean 0.88) against 0.76 to 0.80 with random orders, but
    abalone's was 0.78 to 0.87 against 0.84 to 0.88, with association errors of 0.046 to
    0.068 against 0.030 to 0.053. The held-out likelihood does not tell which orders write
    the best rows: tune it with a utility scorer (see the user guide).

    With ``permutation="features"`` or ``"mixed"`` the model never sees the target before a
    feature, so ``conditions`` on the target (placed first in the prompt) are out of its
    training distribution; fit with ``permutation="all"`` to condition on the target. With
    ``permutation="fixed"`` or ``"none"``, conditioned values are written at their
    column's place in ``column_order_``, so the columns before them do not depend on them;
    with ``"mixed"``, whose model has also seen random orders, they are written first and
    the other columns follow in ``column_order_``.

    References
    ----------
    Nguyen et al., "Generating Realistic Tabular Data with Large Language Models", ICDM 2024.
    Borisov et al., "Language Models are Realistic Tabular Data Generators", ICLR 2023.

    Examples
    --------
    >>> from skltab.datasets import load_demo
    >>> from skltab.llm import PredLLMSynthesizer
    >>> real = load_demo(n_samples=100)
    >>> synthesizer = PredLLMSynthesizer(epochs=1, random_state=0).fit(real)
    >>> synthesizer.sample(3).shape == (3, real.shape[1])
    True
    """

    _parameter_constraints = {
        **BaseSynthesizer._parameter_constraints,
        "model_name_or_path": [str, None],
        "model_config": [dict, None],
        "lora_r": [Interval(Integral, 1, None, closed="left"), None],
        "lora_alpha": [Interval(Real, 0, None, closed="neither")],
        "lora_dropout": [Interval(Real, 0, 1, closed="left")],
        "lora_target_modules": [list, None],
        "merge_lora": ["boolean"],
        "permutation": [StrOptions({"auto", "features", "all", "fixed", "mixed", "none"})],
        "n_bins": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"}), None],
        "row_format": [StrOptions({"auto", "fields", "text"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_ratio": [Interval(Real, 0, 1, closed="left")],
        "gradient_accumulation_steps": [Interval(Integral, 1, None, closed="left")],
        "target_weight": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "privacy_guard": ["boolean"],
        "sampling": [StrOptions({"feature_conditional", "plain"})],
        "n_sampling_orders": [Interval(Integral, 1, _CANDIDATE_ORDERS, closed="both"), None],
        "label_query": [StrOptions({"sample", "argmax"}), None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "sample_batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
    }

    def __init__(
        self,
        *,
        model_name_or_path=None,
        model_config=None,
        lora_r=None,
        lora_alpha=16,
        lora_dropout=0.0,
        lora_target_modules=None,
        merge_lora=True,
        permutation="auto",
        n_bins="auto",
        row_format="auto",
        epochs="auto",
        batch_size=32,
        learning_rate="auto",
        weight_decay=0.01,
        warmup_ratio=0.05,
        gradient_accumulation_steps=1,
        target_weight=5.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        privacy_guard=True,
        sampling="feature_conditional",
        n_sampling_orders=None,
        label_query="sample",
        temperature=1.0,
        sample_batch_size=512,
        device="auto",
        metadata=None,
        random_state=None,
        verbose=0,
    ):
        self.model_name_or_path = model_name_or_path
        self.model_config = model_config
        self.lora_r = lora_r
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        self.lora_target_modules = lora_target_modules
        self.merge_lora = merge_lora
        self.permutation = permutation
        self.n_bins = n_bins
        self.row_format = row_format
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.target_weight = target_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.privacy_guard = privacy_guard
        self.sampling = sampling
        self.n_sampling_orders = n_sampling_orders
        self.label_query = label_query
        self.temperature = temperature
        self.sample_batch_size = sample_batch_size
        self.device = device
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ---------------------------------------------------------------------------
    def _fit(self, table, weights):
        cells, seed = self._build(table)
        return self._fit_within_budget(table, cells, weights, seed)

    def _start(self, table):
        self._build(table)

    def _partial_fit(self, table, weights):
        cells = self._checked_cells(table)
        self._train(cells, weights, 1, Schedule("constant"), draw_seed(self.random_state_))

    def _checked_cells(self, table):
        """The cells (escaped texts) of rows of the fitted columns, each value checked."""
        self.bins_.check(table)
        cells = self.codec_.cells(self.bins_.encode(table))
        self._check_values(cells)
        return cells

    def partial_fit_preference(self, X_chosen, X_rejected, y_chosen=None, y_rejected=None, *,
                               reference, beta=0.1):
        """Train one epoch on pairs of rows, the first row of each pair preferred to the
        second, against a frozen reference (direct preference optimization, DPO).

        Row ``i`` of ``X_chosen`` and row ``i`` of ``X_rejected`` form a pair; both are
        written in one column order drawn as training orders are. The loss of a pair is
        ``-log sigmoid(beta * (rho(chosen) - rho(rejected)))``, where ``rho(row) = log
        p(row) - log p_ref(row)`` is the log-ratio of the row's probability (its token
        sequence's, names included) under this model and under ``reference``: the model
        learns to raise the chosen rows against the rejected ones, by how much it departs
        from the reference. Each call is one pass over the pairs at the constant
        ``learning_rate``, continuing the optimizer's state; the history grows by one epoch
        (with the pairs' mean ``margin`` of log-ratios and ``preference_accuracy``, the
        share of pairs whose chosen row has the higher log-ratio).
        :class:`~skltab.reward.RewardTunedSynthesizer` calls it with
        ``refinement="preference"``.

        Parameters
        ----------
        X_chosen : DataFrame or array-like of shape (n_pairs, n_features)
            The preferred row of each pair, with the fitted columns.
        X_rejected : DataFrame or array-like of shape (n_pairs, n_features)
            The other row of each pair.
        y_chosen, y_rejected : array-like of shape (n_pairs,), default=None
            Their targets, if the synthesizer was fitted with one.
        reference : PredLLMSynthesizer
            The frozen model the log-ratios are taken against, usually a copy of this one
            before preference training; it must write rows with the same tokens (the same
            columns and vocabulary). It is not changed.
        beta : float, default=0.1
            Inverse temperature of the log-ratios (positive): the higher, the more a
            departure from the reference counts, the less the model needs to depart.

        Returns
        -------
        self : object
            The synthesizer.
        """
        from ._preference import PreferenceTask, reference_log_likelihoods

        check_is_fitted(self)
        self._validate_params()
        if isinstance(beta, bool) or not isinstance(beta, Real) or not 0 < beta < math.inf:
            raise ValueError(f"beta must be a positive finite number; got {beta!r}.")
        self._check_reference(reference)
        chosen, rejected = self._pair_cells(X_chosen, X_rejected, y_chosen, y_rejected)
        n_pairs = len(chosen[self.codec_.columns[0]])
        seed = draw_seed(self.random_state_)
        rng = np.random.RandomState(seed)
        orders = self._training_orders(n_pairs, rng)
        chosen, rejected = (self._sequences(self._value_ids(cells), orders)
                            for cells in (chosen, rejected))
        reference_log_probs = reference_log_likelihoods(
            reference.model_, chosen, rejected, reference.batch_size,
            reference.layout_.eos_id, reference.device_)
        task = PreferenceTask(chosen, rejected, reference_log_probs, beta, rng,
                              self.layout_.eos_id, self.device_)
        self._run(task, np.ones(n_pairs), 1, Schedule("constant"), seed)
        return self

    def _check_reference(self, reference):
        """Raise unless ``reference`` is a fitted PredLLMSynthesizer writing rows with this
        model's tokens."""
        if not isinstance(reference, PredLLMSynthesizer):
            raise TypeError(f"reference must be a fitted PredLLMSynthesizer; got "
                            f"{type(reference).__name__}.")
        check_is_fitted(reference, msg="reference must be fitted; %(name)s is not.")
        if (reference.codec_.columns != self.codec_.columns
                or reference.tokenizer_.get_vocab() != self.tokenizer_.get_vocab()):
            raise ValueError("reference must write rows with the same columns and vocabulary "
                             "as this synthesizer (a copy of it before preference training).")

    def _pair_cells(self, X_chosen, X_rejected, y_chosen, y_rejected):
        """The cells of the chosen and of the rejected rows, checked to pair up."""
        chosen, rejected = (
            self._checked_cells(self._check_scoring_table(X, y)[self.modelled_columns_])
            for X, y in ((X_chosen, y_chosen), (X_rejected, y_rejected)))
        first = self.codec_.columns[0]
        if len(chosen[first]) != len(rejected[first]):
            raise ValueError(f"X_chosen and X_rejected must hold one row of each pair; got "
                             f"{len(chosen[first])} and {len(rejected[first])} rows.")
        return chosen, rejected

    def _sequences(self, value_ids, orders, emphasis=None):
        """Token ids and token weights of each row of ``value_ids`` written in its order,
        the value tokens of the columns of ``emphasis`` weighted as it says."""
        return [self.layout_.row_ids({name: value_ids[name][i] for name in order}, order,
                                     emphasis)
                for i, order in enumerate(orders)]

    def _build(self, table):
        """Learn the bins, the codec, the tokenizer, the starts and the privacy guard, build
        the model; return the table's cells (escaped texts) and the seed of the fit."""
        from .._privacy_guard import PrivacyGuard
        from ._bins import QuantileBins

        import_torch("PredLLMSynthesizer")
        self.device_ = resolve_device(self.device)
        metadata = self.metadata_.select(list(table.columns))
        self.bins_ = QuantileBins(self._resolved_n_bins(len(table))).fit(table, metadata)
        encoded = self.bins_.encode(table)
        self.codec_ = RowCodec(self.bins_.metadata(metadata), encoded)
        cells = self.codec_.cells(encoded)
        seed = draw_seed(self.random_state_)
        self._build_model(cells, self._writes_fields(len(table)), seed)
        self._learn_starts(cells)
        self.permutation_ = self._resolved_permutation(len(table))
        self.column_order_ = self._column_order(seed)
        self.history_, self.n_iter_, self.optimizer_ = [], 0, None
        self.sampling_orders_ = [self.column_order_] if self.permutation_ == "mixed" else None
        self.privacy_guard_ = (PrivacyGuard().fit(table, None, self.metadata_)
                               if self.privacy_guard else None)
        return cells, seed

    def _resolved_n_bins(self, n_rows):
        """Bins of each many-valued numeric column (None: numbers written in digits)."""
        from ._bins import auto_n_bins

        if self.n_bins != "auto":
            return self.n_bins
        return auto_n_bins(n_rows) if self.model_name_or_path is None else None

    def _fit_within_budget(self, table, cells, weights, seed):
        """Train for the epoch budget, with early stopping on held-out rows if asked; return
        their positions (None: no early stopping)."""
        from .._privacy_guard import PrivacyGuard

        train, validation = split_rows(len(table), self.validation_fraction,
                                       self.early_stopping, seed)
        epochs = self._n_epochs(len(train), self._mean_row_tokens(cells, train),
                                isinstance(self.layout_, FieldLayout))
        callbacks = []
        if validation is not None:
            check = PrivacyGuard().fit(table.iloc[train], table.iloc[validation],
                                       self.metadata_)
            callbacks = self._early_stopping_callbacks(
                cells, weights, validation, check, epochs, len(train), seed)
        self._train(_rows(cells, train), weights[train], epochs,
                    self._fit_schedule(epochs, len(train)), seed, callbacks)
        if self.n_sampling_orders is not None and self.column_order_ is None:
            self.sampling_orders_ = self._likeliest_orders(
                cells, train if validation is None else validation, seed)
        return validation

    def _mean_row_tokens(self, cells, rows):
        """Mean number of tokens of the rows ``rows`` as the layout writes them."""
        tokens = 1.0  # the start token
        columns = self.codec_.columns
        for k, name in enumerate(columns):
            values = self.layout_.column_ids(name, [cells[name][i] for i in rows])
            ends = self.layout_.terminator(k == len(columns) - 1) is not None
            tokens += len(self.layout_.name_ids[name][1]) + ends + np.mean([len(v) for v in values])
        return tokens

    def _n_epochs(self, n_rows, row_tokens, fields=False):
        """The epoch budget of :meth:`fit` on ``n_rows`` training rows of ``row_tokens``
        tokens on average, written as ``fields`` or as text."""
        if self.epochs != "auto":
            return self.epochs
        epoch_tokens = n_rows * row_tokens * (_TOKENS_PER_FIELD if fields else 1)
        budget = _TOKEN_BUDGET * min(1.0, math.sqrt(_FULL_BUDGET_EPOCH_TOKENS / epoch_tokens))
        epochs = math.ceil(budget / epoch_tokens)
        return min(max(epochs, _MIN_EPOCHS), _MAX_FIELD_EPOCHS if fields else _MAX_EPOCHS)

    def _patience(self, epochs, validation_every):
        """Epochs without a better validation loss before early stopping, out of a budget of
        ``epochs`` with a validation loss every ``validation_every`` epochs."""
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        return max(_MIN_PATIENCE, math.ceil(_PATIENCE_SHARE * epochs),
                   _PATIENCE_VALIDATIONS * validation_every)

    @staticmethod
    def _validation_every(n_rows, n_sequences):
        """Epochs between two validation losses, which then cost about ``_VALIDATION_COST``
        of training (a forward pass costs about a third of a training step)."""
        return max(1, math.ceil(n_sequences / (3 * _VALIDATION_COST * n_rows)))

    def _validation_sequences(self, cells, rows, seed):
        """Token ids of the held-out ``rows``, each written in several fixed column orders
        (so that the loss is precise enough to compare epochs), with the loss weights of
        :func:`_coarse_number_weights` on the digits of numbers."""
        repeats = math.ceil(_VALIDATION_SEQUENCES / len(rows))
        rows = np.tile(rows, repeats)
        columns = self.codec_.columns
        texts = {name: [cells[name][i] for i in rows] for name in columns}
        value_ids = {name: self.layout_.column_ids(name, texts[name]) for name in columns}
        coarse = {name: [_coarse_number_weights(text) for text in texts[name]]
                  for name in columns if self.codec_.codecs[name].kind in _NUMBER_KINDS
                  and self.layout_.in_characters(name)}
        orders = self._training_orders(len(rows), np.random.RandomState(seed))
        return [self.layout_.row_ids({name: value_ids[name][k] for name in order}, order,
                                     self._emphasis(),
                                     {name: factors[k] for name, factors in coarse.items()})
                for k, order in enumerate(orders)]

    def _early_stopping_callbacks(self, cells, weights, validation, guard, epochs, n_rows,
                                  seed):
        """The validation loss of the held-out rows and early stopping with a privacy
        check."""
        from .._nn._callbacks import ValidationLoss
        from ._training import validation_loss

        sequences = self._validation_sequences(cells, validation, seed)
        sequence_weights = np.resize(weights[validation], len(sequences))
        every = self._validation_every(n_rows, len(sequences))

        def loss():
            return validation_loss(self.model_, sequences, sequence_weights, self.batch_size,
                                   self.layout_.eos_id, self.device_)

        monitor = EarlyStopping(self._patience(epochs, every), epochs, self._snapshot,
                                self._restore, self._privacy_check(guard, seed))
        return [ValidationLoss(loss, every), monitor]

    def _emphasis(self):
        return {self.target_: self.target_weight} if self.target_ is not None else None

    def _snapshot(self):
        return {name: parameter.detach().clone()
                for name, parameter in self.model_.named_parameters() if parameter.requires_grad}

    def _restore(self, state):
        import torch

        with torch.no_grad():
            for name, parameter in self.model_.named_parameters():
                if name in state:
                    parameter.copy_(state[name])

    def _privacy_check(self, guard, seed):
        """The privacy check of early stopping: rows sampled from the model in training."""
        def check():
            self.model_.eval()
            rows = self._sample(_CHECK_ROWS, None, np.random.RandomState(seed))
            return guard.check(rows)

        return check

    def _build_model(self, cells, fields, seed):
        """Build the tokenizer, the layout (rows as ``fields`` or as text), the model and
        the automata."""
        from ._decoding import build_automata
        from ._model import (TokenLayout, build_model, check_model_config, load_pretrained,
                             train_tokenizer)

        texts = {name: cells[name] for name in self.codec_.columns
                 if self.codec_.codecs[name].kind == "text"}
        if self.model_name_or_path is None:
            config = check_model_config(self.model_config)
            self.tokenizer_ = train_tokenizer(self._tokenizer_corpus(cells), config["vocab_size"])
            if fields:
                self.layout_ = FieldLayout(self.tokenizer_, self.codec_, 0, 0, cells)
            else:
                self.layout_ = TokenLayout(self.tokenizer_, self.codec_, 0, 0, texts)
            with seeded_torch(seed):
                model = build_model(config, self.layout_.vocab_size,
                                    self.layout_.n_positions(self.codec_.columns), 0)
        else:
            if self.model_config is not None:
                raise ValueError("model_config describes a model built from scratch; it "
                                 "cannot be used with model_name_or_path.")
            model, self.tokenizer_, bos_id, eos_id = load_pretrained(self.model_name_or_path)
            self.layout_ = TokenLayout(self.tokenizer_, self.codec_, bos_id, eos_id, texts)
            self._check_context(model)
        self.model_ = model.to(self.device_).eval()
        self.automata_ = build_automata(self.layout_, self.codec_,
                                        {name: set(texts) for name, texts in cells.items()})

    def _writes_fields(self, n_rows):
        """Whether rows of a table of ``n_rows`` rows are written as fields (see
        ``row_format``); raise a ValueError if ``row_format="fields"`` cannot be."""
        if self.row_format == "text":
            return False
        why = None
        if self.model_name_or_path is not None:
            why = "a pretrained model reads text"
        elif self.n_bins is None:
            why = "n_bins=None writes numbers in digits"
        else:
            kinds = {name: codec.kind for name, codec in self.codec_.codecs.items()}
            other = [name for name, kind in kinds.items() if kind not in _FIELD_KINDS]
            if other:
                why = f"column {other[0]!r} is of kind {kinds[other[0]]!r}"
        if why is not None and self.row_format == "fields":
            raise ValueError(f"row_format='fields' needs a model built from scratch and "
                             f"columns of finitely many values; {why}. Use "
                             "row_format='text' or 'auto'.")
        return why is None and (self.row_format == "fields" or n_rows >= _FIELDS_MIN_ROWS)

    def _tokenizer_corpus(self, cells):
        """Segments the tokenizer is trained on: names with separators, and the values of
        categorical and text columns, as often as the rows hold them."""
        from ._codec import NAME_SEPARATOR, TERMINATOR
        from ._model import CHARACTER_KINDS

        yield TERMINATOR
        for i in range(len(next(iter(cells.values())))):
            for name in self.codec_.columns:
                codec = self.codec_.codecs[name]
                segment = codec.escaped_name + NAME_SEPARATOR
                yield segment
                yield " " + segment
                text = cells[name][i]
                if codec.kind not in CHARACTER_KINDS or text == MISSING:
                    yield text

    def _check_context(self, model):
        longest = self.layout_.max_row_tokens(self.codec_.columns)
        context = getattr(model.config, "n_positions", None) or getattr(
            model.config, "max_position_embeddings", None)
        if context is not None and longest > context:
            raise ValueError(f"A row may take {longest} tokens, more than the {context} of "
                             f"the model {self.model_name_or_path!r}.")

    def _learn_starts(self, cells):
        """Real marginal of every feature (for feature-conditional starts) and the labels."""
        self.target_ = self.input_format_.target
        self.features_ = [name for name in self.codec_.columns if name != self.target_]
        self.start_values_ = {}
        for name in self.features_:
            texts, counts = np.unique(np.array(cells[name], dtype=str), return_counts=True)
            self.start_values_[name] = (texts.tolist(), np.cumsum(counts) / counts.sum())
        self.labels_, self.label_ids_ = [], []
        if self.target_ is not None and self.codec_.codecs[self.target_].kind in _LABEL_KINDS:
            self.labels_ = sorted(set(cells[self.target_]))
            self.label_ids_ = [self.layout_.label_ids(self.target_, text)
                               for text in self.labels_]

    def _check_values(self, cells):
        """Raise a ValueError naming the column if a value is not valid for the fitted table."""
        for name in self.codec_.columns:
            for text in set(cells[name]):
                self.codec_.codecs[name].parse(text)

    def _train(self, cells, weights, epochs, schedule, seed, callbacks=()):
        """Train ``model_`` on the rows of ``cells`` (escaped texts) of weights ``weights``
        (mean 1) for ``epochs`` epochs with the learning rate of ``schedule``; early
        stopping, if any, is among ``callbacks``."""
        from ._training import LanguageModelTask

        value_ids, emphasis = self._value_ids(cells), self._emphasis()

        def make_sequences(rng):
            return self._sequences(value_ids, self._training_orders(len(weights), rng),
                                   emphasis)

        task = LanguageModelTask(make_sequences, np.random.RandomState(seed),
                                 self.layout_.eos_id, self.device_)
        self._run(task, weights, epochs, schedule, seed, callbacks)

    def _value_ids(self, cells):
        """Token ids of every value of ``cells``, by column."""
        return {name: self.layout_.column_ids(name, cells[name])
                for name in self.codec_.columns}

    def _run(self, task, weights, epochs, schedule, seed, callbacks=()):
        """Run the training loop of ``task`` on items of weights ``weights`` (adding LoRA
        adapters first if asked, merging them after if asked) and record its history."""
        import torch

        from .._nn._callbacks import ProgressReport
        from .._nn._loop import LoopSettings, TrainingLoop
        from .._nn._optimizer import continued_adamw
        from ._model import add_lora, merge_lora

        if self.lora_r is not None and not _is_peft(self.model_):
            self.model_ = add_lora(self.model_, self.lora_r, self.lora_alpha,
                                   self.lora_dropout, self.lora_target_modules)
        self.optimizer_ = continued_adamw(
            [p for p in self.model_.parameters() if p.requires_grad], self._learning_rate(),
            self.weight_decay, self.optimizer_)
        settings = LoopSettings(epochs, self.batch_size, self._learning_rate(), schedule,
                                _MAX_GRAD_NORM, self.gradient_accumulation_steps)
        callbacks = [*callbacks, ProgressReport(self.verbose, "PredLLMSynthesizer.fit")]
        loop = TrainingLoop(self.model_, self.optimizer_, task, callbacks)
        with seeded_torch(seed):
            history = loop.run(torch.as_tensor(weights, dtype=torch.float32,
                                               device=self.device_), settings, self.n_iter_)
        if self.lora_r is not None and self.merge_lora:
            self.model_ = merge_lora(self.model_)
            self.optimizer_ = None  # its parameters, the adapters, are merged away
        self.model_ = self.model_.eval()
        self.history_ = self.history_ + history
        self.n_iter_ += len(history)
        monitor = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
        self.stopping_reason_ = "max_epochs" if monitor is None else monitor.reason
        self.best_epoch_ = self.n_iter_ if monitor is None else monitor.best_epoch

    def _fit_schedule(self, epochs, n_rows):
        """The learning rate of :meth:`fit`: a linear warm-up over ``warmup_ratio`` of the
        steps, then a linear decay to 0."""
        steps = epochs * steps_per_epoch(n_rows, self.batch_size,
                                         self.gradient_accumulation_steps)
        return Schedule("linear", math.ceil(self.warmup_ratio * steps))

    def _learning_rate(self):
        if self.learning_rate != "auto":
            return self.learning_rate
        full_fine_tuning = self.model_name_or_path is not None and self.lora_r is None
        return _PRETRAINED_LEARNING_RATE if full_fine_tuning else _SCRATCH_LEARNING_RATE

    def _resolved_permutation(self, n_rows):
        """``permutation``, with ``"auto"`` resolved for a table of ``n_rows`` rows."""
        if self.permutation != "auto":
            return self.permutation
        return "mixed" if n_rows >= _MIXED_MIN_ROWS else "features"

    def _column_order(self, seed):
        """The one column order of ``permutation="fixed"`` or ``"mixed"`` (the features in an
        order drawn from ``seed``, the target last) or ``"none"`` (the table's); None
        otherwise."""
        if self.permutation_ == "none":
            return list(self.codec_.columns)
        if self.permutation_ not in ("fixed", "mixed"):
            return None
        rank = np.random.RandomState(seed).permutation(len(self.features_))
        tail = [self.target_] if self.target_ is not None else []
        return [self.features_[k] for k in rank] + tail

    def _training_orders(self, n_rows, rng):
        """Column order of each training row under ``permutation``."""
        if self.permutation_ in _ONE_ORDER:
            return [self.column_order_] * n_rows
        every_column = self.permutation_ == "all"
        permuted = self.codec_.columns if every_column else self.features_
        ranks = rng.uniform(size=(n_rows, len(permuted))).argsort(axis=1)
        tail = [self.target_] if not every_column and self.target_ is not None else []
        names = np.asarray(permuted, dtype=object)
        orders = [list(names[rank]) + tail for rank in ranks]
        if self.permutation_ == "mixed":
            anchored = rng.uniform(size=n_rows) < _ANCHOR_SHARE
            orders = [self.column_order_ if a else order for a, order in zip(anchored, orders)]
        return orders

    def _likeliest_orders(self, cells, rows, seed):
        """The ``n_sampling_orders`` column orders, among ``_CANDIDATE_ORDERS`` drawn as
        training orders are, under which the model gives ``rows`` the highest
        log-likelihood, likeliest first (None: random orders); a table of few columns may
        have fewer distinct orders."""
        rng = np.random.RandomState(seed)
        rows = _rows(cells, rng.choice(rows, min(len(rows), _ORDER_ROWS), replace=False))
        candidates = [list(order) for order in dict.fromkeys(
            tuple(order) for order in self._training_orders(_CANDIDATE_ORDERS, rng))]
        totals = [self._log_likelihoods(rows, order)[0].sum() for order in candidates]
        return [candidates[k] for k in np.argsort(totals)[::-1][:self.n_sampling_orders]]

    # -- sampling --------------------------------------------------------------------------
    def _sample(self, n_samples, conditions, random_state):
        from ._decoding import generate

        seeds = random_state.randint(np.iinfo(np.int32).max, size=n_samples)
        fixed = self._fixed_texts(conditions, n_samples)
        plans, texts, label_uniforms = [], [], []
        within_bins = np.empty((n_samples, len(self.bins_.columns_)))
        for i, seed in enumerate(seeds):
            # a row's own stream: a Generator starts ten times as fast as a RandomState
            rng = np.random.default_rng(seed)
            plan, row_texts, label_uniform = self._plan(fixed[i], rng)
            plans.append(plan)
            texts.append(row_texts)
            label_uniforms.append(label_uniform)
            within_bins[i] = rng.uniform(size=within_bins.shape[1])
        generated, _, scores = generate(
            self.model_, plans, self.automata_, self.temperature, self.sample_batch_size,
            self.device_, self.label_ids_)
        for row_texts, values in zip(texts, generated):
            row_texts.update(values)
        self._choose_labels(texts, scores, label_uniforms)
        return self.bins_.decode(self._parse(texts), within_bins)

    def _fixed_texts(self, conditions, n_samples):
        """Escaped text of each row's conditioned values, as one dict per row."""
        if conditions is None:
            return [{} for _ in range(n_samples)]
        conditions = self.bins_.encode(conditions)
        texts = {name: self.codec_.codecs[name].format(conditions[name])
                 for name in conditions.columns}
        return [{name: texts[name][i] for name in conditions.columns} for i in range(n_samples)]

    def _target_last(self, fixed):
        """Whether the target is written after the features (and is not fixed)."""
        return self.target_ is not None and self.target_ not in fixed and (
            self.permutation_ != "all" or self.label_query is not None)

    def _queries_label(self, fixed):
        """Whether the label is chosen among the real labels by :meth:`_choose_labels`."""
        return bool(self.labels_) and self.label_query is not None and self.target_ not in fixed

    def _order(self, fixed, rng):
        """Column order of one sampled row, and the values it starts from."""
        fixed = dict(fixed)
        orders = self.sampling_orders_
        chosen = orders[rng.choice(len(orders))] if orders else None
        free = [name for name in chosen or self.features_
                if name in self.features_ and name not in fixed]
        if self.sampling == "feature_conditional" and not fixed and free:
            if self.permutation_ in _ONE_ORDER:
                start = self.column_order_[0]
            else:
                start = free[0] if chosen else free[rng.choice(len(free))]
            texts, cumulative = self.start_values_[start]
            fixed[start] = texts[min(np.searchsorted(cumulative, rng.uniform(), side="right"),
                                     len(texts) - 1)]
            free.remove(start)
        if self.permutation_ in _ONE_ORDER:
            return self.column_order_, fixed
        target_last = self._target_last(fixed)
        rest = free + ([] if target_last or self.target_ in (None, *fixed) else [self.target_])
        if chosen:
            rest = [name for name in chosen if name in rest]
        else:
            rest = [rest[k] for k in rng.permutation(len(rest))]
        return list(fixed) + rest + ([self.target_] if target_last else []), fixed

    def _plan(self, fixed, rng):
        """The operations that write one row, its fixed texts and its label's uniform."""
        from ._decoding import RowPlan

        order, fixed = self._order(fixed, rng)
        queried = self._queries_label(fixed)
        layout = self.layout_
        operations, forced, n_tokens = [], [layout.bos_id], 0
        for k, name in enumerate(order[:-1] if queried else order):
            forced += layout.name_ids[name][k > 0]
            terminator = layout.terminator(k == len(order) - 1)
            if name in fixed:
                forced += layout.value_ids(name, fixed[name])
                forced += [] if terminator is None else [terminator]
                continue
            operations += [("force", forced)] if forced else []
            operations.append(("value", name, terminator))
            n_tokens += len(forced) + layout.max_value_tokens[name] + 1
            forced = []
        if queried:  # the target's name: the labels are scored after it
            forced += layout.name_ids[self.target_][1]
        if forced:
            operations.append(("force", forced))
        uniforms = rng.uniform(size=n_tokens + len(forced))
        return (RowPlan(operations, uniforms, queried, layout.token_inputs(order)), fixed,
                rng.uniform())

    def _choose_labels(self, texts, scores, label_uniforms):
        """Choose the label of the rows that queried it, from the model's log-probabilities
        of every label given the row."""
        for row_texts, row_scores, uniform in zip(texts, scores, label_uniforms):
            if row_scores is None:
                continue
            if self.label_query == "argmax":
                chosen = int(np.argmax(row_scores))
            else:
                scaled = row_scores / self.temperature
                cumulative = np.cumsum(np.exp(scaled - scaled.max()))
                chosen = min(int(np.sum(cumulative < uniform * cumulative[-1])),
                             len(self.labels_) - 1)
            row_texts[self.target_] = self.labels_[chosen]

    def _parse(self, texts):
        columns = {name: [self.codec_.codecs[name].parse(row[name]) for row in texts]
                   for name in self.codec_.columns}
        return pd.DataFrame(columns, columns=self.codec_.columns)

    # -- scoring ---------------------------------------------------------------------------
    def score_samples(self, X, y=None):
        """Log-likelihood of each row of ``X`` under the model (in nats); :meth:`score` is
        its mean.

        Each row is written in table order (the target last) and its log-probability is the
        sum, over the tokens of its values, of the model's log-probability of the token
        renormalised over the tokens the constrained sampler allows there (names and
        separators are written by the sampler and count for nothing). This is the
        log-probability of the row's text under constrained sampling at temperature 1, from
        the start token, with the label generated with the row. Numbers in digits count at
        the column's precision (a probability); a binned number counts its bin's probability
        times the density of its value within the bin (the probability of a tied value,
        such as a spike at 0). A value the model cannot write (a category never seen, a
        number outside the real range) counts as probability 1e-12.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the fitted columns.
        y : array-like of shape (n_rows,), default=None
            The target, if the synthesizer was fitted with one.

        Returns
        -------
        scores : ndarray of shape (n_rows,)
            Log-likelihood of each row (greater is better).
        """
        table = self._check_scoring_table(X, y)[self.modelled_columns_]
        cells = self.codec_.cells(self.bins_.encode(table))
        totals, floors = self._log_likelihoods(cells, self.codec_.columns)
        return np.asarray(totals + floors * math.log(_FLOOR) + self.bins_.log_density(table),
                          dtype=float)

    def _log_likelihoods(self, cells, columns):
        """Log-probability of the values of each row of ``cells`` written in the order of
        ``columns`` (see :meth:`score_samples`), and how many of its values the model cannot
        write."""
        from ._decoding import value_log_probs

        n_rows = len(cells[self.codec_.columns[0]])
        sequences, token_inputs, choices, floors = zip(*(
            self._scored_row({name: cells[name][i] for name in self.codec_.columns}, columns)
            for i in range(n_rows)))
        totals = value_log_probs(self.model_, list(sequences), list(choices),
                                 self.sample_batch_size, self.device_, list(token_inputs))
        return totals, np.asarray(floors)

    def _scored_row(self, row_texts, columns):
        """Token ids of a row written in the order of ``columns``, the model's other inputs,
        its scored choices and its unwritable values (a value without token ids is left out
        of the row)."""
        layout = self.layout_
        written = [name for name in columns if layout.writes(name, row_texts[name])]
        sequence, choices = [layout.bos_id], []
        n_floors = len(columns) - len(written)
        for k, name in enumerate(written):
            sequence += layout.name_ids[name][k > 0]
            terminator = layout.terminator(k == len(written) - 1)
            ids = layout.value_ids(name, row_texts[name])
            path = self._value_path(self.automata_[name], ids, terminator, len(sequence))
            if path is None:  # cut to a writable length, so the row fits the model's context
                n_floors += 1
                ids = ids[:layout.max_value_tokens[name]]
            else:
                choices += path
            sequence += ids + ([] if terminator is None else [terminator])
        return sequence, layout.token_inputs(written), choices, n_floors

    @staticmethod
    def _value_path(automaton, ids, terminator, position):
        """Scored choices of writing ``ids`` then ``terminator`` (if any), or None if not
        allowed."""
        state, path = automaton.start(), []
        for offset, token in enumerate(ids + ([] if terminator is None else [terminator])):
            if not automaton.allows(state, terminator, token):
                return None
            allowed = automaton.allowed(state, terminator)
            if len(allowed) > 1:
                path.append((position + offset, allowed, token))
            if token != terminator:
                state = automaton.advance(state, token)
        return path

    @classmethod
    def _get_test_params(cls):
        return {"model_config": {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 300},
                "epochs": 1, "batch_size": 40, "sample_batch_size": 512}


def _coarse_number_weights(text):
    """Loss weight of each character of a number's text in the validation loss: 1 for its
    sign, point, leading zeros and first ``_VALIDATION_DIGITS`` significant digits, 0 for
    the digits after them (None, all 1, for a missing value).

    Those digits are mostly noise that a model learns from the training rows alone, so their
    held-out loss rises long before the rows sampled stop improving; the coarse value (its
    magnitude and first digits) is what the dependencies between columns decide.
    """
    if text == MISSING:
        return None
    weights, significant = [], 0
    for char in text:
        if char.isdigit() and (significant or char != "0"):
            significant += 1
        weights.append(0.0 if char.isdigit() and significant > _VALIDATION_DIGITS else 1.0)
    return weights


def _rows(cells, index):
    """The cells of the rows at ``index``."""
    return {name: [texts[i] for i in index] for name, texts in cells.items()}


def _is_peft(model):
    return type(model).__module__.startswith("peft")
