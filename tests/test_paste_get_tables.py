"""`kubectl get` of kinds with no reader of their own (deployments, replicasets, claims, namespaces, custom resources,
`get all`'s other tables), `kubectl top` and `kubectl version`, pasted (issue 16): read into records by their column
names, headerless rows by the columns kubectl prints for the kind the command names, and stored (workloads,
api_objects, cluster_versions), not reported as unread."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from analyzer.parsers.kubectl_table import api_kind
from analyzer.paste import Section, split
from tests.conftest import ingest_text


def _data(text: str) -> list[Section]:
    return [s for s in split(text) if s.is_data]


# (command, table as kubectl prints it, the kind, the first row's record less kind): releases old and new
TABLES = [
    ("kubectl get deploy -n kube-system", """\
NAME             READY   UP-TO-DATE   AVAILABLE   AGE
coredns          2/2     2            2           41d
metrics-server   0/1     1            0           3d""", "Deployment",
     {"name": "coredns", "ready": "2/2", "up_to_date": 2, "available": 2, "age": "41d", "namespace": "kube-system"}),
    ("kubectl get deployments", """\
NAME         DESIRED   CURRENT   UP-TO-DATE   AVAILABLE   AGE
nginx        3         3         3            3           2d""", "Deployment",
     {"name": "nginx", "desired": 3, "current": 3, "up_to_date": 3, "available": 3, "age": "2d"}),
    ("kubectl get rs -o wide", """\
NAME             DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES         SELECTOR
web-6d4cf56db6   3         3         0       5m    web          nginx:1.25     app=web,pod-template-hash=6d4cf56db6""",
     "ReplicaSet", {"name": "web-6d4cf56db6", "desired": 3, "current": 3, "ready": 0, "age": "5m", "containers": "web",
                    "images": "nginx:1.25", "selector": "app=web,pod-template-hash=6d4cf56db6"}),
    ("kubectl get pvc -A", """\
NAMESPACE   NAME        STATUS    VOLUME                                     CAPACITY   ACCESS MODES   STORAGECLASS   AGE
db          data-pg-1   Pending                                                                        standard       1h
db          data-pg-0   Bound     pvc-5c1f2a3e-6c1d-4a53-9a2d-1b0b2c7e8f90   10Gi       RWO            standard       12d""",
     "PersistentVolumeClaim", {"namespace": "db", "name": "data-pg-1", "status": "Pending", "volume": "", "capacity": "",
                               "access_modes": "", "storageclass": "standard", "age": "1h"}),
    ("kubectl get pv", """\
NAME       CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM          STORAGECLASS   REASON   AGE
pv-local   5Gi        RWO            Retain           Bound    db/data-pg-0   local                   3d""",
     "PersistentVolume", {"name": "pv-local", "capacity": "5Gi", "access_modes": "RWO", "reclaim_policy": "Retain",
                          "status": "Bound", "claim": "db/data-pg-0", "storageclass": "local", "reason": "", "age": "3d"}),
    ("kubectl -n kube-system get cm", """\
NAME                                 DATA   AGE
coredns                              1      41d""", "ConfigMap", {"name": "coredns", "data": 1, "age": "41d", "namespace": "kube-system"}),
    ("kubectl get ns", """\
NAME          STATUS        AGE
default       Active        41d
stuck         Terminating   2d""", "Namespace", {"name": "default", "status": "Active", "age": "41d"}),
    ("kubectl get cronjobs", """\
NAME     SCHEDULE      SUSPEND   ACTIVE   LAST SCHEDULE   AGE
backup   0 2 * * *     False     0        21h             30d""", "CronJob",
     {"name": "backup", "schedule": "0 2 * * *", "suspend": "False", "active": 0, "last_schedule": "21h", "age": "30d"}),
    ("kubectl get certificates.cert-manager.io -n shop", """\
NAME       READY   SECRET     AGE
web-tls    False   web-tls    3d""", "certificates.cert-manager.io",
     {"name": "web-tls", "ready": "False", "secret": "web-tls", "age": "3d", "namespace": "shop"}),
    ("microk8s kubectl top pods -A", """\
