"""Bulk loading of container logs and journals: bytes -> Arrow lines -> DuckDB SQL.

No Python code runs per line. Each file is read in chunks; pyarrow splits a chunk into
lines (exact line numbers, a bare CR stays inside its line), DuckDB decodes each line
(invalid UTF-8 replaced, never merging two lines) and parses the CRI format
`<RFC3339Nano> <stdout|stderr> <P|F> <message>`, docker json-file, `--timestamps` output or
plain text. Partial (P) records are joined with the next record of the same stream into one
logical line that keeps the number of its first physical line
(../shared/notes/duckdb-log-ingest.md lists the DuckDB traps avoided here).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import duckdb
import numpy as np
import pyarrow as pa

from analyzer.models import LogFile
from analyzer.textutil import Readable, detect_encoding, utf8_stream
from analyzer.timeparse import MONTHS

CHUNK = 32 * 1024 * 1024
MAX_LINE = 16 * 1024 * 1024  # a longer line is cut there (memory stays bounded on a file with no newline)

@dataclass
class ReadNotes:
    """What reading a file had to change: lines cut at MAX_LINE, the encoding it was decoded from."""

    cut_lines: list[int]
    encoding: str = "utf-8"


def split_lines(stream: Readable, chunk: int = CHUNK, max_line: int = MAX_LINE, notes: ReadNotes | None = None) -> Iterator[tuple[int, pa.Array, bool]]:
    """(first line number, binary array of lines, whether the last line ended without newline).

    Zero-copy: newline positions found with numpy become the offsets of an Arrow array over
    the bytes as read. Each value keeps its trailing newline (the SQL that reads them strips it).
    A line longer than `max_line` is cut there (the rest of it skipped, its number noted), so
    that memory stays bounded by max_line + chunk whatever the input.
    """
    carry = b""
    line_no = 1
    kept: bytes | None = None  # the first max_line bytes of an overlong line whose end is still ahead
    while True:
        data = stream.read(chunk)
        if not data:
            break
        if kept is not None:
            end = data.find(b"\n")
            if end < 0:
                continue
            yield line_no, pa.array([kept + b"\n"], pa.large_binary()), False
            line_no += 1
            kept, data = None, data[end + 1 :]
            if not data:
                continue
        buf = carry + data if carry else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) > max_line:
                kept, carry = buf[:max_line], b""
                if notes is not None:
                    notes.cut_lines.append(line_no)
            else:
                carry = buf
            continue
        body, carry = buf[: cut + 1], buf[cut + 1 :]
        nl = np.flatnonzero(np.frombuffer(body, np.uint8) == 10)
        offsets = np.empty(len(nl) + 1, np.int64)
        offsets[0] = 0
        offsets[1:] = nl + 1
        lines = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(nl), [None, pa.py_buffer(offsets), pa.py_buffer(body)])
        long = np.flatnonzero(np.diff(offsets) > max_line + 1)
        if len(long):
            # rare: cut those lines at max_line (the byte kept after it stands for the newline the SQL strips)
            import pyarrow.compute as pc  # here: its import costs every kubesnap process 0.05 s, and this is rare

            lines = pc.binary_slice(lines, 0, max_line + 1)
            if notes is not None:
                notes.cut_lines.extend(int(line_no + i) for i in long)
        yield line_no, lines, False
        line_no += len(nl)
    if kept is not None:
        yield line_no, pa.array([kept + b"\n"], pa.large_binary()), True
    elif carry:
        # the last line of a file without a final newline: given one, as every value has
        yield line_no, pa.array([carry + b"\n"], pa.large_binary()), True


CRI_LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\S+ (?:stdout|stderr) [PF](?: |$)")
STAMPED_LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) ")


def sniff_format(head: bytes) -> str:
    """cri, docker-json, timestamped (kubectl/crictl logs --timestamps) or plain, from the first lines."""
    lines = [ln for ln in head.replace(b"\n\n", b"\n").split(b"\n", 20)[:20] if ln.strip()]
    if not lines:
        return "plain"
    cri = sum(1 for ln in lines if CRI_LINE.match(ln))
    if cri * 2 >= len(lines):
        return "cri"
    dj = sum(1 for ln in lines if ln.startswith(b'{"log":') or (ln.startswith(b"{") and b'"stream":' in ln and b'"time":' in ln))
    if dj * 2 >= len(lines):
        return "docker-json"
    ts = sum(1 for ln in lines if STAMPED_LINE.match(ln))
    if ts * 2 >= len(lines):
        return "timestamped"
    return "text"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc_us(us: int | None) -> datetime | None:
    """An instant given as microseconds since the epoch (DuckDB's epoch_us), as an aware UTC datetime."""
    return None if us is None else _EPOCH + timedelta(microseconds=us)


def sane_ts(expr: str) -> str:
    """A time a line printed, or NULL when no datetime can hold it (year 20023, before 1970): the line is kept."""
    return f"CASE WHEN {expr} >= TIMESTAMPTZ '1970-01-01 00:00:00+00' AND {expr} < TIMESTAMPTZ '9999-01-01 00:00:00+00' THEN {expr} END"


# what follows a CRI line's time: its stream, its tag, and the space before its message or the line's end
CRI_FIELDS = ", ".join(f"' {s} {t}{e}'" for s in ("stdout", "stderr") for t in "PF" for e in (" ", "' || chr(10) || '"))


def _parse_sql(fmt: str) -> str:
    """SELECT over _chunk(file_id, line_no, line) -> file_id, line_no, ts, stream, tag, message.

    Every line value ends with exactly one newline: messages are cut by length (cheap), not
    trimmed (a scan).
    """
    base = "SELECT file_id, line_no, decode(line, 'replace') AS s FROM _chunk"
    if fmt == "cri":
        return f"""
        WITH d AS ({base}), p AS (SELECT *, instr(s, ' ') AS p1 FROM d),
        q AS (SELECT *, substr(s, p1, 10) AS f FROM p),  -- " stdout F " (or " stdout F" and the line's newline)
        r AS (SELECT *, p1 > 10 AND f IN ({CRI_FIELDS}) AS ok FROM q)
        SELECT file_id, line_no,
               CASE WHEN ok THEN try_cast(left(s, p1 - 1) AS TIMESTAMPTZ) END AS ts,
               CASE WHEN ok THEN substr(f, 2, 6) END AS stream,
               CASE WHEN ok THEN substr(f, 9, 1) END AS tag,
               CASE WHEN NOT ok THEN left(s, -1) WHEN f[10] = chr(10) THEN '' ELSE substr(s, p1 + 10, length(s) - p1 - 10) END AS message
        FROM r"""
    if fmt == "docker-json":
        return f"""
        WITH d AS ({base}), j AS (SELECT *, try(json_extract_string(s, '$.log')) AS lg FROM d)
        SELECT file_id, line_no,
               try_cast(try(json_extract_string(s, '$.time')) AS TIMESTAMPTZ) AS ts,
               try(json_extract_string(s, '$.stream')) AS stream,
               CASE WHEN lg IS NULL THEN NULL WHEN suffix(lg, chr(10)) THEN 'F' ELSE 'P' END AS tag,
               CASE WHEN lg IS NULL THEN left(s, -1) WHEN suffix(lg, chr(10)) THEN lg[:-2] ELSE lg END AS message
        FROM j"""
    if fmt == "timestamped":
        return f"""
        WITH d AS ({base}), p AS (SELECT *, instr(s, ' ') AS p1, length(s) - 1 AS n FROM d),
        q AS (SELECT *, try_cast(CASE WHEN p1 > 10 THEN substr(s, 1, p1 - 1) END AS TIMESTAMPTZ) AS t FROM p)
        SELECT file_id, line_no, t AS ts, NULL::VARCHAR AS stream, NULL::VARCHAR AS tag,
               CASE WHEN t IS NULL THEN left(s, -1) ELSE substr(s, p1 + 1, n - p1) END AS message
        FROM q"""
    # any other text: the time where a common log format puts one (zap, logrus, capnslog, ISO at the start)
    return f"SELECT file_id, line_no, {TEXT_TS} AS ts, NULL::VARCHAR AS stream, NULL::VARCHAR AS tag, s AS message FROM (SELECT file_id, line_no, left(s, -1) AS s FROM ({base}))"


# a stamp with no zone at the start of a plain-text line: read as UTC, shifted by the node's offset at finish
ZONELESS_START = r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:\s|$)"
TEXT_TS = """coalesce(
  try_cast(nullif(regexp_extract(s, '"ts":"([^"]+)"', 1), '') AS TIMESTAMPTZ),
  CASE WHEN regexp_matches(s, '"ts":[0-9]{10}') THEN try(to_timestamp(try_cast(regexp_extract(s, '"ts":([0-9.]+)', 1) AS DOUBLE)
       / CASE WHEN regexp_matches(s, '"ts":[0-9]{13}') THEN 1000 ELSE 1 END)) END,
  try_cast(nullif(regexp_extract(s, 'time="([^"]+)"', 1), '') AS TIMESTAMPTZ),
  try_cast(replace(nullif(regexp_extract(s, '^(\\d{4}-\\d\\d-\\d\\d[ T]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?)', 1), ''), ',', '.') AS TIMESTAMPTZ))"""


