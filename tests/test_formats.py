"""Other tools' bundles (issue 18): each real sample in ../shared/corpus/bundles, the BUILT fixtures of the
formats with no public sample (fixtures/foreign.py), damaged variants of each format, and a merged site."""

from __future__ import annotations

import glob
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from _pytest.mark.structures import ParameterSet
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.formats import coverage, detect, member_account
from analyzer.ingest import ingest
from analyzer.layout import KEPT_RAW, NOT_UNDERSTOOD, READ
from analyzer.rules import run_rules
from analyzer.store import Store
from fixtures import foreign
from tests.conftest import CORPUS

B = CORPUS / "bundles"
TS = B / "troubleshoot/sbctl-tests/support-bundle"
MG = B / "must-gather/must-gather-metal"
SOS = B / "sosreport/hotsos-fake_data_root-kubernetes"
RAN = B / "rancher/r8s-example-log-bundle/w-guard-wg-cp-svtk6-lqtxw-2025-11-27_04_19_09"
MG_IMG = "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-514b5bd41b36c20014cd237c8aa7eec548e02df0b5d289ae15385eb2a8c6eebf"
SOS_PODS = "sos_commands/kubernetes/pods/kubectl_--kubeconfig_.root.cdk.cdk_addons_kubectl_config_get_-o_json_--namespace_kube-system_pods"

needs_corpus = pytest.mark.skipif(not B.is_dir(), reason=f"shared corpus bundles not found at {B}")


def measure(tmp: Path, *inputs: Path) -> dict[str, Any]:
    db = tmp / f"m{len(list(tmp.glob('m*.db')))}.db"
    with Store(db) as st:
        rep = ingest(st, list(inputs))
        c = st.con
        pods, with_ns_node = c.execute(
            "SELECT count(*), count(*) FILTER (WHERE namespace IS NOT NULL AND node_name IS NOT NULL) FROM pods"
        ).fetchall()[0]
        logs = c.execute("SELECT count(*) FROM pod_logs WHERE file_id IS NOT NULL").fetchall()[0][0]
        states: dict[str, int] = {}
        account = member_account(c)
        for m in account:
            states[m["state"]] = states.get(m["state"], 0) + 1
        return {"account": account, "pods": pods, "pods_ns_node": with_ns_node, "logs": logs, "states": states, "bundles": rep.bundles,
                "problems": [(m, r) for _w, m, r in rep.problems], "members": c.execute("SELECT count(*) FROM members").fetchall()[0][0],
                "coverage": coverage(c), "db": db}  # fmt: skip


def files_in(top: Path) -> int:
    return sum(1 for p in top.rglob("*") if p.is_file() or p.is_symlink())


def tar(tree: Path, out: Path) -> Path:
    """The tree as a .tar.gz, members in sorted order (the same archive on every file system)."""
    with tarfile.open(out, "w:gz") as tf:
        for p in sorted(tree.rglob("*")):
            if p.is_file() or p.is_symlink():
                tf.add(p, arcname=f"{tree.name}/{p.relative_to(tree).as_posix()}", recursive=False)
    return out


def check_sample(r: dict[str, Any], held_pods: int, held_logs: int, nfiles: int) -> None:
    assert r["bundles"] == 1
    assert held_pods > 0 and r["pods_ns_node"] >= 0.95 * held_pods, (r["pods_ns_node"], held_pods)
    assert r["logs"] == held_logs
    # every member is read, kept raw with its reason, or not understood (counted, named in ingest_problems): the states
    # the ingest stored (members.state), as `kubesnap sources --bundle` and docs/cli.md name them
    assert sum(r["states"].values()) == r["members"] == nfiles
    assert set(r["states"]) <= {"read", "kept raw", "not understood"}


# ------------------------------------------------------------------ real samples


@needs_corpus
def test_troubleshoot_sample(tmp_path: Path) -> None:
    held = sum(
        len(json.loads(Path(f).read_text())["items"])
        for f in glob.glob(str(TS / "cluster-resources/pods/*.json"))
    )
    logs = [
        p
        for p in (TS / "cluster-resources/pods/logs").rglob("*.log")
        if not p.name.endswith("-logs-errors.log")
    ]
    r = measure(tmp_path, TS)
    check_sample(r, held, len(logs), files_in(TS))
    assert (held, r["pods_ns_node"], r["logs"]) == (58, 58, 7)
    assert r["states"] == {
        "read": 121,
        "kept raw": 13,
        "not understood": 3,
    }  # 3 custom-resource YAMLs the redactor broke
    # each says why: the reader's problem with it (what ingest_problems holds), not "no entry of the layout"
    broken = [m for m in r["account"] if m["state"] == "not understood"]
    assert all(m["why"] and m["why"] != "no entry of the layout" for m in broken), broken
    assert any(c["fact"] == "processes" and c["state"] == "not in format" for c in r["coverage"])


