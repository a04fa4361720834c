"""SynthesisPipeline: preprocessing steps, then a synthesizer whose samples are mapped back."""

import pandas as pd
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["SynthesisPipeline", "make_synthesis_pipeline"]


def _final_step_samples(pipeline):
    final = pipeline._final_estimator
    return final != "passthrough" and hasattr(final, "sample")


class SynthesisPipeline(Pipeline):
    """A scikit-learn ``Pipeline`` whose last step is a synthesizer.

    ``fit`` runs the transformers and fits the synthesizer on the transformed table, exactly as
    ``Pipeline.fit``. :meth:`sample` draws from the synthesizer and runs the transformers'
    ``inverse_transform`` in reverse, so rows come back in the original space. A ``y`` passed
    to ``fit`` goes through untouched and comes back from :meth:`sample`.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        Transformers with ``inverse_transform``, then a synthesizer.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers, as in :class:`sklearn.pipeline.Pipeline`.
    transform_input : list of str, default=None
        As in :class:`sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        Print the time each step takes to fit.

    See Also
    --------
    make_synthesis_pipeline : Build a SynthesisPipeline without naming the steps.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            steps = [step for _, step in self.steps if step not in (None, "passthrough")]
            tags.input_tags.allow_nan = all(get_tags(step).input_tags.allow_nan for step in steps)
        except (AttributeError, TypeError, ValueError):
            pass
        return tags

    @available_if(_final_step_samples)
    def sample(self, n_samples=1, *, conditions=None, random_state=None):
        """Sample from the synthesizer and map the rows back through every transformer.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.
        conditions : dict or DataFrame, default=None
            Fixed values, in the space of the original table. A dict is first expanded to one
            row per sample; each transformer then translates the DataFrame with its
            ``transform_conditions`` method; a transformer without one cannot take conditions.
        random_state : int, RandomState instance or None, default=None
            Seed of this call, as in the synthesizer's ``sample``.

        Returns
        -------
        synthetic : DataFrame, ndarray or tuple (X, y)
            Rows in the original space, in the container the pipeline was fitted on.
        """
        check_is_fitted(self)
        synthetic = self._final_estimator.sample(
            n_samples,
            conditions=self._conditions_for_final(conditions, n_samples),
            random_state=random_state,
        )
        return self._to_original_space(synthetic)

    @available_if(_final_step_samples)
    def iter_samples(self, n_samples, *, chunk_size, conditions=None, random_state=None):
        """Sample in chunks, each mapped back to the original space.

        Parameters
        ----------
        n_samples : int
            Total number of rows.
        chunk_size : int
            Rows per chunk.
        conditions : dict or DataFrame, default=None
            As in :meth:`sample`.
        random_state : int, RandomState instance or None, default=None
            As in :meth:`sample`.

        Returns
        -------
        chunks : generator
            Yields what :meth:`sample` returns, ``chunk_size`` rows at a time.
        """
        check_is_fitted(self)
        chunks = self._final_estimator.iter_samples(
            n_samples,
            chunk_size=chunk_size,
            conditions=self._conditions_for_final(conditions, n_samples),
            random_state=random_state,
        )
        return (self._to_original_space(chunk) for chunk in chunks)

    def _conditions_for_final(self, conditions, n_samples):
        """Translate conditions through every transformer, as a DataFrame of n_samples rows.

        A dict becomes one row per sample first, so that a step may translate a condition
        into different values per row (a city into one of its zip codes, say).
        """
        if conditions is None or not any(True for _ in self._iter(with_final=False)):
            return conditions
        if isinstance(conditions, dict):
            conditions = pd.DataFrame({name: [value] * n_samples
                                       for name, value in conditions.items()})
        for _, _, transformer in self._iter(with_final=False):
            conditions = self._translate_conditions(transformer, conditions)
        return conditions

    def _to_original_space(self, synthetic):
        X, y = synthetic if isinstance(synthetic, tuple) else (synthetic, None)
        for _, _, transformer in reversed(list(self._iter(with_final=False))):
            X = self._inverse(transformer, X)
        return X if y is None else (X, y)

    @staticmethod
    def _translate_conditions(transformer, conditions):
        if not hasattr(transformer, "transform_conditions"):
            raise TypeError(
                f"The step {type(transformer).__name__} cannot translate conditions (it has no "
                "transform_conditions method); sample without conditions, or condition the "
                "synthesizer on the transformed columns."
            )
        return transformer.transform_conditions(conditions)

    @staticmethod
    def _inverse(transformer, X):
        if not hasattr(transformer, "inverse_transform"):
            raise TypeError(
                f"The step {type(transformer).__name__} has no inverse_transform, so samples "
                "cannot be mapped back to the original space."
            )
        return transformer.inverse_transform(X)


def make_synthesis_pipeline(*steps, memory=None, transform_input=None, verbose=False):
    """Build a :class:`SynthesisPipeline` from estimators, naming the steps automatically.

    Parameters
    ----------
    *steps : estimators
        Transformers with ``inverse_transform``, then a synthesizer.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers.
    transform_input : list of str, default=None
        As in :func:`sklearn.pipeline.make_pipeline`.
    verbose : bool, default=False
        Print the time each step takes to fit.

    Returns
    -------
    SynthesisPipeline
    """
    pipeline = make_pipeline(
        *steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
    return SynthesisPipeline(
        pipeline.steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
