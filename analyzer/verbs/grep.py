"""`kubesnap grep`: search every container log, journal and syslog line of a site.

The search index built at ingest (analyzer/grepindex.py) picks the blocks of lines that may match; the
pattern is then run by RE2 (DuckDB's regexp functions, linear in the text) on those lines only. A pattern
the index cannot narrow (`.`, `\\d+`) is run on every line, still by RE2. Each hit cites its node, the
bundle member it was read from and its line number there (for a joined partial record, its first line).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
import re2

from analyzer import grepindex
from analyzer.errors import UsageError
from analyzer.sanitize import cell, json_dumps, line
from analyzer.verbs import SiteView, time_option

# Each candidate block is read by a query of its own (about 2 ms at any size); every line by one scan (seconds at 29 M lines).
# Up to BLOCK_READS candidate blocks of logs are read one by one (a query each, about 1.5 ms: planning 579 of them took
# 1.1 s); more, and the candidate blocks' files are read in one scan that skips every other file (a semi-join DuckDB turns
# into a filter of the scan); past SCAN_SHARE of the site's blocks, every line is scanned.
BLOCK_READS = 32
SCAN_SHARE = 0.75
MAX_CONTEXT = 1000


@dataclass(frozen=True)
class Query:
    pattern: str
    fixed: bool = False
    ignore_case: bool = False
    node: str | None = None
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def regex_of(q: Query) -> str:
    """The RE2 pattern run on the lines: the pattern itself, or a fixed string escaped."""
    if not q.fixed:
        return q.pattern
    return "".join(c if c.isalnum() or ord(c) >= 0x80 else "\\x00" if c == "\0" else "\\" + c for c in q.pattern)


def check_pattern(q: Query) -> None:
    """A bad pattern is the user's mistake: said in one line (exit 2), before any line is read."""
    opts = re2.Options()
    opts.case_sensitive = not q.ignore_case
    try:
        re2.compile(regex_of(q), opts)
    except re2.error as e:
        raise UsageError(f"grep: invalid pattern {cell(q.pattern)!s}: {cell(str(e))}") from None
    except (TypeError, ValueError) as e:
        raise UsageError(f"grep: invalid pattern: {cell(str(e))}") from None


COLS = "src, snapshot_id, node, member, line_no, line_end, ts, namespace, pod, container, message, file_id"
# the hits' order, and _key's: a node's files by name, two collections' files of one name apart, their lines in order
HIT_ORDER = "coalesce(node, ''), member, snapshot_id, line_no"
CONTEXT_ROWS = 200_000  # hits and context lines -C holds at once: its hits are read in batches of this / (2 N + 1)


@functools.lru_cache(maxsize=64)
def prefilter(q: Query) -> str | None:
    """The literal run a regex's every match holds, looked for before RE2 runs (None: RE2 alone). Asked once per
    candidate block's subquery and by the plan's parameters: parsed once per query."""
    return None if q.fixed else grepindex.required_literal(q.pattern, q.ignore_case)


def _match_sql(q: Query, col: str, gate: str | None = None) -> str:
    """The pattern on `col`; with a `gate` (a condition on another column, always true), on the rows a block's range
    kept only: DuckDB pushes a condition on one column into the scan, where it runs on every row of each row group the
    range touches (67 blocks of a 29 M-line site: 0.30 s, against 0.08 s after the range)."""
    if q.fixed and not q.ignore_case:
        m = f"contains({col}, $pat)"
    elif prefilter(q) is not None:
        m = f"(contains({col}, $lit) AND regexp_matches({col}, $rx, {'$opt'}))"  # RE2 only where its literal run is
    else:
        m = f"regexp_matches({col}, $rx, {'$opt'})"
    return f"CASE WHEN {gate} THEN {m} END" if gate else m


def _log_part(q: Query, where: str, cols: str = "l.file_id, l.line_no, l.line_end, l.ts, l.message") -> str:
    """The matching lines of one candidate block (or of every line): log_lines alone, so that the block's constants prune its
    row groups; the lines' files are joined once, to the few hits of every block."""
    filt = [where]
    if q.since is not None:
        filt.append("l.ts >= $since")
    if q.until is not None:
        filt.append("l.ts <= $until")
    gate = None if where == "true" else "l.line_no > 0"
    return f"SELECT {cols} FROM v_log_lines l WHERE {' AND '.join(filt)} AND {_match_sql(q, 'l.message', gate)}"


