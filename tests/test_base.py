"""The synthesizer contract of BaseSynthesizer, through IndependentSynthesizer."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from skltab import IndependentSynthesizer, is_synthesizer, make_synthesis_pipeline
from skltab.metadata import infer_metadata, to_sdv_dict
from skltab.utils.estimator_checks import make_check_table


@pytest.fixture(scope="module")
def real():
    return make_check_table(200)


def test_is_synthesizer():
    assert is_synthesizer(IndependentSynthesizer())
    assert is_synthesizer(make_synthesis_pipeline(IndependentSynthesizer()))
    assert not is_synthesizer(LinearRegression())
    assert not is_synthesizer("not an estimator")


def test_fitted_attributes(real):
    synthesizer = IndependentSynthesizer(random_state=0).fit(real)
    assert synthesizer.n_features_in_ == real.shape[1]
    assert list(synthesizer.feature_names_in_) == list(real.columns)
    assert synthesizer.metadata_.kinds == infer_metadata(real).kinds
    assert "customer_id" not in synthesizer.modelled_columns_
    array_fit = IndependentSynthesizer().fit(np.ones((5, 2)))
    assert not hasattr(array_fit, "feature_names_in_") and array_fit.n_features_in_ == 2


def test_refit_on_an_array_forgets_feature_names(real):
    synthesizer = IndependentSynthesizer().fit(real)
    synthesizer.fit(np.random.RandomState(0).normal(size=(20, 2)))
    assert not hasattr(synthesizer, "feature_names_in_")


@pytest.mark.parametrize("as_dict", ["skltab", "sdv", "object"])
def test_metadata_parameter_forms(real, as_dict):
    metadata = infer_metadata(real).update_column("age", kind="categorical",
                                                  categories=sorted(real["age"].unique().tolist()))
    given = {"skltab": metadata.to_dict(), "sdv": to_sdv_dict(metadata), "object": metadata}
    synthesizer = IndependentSynthesizer(metadata=given[as_dict], random_state=0).fit(real)
    assert synthesizer.metadata_["age"].kind == "categorical"
    assert synthesizer.metadata is given[as_dict], "fit must not change the parameter"


def test_target_series_comes_back_with_its_name_and_values(real):
    X, y = real.drop(columns="segment"), real["segment"].rename(None)
    synthesizer = IndependentSynthesizer(random_state=0).fit(X, y)
    assert synthesizer.input_format_.target == "y"
    X_new, y_new = synthesizer.sample(50)
    assert y_new.name is None and set(y_new) <= set(y) and list(X_new.columns) == list(X.columns)
    X_cond, y_cond = synthesizer.sample(5, conditions={"y": "public"})
    assert (y_cond == "public").all()


def test_explicit_random_state_object_is_used_and_advanced(real):
    rng = np.random.RandomState(5)
    synthesizer = IndependentSynthesizer(random_state=rng).fit(real)
    first = synthesizer.sample(5)
    assert synthesizer.random_state_ is rng
    again = IndependentSynthesizer(random_state=np.random.RandomState(5)).fit(real)
    pd.testing.assert_frame_equal(again.sample(5), first)


def test_output_does_not_depend_on_chunking_or_block_boundaries(real):
    synthesizer = IndependentSynthesizer(random_state=0).fit(real)
    whole = synthesizer.sample(3000, random_state=4)
    head = synthesizer.sample(1024, random_state=4)
    pd.testing.assert_frame_equal(whole.iloc[:1024], head)
    for size in (1, 1000, 4000):
        chunks = list(synthesizer.iter_samples(3000, chunk_size=size, random_state=4))
        pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)


def test_ids_are_unique_across_chunks_and_never_real(real):
    synthesizer = IndependentSynthesizer(random_state=0).fit(real)
    ids = pd.concat(synthesizer.iter_samples(5000, chunk_size=700))["customer_id"]
    assert ids.is_unique and ids.str.fullmatch(r"C-\d{5}").all()


def test_integer_ids_continue_the_sequence():
    table = pd.DataFrame({"row": np.arange(100, 150), "v": np.linspace(0, 1, 50)})
    synthesizer = IndependentSynthesizer(random_state=0).fit(table)
    assert synthesizer.metadata_["row"].kind == "id"
    assert synthesizer.sample(3)["row"].tolist() == [150, 151, 152]


def test_verbose_shows_a_progress_bar(real, capsys):
    IndependentSynthesizer(verbose=1, random_state=0).fit(real).sample(3000)
    assert "IndependentSynthesizer.sample" in capsys.readouterr().err
    IndependentSynthesizer(verbose=0, random_state=0).fit(real).sample(3000)
    assert capsys.readouterr().err == ""


def test_fit_sample(real):
    synthetic = IndependentSynthesizer(random_state=0).fit_sample(real)
    assert synthetic.shape == real.shape
    assert len(IndependentSynthesizer(random_state=0).fit_sample(real, n_samples=7)) == 7


def test_fit_does_not_modify_the_input(real):
    copy = real.copy()
    IndependentSynthesizer().fit(real.drop(columns="segment"), real["segment"])
    pd.testing.assert_frame_equal(real, copy)


def test_empty_tables_need_metadata_where_a_synthesizer_accepts_them(real):
    class MetadataOnly(IndependentSynthesizer):
        _allows_empty_table = True

    with pytest.raises(ValueError, match="X is empty"):
        IndependentSynthesizer().fit(real.iloc[:0])
    with pytest.raises(ValueError, match="found 0 sample.*pass the metadata parameter"):
        MetadataOnly().fit(real.iloc[:0])
