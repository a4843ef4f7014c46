"""The DuckDB store: schema (from analyzer.models), bulk inserts through Arrow, views."""

from __future__ import annotations

import functools
import json
import os
import types
import typing
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from pydantic import BaseModel

from analyzer.errors import AnalyzerError, DatabaseError, DatabaseInUse
from analyzer.models import ALL_RECORDS, FIXED_RECORDS, STORED, CommonColumns, Record, Row, Sql, Stored
from analyzer.timeparse import LAST_YEAR

if TYPE_CHECKING:  # pyarrow (with numpy) is imported by the writes that need it: a reader starts without it
    import pyarrow as pa

SCHEMA_VERSION = 4  # 2: snapshots.content_sha256; 3: members.state and reason, collection_records.mtime, paste_sections, grep index; 4: snapshots.withheld, redaction_engine and redaction_awk


@dataclass(frozen=True)
class Column:
    """One column of a stored table, as analyzer.models declares it."""

    name: str
    type: str  # the DuckDB type: VARCHAR, BIGINT, INTEGER, TIMESTAMPTZ, JSON, VARCHAR[], ...
    nullable: bool
    description: str
    primary_key: bool = False
    compression: str | None = None

    @property
    def ddl(self) -> str:
        key = " PRIMARY KEY" if self.primary_key else ""
        comp = f" USING COMPRESSION {self.compression}" if self.compression else ""
        return f"{self.name} {self.type}{key}{comp}"

    @property
    def arrow(self) -> pa.DataType:
        """The Arrow type rows are inserted as."""
        return arrow_type(self.type)


