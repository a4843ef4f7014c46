"""kubectl describe pod / node pastes: read into the same records as the JSON dump."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import ParseError
from analyzer.models import ApiContainer, ApiNode, ApiPod, Event
from analyzer.parsers import kubectl_describe
from analyzer.registry import ParseContext, sniff

SOURCES = ["kubectl-describe"]

POD = """\
Name:             web-0
Namespace:        shop
Priority:         0
Service Account:  default
Node:             w1/10.0.0.12
Start Time:       Fri, 27 Nov 2026 09:12:01 +0000
Labels:           app=web
                  controller-revision-hash=web-5d8f
                  statefulset.kubernetes.io/pod-name=web-0
Annotations:      cni.projectcalico.org/podIP: 10.244.1.7/32
                  kubectl.kubernetes.io/restartedAt: 2026-11-27T09:00:00Z
Status:           Running
IP:               10.244.1.7
IPs:
  IP:           10.244.1.7
Controlled By:  StatefulSet/web
Init Containers:
  init-perms:
    Container ID:  containerd://1111111111111111111111111111111111111111111111111111111111111111
    Image:         busybox:1.36
    Image ID:      docker.io/library/busybox@sha256:3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79
    Port:          <none>
    Host Port:     <none>
    Command:
      sh
      -c
      chown 101 /data
    State:          Terminated
      Reason:       Completed
      Exit Code:    0
      Started:      Fri, 27 Nov 2026 09:12:03 +0000
      Finished:     Fri, 27 Nov 2026 09:12:03 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
Containers:
  web:
    Container ID:   containerd://a0a9b949e6d14d55418b33d7ae37ae9a0256cf3d1613f31939bec2186212ed09
    Image:          nginx:1.25
    Image ID:       docker.io/library/nginx@sha256:10d1f5b58f74683ad34eb29287e07dab1e90f10af243f151bb50aa5dbb4d62ee
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Fri, 27 Nov 2026 10:01:00 +0000
      Finished:     Fri, 27 Nov 2026 10:01:02 +0000
    Ready:          False
    Restart Count:  42
    Limits:
      memory:  128Mi
    Environment:
      POD_IP:   (v1:status.podIP)
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-x (ro)
  sidecar:
    Container ID:   containerd://9b1b823b9bcf1f6c2dd4cb5dcc24701199639ff3659e2b0feaf569d7750e0815
    Image:          fluent-bit:2.2
    Image ID:       docker.io/fluent/fluent-bit@sha256:aa
    State:          Running
      Started:      Fri, 27 Nov 2026 09:12:05 +0000
    Ready:          True
    Restart Count:  0
Conditions:
  Type              Status
  Initialized       True
  Ready             False
  ContainersReady   False
  PodScheduled      True
QoS Class:                   Burstable
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
Events:
  Type     Reason   Age                   From     Message
  ----     ------   ----                  ----     -------
  Normal   Pulled   48m                   kubelet  Container image "busybox:1.36" already present on machine
  Warning  BackOff  2m (x201 over 47m)    kubelet  Back-off restarting failed container web in pod web-0_shop(1234)
"""

NODE = """\
Name:               w1
Roles:              <none>
Labels:             beta.kubernetes.io/arch=amd64
                    kubernetes.io/hostname=w1
                    node-role.kubernetes.io/worker=
Annotations:        kubeadm.alpha.kubernetes.io/cri-socket: unix:///var/run/containerd/containerd.sock
                    node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Mon, 02 Oct 2023 10:00:00 +0000
Taints:             node.kubernetes.io/not-ready:NoSchedule
                    node.kubernetes.io/unreachable:NoExecute
Unschedulable:      false
Lease:
  HolderIdentity:  w1
  AcquireTime:     <unset>
  RenewTime:       Tue, 03 Oct 2023 16:20:00 +0000
Conditions:
  Type                 Status    LastHeartbeatTime                 LastTransitionTime                Reason              Message
  ----                 ------    -----------------                 ------------------                ------              -------
  NetworkUnavailable   False     Mon, 02 Oct 2023 10:05:00 +0000   Mon, 02 Oct 2023 10:05:00 +0000   CalicoIsUp          Calico is running on this node
  MemoryPressure       Unknown   Tue, 03 Oct 2023 16:18:00 +0000   Tue, 03 Oct 2023 16:21:00 +0000   NodeStatusUnknown   Kubelet stopped posting node status.
  Ready                Unknown   Tue, 03 Oct 2023 16:18:00 +0000   Tue, 03 Oct 2023 16:21:00 +0000   NodeStatusUnknown   Kubelet stopped posting node status.
