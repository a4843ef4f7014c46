"""Inline SVG pictures for the report. Every text is escaped; no external reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from analyzer import sanitize

COLORS = {"pod": "#2f7ed8", "runtime": "#8c6d31", "host-service": "#2ca02c", "host": "#999999"}


def _t(s: object, limit: int = 80) -> str:
    """A text of the picture: cut to `limit` characters, then every control, bidi and invisible character shown as an
    escape (as everywhere in the report: a right-to-left override would reverse what a name says), then HTML-escaped."""
    text = str(s)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return str(escape(sanitize.cell(text)))


@dataclass
class TreeProc:
    pid: int
    ppid: int | None
    label: str
    owner: str
    detail: str


def process_tree(procs: Sequence[TreeProc], limit: int = 400) -> Markup:
    """The process forest of a node, one row per process, like `ps -ef --forest` (a process of unknown pid, a hostile
    20-digit one, is given none: the caller leaves it out)."""
    by_pid = {p.pid: p for p in procs}
    kids: dict[int | None, list[TreeProc]] = {}
    for p in procs:
        parent = p.ppid if p.ppid in by_pid and p.ppid != p.pid else None
        kids.setdefault(parent, []).append(p)
    rows: list[tuple[int, TreeProc, int | None]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for p in sorted(kids.get(parent, []), key=lambda x: x.pid):
            if p.pid in seen or len(rows) >= limit:
                continue
            seen.add(p.pid)
            rows.append((depth, p, parent))
            walk(p.pid, depth + 1)

    walk(None, 0)
    h = 18
    width = 1100
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="tree" width="{width}" height="{h * len(rows) + 30}" role="img" aria-label="process tree">']
    y_of: dict[int, int] = {}
    for i, (depth, p, parent) in enumerate(rows):
        y = 20 + i * h
        x = 8 + depth * 18
        y_of[p.pid] = y
        if parent is not None and parent in y_of:
            px = 8 + (depth - 1) * 18 + 4
            out.append(f'<path d="M{px},{y_of[parent] + 4} V{y - 4} H{x}" fill="none" stroke="#bbb"/>')
        color = COLORS.get(p.owner, "#999")
        out.append(f'<rect x="{x}" y="{y - 9}" width="8" height="8" fill="{color}"><title>{_t(p.owner)}</title></rect>')
        out.append(f'<text x="{x + 12}" y="{y}" class="t"><tspan class="pid">{p.pid}</tspan> {_t(p.label, 90)}'
                   f'<tspan class="d"> {_t(p.detail, 60)}</tspan></text>')  # fmt: skip
    if len(procs) > len(rows):
        out.append(f'<text x="8" y="{20 + len(rows) * h}" class="d">… {len(procs) - len(rows)} more processes not drawn</text>')
    legend_x = width - 360
    for i, (k, c) in enumerate(COLORS.items()):
        out.append(f'<rect x="{legend_x + i * 90}" y="4" width="8" height="8" fill="{c}"/><text x="{legend_x + 12 + i * 90}" y="12" class="d">{k}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bars(items: Sequence[tuple[str, int, str]], unit: str = "B", limit: int = 30) -> Markup:
    """Horizontal bars: (label, value, link anchor)."""
    items = list(items)[:limit]
    if not items:
        return Markup('<p class="muted">nothing to draw</p>')
    top = max(v for _l, v, _a in items) or 1
    h = 20
    label_w = 560
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{label_w + 520 + 90}" height="{len(items) * h + 10}" role="img" aria-label="bars">']
    for i, (label, value, anchor) in enumerate(items):
        y = 5 + i * h
        w = max(1, int(520 * value / top))
        link_open = f'<a href="#{escape(sanitize.cell(anchor))}">' if anchor else ""
        link_close = "</a>" if anchor else ""
        out.append(f'{link_open}<text x="0" y="{y + 13}" class="t">{_t(label, 76)}</text>{link_close}')
        out.append(f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="14" fill="#2f7ed8"/>')
        out.append(f'<text x="{label_w + 5 + w}" y="{y + 13}" class="d">{_t(human_bytes(value) if unit == "B" else value)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


@dataclass
class Mark:
    t: datetime
    row: str
    kind: str  # warning, normal, restart, start, collected, journal
    label: str


MARK_COLORS = {"warning": "#d62728", "journal": "#9467bd", "normal": "#9aa", "restart": "#ff7f0e", "start": "#2ca02c", "collected": "#222"}


def timeline(marks: Sequence[Mark], limit_rows: int = 40) -> Markup:
    """Restarts, events and collection times on one time axis, a row per node (or object)."""
    if not marks:
        return Markup('<p class="muted">no timed records</p>')
    rows = []
    for m in marks:
        if m.row not in rows:
            rows.append(m.row)
    rows = rows[:limit_rows]
    marks = [m for m in marks if m.row in rows]
    t0 = min(m.t for m in marks).timestamp()
    t1 = max(m.t for m in marks).timestamp()
    span = max(t1 - t0, 60.0)
    left, width, h = 230, 820, 18
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{left + width + 70}" height="{len(rows) * h + 75}" role="img" aria-label="timeline">']
    for i, r in enumerate(rows):
        y = 20 + i * h
        out.append(f'<text x="0" y="{y + 4}" class="t">{_t(r, 34)}</text><line x1="{left}" x2="{left + width}" y1="{y}" y2="{y}" stroke="#eee"/>')
    for m in marks:
        x = left + (m.t.timestamp() - t0) / span * width
        y = 20 + rows.index(m.row) * h
        c = MARK_COLORS.get(m.kind, "#555")
        shape = (f'<rect x="{x - 1:.1f}" y="{y - 7}" width="3" height="14" fill="{c}">' if m.kind == "collected"
                 else f'<circle cx="{x:.1f}" cy="{y}" r="4" fill="{c}" fill-opacity="0.8">')  # fmt: skip
        tag = "rect" if m.kind == "collected" else "circle"
        out.append(f"{shape}<title>{_t(m.t.strftime('%Y-%m-%d %H:%M:%SZ'))} {_t(m.kind)}: {_t(m.label, 200)}</title></{tag}>")
    ybase = 20 + len(rows) * h
    for i in range(5):
        t = t0 + span * i / 4
        x = left + width * i / 4
        out.append(f'<text x="{x:.0f}" y="{ybase + 14}" class="d" text-anchor="middle">{_t(datetime.utcfromtimestamp(t).strftime("%m-%d %H:%M"))}</text>')
    for i, (k, c) in enumerate(MARK_COLORS.items()):
        out.append(f'<circle cx="{left + i * 110}" cy="{ybase + 30}" r="4" fill="{c}"/><text x="{left + 8 + i * 110}" y="{ybase + 34}" class="d">{k}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def human_bytes(n: float | None) -> str:
    if n is None:
        return ""
    v = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if v < 1024 or unit == "TiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.1f} {unit}"
        v /= 1024
    return f"{v:.1f} TiB"


def crictl_size(n: float | None) -> str:
    """An image size the way crictl prints it (docker/go-units, decimal units, 3 significant digits)."""
    if n is None:
        return ""
    v = float(n)
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    while v >= 1000 and i < len(units) - 1:
        v /= 1000
        i += 1
    text = f"{v:.3g}"
    return f"{round(v)}{units[i]}" if "e" in text else f"{text}{units[i]}"