NAMESPACE     NAME                       CPU(cores)   MEMORY(bytes)
kube-system   coredns-565d847f94-8kq2x   3m           13Mi""", None,
     {"namespace": "kube-system", "name": "coredns-565d847f94-8kq2x", "cpu_cores": "3m", "memory_bytes": "13Mi"}),
]  # fmt: skip


@pytest.mark.parametrize(("command", "table", "kind", "first"), TABLES, ids=[t[0] for t in TABLES])
def test_a_get_of_any_kind_is_read_by_its_columns(command: str, table: str, kind: str | None, first: dict[str, object]) -> None:
    (sec,) = _data(f"$ {command}\n{table}\n")
    assert sec.kind == ("kubectl-top" if " top " in command else "kubectl-get")
    assert not sec.problems
    assert len(sec.records) == table.count("\n")
    rec = dict(sec.records[0])
    assert rec.pop("api_kind", None) == kind
    assert rec == first


def test_without_a_command_a_header_of_kubectl_columns_ending_in_age_is_a_get_table() -> None:
    (sec,) = _data("NAME          STATUS   AGE\nkube-system   Active   41d\n")
    assert (sec.kind, sec.records) == ("kubectl-get", [{"name": "kube-system", "status": "Active", "age": "41d", "api_kind": None}])
    # a table of another tool under its command is not kubectl's
    assert [s.kind for s in _data("$ helm list\nNAME   NAMESPACE   REVISION   UPDATED   STATUS   CHART\nweb    shop        3          today     failed   web-1.0\n")] != ["kubectl-get"]


def test_headerless_rows_take_the_columns_of_the_kind_the_command_names() -> None:
    secs = _data("""$ kubectl get deploy -A | grep web
shop          web                 0/1     1            0           5m
$ kubectl get rs | grep web
web-6d4cf56db6      3         3         0       5m
$ kubectl top node | grep worker
worker-1   1021m        51%    5211Mi          68%
""")
    assert [s.kind for s in secs] == ["kubectl-get", "kubectl-get", "kubectl-top"]
    assert secs[0].records == [{"namespace": "shop", "name": "web", "ready": "0/1", "up_to_date": 1, "available": 0, "age": "5m", "api_kind": "Deployment"}]
    assert secs[1].records[0]["api_kind"] == "ReplicaSet" and secs[1].records[0]["desired"] == 3
    assert secs[2].records == [{"name": "worker-1", "cpu_cores": "1021m", "cpu": "51%", "memory_bytes": "5211Mi", "memory": "68%"}]
    # a headerless row of a known kind read as a pod table before: READY n/m, then a number
    assert all(s.kind != "kubectl-get-pods" for s in secs)


def test_a_headerless_row_of_another_shape_is_a_problem_naming_its_line() -> None:
    text = "$ kubectl get deploy | grep web\nweb                 0/1     1            0           5m\nweb-2     0/1\n"
    (sec,) = _data(text)
    assert sec.kind == "kubectl-get" and len(sec.records) == 1
    assert sec.problems and sec.problems[0].startswith("line 3: a row of `kubectl get deploy | grep web` without a header")


def test_get_all_reads_every_table_with_the_kind_of_its_rows() -> None:
    secs = _data("""$ kubectl get all -n web
NAME                       READY   STATUS             RESTARTS      AGE
pod/web-6d4cf56db6-2xk9p   0/1     CrashLoopBackOff   5 (32s ago)   5m

NAME          TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)   AGE
service/web   ClusterIP   10.96.12.34    <none>        80/TCP    5m

NAME                  READY   UP-TO-DATE   AVAILABLE   AGE
deployment.apps/web   0/1     1            0           5m

NAME                             DESIRED   CURRENT   READY   AGE
replicaset.apps/web-6d4cf56db6   1         1         0       5m

