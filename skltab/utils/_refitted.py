"""A model kept as its training data and fitted on first use, for models with no safe form."""

from sklearn.base import clone


class RefittedModel:
    """An unfitted estimator and the data to fit it on; :meth:`fitted` fits a clone once.

    The fitted model is not written by :func:`skltab.save` (a fitted gradient boosting, for
    one, holds objects the safe format cannot store): a loaded copy refits it, identically
    for a seeded estimator, the first time it is asked for.

    Parameters
    ----------
    estimator : estimator
        The unfitted model, seeded for a reproducible refit.
    X, y : ndarray
        Its training data.
    """

    _unsaved_attributes = ("_fitted",)

    def __init__(self, estimator, X, y):
        self.estimator, self.X, self.y = estimator, X, y
        self._fitted = None

    def fitted(self):
        """The estimator fitted on ``X`` and ``y``, fitted on the first call."""
        if getattr(self, "_fitted", None) is None:
            self._fitted = clone(self.estimator).fit(self.X, self.y)
        return self._fitted
