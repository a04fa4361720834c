"""Rows as plain text and back, as GReaT-style language models write them.

A row is written as fields ``NAME is VALUE`` joined by ``", "``
(``"age is 39, workclass is State-gov, income is <=50K"``), names and values as
:class:`skltab.llm._codec.RowCodec` writes them (escaped, with the column's precision). The
benchmarks use these texts to check that sampled rows are valid and to read the rows that
unconstrained decoding writes; ``PredLLMSynthesizer`` itself never writes a row as text (its
token layout writes the same fields as token ids).

Reading is strict: a text is read only if it holds exactly one valid field per column, so a
text that reads is a valid row of the real table.
"""

import pandas as pd

from skltab.llm._codec import _ESCAPE, FIELD_SEPARATOR, NAME_SEPARATOR, TERMINATOR


def write_rows(codec, table, orders=None):
    """Write each row of ``table`` as text.

    Parameters
    ----------
    codec : RowCodec
        Text of the names and values.
    table : DataFrame
        Rows with the codec's columns.
    orders : list of sequences of str, default=None
        The order of the fields of each row; the codec's column order when None.

    Returns
    -------
    list of str
        One text per row.
    """
    cells = codec.cells(table)
    texts = []
    for i in range(len(table)):
        order = codec.columns if orders is None else orders[i]
        texts.append(FIELD_SEPARATOR.join(
            codec.codecs[name].escaped_name + NAME_SEPARATOR + cells[name][i] for name in order
        ))
    return texts


def split_fields(text):
    """Split a row's text at the commas that no backslash escapes.

    Parameters
    ----------
    text : str
        A row's text.

    Returns
    -------
    list of str
        The fields, each but the first with the space that follows the comma.
    """
    fields, start, i = [], 0, 0
    while i < len(text):
        if text[i] == _ESCAPE:
            i += 2
            continue
        if text[i] == TERMINATOR:
            fields.append(text[start:i])
            start = i + 1
        i += 1
    fields.append(text[start:])
    return fields


def parse_row(codec, text):
    """Read the values of one row's text.

    Parameters
    ----------
    codec : RowCodec
        Text of the names and values.
    text : str
        A row's text, its fields in any order.

    Returns
    -------
    dict
        Each column's value (see :meth:`ColumnCodec.parse`), in the codec's column order.

    Raises
    ------
    ValueError
        If the text is not exactly one valid field per column; the message names the
        problem.
    """
    names = {column.escaped_name: name for name, column in codec.codecs.items()}
    values = {}
    for k, field in enumerate(split_fields(text)):
        if k > 0:
            if not field.startswith(" "):
                raise ValueError(f"Field {k} does not follow {FIELD_SEPARATOR!r}.")
            field = field[1:]
        name, separator, value = field.partition(NAME_SEPARATOR)
        if not separator or name not in names:
            raise ValueError(f"Field {field[:40]!r} does not start with a column name.")
        if names[name] in values:
            raise ValueError(f"Column {names[name]!r} is written twice.")
        values[names[name]] = codec.codecs[names[name]].parse(value)
    absent = [name for name in codec.columns if name not in values]
    if absent:
        raise ValueError(f"Columns {absent} are missing from the text.")
    return {name: values[name] for name in codec.columns}


def read_rows(codec, texts, metadata):
    """Read rows written by :func:`write_rows` back into a table with the real dtypes.

    Parameters
    ----------
    codec : RowCodec
        Text of the names and values.
    texts : list of str
        One row per text.
    metadata : TableMetadata
        Metadata of the codec's columns (casts the values to the real dtypes).

    Returns
    -------
    DataFrame

    Raises
    ------
    ValueError
        If a text is not a valid row; the message names the row and the problem.
    """
    rows = []
    for i, text in enumerate(texts):
        try:
            rows.append(parse_row(codec, text))
        except ValueError as exc:
            raise ValueError(f"Row {i}: {exc}") from None
    frame = pd.DataFrame(rows, columns=codec.columns)
    return metadata.select(codec.columns).cast(frame)
