"""Language models and tokenizers for Pred-LLM, and rows as token ids.

``model_name_or_path=None`` builds a GPT-2 from scratch with a byte-level BPE tokenizer trained
on the training rows (everything offline); a local folder or a hub name loads a pretrained
causal language model and its fast tokenizer. LoRA adapters come from peft.

Rows become token ids one *segment* at a time: a column name with its separator, a value, the
terminator ``,`` (or the end-of-text token after the last field). Training, constrained
sampling and scoring all use the same segments, so the token sequences the sampler builds are
exactly those the model was trained on. Numbers and datetimes are written one character per
token, which lets the sampler constrain them digit by digit.

A model built from scratch on a table whose every column takes a finite set of values
(categories, booleans, numbers written as quantile bins or of few values) writes a row as
*fields* instead (:class:`FieldLayout`): one token per field, no names and no separators, a
third of the tokens of the text. The token is the value's text, shared by the columns that
write the same text (the bin labels of all binned columns), as in the text; what the
column names told the model is given beside each token, as GPT-2's token type id (the
token's column) and position id (the column written next), whose learned embeddings the
model adds to the token's. It reads the previous fields as a set (their order carries
nothing the tokens do not) and is told which column to write.
"""

import warnings

from ..utils._optional import import_optional
from ._codec import MISSING, NAME_SEPARATOR, TERMINATOR, unescape

__all__ = ["DEFAULT_MODEL_CONFIG", "FieldLayout", "TokenLayout", "add_lora", "build_model",
           "load_pretrained", "merge_lora", "padded_token_inputs", "train_tokenizer",
           "wrap_with_adapters"]

#: Architecture of the GPT-2 built from scratch; ``vocab_size`` caps the trained tokenizer.
DEFAULT_MODEL_CONFIG = {"n_layer": 3, "n_embd": 96, "n_head": 4, "vocab_size": 2048,
                        "dropout": 0.0}
#: The special token of the tokenizer trained from scratch (start, end and padding).
SPECIAL_TOKEN = "<|endoftext|>"
#: Characters written one token each: digits, signs, points and datetime separators.
CHARACTERS = "0123456789.-: "
#: Kinds of columns whose values are written one character per token.
CHARACTER_KINDS = ("continuous", "integer", "datetime")
#: Free-text values may be this many times longer (in tokens) than the longest real one.
TEXT_LENGTH_FACTOR = 2
MIN_TEXT_TOKENS = 8


def check_model_config(model_config):
    """Return the full architecture of a scratch GPT-2, ``model_config`` over the defaults.

    Raises
    ------
    ValueError
        For unknown keys or values that do not fit together.
    """
    config = dict(DEFAULT_MODEL_CONFIG)
    unknown = sorted(set(model_config or {}) - set(config))
    if unknown:
        raise ValueError(f"model_config has unknown keys {unknown}; it accepts "
                         f"{sorted(config)}.")
    config.update(model_config or {})
    for key in ("n_layer", "n_embd", "n_head", "vocab_size"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] < 1:
            raise ValueError(f"model_config[{key!r}] must be a positive integer; got "
                             f"{config[key]!r}.")
    if config["n_embd"] % config["n_head"]:
        raise ValueError(f"model_config['n_embd']={config['n_embd']} must be a multiple of "
                         f"model_config['n_head']={config['n_head']}.")
    if not 0 <= config["dropout"] < 1:
        raise ValueError(f"model_config['dropout'] must be in [0, 1); got {config['dropout']!r}.")
    return config


def train_tokenizer(segments, vocab_size):
    """Train a byte-level BPE tokenizer on text segments (names, categories, free text).

    Segments are never split further before the merges are learned, so a frequent column
    name with its separator, or a frequent category, becomes one token.

    Parameters
    ----------
    segments : iterable of str
        The training corpus, one segment per item (repeat a segment to weigh it).
    vocab_size : int
        Largest vocabulary, the 256 bytes and the special token included.

    Returns
    -------
    tokenizers.Tokenizer
        Its token 0 is :data:`SPECIAL_TOKEN`.
    """
    tokenizers = import_optional("tokenizers", purpose="PredLLMSynthesizer")
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE())
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(
        add_prefix_space=False, use_regex=False
    )
    tokenizer.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[SPECIAL_TOKEN], show_progress=False,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(segments, trainer=trainer)
    return tokenizer


