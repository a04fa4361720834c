"""Dask: fit synthesizers on tables larger than memory.

Needs the ``dask`` extra (``pip install "skltab[dask]"``); reading Parquet needs the
``parquet`` extra too.
"""

from ._fit import fit, infer_metadata

__all__ = [
    "fit",
    "infer_metadata",
]