Addresses:
  InternalIP:  10.0.0.12
  Hostname:    w1
Capacity:
  cpu:                4
  memory:             8148204Ki
System Info:
  Machine ID:                 0123456789abcdef0123456789abcdef
  Kernel Version:             5.15.0-86-generic
  OS Image:                   Ubuntu 22.04.3 LTS
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://1.7.2
  Kubelet Version:            v1.28.2
  Kube-Proxy Version:         v1.28.2
PodCIDR:                      10.244.1.0/24
Non-terminated Pods:          (1 in total)
  Namespace                   Name                CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----                ------------  ----------  ---------------  -------------  ---
  kube-system                 kube-proxy-abcde    0 (0%)        0 (0%)      0 (0%)           0 (0%)         40d
Events:
  Type     Reason        Age   From             Message
  ----     ------        ----  ----             -------
  Normal   NodeNotReady  5m    node-controller  Node w1 status is now: NodeNotReady
"""


def parse(text: str) -> list:
    ctx = ParseContext("describe.txt", text.encode())
    recs = list(kubectl_describe.parse(ctx))
    assert ctx.problems == []
    return recs


def test_describe_pod_reads_like_the_json_dump() -> None:
    assert getattr(sniff(POD)[0], "name", None) == "kubectl-describe"
    recs = parse(POD)
    (p,) = [r for r in recs if isinstance(r, ApiPod)]
    assert (p.source, p.namespace, p.name, p.node_name, p.host_ip, p.pod_ip, p.phase, p.qos_class) == (
        "kubectl-describe", "shop", "web-0", "w1", "10.0.0.12", "10.244.1.7", "Running", "Burstable")  # fmt: skip
    assert (p.status_text, p.ready_text, p.restarts, p.owner_kind, p.owner_name) == ("CrashLoopBackOff", "1/2", 42, "StatefulSet", "web")
    assert p.start_time is not None and p.start_time.isoformat() == "2026-11-27T09:12:01+00:00"
    assert p.labels == {"app": "web", "controller-revision-hash": "web-5d8f", "statefulset.kubernetes.io/pod-name": "web-0"}
    assert p.annotations == {"cni.projectcalico.org/podIP": "10.244.1.7/32", "kubectl.kubernetes.io/restartedAt": "2026-11-27T09:00:00Z"}
    cs = {c.name: c for c in recs if isinstance(c, ApiContainer)}
    assert set(cs) == {"init-perms", "web", "sidecar"} and cs["init-perms"].init and not cs["web"].init
    web = cs["web"]
    assert (web.container_id, web.runtime_scheme, web.image, web.state, web.state_reason, web.restart_count, web.ready) == (
        "a0a9b949e6d14d55418b33d7ae37ae9a0256cf3d1613f31939bec2186212ed09", "containerd", "nginx:1.25", "waiting", "CrashLoopBackOff", 42, False)  # fmt: skip
    assert (web.last_state, web.last_reason, web.last_exit_code) == ("terminated", "Error", 1)
    assert web.last_finished_at is not None and web.last_finished_at.isoformat() == "2026-11-27T10:01:02+00:00"
    assert (cs["sidecar"].state, cs["init-perms"].state, cs["init-perms"].exit_code) == ("running", "terminated", 0)
    evs = [(e.kind, e.name, e.type, e.reason, e.count, e.first_seen_text, e.last_seen_text, e.component) for e in recs if isinstance(e, Event)]
    assert evs == [("Pod", "web-0", "Normal", "Pulled", None, None, "48m", "kubelet"),
                   ("Pod", "web-0", "Warning", "BackOff", 201, "47m", "2m", "kubelet")]  # fmt: skip


def test_describe_node() -> None:
    assert getattr(sniff(NODE)[0], "name", None) == "kubectl-describe"
    recs = parse(NODE)
    (n,) = [r for r in recs if isinstance(r, ApiNode)]
    assert (n.name, n.ready, n.status_text, n.memory_pressure, n.internal_ip, n.kubelet_version, n.runtime_version, n.os_image) == (
        "w1", "Unknown", "Unknown", "Unknown", "10.0.0.12", "v1.28.2", "containerd://1.7.2", "Ubuntu 22.04.3 LTS")  # fmt: skip
    assert n.roles == ["worker"] and n.unschedulable is False
    assert n.conditions is not None and n.conditions[2] == {
        "type": "Ready", "status": "Unknown", "lastHeartbeatTime": "2023-10-03T16:18:00+00:00", "lastTransitionTime": "2023-10-03T16:21:00+00:00",
        "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status."}  # fmt: skip
    assert n.taints == [{"key": "node.kubernetes.io/not-ready", "value": None, "effect": "NoSchedule"},
                        {"key": "node.kubernetes.io/unreachable", "value": None, "effect": "NoExecute"}]  # fmt: skip
    assert [(e.kind, e.name, e.reason) for e in recs if isinstance(e, Event)] == [("Node", "w1", "NodeNotReady")]


def test_several_describes_in_one_paste_with_a_prompt_and_quote_prefix() -> None:
    text = "$ kubectl describe pod web-0 -n shop\n" + POD + "\n" + NODE
    recs = parse(text)
    assert [type(r).__name__ for r in recs if isinstance(r, (ApiPod, ApiNode))] == ["ApiPod", "ApiNode"]
    quoted = "".join("> " + ln + "\n" for ln in POD.splitlines())
    assert [r.model_dump() for r in parse(quoted)] == [r.model_dump() for r in parse(POD)]


def test_a_describe_of_something_else_is_not_taken_for_a_pod() -> None:
    svc = "Name:              web\nNamespace:         shop\nLabels:            app=web\nSelector:          app=web\nType:              ClusterIP\n"
    assert getattr(sniff(svc)[0], "name", None) != "kubectl-describe"
    with pytest.raises(ParseError, match="no kubectl describe pod/node output found"):
        list(kubectl_describe.parse(ParseContext("d.txt", svc.encode())))


def test_describe_with_a_table_without_namespaces_end_to_end(tmp_path: Path) -> None:
    """A describe and a `get pods` table (no -A) of the same pod: one pod in the site, the describe's,
    and the findings read the describe's container detail; a pod known only from the table is named without a namespace."""
    from analyzer import api

    (tmp_path / "describe.txt").write_text(POD + "\n" + NODE)
    (tmp_path / "pods.txt").write_text("NAME    READY   STATUS             RESTARTS      AGE\n"
                                       "web-0   1/2     CrashLoopBackOff   42 (3m ago)   2d\n"
                                       "batch   0/1     OOMKilled          3             1h\n")  # fmt: skip
    db = tmp_path / "a.duckdb"
    api.ingest_inputs(db, [tmp_path / "describe.txt", tmp_path / "pods.txt"], site="s")
    assert api.query(db, "SELECT namespace, name, source FROM pods ORDER BY name").rows == [
        (None, "batch", "kubectl-table"), ("shop", "web-0", "kubectl-describe")]  # fmt: skip
    _site, found = api.check(db)
    msgs = sorted((f.rule, f.message) for _r, f in found)
    assert ("CONTAINER_CRASHLOOP", "web of shop/web-0 is in CrashLoopBackOff after 42 restarts; last exit: Error (code 1)") in msgs
    assert ("CONTAINER_OOMKILLED", "batch is OOMKilled (3 restarts)") in msgs
    assert ("NODE_NOT_READY", "node w1 is Unknown: NodeStatusUnknown: Kubelet stopped posting node status. (since 2023-10-03T16:21:00+00:00)") in msgs
    assert not any("None" in m for _r, m in msgs)


