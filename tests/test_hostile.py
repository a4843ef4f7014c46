"""Bundles from strangers: each hostile or broken input is refused or contained with an exact message,
the good part is ingested, and nothing is written outside the work folder.

The base is a real bundle (the collector run on a small fake node); each case rebuilds it with one
hostile change.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import api
from analyzer.bundle import MEMBER_READ_ERRORS, FastTarInfo, Limits, Problem, iter_input
from analyzer.cli import main
from analyzer.errors import AnalyzerError
from analyzer.ingest import IngestReport
from tests.conftest import examples

PROJECT = Path(__file__).resolve().parents[1]


@dataclass
class Entry:
    name: str  # relative to the bundle root unless it starts with '!' (then taken as is)
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""


Base = tuple[str, list[tuple[tarfile.TarInfo, bytes]]]


@pytest.fixture(scope="session")
def base_bundle(small_bundle: Base) -> Base:
    """(root folder name, members with their bytes) of a real bundle of the small fake node (tests/conftest.py)."""
    return small_bundle


def build(path: Path, base: Base, add: Sequence[Entry] = (), replace: dict[str, bytes] | None = None,
          drop: frozenset[str] = frozenset(), mode: str = "w:gz") -> Path:  # fmt: skip
    root, members = base
    replace = replace or {}
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for ti, data in members:
            rel = ti.name.removeprefix(root + "/")
            if rel in drop:
                continue
            if rel in replace:
                data = replace[rel]
                ti = tarfile.TarInfo(ti.name)
                ti.size, ti.mtime = len(data), 1_700_000_000
            tf.addfile(ti, io.BytesIO(data) if ti.isfile() else None)
        for e in add:
            ti = tarfile.TarInfo(e.name[1:] if e.name.startswith("!") else f"{root}/{e.name}")
            ti.type, ti.linkname, ti.mtime = e.type, e.linkname, 1_700_000_000
            if e.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                ti.devmajor, ti.devminor = 1, 3
            ti.size = len(e.data) if e.type == tarfile.REGTYPE else 0
            tf.addfile(ti, io.BytesIO(e.data) if e.type == tarfile.REGTYPE else None)
    return path


@dataclass
class Outcome:
    report: IngestReport | None
    error: AnalyzerError | None
    db: Path

    def q(self, sql: str) -> list[tuple[object, ...]]:
        return api.query(self.db, sql).rows

    def problems(self) -> list[tuple[str, str]]:
        return [(str(m), str(r)) for m, r in self.q("SELECT member, reason FROM ingest_problems ORDER BY member, reason")]


def snapshot_tree(top: Path) -> dict[str, int]:
    return {str(p.relative_to(top)): p.lstat().st_size for p in top.rglob("*")}


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    w = tmp_path / "work"
    w.mkdir()
    return w


def run(work: Path, inp: Path, limits: Limits | None = None) -> Outcome:
    """Ingest `inp` into work/db.duckdb and check that nothing but the database appeared anywhere below work's parent."""
    outside = work.parent
    before = snapshot_tree(outside)
    db = work / "db.duckdb"
    report, error = None, None
    try:
        report = api.ingest_inputs(db, [inp], site="h", limits=limits)
    except AnalyzerError as e:
        error = e
    after = snapshot_tree(outside)
    new = set(after) - set(before)
    assert new <= {"work/db.duckdb", "work/db.duckdb.wal"}, f"written outside the database: {sorted(new)}"
    for escaped in (Path("/tmp/kubesnap-escaped"), Path("/etc/kubesnap-escaped"), outside / "escaped"):
        assert not escaped.exists()
    return Outcome(report, error, db)


def assert_rest_ingested(o: Outcome) -> None:
    """The good part of the small bundle is all there: its pod, both containers and their processes."""
    assert o.q("SELECT count(*) FROM sandboxes")[0][0] == 1
    assert o.q("SELECT count(*) FROM pod_processes WHERE pid IS NOT NULL AND container IS NOT NULL")[0][0] == 2


# ------------------------------------------------------------------ names and links

@pytest.mark.parametrize("name", ["!../escaped", "!/tmp/kubesnap-escaped", "files/../../escaped", "!kubesnap-x-20231114T221320Z/../../../escaped"])
def test_climbing_and_absolute_names_are_not_read(work: Path, base_bundle: Base, name: str) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry(name, b"pwned")]))
    raw = name[1:] if name.startswith("!") else f"{base_bundle[0]}/{name}"  # reported as the archive names it
    assert (raw, "member name is absolute or climbs out with '..': not read") in o.problems()
    assert_rest_ingested(o)


def test_symlink_out_is_recorded_never_followed(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [
        Entry("files/etc/kubernetes/evil.conf", type=tarfile.SYMTYPE, linkname="/etc/shadow"),
        Entry("files/etc/kubernetes/evil.conf/x", b"through the link"),
    ]))  # fmt: skip
    assert o.q("SELECT kind, link_target FROM members WHERE path = 'files/etc/kubernetes/evil.conf'") == [("symlink", "/etc/shadow")]
    assert o.q("SELECT count(*) FROM config_files WHERE content LIKE '%root:%'")[0][0] == 0
    assert_rest_ingested(o)


def test_hard_links_are_recorded_never_followed(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [
        Entry("files/etc/passwd-link", type=tarfile.LNKTYPE, linkname="/etc/passwd"),
        Entry("host/hostname2.txt", type=tarfile.LNKTYPE, linkname="host/hostname.txt"),
    ]))  # fmt: skip
    assert sorted(o.q("SELECT path, kind, link_target FROM members WHERE kind = 'hardlink'")) == [
        ("files/etc/passwd-link", "hardlink", "/etc/passwd"), ("host/hostname2.txt", "hardlink", "host/hostname.txt")]  # fmt: skip
    assert ("files/etc/passwd-link", "hardlink: not read") in o.problems()


@pytest.mark.parametrize(("kind", "name"), [(tarfile.CHRTYPE, "files/dev/mem"), (tarfile.BLKTYPE, "files/dev/sda"), (tarfile.FIFOTYPE, "files/run/fifo")])
def test_devices_and_fifos_are_not_read(work: Path, base_bundle: Base, kind: bytes, name: str) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry(name, type=kind)]))
    assert (name, "device file or FIFO: not read") in o.problems()
    assert_rest_ingested(o)


def test_duplicate_member_keeps_the_first(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry("host/hostname.txt", b"impostor\n")]))
    assert ("host/hostname.txt", "duplicate member: the first copy is kept") in o.problems()
    assert o.q("SELECT hostname FROM snapshots") == [("node-a",)]


