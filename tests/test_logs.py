"""Bulk loading of container logs and journals (analyzer.bulk): exact lines, joined partials."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analyzer import bulk
from analyzer.bulk import JournalMeta, LogLoader, load_journal
from analyzer.logpaths import log_file_meta
from analyzer.store import Store
from tests.conftest import examples

SOURCES = ["container-log", "journal"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "l.duckdb") as s:
        yield s


def load(store: Store, data: bytes) -> list[tuple]:
    lf = LogLoader(store.con).load(io.BytesIO(data), {"path": "/var/log/pods/x_y_z/c/0.log", "layout": "pods"})
    return store.con.execute(
        "SELECT line_no, line_end, ts, stream, partial, message FROM log_lines WHERE file_id = ? ORDER BY line_no", [lf.file_id]
    ).fetchall()


def test_cri_partials_are_joined_per_stream(store: Store) -> None:
    data = (
        b"2023-10-03T16:00:00.000000001Z stdout F first\n"
        b"2023-10-03T16:00:01.000000002Z stdout P long li\n"
        b"2023-10-03T16:00:01.100000000Z stderr F an error between the pieces\n"
        b"2023-10-03T16:00:01.200000000Z stdout P ne that was \n"
        b"2023-10-03T16:00:01.300000000Z stdout F split in three\n"
        b"2023-10-03T16:00:02.000000000+09:00 stdout F offset time\n"
        b"2023-10-03T16:00:03Z stdout P never finished"
    )
    rows = load(store, data)
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        (1, 1, "stdout", False, "first"),
        (2, 5, "stdout", True, "long line that was split in three"),
        (3, 3, "stderr", False, "an error between the pieces"),
        (6, 6, "stdout", False, "offset time"),
        (7, 7, "stdout", True, "never finished"),
    ]
    assert rows[1][2].isoformat() == "2023-10-03T16:00:01+00:00"  # the first piece's time
    assert rows[3][2].isoformat() == "2023-10-03T07:00:02+00:00"  # +09:00 read as an offset


# The SQL that split CRI lines before analyzer.bulk's (four substrings to check the fields; 20% slower): the reference.
REFERENCE_CRI_SQL = """
    WITH d AS (SELECT file_id, line_no, decode(line, 'replace') AS s FROM _chunk),
    p AS (SELECT *, instr(s, ' ') AS p1, length(s) - 1 AS n FROM d),
    q AS (SELECT *, (p1 > 10 AND substr(s, p1 + 1, 6) IN ('stdout', 'stderr') AND substr(s, p1 + 7, 1) = ' '
                     AND substr(s, p1 + 8, 1) IN ('P', 'F') AND (n = p1 + 8 OR substr(s, p1 + 9, 1) = ' ')) AS ok FROM p)
    SELECT file_id, line_no,
           CASE WHEN ok THEN try_cast(substr(s, 1, p1 - 1) AS TIMESTAMPTZ) END AS ts,
           CASE WHEN ok THEN substr(s, p1 + 1, 6) END AS stream,
           CASE WHEN ok THEN substr(s, p1 + 8, 1) END AS tag,
           CASE WHEN ok AND n = p1 + 8 THEN '' WHEN ok THEN substr(s, p1 + 10, n - p1 - 9) ELSE left(s, -1) END AS message
    FROM q"""  # n = p1 + 8 ("TIME stdout F", no message): the SQL gave the line's newline, a fault of its own

_STAMP = st.sampled_from(["2023-10-03T16:00:00.123456789Z", "2023-10-03T16:00:00Z", "2023-10-03T16:00:00.5+09:00", "2023-10-03T16:00:00", "2023-10-3",
                          "2023-13-45T99:00:00Z", "2023-10-03", "x" * 54, "é" * 20, "2023-10-03T16:00:00.123456789012345678901234567890Z"])  # fmt: skip
_PIECE = st.one_of(st.sampled_from([b" ", b"stdout", b"stderr", b"P", b"F", b"  ", b"\r", b"\t", b"\xff", b"\xc3", b"\xf0", "é".encode(), "\u212a".encode()]),
                   st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"")))  # fmt: skip
_CRI_LINE = st.one_of(
    st.tuples(_STAMP, st.sampled_from(["stdout", "stderr", "stdou", "stdoutx", "STDOUT"]), st.sampled_from(["P", "F", "X", "PF", ""]),
              st.lists(_PIECE, max_size=8)).map(lambda t: f"{t[0]} {t[1]} {t[2]}".encode() + b"".join(t[3])),
    st.lists(_PIECE, max_size=12).map(b"".join),
)  # fmt: skip


@settings(max_examples=examples(300), deadline=None)
@given(lines=st.lists(_CRI_LINE, max_size=30))
@example(lines=[b"2023-10-03T16:00:00Z stdout F", b"2023-10-03T16:00:00Z stdout F ", b"2023-10-03T16:00:00Z stdout Fx", b"", b"short",
                b"2023 10-03T16:00:00Z stdout F x", "2023-10-03T16:00:00Z stderr P \u00e9\u212a".encode() + b"\xf0  end"])  # fmt: skip
def test_cri_lines_are_split_as_the_reference_splits_them(lines: list[bytes]) -> None:
    con = duckdb.connect()
    con.register("_chunk", pa.table({"file_id": np.ones(len(lines), np.int64), "line_no": np.arange(len(lines), dtype=np.int32),
                                     "line": pa.array([ln + b"\n" for ln in lines], pa.large_binary())}))  # fmt: skip
    want = con.execute(f"SELECT * FROM ({REFERENCE_CRI_SQL}) ORDER BY line_no").fetchall()
    got = con.execute(f"SELECT * FROM ({bulk._parse_sql('cri')}) ORDER BY line_no").fetchall()
    assert got == want


def test_lines_past_the_stage_bound_are_joined_the_same(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past STAGE_BYTES the lines go straight to log_lines and the partial records are joined there: the same rows."""
    lines = []
    for i in range(1, 3001):
        stream = b"stderr" if i % 7 == 0 else b"stdout"
        tag = b"P" if i % 5 in (1, 2) else b"F"
        lines.append(b"2023-10-03T16:00:00.%09dZ %s %s piece %d " % (i, stream, tag, i))
    data = b"\n".join(lines) + b"\n"
    staged = load(store, data)
    monkeypatch.setattr(bulk.LogLoader, "BATCH_BYTES", 4096)
    monkeypatch.setattr(bulk, "STAGE_BYTES", 20000)
    with Store(tmp_path / "straight.duckdb") as other:
        straight = load(other, data)
    assert any(r[4] for r in staged) and staged == straight


