"""Red team, ingest side (issue 15): archives built to cost time, memory or the integrity of the database.

Each case is one hostile change to a real bundle (or a hostile archive of loose members) and states its
exact outcome: the exit status of `kubesnap ingest`, the message naming the member and the reason, and
what was kept. Counts are small here; bench/ingest_scale.py measures the large ones (time and peak RSS).
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import analyzer.bundle
import analyzer.correlate
import analyzer.ingest
from analyzer import api
from analyzer.bundle import MAX_HEADER_BYTES, MAX_NAME_BYTES
from analyzer.cli import main
from analyzer.store import Store
from tests.test_hostile import Base, Entry, build

ROOT_NAME = re.compile(r"kubesnap-\S+-\d{8}T\d{6}Z")


@pytest.fixture(scope="session")
def base(small_bundle: Base) -> Base:
    """A real bundle of the small fake node (the collector run on it, tests/conftest.py)."""
    return small_bundle


@dataclass
class Result:
    code: int
    stderr: str
    db: Path

    def q(self, sql: str) -> list[tuple[object, ...]]:
        return api.query(self.db, sql).rows

    def problems(self) -> list[tuple[str, str]]:
        return [(str(m), str(r)) for m, r in self.q("SELECT member, reason FROM ingest_problems ORDER BY member, reason")]


def kubesnap_ingest(db: Path, inputs: Sequence[Path], *args: str) -> Result:
    r = CliRunner().invoke(main, ["ingest", "--db", str(db), "-q", *args, *map(str, inputs)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    return Result(r.exit_code, r.output, db)


def kept_whole(r: Result) -> None:
    """The small bundle's good part is all there: its pod, both containers and their processes."""
    assert r.q("SELECT count(*) FROM sandboxes") == [(1,)]
    assert r.q("SELECT count(*) FROM pod_processes WHERE pid IS NOT NULL AND container IS NOT NULL") == [(2,)]


def tiny_members(path: Path, n: int, prefix: str = "notes") -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for i in range(n):
            data = f"2024-03-01T12:00:00Z note {i}\n".encode()
            ti = tarfile.TarInfo(f"{prefix}/n{i:05d}.txt")
            ti.size, ti.mtime = len(data), 1_700_000_000
            tf.addfile(ti, io.BytesIO(data))
    return path


# ------------------------------------------------------------------ many tiny loose members


def test_tiny_loose_members_go_in_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """500 one-line files outside any bundle: one snapshot, one correlate, no per-member delete; each member is kept."""
    calls = {"correlate": 0, "delete_snapshot": 0, "begin": 0}
    real_correlate = analyzer.correlate.correlate
    real_delete = Store.delete_snapshot

    def correlate(con: object, sid: str) -> None:
        calls["correlate"] += 1
        real_correlate(con, sid)  # type: ignore[arg-type]

    def delete_snapshot(self: Store, sid: str, member: str | None = None) -> None:
        calls["delete_snapshot"] += 1
        real_delete(self, sid, member)

    monkeypatch.setattr("analyzer.ingest.correlate", correlate)
    monkeypatch.setattr(Store, "delete_snapshot", delete_snapshot)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [tiny_members(tmp_path / "notes.tar.gz", 500)], "--node", "worker-1")
    assert r.code == 0, r.stderr
    assert calls == {"correlate": 1, "delete_snapshot": 0, "begin": 0}
    assert r.q("SELECT kind, node FROM snapshots") == [("loose", "worker-1")]
    assert r.q("SELECT count(*), count(DISTINCT path) FROM members") == [(500, 500)]
    assert r.q("SELECT count(*), sum(line_count) FROM log_files") == [(500, 500)]
    assert r.q("SELECT message FROM log_lines l JOIN log_files f USING (file_id) WHERE f.path = 'notes/n00042.txt'") == [("note 42",)]


