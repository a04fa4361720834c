"""The file: one zip of JSON and safetensors, versioned, and clear errors for any other file."""

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

import skltab
from skltab import IndependentSynthesizer
from skltab.serialization import FORMAT_VERSION
from skltab.utils import InconsistentVersionWarning


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    table = pd.DataFrame({"x": rng.normal(size=50), "c": rng.choice(["a", "b"], 50)})
    return IndependentSynthesizer(n_quantiles=10, random_state=0).fit(table)


def test_the_file_is_a_zip_of_json_and_safetensors_without_pickle(fitted, saved):
    from safetensors.numpy import load

    with zipfile.ZipFile(saved(fitted)) as archive:
        assert sorted(archive.namelist()) == ["arrays.safetensors", "skltab.json"]
        document = json.loads(archive.read("skltab.json"),
                              parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
        arrays = load(archive.read("arrays.safetensors"))
    assert document["format"] == "skltab" and document["format_version"] == FORMAT_VERSION
    assert document["skltab_version"] == skltab.__version__
    assert "numpy" in document["libraries"]
    assert document["model"]["class"] == "skltab.independent:IndependentSynthesizer"
    assert document["model"]["state"]["n_quantiles"] == 10
    np.testing.assert_array_equal(arrays["model.quantiles_[0]"], fitted.quantiles_[0])


def test_paths_and_file_objects_both_work(fitted, tmp_path):
    skltab.save(fitted, tmp_path / "model.skltab")
    skltab.save(fitted, str(tmp_path / "again.skltab"))
    for name in ("model.skltab", "again.skltab"):
        loaded = skltab.load(tmp_path / name)
        pd.testing.assert_frame_equal(loaded.sample(5, random_state=0),
                                      fitted.sample(5, random_state=0))
    with open(tmp_path / "model.skltab", "rb") as file:
        assert skltab.load(file).n_quantiles == 10


def test_a_newer_format_version_is_refused_naming_both_versions(fitted, saved, rewritten):
    def newer(document):
        document["format_version"] = FORMAT_VERSION + 1

    with pytest.raises(ValueError, match=f"format version {FORMAT_VERSION + 1}.*newer than "
                                         f"version {FORMAT_VERSION}.*upgrade skltab"):
        skltab.load(rewritten(saved(fitted), edit=newer))


@pytest.mark.parametrize("version", [0, "1", None, True])
def test_a_format_version_that_is_not_a_positive_integer_is_refused(
        fitted, saved, rewritten, version):
    def edit(document):
        document["format_version"] = version

    with pytest.raises(ValueError, match="format_version .* is not a positive integer"):
        skltab.load(rewritten(saved(fitted), edit=edit))


def test_another_skltab_version_warns_like_a_pickle(fitted, saved, rewritten):
    def older(document):
        document["skltab_version"] = "0.0.1"

    with pytest.warns(InconsistentVersionWarning, match="saved with skltab 0.0.1"):
        loaded = skltab.load(rewritten(saved(fitted), edit=older))
    assert loaded.n_quantiles == 10


def test_a_truncated_file_is_reported(fitted, saved):
    data = saved(fitted).getvalue()
    with pytest.raises(ValueError, match="truncated or corrupted"):
        skltab.load(io.BytesIO(data[: len(data) // 2]))


def test_damaged_json_is_reported(fitted, saved):
    damaged = bytearray(saved(fitted).getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(damaged))) as archive:
        info = archive.getinfo("skltab.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    damaged[start + 10 : start + 20] = bytes(10)
    with pytest.raises(ValueError, match="truncated or corrupted|not valid JSON"):
        skltab.load(io.BytesIO(bytes(damaged)))


def test_damaged_safetensors_are_reported(fitted, saved, rewritten):
    buffer = rewritten(saved(fitted), members={"arrays.safetensors": b"\x10\x00" + bytes(30)})
    with pytest.raises(ValueError, match="arrays.safetensors cannot be read"):
        skltab.load(buffer)


def test_json_that_is_not_json_is_reported(fitted, saved, rewritten):
    with pytest.raises(ValueError, match="is not valid JSON"):
        skltab.load(rewritten(saved(fitted), members={"skltab.json": b"{not json"}))


@pytest.mark.parametrize("content", [
    b"a,b\n1,2\n",
    pickle.dumps({"a": 1}),
])
def test_a_file_that_is_not_a_zip_is_not_a_model(tmp_path, content):
    path = tmp_path / "model.skltab"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="'.*model.skltab' is not a skltab model file"):
        skltab.load(path)


def test_a_pickle_is_never_unpickled(tmp_path):
    path = tmp_path / "model.joblib"
    path.write_bytes(pickle.dumps(_Exploding()))
    with pytest.raises(ValueError, match="not a skltab model file"):
        skltab.load(path)


class _Exploding:
    def __reduce__(self):
        return (pytest.fail, ("the pickle ran",))


def test_a_zip_without_the_model_json_is_not_a_model(fitted, saved, rewritten):
    with pytest.raises(ValueError, match="not a skltab model file: it has no skltab.json"):
        skltab.load(rewritten(saved(fitted), members={"skltab.json": None}))


def test_json_of_another_format_is_not_a_model(fitted, saved, rewritten):
    def other(document):
        document["format"] = "something-else"

    with pytest.raises(ValueError, match="does not say format 'skltab'"):
        skltab.load(rewritten(saved(fitted), edit=other))


def test_a_document_without_a_model_is_reported(fitted, saved, rewritten):
    with pytest.raises(ValueError, match="holds no model"):
        skltab.load(rewritten(saved(fitted), edit=lambda document: document.pop("model")))
