"""``import skltab`` stays light, and optional dependencies fail with an install hint."""

import importlib
import subprocess
import sys

import pytest

import skltab
import skltab.fastgen
import skltab.llm
from skltab.utils import import_optional

HEAVY = ("torch", "transformers", "peft", "sdv", "sdmetrics", "matplotlib", "imblearn")


def _heavy_modules_after(code):
    code += f"\nimport sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def test_import_skltab_loads_no_heavy_dependency():
    assert _heavy_modules_after(
        "import skltab, skltab.base, skltab.metadata, skltab.pipeline, skltab.llm\n"
        "import skltab.diffusion, skltab.logic, skltab.metrics, skltab.oversampling\n"
        "from skltab import IndependentSynthesizer, SyntheticOversampler"
    ) == ""


def test_fastgen_runs_without_deep_learning_libraries():
    assert _heavy_modules_after(
        "import pandas as pd, skltab.fastgen\n"
        "table = pd.DataFrame({'x': [1.0, 2.5, 4.0, 3.5], 'c': ['a', 'b', 'a', 'b']})\n"
        "synthesizer = skltab.fastgen.FastGenSynthesizer(random_state=0).fit(table)\n"
        "synthesizer.sample(10)"
    ) == ""


def test_oversampler_runs_without_imbalanced_learn_or_torch():
    assert _heavy_modules_after(
        "import numpy as np, pandas as pd\n"
        "from skltab import SyntheticOversampler\n"
        "X = pd.DataFrame({'x': np.arange(30.0), 'c': ['a', 'b', 'c'] * 10})\n"
        "X_res, y_res = SyntheticOversampler(random_state=0).fit_resample(X, [0] * 20 + [1] * 10)\n"
        "assert len(X_res) == 34"  # 20 + 10 real rows, 4 synthetic (sqrt(20 * 10) = 14.1)
    ) == ""


@pytest.mark.parametrize("name", skltab.fastgen.__all__)
def test_fastgen_names_from_skltab_llm_are_deprecated_aliases(name):
    with pytest.warns(DeprecationWarning, match=rf"from skltab\.fastgen import {name}"):
        moved = getattr(importlib.import_module("skltab.llm"), name)
    assert moved is getattr(skltab.fastgen, name)


def test_skltab_llm_still_refuses_unknown_names():
    with pytest.raises(AttributeError, match="'skltab.llm' has no attribute 'Nope'"):
        skltab.llm.Nope


def test_fastgen_synthesizer_from_skltab_is_the_fastgen_one():
    assert skltab.FastGenSynthesizer is skltab.fastgen.FastGenSynthesizer
    assert "fastgen" in skltab.__all__


def test_public_names_resolve_lazily():
    for name in skltab.__all__:
        assert getattr(skltab, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        skltab.Nope


@pytest.mark.parametrize(
    "module, hint",
    [("transformers", 'skltab[llm]'), ("sdv.metadata", 'skltab[sdv]'), ("dask", 'skltab[dask]')],
)
def test_missing_optional_dependency_names_the_extra(monkeypatch, module, hint):
    for name in {module, module.split(".")[0]}:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError,
                       match=rf"pip install \"{hint.replace('[', '.').replace(']', '.')}\""):
        import_optional(module, purpose="a test")


def test_missing_optional_dependency_names_the_purpose(monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)
    with pytest.raises(ImportError, match="'peft' is required for LoRA"):
        import_optional("peft", purpose="LoRA")
