"""What skltab knows about one column."""

from dataclasses import asdict, dataclass, field, fields

from ._grain import check_grain

KINDS = ("continuous", "integer", "categorical", "boolean", "datetime", "text", "id")
NUMERIC_KINDS = ("continuous", "integer", "datetime")
DISCRETE_KINDS = ("categorical", "boolean", "text")


@dataclass
class ColumnMetadata:
    """Description of one column: its kind, dtype and the statistics that shape the output.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"continuous", "integer", "categorical", "boolean", "datetime", "text", "id"}
        How the column is modelled.
    dtype : str
        The pandas dtype of the real column, restored on output.
    nullable : bool, default=False
        Whether the column may hold missing values.
    missing_rate : float, default=0.0
        Fraction of missing values in the real column.
    min, max : float, int or str, default=None
        Range of numeric columns; ISO strings for datetime columns.
    decimals : int, default=None
        Decimal places of a continuous column; ``None`` keeps full precision.
    categories : list, default=None
        Allowed values of categorical and boolean columns.
    ordered : bool, default=False
        Whether a categorical column's categories are ordered.
    datetime_unit : str, default=None
        Resolution of datetime values (``"D"``, ``"h"``, ``"min"``, ``"s"``, ``"ms"``, ``"us"``,
        ``"ns"``).
    datetime_format : str, default=None
        ``strftime`` format when the real datetimes were strings.
    timezone : str, default=None
        Time zone of timezone-aware datetimes.
    id_template : str, default=None
        Pattern of string IDs: ``"9"`` a digit, ``"A"`` an upper-case letter, ``"a"`` a lower-case
        letter, any other character literal. ``None`` for integer IDs.
    values : list of float or int, default=None
        The only values a continuous or integer column takes (a discount in
        ``[0, 5, 10, 15]``), kept sorted; generated numbers go to the nearest one within
        ``[min, max]``. ``None`` when the column is not limited to a set.
    step : float or int, default=None
        Grain of a continuous or integer column: every value is ``step_offset + k * step``
        for a whole ``k`` (amounts rounded to 100, integers in steps of 5); generated numbers
        go to the nearest point of the grain within ``[min, max]``. Exclusive with ``values``.
    step_offset : float or int, default=None
        Where the grain of ``step`` starts; ``None`` means 0.

    Raises
    ------
    ValueError
        Naming the column, for an unknown kind, or ``values``, ``step`` or ``step_offset``
        that do not fit the kind, the precision or the range.
    """

    name: str
    kind: str
    dtype: str
    nullable: bool = False
    missing_rate: float = 0.0
    min: object = None
    max: object = None
    decimals: int = None
    categories: list = field(default=None)
    ordered: bool = False
    datetime_unit: str = None
    datetime_format: str = None
    timezone: str = None
    id_template: str = None
    values: list = field(default=None)
    step: float = None
    step_offset: float = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(
                f"Column {self.name!r}: unknown kind {self.kind!r}; expected one of {KINDS}."
            )
        values = check_grain(self)
        if values is not None:
            self.values = values

    def to_dict(self):
        """Return the column's description as a JSON-compatible dict, without unset fields."""
        return {
            key: value
            for key, value in asdict(self).items()
            if value is not None and not (key == "ordered" and value is False)
        }

    @classmethod
    def from_dict(cls, data):
        """Build a column description from the output of :meth:`to_dict`."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"Column {data.get('name')!r}: unknown metadata fields {sorted(unknown)}."
            )
        return cls(**data)