def build_model(config, vocab_size, n_positions, special_id):
    """A GPT-2 language model with random weights (seed torch's generator before calling).

    Parameters
    ----------
    config : dict
        Output of :func:`check_model_config`.
    vocab_size : int
        Size of the tokenizer's vocabulary.
    n_positions : int
        Longest sequence.
    special_id : int
        Id of the start / end / padding token.

    Returns
    -------
    transformers.GPT2LMHeadModel
    """
    transformers = import_optional("transformers", purpose="PredLLMSynthesizer")
    gpt2_config = transformers.GPT2Config(
        vocab_size=vocab_size, n_positions=n_positions, n_embd=config["n_embd"],
        n_layer=config["n_layer"], n_head=config["n_head"], resid_pdrop=config["dropout"],
        # No dropout on the attention weights: PyTorch's fused attention kernel runs then,
        # and trains about 10 % faster on a CPU.
        embd_pdrop=config["dropout"], attn_pdrop=0.0, bos_token_id=special_id,
        eos_token_id=special_id,
        # GPT-2's tanh approximation of GELU in one native operation ("gelu_new" is the same
        # function written as several).
        activation_function="gelu_pytorch_tanh",
    )
    return transformers.GPT2LMHeadModel(gpt2_config)


def load_pretrained(name_or_path):
    """Load a causal language model and its fast tokenizer from a folder or the hub.

    Parameters
    ----------
    name_or_path : str
        A local folder written by ``save_pretrained``, or a model name on the Hugging Face hub
        (downloaded only if it is not cached and the network allows).

    Returns
    -------
    model : transformers.PreTrainedModel
    tokenizer : tokenizers.Tokenizer
        The backend of the model's fast tokenizer.
    bos_id, eos_id : int
        Ids of the start and end tokens (the same token when the model has no start token).

    Raises
    ------
    ValueError
        If the tokenizer is not a fast tokenizer or has no end-of-text token.
    """
    transformers = import_optional("transformers", purpose="PredLLMSynthesizer")
    tokenizer = transformers.AutoTokenizer.from_pretrained(name_or_path)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ValueError(f"The tokenizer of {name_or_path!r} is not a fast tokenizer; "
                         "PredLLMSynthesizer needs one (the tokenizers library).")
    if tokenizer.eos_token_id is None:
        raise ValueError(f"The tokenizer of {name_or_path!r} has no end-of-text token.")
    bos_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else (
        tokenizer.eos_token_id)
    model = transformers.AutoModelForCausalLM.from_pretrained(name_or_path)
    return model, backend, bos_id, tokenizer.eos_token_id


def add_lora(model, r, alpha, dropout, target_modules):
    """Wrap ``model`` with LoRA adapters (only the adapters train).

    Parameters
    ----------
    model : transformers.PreTrainedModel
    r : int
        Rank of the adapters.
    alpha : float
        Scaling numerator (the update is scaled by ``alpha / r``).
    dropout : float
        Dropout on the adapters' input.
    target_modules : list of str or None
        Names of the modules that get adapters; None takes peft's default for the
        architecture (``c_attn`` for GPT-2).

    Returns
    -------
    peft.PeftModel
    """
    peft = import_optional("peft", purpose="LoRA in PredLLMSynthesizer")
    config = peft.LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                             target_modules=target_modules, task_type="CAUSAL_LM")
    return wrap_with_adapters(model, config)


