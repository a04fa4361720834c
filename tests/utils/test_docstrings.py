"""Shared docstring blocks."""

import pytest

from skltab.utils._docstrings import SHARED_BLOCKS, fill_doc


def test_a_block_is_filled_in_at_the_placeholder_indentation():
    def documented():
        """Summary.

        Attributes
        ----------
            %(fit_attributes)s
        """

    text = fill_doc(documented).__doc__
    first = SHARED_BLOCKS["fit_attributes"].splitlines()[0]
    assert "            " + first in text.splitlines() and "%(" not in text


def test_an_unknown_block_is_named():
    def documented():
        """%(no_such_block)s"""

    with pytest.raises(KeyError, match="no_such_block"):
        fill_doc(documented)