def test_non_utf8_member_name(work: Path, base_bundle: Base) -> None:
    bad = "files/etc/caf\udce9.conf"  # a Latin-1 byte in a member name
    o = run(work, build(work.parent / "in.tar", base_bundle, [Entry(bad, b"x = 1\n")], mode="w"))
    assert o.q("SELECT count(*) FROM members WHERE path = 'files/etc/caf\ufffd.conf'")[0][0] == 1
    assert_rest_ingested(o)


@pytest.mark.parametrize("mtime", [2**62, -5, 1e30])
def test_impossible_member_times_are_dropped(work: Path, base_bundle: Base, mtime: float) -> None:
    """tar's base-256 number fields and PAX headers can claim any time: the member is read, its time is unknown."""
    root, members = base_bundle
    path = work.parent / "times.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT if isinstance(mtime, float) else tarfile.GNU_FORMAT) as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if ti.isfile() else None)
        ti = tarfile.TarInfo(f"{root}/files/etc/kubernetes/odd.conf")
        ti.size, ti.mtime = 6, 1_700_000_000
        if isinstance(mtime, float):
            ti.pax_headers = {"mtime": repr(mtime)}
        else:
            ti.mtime = mtime
        tf.addfile(ti, io.BytesIO(b"a = 1\n"))
    o = run(work, path)
    assert o.error is None
    assert o.q("SELECT kind, mtime FROM members WHERE path = 'files/etc/kubernetes/odd.conf'") == [("file", None)]
    assert_rest_ingested(o)


# ------------------------------------------------------------------ sizes, counts, nesting

def test_decompression_bomb_is_refused_with_bounded_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """1 GiB of zeros in a 1 MiB gzip: refused at its header; the peak RSS of the ingest is printed."""
    bomb = tmp_path / "bomb.tar.gz"
    size = 1024**3
    with gzip.open(bomb, "wb", compresslevel=1) as gz:
        ti = tarfile.TarInfo("kubesnap-x-20231114T221320Z/files/var/log/pods/a_b_00000000-0000-0000-0000-000000000000/c/0.log")
        ti.size = size
        gz.write(ti.tobuf(format=tarfile.GNU_FORMAT))
        block = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            gz.write(block)
    db = tmp_path / "b.duckdb"
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's (pytest's) high-water mark across exec
    hwm = "int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')).split()[1])"
    code = (
        "import sys; from pathlib import Path; from analyzer import api\n"
        "try:\n    r = api.ingest_inputs(Path(sys.argv[1]), [Path(sys.argv[2])]); print(r.problems)\n"
        "except Exception as e:\n    print('error', e)\n"
        f"print('rss', {hwm})\n"
    )
    base = subprocess.run([sys.executable, "-c", f"import duckdb, pyarrow, analyzer.api; print({hwm})"],
                          capture_output=True, text=True, cwd=PROJECT, check=True)  # fmt: skip
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code, str(db), str(bomb)], capture_output=True, text=True, cwd=PROJECT, timeout=300)
    out = p.stdout
    assert "a decompression bomb" in out and "the rest is not read" in out, out + p.stderr
    rss_kib = int(out.split("rss")[-1])
    with capsys.disabled():
        print(f"\n[bomb] {bomb.stat().st_size / 2**20:.1f} MiB gzip claiming {size / 2**30:.0f} GiB: refused in {time.monotonic() - t0:.1f} s, "
              f"peak RSS {rss_kib / 1024:.0f} MiB (interpreter with imports alone: {int(base.stdout) / 1024:.0f} MiB)")  # fmt: skip
    assert rss_kib < int(base.stdout) + 200 * 1024


@pytest.mark.slow  # a 1,000-member bomb: the slow set
def test_bomb_spread_over_many_members_stops_at_the_ratio(work: Path) -> None:
    inp = work.parent / "many.tar.gz"
    with tarfile.open(inp, "w:gz") as tf:
        for i in range(100):
            data = b"\0" * (4 << 20)
            ti = tarfile.TarInfo(f"kubesnap-x-20231114T221320Z/files/var/log/pods/a_b_00000000-0000-0000-0000-000000000000/c/{i}.log")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    o = run(work, inp, Limits(max_ratio=50))
    assert any("expands more than 50x (a decompression bomb?): the rest is not read" in r for _m, r in o.problems()), o.problems()


def test_too_many_members(work: Path, base_bundle: Base) -> None:
    extra = [Entry(f"files/etc/many/{i}.conf", b"a=1\n") for i in range(200)]
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, extra), Limits(max_members=150))
    (reason,) = [r for _m, r in o.problems() if "members" in r]
    assert reason == "more than 150 members: the rest is not read"
    assert o.q("SELECT count(*) FROM members") < [(150,)]


def test_member_above_the_member_cap(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry("files/etc/big.conf", b"x" * 30000)]), Limits(max_member_bytes=20000))
    assert ("files/etc/big.conf", "30000 bytes is more than the 20000-byte member cap: not read") in o.problems()
    assert_rest_ingested(o)


def test_total_bytes_cap(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle), Limits(max_total_bytes=20_000))
    assert any(r == "the input holds more than 20000 bytes: the rest is not read" for _m, r in o.problems()), o.problems()


def test_nesting_deeper_than_the_cap(work: Path, base_bundle: Base) -> None:
    inner = build(work.parent / "l0.tar.gz", base_bundle)
    for depth in range(1, 5):
        outer = work.parent / f"l{depth}.tar.gz"
        with tarfile.open(outer, "w:gz") as tf:
            tf.add(inner, arcname=f"level{depth}/{inner.name}")
        inner = outer
    o = run(work, inner)
    assert o.error is not None and "archives nested more than 3 deep: not opened" in str(o.error)
    o2 = run(work, work.parent / "l3.tar.gz")  # three deep: read
    assert o2.error is None and o2.q("SELECT count(*) FROM snapshots")[0][0] == 1


# ------------------------------------------------------------------ broken archives

def test_truncated_gzip_keeps_what_came_before(work: Path, base_bundle: Base) -> None:
    full = build(work.parent / "full.tar.gz", base_bundle)
    cut = work.parent / "cut.tar.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 2 // 3])
    o = run(work, cut)
    (reason,) = [r for _m, r in o.problems() if "truncated" in r]
    # the cut falls inside a member ("... corrupt after X: unexpected end of data") or between two ("its gzip stream ends ...")
    assert re.fullmatch(r"archive is truncated (or corrupt )?after \S+: .*; what came before was read", reason), reason
    assert o.q("SELECT count(*) FROM members") > [(20,)]
    assert o.q("SELECT node FROM snapshots") == [("node-a",)]