@contextmanager
def arrow_view(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """`table` as the view `name` for ONE scan. It is registered as a record batch reader: DuckDB keeps a
    registered Table alive until the transaction ends (a bundle's GiBs of log lines would all stay in
    memory), while a reader's batches are freed as they are consumed."""
    con.register(name, pa.RecordBatchReader.from_batches(table.schema, table.to_batches()))
    try:
        yield
    finally:
        con.unregister(name)


STAGE_BYTES = 256 * 1024 * 1024


class Stage:
    """Rows of `dest` that wait in a temporary table until they are final, then go to `dest` in one INSERT.

    DuckDB (2.0) writes the rows a transaction inserted into a table to disk as they come, compressed, unless
    the transaction also updates or deletes any of them: then at commit it writes every one of them to its WAL
    and compresses them all again at the checkpoint (a 100 MB bundle: a 106 MiB WAL, 0.12 s of 1.5 s). Rows
    changed in a temporary table and moved once cost neither. A temporary table keeps its memory until the
    transaction ends, dropped or not: past STAGE_BYTES of staged text the rows go to `dest` and later ones
    straight there (a bundle of GiBs then pays the WAL as before, and its memory stays bounded).

    The move runs on every core (the writer's preserve_insertion_order = false), its rows in row groups part full
    (a few more of them); an ingest's checkpoints leave those as they are (analyzer.ingest.ingest: max_vacuum_tasks
    0). Merged, they cost the 100 MB bundle 0.24 s at its checkpoint; kept in order, the move ran on one core
    (0.27 s against 0.15 s).
    """

    _names = iter(range(1 << 62))

    def __init__(self, con: duckdb.DuckDBPyConnection, dest: str) -> None:
        self.con = con
        self.dest = dest
        self.name = f"_stage_{dest}_{next(Stage._names)}"
        self.staged = 0  # bytes of text staged so far
        self.open = True  # rows still go to the stage
        con.execute(f"CREATE TEMP TABLE {self.name} AS SELECT * FROM {dest} LIMIT 0")

    @property
    def table(self) -> str:
        """Where the rows are now (and new rows go)."""
        return self.name if self.open else self.dest

    def added(self, nbytes: int) -> None:
        """Count text just inserted; past the bound, the stage is emptied into `dest` for good."""
        self.staged += nbytes
        if self.open and self.staged > STAGE_BYTES:
            self.move()

    def move(self, select: str = "*", params: Sequence[object] = ()) -> None:
        """Every staged row to `dest` (each as `select` makes it), and the stage closed."""
        if self.open:
            self.con.execute(f"INSERT INTO {self.dest} SELECT {select} FROM {self.name}", list(params))
            self.con.execute(f"DROP TABLE {self.name}")
            self.open = False


class LogLoader:
    """Loads container log files into log_lines (inside the caller's transaction).

    Lines of many files go into one INSERT (a statement per small file costs more than its
    rows); partial (P) records are marked with partial = NULL and joined, at `finish`, with
    the record that ends them (an ASOF join per file and stream): partial records are rare,
    so only they pay for the join. Lines wait in a Stage until then (`stage=False`: straight
    into `table`, a temporary table already).
    """

    BATCH_BYTES = 64 * 1024 * 1024

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str = "log_lines", stage: bool = True) -> None:
        self.con = con
        self.dest = table
        self.stage = Stage(con, table) if stage else None
        self.pending: dict[str, list[pa.Table]] = {}
        self.pending_bytes = 0
        self.files: list[tuple[int, str, dict[str, Any]]] = []
        self.ids: list[int] = []
        self.block = 32
        self.small: dict[str, tuple[list[bytes], list[int]]] = {}  # format -> (whole small files, their ids)

    def _next_id(self) -> int:
        """File ids from the database's sequence, in growing blocks (a statement per file costs more than the file)."""
        if not self.ids:
            # 64 at first, more as files keep coming (a paste of 100,000 tiny files must not cost 1,500 statements)
            self.block = min(self.block * 2, 8192)
            self.ids = [r[0] for r in self.con.execute(f"SELECT nextval('log_file_ids') FROM range({self.block}) ORDER BY 1 DESC").fetchall()]
        return int(self.ids.pop())

    def add(self, stream: IO[bytes], meta: dict[str, Any]) -> ReadNotes:
        """Queue one file; its LogFile record comes from `finish`. EUC-KR or Latin-1 text is transcoded to UTF-8."""
        file_id = self._next_id()
        fmt = None
        enc = "utf-8"
        try:
            text, enc = utf8_stream(stream)
            notes = ReadNotes([], enc)
            for first, lines, _unterminated in split_lines(text, notes=notes):
                if fmt is None:
                    fmt = sniff_format(b"".join(x.as_py() for x in lines.slice(0, 20)))
                n = len(lines)
                self.pending.setdefault(fmt, []).append(
                    pa.table({"file_id": np.full(n, file_id, np.int64), "line_no": np.arange(first, first + n, dtype=np.int32), "line": lines})
                )
                self.pending_bytes += lines.nbytes
                if self.pending_bytes >= self.BATCH_BYTES:
                    self._flush()
        finally:
            # a file cut short (a damaged archive) keeps the lines read before the cut, and its record
            self.files.append((file_id, fmt or "text", {**meta, "encoding": enc}))
        return notes

    SMALL = 64 * 1024

    def add_small(self, data: bytes, meta: dict[str, Any], fmt: str | None = None) -> None:
        """A whole small UTF-8 file already read: its lines join one buffer with the other small files' and are
        split with them in one pass at the next flush (per-file numpy and Arrow calls cost more than a one-line file)."""
        if detect_encoding(data) != "utf-8":
            self.add(io.BytesIO(data), meta)  # EUC-KR or Latin-1: transcoded as a stream is
            return
        file_id = self._next_id()
        if not data:
            self.files.append((file_id, "text", {**meta, "encoding": "utf-8"}))
            return
        fmt = fmt or sniff_format(data)
        if not data.endswith(b"\n"):
            data += b"\n"  # the last line of a file without a final newline: given one, as every value has
        chunks, ids = self.small.setdefault(fmt, ([], []))
        chunks.append(data)
        ids.append(file_id)
        self.pending_bytes += len(data)
        self.files.append((file_id, fmt, {**meta, "encoding": "utf-8"}))
        if self.pending_bytes >= self.BATCH_BYTES:
            self._flush()

    def _small_tables(self) -> None:
        """The small files' lines, split in one pass per format, as pending tables."""
        for fmt, (chunks, ids) in self.small.items():
            body = b"".join(chunks)
            nl = np.flatnonzero(np.frombuffer(body, np.uint8) == 10)
            offsets = np.empty(len(nl) + 1, np.int64)
            offsets[0] = 0
            offsets[1:] = nl + 1
            lines = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(nl), [None, pa.py_buffer(offsets), pa.py_buffer(body)])
            counts = np.fromiter((c.count(b"\n") for c in chunks), np.int64, len(chunks))
            starts = np.repeat(np.cumsum(counts) - counts, counts)
            self.pending.setdefault(fmt, []).append(pa.table({
                "file_id": np.repeat(np.asarray(ids, np.int64), counts),
                "line_no": (np.arange(len(nl), dtype=np.int64) - starts + 1).astype(np.int32), "line": lines}))  # fmt: skip
        self.small = {}

    @property
    def table(self) -> str:
        """Where the lines are until `finish`: the stage, or the destination."""
        return self.stage.table if self.stage is not None else self.dest

    def _flush(self) -> None:
        con = self.con
        self._small_tables()
        for fmt, tables in self.pending.items():
            chunk = pa.concat_tables(tables)
            with arrow_view(con, "_chunk", chunk):
                got = con.execute(
                    f"INSERT INTO {self.table} SELECT file_id, line_no, line_no, {sane_ts('ts')}, stream, "
                    f"CASE WHEN tag = 'P' THEN NULL ELSE false END, message FROM ({_parse_sql(fmt)})"
                ).fetchall()
            if got and got[0][0] != chunk.num_rows:  # the view is read once: a second scan would see nothing
                raise RuntimeError(f"log lines: {got[0][0]} of {chunk.num_rows} inserted")
        if self.stage is not None:
            self.stage.added(self.pending_bytes)
        self.pending = {}
        self.pending_bytes = 0

    def load(self, stream: IO[bytes], meta: dict[str, Any]) -> LogFile:
        """One file, loaded now (loose captures)."""
        self.add(stream, meta)
        return self.finish()[-1]

    def finish(self, shift_minutes: int = 0) -> list[LogFile]:
        """Write what is queued, join partial records, and return one LogFile per file.

        shift_minutes: the node's UTC offset, by which the zone-less stamps that start lines of plain-text
        files (2023-10-04 01:30:00 ...), read as UTC, are moved back to UTC."""
        self._flush()
        if not self.files:
            if self.stage is not None:
                self.stage.move()
            return []
        ids = [f[0] for f in self.files]
        partial = [r[0] for r in self.con.execute(
            f"SELECT DISTINCT file_id FROM {self.table} WHERE file_id BETWEEN ? AND ? AND partial IS NULL", [min(ids), max(ids)]
        ).fetchall()]  # fmt: skip
        if partial:
            self._join_partials(partial)
        text = [f[0] for f in self.files if f[1] == "text"]
        if shift_minutes and text:
            self.con.execute(
                f"""UPDATE {self.table} SET ts = {sane_ts('ts - to_minutes(?)')} WHERE file_id BETWEEN ? AND ?
                    AND list_contains(?, file_id) AND ts IS NOT NULL AND regexp_matches(message, '{ZONELESS_START}')""",
                [shift_minutes, shift_minutes, shift_minutes, min(text), max(text), text],
            )
        if self.stage is not None:
            self.stage.move()
        # times fetched as epoch microseconds: DuckDB turns a TIMESTAMPTZ into a Python datetime through the session's
        # time zone, some 7 us a value (1.5 s for 100,000 small files); the same instant is made here in 0.5 us
        stats = {r[0]: (_utc_us(r[1]), _utc_us(r[2]), r[3]) for r in self.con.execute(
            f"SELECT file_id, epoch_us(min(ts)), epoch_us(max(ts)), count(*) FROM {self.table} WHERE file_id BETWEEN ? AND ? GROUP BY file_id",
            [min(ids), max(ids)],
        ).fetchall()}  # fmt: skip
        out = []
        fields = set(LogFile.model_fields) - {"file_id", "format"}  # pydantic's property costs a microsecond a read: read once
        for file_id, fmt, meta in self.files:
            first_ts, last_ts, n = stats.get(file_id, (None, None, 0))
            out.append(LogFile(file_id=file_id, format=fmt, line_count=n, first_ts=first_ts, last_ts=last_ts,
                               **{k: v for k, v in meta.items() if k in fields}))  # fmt: skip
        self.files = []
        return out

    def _join_partials(self, file_ids: list[int]) -> None:
        """Each run of P records joins the next record of its stream; a run never ended stays partial.

        The ending record is looked for among the next few lines first (streams interleave, but
        not by much); the rare run not ended there is looked up among all of its file's lines.
        """
        con = self.con
        # file ids grow with each file: the range lets DuckDB skip the row groups of other bundles
        lo, hi = min(file_ids), max(file_ids)
        con.register("_pfiles", pa.table({"file_id": pa.array(file_ids, pa.int64())}))
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _p AS SELECT file_id, line_no, coalesce(stream, '') AS stream, ts, message FROM {self.table}
                    WHERE file_id BETWEEN {lo} AND {hi} AND file_id IN (SELECT file_id FROM _pfiles) AND partial IS NULL"""
            )
        finally:
            con.unregister("_pfiles")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _pe AS
               WITH cand AS (SELECT DISTINCT file_id, line_no + r.range AS line_no FROM _p, range(1, 9) r),
               e AS (SELECT l.file_id, l.line_no, coalesce(l.stream, '') AS stream FROM {self.table} l
                     JOIN cand c ON l.file_id = c.file_id AND l.line_no = c.line_no WHERE l.partial = false AND l.file_id BETWEEN {lo} AND {hi})
               SELECT _p.*, e.line_no AS end_line FROM _p ASOF LEFT JOIN e ON _p.file_id = e.file_id AND _p.stream = e.stream AND _p.line_no < e.line_no"""
        )
        # P records whose end was not near: look among all lines of their files
        con.execute(
            f"""UPDATE _pe SET end_line = x.end_line FROM (
                 WITH far AS (SELECT * FROM _pe WHERE end_line IS NULL),
                 e AS (SELECT file_id, line_no, coalesce(stream, '') AS stream FROM {self.table}
                       WHERE file_id BETWEEN {lo} AND {hi} AND file_id IN (SELECT DISTINCT file_id FROM far) AND partial = false)
                 SELECT far.file_id, far.line_no, e.line_no AS end_line FROM far
                 ASOF LEFT JOIN e ON far.file_id = e.file_id AND far.stream = e.stream AND far.line_no < e.line_no) x
               WHERE _pe.file_id = x.file_id AND _pe.line_no = x.line_no AND x.end_line IS NOT NULL"""
        )
        # a run ends at its first ending record: a P whose "end" lies beyond another P's end of the
        # same stream cannot happen, since the records between are P (else they would end it)
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _groups AS
               SELECT file_id, stream, end_line, min(line_no) AS start_line, max(line_no) AS last_p, arg_min(ts, line_no) AS ts,
                      string_agg(message, '' ORDER BY line_no) AS prefix
               FROM _pe GROUP BY file_id, stream, end_line"""
        )
        con.execute(
            f"""UPDATE {self.table} SET line_no = g.start_line, ts = g.ts, partial = true, message = g.prefix || {self.table}.message
                FROM _groups g WHERE {self.table}.file_id BETWEEN {lo} AND {hi} AND {self.table}.file_id = g.file_id AND {self.table}.line_no = g.end_line"""
        )
        con.execute(f"INSERT INTO {self.table} SELECT file_id, start_line, last_p, ts, nullif(stream, ''), true, prefix FROM _groups WHERE end_line IS NULL")
        con.execute(f"DELETE FROM {self.table} WHERE file_id IN (SELECT DISTINCT file_id FROM _groups) AND partial IS NULL")


# ------------------------------------------------------------------ journals, syslog, dmesg

# journalctl -o json: one JSON export record per line (sniffed as 'json')
# journalctl -o short-iso-precise / short-iso:  2023-10-04T01:20:11.123456+0900 host ident[pid]: msg
ISO_RX = r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+(\S+)\s+([^\s\[:]+)(?:\[(\d+)\])?:\s?(.*)$"
# traditional syslog / journalctl default:  Oct  4 01:20:11[.123456] host ident[pid]: msg  (a host never ends in a colon:
# `May 03 16:11:34 containerd[19317]: msg`, a line some tools print without the host, is ident[pid]: msg)
SYSLOG_RX = r"^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d:\d\d:\d\d(?:\.\d+)?)\s+(?:(\S*[^\s:])\s+)?([^\s\[:]+)(?:\[(\d+)\])?:\s?(.*)$"
# a journal pasted from the tag on:  containerd[21688]: time="..." level=error msg="..."
IDENT_RX = r"^([A-Za-z][\w.-]*)\[(\d+)\]:\s?(.*)$"
# dmesg --time-format iso:  2023-10-03T16:20:00,123456+09:00 msg
# klog's own header (a journal section of a paste, or kubectl's stderr, that holds only klog lines): local time, no year
KLOG_RX = r"^[IWEF](\d\d)(\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)?\s+(\d+) "
DMESG_RX = r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z))\s(.*)$"
# dmesg as it prints by default (seconds since boot: no time of day) and dmesg -T (local time, with the year)
DMESG_BOOT_RX = r"^\[\s*(\d+\.\d+)\]\s?(.*)$"
DMESG_T_RX = r"^\[[A-Z][a-z]{2} ([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})\]\s?(.*)$"


_ISO, _SYSLOG, _DMESG, _IDENT, _KLOG, _DMESG_BOOT, _DMESG_T = (re.compile(rx) for rx in (ISO_RX, SYSLOG_RX, DMESG_RX, IDENT_RX, KLOG_RX,
                                                                                     DMESG_BOOT_RX, DMESG_T_RX))


def sniff_journal(head: bytes) -> str | None:
    # journalctl's own lines (`-- Logs begin`, -x's catalog text: `-- Subject:`, `░░ Subject:`) say nothing of the format
    lines = [ln for ln in head.decode("utf-8", "replace").split("\n", 30)[:30] if ln.strip() and not ln.startswith(("-- ", "\u2591\u2591"))]
    if not lines:
        return None
    if sum(1 for ln in lines if ln.startswith("{") and '"__REALTIME_TIMESTAMP"' in ln and '"MESSAGE"' in ln) * 2 >= len(lines):
        return "json"  # journalctl -o json: one export record per line
    if sum(1 for ln in lines if _ISO.match(ln)) * 2 >= len(lines):
        return "iso"
    if sum(1 for ln in lines if _SYSLOG.match(ln)) * 2 >= len(lines):
        return "syslog"
    if sum(1 for ln in lines if _DMESG.match(ln)) * 2 >= len(lines):
        return "dmesg"
    if sum(1 for ln in lines if _DMESG_BOOT.match(ln)) * 2 >= len(lines):
        return "dmesg-boot"
    if sum(1 for ln in lines if _DMESG_T.match(ln)) * 2 >= len(lines):
        return "dmesg-t"
    # (not a klog trace's lines, Trace[1092196218]: ...: their number is the trace's, no pid)
    if sum(1 for ln in lines if _IDENT.match(ln) and not ln.startswith("Trace[")) * 2 >= len(lines):
        return "ident"
    return None


def _klog_lines(head: bytes) -> bool:
    """Lines of klog's own format, most of them (a journal section of a paste that holds bare klog lines)."""
    lines = [ln for ln in head.decode("utf-8", "replace").split("\n", 30)[:30] if ln.strip()]
    klog = sum(1 for ln in lines if _KLOG.match(ln))
    traces = sum(1 for ln in lines if ln.startswith("Trace[")) if klog else 0  # a klog trace's lines go with its header's
    return bool(lines) and (klog + traces) * 2 >= len(lines)


