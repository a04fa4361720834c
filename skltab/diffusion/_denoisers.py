"""The shared denoiser: one network that reads noisy numeric cells, masked categorical cells and
the time, and predicts the numeric noise and the logits of every categorical column.

Three bodies share the sinusoidal time embedding and the output heads' interface:

- :class:`MLPDenoiser`: the row embedding (numeric cells and one learned embedding per
  categorical cell) through a multilayer perceptron;
- :class:`ResNetDenoiser`: the same through pre-norm residual blocks;
- :class:`TransformerDenoiser`: a pre-norm transformer over one token per column.

Every denoiser has ``features(numeric, known, codes, t)`` (a hidden state per row; ``t`` may
hold one time for all rows),
``predict_noise(hidden)`` (the noise of each numeric cell) and ``logits(hidden, k, rows)``
(the logits of categorical column ``k``, for the given rows only, since a column may have
thousands of categories).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Size of the sinusoidal time features fed to the time embedding.
_TIME_FREQUENCIES = 32
#: Times are scaled to [0, 1000] before the sinusoidal features, as in discrete-time models.
_TIME_SCALE = 1000.0


class TimeEmbedding(nn.Module):
    """Sinusoidal features of the time, then a two-layer perceptron."""

    def __init__(self, dim):
        super().__init__()
        half = _TIME_FREQUENCIES // 2
        frequencies = torch.exp(-math.log(10000.0) * torch.arange(half) / half)
        self.register_buffer("frequencies", frequencies, persistent=False)
        self.mlp = nn.Sequential(nn.Linear(_TIME_FREQUENCIES, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t):
        angles = _TIME_SCALE * t[:, None].float() * self.frequencies
        return self.mlp(torch.cat([torch.sin(angles), torch.cos(angles)], dim=1))


def _code_offsets(cardinalities):
    """First row of each column's block in a shared embedding table (mask token last)."""
    sizes = [cardinality + 1 for cardinality in cardinalities]
    return torch.tensor([0] + sizes[:-1], dtype=torch.long).cumsum(0)[: len(sizes)], sum(sizes)


class ColumnTokenizer(nn.Module):
    """One vector per column, for the transformer.

    A numeric cell becomes ``value * w_j + b_j`` when noisy and ``value * u_j + c_j`` when
    known (given by a condition, or missing), so that known values have their own weights. A
    categorical cell becomes its code's learned embedding; each column has its own block of
    a shared table, whose last row is the column's mask token.
    """

    def __init__(self, n_numeric, cardinalities, dim):
        super().__init__()
        bound = 1.0 / math.sqrt(dim)
        self.numeric_weight = nn.Parameter(torch.empty(2, n_numeric, dim).uniform_(-bound, bound))
        self.numeric_bias = nn.Parameter(torch.empty(2, n_numeric, dim).uniform_(-bound, bound))
        offsets, size = _code_offsets(cardinalities)
        self.register_buffer("offsets", offsets)
        self.embedding = nn.Embedding(max(size, 1), dim)
        nn.init.uniform_(self.embedding.weight, -bound, bound)

    def forward(self, numeric, known, codes):
        state = known[..., None]
        weight = torch.lerp(self.numeric_weight[0], self.numeric_weight[1], state)
        bias = torch.lerp(self.numeric_bias[0], self.numeric_bias[1], state)
        numeric_tokens = numeric[..., None] * weight + bias
        categorical_tokens = self.embedding(codes + self.offsets)
        return torch.cat([numeric_tokens, categorical_tokens], dim=1)


class RowEmbedding(nn.Module):
    """The first hidden state of a row, for the MLP and the ResNet.

    A linear map of the numeric cells (noisy and known values in separate inputs) and their
    known flags, plus the sum of one learned ``dim``-vector per categorical cell (its code's
    embedding in its column's own block, mask token included). It equals concatenating
    per-column embeddings and applying a linear layer, without building the concatenation.
    """

    def __init__(self, n_numeric, cardinalities, dim):
        super().__init__()
        self.numeric = nn.Linear(3 * n_numeric, dim) if n_numeric else None
        offsets, size = _code_offsets(cardinalities)
        self.register_buffer("offsets", offsets)
        self.embedding = nn.Embedding(size, dim) if cardinalities else None
        if self.embedding is not None:
            bound = 1.0 / math.sqrt(len(cardinalities))
            nn.init.uniform_(self.embedding.weight, -bound, bound)

    def forward(self, numeric, known, codes):
        hidden = 0.0
        if self.numeric is not None:
            features = [numeric * (1.0 - known), numeric * known, known]
            hidden = self.numeric(torch.cat(features, dim=1))
        if self.embedding is not None:
            hidden = hidden + F.embedding_bag(codes + self.offsets, self.embedding.weight,
                                              mode="sum")
        return hidden


