"""Ingest inputs into the store: one transaction per bundle (an interrupted ingest leaves the
database as it was), loose captures grouped per node, problems recorded, never raised."""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from analyzer import __version__
from analyzer.bulk import (
    MAX_LINE,
    JournalMeta,
    LogLoader,
    ReadNotes,
    container_link,
    load_journal,
    log_file_meta,
    sniff_format,
    sniff_journal,
)
from analyzer.bundle import ARCHIVE_SUFFIXES, BUNDLE_NAME, Limits, Member, Problem, is_archive, iter_input
from analyzer.correlate import correlate
from analyzer.errors import ParseError, SkipSource
from analyzer.models import CollectionRecord, ContainerObs, HostFact, Process, Record, Sandbox
from analyzer.parsers import json_values
from analyzer.parsers.manifest_json import BundleInfo, bundle_info
from analyzer.registry import ParseContext, SourceSpec, for_path, load_parsers, sniff
from analyzer.store import Store
from analyzer.textutil import control_bytes, decode
from analyzer.timeparse import before, parse_ago, parse_time

MAX_PARSE_BYTES = 256 * 1024 * 1024
OBFUSCATION_FILES = re.compile(r"(?:^|/)(?:[^/]*\.obfuscation\.tsv|kubesnap-obfuscation\.key)$")
ZONELESS_START = r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:\s|$)"
LOG_PATHS = re.compile(r"^(?:files/var/log/pods/.+\.log(?:\.\d{8}-\d{6})?|cluster/logs/.+\.log|files/var/log/calico/.+)$")
JOURNAL_PATHS = re.compile(r"^(?:services/journal-.+\.log|files/var/log/(?:syslog|messages)|host/dmesg\.txt|files/var/lib/rancher/[^/]+/agent/containerd/containerd\.log|files/var/lib/rancher/[^/]+/agent/logs/kubelet\.log)$")


@dataclass
class IngestReport:
    snapshots: list[str] = field(default_factory=list)
    bundles: int = 0
    loose_files: int = 0
    records: int = 0
    log_lines: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (where, member, reason)

    @property
    def ingested(self) -> bool:
        return self.records > 0 or self.log_lines > 0

    def merge(self, other: IngestReport) -> None:
        self.snapshots += [s for s in other.snapshots if s not in self.snapshots]
        self.bundles += other.bundles
        self.loose_files += other.loose_files
        self.records += other.records
        self.log_lines += other.log_lines
        self.problems += other.problems


def snapshot_id(site: str, name: str) -> str:
    return hashlib.sha1(f"{site}\0{name}".encode()).hexdigest()[:16]


def strip_archive(name: str) -> str:
    for s in ARCHIVE_SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


