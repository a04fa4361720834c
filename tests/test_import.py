"""``import skltab`` stays light, and optional dependencies fail with an install hint."""

import subprocess
import sys

import pytest

import skltab
from skltab.utils import import_optional

HEAVY = ("torch", "transformers", "peft", "sdv", "sdmetrics", "matplotlib")


def test_import_skltab_loads_no_heavy_dependency():
    code = (
        "import sys, skltab, skltab.base, skltab.metadata, skltab.pipeline, skltab.llm\n"
        "import skltab.diffusion, skltab.logic, skltab.metrics\n"
        "from skltab import IndependentSynthesizer\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


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
