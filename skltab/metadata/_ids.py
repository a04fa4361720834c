"""Regenerate ID columns: unique values with the real column's pattern, never real ones."""

import numpy as np

_CLASS_OF_CHAR = {"9": "0123456789", "A": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "a": "abcdefghijklmnopqrstuvwxyz"}


def id_template(value):
    """Return the character-class template of one string ID (``"AB-12"`` -> ``"AA-99"``)."""
    return "".join(
        "9" if char.isdigit() else "A" if char.isupper() else "a" if char.islower() else char
        for char in value
    )


def template_capacity(template):
    """Number of distinct IDs that ``template`` can write."""
    capacity = 1
    for char in template:
        capacity *= len(_CLASS_OF_CHAR.get(char, " "))
    return capacity


def generate_ids(column, start, n_rows, scramble):
    """Write IDs for output rows ``start`` to ``start + n_rows`` (exclusive).

    Row ``i`` always gets the same ID, so IDs stay unique across chunks of one sample.

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
        return int(column.min) + positions
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
    for char in reversed(template):
        alphabet = _CLASS_OF_CHAR.get(char)
        if alphabet is None:
            digits.append(np.full(codes.shape, char, dtype=object))
            continue
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
