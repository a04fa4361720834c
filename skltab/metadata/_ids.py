"""Regenerate ID columns: unique values with the real column's pattern, not modelled."""

import numpy as np
import pandas as pd

_CLASS_OF_CHAR = {
    "9": "0123456789",
    "A": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "a": "abcdefghijklmnopqrstuvwxyz",
}


def id_template(values):
    """Return the pattern of string IDs: digits and varying letters as classes, the rest literal.

    ``["C-001", "C-042"]`` gives ``"C-999"``: ``"9"`` a digit, ``"A"`` an upper-case letter,
    ``"a"`` a lower-case letter, anything else literal; a literal ``9``, ``A``, ``a`` or
    backslash is escaped with a backslash.
    """
    values = pd.Series(values, dtype=object).astype(str)
    length = values.str.len().mode().iloc[0]
    chars = np.array([list(v) for v in values[values.str.len() == length]])
    return "".join(_position_pattern(chars[:, position]) for position in range(length))


def _position_pattern(chars):
    if (chars == chars[0]).all() and not chars[0].isdigit():
        return "\\" + chars[0] if chars[0] in "9Aa\\" else chars[0]
    classes = pd.Series(["9" if c.isdigit() else "A" if c.isupper() else "a" if c.islower()
                         else c for c in chars])
    return classes.mode().iloc[0]


def _tokens(template):
    """Split a template into alphabets (a string of choices) and literals (one character)."""
    tokens, escaped = [], False
    for char in template:
        if escaped or char == "\\":
            if escaped:
                tokens.append(char)
            escaped = not escaped
            continue
        tokens.append(_CLASS_OF_CHAR.get(char, char))
    return tokens


def template_capacity(template):
    """Number of distinct IDs that ``template`` can write."""
    capacity = 1
    for token in _tokens(template):
        capacity *= len(token)
    return capacity


def generate_ids(column, start, n_rows, scramble):
    """Write IDs for output rows ``start`` to ``start + n_rows`` (exclusive).

    Row ``i`` always gets the same ID, so IDs stay unique across the chunks of one sample.
    Integer IDs continue after the real maximum, so they never repeat a real ID; string IDs
    follow the real pattern and may meet a real value by chance (no real ID is stored).

    Parameters
    ----------
    column : ColumnMetadata
        Metadata of an ID column.
    start : int
        Position of the first row in the whole sample.
    n_rows : int
        Number of rows to write.
    scramble : int
        Seed of the fitted model; makes string IDs look random while staying unique.

    Returns
    -------
    ids : ndarray
    """
    positions = np.arange(start, start + n_rows, dtype=np.int64)
    if column.id_template is None:
        return int(column.max) + 1 + positions
    return _template_ids(column.id_template, positions, scramble)


def _template_ids(template, positions, scramble):
    capacity = template_capacity(template)
    if positions.size and positions[-1] >= capacity:
        raise ValueError(
            f"The ID pattern {template!r} can write only {capacity} unique values; "
            f"asked for {positions[-1] + 1}."
        )
    codes = _affine_permutation(positions, capacity, scramble)
    digits = []
    for alphabet in reversed(_tokens(template)):
        codes, remainder = np.divmod(codes, len(alphabet))
        digits.append(np.array(list(alphabet), dtype=object)[remainder])
    return np.array(["".join(parts) for parts in zip(*reversed(digits))], dtype=object)


def _affine_permutation(positions, capacity, scramble):
    """Map 0..capacity-1 onto itself one to one: ``(a * i + b) mod capacity``."""
    rng = np.random.RandomState(scramble)
    small = capacity < 2**31
    multiplier = int(rng.randint(1, capacity if small else 2**31 - 1))
    while np.gcd(multiplier, capacity) != 1:
        multiplier += 1
    offset = int(rng.randint(0, min(capacity, 2**31 - 1)))
    if small:
        return (multiplier * positions + offset) % capacity
    return np.array([(multiplier * int(p) + offset) % capacity for p in positions], dtype=object)