def test_tiny_loose_members_again_change_nothing(tmp_path: Path) -> None:
    notes = tiny_members(tmp_path / "notes.tar.gz", 200)
    first = kubesnap_ingest(tmp_path / "db.duckdb", [notes])
    counts = "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM log_lines), (SELECT count(*) FROM ingest_problems), (SELECT count(*) FROM snapshots)"
    before = first.q(counts)
    again = kubesnap_ingest(tmp_path / "db.duckdb", [notes])
    assert first.code == again.code == 0  # without --node they are stored under node 'unknown': a note, not a problem
    assert again.q(counts) == before == [(200, 200, 0, 1)]
    said = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "db.duckdb"), str(notes)])
    assert said.exit_code == 0
    assert f"note: {notes}: notes/n00000.txt: node-level output without --node: stored under node 'unknown' (and 199 more capture(s) " \
           "of this input); give --node NAME to name it\n" in said.output  # fmt: skip


PASTES = Path(__file__).resolve().parent / "data" / "pastes"


@pytest.mark.parametrize("extra", [None, b"x" * 5000, "bad"], ids=["small-only", "one-large-member", "one-problem"])
def test_loose_archive_read_in_one_pass_gives_what_two_passes_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: bytes | str | None) -> None:
    """An archive of small loose captures (notes, pastes, a journal) is ingested from the detection pass's own
    reading; a member too large to hold, or a problem of the archive, makes it read a second time. Either way
    the same rows, problems and notes."""
    import analyzer.formats

    src = tmp_path / "in.tar.gz"
    with tarfile.open(src, "w:gz") as tf:
        items = [(f"notes/n{i}.txt", f"2024-03-01T12:00:0{i}Z note {i}\n".encode()) for i in range(5)]
        items += [(f"pastes/{p.name}", p.read_bytes()) for p in sorted(PASTES.glob("*.txt"))[:12]]
        if isinstance(extra, bytes):
            items.append(("big.txt", extra))
        if extra == "bad":
            items.append(("../climbs.txt", b"x\n"))
        for name, data in items:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), 1_700_000_000
            tf.addfile(ti, io.BytesIO(data))
    passes: list[int] = []
    real = analyzer.bundle.iter_input

    def counting(*a: object, **k: object) -> object:
        passes.append(1)
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer.formats, "iter_input", counting)
    def extract(path: Path, limits: object = None, skip_archives: bool = False, exclude: object = None) -> object:
        passes.append(1)
        return real(path, limits, skip_archives=skip_archives)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer.ingest, "extract", extract)
    tables = ["members", "log_files", "log_lines", "journal", "paste_sections", "api_pods", "processes", "crictl_containers"]
    got = []
    for held in (analyzer.formats.LOOSE_HELD, 0):
        monkeypatch.setattr(analyzer.formats, "LOOSE_HELD", held)
        passes.clear()
        db = tmp_path / f"db{held}.duckdb"
        rep = api.ingest_inputs(db, [src], site="s", node="w1")
        with Store(db, read_only=True) as st:
            rows = {t: sorted(map(str, st.con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
        got.append((rows, sorted(rep.problems), sorted(rep.notes), len(passes)))
    (one, p1, n1, passes1), (two, p2, n2, passes2) = got
    assert one == two and p1 == p2 and n1 == n2
    assert sum(len(v) for v in one.values()) > 50 and one["paste_sections"] and one["log_lines"]
    assert passes1 == (1 if extra is None else 2) and passes2 == 2
    if extra == "bad":
        assert (str(src), "../climbs.txt", "member name is absolute or climbs out with '..': not read") in p1


# ------------------------------------------------------------------ headers and names counted in the caps


def _with_member(base: Base, path: Path, ti: tarfile.TarInfo, data: bytes, fmt: int = tarfile.PAX_FORMAT, raw_before: bytes = b"") -> Path:
    """The base bundle plus one member (and raw header blocks written just before it), gzip'd."""
    _root, members = base
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for mti, mdata in members:
            tf.addfile(mti, io.BytesIO(mdata) if mti.isfile() else None)
        tf.fileobj.write(raw_before)
        tf.offset += len(raw_before)
        tf.addfile(ti, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue(), 1))
    return path


def _pax_block(records: dict[str, str], typ: bytes = tarfile.XHDTYPE) -> bytes:
    """One raw PAX extended header (header block + padded records)."""
    body = b""
    for k, v in records.items():
        rec = f" {k}={v}\n".encode()
        n = len(rec) + len(str(len(rec)))
        n = len(rec) + len(str(n))
        body += str(n).encode() + rec
    ti = tarfile.TarInfo("././@PaxHeader")
    ti.type, ti.size = typ, len(body)
    return ti.tobuf(tarfile.USTAR_FORMAT) + body + b"\0" * (-len(body) % 512)


def test_pax_header_bomb_is_skipped_unread(tmp_path: Path, base: Base) -> None:
    root = base[0]
    ti = tarfile.TarInfo(f"{root}/files/etc/kubernetes/x.conf")
    ti.size, ti.mtime = 6, 1_700_000_000
    ti.pax_headers = {"comment": "A" * (4 << 20)}  # 4 MiB of PAX header before a 6-byte member
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_with_member(base, tmp_path / "in.tar.gz", ti, b"a = 1\n")])
    assert r.code == 1
    (p,) = [p for p in r.problems() if "PAX header" in p[1]]
    assert re.fullmatch(rf"member whose name or attributes come in a PAX header of \d+ bytes \(more than the {MAX_HEADER_BYTES}-byte cap\): not read", p[1]), p
    assert p[0] == "files/etc/kubernetes/x.conf"
    assert r.q("SELECT count(*) FROM members WHERE path = 'files/etc/kubernetes/x.conf'") == [(0,)]
    kept_whole(r)