class _RowDenoiser(nn.Module):
    """Base of the denoisers whose hidden state is one vector per row."""

    def __init__(self, n_numeric, cardinalities, hidden_dim):
        super().__init__()
        self.embed = RowEmbedding(n_numeric, cardinalities, hidden_dim)
        self.time = TimeEmbedding(hidden_dim)
        self.noise_head = nn.Linear(hidden_dim, n_numeric) if n_numeric else None
        self.logit_heads = nn.ModuleList(nn.Linear(hidden_dim, k) for k in cardinalities)

    def _embed(self, numeric, known, codes, t):
        """The first hidden state (cells and time) and the time embedding."""
        time = self.time(t)
        return self.embed(numeric, known, codes) + time, time

    def predict_noise(self, hidden):
        if self.noise_head is None:
            return hidden.new_zeros((len(hidden), 0))
        return self.noise_head(hidden)

    def logits(self, hidden, k, rows=None):
        return self.logit_heads[k](hidden if rows is None else hidden[rows])


class MLPDenoiser(_RowDenoiser):
    """The row embedding through ``n_layers`` hidden layers of ``hidden_dim`` units."""

    def __init__(self, n_numeric, cardinalities, *, hidden_dim, n_layers, dropout):
        super().__init__(n_numeric, cardinalities, hidden_dim)
        self.layers = nn.Sequential(*[
            nn.Sequential(nn.SiLU(), nn.Dropout(dropout), nn.Linear(hidden_dim, hidden_dim))
            for _ in range(n_layers)
        ])
        self.output = nn.SiLU()

    def features(self, numeric, known, codes, t):
        hidden, _ = self._embed(numeric, known, codes, t)
        return self.output(self.layers(hidden))


class _ResidualBlock(nn.Module):
    def __init__(self, dim, dropout):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.time = nn.Linear(dim, dim)
        self.feed_forward = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.SiLU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim)
        )

    def forward(self, hidden, time):
        return hidden + self.feed_forward(self.norm(hidden) + self.time(time))


class ResNetDenoiser(_RowDenoiser):
    """The row embedding through ``n_layers`` pre-norm residual blocks.

    Each block adds ``FF(LayerNorm(h) + W t)`` to its input, so the time reaches every block.
    """

    def __init__(self, n_numeric, cardinalities, *, hidden_dim, n_layers, dropout):
        super().__init__(n_numeric, cardinalities, hidden_dim)
        self.blocks = nn.ModuleList(_ResidualBlock(hidden_dim, dropout) for _ in range(n_layers))
        self.output = nn.Sequential(nn.LayerNorm(hidden_dim), nn.SiLU())

    def features(self, numeric, known, codes, t):
        hidden, time = self._embed(numeric, known, codes, t)
        for block in self.blocks:
            hidden = block(hidden, time)
        return self.output(hidden)


class TransformerDenoiser(nn.Module):
    """A pre-norm transformer over the column tokens (GELU, ``n_heads`` heads).

    Each token gets its column's position embedding and the time embedding. The numeric heads
    read the numeric columns' tokens, each categorical head its own column's token.
    """

    def __init__(self, n_numeric, cardinalities, *, embedding_dim, hidden_dim, n_layers,
                 n_heads, dropout):
        super().__init__()
        n_columns = n_numeric + len(cardinalities)
        self.n_numeric = n_numeric
        self.tokenizer = ColumnTokenizer(n_numeric, cardinalities, embedding_dim)
        self.positions = nn.Parameter(torch.zeros(n_columns, embedding_dim))
        self.time = TimeEmbedding(embedding_dim)
        layer = nn.TransformerEncoderLayer(
            embedding_dim, n_heads, dim_feedforward=hidden_dim, dropout=dropout,
            activation="gelu", batch_first=True, norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embedding_dim)
        self.noise_weight = nn.Parameter(torch.zeros(n_numeric, embedding_dim))
        self.noise_bias = nn.Parameter(torch.zeros(n_numeric))
        self.logit_heads = nn.ModuleList(nn.Linear(embedding_dim, k) for k in cardinalities)

    def features(self, numeric, known, codes, t):
        tokens = self.tokenizer(numeric, known, codes) + self.positions + self.time(t)[:, None]
        return self.norm(self.encoder(tokens))

    def predict_noise(self, hidden):
        numeric = hidden[:, : self.n_numeric]
        return (numeric * self.noise_weight).sum(-1) + self.noise_bias

    def logits(self, hidden, k, rows=None):
        token = hidden[:, self.n_numeric + k]
        return self.logit_heads[k](token if rows is None else token[rows])


def build_denoiser(kind, n_numeric, cardinalities, *, embedding_dim, hidden_dim, n_layers,
                   n_heads, dropout):
    """Return the denoiser ``kind`` ("mlp", "resnet" or "transformer") for these columns.

    ``embedding_dim`` and ``n_heads`` are the transformer's; the MLP and the ResNet embed
    cells directly in ``hidden_dim``.
    """
    shared = {"hidden_dim": hidden_dim, "n_layers": n_layers, "dropout": dropout}
    if kind == "transformer":
        return TransformerDenoiser(n_numeric, cardinalities, embedding_dim=embedding_dim,
                                   n_heads=n_heads, **shared)
    denoiser = {"mlp": MLPDenoiser, "resnet": ResNetDenoiser}[kind]
    return denoiser(n_numeric, cardinalities, **shared)