@needs_corpus
def test_must_gather_sample(tmp_path: Path) -> None:
    held = sum(len((yaml.safe_load(Path(f).read_text()) or {}).get("items") or [])
               for f in glob.glob(str(MG / "*/namespaces/*/core/pods.yaml")))  # fmt: skip
    logs = list(MG.glob("*/namespaces/*/pods/*/*/*/logs/*.log"))
    r = measure(tmp_path, MG)
    check_sample(r, held, len(logs), files_in(MG))
    assert (held, r["pods_ns_node"], r["logs"]) == (12, 12, 54)
    assert r["states"].get("not understood", 0) == 0
    with Store(r["db"], read_only=True) as st:  # when the gather ran: its timestamp file's first line (ages count from it)
        assert [str(t) for (t,) in st.con.execute("SELECT collected_at AT TIME ZONE 'UTC' FROM snapshots").fetchall()] == ["2021-09-14 14:43:44.051395"]
        # the masters' service logs, several hosts in one file: each line on the API node its host names, not on 'cluster'
        per_node = dict(st.con.execute("SELECT node, count(*) FROM journal GROUP BY 1").fetchall())
        assert sorted(per_node) == [f"master-{i}.ci-ln-xj8t7ct-86010.origin-ci-int-aws.dev.rhcloud.com" for i in range(3)], per_node


@needs_corpus
def test_sosreport_sample(tmp_path: Path) -> None:
    held = sum(
        len(json.loads(Path(f).read_text())["items"])
        for f in glob.glob(str(SOS / "sos_commands/kubernetes/pods/*get_-o_json*"))
    )
    logs = list((SOS / "sos_commands/kubernetes/pods").glob("*_logs_*"))
    r = measure(tmp_path, SOS)
    check_sample(r, held, len(logs), files_in(SOS))
    assert (held, r["pods_ns_node"], r["logs"]) == (18, 18, 18)
    with Store(r["db"], read_only=True) as st:
        assert st.con.execute("SELECT node, strftime(collected_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') FROM snapshots").fetchall() == [
            ("juju-110cc2-k8stest-4", "2022-02-11 19:23:39")]  # (`date --utc`: ages and the journal's year count from it)
        assert st.con.execute("SELECT count(*) FROM journal").fetchall()[0][0] > 1000


@needs_corpus
def test_rancher_sample(tmp_path: Path) -> None:
    rows = (RAN / "rke2/kubectl/pods").read_text().splitlines()
    held = len([ln for ln in rows[1:] if ln.strip()])
    logs = [
        p
        for p in (RAN / "rke2/podlogs").iterdir()
        if not (p.read_bytes().startswith(b"Error from server") and p.read_bytes().rstrip().count(b"\n") == 0)
    ]
    r = measure(tmp_path, RAN.parent)
    check_sample(r, held, len(logs), files_in(RAN))
    assert (held, r["pods_ns_node"], r["logs"]) == (93, 93, 6)
    with Store(r["db"], read_only=True) as st:  # the node view: pods joined to their processes on this node
        assert (
            st.con.execute("SELECT count(*) FROM pod_processes WHERE pid IS NOT NULL").fetchall()[0][0] > 50
        )
    with Store(r["db"], read_only=True) as st:  # systeminfo/dmesg is dmesg -T: every line has its time
        assert st.con.execute("SELECT count(*), count(ts) FROM journal WHERE member LIKE '%systeminfo/dmesg'").fetchall() == [(745, 745)]
    # a pod the API lists whose log the collector did not take, and a previous log of a log that names no container
    res = CliRunner().invoke(main, ["logs", "--db", str(r["db"]), "-n", "demo-frontend", "frontend-app-7996796dbf-b5sgr"])
    assert res.exit_code != 0 and "has no log in these bundles" in res.output, res.output
    res = CliRunner().invoke(main, ["logs", "--db", str(r["db"]), "-n", "calico-system", "calico-typha-b74b9cb47-wht7m", "-p"])
    assert res.exit_code != 0 and 'previous terminated container in pod "calico-typha-b74b9cb47-wht7m" not found' in res.output, res.output
    # its services table, stored as services: get svc prints what kubectl printed, headless (None) and selectors included
    res = CliRunner().invoke(main, ["get", "svc", "-A", "-o", "wide", "--db", str(r["db"])])
    assert res.exit_code == 0, res.output
    assert res.stdout == (RAN / "rke2/kubectl/services").read_text()


@needs_corpus
@pytest.mark.parametrize("sample", ["troubleshoot", "must-gather", "sosreport", "rancher"])
def test_sample_as_archive(tmp_path: Path, sample: str) -> None:
    tree = {"troubleshoot": TS, "must-gather": MG, "sosreport": SOS, "rancher": RAN}[sample]
    a = measure(tmp_path, tree if sample != "rancher" else RAN.parent)
    b = measure(tmp_path, tar(tree, tmp_path / f"{tree.name}.tar.gz"))
    assert (a["pods"], a["logs"], a["members"]) == (b["pods"], b["logs"], b["members"])
    # each member ends the same way read from the archive's stream as from the folder (a member read at once, then
    # opened again to hash the rest, once sought back on the stream: "seeking backwards is not allowed")
    assert a["states"] == b["states"], (a["states"], b["states"])
    assert not [p for p in b["problems"] if "seeking backwards" in p[1] or "member cut short" in p[1]], b["problems"][:5]


# ------------------------------------------------------------------ built fixtures (no public sample exists)


