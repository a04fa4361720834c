"""Loaders for the real tables that installed packages ship, readable without a network."""

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions, validate_params

from ..utils._optional import import_optional

# name -> (scikit-learn loader, its options). Only the sets bundled with scikit-learn: the
# others (california_housing, covtype, ...) are downloaded on first use.
_SKLEARN_LOADERS = {
    "breast_cancer": ("load_breast_cancer", {}),
    "diabetes": ("load_diabetes", {"scaled": False}),
    "iris": ("load_iris", {}),
    "wine": ("load_wine", {}),
}
#: Names accepted by :func:`load_sklearn_dataset`.
SKLEARN_DATASETS = tuple(_SKLEARN_LOADERS)

_STUDENT_TABLE = "student_placements"


@validate_params({"name": [StrOptions(set(SKLEARN_DATASETS))]}, prefer_skip_nested_validation=True)
def load_sklearn_dataset(name):
    """Load one of the datasets bundled with scikit-learn as a feature table and a target.

    Only the sets that scikit-learn ships inside its package are offered, so loading never
    needs a network: ``"breast_cancer"``, ``"diabetes"``, ``"iris"`` and ``"wine"``.

    Parameters
    ----------
    name : {"breast_cancer", "diabetes", "iris", "wine"}
        The dataset.

    Returns
    -------
    X : DataFrame
        The features, with scikit-learn's column names. ``"diabetes"`` comes in its original
        units (age in years, sex coded 1 and 2, ...), not mean-centred and scaled.
    y : Series
        The target, named ``"target"``: the class names (strings) for the classification sets,
        the disease progression (float) for ``"diabetes"``.

    Raises
    ------
    ValueError
        If ``name`` is not one of the names above; the message lists them.

    Examples
    --------
    >>> from skltab.datasets import load_sklearn_dataset
    >>> X, y = load_sklearn_dataset("iris")
    >>> X.shape, sorted(y.unique())
    ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
    from sklearn import datasets

    loader_name, options = _SKLEARN_LOADERS[name]
    bunch = getattr(datasets, loader_name)(as_frame=True, **options)
    y = bunch.target
    if "target_names" in bunch:
        class_names = np.asarray(bunch.target_names, dtype=object)[y.to_numpy()]
        y = pd.Series(class_names, index=y.index, name=y.name)
    return bunch.data, y


@validate_params({"return_metadata": ["boolean"]}, prefer_skip_nested_validation=True)
def load_student_placements(*, return_metadata=False):
    """Load SDMetrics' single-table demo: 215 students and their job placements.

    The table is read from the files that the ``sdmetrics`` package ships; nothing is
    downloaded. It has an integer ID (``student_id``), categorical, boolean and numerical
    columns, dates stored as ``"%Y-%m-%d"`` strings, and missing values tied to one another
    (``salary``, ``start_date``, ``end_date`` and ``duration`` are missing for students who
    were not placed).

    Parameters
    ----------
    return_metadata : bool, default=False
        Whether to return SDMetrics' metadata dict of the table too.

    Returns
    -------
    data : DataFrame of shape (215, 17)
        The real table (SDMetrics' synthetic copy is left out).
    metadata : dict
        SDV metadata dict of the table, as SDMetrics ships it; readable with
        :func:`skltab.metadata.from_sdv_dict`. Only returned when ``return_metadata`` is True.

    Raises
    ------
    ImportError
        If ``sdmetrics`` is not installed.

    Examples
    --------
    >>> from skltab.datasets import load_student_placements
    >>> students = load_student_placements()  # doctest: +SKIP
    >>> students.shape  # doctest: +SKIP
    (215, 17)
    """
    demos = import_optional("sdmetrics.demos", purpose="the student placements demo table")
    data, _, metadata = demos.load_single_table_demo()
    if isinstance(data, dict):  # recent SDMetrics versions key the tables by name
        data = data[_STUDENT_TABLE]
    if return_metadata:
        return data, metadata
    return data