def test_plain_tar_cut_between_two_members_is_reported(work: Path, base_bundle: Base) -> None:
    full = build(work.parent / "full.tar", base_bundle, mode="w")
    with tarfile.open(full) as tf:
        offsets = [m.offset for m in tf.getmembers()]
    cut = work.parent / "cut.tar"
    cut.write_bytes(full.read_bytes()[: offsets[len(offsets) // 2]])  # exactly at a member's header: tar alone sees a clean end
    o = run(work, cut)
    (reason,) = [r for _m, r in o.problems() if "truncated" in r]
    assert re.fullmatch(r"archive is truncated after \S+: its tar stream ends before its end marker; what came before was read", reason), reason


def test_not_an_archive(work: Path) -> None:
    junk = work.parent / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b" + os.urandom(4000))
    o = run(work, junk)
    assert o.error is not None and o.error.exit_code == 3 and "not a readable archive" in str(o.error)


# ------------------------------------------------------------------ broken content

def test_empty_member_is_empty_not_a_problem(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"runtime/crictl-images.json": b""}))
    assert o.q("SELECT status FROM members WHERE path = 'runtime/crictl-images.json'") == [("empty",)]
    assert not [p for p in o.problems() if p[0] == "runtime/crictl-images.json"]


@pytest.mark.parametrize(("member", "data", "parser", "reason"), [
    ("runtime/crictl-pods.json", b"garbage{", "crictl-pods-json", "not JSON"),
    ("runtime/crictl-images.json", b'{"images": [{"id": "sha256:ab", "repoTags": ["x:1"]', "crictl-images-json", "not JSON"),
    ("host/df.txt", bytes(range(256)) * 8, "df", "no df header"),
])  # fmt: skip
def test_broken_member_is_a_problem_and_the_rest_is_ingested(work: Path, base_bundle: Base, member: str, data: bytes, parser: str, reason: str) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={member: data}))
    got = o.q(f"SELECT parser, reason FROM ingest_problems WHERE member = '{member}'")
    assert got and got[0][0] == parser and reason in str(got[0][1]), got
    assert o.q("SELECT count(*) FROM containers")[0][0] == 2


def test_cut_inspect_json_is_salvaged(work: Path, base_bundle: Base) -> None:
    _root, members = base_bundle
    whole = next(d for ti, d in members if ti.name.endswith("runtime/crictl-inspect.json"))
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"runtime/crictl-inspect.json": whole[: len(whole) * 2 // 3]}))
    assert any(m == "runtime/crictl-inspect.json" for m, _r in o.problems())
    assert o.q("SELECT count(*) FROM crictl_containers WHERE source = 'crictl-inspect' AND pid IS NOT NULL") >= [(1,)]
    assert_rest_ingested(o)


def test_table_rows_with_missing_or_extra_columns(work: Path, base_bundle: Base) -> None:
    _root, members = base_bundle
    table = next(d for ti, d in members if ti.name.endswith("runtime/crictl-ps-a.txt")).decode()
    lines = table.splitlines()
    broken = "\n".join([*lines, "deadbeef", lines[1] + "   extra   columns   here"]) + "\n"
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"runtime/crictl-ps-a.txt": broken.encode()}))
    probs = [r for m, r in o.problems() if m == "runtime/crictl-ps-a.txt"]
    assert any(r.startswith(f"line {len(lines) + 1}:") for r in probs), probs
    assert_rest_ingested(o)


def test_long_lines_are_kept_or_cut_with_a_note(work: Path, base_bundle: Base) -> None:
    # random text: a long line of one repeated byte would (rightly) look like a decompression bomb
    ten = b"2023-11-14T22:00:00.000000000Z stdout F " + os.urandom(5 << 20).hex().encode() + b"\n"
    big = b"2023-11-14T22:00:01.000000000Z stdout F " + os.urandom(10 << 20).hex().encode() + b"\n2023-11-14T22:00:02.000000000Z stdout F after\n"
    logdir = "files/var/log/pods/shop_long-1_11111111-2222-3333-4444-555555555555/c"
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry(f"{logdir}/0.log", ten), Entry(f"{logdir}/1.log", big)]))
    rows = o.q("SELECT f.restart, l.line_no, length(l.message) FROM log_lines l JOIN log_files f USING (file_id) WHERE f.pod = 'long-1' ORDER BY 1, 2")
    assert rows == [(0, 1, 10 << 20), (1, 1, (16 << 20) - 40), (1, 2, 5)], rows  # the cut line: 16 MiB with its 40-byte CRI prefix
    assert (f"{logdir}/1.log", "1 line(s) longer than 16777216 bytes cut there (line 1)") in o.problems()


def test_crlf_tables_and_json(work: Path, base_bundle: Base) -> None:
    root, members = base_bundle
    crlf = {rel: d.replace(b"\n", b"\r\n") for ti, d in members for rel in [ti.name.removeprefix(root + "/")]
            if rel in ("runtime/crictl-ps-a.txt", "runtime/crictl-pods.json", "processes/ps.txt", "host/df.txt")}  # fmt: skip
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace=crlf))
    assert not o.problems(), o.problems()
    assert_rest_ingested(o)
    assert o.q("SELECT DISTINCT mount FROM filesystems") == [("/",)]


def test_euc_kr_and_latin1_logs_are_decoded(work: Path, base_bundle: Base) -> None:
    ko = "2023-11-14T22:00:00.000000000Z stdout F 결제 요청 처리 완료: 주문번호 1234\n".encode("cp949")
    latin = "Nov 14 21:00:00 node-a app[42]: Caf\xe9 d\xe9j\xe0 ferm\xe9\n".encode("latin-1")
    logdir = "files/var/log/pods/shop_ko-1_11111111-2222-3333-4444-555555555555/c"
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry(f"{logdir}/0.log", ko * 50)],
                        replace={"files/var/log/syslog": latin * 20}))  # fmt: skip
    assert o.q("SELECT DISTINCT f.encoding, l.message FROM log_lines l JOIN log_files f USING (file_id) WHERE f.pod = 'ko-1'") == [
        ("cp949", "결제 요청 처리 완료: 주문번호 1234")]  # fmt: skip
    assert o.q("SELECT DISTINCT message FROM journal WHERE member = 'files/var/log/syslog'") == [("Café déjà fermé",)]