NAME                                             REFERENCE        TARGETS         MINPODS   MAXPODS   REPLICAS   AGE
horizontalpodautoscaler.autoscaling/web          Deployment/web   <unknown>/80%   1         5         1          5m
""")
    assert [s.kind for s in secs] == ["kubectl-get-pods", "kubectl-get-services", "kubectl-get", "kubectl-get", "kubectl-get"]
    # `kind` as printed (as a get pods,svc row's), `api_kind` as the API names it
    assert [(r["kind"], r["api_kind"], r["name"], r["namespace"]) for s in secs[2:] for r in s.records] == [
        ("deployment.apps", "Deployment", "web", "web"), ("replicaset.apps", "ReplicaSet", "web-6d4cf56db6", "web"),
        ("horizontalpodautoscaler.autoscaling", "HorizontalPodAutoscaler", "web", "web")]
    assert not [p for s in secs for p in s.problems]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$ kubectl version --short\nFlag --short has been deprecated, and will be removed in the future.\nClient Version: v1.26.1\n"
         "Kustomize Version: v4.5.7\nServer Version: v1.26.1\n",
         {"client_version": "v1.26.1", "kustomize_version": "v4.5.7", "server_version": "v1.26.1"}),
        ('[root@m ~]# kubectl version\nClient Version: version.Info{Major:"1", Minor:"17", GitVersion:"v1.17.0", GitCommit:"70132b0f130acc0bed193d9ba59dd186f0e634cf", GitTreeState:"clean", Platform:"linux/amd64"}\n'
         "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
         {"client_version": "v1.17.0", "client_major": "1", "client_minor": "17", "client_git_commit": "70132b0f130acc0bed193d9ba59dd186f0e634cf",
          "client_git_tree_state": "clean", "client_platform": "linux/amd64"}),
        ("$ oc version\nClient Version: 4.12.0\nKustomize Version: v4.5.7\nServer Version: 4.12.0\nKubernetes Version: v1.25.4+77bec7a\n",
         {"client_version": "4.12.0", "kustomize_version": "v4.5.7", "server_version": "4.12.0", "kubernetes_version": "v1.25.4+77bec7a"}),
        ("Client Version: v1.28.2\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\nServer Version: v1.27.4\n"
         "WARNING: version difference between client (1.28) and server (1.26) exceeds the supported minor version skew of +/-1\n",
         {"client_version": "v1.28.2", "kustomize_version": "v5.0.4-0.20230601165947-6ce0bf390ce3", "server_version": "v1.27.4"}),
        # OpenShift 3's oc (openshift/origin's docs; a third blind run, 2026-12-07: oc v4.0.0-0.101.0 unread)
        ("[user@host ~]$ oc version\noc v3.11.0+0cbc58b\nkubernetes v1.11.0+d4cacc0\nfeatures: Basic-Auth GSSAPI Kerberos SPNEGO\n\n"
         "Server https://master.example.com:8443\nopenshift v3.11.0+d0c29df-98\nkubernetes v1.11.0+d4cacc0\n",
         {"client_oc_version": "v3.11.0+0cbc58b", "client_version": "v1.11.0+d4cacc0", "server_openshift_version": "v3.11.0+d0c29df-98",
          "server_version": "v1.11.0+d4cacc0"}),
    ],
    ids=["short", "version.Info", "oc", "no-command-skew-warning", "oc-3"],
)
def test_kubectl_version_in_each_form(text: str, want: dict[str, str]) -> None:
    (sec,) = _data(text)
    assert (sec.kind, sec.records, sec.problems) == ("kubectl-version", [want], [])


def test_api_kind_of_what_kubectl_takes_and_prints() -> None:
    typed = ("deploy", "deployments.apps", "deployment.apps", "ingresses", "Endpoints", "sc", "pvc", "crds", "widgets.example.com")
    assert [api_kind(r) for r in typed] == ["Deployment", "Deployment", "Deployment", "Ingress", "Endpoints", "StorageClass",
                                            "PersistentVolumeClaim", "CustomResourceDefinition", "widgets.example.com"]  # fmt: skip


def test_pasted_get_tables_and_version_are_stored(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, """$ kubectl get deploy,sts,ds -n shop
NAME                  READY   UP-TO-DATE   AVAILABLE   AGE
deployment.apps/web   1/3     3            1           5m

NAME                  READY   AGE
statefulset.apps/db   2/3     9d

NAME                        DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE
daemonset.apps/log-agent    3         3         2       3            2           <none>          9d
$ kubectl get jobs -n shop
NAME      COMPLETIONS   DURATION   AGE
migrate   0/1           5m         5m
$ kubectl get pvc,ns
NAME                              STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   AGE
persistentvolumeclaim/data-db-2   Pending                                      standard       1h

