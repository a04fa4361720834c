"""The optimizer whose state carries over from one training call to the next."""


def continued_adamw(parameters, learning_rate, weight_decay, previous=None):
    """AdamW over ``parameters``, continuing the state of ``previous`` when it optimized
    parameters of the same shapes (a fitted model's optimizer, possibly loaded from a file
    and so bound to copies of the parameters); a fresh state otherwise.

    Parameters
    ----------
    parameters : list of torch.nn.Parameter
        The parameters to train.
    learning_rate : float
        Learning rate (the schedule sets it at every step).
    weight_decay : float
        Decoupled weight decay.
    previous : torch.optim.Optimizer or None, default=None
        The optimizer of the previous call.

    Returns
    -------
    torch.optim.AdamW
    """
    import torch

    parameters = list(parameters)
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=weight_decay,
                                  fused=_can_fuse(parameters))
    if previous is not None and _same_shapes(previous, parameters):
        optimizer.load_state_dict(previous.state_dict())
    return optimizer


def _can_fuse(parameters):
    """Whether torch's fused AdamW kernel applies: float parameters on the CPU or a CUDA GPU
    (three to four times faster than the loop over tensors on a CPU)."""
    return bool(parameters) and all(
        p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in parameters)


def _same_shapes(optimizer, parameters):
    state = optimizer.state_dict()
    indices = [i for group in state["param_groups"] for i in group["params"]]
    if len(indices) != len(parameters):
        return False
    moments = {i: s["exp_avg"].shape for i, s in state["state"].items() if "exp_avg" in s}
    return all(moments.get(i, p.shape) == p.shape for i, p in zip(indices, parameters))
