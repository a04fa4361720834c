"""Diffusion synthesizers: Gaussian diffusion for numbers, masked diffusion for categories.

Importing this package does not import torch; the model's torch modules load when a
synthesizer is fitted or unpickled.
"""

from ._synthesizer import MaskedDiffusionSynthesizer

__all__ = ["MaskedDiffusionSynthesizer"]
