"""The library surface the CLI calls: ingest, query, analyze."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.bundle import Limits
from analyzer.errors import DatabaseError, NothingIngestible, UsageError
from analyzer.layout import Layout
from analyzer.layouts import load_layouts
from analyzer.registry import SourceSpec, load_parsers
from analyzer.rules import Finding, Rule, Thresholds, finding_rows, load_rules, run_rules, sort_findings
from analyzer.sanitize import cell, json_dumps
from analyzer.store import Store

if TYPE_CHECKING:  # ingest (parsers, bulk loaders, index) is imported by the verbs that ingest, not by every verb
    from analyzer.ingest import IngestReport


def parse_now(text: str) -> datetime:
    """--now: ISO 8601 (UTC when it has no offset) or what `date` prints, with a zone it names."""
    from analyzer.pastefmt import date_output_iso
    from analyzer.timeparse import parse_time

    when = parse_time(date_output_iso(text) or text)
    if when is None or text.strip().isdecimal():
        raise UsageError(f"--now {cell(text)}: not a time (give ISO 8601, e.g. 2024-12-05T10:00:00Z, or what `date` prints)")
    return when


def resolve_db(db: str | None) -> Path:
    db = db or os.environ.get("KUBESNAP_DB")
    if not db:
        raise UsageError("no database: give --db FILE or set KUBESNAP_DB")
    return Path(db)


def ingest_inputs(
    db: Path,
    inputs: Sequence[Path],
    *,
    site: str = "default",
    node: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    now: datetime | None = None,
    year: int | None = None,
) -> IngestReport:
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise UsageError(f"no such input: {', '.join(missing)}")
    with Store(db) as store:
        from analyzer.ingest import When, ingest

        report = ingest(store, list(inputs), site=site, node=node, limits=limits, progress=progress, workers=workers, when=When(now, year))
    if not report.ingested:
        reasons = "; ".join(f"{m or w}: {r}" for w, m, r in report.problems[:5]) or "no bundle, no recognizable capture"
        raise NothingIngestible(f"nothing could be ingested ({reasons})")
    return report


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def query(db: Path, sql: str, params: Sequence[object] | None = None) -> QueryResult:
    with Store(db, read_only=True) as store:
        cols, rows = store.query(sql, params)
    return QueryResult(cols, rows)


def _plain(v: object) -> object:
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def format_result(res: QueryResult, fmt: str) -> str:
    """json: exact (control and format characters as JSON escapes); table and csv: for the eyes, every value
    escaped as a cell (analyzer.sanitize), so that one row is one line and a csv stays one record per line."""
    if fmt == "json":
        return json_dumps([{c: _plain(v) for c, v in zip(res.columns, r, strict=True)} for r in res.rows], indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([cell(c) for c in res.columns])
        for r in res.rows:
            w.writerow(["" if v is None else _cell(v) for v in r])
        return buf.getvalue()
    return table(res.columns, [[_cell(v) for v in r] for r in res.rows])


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ") if v.utcoffset() is not None and not v.utcoffset() else v.isoformat()
    if isinstance(v, (list, dict)):
        return cell(json.dumps(_plain(v), ensure_ascii=False))
    return cell(v)


def table(columns: list[str], rows: list[list[str]]) -> str:
    """A kubectl-style table: columns padded with three spaces, no borders; every cell escaped (analyzer.sanitize)."""
    columns = [cell(c) for c in columns]
    rows = [[cell(c) for c in r] for r in rows]
    widths = [len(c) for c in columns]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    out = []
    for r in [columns, *rows]:
        cells = [c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)]
        out.append("   ".join(cells).rstrip())
    return "\n".join(out) + "\n"


def sources() -> list[SourceSpec]:
    return sorted(load_parsers().values(), key=lambda s: s.name)


def layouts() -> list[Layout]:
    """Every declared bundle layout, Kubesnap's first."""
    return list(load_layouts().values())


def readers_of(name: str) -> list[str]:
    """The member patterns, in every layout, that a source reads."""
    return [f"{lay.name}:{e.pattern}" for lay in layouts() for e in lay.entries if e.reader == name]