def test_a_bundles_lines_are_not_written_to_the_wal(tmp_path: Path) -> None:
    """Lines a transaction inserts go to the database file compressed; an UPDATE or DELETE of any of them (the
    partial-record join, the journal's node) would make DuckDB write all of them to its WAL as well, and compress
    them again at the checkpoint (analyzer.bulk.Stage)."""
    from analyzer.ingest import ingest
    from fixtures.synth import generate_site

    (tarball,) = generate_site(tmp_path / "site", nodes=1, pods_per_node=4, log_bytes=32 * 1024 * 1024, seed=3)
    db = tmp_path / "w.duckdb"
    seen: list[int] = []

    class Con:  # the connection, noting the WAL's size when the ingest's own checkpoint comes (it empties the WAL)
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
            if sql.strip().upper() == "CHECKPOINT":
                seen.append(Path(f"{db}.wal").stat().st_size)
            return self.con.execute(sql, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

    with Store(db) as st:
        st.con.execute("SET checkpoint_threshold = '1GB'")  # the WAL stays as the commit left it
        real, st.con = st.con, Con(st.con)  # type: ignore[assignment]
        try:
            ingest(st, [tarball])
        finally:
            st.con = real
        partial, text = st.con.execute("SELECT count(*) FILTER (WHERE partial), sum(strlen(message)) FROM log_lines").fetchall()[0]
        journal = st.con.execute("SELECT count(*), count(*) FILTER (WHERE node IS NULL) FROM journal").fetchall()[0]
    assert len(seen) == 1, seen
    wal = seen[0]
    assert partial > 0 and text > 25_000_000 and journal[0] > 0 and journal[1] == 0
    assert wal < text / 4, f"WAL {wal} bytes for {text} bytes of lines"


def test_the_ingests_checkpoints_do_not_merge_bundles_row_groups(tmp_path: Path) -> None:
    """A bundle's transaction writes its lines as full row groups and a part-full last one; a checkpoint merging
    those with their neighbours decompressed and compressed them again on one core while it held the other ingest
    threads (analyzer.ingest.ingest: max_vacuum_tasks 0). The database's own setting is back after the ingest."""
    from analyzer.ingest import ingest
    from fixtures.synth import generate_site

    tarballs = generate_site(tmp_path / "site", nodes=2, pods_per_node=2, log_bytes=46 * 1024 * 1024, seed=5)
    db = tmp_path / "v.duckdb"
    with Store(db) as st:
        before = st.con.execute("SELECT current_setting('max_vacuum_tasks')").fetchall()[0][0]
        st.con.execute("SET checkpoint_threshold = '1KB'")  # a checkpoint at each commit, as a site's ingest has them every few
        for t in tarballs:
            ingest(st, [t])
        assert st.con.execute("SELECT current_setting('max_vacuum_tasks')").fetchall()[0][0] == before
        per = [n for (n,) in st.con.execute(
            "SELECT count(*) FROM log_lines JOIN log_files USING (file_id) GROUP BY snapshot_id ORDER BY snapshot_id").fetchall()]  # fmt: skip
        groups = st.con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('log_lines')").fetchall()[0][0]
    assert len(per) == 2 and all(n > 122_880 for n in per), per  # a full row group and a part-full one each
    assert groups == sum(-(-n // 122_880) for n in per), (groups, per)


def test_exact_line_numbers_in_a_large_file(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 4096)  # many chunks: numbering must continue across them
    lines = [f"2023-10-03T16:00:00.{i:09d}Z stdout F line {i} {'x' * (i % 50)}".encode() for i in range(1, 20001)]
    rows = store.con.execute("SELECT 1").fetchall()
    lf = LogLoader(store.con).load(io.BytesIO(b"\n".join(lines) + b"\n"), {"path": "/p/3.log", "layout": "pods"})
    assert lf.line_count == 20000
    rows = store.con.execute("SELECT line_no, message FROM log_lines WHERE file_id = ? AND line_no IN (1, 18204, 20000) ORDER BY 1", [lf.file_id]).fetchall()
    assert rows == [(1, "line 1 x"), (18204, "line 18204 " + "x" * (18204 % 50)), (20000, "line 20000 ")]


def test_invalid_utf8_and_bare_cr_keep_their_lines(store: Store) -> None:
    data = (
        b"2023-10-03T16:00:00Z stdout F before\n"
        b"2023-10-03T16:00:01Z stdout F caf\xc3\n"  # a multi-byte character cut in half
        b"2023-10-03T16:00:02Z stdout F after \xff\xfe bytes\n"
        b"2023-10-03T16:00:03Z stdout F carriage\rreturn\n"
        b"2023-10-03T16:00:04Z stdout F last\n"
    )
    rows = load(store, data)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1][5].startswith("caf") and "before" not in rows[1][5] and "after" not in rows[1][5]
    assert rows[2][5].startswith("after ") and rows[2][5].endswith(" bytes")
    assert rows[3][5] == "carriage\rreturn"


def test_times_no_datetime_can_hold_are_unknown_and_the_lines_kept(store: Store) -> None:
    """A damaged or hostile file can print year 20023 (DuckDB holds it, Python's datetime does not)."""
    data = b"2023-10-03T16:00:00Z stdout F before\n20023-10-03T16:00:01Z stdout F far future\n1900-01-01T00:00:00Z stdout F long ago\n"
    lf = LogLoader(store.con).load(io.BytesIO(data), {"path": "/var/log/pods/x_y_z/c/0.log", "layout": "pods"})
    rows = store.con.execute("SELECT line_no, ts, message FROM log_lines WHERE file_id = ? ORDER BY line_no", [lf.file_id]).fetchall()
    assert [(n, ts is None, m.strip()) for n, ts, m in rows] == [(1, False, "before"), (2, True, "far future"), (3, True, "long ago")]
    assert lf.first_ts is not None and lf.last_ts == lf.first_ts
    rows = journal(store, b"0001-01-01T00:00:00.000000+0000 cp01 kubelet[1]: a zero time\n")
    assert rows[0][1] is None and rows[0][3] == "kubelet"


def test_docker_json_file_partials(store: Store) -> None:
    data = (
        b'{"log":"hello\\n","stream":"stdout","time":"2017-05-15T12:10:55.461590Z"}\n'
        b'{"log":"a long ","stream":"stderr","time":"2017-05-15T12:10:56Z"}\n'
        b'{"log":"line\\n","stream":"stderr","time":"2017-05-15T12:10:56.1Z"}\n'
    )
    rows = load(store, data)
    assert [(r[0], r[1], r[3], r[5]) for r in rows] == [(1, 1, "stdout", "hello"), (2, 3, "stderr", "a long line")]


def test_timestamped_and_text_formats(store: Store) -> None:
    rows = load(store, b"2022-03-16T13:38:09.379847879Z I0316 13:38:09.379813       1 gc.go:210] syncing\n2022-03-16T13:38:10Z second\n")
    assert rows[0][2].isoformat() == "2022-03-16T13:38:09.379847+00:00" and rows[0][5].startswith("I0316")
    text = (
        b'{"level":"warn","ts":"2024-04-22T17:18:03.213763+0800","caller":"etcdserver/util.go:170","msg":"apply request took too long"}\n'
        b'{"level":"info","ts":1568166948.8119395,"msg":"epoch seconds"}\n'
        b'2017-03-01 09:15:02.123456 I | mvcc: finished scheduled compaction\n'
        b'time="2024-02-07T13:36:48.024858788Z" level=info msg="logrus"\n'
        b"I0316 13:38:09.379813       1 klog.go:1] no year, no zone\n"
    )
    rows = load(store, text)
    ts = [r[2].isoformat() if r[2] else None for r in rows]
    assert ts == ["2024-04-22T09:18:03.213763+00:00", "2019-09-11T01:55:48.811940+00:00", "2017-03-01T09:15:02.123456+00:00",
                  "2024-02-07T13:36:48.024858+00:00", None]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "expect"),
    [
        ("files/var/log/pods/kube-system_etcd-cp1_7ac9b6e22ee84eeb2050b4dba091af8c/etcd/1.log",
         {"layout": "pods", "namespace": "kube-system", "pod": "etcd-cp1", "pod_uid": "7ac9b6e22ee84eeb2050b4dba091af8c", "container": "etcd", "restart": 1}),
        ("files/var/log/pods/default_web-1_25fae09f-aef9-4b5a-950f-80ea16cf5e1e/web/0.log.20231002-101010",
         {"layout": "pods", "restart": 0, "rotated": True, "rotated_stamp": "20231002-101010"}),
        ("files/var/log/pods/57146449-11ec-11e8-90e1-42010af00002/log-container_0.log",
         {"layout": "pods-old", "pod_uid": "57146449-11ec-11e8-90e1-42010af00002", "container": "log-container", "restart": 0}),
        ("files/var/log/pods/ns_p_25fae09f-aef9-4b5a-950f-80ea16cf5e1e/" + "a" * 64 + ".log", {"layout": "crio-id", "container_id": "a" * 64}),
        ("cluster/logs/kube-system_kube-apiserver-cp1_kube-apiserver.previous.log",
         {"layout": "kubectl-logs", "pod": "kube-apiserver-cp1", "container": "kube-apiserver", "previous": True}),
    ],
)
def test_log_paths(path: str, expect: dict) -> None:
    meta = log_file_meta(path)
    assert {k: meta.get(k) for k in expect} == expect