def _file_filter(q: Query) -> str:
    filt = ["f.snapshot_id IN (SELECT snapshot_id FROM _gsnap)"]
    for name, val in (("node", q.node), ("namespace", q.namespace), ("pod", q.pod), ("container", q.container)):
        if val is not None:
            filt.append(f"f.{name} = ${name}")
    return " AND ".join(filt)


def _log_sql(q: Query, parts: list[str]) -> str:
    # UNION, not UNION ALL: blocks of an index rebuilt over loose captures may overlap. The hits are materialized before the
    # join: else DuckDB plans the join into each block's scan (2 s instead of 0.4 s for 67 blocks of 29 M lines)
    return f"""SELECT 'log' AS src, f.snapshot_id, f.node, f.member, l.line_no, l.line_end, l.ts, f.namespace, f.pod, f.container, l.message, l.file_id
               FROM (WITH h AS MATERIALIZED ({' UNION '.join(parts)}) SELECT * FROM h) l JOIN v_log_files f USING (file_id) WHERE {_file_filter(q)}"""


def _journal_sql(q: Query, where: str, cols: str | None = None) -> str | None:
    if q.namespace is not None or q.pod is not None or q.container is not None:
        return None  # journal lines belong to no pod
    filt = ["j.snapshot_id IN (SELECT snapshot_id FROM _gsnap)"]
    if q.node is not None:
        filt.append("j.node = $node")
    if q.since is not None:
        filt.append("j.ts >= $since")
    if q.until is not None:
        filt.append("j.ts <= $until")
    cols = cols or """'journal' AS src, j.snapshot_id, j.node, j.member, j.line_no, j.line_no AS line_end, j.ts, NULL::VARCHAR AS namespace,
                      NULL::VARCHAR AS pod, NULL::VARCHAR AS container, j.message, NULL::BIGINT AS file_id"""
    return f"""SELECT {cols}
               FROM v_journal j WHERE {where} AND {' AND '.join(filt)} AND {_match_sql(q, 'j.message', None if where == "true" else "j.line_no > 0")}"""


def _range_pred(r: grepindex.Range) -> str:
    """Constants only, so that DuckDB skips the row groups outside the block."""
    if r.kind == "log":
        a, z = int(r.k_lo), int(r.k_hi)
        return (f"(l.file_id BETWEEN {a} AND {z} AND (l.file_id > {a} OR l.line_no >= {int(r.line_lo)}) "
                f"AND (l.file_id < {z} OR l.line_no <= {int(r.line_hi)}))")  # fmt: skip
    lo, hi = _sql_str(r.k_lo), _sql_str(r.k_hi)
    return (f"(j.snapshot_id = {_sql_str(r.snapshot_id)} AND j.member BETWEEN {lo} AND {hi} AND (j.member > {lo} OR j.line_no >= {int(r.line_lo)}) "
            f"AND (j.member < {hi} OR j.line_no <= {int(r.line_hi)}))")  # fmt: skip


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def hits_sql(q: Query, ranges: list[grepindex.Range] | None, by_file: bool = False) -> str:
    """The SQL of every hit: one subquery per candidate block (each prunes by its constants), or one read of the candidate
    blocks' files (by_file: the files in the table _gfiles; any line of them that matches is a hit), or one scan."""
    parts: list[str] = []
    if ranges is None:
        parts.append(_log_sql(q, [_log_part(q, "true")]))
        j = _journal_sql(q, "true")
        if j:
            parts.append(j)
    else:
        logs = _log_parts(q, ranges, by_file)
        if logs:
            parts.append(_log_sql(q, logs))
        parts += [j for j in _journal_parts(q, ranges) if j]
    if not parts:
        return f"SELECT {COLS} FROM (SELECT NULL AS src, NULL AS snapshot_id, NULL AS node, NULL AS member, NULL AS line_no, NULL AS line_end, NULL AS ts, NULL AS namespace, NULL AS pod, NULL AS container, NULL AS message, NULL AS file_id) WHERE false"
    # UNION, not UNION ALL: blocks of an index rebuilt over loose captures may overlap
    return f"SELECT {COLS} FROM ({' UNION '.join(parts)}) ORDER BY {HIT_ORDER}"


