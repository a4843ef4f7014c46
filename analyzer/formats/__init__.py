"""Other tools' bundles (issue 18): kubectl cluster-info dump, Replicated troubleshoot, sosreport,
oc adm must-gather, Rancher's log collector, kubespray collect-info.

Each format is one module of this package: its Layout (analyzer.layout: member pattern -> reader,
tables, the command that wrote it, or RAW with a reason), a detector that looks at the input's
tree and at the first bytes of its members (never at the input's name alone), and what the format
cannot provide (its coverage account). Ingest is the same BundleIngest as for Kubesnap's own
bundles, so the rows land in the same tables; only the member dispatch is the layout's.

    fmt = detect(path, limits)          # None: not another tool's bundle
    ingest_foreign(store, path, fmt, site=..., report=...)
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer.bulk import JournalMeta, ReadNotes
from analyzer.bundle import (
    BUNDLE_NAME,
    MEMBER_READ_ERRORS,
    BombProblem,
    Limits,
    Member,
    MemberProblem,
    Problem,
    iter_input,
    uncompressing,
)
from analyzer.layout import (
    JOURNALS,
    KEPT_RAW,
    LINK_REASON,
    NOT_UNDERSTOOD,
    POD_LOGS,
    RAW,
    READ,
    Entry,
    Layout,
    _glob_rx,
)
from analyzer.models import Record
from analyzer.registry import import_submodules, load_parsers

# a member with one of these suffixes, read by a reader (not kept raw), is decompressed first (a gzipped journal)
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")

HEAD = 4096  # bytes of each member the detectors see
PREFETCH = (
    8 * 1024 * 1024
)  # a member a format needs before the others (Rancher's pod table) is kept up to this
MAX_HEADS = 50_000  # members whose head is kept for detection
LOOSE_HELD = 64 * 2**20  # bytes of small loose members the detection pass keeps for the ingest (one pass, not two)
GATE = 64  # a Kubesnap bundle is told by its folder name within its first members: the scan stops there
MAX_READ = 256 * 1024 * 1024

# facts a bundle can hold; a format that cannot provide one says why (shown by `sources --db`, the report, findings)
FACTS: dict[str, str] = {
    "api": "API objects (pods, nodes, events)",
    "container-logs": "container logs",
    "runtime": "runtime containers and sandboxes (crictl)",
    "processes": "process list",
    "journals": "kubelet / runtime journals",
    "node-files": "node files (static manifests, kubelet config)",
}


@dataclass
class Listing:
    """What the detection pass saw of an input: member paths (relative to the input), kinds, first bytes."""

    label: str
    paths: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    heads: dict[str, bytes] = field(default_factory=dict)
    single: bool = False  # the input is one plain file
    # When every member was a small loose file read whole and nothing was amiss (no problem, no bundle
    # root, no link): the members themselves, so that the ingest of such an input needs no second pass.
    loose: list[Member] | None = field(default_factory=list)
    loose_bytes: int = 0
    newest: float | None = None  # the newest member's mtime (of an archive: when its tool wrote it)

    def head(self, path: str) -> bytes:
        return self.heads.get(path, b"")

    def dirs_with(self, name: str) -> list[str]:
        """Folders (relative to the input, '' for its top) that hold a member or folder `name`."""
        out: set[str] = set()
        for p in self.paths:
            parts = p.split("/")
            for i, part in enumerate(parts):
                if part == name:
                    out.add("/".join(parts[:i]))
        return sorted(out)

    def under(self, root: str) -> list[str]:
        pre = root + "/" if root else ""
        return [p[len(pre) :] for p in self.paths if p.startswith(pre)]


@dataclass(frozen=True)
class Unit:
    """One bundle of a format inside an input: its root folder, and (for archives of several nodes) its group."""

    root: str
    group: str = ""


@dataclass
class Found:
    fmt: Format
    units: list[Unit]
    listing: Listing
    skip_archives: bool = False

    def keeps(self, rel: str) -> bool:
        """Whether an archive in a folder (its path from the folder) is one of this bundle's members (kept as its layout
        says, not read as an input of its own): below a unit's root ('' when the folder itself is the bundle), where an
        entry of the layout names it (a must-gather's nodes/<node>/sysinfo.tgz; not another tool's tarball beside it)."""
        for u in self.units:
            pre = u.root + "/" if u.root else ""
            if rel.startswith(pre) and self.fmt.layout.classify(rel[len(pre) :]) is not None:
                return True
        return False


Reader = Callable[["ForeignIngest", Member, str, Entry], tuple[str, int]]


@dataclass(frozen=True)
class Format:
    layout: Layout
    sniff: Callable[[Listing], tuple[int, list[Unit]]]  # confidence 0..100 and the bundles found
    scope: str  # cluster (an API dump) or node (one node's files)
    lacks: dict[str, str]  # fact -> why this format cannot provide it
    title: str = ""
    log_meta: Callable[[str], dict[str, Any] | None] | None = None  # POD_LOGS members: what the path says
    readers: dict[str, Reader] = field(default_factory=dict)  # readers of this format alone
    group_of: Callable[[str], str] | None = None  # member (relative to the root) -> its group (node)
    info: Callable[[Listing, Unit], dict[str, Any]] | None = None  # node, hostname, version from the listing
    prefetch: tuple[
        str, ...
    ] = ()  # members (glob below any folder) the detection pass keeps whole (up to PREFETCH bytes)


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    if fmt.layout.name in FORMATS:
        raise ValueError(f"format {fmt.layout.name} registered twice")
    FORMATS[fmt.layout.name] = fmt
    return fmt


def formats() -> dict[str, Format]:
    import_submodules("analyzer.formats")
    return FORMATS


# ------------------------------------------------------------------ detection


def _full(label: str, key: str, root: str | None, m: Member) -> str:
    """A member's path relative to the input, whatever bundle root the walker saw in it."""
    if root is None:
        return m.path
    rest = key[len(label) + 1 :] if key != label and key.startswith(label + "/") else ""
    return f"{rest}/{m.path}" if rest else m.path