class BundleIngest:
    """One bundle, read member by member in stream order, committed at the end."""

    def __init__(self, store: Store, label: str, name: str, site: str, source: str, report: IngestReport) -> None:
        self.store = store
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
        self.logs = LogLoader(self.con)
        self.log_members: dict[str, str] = {}
        self.log_lines = 0
        self.con.execute("BEGIN TRANSACTION")
        store.delete_snapshot(self.sid)

    # -------------------------------------------------------------- members

    def feed(self, m: Member) -> None:
        status, parser, n = "unknown", None, 0
        try:
            if m.kind == "symlink":
                if m.path.startswith("files/var/log/containers/"):
                    link = container_link(m.path, m.link_target)
                    if link:
                        self.records.append((m.path, link))
                        n, status, parser = 1, "parsed", "container-log-link"
                else:
                    status = "skipped"
            elif m.kind != "file":
                status = "skipped"
                self.problems.append((m.path, "", f"{m.kind}: not read"))
            elif LOG_PATHS.match(m.path):
                parser, status, n = "container-log", "parsed", self._log(m)
            elif JOURNAL_PATHS.match(m.path):
                parser, status, n = "journal", "parsed", self._journal(m)
            else:
                spec = for_path(m.path)
                if spec is not None:
                    parser = spec.name
                    status, n = self._parse(m, spec)
        except OSError as e:
            status = "problem"
            self.problems.append((m.path, parser or "", f"read failed: {e}"))
        except (EOFError, ValueError, tarfile.TarError, zlib.error) as e:
            status = "problem"
            self.problems.append((m.path, parser or "", f"member cut short: {e}"))
        except (zipfile.BadZipFile, NotImplementedError, lzma.LZMAError) as e:  # a zip member: bad CRC, unknown compression
            status = "problem"
            self.problems.append((m.path, parser or "", f"unreadable zip member: {e}"))
        mtime = datetime.fromtimestamp(m.mtime, UTC) if m.mtime and m.mtime > 0 else None
        self.members.append({"snapshot_id": self.sid, "path": m.path, "kind": m.kind, "size": m.size, "mtime": mtime,
                             "link_target": m.link_target, "parser": parser, "records": n, "status": status})  # fmt: skip

    def _parse(self, m: Member, spec: SourceSpec) -> tuple[str, int]:
        data = m.read(MAX_PARSE_BYTES + 1)
        if len(data) > MAX_PARSE_BYTES:
            self.problems.append((m.path, spec.name, f"larger than {MAX_PARSE_BYTES} bytes: not parsed"))
            return "problem", 0
        if m.path == "manifest.json":
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

    def _journal(self, m: Member) -> int:
        source = "dmesg" if m.path.endswith("dmesg.txt") else "runtime-log" if "/rancher/" in m.path else "syslog" if "/var/log/" in m.path else "journal"
        year = self.info.started_at.year if self.info.started_at else None
        notes = ReadNotes([])
        with m.open() as f:
            n = load_journal(self.con, f, JournalMeta(self.sid, None, m.path, source), year, notes)
        self._note_cuts(m.path, "journal", notes)
        self.log_lines += n
        return n

    # -------------------------------------------------------------- finish

    def finish(self) -> None:
        ids = []
        for lf in self.logs.finish():
            self.records.append((self.log_members.get(lf.path, lf.path), lf))
            self.log_lines += lf.line_count or 0
            ids.append(lf.file_id or 0)
        # this bundle's log files have consecutive ids: the range lets DuckDB skip every other bundle's lines
        self.file_range = (min(ids), max(ids)) if ids else (0, -1)
        node, hostname = self._node_identity()
        facts = {r.key: r.value for _m, r in self.records if isinstance(r, HostFact)}
        collected = self.info.started_at
        epoch = facts.get("clock.epoch") or ""
        if collected is None and epoch.isdigit():
            collected = parse_time(epoch)
        offset = _utc_offset(facts.get("clock.local"))
        self._derive_times(collected)
        self.store.insert_member_records(self.sid, node, self.records)
        self.con.execute("UPDATE journal SET node = ? WHERE snapshot_id = ?", [node, self.sid])
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            # syslog stamps were read as local time: shift them to UTC by the node's offset
            self.con.execute("UPDATE journal SET ts = ts - to_minutes(?) WHERE snapshot_id = ? AND source = 'syslog' AND ts IS NOT NULL", [minutes, self.sid])
            # so were the zone-less stamps that start lines of plain-text logs (2023-10-04 01:30:00 ...)
            if minutes:
                self.con.execute(
                    f"""UPDATE log_lines SET ts = ts - to_minutes(?) WHERE file_id BETWEEN ? AND ?
                        AND file_id IN (SELECT file_id FROM log_files WHERE snapshot_id = ? AND format = 'text')
                        AND ts IS NOT NULL AND regexp_matches(message, '{ZONELESS_START}')""",
                    [minutes, *self.file_range, self.sid],
                )
        self._note_future(collected)
        role = self.info.role or ("control-plane" if any(isinstance(r, Sandbox) and (r.name or "").startswith("kube-apiserver") for _m, r in self.records) else None)
        self.store.insert_rows("snapshots", [{
            "snapshot_id": self.sid, "site": self.site, "node": node, "hostname": hostname, "role": role or "unknown",
            "kind": "bundle", "source": self.source, "bundle_name": self.name, "collected_at": collected,
            "finished_at": self.info.finished_at, "timezone": facts.get("clock.zone"),
            "utc_offset": (facts.get("clock.local") or "")[-5:] or None, "collector_version": self.info.collector_version,
            "format_version": self.info.format_version, "options": _json(self.info.options), "collected_by": self.info.user,
            "uid": self.info.uid, "runtime_kind": self.info.runtime_kind, "runtime_endpoint": self.info.runtime_endpoint,
            "crictl_calls": self.info.crictl_calls, "missing_commands": self.info.missing, "redactions": self.info.redactions,
            "ingested_at": datetime.now(UTC), "kubesnap_version": __version__,
        }])  # fmt: skip
        if not any(m["path"] == "manifest.json" for m in self.members):
            self.problems.append(("manifest.json", "", "the bundle has no manifest.json: collection details unknown, node name taken from the data"))
        self.store.insert_rows("members", self.members)
        self.store.insert_rows("ingest_problems", [
            {"snapshot_id": self.sid, "bundle": self.label, "member": m, "parser": p, "reason": r, "line": None} for m, p, r in self.problems
        ])  # fmt: skip
        correlate(self.con, self.sid)
        self.con.execute("COMMIT")
        self.report.snapshots.append(self.sid)
        self.report.bundles += 1
        self.report.records += len(self.records)
        self.report.log_lines += self.log_lines
        self.report.problems.extend((self.label, m, r) for m, _p, r in self.problems)

    def _note_future(self, collected: datetime | None) -> None:
        """Lines dated more than a day after the bundle was collected: a clock or a zone is wrong somewhere; kept as written."""
        limit = before(collected, -86400) if collected is not None else None
        if limit is None:
            return
        for member, n, latest in self.con.execute(
            """SELECT f.member, count(*), max(l.ts) FROM log_lines l JOIN log_files f USING (file_id)
               WHERE l.file_id BETWEEN ? AND ? AND f.snapshot_id = ? AND l.ts > ? GROUP BY 1
               UNION ALL SELECT member, count(*), max(ts) FROM journal WHERE snapshot_id = ? AND ts > ? GROUP BY 1 ORDER BY 1""",
            [*self.file_range, self.sid, limit, self.sid, limit],
        ).fetchall():
            self.problems.append((member, "", f"{n} line(s) dated after the bundle was collected (up to {latest:%Y-%m-%d %H:%M:%S}Z): "
                                              "a clock or a time zone is wrong; times kept as written"))  # fmt: skip

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


