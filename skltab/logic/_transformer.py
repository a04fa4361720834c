"""What LogicCompressor and LogicRestorer share: input checks, restoring, casting, checking."""

import dataclasses
import logging

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import _as_2d_array, _table_from_input
from ..metadata import infer_metadata
from ..metadata._dtypes import cast_column

__all__ = ["BaseLogicTransformer", "cast_nullable", "fitted_columns"]

logger = logging.getLogger(__name__)

#: Pandas dtypes that hold missing values, for columns rebuilt with unknown="missing".
_NULLABLE = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
             "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
             "bool": "boolean"}


class BaseLogicTransformer(TransformerMixin, BaseEstimator):
    """Tables in and out, with the container, columns and dtypes of the fitted table."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _fit_table(self, X):
        """Check ``X`` in ``fit``, record its format and metadata, return it as a DataFrame."""
        table, self.input_format_ = _table_from_input(X, None)
        validate_data(self, X, reset=True, skip_check_array=True)
        self.metadata_ = infer_metadata(table)
        return table

    def _transform_table(self, X):
        """``X`` given to ``transform``, checked against the fitted table, as a DataFrame."""
        columns = fitted_columns(self)
        if not isinstance(X, pd.DataFrame):
            X = _as_2d_array(X, "X")
        validate_data(self, X, reset=False, skip_check_array=True)
        return self._input_table(X, columns)

    def _input_table(self, X, columns, name="X"):
        """``X`` as a DataFrame with exactly ``columns``, or a ValueError naming the difference."""
        if isinstance(X, pd.DataFrame):
            missing = [c for c in columns if c not in X.columns]
            extra = [c for c in X.columns if c not in columns]
            if missing or extra:
                raise ValueError(f"The columns of {name} do not match what "
                                 f"{type(self).__name__} expects: missing {missing}, "
                                 f"unexpected {extra}.")
            return X[list(columns)]
        array = _as_2d_array(X, name)
        if array.shape[1] != len(columns):
            raise ValueError(f"{name} has {array.shape[1]} features, but {type(self).__name__} "
                             f"is expecting {len(columns)} features as input.")
        return pd.DataFrame(array, columns=list(columns))

    def _output(self, table):
        if self.input_format_.container == "ndarray":
            return table.to_numpy(dtype=self.input_format_.dtype)
        return table

    def _restore(self, table, steps, checked):
        """Run the steps in order, cast what they wrote, and log what they changed."""
        restored = table.copy()
        for step in steps:
            restored[step.column] = step.rule.restore(restored, step.column, self.unknown)
        for name in {step.column for step in steps}:
            restored[name] = cast_nullable(restored[name], self.metadata_[name])
        for step in steps:
            if step.column in table.columns:
                changed = _changed(table[step.column], restored[step.column])
                if changed:
                    logger.info("Rule %r changed %s on %d rows.", step.rule.describe(),
                                step.column, changed)
        for rule in checked:
            broken = int((~rule.check(restored)).sum())
            if broken:
                logger.info("Rule %r (checked only) is broken on %d rows.", rule.describe(),
                            broken)
        return restored

    def _check_report(self, table, rules):
        rows = []
        for rule in rules:
            broken = int((~rule.check(table)).sum())
            rows.append({"rule": rule.describe(), "kind": rule.kind, "violations": broken,
                         "violation_rate": broken / max(len(table), 1)})
        return pd.DataFrame(rows, columns=["rule", "kind", "violations", "violation_rate"])


def cast_nullable(values, column):
    """Cast ``values`` to the real column's dtype, or its nullable twin if values are missing
    where the real column had none."""
    if values.isna().any() and not column.nullable:
        column = dataclasses.replace(column, nullable=True,
                                     dtype=_NULLABLE.get(column.dtype, column.dtype))
    return cast_column(values, column)


def _changed(before, after):
    before, after = before.astype(object), after.astype(object)
    same = (before == after) | (before.isna() & after.isna())
    return int((~same.to_numpy(dtype=bool)).sum())


def fitted_columns(estimator):
    """The fitted table's column names, in order."""
    check_is_fitted(estimator)
    return list(estimator.input_format_.columns)
