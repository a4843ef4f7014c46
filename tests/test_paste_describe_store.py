"""Pasted `kubectl describe` of deployments, daemonsets, statefulsets, replication controllers and services is stored, not only
reported (issue 16): workloads rows (desired, ready, available, selector), a service as an api_objects row
of the JSON shape kubectl gives, and paste_sections counting what was stored."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.conftest import ingest_text

PASTE = """$ kubectl describe deployment web -n shop
Name:                   web
Namespace:              shop
CreationTimestamp:      Tue, 03 Dec 2024 10:00:00 +0000
Selector:               app=web
Replicas:               3 desired | 3 updated | 2 total | 2 available | 1 unavailable
StrategyType:           RollingUpdate
Events:          <none>
$ kubectl describe ds kube-proxy -n kube-system
Name:           kube-proxy
Selector:       k8s-app=kube-proxy
Desired Number of Nodes Scheduled: 3
Current Number of Nodes Scheduled: 3
Number of Nodes Scheduled with Up-to-date Pods: 3
Number of Nodes Scheduled with Available Pods: 2
Number of Nodes Misscheduled: 0
Pods Status:  2 Running / 1 Waiting / 0 Succeeded / 0 Failed
Events:         <none>
$ kubectl describe sts db -n shop
Name:               db
Namespace:          shop
Selector:           app=db
Replicas:           3 desired | 2 total
Update Strategy:    RollingUpdate
Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed
Events:  <none>
$ kubectl describe rc frontend -n shop
Name:         frontend
Namespace:    shop
Selector:     app=guestbook,tier=frontend
Labels:       app=guestbook
Annotations:  <none>
Replicas:     3 current / 3 desired
Pods Status:  2 Running / 1 Waiting / 0 Succeeded / 0 Failed
Events:       <none>
$ kubectl describe svc web -n shop
Name:              web
Namespace:         shop
Selector:          app=web,tier=front
Type:              ClusterIP
IP:                10.96.12.34
Port:              http  80/TCP
Events:            <none>
"""


def test_pasted_describes_of_workloads_and_services_are_stored(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, PASTE)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        wl = con.execute("SELECT kind, namespace, name, desired, ready, available, selector FROM workloads ORDER BY kind").fetchall()
        svc = con.execute("SELECT kind, namespace, name, raw FROM api_objects").fetchall()
        secs = con.execute("SELECT format, rows, stored FROM paste_sections WHERE rows IS NOT NULL ORDER BY first_line").fetchall()
    assert [w[:6] for w in wl] == [("DaemonSet", "kube-system", "kube-proxy", 3, 2, None), ("Deployment", "shop", "web", 3, 2, 2),
                                   ("ReplicationController", "shop", "frontend", 3, 2, None), ("StatefulSet", "shop", "db", 3, 2, None)]  # fmt: skip
    assert [json.loads(w[6]) for w in wl] == [{"k8s-app": "kube-proxy"}, {"app": "web"}, {"app": "guestbook", "tier": "frontend"}, {"app": "db"}]
    assert [s[:3] for s in svc] == [("Service", "shop", "web")]
    raw = json.loads(svc[0][3])
    assert raw["spec"] == {"type": "ClusterIP", "clusterIP": "10.96.12.34", "selector": {"app": "web", "tier": "front"}}
    assert raw["metadata"] == {"name": "web", "namespace": "shop"}
    assert secs == [("kubectl-describe-deployment", 1, 1), ("kubectl-describe-daemonset", 1, 1), ("kubectl-describe-statefulset", 1, 1),
                    ("kubectl-describe-rc", 1, 1), ("kubectl-describe-service", 1, 1)]  # fmt: skip


# kubernetes/kubeadm#1688 (a GitHub issue thread): `k get all -o wide` then `kd pod/...` (an alias of kubectl describe), the
# describe cut right after its container's name, as pastes into tickets often are
CUT = """```
root@ElastestSP1:~# k get all -o wide --all-namespaces
NAMESPACE     NAME                                      READY   STATUS             RESTARTS   AGE   IP           NODE          NOMINATED NODE   READINESS GATES
kube-system   pod/coredns-8476d449d8-d9whc              0/1     CrashLoopBackOff   7          17m   10.244.0.8   elastestsp1   <none>           <none>
kube-system   pod/coredns-8476d449d8-skxzc              1/1     Running            0          17m   10.244.2.4   elastestsp2   <none>           <none>
```

