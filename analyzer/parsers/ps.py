"""Process listings: the collector's fixed format, `ps -ef`, `ps aux`/`auxww`/`auxf`/`afxuwww`,
`ps axf`, BusyBox `ps`, any `ps -o` column set ending in the command, `systemctl status` CGroup trees; with or without header, aligned or
with whitespace collapsed, cut at a terminal width or by `cut -c`, rows joined on one line
(kube-bench). Forest output (`\\_ `) gives the parent when PPID is not printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.errors import ParseError
from analyzer.models import Process, Record
from analyzer.parsers.proc_cgroup import cgroup_line
from analyzer.registry import ParseContext, source
from analyzer.textutil import clean_lines, cut_width
from analyzer.timeparse import parse_etime

NUM = r"\d+"
# one regex per format; the command is everything after the column before it and one space
FORMATS: dict[str, tuple[str, re.Pattern[str]]] = {
    "ps-fixed": (
        r"^[ \t]*PID\s+PPID\s+USER\s+STARTED\s+ELAPSED\s+STAT\s+RSS\s+VSZ\s+(?:COMMAND|ARGS)",
        re.compile(r"^[ \t]*(?P<pid>\d+)\s+(?P<ppid>\d+)\s+(?P<user>\S+)\s+(?P<start>\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4})\s+"
                   r"(?P<elapsed>\d+)\s+(?P<stat>\S+)\s+(?P<rss>\d+)\s+(?P<vsz>\d+)\s(?P<cmd>.*)$"),
    ),
    "ps-ef": (
        r"^[ \t]*UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD",
        re.compile(r"^[ \t]*(?P<user>\S+)\s+(?P<pid>\d+)\s+(?P<ppid>\d+)\s+(?P<c>\d+)\s+(?P<start>[A-Z][a-z]{2}\d\d|\d\d:\d\d|\d{4}|[A-Z][a-z]{2} ?\d\d)\s+"
                   r"(?P<tty>\S+)\s+(?P<time>[\d:-]+)\s(?P<cmd>.*)$"),
    ),
    "ps-aux": (
        r"^[ \t]*USER\s+PID\s+%CPU\s+%MEM\s+VSZ\s+RSS\s+TT\S*\s+STAT\s+START\s+TIME\s+COMMAND",
        re.compile(r"^[ \t]*(?P<user>\S+)\s+(?P<pid>\d+)\s+(?P<cpu>[\d.]+)\s+(?P<mem>[\d.]+)\s+(?P<vsz>\d+)\s+(?P<rss>\d+)\s+"
                   r"(?P<tty>\S+)\s+(?P<stat>\S+)\s+(?P<start>\S+)\s+(?P<time>[\d:.-]+)\s(?P<cmd>.*)$"),
    ),
    "ps-axf": (
        r"^[ \t]*PID\s+TTY\s+STAT\s+TIME\s+COMMAND",
        re.compile(r"^[ \t]*(?P<pid>\d+)\s+(?P<tty>\?|pts/\d+|tty\S*|console)\s+(?P<stat>[A-Za-z<+NlsL]+)\s+(?P<time>[\d:]+)\s(?P<cmd>.*)$"),
    ),
    "ps-busybox": (
        r"^[ \t]*PID\s+USER\s+(?:TIME|VSZ\s+STAT)\s+COMMAND",
        re.compile(r"^[ \t]*(?P<pid>\d+)\s+(?P<user>\S+)\s+(?:(?P<time>\d+:\d\d)|(?P<vsz>\d+[mg]?)\s+(?P<stat>\S+))\s+(?P<cmd>.*)$"),
    ),
}  # fmt: skip
# any other `ps -o` column set (`ps -eo pid,ppid,cmd`, `ps -o pid,user,etime,args`): read by
# its header, each column by what it can hold; the command column must come last
CUSTOM_COLUMNS: dict[str, tuple[str | None, str]] = {
    **{h: ("pid", NUM) for h in ("PID", "TGID")},
    "PPID": ("ppid", NUM),
    **{h: (None, NUM) for h in ("PGID", "SID", "SESS", "LWP", "SPID", "TID", "NLWP", "PSR", "F")},
    **{h: ("user", r"\S+") for h in ("USER", "UID", "EUSER", "EUID", "RUSER", "RUID", "UNAME")},
    **{h: (None, r"\S+") for h in ("GROUP", "GID", "EGID", "EGROUP", "RGROUP", "WCHAN", "LABEL", "CGROUP", "CLS", "POL", "ADDR", "NI", "PRI", "RTPRIO")},
    **{h: ("stat", r"\S+") for h in ("STAT", "S")},
    **{h: ("tty", r"\S+") for h in ("TTY", "TT")},
    "TIME": ("time", r"[\d:.-]+"),
    **{h: ("start", r"[A-Z][a-z]{2} ?\d\d|\d\d:\d\d(?::\d\d)?|\d{4}|\S+") for h in ("STIME", "START")},
    "STARTED": ("start", r"\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4}"),
    "ELAPSED": ("elapsed", r"(?:\d+-)?(?:\d+:)?\d+(?::\d+)?"),
    "RSS": ("rss", NUM), "RSZ": ("rss", NUM), "VSZ": ("vsz", NUM), "VSIZE": ("vsz", NUM), "SZ": (None, NUM),
    **{h: (None, r"[\d.]+") for h in ("%CPU", "%MEM", "C", "CP")},
    # top's (`top -b`): its sizes in KiB or with a unit (1.2g), its TIME+ in minutes (563:14.33): none is ps's
    "PR": (None, r"\S+"), **{h: (None, r"[\d.]+[kmgtpe]?") for h in ("VIRT", "RES", "SHR")}, "TIME+": (None, r"[\d:.]+"),
}  # fmt: skip
COMMAND_HEADERS = ("COMMAND", "CMD", "ARGS")


def _custom_format(line: str) -> re.Pattern[str] | None:
    """A row regex for a `ps -o` header line, or None if the line is not one."""
    words = line.split()
    if len(words) < 2 or words[-1] not in COMMAND_HEADERS or "PID" not in words:
        return None
    parts, seen = [], set()
    for w in words[:-1]:
        if w in COMMAND_HEADERS:  # `comm` before `args`: one word
            key, pat = None, r"\S+"
        elif w in CUSTOM_COLUMNS:
            key, pat = CUSTOM_COLUMNS[w]
        else:
            return None
        parts.append(f"(?P<{key}>{pat})" if key and key not in seen else f"(?:{pat})")
        if key:
            seen.add(key)
    return re.compile(r"^[ \t]*" + r"\s+".join(parts) + r"\s(?P<cmd>.*)$")


def _thread_row(ln: str) -> bool:
    """A thread's row of `ps -m` output (`root  -  0.0  - - - -  S  14:21  0:00 -`): a dash where the pid is."""
    words = ln.split(None, 3)
    return len(words) >= 3 and "-" in words[:2]


