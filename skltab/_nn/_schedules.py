"""Learning-rate schedules: a linear warm-up, then a cosine or linear decay to 0, or constant."""

import math
from dataclasses import dataclass

#: Shapes of the rate after the warm-up.
SHAPES = ("cosine", "linear", "constant")


@dataclass(frozen=True)
class Schedule:
    """The learning rate of each optimizer step of a run.

    Attributes
    ----------
    shape : {"cosine", "linear", "constant"}
        The rate after the warm-up: a cosine or a linear decay to 0 at the end of the run,
        or the peak rate throughout.
    warmup_steps : int
        Steps of the linear ramp from ``peak / warmup_steps`` to the peak (0: none).
    """

    shape: str
    warmup_steps: int = 0

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise ValueError(f"Unknown schedule shape {self.shape!r}; use one of {SHAPES}.")

    def rate(self, peak, step, total_steps):
        """Learning rate of step ``step`` (from 0) of a run of ``total_steps`` steps."""
        if step < self.warmup_steps:
            return peak * (step + 1) / self.warmup_steps
        if self.shape == "constant":
            return peak
        progress = (step - self.warmup_steps) / max(1, total_steps - self.warmup_steps)
        if self.shape == "cosine":
            return peak * 0.5 * (1.0 + math.cos(math.pi * progress))
        return peak * max(0.0, 1.0 - progress)
