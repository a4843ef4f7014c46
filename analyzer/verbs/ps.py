"""`kubesnap ps NODE [--tree]`: the node's processes as `ps -ef` (or `ps -ef --forest`) printed them, each
annotated with what it belongs to: a pod's container (namespace/pod/container), its shim or pause, or a
host service. The walk the seed's author did by hand, for every process at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analyzer.sanitize import cell
from analyzer.verbs import SiteView, not_found

HEADER = "UID          PID    PPID  C STIME TTY          TIME CMD"


def _stime(t: datetime | None, now: datetime | None) -> str:
    if t is None:
        return "?"
    if now is not None and t.date() == now.date():
        return t.strftime("%H:%M")
    if now is not None and t.year == now.year:
        return t.strftime("%b%d")
    return t.strftime("%Y")


def owner_label(role: str | None, ns: str | None, pod: str | None, container: str | None, service: str | None) -> str:
    if pod:
        who = f"{ns}/{pod}"
        if role == "shim":
            return f"[shim of {who}]"
        if role == "pause":
            return f"[pause of {who}]"
        return f"[{who}/{container}]" if container else f"[{who}]"
    if service:
        return f"[service {service}]"
    return ""


def process_rows(sv: SiteView, node: str) -> tuple[list[dict[str, Any]], datetime | None]:
    snap = sv.node_snapshot(node)
    if not snap:
        raise not_found("nodes", node)
    sid, now = snap
    rows = sv.q(
        """SELECT t.pid, t.ppid, t."user", t.command, t.started_at, t.role, t.namespace, t.pod, t.container, t.service,
                  (SELECT arg_min(start_text, CASE source WHEN 'ps-ef' THEN 0 ELSE 1 END) FROM v_processes p WHERE p.snapshot_id = t.snapshot_id AND p.pid = t.pid),
                  (SELECT arg_min(cpu_time, CASE source WHEN 'ps-ef' THEN 0 ELSE 1 END) FROM v_processes p WHERE p.snapshot_id = t.snapshot_id AND p.pid = t.pid),
                  (SELECT arg_min(tty, CASE source WHEN 'ps-ef' THEN 0 ELSE 1 END) FROM v_processes p WHERE p.snapshot_id = t.snapshot_id AND p.pid = t.pid),
                  t.rss_kb, t.join_method
           FROM process_tree t WHERE t.snapshot_id = $p0 ORDER BY t.pid""",
        [sid],
    )
    keys = ("pid", "ppid", "user", "command", "started_at", "role", "namespace", "pod", "container", "service", "stime", "time", "tty", "rss_kb", "join")
    return [dict(zip(keys, r, strict=True)) for r in rows], now


def ps(sv: SiteView, node: str, tree: bool = False) -> str:
    procs, now = process_rows(sv, node)
    order: list[tuple[int, dict[str, Any]]] = [(0, p) for p in procs]
    if tree:
        by_pid = {p["pid"]: p for p in procs}
        kids: dict[int | None, list[dict[str, Any]]] = {}
        for p in procs:
            parent = p["ppid"] if p["ppid"] in by_pid and p["ppid"] != p["pid"] else None
            kids.setdefault(parent, []).append(p)
        order = []
        seen: set[int] = set()
        stack: list[tuple[int, dict[str, Any]]] = [(0, p) for p in reversed(kids.get(None, []))]
        while stack:
            depth, p = stack.pop()
            if p["pid"] in seen:
                continue
            seen.add(p["pid"])
            order.append((depth, p))
            stack += [(depth + 1, c) for c in reversed(kids.get(p["pid"], []))]
        order += [(0, p) for p in procs if p["pid"] not in seen]  # cycles (a bad paste): still listed
    lines = [HEADER]
    for depth, p in order:
        user = cell(p["user"] or "?")
        user = user if len(user) <= 8 else user[:7] + "+"
        forest = ("    " * (depth - 1) + " \\_ ") if depth else ""
        note = owner_label(p["role"], p["namespace"], p["pod"], p["container"], p["service"])
        # every field a cell: a command cannot start a line of its own, nor redraw the one above
        lines.append(f"{user:<8} {p['pid'] if p['pid'] is not None else '?':>7} {p['ppid'] if p['ppid'] is not None else '?':>7}  0 {cell(p['stime'] or _stime(p['started_at'], now)):<5} "
                     f"{cell(p['tty'] or '?'):<8} {cell(p['time'] or '?'):>8} {forest}{cell(p['command'] or '')}{'  ' + cell(note) if note else ''}")  # fmt: skip
    return "\n".join(lines) + "\n"