def _kubesnap(full: str, head: bytes) -> bool:
    parts = full.split("/")
    if any(BUNDLE_NAME.match(p) for p in parts[:-1]):
        return True
    return (
        len(parts) <= 2
        and parts[-1] == "manifest.json"
        and b'"format_version"' in head
        and b'"collector_version"' in head
    )


def scan(path: Path, limits: Limits | None = None, skip_archives: bool = False) -> Listing | None:
    """The detection pass: member paths and heads. None when the input is a Kubesnap bundle (told early)."""
    listing = Listing(str(path), single=path.is_file())
    label = str(path)
    whole = [_glob_rx("**/" + p) for f in formats().values() for p in f.prefetch]
    for item in iter_input(path, limits, skip_archives=skip_archives):
        if isinstance(item, Problem):
            listing.loose = None  # said by the ingest's own pass
            continue
        key, root, m = item
        full = _full(label, key, root, m)
        if listing.loose is not None and (root is not None or m.kind != "file" or m.size > HEAD
                                          or listing.loose_bytes + m.size > LOOSE_HELD):  # fmt: skip
            listing.loose = None
        head = b""
        keep = m.kind == "file" and len(listing.heads) < MAX_HEADS
        if keep or listing.loose is not None:
            try:
                head = m.read(PREFETCH if any(rx.fullmatch(full) for rx in whole) else HEAD)
            except MEMBER_READ_ERRORS:
                listing.loose = None
            if keep:
                listing.heads[full] = head
            if listing.loose is not None and len(head) == m.size:
                listing.loose.append(Member(m.path, "file", m.size, m.mtime, None, lambda h=head: io.BytesIO(h)))
                listing.loose_bytes += m.size
            else:
                listing.loose = None
        if len(listing.paths) < GATE and _kubesnap(full, head):
            return None
        listing.paths.append(full)
        listing.kinds[full] = m.kind
        if m.mtime is not None and (listing.newest is None or m.mtime > listing.newest):
            listing.newest = m.mtime
    return listing


def detect(path: Path, limits: Limits | None = None, skip_archives: bool = False) -> Found | None:
    """The format of another tool's bundle in `path` (archive, folder or a single stream), or None."""
    return detect_listing(path, limits, skip_archives)[0]