@dataclass
class JournalMeta:
    snapshot_id: str
    node: str | None
    member: str
    source: str  # journal, syslog, dmesg, runtime-log


class JournalLoader:
    """Loads journal-like lines (journals, syslog, dmesg) into `journal`, the lines of many members in one
    INSERT per format (a statement per small member would cost more than its lines). Traditional syslog
    stamps (no year, no zone) are read in `year` as local time and fixed to UTC later by the ingest,
    which knows the node's offset."""

    BATCH_BYTES = 32 * 1024 * 1024

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str = "journal", stage: bool = True) -> None:
        self.con = con
        self.dest = table
        self.stage = Stage(con, table) if stage else None  # until `finish` gives the node (see Stage)
        self.snapshots: set[str] = set()
        self.added = 0  # the lines the member being added has given so far
        self.pending: dict[tuple[str, int, int], list[pa.Table]] = {}
        self.pending_bytes = 0
        self.local_members: set[str] = set()  # members of dmesg -T's local times: moved by the node's offset as syslog's

    @property
    def table(self) -> str:
        return self.stage.table if self.stage is not None else self.dest

    def add(self, stream: IO[bytes], meta: JournalMeta, year: int | None = None, notes: ReadNotes | None = None, shift_minutes: int = 0) -> int:
        """Queue one member's lines; returns how many lines it has. shift_minutes: the UTC offset its local times (syslog's,
        klog's) are known to be in (a paste's lines that say it), by which they move to UTC."""
        n_total = self.added = 0
        fmt: str | None = None
        year = year or datetime.now(UTC).year
        text, enc = utf8_stream(stream)
        if notes is not None:
            notes.encoding = enc
        self.snapshots.add(meta.snapshot_id)
        for first, lines, _u in split_lines(text, notes=notes):
            if fmt is None:
                head = b"\n".join(x.as_py() for x in lines.slice(0, 30))
                fmt = sniff_journal(head) or ("klog" if _klog_lines(head) else "plain")
                if fmt == "dmesg-t":
                    self.local_members.add(meta.member)
            n = len(lines)
            n_total += n
            self.added = n_total  # (what a member's reading that fails later has given: its lines are kept, and counted)
            source = "syslog" if fmt == "syslog" else "dmesg" if fmt.startswith("dmesg") else meta.source
            self.pending.setdefault((fmt, year, shift_minutes), []).append(pa.table({
                "snapshot_id": pa.array([meta.snapshot_id] * n, pa.string()), "node": pa.array([meta.node] * n, pa.string()),
                "member": pa.array([meta.member] * n, pa.string()), "src": pa.array([source] * n, pa.string()),
                "line_no": np.arange(first, first + n, dtype=np.int32), "line": lines}))  # fmt: skip
            self.pending_bytes += lines.nbytes
            if self.pending_bytes >= self.BATCH_BYTES:
                self.flush()
        return n_total

    def flush(self) -> None:
        for (fmt, year, shift), tables in self.pending.items():
            with arrow_view(self.con, "_chunk", pa.concat_tables(tables)):
                self.con.execute(f"INSERT INTO {self.table} {_journal_sql(fmt, year, shift)}")
        if self.stage is not None:
            self.stage.added(self.pending_bytes)
        self.pending = {}
        self.pending_bytes = 0

    def drop(self, snapshot_id: str, member: str) -> None:
        """Every line of one member, queued or written (a decompression bomb's, whose lines are its own junk)."""
        self.flush()
        self.con.execute(f"DELETE FROM {self.table} WHERE snapshot_id = ? AND member = ?", [snapshot_id, member])

    def finish(self, node: str | None = None, shift_minutes: int = 0) -> None:
        """Write what is queued. node: the node of every line whose meta did not say it;
        shift_minutes: the node's UTC offset, by which syslog stamps (local time, read as UTC) move to UTC."""
        self.flush()
        snaps = sorted(self.snapshots)
        if shift_minutes:
            # kept within what a time may be: a shift past 1970 or 9999 leaves it unknown, as ingest leaves any such time
            self.con.execute(f"""UPDATE {self.table} SET ts = {sane_ts('ts - to_minutes(?)')}
                                 WHERE list_contains(?, snapshot_id) AND ts IS NOT NULL
                                   AND (source = 'syslog' OR (source = 'dmesg' AND list_contains(?, member)))""",
                             [shift_minutes, shift_minutes, shift_minutes, snaps, sorted(self.local_members)])  # fmt: skip
        # (a line whose member named its node keeps it: a cluster bundle's journal of one node)
        if self.stage is not None and self.stage.open:
            self.stage.move("* REPLACE (coalesce(node, ?::VARCHAR) AS node)" if node is not None else "*", [node] if node is not None else [])
        elif node is not None:
            self.con.execute(f"UPDATE {self.table} SET node = ? WHERE list_contains(?, snapshot_id) AND node IS NULL", [node, snaps])


