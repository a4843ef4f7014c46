"""Property tests of the readers of other tools' bundles (analyzer/formats) on untrusted input: a cluster-info dump
cut anywhere, the Go-struct shape of old kubectl, field names of any shape."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats import salvage_list
from analyzer.formats.clusterinfo import go_item, json_name, normalize
from tests.conftest import examples

_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)
_json = st.recursive(_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20)
_items = st.lists(st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=8), _json, max_size=4), max_size=6)


@settings(max_examples=examples(150), deadline=None)
@given(items=_items, go_shape=st.booleans(), cut=st.integers(0, 10**6), pretty=st.booleans())
def test_a_list_cut_anywhere_keeps_exactly_its_complete_items(items: list[dict[str, Any]], go_shape: bool, cut: int, pretty: bool) -> None:
    key = "Items" if go_shape else "items"
    text = json.dumps({"kind": "PodList", key: items}, indent=1 if pretty else None)
    cut = cut % (len(text) + 1)
    got = salvage_list(text[:cut])
    if f'"{key}": [' not in text[:cut]:
        assert got is None
        return
    assert got is not None
    kept = got[key]
    assert kept == items[: len(kept)]  # a prefix: never an item made up or half read
    if cut == len(text):
        assert kept == items
    # every item whose closing brace is before the cut is kept
    whole = sum(1 for i in range(len(items)) if _end_of(text, key, i) <= cut)
    assert len(kept) >= whole


def _end_of(text: str, key: str, i: int) -> int:
    dec = json.JSONDecoder()
    pos = text.index(f'"{key}": [') + len(key) + 5
    for _ in range(i + 1):
        while text[pos] in " \t\r\n,":
            pos += 1
        _v, pos = dec.raw_decode(text, pos)
    return pos


@given(st.text(string.ascii_letters + string.digits + "_", max_size=20))
def test_go_field_names_map_to_one_json_name(key: str) -> None:
    name = json_name(key)
    assert json_name(name) == name  # a JSON name is kept as it is
    assert name.lower() == key.lower()  # only the case of the leading capitals changes
    if key[:1].islower() or not key:
        assert name == key


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(_json, max_size=5), _json)
def test_the_go_shape_of_any_list_becomes_a_versioned_list_of_as_many_items(items: list[Any], extra: Any) -> None:
    v = normalize({"Items": items, "Extra": extra})
    assert isinstance(v, dict) and "Items" not in v
    assert len(v["items"]) == len(items)
    for src, out in zip(items, v["items"], strict=True):
        if isinstance(src, dict) and "metadata" not in src:
            assert isinstance(out, dict) and isinstance(out["metadata"], dict)
        else:
            assert out == src
    assert go_item(v) is v or isinstance(go_item(v), dict)