def test_zoneless_stamps_are_the_nodes_local_time_and_future_ones_are_noted(work: Path, base_bundle: Base) -> None:
    date = b"utc=2023-11-14T22:13:20Z\nlocal=2023-11-15T07:13:20+0900\nepoch=1700000000\nzone=KST\n"
    app = b"2023-11-15 07:00:00 INFO started\n2023-11-15 07:05:00,123 WARN slow\n2031-01-01T00:00:00Z ERROR from the future\n"
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, [Entry("files/var/log/calico/app.log", app)], replace={"host/date.txt": date}))
    ts = o.q("SELECT strftime(l.ts, '%Y-%m-%d %H:%M:%S') FROM log_lines l JOIN log_files f USING (file_id) WHERE f.path LIKE '%app.log' ORDER BY l.line_no")
    assert ts == [("2023-11-14 22:00:00",), ("2023-11-14 22:05:00",), ("2031-01-01 00:00:00",)], ts
    assert ("files/var/log/calico/app.log", "1 line(s) dated after the bundle was collected (up to 2031-01-01 00:00:00Z): "
            "a clock or a time zone is wrong; times kept as written") in o.problems()  # fmt: skip


def test_newer_manifest_version(work: Path, base_bundle: Base) -> None:
    _root, members = base_bundle
    man = json.loads(next(d for ti, d in members if ti.name.endswith("/manifest.json")))
    man["format_version"] = 99
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"manifest.json": json.dumps(man).encode()}))
    assert ("manifest.json", "bundle format version 99 is newer than this Kubesnap knows (1); read as version 1") in o.problems()
    assert_rest_ingested(o)


@pytest.mark.parametrize("manifest", [
    {"format": "kubesnap-bundle", "format_version": 10**30, "node": "node-a", "started_at": "2023-11-14T22:13:20Z"},
    {"format": "kubesnap-bundle", "format_version": 1, "node": 123, "hostname": ["x"], "started_at": 12345, "finished_at": "garbage",
     "options": [], "runtime": "containerd", "records": {"a": 1}, "redaction": 5, "missing_commands": "crictl"},
    {"format": None, "format_version": "1", "node": None, "started_at": "9999-99-99T99:99:99Z",
     "records": [1, "x", None, {"kind": "command", "argv": "notalist", "exit_code": "zero", "seconds": "fast", "bytes": -1, "error": ["e"]}]},
    [1, 2, 3],
], ids=["huge-version", "wrong-types", "nulls-and-junk-records", "not-an-object"])  # fmt: skip
def test_manifest_of_wrong_shapes_is_read_as_far_as_it_goes(work: Path, base_bundle: Base, manifest: object) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"manifest.json": json.dumps(manifest).encode()}))
    assert o.error is None
    assert o.q("SELECT count(*) FROM snapshots")[0][0] == 1
    assert_rest_ingested(o)


def test_one_object_of_the_wrong_shape_loses_only_itself(work: Path, base_bundle: Base) -> None:
    """A number where text belongs (crictl JSON), a 20-digit PID (ps): that object or that value is lost, not the member."""
    root, members = base_bundle
    data = {ti.name.removeprefix(root + "/"): d for ti, d in members}
    ps = json.loads(data["runtime/crictl-ps-a.json"])
    good = len(ps["containers"])
    ps["containers"].append({"id": "ab" * 32, "metadata": {"name": 1}, "image": {"image": 5}, "state": "CONTAINER_RUNNING"})
    ps_ef = data["processes/ps-ef.txt"] + b"root     99999999999999999999     1  0 10:00 ?        00:00:01 /huge-pid\n"
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"runtime/crictl-ps-a.json": json.dumps(ps).encode(), "processes/ps-ef.txt": ps_ef}))
    assert o.error is None
    assert ("runtime/crictl-ps-a.json", "container ababababababa: not read (name: Input should be a valid string; image: Input should be a valid string)") in o.problems()
    assert o.q("SELECT count(*) FROM crictl_containers WHERE source = 'crictl-ps-json'")[0][0] == good
    assert o.q("SELECT pid FROM processes WHERE command = '/huge-pid'") == [(None,)]
    assert_rest_ingested(o)


def test_ages_beyond_any_date_leave_the_time_unknown(work: Path, base_bundle: Base) -> None:
    """'4499999999999999999999999 hours ago' (crictl) or a 20-digit ELAPSED (ps): no datetime holds the result."""
    root, members = base_bundle
    data = {ti.name.removeprefix(root + "/"): d for ti, d in members}
    table = data["runtime/crictl-ps-a.txt"].replace(b"2 hours ago        ", b"4499999999999999999 hours ago", 1)
    ps = data["processes/ps.txt"].replace(b"  86400 Ssl", b"99999999999999999 Ssl", 1)
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, replace={"runtime/crictl-ps-a.txt": table, "processes/ps.txt": ps}))
    assert o.error is None
    assert o.q("SELECT created_at FROM crictl_containers WHERE created_text LIKE '4499999999999999999 hours ago'") == [(None,)]
    assert o.q("SELECT started_at FROM processes WHERE pid = 1 AND source = 'ps-fixed'") == [(None,)]
    assert_rest_ingested(o)


def test_bundle_without_manifest(work: Path, base_bundle: Base) -> None:
    o = run(work, build(work.parent / "in.tar.gz", base_bundle, drop=frozenset({"manifest.json"})))
    assert ("manifest.json", "the bundle has no manifest.json: collection details unknown, node name taken from the data") in o.problems()
    assert o.q("SELECT node FROM snapshots") == [("node-a",)]
    assert_rest_ingested(o)


def test_binary_garbage_input_is_nothing_ingestible(work: Path) -> None:
    g = work.parent / "garbage.bin"
    g.write_bytes(bytes(range(256)) * 100)
    o = run(work, g)
    assert o.error is not None and o.error.exit_code == 3
    assert "not text, and not a capture Kubesnap recognizes" in str(o.error)


def test_a_log_with_a_hole_of_nul_bytes_is_text(work: Path) -> None:
    """A node that crashed while a log was being written leaves a run of zeros in it: the file is still its lines (a fuzzer,
    2026-12-07: one NUL made a klog, dmesg or logrus file "not text", exit 3); a file mostly of zeros is not."""
    g = work.parent / "kubelet.log"
    g.write_bytes(b"I1207 10:00:00.000000    1 main.go:1] start\n" + b"\x00" * 300 + b"I1207 10:00:01.000000    1 main.go:2] after the hole\n")
    o = run(work, g)
    assert o.error is None
    assert str(o.q("SELECT message FROM log_lines ORDER BY line_no")[-1][0]).endswith("after the hole")
    z = work.parent / "zeros.log"
    z.write_bytes(b"x\n" + b"\x00" * 4096)
    o = run(work, z)
    assert o.error is not None and o.error.exit_code == 3