def load_journal(con: duckdb.DuckDBPyConnection, stream: IO[bytes], meta: JournalMeta, year: int | None = None, notes: ReadNotes | None = None) -> int:
    """One member's journal lines, loaded now."""
    loader = JournalLoader(con)
    n = loader.add(stream, meta, year, notes)
    loader.finish()
    return n


# journalctl's own lines in a journal (`-- Logs begin at ...`, `-- No entries --`, -x's catalog text): no entries
_NOT_NOTE = "NOT (src = 'journal' AND (starts_with(s, '-- ') OR starts_with(s, '\u2591\u2591')))"


def _journal_sql(fmt: str, year: int, shift: int = 0) -> str:
    sev = (
        "coalesce(nullif(regexp_extract(msg, '^([IWEF])\\d{4} \\d\\d:\\d\\d:\\d\\d', 1), ''), "
        "nullif(regexp_extract(msg, 'level=(\\w+)', 1), ''), nullif(regexp_extract(msg, '\"level\":\"(\\w+)\"', 1), ''))"
    )
    loc = "nullif(regexp_extract(msg, '^[IWEF]\\d{4} [\\d:.]+\\s+\\d+ ([^\\]\\s]+:\\d+)\\]', 1), '')"
    cols = f"snapshot_id, node, member, line_no, {sane_ts('ts')}, host, ident, pid, {sev}, {loc}, msg, src"
    base = "SELECT snapshot_id, node, member, src, line_no, rtrim(rtrim(decode(line, 'replace'), chr(10)), chr(13)) AS s FROM _chunk"
    if fmt == "json":
        # __REALTIME_TIMESTAMP is microseconds since the epoch; PRIORITY is syslog's (0-3 error, 4 warning);
        # a MESSAGE journald stored as bytes (not UTF-8) comes as a JSON array of numbers: decoded, its invalid bytes ?
        prio = "CASE json_extract_string(s, '$.PRIORITY') WHEN '0' THEN 'crit' WHEN '1' THEN 'crit' WHEN '2' THEN 'crit' WHEN '3' THEN 'error' WHEN '4' THEN 'warning' END"
        def j(path: str) -> str:  # a field of a valid record; a line that is not one is kept whole as the message
            return f"CASE WHEN ok THEN json_extract_string(s, '{path}') END"

        # a MESSAGE of bytes (an array of numbers): its text, each invalid UTF-8 byte a ?
        raw_bytes = ("CASE WHEN ok AND json_type(s, '$.MESSAGE') = 'ARRAY' THEN decode(unhex(array_to_string(list_transform("
                     "try_cast(json_extract(s, '$.MESSAGE') AS UTINYINT[]), lambda x: lpad(to_hex(x), 2, '0')), '')), 'replace') END")

        return f"""SELECT snapshot_id, node, member, line_no, {sane_ts('ts')}, host, ident, pid, coalesce({sev}, prio), {loc}, msg, src FROM (
            SELECT snapshot_id, node, member, src, line_no, try(make_timestamp(try_cast({j('$.__REALTIME_TIMESTAMP')} AS BIGINT)))::TIMESTAMPTZ AS ts,
                   {j('$._HOSTNAME')} AS host, coalesce({j('$.SYSLOG_IDENTIFIER')}, {j('$._COMM')}) AS ident,
                   try_cast({j('$._PID')} AS INTEGER) AS pid, {prio.replace("json_extract_string(s, '$.PRIORITY')", j('$.PRIORITY'))} AS prio,
                   coalesce({raw_bytes}, {j('$.MESSAGE')}, s) AS msg
            FROM (SELECT snapshot_id, node, member, src, line_no, s, json_valid(s) AS ok FROM ({base})))"""
    if fmt == "iso":
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{ISO_RX}', ['ts', 'host', 'ident', 'pid', 'msg']) AS r, s FROM ({base})"""
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no, try_cast(replace(nullif(r.ts, ''), ',', '.') AS TIMESTAMPTZ) AS ts, nullif(r.host, '') AS host,
                   nullif(r.ident, '') AS ident, try_cast(nullif(r.pid, '') AS INTEGER) AS pid,
                   CASE WHEN r.ts = '' THEN s ELSE r.msg END AS msg FROM ({inner}) WHERE NOT starts_with(s, '-- ') AND NOT starts_with(s, '\u2591\u2591'))"""
    if fmt == "syslog":
        months = " ".join(f"WHEN '{m}' THEN {i}" for m, i in MONTHS.items())
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{SYSLOG_RX}', ['mon', 'day', 'time', 'host', 'ident', 'pid', 'msg']) AS r, s FROM ({base})"""
        # local time, no year: stored as if UTC; the ingest shifts it by the node's UTC offset
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no,
                   try_cast(try_strptime('{year}-' || (CASE r.mon {months} END)::VARCHAR || '-' || r.day || ' ' || split_part(r.time, '.', 1),
                                     '%Y-%m-%d %H:%M:%S') AS TIMESTAMPTZ) - to_minutes({int(shift)}) AS ts,
                   nullif(r.host, '') AS host, nullif(r.ident, '') AS ident, try_cast(nullif(r.pid, '') AS INTEGER) AS pid,
                   CASE WHEN r.mon = '' THEN s ELSE r.msg END AS msg FROM ({inner}) WHERE NOT starts_with(s, '-- ') AND NOT starts_with(s, '\u2591\u2591'))"""
    if fmt == "dmesg":
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{DMESG_RX}', ['ts', 'msg']) AS r, s FROM ({base})"""
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no, try_cast(replace(nullif(r.ts, ''), ',', '.') AS TIMESTAMPTZ) AS ts, NULL AS host, 'kernel' AS ident,
                   NULL::INTEGER AS pid, CASE WHEN r.ts = '' THEN s ELSE r.msg END AS msg FROM ({inner}))"""
    if fmt == "dmesg-boot":  # the kernel's lines, of no time of day
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{DMESG_BOOT_RX}', ['up', 'msg']) AS r, s FROM ({base})"""
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no, NULL::TIMESTAMPTZ AS ts, NULL AS host, 'kernel' AS ident,
                   NULL::INTEGER AS pid, CASE WHEN r.up = '' THEN s ELSE r.msg END AS msg FROM ({inner}))"""
    if fmt == "dmesg-t":  # local time, as syslog's, but with the year
        months = " ".join(f"WHEN '{m}' THEN {i}" for m, i in MONTHS.items())
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{DMESG_T_RX}', ['mon', 'day', 'time', 'year', 'msg']) AS r, s FROM ({base})"""
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no,
                   try_cast(try_strptime(r.year || '-' || (CASE r.mon {months} END)::VARCHAR || '-' || r.day || ' ' || r.time,
                                         '%Y-%m-%d %H:%M:%S') AS TIMESTAMPTZ) - to_minutes({int(shift)}) AS ts,
                   NULL AS host, 'kernel' AS ident, NULL::INTEGER AS pid, CASE WHEN r.mon = '' THEN s ELSE r.msg END AS msg FROM ({inner}))"""
    if fmt == "klog":
        # local time, no year (as syslog's): the line whole is the message, its severity and file:line read from it
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{KLOG_RX}', ['mon', 'day', 'time', 'pid']) AS r, s FROM ({base})"""
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no,
                   try_cast(try_strptime('{year}-' || r.mon || '-' || r.day || ' ' || r.time, '%Y-%m-%d %H:%M:%S') AS TIMESTAMPTZ) - to_minutes({int(shift)}) AS ts,
                   NULL AS host, NULL AS ident, try_cast(nullif(r.pid, '') AS INTEGER) AS pid, s AS msg FROM ({inner}) WHERE {_NOT_NOTE})"""
    if fmt == "ident":
        inner = f"""SELECT snapshot_id, node, member, src, line_no, regexp_extract(s, '{IDENT_RX}', ['ident', 'pid', 'msg']) AS r, s FROM ({base})"""
        return f"""SELECT {cols} FROM (
            SELECT snapshot_id, node, member, src, line_no, try_cast(nullif(regexp_extract(r.msg, 'time="([^"]+)"', 1), '') AS TIMESTAMPTZ) AS ts, NULL AS host,
                   nullif(r.ident, '') AS ident, try_cast(nullif(r.pid, '') AS INTEGER) AS pid,
                   CASE WHEN r.ident = '' THEN s ELSE r.msg END AS msg FROM ({inner}) WHERE {_NOT_NOTE})"""
    return f"""SELECT {cols} FROM (SELECT snapshot_id, node, member, src, line_no, NULL::TIMESTAMPTZ AS ts, NULL AS host, NULL AS ident, NULL::INTEGER AS pid, s AS msg
               FROM ({base}) WHERE {_NOT_NOTE})"""
