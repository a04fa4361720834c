"""Docstring blocks shared by several estimators, written once and filled in by
:func:`fill_doc`."""

import textwrap

#: Blocks by name; a docstring line holding only ``%(name)s`` is replaced by the block,
#: indented as that line.
SHARED_BLOCKS = {
    "training_attributes": """\
n_iter_ : int
    Epochs run (by :meth:`fit` and :meth:`partial_fit`).
stopping_reason_ : str
    Why :meth:`fit` stopped: ``"n_iter_no_change"`` (the validation loss stopped
    improving), ``"privacy"`` (a privacy check failed) or ``"max_epochs"`` (the budget
    ran out, or there was no early stopping; also after :meth:`partial_fit`).
best_epoch_ : int
    Epoch of the weights kept (the last epoch without early stopping).
validation_rows_ : ndarray of shape (n_validation,) or None
    Positions in :meth:`fit`'s ``X`` of the rows held out for early stopping, never
    trained on by :meth:`fit` (None: it trained on every row, or the synthesizer was
    started by :meth:`partial_fit`).
optimizer_ : torch.optim.AdamW or None
    The optimizer, whose state :meth:`partial_fit` continues from (None before training
    and after LoRA adapters are merged).""",
    "privacy_guard_attributes": """\
privacy_guard_ : PrivacyGuard or None
    The training rows in distance space and the threshold of the privacy guard (None
    with ``privacy_guard=False`` or a table with only text columns).
privacy_guard_report_ : dict
    What the guard did in the last :meth:`sample` or :meth:`iter_samples` call:
    ``n_samples``, ``n_too_close`` (rows too close at their first draw), ``n_redraws``
    (rows drawn again), ``n_remaining`` (too close after every redraw, kept) and
    ``threshold``. Defined once the guard has sampled.""",
    "fit_attributes": """\
metadata_ : TableMetadata
    Metadata of the fitted table.
random_state_ : RandomState
    Generator drawn from by :meth:`sample` when it gets no ``random_state``.
n_features_in_ : int
    Number of columns of ``X``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Column names of ``X``; defined only when ``X`` was a DataFrame.
input_format_ : InputFormat
    How ``X`` and ``y`` were passed, for :meth:`sample` to return the same.""",
}


def fill_doc(obj):
    """Fill the shared blocks into ``obj``'s docstring; return ``obj`` (a decorator).

    Raises
    ------
    KeyError
        If the docstring names a block that does not exist.
    """
    lines = []
    for line in obj.__doc__.splitlines():
        name = line.strip()
        if name.startswith("%(") and name.endswith(")s"):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(textwrap.indent(SHARED_BLOCKS[name[2:-2]], indent))
        else:
            lines.append(line)
    obj.__doc__ = "\n".join(lines)
    return obj
