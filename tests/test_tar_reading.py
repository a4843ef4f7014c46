"""A tarball's members read straight from its decompressed stream (analyzer.bundle._HereReader): every byte
as tar stored it, whatever the sizes and the pattern of reads, members read in part or not at all, and a cut
archive reported as tarfile's own reader reports it."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import bundle
from analyzer.bundle import MEMBER_READ_ERRORS, Problem, iter_input
from tests.conftest import examples


def _tarball(path: Path, members: list[tuple[str, bytes]], compress: bool = True) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1700000000
            tf.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    path.write_bytes(gzip.compress(raw, mtime=0) if compress else raw)
    return path


def _read_all(path: Path, plan: dict[str, list[int]]) -> tuple[dict[str, bytes], list[str], list[str]]:
    """Each member read by its plan: a list of read sizes (-1: the rest), an empty plan: not read at all; a name
    starting with 'whole' by Member.read. Returns what was read, the problems, and how each member was opened."""
    got: dict[str, bytes] = {}
    problems: list[str] = []
    how: list[str] = []
    for item in iter_input(path, None):
        if isinstance(item, Problem):
            problems.append(f"{item.member}: {item.reason}")
            continue
        _key, _root, m = item
        sizes = plan.get(m.path, [-1])
        try:
            if m.path.startswith("whole"):
                got[m.path] = m.read()
                continue
            if not sizes:
                continue
            with m.open() as f:
                how.append(type(f).__name__)
                parts = []
                for n in sizes:
                    parts.append(f.read(n))
                got[m.path] = b"".join(parts)
        except MEMBER_READ_ERRORS as e:
            problems.append(f"{m.path}: {e}")
    return got, problems, how


DATA = st.binary(max_size=3000) | st.integers(0, 70000).map(lambda n: bytes(range(256)) * (n // 256) + b"x" * (n % 256))


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    datas=st.lists(DATA, min_size=1, max_size=6),
    plans=st.lists(st.lists(st.sampled_from([-1, 0, 1, 7, 511, 512, 513, 4096, 16384, 65536]), max_size=6), min_size=6, max_size=6),
    compress=st.booleans(),
)
def test_members_read_by_any_pattern_are_the_bytes_tar_stored(tmp_path: Path, datas: list[bytes], plans: list[list[int]], compress: bool) -> None:
    members = [(f"{'whole' if i == 2 else 'm'}{i}/f.log", d) for i, d in enumerate(datas)]
    path = _tarball(tmp_path / "t.tar.gz", members, compress)
    plan = {name: plans[i] for i, (name, _d) in enumerate(members)}
    got, problems, how = _read_all(path, plan)
    assert problems == []
    assert set(how) <= {"_HereReader"}, "a member the stream stands at is read straight from it"
    for name, data in members:
        sizes = plan[name]
        if name.startswith("whole"):
            assert got[name] == data
        elif not sizes:
            assert name not in got
        else:
            # the reads, each of its size (or the rest), in order: the member's first bytes
            want, at = [], 0
            for n in sizes:
                piece = data[at:] if n < 0 else data[at : at + n]
                want.append(piece)
                at += len(piece)
            assert got[name] == b"".join(want)


def test_a_member_cut_by_the_end_of_the_archive_is_a_read_error(tmp_path: Path) -> None:
    whole = _tarball(tmp_path / "w.tar", [("a/x.log", b"first\n" * 100), ("b/y.log", b"0123456789" * 10000)], compress=False)
    raw = whole.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(raw[: 512 * 3 + 60000], mtime=0))  # inside b/y.log's data
    got, problems, _how = _read_all(cut, {})
    assert got["a/x.log"] == b"first\n" * 100
    assert "b/y.log" not in got
    assert any(p.startswith("b/y.log: ") and "unexpected end of data" in p for p in problems), problems


def test_a_member_read_after_the_archive_moved_on_is_refused(tmp_path: Path) -> None:
    path = _tarball(tmp_path / "t.tar.gz", [("a/x.log", b"x" * 5000), ("b/y.log", b"y" * 5000)])
    items = iter_input(path, None)
    first = next(i for i in items if not isinstance(i, Problem))[2]
    f = first.open()
    assert f.read(10) == b"x" * 10
    second = next(i for i in items if not isinstance(i, Problem))[2]
    assert second.read() == b"y" * 5000
    with pytest.raises(tarfile.ReadError, match="moved past"):
        f.read(10)


def test_a_stream_in_another_state_falls_back_to_tarfiles_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tarfile's stream without the attributes this reader keeps (another Python): extractfile, the same bytes
    monkeypatch.setattr(bundle._HereReader, "usable", staticmethod(lambda tf, ti, raw: False))
    data = bytes(range(256)) * 300
    path = _tarball(tmp_path / "t.tar.gz", [("a/x.log", data), ("b/y.log", data[::-1])])
    got, problems, how = _read_all(path, {})
    assert problems == [] and got == {"a/x.log": data, "b/y.log": data[::-1]}
    assert "_HereReader" not in how


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    datas=st.lists(DATA, min_size=1, max_size=4),
    damage=st.sampled_from(["none", "cut", "garbage", "zeros", "second-gzip", "bomb"]),
    where=st.floats(0.05, 0.95),
)
def test_reading_ahead_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, datas: list[bytes], damage: str, where: float) -> None:
    """The thread that decompresses the top archive ahead of its reader: the same members, bytes and problems as
    reading in step, on whole, cut, padded, concatenated and bomb archives (errors met at the same places)."""
    members = [(f"m{i}/f.log", d) for i, d in enumerate(datas)]
    path = _tarball(tmp_path / "t.tar.gz", members)
    raw = path.read_bytes()
    if damage == "cut":
        raw = raw[: max(10, int(len(raw) * where))]
    elif damage == "garbage":
        raw += b"not a gzip stream" * 3
    elif damage == "zeros":
        raw += bytes(1024)
    elif damage == "second-gzip":
        raw += gzip.compress(b"x" * 2048, mtime=0)
    elif damage == "bomb":
        members += [(f"z{i}/bomb.log", bytes(256 << 10)) for i in range(24)]  # met while a member is read
        raw = _tarball(tmp_path / "t.tar.gz", members).read_bytes()
        monkeypatch.setattr(bundle, "BOMB_TOTAL_FLOOR", 1 << 20)
    path.write_bytes(raw)
    plan = {name: [-1] for name, _d in members}
    monkeypatch.setattr(bundle, "READ_AHEAD", False)
    in_step = _read_all(path, plan)
    monkeypatch.setattr(bundle, "READ_AHEAD", True)
    ahead = _read_all(path, plan)
    assert ahead == in_step
    if damage == "bomb":
        assert any("decompression bomb" in p for p in ahead[1]), ahead[1]