def detect_listing(path: Path, limits: Limits | None = None, skip_archives: bool = False) -> tuple[Found | None, Listing | None]:
    """detect, and what the detection pass saw (None when it stopped early: a Kubesnap bundle)."""
    if path.is_dir() and (BUNDLE_NAME.match(path.name) or (path / "manifest.json").is_file()
                          or any(BUNDLE_NAME.match(p.name) for p in path.iterdir())):  # fmt: skip
        return None, None
    listing = scan(path, limits, skip_archives)
    if listing is None or not listing.paths:
        return None, listing
    best: tuple[int, Format, list[Unit]] | None = None
    for fmt in formats().values():
        score, units = fmt.sniff(listing)
        if units and score >= 50 and (best is None or score > best[0]):
            best = (score, fmt, units)
    if best is None:
        return None, listing
    return Found(best[1], best[2], listing, skip_archives), listing


# ------------------------------------------------------------------ ingest


def _hashing_opener(opener: object, h: Any, opened: list[Any]) -> Any:
    from analyzer.ingest import _hashing_opener as ho

    return ho(opener, h, opened)


def _ingest_cls() -> type[Any]:
    from analyzer.ingest import BundleIngest

    return BundleIngest


def ingest_foreign(store: Any, path: Path, found: Found, *, site: str, report: Any, limits: Limits | None = None,
                   claims: Any = None, progress: Callable[[str], None] | None = None) -> None:  # fmt: skip
    """Each bundle found in the input: its members through BundleIngest, dispatched by the format's layout."""
    from analyzer.ingest import snapshot_id, strip_archive

    load_parsers()
    fmt = found.fmt
    label = str(path)
    base = strip_archive(path.name)
    for unit in found.units:
        name = (
            f"{fmt.layout.name}:{base}"
            + (f"/{unit.root}" if unit.root else "")
            + (f":{unit.group}" if unit.group else "")
        )
        if progress:
            progress(f"{fmt.layout.name} bundle {name}")
        ing = ForeignIngest(
            store, f"{label}/{unit.root}" if unit.root else label, name, site, label, report, claims
        )
        ing.setup(fmt, unit, found.listing)
        ing.limits = limits
        try:
            pre = unit.root + "/" if unit.root else ""
            keep = found.keeps if path.is_dir() else None
            for item in iter_input(path, limits, skip_archives=found.skip_archives, keep=keep):
                if isinstance(item, Problem):
                    ing.problems.append((item.member, "", item.reason))
                    continue
                key, root, m = item
                full = _full(label, key, root, m)
                if pre and not full.startswith(pre):
                    continue
                rel = full[len(pre) :]
                if unit.group and fmt.group_of is not None:
                    g = fmt.group_of(
                        rel
                    )  # a member of no group (outside every host's folder) goes with the first
                    if g != unit.group and not (g == "" and unit == found.units[0]):
                        continue
                m.path = rel
                ing.feed(m)
            ing.finish()
        except BaseException:
            ing.abort()
            raise
        assert ing.sid == snapshot_id(site, strip_archive(name))