@needs_corpus
@pytest.mark.parametrize("form", ["dir", "stream"])
@pytest.mark.parametrize("shape", ["versioned", "go"])
def test_cluster_info_dump_built(tmp_path: Path, form: str, shape: str) -> None:
    nodes, lists, logs = foreign.k3d_cluster(CORPUS)
    out = tmp_path / ("dump" if form == "dir" else "dump.txt")
    (foreign.dump_dir if form == "dir" else foreign.dump_stream)(out, nodes, lists, logs, shape)
    found = detect(out)
    assert found is not None and found.fmt.layout.name == (
        "cluster-info-dump" if form == "dir" else "cluster-info-stream"
    )
    r = measure(tmp_path, out)
    assert (r["pods"], r["pods_ns_node"], r["logs"]) == (
        3,
        3,
        4,
    )  # 5 containers, one with `Request log error`
    assert [m for m, why in r["problems"] if "could not fetch the log of container hello" in why]
    with Store(r["db"], read_only=True) as st:
        assert (
            st.con.execute(
                "SELECT count(*) FROM api_nodes WHERE kubelet_version = 'v1.24.4+k3s1'"
            ).fetchall()[0][0]
            == 1
        )
        assert st.con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 5
        assert (
            st.con.execute(
                "SELECT count(*) FROM pods WHERE pod_ip IS NOT NULL AND phase IS NOT NULL"
            ).fetchall()[0][0]
            == 3
        )
        found_rules = {f.rule: f.message for _r, f in run_rules(st.con, "default")}
    assert found_rules["CONTAINER_NO_PROCESS"] == "not evaluated (no process list in this bundle)"


@needs_corpus
def test_kubespray_built(tmp_path: Path) -> None:
    p = foreign.k3d_collect_info(CORPUS, tmp_path / "logs.tar.gz")
    r = measure(tmp_path, p)
    assert r["bundles"] == 2 and (r["pods"], r["pods_ns_node"]) == (3, 3)
    with Store(r["db"], read_only=True) as st:
        assert st.con.execute("SELECT list(node ORDER BY node) FROM snapshots").fetchall()[0][0] == [
            "node1",
            "node2",
        ]
        assert st.con.execute("SELECT count(DISTINCT snapshot_id) FROM processes").fetchall()[0][0] == 2


# ------------------------------------------------------------------ damaged variants


def _cut_archive(tree: Path, tmp: Path) -> Path:
    a = tar(tree, tmp / f"{tree.name}.tar.gz")
    data = a.read_bytes()
    cut = tmp / f"cut-{tree.name}.tar.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    return cut


def _tree(tmp: Path, fmt: str) -> tuple[Path, Path, str]:
    """(the input, the bundle's root, the pods member) of a fresh copy of a format's sample in tmp."""
    if fmt == "cluster-info":
        nodes, lists, logs = foreign.k3d_cluster(CORPUS)
        d = foreign.dump_dir(tmp / "dump", nodes, lists, logs, "go")
        return d, d, "kube-system/pods.json"
    if fmt == "kubespray":
        d = tmp / "ks"
        with tarfile.open(foreign.k3d_collect_info(CORPUS, tmp / "ks.tar.gz")) as tf:
            tf.extractall(d, filter="data")
        return d, d / "collect-info", "commands/node2/root/k8s_info"
    src, member = {"troubleshoot": (TS, "cluster-resources/pods/kube-system.json"), "must-gather": (MG, f"{MG_IMG}/namespaces/openshift-dns/core/pods.yaml"),
                   "sosreport": (SOS, SOS_PODS), "rancher": (RAN, "rke2/kubectl/pods")}[fmt]  # fmt: skip
    d = tmp / src.name
    shutil.copytree(src, d, symlinks=True)
    for p in d.rglob("*"):
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    return (d.parent if fmt == "rancher" else d), d, member


FORMATS = ["troubleshoot", "must-gather", "sosreport", "rancher", "cluster-info", "kubespray"]
DAMAGES = ["truncated-archive", "missing-member", "broken-content", "wrong-shape", "unknown-member"]
# (pods in `pods`, pod logs) read from each damaged variant: up to the damage, the rest intact
EXPECTED: dict[tuple[str, str], tuple[int, int]] = {
    # the archive cut at 2/3 of its bytes: troubleshoot, must-gather and sosreport keep their pods in members past the cut
    ("troubleshoot", "truncated-archive"): (0, 0),
    ("troubleshoot", "missing-member"): (43, 7),  # kube-system's 15 pods are gone, the rest stays
    ("troubleshoot", "broken-content"): (51, 7),  # the 8 complete pods before the cut are read
    ("troubleshoot", "wrong-shape"): (43, 7),
    ("troubleshoot", "unknown-member"): (58, 7),
    ("must-gather", "truncated-archive"): (0, 0),
    ("must-gather", "missing-member"): (12, 54),  # the per-pod YAMLs still hold every pod
    ("must-gather", "broken-content"): (12, 54),
    ("must-gather", "wrong-shape"): (12, 54),
    ("must-gather", "unknown-member"): (12, 54),
    ("sosreport", "truncated-archive"): (16, 13),  # its version.txt is past the cut: told by its plugins' folders
    ("sosreport", "missing-member"): (18, 18),  # describe pods output still names every pod
    ("sosreport", "broken-content"): (18, 18),
    ("sosreport", "wrong-shape"): (18, 18),
    ("sosreport", "unknown-member"): (18, 18),
    ("rancher", "truncated-archive"): (93, 6),
    ("rancher", "missing-member"): (0, 0),  # no pod table: no pods, and no pod log can be given its namespace
    ("rancher", "broken-content"): (46, 5),
    ("rancher", "wrong-shape"): (0, 0),
    ("rancher", "unknown-member"): (93, 6),
    ("cluster-info", "truncated-archive"): (1, 2),
    ("cluster-info", "missing-member"): (1, 4),  # kube-system's 2 pods are gone, their logs stay
    ("cluster-info", "broken-content"): (2, 4),
    ("cluster-info", "wrong-shape"): (1, 4),
    ("cluster-info", "unknown-member"): (3, 4),
    # kubespray's pod logs are concatenated per label without markers: searchable, never in pod_logs
    ("kubespray", "truncated-archive"): (3, 0),
    ("kubespray", "missing-member"): (3, 0),  # node1's pod table still holds every pod
    ("kubespray", "broken-content"): (3, 0),
    ("kubespray", "wrong-shape"): (3, 0),
    ("kubespray", "unknown-member"): (3, 0),
}


