"""Regenerate ID columns: unique values with the real column's pattern, not modelled."""

from collections import Counter

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
    return template_from_counts(character_counts(values))


def character_counts(values):
    """Count the characters at each position of string IDs, by length.

    Returns
    -------
    dict
        ``{length: (n_values, [Counter of characters at each position])}``; counts of two
        sets of values add up (:func:`merge_character_counts`).
    """
    values = pd.Series(values, dtype=object).astype(str)
    counts = {}
    for length, group in values.groupby(values.str.len()):
        chars = np.array([list(v) for v in group]).reshape(len(group), length)
        counts[int(length)] = (len(group), [Counter(chars[:, position].tolist())
                                            for position in range(length)])
    return counts


def merge_character_counts(first, second):
    """The :func:`character_counts` of two sets of values together."""
    merged = dict(first)
    for length, (n_values, positions) in second.items():
        if length in merged:
            n_before, before = merged[length]
            positions = [a + b for a, b in zip(before, positions)]
            n_values += n_before
        merged[length] = (n_values, positions)
    return merged


def template_from_counts(counts):
    """The pattern of IDs from their :func:`character_counts`: the most common length (the
    shortest of ties), and at each position the one character every ID has there (unless
    a digit), or else the most common class of character."""
    length = min(counts, key=lambda n: (-counts[n][0], n))
    return "".join(_position_pattern(chars) for chars in counts[length][1])


def _position_pattern(chars):
    if len(chars) == 1 and not next(iter(chars)).isdigit():
        char = next(iter(chars))
        return "\\" + char if char in "9Aa\\" else char
    classes = Counter()
    for char, count in chars.items():
        classes["9" if char.isdigit() else "A" if char.isupper() else "a" if char.islower()
                else char] += count
    return min(classes, key=lambda name: (-classes[name], name))


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
