"""Training loop of a causal language model on weighted token sequences.

AdamW with a linear warm-up and a linear decay (or a constant rate when training continues),
gradient accumulation, gradient clipping, a guard against non-finite losses, optional early
stopping on validation sequences (``skltab.utils._early_stopping``), a progress bar and one
history record per epoch. Sequences are rebuilt every epoch (by a callable), so each epoch sees
new column orders.
"""

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..utils._progress import progress_bar
from ..utils._torch import seeded_torch

logger = logging.getLogger(__name__)

#: Gradients are clipped to this norm.
MAX_GRAD_NORM = 1.0


@dataclass
class TrainingSettings:
    """How to train.

    Attributes
    ----------
    epochs : int
        Passes over the rows.
    batch_size : int
        Rows per forward pass.
    learning_rate : float
        Peak learning rate.
    weight_decay : float
        Decoupled weight decay of AdamW.
    warmup_ratio : float
        Share of the optimizer steps of the linear warm-up.
    gradient_accumulation_steps : int
        Forward passes per optimizer step.
    schedule : {"linear", "constant"}
        Warm-up then linear decay to 0, or a constant rate without warm-up.
    """

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    warmup_ratio: float
    gradient_accumulation_steps: int
    schedule: str


def train(model, make_sequences, weights, settings, seed, pad_id, device, verbose,
          first_epoch=0, validation=None, monitor=None, validation_every=1):
    """Train ``model`` in place on weighted token sequences; return the epochs' history.

    Parameters
    ----------
    model : torch.nn.Module
        A causal language model (``model(input_ids, attention_mask).logits``); only its
        parameters with ``requires_grad`` train.
    make_sequences : callable
        ``(rng) -> list of (ids, token_weights)``: the token ids of every row for one epoch
        and the loss weight of each token, from a ``numpy.random.RandomState`` (for the
        column orders).
    weights : ndarray of shape (n_rows,)
        Weight of each row; each row's loss is the weighted mean of its tokens'
        cross-entropies.
    settings : TrainingSettings
        Epochs, batches and learning rate.
    seed : int
        Seed of the column orders, the batches and dropout.
    pad_id : int
        Token id used for padding (never learned).
    device : str
        Torch device of the model.
    verbose : int
        0 silent, 1 a progress bar, 2 also a log line per epoch.
    first_epoch : int, default=0
        Epochs already run (numbers the history).
    validation : list of (ids, token_weights) or None, default=None
        Held-out sequences whose mean loss (:func:`validation_loss`) is recorded every
        ``validation_every`` epochs and after the last one.
    monitor : EarlyStopping or None, default=None
        Fed with each record that has a validation loss; it may stop training, and it puts
        back the state it keeps when training ends.
    validation_every : int, default=1
        Epochs between two validation losses.

    Returns
    -------
    list of dict
        One record per epoch: ``epoch``, ``loss``, ``learning_rate``, ``n_tokens``,
        ``seconds``, and ``validation_loss`` (and the privacy check's scores) where
        evaluated.
    """
    rng = np.random.RandomState(seed)
    n_rows = len(weights)
    batch_size = min(settings.batch_size, n_rows)
    batches_per_epoch = math.ceil(n_rows / batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / settings.gradient_accumulation_steps)
    total_steps = settings.epochs * steps_per_epoch
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate,
        weight_decay=settings.weight_decay,
    )
    weights = torch.as_tensor(weights, dtype=torch.float32)
    history, step = [], 0
    model.train()
    with seeded_torch(seed), progress_bar(settings.epochs, verbose,
                                          "PredLLMSynthesizer.fit") as bar:
        for epoch in range(settings.epochs):
            start = time.perf_counter()
            sequences = make_sequences(rng)
            order = rng.permutation(n_rows)
            batches = [order[i : i + batch_size] for i in range(0, n_rows, batch_size)]
            sums = {"loss": 0.0, "weight": 0.0, "tokens": 0}
            for g in range(0, len(batches), settings.gradient_accumulation_steps):
                rate = _learning_rate(settings, step, total_steps)
                group = batches[g : g + settings.gradient_accumulation_steps]
                _step(model, optimizer, [[sequences[i] for i in b] for b in group],
                      [weights[b] for b in group], rate, pad_id, device, sums)
                step += 1
            record = {"epoch": first_epoch + epoch + 1,
                      "loss": sums["loss"] / max(sums["weight"], 1e-12),
                      "learning_rate": rate, "n_tokens": sums["tokens"]}
            stop = False
            if validation is not None and ((epoch + 1) % validation_every == 0
                                           or epoch + 1 == settings.epochs):
                record["validation_loss"] = validation_loss(
                    model, validation, batch_size, pad_id, device)
                stop = monitor is not None and monitor.update(record)
                model.train()
            record["seconds"] = time.perf_counter() - start
            history.append(record)
            _report(record, bar, verbose)
            if stop:
                break
    if monitor is not None:
        monitor.finish()
    model.eval()
    return history