def _log_parts(q: Query, ranges: list[grepindex.Range], by_file: bool, cols: str | None = None) -> list[str]:
    """A query per candidate block of log lines, or one read of the candidate blocks' files (by_file)."""
    args = {"cols": cols} if cols else {}
    if by_file:
        return [_log_part(q, "l.file_id IN (SELECT file_id FROM _gfiles)", **args)]
    return [_log_part(q, _range_pred(r), **args) for r in ranges if r.kind == "log"]


def _journal_parts(q: Query, ranges: list[grepindex.Range], cols: str | None = None) -> list[str | None]:
    """A query per candidate block of journal lines; past BLOCK_READS of them, one read of every journal line (a
    site's journals are a few MiB: each block's query holds its own scan, and 214 of them ran out of a GiB)."""
    journal = [r for r in ranges if r.kind != "log"]
    if len(journal) > BLOCK_READS:
        return [_journal_sql(q, "true", cols)]
    return [_journal_sql(q, _range_pred(r), cols) for r in journal]


def count_sql(q: Query, ranges: list[grepindex.Range] | None, by_file: bool = False) -> str:
    """Hits counted per node and log file (or journal member), from the hits' keys alone: hits_sql's rows, with every
    message, made unique and joined to their files, cost twice as much as the scan that finds them (4.1 M hits)."""
    key, jkey = "l.file_id, l.line_no", "j.snapshot_id, j.node, j.member, j.line_no"
    if ranges is None:
        logs, journals = [_log_part(q, "true", key)], [_journal_sql(q, "true", jkey)]
    else:
        logs, journals = _log_parts(q, ranges, by_file, key), _journal_parts(q, ranges, jkey)
    parts = []
    if logs:  # UNION: blocks of an index rebuilt over loose captures may overlap (hits_sql)
        parts.append(f"""SELECT f.node, 'log' AS src, f.member, f.namespace, f.pod, f.container, count(*) AS n
                         FROM ({' UNION '.join(logs)}) l JOIN v_log_files f USING (file_id) WHERE {_file_filter(q)} GROUP BY ALL""")  # fmt: skip
    if js := [j for j in journals if j]:
        parts.append(f"""SELECT node, 'journal' AS src, member, NULL::VARCHAR AS namespace, NULL::VARCHAR AS pod, NULL::VARCHAR AS container,
                                count(*) AS n FROM ({' UNION '.join(js)}) WHERE snapshot_id IN (SELECT snapshot_id FROM _gsnap) GROUP BY ALL""")  # fmt: skip
    if not parts:
        return "SELECT NULL AS node, NULL AS what, NULL AS src, NULL AS namespace, NULL AS pod, NULL AS container, 0 AS n WHERE false"
    return f"""SELECT node, CASE WHEN src = 'log' THEN coalesce(namespace || '/' || pod || '/' || container, member) ELSE member END AS what,
                      src, namespace, pod, container, sum(n)::BIGINT FROM ({' UNION ALL '.join(parts)}) GROUP BY ALL ORDER BY node, what"""


@dataclass
class Plan:
    sql: str
    params: dict[str, Any]
    candidates: int | None  # candidate blocks, None: every line scanned
    files: list[int] = field(default_factory=list)  # the candidate blocks' log files, where they are read whole
    count_sql: str = ""  # the hits counted per node and file (--count)


def plan(sv: SiteView, q: Query) -> Plan:
    check_pattern(q)
    dnf = grepindex.required(q.pattern, q.ignore_case, q.fixed)
    cur = sv.con
    snaps = [r[0] for r in sv.q("SELECT snapshot_id FROM v_snapshots WHERE site = $site AND ($p0 IS NULL OR node = $p0)", [q.node])]
    ranges = grepindex.candidates(cur, dnf, snaps)
    scan = ranges is not None and len(ranges) > BLOCK_READS and len(ranges) > grepindex.block_count(cur, snaps) * SCAN_SHARE
    params: dict[str, Any] = {}
    if q.fixed and not q.ignore_case:
        params["pat"] = q.pattern
    else:
        params["rx"] = regex_of(q)
        params["opt"] = "i" if q.ignore_case else "c"
        if (lit := prefilter(q)) is not None:
            params["lit"] = lit
    for name in ("node", "namespace", "pod", "container", "since", "until"):
        if getattr(q, name) is not None:
            params[name] = getattr(q, name)
    logs = [r for r in ranges or [] if r.kind == "log"]
    files = sorted({i for r in logs for i in range(int(r.k_lo), int(r.k_hi) + 1)}) if not scan and len(logs) > BLOCK_READS else []
    kept = None if scan else ranges
    return Plan(hits_sql(q, kept, bool(files)), params, None if ranges is None else len(ranges), files, count_sql(q, kept, bool(files)))