def _size_header(name: str, size: int | None, pax_size: str | None = None) -> bytes:
    """A member header claiming `size` bytes in base-256 (or a PAX size), with no data after it."""
    ti = tarfile.TarInfo(name)
    ti.mtime = 1_700_000_000
    block = bytearray(ti.tobuf(tarfile.GNU_FORMAT))
    if size is not None:
        block[124:136] = b"\x80" + size.to_bytes(11, "big")
        block[148:156] = b"        "
        block[148:155] = f"{sum(block):06o}\0".encode()[:7]
    return (_pax_block({"size": pax_size}) if pax_size else b"") + bytes(block)


@pytest.mark.parametrize("size,pax", [(2**80, None), (2**40, None), (None, str(10**30))], ids=["base256-2^80", "base256-2^40", "pax-10^30"])
@pytest.mark.parametrize("compress", [True, False], ids=["gz", "tar"])
@pytest.mark.parametrize("name", ["notes/huge.log", "../../huge.log", "/etc/huge.log", "notes/a.log", "notes/" + "h" * 5000],
                         ids=["read", "climbing", "absolute", "duplicate", "long-name"])
def test_a_member_claiming_more_than_the_input_may_hold_ends_the_walk(tmp_path: Path, size: int | None, pax: str | None, compress: bool,
                                                                       name: str) -> None:  # fmt: skip
    """tar skips a member it does not read by reading past its data: a header claiming 2^80 bytes kept the ingest
    spinning for good (2^66 empty reads). Such a member now ends the walk, with a problem; what came before is read.
    Also when the member is one the walk skips for its name (climbing, absolute, a duplicate, too long: the red team's
    round of 2026-12-08 found those still spinning)."""
    line = b"2024-03-01T12:00:00Z note\n"

    def good(name: str) -> bytes:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mtime = len(line), 1_700_000_000
        return ti.tobuf(tarfile.USTAR_FORMAT) + line + b"\0" * (-len(line) % 512)

    if len(name) > 100:  # (a GNU long name before the header: the name is longer than a header holds)
        long = tarfile.TarInfo(name)
        long.mtime = 1_700_000_000
        head = long.tobuf(tarfile.GNU_FORMAT)[:-512]
    else:
        head = b""
    raw = good("notes/a.log") + head + _size_header(name[:100], size, pax) + good("notes/b.log") + b"\0" * 1024
    path = tmp_path / ("odd.tar.gz" if compress else "odd.tar")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [path], "--node", "w1")  # the test's own timeout bounds it
    assert r.code == 1
    assert any("the rest is not read" in p[1] for p in r.problems()), r.problems()
    assert r.q("SELECT count(*) FROM members WHERE path LIKE '%a.log'") == [(1,)]