def _damaged_params() -> list[ParameterSet]:
    """Every (format, damage): two damages per format in the fast set, each damage on two formats or
    more (a Latin-square cut); the other 18 in the slow set."""
    return [
        pytest.param(f, d, id=f"{f}-{d}", marks=() if (i + j) % len(DAMAGES) < 2 else pytest.mark.slow)
        for i, f in enumerate(FORMATS)
        for j, d in enumerate(DAMAGES)
    ]


@needs_corpus
@pytest.mark.parametrize(("fmt", "damage"), _damaged_params())
def test_damaged(tmp_path: Path, fmt: str, damage: str) -> None:
    inp, root, member = _tree(tmp_path, fmt)
    target = root / member
    if damage == "truncated-archive":
        inp = _cut_archive(root if fmt != "kubespray" else root.parent, tmp_path)
    elif damage == "missing-member":
        target.unlink()
    elif (
        damage == "broken-content"
    ):  # cut short where a download or a full disk stopped it, a block of NULs after
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2] + (b"" if member.endswith(".json") else b"\x00" * 512))
    elif damage == "wrong-shape":
        target.write_text(
            '{"apiVersion": "v1", "kind": "Status", "status": "Failure"}\n'
            if member.endswith(".json")
            else "- 1\n- [2, 3]\n"
        )
    elif damage == "unknown-member":
        (root / "zz-unexpected.bin").write_bytes(b"\x00\x01garbage")
    r = measure(tmp_path, inp)
    assert r["bundles"] >= 1
    if damage != "missing-member":
        assert r["problems"], "the damage is reported"
    if damage in ("broken-content", "wrong-shape", "unknown-member"):
        named = member if damage != "unknown-member" else "zz-unexpected.bin"
        assert any(named.rsplit("/", 1)[-1] in m for m, _why in r["problems"]), r["problems"][:5]
    assert (r["pods"], r["logs"]) == EXPECTED[(fmt, damage)]
    if damage == "truncated-archive":
        assert any("truncated" in why for _m, why in r["problems"]), r["problems"][:5]


# ------------------------------------------------------------------ one site from several formats


@pytest.mark.slow
def test_merged_site_dump_and_node_bundles(tmp_path: Path, seed_bundles: dict[str, Path]) -> None:
    """A cluster-info dump (built from the seed site's own kubectl JSON) and two Kubesnap node bundles: the API view
    from the dump, the node view from the bundles, joined by node name: the dump's pods reach their processes."""
    cp = seed_bundles["playcekube-controlplane01"]
    lists: dict[str, Any] = {}
    with tarfile.open(cp) as tf:
        for m in tf:
            if m.isfile() and m.name.endswith(
                ("/cluster/pods.json", "/cluster/nodes.json", "/cluster/events.json")
            ):
                f = tf.extractfile(m)
                assert f is not None
                lists[m.name.rsplit("/", 1)[-1]] = json.load(f)["items"]
    pods = lists["pods.json"]
    logs = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): {
            c["name"]: "2023-10-03T16:29:00Z a line\n" for c in p["spec"]["containers"]
        }
        for p in pods
    }
    dump = foreign.dump_dir(
        tmp_path / "dump", lists["nodes.json"], {"pods": pods, "events": lists["events.json"]}, logs
    )
    workers = [seed_bundles["playcekube-worker01"], seed_bundles["playcekube-worker02"]]
    r = measure(tmp_path, dump, *workers)
    assert r["bundles"] == 3
    with Store(r["db"], read_only=True) as st:
        c = st.con
        on_workers = c.execute(
            "SELECT count(*) FROM pods WHERE node_name IN ('playcekube-worker01', 'playcekube-worker02')"
        ).fetchall()[0][0]
        joined = c.execute(
            """SELECT count(DISTINCT p.namespace || '/' || p.name) FROM pods p JOIN pod_processes pp
               ON pp.namespace = p.namespace AND pp.pod = p.name AND pp.node = p.node_name WHERE pp.pid IS NOT NULL""").fetchall()[0][0]  # fmt: skip
        assert on_workers > 0 and joined == on_workers, (joined, on_workers)
        both = c.execute("SELECT count(*) FROM nodes WHERE in_api AND has_bundle").fetchall()[0][0]
        assert both == 2
        # the dump's API view is the site's (the node bundles hold none)
        assert (
            c.execute("SELECT bundle_name FROM api_snapshots JOIN snapshots USING (snapshot_id)")
            .fetchall()[0][0]
            .startswith("cluster-info-dump:")
        )