```root@ElastestSP1:~# kubectl describe pod/coredns-8476d449d8-d9whc -n kube-system
Name:                 coredns-8476d449d8-d9whc
Namespace:            kube-system
Priority:             2000000000
Priority Class Name:  system-cluster-critical
Node:                 elastestsp1/10.10.3.21
Start Time:           Tue, 13 Aug 2019 23:07:46 +0300
Labels:               k8s-app=kube-dns
                      pod-template-hash=8476d449d8
Annotations:          <none>
Status:               Running
IP:                   10.244.0.8
Controlled By:        ReplicaSet/coredns-8476d449d8
Containers:
  coredns:
"""


def test_a_describe_cut_short_makes_up_nothing_and_the_table_fills_in(tmp_path: Path) -> None:
    """The describe wins over the table for what it shows (node, IP, owner), but it was cut before the container's state,
    ready and restart count: those stay unknown in its own row, never 0 or the phase, and the pods view takes them from the
    table pasted beside it (CrashLoopBackOff after 7 restarts, not Running with 0)."""
    code, out, db = ingest_text(tmp_path, CUT)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        raw = con.execute("SELECT source, restarts, ready_text, status_text FROM api_pods WHERE name = 'coredns-8476d449d8-d9whc' ORDER BY source").fetchall()
        got = con.execute("SELECT source, restarts, ready_text, status_text, node_name, owner_name FROM pods WHERE name = 'coredns-8476d449d8-d9whc'").fetchall()
    assert ("kubectl-describe", None, None, None) in raw
    assert got == [("kubectl-describe", 7, "0/1", "CrashLoopBackOff", "elastestsp1", "coredns-8476d449d8")]
    # the verbs show the same: the table's cells (its age too: a paste has no time to count one from), and what
    # neither shows is unknown, not False and 0
    got_pods = _cli("get", "pods", "-n", "kube-system", "--db", str(db)).splitlines()
    assert got_pods[1].split() == ["coredns-8476d449d8-d9whc", "0/1", "CrashLoopBackOff", "7", "17m"]
    described = _cli("describe", "pod", "coredns-8476d449d8-d9whc", "-n", "kube-system", "--db", str(db))
    container = [ln.split(":", 1)[1].strip() for ln in described.splitlines() if ln.strip().startswith(("Ready:", "Restart Count:"))]
    assert container == ["<unknown>", "<unknown>"], described
    # cut above its QoS Class and Events: both unknown, never <none> (a third blind run, matt-deboer/kuill#83)
    assert "QoS Class:           <unknown>" in described and "Events:  <unknown> (the pasted describe ends above them)" in described, described


def _cli(*args: str) -> str:
    from click.testing import CliRunner

    from analyzer.cli import main

    r = CliRunner().invoke(main, list(args))
    assert r.exit_code == 0, r.output
    return r.output


# kubernetes/kubernetes#105838 (a GitHub issue): the command in Markdown inline code on its own line, then the describe
INLINE = """`kubectl describe node`
```
Name:               k8s-scheduler-test-w0-5
Roles:              <none>
Labels:             beta.kubernetes.io/arch=amd64
                    beta.kubernetes.io/os=linux
                    kubernetes.io/arch=amd64
                    kubernetes.io/hostname=k8s-scheduler-test-w0-5
                    kubernetes.io/os=linux
                    topology.csi/node=k8s-scheduler-test-w0-5
Annotations:        csi.volume.kubernetes.io/nodeid: {"plugin.csi.com":"k8s-scheduler-test-w0-5"}
                    kubeadm.alpha.kubernetes.io/cri-socket: /var/run/dockershim.sock
                    node.alpha.kubernetes.io/ttl: 0
                    volumes.kubernetes.io/controller-managed-attach-detach: true
