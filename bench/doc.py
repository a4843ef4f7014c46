"""docs/performance.md is shared by several benchmarks: each owns one marked section and
rewrites only that, so `make bench` and a single `python -m bench.X` never erase each other.

What a person writes about a run (a profile, the runs of the same day, what was tried) goes between
`<!-- notes:NAME:start -->` and `<!-- notes:NAME:end -->`: a rewrite keeps each such block of the text it
replaces, at the end of the new text, so that `make bench` never erases the analysis beside its figures
(each note should say which run it speaks of)."""

from __future__ import annotations

from pathlib import Path


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"


def notes(text: str) -> list[str]:
    """The hand-written note blocks of `text`, markers included, in order."""
    out = []
    pos = 0
    while (i := text.find("<!-- notes:", pos)) >= 0:
        name = text[i + len("<!-- notes:"):].split(":", 1)[0]
        end = f"<!-- notes:{name}:end -->"
        j = text.find(end, i)
        if j < 0:
            break
        out.append(text[i:j + len(end)])
        pos = j + len(end)
    return out


def write_section(path: Path, key: str, lines: list[str]) -> None:
    """Replace the section `key` of `path` by `lines` (appended at the end when absent), keeping its note blocks."""
    start, end = _markers(key)
    text = path.read_text() if path.exists() else "# Performance\n"
    i, j = text.find(start), text.find(end)
    kept = notes(text[i:j]) if i >= 0 and j > i else []
    block = "\n".join([start, *lines, *(["", *kept] if kept else []), end])
    if i >= 0 and j > i:
        text = text[:i] + block + text[j + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def sections(path: Path) -> dict[str, str]:
    """Every marked section of `path`, markers included, by key (to carry over on a rewrite)."""
    out: dict[str, str] = {}
    text = path.read_text() if path.exists() else ""
    pos = 0
    while (i := text.find("<!-- bench:", pos)) >= 0:
        key = text[i + len("<!-- bench:"):].split(":", 1)[0]
        _, end = _markers(key)
        j = text.find(end, i)
        if j < 0:
            break
        out[key] = text[i:j + len(end)]
        pos = j + len(end)
    return out
