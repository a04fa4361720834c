"""Pickles hold torch state device-neutrally and warn across skltab versions."""

import io
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

from skltab.base import BaseSynthesizer
from skltab.metadata import EncodedTable, TableEncoder
from skltab.utils import InconsistentVersionWarning
from skltab.utils._persistence import TorchBlob

torch = pytest.importorskip("torch")


class TorchGaussianSynthesizer(BaseSynthesizer):
    """Multivariate normal on numeric columns, held in a torch Linear layer."""

    def __init__(self, *, device="cpu", metadata=None, random_state=None, verbose=0):
        self.device = device
        self.metadata = metadata
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, table):
        self.device_ = self.device
        self.encoder_ = TableEncoder(self.metadata_).fit(table)
        values = torch.tensor(self.encoder_.transform(table).numeric)
        self.model_ = torch.nn.Linear(values.shape[1], values.shape[1]).double()
        with torch.no_grad():
            self.model_.weight.copy_(torch.linalg.cholesky(torch.cov(values.T)))
            self.model_.bias.copy_(values.mean(dim=0))
        self.model_.to(self.device_)

    def _sample(self, n_samples, conditions, random_state):
        noise = torch.tensor(random_state.normal(size=(n_samples, self.model_.in_features)))
        with torch.no_grad():
            numeric = self.model_(noise.to(self.device_)).cpu().numpy()
        return self.encoder_.inverse_transform(EncodedTable(numeric, np.empty((n_samples, 0))))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    x = rng.normal(size=300)
    table = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(scale=0.1, size=300)})
    return TorchGaussianSynthesizer(random_state=0).fit(table)


def _round_trip(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def test_torch_state_is_pickled_as_bytes_and_samples_identically(fitted):
    state = fitted.__getstate__()
    assert isinstance(state["model_"], TorchBlob) and state["model_"].device == "cpu"
    loaded = _round_trip(fitted)
    assert isinstance(loaded.model_, torch.nn.Linear)
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=1),
                                  fitted.sample(50, random_state=1))
    assert np.corrcoef(loaded.sample(500, random_state=2).T.to_numpy())[0, 1] > 0.95


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_gpu_model_loads_on_a_machine_without_one(fitted):
    state = fitted.__getstate__()
    state["model_"].device = "cuda:0"
    state["device_"] = "cuda"
    loaded = TorchGaussianSynthesizer.__new__(TorchGaussianSynthesizer)
    with pytest.warns(UserWarning, match="fitted on 'cuda', which this machine does not have"):
        loaded.__setstate__(state)
    assert loaded.device_ == "cpu"
    assert next(loaded.model_.parameters()).device.type == "cpu"
    pd.testing.assert_frame_equal(loaded.sample(20, random_state=3),
                                  fitted.sample(20, random_state=3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_model_fitted_on_gpu_samples_like_on_cpu(fitted):
    on_gpu = TorchGaussianSynthesizer(device="cuda", random_state=0).fit(fitted.sample(300))
    assert _round_trip(on_gpu).model_.weight.device.type == "cuda"


def test_version_mismatch_warns(fitted):
    state = fitted.__getstate__()
    state["_skltab_version"] = "0.0.1"
    loaded = TorchGaussianSynthesizer.__new__(TorchGaussianSynthesizer)
    with pytest.warns(InconsistentVersionWarning, match="pickled with skltab 0.0.1"):
        loaded.__setstate__(state)


def test_pickling_without_torch_does_not_import_it():
    code = (
        "import pickle, sys, pandas as pd\n"
        "from skltab import IndependentSynthesizer\n"
        "s = IndependentSynthesizer().fit(pd.DataFrame({'a': [1.0, 2.5, 3.0]}))\n"
        "pickle.loads(pickle.dumps(s)).sample(2)\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
