"""`kubesnap whois TARGET` on every kind of target: against the seed site (the walk of WALKTHROUGH.md, whose
answers the seed document spells out), the troubled site (its planted problems: a process in an unknown
container's cgroup, an ambiguous id prefix, an API pod with no sandbox, an orphan sandbox, an unscheduled pod),
and pastes only (the seed's own crictl and ps -ef captures of one node, a real `crictl ps` paste)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import api
from analyzer.cli import main
from analyzer.errors import UsageError
from analyzer.verbs.whois import EXIT_AMBIGUOUS, EXIT_FOUND, EXIT_NOT_FOUND, parse_target
from tests.conftest import examples

PROJECT = Path(__file__).resolve().parents[1]
CAPTURES = PROJECT / "fixtures" / "seed-captures"
PASTES = PROJECT / "tests" / "data" / "pastes"
CP1, CP2, W1, W2 = "playcekube-controlplane01", "playcekube-controlplane02", "playcekube-worker01", "playcekube-worker02"
APISERVER = f"kube-apiserver-{CP1}"
SANDBOX = "4b942abe81e3850da73f75859f5f953b1c4e904b2c76c7f5d8d171d6cef8fdb1"
CONTAINER = "98fb36a5799ac4dc95da00534dc4abe1f51659077d02c330fb6679ad2149f616"
LOG_DIR = f"/var/log/pods/kube-system_{APISERVER}_244aa42df99e67657b283cb86965d6d7"


def whois(db: Path | str, *args: str, code: int = EXIT_FOUND) -> str:
    res = CliRunner().invoke(main, ["whois", *args, "--db", str(db)])
    assert res.exit_code == code, (args, res.exit_code, res.output)
    return res.stdout


def chain(db: Path | str, *args: str, code: int = EXIT_FOUND) -> dict[str, Any]:
    doc = json.loads(whois(db, *args, "-o", "json", code=code))
    assert isinstance(doc, dict)
    return doc


def links(doc: dict[str, Any]) -> dict[str, str]:
    return {m["link"]: m["why"] for m in doc["chain"]["missing"]}


# ------------------------------------------------------------------ reading the target


def test_targets_are_read_by_their_shape() -> None:
    assert [(t.kind, t.pid, t.id) for t in parse_target("527345")] == [("pid", 527345, None), ("id", None, "527345"), ("pod", None, None)]
    assert [(t.kind, t.id) for t in parse_target(f"containerd://{CONTAINER}")] == [("id", CONTAINER)]
    assert [(t.kind, t.id) for t in parse_target("98FB36A5")] == [("id", "98fb36a5")]
    pod = parse_target(f"{LOG_DIR}/kube-apiserver/1.log")
    assert [(t.kind, t.namespace, t.pod, t.pod_uid, t.container, t.restart) for t in pod] == [
        ("pod", "kube-system", APISERVER, "244aa42df99e67657b283cb86965d6d7", "kube-apiserver", 1)]  # fmt: skip
    link = parse_target(f"/var/log/containers/{APISERVER}_kube-system_kube-apiserver-{CONTAINER}.log")
    assert [(t.kind, t.id, t.pod) for t in link] == [("id", CONTAINER, None), ("pod", None, APISERVER)]
    systemd = f"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod244aa42df99e67657b283cb86965d6d7.slice/cri-containerd-{CONTAINER}.scope"
    assert [(t.kind, t.id, t.pod_uid) for t in parse_target(systemd)] == [("id", CONTAINER, None), ("pod", None, "244aa42df99e67657b283cb86965d6d7")]
    cgroupfs = f"/kubepods/besteffort/pod0a1b2c3d-0000-1111-2222-333344445555/{CONTAINER}"
    assert [(t.kind, t.id, t.pod_uid) for t in parse_target(cgroupfs)] == [("id", CONTAINER, None), ("pod", None, "0a1b2c3d-0000-1111-2222-333344445555")]
    assert [(t.kind, t.pid, t.cgroup) for t in parse_target("/system.slice/kubelet.service")] == [("pid", None, "/system.slice/kubelet.service")]
    assert [(t.kind, t.namespace, t.pod) for t in parse_target("shop/web-0")] == [("pod", "shop", "web-0")]
    assert [(t.kind, t.namespace, t.pod) for t in parse_target("pod/web-0")] == [("pod", None, "web-0")]
    for bad in ("", "   ", "Web_0!", "x" * 5000):
        with pytest.raises(UsageError):
            parse_target(bad)


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=300))
def test_any_target_is_read_or_refused_as_a_usage_error(s: str) -> None:
    try:
        readings = parse_target(s)
    except UsageError:
        return
    assert readings and all(t.kind in ("pid", "id", "pod") for t in readings)
    assert all(t.pid is None or 0 <= t.pid <= 9_999_999 for t in readings)


# ------------------------------------------------------------------ the seed site


@pytest.fixture(scope="module")
def seed(seed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("whois-seed") / "s.duckdb"
    shutil.copy(seed_db, d)
    api.check(d)
    return d


def test_pid_gives_the_seed_walk(seed: Path) -> None:
    """The walk of WALKTHROUGH.md step 5, in one command: process 527345 -> shim 527179 -> sandbox 4b942abe81e38
    -> container 98fb36a5799ac -> pod kube-apiserver-playcekube-controlplane01 -> its log directory."""
    doc = chain(seed, "527345", "--node", CP1)
    c = doc["chain"]
    assert (doc["status"], c["node"], c["namespace"], c["pod"]) == ("found", CP1, "kube-system", APISERVER)
    assert c["pod_uid"] == "244aa42df99e67657b283cb86965d6d7"  # the node's uid (the static pod's config hash), not the API's
    assert [s["id"] for s in c["sandboxes"]] == [SANDBOX] and c["sandboxes"][0]["pause_pid"] == 527198
    assert c["shim_pids"] == [527179]
    assert [(x["name"], x["id"], x["pid"], x["shim_pid"], x["attempt"], x["restarts"]) for x in c["containers"]] == [
        ("kube-apiserver", CONTAINER, 527345, 527179, 1, 1)]  # fmt: skip
    assert [(p["pid"], p["ppid"], p["role"], p["depth"], p["target"]) for p in c["processes"]] == [
        (527179, 1, "shim", 0, False), (527198, 527179, "pause", 1, False), (527345, 527179, "container", 1, True)]  # fmt: skip
    assert c["log_dir"] == LOG_DIR
    assert [f["path"] for f in c["log_files"]] == [f"{LOG_DIR}/kube-apiserver/0.log", f"{LOG_DIR}/kube-apiserver/1.log"]
    assert [x["target"] for x in c["log_links"]] == [f"{LOG_DIR}/kube-apiserver/1.log"]
    assert c["api"]["status"] == "Running" and c["api"]["static"] is True
    assert [f["rule"] for f in c["findings"]] == ["CONTROL_PLANE_RESTARTS"]
    assert c["missing"] == []
    text = whois(seed, "527345", "--node", CP1)
    for s in (f"pod:      kube-system/{APISERVER}", f"sandbox:  {SANDBOX} Ready", "shim pid: 527179", f"log dir:  {LOG_DIR}",
              "> 527345   527179", "\\_ kube-apiserver --advertise-address=10.0.0.21", "CONTROL_PLANE_RESTARTS"):  # fmt: skip
        assert s in text, s


@pytest.mark.parametrize(
    "target",
    [
        "98fb36a5799ac",  # crictl ps CONTAINER
        CONTAINER.upper(),
        f"containerd://{CONTAINER}",  # kubectl's containerID
        "4b942abe81e38",  # crictl pods POD ID
        SANDBOX,  # the shim's -id
        f"kube-system/{APISERVER}",
        APISERVER,
        f"{LOG_DIR}/kube-apiserver/1.log",
        LOG_DIR,
        f"/var/log/containers/{APISERVER}_kube-system_kube-apiserver-{CONTAINER}.log",
        f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod244aa42df99e67657b283cb86965d6d7.slice/cri-containerd-{CONTAINER}.scope",
        f"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod244aa42df99e67657b283cb86965d6d7.slice/cri-containerd-{SANDBOX}.scope",
        f"/kubepods/burstable/pod244aa42df99e67657b283cb86965d6d7/{CONTAINER}",  # cgroupfs driver
        "kubepods-burstable-pod244aa42df99e67657b283cb86965d6d7.slice",  # the pod's slice alone: by uid
    ],
)
def test_every_kind_of_target_reaches_the_same_pod(seed: Path, target: str) -> None:
    c = chain(seed, target)["chain"]
    assert (c["node"], c["namespace"], c["pod"], [s["id"] for s in c["sandboxes"]], c["shim_pids"]) == (CP1, "kube-system", APISERVER, [SANDBOX], [527179])
    assert [x["id"] for x in c["containers"]] == [CONTAINER]
    assert 527345 in [p["pid"] for p in c["processes"]]


def test_the_log_file_asked_for_is_marked(seed: Path) -> None:
    c = chain(seed, f"{LOG_DIR}/kube-apiserver/1.log")["chain"]
    assert [(f["path"].rsplit("/", 1)[-1], f["target"]) for f in c["log_files"]] == [("0.log", False), ("1.log", True)]
    assert "this path" in whois(seed, f"{LOG_DIR}/kube-apiserver/1.log")


def test_ambiguous_pid_prefix_and_name_list_the_candidates(seed: Path) -> None:
    pid1 = chain(seed, "1", code=EXIT_AMBIGUOUS)
    assert pid1["status"] == "ambiguous" and pid1["chain"] is None
    assert sorted(c["node"] for c in pid1["candidates"]) == sorted(
        ["playcekube-controlplane01", "playcekube-controlplane02", "playcekube-controlplane03", "playcekube-deploy", W1, W2])
    assert "--node NAME picks one node" in pid1["reasons"][0]
    assert chain(seed, "1", "--node", CP2)["chain"]["processes"][0]["pid"] == 1  # --node picks one
    pods = chain(seed, "kube-apiserver", code=EXIT_AMBIGUOUS)["candidates"]  # a prefix of three pods
    assert sorted(c["pod"] for c in pods) == [f"kube-apiserver-playcekube-controlplane0{i}" for i in (1, 2, 3)]
    assert chain(seed, "kube-apiserver", "--node", CP1)["chain"]["pod"] == APISERVER
    short = chain(seed, "4b9", code=EXIT_NOT_FOUND)  # under 4 hex digits is no id, and no pod starts so
    assert short["status"] == "not-found"
    text = whois(seed, "kube-apiserver", code=EXIT_AMBIGUOUS)
    assert text.startswith("ambiguous: pod kube-apiserver fits 3 objects\n") and "KIND" in text


def test_not_found_says_what_was_looked_for(seed: Path) -> None:
    doc = chain(seed, "ffffffffffff", code=EXIT_NOT_FOUND)
    assert doc["status"] == "not-found" and "no container, sandbox, shim, log link or API container has an id starting so" in doc["reasons"][0]
    assert "neither the API view, the runtimes nor the log directories know such a pod" in doc["reasons"][1]
    assert whois(seed, "4194304", code=EXIT_NOT_FOUND).startswith("not found: pid 4194304: no process with that pid")
    res = CliRunner().invoke(main, ["whois", "bad name!", "--db", str(seed)])
    assert res.exit_code == 2 and "is not a pid, a container or sandbox id" in res.output


def test_a_host_process_belongs_to_no_pod(seed: Path) -> None:
    doc = chain(seed, "25835", "--node", CP1)
    c = doc["chain"]
    assert c["pod"] is None and c["sandboxes"] == [] and c["containers"] == []
    assert [(p["pid"], p["target"]) for p in c["processes"]] == [(1, False), (25835, True)]  # its ancestry
    assert links(doc) == {"pod": "pid 25835 is not under any shim and its cgroup names no pod: a host process (service kubelet)"}
    host = chain(seed, "/system.slice/kubelet.service", "--node", CP1)["chain"]
    assert host["cgroup_pids"] == [25835] and {m["link"] for m in host["missing"]} == {"pod"}


# ------------------------------------------------------------------ the troubled site


@pytest.fixture(scope="module")
def troubled(troubled_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("whois-troubled") / "t.duckdb"
    shutil.copy(troubled_db, d)
    api.check(d)
    return d


def test_a_process_in_the_cgroup_of_a_container_the_runtime_does_not_list(troubled: Path) -> None:
    doc = chain(troubled, "72080")
    c = doc["chain"]
    assert (c["node"], c["namespace"], c["pod"], c["shim_pids"]) == (W1, "shop", "cache-0", [72000])  # by the pod uid of its cgroup
    assert links(doc)["container"].startswith("pid 72080 is in the cgroup of container 3db3220aa0aa6, which the runtime of playcekube-worker01 does not list")
    assert {"PROCESS_NO_CONTAINER", "CONTAINER_NO_PROCESS"} <= {f["rule"] for f in c["findings"]}


def test_the_planted_ambiguous_prefix(troubled: Path) -> None:
    doc = chain(troubled, "5eed5eed5eed5", code=EXIT_AMBIGUOUS)
    assert sorted((c["pod"], c["id"][:16]) for c in doc["candidates"]) == [("twins-5c8d7-abcde", "5eed5eed5eed5129"), ("twins-5c8d7-abcde", "5eed5eed5eed5456")]
    assert chain(troubled, "5eed5eed5eed5456")["chain"]["pod"] == "twins-5c8d7-abcde"


def test_missing_links_of_the_planted_pods(troubled: Path) -> None:
    stale = chain(troubled, "web-stale-6d9f7c-qq2xz")
    assert links(stale)["sandbox"] == f"the runtime of {W2} lists no sandbox for it"
    assert "API_POD_NO_SANDBOX" in {f["rule"] for f in stale["chain"]["findings"]}
    orphan = chain(troubled, "old-batch-28290120-x7v2m")
    assert links(orphan) == {"API": "no kubectl view lists this pod"} and orphan["chain"]["shim_pids"] == [71000]
    assert "ORPHAN_SANDBOX" in {f["rule"] for f in orphan["chain"]["findings"]}
    pending = chain(troubled, "shop/reports-6f7a8b-zz9yx")
    assert links(pending) == {"node": "the pod is not scheduled on any node"} and pending["chain"]["api"]["status"] == "Pending"


# ------------------------------------------------------------------ pastes only


@pytest.fixture(scope="module")
def pasted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's own captures of controlplane01 (crictl pods, crictl ps, ps -ef cut at 150 columns) and the
    bastion's kubectl tables: what a customer would paste into a ticket, no bundle at all."""
    db = tmp_path_factory.mktemp("whois-pasted") / "p.duckdb"
    rep = api.ingest_inputs(db, sorted(CAPTURES.glob("controlplane01-*.txt")), node=CP1)
    assert not rep.problems, rep.problems
    rep = api.ingest_inputs(db, sorted(CAPTURES.glob("bastion-*.txt")))
    assert not rep.problems, rep.problems
    return db