def journal(store: Store, data: bytes, year: int = 2023) -> list[tuple]:
    load_journal(store.con, io.BytesIO(data), JournalMeta("s1", "n1", "m", "journal"), year)
    return store.con.execute("SELECT line_no, ts, host, ident, pid, severity, location, message, source FROM journal ORDER BY line_no").fetchall()


def test_journal_short_iso_precise(store: Store) -> None:
    rows = journal(store, b"-- Logs begin at Thu 2019-04-11 23:51:07 +0430, end at Fri 2019-04-12 --\n"
                          b'2023-10-04T01:20:11.123456+0900 cp01 kubelet[25835]: E1003 16:20:11.123456   25835 kubelet.go:2094] "PLEG is not healthy"\n')
    (r,) = rows
    assert r[1].isoformat() == "2023-10-03T16:20:11.123456+00:00"
    assert (r[2], r[3], r[4], r[5], r[6]) == ("cp01", "kubelet", 25835, "E", "kubelet.go:2094")


def test_journal_syslog_without_year_or_pid(store: Store) -> None:
    rows = journal(store, b"Oct  4 01:20:11 cp01 kubelet[25835]: I1003 x.go:1] hello\nApr 13 10:53:52 ip-10-42-10-121 kubelet: E0413 10:53:52.123456    3263 y.go:2] no pid\n")
    assert rows[0][1].isoformat() == "2023-10-04T01:20:11+00:00" and rows[0][8] == "syslog"  # local; the ingest shifts it
    assert (rows[1][3], rows[1][4], rows[1][5]) == ("kubelet", None, "E")