def ingest_loose(store: Store, label: str, name: str, data: bytes, site: str, node: str | None, report: IngestReport) -> None:
    """A pasted capture: recognized by content, stored in the node's (or the cluster's) loose snapshot."""
    con = store.con
    load_parsers()
    problems: list[tuple[str, str, str]] = []
    text = decode(data[:65536])
    spec, score = sniff(text)
    bulk_kind = None
    if spec is None or score < 50:
        fmt = sniff_format(data[:65536])
        if fmt in ("cri", "docker-json", "timestamped"):
            bulk_kind = "log"
        elif sniff_journal(data[:65536]):
            bulk_kind = "journal"
        elif _is_text(data):
            # a component's own log (etcd, kube-apiserver, ...) or any other text: searchable lines
            bulk_kind = "log"
            if text.lstrip()[:1] in ("{", "["):
                try:
                    for _v in json_values(decode(data)):
                        pass
                    problems.append((name, "", "JSON of a kind Kubesnap does not read: kept as text"))
                except (ParseError, SkipSource) as e:
                    problems.append((name, "", f"{e}: kept as text"))
        else:
            report.problems.append((label, name, "not text, and not a capture Kubesnap recognizes"))
            return
    scope = spec.scope if spec is not None and bulk_kind is None else "node"
    owner = node if scope == "node" else None
    if scope == "node" and not node:
        owner = "unknown"
        problems.append((name, spec.name if spec else bulk_kind or "", "a node-level capture without --node: stored under node 'unknown'"))
    sid = snapshot_id(site, f"loose\0{owner or 'cluster'}")
    con.execute("BEGIN TRANSACTION")
    try:
        store.delete_snapshot(sid, member=name)
        if not con.execute("SELECT 1 FROM snapshots WHERE snapshot_id = ?", [sid]).fetchall():
            store.insert_rows("snapshots", [{"snapshot_id": sid, "site": site, "node": owner or "cluster", "hostname": None,
                                             "role": "unknown", "kind": "loose", "source": label, "bundle_name": None,
                                             "ingested_at": datetime.now(UTC), "kubesnap_version": __version__}])  # fmt: skip
        n = 0
        parser = spec.name if spec and bulk_kind is None else bulk_kind
        status = "parsed"
        if bulk_kind == "log":
            import io

            lf = LogLoader(con).load(io.BytesIO(data), {"path": name, "layout": "loose", "bytes": len(data), "size": len(data)})
            store.insert_records(sid, owner, name, [lf])
            n = lf.line_count or 0
            report.log_lines += n
        elif bulk_kind == "journal":
            import io

            n = load_journal(con, io.BytesIO(data), JournalMeta(sid, owner, name, "journal"))
            report.log_lines += n
        else:
            assert spec is not None
            status, recs = run_parser(spec, name, data, problems)
            store.insert_records(sid, owner, name, recs)
            n = len(recs)
            report.records += n
        store.insert_rows("members", [{"snapshot_id": sid, "path": name, "kind": "file", "size": len(data), "mtime": None,
                                       "link_target": None, "parser": parser, "records": n, "status": status}])  # fmt: skip
        store.insert_rows("ingest_problems", [{"snapshot_id": sid, "bundle": label, "member": m, "parser": p, "reason": r, "line": None} for m, p, r in problems])
        if scope == "node":
            correlate(con, sid)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.loose_files += 1
    if sid not in report.snapshots:
        report.snapshots.append(sid)
    report.problems.extend((label, m, r) for m, _p, r in problems)


