"""The source registry: each parser declares, next to itself, its name and how to recognize its
content when a customer pastes it as a loose file. Which bundle members it reads is declared in the
bundle's layout (analyzer.layouts), never here.

    @source("crictl-ps-json", sniff=_sniff)
    def parse(ctx: ParseContext) -> Iterable[Record]: ...
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from analyzer.models import Record
from analyzer.textutil import decode


@dataclass
class ParseContext:
    path: str  # member path inside the bundle, or the loose file's name
    data: bytes
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    _text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = decode(self.data)
        return self._text

    def problem(self, line: int | None, reason: str) -> None:
        """A part of the member could not be read; the rest is still ingested."""
        self.problems.append((line, reason))


Parser = Callable[[ParseContext], Iterable[Record]]
Sniffer = Callable[[str], int]


@dataclass(frozen=True)
class SourceSpec:
    name: str
    parse: Parser
    sniff: Sniffer | None
    scope: str  # node or cluster
    bulk: bool
    doc: str


REGISTRY: dict[str, SourceSpec] = {}


def source(
    name: str,
    *,
    sniff: Sniffer | None = None,
    scope: str = "node",
    bulk: bool = False,
) -> Callable[[Parser], Parser]:
    def deco(fn: Parser) -> Parser:
        if name in REGISTRY:
            raise ValueError(f"source {name} registered twice")
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        REGISTRY[name] = SourceSpec(name, fn, sniff, scope, bulk, doc)
        return fn

    return deco


@functools.cache
def import_submodules(package: str) -> None:
    """Import every module of a package once: plugins register themselves on import (parsers, rules)."""
    pkg = importlib.import_module(package)
    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{package}.{mod.name}")


def load_parsers() -> dict[str, SourceSpec]:
    """Import every module of analyzer.parsers, which registers its sources."""
    import_submodules("analyzer.parsers")
    return REGISTRY


_SNIFFERS: tuple[int, int, list[tuple[SourceSpec, Sniffer]]] = (0, -1, [])


def _sniffers() -> list[tuple[SourceSpec, Sniffer]]:
    """The registered sniffers, listed again only when the registry changed (a source added, a registry replaced)."""
    global _SNIFFERS
    reg = load_parsers()
    if _SNIFFERS[0] != id(reg) or _SNIFFERS[1] != len(reg):
        _SNIFFERS = (id(reg), len(reg), [(spec, spec.sniff) for spec in reg.values() if spec.sniff is not None])
    return _SNIFFERS[2]


def sniff(text: str) -> tuple[SourceSpec | None, int]:
    """The parser whose sniffer is surest about a loose capture's content."""
    from analyzer.textutil import clean_lines

    best: SourceSpec | None = None
    score = 0
    # sniffers see the text as a paste is read: CRLF gone, a '# ' or '> ' quote prefix stripped
    head = "\n".join(clean_lines(text[:65536]))
    for spec, sniffer in _sniffers():
        s = sniffer(head)
        if s > score:
            best, score = spec, s
    return best, score
