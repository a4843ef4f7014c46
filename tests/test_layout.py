"""The declared bundle layout is the contract between the collector and the ingest: every path the collector
writes is declared, every member of every fixture site ends read or kept raw with a reason (none `not
understood`), and the tables each entry says it fills are the ones its reader fills."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import pytest

from analyzer.collector import collector_script
from analyzer.layout import JOURNALS, KEPT_RAW, NOT_UNDERSTOOD, POD_LOGS, RAW, READ, Entry, Layout
from analyzer.layouts.kubesnap import KUBESNAP
from analyzer.models import ALL_RECORDS
from tests.conftest import CORPUS, tar_members

KUBESNAP_BIN = str(Path(sys.executable).with_name("kubesnap"))


def states(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT state, count(*) FROM members GROUP BY 1").fetchall())


@pytest.mark.parametrize("site", ["seed_db", "troubled_db"])
def test_every_member_of_a_fixture_site_is_read_or_kept_raw_with_a_reason(site: str, request: pytest.FixtureRequest) -> None:
    db = request.getfixturevalue(site)
    got = states(db)
    assert set(got) <= {READ, KEPT_RAW, NOT_UNDERSTOOD} and got.get(NOT_UNDERSTOOD, 0) == 0, got
    assert got[READ] > 600 and got[KEPT_RAW] > 0, got
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM members WHERE state = 'raw' AND coalesce(reason, '') = ''").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM members WHERE state = 'read' AND parser IS NULL").fetchall() == [(0,)]


def test_every_raw_entry_says_why_and_every_reader_is_known() -> None:
    with pytest.raises(ValueError, match="must say why"):
        Entry("host/x.txt", RAW)
    for e in KUBESNAP.entries:
        assert (e.reader == RAW) == bool(e.reason), e
        assert e.made_by, e
        assert e.reader == RAW or e.tables, e


def test_the_tables_an_entry_declares_are_those_its_reader_fills(seed_db: Path) -> None:
    with duckdb.connect(str(seed_db), read_only=True) as con:
        for cls in ALL_RECORDS:
            if cls.table in ("log_files",):  # written by the log loader under the log's node path, checked below
                continue
            for (member,) in con.execute(f"SELECT DISTINCT member FROM {cls.table} WHERE member IS NOT NULL").fetchall():
                e = KUBESNAP.classify(member)
                assert e is not None and cls.table in e.tables, (cls.table, member, e)
        for (member,) in con.execute("SELECT path FROM members WHERE parser = 'container-log'").fetchall():
            e = KUBESNAP.classify(member)
            assert e is not None and e.reader == POD_LOGS and "log_files" in e.tables, member
        for (member,) in con.execute("SELECT DISTINCT member FROM journal").fetchall():
            e = KUBESNAP.classify(member)
            assert e is not None and e.reader == JOURNALS, member


# ------------------------------------------------------------------ the collector writes nothing undeclared


def written_paths(tarball: Path) -> set[str]:
    """What a collector run wrote: every member of its tarball, and every output its manifest records."""
    paths: set[str] = set()
    scratch: set[str] = set()
    for ti, data in tar_members(tarball):
        if ti.isdir() or "/" not in ti.name:
            continue
        rel = ti.name.split("/", 1)[1]
        paths.add(rel)
        if rel == "manifest.json":
            for r in json.loads(data)["records"]:
                if r.get("output") and re.search(r"(?:^|/)\.", r["output"]):
                    scratch.add(r["output"])  # the collector's scratch (runtime/.parts, cluster/.kube-system-...), removed before packing
                elif r.get("output"):
                    paths.add(r["output"])
                elif r.get("kind") == "file" and r.get("path", "").startswith("/") and not r.get("skipped") and r.get("exit_code") == 0:
                    paths.add("files" + r["path"])
    assert not scratch & paths, scratch & paths  # none of it reaches the bundle
    return paths


def undeclared(layout: Layout, paths: set[str]) -> list[str]:
    return sorted(p for p in paths if layout.classify(p) is None)


def test_no_member_the_collector_wrote_on_the_fixture_nodes_is_undeclared(seed_bundles: dict[str, Path], troubled_dir: Path) -> None:
    tarballs = [*seed_bundles.values(), *sorted((troubled_dir / "bundles").glob("*.tar.gz"))]
    seen: set[str] = set()
    for t in tarballs:
        paths = written_paths(t)
        assert undeclared(KUBESNAP, paths) == [], t.name
        seen |= paths
    assert len(seen) > 200
    # and the check has teeth: a path of a new collector command is caught
    assert undeclared(KUBESNAP, seen | {"runtime/nerdctl-ps.txt", "host/lsmod.txt"}) == ["host/lsmod.txt", "runtime/nerdctl-ps.txt"]


# variables of the collector's paths, as the script sets them, with one value each
SCRIPT_VARS = {"u": "kubelet", "d": "k3s", "r": "pods", "pod": "kube-proxy-x2x9z", "name": "kube-proxy", "f": "var/log/syslog"}
WRITES = re.compile(r'(?:run_cmd(?: --tail)?|crictl_run)\s+"?(?P<out>(?:host|runtime|processes|etcd|services|cluster)/[^"\s]+)"?'
                    r'|copy_file\s+"?(?P<file>[a-z][^"\s]*)"?|copy_tree\s+"?(?P<tree>[a-z][^"\s]*)"?|\$BUNDLE/(?P<direct>[a-z][^"\s]*)"')


def script_paths(script: str) -> set[str]:
    """Every bundle path the collector script can write, its variables given a value."""
    out: set[str] = set()
    code = "\n".join(ln for ln in script.splitlines() if not ln.lstrip().startswith("#"))
    for m in WRITES.finditer(code):
        if m["direct"] and "/" not in m["direct"] and "." not in m["direct"]:
            continue  # mkdir -p "$BUNDLE/host": a folder
        raw = m["out"] or m["direct"] or (f"files/{m['file']}" if m["file"] else f"files/{m['tree']}/x.conf")
        path = re.sub(r"\$\{?(\w+)\}?", lambda v: SCRIPT_VARS.get(v.group(1), "\0"), raw)
        if m["direct"] and any(e.pattern.startswith(path + "/") for e in KUBESNAP.entries):
            continue  # find "$BUNDLE/files/var/log/pods": a folder the layout declares members of
        if "\0" not in path and not re.search(r"(?:^|/)\.", path):  # scratch (runtime/.parts, cluster/.kube-system-...), removed before packing
            out.add(path)
    return out


def test_every_path_in_the_collector_script_is_declared() -> None:
    """Paths the fixture nodes never make the collector write (docker nodes, k3s, ctr without crictl) are checked here."""
    paths = script_paths(collector_script())
    for need in ("runtime/docker-ps-a.txt", "runtime/docker-inspect.json", "runtime/ctr-tasks.txt", "services/journal-kubelet.log",
                 "files/var/lib/rancher/k3s/agent/containerd/containerd.log", "cluster/logs/kube-system_kube-proxy-x2x9z_kube-proxy.previous.log",
                 "host/date.txt", "runtime/endpoint.txt", "manifest.json", "redaction-report.txt", "files/var/log/pods/x.conf"):  # fmt: skip
        assert need in paths, need
    assert undeclared(KUBESNAP, paths) == []
    assert script_paths('  run_cmd host/lsmod.txt lsmod || true\n') == {"host/lsmod.txt"}
    assert undeclared(KUBESNAP, script_paths('  run_cmd host/lsmod.txt lsmod || true\n')) == ["host/lsmod.txt"]


# ------------------------------------------------------------------ kubesnap sources [--bundle]


def test_sources_bundle_shows_each_member_state_without_a_database(seed_bundles: dict[str, Path], tmp_path: Path) -> None:
    t = seed_bundles["playcekube-worker01"]
    proc = subprocess.run([KUBESNAP_BIN, "sources", "--bundle", str(t), "-o", "json"], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    members = {m["path"]: m for m in doc["members"]}
    assert {m["state"] for m in members.values()} == {"read", "raw"} and doc["problems"] == []
    assert members["runtime/crictl-info.json"]["reader"] == "crictl-info" and members["runtime/crictl-info.json"]["rows"] > 3
    assert members["host/lsblk.txt"]["state"] == "raw" and "block devices" in members["host/lsblk.txt"]["reason"]
    assert not list(tmp_path.iterdir())  # no database left behind
    table = subprocess.run([KUBESNAP_BIN, "sources", "--bundle", str(t)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^runtime/crictl-ps-a\.json\s+read\s+crictl-ps-json\s+\d+", table, re.M)
    assert "0 not understood" in table


def test_sources_bundle_names_a_member_not_understood_and_exits_1(tmp_path: Path) -> None:
    name = "kubesnap-n1-20240101T000000Z"
    t = tmp_path / f"{name}.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        for path, data in (("manifest.json", b'{"node": "n1", "records": []}'), ("host/uname.txt", b"Linux n1 6.1.0 x86_64\n"),
                           ("host/lsmod.txt", b"Module Size Used by\n"), ("host/\x1b[31mred.txt", b"x")):  # fmt: skip
            ti = tarfile.TarInfo(f"{name}/{path}")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    proc = subprocess.run([KUBESNAP_BIN, "sources", "--bundle", str(t)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"^host/lsmod\.txt\s+not understood\s+-\s+-\s+not in the kubesnap layout", proc.stdout, re.M)
    assert "\x1b" not in proc.stdout and "host/\\x1b[31mred.txt" in proc.stdout
    assert re.search(r"^host/uname\.txt\s+read\s+host-simple\s+[1-9]", proc.stdout, re.M)


def test_sources_lists_every_entry_with_reader_tables_and_command() -> None:
    doc = json.loads(subprocess.run([KUBESNAP_BIN, "sources", "-o", "json"], capture_output=True, text=True, check=True).stdout)
    lay = next(x for x in doc["layouts"] if x["name"] == "kubesnap")
    assert [e["pattern"] for e in lay["entries"]] == [e.pattern for e in KUBESNAP.entries]
    docker = next(e for e in lay["entries"] if e["pattern"] == "runtime/docker-inspect.json")
    assert docker["reader"] == "docker-inspect" and "crictl_containers" in docker["tables"] and docker["made_by"].startswith("docker inspect")
    src = {s["name"]: s for s in doc["sources"]}
    assert "kubesnap:runtime/crictl-info.json" in src["crictl-info"]["reads"]


@pytest.mark.skipif(not (CORPUS / "bundles").is_dir(), reason="shared corpus bundles not found")
def test_sources_bundle_of_another_tools_format_gives_each_members_state(tmp_path: Path) -> None:
    """A troubleshoot bundle (the corpus's): each member read, kept raw with its reason, or not understood, as a Kubesnap
    bundle's are (every state was None: a blind run of other tools' bundles, 2026-12-07); and `sources --db -o json` gives
    the same account the table prints."""
    ts = CORPUS / "bundles/troubleshoot/sbctl-tests/support-bundle"
    doc = json.loads(subprocess.run([KUBESNAP_BIN, "sources", "--bundle", str(ts), "-o", "json"], capture_output=True, text=True, check=False).stdout)
    states = {m["path"]: m for m in doc["members"]}
    assert None not in {m["state"] for m in states.values()}
    assert states["cluster-resources/pods/kube-system.json"]["state"] == "read"
    raw = [m for m in states.values() if m["state"] == "raw"]
    assert raw and all(m["reason"] for m in raw)
    db = tmp_path / "k.duckdb"
    subprocess.run([KUBESNAP_BIN, "ingest", "-q", "--db", str(db), str(ts)], capture_output=True, check=False)
    acc = json.loads(subprocess.run([KUBESNAP_BIN, "sources", "--db", str(db), "-o", "json"], capture_output=True, text=True, check=True).stdout)
    assert {m["member"] for m in acc["members"]} >= {"cluster-resources/pods/kube-system.json"} and "missing" in acc