def test_pastes_give_the_seed_chain_with_what_they_lack(pasted: Path) -> None:
    doc = chain(pasted, "527345")
    c = doc["chain"]
    assert (c["node"], c["namespace"], c["pod"]) == (CP1, "kube-system", APISERVER)
    assert [s["id"] for s in c["sandboxes"]] == ["4b942abe81e3850da73f75859f5f953b1c4e9"]  # the shim's -id, cut at 150 columns
    assert c["shim_pids"] == [527179] and [(x["id"], x["pid"]) for x in c["containers"]] == [("98fb36a5799ac", 527345)]
    assert [(p["pid"], p["role"], p["join"]) for p in c["processes"]] == [(527179, "shim", "inferred"), (527345, "container", "inferred/only-container")]
    assert c["api"]["source"] == "kubectl-table" and c["api"]["restarts"] == 1
    assert links(doc) == {"log files": f"no /var/log/pods files or listing in the pastes of node {CP1}"}
    # the full id finds the prefix the paste shows; the container id too
    for target in (SANDBOX, CONTAINER, "98fb36a5799ac", "4b942abe81e38"):
        assert chain(pasted, target)["chain"]["pod"] == APISERVER, target


def test_pastes_partial_chains(pasted: Path) -> None:
    calico = chain(pasted, "c1eb5a0d173e1")  # `ps -ef | grep -E 'kube|conta'` kept calico's shim, not its processes
    assert calico["chain"]["pod"] == "calico-node-cw4rj" and calico["chain"]["shim_pids"] == [27523]
    assert links(calico)["process"].startswith("container calico-node (c1eb5a0d173e1) is Running but the process list of the pastes of node")
    other = chain(pasted, "etcd-playcekube-controlplane02")  # only the bastion's `get pods -o wide` knows it
    assert other["chain"]["node"] == CP2 and other["chain"]["api"]["status"] == "Running"
    assert links(other) == {"node view": f"no bundle or paste of node {CP2} was ingested: no sandbox, containers, shim, processes or log files"}
    host = chain(pasted, "25835")
    assert links(host) == {"pod": "pid 25835 is not under any shim and its cgroup names no pod: a host process (service kubelet)"}