NAME                STATUS        AGE
namespace/stuck     Terminating   2d
$ kubectl version --short
Client Version: v1.26.1
Server Version: v1.24.3
""")
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        wl = con.execute("SELECT kind, namespace, name, desired, ready, available FROM workloads ORDER BY kind").fetchall()
        objs = con.execute("SELECT kind, namespace, name, raw FROM api_objects ORDER BY kind").fetchall()
        versions = con.execute("SELECT client_version, server_version FROM cluster_versions").fetchall()
        secs = con.execute("SELECT format, rows, stored, problems FROM paste_sections WHERE rows IS NOT NULL ORDER BY first_line").fetchall()
    assert wl == [("DaemonSet", "shop", "log-agent", 3, 2, 2), ("Deployment", "shop", "web", 3, 1, 1), ("Job", "shop", "migrate", 1, 0, None),
                  ("StatefulSet", "shop", "db", 3, 2, None)]  # fmt: skip
    # a namespaced kind listed without NAMESPACE nor -n: of kubectl's default namespace
    assert [o[:3] for o in objs] == [("Namespace", None, "stuck"), ("PersistentVolumeClaim", "default", "data-db-2")]
    assert json.loads(objs[1][3])["kubesnap"]["columns"]["status"] == "Pending"
    assert versions == [("v1.26.1", "v1.24.3")]
    assert [s[:3] for s in secs] == [("kubectl-get", 1, 1), ("kubectl-get", 1, 1), ("kubectl-get-daemonsets", 1, 1), ("kubectl-get", 1, 1),
                                     ("kubectl-get", 1, 1), ("kubectl-get", 1, 1), ("kubectl-version", 1, 1)]  # fmt: skip
    assert all(s[3] is None for s in secs)


def test_tables_printed_without_blank_lines_between_are_cut_at_each_header() -> None:
    secs = _data("""$ kubectl get all -n adhoc | grep -v '^$'
NAME                         READY   STATUS    RESTARTS   AGE
pod/redis-585bc66876-5ph26   1/1     Running   0          6m5s
NAME                TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)    AGE
service/redis-svc   ClusterIP   172.24.15.8   <none>        6379/TCP   6m5s
NAME                    READY   UP-TO-DATE   AVAILABLE   AGE
deployment.apps/redis   3/3     3            3           6m6s
NAME                               DESIRED   CURRENT   READY   AGE
replicaset.apps/redis-585bc66876   3         3         3       6m6s
""")
    assert [(s.kind, s.first, s.last, len(s.records)) for s in secs] == [
        ("kubectl-get-pods", 2, 3, 1), ("kubectl-get-services", 4, 5, 1), ("kubectl-get", 6, 7, 1), ("kubectl-get", 8, 9, 1)]


def test_custom_columns_are_read_by_the_names_the_user_gave() -> None:
    (sec,) = _data("$ kubectl get pvc -o custom-columns='name:{.metadata.name},storage:{.spec.resources.requests.storage}'\n"
                   "name                storage\nkatib-mysql         10Gi\n")  # fmt: skip
    assert (sec.kind, sec.records) == ("kubectl-get", [{"name": "katib-mysql", "storage": "10Gi", "api_kind": "PersistentVolumeClaim"}])


def test_version_info_fields_are_kept_in_snake_case() -> None:
    (sec,) = _data('$ kubectl version\nServer Version: version.Info{Major:"1", Minor:"23+", GitVersion:"v1.23.17-eks-0a21954", '
                   'BuildDate:"2023-04-15T00:32:27Z", GoVersion:"go1.19.6", Platform:"linux/amd64"}\n')  # fmt: skip
    assert sec.records == [{"server_version": "v1.23.17-eks-0a21954", "server_major": "1", "server_minor": "23+",
                            "server_build_date": "2023-04-15T00:32:27Z", "server_go_version": "go1.19.6", "server_platform": "linux/amd64"}]  # fmt: skip


# projectcalico/calico#7959 (a GitHub issue): the prompt and a STATUS cell in Markdown bold, as the thread's text keeps them
BOLD = """```
**root@master-node1:/var/log# kubectl get pods -A -o wide**
NAMESPACE                    NAME                                        READY   STATUS              RESTARTS          AGE    IP             NODE             NOMINATED NODE   READINESS GATES
kube-system                  calico-kube-controllers-8787c9999-q4fqz     0/1     **ContainerCreating**   0                 18m    <none>         worker-node1   <none>           <none>
kube-system                  calico-node-m9j26                           1/1     Running             0                 21h    10.1.2.3       worker-node3   <none>           <none>
```
"""


def test_markdown_bold_is_markup_not_a_value(tmp_path: Path) -> None:
    """`**...**` around a command or a cell is how the ticket showed it: the command is `kubectl get pods -A -o wide`, the
    status ContainerCreating. A `**` that is not such a pair stays (`f(**kwargs)`, `**/*.go`)."""
    from analyzer.paste import _unbold

    assert [s.command for s in _data(BOLD)] == ["kubectl get pods -A -o wide"]
    code, out, db = ingest_text(tmp_path, BOLD)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status_text FROM pods WHERE name LIKE 'calico-kube%'").fetchall() == [("ContainerCreating",)]
    assert _unbold("call f(**kwargs) in **/*.go") == "call f(**kwargs) in **/*.go"
    assert _unbold("**a** then **b**: x ** y") == "a then b: x ** y"


def test_pasted_service_tables_are_services(tmp_path: Path) -> None:
    """`kubectl get svc` of each era pasted: stored as Services (api_objects, the JSON shape of a dump) that `get svc`
    lists as kubectl printed them; a line glued under the table is no service, said and kept as text."""
    from click.testing import CliRunner

    from analyzer.cli import main

    code, out, db = ingest_text(tmp_path, """$ kubectl get svc -n shop -o wide
