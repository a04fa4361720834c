"""What a causal language model supplies to the shared training engine: batches of rows
written as token sequences (rebuilt every epoch, so each epoch sees new column orders) and
each row's weighted mean token cross-entropy."""

import numpy as np
import torch

from .._nn._loop import TrainingTask
from ._model import padded_token_inputs


class LanguageModelTask(TrainingTask):
    """Batches and per-row losses of rows written as text.

    Parameters
    ----------
    make_sequences : callable
        ``(rng) -> list of (ids, token_weights, token_inputs)``: the token ids of every row
        for one epoch, the loss weight of each token and the model's other inputs (see
        :meth:`~._model.TokenLayout.row_ids`), from a ``numpy.random.RandomState`` (for the
        column orders).
    rng : numpy.random.RandomState
        Source of the column orders and of the batches' order.
    pad_id : int
        Token id used for padding (never learned).
    device : str
        Torch device of the model.
    """

    def __init__(self, make_sequences, rng, pad_id, device):
        self.make_sequences = make_sequences
        self.rng = rng
        self.pad_id = pad_id
        self.device = device
        self.sequences, self.n_tokens = None, 0

    def epoch_batches(self, n_rows, batch_size):
        self.sequences, self.n_tokens = self.make_sequences(self.rng), 0
        order = self.rng.permutation(n_rows)
        return [order[i : i + batch_size] for i in range(0, n_rows, batch_size)]

    def row_losses(self, model, batch):
        losses, n_tokens = row_cross_entropies(
            model, [self.sequences[i] for i in batch], self.pad_id, self.device)
        self.n_tokens += n_tokens
        return losses, {}

    def epoch_record(self):
        return {"n_tokens": self.n_tokens}


@torch.no_grad()
def validation_loss(model, sequences, weights, batch_size, pad_id, device):
    """Weighted mean over ``sequences`` of each one's weighted mean token cross-entropy,
    without dropout (the model is left in evaluation mode)."""
    model.eval()
    total = 0.0
    for i in range(0, len(sequences), batch_size):
        losses, _ = row_cross_entropies(model, sequences[i : i + batch_size], pad_id, device)
        total += float((torch.as_tensor(weights[i : i + batch_size], device=losses.device)
                        * losses).sum())
    return total / float(np.sum(weights))


def row_cross_entropies(model, sequences, pad_id, device):
    """Each sequence's mean token cross-entropy weighted by its token weights, and the
    number of tokens predicted."""
    losses, token_weights, n_tokens = _token_losses(model, sequences, pad_id, device)
    return (losses * token_weights).sum(1) / token_weights.sum(1), n_tokens


def row_log_likelihoods(model, sequences, pad_id, device):
    """Each sequence's log-probability under ``model``: the sum of its tokens'
    log-probabilities (the start token's excepted), weighted by its token weights."""
    losses, token_weights, _ = _token_losses(model, sequences, pad_id, device)
    return -(losses * token_weights).sum(1)


def _token_losses(model, sequences, pad_id, device):
    """Cross-entropy of each predicted token of ``sequences`` (a list of ``(ids,
    token_weights, token_inputs)``, padded), the token weights (0 on padding) and the number
    of tokens predicted."""
    width = max(len(ids) for ids, _, _ in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    token_weights = torch.zeros((len(sequences), width))
    for r, (sequence, sequence_weights, _) in enumerate(sequences):
        ids[r, : len(sequence)] = torch.as_tensor(sequence)
        mask[r, : len(sequence)] = 1
        token_weights[r, : len(sequence)] = torch.as_tensor(sequence_weights)
    ids, mask = ids.to(device), mask.to(device)
    inputs = padded_token_inputs([inputs for _, _, inputs in sequences],
                                 [len(sequence) for sequence, _, _ in sequences], width, device)
    logits = model(input_ids=ids, attention_mask=mask, **inputs).logits[:, :-1]
    targets = ids[:, 1:]
    token_weights = token_weights[:, 1:].to(device=device, dtype=logits.dtype)
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    ).view(targets.shape)
    return losses, token_weights, int(mask[:, 1:].sum())
