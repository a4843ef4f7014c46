"""The ingest's named passes (extract, parse, load, correlate, check): each callable and timed alone."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from analyzer.bundle import Member
from analyzer.ingest import PASSES, check, extract, ingest
from analyzer.store import Store

NAME = "kubesnap-n1-20240101T000000Z"
MEMBERS = {
    "manifest.json": b'{"node": "n1", "started_at": "2024-01-01T00:00:00Z", "records": []}',
    "host/uname.txt": b"Linux n1 6.1.0 x86_64\n",
    "services/journal-kubelet.log": b"2024-01-01T00:00:00.000000+0000 n1 kubelet[1]: I0101 ok\n"
                                    b"2024-01-05T00:00:00.000000+0000 n1 kubelet[1]: I0105 from the future\n",
}  # fmt: skip


def bundle(tmp: Path, members: dict[str, bytes] = MEMBERS) -> Path:
    out = tmp / f"{NAME}.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        for path, data in members.items():
            ti = tarfile.TarInfo(f"{NAME}/{path}")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return out


def test_extract_alone_yields_the_members_of_each_bundle_in_stream_order(tmp_path: Path) -> None:
    items = [(k, root, m.path, m.read()) for k, root, m in (i for i in extract(bundle(tmp_path)) if not hasattr(i, "reason"))]
    assert [(root, path) for _k, root, path, _d in items] == [(NAME, p) for p in MEMBERS]
    assert items[1][3] == MEMBERS["host/uname.txt"]
    assert all(isinstance(m, Member) for *_x, m in (i for i in extract(bundle(tmp_path)) if not hasattr(i, "reason")))


def test_every_pass_is_timed_and_check_runs_alone_on_loaded_rows(tmp_path: Path) -> None:
    with Store(tmp_path / "x.duckdb") as s:
        rep = ingest(s, [bundle(tmp_path)], workers=1)
        assert set(rep.timings) == set(PASSES) and all(v >= 0 for v in rep.timings.values())
        assert [(m, r[:30]) for _w, m, r in rep.problems] == [("services/journal-kubelet.log", "1 line(s) dated after the bund")]
        sid = s.con.execute("SELECT snapshot_id FROM snapshots").fetchall()[0][0]
        # check alone, on what load wrote: with another collection time, another verdict
        assert check(s.con, sid, datetime(2024, 1, 10, tzinfo=UTC), (0, -1), list(MEMBERS)) == []
        later = check(s.con, sid, datetime(2023, 12, 1, tzinfo=UTC), (0, -1), ["host/uname.txt"])
        assert [m for m, _p, _r in later] == ["manifest.json", "services/journal-kubelet.log"]
        assert "2 line(s) dated after" in later[1][2]