def _zip(path: Path, members: dict[str, bytes], method: int = 8) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_a_zip_whose_index_lists_too_many_members_is_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """zipfile reads a zip's whole index into memory before the member cap sees a member (4.5 M entries: 3 GB):
    the entries are counted from the index first."""
    monkeypatch.setattr(analyzer.bundle, "MAX_ZIP_ENTRIES", 5)
    line = b"2024-03-01T12:00:00Z note\n"
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_zip(tmp_path / "many.zip", {f"notes/n{i}.log": line for i in range(9)})], "--node", "w1")
    assert r.code == 3
    assert "index lists more than 5 members" in r.stderr
    ok = kubesnap_ingest(tmp_path / "db2.duckdb", [_zip(tmp_path / "few.zip", {f"notes/n{i}.log": line for i in range(5)})], "--node", "w1")
    assert ok.code == 0, ok.stderr


def test_a_zip_of_members_each_under_the_bomb_floor_is_held_to_the_ratio_as_a_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each member under the per-member floor, the whole zip expanding thousands of times: stopped as a tar is."""
    monkeypatch.setattr(analyzer.bundle, "BOMB_TOTAL_FLOOR", 64 * 1024)
    data = b"2024-03-01T12:00:00Z " + b"x" * 100 + b"\n"
    members = {f"notes/n{i:03d}.log": data * 2000 for i in range(40)}  # 240 KB each, deflated to a few hundred bytes
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_zip(tmp_path / "bomb.zip", members)], "--node", "w1")
    assert r.code == 1
    assert any("decompression bomb" in p[1] for p in r.problems()), r.problems()
    (n,) = r.q("SELECT count(*) FROM log_files")[0]
    assert isinstance(n, int) and n < 40


def test_a_zip_inside_a_zip_is_read_from_memory_not_by_seeking_the_outer_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip member seeks backwards by inflating again from its start: a zip inside a zip read through it was
    quadratic in its members. It is read into memory (capped) instead; its members are all there."""
    import io
    import zipfile

    line = b"2024-03-01T12:00:00Z note\n"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        for i in range(30):
            z.writestr(f"notes/n{i:02d}.log", line)
    seeks: list[int] = []
    real = zipfile.ZipExtFile.seek

    def seek(self: zipfile.ZipExtFile, *a: int) -> int:
        seeks.append(1)
        return real(self, *a)

    monkeypatch.setattr(zipfile.ZipExtFile, "seek", seek)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue()})], "--node", "w1")
    assert r.code == 0, r.stderr
    assert r.q("SELECT count(*) FROM log_files")[0][0] == 30
    assert not seeks


def test_global_pax_header_bomb_is_skipped(tmp_path: Path, base: Base) -> None:
    root = base[0]
    ti = tarfile.TarInfo(f"{root}/files/etc/kubernetes/y.conf")
    ti.size, ti.mtime = 6, 1_700_000_000
    raw = _pax_block({"comment": "G" * (1 << 20)}, tarfile.XGLTYPE)
    inp = _with_member(base, tmp_path / "in.tar.gz", ti, b"b = 2\n", fmt=tarfile.USTAR_FORMAT, raw_before=raw)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [inp])
    assert r.code == 1
    assert any(re.fullmatch(rf"a global PAX header of \d+ bytes \(more than the {MAX_HEADER_BYTES}-byte cap\): skipped", reason) for _m, reason in r.problems()), r.problems()
    assert r.q("SELECT count(*) FROM members WHERE path = 'files/etc/kubernetes/y.conf'") == [(1,)]  # the member after it is read
    kept_whole(r)


def test_chain_of_extended_headers_is_cut(tmp_path: Path, base: Base) -> None:
    root = base[0]
    ti = tarfile.TarInfo(f"{root}/files/etc/kubernetes/z.conf")
    ti.size, ti.mtime = 6, 1_700_000_000
    raw = b"".join(_pax_block({"comment": f"link {i}"}) for i in range(12))
    inp = _with_member(base, tmp_path / "in.tar.gz", ti, b"c = 3\n", fmt=tarfile.USTAR_FORMAT, raw_before=raw)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [inp])
    assert r.code == 1
    assert ("files/etc/kubernetes/z.conf", "member whose name or attributes come in more than 8 extended headers in a row: not read") in r.problems()
    kept_whole(r)