def wrap_with_adapters(model, config, adapter_name="default"):
    """Wrap ``model`` with the peft adapters of ``config`` (a ``peft.PeftConfig``).

    Returns
    -------
    peft.PeftModel
    """
    peft = import_optional("peft", purpose="LoRA in PredLLMSynthesizer")
    with warnings.catch_warnings():
        # peft switches fan_in_fan_out on for GPT-2's Conv1D layers and says so; transformers
        # deprecates a method peft calls. Neither concerns the user.
        warnings.filterwarnings("ignore", message=".*fan_in_fan_out.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        return peft.get_peft_model(model, config, adapter_name=adapter_name)


def merge_lora(model):
    """Fold LoRA adapters into the weights; return the plain model."""
    return model.merge_and_unload()


class TokenLayout:
    """Rows as token ids, one segment at a time.

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        The model's tokenizer.
    codec : RowCodec
        Text of the values.
    bos_id, eos_id : int
        Start and end tokens.
    texts : dict of str to list of str, default=None
        Real texts of the free-text columns, which set their longest generated value.

    Attributes
    ----------
    term_id : int
        Id of the terminator ``,`` that ends a value followed by another field.
    char_ids : dict of str to int
        Id of each character of :data:`CHARACTERS`.
    name_ids : dict of str to tuple of two lists
        Ids of each column's name and separator, when it comes first and when it follows
        another field.
    max_value_tokens : dict of str to int
        Most tokens of one value of each column.
    """

    def __init__(self, tokenizer, codec, bos_id, eos_id, texts=None):
        self.tokenizer = tokenizer
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.kinds = {name: codec.codecs[name].kind for name in codec.columns}
        self.term_id = self._single(TERMINATOR)
        self.char_ids = {char: self._single(char) for char in CHARACTERS}
        self.name_ids = {}
        for name in codec.columns:
            segment = codec.codecs[name].escaped_name + NAME_SEPARATOR
            self.name_ids[name] = (self.ids(segment), self.ids(" " + segment))
        self.missing_ids = self.ids(MISSING)
        self.max_value_tokens = {
            name: self._max_value_tokens(codec.codecs[name], (texts or {}).get(name, []))
            for name in codec.columns
        }

    @property
    def vocab_size(self):
        """Size of the model's vocabulary."""
        return self.tokenizer.get_vocab_size()

    def ids(self, text):
        """Token ids of one segment."""
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def _single(self, char):
        ids = self.ids(char)
        if len(ids) != 1 or self.tokenizer.decode(ids) != char:
            raise ValueError(f"The tokenizer cannot write {char!r} as one token; "
                             "PredLLMSynthesizer needs a byte-level tokenizer such as GPT-2's.")
        return ids[0]

    def writes(self, name, text):
        """Whether a value of column ``name`` written ``text`` has token ids."""
        return True

    def in_characters(self, name):
        """Whether the values of column ``name`` are written one character per token."""
        return self.kinds[name] in CHARACTER_KINDS

    def value_ids(self, name, text):
        """Token ids of one value's text of column ``name`` (one per character for numbers
        and datetimes)."""
        if text == MISSING:
            return list(self.missing_ids)
        if self.in_characters(name):
            return [self.char_ids[char] for char in text]
        return self.ids(text)

    def column_ids(self, name, texts):
        """Token ids of many values of column ``name`` (each distinct text is tokenized
        once)."""
        known = {}
        out = []
        for text in texts:
            if text not in known:
                known[text] = self.value_ids(name, text)
            out.append(known[text])
        return out

    def terminator(self, last):
        """The token that ends a field's value: the end token after the last field."""
        return self.eos_id if last else self.term_id

    def label_ids(self, name, text):
        """Token ids of a label of column ``name`` written last, its end token included."""
        return self.value_ids(name, text) + [self.eos_id]

    def token_inputs(self, order):
        """Inputs of the model for each token of a row written in ``order`` beside its id,
        as a dict of input name to one list per token; None: positions are the tokens'
        indices."""
        return None

    def _max_value_tokens(self, codec, texts):
        longest = len(self.missing_ids)
        if codec.kind in ("categorical", "boolean"):
            return max([longest] + [len(self.ids(t)) for t in codec.category_texts])
        if codec.kind == "datetime":
            return max(longest, len(codec.template))
        if codec.kind == "text":
            real = max((len(self.ids(text)) for text in texts), default=1)
            return max(MIN_TEXT_TOKENS, TEXT_LENGTH_FACTOR * real)
        low, high = codec.unit_bounds()
        digits = max(len(str(abs(low))), len(str(abs(high))), codec.scale + 1)
        return max(longest, digits + 2)

    def max_row_tokens(self, columns):
        """Most tokens of a row of ``columns``, start and end tokens included."""
        return 1 + sum(
            max(map(len, self.name_ids[name])) + self.max_value_tokens[name] + 1
            for name in columns
        )

    def n_positions(self, columns):
        """Position ids a model needs for rows of ``columns``."""
        return self.max_row_tokens(columns)

    def row_ids(self, value_ids, order, weights=None, value_weights=None):
        """Token ids of one row (start token, fields in ``order``, end token), the weight
        of each token in the training loss and the model's other inputs.

        Parameters
        ----------
        value_ids : dict of str to list of int
            Token ids of each column's value (from :meth:`value_ids`).
        order : sequence of str
            The columns, in the order they are written.
        weights : dict of str to float, default=None
            Loss weight of the value tokens and terminator of some columns; 1 elsewhere.
        value_weights : dict of str to list of float, default=None
            Factors of the weight of each value token of some columns (one per token of
            ``value_ids[name]``); 1 elsewhere.

        Returns
        -------
        ids : list of int
        token_weights : list of float
        token_inputs : dict of str to list of int or None
            See :meth:`token_inputs`.
        """
        ids, token_weights = [self.bos_id], [1.0]
        last = len(order) - 1
        for k, name in enumerate(order):
            terminator = self.terminator(k == last)
            ends = [] if terminator is None else [terminator]
            ids += self.name_ids[name][k > 0] + value_ids[name] + ends
            weight = (weights or {}).get(name, 1.0)
            factors = (value_weights or {}).get(name) or [1.0] * len(value_ids[name])
            token_weights += [1.0] * len(self.name_ids[name][k > 0])
            token_weights += [weight * factor for factor in factors] + [weight] * len(ends)
        return ids, token_weights, self.token_inputs(order)


class FieldLayout(TokenLayout):
    """Rows as fields: one token per field, beside it its column and the next column.

    A row is the start token, one token per field and the end token. A field's token is
    its value's text, one id per distinct text of all columns. Each token also gets a token
    type id, the id of its column's own token (the start token's for the start and end
    tokens), and a position id, the index of the column written next (``len(columns)``
    before and at the end token).

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        The model's tokenizer (it gives the start and end tokens; the values' and columns'
        ids follow its vocabulary).
    codec : RowCodec
        Text of the values.
    bos_id, eos_id : int
        Start and end tokens.
    field_texts : dict of str to list of str
        The texts each column writes (every column of ``codec``).

    Attributes
    ----------
    text_ids : dict of str to int
        Token id of each value's text.
    type_ids : dict of str to int
        Token type id of each column.
    field_texts : dict of str to set of str
        The texts each column writes.
    """

    def __init__(self, tokenizer, codec, bos_id, eos_id, field_texts):
        super().__init__(tokenizer, codec, bos_id, eos_id)
        self.columns = list(codec.columns)
        self.name_ids = {name: ([], []) for name in self.columns}
        self.max_value_tokens = {name: 1 for name in self.columns}
        self.field_texts = {name: set(texts) for name, texts in field_texts.items()}
        texts = sorted(set().union(*self.field_texts.values()))
        first = tokenizer.get_vocab_size()
        self.text_ids = {text: first + k for k, text in enumerate(texts)}
        first += len(texts)
        self.type_ids = {name: first + k for k, name in enumerate(self.columns)}
        self._vocab_size = first + len(self.columns)
        self._index = {name: k for k, name in enumerate(self.columns)}

    @property
    def vocab_size(self):
        return self._vocab_size

    def writes(self, name, text):
        return text in self.field_texts[name]

    def in_characters(self, name):
        return False

    def value_ids(self, name, text):
        if text not in self.field_texts[name]:
            raise ValueError(f"Column {name!r}: {unescape(text)!r} is not one of the values "
                             "of the training rows, which are the only values the model "
                             "writes.")
        return [self.text_ids[text]]

    def terminator(self, last):
        return self.eos_id if last else None

    def label_ids(self, name, text):
        # the end token always follows the last field: it tells no label from another
        return self.value_ids(name, text)

    def token_inputs(self, order):
        end = len(self.columns)
        return {"position_ids": [self._index[name] for name in order] + [end, end],
                "token_type_ids": ([self.bos_id] + [self.type_ids[name] for name in order]
                                   + [self.bos_id])}

    def max_row_tokens(self, columns):
        return len(columns) + 2

    def n_positions(self, columns):
        return len(self.columns) + 1


def padded_token_inputs(token_inputs, lengths, width, device):
    """The inputs of :meth:`TokenLayout.token_inputs` of rows of ``lengths`` tokens as
    tensors of ``width`` tokens per row, zero after each row's tokens (positions are the
    tokens' indices for rows without inputs)."""
    import torch

    n_rows = len(lengths)
    if token_inputs[0] is None:
        return {"position_ids": torch.arange(width, device=device).repeat(n_rows, 1)}
    tensors = {}
    for key in token_inputs[0]:
        table = torch.zeros((n_rows, width), dtype=torch.long)
        for r, (inputs, length) in enumerate(zip(token_inputs, lengths)):
            table[r, :length] = torch.as_tensor(inputs[key][:length])
        tensors[key] = table.to(device)
    return tensors