CreationTimestamp:  Wed, 11 Nov 2020 17:38:27 -0800
Taints:             <none>
Unschedulable:      false
Lease:
  HolderIdentity:  k8s-scheduler-test-w0-5
  AcquireTime:     <unset>
  RenewTime:       Mon, 01 Nov 2021 11:20:43 -0700
Conditions:
```
"""


def test_a_command_in_inline_code_names_the_describe(tmp_path: Path) -> None:
    """"`kubectl describe node`" is the command, not a kind "node`": the describe is a node's, stored as one."""
    code, out, db = ingest_text(tmp_path, INLINE)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT name FROM api_nodes").fetchall() == [("k8s-scheduler-test-w0-5",)]
        assert con.execute("SELECT format, command FROM paste_sections WHERE rows IS NOT NULL").fetchall() == [("kubectl-describe-node", "kubectl describe node")]
    # cut before its Conditions and System Info: its status and version are unknown (kubectl's Unknown for a node with no
    # Ready condition, an empty VERSION), not NotReady and "None"
    assert _cli("get", "nodes", "--db", str(db)).splitlines()[1].split() == ["k8s-scheduler-test-w0-5", "Unknown", "<none>", "<unknown>"]
    # what it shows stays (Taints: <none>, Unschedulable: false); what it does not reach (the node's pods) is unknown, not 0
    described = _cli("describe", "node", "k8s-scheduler-test-w0-5", "--db", str(db))
    fields = {ln.split(":", 1)[0]: ln.split(":", 1)[1].strip() for ln in described.splitlines() if ":" in ln and not ln.startswith(" ")}
    assert (fields["Taints"], fields["Unschedulable"], fields["Non-terminated Pods"]) == ("<none>", "false", "<unknown> (no pod of the paste names this node)")
    cut = "$ kubectl describe node n1\nName:               n1\nRoles:              <none>\nLabels:             kubernetes.io/hostname=n1\n"
    d = tmp_path / "cut"
    d.mkdir()
    code, out, db = ingest_text(d, cut)
    described = _cli("describe", "node", "n1", "--db", str(db))
    fields = {ln.split(":", 1)[0]: ln.split(":", 1)[1].strip() for ln in described.splitlines() if ":" in ln and not ln.startswith(" ")}
    assert (fields["CreationTimestamp"], fields["Taints"], fields["Unschedulable"]) == ("<unknown>", "<unknown>", "<unknown>"), described


# kubernetes/minikube#4789 (a GitHub issue): the table, then a describe cut right after its Start Time, above its containers
CUT_ABOVE = """```
kubectl get pods -n kube-system
NAME                               READY   STATUS             RESTARTS   AGE
coredns-5c98db65d4-gvjr2           0/1     CrashLoopBackOff   39         143m
coredns-5c98db65d4-w5tqt           0/1     CrashLoopBackOff   39         143m
etcd-minikube                      1/1     Running            3          142m
kube-addon-manager-minikube        1/1     Running            3          142m
kube-apiserver-minikube            1/1     Running            0          24m
kube-controller-manager-minikube   1/1     Running            0          24m
kube-proxy-krrqq                   1/1     Running            0          24m
kube-scheduler-minikube            1/1     Running            0          24m
storage-provisioner                0/1     CrashLoopBackOff   39         143m
```

```
$ kubectl describe pod coredns-5c98db65d4-gvjr2 -n kube-system
Name:                 coredns-5c98db65d4-gvjr2
Namespace:            kube-system
Priority:             2000000000
Priority Class Name:  system-cluster-critical
Node:                 minikube/
Start Time:           Mon, 22 Jul 2019 13:13:26 +0100
```
"""


