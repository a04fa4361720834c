"""Which column each rule rebuilds, and in what order the rules run on restore."""

from dataclasses import dataclass

from ._base import Rule

__all__ = ["Step", "plan_steps"]


@dataclass(frozen=True)
class Step:
    """One rule rebuilding one column.

    Attributes
    ----------
    rule : Rule
        The fitted rule.
    column : str
        The column it writes.
    action : {"drop", "rewrite", "adjust"}
        ``"drop"``: the column is left out of the model and rebuilt; ``"rewrite"``: the model
        learns it with the rule's part taken out and the rule puts it back; ``"adjust"``: the
        rule corrects values that break it.
    """

    rule: Rule
    column: str
    action: str


def plan_steps(rules):
    """Give each rule a column to rebuild, first come first served, without cycles.

    A column is written by one rule at most, and no rule reads a column that a later rule
    writes. Rules with no column left to write are only checked.

    Parameters
    ----------
    rules : list of Rule
        Fitted rules, the most important first; order rules are planned after the others.

    Returns
    -------
    steps : list of Step
        In the order :meth:`Rule.restore` must run.
    checked : list of Rule
        Rules that rebuild nothing.
    """
    steps, checked = [], []
    ordered = [r for r in rules if r.kind != "order"] + [r for r in rules if r.kind == "order"]
    for rule in ordered:
        written = {step.column for step in steps}
        for column, action in rule.rebuildable():
            candidate = Step(rule, column, action)
            if column not in written and _sorted_steps(steps + [candidate]) is not None:
                steps.append(candidate)
                break
        else:
            checked.append(rule)
    return _sorted_steps(steps), checked


def _sorted_steps(steps):
    """Steps in an order where each runs after the steps that write what it reads; None if
    they read one another in a cycle."""
    writer = {step.column: step for step in steps}
    after = {step: [writer[name] for name in step.rule.inputs(step.column)
                    if name in writer and name != step.column] for step in steps}
    done, ordered = set(), []
    while len(ordered) < len(steps):
        ready = [s for s in steps if s not in done and all(p in done for p in after[s])]
        if not ready:
            return None
        done.add(ready[0])
        ordered.append(ready[0])
    return ordered
