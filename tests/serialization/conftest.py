"""Helpers of the safe-format tests: round trips, and archives edited as an attacker or a
damaged disk would."""

import io
import json
import zipfile

import pytest

import skltab


def _saved(value):
    buffer = io.BytesIO()
    skltab.save(value, buffer)
    buffer.seek(0)
    return buffer


def _round_trip(value, **load_params):
    return skltab.load(_saved(value), **load_params)


def _rewritten(buffer, edit=None, members=None):
    """A copy of a saved archive: its JSON document changed by ``edit(document)`` (in place)
    and members replaced by ``members`` (name to bytes, None to leave a member out)."""
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    if edit is not None:
        document = json.loads(contents["skltab.json"])
        edit(document)
        contents["skltab.json"] = json.dumps(document).encode()
    for name, data in (members or {}).items():
        contents[name] = data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in contents.items():
            if data is not None:
                archive.writestr(name, data)
    out.seek(0)
    return out


def nodes(tree, tag):
    """Every node of ``tag`` in a JSON tree."""
    if isinstance(tree, list):
        for item in tree:
            yield from nodes(item, tag)
    elif isinstance(tree, dict):
        if tree.get("$type") == tag:
            yield tree
        for item in tree.values():
            yield from nodes(item, tag)


@pytest.fixture
def saved():
    """``saved(value)``: a buffer holding ``skltab.save(value)``."""
    return _saved


@pytest.fixture
def round_trip():
    """``round_trip(value, **load_params)``: ``skltab.load`` of ``skltab.save(value)``."""
    return _round_trip


@pytest.fixture
def rewritten():
    """``rewritten(buffer, edit=None, members=None)``: a saved archive changed."""
    return _rewritten


@pytest.fixture
def find_nodes():
    """``find_nodes(document, tag)``: every node of ``tag`` in a JSON document."""
    return nodes
