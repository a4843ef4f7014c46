"""Foreign DuckDB files: a database someone else made, given to any verb that reads one, cannot read the
analyst's files, write anywhere, reach the network, load an extension, or run its own SQL in place of
Kubesnap's; a database of another shape is refused in one line (exit 2) before any of it is queried.

Each case starts from a database Kubesnap wrote and makes one hostile change with a plain (unsandboxed)
DuckDB connection, as an attacker would. A view over an https:// URL cannot be made here (DuckDB binds a
view when it is created, which needs the httpfs extension, and this machine cannot download it): the
https case is `kubesnap sql` on a URL served by a local listener, refused before any connection.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from analyzer import api
from analyzer.cli import main
from analyzer.store import SCHEMA_VERSION

CANARY = "kubesnap-canary-7f3a9c"


@pytest.fixture(scope="session")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of the analyst's a hostile database would like to read: a CSV, a text and a Parquet file."""
    d = tmp_path_factory.mktemp("analyst-files")
    (d / "secret.txt").write_text(f"token,{CANARY}\n")
    duckdb.sql(f"COPY (SELECT '{CANARY}' AS token) TO '{d / 'secret.parquet'}' (FORMAT PARQUET)")
    return d


@pytest.fixture(scope="session")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database Kubesnap wrote: a pasted `kubectl describe pod` ingested."""
    from tests.test_describe import POD

    d = tmp_path_factory.mktemp("good-db")
    (d / "describe.txt").write_text(POD)
    db = d / "good.duckdb"
    api.ingest_inputs(db, [d / "describe.txt"])
    return db


class Listener:
    """A TCP server on 127.0.0.1 that counts connections: any is a network attempt."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            c.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def hostile(good: Path, dest: Path, *sql: str) -> Path:
    shutil.copy(good, dest)
    con = duckdb.connect(str(dest))
    for s in sql:
        con.execute(s)
    con.close()
    return dest


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# Every verb that reads a database, given the hostile one (OUT is a fresh output path of the test).
def verbs(db: str, out: str, good: str, which: str = "all") -> list[list[str]]:
    """Every verb that opens a database, on `db`; which="core": a reader, sql, diff and ingest (the fast set's
    share; every verb opens through the same Store, and the slow set runs them all)."""
    core = [
        ["get", "pods", "-A", "--db", db],
        ["sql", "--db", db, "SELECT count(*) FROM pod_processes"],
        ["diff", good, db],
        ["ingest", "--db", db, good],
    ]
    rest = [
        ["get", "pods", "-A", "-o", "yaml", "--db", db],
        ["describe", "pod", "web-0", "-n", "shop", "--db", db],
        ["logs", "web-0", "-n", "shop", "--db", db],
        ["ps", "node1", "--db", db],
        ["timeline", "--db", db],
        ["findings", "--db", db],
        ["report", "--db", db, "-o", out + ".html"],
        ["export", "--db", db, out + "-parquet"],
        ["diff", db, good],
    ]
    return core if which == "core" else core + rest


@dataclass
class Case:
    id: str
    sql: tuple[str, ...]
    message: str  # what the one-line error says (after "kubesnap: <path>")


