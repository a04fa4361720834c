"""Over-sampling for imbalanced classification with synthetic rows.

:class:`SyntheticOversampler` has imbalanced-learn's ``fit_resample`` contract and its
``sampling_strategy`` semantics, so it drops into ``imblearn.pipeline.Pipeline`` beside SMOTE;
imbalanced-learn itself is optional (``pip install "skltab[imbalanced]"``).
"""

from ._oversampler import SyntheticOversampler

__all__ = ["SyntheticOversampler"]
