"""RefittedModel: a model kept as its training data, fitted once, refitted after loading."""

import io

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

import skltab
from skltab.utils._refitted import RefittedModel


def test_the_model_is_fitted_once_and_refitted_identically_after_the_safe_format():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    model = RefittedModel(HistGradientBoostingRegressor(random_state=0), X, X @ [1.0, 2.0, 0.0])
    fitted = model.fitted()
    assert model.fitted() is fitted and model.estimator is not fitted
    buffer = io.BytesIO()
    skltab.save(model, buffer)  # a fitted gradient boosting alone cannot be saved
    buffer.seek(0)
    loaded = skltab.load(buffer)
    assert "_fitted" not in vars(loaded)
    np.testing.assert_array_equal(loaded.fitted().predict(X), fitted.predict(X))