def test_utf16_text_is_read_as_its_text(work: Path) -> None:
    """PowerShell 5 writes `kubectl get pods > out.txt` in UTF-16 with a byte order mark: read as the same text in UTF-8
    (it was "not text", exit 3)."""
    g = work.parent / "out.txt"
    g.write_bytes("NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          5m\n".encode("utf-16"))
    o = run(work, g)
    assert o.error is None
    assert o.q("SELECT name, status_text FROM api_pods") == [("web-1", "Running")]


# ------------------------------------------------------------------ truncated fixture site

def test_site_cut_at_half_keeps_every_pod_before_the_cut(seed_bundles: dict[str, Path], tmp_path: Path) -> None:
    """Each seed bundle cut at half its size: every sandbox in a crictl listing that precedes the cut is ingested."""
    expected: dict[str, set[str]] = {}
    cuts = []
    for node, tarball in seed_bundles.items():
        cut = tmp_path / tarball.name
        data = tarball.read_bytes()
        cut.write_bytes(data[: len(data) // 2])
        cuts.append(cut)
        # the oracle: what Python's own tar reader gets out of the cut file, member by member
        names: set[str] = set()
        with tarfile.open(cut, "r|gz") as tf:
            try:
                for m in tf:
                    f = tf.extractfile(m) if m.isfile() else None
                    body = f.read() if f else b""
                    if m.name.endswith("runtime/crictl-pods.json") and len(body) == m.size:
                        names |= {it["metadata"]["name"] for it in json.loads(body)["items"]}
            except (tarfile.TarError, EOFError, OSError):
                pass
        expected[node] = names
    assert sum(len(v) for v in expected.values()) >= 10, "the cut must leave some pods to check"
    db = tmp_path / "cut.duckdb"
    rep = api.ingest_inputs(db, cuts, site="cut")
    for node, names in expected.items():
        got = {r[0] for r in api.query(db, "SELECT name FROM sandboxes WHERE node = ?", [node]).rows}
        assert names <= got, (node, names - got)
    cut_reports = [r for _w, _m, r in rep.problems if r.startswith("archive is truncated")]
    assert len(cut_reports) == len(cuts), rep.problems


# ------------------------------------------------------------------ concurrency

def test_second_writer_gets_a_clear_in_use_error(tmp_path: Path, base_bundle: Base) -> None:
    db = tmp_path / "x.duckdb"
    inp = build(tmp_path / "in.tar.gz", base_bundle)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from analyzer.store import Store; s = Store(sys.argv[1]); print('ok', flush=True); time.sleep(60)", str(db)],
                              stdout=subprocess.PIPE, text=True, cwd=PROJECT)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        p = subprocess.run([sys.executable, "-m", "analyzer", "ingest", str(inp), "--db", str(db)], capture_output=True, text=True, cwd=PROJECT)
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 2, p.stderr
    assert f"kubesnap: {db} is in use by another kubesnap process" in p.stderr and "Traceback" not in p.stderr
    assert api.query(db, "SELECT count(*) FROM snapshots").rows == [(0,)]


def test_killed_ingest_leaves_the_database_as_it_was(tmp_path: Path, seed_db: Path, seed_site_dir: Path) -> None:
    import shutil

    db = tmp_path / "k.duckdb"
    shutil.copy(seed_db, db)
    before = api.query(db, "SELECT site, count(*), sum(hash(snapshot_id)) FROM snapshots GROUP BY site").rows
    before_lines = api.query(db, "SELECT count(*) FROM log_lines").rows
    p = subprocess.Popen([sys.executable, "-m", "analyzer", "ingest", str(seed_site_dir / "bundles"), "--db", str(db), "--site", "again"],
                         cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(2.5)
    p.kill()
    p.wait()
    assert api.query(db, "SELECT site, count(*), sum(hash(snapshot_id)) FROM snapshots WHERE site <> 'again' GROUP BY site").rows == before
    # what the killed run committed is whole bundles only: each has its members, and nothing else is half there
    for sid, n in api.query(db, "SELECT s.snapshot_id, (SELECT count(*) FROM members m WHERE m.snapshot_id = s.snapshot_id) FROM snapshots s WHERE site = 'again'").rows:
        assert n > 50, (sid, n)
    orphans = api.query(db, "SELECT count(*) FROM members WHERE snapshot_id NOT IN (SELECT snapshot_id FROM snapshots)").rows
    assert orphans == [(0,)]
    if not api.query(db, "SELECT 1 FROM snapshots WHERE site = 'again'").rows:
        assert api.query(db, "SELECT count(*) FROM log_lines").rows == before_lines


# ------------------------------------------------------------------ fuzzing

@pytest.mark.slow  # fuzzing: the slow set
@settings(max_examples=int(os.environ.get("KUBESNAP_FUZZ_EXAMPLES", examples(60))), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_bundles_never_crash_the_reader(base_bundle: Base, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    form = data.draw(st.sampled_from(["tar", "tar.gz", "zip"]))
    if form == "zip":
        raw = bytearray(_zip(d / "b.zip", _bundle_entries(base_bundle)).read_bytes())
    else:
        raw = bytearray(build(d / "b.tar", base_bundle, mode="w").read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "cut":
            del raw[at : at + data.draw(st.integers(1, 4096))]
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=600))
        else:
            raw[at : at + 512] = b"\0" * 512
    path = d / f"m.{form}"
    path.write_bytes(gzip.compress(bytes(raw), 1) if form == "tar.gz" else bytes(raw))
    for item in iter_input(path, Limits(max_total_bytes=50 << 20)):
        if not isinstance(item, Problem):
            _key, _root, m = item
            if m.kind == "file":
                with contextlib.suppress(*MEMBER_READ_ERRORS):  # the ingest reports these as the member's problem
                    m.read(1 << 20)
    with contextlib.suppress(AnalyzerError):  # "nothing ingestible" is a fine answer to garbage; anything else is a bug
        api.ingest_inputs(d / "f.duckdb", [path], site="fuzz")


JUNK = [b"99999999999999999999999", b"-1", b"1e400", b"NaN", b'""', b"null", b"[]", b"{}", b"\n\n", b"\t", b"\r", b"\xff\xfe", b"20023-10-03T16:00:01Z"]


@pytest.mark.slow  # fuzzing: the slow set
@settings(max_examples=int(os.environ.get("KUBESNAP_FUZZ_EXAMPLES", examples(25))), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_member_contents_never_crash_ingest_findings_or_report(base_bundle: Base, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """A well-formed archive whose members' contents are damaged (numbers beyond 64 bits, wrong JSON types, cut lines,
    impossible dates): the ingest, the rules and the report finish; a failure is a reported problem, never an exception."""
    from reports.render import render_report

    root, members = base_bundle
    files = [i for i, (ti, d) in enumerate(members) if ti.isfile() and d]
    replace: dict[str, bytes] = {}
    for i in data.draw(st.lists(st.sampled_from(files), min_size=1, max_size=4, unique=True)):
        ti, content = members[i]
        b = bytearray(content)
        for _ in range(data.draw(st.integers(1, 6))):
            at = data.draw(st.integers(0, max(len(b) - 1, 0)))
            op = data.draw(st.sampled_from(["junk", "cut", "flip", "dupline"]))
            if op == "junk":
                b[at:at] = data.draw(st.sampled_from(JUNK))
            elif op == "cut":
                del b[at : at + data.draw(st.integers(1, 300))]
            elif op == "flip" and b:
                b[at] = data.draw(st.integers(0, 255))
            else:
                end = b.find(b"\n", at)
                b[at:at] = b[at : end + 1 if end >= 0 else at + 40] * 2
        replace[ti.name.removeprefix(root + "/")] = bytes(b)
    d = tmp_path_factory.mktemp("content-fuzz")
    path = build(d / "m.tar.gz", base_bundle, replace=replace)
    db = d / "f.duckdb"
    with contextlib.suppress(AnalyzerError):  # "nothing ingestible" is a fine answer; anything else is a bug
        api.ingest_inputs(db, [path], site="fuzz")
        api.check(db)
        render_report(db, d / "r.html")


# ------------------------------------------------------------------ zip archives (customers zip what they mail)

def _zip(path: Path, entries: Sequence[tuple[str, bytes, int]]) -> Path:
    """A zip of (name, data, unix mode) entries, names written as given."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in entries:
            zi = zipfile.ZipInfo(name, (2023, 11, 14, 22, 13, 20))
            zi.create_system, zi.external_attr, zi.compress_type = 3, mode << 16, zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return path


def _bundle_entries(base: Base) -> list[tuple[str, bytes, int]]:
    return [(ti.name, data, 0o100644) for ti, data in base[1] if ti.isfile()]


@pytest.mark.parametrize("form", ["tarballs", "extracted"])
def test_zip_of_tarballs_or_of_an_extracted_bundle(work: Path, base_bundle: Base, form: str) -> None:
    if form == "tarballs":
        tarball = build(work.parent / "kubesnap-node-a-20231114T221320Z.tar.gz", base_bundle)
        entries = [(tarball.name, tarball.read_bytes(), 0o100644)]
    else:
        entries = _bundle_entries(base_bundle)
    o = run(work, _zip(work.parent / "bundles.zip", entries))
    assert o.error is None and o.problems() == []
    assert o.q("SELECT node FROM snapshots") == [("node-a",)]
    assert_rest_ingested(o)


def test_zip_names_links_and_devices_are_contained(work: Path, base_bundle: Base) -> None:
    import stat as st_

    root = base_bundle[0]
    o = run(work, _zip(work.parent / "in.zip", [*_bundle_entries(base_bundle),
        ("../escaped", b"pwned", 0o100644), ("/tmp/kubesnap-escaped", b"pwned", 0o100644),
        (f"{root}/files/etc/kubernetes/evil.conf", b"/etc/shadow", st_.S_IFLNK | 0o777),
        (f"{root}/files/run/fifo", b"", st_.S_IFIFO | 0o644),
    ]))  # fmt: skip
    assert o.error is None
    assert ("../escaped", "member name is absolute or climbs out with '..': not read") in o.problems()
    assert ("/tmp/kubesnap-escaped", "member name is absolute or climbs out with '..': not read") in o.problems()
    assert ("files/run/fifo", "device file or FIFO: not read") in o.problems()
    assert o.q("SELECT kind, link_target FROM members WHERE path = 'files/etc/kubernetes/evil.conf'") == [("symlink", "/etc/shadow")]
    assert_rest_ingested(o)


def test_zip_bomb_member_is_refused(work: Path, base_bundle: Base) -> None:
    o = run(work, _zip(work.parent / "bomb.zip", [*_bundle_entries(base_bundle), (f"{base_bundle[0]}/host/zeros.txt", bytes(64 << 20), 0o100644)]))
    (reason,) = [r for m, r in o.problems() if m == "host/zeros.txt"]
    assert re.fullmatch(r"67108864 bytes from a \d+-byte member expands more than 200x \(a decompression bomb\): the rest is not read", reason), reason


def test_truncated_zip_is_refused_with_the_reason(work: Path, base_bundle: Base) -> None:
    full = _zip(work.parent / "full.zip", _bundle_entries(base_bundle))
    cut = work.parent / "cut.zip"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    o = run(work, cut)
    assert o.error is not None and o.error.exit_code == 3
    assert "cut.zip: not a readable zip archive (a zip is read from its index at the end: a cut upload loses it all)" in str(o.error)


def test_zip_inside_a_tarball(work: Path, base_bundle: Base) -> None:
    z = _zip(work.parent / "node-a.zip", _bundle_entries(base_bundle))
    outer = work.parent / "outer.tar.gz"
    with tarfile.open(outer, "w:gz") as tf:
        tf.add(z, arcname="site/node-a.zip")
    o = run(work, outer)
    assert o.error is None and o.problems() == []
    assert_rest_ingested(o)


# ------------------------------------------------------------------ tar headers: our frombuf is tarfile's


def _header_outcome(cls: type[tarfile.TarInfo], buf: bytes) -> object:
    try:
        ti = cls.frombuf(buf, "utf-8", "surrogateescape")
    except tarfile.HeaderError as e:
        return type(e).__name__
    return {k: getattr(ti, k, None) for k in tarfile.TarInfo.__slots__}


def _real_headers() -> list[bytes]:
    out = []
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        for name, typ, size in [("notes/000/n000001.txt", tarfile.REGTYPE, 61), ("dir/", tarfile.DIRTYPE, 0),
                                ("a/" * 60 + "long.txt", tarfile.REGTYPE, 5), ("l", tarfile.SYMTYPE, 0), ("big", tarfile.REGTYPE, 8**11 + 1),
                                ("café/ünï.log", tarfile.REGTYPE, 3), ("dev", tarfile.CHRTYPE, 0), ("v7dir/", tarfile.AREGTYPE, 0)]:  # fmt: skip
            ti = tarfile.TarInfo(name)
            ti.type, ti.size, ti.mtime, ti.linkname = typ, size, 1_700_000_000, "target" if typ == tarfile.SYMTYPE else ""
            try:
                blob = ti.tobuf(fmt, "utf-8", "surrogateescape")
            except ValueError:
                continue
            out += [blob[i : i + 512] for i in range(0, len(blob), 512)]  # extended headers' blocks too
    return out


REAL_HEADERS = _real_headers()


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(REAL_HEADERS), st.lists(st.tuples(st.integers(0, 511), st.integers(0, 255)), max_size=6), st.booleans())
def test_fast_header_reader_is_tarfiles(header: bytes, changes: list[tuple[int, int]], fix_checksum: bool) -> None:
    """On real headers changed anywhere (and with the checksum made right again, so that the changes reach
    the fields): FastTarInfo.frombuf gives what tarfile.TarInfo.frombuf gives, attribute for attribute, or
    the same error."""
    buf = bytearray(header)
    for i, v in changes:
        buf[i] = v
    if fix_checksum:
        buf[148:156] = b"        "
        buf[148:156] = b"%06o\0 " % (sum(buf) & 0o777777)
    assert _header_outcome(FastTarInfo, bytes(buf)) == _header_outcome(tarfile.TarInfo, bytes(buf))


def test_fast_header_reader_takes_the_plain_headers_and_leaves_the_rest() -> None:
    """The fast path is taken (the whole point) and the odd ones are tarfile's: a signed checksum, a sparse
    header, an end-of-archive block."""
    plain = REAL_HEADERS[0]
    assert _header_outcome(FastTarInfo, plain) == _header_outcome(tarfile.TarInfo, plain)
    signed = bytearray(plain)
    signed[0:4] = "éé".encode()  # bytes over 127: the signed sum differs from the unsigned
    signed[148:156] = b"        "
    signed[148:156] = b"%06o\0 " % ((256 + sum((b - 256 if b > 127 else b) for b in signed[:148] + signed[156:])) & 0o777777)
    assert _header_outcome(tarfile.TarInfo, bytes(signed)) != "InvalidHeaderError"
    assert _header_outcome(FastTarInfo, bytes(signed)) == _header_outcome(tarfile.TarInfo, bytes(signed))
    assert _header_outcome(FastTarInfo, bytes(512)) == "EOFHeaderError"
    assert _header_outcome(FastTarInfo, plain[:100]) == "TruncatedHeaderError"


@pytest.mark.parametrize("digit", ["\u00b9", "\u2460", "\u0663", "\U0001d7d9"])  # superscript one, circled one, Arabic-Indic three, math double-struck one
def test_a_number_in_another_script_never_costs_the_member(digit: str) -> None:
    """str.isdigit() says yes to superscripts and circled digits and int() refuses them: a guard of isdigit()
    then int() lost the member. Numbers are tested with isdecimal(), which is what int() takes."""
    from analyzer.models import Service
    from analyzer.parsers import host, kubectl_describe
    from analyzer.registry import ParseContext

    show = f"Id=kubelet.service\nLoadState=loaded\nActiveState=active\nMainPID={digit}\nNRestarts=2{digit}\n"
    (rec,) = list(host.parse_show(ParseContext("services/kubelet.show.txt", show.encode())))
    assert isinstance(rec, Service)
    assert (rec.main_pid, rec.restarts) == ((int(digit), int("2" + digit)) if digit.isdecimal() else (None, None))
    describe = ("Name:         web-0\nNamespace:    shop\nNode:         n1/10.0.0.1\nStatus:       Running\nContainers:\n"
                f"  web:\n    Container ID:  containerd://abc\n    State:          Running\n    Restart Count:  {digit}\n")  # fmt: skip
    recs = list(kubectl_describe.parse(ParseContext("describe.txt", describe.encode())))
    assert recs, "the describe is read"


# ------------------------------------------------------------------ numbers and types past what a column or a verb takes

def test_numbers_past_their_columns_bits_are_unknown_not_a_failed_ingest(work: Path, base_bundle: Base) -> None:
    """A fuzzer's finds (2026-12-07): a manifest's 2^31 in an INTEGER column, and a shim's pid of 2^64 in ps, each made
    the whole ingest fail (exit 70); a JSON log line's 20-digit epoch too. Each is unknown now, and the rest is read."""
    root, members = base_bundle
    manifest = json.loads(next(d for ti, d in members if ti.name == f"{root}/manifest.json"))
    manifest["format_version"] = 2**31
    ps = next(d for ti, d in members if ti.name == f"{root}/processes/ps.txt").decode()
    shim = next(ln for ln in ps.splitlines() if "containerd-shim" in ln)
    pid = shim.split()[0]
    hostile = build(work.parent / "numbers.tar.gz", base_bundle, replace={
        "manifest.json": json.dumps(manifest).encode(),
        "processes/ps.txt": ps.replace(shim, shim.replace(pid, str(2**64), 1)).encode()},
        add=[Entry("logs/pods/app.log", b'{"ts":99999999999999999999,"msg":"x"}\n{"ts":1700000000,"msg":"y"}\n')])  # fmt: skip
    o = run(work, hostile)
    assert o.error is None
    assert o.q("SELECT format_version FROM snapshots") == [(None,)]
    # the shim's line: stored with its pid unknown, or reported as a row it cannot read, never a failed ingest
    unknown_pids = int(str(o.q("SELECT count(*) FROM processes WHERE pid IS NULL")[0][0]))
    assert unknown_pids + len([p for p in o.problems() if "ps.txt" in p[0]]) >= 1
    assert o.q("SELECT count(*) FROM sandboxes")[0][0] == 1
    node = str(o.q("SELECT node FROM snapshots")[0][0])
    for verb in (["ps", "--db", str(o.db), "--site", "h", node], ["get", "pods", "-A", "--db", str(o.db), "--site", "h"],
                 ["report", "--db", str(o.db), "--site", "h", "--output", str(work / "r.html")]):
        r = CliRunner().invoke(main, verb)
        assert r.exit_code == 0, r.output


@pytest.mark.parametrize("obj", [
    {"status": {"phase": "Running", "podIPs": 7}},
    {"spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "x"}]},
     "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": True, "restartCount": 1, "lastState": {"a": 1}, "state": {"b": [2]}}]}},
    {"status": {"podIPs": 7, "conditions": [3, "x"], "containerStatuses": ["a"]}},
    {"metadata": {"name": "p1", "namespace": "default", "creationTimestamp": 1700000000, "labels": "app=x"}},
    {"metadata": {"name": "p1", "namespace": "default", "labels": 5, "ownerReferences": {"kind": "x"}}, "spec": [], "status": "Running"},
])  # fmt: skip
def test_a_dumps_fields_of_the_wrong_type_are_dropped_before_a_verb_reads_them(tmp_path: Path, obj: dict[str, object]) -> None:
    """kubectl -o json of a pod whose fields hold another type (a number for podIPs, a string for labels, a number for a
    time): ingested, then get and describe answer (the fields unknown) instead of failing with an internal error."""
    pod: dict[str, object] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "default"}, "spec": {"nodeName": "n1"},
                              "status": {"phase": "Running"}}  # fmt: skip
    for k, v in obj.items():
        old = pod.get(k)
        pod[k] = {**old, **v} if isinstance(v, dict) and isinstance(old, dict) else v
    f = tmp_path / "pods.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod]}))
    db = tmp_path / "k.duckdb"
    r = CliRunner().invoke(main, ["ingest", "--db", str(db), str(f)])
    # read with its odd fields unknown, or not read with a message naming it (exit 3: nothing else to ingest)
    assert r.exit_code in (0, 1) or (r.exit_code == 3 and "Pod default/p1: not read" in r.output), r.output
    if not db.exists():
        return
    for verb in (["get", "pods", "-A", "-o", "wide"], ["describe", "pod", "p1"], ["get", "pods", "-o", "yaml"]):
        r = CliRunner().invoke(main, [*verb, "--db", str(db)])
        assert r.exit_code == 0 or (r.exit_code == 1 and "not found" in r.output), (verb, r.output)