@needs_corpus
def test_a_troubleshoot_archive_is_collected_when_its_members_were_written(tmp_path: Path) -> None:
    """A support bundle's tar.gz, as troubleshoot writes it: its members' newest time is when it was collected, and
    ages count from it, not from today (a blind run of other tools' bundles, 2026-12-07: `4y76d`)."""
    t = tmp_path / "support-bundle.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        for p in sorted(TS.rglob("*")):
            ti = tf.gettarinfo(str(p), arcname=f"support-bundle/{p.relative_to(TS)}")
            ti.mtime = 1671641091  # 2022-12-21T16:44:51Z
            if ti.isfile():
                with p.open("rb") as f:
                    tf.addfile(ti, f)
            else:
                tf.addfile(ti)
    r = measure(tmp_path, t)
    with Store(r["db"], read_only=True) as st:
        assert [str(x) for (x,) in st.con.execute("SELECT collected_at AT TIME ZONE 'UTC' FROM snapshots").fetchall()] == ["2022-12-21 16:44:51"]
    r2 = measure(tmp_path, TS)  # a folder: its times are the copy's, not used
    with Store(r2["db"], read_only=True) as st:
        assert st.con.execute("SELECT collected_at FROM snapshots").fetchall() == [(None,)]


def test_a_must_gathers_unixs_endpoints_are_no_unhealthy_members_and_its_pods_are_counted_once(tmp_path: Path) -> None:
    """OpenShift's etcdctl --cluster lists each member's `unixs://IP:0` beside its https endpoint; the gather pod cannot
    reach it: no member is unhealthy for that (three false FAIL ETCD_UNHEALTHY in a real must-gather). A pod in its
    namespace's pods.yaml and in its own file is one pod (its restarts were found twice)."""
    img = tmp_path / "must-gather.local.1" / "quay-io-openshift-release-dev-sha256-abc"
    (img / "etcd_info").mkdir(parents=True)
    health = [{"endpoint": "https://10.0.0.1:2379", "health": True, "took": "6ms"},
              {"endpoint": "unixs://10.0.0.1:0", "health": False, "took": "5s", "error": "context deadline exceeded"},
              {"endpoint": "https://10.0.0.2:2379", "health": False, "took": "5s", "error": "context deadline exceeded"}]  # fmt: skip
    (img / "etcd_info" / "endpoint_health.json").write_text(json.dumps(health))
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\nspec:\n  nodeName: n1\n  containers:\n  - name: web\n"
           "    image: nginx\nstatus:\n  phase: Running\n  containerStatuses:\n  - name: web\n    image: nginx\n    ready: true\n    restartCount: 9\n"
           "    lastState:\n      terminated:\n        exitCode: 1\n        reason: Error\n    state:\n      running: {}\n")  # fmt: skip
    (img / "namespaces" / "shop" / "core").mkdir(parents=True)
    (img / "namespaces" / "shop" / "core" / "pods.yaml").write_text("apiVersion: v1\nkind: PodList\nitems:\n- " + pod.replace("\n", "\n  ").rstrip() + "\n")
    (img / "namespaces" / "shop" / "pods" / "web-1").mkdir(parents=True)
    (img / "namespaces" / "shop" / "pods" / "web-1" / "web-1.yaml").write_text(pod)
    r = measure(tmp_path, tmp_path / "must-gather.local.1")
    with Store(r["db"]) as st:
        found = [(f.rule, f.object) for _r, f in run_rules(st.con, "default") if f.rule in ("ETCD_UNHEALTHY", "RESTARTS_HIGH")]
    assert sorted(found) == [("ETCD_UNHEALTHY", "https://10.0.0.2:2379"), ("RESTARTS_HIGH", "web-1")], found


@needs_corpus
def test_a_sosreport_without_its_own_files_and_with_canonical_k8s_names(tmp_path: Path) -> None:
    """A sosreport uploaded without version.txt, sos_logs/ and sos_reports/ is still one (its plugins' folders say so),
    not Kubesnap's own layout with a node named sos_commands; Canonical k8s's plugin names its files k8s_kubectl_...
    (both from a blind run of other tools' bundles, 2026-12-07: canonical/hotsos's sunbeam sample)."""
    d = tmp_path / "sos"
    shutil.copytree(SOS, d, symlinks=True)
    for p in (d / "version.txt", d / "sos_logs", d / "sos_reports"):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    pods = json.loads(next((SOS / "sos_commands/kubernetes/pods").glob("*get_-o_json*")).read_text())
    ns = d / "sos_commands/kubernetes/cluster-info/shop"
    ns.mkdir(parents=True)
    for i, item in enumerate(pods["items"][:1]):
        item["metadata"]["namespace"], item["metadata"]["name"] = "shop", f"canonical-{i}"
    (ns / "k8s_kubectl_get_-o_json_--namespace_shop_pods").write_text(json.dumps({**pods, "items": pods["items"][:1]}))
    r = measure(tmp_path, d)
    with Store(r["db"], read_only=True) as st:
        assert st.con.execute("SELECT node FROM snapshots").fetchall() == [("juju-110cc2-k8stest-4",)]
        assert st.con.execute("SELECT count(*) FROM api_pods WHERE namespace = 'shop' AND name = 'canonical-0'").fetchall() == [(1,)]