def test_get_events_from_pastes_prints_their_ages(tmp_path: Path) -> None:
    """No kubectl dump of events: `kubesnap get events` prints the pasted ones, with the ages the paste had."""
    from analyzer import api
    from analyzer.verbs import open_site
    from analyzer.verbs.get import get

    (tmp_path / "describe.txt").write_text(POD)
    db = tmp_path / "a.duckdb"
    api.ingest_inputs(db, [tmp_path / "describe.txt"], site="s")
    with open_site(db) as sv:
        out = get(sv, "events", namespace="shop")
        wide = get(sv, "events", namespace="shop", output="wide")
    assert out.splitlines() == [
        "LAST SEEN   TYPE      REASON    OBJECT      MESSAGE",
        "2m          Warning   BackOff   pod/web-0   Back-off restarting failed container web in pod web-0_shop(1234)",
        '48m         Normal    Pulled    pod/web-0   Container image "busybox:1.36" already present on machine',
    ]
    assert wide.splitlines()[1].split()[-3:] == ["web-0_shop(1234)", "47m", "201"]


def test_verbs_read_pasted_describes_and_tables_as_they_read_bundles(tmp_path: Path) -> None:
    """Issue 16: a pasted describe pod / describe node / get nodes is what get and describe show, and get pods adds
    the pods known only from crictl's POD / NAMESPACE columns, each pod once."""
    from analyzer import api
    from analyzer.verbs import open_site
    from analyzer.verbs.describe import describe
    from analyzer.verbs.get import get

    (tmp_path / "describe.txt").write_text(POD + "\n" + NODE)
    (tmp_path / "nodes.txt").write_text("NAME   STATUS     ROLES           AGE   VERSION\n"
                                        "w2     Ready      <none>          41d   v1.28.2\n")  # fmt: skip
    # crictl 1.29+ ps: web-0 is also in the describe (once in get pods), cache-0 only here
    (tmp_path / "crictl-ps.txt").write_text(
        "CONTAINER       IMAGE           CREATED        STATE     NAME    ATTEMPT   POD ID          POD       NAMESPACE\n"
        "aaaaaaaaaaaa1   bbbbbbbbbbbb1   2 hours ago    Running   web     42        ccccccccccc01   web-0     shop\n"
        "aaaaaaaaaaaa2   bbbbbbbbbbbb2   3 hours ago    Running   redis   0         ccccccccccc02   cache-0   shop\n"
    )  # fmt: skip
    db = tmp_path / "a.duckdb"
    api.ingest_inputs(db, [tmp_path / "describe.txt", tmp_path / "nodes.txt"], site="s")
    api.ingest_inputs(db, [tmp_path / "crictl-ps.txt"], site="s", node="w1")
    with open_site(db) as sv:
        nodes = get(sv, "nodes").splitlines()
        pods = get(sv, "pods", namespace="shop").splitlines()
        pod = describe(sv, "pod", "web-0", "shop")
        node = describe(sv, "node", "w1")
        cache = describe(sv, "pod", "cache-0", "shop")
    assert [ln.split()[:2] for ln in nodes] == [["NAME", "STATUS"], ["w1", "NotReady"], ["w2", "Ready"]]
    assert nodes[2].split() == ["w2", "Ready", "<none>", "41d", "v1.28.2"]  # the pasted row as it was printed
    assert [ln.split()[0] for ln in pods] == ["NAME", "cache-0", "web-0"]  # web-0 once: the describe's
    assert pods[2].split()[:4] == ["web-0", "1/2", "CrashLoopBackOff", "42"]
    for s in ("Namespace:           shop", "  web:", "Restart Count: 42", "Waiting", "(from a pasted kubectl describe pod)"):
        assert s in pod, s
    for s in ("Name:              w1", "Roles:             worker", "Conditions:", "  Containers:    2"):
        assert s in node, s
    assert "Container ID:  containerd://aaaaaaaaaaaa2" in cache and "Status:              Running" in cache


def test_a_capture_of_a_failed_command_says_the_commands_error() -> None:
    """A rancher bundle's kubectl/nodesdescribe holds kubectl's RBAC error (the node's credentials may not list nodes): the
    problem quotes it, where it said 'no kubectl describe pod/node output found' (a blind run of other tools' bundles)."""
    from analyzer.parsers import kubectl_table

    text = b'Error from server (Forbidden): nodes is forbidden: User "system:node:w1" cannot list resource "nodes" in API group ""\n'
    for parse in (kubectl_describe.parse, kubectl_table.parse):
        with pytest.raises(ParseError, match=r"the command failed: Error from server \(Forbidden\): nodes is forbidden"):
            list(parse(ParseContext("nodesdescribe", text)))
