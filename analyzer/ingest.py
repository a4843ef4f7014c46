"""Ingest inputs into the store: one transaction per bundle (an interrupted ingest leaves the
database as it was), loose captures grouped per node, problems recorded, never raised."""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import re
import tarfile
import threading
import time
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import duckdb

from analyzer import __version__, grepindex, paste, pastefmt
from analyzer.bulk import (
    MAX_LINE,
    JournalLoader,
    JournalMeta,
    LogLoader,
    ReadNotes,
    sniff_format,
    sniff_journal,
)
from analyzer.bundle import (
    ARCHIVE_SUFFIXES,
    BUNDLE_NAME,
    MEMBER_READ_ERRORS,
    Limits,
    Member,
    Problem,
    is_archive,
    iter_input,
)
from analyzer.correlate import correlate
from analyzer.errors import ParseError, SkipSource
from analyzer.layout import (
    JOURNALS,
    KEPT_RAW,
    LINK_REASON,
    LOG_LINKS,
    NOT_UNDERSTOOD,
    POD_LOGS,
    RAW,
    READ,
    Entry,
    Layout,
)
from analyzer.layouts.kubesnap import KUBESNAP
from analyzer.listed_logs import uncopied_log_files
from analyzer.logpaths import container_link, log_file_meta
from analyzer.models import (
    ApiContainer,
    ApiNode,
    ApiObject,
    ApiPod,
    CollectionRecord,
    ContainerObs,
    Event,
    HostFact,
    LogFile,
    PasteSection,
    Process,
    Record,
    Sandbox,
    Service,
    Version,
    Workload,
)
from analyzer.parsers import json_values
from analyzer.parsers.docker import pasted_ps
from analyzer.parsers.manifest_json import BundleInfo, bundle_info
from analyzer.paste import prompt_of
from analyzer.registry import ParseContext, SourceSpec, load_parsers, sniff
from analyzer.store import Store
from analyzer.textutil import _Chained, control_bytes, decode, strip_ansi
from analyzer.timeparse import MONTHS, before, parse_ago, parse_kube_age, parse_time

MAX_PARSE_BYTES = 256 * 1024 * 1024
OBFUSCATION_FILES = re.compile(r"(?:^|/)(?:[^/]*\.obfuscation\.tsv|kubesnap-obfuscation\.key)$")


