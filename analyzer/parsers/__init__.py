"""One module per source; each registers itself with analyzer.registry.source."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from analyzer.budgets import (
    MAX_DEPTH,
    TOO_BIG,
    YAMLBudgetError,
    json_int,
    json_too_big,
    json_too_deep,
    yaml_documents,
)
from analyzer.errors import ParseError, SkipSource

if TYPE_CHECKING:
    from analyzer.models import Record
    from analyzer.registry import ParseContext

# what reading one object of the wrong shape raises (a number where text belongs, a list for a map)
SHAPE_ERRORS = (ValidationError, TypeError, ValueError, AttributeError, KeyError, IndexError)


def brief(e: Exception) -> str:
    """An error about one object, in one line."""
    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(str(x) for x in er['loc'])}: {er['msg']}" for er in e.errors()[:3])
    return f"{type(e).__name__}: {e}"[:200]


def shielded(ctx: ParseContext, what: str, make: Callable[[], Iterable[Record]]) -> list[Record]:
    """The records of one object of a capture; an object of the wrong shape is the capture's problem
    and the other objects are still read."""
    try:
        return list(make())
    except (*SHAPE_ERRORS, ParseError) as e:
        ctx.problem(None, f"{what}: not read ({e if isinstance(e, ParseError) else brief(e)})")
        return []

HEX_ID = re.compile(r"^[0-9a-f]{6,64}$")


def json_values(text: str) -> Iterator[Any]:
    """Every JSON value in a text: one document, or several concatenated (crictl inspect of
    several ids before crictl 1.26, a batch per call). Raises ParseError on broken JSON."""
    if json_too_deep(text):
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels: not read")
    if json_too_big(text):
        raise ParseError(TOO_BIG)
    dec = json.JSONDecoder(parse_int=json_int)
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
        except RecursionError as e:  # json_too_deep is the budget; this only backs it up
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels: not read") from e
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


INT64 = 2**63 - 1


def as_int(v: object) -> int | None:
    """An integer field of untrusted JSON; None when missing, not a number, or beyond 64 bits."""
    if v is None or isinstance(v, bool):
        return None
    try:
        n = int(str(v)) if not isinstance(v, float) else int(v)
    except (ValueError, OverflowError):
        return None
    return n if -INT64 <= n <= INT64 else None


def yaml_docs(text: str) -> list[Any]:
    """A text's YAML documents under the budgets (analyzer.budgets); over them, or not YAML: a ParseError that says
    where."""
    try:
        return yaml_documents(text)
    except YAMLBudgetError as e:
        raise ParseError(str(e)) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParseError(f"not valid YAML{where}: {getattr(e, 'problem', e)}") from e
