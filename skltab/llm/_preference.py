"""Preference training of a causal language model against a frozen reference (DPO): pairs
of rows, one preferred to the other, and the loss that raises the model's log-ratio to the
reference on the preferred row above that on the other."""

import torch

from .._nn._loop import TrainingTask
from ._training import row_log_likelihoods


class PreferenceTask(TrainingTask):
    """Batches of pairs and each pair's DPO loss.

    The loss of a pair is ``-log sigmoid(beta * ((log p(c) - log p_ref(c)) - (log p(r) -
    log p_ref(r))))`` for the chosen row ``c`` and the rejected row ``r``, with the model's
    log-probabilities ``p`` and the frozen reference's ``p_ref`` of the rows' token
    sequences.

    Parameters
    ----------
    chosen, rejected : list of (ids, token_weights)
        Token sequences of the chosen and the rejected row of each pair.
    reference : torch.Tensor of shape (n_pairs, 2)
        The reference's log-probability of the chosen and the rejected row of each pair.
    beta : float
        Inverse temperature of the log-ratios: the higher, the closer the model is held to
        the reference.
    rng : numpy.random.RandomState
        Source of the batches' order.
    pad_id : int
        Token id used for padding.
    device : str
        Torch device of the model.
    """

    def __init__(self, chosen, rejected, reference, beta, rng, pad_id, device):
        self.chosen, self.rejected = chosen, rejected
        self.reference = reference.to(device)
        self.beta = beta
        self.rng = rng
        self.pad_id = pad_id
        self.device = device

    def epoch_batches(self, n_rows, batch_size):
        order = self.rng.permutation(n_rows)
        return [order[i : i + batch_size] for i in range(0, n_rows, batch_size)]

    def row_losses(self, model, batch):
        sequences = [self.chosen[i] for i in batch] + [self.rejected[i] for i in batch]
        log_probs = row_log_likelihoods(model, sequences, self.pad_id, self.device)
        log_ratios = log_probs.view(2, len(batch)).T - self.reference[batch]
        margins = log_ratios[:, 0] - log_ratios[:, 1]
        losses = -torch.nn.functional.logsigmoid(self.beta * margins)
        return losses, {"margin": margins.detach(),
                        "preference_accuracy": (margins.detach() > 0).to(losses.dtype)}


@torch.no_grad()
def reference_log_likelihoods(model, chosen, rejected, batch_size, pad_id, device):
    """The frozen ``model``'s log-probability of the chosen and the rejected row of each
    pair, a tensor of shape (n_pairs, 2); the model is left in evaluation mode."""
    model.eval()
    columns = []
    for sequences in (chosen, rejected):
        columns.append(torch.cat([
            row_log_likelihoods(model, sequences[i : i + batch_size], pad_id, device)
            for i in range(0, len(sequences), batch_size)]))
    return torch.stack(columns, dim=1).float().cpu()
