"""Budgets that are part of parsing, not checked after it: nesting depth of JSON and YAML values, and YAML
aliases. A value over a budget is refused before it is built (no recursion, no billion laughs), with a
one-line reason naming the budget.

Kubernetes objects nest some 20 levels (CRD schemas a few dozen); MAX_DEPTH leaves room for any real one and
stays far below what Python's recursive JSON/YAML readers and writers survive (about 900 levels).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

MAX_DEPTH = 128
# A YAML document of a bundle (a manifest, a kubectl -o yaml dump) has at most some million nodes.
MAX_YAML_NODES = 2_000_000

DEPTH_CHUNK = 1 << 20  # bytes of JSON counted at once: the counting's arrays are a few times this


# What Python's JSON reader builds for a text, counted before it reads it: an object costs about three times what a
# list does and a list twice what a scalar does (an empty dict is 64 bytes, a small one 180, a string 50-60). 128 MiB of
# {"items":[{},{},...]} took 6.7 GB before this budget; within it, a document costs at most some 1.5 GB. Real dumps are
# under it up to the 256 MiB member cap: kubectl's indented JSON is about 0.035 units a byte (a troubleshoot bundle's CRDs,
# 1.1 MB: 39,548 units), so 9 M units at 256 MiB; compact JSON of pods is about 0.14 a byte (12.5 MB: 1.7 M units).
MAX_JSON_COST = 12_000_000


class TooDeep(ValueError):
    """A value nested deeper than MAX_DEPTH."""


class TooBig(ValueError):
    """A JSON text that would build more values than MAX_JSON_COST allows."""


TOO_BIG = f"JSON of more values than its budget ({MAX_JSON_COST} units: objects 3, lists 2, others 1): not read"


def json_too_big(text: str, limit: int = MAX_JSON_COST) -> bool:
    """Whether reading JSON text would build more than `limit` units of values (objects 3, lists 2, the values a comma
    separates 1), counted at C speed without parsing; commas and brackets inside strings count too (a bound, not a
    measure)."""
    if len(text) * 3 <= limit:  # (no text that short can: at most one object per character)
        return False
    return 3 * text.count("{") + 2 * text.count("[") + text.count(",") > limit


def json_too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests deeper than `limit`, found without parsing it: the brackets outside strings
    counted with numpy, DEPTH_CHUNK bytes at a time (no recursion, no Python loop per byte, memory bounded).

    A quote ends or starts a string unless an odd run of backslashes precedes it. The depth counted is the
    running count of opening minus closing brackets above its lowest point so far: on valid JSON its nesting,
    and on broken JSON at least what a reader opens before it breaks (Python's reader stops at the first
    error, and up to there its string state is the one counted here). A regex pass over the text took 0.28 s
    on 24 MB of `kubectl get pods -o json`, longer than parsing it."""
    if text.count("[") + text.count("{") <= limit:
        return False
    data = text.encode("utf-8", "surrogatepass")  # every byte of a multibyte character is >= 0x80: never a quote or a bracket
    depth = lowest = 0
    in_string = False
    carry = 0  # backslashes that end the previous chunk (in a run that may go on)
    for at in range(0, len(data), DEPTH_CHUNK):
        c = np.frombuffer(data, np.uint8, count=min(DEPTH_CHUNK, len(data) - at), offset=at)
        quotes = np.flatnonzero(c == 34)
        back = np.flatnonzero(c == 92)
        if len(back):
            starts = back[np.r_[True, back[1:] != back[:-1] + 1]]  # where each run of backslashes starts
            after = quotes[(quotes > 0) & (c[quotes - 1] == 92)]
            first = starts[np.searchsorted(starts, after - 1, side="right") - 1]  # the run before each such quote
            run = after - first + np.where(first == 0, carry, 0)
            escaped = after[run % 2 == 1]
            if len(quotes) and quotes[0] == 0 and carry % 2 == 1:
                escaped = np.r_[0, escaped]
            quotes = np.setdiff1d(quotes, escaped, assume_unique=True)
            tail = len(c) - starts[-1] + (carry if starts[-1] == 0 else 0) if c[-1] == 92 else 0
        else:
            if len(quotes) and quotes[0] == 0 and carry % 2 == 1:
                quotes = quotes[1:]
            tail = 0
        carry = tail
        brackets = np.flatnonzero((c == 91) | (c == 93) | (c == 123) | (c == 125))
        # a bracket is outside strings when the quotes before it in the chunk and the chunk's state make an even count
        outside = brackets[(np.searchsorted(quotes, brackets) + in_string) % 2 == 0]
        in_string = (len(quotes) + in_string) % 2 == 1
        if not len(outside):
            continue
        step = np.where((c[outside] == 91) | (c[outside] == 123), 1, -1)
        running = depth + np.cumsum(step)
        low = np.minimum.accumulate(np.minimum(running, lowest))
        if int((running - low).max()) > limit:
            return True
        depth, lowest = int(running[-1]), int(low[-1])
    return False


