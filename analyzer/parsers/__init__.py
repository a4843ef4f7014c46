"""One module per source; each registers itself with analyzer.registry.source."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from analyzer.errors import ParseError, SkipSource

HEX_ID = re.compile(r"^[0-9a-f]{6,64}$")


def json_values(text: str) -> Iterator[Any]:
    """Every JSON value in a text: one document, or several concatenated (crictl inspect of
    several ids before crictl 1.26, a batch per call). Raises ParseError on broken JSON."""
    dec = json.JSONDecoder()
    i = 0
    n = len(text)
    found = False
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        try:
            value, i = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            line = text.count("\n", 0, e.pos) + 1
            if found:
                raise ParseError(f"JSON broken at line {line} after valid documents: {e.msg}") from e
            raise ParseError(f"not JSON (line {line}: {e.msg})") from e
        found = True
        yield value
    if not found:
        raise SkipSource("empty")


def strip_scheme(cid: str | None) -> tuple[str | None, str | None]:
    """'containerd://<id>' -> ('<id>', 'containerd')."""
    if not cid:
        return None, None
    if "://" in cid:
        scheme, rest = cid.split("://", 1)
        return rest, scheme
    return cid, None


def str_dict(v: object) -> dict[str, str] | None:
    if not isinstance(v, dict):
        return None
    return {str(k): "" if x is None else str(x) for k, x in v.items()}


def as_int(v: object) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(str(v))
    except ValueError:
        return None