NAME       TYPE           CLUSTER-IP     EXTERNAL-IP                 PORT(S)                      AGE   SELECTOR
web        LoadBalancer   10.97.55.171   203.0.113.9                 80:30080/TCP,443:30443/TCP   2d    app=web,tier=front
db         ClusterIP      None           <none>                      5432/TCP                     9d    app=db
legacy     ExternalName   <none>         db.example.com              <none>                       40d   <none>
$ kubectl get services
NAME         CLUSTER-IP   EXTERNAL-IP   PORT(S)          AGE
kubernetes   10.0.0.1     <none>        443/TCP          18d
my-service   10.0.0.172   <pending>     8080:31190/TCP   48m
**Proposed Solution:**
""")
    assert code == 1 and "1 of 3 rows of kubectl-get-services are no object's: kept as text" in out, out
    with duckdb.connect(str(db), read_only=True) as con:
        objs = {(n, ns): json.loads(raw) for n, ns, raw in con.execute("SELECT name, namespace, raw FROM api_objects WHERE kind = 'Service'").fetchall()}
    assert sorted(objs) == [("db", "shop"), ("kubernetes", "default"), ("legacy", "shop"), ("my-service", "default"), ("web", "shop")]
    web = objs[("web", "shop")]
    assert web["spec"] == {"type": "LoadBalancer", "clusterIP": "10.97.55.171", "selector": {"app": "web", "tier": "front"},
                           "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 443, "protocol": "TCP", "nodePort": 30443}]}  # fmt: skip
    assert web["status"] == {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}
    assert objs[("legacy", "shop")]["spec"] == {"type": "ExternalName", "externalName": "db.example.com"}
    assert objs[("db", "shop")]["spec"]["clusterIP"] == "None"
    res = CliRunner().invoke(main, ["get", "svc", "-A", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "NAMESPACE   NAME         TYPE           CLUSTER-IP     EXTERNAL-IP      PORT(S)                      AGE",
        "default     kubernetes                  10.0.0.1       <none>           443/TCP                      18d",
        "default     my-service                  10.0.0.172     <pending>        8080:31190/TCP               48m",
        "shop        db           ClusterIP      None           <none>           5432/TCP                     9d",
        "shop        legacy       ExternalName   <none>         db.example.com   <none>                       40d",
        "shop        web          LoadBalancer   10.97.55.171   203.0.113.9      80:30080/TCP,443:30443/TCP   2d",
    ]
    res = CliRunner().invoke(main, ["get", "service", "web", "-n", "shop", "-o", "json", "--db", str(db)])
    assert json.loads(res.stdout)["spec"]["type"] == "LoadBalancer"
