"""The synthetic site generator (fixtures/synth, used by `make bench`) writes what the collector writes: the same
member paths, the same manifest keys, members the same parsers read; and it ingests without a problem."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from analyzer import api
from fixtures.synth import generate_site


def normalize(path: str) -> str:
    p = path.split("/", 1)[1] if path.startswith("kubesnap-") else path
    p = re.sub(r"^files/var/log/pods/[^/]+/[^/]+/\d+\.log(\.\d{8}-\d{6})?(\.gz)?$", r"files/var/log/pods/NS_POD_UID/CONTAINER/N.log\1", p)
    return re.sub(r"\d{8}-\d{6}", "STAMP", p)


def members(tarball: Path) -> dict[str, bytes]:
    out = {}
    with tarfile.open(tarball) as tf:
        for m in tf:
            if m.isfile():
                f = tf.extractfile(m)
                assert f is not None
                out[m.name] = f.read()
    return out


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate_site(tmp_path_factory.mktemp("synth"), nodes=4, pods_per_node=6, log_bytes=24 * 1024**2, seed=3, workers=1)


def test_synth_paths_are_collector_paths(synth: list[Path], seed_bundles: dict[str, Path]) -> None:
    collector: set[str] = set()
    manifest_keys: set[str] = set()
    for t in seed_bundles.values():
        for name, data in members(t).items():
            collector.add(normalize(name))
            if name.endswith("/manifest.json"):
                manifest_keys |= set(json.loads(data))
    for t in synth:
        ms = members(t)
        assert next(iter(ms)).endswith("/manifest.json"), "manifest first, as the collector packs it"
        extra = {normalize(n) for n in ms} - collector
        assert not extra, f"synth writes paths the collector never does: {sorted(extra)}"
        man = json.loads(next(d for n, d in ms.items() if n.endswith("/manifest.json")))
        assert set(man) <= manifest_keys, set(man) - manifest_keys
        names = list(ms)
        first_log = next(i for i, n in enumerate(names) if "/files/var/log/pods/" in n)
        assert not [n for n in names[first_log:] if "/runtime/" in n or "/processes/" in n], "logs last, as the collector packs them"


def test_synth_ingests_without_problems(synth: list[Path], tmp_path: Path) -> None:
    rep = api.ingest_inputs(tmp_path / "s.duckdb", synth, site="synth")
    assert rep.bundles == 4 and rep.problems == []
    q = lambda sql: api.query(tmp_path / "s.duckdb", sql).rows  # noqa: E731
    assert q("SELECT count(*) FROM members WHERE state <> 'read' AND kind = 'file'") == [(0,)]
    assert q("SELECT count(*) FROM pod_processes WHERE pid IS NULL") == [(0,)], "every container joined to its process"
    assert q("SELECT count(DISTINCT join_method) FROM pod_processes") == [(1,)] and q("SELECT any_value(join_method) FROM pod_processes") == [("exact",)]
    kinds = dict(q("SELECT format, count(*) FROM log_files GROUP BY 1"))
    assert kinds.get("cri", 0) > 0
    lines = q("SELECT count(*) FILTER (WHERE partial), count(*) FILTER (WHERE message LIKE '%??%'), count(*) FROM log_lines")[0]  # invalid bytes become ?
    assert lines[0] > 0 and lines[1] > 0 and lines[2] > 50_000, "partial lines and invalid bytes are in the mix"
    assert q("SELECT count(*) FROM journal WHERE ident = 'kubelet'")[0][0] > 1000
    assert q("SELECT count(*) FROM events")[0][0] > 0