def cases(canary: Path, port: int) -> list[Case]:
    secret, parquet = canary / "secret.txt", canary / "secret.parquet"
    return [
        Case(
            "view-read_text",
            (f"CREATE VIEW leak AS SELECT * FROM read_text('{secret}')",),
            ": not a Kubesnap database: unexpected view 'main.leak'",
        ),
        Case(
            "view-read_csv",
            (f"CREATE VIEW leak AS SELECT * FROM read_csv('{secret}')",),
            ": not a Kubesnap database: unexpected view 'main.leak'",
        ),
        Case(
            "view-read_parquet",
            (f"CREATE VIEW leak AS SELECT * FROM read_parquet('{parquet}')",),
            ": not a Kubesnap database: unexpected view 'main.leak'",
        ),
        Case(
            "view-glob",
            ("CREATE VIEW leak AS SELECT * FROM glob('/etc/*')",),
            ": not a Kubesnap database: unexpected view 'main.leak'",
        ),
        Case(
            "table-replaced-by-file-view",
            ("DROP TABLE journal", f"CREATE VIEW journal AS SELECT * FROM read_text('{secret}')"),
            f": not a Kubesnap database of schema {SCHEMA_VERSION}: table 'journal' is a view",
        ),
        Case(
            "table-replaced-by-parquet-view",
            ("DROP TABLE log_lines", f"CREATE VIEW log_lines AS SELECT * FROM read_parquet('{parquet}')"),
            f": not a Kubesnap database of schema {SCHEMA_VERSION}: table 'log_lines' is a view",
        ),
        Case(
            "macro-shadows-builtin",
            ("CREATE MACRO lower(x) AS 'forged'",),
            ": not a Kubesnap database: unexpected macro 'main.lower'",
        ),
        Case(
            "macro-reads-file",
            (f"CREATE MACRO coalesce2(x) AS (SELECT content FROM read_text('{secret}'))",),
            ": not a Kubesnap database: unexpected macro 'main.coalesce2'",
        ),
        Case(
            "default-reads-file",
            (
                "DROP TABLE ingest_problems",
                "CREATE TABLE ingest_problems (snapshot_id VARCHAR, bundle VARCHAR, member VARCHAR, parser VARCHAR, "
                "reason VARCHAR DEFAULT (current_setting('TimeZone')), line INTEGER)",
            ),
            f": not a Kubesnap database of schema {SCHEMA_VERSION}: table 'ingest_problems' has another definition",
        ),
        Case(
            "missing-table",
            ("DROP TABLE journal",),
            f": not a Kubesnap database of schema {SCHEMA_VERSION}: table 'journal' is missing",
        ),
        Case(
            "extra-column",
            ("ALTER TABLE members ADD COLUMN x VARCHAR",),
            f": not a Kubesnap database of schema {SCHEMA_VERSION}: table 'members' has another definition",
        ),
        Case(
            "retyped-column",
            ("ALTER TABLE snapshots ALTER COLUMN node TYPE BLOB",),
            f": not a Kubesnap database of schema {SCHEMA_VERSION}: table 'snapshots' has another definition",
        ),
        Case(
            "extra-table",
            ("CREATE TABLE loot (x VARCHAR)",),
            ": not a Kubesnap database: unexpected table 'main.loot'",
        ),
        Case(
            "extra-schema",
            ("CREATE SCHEMA other", "CREATE TABLE other.members (x VARCHAR)"),
            ": not a Kubesnap database: unexpected schema 'other.other'",
        ),
        Case(
            "extra-type",
            ("CREATE TYPE mood AS ENUM ('a', 'b')",),
            ": not a Kubesnap database: unexpected type 'main.mood'",
        ),
        Case(
            "extra-index",
            ("CREATE INDEX members_by_path ON members (path)",),
            ": not a Kubesnap database: unexpected index 'main.members_by_path'",
        ),
        Case(
            "no-meta",
            ("DROP TABLE kubesnap_meta",),
            ": not a Kubesnap database (its kubesnap_meta table is missing)",
        ),
        Case(
            "meta-is-a-view",
            (
                "DROP TABLE kubesnap_meta",
                f"CREATE VIEW kubesnap_meta AS SELECT 'schema_version' AS key, content AS value FROM read_text('{secret}')",
            ),
            ": not a Kubesnap database (its kubesnap_meta table is a view)",
        ),
        Case(
            "no-version",
            ("DELETE FROM kubesnap_meta",),
            ": not a Kubesnap database (no schema version in kubesnap_meta)",
        ),
        Case(
            "garbled-version",
            ("UPDATE kubesnap_meta SET value = '1; DROP TABLE pods' WHERE key = 'schema_version'",),
            ": not a Kubesnap database (no schema version in kubesnap_meta)",
        ),
        Case(
            "newer-version",
            ("UPDATE kubesnap_meta SET value = '99' WHERE key = 'schema_version'",),
            f" was written by a newer Kubesnap (schema 99 > {SCHEMA_VERSION}): open it with that version",
        ),
        Case(
            "older-version",
            ("UPDATE kubesnap_meta SET value = '0' WHERE key = 'schema_version'",),
            f" was written by an older Kubesnap (schema 0 < {SCHEMA_VERSION}): ingest its bundles again",
        ),
        Case(
            "terminal-in-name",
            ('CREATE VIEW "\x1b]0;pwned\x07\x1b[2J" AS SELECT 1',),
            ": not a Kubesnap database: unexpected view 'main.\\x1b]0;pwned\\x07\\x1b[2J'",
        ),
    ]


