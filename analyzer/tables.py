"""Reading the text tables that crictl, kubectl and ps print, as printed or as pasted.

Columns are found by header name, never by position or count (crictl added POD ID, then
POD, then NAMESPACE; kubectl -o wide adds columns). Each row is read two ways:

- aligned: cells start where their header starts (Go tabwriter output, as the tools print);
- by grammar: what each column can hold (a 13-hex id, "44 hours ago", "1 (2d10h ago)",
  "Ubuntu 22.04.2 LTS"), so pastes whose alignment was lost (single spaces, as in the
  seed document), header-less `| grep` output and lines cut by `cut -c` still parse.

The aligned reading is used when every cell it yields fits its column; else the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.errors import ParseError


@dataclass(frozen=True)
class Column:
    key: str
    headers: tuple[str, ...]
    pattern: str = r"\S+"
    # the cell may be missing at the end of a row (crictl's POD for non-Kubernetes containers)
    optional: bool = False


@dataclass
class Row:
    line: int  # 1-based line number in the capture
    cells: dict[str, str | None]
    truncated: bool = False
    text: str = ""


@dataclass
class TableSpec:
    name: str
    columns: list[Column]
    layouts: list[list[str]] = field(default_factory=list)  # known column orders, for header-less pastes
    required: int = 2  # leading columns a row must have
    free_last: bool = False  # the last column takes the rest of the line (ps COMMAND)

    def by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}


GENERIC = Column("__generic__", (), r"\S+")


MAX_COLUMNS = 64


def _match_header(line: str, spec: TableSpec) -> list[tuple[Column, int]] | None:
    """Columns of a header line with their start offsets, or None if it is not this table's header."""
    cols: list[tuple[Column, int]] = []
    spellings = sorted(((h, c) for c in spec.columns for h in c.headers), key=lambda x: -len(x[0]))
    pos = 0
    n = len(line)
    filled = len(line.rstrip(" "))
    known = 0
    while pos < n:
        if len(cols) > MAX_COLUMNS:
            return None  # no table has that many columns: a long line of short words, read in one pass
        while pos < n and line[pos] == " ":
            pos += 1
        if pos >= n:
            break
        for h, c in spellings:
            end = pos + len(h)
            if line.startswith(h, pos) and (end == n or line[end] == " "):
                cols.append((c, pos))
                pos = end
                known += 1
                break
        else:
            space = line.find(" ", pos)
            word = line[pos : space if space >= 0 else n]
            rest = pos + len(word) < filled  # (slicing the rest of the line per word would be quadratic)
            # a header cut at the terminal's edge ("ATT" for ATTEMPT)
            if not rest and len(word) >= 2 and any(h.startswith(word) for h, _c in spellings):
                c = next(c for h, c in spellings if h.startswith(word))
                cols.append((c, pos))
                pos += len(word)
                known += 1
                continue
            if not word.isupper() and not re.fullmatch(r"[A-Z0-9_%/.-]+", word):
                return None
            # an extra column we do not know (kubectl --label-columns): kept as generic
            cols.append((Column(word.lower(), (word,), r"\S+", optional=True), pos))
            pos += len(word)
    if known < max(2, min(len(spec.columns), 3)) or known < len(cols) - 3:
        return None
    return cols


def _grammar(cols: list[Column], required: int, free_last: bool) -> re.Pattern[str]:
    parts = []
    for i, c in enumerate(cols):
        pat = r".*?" if (free_last and i == len(cols) - 1) else c.pattern
        parts.append(f"(?P<c{i}>{pat})")
    # nested optional tail: a row may end after any column past the required ones
    rx = ""
    for i in range(len(cols) - 1, -1, -1):
        sep = r"\s+" if i else r"\s*"
        if i >= required:
            rx = f"(?:{sep}{parts[i]}{rx})?"
        else:
            rx = f"{sep}{parts[i]}{rx}"
    return re.compile(f"^{rx}\\s*$")


def _aligned(line: str, cols: list[tuple[Column, int]], free_last: bool) -> dict[str, str | None] | None:
    cells: dict[str, str | None] = {}
    for i, (c, start) in enumerate(cols):
        end = cols[i + 1][1] if i + 1 < len(cols) else None
        if start > 0 and start <= len(line) and line[start - 1] != " ":
            return None  # a cell runs into this one: not aligned here
        cell = (line[start:end] if end is not None else line[start:]).strip()
        if end is not None and end < len(line) and line[end - 1] != " " and line[end] != " ":
            return None
        if not cell:
            cells[c.key] = None
            continue
        last = i == len(cols) - 1
        if not (free_last and last) and not re.fullmatch(c.pattern, cell):
            return None
        cells[c.key] = cell
    return cells


def parse_table(text_lines: list[str], spec: TableSpec, *, cut: int | None = None) -> list[Row]:
    """Rows of `spec` in the lines; lines before the header (warnings, prompts) are skipped."""
    header: list[tuple[Column, int]] | None = None
    start = 0
    for i, line in enumerate(text_lines):
        h = _match_header(line, spec)
        if h:
            header, start = h, i + 1
            break
    rows: list[Row] = []
    if header is not None:
        cols = [c for c, _ in header]
        gram = _grammar(cols, min(spec.required, len(cols)), spec.free_last)
        aligned_header = any(header[i + 1][1] - header[i][1] > len(header[i][0].headers[0]) + 1 for i in range(len(header) - 1))
        for i in range(start, len(text_lines)):
            line = text_lines[i]
            if not line.strip():
                continue
            if _match_header(line, spec):
                continue  # a repeated header (several captures pasted together)
            cells = _aligned(line, header, spec.free_last) if aligned_header else None
            if cells is None or any(cells.get(c.key) is None for c in cols[: spec.required]):
                m = gram.match(line)
                if not m:
                    rows.append(Row(i + 1, {}, text=line))  # unreadable row: reported by the caller
                    continue
                cells = {c.key: m.group(f"c{j}") for j, c in enumerate(cols)}
            rows.append(Row(i + 1, cells, truncated=bool(cut and len(line) >= cut), text=line))
        return rows
    if not spec.layouts:
        raise ParseError(f"no {spec.name} header found")
    # header-less: the known layout that reads the most lines
    by_key = spec.by_key()
    best: list[Row] = []
    for layout in spec.layouts:
        cols = [by_key[k] for k in layout]
        gram = _grammar(cols, min(len(cols), max(spec.required, len(cols) - (1 if spec.free_last else 0))), spec.free_last)
        got: list[Row] = []
        for i, line in enumerate(text_lines):
            if not line.strip():
                continue
            m = gram.match(line)
            if m:
                got.append(Row(i + 1, {c.key: m.group(f"c{j}") for j, c in enumerate(cols)}, bool(cut and len(line) >= cut), line))
        if len(got) > len(best):
            best = got
    if not best:
        raise ParseError(f"no {spec.name} header found and no line reads as one")
    return best