@dataclass
class MemberState:
    """What became of one member: its status (parsed, empty, problem, raw, skipped, unknown) and its state."""

    status: str
    state: str  # READ, KEPT_RAW or NOT_UNDERSTOOD
    parser: str | None = None
    n: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    snapshots: list[str] = field(default_factory=list)
    bundles: int = 0
    loose_files: int = 0
    records: int = 0
    log_lines: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (where, member, reason)
    # problems of no snapshot (an archive refused or cut before any bundle, a loose member not read): written to
    # ingest_problems, with no snapshot id, when their input ends (every problem is a row there, docs/security.md)
    unstored: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (where, member, note): said, but not a problem
    unchanged: int = 0  # bundles whose snapshot the database already holds (the same, or a copy kept over them): left as they were
    timings: dict[str, float] = field(default_factory=dict)  # seconds spent in each pass (PASSES), summed over bundles and threads

    def time(self, step: str, seconds: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    def alone(self, where: str, member: str, reason: str) -> None:
        """A problem of no snapshot: said, and stored when its input ends (store_alone)."""
        self.problems.append((where, member, reason))
        self.unstored.append((where, member, reason))

    @property
    def ingested(self) -> bool:
        # (a bundle whose collector withheld everything but its manifest is a snapshot still: its manifest says why)
        return self.records > 0 or self.log_lines > 0 or self.unchanged > 0 or self.bundles > 0

    def merge(self, other: IngestReport) -> None:
        self.snapshots += [s for s in other.snapshots if s not in self.snapshots]
        self.bundles += other.bundles
        self.unchanged += other.unchanged
        self.loose_files += other.loose_files
        self.records += other.records
        self.log_lines += other.log_lines
        self.problems += other.problems
        self.unstored += other.unstored
        for k, v in other.timings.items():
            self.time(k, v)
        self.notes += other.notes


def snapshot_id(site: str, name: str) -> str:
    return hashlib.sha1(f"{site}\0{name}".encode()).hexdigest()[:16]


def strip_archive(name: str) -> str:
    for s in ARCHIVE_SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


@dataclass(frozen=True)
class Copy:
    """One bundle of a snapshot: where it came from and what it holds."""

    sid: str
    label: str  # the input, and the bundle's folder inside it
    name: str  # the bundle's folder name
    digest: str  # content_sha256 ("" when unknown: ingested by an older Kubesnap)
    nbytes: int  # bytes of its regular members
    node: str | None = None
    collected: datetime | None = None

    @property
    def rank(self) -> tuple[int, str]:
        """Of two different bundles of one snapshot the one with more bytes is kept (a cut upload loses to the
        whole one), on a tie the one with the higher hash: the same choice whatever the order they come in."""
        return self.nbytes, self.digest


def duplicate_reason(kept: Copy, other: Copy) -> str:
    return (f"not ingested: a different bundle of the same node and snapshot ({kept.name}) is kept, {kept.label} "
            f"(sha256 {kept.digest[:16] or 'unknown'}, {kept.nbytes} bytes; of two, the larger is kept, on a tie the higher hash); "
            f"this one: sha256 {other.digest[:16] or 'unknown'}, {other.nbytes} bytes")  # fmt: skip


DUPLICATE_TAIL = re.compile(r"this one: sha256 ([0-9a-f]{1,16}|unknown), ([0-9]{1,20}) bytes$")


class Retry(Exception):
    """A bundle must replace one that another thread committed during its transaction: done again alone."""


class Claims:
    """The snapshots committed by this run, shared by its threads: a bundle's transaction does not see what
    another committed after it began, so that is looked up here."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.copies: dict[str, Copy] = {}


class BundleIngest:
    """One bundle, read member by member in stream order, committed at the end."""

    expects_manifest = True  # Kubesnap's own bundles have a manifest.json; other tools' bundles (analyzer.formats) do not

    def __init__(self, store: Store, label: str, name: str, site: str, source: str, report: IngestReport, claims: Claims | None = None,
                 layout: Layout = KUBESNAP) -> None:  # fmt: skip
        self.store = store
        self.layout = layout
        self.parsers = load_parsers()
        self.con = store.con
        self.label = label
        self.name = strip_archive(name)
        self.site = site
        self.source = source
        self.report = report
        self.sid = snapshot_id(site, self.name)
        self.info = BundleInfo()
        self.records: list[tuple[str, Record]] = []
        self.members: list[dict[str, Any]] = []
        self.problems: list[tuple[str, str, str]] = []
        self.manifest_records: dict[str, CollectionRecord] = {}
        self.log_members: dict[str, str] = {}
        self.log_lines = 0
        self.claims = claims or Claims()
        self.hashes: list[bytes] = []  # one per member: its path, kind, size, time, link and content
        self.con.execute("BEGIN TRANSACTION")
        self.logs = LogLoader(self.con)  # their staging tables live and die with the transaction
        self.journals = JournalLoader(self.con)
        self.previous = self._copy_in_db(self.sid)  # the bundle of this snapshot already there, replaced only if this one is kept
        self.carried = self._duplicate_rows(self.sid)  # what it reported of other bundles of the snapshot
        store.delete_snapshot(self.sid)

    def _copy_in_db(self, sid: str) -> Copy | None:
        row = self.con.execute(
            """SELECT source, bundle_name, coalesce(content_sha256, ''), node, collected_at,
                      (SELECT coalesce(sum(size), 0) FROM members m WHERE m.snapshot_id = s.snapshot_id AND m.kind = 'file')
               FROM snapshots s WHERE snapshot_id = ? AND kind = 'bundle'""", [sid]).fetchall()  # fmt: skip
        if not row:
            return None
        source, name, digest, node, collected, nbytes = row[0]
        return Copy(sid, source or "", name or "", digest, int(nbytes), node, collected)

    # -------------------------------------------------------------- members

    def feed(self, m: Member) -> None:
        """One member, in stream order: its layout entry says who reads it; it ends read, raw or not understood."""
        t = time.perf_counter()
        content = hashlib.sha256()
        opened: list[_Hashing] = []
        if m.kind == "file":
            m._open = _hashing_opener(m._open, content, opened)
            m._read = None  # every read goes through the hashing stream: a bundle's content hash counts every byte
        entry = self.layout.classify(m.path)
        out = self._read(m, entry)
        if m.kind == "file" and not opened:
            try:
                with m.open():  # a member nothing read: its bytes are part of the bundle's content all the same
                    pass
            except MEMBER_READ_ERRORS as e:
                self.problems.append((m.path, out.parser or "", f"member cut short: {e}"))
                out.state = NOT_UNDERSTOOD
        self.hashes.append(f"{m.path}\0{m.kind}\0{m.size}\0{m.mtime}\0{m.link_target}\0".encode("utf-8", "surrogateescape") + content.digest())
        mtime = datetime.fromtimestamp(m.mtime, UTC) if m.mtime and m.mtime > 0 else None
        self.members.append({"snapshot_id": self.sid, "path": m.path, "kind": m.kind, "size": m.size, "mtime": mtime,
                             "link_target": m.link_target, "parser": out.parser, "records": out.n, "status": out.status,
                             "state": out.state, "reason": out.reason})  # fmt: skip
        self.report.time("parse", time.perf_counter() - t)

    def _read(self, m: Member, entry: Entry | None) -> MemberState:
        """Run the member's reader; every failure becomes a problem naming the member."""
        if entry is None:
            self.problems.append((m.path, "", f"not in the {self.layout.name} layout: no reader knows this member"))
            return MemberState("unknown", NOT_UNDERSTOOD)
        parser = None if entry.reader == RAW else entry.reader
        try:
            if m.kind == "symlink":
                if entry.reader != LOG_LINKS:
                    return MemberState("skipped", KEPT_RAW, reason=LINK_REASON)
                link = container_link(m.path, m.link_target)
                if link is None:
                    return MemberState("empty", READ, parser)
                self.records.append((m.path, link))
                return MemberState("parsed", READ, parser, 1)
            if m.kind != "file":
                self.problems.append((m.path, "", f"{m.kind}: not read"))
                return MemberState("skipped", NOT_UNDERSTOOD)
            if entry.reader == RAW:
                return MemberState("raw", KEPT_RAW, reason=entry.reason)
            if entry.reader == LOG_LINKS:
                self.problems.append((m.path, "", "a regular file where the layout expects a link of /var/log/containers: not read"))
                return MemberState("unknown", NOT_UNDERSTOOD)
            if entry.reader == POD_LOGS:
                return MemberState("parsed", READ, "container-log", self._log(m))
            if entry.reader == JOURNALS:
                return MemberState("parsed", READ, "journal", self._journal(m, entry.option("source", "journal") or "journal"))
            spec = self.parsers.get(entry.reader)
            if spec is None:
                self.problems.append((m.path, entry.reader, f"the {self.layout.name} layout names reader {entry.reader}, which no parser registers"))
                return MemberState("unknown", NOT_UNDERSTOOD, parser)
            status, n = self._parse(m, spec)
            return MemberState(status, NOT_UNDERSTOOD if status == "problem" and n == 0 else READ, parser, n)
        except OSError as e:
            self.problems.append((m.path, parser or "", f"read failed: {e}"))
        except (EOFError, ValueError, tarfile.TarError, zlib.error) as e:
            self.problems.append((m.path, parser or "", f"member cut short: {e}"))
        except (zipfile.BadZipFile, NotImplementedError, lzma.LZMAError) as e:  # a zip member: bad CRC, unknown compression
            self.problems.append((m.path, parser or "", f"unreadable zip member: {e}"))
        return MemberState("problem", NOT_UNDERSTOOD, parser)

    def _parse(self, m: Member, spec: SourceSpec) -> tuple[str, int]:
        data = m.read(MAX_PARSE_BYTES + 1)
        if len(data) > MAX_PARSE_BYTES:
            self.problems.append((m.path, spec.name, f"larger than {MAX_PARSE_BYTES} bytes: not parsed"))
            return "problem", 0
        if spec.name == "collector-manifest":
            try:
                self.info = bundle_info(data)
            except ParseError as e:
                self.problems.append((m.path, spec.name, str(e)))
                return "problem", 0
        status, recs = run_parser(spec, m.path, data, self.problems)
        for r in recs:
            self.records.append((m.path, r))
            if isinstance(r, CollectionRecord) and r.path:
                self.manifest_records[r.path] = r
        return status, len(recs)

    def _log(self, m: Member) -> int:
        meta = log_file_meta(m.path)
        rec = self.manifest_records.get(meta["path"]) or self.manifest_records.get(meta["path"] + ".gz")
        meta.update(bytes=m.size, size=(rec.size if rec and rec.size is not None else m.size),
                    truncated=bool(rec and rec.truncated), decompressed=bool(rec and rec.path and rec.path.endswith(".gz")),
                    mtime=datetime.fromtimestamp(m.mtime, UTC) if m.mtime else None)  # fmt: skip
        with m.open() as f:
            notes = self.logs.add(f, meta)
        self._note_cuts(m.path, "container-log", notes)
        self.log_members[meta["path"]] = m.path
        return 1

    def _note_cuts(self, path: str, parser: str, notes: ReadNotes) -> None:
        if notes.cut_lines:
            where = ", ".join(str(n) for n in notes.cut_lines[:5]) + (" ..." if len(notes.cut_lines) > 5 else "")
            self.problems.append((path, parser, f"{len(notes.cut_lines)} line(s) longer than {MAX_LINE} bytes cut there (line {where})"))

    def _journal(self, m: Member, source: str) -> int:
        year = self.info.started_at.year if self.info.started_at else None
        notes = ReadNotes([])
        with m.open() as f:
            n = self.journals.add(f, JournalMeta(self.sid, None, m.path, source), year, notes)
        self._note_cuts(m.path, "journal", notes)
        self.log_lines += n
        return n

    # -------------------------------------------------------------- finish

    def after_records(self) -> None:
        """What a bundle's records, once stored, still say of its other rows (a format's hook; Kubesnap's bundles: none)."""

    def finish(self) -> None:
        ids = []
        facts = {r.key: r.value for _m, r in self.records if isinstance(r, HostFact)}
        offset = _utc_offset(facts.get("clock.local"))
        # syslog stamps and the zone-less stamps that start lines of plain-text logs were read as local time:
        # shifted to UTC by the node's offset
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        for lf in self.logs.finish(minutes):
            self.records.append((self.log_members.get(lf.path, lf.path), lf))
            self.log_lines += lf.line_count or 0
            ids.append(lf.file_id or 0)
        # the node's log files the bundle does not hold (outside --since...): listed in the manifest, rows all the same
        self.records.extend(("manifest.json", lf) for lf in uncopied_log_files(self.manifest_records.values(), self.log_members))
        # this bundle's log files have consecutive ids: the range lets DuckDB skip every other bundle's lines
        self.file_range = (min(ids), max(ids)) if ids else (0, -1)
        node, hostname = self._node_identity()
        collected = self.info.started_at
        epoch = facts.get("clock.epoch") or ""
        if collected is None and epoch.isdecimal():
            collected = parse_time(epoch)
        self.journals.finish(node, minutes)
        digest = hashlib.sha256(b"".join(sorted(self.hashes))).hexdigest()
        me = Copy(self.sid, self.label, self.name, digest, sum(m["size"] for m in self.members if m["kind"] == "file"), node, collected)
        if not self._decide(me):
            return
        t0 = time.perf_counter()
        self._derive_times(collected)
        self.records = _one_of_each_object(self.records)
        self.store.insert_member_records(self.sid, node, self.records)
        self.after_records()
        role = self.info.role or ("control-plane" if any(isinstance(r, Sandbox) and (r.name or "").startswith("kube-apiserver") for _m, r in self.records) else None)
        self.store.insert_rows("snapshots", [{
            "snapshot_id": self.sid, "site": self.site, "node": node, "hostname": hostname, "role": role or "unknown",
            "kind": "bundle", "source": self.label, "bundle_name": self.name, "collected_at": collected,
            "finished_at": self.info.finished_at, "timezone": facts.get("clock.zone"),
            "utc_offset": (facts.get("clock.local") or "")[-5:] or None, "collector_version": self.info.collector_version,
            "format_version": self.info.format_version, "options": _json(self.info.options), "collected_by": self.info.user,
            "uid": self.info.uid, "runtime_kind": self.info.runtime_kind, "runtime_endpoint": self.info.runtime_endpoint,
            "crictl_calls": self.info.crictl_calls, "missing_commands": self.info.missing, "redactions": self.info.redactions,
            "withheld": _json(self.info.withheld), "redaction_engine": self.info.redaction_engine,
            "redaction_awk": self.info.redaction_awk,
            "ingested_at": datetime.now(UTC), "kubesnap_version": __version__, "content_sha256": digest,
        }])  # fmt: skip
        self.store.insert_rows("members", self.members)
        t1 = time.perf_counter()
        correlate(self.con, self.sid)
        t2 = time.perf_counter()
        self.problems += [p for p in check(self.con, self.sid, collected, self.file_range, [m["path"] for m in self.members])
                          if self.expects_manifest or p[0] != "manifest.json"]
        self.store.insert_rows("ingest_problems", [
            {"snapshot_id": self.sid, "bundle": self.label, "member": m, "parser": p, "reason": r, "line": None} for m, p, r in self.problems
        ])  # fmt: skip
        t3 = time.perf_counter()
        grepindex.index_snapshot_logs(self.con, self.sid, self.file_range)  # the search index of its lines (kubesnap grep)
        self.report.time("index", time.perf_counter() - t3)
        self.con.execute("COMMIT")
        self.report.time("load", t1 - t0)
        self.report.time("correlate", t2 - t1)
        self.report.time("check", time.perf_counter() - t2)
        self.report.snapshots.append(self.sid)
        self.report.bundles += 1
        self.report.records += len(self.records)
        self.report.log_lines += self.log_lines
        self.report.problems.extend((self.label, m, r) for m, _p, r in self.problems)

    # -------------------------------------------------------------- the same snapshot twice

    def _decide(self, me: Copy) -> bool:
        """Whether this bundle is written. Another bundle of the same snapshot (the same name, or the same node
        and collection time) with the same content: nothing changes; with other content: the one that ranks
        higher is kept, whatever the order, and the other is reported under it (naming both)."""
        with self.claims.lock:
            rivals: dict[str, tuple[Copy, bool]] = {}  # sid -> (copy, visible to this transaction)
            if self.previous is not None:
                rivals[self.previous.sid] = (self.previous, True)
            for (sid,) in self.con.execute(
                """SELECT snapshot_id FROM snapshots WHERE site = ? AND kind = 'bundle' AND snapshot_id <> ?
                   AND ((node = ? AND collected_at = ?) OR content_sha256 = ?) ORDER BY 1""",
                [self.site, me.sid, me.node, me.collected, me.digest],
            ).fetchall():
                c = self._copy_in_db(sid)
                if c is not None:
                    rivals[sid] = (c, True)
            for c in self.claims.copies.values():
                same = c.sid == me.sid or c.digest == me.digest or (me.collected is not None and (c.node, c.collected) == (me.node, me.collected))
                if same and (c.sid not in rivals or rivals[c.sid][0].digest != c.digest):
                    rivals[c.sid] = (c, False)  # committed by another thread after this transaction began
            if me.sid in rivals and rivals[me.sid][0].digest == me.digest:
                self._unchanged(rivals[me.sid][0])
                return False
            kept = max([me, *(c for c, _v in rivals.values())], key=lambda c: (*c.rank, c.name, c.label))
            if kept is not me:
                self._lose(me, kept)
                return False
            if any(not visible for _c, visible in rivals.values()):
                raise Retry(me.label)
            for c, _v in sorted(rivals.values(), key=lambda cv: cv[0].sid):
                if c.sid != me.sid:
                    self.carried += self._duplicate_rows(c.sid)
                    self.store.delete_snapshot(c.sid)
                self.carried.append((c.label, duplicate_reason(me, c)))
            # reports of bundles the replaced one had beaten now name this one
            for loser_label, reason in dict.fromkeys(self.carried):
                m = DUPLICATE_TAIL.search(reason)
                if m is None or loser_label == me.label:
                    continue
                loser = Copy("", loser_label, me.name, "" if m.group(1) == "unknown" else m.group(1), int(m.group(2)))
                self.problems.append((loser_label, "duplicate", duplicate_reason(me, loser)))
            self.claims.copies[me.sid] = me
            return True

    def _duplicate_rows(self, sid: str) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in self.con.execute(
            "SELECT member, reason FROM ingest_problems WHERE snapshot_id = ? AND parser = 'duplicate' ORDER BY 1, 2", [sid]).fetchall()]  # fmt: skip

    def _unchanged(self, there: Copy) -> None:
        """The same bundle is already there: nothing changes; its problems are reported again (the exit status stays)."""
        self.abort()
        rows = self.con.execute("SELECT member, reason FROM ingest_problems WHERE snapshot_id = ? ORDER BY rowid", [there.sid]).fetchall()
        self.report.unchanged += 1
        if there.sid not in self.report.snapshots:
            self.report.snapshots.append(there.sid)
        self.report.problems.extend((self.label, str(m or ""), str(r)) for m, r in rows)

    def _lose(self, me: Copy, kept: Copy) -> None:
        """Another bundle of this snapshot is kept: this one is rolled back and reported under it (once)."""
        self.abort()
        reason = duplicate_reason(kept, me)
        with self.store.transaction():
            if not self.con.execute("SELECT 1 FROM ingest_problems WHERE snapshot_id = ? AND member = ? AND reason = ?", [kept.sid, me.label, reason]).fetchall():
                self.store.insert_rows("ingest_problems", [{"snapshot_id": kept.sid, "bundle": kept.label, "member": me.label,
                                                            "parser": "duplicate", "reason": reason, "line": None}])  # fmt: skip
        self.report.unchanged += 1
        self.report.problems.append((me.label, "", reason))

    def abort(self) -> None:
        self.con.execute("ROLLBACK")

    def _node_identity(self) -> tuple[str, str | None]:
        facts = {r.key: r.value for _m, r in self.records if isinstance(r, HostFact)}
        hostname = self.info.hostname or facts.get("hostname")
        if self.info.node:
            return self.info.node, hostname
        for _m, r in self.records:
            if isinstance(r, Process) and re.search(r"(?:^|/)kubelet\s", r.command):
                mm = re.search(r"--hostname-override[= ](\S+)", r.command)
                if mm:
                    return mm.group(1), hostname
        if hostname:
            return hostname, hostname
        bm = BUNDLE_NAME.match(self.name)
        return (bm.group("node") if bm else self.name), hostname

    def _derive_times(self, collected: datetime | None) -> None:
        """Relative times ("44 hours ago", ps ELAPSED) become absolute once the bundle's clock is known."""
        if collected is None:
            return
        for i, (member, r) in enumerate(self.records):
            if isinstance(r, (Sandbox, ContainerObs)) and r.created_at is None and r.created_text:
                ago = parse_ago(r.created_text)
                if ago is not None:
                    self.records[i] = (member, r.model_copy(update={"created_at": before(collected, ago)}))
            elif isinstance(r, Process) and r.started_at is None and r.elapsed_s is not None:
                self.records[i] = (member, r.model_copy(update={"started_at": before(collected, r.elapsed_s)}))