@needs_corpus
def test_a_scheduler_events_node_is_the_one_it_assigned_not_its_reporting_instance(tmp_path: Path) -> None:
    """The corpus's troubleshoot bundle: a Scheduled event's reporting instance is default-scheduler-<host> (no node); the
    timeline puts it on the node it assigned the pod to (a blind run of other tools' bundles, 2026-12-07)."""
    r = measure(tmp_path, TS)
    out = CliRunner().invoke(main, ["timeline", "--db", str(r["db"])]).stdout
    scheduled = [ln.split()[1:2] + ln.rsplit(" to ", 1)[-1:] for ln in out.splitlines() if " Scheduled " in ln]
    assert scheduled and all(node == to for node, to in scheduled), scheduled
    assert "default-scheduler-" not in "".join(n for n, _to in scheduled)


@needs_corpus
def test_a_newer_troubleshoot_bundles_collectors_are_errors_or_kept_raw(tmp_path: Path) -> None:
    """What troubleshoot v0.123 adds beside cluster-resources/ (a blind run of other tools' bundles, 2026-12-07: 27 members
    not understood, exit 1 on every bundle with host collectors): its error files are the collector's problems, its own
    collectors' output (host collectors, run pods, HTTP) is kept raw with a reason; a stray binary still is not understood."""
    d = tmp_path / "support-bundle"
    shutil.copytree(TS, d, symlinks=True)
    for rel, data in (("secrets-errors/default/example-secret.json", '["secrets \\"example-secret\\" is forbidden"]'),
                      ("sysctl/primary-node", "net.ipv4.ip_forward = 1\n"), ("http-get-example.json", '{"status": 200}'),
                      ("run-pod-example/run-pod-example.json", '{"kind": "Pod"}')):  # fmt: skip
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(data)
    r = measure(tmp_path, d)
    with Store(r["db"], read_only=True) as st:
        acc = {m["member"]: m for m in member_account(st.con)}
    assert acc["sysctl/primary-node"]["state"] == acc["http-get-example.json"]["state"] == acc["run-pod-example/run-pod-example.json"]["state"] == "kept raw"
    assert acc["secrets-errors/default/example-secret.json"]["state"] == "read"
    assert any("forbidden" in why for m, why in r["problems"] if "example-secret" in m), r["problems"]