@pytest.mark.parametrize(("length", "reason"), [
    (100_000, rf"member whose name or attributes come in a long name of 100\d\d\d bytes \(more than the {MAX_HEADER_BYTES}-byte cap\): not read"),
    (5_000, rf"member name or link target longer than {MAX_NAME_BYTES} bytes: not read"),
])  # fmt: skip
def test_long_member_names_are_capped(tmp_path: Path, base: Base, length: int, reason: str) -> None:
    root = base[0]
    ti = tarfile.TarInfo(f"{root}/files/etc/" + "n" * length)
    ti.size, ti.mtime = 6, 1_700_000_000
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_with_member(base, tmp_path / "in.tar.gz", ti, b"d = 4\n", fmt=tarfile.GNU_FORMAT)])
    assert r.code == 1
    assert [reason_ for _m, reason_ in r.problems() if re.fullmatch(reason, reason_)], r.problems()
    assert r.q("SELECT count(*) FROM members WHERE length(path) > 4000") == [(0,)]
    kept_whole(r)


def test_long_names_count_toward_the_total_cap(tmp_path: Path, base: Base) -> None:
    """40 names of 60,000 bytes (PAX headers under their cap, names over PATH_MAX): not read, and their 2.4 MB
    count toward --max-total-bytes: the 17th takes the input over 1 MB more than its files, and the rest is not read."""
    members = [Entry(f"files/etc/{i}/" + "n" * 60_000, b"") for i in range(40)]
    inp = build(tmp_path / "in.tar.gz", base, [*members, Entry("files/etc/last.conf", b"f = 6\n")])
    cap = sum(len(d) for ti, d in base[1] if ti.isfile()) + 1_000_000
    r = kubesnap_ingest(tmp_path / "db.duckdb", [inp], "--max-total-bytes", str(cap))
    assert r.code == 1
    probs = r.problems()
    assert sum(1 for _m, reason in probs if reason == f"member name or link target longer than {MAX_NAME_BYTES} bytes: not read") == 16
    assert [reason for _m, reason in probs if "the rest is not read" in reason] == [f"the input holds more than {cap} bytes: the rest is not read"]
    assert r.q("SELECT count(*) FROM members WHERE path = 'files/etc/last.conf'") == [(0,)]
    kept_whole(r)


def test_member_of_unknown_type_is_counted_and_reported(tmp_path: Path, base: Base) -> None:
    """64 MiB of zeros in a member of a type tar does not know: held to the ratio like any member, never read."""
    root = base[0]
    ti = tarfile.TarInfo(f"{root}/files/var/odd")
    ti.type, ti.size = b"Z", 64 << 20
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_with_member(base, tmp_path / "in.tar.gz", ti, bytes(64 << 20), fmt=tarfile.USTAR_FORMAT)])
    assert r.code == 1
    (reason,) = [reason for m, reason in r.problems() if m == "files/var/odd"]
    assert re.fullmatch(r"67108864 bytes from a \d+-byte archive expands more than 200x \(a decompression bomb\): the rest is not read", reason), reason
    kept_whole(r)


def test_member_of_unknown_type_small(tmp_path: Path, base: Base) -> None:
    root = base[0]
    ti = tarfile.TarInfo(f"{root}/files/var/odd")
    ti.type, ti.size = b"Z", 5
    r = kubesnap_ingest(tmp_path / "db.duckdb", [_with_member(base, tmp_path / "in.tar.gz", ti, b"12345", fmt=tarfile.USTAR_FORMAT)])
    assert r.code == 1
    assert ("files/var/odd", "member of unknown type b'Z': not read") in r.problems()
    kept_whole(r)


# ------------------------------------------------------------------ caps on every path


def test_folder_is_held_to_the_member_and_total_caps(tmp_path: Path) -> None:
    d = tmp_path / "pastes"
    d.mkdir()
    for i in range(30):
        (d / f"p{i:02d}.txt").write_text(f"2024-03-01T12:00:00Z line {i}\n")
    r = kubesnap_ingest(tmp_path / "a.duckdb", [d], "--max-members", "10", "--node", "n1")
    assert r.code == 1
    assert r.q("SELECT count(*) FROM members") == [(10,)]
    assert "p10.txt: more than 10 files: the rest is not read" in r.stderr
    r2 = kubesnap_ingest(tmp_path / "b.duckdb", [d], "--max-total-bytes", "100", "--node", "n1")
    assert r2.code == 1
    assert r2.q("SELECT count(*) FROM members") == [(3,)]
    assert "p03.txt: the input holds more than 100 bytes: the rest is not read" in r2.stderr