def json_int(digits: str) -> int | None:
    """A JSON integer as json.loads reads it, but one of more than 40 digits is unknown (None): Python refuses to
    convert more than 4,300 digits, and that error lost the whole member (a count no object holds is no count)."""
    return int(digits) if len(digits.lstrip("-")) <= 40 else None


def bounded_json(text: str) -> Any:
    """json.loads for text from a bundle or a paste: nested deeper than MAX_DEPTH is TooDeep (a ValueError, as
    any JSON error), found before Python's recursive reader could raise RecursionError."""
    if json_too_deep(text):
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels: not read")
    if json_too_big(text):
        raise TooBig(TOO_BIG)
    return json.loads(text, parse_int=json_int)


def stored_json(text: str) -> Any:
    """A JSON value read back from a database, which may be one someone else wrote: one nested deeper than
    ingest allows is refused (TooDeep) before it is parsed (Python's JSON reader recurses)."""
    if json_too_deep(text):
        raise TooDeep(f"a stored JSON value nested deeper than {MAX_DEPTH} levels: not read")
    if json_too_big(text):
        raise TooBig(f"a stored value: {TOO_BIG}")
    return json.loads(text, parse_int=json_int)


def value_too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed value (dicts and lists) nests deeper than `limit`; iterative, for values read back
    from a database someone else wrote."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            children: list[Any] = list(v.values())
        elif isinstance(v, list):
            children = v
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


class YAMLBudgetError(yaml.YAMLError):
    """A YAML document over a budget: too deep, too many nodes, or an alias of a mapping or sequence."""


class _Budgeted(Composer):
    """Composer that counts while it composes: depth and node budgets, and aliases only of scalars.

    An alias of a scalar costs one node; an alias of a mapping or sequence is what a "billion laughs"
    document multiplies (nine levels of ten aliases is a billion nodes once expanded by whatever walks the
    result), and no Kubernetes manifest or configuration Kubesnap reads needs one."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            event = self.peek_event()  # type: ignore[attr-defined]
            target = self.anchors.get(event.anchor)
            if target is not None and not isinstance(target, yaml.ScalarNode):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise YAMLBudgetError(f"YAML alias *{str(event.anchor)[:40]} of a mapping or sequence at line {line}: not read (aliases are read for scalars only)")
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise YAMLBudgetError(f"YAML document of more than {MAX_YAML_NODES} nodes: not read")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YAMLBudgetError(f"YAML nested deeper than {MAX_DEPTH} levels: not read")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class PyBoundedLoader(_Budgeted, yaml.SafeLoader):
    """Safe YAML loading within the budgets over PyYAML's pure-Python parser (where libyaml is missing)."""


try:  # libyaml's parser, where PyYAML was built with it
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover (the wheels on PyPI carry libyaml)
    _CParser = None  # type: ignore[assignment,misc]

if _CParser is not None:

    class CBoundedLoader(_Budgeted, SafeConstructor, Resolver, _CParser):
        """Safe YAML loading within the budgets: libyaml scans and parses (in C, some 5x faster than
        PyYAML's reader and scanner), the budgeted composer above builds the nodes from its events (the
        composer comes before CParser's own in the method order), SafeConstructor makes the values.
        tests/test_redteam_budgets.py holds both loaders to the same values and refusals."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

BoundedLoader: type[CBoundedLoader] | type[PyBoundedLoader] = CBoundedLoader if _CParser is not None else PyBoundedLoader


def _timestamp(loader: SafeConstructor, node: yaml.Node) -> Any:
    """A YAML time; one PyYAML cannot make (!!timestamp 99999-01-01 raised an AttributeError that reached the analyst as
    the member's problem) is a YAML error that says what and where."""
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (AttributeError, ValueError, OverflowError, TypeError) as e:
        raise yaml.constructor.ConstructorError(None, None, f"not a time: {str(node.value)[:40]!r}", node.start_mark) from e


def _int(loader: SafeConstructor, node: yaml.Node) -> Any:
    """A YAML integer; one of more digits than Python reads (a hostile 100,000-digit number lost its whole manifest) is
    kept as its text."""
    try:
        return SafeConstructor.construct_yaml_int(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return str(node.value)


for _cls in (PyBoundedLoader, *((CBoundedLoader,) if _CParser is not None else ())):
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _cls.add_constructor("tag:yaml.org,2002:int", _int)


def yaml_documents(text: str, loader_class: type[CBoundedLoader] | type[PyBoundedLoader] | None = None) -> list[Any]:
    """Every non-empty document of a YAML text, within the budgets (YAMLBudgetError otherwise)."""
    loader = (loader_class or BoundedLoader)(text)
    try:
        out = []
        while loader.check_data():  # type: ignore[no-untyped-call]
            d = loader.get_data()
            if d is not None:
                out.append(d)
        return out
    except yaml.YAMLError as e:
        if "exceeded maximum nesting depth" in str(e):  # libyaml's own limit (1,000 levels), met while it scans ahead
            raise YAMLBudgetError(f"YAML nested deeper than {MAX_DEPTH} levels: not read") from e
        raise
    finally:
        loader.dispose()