@dataclass
class MemberReport:
    bundle: str  # the input, and the bundle's folder inside it ("" for a loose file)
    path: str
    kind: str
    size: int
    state: str  # read, raw, not understood
    reader: str | None
    rows: int
    reason: str | None  # raw: why kept unread; not understood: the problems naming it


def bundle_members(bundle: Path, limits: Limits | None = None) -> tuple[list[MemberReport], list[tuple[str, str, str]]]:
    """Each member of a bundle (or of each bundle of an archive or folder) with the state it ends in, by ingesting
    it into a throw-away database; and the problems of the input as a whole."""
    if not bundle.exists():
        raise UsageError(f"no such input: {bundle}")
    with tempfile.TemporaryDirectory(prefix="kubesnap-sources-") as tmp, Store(Path(tmp) / "sources.duckdb") as store:
        from analyzer.ingest import ingest

        report = ingest(store, [bundle], site="sources", limits=limits, workers=1)
        rows = store.con.execute(
            """SELECT coalesce(s.source, ''), m.path, m.kind, coalesce(m.size, 0), m.state, m.parser, coalesce(m.records, 0),
                      coalesce(m.reason, (SELECT string_agg(p.reason, '; ' ORDER BY p.reason) FROM v_ingest_problems p
                                          WHERE p.snapshot_id = m.snapshot_id AND p.member = m.path))
               FROM v_members m JOIN v_snapshots s USING (snapshot_id) ORDER BY 1, 2""").fetchall()  # fmt: skip
        known = {(str(r[0]), str(r[1])) for r in rows}
        # problems about members that never made a members row (a device file, a cut archive) stay problems of the input
        rest = [(w, m, r) for w, m, r in report.problems if (w, m) not in known]
    return [MemberReport(*r) for r in rows], rest
def coverage(con: Any, site: str | None = None) -> list[dict[str, Any]]:
    """Per bundle: the facts its format cannot provide or it does not hold (analyzer.formats.coverage)."""
    from analyzer.formats import coverage as of_bundles

    return of_bundles(con, site)


def formats_table() -> list[list[str]]:
    """The other tools' bundle formats Kubesnap reads (analyzer.formats), and the facts each cannot provide."""
    from analyzer.formats import FACTS, formats

    return [[name, f.scope, "; ".join(f"{FACTS[k]}: {v}" for k, v in f.lacks.items()) or "-"] for name, f in sorted(formats().items())]


def bundle_account(db: Path, site: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every member of the other tools' bundles of a database (read, kept raw, not understood) and each bundle's coverage."""
    from analyzer.formats import coverage, member_account

    if not db.exists():
        raise DatabaseError(f"{db}: no such database")
    with Store(db, read_only=True) as store:
        return member_account(store.con, site), coverage(store.con, site)


def check(db: Path, site: str | None = None, thresholds: Thresholds | None = None) -> tuple[str, list[tuple[Rule, Finding]]]:
    """Run every rule on a site of the database and store the findings (table `findings`); most severe first."""
    if not db.exists():
        raise DatabaseError(f"{db}: no such database")
    with Store(db) as store:
        site = store.pick_site(site)
        found = run_rules(store.con, site, thresholds)
        store.replace_findings(site, finding_rows(site, found))
    return site, sort_findings(found)


def is_database(p: Path) -> bool:
    if not p.is_file():
        return False
    with open(p, "rb") as f:
        return f.read(12)[8:12] == b"DUCK"


@contextmanager
def checked_database(path: Path, site: str | None) -> Iterator[Path]:
    """A database as it is, or bundles / captures ingested into a throw-away one and checked (findings stored)."""
    if is_database(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="kubesnap-diff-") as tmp:
        db = Path(tmp) / "side.duckdb"
        ingest_inputs(db, [path], site=site or "default")
        check(db, site)
        yield db


def rules() -> list[Rule]:
    return sorted(load_rules().values(), key=lambda r: (r.category, r.id))