def test_a_crictl_ps_paste_alone(tmp_path: Path) -> None:
    """A real paste (tests/data/pastes/112): crictl ps with its POD column, nothing else."""
    db = tmp_path / "x.duckdb"
    api.ingest_inputs(db, [next(PASTES.glob("112-*.txt"))], node="master-node")
    doc = chain(db, "0493210a252eb")
    c = doc["chain"]
    assert (c["node"], c["namespace"], c["pod"]) == ("master-node", None, "kube-apiserver-master-node")
    assert [s["id"] for s in c["sandboxes"]] == ["73b158a97e9d0"] and [(x["name"], x["attempt"]) for x in c["containers"]] == [("kube-apiserver", 10)]
    assert links(doc) == {
        "API": "no kubectl dump or pasted kubectl output in this database",
        "processes": "no process list (ps) in the pastes of node master-node: no shim, no process tree",
        "log files": "no /var/log/pods files or listing in the pastes of node master-node",
    }
    assert chain(db, "kube-apiserver-master-node")["chain"]["containers"][0]["id"] == "0493210a252eb"
    assert chain(db, "kube-", code=EXIT_AMBIGUOUS)["status"] == "ambiguous"


def test_a_paste_without_its_node_says_so(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    api.ingest_inputs(db, [CAPTURES / "controlplane01-crictl-ps.txt"])
    doc = chain(db, "98fb36a5799ac")
    assert links(doc)["node"] == "the paste did not name its node: ingest it with --node NAME"


def test_hostile_names_are_escaped_and_json_is_exact(tmp_path: Path) -> None:
    """A pasted kubectl JSON whose pod name and messages carry OSC 52, OSC 0, CSI 2J, a bidi override and a C1
    CSI: the text shows them escaped (through the sanitizer), -o json gives back the exact name."""
    from tests.test_redteam_output import POD_ESC, SHOWN, _api_paste

    paste = tmp_path / "pods.json"
    paste.write_bytes(_api_paste())
    db = tmp_path / "h.duckdb"
    api.ingest_inputs(db, [paste])
    text = whois(db, "title")  # the name's prefix: the rest of it is not a name anyone can type
    assert SHOWN in text and "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert chain(db, "title")["chain"]["pod"] == POD_ESC