class ForeignIngest(_ingest_cls()):  # type: ignore[misc]
    """BundleIngest whose members are dispatched by a format's layout instead of Kubesnap's paths."""

    expects_manifest = False
    limits: Limits | None = None  # the input's caps (a gzipped member's decompression is bounded by them)

    def after_records(self) -> None:
        # a cluster bundle's journals of several hosts in one file (a must-gather's host_service_logs/masters/*): each line
        # on the API node its host names (ip-10-0-195-177 is ip-10-0-195-177.ec2.internal), not on 'cluster'
        if self.fmt.scope == "cluster":
            self.con.execute(
                """UPDATE journal j SET node = n.name FROM (SELECT DISTINCT name FROM api_nodes WHERE snapshot_id = $sid) n
                   WHERE j.snapshot_id = $sid AND j.host IS NOT NULL AND (n.name = j.host OR starts_with(n.name, j.host || '.'))""",
                {"sid": self.sid},
            )

    def setup(self, fmt: Format, unit: Unit, listing: Listing) -> None:
        self.fmt = fmt
        self.unit = unit
        self.listing = listing
        self.rel_paths = listing.under(unit.root)
        info = fmt.info(listing, unit) if fmt.info else {}
        self.info.node = info.get("node") or ("cluster" if fmt.scope == "cluster" else None)
        self.info.hostname = info.get("hostname")
        self.info.started_at = info.get("collected")
        self.info.collector_version = f"{fmt.layout.name} {info.get('version') or ''}".strip()
        self.info.options = {"format": fmt.layout.name}
        self.info.role = info.get("role")
        self.extra: dict[str, Any] = {}

    def feed(self, m: Member) -> None:
        status, parser, n = "unknown", None, 0
        content = hashlib.sha256()
        opened: list[Any] = []
        if m.kind == "file":  # the member's one stream hashes what is read, and the rest when closed
            m._open = _hashing_opener(m._open, content, opened)
            # every read goes through that stream: a read at once past it (Member.read) moved a tar's stream on, and
            # the stream opened after it to hash the rest had to seek back ("seeking backwards is not allowed")
            m._read = None
        entry = self.fmt.layout.classify(m.path)
        if entry is not None and entry.reader != RAW and m.path.endswith(COMPRESSED_SUFFIXES):
            uncompressing(m, self.limits)  # a gzipped journal or log: read as the text it holds
        try:
            if m.kind == "symlink":
                status = "link"  # the member it points to is read (or reported) on its own
            elif m.kind != "file":
                status = "skipped"
                self.problems.append((m.path, "", f"{m.kind}: not read"))
            elif entry is None:
                status = "unknown"
                self.problems.append(
                    (
                        m.path,
                        "",
                        f"not understood: no entry of the {self.fmt.layout.name} layout reads this member",
                    )
                )
            elif entry.reader == RAW:
                status, parser = "raw", RAW
            else:
                parser = entry.reader
                status, n = self._dispatch(m, entry)
        except MEMBER_READ_ERRORS as e:
            status = "problem"
            self.problems.append((m.path, parser or "", f"member cut short: {e}"))
        if m.kind == "file" and not opened:
            try:
                with (
                    m.open()
                ):  # a member nothing read: its bytes are part of the bundle's content all the same
                    pass
            except MEMBER_READ_ERRORS as e:
                if status != "problem":
                    self.problems.append((m.path, parser or "", f"member cut short: {e}"))
                    status = "problem"
        self.hashes.append(
            f"{m.path}\0{m.kind}\0{m.size}\0{m.mtime}\0{m.link_target}\0".encode("utf-8", "surrogateescape")
            + content.digest()
        )
        mtime = datetime.fromtimestamp(m.mtime, UTC) if m.mtime and m.mtime > 0 else None
        # (the state Kubesnap's own bundles give their members: `sources --bundle` reads it)
        # (a link is never followed: its target, if a member, is read on its own; a journal replaced by a link is not)
        state = (KEPT_RAW if status in ("raw", "link") else READ if status in ("parsed", "empty") or (status == "problem" and n)
                 else NOT_UNDERSTOOD)  # fmt: skip
        self.members.append({"snapshot_id": self.sid, "path": m.path, "kind": m.kind, "size": m.size, "mtime": mtime,
                             "link_target": m.link_target, "parser": parser, "records": n, "status": status, "state": state,
                             "reason": LINK_REASON if status == "link" else entry.reason if status == "raw" and entry is not None else None})  # fmt: skip

    def _dispatch(self, m: Member, entry: Entry) -> tuple[str, int]:
        if entry.reader in self.fmt.readers:
            return self.fmt.readers[entry.reader](self, m, m.path, entry)
        if entry.reader == POD_LOGS:
            meta = self.fmt.log_meta(m.path) if self.fmt.log_meta else None
            if meta is None:
                self.problems.append(
                    (
                        m.path,
                        POD_LOGS,
                        "a container log whose pod and container its path does not tell: not read",
                    )
                )
                return "problem", 0
            self.add_log(m, meta)
            return "parsed", 1
        if entry.reader == JOURNALS:
            node = self._node_by_folder(m.path, entry)
            if node is None and entry.option("node") == "folder":
                self.problems.append((m.path, "journal", "its folder's name is not a possible node name: its lines go to the bundle's node, "
                                      f"{self.info.node or '?'}"))  # fmt: skip
            return self.add_journal(m, entry.option("source", "journal") or "journal", node=node)
        spec = load_parsers().get(entry.reader)
        if spec is None:
            self.problems.append((m.path, entry.reader, "the layout names a reader Kubesnap does not have"))
            return "problem", 0
        data = m.read(MAX_READ + 1)
        return self.parse_bytes(m.path, data, entry)

    # helpers the format readers use

    def parse_bytes(
        self, member: str, data: bytes, entry: Entry, reader: str | None = None
    ) -> tuple[str, int]:
        from analyzer.ingest import run_parser

        spec = load_parsers()[reader or entry.reader]
        if len(data) > MAX_READ:
            self.problems.append((member, spec.name, f"larger than {MAX_READ} bytes: not parsed"))
            return "problem", 0
        alias = entry.option("path") or (entry.option("prefix", "") or "") + member
        if entry.option("dir"):
            alias = f"{entry.option('dir')}{member.rsplit('/', 1)[-1]}"
        nul = data.find(b"\x00")
        if nul >= 0:
            self.problems.append(
                (
                    member,
                    spec.name,
                    f"binary bytes (NUL) at offset {nul}: the member is damaged; what parses is read",
                )
            )
        status, recs = run_parser(spec, alias, data, self.problems)
        if (
            not recs
            and status != "problem"
            and data.strip()
            and spec.name in ("kubectl-yaml", "kubectl-json")
            and b"items" not in data
        ):
            self.problems.append((member, spec.name, "no Kubernetes object or list in it: not read"))
            status = "problem"
        if alias != member:  # problems name the bundle's member, not the path the parser was shown
            self.problems[:] = [(member if p == alias else p, a, b) for p, a, b in self.problems]
        self.add_records(member, recs)
        return status, len(recs)

    def add_records(self, member: str, recs: Sequence[Record]) -> None:
        self.records += [(member, r) for r in recs]

    def add_log(self, m: Member | None, meta: dict[str, Any], data: bytes | None = None) -> None:
        """One container log: from a member's stream, or from bytes a reader cut out of one."""
        meta = {"layout": "kubectl-logs", **meta}
        meta.setdefault("bytes", len(data) if data is not None else (m.size if m else 0))
        meta.setdefault("size", meta["bytes"])
        if data is not None:
            import io

            notes = self.logs.add(io.BytesIO(data), meta)
        else:
            assert m is not None
            with m.open() as f:
                notes = self.logs.add(f, meta)
        self._note_cuts(meta.get("member") or (m.path if m else meta["path"]), "container-log", notes)
        self.log_members[meta["path"]] = meta.get("member") or (m.path if m else meta["path"])

    @staticmethod
    def _node_by_folder(path: str, entry: Entry) -> str | None:
        """The node a cluster bundle's journal is of, where its folder names it (entry option node=folder: a
        must-gather's nodes/<node>/<node>_logs_kubelet.gz); None when the name could not be a node's."""
        if entry.option("node") != "folder" or "/" not in path:
            return None
        name = path.rsplit("/", 2)[-2]
        ok = 0 < len(name) <= 253 and name[0].isalnum() and all(c.isascii() and (c.isalnum() or c in "-._") for c in name)
        return name.lower() if ok else None

    def add_journal(self, m: Member, source: str, node: str | None = None) -> tuple[str, int]:
        """A journal member's lines; a reading that fails on the way (a gzipped member cut short, a bomb) keeps the lines
        before it, counted, and says what stopped it."""
        notes = ReadNotes([])
        year = self.info.started_at.year if self.info.started_at else None  # (a syslog stamp has none: the gather's)
        status = "parsed"
        try:
            with m.open() as f:
                n = self.journals.add(f, JournalMeta(self.sid, node, m.path, source), year, notes)
        except MEMBER_READ_ERRORS as e:
            n, status = self.journals.added, "problem"
            said = str(e) if isinstance(e, MemberProblem) else f"member cut short: {e}"
            if isinstance(e, BombProblem):  # (its lines are its junk: none is kept, so that no verb drowns in them)
                self.journals.drop(self.sid, m.path)
                said, n = f"{said}: not read, the {n} lines before the limit dropped" if n else f"{said}: not read", 0
            self.problems.append((m.path, "journal", f"{said} ({n} lines read)" if n else said))
        self._note_cuts(m.path, "journal", notes)
        self.log_lines += n
        return status, int(n)