def test_a_describe_cut_above_its_containers_is_still_the_pods(tmp_path: Path) -> None:
    """With its namespace, node and start time the describe is a pod's (it was dropped: "no kubectl describe pod/node output
    found"): it gives the node the table has not, and the table what the describe never reached."""
    code, out, db = ingest_text(tmp_path, CUT_ABOVE)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute("SELECT source, namespace, node_name, restarts, ready_text, status_text FROM pods WHERE name = 'coredns-5c98db65d4-gvjr2'").fetchall()
    assert got == [("kubectl-describe", "kube-system", "minikube", 39, "0/1", "CrashLoopBackOff")]


# kubernetes/kubernetes#93826 (a GitHub issue): a describe pasted without a code block, every line at the first column
FLAT = """kubectl describe pods wordpress-5bbd7fd785-p4s9r:

Name: wordpress-5bbd7fd785-p4s9r
Namespace: default
Priority: 0
Node: manjeet-vostro-3558/192.168.43.166
Start Time: Sat, 08 Aug 2020 14:20:27 +0530
Labels: app=wordpress
pod-template-hash=5bbd7fd785
tier=frontend
Annotations: cni.projectcalico.org/podIP: 192.168.62.234/32
Status: Running
IP: 192.168.62.234
IPs:
IP: 192.168.62.234
Controlled By: ReplicaSet/wordpress-5bbd7fd785
Containers:
wordpress:
Container ID: docker://e5554cdd33621c05341ca5b6bd05c526ad9187e3b5afc7253d06d0c305c53aa9
Image: wordpress:4.8-apache
Image ID: docker-pullable://wordpress@sha256:6216f64ab88fc51d311e38c7f69ca3f9aaba621492b4f1fa93ddf63093768845
Port: 80/TCP
Host Port: 0/TCP
State: Running
Started: Sun, 09 Aug 2020 12:17:29 +0530
Last State: Terminated
Reason: Error
Exit Code: 1
Started: Sun, 09 Aug 2020 12:12:19 +0530
Finished: Sun, 09 Aug 2020 12:16:06 +0530
Ready: True
Restart Count: 19
Environment:
WORDPRESS_DB_HOST: wordpress-mysql
"""


def test_a_describe_with_its_indentation_lost_is_read_as_kubectl_printed_it(tmp_path: Path) -> None:
    """The container's Last State `Reason: Error` is not the pod's reason (its STATUS was read as Error), and the
    container, its 19 restarts and readiness are read (they were lost)."""
    code, out, db = ingest_text(tmp_path, FLAT)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        pods = con.execute("SELECT node_name, restarts, ready_text, status_text, phase, reason, owner_name FROM pods").fetchall()
        ctrs = con.execute("SELECT name, image, ready, restart_count, state, last_state, last_exit_code FROM api_containers").fetchall()
        labels = con.execute("SELECT labels FROM api_pods").fetchall()
    assert pods == [("manjeet-vostro-3558", 19, "1/1", "Running", "Running", None, "wordpress-5bbd7fd785")]
    assert ctrs == [("wordpress", "wordpress:4.8-apache", True, 19, "running", "terminated", 1)]
    assert json.loads(labels[0][0]) == {"app": "wordpress", "pod-template-hash": "5bbd7fd785", "tier": "frontend"}


def test_a_pod_describe_with_a_port_and_a_typed_volume_is_a_pods_whatever_its_indentation(tmp_path: Path) -> None:
    """aks-engine#2064 (tests/data/pastes/244): a container's Port: and a secret volume's Type: are no Service's fields, and
    a describe whose first line lost its one-blank indentation (or one indented whole) is read as kubectl printed it."""
    text = (Path(__file__).parent / "data" / "pastes" / "244-aksengine2064-describe-pod-first-line-unindented.txt").read_text(encoding="utf-8")
    body = text.split("```\n", 1)[1]
    for variant in (text, "$ kubectl describe pod portforwardlinux-6252-bc95f66d9-k5mdr\n" + body, "".join(" " + ln for ln in body.splitlines(True))):
        d = tmp_path / str(len(list(tmp_path.iterdir())))
        d.mkdir()
        code, out, db = ingest_text(d, variant)
        assert code == 0, out
        with duckdb.connect(str(db), read_only=True) as con:
            pods = con.execute("SELECT namespace, name, node_name, host_ip, phase FROM api_pods").fetchall()
            services = con.execute("SELECT count(*) FROM api_objects WHERE kind = 'Service'").fetchone()
        assert pods == [("default", "portforwardlinux-6252-bc95f66d9-k5mdr", "k8s-agent1-16547133-vmss000001", "10.240.0.5", "Pending")], variant[:80]
        assert services == (0,)