class _Hashing:
    """A member's stream that hashes what is read; closing it hashes the rest (so every byte counts, read or not)."""

    def __init__(self, raw: IO[bytes], h: Any) -> None:
        self.raw, self.h = raw, h

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.h.update(data)
        return data

    def close(self) -> None:
        try:
            while data := self.raw.read(1 << 20):
                self.h.update(data)
        finally:
            self.raw.close()

    def __enter__(self) -> _Hashing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hashing_opener(opener: object, h: Any, opened: list[_Hashing]) -> Callable[[], _Hashing]:
    def open_() -> _Hashing:
        f = _Hashing(opener(), h)  # type: ignore[operator]
        opened.append(f)
        return f

    return open_


# ------------------------------------------------------------------ the passes
#
# An input goes through five passes: extract (its members, in stream order: analyzer.bundle.iter_input),
# parse (each member by its layout entry's reader: BundleIngest.feed), load (the records, members and the
# snapshot row into the store: BundleIngest.finish), correlate (ids and processes joined: analyzer.correlate)
# and check (what the loaded rows say is wrong: `check`). Each is timed into IngestReport.timings.

PASSES = ("extract", "parse", "load", "correlate", "check", "index")


def extract(path: Path, limits: Limits | None = None, skip_archives: bool = False,
            exclude: frozenset[Path] = frozenset()) -> Iterator[tuple[str, str | None, Member] | Problem]:  # fmt: skip
    """Pass extract: an input's members, each with its bundle's key and root (None: a loose file), and the
    problems of reading it. Nothing is written to disk; a member's bytes are readable until the next item."""
    return iter_input(path, limits, skip_archives=skip_archives, exclude=exclude)


def check(con: duckdb.DuckDBPyConnection, sid: str, collected: datetime | None, file_range: tuple[int, int],
          members: Sequence[str]) -> list[tuple[str, str, str]]:  # fmt: skip
    """Pass check: problems the loaded rows of one bundle show, as (member, parser, reason): no manifest.json;
    lines dated more than a day after the bundle was collected (a clock or a zone is wrong; kept as written)."""
    out: list[tuple[str, str, str]] = []
    if "manifest.json" not in members:
        out.append(("manifest.json", "", "the bundle has no manifest.json: collection details unknown, node name taken from the data"))
    limit = before(collected, -86400) if collected is not None else None
    if limit is None:
        return out
    for member, n, latest in con.execute(
        """SELECT f.member, count(*), max(l.ts) FROM log_lines l JOIN log_files f USING (file_id)
           WHERE l.file_id BETWEEN ? AND ? AND f.snapshot_id = ? AND l.ts > ? GROUP BY 1
           UNION ALL SELECT member, count(*), max(ts) FROM journal WHERE snapshot_id = ? AND ts > ? GROUP BY 1 ORDER BY 1""",
        [*file_range, sid, limit, sid, limit],
    ).fetchall():
        out.append((member, "", f"{n} line(s) dated after the bundle was collected (up to {latest:%Y-%m-%d %H:%M:%S}Z): "
                                "a clock or a time zone is wrong; times kept as written"))  # fmt: skip
    return out


def _timed(items: Iterator[Any], report: IngestReport) -> Iterator[Any]:
    """The items of an iterator, the time spent making each counted as the extract pass."""
    while True:
        t = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            report.time("extract", time.perf_counter() - t)
            return
        report.time("extract", time.perf_counter() - t)
        yield item


def run_parser(spec: SourceSpec, path: str, data: bytes, problems: list[tuple[str, str, str]]) -> tuple[str, list[Record]]:
    """Run one parser on one member; every failure becomes a problem of that member."""
    ctx = ParseContext(path, data)
    if not data.strip():
        return "empty", []
    try:
        recs = list(spec.parse(ctx))
    except SkipSource:
        return "empty", []
    except ParseError as e:
        problems.append((path, spec.name, str(e)))
        return "problem", []
    except Exception as e:  # a parser bug must not lose the rest of the bundle
        problems.append((path, spec.name, f"parser failed: {type(e).__name__}: {e}"))
        return "problem", []
    for line, reason in ctx.problems[:20]:
        problems.append((path, spec.name, f"line {line}: {reason}" if line else reason))
    if len(ctx.problems) > 20:
        problems.append((path, spec.name, f"{len(ctx.problems) - 20} more problems of this kind"))
    return ("parsed" if recs else "empty"), recs


def _utc_offset(local: str | None) -> timedelta | None:
    if not local:
        return None
    m = re.search(r"([+-])(\d\d):?(\d\d)$", local)
    if not m:
        return None
    sign = -1 if m.group(1) == "-" else 1
    return sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))


def _json(v: object) -> str:
    import json

    return json.dumps(v, default=str)


# ------------------------------------------------------------------ loose captures


