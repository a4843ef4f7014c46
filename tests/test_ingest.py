"""Ingest and the join, end to end: the seed site's bundles, the seed's own pastes, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from analyzer.ingest import ingest
from analyzer.store import Store
from fixtures.fakenode import render as R
from fixtures.seed_site import NOW, seed_site

SOURCES = ["collector-manifest", "host-date", "host-simple", "df", "systemd-show", "etcd", "etcd-alarms", "static-pod-manifest",
           "kubelet-config", "certificate", "config-file", "log-listing"]  # fmt: skip
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed-captures"
KUBESNAP = str(Path(sys.executable).with_name("kubesnap"))

# (node, pod, shim pid, pid, container) as the seed shows them
SEED_CHAINS = [
    ("playcekube-controlplane01", "kube-apiserver-playcekube-controlplane01", 527179, 527345, "kube-apiserver"),
    ("playcekube-controlplane01", "etcd-playcekube-controlplane01", 527147, 527285, "etcd"),
    ("playcekube-controlplane01", "kube-scheduler-playcekube-controlplane01", 527177, 527329, "kube-scheduler"),
    ("playcekube-controlplane01", "kube-controller-manager-playcekube-controlplane01", 527393, 527468, "kube-controller-manager"),
    ("playcekube-controlplane01", "kube-proxy-r4dc5", 44428, 44474, "kube-proxy"),
    ("playcekube-controlplane01", "csi-nfs-node-75sd8", 48297, 48393, "node-driver-registrar"),
    ("playcekube-controlplane01", "csi-nfs-node-75sd8", 48297, 48472, "nfs"),
    ("playcekube-worker01", "calico-kube-controllers-b8d4d8984-8htc7", 26048, 26193, "calico-kube-controllers"),
    ("playcekube-worker01", "kube-proxy-9dq5c", 43695, 43749, "kube-proxy"),
    ("playcekube-worker01", "ingress-nginx-controller-lwtdv", 46484, 46778, "controller"),
    ("playcekube-worker01", "ingress-nginx-controller-lwtdv", 46484, 46791, "controller"),  # dumb-init's child
    ("playcekube-worker01", "csi-nfs-node-pzd8b", 47319, 47478, "node-driver-registrar"),
    ("playcekube-worker01", "csi-nfs-node-pzd8b", 47319, 47543, "nfs"),
]
# shims the seed shows without their children (grep filtered them)
SEED_SHIMS = [
    ("playcekube-controlplane01", "calico-node-cw4rj", 27523), ("playcekube-controlplane01", "coredns-66fcfddbbd-4tkwd", 29883),
    ("playcekube-worker01", "nginx-proxy-playcekube-worker01", 23947), ("playcekube-worker01", "calico-node-zdvr6", 24742),
    ("playcekube-worker01", "nginx", 2037009), ("playcekube-worker01", "nginx-deployment-84cd76b964-lzldz", 2033930),
]  # fmt: skip


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with Store(db, read_only=True) as s:
        return s.con.execute(sql, params or []).fetchall()


def test_seed_site_apiserver_chain(seed_db: Path) -> None:
    rows = q(seed_db, """SELECT pod_id, container_id, shim_pid, pid, ppid, command, join_method, log_dir, image FROM pod_processes
                         WHERE node = 'playcekube-controlplane01' AND container = 'kube-apiserver'""")
    ((pod_id, cid, shim, pid, ppid, cmd, method, log_dir, image),) = rows
    assert pod_id.startswith("4b942abe81e3850da73f75859f5f953b1c4e9") and len(pod_id) == 64
    assert cid.startswith("98fb36a5799ac") and len(cid) == 64
    assert (shim, pid, ppid, method) == (527179, 527345, 527179, "exact")
    assert cmd.startswith("kube-apiserver --advertise-address=10.0.0.21")
    assert image == "registry.local.cloud:5000/kube-apiserver:v1.22.8"
    assert re.fullmatch(r"/var/log/pods/kube-system_kube-apiserver-playcekube-controlplane01_[0-9a-f]{32}", log_dir)
    files = q(seed_db, "SELECT restart, line_count, size FROM pod_logs WHERE log_dir = ? AND container = 'kube-apiserver' ORDER BY restart", [log_dir])
    assert [f[0] for f in files] == [0, 1] and all(f[1] > 0 and f[2] > 0 for f in files)


def test_seed_site_every_chain_complete_and_exact(seed_db: Path) -> None:
    """Every running container of every node: sandbox, shim, process, log directory; exact joins."""
    rows = q(seed_db, "SELECT node, pod, container, pod_id, shim_pid, pid, join_method, log_dir, role FROM pod_processes")
    api_pods = q(seed_db, "SELECT name, node_name FROM pods")
    seen = {(r[0], r[1]) for r in rows}
    assert {(n, p) for p, n in api_pods} <= seen
    for node, pod, container, pod_id, shim, pid, method, log_dir, role in rows:
        assert len(pod_id) == 64 and shim and pid and log_dir, (node, pod, container)
        assert method == "exact", (node, pod, container, role)
    # one pause per pod, every container with its main process
    pods = q(seed_db, "SELECT count(DISTINCT node || pod) FROM pod_processes")[0][0]
    assert q(seed_db, "SELECT count(*) FROM pod_processes WHERE role = 'pause'")[0][0] == pods == len(api_pods)
    assert q(seed_db, "SELECT count(*) FROM containers c WHERE NOT EXISTS (SELECT 1 FROM pod_processes p WHERE p.container_id = c.container_id AND p.pid IS NOT NULL)")[0][0] == 0


def test_seed_site_views(seed_db: Path) -> None:
    nodes = q(seed_db, "SELECT name, role, ready, kubelet_version, utc_offset FROM nodes ORDER BY name")
    assert [n[1] for n in nodes] == ["control-plane"] * 3 + ["bastion", "worker", "worker"]
    assert all(n[4] == "+0900" for n in nodes)
    tree = dict(q(seed_db, "SELECT pid, owner FROM process_tree WHERE node = 'playcekube-worker01'"))
    assert tree[25768] == "host-service" and tree[46484] == "runtime" and tree[46791] == "pod" and tree[1] in ("host", "host-service")
    # times derived from "44 hours ago" and ps ELAPSED, against the bundle's clock
    created = q(seed_db, "SELECT created_at FROM sandboxes WHERE name = 'kube-apiserver-playcekube-controlplane01'")[0][0]
    assert abs(created.timestamp() - (NOW - 44 * 3600)) < 3600
    started = q(seed_db, "SELECT started_at FROM process_tree WHERE node = 'playcekube-controlplane01' AND pid = 527345")[0][0]
    assert started and started.timestamp() < NOW
    # syslog (local time, no zone) and journal (with zone) agree once shifted by the node's offset
    j = q(seed_db, "SELECT source, min(ts) FROM journal WHERE node = 'playcekube-worker01' AND ident = 'kubelet' GROUP BY source ORDER BY 1")
    assert j[0][1].replace(microsecond=0) == j[1][1].replace(microsecond=0)
    assert q(seed_db, "SELECT count(*) FROM certificates WHERE common_name = 'kube-apiserver'")[0][0] == 3
    assert q(seed_db, "SELECT count(*) FROM manifests WHERE component = 'kube-apiserver'")[0][0] == 3
    assert q(seed_db, "SELECT count(*) FROM etcd_members")[0][0] == 9
    assert q(seed_db, "SELECT count(*) FROM collection_records")[0][0] > 500


def test_ingest_twice_changes_nothing(seed_db: Path, seed_site_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(seed_db.read_bytes())
    tables = ["snapshots", "crictl_containers", "processes", "log_lines", "journal", "process_links", "api_pods", "members"]
    before = {t: q(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
    bundles = sorted((seed_site_dir / "bundles").glob("*.tar.gz"))
    assert len(bundles) == 6
    with Store(db) as s:
        rep = ingest(s, bundles)
    assert rep.unchanged == 6, rep
    assert {t: q(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables} == before


def test_input_forms_give_the_same_snapshots(seed_site_dir: Path, tmp_path: Path) -> None:
    tarballs = sorted((seed_site_dir / "bundles").glob("*.tar.gz"))[:2]
    site = tmp_path / "site.tar"
    with tarfile.open(site, "w") as tf:  # a tarball of tarballs
        for t in tarballs:
            tf.add(t, arcname=f"customer-upload/{t.name}")
    extracted = tmp_path / "extracted"  # an extracted bundle folder, as `tar -xzf` leaves it (symlinks and all)
    extracted.mkdir()
    subprocess.run(["tar", "-xzf", str(tarballs[0]), "-C", str(extracted)], check=True)
    ids: list[list[str]] = []
    for inputs in ([site], tarballs, [extracted / tarballs[0].name.removesuffix(".tar.gz")]):
        db = tmp_path / f"{len(ids)}.duckdb"
        with Store(db) as s:
            rep = ingest(s, inputs)
        assert not rep.problems
        ids.append(sorted(r[0] for r in q(db, "SELECT snapshot_id FROM snapshots")))
    assert ids[0] == ids[1] and ids[2][0] in ids[0]


def aligned_captures(out: Path) -> None:
    """The seed's commands, printed by the tools (aligned), grepped and cut as the seed's author did."""
    site = seed_site()
    cp01, w01 = site.node("playcekube-controlplane01"), site.node("playcekube-worker01")
    out.mkdir()
    (out / "bastion-kubectl-get-node-wide.txt").write_text(R.kubectl_get_node_wide(site))
    (out / "bastion-kubectl-get-pod-wide.txt").write_text(R.kubectl_get_pod_wide(site))
    for name, node in (("controlplane01", cp01), ("worker01", w01)):
        (out / f"{name}-crictl-pods.txt").write_text(R.crictl_pods_table(node, NOW))
        (out / f"{name}-crictl-ps.txt").write_text(R.crictl_ps_table(node, NOW, all_=False))
        ps = [ln for ln in R.ps_ef(node, NOW).splitlines() if re.search("kube|conta", ln) or ln.startswith("UID")]
        (out / f"{name}-ps-ef.txt").write_text("".join(ln[:150] + "\n" for ln in ps))


@pytest.mark.parametrize("form", ["collapsed", "aligned"])
def test_seed_pastes_give_the_seed_chain(form: str, tmp_path: Path) -> None:
    if form == "collapsed":
        d = SEED
    else:
        d = tmp_path / "aligned"
        aligned_captures(d)
    db = tmp_path / "loose.duckdb"
    with Store(db) as s:
        ingest(s, sorted(d.glob("bastion-*")))
        ingest(s, sorted(d.glob("controlplane01-*")), node="playcekube-controlplane01")
        rep = ingest(s, sorted(d.glob("worker01-*")), node="playcekube-worker01")
    assert not [p for p in rep.problems if "not" in p[2]]
    rows = q(db, "SELECT node, pod, shim_pid, pid, container, pod_id, container_id FROM pod_processes")
    got = {(r[0], r[1], r[2], r[3], r[4]) for r in rows}
    for chain in SEED_CHAINS:
        assert chain in got, chain
    shims = {(r[0], r[1], r[2]) for r in rows}
    for shim in SEED_SHIMS:
        assert shim in shims, shim
    api = [r for r in rows if r[1] == "kube-apiserver-playcekube-controlplane01" and r[3] == 527345]
    assert api[0][5].startswith("4b942abe81e38") and api[0][6].startswith("98fb36a5799ac")
    # pod ids are the longest prefix seen (the shim's -id, cut at 150 columns)
    assert len(api[0][5]) > 13


def test_ambiguous_prefix_is_reported_not_guessed(tmp_path: Path) -> None:
    a, b = "abcdef1234567" + "1" * 51, "abcdef1234567" + "2" * 51
    inspectp = json.dumps({"status": {"id": a, "metadata": {"name": "pa", "namespace": "ns", "uid": "u1"}, "state": "SANDBOX_READY"}}) + json.dumps(
        {"status": {"id": b, "metadata": {"name": "pb", "namespace": "ns", "uid": "u2"}, "state": "SANDBOX_READY"}})
    ps = "UID PID PPID C STIME TTY TIME CMD\nroot 900 1 0 10:00 ? 00:00:01 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id abcdef1234567\n"
    (tmp_path / "inspectp.json").write_text(inspectp)
    (tmp_path / "ps.txt").write_text(ps)
    db = tmp_path / "a.duckdb"
    with Store(db) as s:
        ingest(s, [tmp_path / "inspectp.json", tmp_path / "ps.txt"], node="n1")
    amb = q(db, "SELECT kind, observed, candidates FROM ambiguous_ids")
    assert amb == [("sandbox", "abcdef1234567", sorted([a, b]))]
    assert q(db, "SELECT count(*) FROM process_links WHERE pid = 900")[0][0] == 0


def test_ps_aux_paste_without_ppid_joins_by_name_only_when_one_to_one(tmp_path: Path) -> None:
    sb = "a0b1c2d3e4f5" + "6789" * 13
    pods = ("POD ID              CREATED       STATE   NAME          NAMESPACE     ATTEMPT   RUNTIME\n"
            f"{sb[:13]}       2 hours ago   Ready   coredns-abc   kube-system   0         (default)\n")
    ps = ("CONTAINER       IMAGE           CREATED       STATE     NAME      ATTEMPT   POD ID          POD           NAMESPACE\n"
          f"1f73f2d81bf98   ead0a4a53df89   2 hours ago   Running   coredns   0         {sb[:13]}   coredns-abc   kube-system\n"
          f"2f73f2d81bf98   ead0a4a53df89   2 hours ago   Running   sidecar   0         {sb[:13]}   coredns-abc   kube-system\n")
    aux = ("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"
           f"root        1500  0.0  0.1 712460  9800 ?        Sl   Nov20   0:30 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id {sb} -address /run/containerd/containerd.sock\n"
           "65535       1520  0.0  0.0    972     4 ?        Ss   Nov20   0:00 /pause\n"
           "root        1600  0.1  0.5 750000 40000 ?        Ssl  Nov20   1:00 /coredns -conf /etc/coredns/Corefile\n"
           "root        1700  0.1  0.5 750000 40000 ?        Ssl  Nov20   1:00 /bin/sidecar --a\n"
           "root        1701  0.1  0.5 750000 40000 ?        Ssl  Nov20   1:00 /bin/sidecar --b\n")  # fmt: skip
    for name, text in (("pods.txt", pods), ("ps.txt", ps), ("aux.txt", aux)):
        (tmp_path / name).write_text(text)
    db = tmp_path / "a.duckdb"
    with Store(db) as s:
        ingest(s, [tmp_path / "pods.txt", tmp_path / "ps.txt", tmp_path / "aux.txt"], node="n1")
    rows = q(db, "SELECT pid, container, shim_pid, join_method, evidence FROM pod_processes WHERE pid IS NOT NULL ORDER BY pid")
    # two sidecar processes: which one is the container's is not known, so neither is claimed
    assert rows == [(1520, None, 1500, "inferred", "only-pause"), (1600, "coredns", 1500, "inferred", "name-only")]


def kubesnap(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    import os

    e = dict(os.environ)
    e.pop("KUBESNAP_DB", None)
    e.update(env or {})
    return subprocess.run([KUBESNAP, *args], capture_output=True, text=True, env=e, timeout=300)


def test_cli_exit_codes_and_messages(tmp_path: Path) -> None:
    db = str(tmp_path / "c.duckdb")
    ok = kubesnap("ingest", str(SEED / "controlplane01-crictl-ps.txt"), "--db", db, "--node", "cp01")
    assert ok.returncode == 0 and "1 loose file(s)" in ok.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"containers": [ {"id": "abc"')
    mixed = kubesnap("ingest", str(SEED / "controlplane01-crictl-pods.txt"), str(bad), "--db", db, "--node", "cp01")
    assert mixed.returncode == 1 and "bad.json" in mixed.stderr
    usage = kubesnap("ingest", str(tmp_path / "nope.tar.gz"), "--db", db)
    assert usage.returncode == 2 and "no such input" in usage.stderr
    nodb = kubesnap("ingest", str(bad))
    assert nodb.returncode == 2 and "KUBESNAP_DB" in nodb.stderr
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 40)
    nothing = kubesnap("ingest", str(garbage), "--db", db)
    assert nothing.returncode == 3 and "nothing could be ingested" in nothing.stderr
    for r in (ok, mixed, usage, nodb, nothing):
        assert "Traceback" not in r.stderr
    env = kubesnap("sql", "SELECT count(*) AS n FROM crictl_containers", "--format", "json", env={"KUBESNAP_DB": db})
    assert env.returncode == 0 and json.loads(env.stdout) == [{"n": 10}]
    csv = kubesnap("sql", "SELECT name, attempt FROM crictl_containers ORDER BY name LIMIT 2", "--db", db, "--format", "csv")
    assert csv.stdout.splitlines()[0] == "name,attempt"
    err = kubesnap("sql", "SELECT * FROM no_such_table", "--db", db)
    assert err.returncode == 2 and "no_such_table" in err.stderr and "Traceback" not in err.stderr


def test_problems_are_stored_and_the_rest_ingested(tmp_path: Path, seed_site_dir: Path) -> None:
    """A bundle with a broken member: the member is a problem row, everything else is there."""
    src = sorted((seed_site_dir / "bundles").glob("*worker01*.tar.gz"))[0]
    out = tmp_path / "broken.tar.gz"
    with tarfile.open(src) as tin, tarfile.open(out, "w:gz") as tout:
        for m in tin:
            f = tin.extractfile(m) if m.isfile() else None
            if m.name.endswith("runtime/crictl-ps-a.json") and f is not None:
                import io

                data = b'{"containers": [ {"id": '
                m.size = len(data)
                tout.addfile(m, io.BytesIO(data))
            else:
                tout.addfile(m, f)
    db = tmp_path / "b.duckdb"
    with Store(db) as s:
        rep = ingest(s, [out])
    assert rep.problems
    (prob,) = q(db, "SELECT member, parser, reason FROM ingest_problems")
    assert prob[0] == "runtime/crictl-ps-a.json" and prob[1] == "crictl-ps-json" and "not JSON" in prob[2]
    assert q(db, "SELECT count(*) FROM pod_processes WHERE pid IS NOT NULL")[0][0] > 10


@pytest.mark.parametrize("error, words", [
    (RuntimeError("a bug\nsecond line"), "kubesnap: internal error: RuntimeError: a bug (please report it"),
    (type("OutOfMemoryException", (Exception,), {})("Out of Memory Error: failed to allocate"), "kubesnap: the database ran out of memory: Out of Memory"),
])  # fmt: skip
def test_an_internal_error_is_one_line_and_exit_70(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, words: str) -> None:
    """A bug of ours (or DuckDB out of its memory limit) exits 70, never the 1 of 'ingested with problems'."""
    from click.testing import CliRunner

    from analyzer import api
    from analyzer.cli import main

    def boom(*_a: object, **_k: object) -> None:
        raise error

    monkeypatch.delenv("KUBESNAP_DEBUG", raising=False)
    monkeypatch.setattr(api, "ingest_inputs", boom)
    (tmp_path / "x.txt").write_text("hello\n")
    res = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "k.duckdb"), str(tmp_path / "x.txt")])
    assert res.exit_code == 70, res.output
    assert res.stderr.startswith(words) and res.stderr.count("\n") == 1 and "Traceback" not in res.output
