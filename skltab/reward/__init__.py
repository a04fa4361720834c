"""Reward-guided post-training: :class:`RewardTunedSynthesizer`, and the rewards of generated
rows, greater is better.

A reward learns from the real rows (``fit(real, metadata)``) and scores generated rows, one
finite float per row (``score(rows)``): :class:`RealismReward` (a discriminator refitted on
every call), :class:`MarginalReward` (how a row moves the marginals and pair statistics
towards the real ones), :class:`RuleReward` (the table's rules), :class:`UtilityReward`
(agreement of the row's target with a model of the real rows) and :class:`PrivacyReward` (a
penalty for rows too close to a real row). :func:`make_reward` builds one from a name or a
callable, :func:`combine_rewards` weighs several into a :class:`CombinedReward`.
"""

from ._rewards import (
    CallableReward,
    CombinedReward,
    MarginalReward,
    PrivacyReward,
    RealismReward,
    Reward,
    RuleReward,
    UtilityReward,
    combine_rewards,
    make_reward,
)
from ._synthesizer import RewardTunedSynthesizer

__all__ = [
    "CallableReward",
    "CombinedReward",
    "MarginalReward",
    "PrivacyReward",
    "RealismReward",
    "Reward",
    "RewardTunedSynthesizer",
    "RuleReward",
    "UtilityReward",
    "combine_rewards",
    "make_reward",
]