class LooseInput:
    """The loose captures of one input (a pasted file, or the files of an archive outside any bundle).

    Each is recognized by content and read as it comes, into tables of a connection of its own (so that
    a bundle's transaction can run beside it); at the end of the input all of them are written in ONE
    transaction: one delete of the earlier rows of the same names, one correlate per node. The cost is
    linear in their number, and an interrupted ingest leaves the database as it was.
    """

    def __init__(self, store: Store, label: str, site: str, node: str | None, report: IngestReport, when: When | None = None) -> None:
        self.when = when or When()
        self.view = store.cursor_store()
        self.con = self.view.con
        self.label, self.site, self.node, self.report = label, site, node, report
        self.con.execute("CREATE OR REPLACE TEMP TABLE _loose_lines AS SELECT * FROM log_lines LIMIT 0")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _loose_journal AS SELECT * FROM journal LIMIT 0")
        self.logs = LogLoader(self.con, "_loose_lines", stage=False)  # temporary tables already
        self.journals = JournalLoader(self.con, "_loose_journal", stage=False)
        self.owners: dict[str, str | None] = {}  # snapshot -> its node (None: the cluster's)
        self.names: dict[str, set[str]] = defaultdict(set)
        self.records: dict[str, list[tuple[str, Record]]] = defaultdict(list)
        self.log_sid: dict[str, str] = {}  # log file name -> its snapshot
        self.members: list[dict[str, Any]] = []
        self.problems: list[tuple[str, str, str, str]] = []  # (snapshot, member, parser, reason)
        self.files = 0
        self.unnamed: list[str] = []  # node-level captures read without --node

    def add(self, name: str, m: Member) -> None:
        problems: list[tuple[str, str, str]] = []
        with m.open() as f:
            head = f.read(65536)
            if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 (PowerShell 5's `kubectl get pods > out.txt`): read as its text
                if m.size > MAX_PARSE_BYTES // 4:
                    self.report.alone(self.label, name, f"UTF-16 text of {m.size} bytes, more than {MAX_PARSE_BYTES // 4} are read so: not read")
                    return
                data = (head + f.read(MAX_PARSE_BYTES // 4 + 2 - len(head))).decode("utf-16", "replace").encode()
                m = replace(m, size=len(data), _open=lambda: io.BytesIO(data), _read=None)
                f = io.BytesIO(data)
                head = f.read(65536)
            text = decode(head)
            shown, seen = head, text
            if len(head) < 65536 and (b"\x1b" in head or b"\x9b" in head):
                # a paste with colours (grep --color, a coloured prompt) is read as the terminal showed it; a log
                # file keeps its bytes (what the program wrote; every verb sanitizes what it prints)
                seen = strip_ansi(text)
                shown = seen.encode("utf-8", "surrogateescape")
            spec, score = sniff(seen)
            fmt = sniff_format(head) if spec is None or score < 50 else None  # read as logs, or by no sure reader
            if len(head) < 65536 and _is_text(shown) and self._paste(name, m, seen, spec, score, shown, fmt):
                return
            bulk_kind = None
            data = head
            if fmt is not None:
                if fmt in ("cri", "docker-json", "timestamped"):
                    bulk_kind = "log"
                elif sniff_journal(head):
                    bulk_kind = "journal"
                elif _is_text(head):
                    # a component's own log (etcd, kube-apiserver, ...) or any other text: searchable lines
                    bulk_kind = "log"
                    if text.lstrip()[:1] in ("{", "[") and prompt_of(text.lstrip().split("\n", 1)[0]) is None:
                        data = head + f.read(MAX_PARSE_BYTES + 1 - len(head))
                        if len(data) <= MAX_PARSE_BYTES:
                            try:
                                for _v in json_values(decode(data)):
                                    pass
                                problems.append((name, "", "JSON of a kind Kubesnap does not read: kept as text"))
                            except (ParseError, SkipSource) as e:
                                problems.append((name, "", f"{e}: kept as text"))
                elif not head.strip() and len(head) == m.size:
                    return  # blank lines only (an empty sysfs value in a must-gather's sysinfo.tgz): nothing to read, no problem
                else:
                    self.report.alone(self.label, name, "not text, and not a capture Kubesnap recognizes")
                    return
            scope = spec.scope if spec is not None and bulk_kind is None else "node"
            owner = self.node if scope == "node" else None
            if scope == "node" and not self.node:
                owner = "unknown"
                self.unnamed.append(name)  # a note, not a problem: said once for the input in finish()
            sid = snapshot_id(self.site, f"loose\0{owner or 'cluster'}")
            if name in self.names[sid]:
                self.report.alone(self.label, name, "a loose capture of this name was already read from this input: not read")
                return
            self.names[sid].add(name)
            self.owners[sid] = owner
            parser = spec.name if spec and bulk_kind is None else bulk_kind
            status, n = "parsed", 0
            if bulk_kind == "log":
                meta = {"path": name, "layout": "loose", "bytes": m.size, "size": m.size}
                if len(data) < LogLoader.SMALL and len(head) < 65536:
                    self.logs.add_small(data, meta, fmt)  # the whole file is in hand
                else:
                    self.logs.add(_Chained(data, f), meta)  # type: ignore[arg-type]
                self.log_sid[name] = sid
            elif bulk_kind == "journal":
                # (--year, --now, else the year its first lines give, else the journal loader's: this year)
                year = self.when.year or (self.when.now.year if self.when.now else None) or _journal_head_year(head)
                n = self.journals.add(_Chained(data, f), JournalMeta(sid, owner, name, "journal"), year)  # type: ignore[arg-type]
                self.report.log_lines += n
            else:
                assert spec is not None
                data = head + f.read(MAX_PARSE_BYTES + 1 - len(head))
                if len(data) > MAX_PARSE_BYTES:
                    problems.append((name, spec.name, f"larger than {MAX_PARSE_BYTES} bytes: not parsed"))
                    status, recs = "problem", list[Record]()
                else:
                    status, recs = run_parser(spec, name, data, problems)
                self.records[sid] += [(name, r) for r in recs]
                n = len(recs)
                self.report.records += n
        state = NOT_UNDERSTOOD if status == "problem" and n == 0 else READ
        self.members.append({"snapshot_id": sid, "path": name, "kind": "file", "size": m.size, "mtime": None, "link_target": None,
                             "parser": parser, "records": n, "status": status, "state": state, "reason": None})  # fmt: skip
        self.problems += [(sid, a, b, c) for a, b, c in problems]
        self.files += 1

    def _paste_year(self, line: int, dates: list[tuple[int, datetime]], years: list[tuple[int, int]]) -> tuple[int | None, str | None]:
        """The year of a pasted section's lines that print none, and where it comes from: --year, the year of
        --now, of the `date` output nearest above (else below), of the journal lines nearest above (else below) that
        give theirs (a status's `Active: since` in one fence, the same unit's lines in the next); (None, None) when
        nothing says."""
        if self.when.year is not None:
            return self.when.year, "--year"
        if self.when.now is not None:
            return self.when.now.year, "the year of --now"
        for found, what in ((dates, "the date output"), (years, "the journal lines")):
            above = [(ln, t) for ln, t in found if ln < line]
            below = [(ln, t) for ln, t in found if ln > line]
            if above or below:
                ln, t = above[-1] if above else below[0]
                return (t if isinstance(t, int) else t.year), f"the year of {what} at line {ln}"
        return None, None

    def _keep_lines(self, s: paste.Section, member: str, sid: str, owner: str | None, meta: dict[str, Any]) -> None:
        """A paste section's lines as a log file of the paste (searchable; a container's, found by kubesnap logs)."""
        text = ("\n".join(ln.text for ln in s.lines) + "\n").encode()
        self.logs.add_small(text, {"path": member, **meta, "bytes": len(text), "size": len(text)})
        self.log_sid[member] = sid
        self.owners.setdefault(sid, owner)
        self.names[sid].add(member)

    def _paste(self, name: str, m: Member, text: str, spec: SourceSpec | None, score: int, head: bytes, fmt: str | None = None) -> bool:
        """Read a pasted text section by section (analyzer/paste.py) when it is one: prompts, fences, markers,
        or data no sniffer is sure of. False: read it as one capture (a file of one command's output).
        `fmt`: sniff_format(head), when the caller has it."""
        sure = spec is not None and spec.name not in PASTE_PARSERS_BY_NAME and score >= 50
        structured = paste.has_structure(text)
        if sure and not structured:
            return False  # a capture another reader is sure of keeps that reader
        bulk = (fmt or sniff_format(head)) in ("cri", "docker-json", "timestamped") or sniff_journal(head) is not None
        if bulk and not structured:
            return False  # log lines without a prompt, fence or marker: one log capture, not a paste
        sections = paste.split(text)
        # no command typed in it: the capture of one (its `# comment` lines are no prompts), unless markdown's fences
        # hold outputs (`Output of "kubectl config view":` and its fence, then another's: no file holds fences)
        if sure and not any(s.kind == "prompt" and s.command for s in sections) and sum(s.kind == "fence" for s in sections) < 2:
            return False
        claimed = [s for s in sections if _claim(s, f"{name}#L{s.first}-{s.last}")]
        if sure and all(_section_reader(s)[0] == spec.name for s in sections if s.is_data or s.kind == "unknown"):  # type: ignore[union-attr]
            return False  # commands whose output is all the sure reader's (an ls -l of each log folder): its capture, read whole
        data = [s for s in sections if s.is_data]
        structure = any(s.kind in ("prompt", "fence", "marker", "comment") for s in sections)
        # (a status without journal lines, and `No resources found.`: the table the command asked for, of no row, are read too)
        readable = bool(claimed) or any(s.records or s.kind == "systemctl-status" or (s.kind.startswith("kubectl-get") and s.lines
                                            and s.lines[0].text.strip().startswith("No resources found")) for s in data)
        unread = [s for s in sections if s.kind == "unknown"]
        logs = all(s.kind.startswith(("journal-", "klog", "logrus", "kubectl-logs")) for s in data)
        # a capture another reader is less sure of (a log listing, a JSON fragment) keeps that reader when no section is read;
        # a paste (prompts, fences, markers) none of whose output is read is still a paste: its unread sections are problems
        # several outputs in one text (a sentence, a table, a describe) are a paste even with no prompt nor fence
        several = not logs and (len(data) + len(unread) >= 2 or (bool(data) and any(s.kind == "prose" for s in sections)))  # (a log stays one)
        if not (readable or (structure and unread)) or not (structure or several or (score < 50 and data and not bulk and not logs)):
            return False
        node_level = any(_section_reader(s)[1] == "node" for s in [*data, *unread])
        owner_node = self.node or "unknown"
        notes: list[str] = []
        if node_level and not self.node:
            notes.append("node-level output pasted without --node: stored under node 'unknown' (give --node NAME to name it)")
        problems: list[tuple[str, str, str]] = []
        rows: list[PasteSection] = []
        dates = [(s.first, t) for s in sections if s.kind == "date" and s.records for t in [parse_time(s.records[0]["time"])] if t is not None]
        years = [(s.first, y) for s in sections if _section_reader(s)[0] == "journal" for y in [_own_year(s)] if y is not None]
        # (the offset a journal section's own lines say, for it and for those that say none: the nearest above, else below)
        zones = [(s.first, z) for s in sections if _section_reader(s)[0] == "journal" for z in [_own_offset(s, _own_year(s))] if z[1]]
        for s in sections:
            parser, scope = _section_reader(s)
            owner = owner_node if scope == "node" else None
            sid = snapshot_id(self.site, f"loose\0{owner or 'cluster'}")
            n_stored: int | None = None
            sec_notes: list[str] = []
            member = f"{name}#L{s.first}-{s.last}"
            if (s.kind in _DESCRIBED or s.kind in _LISTED) and s.records:  # a describe of a workload or service, an Events: table
                # pasted alone, a kubectl get of a kind with no table reader, kubectl version
                recs: list[Record] = (_events_of_section(s) if s.kind == "kubectl-describe-events" else
                                      _listed(s) if s.kind in _LISTED else _described(s))  # fmt: skip
                if s.kind.startswith("kubectl-describe-") and s.kind != "kubectl-describe-events":
                    recs += _events_of_describe(s, recs)
                sec_notes += _date_event_ages(recs, s.first, self.when.now, dates)
                if s.kind.startswith("kubectl-get") and len(recs) < len(s.records):
                    # rows that are no object's (a line glued under the table, a row kubectl wrapped): said, and the text kept
                    s.problems.append(f"lines {s.first}-{s.last}: {len(s.records) - len(recs)} of {len(s.records)} rows of {s.kind} "
                                      "are no object's: kept as text")  # fmt: skip
                    self._keep_lines(s, member, sid, owner, {"layout": "other"})
                self.records[sid] += [(member, r) for r in recs]
                n_stored = len(recs)
                self.report.records += n_stored
                self.owners.setdefault(sid, owner)
                self.names[sid].add(member)
            elif s.records and (s.kind in ("kubectl-logs-timestamps", "kubeadm-output", "command-error", "logrus-text") or
                                (s.kind in _LOG_KINDS and paste.logs_command(s.command))):  # fmt: skip
                # a container's log (kubectl/crictl/docker logs), kubeadm's, a tool's error: log files that grep and logs read
                meta = ({"layout": "other"} if s.kind in ("kubeadm-output", "command-error", "logrus-text") and not paste.logs_command(s.command)
                        else {"layout": "kubectl-logs", **logs_meta(s.command)})  # fmt: skip
                self._keep_lines(s, member, sid, owner, meta)
                n_stored = len(s.records)
            elif s.kind == "unknown" and _reads_secret(s.command):
                # what `kubectl get secret -o jsonpath=... | base64 -d` printed is a Secret's value: never kept
                s.problems = [f"{p}: the output of a command that reads a Secret is not kept" for p in s.problems]
            elif s.kind == "unknown":  # output no reader reads: a problem, and its text kept, so that grep finds it
                self._keep_lines(s, member, sid, owner, {"layout": "other"})
                s.problems = [f"{p}: kept as text" for p in s.problems]
            elif s.is_data and parser:  # (a markdown table's separator is no line of the output)
                section_text = "\n".join(ln.text for ln in s.lines if not paste.table_rule(ln.text)) + "\n"
                if parser == "ps" and s.attrs.get("header") is False and s.attrs.get("columns"):
                    section_text = " ".join(s.attrs["columns"]) + "\n" + section_text  # `ps -o LIST | grep`: the header its LIST gives
                if parser == "journal":
                    n_head = int(s.attrs.get("head_lines", 0)) if s.kind == "systemctl-status" else 0
                    tail_text = "\n".join(ln.text for ln in s.lines[n_head:]) + "\n" if n_head else section_text
                    own = _own_year(s)
                    year, whence = (own, None) if own is not None else self._paste_year(s.first, dates, years)
                    if year is None and (past := _past_year(s)) is not None:
                        year, whence = past, "the current year would put them after today"
                    tail_text = english_months(tail_text)  # (journalctl under a localized LANG: `okt. 29`, `4月 12`)
                    shift, said_zone = _own_offset(s, year)
                    if not said_zone and zones:
                        above = [z for z in zones if z[0] < s.first]
                        at, (shift, _said) = above[-1] if above else zones[0]
                        said_zone = f"that of the journal lines at line {at}"
                    if said_zone:
                        sec_notes.append(f"journal times in local time, UTC{_fmt_offset(shift)} ({said_zone}): stored in UTC")
                    n_stored = self.journals.add(io.BytesIO(tail_text.encode()), JournalMeta(sid, owner, member, "journal"), year=year,
                                                 shift_minutes=shift) if tail_text.strip() else 0
                    self.report.log_lines += n_stored
                    if s.kind == "systemctl-status":  # its CGroup tree: the processes of the unit
                        said_ps: list[tuple[str, str, str]] = []
                        head_text = "\n".join(ln.text for ln in s.lines[:n_head]) + "\n"
                        _st, precs = run_parser(load_parsers()["ps"], member, head_text.encode(), said_ps)
                        precs += _status_service(s)
                        self.records[sid] += [(member, r) for r in precs]
                        self.report.records += len(precs)
                    if own is None and s.kind in ("journal-short", "journal-short-precise", "systemctl-status", "klog"):
                        sec_notes.append(f"journal lines without a year: read in {year} ({whence})" if whence else
                                         "journal lines without a year: read in the current year (the paste gives none; give --year)")
                else:
                    said: list[tuple[str, str, str]] = []
                    if s.kind == "docker-ps":  # the rows the paste read, its header given or not
                        recs = pasted_ps(s.records)
                    else:
                        recs = s.attrs["read"] if "read" in s.attrs else run_parser(load_parsers()[parser], member, section_text.encode(), said)[1]
                    if parser == "kubectl-table" or s.kind == "kubectl-describe-pod":  # a table without NAMESPACE, a describe without
                        # Namespace: (2015's): of the command's -n, else of kubectl's default one
                        ns = paste.command_namespace(s.command) or "default"
                        for r in recs:
                            if "namespace" in type(r).model_fields and not getattr(r, "namespace", None):
                                r.namespace = ns  # type: ignore[attr-defined]
                    if s.records and not recs:
                        # rows the paste read that the reader of their format stored none of (a nushell table's │
                        # cells, a NAMESPACE column left blank): a problem, and their text kept for grep, never a silent drop
                        s.problems.append(f"lines {s.first}-{s.last}: {len(s.records)} rows of {s.kind} that its reader could not store: kept as text")
                        self._keep_lines(s, member, sid, owner, {"layout": "other"})
                    if s.kind in ("kubectl-describe-pod", "kubectl-describe-node") and not any(isinstance(r, Event) for r in recs):
                        # an Events: table of an older kubectl (1.3's FirstSeen LastSeen Count From ...), as the paste read it
                        # (2015's columns, From SubobjectPath Status Reason Message, have no Type: not read as events)
                        recs += [e for e in _events_of_describe(s, [r for r in recs if isinstance(r, (ApiPod, ApiNode))])
                                 if isinstance(e, Event) and e.type in ("Normal", "Warning")]
                    sec_notes += _date_event_ages(recs, s.first, self.when.now, dates)
                    self.records[sid] += [(member, r) for r in recs]
                    n_stored = len(recs)
                    self.report.records += n_stored
                    sec_notes += [r for _m, _p, r in said]
                self.owners.setdefault(sid, owner)
                self.names[sid].add(member)
            problems += [(name, "paste", p) for p in s.problems]
            read_rows = n_stored if "reader" in s.attrs else len(s.records)  # a registered reader's section: what it stored
            rows.append(PasteSection(first_line=s.first, last_line=s.last, command=s.command, prompt=s.prompt, format=s.kind,
                                     rows=read_rows if s.is_data else None, parser=parser if s.is_data else None,
                                     stored=n_stored, problems=s.problems or None, notes=sec_notes or None))  # fmt: skip
        sid = snapshot_id(self.site, f"loose\0{owner_node if node_level else 'cluster'}")
        self.owners.setdefault(sid, owner_node if node_level else None)
        if name in self.names[sid]:
            self.report.alone(self.label, name, "a loose capture of this name was already read from this input: not read")
            return True
        self.names[sid].add(name)
        self.records[sid] += [(name, r) for r in rows]
        self.report.records += len(rows)  # the paste_sections rows
        self.report.notes += [(self.label, name, n) for n in notes]
        self.members.append({"snapshot_id": sid, "path": name, "kind": "file", "size": m.size, "mtime": None, "link_target": None,
                             "parser": "paste", "records": sum(len(s.records) for s in data), "status": "problem" if problems else "parsed",
                             "state": READ, "reason": None})  # fmt: skip
        self.problems += [(sid, a, b, c) for a, b, c in problems]
        self.files += 1
        return True

    def finish(self) -> None:
        """Write every capture of the input in one transaction."""
        con = self.con
        for lf in self.logs.finish():
            sid = self.log_sid[lf.path or ""]
            self.records[sid].append((lf.path or "", lf))
            self.report.log_lines += lf.line_count or 0
        self.journals.flush()
        with _LOOSE_LOCK:  # loose captures of one node share a snapshot: one writer at a time
            con.execute("BEGIN TRANSACTION")
            try:
                for sid, owner in sorted(self.owners.items()):
                    self.view.delete_members(sid, self.names[sid])
                    if not con.execute("SELECT 1 FROM snapshots WHERE snapshot_id = ?", [sid]).fetchall():
                        self.view.insert_rows("snapshots", [{"snapshot_id": sid, "site": self.site, "node": owner or "cluster", "hostname": None,
                                                             "role": "unknown", "kind": "loose", "source": self.label, "bundle_name": None,
                                                             "ingested_at": datetime.now(UTC), "kubesnap_version": __version__}])  # fmt: skip
                    self.view.insert_member_records(sid, owner, self.records.get(sid, []))
                con.execute("INSERT INTO log_lines SELECT * FROM _loose_lines")
                con.execute("INSERT INTO journal SELECT * FROM _loose_journal")
                grepindex.index_loose(con, {sid: [lf.file_id for _m, lf in recs if isinstance(lf, LogFile) and lf.file_id is not None]
                                            for sid, recs in self.records.items()}, sorted(self.owners))  # fmt: skip
                self.view.insert_rows("members", self.members)
                self.view.insert_rows("ingest_problems", [{"snapshot_id": sid, "bundle": self.label, "member": m, "parser": p, "reason": r, "line": None}
                                                          for sid, m, p, r in self.problems])  # fmt: skip
                for sid, owner in sorted(self.owners.items()):
                    if owner is not None:
                        correlate(con, sid)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self.report.loose_files += self.files
        if self.unnamed:
            more = f" (and {len(self.unnamed) - 1} more capture(s) of this input)" if len(self.unnamed) > 1 else ""
            self.report.notes.append((self.label, self.unnamed[0], f"node-level output without --node: stored under node 'unknown'{more}; "
                                                                   "give --node NAME to name it"))  # fmt: skip
        self.report.snapshots += [sid for sid in sorted(self.owners) if sid not in self.report.snapshots]
        self.report.problems.extend((self.label, m, r) for _sid, m, _p, r in self.problems)

    def close(self) -> None:
        self.con.close()


# the registered parser that also stores a paste section in its tables, and the section's scope
PASTE_PARSERS: dict[str, tuple[str | None, str]] = {
    "kubectl-get-pods": ("kubectl-table", "cluster"), "kubectl-get-nodes": ("kubectl-table", "cluster"),
    "kubectl-get-events": ("kubectl-table", "cluster"), "kubectl-describe-pod": ("kubectl-describe", "cluster"),
    "kubectl-describe-node": ("kubectl-describe", "cluster"), "kubectl-get-services": (None, "cluster"),
    "kubectl-get-daemonsets": (None, "cluster"), "kubectl-get-statefulsets": (None, "cluster"),
    "kubectl-describe-deployment": (None, "cluster"), "kubectl-describe-daemonset": (None, "cluster"),
    "kubectl-describe-statefulset": (None, "cluster"), "kubectl-describe-service": (None, "cluster"),
    "kubectl-describe-rc": (None, "cluster"), "kubectl-describe-events": (None, "cluster"), "kubectl-describe-object": (None, "cluster"),
    "kubectl-get": (None, "cluster"), "kubectl-top": (None, "cluster"), "kubectl-version": (None, "cluster"),
    "container-log": (None, "cluster"),  # a container's log pasted from `kubectl logs` (crictl/docker logs: the node's)
    "kubeadm-output": (None, "node"),  # what kubeadm init/join/reset printed
    "command-error": (None, "cluster"),  # what a tool said when the command failed (kubectl's: of the cluster)
    "container-state": (None, "cluster"),  # a describe pod's container part pasted alone: read, of no pod named
    "date": (None, "cluster"),  # when the paste was printed: no table of its own, the reference of its event ages
    "kubectl-logs-timestamps": (None, "cluster"),  # a container's log fetched through the API: a log file (layout kubectl-logs)
    "crictl-ps": ("crictl-ps-table", "node"), "crictl-pods": ("crictl-pods-table", "node"),
    "crictl-images": ("crictl-images-table", "node"), "crictl-images-verbose": ("crictl-images-verbose", "node"),
    "crictl-inspect-table": ("crictl-inspect-table", "node"), "crictl-stats": ("crictl-stats", "node"), "df": ("df", "node"),
    "ctr-tasks": ("ctr", "node"), "ctr-containers": ("ctr", "node"),
    "docker-ps": ("docker-ps", "node"),  # the kubelet's sandboxes and containers by their k8s_ names (docs/pastes.md)
    **dict.fromkeys(("crictl-inspect-template", "crictl-inspect-yaml", "crictl-inspect-json", "component-version"), (None, "node")),
    **{f: ("ps", "node") for f in ("ps-ef", "ps-aux", "ps-o", "ps-x", "ps-axjf", "ps-ejf", "busybox-ps", "systemctl-cgroup-tree")},
    **{f: ("journal", "node") for f in ("journal-short", "journal-short-iso", "journal-short-precise", "journal-short-full",
                                        "journal-short-monotonic", "journal-short-unix", "systemctl-status", "klog")},
}  # fmt: skip


PASTE_PARSERS_BY_NAME = frozenset(p for p, _scope in PASTE_PARSERS.values() if p)
# formats of a command's output that, under `kubectl logs` (crictl, docker logs), are the container's log
_LOG_KINDS = frozenset(["container-log", "klog", "logrus-text", "kubectl-logs-timestamps"])


def _by_command(command: str | None) -> tuple[SourceSpec, str] | None:
    """The reader and bundle path of the collector's capture that a pasted command made too: the same command line as
    the kubesnap layout's `made_by` (`uname -a`, `uptime`, `timedatectl show`), or `cat PATH` of a file it copies
    (/etc/os-release, /var/lib/kubelet/config.yaml, a static pod manifest, containerd's config.toml)."""
    words = [w for w in paste.command_words(command) if w != "sudo"]
    if not words:
        return None
    if words[0] == "cat" and len(words) == 2 and words[1].startswith("/") and ".." not in words[1]:
        path = f"files{words[1]}"  # the collector copies a file to files/<its path>: read as that copy is
        e = KUBESNAP.classify(path)
        return (load_parsers()[e.reader], path) if e is not None and e.is_parser else None
    made = " ".join(words)
    for e in KUBESNAP.entries:
        if e.is_parser and e.made_by == made and "*" not in e.pattern:
            return load_parsers()[e.reader], e.pattern
    return None


def _claim(s: paste.Section, member: str) -> bool:
    """Give a section no paste reader read (`crictl version`, `crictl info`, `kubectl get -o yaml`, a kubelet config) to the
    registered reader sure of its text, if any, when that reader gets records out of it: the section takes the reader's
    name as its format, its records (attrs `read`) and the reader's complaints as its problems."""
    if s.kind != "unknown":
        return False
    body = "\n".join(ln.text for ln in s.lines) + "\n"
    said: list[tuple[str, str, str]] = []
    spec: SourceSpec | None = None
    made = _by_command(s.command)
    if made is not None:  # the collector's own command: its reader, which knows the capture by its bundle path
        spec, path = made
        recs = run_parser(spec, path, body.encode(), said)[1]
        said = [(member, p, r) for _m, p, r in said]
    else:
        recs = []
    # else the reader sure of the output alone, or under its command line (an `ls -l DIR` listing names files by DIR)
    for text in () if recs else (body, f"# {s.command}\n{body}") if s.command else (body,):
        found, score = sniff(text)
        if found is None or score < 50:
            continue
        spec, said = found, []
        recs = run_parser(spec, member, text.encode(), said)[1]
        if recs:
            break
    if not recs or spec is None:
        return False
    s.kind, s.problems = spec.name, [f"lines {s.first}-{s.last}: {spec.name}: {r}" for _m, _p, r in said]
    s.attrs["reader"], s.attrs["read"] = spec, recs
    return True


def _section_reader(s: paste.Section) -> tuple[str | None, str]:
    """(the registered parser that stores a paste section, its scope)."""
    reader = s.attrs.get("reader")
    if isinstance(reader, SourceSpec):
        return reader.name, reader.scope
    if s.kind in _LOG_KINDS and paste.logs_command(s.command):  # `crictl logs` is a node's, `kubectl logs` the cluster's
        inner = (s.command or "").split("; do ", 1)[-1]  # (a shell loop's body)
        return None, "node" if pastefmt.kubectl_verb(inner)[0] != "logs" else "cluster"
    if s.kind == "unknown":  # unread output: of the cluster under kubectl, else of the node
        return None, "cluster" if pastefmt.kubectl_verb(s.command)[0] else "node"
    return PASTE_PARSERS.get(s.kind, (None, "node"))


def logs_meta(command: str | None) -> dict[str, Any]:
    """The log file fields a logs command names: `kubectl logs` its namespace, pod, container and --previous;
    `crictl logs ID` the container id; `docker logs k8s_<container>_<pod>_<ns>_<uid>_<n>` the parts of the name."""
    if (command or "").startswith(("for ", "while ")):
        return {"previous": False}  # a shell loop's logs: of the pods it ran over, which the paste does not name one by one
    if pastefmt.kubectl_verb(command)[0] == "logs":
        ns, pod, container, previous = logs_target(command)
        return {"namespace": ns or "default", "pod": pod, "container": container, "previous": previous}  # kubectl's default namespace
    words = paste.command_words(command)
    previous = any(w in ("-p", "--previous") for w in words)
    with_value = {"--tail", "--since", "--until", "-n", "--limit-bytes"}
    target, i = None, words.index("logs") + 1 if "logs" in words else len(words)
    while i < len(words):
        if words[i] in with_value:
            i += 2
            continue
        if not words[i].startswith("-"):
            target = words[i]
        i += 1
    parts = pastefmt.k8s_name(target or "")
    if parts:
        return {"namespace": parts.get("namespace"), "pod": parts.get("pod"), "container": parts.get("k8s_container"),
                "pod_uid": parts.get("pod_uid"), "previous": previous}  # fmt: skip
    hexid = target is not None and len(target) >= 12 and all(c in "0123456789abcdef" for c in target)
    return {"container_id": target if hexid else None, "container": None if hexid else target, "previous": previous}


def logs_target(command: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """(namespace, pod, container, --previous) a `kubectl logs [pod/]NAME [CONTAINER] [-c C] [-n NS] [-p]` command names."""
    words = paste.command_words(command)
    if "logs" not in words:
        return None, None, None, False
    pod = container = None
    previous, i = False, words.index("logs") + 1
    with_value = {"-n", "--namespace", "-c", "--container", "--since", "--since-time", "--tail", "--limit-bytes", "-l", "--selector"}
    while i < len(words):
        w = words[i]
        if w in with_value and i + 1 < len(words):
            container = words[i + 1] if w in ("-c", "--container") else container
            i += 2
            continue
        if w.startswith("--container="):
            container = w.split("=", 1)[1]
        elif w in ("-p", "--previous") or w.startswith("--previous="):
            previous = w != "--previous=false"
        elif not w.startswith("-") and pod is None:
            kind, _, name = w.partition("/")
            pod = w if not name else name if kind in ("pod", "pods", "po") else None
        elif not w.startswith("-") and container is None:
            container = w  # kubectl logs POD CONTAINER
        i += 1
    return paste.command_namespace(command), pod, container, previous


def describe_target(command: str | None) -> tuple[str | None, str | None, str | None]:
    """(Kind, name, namespace) a `kubectl describe KIND NAME [-n NS]` (or KIND/NAME) command names; Nones where it names none."""
    from analyzer.parsers.kubectl_table import KINDS

    kind, name, ns = paste.describe_args(command)
    return (KINDS.get(kind, kind) if kind else None), name, ns


_DESCRIBED = {"kubectl-describe-events": "", "kubectl-describe-deployment": "Deployment", "kubectl-describe-daemonset": "DaemonSet",
              "kubectl-describe-statefulset": "StatefulSet", "kubectl-describe-rc": "ReplicationController",
              "kubectl-describe-service": "Service", "kubectl-describe-object": None}  # fmt: skip


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and -(2**31) <= v < 2**31 else None


_LISTED = {"kubectl-get": None, "kubectl-get-daemonsets": "DaemonSet", "kubectl-get-statefulsets": "StatefulSet", "kubectl-version": None,
           "kubectl-get-services": "Service",
           **dict.fromkeys(("crictl-inspect-template", "crictl-inspect-yaml", "crictl-inspect-json", "component-version"))}  # fmt: skip


def _ready(v: object) -> tuple[int | None, int | None]:
    """(ready, desired) of a READY cell: `2/3`, or a count alone (a replicaset's, a daemonset's)."""
    if isinstance(v, int):
        return _int(v), None
    a, sep, b = str(v or "").partition("/")
    return (_int(int(a)) if a.isdecimal() and len(a) < 10 else None), (_int(int(b)) if sep and b.isdecimal() and len(b) < 10 else None)


def _listed(s: paste.Section) -> list[Record]:
    """What a pasted `kubectl get` of workloads (deployments, replicasets, daemonsets, statefulsets, jobs) gives the
    workloads table, and of any other kind api_objects (its cells under raw.kubesnap.columns); `kubectl version`'s
    versions (oc's Kubernetes Version is the server's)."""
    from analyzer.parsers.kubectl_json import WORKLOAD_KINDS
    from analyzer.parsers.kubectl_table import CLUSTER_KINDS, service_of

    if s.kind == "kubectl-version":
        r = s.records[0]
        return [Version(client_version=r.get("client_version"), server_version=r.get("kubernetes_version") or r.get("server_version"))]
    if s.kind == "component-version":  # `kubelet --version`: a fact of the node
        return [HostFact(key=f"version.{r['component']}", value=str(r["version"])) for r in s.records]
    if s.kind.startswith("crictl-inspect-"):  # `crictl inspect[p] ID | grep pid`: the container's (the sandbox's) host pid
        return [ContainerObs(source="crictl-inspect", container_id=str(r["container_id"]), pid=r["pid"]) if "container_id" in r else
                Sandbox(source="crictl-inspectp", sandbox_id=str(r["pod_id"]), pid=r["pid"]) for r in s.records]  # fmt: skip
    out: list[Record] = []
    for r in s.records:
        kind, name = _LISTED[s.kind] or r.get("api_kind"), r.get("name")
        if not kind or not name:
            continue
        ns = None if kind in CLUSTER_KINDS else (r.get("namespace") or paste.command_namespace(s.command) or "default")
        if kind in WORKLOAD_KINDS:
            ready, desired = _ready(r.get("ready") if "ready" in r else r.get("completions"))  # a job's `1/1`
            out.append(Workload(kind=str(kind), namespace=ns, name=str(name), ready=ready, available=_int(r.get("available")),
                                desired=desired if desired is not None else _int(r.get("desired"))))  # fmt: skip
            continue
        cells = {k: v for k, v in r.items() if k not in ("kind", "api_kind", "name", "namespace")}
        raw = {"kind": kind, "metadata": {"name": name, **({"namespace": ns} if ns else {})},
               "kubesnap": {"from": "kubectl get (pasted)", "columns": cells}}  # fmt: skip
        if kind == "Service":  # as a kubectl dump holds it, its cells kept
            svc = service_of(cells, str(name), ns, "kubectl get (pasted)")
            if svc is not None:
                out.append(svc)
            continue
        out.append(ApiObject(kind=str(kind), namespace=ns, name=str(name), raw=raw))
    return out


def _described(s: paste.Section) -> list[Record]:
    """The workloads (deployments, daemonsets, statefulsets, replication controllers) and services of a pasted `kubectl describe`: what its
    fields say, in the tables a kubectl dump fills (a service as an api_objects row of the JSON shape kubectl gives)."""
    from analyzer.parsers.kubectl_table import CLUSTER_KINDS, api_kind, labels_of

    k_cmd, name_cmd, ns_cmd = describe_target(s.command)
    kind = _DESCRIBED[s.kind] or api_kind(k_cmd or "")
    out: list[Record] = []
    for r in s.records:
        name, ns = r.get("name") or name_cmd, r.get("namespace") or ns_cmd
        if not name or not kind:
            continue
        if s.kind == "kubectl-describe-object":  # its fields under raw.kubesnap, as printed
            ns = None if kind in CLUSTER_KINDS else ns
            raw = {"kind": kind, "metadata": {"name": name, **({"namespace": ns} if ns else {})},
                   "kubesnap": {"from": "kubectl describe (pasted)", "fields": r.get("fields") or {}}}  # fmt: skip
            out.append(ApiObject(kind=kind, namespace=ns, name=str(name), raw=raw))
            continue
        if kind == "Service":
            spec = {k: v for k, v in {"type": r.get("type"), "clusterIP": r.get("ip"), "selector": labels_of(r.get("selector")),
                                      "sessionAffinity": r.get("session_affinity")}.items() if v}  # fmt: skip
            raw = {"kind": "Service", "metadata": {"name": name, **({"namespace": ns} if ns else {})}, "spec": spec,
                   "kubesnap": {"from": "kubectl describe (pasted)", "ports": r.get("ports")}}  # fmt: skip
            out.append(ApiObject(kind="Service", api_version="v1", namespace=ns, name=str(name), raw=raw))
            continue
        desired = _int(r.get("replicas_desired", r.get("desired")))
        # a statefulset's `N total` and a deployment's; a daemonset's and a replication controller's Pods Status Running
        ready = _int(r.get("replicas_total") if kind in ("Deployment", "StatefulSet") else r.get("running"))
        out.append(Workload(kind=kind, namespace=ns, name=str(name), desired=desired, ready=ready,
                            available=_int(r.get("replicas_available")), selector=labels_of(r.get("selector"))))  # fmt: skip
    return out


def _past_year(s: paste.Section) -> int | None:
    """Last year, for journal lines of no year whose first month and day are still to come this year (Dec 21 read on
    Dec 7): the current year would date them after the ingest. None otherwise."""
    now = datetime.now(UTC)
    for r in s.records[:5]:
        stamp = r.get("time")
        if isinstance(stamp, str):
            t = _stamp_time(stamp, now.year)
            if t is None:
                continue
            return now.year - 1 if (t.month, t.day) > (now.month, now.day) else None
    return None


def _reads_secret(command: str | None) -> bool:
    """A kubectl (oc) get of Secrets: its output, unless a reader stores it as an object (whose values are redacted),
    is a Secret's values."""
    from analyzer.pastefmt import kubectl_verb

    verb, args = kubectl_verb(command)
    return verb == "get" and any(a.split("/", 1)[0].split(".", 1)[0].lower() in ("secret", "secrets") or
                                 a.lower().startswith(("secret/", "secrets/")) for a in args if not a.startswith("-"))


def _events_of_section(s: paste.Section) -> list[Record]:
    """The Event records of an `Events:` table pasted alone (the section's rows), of the object its command names."""
    return _event_rows(s.records, *describe_target(s.command))


def _events_of_describe(s: paste.Section, objs: list[Record]) -> list[Record]:
    """The Event records of a pasted describe's `Events:` table, of the object described (of the one its command
    names when the section holds several)."""
    rows = s.attrs.get("events") or []
    kind, name, ns = describe_target(s.command)
    if len(objs) == 1 and isinstance(objs[0], (Workload, ApiObject)):
        kind, name, ns = objs[0].kind, objs[0].name, objs[0].namespace
    elif len(objs) == 1 and isinstance(objs[0], (ApiPod, ApiNode)):
        kind, name, ns = ("Pod", objs[0].name, objs[0].namespace) if isinstance(objs[0], ApiPod) else ("Node", objs[0].name, None)
    return _event_rows(rows, kind, name, ns) if rows else []


def _event_rows(rows: list[dict[str, Any]], kind: str | None, name: str | None, ns: str | None) -> list[Record]:
    from analyzer.parsers.kubectl_table import CLUSTER_KINDS, event_source

    # (`kubectl describe pod x` with no -n: of kubectl's default namespace, as a table without NAMESPACE is)
    if ns is None and kind is not None and kind not in CLUSTER_KINDS:
        ns = "default"
    out: list[Record] = []
    for r in rows:
        if not r.get("reason"):
            continue
        component, host = event_source(str(r.get("from") or ""))
        last_text = r.get("last_age") or r.get("age") or (None if r.get("last_seen_iso") else r.get("last_seen"))
        first_text = r.get("first_age") or (None if r.get("first_seen_iso") else r.get("first_seen"))
        out.append(Event(namespace=ns, kind=kind, name=name, reason=str(r["reason"]), message=r.get("message") or None, type=r.get("type") or None,
                         count=r.get("count") if isinstance(r.get("count"), int) else None,
                         last_seen=parse_time(r.get("last_seen_iso")), first_seen=parse_time(r.get("first_seen_iso")),
                         last_seen_text=str(last_text) if last_text else None, first_seen_text=str(first_text) if first_text else None,
                         component=component, host=host))  # fmt: skip
    return out


def _date_event_ages(recs: list[Record], line: int, now: datetime | None, dates: list[tuple[int, datetime]]) -> list[str]:
    """Give the events of a pasted table (kubectl get events, a describe's Events) times from their ages
    (`5m`, `2m (x4 over 10m)`), counted back from when the paste was printed: --now, else the `date` output
    nearest above the table, else the nearest below. A note says which; without either the ages stay text."""
    events = [r for r in recs if isinstance(r, Event) and r.last_seen is None and r.first_seen is None and (r.last_seen_text or r.first_seen_text)]
    if not events:
        return []
    above = [(ln, t) for ln, t in dates if ln < line]
    below = [(ln, t) for ln, t in dates if ln > line]
    if now is not None:
        ref, said = now, f"--now {now.isoformat()}"
    elif above or below:
        ln, ref = above[-1] if above else below[0]
        said = f"the date output at line {ln} ({ref.isoformat()})"
    else:
        return ["event ages kept as text: the paste holds no `date` output to count them back from (give --now TIME)"]
    dated = 0
    for ev in events:
        last, first = parse_kube_age(ev.last_seen_text), parse_kube_age(ev.first_seen_text)
        if last is not None:
            ev.last_seen = before(ref, last)
        if first is not None:
            ev.first_seen = before(ref, first)
        dated += last is not None or first is not None
    return [f"{dated} event time(s) counted back from {said}: as exact as kubectl's rounded ages"]


_DAY = re.compile(r"\b(\d{4})-(\d\d)-\d\d\b")


def _status_service(s: paste.Section) -> list[Record]:
    """The unit a pasted `systemctl status` shows, as `systemctl show` gives it to the services table: load state, active
    and sub state (`activating (auto-restart)`), main pid, since when."""
    unit = str(s.attrs.get("unit") or "").removesuffix(".service")
    if not unit:
        return []
    state, _, sub = str(s.attrs.get("active") or "").partition(" (")
    active_line = next((ln.text.strip() for ln in s.lines[:12] if ln.text.strip().startswith("Active:")), "")
    since = active_line.partition(" since ")[2].partition(";")[0].strip() or None
    pid = s.attrs.get("main_pid")
    return [Service(unit=unit, load_state=str(s.attrs.get("loaded") or "") or None, active_state=state or None,
                    sub_state=sub.rstrip(")") or None, main_pid=pid if isinstance(pid, int) else None, started_at=since)]  # fmt: skip


def _own_year(s: paste.Section) -> int | None:
    """The year a section's lines carry themselves (logrus time="2021-...", an ISO time), else the one journalctl's
    `-- Logs begin at Mon 2022-05-30 ... --` (`-- Journal begins at`) or a status's `Active: ... since Fri 2023-12-08`
    gives (its end's year when it prints one; a year later for lines of an earlier month than the beginning)."""
    for r in s.records[:50]:
        iso = r.get("time_iso")
        if isinstance(iso, str) and iso[:4].isdecimal():
            return int(iso[:4])
    first = str(s.records[0].get("time") or "")[:3] if s.records else ""
    return _begin_year([ln.text for ln in s.lines[:400]], first)


# zone names systemd prints (`Active: ... since Tue 2019-09-10 16:17:59 EDT`) that name one offset (not CST, IST, BST)
_ZONES = {"UTC": 0, "GMT": 0, "EST": -300, "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
          "AKST": -540, "AKDT": -480, "HST": -600, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180, "WET": 0, "WEST": 60,
          "MSK": 180, "KST": 540, "JST": 540, "HKT": 480, "SGT": 480, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780}  # fmt: skip
_STAMP_ZONE = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ([A-Z]{3,4}|[+-]\d\d(?:\d\d)?)\b")


def _fmt_offset(minutes: int) -> str:
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _own_offset(s: paste.Section, year: int | None) -> tuple[int, str | None]:
    """The UTC offset (minutes) of a pasted journal section's local times, and what says it: a line's own time with its
    offset (logrus time="...-04:00", zap's "ts") against the line's syslog stamp, else the zone of a status's `Active:
    since` or journalctl's `-- Logs begin at` line; (0, None) when nothing says (the times stay as printed)."""
    for r in s.records[:50]:
        own, stamp = parse_time(r.get("time_iso") if isinstance(r.get("time_iso"), str) else _zap_ts(r.get("message"))), r.get("time")
        if own is None or not isinstance(stamp, str) or (y := year or own.year) is None:
            continue
        local = _stamp_time(stamp, y)
        if local is None:
            continue
        diff = (local - own.astimezone(UTC).replace(tzinfo=None)).total_seconds() / 60
        minutes = int(round(diff / 15) * 15)
        if abs(diff - minutes) <= 2 and abs(minutes) <= 14 * 60:
            return minutes, "a line's own time beside its stamp"
    for ln in s.lines[:400]:
        t = ln.text.strip()
        if t.startswith(("Active:", "-- Logs begin at", "-- Journal begins at")) and (m := _STAMP_ZONE.search(t)) is not None:
            z = m.group(1)
            if z in _ZONES:
                return _ZONES[z], f"the zone {z} of line {ln.no}"
            if z[0] in "+-":
                minutes = int(z[1:3]) * 60 + int(z[3:5] or 0)
                return (-minutes if z[0] == "-" else minutes), f"the zone {z} of line {ln.no}"
    return 0, None


def _zap_ts(message: object) -> str | None:
    """zap's and JSON's own "ts":"2024-08-27T16:31:32.345951-0400" in a journal line's message."""
    if not isinstance(message, str) or not message.startswith("{"):
        return None
    k = message.find('"ts":"', 0, 200)
    return message[k + 6 : message.find('"', k + 6, k + 48)] if k >= 0 else None


# the months journalctl prints under a non-English LANG (nl, de, fr, es, it, pt, sv/no/da, pl), lower case, without a dot
_LOCAL_MONTHS = {m: i + 1 for i, names in enumerate([
    "jan janv ene gen sty", "feb févr fév fev lut", "mrt mär mrz mars mar", "apr avr abr kwi", "mei mai may mag maj",
    "jun juin giu cze", "jul juil lug lip", "aug août ago sie", "sep sept set wrz", "okt oct ott out paź", "nov lis",
    "dec dez déc dic des gru"]) for m in names.split()}  # fmt: skip
_EN_MONTHS = list(MONTHS)
_LOCAL_STAMP = re.compile(r"^(?:([^\W\d_]{3,5})\.?|(\d{1,2})[\u6708\uc6d4]) {1,2}(?=\d{1,2} \d\d:\d\d:\d\d)")


def _stamp_time(stamp: str, year: int) -> datetime | None:
    """A syslog stamp as printed (`Dec 21 15:07:30`, `okt. 29 15:05:55.123`) in a given year, naive; None when unreadable."""
    try:
        return datetime.strptime(f"{year} {english_months(stamp + ' ').strip().split('.')[0]}", "%Y %b %d %H:%M:%S")
    except ValueError:
        return None


def english_months(text: str) -> str:
    """A pasted journal's lines with a localized month (`okt. 29 15:05:55`, `4月 12 16:00:41`) given the English one
    journalctl prints under LANG=C, so that the syslog reader reads their time, host and unit; other lines as they are."""
    out = []
    for ln in text.split("\n"):
        m = _LOCAL_STAMP.match(ln)
        if m is not None:
            n = _LOCAL_MONTHS.get(m.group(1).lower()) if m.group(1) else int(m.group(2))
            if n and 1 <= n <= 12 and not (m.group(1) and m.group(1) in _EN_MONTHS):
                ln = f"{_EN_MONTHS[n - 1]} " + ln[m.end():]
        out.append(ln)
    return "\n".join(out)


def _begin_year(lines: list[str], first_month: str) -> int | None:
    """The year journalctl's `-- Logs begin at ...` or a status's `Active: ... since ...` gives the lines after it (a year
    later for a first line of an earlier month than the beginning)."""
    for ln in lines:
        t = ln.strip()
        _head, sep, tail = t.partition(" since ") if t.startswith("Active:") else t.partition(" at ")
        if not sep or not (t.startswith(("-- Logs begin at", "-- Journal begins at")) or t.startswith("Active:")):
            continue
        begin, _e, end = tail.partition(" end at ")
        if (m := _DAY.search(end)) is not None:
            return int(m.group(1))
        if (m := _DAY.search(begin)) is not None:
            return int(m.group(1)) + (1 if 0 < MONTHS.get(first_month, 0) < int(m.group(2)) else 0)
    return None


# a journal line's own time in its message: logrus's time="2020-12-20T06:34:29Z", zap's and JSON's "ts":"2020-..."
_OWN_TIME = re.compile(r"""\btime="(\d{4})-\d\d-\d\dT|"(?:ts|time|timestamp)":\s?"(\d{4})-\d\d-\d\dT""")


def _journal_head_year(head: bytes) -> int | None:
    """The year of a loose journal capture's lines, from its first lines (bounded: the head only): a `-- Logs begin at`
    or `Active: since` line, else the first line's own time (logrus, zap, JSON)."""
    lines = head[:16384].decode("utf-8", "replace").splitlines()[:40]
    first = next((ln[:3] for ln in lines if ln[:3] in MONTHS), "")
    if (y := _begin_year(lines, first)) is not None:
        return y
    for ln in lines:
        if (m := _OWN_TIME.search(ln[:4096])) is not None:
            return int(m.group(1) or m.group(2))
    return None


def _one_of_each_object(records: list[tuple[str, Record]]) -> list[tuple[str, Record]]:
    """A bundle's API objects once each: a must-gather holds a pod in its namespace's pods.yaml and in the pod's own
    file (each pod's restarts were found twice). A copy equal in every field to one before it is dropped; a pod a
    table and a dump both show stays twice (the pods view takes from each what the other lacks)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for member, r in records:
        if isinstance(r, (ApiPod, ApiContainer, ApiNode, ApiObject, Workload)):
            key = (type(r).__name__, r.model_dump_json(exclude={"line"}))
            if key in seen:
                continue
            seen.add(key)
        out.append((member, r))
    return out


def _is_text(data: bytes) -> bool:
    """Text, though a log may hold runs of NUL bytes (a node that crashed while the file was being written leaves a hole
    of zeros): what is not NUL (a line or two at least) has almost no control bytes."""
    head = data[:65536]
    rest = head.replace(b"\x00", b"") if b"\x00" in head else head
    if not rest.strip() or (len(rest) < len(head) and len(rest.strip()) < 32):
        return False
    return control_bytes(rest) * 100 < len(rest)


# ------------------------------------------------------------------ driver


INGEST_MEMORY_LIMIT = os.environ.get("KUBESNAP_INGEST_MEMORY_LIMIT", "512MB")


def ingest(
    store: Store,
    inputs: list[Path],
    *,
    site: str = "default",
    node: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    layout: Layout = KUBESNAP,
    when: When | None = None,
) -> IngestReport:
    """Every input; node tarballs in parallel (one thread and one DuckDB connection each: decompression,
    DuckDB and numpy release the GIL), a folder's other files and loose captures after them, in order.

    DuckDB's memory during the ingest is bounded by KUBESNAP_INGEST_MEMORY_LIMIT (it spills to disk
    beyond it); what Python holds is bounded by the loaders' batches, whatever the volume of logs."""
    load_parsers()
    report = IngestReport()
    claims = Claims()
    archives: list[Path] = []
    rest: list[tuple[Path, bool]] = []
    for path in inputs:
        if path.is_dir():
            below = _archives_below(path)
            if below:
                # archives inside another tool's bundle (a must-gather's sysinfo.tgz) are its members, not inputs
                from analyzer.formats import detect

                bundle = detect(path, limits, skip_archives=True)
                archives += [a for a in below if bundle is None or not bundle.keeps(a.relative_to(path).as_posix())]
            rest.append((path, bool(below)))
        elif path.is_file() and path.suffix != "" and is_archive(path.name):
            archives.append(path)
        else:
            rest.append((path, False))
    workers = workers or min(os.cpu_count() or 1, 4)
    before = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    store.con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    # No merging of row groups at the ingest's checkpoints (DuckDB's vacuum tasks). A bundle's transaction writes its
    # lines as full row groups and a part-full last one; each checkpoint merged those with their neighbours,
    # decompressing and compressing them again on one core while it held the other ingest threads (a 100-node site:
    # 55.5 -> 46.6 s). The part-full row groups stay (there 300 of log_lines instead of 250, 5% more blocks used, and
    # a file 15% smaller, since no merge leaves the blocks it rewrote free). Row groups a snapshot ingested again
    # empties are dropped all the same; the database's own setting is back after the ingest.
    store.con.execute("SET max_vacuum_tasks = 0")
    try:
        if workers > 1 and len(archives) > 1:
            _parallel(store, archives, site, node, limits, progress, report, workers, claims, layout, when)
        else:
            rest = [(a, False) for a in archives] + rest
        for path, skip_archives in rest:
            _ingest_path(store, path, site, node, limits, progress, report, skip_archives=skip_archives, claims=claims, layout=layout, when=when)
        if report.bundles or report.records or report.log_lines:
            t = time.perf_counter()
            grepindex.cluster(store.con)  # the search index's rows ordered by hash, whatever the bundles' order
            report.time("index", time.perf_counter() - t)
        store.con.execute("CHECKPOINT")  # the last one merging nothing either (else closing the database would)
    finally:
        store.con.execute(f"SET memory_limit = '{before}'")
        store.con.execute("RESET max_vacuum_tasks")
    return report


def _archives_below(top: Path) -> list[Path]:
    """The archives in a folder (links not followed): each one is ingested on its own."""
    out = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames.sort()
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if is_archive(fn) and not p.is_symlink():
                out.append(p)
    return out


@dataclass(frozen=True)
class When:
    """What the analyst says about when loose captures and pastes were printed (ingest --now, --year)."""

    now: datetime | None = None  # kubectl ages of pasted event tables are counted back from it
    year: int | None = None  # the year of journal and klog lines that print none


_LOOSE_LOCK = threading.Lock()  # loose captures of one node share a snapshot: one writer at a time


def _parallel(store: Store, archives: list[Path], site: str, node: str | None, limits: Limits | None,
              progress: Callable[[str], None] | None, report: IngestReport, workers: int, claims: Claims, layout: Layout = KUBESNAP,
              when: When | None = None) -> None:  # fmt: skip
    lock = threading.Lock()
    retry: list[Path] = []

    def job(path: Path) -> None:
        mine = IngestReport()
        view = store.cursor_store()
        try:
            _ingest_path(view, path, site, node, limits, progress, mine, claims=claims, layout=layout, when=when)
        except (duckdb.TransactionException, duckdb.ConstraintException, Retry):
            with lock:
                retry.append(path)  # a conflict with another bundle's transaction: done again alone, after the others
            return
        finally:
            view.con.close()
        with lock:
            report.merge(mine)

    # the parallelism is ours, one bundle per thread: DuckDB running each statement on every core as well
    # would only make the threads fight over the cores
    store.con.execute("SET threads = 1")
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="kubesnap-ingest") as ex:
            for f in [ex.submit(job, a) for a in archives]:
                f.result()
    finally:
        store.con.execute("RESET threads")
    for path in sorted(retry):
        _ingest_path(store, path, site, node, limits, progress, report, claims=claims, layout=layout, when=when)


def _loose_member(loose: LooseInput, report: IngestReport, path: Path, single: bool, member: Member) -> None:
    """One member outside any bundle folder, of the input `path`."""
    if OBFUSCATION_FILES.search(member.path):
        report.alone(str(path), member.path, "an obfuscation mapping or key of the collector: not read (it stays on the customer's site)")
        return
    name = member.path if not single or member.path != path.name else path.name
    try:
        loose.add(name, member)
    except MEMBER_READ_ERRORS as e:
        report.alone(str(path), name, f"member cut short: {e}")


def _ingest_path(store: Store, path: Path, site: str, node: str | None, limits: Limits | None, progress: Callable[[str], None] | None,
                 report: IngestReport, **options: Any) -> None:  # fmt: skip
    """One input (_ingest_one, whose options these are), then its problems of no snapshot."""
    first = len(report.unstored)
    try:
        _ingest_one(store, path, site, node, limits, progress, report, **options)
    finally:
        store_alone(store, report.unstored[first:])


def store_alone(store: Store, problems: list[tuple[str, str, str]]) -> None:
    """Problems of no snapshot, as rows of ingest_problems (snapshot_id NULL), in one transaction."""
    if not problems:
        return
    with _LOOSE_LOCK:
        store.con.execute("BEGIN TRANSACTION")
        try:
            # the same input read again says its problems again: they replace the ones it said before
            store.con.execute("DELETE FROM ingest_problems WHERE snapshot_id IS NULL AND list_contains(?, bundle)", [sorted({w for w, _m, _r in problems})])
            store.insert_rows("ingest_problems", [{"snapshot_id": None, "bundle": w, "member": m, "parser": None, "reason": r, "line": None}
                                                  for w, m, r in problems])  # fmt: skip
            store.con.execute("COMMIT")
        except BaseException:
            store.con.execute("ROLLBACK")
            raise


def _ingest_one(
    store: Store,
    path: Path,
    site: str,
    node: str | None,
    limits: Limits | None,
    progress: Callable[[str], None] | None,
    report: IngestReport,
    skip_archives: bool = False,
    claims: Claims | None = None,
    layout: Layout = KUBESNAP,
    when: When | None = None,
) -> None:
    """One input: bundles are committed as they end (members of one bundle must be contiguous); its loose
    captures together, at its end."""
    current: BundleIngest | None = None
    current_key: str | None = None
    done: set[str] = set()
    loose: LooseInput | None = None
    claims = claims or Claims()

    def close() -> None:
        nonlocal current, current_key
        if current is not None:
            current.finish()
            done.add(current_key or "")
            current, current_key = None, None

    single = path.is_file()
    # another tool's bundle (cluster-info dump, troubleshoot, sosreport, must-gather, Rancher, kubespray): its own layout
    from analyzer.formats import detect_listing, ingest_foreign

    t0 = time.perf_counter()
    found, listing = detect_listing(path, limits, skip_archives)
    if found is not None:
        ingest_foreign(store, path, found, site=site, report=report, limits=limits, claims=claims, progress=progress)
        return
    if single and listing is not None and listing.loose:
        # an archive of small loose captures only, read whole and without a problem by the detection
        # pass: ingested from what that pass holds, not read a second time
        report.time("extract", time.perf_counter() - t0)
        loose = LooseInput(store, str(path), site, node, report, when)
        try:
            for member in listing.loose:
                _loose_member(loose, report, path, single, member)
            loose.finish()
        finally:
            loose.close()
        return
    try:
        own = store.path.resolve()
        exclude = frozenset({own, own.with_name(own.name + ".wal"), own.with_name(own.name + ".tmp")})
        for item in _timed(extract(path, limits, skip_archives=skip_archives, exclude=exclude), report):
            if isinstance(item, Problem):
                if current is not None:
                    current.problems.append((item.member, "", item.reason))
                else:
                    report.alone(str(path), item.member, item.reason)
                continue
            key, root, member = item
            if root is None:
                close()
                if member.kind == "file" or OBFUSCATION_FILES.search(member.path):
                    if loose is None:
                        loose = LooseInput(store, str(path), site, node, report, when)
                    _loose_member(loose, report, path, single, member)
                continue
            if key != current_key:
                close()
                if key in done:
                    report.alone(key, member.path, "bundle members are not contiguous in the archive: later ones ignored")
                    continue
                if progress:
                    progress(f"bundle {key}")
                current = BundleIngest(store, key, root, site, str(path), report, claims, layout)
                current_key = key
            assert current is not None
            current.feed(member)
        close()
        if loose is not None:
            loose.finish()
    except BaseException:
        if current is not None:
            current.abort()
        raise
    finally:
        if loose is not None:
            loose.close()