def _cursor(sv: SiteView, p: Plan, snaps: Sequence[str]) -> Any:
    """A cursor holding the plan's tables: the site's snapshots, and the candidate files where the plan reads files."""
    cur = sv.cursor()
    cur.register("_gsnap", pa.table({"snapshot_id": pa.array(list(snaps), pa.string())}))
    cur.register("_gfiles", pa.table({"file_id": pa.array(p.files, pa.int64())}))
    return cur


def _run(sv: SiteView, p: Plan, snaps: Sequence[str]) -> Any:
    cur = _cursor(sv, p, snaps)
    sql = p.sql
    used = {k: v for k, v in p.params.items() if f"${k}" in sql}
    return cur, cur.execute(sql, used)


def site_snapshots(sv: SiteView) -> list[str]:
    return [r[0] for r in sv.q("SELECT snapshot_id FROM v_snapshots WHERE site = $site")]


def grep(sv: SiteView, pattern: str, *, fixed: bool = False, ignore_case: bool = False, node: str | None = None, namespace: str | None = None,
         pod: str | None = None, container: str | None = None, since: str | None = None, until: str | None = None, context: int = 0,
         count: bool = False, output: str = "text", stats: dict[str, Any] | None = None) -> Iterator[str]:  # fmt: skip
    """The hits as output lines (each ending with a newline), already sanitized."""
    if context < 0 or context > MAX_CONTEXT:
        raise UsageError(f"-C is between 0 and {MAX_CONTEXT}")
    latest = sv.q("SELECT max(collected_at) FROM v_snapshots WHERE site = $site")[0][0]
    q = Query(pattern, fixed, ignore_case, node, namespace, pod, container, time_option(since, latest, "--since"), time_option(until, latest, "--until"))
    p = plan(sv, q)
    if stats is not None:
        stats["candidates"] = p.candidates
    snaps = site_snapshots(sv)
    if count:
        yield from _count(sv, p, snaps, output, stats)
        return
    cur, res = _run(sv, p, snaps)
    n = 0
    try:
        if context:
            counted = [0]
            other = sv.cursor()  # the context lines' queries, while the hits' result is read in batches
            try:
                yield from _with_context(other, _batches(res, max(1, CONTEXT_ROWS // (2 * context + 1)), counted), context, output)
            finally:
                other.close()
            n = counted[0]
        else:
            while batch := res.fetchmany(10000):
                n += len(batch)
                for r in batch:
                    yield _fmt(r, output, ":")
    finally:
        cur.close()
    if stats is not None:
        stats["hits"] = n


def _fmt(r: Sequence[Any], output: str, sep: str) -> str:
    src, _sid, node, member, line_no, line_end, ts, ns, pod, container, message, _fid = r
    if output == "json":
        doc = {"node": node, "file": member, "line": line_no, "line_end": line_end, "ts": ts.isoformat() if ts else None, "source": src,
               "namespace": ns, "pod": pod, "container": container, "message": message, "match": sep == ":"}  # fmt: skip
        return json_dumps(doc) + "\n"
    return f"{cell(node or '-')}:{cell(member)}{sep}{line_no}{sep}{line(message)}\n"


def _count(sv: SiteView, p: Plan, snaps: Sequence[str], output: str, stats: dict[str, Any] | None) -> Iterator[str]:
    cur = _cursor(sv, p, snaps)
    used = {k: v for k, v in p.params.items() if f"${k}" in p.count_sql}
    try:
        rows = cur.execute(p.count_sql, used).fetchall()
    finally:
        cur.close()
    total = sum(r[6] for r in rows)
    if stats is not None:
        stats["hits"] = total
    if output == "json":
        for node, what, src, ns, pod, container, n in rows:
            yield json_dumps({"node": node, "source": src, "namespace": ns, "pod": pod, "container": container,
                              "file": what if src == "journal" or pod is None else None, "count": n}) + "\n"  # fmt: skip
        return
    if not rows:
        return
    w = max(len(cell(r[0] or "-")) for r in rows)
    yield f"{'NODE'.ljust(w)}  {'COUNT':>9}  WHERE (namespace/pod/container, or the journal's member)\n"
    for node, what, _src, _ns, _pod, _c, n in rows:
        yield f"{cell(node or '-').ljust(w)}  {n:>9}  {cell(what)}\n"
    yield f"{'total'.ljust(w)}  {total:>9}\n"


def _batches(res: Any, size: int, counted: list[int]) -> Iterator[list[tuple[Any, ...]]]:
    while batch := res.fetchmany(size):
        counted[0] += len(batch)
        yield batch


def _key(r: Sequence[Any]) -> tuple[Any, ...]:
    return (r[2] or "", r[3], r[1], r[4])  # HIT_ORDER


def _context_rows(cur: Any, hits: list[tuple[Any, ...]], n: int) -> list[tuple[Any, ...]]:
    """The lines of the hits' files within n of each hit (the hits among them)."""
    logs = [(r[11], r[4], r[5]) for r in hits if r[0] == "log"]
    jr = [(r[1], r[3], r[4]) for r in hits if r[0] == "journal"]
    ctx: list[tuple[Any, ...]] = []
    if logs:
        cur.register("_ghits", pa.table({"file_id": pa.array([a for a, _, _ in logs], pa.int64()), "lo": pa.array([b - n for _, b, _ in logs], pa.int64()),
                                         "hi": pa.array([c + n for _, _, c in logs], pa.int64())}))  # fmt: skip
        ctx += cur.execute(
            """SELECT DISTINCT 'log', f.snapshot_id, f.node, f.member, l.line_no, l.line_end, l.ts, f.namespace, f.pod, f.container, l.message, l.file_id
               FROM v_log_lines l JOIN v_log_files f USING (file_id) JOIN _ghits h ON l.file_id = h.file_id AND l.line_no BETWEEN h.lo AND h.hi
               WHERE l.file_id IN (SELECT file_id FROM _ghits)"""
        ).fetchall()
    if jr:
        cur.register("_gjhits", pa.table({"sid": pa.array([a for a, _, _ in jr], pa.string()), "member": pa.array([b for _, b, _ in jr], pa.string()),
                                          "lo": pa.array([c - n for _, _, c in jr], pa.int64()), "hi": pa.array([c + n for _, _, c in jr], pa.int64())}))  # fmt: skip
        ctx += cur.execute(
            """SELECT DISTINCT 'journal', j.snapshot_id, j.node, j.member, j.line_no, j.line_no, j.ts, NULL, NULL, NULL, j.message, NULL
               FROM v_journal j JOIN _gjhits h ON j.snapshot_id = h.sid AND j.member = h.member AND j.line_no BETWEEN h.lo AND h.hi"""
        ).fetchall()
    return ctx


def _with_context(cur: Any, batches: Iterator[list[tuple[Any, ...]]], n: int, output: str) -> Iterator[str]:
    """Hits with the n lines before and after each (from the same file), groups apart by `--`, as grep -C.

    The hits come in batches, in HIT_ORDER: a batch's rows are written up to the next batch's first hit, those from
    it on left to that batch, whose context holds them (in the same file, within n lines of its first hit), and
    rows written before are not written again. What is held is a batch and its context, whatever the hits."""
    prev: tuple[Any, ...] | None = None
    last: tuple[Any, ...] | None = None  # the key of the row written last
    batch = next(batches, None)
    while batch is not None:
        after = next(batches, None)
        rows: dict[tuple[Any, ...], tuple[tuple[Any, ...], bool]] = {}
        for r in _context_rows(cur, batch, n):
            rows.setdefault(_key(r), (r, False))
        for r in batch:
            rows[_key(r)] = (r, True)
        bound = _key(after[0]) if after else None
        for key in sorted(k for k in rows if (last is None or k > last) and (bound is None or k < bound)):
            r, hit = rows[key]
            if prev is not None and output == "text" and (prev[1] != r[1] or prev[3] != r[3] or r[4] > prev[5] + 1):
                yield "--\n"
            yield _fmt(r, output, ":" if hit else "-")
            prev, last = r, key
        batch = after