# ------------------------------------------------------------------ coverage


def coverage(con: Any, site: str | None = None) -> list[dict[str, Any]]:
    """Per bundle of another format: the facts its format cannot provide (and why), and those it could but
    this bundle does not hold. Kubesnap's own bundles: only the facts their data lacks."""
    checks = {
        "api": "SELECT count(*) FROM api_pods WHERE snapshot_id = ?",
        "container-logs": "SELECT count(*) FROM log_files WHERE snapshot_id = ? AND file_id IS NOT NULL",
        "runtime": "SELECT (SELECT count(*) FROM crictl_containers WHERE snapshot_id = $1) + (SELECT count(*) FROM crictl_sandboxes WHERE snapshot_id = $1)",
        "processes": "SELECT count(*) FROM processes WHERE snapshot_id = ?",
        "journals": "SELECT count(*) FROM journal WHERE snapshot_id = ?",
    }
    out: list[dict[str, Any]] = []
    rows = con.execute(
        "SELECT snapshot_id, site, node, bundle_name, coalesce(json_extract_string(options, '$.format'), 'kubesnap') FROM snapshots "
        "WHERE kind = 'bundle' AND (? IS NULL OR site = ?) ORDER BY site, bundle_name", [site, site]).fetchall()  # fmt: skip
    for sid, st, node, name, fname in rows:
        fmt = formats().get(fname)
        for fact, about in FACTS.items():
            if fmt is not None and fact in fmt.lacks:
                out.append({"snapshot_id": sid, "site": st, "node": node, "bundle": name, "format": fname, "fact": fact,
                            "about": about, "state": "not in format", "why": fmt.lacks[fact]})  # fmt: skip
                continue
            sql = checks.get(fact)
            if sql is None:
                continue
            (n,) = con.execute(sql, [sid]).fetchall()[0]
            if not n and (fmt is None or fmt.scope == "node" or fact in ("api", "container-logs")):
                out.append({"snapshot_id": sid, "site": st, "node": node, "bundle": name, "format": fname, "fact": fact,
                            "about": about, "state": "absent", "why": "this bundle holds none"})  # fmt: skip
    return out