HEADERLESS_ORDER = ["ps-fixed", "ps-aux", "ps-ef", "ps-axf", "ps-busybox"]
SYSTEMD_TREE = re.compile(r"^[ \t]*(?:[├└│|`]\s*)*[─-]*\s*(?P<pid>\d+)\s(?P<cmd>\S.*)$")
# kube-bench joins `ps -ef` rows with single spaces: split before each "user pid ppid c stime tty time"
JOINED_ROW = re.compile(r"(?<=\S) (?=\S+ \d+ \d+ \d+ (?:[A-Z][a-z]{2}\d\d|\d\d:\d\d|\d{4}) \S+ [\d:-]{5,} )")


_ANY_HEADER = re.compile("|".join(f"(?:{hdr})" for hdr, _rx in FORMATS.values()), re.M)  # one pass over a head, not five
_TREE = re.compile(r"[├└]─\s*\d+ ")


def _sniff(head: str) -> int:
    if _ANY_HEADER.search(head):
        return 88
    all_lines = head.splitlines()
    if "PID" in head and any(_custom_format(ln) for ln in all_lines[:50] if "PID" in ln):  # a -o header names PID
        return 80
    lines = [ln for ln in all_lines[:20] if ln.strip()]
    # a row of any of these formats has its pid first or second (what a regex below needs): only such lines are tried
    rows = [ln for ln in lines if any(w.isdecimal() for w in ln.split(None, 2)[:2])]
    if rows and sum(bool(FORMATS["ps-ef"][1].match(ln)) for ln in rows) >= max(1, len(lines) // 2):
        return 55
    for name in ("ps-aux", "ps-axf", "ps-busybox"):
        if rows and sum(bool(FORMATS[name][1].match(ln)) for ln in rows) >= max(1, (len(lines) + 1) // 2):
            return 52
    if "CGroup:" in head and _TREE.search(head):
        return 50
    if len(_TREE.findall(head)) >= 2:
        return 45  # systemd-cgls, or a CGroup: tree pasted without its status
    return 0


def _forest_capture(lines: list[str]) -> bool:
    return any("\\_ " in ln for ln in lines[:400])


def _forest(cmd: str) -> tuple[int, str]:
    """(depth, command) of a `ps f` COMMAND cell: ' \\_ x' is depth 1, '     \\_ x' depth 2."""
    i = cmd.find("\\_ ")
    if i >= 0 and re.fullmatch(r"[ |]*", cmd[:i]):
        return (i - 1) // 4 + 1 if i >= 1 else 1, cmd[i + 3 :]
    return 0, cmd.lstrip() if cmd[:1] == " " and cmd.strip() and re.fullmatch(r" *", cmd[: len(cmd) - len(cmd.lstrip())]) else cmd


BEYOND = 2**64  # a number of more digits than any column holds: the store keeps it as unknown, as any beyond 64 bits


def _num(digits: str) -> int:
    """A column's digits as a number; a hostile run of them (5000 digits: Python refuses to read more than 4300, and the
    whole listing was lost) is BEYOND, which the row keeps as unknown."""
    return int(digits) if len(digits) <= 40 else BEYOND


@source("ps", sniff=_sniff)
def parse(ctx: ParseContext) -> Iterable[Record]:
    """ps output: fixed format, -ef, aux/auxf, axf, BusyBox, systemctl status CGroup trees and systemd-cgls (with each process's cgroup)"""
    lines = clean_lines(ctx.text)
    if len(lines) <= 2 and lines and JOINED_ROW.search(lines[0]):
        lines = JOINED_ROW.split(lines[0])
    fmt = None
    start = 0
    for i, ln in enumerate(lines[:50]):
        for name, (hdr, _rx) in FORMATS.items():
            if re.match(hdr, ln):
                fmt, start = name, i + 1
                break
        if fmt:
            break
    rx: re.Pattern[str] | None = None
    if fmt is None:
        for i, ln in enumerate(lines[:50]):
            rx = _custom_format(ln)
            if rx:
                fmt, start = "ps-custom", i + 1
                break
    if fmt is None and (any("CGroup:" in ln for ln in lines[:40]) or _TREE.search("\n".join(lines[:40]))):
        yield from _systemd_tree(ctx, lines)
        return
    if fmt is None:
        best = 0
        for name in HEADERLESS_ORDER:
            n = sum(1 for ln in lines if ln.strip() and FORMATS[name][1].match(ln))
            if n > best:
                fmt, best = name, n
        if fmt is None:
            raise ParseError("not a process listing (no ps header, and no line reads as ps output)")
    rx = rx or FORMATS[fmt][1]
    cut = cut_width(lines[start:])
    stack: list[tuple[int, int]] = []  # (depth, pid) for forest output
    emitted = 0
    for i in range(start, len(lines)):
        ln = lines[i]
        if not ln.strip():
            continue
        m = rx.match(ln)
        if not m:
            if _thread_row(ln):
                continue  # `ps auxm` (-m, H): a thread of the process above, its pid `-` (sosreport's ps_auxwwwm)
            ctx.problem(i + 1, f"not a {fmt} row: {ln[:80]!r}")
            continue
        g = m.groupdict()
        depth, cmd = _forest(g["cmd"])
        pid = _num(g["pid"])
        ppid = _num(g["ppid"]) if g.get("ppid") else None
        inferred = False
        if ppid is None and fmt in ("ps-aux", "ps-axf"):
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if depth > 0 and stack and stack[-1][0] == depth - 1:
                ppid, inferred = stack[-1][1], True
            elif depth == 0 and pid > 2 and fmt == "ps-aux" and _forest_capture(lines):
                # `ps f` draws the children of PID 1 at the top level
                ppid, inferred = 1, True
            stack.append((depth, pid))
        emitted += 1
        yield Process(
            source=fmt,
            pid=pid,
            ppid=ppid,
            ppid_inferred=inferred,
            user=g.get("user"),
            start_text=re.sub(r"\s+", " ", g["start"]) if g.get("start") else None,
            elapsed_s=parse_etime(g["elapsed"]) if g.get("elapsed") else None,
            stat=g.get("stat"),
            rss_kb=_num(g["rss"]) if g.get("rss") else None,
            vsz_kb=_num(g["vsz"]) if g.get("vsz") and g["vsz"].isdecimal() else None,
            cpu_time=g.get("time"),
            tty=g.get("tty"),
            command=cmd,
            truncated=bool(cut and len(ln) >= cut) or (cmd.endswith(">") and fmt == "ps-axf"),
            line=i + 1,
        )
    if not emitted:
        raise ParseError(f"a {fmt} header but no process rows")


def _systemd_tree(ctx: ParseContext, lines: list[str]) -> Iterable[Record]:
    """`systemctl status` CGroup trees, and `systemd-cgls` (or a tree pasted alone): PIDs and commands, cut at 80 columns
    or marked with '>'. A status's tree ends at its first line at the margin; a cgls tree holds units (`├─kubepods.slice`)."""
    status = any("CGroup:" in ln for ln in lines[:40])
    in_tree = not status
    cut = cut_width(lines)
    units: list[tuple[int, str]] = []  # (column, name) of the cgroups enclosing the line: the process's cgroup path
    for i, ln in enumerate(lines):
        if "CGroup:" in ln:
            in_tree = True
            path = ln.split("CGroup:", 1)[1].strip()
            units = [(-1, path.strip("/"))] if path.startswith("/") else []
            continue
        if not in_tree:
            continue
        col = len(ln) - len(ln.lstrip(" \t├└│─`|-"))
        m = SYSTEMD_TREE.match(ln)
        if not m:
            if status and ln.strip() and not ln.startswith(" "):
                in_tree = False
            elif ln.strip() and not ln.strip().endswith(":") and ln.strip() != "-.slice":  # a cgroup of systemd-cgls: `├─kubepods.slice`
                while units and units[-1][0] >= col:
                    units.pop()
                units.append((col, ln.strip().lstrip("├└│─`|- ")))
            continue
        while units and units[-1][0] >= col:
            units.pop()
        spid = _num(m.group("pid"))
        if units:
            yield cgroup_line(spid, 0, None, "/" + "/".join(u for _, u in units if u), i + 1)
        cmd = m.group("cmd")
        yield Process(
            source="systemctl-status",
            pid=spid,
            command=cmd,
            truncated=bool(cut and len(ln) >= cut) or cmd.endswith((">", "…", "...")),
            line=i + 1,
        )
