"""What the runtime says of itself (crictl version, crictl info) and docker's view of a dockershim-era or
cri-dockerd node (docker ps -a, docker inspect): each parser on every variant it claims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.errors import ParseError
from analyzer.models import ContainerObs, HostFact, Record, Sandbox
from analyzer.registry import ParseContext, load_parsers, sniff

SOURCES = ["crictl-version", "crictl-info", "docker-ps", "docker-inspect"]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
RKE2 = CORPUS / "bundles/rancher/r8s-example-log-bundle/w-guard-wg-cp-svtk6-lqtxw-2025-11-27_04_19_09/rke2/crictl"


def run(source: str, text: str, path: str = "x") -> tuple[list[Record], list[tuple[int | None, str]]]:
    ctx = ParseContext(path, text.encode())
    recs = list(load_parsers()[source].parse(ctx))
    return recs, ctx.problems


def facts(recs: list[Record]) -> dict[str, str | None]:
    return {r.key: r.value for r in recs if isinstance(r, HostFact)}


# ------------------------------------------------------------------ crictl version

def test_crictl_version_of_the_collector_and_of_a_real_rke2_node() -> None:
    got = facts(run("crictl-version", "Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v1.6.21\nRuntimeApiVersion:  v1\n")[0])
    assert got == {"cri.version": "0.1.0", "runtime.name": "containerd", "runtime.version": "v1.6.21", "runtime.api_version": "v1"}
    if (RKE2 / "version").is_file():  # the shared corpus: rke2 v1.32 with containerd 2.0.5-k3s2
        real = facts(run("crictl-version", (RKE2 / "version").read_text())[0])
        assert real["runtime.version"] == "v2.0.5-k3s2" and real["runtime.name"] == "containerd"
    with pytest.raises(ParseError):
        run("crictl-version", "crictl version v1.32.0\n")  # crictl's own --version: not the runtime's


# ------------------------------------------------------------------ crictl info

CONTAINERD_1 = {  # containerd 1.6 (CRI plugin config flat under "config"; the fixture nodes' form)
    "status": {"conditions": [{"type": "RuntimeReady", "status": True, "reason": "", "message": ""},
                              {"type": "NetworkReady", "status": False, "reason": "NetworkPluginNotReady",
                               "message": "Network plugin returns error: cni plugin not initialized"}]},
    "cniconfig": {"PluginDirs": ["/opt/cni/bin"], "PluginConfDir": "/etc/cni/net.d"},
    "config": {"containerd": {"snapshotter": "overlayfs", "defaultRuntimeName": "runc",
                              "runtimes": {"runc": {"runtimeType": "io.containerd.runc.v2", "options": {"SystemdCgroup": True}}}},
               "cni": {"binDir": "/opt/cni/bin", "confDir": "/etc/cni/net.d"},
               "registry": {"configs": {"reg.example:5000": {"auth": {"username": "u", "password": "SECRET-REGISTRY-PW"}}}},
               "sandboxImage": "registry.k8s.io/pause:3.6", "systemdCgroup": False, "rootDir": "/var/lib/containerd/io.containerd.grpc.v1.cri"},
    "golang": "go1.19.9", "lastCNILoadStatus": "cni config load failed: no network config found in /etc/cni/net.d",
}


def test_crictl_info_of_containerd_1_reads_driver_pause_image_handlers_and_conditions_never_the_registry() -> None:
    recs, problems = run("crictl-info", json.dumps(CONTAINERD_1, indent=2))
    got = facts(recs)
    assert not problems
    assert got["runtime.cgroup_driver"] == "systemd"  # the default runtime's option wins over the deprecated plugin-wide flag
    assert got["runtime.sandbox_image"] == "registry.k8s.io/pause:3.6"
    assert got["runtime.handlers"] == "runc" and got["runtime.default_handler"] == "runc"
    assert got["runtime.snapshotter"] == "overlayfs"
    assert got["runtime.condition.RuntimeReady"] == "true"
    assert str(got["runtime.condition.NetworkReady"]).startswith("false: NetworkPluginNotReady Network plugin returns error")
    assert str(got["runtime.cni.last_load_status"]).startswith("cni config load failed")
    assert not any("SECRET-REGISTRY-PW" in str(v) or v == "u" for v in got.values())
    # the old flag alone (no per-runtime option)
    old = json.loads(json.dumps(CONTAINERD_1))
    del old["config"]["containerd"]["runtimes"]
    assert facts(run("crictl-info", json.dumps(old))[0])["runtime.cgroup_driver"] == "cgroupfs"


def test_crictl_info_of_containerd_2_on_a_real_rke2_node() -> None:
    if not (RKE2 / "info").is_file():
        pytest.skip("the shared corpus is not here")
    got = facts(run("crictl-info", (RKE2 / "info").read_text())[0])
    assert got["runtime.cgroup_driver"] == "systemd"
    assert got["runtime.handlers"] == "runc,runhcs-wcow-process"
    assert got["runtime.default_handler"] == "runc"
    assert got["runtime.condition.RuntimeReady"] == "true" and got["runtime.condition.NetworkReady"] == "true"
    assert got["runtime.root_dir"] == "/var/lib/rancher/rke2/agent/containerd/io.containerd.grpc.v1.cri"
    assert "runtime.sandbox_image" not in got  # containerd 2 no longer says it here


def test_crictl_info_with_conditions_only_as_cri_o_and_cri_dockerd_answer() -> None:
    text = json.dumps({"status": {"conditions": [{"type": "RuntimeReady", "status": True}, {"type": "NetworkReady", "status": True}]}})
    assert facts(run("crictl-info", text)[0]) == {"runtime.condition.RuntimeReady": "true", "runtime.condition.NetworkReady": "true"}
    assert sniff(text)[0].name == "crictl-info"  # type: ignore[union-attr]


def test_crictl_info_of_the_wrong_shape_is_a_parse_error_or_nothing() -> None:
    with pytest.raises(ParseError):
        run("crictl-info", '{"status": ')
    assert run("crictl-info", json.dumps({"status": {"conditions": [1, {"type": "a b;c", "status": 1}]}, "config": []}))[0] == []


# ------------------------------------------------------------------ docker ps

ID = {n: f"{n:x}" * 64 for n in range(1, 8)}
for k in ID:
    ID[k] = ID[k][:64]
UID = "7e1f0c3a-5b8d-4c2e-9f10-2a3b4c5d6e7f"
# docker ps -a --no-trunc as docker 20.10 prints it: tabwriter, three spaces of padding
WIDTHS = (64, 71, 44, 27, 27, 22)


def _row(*cells: str) -> str:
    return "   ".join(c.ljust(w) for c, w in zip(cells, WIDTHS, strict=False)) + "   " + cells[-1]


DOCKER_PS = "\n".join([
    _row("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"),
    _row(ID[1], "sha256:" + "ab" * 32, '"/coredns -conf /etc/coredns/Corefile"', "2 hours ago", "Up 2 hours", "",
         f"k8s_coredns_coredns-74ff55c5b-8q2xv_kube-system_{UID}_0"),
    _row(ID[2], "k8s.gcr.io/pause:3.2", '"/pause"', "2 hours ago", "Up 2 hours", "", f"k8s_POD_coredns-74ff55c5b-8q2xv_kube-system_{UID}_0"),
    _row(ID[3], "sha256:" + "cd" * 32, '"/bin/sh -c \\"sleep 5; exit 1\\""', "About an hour ago", "Exited (137) 50 minutes ago", "",
         f"k8s_web_shop-web-0_shop_{UID}_3"),
    _row(ID[4], "registry:2", '"/entrypoint.sh /etc/docker/registry/config.yml"', "3 days ago", "Up 3 days (healthy)", "0.0.0.0:5000->5000/tcp",
         "registry"),
    _row(ID[5], "k8s.gcr.io/pause:3.2", '"/pause"', "5 minutes ago", "Created", "", f"k8s_POD_shop-web-0_shop_{UID}_4"),
])


def test_docker_ps_no_trunc_gives_sandboxes_and_containers_with_their_pods() -> None:
    recs, problems = run("docker-ps", DOCKER_PS + "\n")
    assert not problems
    sb = [r for r in recs if isinstance(r, Sandbox)]
    ct = [r for r in recs if isinstance(r, ContainerObs)]
    assert [(s.sandbox_id, s.name, s.namespace, s.pod_uid, s.attempt, s.state) for s in sb] == [
        (ID[2], "coredns-74ff55c5b-8q2xv", "kube-system", UID, 0, "Ready"), (ID[5], "shop-web-0", "shop", UID, 4, "NotReady")]
    by = {c.container_id: c for c in ct}
    assert by[ID[1]].name == "coredns" and by[ID[1]].state == "Running" and by[ID[1]].pod_name == "coredns-74ff55c5b-8q2xv"
    assert by[ID[3]].state == "Exited" and by[ID[3]].exit_code == 137 and by[ID[3]].attempt == 3 and by[ID[3]].pod_namespace == "shop"
    assert by[ID[3]].created_text == "About an hour ago"
    assert by[ID[4]].name == "registry" and by[ID[4]].pod_name is None and by[ID[4]].state == "Running"  # docker's own, not the kubelet's
    assert all(r.source == "docker-ps" for r in recs)  # type: ignore[attr-defined]
    assert sniff(DOCKER_PS)[0].name == "docker-ps"  # type: ignore[union-attr]


def test_docker_ps_without_no_trunc_and_of_kubernetes_before_1_5() -> None:
    # 12-hex ids, commands cut with "…", the old tabwriter (20 columns), the dockertools names (container.hash, random suffix)
    w = (20, 37, 23, 20, 27, 20)
    text = "\n".join("".join(c.ljust(n) for c, n in zip(r, w, strict=False)) + r[-1] for r in [
        ("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"),
        ("a1b2c3d4e5f6", "gcr.io/google_containers/pause:2.0", '"/pause"', "4 seconds ago", "Created", "",
         "k8s_POD.6059dfa2_kube-scheduler-node1_kube-system_c9bc5a66e6d1ac4e107961af3ad2bcca_fcf872d4"),
        ("0f1e2d3c4b5a", "nginx:1.9", "\"nginx -g 'daemon …\"", "2 days ago", "Exited (0) 2 days ago", "",
         "k8s_nginx.9b4b2d1e_web-1_default_0d9a1e42-f2f6-11e4-986e-42010af0c4d1_545ed227"),
    ])
    recs, problems = run("docker-ps", text)
    assert not problems
    sb, c = recs
    assert isinstance(sb, Sandbox) and sb.sandbox_id == "a1b2c3d4e5f6" and sb.name == "kube-scheduler-node1" and sb.attempt is None
    assert isinstance(c, ContainerObs) and c.name == "nginx" and c.exit_code == 0 and c.pod_name == "web-1" and c.state == "Exited"


def test_docker_ps_rows_it_cannot_read_are_problems_the_rest_is_kept() -> None:
    recs, problems = run("docker-ps", DOCKER_PS + "\nthis is not a row\n")
    assert len(recs) == 5 and problems and "not a docker ps row" in problems[0][1]
    with pytest.raises(ParseError):
        run("docker-ps", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n")


# ------------------------------------------------------------------ docker inspect

def _inspect(cid: str, name: str, labels: dict[str, str], **state: object) -> dict[str, object]:
    st = {"Status": "running", "Running": True, "Paused": False, "Restarting": False, "OOMKilled": False, "Dead": False, "Pid": 4242,
          "ExitCode": 0, "Error": "", "StartedAt": "2021-03-02T10:00:01.123456789Z", "FinishedAt": "0001-01-01T00:00:00Z"}  # fmt: skip
    st.update(state)
    return {
        "Id": cid, "Created": "2021-03-02T10:00:00.5Z", "Path": "/pause", "Args": [], "State": st, "Image": "sha256:" + "ef" * 32,
        "LogPath": f"/var/lib/docker/containers/{cid}/{cid}-json.log", "Name": "/" + name, "RestartCount": 0, "Driver": "overlay2",
        "HostConfig": {"NetworkMode": "host" if "POD" in name else f"container:{ID[2]}", "Runtime": "runc",
                       "CgroupParent": f"/kubepods/burstable/pod{UID}"},
        "GraphDriver": {"Name": "overlay2", "Data": {}},
        "Config": {"Hostname": "node1", "Image": "k8s.gcr.io/pause:3.2" if "POD" in name else "k8s.gcr.io/kube-proxy:v1.20.4", "Labels": labels},
        "NetworkSettings": {"IPAddress": ""},
    }  # fmt: skip


POD = {"io.kubernetes.pod.name": "kube-proxy-x7k2p", "io.kubernetes.pod.namespace": "kube-system", "io.kubernetes.pod.uid": UID}
DOCKER_INSPECT = [
    _inspect(ID[2], f"k8s_POD_kube-proxy-x7k2p_kube-system_{UID}_0", {**POD, "io.kubernetes.container.name": "POD", "io.kubernetes.docker.type": "podsandbox", "k8s-app": "kube-proxy"}),
    _inspect(ID[1], f"k8s_kube-proxy_kube-proxy-x7k2p_kube-system_{UID}_2",
             {**POD, "io.kubernetes.container.name": "kube-proxy", "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": ID[2],
              "io.kubernetes.container.logpath": f"/var/log/pods/kube-system_kube-proxy-x7k2p_{UID}/kube-proxy/2.log",
              "annotation.io.kubernetes.container.restartCount": "2"}),
    _inspect(ID[3], f"k8s_kube-proxy_kube-proxy-x7k2p_kube-system_{UID}_1",
             {**POD, "io.kubernetes.container.name": "kube-proxy", "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": ID[2]},
             Status="exited", Running=False, Pid=0, ExitCode=137, OOMKilled=True, FinishedAt="2021-03-02T11:00:00Z"),
    _inspect(ID[4], "registry", {}),
]  # fmt: skip


def test_docker_inspect_gives_sandboxes_and_containers_with_pids_exit_codes_and_log_paths() -> None:
    recs, problems = run("docker-inspect", json.dumps(DOCKER_INSPECT, indent=4))
    assert not problems
    sb = [r for r in recs if isinstance(r, Sandbox)]
    assert len(sb) == 1 and sb[0].sandbox_id == ID[2] and sb[0].pid == 4242 and sb[0].host_network is True and sb[0].state == "Ready"
    assert sb[0].name == "kube-proxy-x7k2p" and sb[0].cgroup_parent == f"/kubepods/burstable/pod{UID}" and sb[0].attempt == 0
    by = {r.container_id: r for r in recs if isinstance(r, ContainerObs)}
    run_, dead, own = by[ID[1]], by[ID[3]], by[ID[4]]
    assert run_.sandbox_id == ID[2] and run_.pid == 4242 and run_.attempt == 2 and run_.state == "Running" and run_.finished_at is None
    assert run_.log_path == f"/var/log/pods/kube-system_kube-proxy-x7k2p_{UID}/kube-proxy/2.log" and run_.image == "k8s.gcr.io/kube-proxy:v1.20.4"
    assert run_.started_at is not None and run_.started_at.isoformat().startswith("2021-03-02T10:00:01")
    assert dead.state == "Exited" and dead.exit_code == 137 and dead.reason == "OOMKilled" and dead.pid is None and dead.attempt == 1
    assert own.pod_name is None and own.name == "registry" and own.log_path and own.log_path.endswith("-json.log")
    assert sniff(json.dumps(DOCKER_INSPECT, indent=4))[0].name == "docker-inspect"  # type: ignore[union-attr]


def test_docker_inspect_objects_of_the_wrong_shape_are_problems_the_rest_is_kept() -> None:
    bad = [{"Id": "not-an-id"}, {"no": "id"}, 7, {**DOCKER_INSPECT[1], "State": {"Pid": "x" * 30, "Status": ["running"]}}, DOCKER_INSPECT[0]]
    recs, problems = run("docker-inspect", json.dumps(bad))
    assert [type(r).__name__ for r in recs] == ["ContainerObs", "Sandbox"]
    assert len(problems) == 3 and all("not" in p[1] for p in problems)