def member_account(con: Any, site: str | None = None) -> list[dict[str, Any]]:
    """Every member of every bundle of another format: read (by which reader, rows), kept raw (why), or not understood
    (the ingest's problems with it). The state is the one the ingest stored (members.state, members.reason)."""
    rows = con.execute(
        """SELECT s.bundle_name, json_extract_string(s.options, '$.format') AS fmt, m.path, m.kind, m.state, m.parser, m.records,
                  m.reason, (SELECT string_agg(p.reason, '; ' ORDER BY p.reason) FROM v_ingest_problems p
                             WHERE p.snapshot_id = m.snapshot_id AND p.member = m.path) AS problems
           FROM v_members m JOIN v_snapshots s USING (snapshot_id)
           WHERE json_extract_string(s.options, '$.format') IS NOT NULL AND (? IS NULL OR s.site = ?) ORDER BY 1, 3""", [site, site]).fetchall()  # fmt: skip
    out = []
    for bundle, fname, path, kind, state, parser, n, reason, problems in rows:
        if state == KEPT_RAW:
            shown, why = "kept raw", reason or ""
        elif state == READ:
            shown, why = "read", f"{parser}: {n} rows" if n else f"{parser}: empty"
            if problems:
                why += f" (and: {problems})"
        else:
            shown, why = "not understood", problems or "no entry of the layout"
        out.append({"bundle": bundle, "format": fname, "member": path, "kind": kind, "state": shown, "why": why})
    return out


