"""The investigation commands on the fixture sites, checked against what kubectl, crictl and ps printed for
the same data (the bundles hold those outputs) and against the planted incident and changes."""

from __future__ import annotations

import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import api
from analyzer.cli import main

W1, W2, CP1, CP2, CP3 = "playcekube-worker01", "playcekube-worker02", "playcekube-controlplane01", "playcekube-controlplane02", "playcekube-controlplane03"


def run(*args: str) -> str:
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def fails(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code != 0
    return res.exit_code, res.output


def member(tarball: Path, suffix: str) -> str:
    with tarfile.open(tarball) as tf:
        for m in tf:
            if m.name.endswith(suffix):
                f = tf.extractfile(m)
                assert f is not None
                return f.read().decode()
    raise KeyError(suffix)


@pytest.fixture(scope="module")
def db(seed_db: Path) -> str:
    return str(seed_db)


@pytest.fixture(scope="module")
def checked_troubled(troubled_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("tl") / "t.duckdb"
    shutil.copy(troubled_db, d)
    api.check(d)
    return str(d)


# ------------------------------------------------------------------ get


def test_get_pods_wide_is_what_kubectl_printed(db: str, seed_bundles: dict[str, Path]) -> None:
    assert run("get", "pods", "-A", "-o", "wide", "--db", db) == member(seed_bundles[CP1], "cluster/get-pod-wide.txt")


def test_get_nodes_wide_is_what_kubectl_printed(db: str, seed_bundles: dict[str, Path]) -> None:
    assert run("get", "nodes", "-o", "wide", "--db", db) == member(seed_bundles[CP1], "cluster/get-node-wide.txt")


def test_get_services_of_the_dump(db: str) -> None:
    assert run("get", "svc", "-A", "-o", "wide", "--db", db).splitlines()[0].split() == ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    rows = [ln.split() for ln in run("get", "services", "-A", "--db", db).splitlines()[1:]]
    assert [r[:6] for r in rows] == [["default", "kubernetes", "ClusterIP", "10.233.0.1", "<none>", "443/TCP"],
                                     ["kube-system", "coredns", "ClusterIP", "10.233.0.3", "<none>", "53/UDP"]]  # fmt: skip
    assert run("get", "svc", "--db", db, "-o", "name") == "service/kubernetes\n"


def test_get_pods_namespace_selector_sort_name(db: str) -> None:
    out = run("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy", "--db", db).splitlines()
    assert out[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [ln.split()[0] for ln in out[1:]] == ["kube-proxy-6bbrp", "kube-proxy-9dq5c", "kube-proxy-ngkdb", "kube-proxy-r4dc5", "kube-proxy-w2rt8"]
    names = run("get", "po", "-n", "kube-system", "-l", "component in (etcd, kube-apiserver)", "-o", "name", "--db", db).split()
    assert names == [f"pod/{c}-{n}" for c in ("etcd", "kube-apiserver") for n in (CP1, CP2, CP3)]
    by_restarts = run("get", "pods", "-A", "--sort-by", "{.status.containerStatuses[0].restartCount}", "--db", db).splitlines()[1:]
    counts = [int(ln.split()[4]) for ln in by_restarts]
    assert counts == sorted(counts) and counts[-1] == 3
    assert run("get", "pods", "--db", db).splitlines()[0].split()[0] == "NAME"  # namespace "default", as kubectl
    assert run("get", "pods", "-n", "nope", "--db", db) == "No resources found in nope namespace.\n"


def test_get_json_and_yaml_are_kubectl_lists(db: str) -> None:
    doc = json.loads(run("get", "pods", "-A", "-o", "json", "--db", db))
    assert doc["kind"] == "List" and len(doc["items"]) == 39 and doc["items"][0]["kind"] == "Pod"
    one = json.loads(run("get", "pod", "keycloak-0", "-n", "playcekube", "-o", "json", "--db", db))
    assert one["metadata"]["name"] == "keycloak-0" and one["spec"]["nodeName"] == W2
    assert "kind: List" in run("get", "nodes", "-o", "yaml", "--db", db)


def test_get_events_containers_images(db: str) -> None:
    ev = run("get", "events", "-A", "--db", db).splitlines()
    assert ev[0].split("   ")[:6] == ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"] or re.split(r"\s{2,}", ev[0]) == [
        "NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]  # fmt: skip
    assert any(re.match(r"default\s+21h\s+Normal\s+Started\s+pod/nginx\s+Started container nginx", ln) for ln in ev)
    cs = run("get", "containers", "--node", W1, "--db", db).splitlines()
    assert re.split(r"\s{2,}", cs[0]) == ["NODE", "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"]
    assert any(re.search(r"\b79a5ad26ab862\b.*22 hours ago\s+Running\s+nginx\s+0\s+fdf9daf39cb9e\s+nginx-deployment", ln) for ln in cs)
    im = run("get", "images", "--node", W1, "--db", db).splitlines()
    assert re.split(r"\s{2,}", im[0]) == ["NODE", "IMAGE", "TAG", "IMAGE ID", "SIZE"]
    assert any(re.match(rf"{W1}\s+docker.io/library/nginx\s+latest\s+61395b4c586da\s+\S+MB", ln) for ln in im)


def test_get_pods_from_node_bundles_only(seed_bundles: dict[str, Path], tmp_path: Path) -> None:
    """Workers have no kubectl: the pods come from their runtimes, in kubectl's columns."""
    d = tmp_path / "w.duckdb"
    api.ingest_inputs(d, [seed_bundles[W1], seed_bundles[W2]])
    out = run("get", "pods", "-A", "-o", "wide", "--db", str(d)).splitlines()
    assert re.split(r"\s{2,}", out[0]) == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    crictl = member(seed_bundles[W1], "runtime/crictl-pods.txt")
    for ln in out[1:]:
        cells = re.split(r"\s{2,}", ln)
        if cells[7] == W1:
            assert cells[1] in crictl
    # the runtime no longer has the exited first instance: the restart count stands alone, as kubectl prints it without a last state
    assert any(re.match(r"kube-system\s+calico-kube-controllers-b8d4d8984-8htc7\s+1/1\s+Running\s+1\s+2d10h\s+10\.0\.0\.31\s+playcekube-worker01", ln) for ln in out)


def test_get_errors_are_kubectl_like(db: str) -> None:
    code, msg = fails("get", "widgets", "--db", db)
    assert code == 2 and 'the server doesn\'t have a resource type "widgets"' in msg


# ------------------------------------------------------------------ describe, logs, ps


def test_describe_pod_and_node(checked_troubled: str) -> None:
    out = run("describe", "pod", "cache-0", "--db", checked_troubled)
    for s in ("Name:", "Namespace:           shop", "Controlled By:       StatefulSet/cache", "Containers:", "  redis:", "Node view (playcekube-worker01",
              "Sandbox:", "Log files:", "CONTAINER_NO_PROCESS"):  # fmt: skip
        assert s in out, s
    node = run("describe", "node", W2, "--db", checked_troubled)
    for s in ("Conditions:", "DiskPressure     True", "Non-terminated Pods:", "Filesystems:", "NODE_PRESSURE", "VERSION_SKEW"):
        assert s in node, s
    code, msg = fails("describe", "pod", "nope", "--db", checked_troubled)
    assert code == 1 and 'pods "nope" not found' in msg


def _cri_messages(raw: str) -> list[str]:
    """A CRI log file's logical lines, read independently of the analyzer: P records joined to the next F."""
    out, pending = [], ""
    for ln in raw.splitlines():
        _ts, _stream, tag, *rest = ln.split(" ", 3)
        msg = rest[0] if rest else ""
        if tag == "P":
            pending += msg
        else:
            out.append(pending + msg)
            pending = ""
    return out


def test_logs_are_the_container_log(db: str, seed_bundles: dict[str, Path]) -> None:
    pod = "kube-apiserver-playcekube-controlplane01"
    ref = None
    with tarfile.open(seed_bundles[CP1]) as tf:
        for m in tf:
            if re.search(rf"files/var/log/pods/kube-system_{pod}_[^/]+/kube-apiserver/1\.log$", m.name):
                ref = tf.extractfile(m).read().decode()  # type: ignore[union-attr]
    assert ref
    want = _cri_messages(ref)
    got = run("logs", pod, "-n", "kube-system", "--db", db).splitlines()
    assert got == want and any("P" in ln.split(" ", 3)[2] for ln in ref.splitlines()), "partial lines are joined"
    assert run("logs", pod, "-n", "kube-system", "--tail", "3", "--db", db).splitlines() == want[-3:]
    stamped = run("logs", pod, "-n", "kube-system", "--tail", "1", "--timestamps", "--db", db)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z .*\n", stamped)
    prev = run("logs", pod, "-n", "kube-system", "-p", "--db", db).splitlines()
    assert prev and prev != got
    _code, msg = fails("logs", "csi-nfs-node-pzd8b", "-n", "playcekube", "--db", db)
    assert "a container name must be specified for pod csi-nfs-node-pzd8b, choose one of: [nfs node-driver-registrar liveness-probe]" in msg
    allc = run("logs", "csi-nfs-node-pzd8b", "-n", "playcekube", "--all-containers", "--prefix", "--tail", "1", "--db", db).splitlines()
    assert [ln.split("]")[0] for ln in allc] == ["[pod/csi-nfs-node-pzd8b/nfs", "[pod/csi-nfs-node-pzd8b/node-driver-registrar", "[pod/csi-nfs-node-pzd8b/liveness-probe"]


def test_durations_beyond_any_date_are_usage_errors(db: str) -> None:
    code, msg = fails("logs", "nginx", "--since", "99999999999999h", "--db", db)
    assert code == 2 and "invalid --since '99999999999999h': too far back" in msg
    code, msg = fails("timeline", "--since", "99999999999999h", "--db", db)
    assert code == 2 and "invalid --since '99999999999999h'" in msg


def test_ps_is_ps_ef_with_owners(db: str, seed_bundles: dict[str, Path]) -> None:
    ref = member(seed_bundles[W1], "processes/ps-ef.txt").splitlines()
    out = run("ps", W1, "--db", db).splitlines()
    assert out[0] == ref[0]
    ours = {ln.split()[1]: ln for ln in out[1:]}
    for line in ref[1:]:
        pid = line.split()[1]
        assert ours[pid].startswith(line), (line, ours[pid])
    assert ours["24010"].endswith("[kube-system/nginx-proxy-playcekube-worker01/nginx-proxy]")
    tree = run("ps", W1, "--tree", "--db", db).splitlines()
    shim = next(i for i, ln in enumerate(tree) if " 23947 " in ln)
    assert " \\_ /pause  [pause of kube-system/nginx-proxy-playcekube-worker01]" in tree[shim + 1]
    assert tree[shim + 3].split()[1] == "24058" and "     \\_ nginx: worker process" in tree[shim + 3]


# ------------------------------------------------------------------ timeline


def test_timeline_shows_the_planted_incident_in_order_across_nodes(checked_troubled: str) -> None:
    out = run("timeline", "--db", checked_troubled, "--since", "2023-10-03T15:40:00Z", "--until", "2023-10-03T16:00:00Z", "--severity", "warn")
    lines = [ln for ln in out.splitlines() if not ln.startswith("#")]
    times = [ln.split()[0] for ln in lines]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    steps = [(W2, "failed to pull and unpack image"), (W2, "x509: certificate has expired"), (W2, "Container runtime is down"),
             (W2, "failed to update lease"), (CP3, "apply request took too long"), (CP2, "etcdserver: request timed out"),
             (CP3, "database space exceeded"), (CP2, "Timeout: request did not complete"), (W2, "failed to create shim")]  # fmt: skip
    pos = [next(i for i, ln in enumerate(lines) if f"  {node}  " in ln and text in ln) for node, text in steps]
    assert pos == sorted(pos), pos
    assert "# clock: playcekube-worker01 started its bundle +420 s" in out
    rows = [json.loads(x) for x in run("timeline", "--db", checked_troubled, "--node", W1, "--source", "collector", "--output", "json").splitlines()]
    assert rows and all(r["node"] == W1 and r["clock_offset_s"] == 420 for r in rows)
    grep = run("timeline", "--db", checked_troubled, "--grep", "OOMKilled|oom-kill", "--source", "container", "--source", "journal")
    assert "terminated shop/orders-5b6c7d-p9q8r/worker (previous run: OOMKilled, exit code 137" in grep


# ------------------------------------------------------------------ diff


@pytest.fixture(scope="module")
def checked_seed(seed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("checked-seed") / "seed.duckdb"
    shutil.copy(seed_db, d)
    api.check(d)
    return str(d)


@pytest.mark.slow
def test_diff_lists_exactly_the_changes(checked_seed: str, later_bundles: Path) -> None:
    from fixtures.seed_later import ADDED_FLAG, NEW_IMAGE

    # the bundles are ingested and checked into a throw-away database; the findings of both sides are those stored
    d = json.loads(run("diff", checked_seed, str(later_bundles), "--output", "json"))
    assert d["notes"] == []
    assert d["nodes_added"] == d["nodes_removed"] == d["pods_added"] == d["pods_removed"] == []
    assert [(r["pod"], r["container"], r["before"], r["after"]) for r in d["restarts"]] == [
        ("calico-kube-controllers-b8d4d8984-8htc7", "calico-kube-controllers", 1, 2)]  # fmt: skip
    assert [(i["node"], i["change"], i["image"]) for i in d["images"]] == [(W1, "added", f"{NEW_IMAGE.repo}:{NEW_IMAGE.tag}")]
    assert [(f["node"], f["path"], f["change"]) for f in d["files"]] == [(CP1, "/etc/kubernetes/manifests/kube-apiserver.yaml", "changed")]
    assert [ln for ln in d["files"][0]["diff"].splitlines() if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))] == [f"+    - {ADDED_FLAG}"]
    assert d["findings_new"] == d["findings_resolved"] == []
    text = run("diff", checked_seed, str(later_bundles))
    assert "Restarts since:" in text and "calico-kube-controllers: 1 -> 2 (+1)" in text and f"+ {NEW_IMAGE.repo}:{NEW_IMAGE.tag}" in text


def test_diff_of_a_site_with_itself_is_empty(checked_seed: str) -> None:
    out = run("diff", checked_seed, checked_seed)
    assert "No changes in nodes, pods, restarts, images, /etc/kubernetes files or findings." in out and "findings not compared" not in out


def test_diff_never_runs_the_rules(db: str, checked_seed: str) -> None:
    """Findings come from the store: a database the rules never ran on has none to compare, and diff says so."""
    d = json.loads(run("diff", db, checked_seed, "--output", "json"))
    assert d["findings_new"] == d["findings_resolved"] == []
    assert d["notes"] == [f"findings not compared: the rules never ran on {db} (run `kubesnap findings --db {db}`)"]
    assert api.query(Path(checked_seed), "SELECT count(*) FROM v_findings").rows[0][0] > 0


# ------------------------------------------------------------------ export


def test_export_reads_back_with_pyarrow(db: str, tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    out = tmp_path / "export"
    assert run("export", str(out), "--db", db, "-q").strip() == str(out)
    for table in ("snapshots", "processes", "crictl_containers", "log_files", "log_lines", "members", "api_pods", "ingest_problems"):
        want = api.query(Path(db), f"SELECT count(*) FROM {table}").rows[0][0]
        data = ds.dataset(out / table, format="parquet", partitioning="hive")
        assert data.count_rows() == want, table
        if want:
            assert "snapshot" in data.schema.names or table == "snapshots" or "snapshot" in data.schema.names
    parts = sorted(p.name for p in (out / "processes").iterdir())
    assert parts and all(re.fullmatch(r"snapshot=[0-9a-f]{16}", p) for p in parts)
    _code, msg = fails("export", str(out), "--db", db)
    assert "is not empty" in msg


def test_completion_and_ingest_json(tmp_path: Path, seed_bundles: dict[str, Path]) -> None:
    assert "_KUBESNAP_COMPLETE" in run("completion", "bash")
    res = CliRunner().invoke(main, ["ingest", str(seed_bundles[W1]), "--db", str(tmp_path / "j.duckdb"), "--output", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["bundles"] == 1 and doc["problems"] == [] and doc["log_lines"] > 100
