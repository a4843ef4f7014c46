"""docs/performance.md is shared by several benchmarks: each owns one marked section and
rewrites only that, so `make bench` and a single `python -m bench.X` never erase each other."""

from __future__ import annotations

from pathlib import Path


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"


def write_section(path: Path, key: str, lines: list[str]) -> None:
    """Replace the section `key` of `path` by `lines` (appended at the end when absent)."""
    start, end = _markers(key)
    block = "\n".join([start, *lines, end])
    text = path.read_text() if path.exists() else "# Performance\n"
    i, j = text.find(start), text.find(end)
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
