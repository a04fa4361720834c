"""Adapters that run other libraries' synthesizers behind skltab's synthesizer contract.

Each adapter imports its library only when it is fitted, so this package imports without the
optional extras installed.

- :class:`SDVSynthesizer` (module :mod:`skltab.integrations.sdv`): SDV's single-table
  synthesizers; needs the ``sdv`` extra (Business Source License).
"""

from .sdv import SDVSynthesizer

__all__ = ["SDVSynthesizer"]