def test_journal_dmesg_and_tag_only(store: Store) -> None:
    rows = journal(store, b"2023-10-03T16:20:00,123456+09:00 Out of memory: Killed process 4242 (java)\n")
    assert rows[0][1].isoformat() == "2023-10-03T07:20:00.123456+00:00" and rows[0][3] == "kernel"
    store.con.execute("DELETE FROM journal")
    rows = journal(store, b'containerd[21688]: time="2020-12-16T19:38:06.081521590+01:00" level=error msg="RunPodSandbox failed"\n')
    assert (rows[0][3], rows[0][4], rows[0][5]) == ("containerd", 21688, "error") and rows[0][1].isoformat() == "2020-12-16T18:38:06.081521+00:00"


def test_journal_json_export_records(store: Store) -> None:
    """`journalctl -o json`: times, host, identifier, pid and priority from the record; a MESSAGE journald kept
    as bytes (an array of numbers) is its text, each invalid byte a ?; a line that is not a record is kept whole."""
    data = (b'{"__CURSOR":"s=1;i=1","__REALTIME_TIMESTAMP":"1700000000123456","PRIORITY":"6","_HOSTNAME":"w1","SYSLOG_IDENTIFIER":"kubelet",'
            b'"_PID":"900","_COMM":"kubelet","MESSAGE":"E1114 22:13:20.123456     900 pod_workers.go:1298] \\"Error syncing pod\\""}\n'
            b'{"__REALTIME_TIMESTAMP":"1700000001000000","PRIORITY":"4","_HOSTNAME":"w1","_COMM":"containerd","_PID":"700","MESSAGE":"disk slow"}\n'
            b'{"__REALTIME_TIMESTAMP":"1700000002000000","PRIORITY":"3","_HOSTNAME":"w1","SYSLOG_IDENTIFIER":"kernel","MESSAGE":[104,105,255]}\n'
            b"-- No entries --\n")  # fmt: skip
    assert bulk.sniff_journal(data) == "json"
    rows = journal(store, data)
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert rows[0][1].isoformat() == "2023-11-14T22:13:20.123456+00:00"
    assert rows[0][2:8] == ("w1", "kubelet", 900, "E", "pod_workers.go:1298", 'E1114 22:13:20.123456     900 pod_workers.go:1298] "Error syncing pod"')
    assert rows[1][3:6] == ("containerd", 700, "warning") and rows[2][5:8:2] == ("error", "hi?")
    assert rows[3][1] is None and rows[3][7] == "-- No entries --"


def test_log_file_times_are_duckdbs_own_instants() -> None:
    """LogLoader fetches first/last times as epoch microseconds and builds the datetimes itself (faster than
    DuckDB's TIMESTAMPTZ conversion): the same instants, at the edges the loader keeps."""
    import duckdb

    from analyzer.bulk import _utc_us

    con = duckdb.connect()
    for v in ("1970-01-01 00:00:00+00", "1970-01-01 00:00:00.000001+00", "2024-02-29 23:59:59.999999+00", "2038-01-19 03:14:08+00",
              "9998-12-31 23:59:59.999999+00"):  # fmt: skip
        native, us = con.execute(f"SELECT TIMESTAMPTZ '{v}', epoch_us(TIMESTAMPTZ '{v}')").fetchone()  # type: ignore[misc]
        assert _utc_us(us) == native, v
    assert _utc_us(None) is None