def test_loose_file_over_the_member_cap_is_not_read(tmp_path: Path) -> None:
    f = tmp_path / "big.log"
    f.write_text("2024-03-01T12:00:00Z x\n" * 100)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [f], "--max-member-bytes", "1000")
    assert r.code == 3
    assert "big.log: 2300 bytes is more than the 1000-byte member cap: not read" in r.stderr


def test_zip_member_name_too_long(tmp_path: Path, base: Base) -> None:
    from tests.test_hostile import _bundle_entries, _zip

    root = base[0]
    z = _zip(tmp_path / "in.zip", [*_bundle_entries(base), (f"{root}/files/etc/" + "z" * 5000, b"e = 5\n", 0o100644)])
    r = kubesnap_ingest(tmp_path / "db.duckdb", [z])
    assert r.code == 1
    assert [m for m, reason in r.problems() if reason == f"member name longer than {MAX_NAME_BYTES} bytes: not read" and m.endswith("(5043 characters)")], r.problems()
    kept_whole(r)


# ------------------------------------------------------------------ gzip with something after it


@pytest.mark.parametrize(("tail", "reason"), [
    (b"garbage after the stream\n", "25 bytes after the end of the gzip stream are not gzip data (garbage appended): not read"),
    (gzip.compress(b"a second gzip member, not a tar\n", mtime=0), "32 bytes after the end of the tar archive (another archive or garbage appended): not read"),
    (b"\0" * 4096, None),  # zero padding: nothing to say
], ids=["garbage", "second-gzip-member", "zero-padding"])  # fmt: skip
def test_gzip_with_trailing_bytes_keeps_the_bundle(tmp_path: Path, base: Base, tail: bytes, reason: str | None) -> None:
    inp = build(tmp_path / "in.tar.gz", base)
    inp.write_bytes(inp.read_bytes() + tail)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [inp])
    if reason is None:
        assert r.code == 0 and r.problems() == [], r.problems()
    else:
        assert r.code == 1
        assert f"{inp}: {reason}" in r.stderr, r.stderr
    kept_whole(r)


def test_two_concatenated_tar_gz_keep_the_first(tmp_path: Path, base: Base) -> None:
    one = build(tmp_path / "one.tar.gz", base).read_bytes()
    inp = tmp_path / "two.tar.gz"
    inp.write_bytes(one + one)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [inp])
    assert r.code == 1
    assert re.search(rf"{re.escape(str(inp))}: \d+ bytes after the end of the tar archive \(another archive or garbage appended\): not read", r.stderr), r.stderr
    kept_whole(r)


# ------------------------------------------------------------------ the same node and snapshot twice

STATE = """SELECT s.snapshot_id, s.node, s.content_sha256, s.source,
                  (SELECT count(*) FROM members m WHERE m.snapshot_id = s.snapshot_id),
                  (SELECT count(*) FROM config_files c WHERE c.snapshot_id = s.snapshot_id)
           FROM snapshots s ORDER BY 1"""