def _gz(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


def test_a_must_gathers_node_folders_kubelet_journals_gzipped_and_its_archives_are_its_own(tmp_path: Path) -> None:
    """A newer must-gather (4.1x) holds nodes/<node>/ with each node's kubelet journal gzipped: read, on the node its folder
    names (no API node object needed), in the year of the gather's timestamp; the node's hardware files and its
    sysinfo.tgz are members kept raw, not inputs of their own (each sysinfo.tgz was read as loose captures, 945 of them
    in a real gather); a gzipped member that expands past its budget is a problem naming it, none of its lines kept."""
    top = tmp_path / "must-gather.local.2"
    img = top / "quay-io-openshift-release-dev-sha256-def"
    (img / "namespaces" / "shop" / "core").mkdir(parents=True)
    (img / "namespaces" / "shop" / "core" / "pods.yaml").write_text("apiVersion: v1\nkind: PodList\nitems: []\n")
    (top / "timestamp").write_text("2024-12-01 11:11:00.051395446 +0000 UTC m=+1.40\n")
    lines = b"".join(b"Dec 01 11:11:%02d.502943 worker-1 kubenswrapper[2885]: I1201 11:11:%02d.502904    2885 kubelet.go:1] \"SyncLoop\" n=%d\n"
                     % (i, i, i) for i in range(40))  # fmt: skip
    n = img / "nodes" / "worker-1"
    n.mkdir(parents=True)
    (n / "worker-1_logs_kubelet.gz").write_bytes(_gz(lines))
    (n / "lscpu").write_text("Architecture: x86_64\n")
    with tarfile.open(n / "sysinfo.tgz", "w:gz") as tf:
        data = b'{"num_cores": 4}\n'
        ti = tarfile.TarInfo("machineinfo.json")
        ti.size = len(data)
        tf.addfile(ti, __import__("io").BytesIO(data))
    bomb = img / "nodes" / "worker-2"
    bomb.mkdir(parents=True)
    (bomb / "worker-2_logs_kubelet.gz").write_bytes(_gz(lines + b"\n" * (40 * 1024 * 1024)))
    r = measure(tmp_path, top)
    assert r["bundles"] == 1
    with Store(r["db"], read_only=True) as st:
        got = st.con.execute("SELECT node, count(*), min(ts AT TIME ZONE 'UTC')::VARCHAR FROM journal GROUP BY 1 ORDER BY 1").fetchall()
        members = dict(st.con.execute("SELECT path, state FROM members").fetchall())
    assert got == [("worker-1", 40, "2024-12-01 11:11:00")], got  # (the bomb's lines before its limit: dropped)
    img_rel = "quay-io-openshift-release-dev-sha256-def/nodes/worker-1/"
    assert members[img_rel + "worker-1_logs_kubelet.gz"] == READ
    assert members[img_rel + "sysinfo.tgz"] == members[img_rel + "lscpu"] == KEPT_RAW
    assert [(m, rs) for m, rs in r["problems"] if "worker-2" in m and "decompression bomb" in rs], r["problems"]
    assert not [m for m, _r in r["problems"] if "machineinfo" in m]


@needs_corpus
def test_rancher_rotated_kubelet_log_gzipped_and_the_scripts_date(tmp_path: Path) -> None:
    """A newer Rancher collector copies rke2/agent-logs/kubelet-<time>.log.gz: read as the kubelet's log (it was kept raw
    as 'versions, unit files, directory listings'); its klog and syslog lines take the year of systeminfo/date (they
    were a year late in a bundle read a year after its collection)."""
    node = tmp_path / RAN.name
    shutil.copytree(RAN, node)
    klog = b"I1127 04:10:00.000000    2885 kubelet.go:1] \"SyncLoop ADD\"\nE1127 04:10:01.000000    2885 kubelet.go:2] \"failed\"\n"
    (node / "rke2" / "agent-logs").mkdir(exist_ok=True)
    (node / "rke2" / "agent-logs" / "kubelet-2025-11-27T04-10-02.000.log.gz").write_bytes(_gz(klog))
    (node / "systeminfo" / "date").write_text("Thu Nov 27 04:19:09 UTC 2025\n")
    r = measure(tmp_path, node)
    with Store(r["db"], read_only=True) as st:
        got = st.con.execute("SELECT count(*), min(ts AT TIME ZONE 'UTC')::VARCHAR FROM journal WHERE member LIKE '%agent-logs%'").fetchall()
        years = {y for (y,) in st.con.execute("SELECT DISTINCT year(ts) FROM journal WHERE ts IS NOT NULL").fetchall()}
    assert got == [(2, "2025-11-27 04:10:00")], got
    assert years <= {2025}, years


def _mg_with_journal(top: Path, data: bytes, stamp: str = "2024-12-01 11:11:00.051395446 +0000 UTC m=+1.40") -> Path:
    img = top / "quay-io-openshift-release-dev-sha256-def"
    (img / "namespaces" / "shop" / "core").mkdir(parents=True)
    (img / "namespaces" / "shop" / "core" / "pods.yaml").write_text("apiVersion: v1\nkind: PodList\nitems: []\n")
    (top / "timestamp").write_text(stamp + "\n")
    (img / "nodes" / "n1").mkdir(parents=True)
    (img / "nodes" / "n1" / "n1_logs_kubelet.gz").write_bytes(data)
    return top


_LINES = b"".join(b"Dec 01 11:11:%02d.502943 n1 kubenswrapper[2885]: I1201 11:11:%02d.5 2885 k.go:1] line %d\n" % (i % 60, i % 60, i)
                  for i in range(2000))  # fmt: skip


@pytest.mark.parametrize(
    ("case", "lines", "said"),
    [
        ("cut", 1000, "the compressed data is cut short (no end marker): what came before the cut is read"),
        ("trailing", 2000, "bytes after the end of the compressed data are not read"),
        ("gz-in-gz", 0, "it holds compressed data or an archive, not text: not read"),
    ],
)
def test_a_gzipped_journal_cut_short_followed_by_bytes_or_holding_a_gzip_says_so(tmp_path: Path, case: str, lines: int, said: str) -> None:
    """A gzipped member read silently up to a cut (exit 0, 'read'), with the bytes after its end dropped, or whose
    content is another gzip read as binary journal lines (a hostile-input probe, 2026-12-07): each a problem naming the
    member, the lines before it kept and counted."""
    whole = _gz(_LINES)
    data = {"cut": whole[: len(whole) // 2], "trailing": whole + b"garbage" * 100, "gz-in-gz": _gz(whole)}[case]
    r = measure(tmp_path, _mg_with_journal(tmp_path / "mg", data))
    mine = [rs for m, rs in r["problems"] if m.endswith("n1_logs_kubelet.gz")]
    assert len(mine) == 1 and said in mine[0], r["problems"]
    with Store(r["db"], read_only=True) as st:
        got = st.con.execute("SELECT count(*) FROM journal").fetchall()[0][0]
        state = st.con.execute("SELECT state FROM members WHERE path LIKE '%n1_logs_kubelet.gz'").fetchall()[0][0]
    assert (0 < got < len(_LINES.splitlines())) if case == "cut" else got == lines, got
    assert (f"({got} lines read)" in mine[0]) == bool(got)
    assert state == (READ if lines else NOT_UNDERSTOOD)


def test_a_gather_dated_in_9999_is_no_time_and_the_database_stays_readable(tmp_path: Path) -> None:
    """A must-gather whose timestamp says 9999: no collection time (every verb refused the whole database after it:
    'a time no date can hold'), its lines read."""
    r = measure(tmp_path, _mg_with_journal(tmp_path / "mg", _gz(_LINES[:500]), "9999-06-01 10:00:00.051395446 +0000 UTC m=+1.40"))
    res = CliRunner().invoke(main, ["get", "pods", "--db", str(r["db"])])
    assert res.exit_code in (0, 1), res.output
    with Store(r["db"], read_only=True) as st:
        assert st.con.execute("SELECT collected_at FROM snapshots").fetchall() == [(None,)]


def test_a_verb_whose_reader_went_away_ends_quietly(tmp_path: Path) -> None:
    """kubesnap grep ... | head: the pipe closed is no internal error (it was exit 70, 'internal error: BrokenPipeError'):
    nothing on stderr, 141 as a shell reports a writer its pipe closed on."""
    import subprocess

    from tests.test_layout import KUBESNAP_BIN

    r = measure(tmp_path, _mg_with_journal(tmp_path / "mg", _gz(_LINES * 20)))
    p = subprocess.run(["bash", "-c", f'"{KUBESNAP_BIN}" grep --db "{r["db"]}" line | head -1; echo "rc=${{PIPESTATUS[0]}}"'],
                       capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert p.stdout.splitlines()[-1] == "rc=141" and p.stderr == "", (p.stdout[-200:], p.stderr)


def test_a_journal_replaced_by_a_link_and_a_tarball_beside_a_rootless_gather(tmp_path: Path) -> None:
    """A member that is a link is kept raw, never followed (it was 'read', 'its target is read on its own', and the
    node's journal was gone without a word); an archive beside a must-gather that is the input folder itself, which no
    entry of its layout names, is an input of its own (it was kept as a member: a second bundle not read)."""
    top = _mg_with_journal(tmp_path / "mg", b"")
    j = top / "quay-io-openshift-release-dev-sha256-def" / "nodes" / "n1" / "n1_logs_kubelet.gz"
    j.unlink()
    j.symlink_to("/etc/passwd")
    shutil.copytree(top, tmp_path / "mg2", symlinks=True)
    (tmp_path / "mg2" / "other.tar.gz").write_bytes(tar(_mg_with_journal(tmp_path / "inner", _gz(b"".join(_LINES.splitlines(keepends=True)[:300])), "2024-12-02 11:11:00.0 +0000 UTC"), tmp_path / "x.tar.gz").read_bytes())
    r = measure(tmp_path, tmp_path / "mg2")
    assert r["bundles"] == 2, r
    with Store(r["db"], read_only=True) as st:
        (state, reason), = st.con.execute("SELECT state, reason FROM members WHERE path LIKE '%n1_logs_kubelet.gz' AND kind = 'symlink'").fetchall()
        assert st.con.execute("SELECT count(*) FROM journal").fetchall() == [(300,)]
    assert state == KEPT_RAW and "never followed" in reason


def test_a_gzipped_journal_bomb_keeps_none_of_its_lines(tmp_path: Path) -> None:
    """A gzipped journal past its budget (200x its size, above 16 MiB): a problem naming it, and none of the lines it gave
    before the limit (12.5M rows of one line from a 7 MB gzip stayed, and timeline ran out of memory sorting them)."""
    line = b"Dec 01 11:11:51.502943 n1 kubenswrapper[2885]: I1201 11:11:51.502904 2885 log.go:25] BOMBLINE\n"
    r = measure(tmp_path, _mg_with_journal(tmp_path / "mg", _gz(line * (20 * 1024 * 1024 // len(line)))))
    mine = [rs for m, rs in r["problems"] if m.endswith("n1_logs_kubelet.gz")]
    assert len(mine) == 1 and "decompression bomb" in mine[0] and "dropped" in mine[0], r["problems"]
    with Store(r["db"], read_only=True) as st:
        assert st.con.execute("SELECT count(*) FROM journal").fetchall() == [(0,)]


def test_a_journal_under_a_folder_no_node_could_be_named_says_so(tmp_path: Path) -> None:
    """nodes/<name>/<name>_logs_kubelet.gz where the name is not a possible node name (a blank, a control character): its lines go
    to the bundle's node, and a problem says so (they went to 'cluster' silently)."""
    top = _mg_with_journal(tmp_path / "mg", _gz(_LINES[:400]))
    img = top / "quay-io-openshift-release-dev-sha256-def" / "nodes"
    (img / "n1").rename(img / "bad name")
    r = measure(tmp_path, top)
    assert [rs for m, rs in r["problems"] if "bad name" in m] == ["its folder's name is not a possible node name: its lines go to the bundle's node, cluster"]
    with Store(r["db"], read_only=True) as st:
        assert st.con.execute("SELECT DISTINCT node FROM journal").fetchall() == [("cluster",)]


@pytest.mark.slow
def test_timeline_over_a_large_journal_stays_within_a_small_memory_limit(tmp_path: Path) -> None:
    """The journal_lines view groups only the lines that have copies: its GROUP BY of every line with ordered lists did
    not spill, and timeline over a 300k-line journal ran out of 128 MB (2M lines: of 200 MB); now 96 MB do."""
    import gzip
    import os
    import subprocess

    from tests.test_layout import KUBESNAP_BIN

    buf = io.StringIO()
    for i in range(300_000):
        buf.write(f"Dec 01 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000000:06d} n1 kubenswrapper[2885]: I1201 11:11:51.5 2885 log.go:25] line {i}\n")
    r = measure(tmp_path, _mg_with_journal(tmp_path / "mg", gzip.compress(buf.getvalue().encode(), mtime=0)))
    env = {**os.environ, "KUBESNAP_MEMORY_LIMIT": "128MB"}
    p = subprocess.run([KUBESNAP_BIN, "timeline", "--db", str(r["db"])], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert p.returncode == 0, p.stderr[-300:]
    assert p.stdout.count("\n") > 300_000