@pytest.mark.parametrize("node", [
    {"metadata": {"name": "n1", "labels": 7}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
    {"metadata": {"name": "n1"}, "status": {"conditions": [["Ready"]], "nodeInfo": {"kubeletVersion": "v1.28.0"}}},
])  # fmt: skip
def test_a_nodes_fields_of_the_wrong_type_are_dropped_before_get_nodes(tmp_path: Path, node: dict[str, object]) -> None:
    f = tmp_path / "nodes.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Node", **node}]}))
    db = tmp_path / "k.duckdb"
    r = CliRunner().invoke(main, ["ingest", "--db", str(db), str(f)])
    assert r.exit_code in (0, 1), r.output
    for verb in (["get", "nodes", "-o", "wide"], ["describe", "node", "n1"]):
        r = CliRunner().invoke(main, [*verb, "--db", str(db)])
        assert r.exit_code == 0, (verb, r.output)


_ANY = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True) | st.text(max_size=6) \
    | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
_STATE = st.fixed_dictionaries({}, optional={k: st.fixed_dictionaries({}, optional={f: _ANY for f in ("reason", "message", "exitCode", "signal", "startedAt", "finishedAt")}) | _ANY
                                            for k in ("running", "waiting", "terminated")})  # fmt: skip
_STATUS = st.fixed_dictionaries({}, optional={"restartCount": _ANY, "ready": _ANY, "name": _ANY, "image": _ANY, "state": _STATE | _ANY,
                                              "lastState": _STATE | _ANY, "started": _ANY, "containerID": _ANY})  # fmt: skip