def test_a_describes_events_of_an_older_kubectl_are_stored_and_described(tmp_path: Path) -> None:
    """kelseyhightower/kubernetes-docker-files#4 (tests/data/pastes/246): kubectl 1.3's Events table inside a describe pod
    (FirstSeen LastSeen Count From SubobjectPath Type Reason Message, tabs) was read by the paste but not stored; and
    describe pod showed only a dump's events."""
    text = (Path(__file__).parent / "data" / "pastes" / "246-kelsey4-zsh-arrow-describe-1.3-tabs-events.txt").read_text(encoding="utf-8")
    code, out, db = ingest_text(tmp_path, text)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute("SELECT namespace, kind, name, type, reason, count, last_seen_text, first_seen_text FROM events").fetchall()
    assert got == [("default", "Pod", "nginx-3137573019-g1rt2", "Warning", "FailedScheduling", 3409, "32s", "16h")]
    described = _cli("describe", "pod", "nginx-3137573019-g1rt2", "--db", str(db))
    assert "FailedScheduling   32s" in described and "(the pod is on no node)" in described, described


def test_a_2015_describe_with_host_and_images_is_a_pod(tmp_path: Path) -> None:
    """kubernetes#6361 and #10324 (tests/data/pastes/034, 039): 2015's describe pod (`Image(s):`, `Host:`, no Namespace:)
    was read by the paste and then not stored ('no kubectl describe pod/node output found'); it is a pod of kubectl's
    default namespace, on its Host."""
    for paste, name, node in (("034-k8s6361-describe-pod-2015-host-no-events.txt", "monitoring-influx-grafana-controller-q7iga", "kubernetes-minion-avdn"),
                              ("039-k8s10324-describe-pod-2015-tabs-failed.txt", "foo", "e2e-test-yjhong-minion-y38q")):
        d = tmp_path / paste[:3]
        d.mkdir()
        code, out, db = ingest_text(d, (Path(__file__).parent / "data" / "pastes" / paste).read_text(encoding="utf-8"))
        assert code == 0, out
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("SELECT namespace, name, node_name FROM api_pods").fetchall() == [("default", name, node)]
            assert con.execute("SELECT count(*) FROM events WHERE type NOT IN ('Normal', 'Warning')").fetchone() == (0,)


def test_a_describes_event_source_gives_its_host(tmp_path: Path) -> None:
    """Azure/kubernetes-keyvault-flexvol#68 (2019-02-11: `kubelet, aks-agentpool-11854310-5`) and kubernetes/kubernetes#16586
    (2015-10-30: `{kubelet 127.0.0.1}`), from a third blind run: the host was lost, or stored whole as the component."""
    code, out, db = ingest_text(tmp_path, """$ kubectl describe pod web-1
Name:         web-1
Namespace:    default
Node:         aks-agentpool-11854310-5/10.240.0.5
Status:       Pending
Events:
  Type     Reason       Age   From                               Message
  ----     ------       ----  ----                               -------
  Normal   Scheduled    39s   default-scheduler                  Successfully assigned default/web-1 to aks-agentpool-11854310-5
  Warning  FailedMount  22s   kubelet, aks-agentpool-11854310-5  MountVolume.SetUp failed for volume "secrets"
""")
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT reason, component, host FROM events ORDER BY reason").fetchall() == [
            ("FailedMount", "kubelet", "aks-agentpool-11854310-5"), ("Scheduled", "default-scheduler", None)]
    from analyzer.parsers.kubectl_table import event_source

    assert event_source("{kubelet 127.0.0.1}") == ("kubelet", "127.0.0.1")
    assert event_source("{scheduler }") == ("scheduler", None)