@functools.cache
def arrow_type(ddb: str) -> pa.DataType:
    """The Arrow type of a DuckDB column type of the schema."""
    import pyarrow as pa

    return {"VARCHAR": pa.string(), "BOOLEAN": pa.bool_(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "DOUBLE": pa.float64(),
            "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "BLOB": pa.binary(), "VARCHAR[]": pa.list_(pa.string()),
            "JSON": pa.string()}[ddb]  # fmt: skip


def _col_type(annotation: Any) -> tuple[str, bool, Sql]:
    """DuckDB type, nullability and storage hints of a model field."""
    sql = Sql()
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        sql = next((e for e in extra if isinstance(e, Sql)), sql)
    nullable = False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        nullable = type(None) in args
        annotation = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is str:
        ddb = "VARCHAR"
    elif annotation is bool:
        ddb = "BOOLEAN"
    elif annotation is int:
        ddb = "BIGINT"
    elif annotation is float:
        ddb = "DOUBLE"
    elif annotation is datetime:
        ddb = "TIMESTAMPTZ"
    elif annotation is bytes:
        ddb = "BLOB"
    elif origin is list and args and args[0] is str:
        ddb = "VARCHAR[]"
    else:
        ddb = "JSON"
    if sql.type == "INTEGER" and ddb == "BIGINT":
        ddb = "INTEGER"
    elif sql.type is not None:
        raise TypeError(f"Sql(type={sql.type!r}) on a field of DuckDB type {ddb}")
    return ddb, nullable, sql


def _model_columns(cls: type[BaseModel]) -> list[Column]:
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for name, field in cls.model_fields.items():
        ddb, nullable, sql = _col_type(hints[name])
        out.append(Column(name, ddb, nullable, field.description or "", sql.primary_key, sql.compression))
    return out


@functools.cache
def table_columns(cls: type[Stored]) -> list[Column]:
    """The columns of a model's table, in order: a record's table starts with the common columns."""
    common = _model_columns(CommonColumns) if issubclass(cls, Record) else []
    return common + _model_columns(cls)


def record_columns(cls: type[Record]) -> list[Column]:
    return table_columns(cls)


FIXED: dict[str, type[Row]] = {cls.table: cls for cls in FIXED_RECORDS}


def table_ddl(cls: type[Stored]) -> str:
    """CREATE TABLE of a model's table (IF NOT EXISTS): the only place a table is declared."""
    return f"CREATE TABLE IF NOT EXISTS {cls.table} ({', '.join(c.ddl for c in table_columns(cls))})"


def insert_tuples(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Many rows in one statement, through Arrow (DuckDB's executemany runs one INSERT per row)."""
    if not rows:
        return
    import pyarrow as pa

    data = pa.Table.from_pydict({c: [r[i] for r in rows] for i, c in enumerate(columns)})
    con.register("_tuples", data)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _tuples")
    finally:
        con.unregister("_tuples")


def _json_default(o: object) -> str:
    if isinstance(o, datetime):
        return o.isoformat()
    return str(o)


MEMORY_LIMIT = os.environ.get("KUBESNAP_MEMORY_LIMIT", "1GB")

# Every connection Kubesnap opens, to a database it creates or to one a stranger sent: the database can
# reach nothing outside itself (no file, no URL, no extension). A view, macro or default of a foreign
# database then has no way to read the analyst's files or the network.
SANDBOX: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "memory_limit": MEMORY_LIMIT,
}


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0][:300]


def shown(name: object) -> str:
    """A name read from a foreign catalog, safe in a one-line message (control characters escaped)."""
    text = str(name)
    return repr(text[:80] + ("..." if len(text) > 80 else ""))


def connect(path: Path, read_only: bool, allowed_directories: Sequence[Path] = (), memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A sandboxed connection (SANDBOX); a reader's settings are locked before any query runs.

    `allowed_directories`: the only folders the connection may write to (export's COPY TO); DuckDB takes
    them only while external access is on, so then access is switched off right after, still before any
    query reads the database. `memory_limit`: DuckDB's, instead of MEMORY_LIMIT (a reader's cannot change once open)."""
    config = dict(SANDBOX)
    if memory_limit:
        config["memory_limit"] = memory_limit
    if not read_only:
        # log lines are read back ordered by (file_id, line_no), never by insertion: let DuckDB insert in parallel
        config["preserve_insertion_order"] = False
    if allowed_directories:
        config["enable_external_access"] = True
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as e:
        msg = str(e).lower()
        if "lock" in msg or "conflicting" in msg:
            raise DatabaseInUse(f"{path} is in use by another kubesnap process (DuckDB holds a lock on it)") from e
        if "not a valid duckdb database" in msg or "sqlite" in msg:
            raise DatabaseError(f"{path}: not a Kubesnap database ({_first_line(e)})") from e
        raise DatabaseError(f"{path}: cannot open: {_first_line(e)}") from e
    except duckdb.Error as e:
        raise DatabaseError(f"{path}: not a Kubesnap database ({_first_line(e)})") from e
    try:
        if con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]:
            return con  # the database is already open in this process (diff A A): DuckDB shares it, settings and all
        if allowed_directories:
            dirs = ", ".join("'" + (str(d.resolve()).rstrip("/") + "/").replace("'", "''") + "'" for d in allowed_directories)
            con.execute(f"SET GLOBAL allowed_directories = [{dirs}]")
            con.execute("SET GLOBAL enable_external_access = false")
        con.execute("SET GLOBAL TimeZone = 'UTC'")  # global: cursors of this connection inherit it
        if read_only:
            # A writer keeps its settings open (the ingest tunes threads per phase) and needs no lock: DuckDB
            # refuses to turn external access back on while it runs, and without external access no
            # extension can be installed or loaded; what a writer opens was checked to hold none of a
            # stranger's SQL (check_catalog).
            con.execute("SET GLOBAL lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def own_views(con: duckdb.DuckDBPyConnection) -> None:
    """Kubesnap's views as temporary views: they hide any view of the same name a database carries, so
    reads go through our SQL, never through the view SQL of a database someone else wrote."""
    from analyzer.views import VIEWS

    for name, (_about, sql) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Every table, sequence and index of the current schema (IF NOT EXISTS), and the schema version."""
    con.execute("CREATE TABLE IF NOT EXISTS kubesnap_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for cls in STORED:
        con.execute(table_ddl(cls))
    con.execute("CREATE SEQUENCE IF NOT EXISTS log_file_ids START 1")
    con.execute("CREATE SEQUENCE IF NOT EXISTS grep_part_ids START 1")
    con.execute("INSERT OR REPLACE INTO kubesnap_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


Catalog = dict[str, dict[str, str | None]]

# The sha256 of expected_catalog() (catalog_digest) as each DuckDB version renders it: a database whose catalog has
# this digest is exactly of our format, known without making the expected catalog in memory (0.07 s of every verb's
# start). Another DuckDB version, or a digest not yet recorded, only costs that time (tests/test_schema_models.py
# fails while the digest of the DuckDB installed is stale).
KNOWN_CATALOGS = {"2.0.1": "5925aef48d6f6d672dff56debb79f6708b9738ccb3d26b323602e99b2107007c"}


def catalog_digest(cat: Catalog) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(cat, sort_keys=True).encode()).hexdigest()


def _is_ours(got: Catalog) -> bool:
    """The catalog is exactly the one this Kubesnap writes, by its digest (KNOWN_CATALOGS)."""
    known = KNOWN_CATALOGS.get(duckdb.__version__)
    return known is not None and catalog_digest(got) == known


def _catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """What a database holds, read from DuckDB's own catalog functions (nothing of the database runs):
    kind -> {schema.name: definition (None where only the name matters)}."""
    db = con.execute("SELECT current_database()").fetchall()[0][0]
    q = {
        "table": "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE database_name = $db AND NOT temporary",
        "view": "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = $db AND NOT internal AND NOT temporary",
        "index": "SELECT schema_name, index_name, sql FROM duckdb_indexes() WHERE database_name = $db",
        "sequence": "SELECT schema_name, sequence_name, NULL FROM duckdb_sequences() WHERE database_name = $db AND NOT temporary",
        "macro": "SELECT DISTINCT schema_name, function_name, NULL FROM duckdb_functions() WHERE database_name = $db AND NOT internal",
        "type": "SELECT schema_name, type_name, NULL FROM duckdb_types() WHERE database_name = $db AND NOT internal",
        "schema": "SELECT schema_name, schema_name, NULL FROM duckdb_schemas() WHERE database_name = $db AND NOT internal",
    }
    return {kind: {f"{s}.{n}": d for s, n, d in con.execute(sql, {"db": db}).fetchall()} for kind, sql in q.items()}


@functools.cache
def expected_catalog() -> Catalog:
    """The catalog this Kubesnap writes: made in memory by the same code that makes a database."""
    from analyzer.views import create_views

    with duckdb.connect(":memory:", config=dict(SANDBOX)) as con:
        con.execute("BEGIN TRANSACTION")  # one commit, not one per statement
        _create_schema(con)
        create_views(con)
        con.execute("COMMIT")
        return _catalog(con)


def check_catalog(path: Path, con: duckdb.DuckDBPyConnection, got: Catalog | None = None) -> None:
    """Refuse, in one line, a database that is not exactly of this Kubesnap's format: read before any of
    its tables is queried, so that a foreign view or macro never runs in place of ours. `got` is the
    database's catalog when the caller has just read it."""
    got = got if got is not None else _catalog(con)
    ours = _is_ours(got)
    want = got if ours else expected_catalog()  # the same catalog: every comparison below holds
    meta = "main.kubesnap_meta"
    if got["table"].get(meta) != want["table"][meta]:
        what = "a view" if meta in got["view"] else "of another shape" if meta in got["table"] else "missing"
        raise DatabaseError(f"{path}: not a Kubesnap database (its kubesnap_meta table is {what})")
    rows = con.execute("SELECT value FROM main.kubesnap_meta WHERE key = 'schema_version'").fetchall()
    version = rows[0][0] if rows else None
    if version is None or not version.isdecimal() or len(version) > 6:
        raise DatabaseError(f"{path}: not a Kubesnap database (no schema version in kubesnap_meta)")
    if int(version) > SCHEMA_VERSION:
        raise DatabaseError(f"{path} was written by a newer Kubesnap (schema {int(version)} > {SCHEMA_VERSION}): open it with that version")
    if int(version) < SCHEMA_VERSION:
        raise DatabaseError(f"{path} was written by an older Kubesnap (schema {int(version)} < {SCHEMA_VERSION}): ingest its bundles again")
    for kind in () if ours else ("schema", "type", "macro", "sequence", "table", "index", "view"):
        g, w = got[kind], want[kind]
        for name in sorted(w):
            short = shown(name.split(".", 1)[1])
            if name not in g and kind != "view":  # our views are ours whatever the file holds
                other = next((k for k in ("table", "view") if k != kind and name in got[k]), None)
                raise DatabaseError(f"{path}: not a Kubesnap database of schema {SCHEMA_VERSION}: {kind} {short} is {f'a {other}' if other else 'missing'}")
            if name in g and g[name] != w[name] and kind != "view":  # a view of ours defined otherwise is never read (Store)
                raise DatabaseError(f"{path}: not a Kubesnap database of schema {SCHEMA_VERSION}: {kind} {short} has another definition")
        for name in sorted(set(g) - set(w)):
            raise DatabaseError(f"{path}: not a Kubesnap database: unexpected {kind} {shown(name)}")
    # a time Python has no datetime for (infinity, the year 200000; Kubesnap never writes one) is a file written by other
    # hands: every verb that showed it failed (a margin of a year at each end, for time zones)
    cols = _time_columns()
    found = con.execute("SELECT " + ", ".join(  # one statement: each a look at the columns' zone maps, 0.05 s on a 5 GiB site
        f"EXISTS (SELECT 1 FROM main.{t} WHERE {c} < TIMESTAMPTZ '{FIRST_TIME.isoformat()}' OR {c} >= TIMESTAMPTZ '{END_TIME.isoformat()}')"
        for t, c in cols)).fetchall()[0]  # fmt: skip
    for (table, col), bad in zip(cols, found, strict=True):
        if bad:
            raise DatabaseError(f"{path}: not a Kubesnap database: {table}.{col} holds a time no date can hold (before the year 2 or from 9999 on)")


@functools.cache
def _time_columns() -> tuple[tuple[str, str], ...]:
    """Every TIMESTAMPTZ column of the stored tables, from the models."""
    from analyzer.models import STORED

    return tuple((cls.table, c.name) for cls in STORED for c in table_columns(cls) if c.type == "TIMESTAMPTZ")


def _in_range(values: list[Any], ddb: str) -> list[Any]:
    """Whole numbers a column of `ddb` (INTEGER, BIGINT) holds; one beyond its bits (a hostile 20-digit pid, a
    manifest's 2^31) is unknown (None): its row is kept."""
    bits = 31 if ddb == "INTEGER" else 63
    return [v if v is None or not isinstance(v, int) or -(2**bits) <= v < 2**bits else None for v in values]


FIRST_TIME = datetime(2, 1, 1, tzinfo=UTC)  # the times a database of Kubesnap holds: from the year 2 to before LAST_YEAR (_check)
END_TIME = datetime(LAST_YEAR, 1, 1, tzinfo=UTC)


def _times(values: list[Any]) -> list[Any]:
    """Times a TIMESTAMPTZ column of ours holds (naive ones taken as UTC); one outside FIRST_TIME..END_TIME is unknown
    (None), its row kept: a certificate's notAfter of 9999-12-31 (RFC 5280's "no expiration") once made the whole database
    unreadable to every verb, which refuse such a time as the mark of a file written by other hands."""
    out = []
    for v in values:
        if v is not None:
            v = v if v.tzinfo else v.replace(tzinfo=UTC)
            if not FIRST_TIME <= v < END_TIME:
                v = None
        out.append(v)
    return out


class Store:
    """One open DuckDB database, always sandboxed (SANDBOX). A database that already existed is checked to
    be exactly of this Kubesnap's format before anything reads or writes it; reads go through Kubesnap's
    own views. Writers hold DuckDB's file lock: a second writer fails clearly."""

    def __init__(self, path: Path | str, read_only: bool = False, allowed_directories: Sequence[Path] = (), memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.temp_views = False  # whether reads go through Kubesnap's views laid over the file's as temporary views
        if read_only and not self.path.is_file():
            raise DatabaseError(f"{self.path}: no such database")
        self.con = connect(self.path, read_only, allowed_directories, memory_limit)
        try:
            got = _catalog(self.con)
            empty = not any(got[k] for k in ("table", "view", "macro", "sequence", "type", "schema"))
            if read_only or not empty:
                check_catalog(self.path, self.con, got)
            if empty and not read_only:
                self.ensure_schema()  # a new database: nothing to compare (the expected catalog costs 0.15 s to make)
            elif read_only:
                # The file's views are read only where each is exactly ours, as DuckDB renders it (over tables of
                # our definitions, checked above); else ours are laid over them as temporary views.
                self.temp_views = not _is_ours(got) and got["view"] != expected_catalog()["view"]
                if self.temp_views:
                    own_views(self.con)
            elif not _is_ours(got) and got != expected_catalog():  # a new database, or one whose views are not exactly ours
                self.ensure_schema()
        except duckdb.Error as e:
            self.con.close()
            raise DatabaseError(f"{self.path}: not a Kubesnap database ({_first_line(e)})") from e
        except BaseException:
            self.con.close()
            raise

    def close(self) -> None:
        self.con.close()

    def cursor_store(self) -> Store:
        """The same database through another connection (its own transactions): one per ingest thread."""
        other = object.__new__(Store)
        other.path = self.path
        other.con = self.cursor()
        other.temp_views = self.temp_views
        return other

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Another cursor of this connection, reading through the same views: temporary views are per cursor,
        so where the connection reads through them (the file's views are not exactly ours) the cursor gets
        them too."""
        cur = self.con.cursor()
        if self.temp_views:
            own_views(cur)
        return cur

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- schema

    def ensure_schema(self) -> None:
        """Create what a new database lacks (an existing one was checked to be of this schema) and
        (re)write Kubesnap's views."""
        from analyzer.views import create_views

        with self.transaction():  # one commit for the whole schema, not one per statement
            _create_schema(self.con)
            create_views(self.con)

    # -------------------------------------------------------------- writes

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def insert_records(self, snapshot_id: str, node: str | None, member: str, records: Sequence[Record]) -> None:
        self.insert_member_records(snapshot_id, node, [(member, r) for r in records])

    def insert_member_records(self, snapshot_id: str, node: str | None, items: Sequence[tuple[str, Record]]) -> None:
        """Records of many members: one INSERT per table, whatever the number of members."""
        by_table: dict[type[Record], list[tuple[str, Record]]] = {}
        for m, r in items:
            by_table.setdefault(type(r), []).append((m, r))
        for cls, rows in by_table.items():
            self.con.register("_rows", self._arrow(cls, snapshot_id, node, [m for m, _r in rows], [r for _m, r in rows]))
            try:
                self.con.execute(f"INSERT INTO {cls.table} SELECT * FROM _rows")
            finally:
                self.con.unregister("_rows")

    @staticmethod
    def _arrow(cls: type[Record], snapshot_id: str, node: str | None, members: list[str], rows: list[Record]) -> pa.Table:
        import pyarrow as pa

        cols = table_columns(cls)
        n = len(rows)
        arrays: list[pa.Array] = [pa.array([snapshot_id] * n, pa.string()), pa.array([node] * n, pa.string()),
                                  pa.array(members, pa.string())]  # fmt: skip
        for col in cols[3:]:
            name, ddb, arrow = col.name, col.type, col.arrow
            values = [getattr(r, name) for r in rows]
            if ddb == "JSON":
                values = [None if v is None else json.dumps(v, default=_json_default, ensure_ascii=False) for v in values]
            elif ddb == "TIMESTAMPTZ":
                values = _times(values)
            elif ddb in ("BIGINT", "INTEGER"):
                # a hostile capture can print any number (a 20-digit pid): beyond the column's bits it is unknown, the row is kept
                values = _in_range(values, ddb)
            arrays.append(pa.array(values, arrow))
        return pa.Table.from_arrays(arrays, names=[c.name for c in cols])

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Rows of a fixed table, through Arrow (one statement, not one per row)."""
        if not rows:
            return
        import pyarrow as pa

        cols = list(rows[0].keys())
        types_ = {c.name: c.type for c in table_columns(FIXED[table])}
        arrays = []
        for c in cols:
            values = [r[c] for r in rows]
            t = types_.get(c, "VARCHAR")
            if t == "TIMESTAMPTZ":
                arrays.append(pa.array(_times(values), pa.timestamp("us", tz="UTC")))
            elif t == "VARCHAR[]":
                arrays.append(pa.array(values, pa.list_(pa.string())))
            elif t in ("INTEGER", "BIGINT"):
                arrays.append(pa.array(_in_range(values, t), pa.int64()))  # (a manifest's 2^31 in an INTEGER column: unknown)
            elif t == "BOOLEAN":
                arrays.append(pa.array(values, pa.bool_()))
            elif t == "DOUBLE":
                arrays.append(pa.array(values, pa.float64()))
            else:
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
        self.con.register("_fixed", pa.Table.from_arrays(arrays, names=cols))
        try:
            self.con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _fixed")
        finally:
            self.con.unregister("_fixed")

    def replace_findings(self, site: str, rows: list[dict[str, Any]]) -> None:
        """The findings of a site, replacing those of the previous check, in one transaction."""
        with self.transaction():
            self.con.execute("DELETE FROM findings WHERE site = ?", [site])
            self.insert_rows("findings", rows)
            # that the site was checked, even when nothing was found (the view finding_checks)
            self.con.execute("INSERT OR REPLACE INTO kubesnap_meta VALUES (?, ?)", [f"findings_checked:{site}", datetime.now(UTC).isoformat()])

    def delete_snapshot(self, snapshot_id: str, member: str | None = None) -> None:
        """Remove a snapshot's rows (or one member's rows) from every table."""
        con = self.con
        if not con.execute("SELECT 1 FROM members WHERE snapshot_id = ? LIMIT 1", [snapshot_id]).fetchall() and not con.execute(
            "SELECT 1 FROM snapshots WHERE snapshot_id = ? LIMIT 1", [snapshot_id]
        ).fetchall():
            return  # a snapshot never ingested: nothing to scan every table for
        where = "snapshot_id = ?" + (" AND member = ?" if member is not None else "")
        args: list[str] = [snapshot_id] + ([member] if member is not None else [])
        con.execute(f"DELETE FROM log_lines WHERE file_id IN (SELECT file_id FROM log_files WHERE {where})", args)
        for cls in ALL_RECORDS:
            con.execute(f"DELETE FROM {cls.table} WHERE {where}", args)
        con.execute(f"DELETE FROM journal WHERE {where}", args)
        if member is None:
            from analyzer import grepindex

            grepindex.delete_snapshot(con, snapshot_id)
            for t in ("members", "ingest_problems", "id_aliases", "process_links", "snapshots"):
                con.execute(f"DELETE FROM {t} WHERE snapshot_id = ?", [snapshot_id])
        else:
            con.execute("DELETE FROM members WHERE snapshot_id = ? AND path = ?", args)
            con.execute("DELETE FROM ingest_problems WHERE snapshot_id = ? AND member = ?", args)

    def delete_members(self, snapshot_id: str, members: Collection[str]) -> None:
        """Remove the rows of many members of one snapshot from every table: one statement per table
        whatever their number, and none when no member of these names is there."""
        if not members:
            return
        import pyarrow as pa

        con = self.con
        con.register("_names", pa.table({"name": pa.array(sorted(members), pa.string())}))
        try:
            if not con.execute("SELECT 1 FROM members WHERE snapshot_id = ? AND path IN (SELECT name FROM _names) LIMIT 1", [snapshot_id]).fetchall():
                return
            where = "snapshot_id = ? AND member IN (SELECT name FROM _names)"
            con.execute(f"DELETE FROM log_lines WHERE file_id IN (SELECT file_id FROM log_files WHERE {where})", [snapshot_id])
            for cls in ALL_RECORDS:
                con.execute(f"DELETE FROM {cls.table} WHERE {where}", [snapshot_id])
            con.execute(f"DELETE FROM journal WHERE {where}", [snapshot_id])
            con.execute("DELETE FROM members WHERE snapshot_id = ? AND path IN (SELECT name FROM _names)", [snapshot_id])
            con.execute(f"DELETE FROM ingest_problems WHERE {where}", [snapshot_id])
        finally:
            con.unregister("_names")

    # -------------------------------------------------------------- reads

    def pick_site(self, site: str | None) -> str:
        """`site` when the database has it; by default the site with the most snapshots."""
        sites = [r[0] for r in self.con.execute("SELECT site, count(*) FROM snapshots GROUP BY site ORDER BY 2 DESC, 1").fetchall()]
        if not sites:
            raise AnalyzerError("the database holds no snapshot: ingest bundles first")
        if site is not None and site not in sites:
            raise AnalyzerError(f"no site {site!r} in the database (sites: {', '.join(sites)})")
        return site or sites[0]

    def query(self, sql: str, params: Sequence[object] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cur = self.con.execute(sql, params or [])
        except duckdb.Error as e:
            raise DatabaseError(str(e).splitlines()[0]) from e
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