@pytest.fixture(scope="module")
def two_copies(tmp_path_factory: pytest.TempPathFactory, base: Base) -> tuple[Path, Path]:
    """Two different bundles of one node and snapshot (same folder name): the second has one more file."""
    d = tmp_path_factory.mktemp("copies")
    a = build(d / "a.tar.gz", base)
    b = build(d / "b.tar.gz", base, [Entry("files/etc/kubernetes/extra.conf", b"extra = 1\n")])
    return a, b


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("order", ["ab", "ba"])
def test_same_snapshot_twice_keeps_the_larger_and_says_so(tmp_path: Path, two_copies: tuple[Path, Path], jobs: str, order: str) -> None:
    a, b = two_copies
    inputs = [a, b] if order == "ab" else [b, a]
    r = kubesnap_ingest(tmp_path / "db.duckdb", inputs, "--jobs", jobs)
    assert r.code == 1
    ((sid, node, digest, source, n_members, n_conf),) = r.q(STATE)
    assert node == "node-a" and str(source).startswith(f"{b}/")  # b holds one more file: b is kept
    assert r.q("SELECT count(*) FROM config_files WHERE path LIKE '%extra.conf'") == [(1,)]
    (row,) = r.q("SELECT bundle, member, parser, reason FROM ingest_problems WHERE parser = 'duplicate'")
    assert row[0] == source and str(row[1]).startswith(f"{a}/") and row[2] == "duplicate"
    assert re.fullmatch(rf"not ingested: a different bundle of the same node and snapshot \({ROOT_NAME.pattern}\) is kept, {re.escape(str(source))} "
                        r"\(sha256 [0-9a-f]{16}, \d+ bytes; of two, the larger is kept, on a tie the higher hash\); this one: sha256 [0-9a-f]{16}, \d+ bytes",
                        str(row[3])), row[3]  # fmt: skip
    assert f"{a}/" in r.stderr and "not ingested: a different bundle of the same node and snapshot" in r.stderr
    # the same database whatever the order and -j
    again = kubesnap_ingest(tmp_path / "other.duckdb", list(reversed(inputs)), "--jobs", "2" if jobs == "1" else "1")
    assert again.q(STATE) == [(sid, node, digest, source, n_members, n_conf)]
    assert again.q("SELECT bundle, member, parser, reason FROM ingest_problems WHERE parser = 'duplicate'") == [row]


def test_same_snapshot_later_in_another_run(tmp_path: Path, two_copies: tuple[Path, Path]) -> None:
    """b then a in two runs, and a then b: the same result as in one run; a third run of the loser adds nothing."""
    a, b = two_copies
    one = tmp_path / "one.duckdb"
    assert kubesnap_ingest(one, [b]).code == 0
    assert kubesnap_ingest(one, [a]).code == 1
    two = tmp_path / "two.duckdb"
    assert kubesnap_ingest(two, [a]).code == 0
    assert kubesnap_ingest(two, [b]).code == 1  # b replaces a, and says so (never a silent replace)
    q = "SELECT bundle, member, reason FROM ingest_problems ORDER BY ALL"
    assert api.query(one, STATE).rows == api.query(two, STATE).rows
    assert api.query(one, q).rows == api.query(two, q).rows and len(api.query(one, q).rows) == 1
    assert kubesnap_ingest(one, [a]).code == 1
    assert len(api.query(one, q).rows) == 1


def test_the_same_bundle_again_changes_nothing(tmp_path: Path, two_copies: tuple[Path, Path]) -> None:
    a, _b = two_copies
    db = tmp_path / "db.duckdb"
    first = kubesnap_ingest(db, [a])
    snap = "SELECT snapshot_id, ingested_at, content_sha256 FROM snapshots"
    before = first.q(snap), first.q("SELECT count(*) FROM log_lines"), first.q("SELECT count(*) FROM members")
    copy = tmp_path / "copy-of-a.tar.gz"
    copy.write_bytes(a.read_bytes())
    again = kubesnap_ingest(db, [a, copy])  # again, and a byte-identical copy in the same run
    assert first.code == again.code == 0, again.stderr
    assert (again.q(snap), again.q("SELECT count(*) FROM log_lines"), again.q("SELECT count(*) FROM members")) == before


def test_a_copy_under_another_folder_name_is_the_same_snapshot(tmp_path: Path, base: Base) -> None:
    """The same node and collection time in a folder of another name: one is kept, the other reported."""
    root, members = base
    renamed: Base = (root + "-copy", [])
    for ti, data in members:
        t2 = tarfile.TarInfo(ti.name.replace(root, root + "-copy", 1))
        t2.type, t2.size, t2.mtime, t2.linkname, t2.mode = ti.type, ti.size, ti.mtime, ti.linkname, ti.mode
        renamed[1].append((t2, data))
    a = build(tmp_path / "a.tar.gz", base)
    b = build(tmp_path / "b.tar.gz", renamed)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [a, b])
    assert r.code == 1
    assert r.q("SELECT count(*), count(DISTINCT node) FROM snapshots") == [(1, 1)]
    assert r.q("SELECT count(*) FROM ingest_problems WHERE parser = 'duplicate'") == [(1,)]
    kept_whole(r)