@torch.no_grad()
def validation_loss(model, sequences, batch_size, pad_id, device):
    """Mean over ``sequences`` of each one's weighted mean token cross-entropy, without
    dropout (the model is left in evaluation mode)."""
    model.eval()
    total = 0.0
    for i in range(0, len(sequences), batch_size):
        batch = sequences[i : i + batch_size]
        loss, _ = _batch_loss(model, batch, torch.ones(len(batch)), pad_id, device)
        total += float(loss)
    return total / len(sequences)


def _step(model, optimizer, batches, weights, rate, pad_id, device, sums):
    """One optimizer step over a group of batches (gradient accumulation)."""
    group_weight = float(sum(w.sum() for w in weights))
    if group_weight <= 0:
        return
    for group in optimizer.param_groups:
        group["lr"] = rate
    for sequences, batch_weights in zip(batches, weights):
        loss, tokens = _batch_loss(model, sequences, batch_weights, pad_id, device)
        if not math.isfinite(float(loss.detach())):
            raise FloatingPointError(
                f"The training loss became {float(loss.detach())}; lower learning_rate. The "
                "model was not changed by this step."
            )
        (loss / group_weight).backward()
        sums["loss"] += float(loss.detach())
        sums["weight"] += float(batch_weights.sum())
        sums["tokens"] += tokens
    torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _batch_loss(model, sequences, weights, pad_id, device):
    """Weighted sum of the rows' weighted mean token cross-entropies, and the number of
    tokens."""
    width = max(len(ids) for ids, _ in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    token_weights = torch.zeros((len(sequences), width))
    for r, (sequence, sequence_weights) in enumerate(sequences):
        ids[r, : len(sequence)] = torch.as_tensor(sequence)
        mask[r, : len(sequence)] = 1
        token_weights[r, : len(sequence)] = torch.as_tensor(sequence_weights)
    ids, mask, weights = ids.to(device), mask.to(device), weights.to(device)
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
    targets = ids[:, 1:]
    token_weights = token_weights[:, 1:].to(device=device, dtype=logits.dtype)
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    ).view(targets.shape)
    per_row = (losses * token_weights).sum(1) / token_weights.sum(1)
    return (per_row * weights).sum(), int(mask[:, 1:].sum())


def _learning_rate(settings, step, total_steps):
    if settings.schedule == "constant":
        return settings.learning_rate
    warmup = math.ceil(settings.warmup_ratio * total_steps)
    if step < warmup:
        return settings.learning_rate * (step + 1) / warmup
    remaining = max(1, total_steps - warmup)
    return settings.learning_rate * max(0.0, 1 - (step - warmup) / remaining)


def _report(record, bar, verbose):
    bar.update(1)
    bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
    if verbose >= 2:
        checked = "".join(f", {name}={record[name]:.4f}" for name in
                          ("validation_loss", "too_close_rate") if name in record)
        logger.info("epoch %d: loss=%.4f%s, learning_rate=%.3g, %d tokens, %.1f s",
                    record["epoch"], record["loss"], checked, record["learning_rate"],
                    record["n_tokens"], record["seconds"])