CASE_IDS = [c.id for c in cases(Path("/x"), 1)]


@pytest.mark.parametrize("which", ["core", pytest.param("all", marks=pytest.mark.slow)])
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_hostile_database_is_refused_by_every_verb(
    case_id: str, which: str, good_db: Path, canary: Path, listener: Listener, tmp_path: Path
) -> None:
    case = next(c for c in cases(canary, listener.port) if c.id == case_id)
    db = hostile(good_db, tmp_path / "foreign.duckdb", *case.sql)
    before = digest(db)
    for argv in verbs(str(db), str(tmp_path / "out"), str(good_db), which):
        res = CliRunner().invoke(main, argv)
        assert res.exit_code == 2, (argv, res.output)
        assert res.stderr == f"kubesnap: {db}{case.message}\n", argv
        assert CANARY not in res.output
    assert digest(db) == before  # not written, not even by ingest
    assert not list(tmp_path.glob("out*")), "no report or export was written"
    assert listener.connections == 0


def test_a_view_of_ours_redefined_by_the_file_is_never_run(
    good_db: Path, canary: Path, listener: Listener, tmp_path: Path
) -> None:
    """pod_processes and get pods read through Kubesnap's own view SQL, whatever the file defines."""
    db = hostile(good_db, tmp_path / "foreign.duckdb",
                 f"CREATE OR REPLACE VIEW pod_processes AS SELECT content AS pod FROM read_text('{canary / 'secret.txt'}')",
                 "CREATE OR REPLACE VIEW pods AS SELECT file AS name FROM glob('/etc/*')")  # fmt: skip
    res = CliRunner().invoke(
        main,
        [
            "sql",
            "--db",
            str(db),
            "--format",
            "csv",
            "SELECT (SELECT count(*) FROM pod_processes) AS n, name FROM pods",
        ],
    )
    assert res.exit_code == 0 and res.stdout == "n,name\n0,web-0\n", res.output
    res = CliRunner().invoke(main, ["get", "pods", "-A", "--db", str(db)])
    assert res.exit_code == 0 and "web-0" in res.stdout and CANARY not in res.output
    for verb in (["timeline"], ["logs", "web-0", "-n", "shop"]):  # these read through a second cursor
        res = CliRunner().invoke(main, [*verb, "--db", str(db)])
        assert CANARY not in res.output and res.exit_code in (0, 1), res.output
    assert listener.connections == 0


def test_the_files_views_are_read_only_where_every_one_is_exactly_ours(good_db: Path, tmp_path: Path) -> None:
    """A database Kubesnap wrote is read through its own views; one view redefined by someone else (here with
    harmless SQL) and every view of ours is laid over the file's, in each cursor too."""
    from analyzer.store import Store

    with Store(good_db, read_only=True) as s:
        assert not s.temp_views
        assert s.cursor().execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal").fetchall() == [(0,)]
    db = hostile(good_db, tmp_path / "foreign.duckdb", "CREATE OR REPLACE VIEW pods AS SELECT 'forged' AS name")
    with Store(db, read_only=True) as s:
        assert s.temp_views
        for con in (s.con, s.cursor()):
            assert con.execute("SELECT name FROM pods").fetchall() == [("web-0",)]


ANALYST_STATEMENTS = [
    ("read_text", "SELECT * FROM read_text('{secret}')", 'Permission Error: Cannot access file "{secret}" - file system operations are disabled by configuration'),
    ("read_csv", "SELECT * FROM read_csv('{secret}')", 'Permission Error: Cannot access file "{secret}" - file system operations are disabled by configuration'),
    ("glob", "SELECT * FROM glob('{dir}/*')", 'Permission Error: Cannot access file "{dir}/*" - file system operations are disabled by configuration'),
    ("copy-to", "COPY pods TO '{out}'", 'Permission Error: Cannot access file "{out}" - file system operations are disabled by configuration'),
    ("attach", "ATTACH '{out}' AS other", 'Permission Error: Cannot access file "{out}" - file system operations are disabled by configuration'),
    ("install", "INSTALL httpfs", "Permission Error: Cannot access directory"),
    ("load", "LOAD httpfs", "Permission Error: Loading external extensions is disabled through configuration"),
    ("https", "SELECT * FROM read_csv('{url}')", 'Permission Error: Cannot access file "{url}" - file system operations are disabled by configuration'),
    ("unlock", "SET enable_external_access = true", 'Invalid Input Error: Cannot change configuration option "enable_external_access" - the configuration has been locked'),
    ("autoload", "SET autoload_known_extensions = true", 'Invalid Input Error: Cannot change configuration option "autoload_known_extensions" - the configuration has been locked'),
]  # fmt: skip


