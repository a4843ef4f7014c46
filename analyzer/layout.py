"""Bundle layouts: the one place that knows where a bundle keeps what.

A layout is a list of entries, one per member pattern: which reader reads it (a record parser
of analyzer.parsers by its source name, a bulk loader, or nothing on purpose), which tables it
fills and which command or tool wrote it. Kubesnap's own bundle is one layout; each other
tool's bundle format (sosreport, troubleshoot, must-gather, ...) is another.

    KUBESNAP = layout("kubesnap", detect=..., entries=[
        Entry("runtime/crictl-ps-a.json", reader="crictl-ps-json", tables=("containers",),
              made_by="crictl ps -a -o json"),
        Entry("files/var/log/pods/**/*.log", reader=POD_LOGS, tables=("log_files", "log_lines"), made_by="copy"),
        Entry("host/lsmod.txt", reader=RAW, reason="kept for the analyst; no finding reads it"),
    ])

A member's state after ingest is one of: read (by its entry's reader, with row counts), kept raw
on purpose (an entry with reader RAW and its reason), or not understood (no entry: a problem).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

POD_LOGS = "bulk:pod-logs"  # container logs, loaded by analyzer.bulk.LogLoader
JOURNALS = "bulk:journal"  # journal/syslog/dmesg text, loaded by analyzer.bulk.JournalLoader
RAW = "raw"  # kept in the bundle, read by no one, on purpose (Entry.reason says why)
LOG_LINKS = "link:container-log"  # the symbolic links of /var/log/containers: name and target recorded, never followed
BULK_READERS = (POD_LOGS, JOURNALS, LOG_LINKS)  # readers that are not record parsers of the registry

# the state a member of a bundle ends in (the members table's `state` column)
READ = "read"  # its entry's reader read it (members.parser, members.records)
KEPT_RAW = "raw"  # kept unread on purpose (members.reason: the entry's reason)
NOT_UNDERSTOOD = "not understood"  # no entry names it, or its reader could not read it (an ingest problem says why)
LINK_REASON = "a symbolic link: its target is recorded (members.link_target), never followed"

Detector = Callable[[Sequence[str]], int]  # member paths (relative to the bundle root) -> confidence 0..100


@dataclass(frozen=True)
class Entry:
    pattern: str  # glob over the member path relative to the bundle root; ** crosses directories
    reader: str  # a source name of analyzer.parsers, POD_LOGS, JOURNALS or RAW
    tables: tuple[str, ...] = ()
    made_by: str = ""  # the command or tool that wrote the member
    reason: str = ""  # RAW entries: why the member is not read
    options: tuple[tuple[str, str], ...] = ()  # reader options, e.g. (("source", "syslog"),)

    def __post_init__(self) -> None:
        if self.reader == RAW and not self.reason:
            raise ValueError(f"{self.pattern}: a raw entry must say why it is kept unread")

    @functools.cached_property
    def _rx(self) -> re.Pattern[str]:
        return _glob_rx(self.pattern)

    def matches(self, path: str) -> bool:
        return self._rx.fullmatch(path) is not None

    def option(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)

    @property
    def is_parser(self) -> bool:
        """Read by a record parser of analyzer.parsers (its source name is the reader)."""
        return self.reader != RAW and self.reader not in BULK_READERS


@dataclass(frozen=True)
class Layout:
    name: str
    entries: tuple[Entry, ...]
    detect: Detector | None = None
    doc: str = ""
    _exact: dict[str, Entry] = field(default_factory=dict, compare=False, repr=False)

    def classify(self, path: str) -> Entry | None:
        """The entry for a member path: one that names it exactly, else the first pattern that matches."""
        if not self._exact:
            for e in self.entries:
                if not any(c in e.pattern for c in "*?["):
                    self._exact.setdefault(e.pattern, e)
        hit = self._exact.get(path)
        if hit is not None:
            return hit
        for e in self.entries:
            if e.matches(path):
                return e
        return None

    def example(self, reader: str) -> str | None:
        """A member path that the first entry of this reader matches (for tests and docs), None if it has none."""
        for e in self.entries:
            if e.reader == reader:
                path = re.sub(r"\[[^]]*\]", "0", e.pattern).replace("**/", "").replace("**", "x").replace("*", "x").replace("?", "x")
                if e.matches(path):
                    return path
        return None

    def top_names(self) -> frozenset[str]:
        """The first path segments of its entries: the folders and files at the top of such a bundle."""
        return frozenset(e.pattern.split("/", 1)[0] for e in self.entries if not any(c in e.pattern.split("/", 1)[0] for c in "*?["))


LAYOUTS: dict[str, Layout] = {}


def layout(name: str, entries: Iterable[Entry], detect: Detector | None = None, doc: str = "") -> Layout:
    """Declare a layout (once per name)."""
    if name in LAYOUTS:
        raise ValueError(f"layout {name} declared twice")
    lay = Layout(name, tuple(entries), detect, doc)
    LAYOUTS[name] = lay
    return lay


def _glob_rx(pattern: str) -> re.Pattern[str]:
    """A glob as a regex: * and ? stay within one path segment, ** crosses segments, [...] as fnmatch."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i : j + 1])[4:-3])  # the class alone, as fnmatch reads it
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.DOTALL)
