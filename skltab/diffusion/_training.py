"""What the diffusion supplies to the shared training engine: batches of model-space rows
and each row's diffusion loss."""

import torch

from .._nn._loop import TrainingTask

#: Rows per forward pass when evaluating validation rows.
_EVALUATION_BATCH = 4096


class DiffusionTask(TrainingTask):
    """Batches and per-row losses of the hybrid diffusion.

    Parameters
    ----------
    process : HybridDiffusion
        Defines the loss.
    rows : Rows
        The training rows, as tensors on the model's device.
    generator : torch.Generator
        CPU generator of the batches' order, the times and the noise.
    categorical_weight : float
        Weight of the categorical term of the loss.
    """

    def __init__(self, process, rows, generator, categorical_weight):
        self.process = process
        self.rows = rows
        self.generator = generator
        self.categorical_weight = categorical_weight

    def epoch_batches(self, n_rows, batch_size):
        order = torch.randperm(n_rows, generator=self.generator).to(self.rows.codes.device)
        return order.split(batch_size)

    def row_losses(self, model, batch):
        return self.process.training_loss(model, self.rows.take(batch), self.generator,
                                          self.categorical_weight)


@torch.no_grad()
def held_out_loss(process, model, rows, weights, seed, categorical_weight):
    """Weighted mean training loss of ``model`` on held-out ``rows``, with fixed noise drawn
    from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    model.eval()
    total = 0.0
    for index in torch.arange(len(rows)).split(_EVALUATION_BATCH):
        index = index.to(weights.device)
        losses, _ = process.training_loss(model, rows.take(index), generator,
                                          categorical_weight)
        total += float((weights[index] * losses).sum())
    return total / float(weights.sum())
