"""Agreement with SDMetrics on its own demo tables (shipped with the package, no download)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from skltab.metrics import column_fidelity, pair_fidelity

sdmetrics = pytest.importorskip("sdmetrics")


@pytest.fixture(scope="module")
def demo():
    real, synthetic, metadata = sdmetrics.load_demo(modality="single_table")
    (table,) = real
    return real[table], synthetic[table], metadata["tables"][table]["columns"]


def _sdmetrics_view(series, sdtype):
    """The column as SDMetrics reads it: datetimes as timestamps."""
    return pd.to_datetime(series) if sdtype == "datetime" else series


def test_ks_complement(demo):
    from sdmetrics.single_column import KSComplement

    real, synthetic, columns = demo
    details = column_fidelity(real, synthetic)
    compared = [c for c, spec in columns.items() if spec["sdtype"] in ("numerical", "datetime")]
    assert len(compared) >= 8
    for name in compared:
        reference = KSComplement.compute(_sdmetrics_view(real[name], columns[name]["sdtype"]),
                                         _sdmetrics_view(synthetic[name],
                                                         columns[name]["sdtype"]))
        assert details.loc[name, "ks_statistic"] == pytest.approx(1 - reference, abs=1e-9), name


def test_tv_complement(demo):
    from sdmetrics.single_column import TVComplement

    real, synthetic, columns = demo
    details = column_fidelity(real, synthetic)
    compared = [c for c, spec in columns.items() if spec["sdtype"] in ("categorical", "boolean")]
    assert len(compared) >= 5
    for name in compared:
        reference = TVComplement.compute(real[name], synthetic[name])
        assert details.loc[name, "total_variation"] == pytest.approx(1 - reference, abs=1e-6), \
            name


def test_correlation_similarity(demo):
    from sdmetrics.column_pairs import CorrelationSimilarity

    real, synthetic, columns = demo
    numerical = [c for c, spec in columns.items() if spec["sdtype"] == "numerical"]
    pairs = pair_fidelity(real, synthetic).set_index(["column_1", "column_2"])
    checked = 0
    for (first, second), row in pairs.iterrows():
        if first not in numerical or second not in numerical:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SDMetrics warns about constant columns
            reference = CorrelationSimilarity.compute(real[[first, second]],
                                                      synthetic[[first, second]])
        if np.isnan(reference):  # SDMetrics leaves a constant column undefined; skltab says 0
            continue
        assert 1 - row["abs_difference"] / 2 == pytest.approx(reference, abs=1e-9), (first,
                                                                                     second)
        checked += 1
    assert checked >= 20