@pytest.mark.parametrize("data", [
    b"one\ntwo\nthree",
    b"2024-03-01T12:00:00.000000000Z stdout P par\n2024-03-01T12:00:00.1Z stdout F tial\n2024-03-01T12:00:01Z stderr F x\n",
    b"\xef\xbb\xbfbom line\r\nsecond\r\n\n\nafter blanks\n",
    b'{"log":"a\\n","stream":"stdout","time":"2024-03-01T12:00:00Z"}\n',
    b"bad \xff\xfe utf-8 \xe2\x82\n",
])  # fmt: skip
def test_small_files_read_in_one_pass_give_the_lines_a_stream_gives(tmp_path: Path, data: bytes) -> None:
    """Tiny loose files are split together in one pass (LogLoader.add_small): the same rows as file by file."""
    from analyzer.bulk import LogLoader

    rows = []
    for i, small in enumerate((False, True)):
        with Store(tmp_path / f"{i}.duckdb") as store:
            loader = LogLoader(store.con)
            for n in range(3):
                meta = {"path": f"f{n}", "layout": "loose"}
                if small:
                    loader.add_small(data, meta)
                else:
                    loader.add(io.BytesIO(data), meta)
            files = [(f.path, f.format, f.line_count) for f in loader.finish()]
            lines = store.con.execute("SELECT file_id, line_no, line_end, ts, stream, partial, message FROM log_lines ORDER BY 1, 2").fetchall()
            rows.append((files, lines))
    assert rows[0] == rows[1]
    assert rows[0][1], "lines were read"


def test_an_xz_stream_declaring_a_huge_dictionary_is_refused_by_name(tmp_path: Path) -> None:
    """An xz stream declares the dictionary its decoder allocates (up to 4 GiB): one declaring 3 GiB ended an ingest under
    a memory limit with "internal error: MemoryError", naming no input (the red team of 2026-12-08). Over XZ_MEMLIMIT it
    is the input's problem, said by name."""
    import lzma
    import struct
    import zlib as _zlib

    ti = tarfile.TarInfo("notes/a.log")
    line = b"2024-03-01T12:00:00Z note\n"
    ti.size, ti.mtime = len(line), 1_700_000_000
    raw = ti.tobuf(tarfile.USTAR_FORMAT) + line + b"\0" * (-len(line) % 512) + b"\0" * 1024
    x = bytearray(lzma.compress(raw, format=lzma.FORMAT_XZ, filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}]))
    size = (x[12] + 1) * 4  # the block header, after the 12-byte stream header: its LZMA2 filter's dictionary byte
    blk = x[12 : 12 + size]
    blk[blk.find(b"\x21\x01") + 2] = 39  # 3 GiB
    blk[-4:] = struct.pack("<I", _zlib.crc32(bytes(blk[:-4])) & 0xFFFFFFFF)
    x[12 : 12 + size] = blk
    path = tmp_path / "huge-dict.tar.xz"
    path.write_bytes(bytes(x))
    r = kubesnap_ingest(tmp_path / "db.duckdb", [path], "--node", "w1")
    assert r.code == 3, (r.code, r.stderr)
    assert "huge-dict.tar.xz" in r.stderr and "Memory usage limit" in r.stderr and "Traceback" not in r.stderr


def test_a_zip_member_compressed_with_lzma_is_not_read_and_said_so(tmp_path: Path) -> None:
    """zipfile's LZMA decoder allocates the dictionary a member declares (up to 4 GiB) with no memory limit: such a
    member is the zip's problem, by name, and the deflated members beside it are read."""
    import zipfile

    line = b"2024-03-01T12:00:00Z note\n"
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes/a.log", line, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("notes/b.log", line, compress_type=zipfile.ZIP_LZMA)
    r = kubesnap_ingest(tmp_path / "db.duckdb", [path], "--node", "w1")
    assert r.code == 1, r.stderr
    assert any(p[0].endswith("notes/b.log") and "compressed with LZMA" in p[1] for p in r.problems()), r.problems()
    assert r.q("SELECT count(*) FROM members WHERE path LIKE '%a.log'") == [(1,)]