def _is_text(data: bytes) -> bool:
    head = data[:65536]
    if not head.strip() or b"\x00" in head:
        return False
    return control_bytes(head) * 100 < len(head)


# ------------------------------------------------------------------ driver


def ingest(
    store: Store,
    inputs: list[Path],
    *,
    site: str = "default",
    node: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Every input; node tarballs in parallel (one thread and one DuckDB connection each: decompression,
    DuckDB and numpy release the GIL), a folder's other files and loose captures after them, in order."""
    load_parsers()
    report = IngestReport()
    archives: list[Path] = []
    rest: list[tuple[Path, bool]] = []
    for path in inputs:
        if path.is_dir():
            found = _archives_below(path)
            archives += found
            rest.append((path, bool(found)))
        elif path.is_file() and path.suffix != "" and is_archive(path.name):
            archives.append(path)
        else:
            rest.append((path, False))
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers > 1 and len(archives) > 1:
        _parallel(store, archives, site, node, limits, progress, report, workers)
    else:
        rest = [(a, False) for a in archives] + rest
    for path, skip_archives in rest:
        _ingest_path(store, path, site, node, limits, progress, report, skip_archives=skip_archives)
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


_LOOSE_LOCK = threading.Lock()  # loose captures of one node share a snapshot: one writer at a time


def _parallel(store: Store, archives: list[Path], site: str, node: str | None, limits: Limits | None,
              progress: Callable[[str], None] | None, report: IngestReport, workers: int) -> None:  # fmt: skip
    lock = threading.Lock()
    retry: list[Path] = []

    def job(path: Path) -> None:
        mine = IngestReport()
        view = store.cursor_store()
        try:
            _ingest_path(view, path, site, node, limits, progress, mine)
        except duckdb.TransactionException:
            with lock:
                retry.append(path)  # a write conflict with another bundle's transaction: done again alone
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
    for path in retry:
        _ingest_path(store, path, site, node, limits, progress, report)


def _ingest_path(
    store: Store,
    path: Path,
    site: str,
    node: str | None,
    limits: Limits | None,
    progress: Callable[[str], None] | None,
    report: IngestReport,
    skip_archives: bool = False,
) -> None:
    """One input: bundles are committed as they end; members of one bundle must be contiguous."""
    current: BundleIngest | None = None
    current_key: str | None = None
    done: set[str] = set()

    def close() -> None:
        nonlocal current, current_key
        if current is not None:
            current.finish()
            done.add(current_key or "")
            current, current_key = None, None

    try:
        own = store.path.resolve()
        exclude = frozenset({own, own.with_name(own.name + ".wal"), own.with_name(own.name + ".tmp")})
        for item in iter_input(path, limits, skip_archives=skip_archives, exclude=exclude):
            if isinstance(item, Problem):
                if current is not None:
                    current.problems.append((item.member, "", item.reason))
                else:
                    report.problems.append((str(path), item.member, item.reason))
                continue
            key, root, member = item
            if root is None:
                close()
                if OBFUSCATION_FILES.search(member.path):
                    report.problems.append((str(path), member.path, "an obfuscation mapping or key of the collector: not read (it stays on the customer's site)"))
                    continue
                if member.kind == "file":
                    with member.open() as f:
                        data = f.read(MAX_PARSE_BYTES + 1)
                    name = member.path if not path.is_file() or member.path != path.name else path.name
                    with _LOOSE_LOCK:
                        ingest_loose(store, str(path), name, data[:MAX_PARSE_BYTES], site, node, report)
                continue
            if key != current_key:
                close()
                if key in done:
                    report.problems.append((key, member.path, "bundle members are not contiguous in the archive: later ones ignored"))
                    continue
                if progress:
                    progress(f"bundle {key}")
                current = BundleIngest(store, key, root, site, str(path), report)
                current_key = key
            assert current is not None
            current.feed(member)
        close()
    except BaseException:
        if current is not None:
            current.abort()
        raise