# one of each kind in the fast set (a file read, a write, an extension, the network, the lock), every one in the slow set
FAST_STATEMENTS = ("read_text", "copy-to", "install", "https", "unlock")


@pytest.mark.parametrize(
    ("name", "statement", "error"),
    [pytest.param(*s, id=s[0], marks=() if s[0] in FAST_STATEMENTS else pytest.mark.slow) for s in ANALYST_STATEMENTS],
)
def test_sql_cannot_reach_outside_the_database(
    name: str, statement: str, error: str, good_db: Path, canary: Path, listener: Listener, tmp_path: Path
) -> None:
    """`kubesnap sql` runs in the same sandbox: the file it reads is the only thing it can touch. Run as a
    process with its own HOME, to see that no extension is installed or downloaded either."""
    values = {
        "secret": canary / "secret.txt",
        "dir": canary,
        "out": tmp_path / "written",
        "url": f"https://127.0.0.1:{listener.port}/x.csv",
    }
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    res = subprocess.run([sys.executable, "-m", "analyzer", "sql", "--db", str(good_db), statement.format(**values)],
                         capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith(f"kubesnap: {error.format(**values)}"), res.stderr
    assert "Traceback" not in res.stderr and CANARY not in res.stdout + res.stderr
    assert not (tmp_path / "written").exists()
    assert not list((tmp_path / "home").iterdir()), "nothing under HOME (no ~/.duckdb/extensions)"
    assert listener.connections == 0


def garbage(p: Path) -> None:
    p.write_bytes(b"not a database at all\n" * 100)


def sqlite_file(p: Path) -> None:
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE pods (name TEXT)")
    con.commit()
    con.close()


def cut_duckdb(good: Path) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        data = good.read_bytes()
        p.write_bytes(data[: len(data) // 3])

    return make


def empty_duckdb(p: Path) -> None:
    duckdb.connect(str(p)).close()


@pytest.mark.parametrize("kind", ["garbage", "sqlite", "cut", "empty-duckdb"])
def test_not_a_kubesnap_database_is_one_line(kind: str, good_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    {"garbage": garbage, "sqlite": sqlite_file, "cut": cut_duckdb(good_db), "empty-duckdb": empty_duckdb}[
        kind
    ](db)
    before = digest(db)
    for argv in (
        ["get", "pods", "--db", str(db)],
        ["report", "--db", str(db), "-o", str(tmp_path / "r.html")],
        ["sql", "--db", str(db), "SELECT 1"],
    ):
        res = CliRunner().invoke(main, argv)
        assert res.exit_code == 2, res.output
        assert res.stderr.startswith(f"kubesnap: {db}: not a Kubesnap database ("), res.stderr
        assert res.stderr.count("\n") == 1
    assert digest(db) == before
    assert not (tmp_path / "r.html").exists()


def test_ingest_into_an_empty_duckdb_file_makes_it_kubesnaps(good_db: Path, tmp_path: Path) -> None:
    """An empty DuckDB file holds nothing to distrust: ingest may write the schema into it."""
    db = tmp_path / "new.duckdb"
    empty_duckdb(db)
    from tests.test_describe import POD

    (tmp_path / "describe.txt").write_text(POD)
    res = CliRunner().invoke(main, ["ingest", "--db", str(db), str(tmp_path / "describe.txt")])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["sql", "--db", str(db), "--format", "csv", "SELECT name FROM pods"])
    assert res.exit_code == 0 and res.stdout == "name\nweb-0\n"


def test_export_writes_only_into_its_folder(good_db: Path, canary: Path, tmp_path: Path) -> None:
    """export is the one verb whose database connection may write files: into the export folder only."""
    res = CliRunner().invoke(main, ["export", "--db", str(good_db), str(tmp_path / "pq")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "pq" / "snapshots").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq"]
    from analyzer.store import Store

    with Store(good_db, read_only=True, allowed_directories=[tmp_path / "pq"]) as store:
        store.con.execute(f"COPY snapshots TO '{tmp_path / 'pq' / 'x.csv'}'")
        for elsewhere in (
            tmp_path / "x.csv",
            tmp_path / "pq" / ".." / "y.csv",
            tmp_path / "pq-sibling" / "z.csv",
        ):
            with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
                store.con.execute(f"COPY snapshots TO '{elsewhere}'")
        with pytest.raises(duckdb.PermissionException):
            store.con.execute(f"SELECT * FROM read_text('{canary / 'secret.txt'}')")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq"]


DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON that Python's reader cannot take (it recurses)


def test_deep_values_stored_by_someone_else_are_refused_not_crashed(good_db: Path, tmp_path: Path) -> None:
    """Every JSON column a verb, a rule or the report parses, written 100,000 levels deep by whoever made the
    file: each verb ends with its usual result or a one-line refusal, never an internal error."""
    db = hostile(
        good_db, tmp_path / "deep.duckdb",
        f"UPDATE api_objects SET raw = '{DEEP}'",
        f"UPDATE api_pods SET labels = '{DEEP}', annotations = '{DEEP}'",
        f"INSERT INTO api_nodes (snapshot_id, name, conditions, labels) SELECT snapshot_id, 'node1', '{DEEP}', '{DEEP}' FROM snapshots LIMIT 1",
        f"INSERT INTO kubelet_configs (snapshot_id, raw) SELECT snapshot_id, '{DEEP}' FROM snapshots LIMIT 1",
    )  # fmt: skip
    for argv in [v for v in verbs(str(db), str(tmp_path / "out"), str(good_db)) if v[0] != "ingest"]:
        res = CliRunner().invoke(main, [*argv])
        assert res.exit_code in (0, 1, 2), (argv, res.output)
        assert "internal error" not in res.output and "Traceback" not in res.output, (argv, res.output[-2000:])
        if res.exit_code == 2:
            assert "nested deeper than" in res.stderr, (argv, res.stderr)
    for argv in (["describe", "node", "node1", "--db", str(db)], ["get", "nodes", "-o", "json", "--db", str(db)]):
        res = CliRunner().invoke(main, argv)
        assert "internal error" not in res.output and "Traceback" not in res.output, (argv, res.output[-2000:])


@pytest.mark.parametrize("when", ["infinity", "200000-01-01 00:00:00+00", "-infinity"])
def test_a_time_no_date_can_hold_is_refused_in_one_line(when: str, good_db: Path, tmp_path: Path) -> None:
    """Our schema, other hands' data: a time Python has no datetime for made get pods, describe, timeline, report fail
    with an internal error (exit 70). Refused as any foreign database is: one line, exit 2."""
    db = hostile(good_db, tmp_path / "t.duckdb", f"UPDATE snapshots SET collected_at = TIMESTAMPTZ '{when}'")
    for argv in (["get", "pods", "-A", "--db", str(db)], ["timeline", "--db", str(db)], ["report", "--db", str(db), "-o", str(tmp_path / "r.html")]):
        res = CliRunner().invoke(main, argv)
        assert res.exit_code == 2, (argv, res.output)
        assert "snapshots.collected_at holds a time no date can hold" in res.stderr and res.stderr.count("\n") == 1, res.stderr


@pytest.mark.parametrize("when", [datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)], ids=["9999", "year-1"])
def test_a_time_no_database_of_ours_holds_is_stored_as_unknown(tmp_path: Path, when: datetime) -> None:
    """A certificate's notAfter of 9999-12-31T23:59:59Z (RFC 5280's "no well-defined expiration") was stored as read, and
    every verb then refused the whole database as one written by other hands (a time from 9999 on): found by the red team
    of 2026-12-08. Such a time is unknown (NULL), its row kept, the database readable."""
    from analyzer.models import Certificate
    from analyzer.store import Store

    db = tmp_path / "k.duckdb"
    with Store(db) as st:
        st.insert_records("s1", "n1", "files/etc/kubernetes/pki/ca.crt",
                          [Certificate(path="/etc/kubernetes/pki/ca.crt", index=0, not_before=datetime(2024, 1, 1, tzinfo=UTC), not_after=when)])
    with Store(db, read_only=True) as st:  # (refused before: "not a Kubesnap database: certificates.not_after ...")
        assert st.con.execute("SELECT path, not_before IS NOT NULL, not_after FROM v_certificates").fetchall() == [("/etc/kubernetes/pki/ca.crt", True, None)]