def missing_fact(con: Any, site: str, fact: str) -> list[str]:
    """The bundles of a site that cannot or do not provide `fact`; empty when every bundle does (or there are none)."""
    return [r["bundle"] for r in coverage(con, site) if r["fact"] == fact]


# ------------------------------------------------------------------ API objects of any shape


def api_records(
    ing: ForeignIngest, member: str, values: Sequence[Any], kind: str | None = None
) -> tuple[str, int]:
    """Records of API lists or objects already decoded; a list (or item) without `kind` takes `kind` (from the
    member's name or place in a stream) when given. Problems name the member."""
    from analyzer.parsers.kubectl_json import _items, _objects
    from analyzer.registry import ParseContext

    ctx = ParseContext(member, b"")
    fixed: list[Any] = []
    for v in values:
        if (
            kind
            and isinstance(v, dict)
            and "items" not in v
            and "Items" not in v
            and v.get("kind")
            and v.get("kind") not in (kind, f"{kind}List", "List")
        ):
            ing.problems.append(
                (
                    member,
                    "api",
                    f"holds a {str(v.get('kind'))[:64]} where a list of {kind} objects was expected (a failed request?): not read",
                )
            )
            continue
        if not isinstance(v, dict):
            ing.problems.append(
                (
                    member,
                    "api",
                    f"holds a JSON {type(v).__name__} where a list of objects was expected: not read",
                )
            )
            continue
        if kind and isinstance(v, dict) and isinstance(v.get("items"), list) and not v.get("kind"):
            v = {**v, "kind": f"{kind}List"}
        elif kind and isinstance(v, dict) and "items" not in v and not v.get("kind"):
            v = {**v, "kind": kind}
        fixed.append(v)
    recs = list(_objects(ctx, _items(ctx, fixed)))
    for line, reason in ctx.problems[:20]:
        ing.problems.append((member, "api", f"line {line}: {reason}" if line else reason))
    if len(ctx.problems) > 20:
        ing.problems.append((member, "api", f"{len(ctx.problems) - 20} more problems of this kind"))
    ing.add_records(member, recs)
    return ("parsed" if recs else "empty"), len(recs)


def json_member(ing: ForeignIngest, m: Member, reader: str) -> list[Any] | None:
    """The JSON values of a member, or None (a problem naming the member) when it is not JSON."""
    from analyzer.errors import ParseError, SkipSource
    from analyzer.parsers import json_values
    from analyzer.textutil import decode

    data = m.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        ing.problems.append((m.path, reader, f"larger than {MAX_READ} bytes: not parsed"))
        return None
    text = decode(data)
    try:
        return list(json_values(text))
    except SkipSource:
        return []
    except ParseError as e:
        salvaged = salvage_list(text)
        if salvaged is None:
            ing.problems.append((m.path, reader, str(e)))
            return None
        n = len(salvaged.get("items") or salvaged.get("Items") or [])
        ing.problems.append((m.path, reader, f"{e}: the {n} complete item(s) before the damage were read"))
        return [salvaged]


ITEMS_KEY = re.compile(r'"(?:items|Items)"\s*:\s*\[')
KIND_KEY = re.compile(r'"kind"\s*:\s*"([A-Za-z]{1,64})"')


def salvage_list(text: str, start: int = 0) -> dict[str, Any] | None:
    """The complete items of a JSON list document cut short or broken part-way (a truncated download):
    {"kind": <the list's kind when it comes before its items>, "items": [...]}; None when no item array starts."""
    from analyzer.budgets import json_too_big, json_too_deep

    m = ITEMS_KEY.search(text, start, start + 65536)
    if m is None or json_too_deep(text[: 1 << 26]) or json_too_big(text):
        return None
    km = KIND_KEY.search(text, start, m.start())
    dec = json.JSONDecoder()
    i, n, items = m.end(), len(text), []
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            break
        try:
            v, i = dec.raw_decode(text, i)
        except (ValueError, RecursionError):
            break
        items.append(v)
    out: dict[str, Any] = {
        "Items" if m.group(0).startswith('"I') else "items": items
    }  # the key as written (Go shape: Items)
    if km:
        out["kind"] = km.group(1)
    return out
