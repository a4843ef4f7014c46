"""Pasted listings of log folders: `ls -l /var/log/pods/...`, `ls -al /var/log/containers`,
`find /var/log/pods -type f -exec du -h {} \\;`, bare paths or /var/log/containers names.

They give log files and their sizes (no content), and the /var/log/containers links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.logpaths import LINK_NAME, log_file_meta
from analyzer.models import ContainerLink, LogFile, Record
from analyzer.registry import ParseContext, source
from analyzer.textutil import clean_lines

LS_L = re.compile(r"^[-lbcdps][rwxsStT-]{9}\S*\s+\d+\s+\S+\s+\S+\s+(?P<size>\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+(?P<name>.+?)(?: -> (?P<target>.+))?$")
DU = re.compile(r"^(?P<size>[\d.]+[KMGTP]?)\s+(?P<name>/\S+)$")
LS_WORD = re.compile(r"(?:^|\s)ls\b")
UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}


def _listing_line(ln: str) -> bool:
    s = ln.strip()
    if LS_L.match(s) or DU.match(s):
        return True
    return bool(re.fullmatch(r"/var/log/(?:pods|containers)/\S+", s) or LINK_NAME.fullmatch(s))


_NOT_LISTED = re.compile(r"[ \t]*(?:total \d+|[#$] |\S+ ~ )")  # ls's total, a prompt


def _sniff(head: str) -> int:
    every = head.splitlines()
    # a line names a log folder or a /var/log/containers link (which ends in .log): checked first, it is cheap
    if not any("/var/log/" in ln or (ln.endswith(".log") and LINK_NAME.search(ln)) for ln in every):
        return 0
    lines = [ln for ln in every if ln.strip() and not _NOT_LISTED.match(ln)]
    hits = sum(1 for ln in lines if _listing_line(ln))
    return 65 if lines and hits * 2 >= len(lines) else 0


def _ls_dir(s: str) -> str | None:
    """The folder an `ls` prompt line lists (`$ ls -l /var/log/pods/`): from the first '/' of the last word
    to the end, when an `ls` word comes before it with no '/' in between. Found by hand in one pass: a
    single regex for it backtracks on a line of many `ls` words."""
    t = s.rstrip()
    words = t.split()
    if not words:
        return None
    g = t.find("/", len(t) - len(words[-1]))
    if g < 0 or len(t) - g < 2:
        return None
    h = t.rfind("/", 0, g)
    if not any(m.end() > h for m in LS_WORD.finditer(t, 0, g)):
        return None
    d = t[g:]
    return d[:-1] if len(d) >= 3 and d.endswith("/") else d


def _du_size(text: str) -> int:
    m = re.fullmatch(r"([\d.]+)([KMGTP]?)", text)
    return int(float(m.group(1)) * UNITS[m.group(2)]) if m else 0


@source("log-listing", sniff=_sniff)
def parse(ctx: ParseContext) -> Iterable[Record]:
    """ls -l / du / find listings of /var/log/pods and /var/log/containers"""
    cwd = ""
    for i, ln in enumerate(clean_lines(ctx.text), 1):
        s = ln.strip()
        if not s:
            continue
        listed = _ls_dir(s)
        if listed and (s.startswith(("#", "$")) or "➜" in s or " ls " in f" {s} "):
            cwd = listed
            continue
        size: int | None = None
        target = None
        m = LS_L.match(s)
        if m:
            name, size, target = m.group("name"), int(m.group("size")), m.group("target")
            if name in (".", ".."):
                continue
        elif (m := DU.match(s)) is not None:
            name, size = m.group("name"), _du_size(m.group("size"))
        elif re.fullmatch(r"\S+\.log(?:\.\S+)?", s):
            name = s
        else:
            continue
        path = name if name.startswith("/") else (f"{cwd.rstrip('/')}/{name}" if cwd else name)
        base = path.rsplit("/", 1)[-1]
        if path.startswith("/var/log/containers/") or (not path.startswith("/") and LINK_NAME.match(base)):
            lm = LINK_NAME.match(base)
            yield ContainerLink(name=base, target=target, pod=lm["pod"] if lm else None, namespace=lm["ns"] if lm else None,
                                container=lm["c"] if lm else None, container_id=lm["id"] if lm else None)  # fmt: skip
        elif path.startswith("/var/log/pods/"):
            meta = log_file_meta("files" + path)
            yield LogFile(file_id=None, size=size, **{k: v for k, v in meta.items() if k in LogFile.model_fields and k != "file_id"})
        _ = i
