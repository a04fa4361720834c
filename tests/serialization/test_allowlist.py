"""Only allowed or trusted classes are constructed; values without a safe form are refused
when saving."""

import subprocess
import sys

import numpy as np
import pytest

import skltab
from skltab.base import InputFormat


class Holder:
    """A class of the user's own, not on the allowlist."""

    def __init__(self, value):
        self.value = value


def test_a_class_of_the_user_loads_only_when_trusted(saved):
    buffer = saved(Holder(np.arange(3)))
    with pytest.raises(ValueError, match=r"holds a .*:Holder at model.*trusted=\[Holder\]"):
        skltab.load(buffer)
    buffer.seek(0)
    loaded = skltab.load(buffer, trusted=[Holder])
    assert type(loaded) is Holder
    np.testing.assert_array_equal(loaded.value, np.arange(3))


@pytest.mark.parametrize("name", ["os:system", "subprocess:Popen", "builtins:eval",
                                  "pickle:loads", "torch.serialization:load",
                                  "skltab.__main__:main", "skltab.utils._persistence:TorchBlob.x"])
def test_other_classes_are_never_constructed_or_imported(name, saved, rewritten):
    def edit(document):
        document["model"]["class"] = name

    buffer = rewritten(saved(InputFormat("dataframe", ("a",))), edit=edit)
    with pytest.raises(ValueError, match="does not construct unless told to trust it|does not "
                                         "have"):
        skltab.load(buffer)
    assert "skltab.__main__" not in sys.modules


def test_a_class_allowed_for_another_kind_of_node_is_refused(saved, rewritten):
    import torch

    def edit(document):
        document["model"]["class"] = "skltab.base:InputFormat"

    with pytest.raises(ValueError, match="does not construct unless told to trust it"):
        skltab.load(rewritten(saved(torch.nn.Linear(2, 2)), edit=edit))


def test_a_class_this_installation_lacks_is_named(saved, rewritten):
    def edit(document):
        document["model"]["class"] = "skltab.base:NoSuchClass"

    with pytest.raises(ValueError, match="skltab.base:NoSuchClass .* this installation does "
                                         "not have"):
        skltab.load(rewritten(saved(InputFormat("dataframe", ("a",))), edit=edit))


def test_trusted_holds_classes_only(saved):
    with pytest.raises(TypeError, match="trusted must hold classes"):
        skltab.load(saved(1), trusted=["skltab.base:InputFormat"])


@pytest.mark.parametrize("value, words", [
    ({"f": lambda x: x}, ["function", "model.f", "joblib.dump"]),
    ({"gen": (i for i in range(3))}, ["generator", "model.gen"]),
    ({"bytes": np.array([b"a"])}, ["arrays of dtype |S1"]),
    ({"ufunc": np.log1p}, ["numpy.ufunc", "model.ufunc"]),
    ({"error": ValueError("x")}, ["ValueError", "model.error"]),
])
def test_values_without_a_safe_form_are_refused_when_saving(value, words):
    import io

    with pytest.raises(TypeError) as info:
        skltab.save(value, io.BytesIO())
    for word in words:
        assert word in str(info.value)


def test_a_class_defined_in_a_function_cannot_be_saved():
    import io

    class Local:
        pass

    with pytest.raises(TypeError, match="defined inside a function"):
        skltab.save(Local(), io.BytesIO())


def test_saving_and_loading_without_torch_does_not_import_it():
    code = (
        "import io, sys, pandas as pd, skltab\n"
        "s = skltab.IndependentSynthesizer().fit(pd.DataFrame({'a': [1.0, 2.5, 3.0]}))\n"
        "f = io.BytesIO(); skltab.save(s, f); f.seek(0); skltab.load(f).sample(2)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