_OBJ = st.fixed_dictionaries({}, optional={
    "metadata": st.fixed_dictionaries({}, optional={"name": _ANY, "namespace": _ANY, "labels": _ANY | st.dictionaries(st.text(max_size=4), _ANY, max_size=2),
                                                    "creationTimestamp": _ANY, "deletionTimestamp": _ANY}) | _ANY,
    "spec": st.fixed_dictionaries({}, optional={"containers": st.lists(_ANY | _STATUS, max_size=2) | _ANY, "nodeName": _ANY, "unschedulable": _ANY,
                                                "readinessGates": st.lists(st.fixed_dictionaries({}, optional={"conditionType": _ANY}) | _ANY, max_size=2) | _ANY,
                                                "initContainers": _ANY, "taints": _ANY}) | _ANY,
    "status": st.fixed_dictionaries({}, optional={"phase": _ANY, "reason": _ANY, "podIP": _ANY, "nominatedNodeName": _ANY,
                                                  "podIPs": st.lists(st.fixed_dictionaries({}, optional={"ip": _ANY}) | _ANY, max_size=2) | _ANY,
                                                  "conditions": st.lists(st.fixed_dictionaries({}, optional={"type": _ANY, "status": _ANY}) | _ANY, max_size=3) | _ANY,
                                                  "containerStatuses": st.lists(_STATUS | _ANY, max_size=3) | _ANY,
                                                  "initContainerStatuses": st.lists(_STATUS | _ANY, max_size=2) | _ANY,
                                                  "addresses": st.lists(st.fixed_dictionaries({}, optional={"type": _ANY, "address": _ANY}) | _ANY, max_size=2) | _ANY,
                                                  "nodeInfo": st.fixed_dictionaries({}, optional={k: _ANY for k in ("kubeletVersion", "osImage", "kernelVersion", "containerRuntimeVersion")}) | _ANY}) | _ANY,
})  # fmt: skip


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_OBJ)
def test_kubectls_printers_take_any_stored_object_once_shaped(obj: dict[str, object]) -> None:
    """Whatever a foreign database or a dump holds, once api_shape has it the printers of get pods and get nodes print a
    row (of unknowns) and never fail on a field of the wrong type."""
    from datetime import UTC, datetime

    from analyzer.kubefmt import node_row, pod_row
    from analyzer.verbs import api_shape

    shaped = api_shape(obj)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert all(isinstance(c, str) for c in pod_row(shaped, now, wide=True))
    assert all(isinstance(c, str) for c in node_row(shaped, now, wide=True))


def test_a_journal_export_time_of_40_digits_is_unknown_not_a_failed_ingest(tmp_path: Path) -> None:
    """The round-2 fuzzer: `journalctl -o export` with a 40-digit __REALTIME_TIMESTAMP failed the whole ingest (exit 70,
    OverflowError); the entry is read with its time unknown."""
    f = tmp_path / "journal-export.txt"
    f.write_bytes(b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=" + b"9" * 40 + b"\n_HOSTNAME=n1\nSYSLOG_IDENTIFIER=kubelet\nMESSAGE=odd time\n\n"
                  b"__CURSOR=s=2\n__REALTIME_TIMESTAMP=1700000000000000\n_HOSTNAME=n1\nSYSLOG_IDENTIFIER=kubelet\nMESSAGE=good\n\n")
    paste = tmp_path / "paste.txt"
    paste.write_bytes(b"$ journalctl -u kubelet -o export\n" + f.read_bytes())
    for inp in (f, paste):
        db = tmp_path / f"{inp.stem}.duckdb"
        r = CliRunner().invoke(main, ["ingest", "--db", str(db), "--node", "n1", str(inp)])
        assert r.exit_code in (0, 1) and "internal error" not in r.output, r.output
