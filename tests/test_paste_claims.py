"""A paste's sections that no paste reader reads go to the registered reader sure of their text (crictl version,
kubectl get -o yaml, ctr, df), so that one such command in a paste no longer takes the whole paste for itself;
what `kubectl logs` (crictl, docker logs) printed is the container's log, found by `kubesnap logs` and `grep`;
a describe of any other kind is stored with its events; crictl stats is read (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.paste import split
from tests.conftest import db_rows, ingest_text

PASTE = """$ kubectl logs web-6d4cf56db6-2xk9p -n shop
2024/12/05 10:00:01 Starting server on :8080
panic: dial tcp 10.96.0.12:5432: connect: connection refused

goroutine 1 [running]:
main.main()
$ crictl stats
CONTAINER           CPU %               MEM                 DISK                INODES
1a2b3c4d5e6f7       0.52                25.1MB              12.3kB              8
$ crictl version
Version:  0.1.0
RuntimeName:  containerd
RuntimeVersion:  v1.6.20
RuntimeApiVersion:  v1
$ kubectl get pod web-0 -n shop -o yaml
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
spec:
  nodeName: worker-1
  containers:
  - name: web
    image: nginx:1.25
status:
  phase: Running
$ kubectl describe pvc data-pg-1 -n db
Name:          data-pg-1
Namespace:     db
StorageClass:  standard
Status:        Pending
Events:
  Type     Reason                Age                From                         Message
  ----     ------                ----               ----                         -------
  Normal   WaitForFirstConsumer  3m (x5 over 4m)    persistentvolume-controller  waiting for first consumer to be created before binding
$ sudo crictl logs --tail 2 1a2b3c4d5e6f7
I1205 10:00:03.000000       1 main.go:10] ready
This is what it printed before it died.
$ docker logs k8s_web_web-0_shop_0f0e0d0c-0000-4000-8000-000000000001_0
level=error msg="lost connection"
"""


def test_sections_no_paste_reader_reads_go_to_the_reader_sure_of_them(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, PASTE, "--node", "worker-1")
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        secs = con.execute("SELECT first_line, format, rows, parser, stored, problems FROM paste_sections WHERE rows IS NOT NULL ORDER BY first_line").fetchall()
        facts = dict(con.execute("SELECT key, value FROM host_facts").fetchall())
        pods = con.execute("SELECT namespace, name, node_name FROM api_pods").fetchall()
        stats = con.execute("SELECT kind, id, cpu_percent, memory_text FROM container_stats").fetchall()
        objs = con.execute("SELECT kind, namespace, name, raw FROM api_objects WHERE kind = 'PersistentVolumeClaim'").fetchall()
        events = con.execute("SELECT kind, namespace, name, reason, count FROM events").fetchall()
    assert [s[:5] for s in secs] == [
        (2, "container-log", 4, None, 4), (8, "crictl-stats", 1, "crictl-stats", 1), (11, "crictl-version", 4, "crictl-version", 4),
        (16, "kubectl-yaml", 2, "kubectl-yaml", 2), (29, "kubectl-describe-object", 1, None, 2), (38, "klog", 1, None, 1),
        (41, "container-log", 1, None, 1)]  # fmt: skip
    assert all(s[5] is None for s in secs)
    assert "containerd" in facts.values() and "v1.6.20" in facts.values()
    assert pods == [("shop", "web-0", "worker-1")]
    assert stats == [("container", "1a2b3c4d5e6f7", 0.52, "25.1MB")]
    assert [o[:3] for o in objs] == [("PersistentVolumeClaim", "db", "data-pg-1")]
    assert json.loads(objs[0][3])["kubesnap"]["fields"] == {"StorageClass": "standard", "Status": "Pending"}
    assert events == [("PersistentVolumeClaim", "db", "data-pg-1", "WaitForFirstConsumer", 5)]


def test_a_pasted_container_log_is_what_kubesnap_logs_and_grep_find(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, PASTE, "--node", "worker-1")
    assert code == 0, out
    runner = CliRunner()
    r = runner.invoke(main, ["logs", "--db", str(db), "-n", "shop", "web-6d4cf56db6-2xk9p"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == ["2024/12/05 10:00:01 Starting server on :8080", "panic: dial tcp 10.96.0.12:5432: connect: connection refused",
                                     "", "goroutine 1 [running]:", "main.main()"]  # fmt: skip
    r = runner.invoke(main, ["logs", "--db", str(db), "-n", "shop", "web-0", "-c", "web"])  # docker logs of a dockershim name
    assert (r.exit_code, r.output) == (0, 'level=error msg="lost connection"\n')
    r = runner.invoke(main, ["grep", "--db", str(db), "-o", "json", "lost connection|ready", "-E"])
    hits = [json.loads(x) for x in r.output.splitlines()]
    assert sorted(h["file"].rsplit("#", 1)[1] for h in hits) == ["L38-38", "L41-41"]
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("SELECT path, namespace, pod, container, container_id FROM log_files ORDER BY path").fetchall()
    assert ("paste.txt#L38-38", None, None, None, "1a2b3c4d5e6f7") in files  # crictl logs ID: the container's id


def test_logs_output_that_looks_like_prose_is_still_the_log_but_a_glued_sentence_is_not() -> None:
    secs = split("$ kubectl logs web-0\nStarting the web server on port 8080 now, please wait.\n"
                 "$ kubectl logs web-1\nE0613 09:45:18.840160       1 run.go:74] failed\nThis means the config is missing.\n")  # fmt: skip
    assert [(s.kind, s.first, s.last) for s in secs] == [
        ("prompt", 1, 1), ("container-log", 2, 2), ("prompt", 3, 3), ("klog", 4, 4), ("prose", 5, 5)]


def test_a_capture_a_reader_is_sure_of_keeps_it_without_a_typed_command(tmp_path: Path) -> None:
    """No prompt with a command in it: the file is one command's output, read by the reader sure of it."""
    code, out, db = ingest_text(tmp_path, "Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v1.7.2\nRuntimeApiVersion:  v1\n",
                                "--node", "n1")  # fmt: skip
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT parser FROM members").fetchall() == [("crictl-version",)]
        assert con.execute("SELECT count(*) FROM paste_sections").fetchone() == (0,)


def test_yaml_under_get_o_yaml_is_never_a_table() -> None:
    (_p, sec) = split("$ kubectl get pods -o yaml\napiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: web-0\n")
    assert sec.kind == "unknown"  # no paste reader: the registered kubectl-yaml reader claims it at ingest


WALK = """[root@worker-1 ~]# crictl ps | grep web
98fb36a5799ac       c0d565df2c900       2 hours ago         Running             web                         0                   4b942abe81e38       web-0
[root@worker-1 ~]# crictl inspect 98fb36a5799ac | grep -i pid
    "pid": 527201,
            "type": "pid"
[root@worker-1 ~]# ps -ef | grep 527201
root      527201  527179  0 10:00 ?        00:00:01 nginx: master process nginx -g daemon off;
root      527250  527201  0 10:00 ?        00:00:00 nginx: worker process
"""


def test_the_walk_of_the_seed_pasted_answers_whois_of_a_process(tmp_path: Path) -> None:
    """crictl ps | grep, crictl inspect | grep pid, ps -ef | grep: the container's pid joins its processes to it."""
    code, out, db = ingest_text(tmp_path, WALK, "--node", "worker-1")
    assert code == 0, out
    r = CliRunner().invoke(main, ["whois", "--db", str(db), "-o", "json", "527250"])
    assert r.exit_code == 0, r.output
    chain = json.loads(r.output)["chain"]
    assert (chain["pod"], chain["node"], chain["containers"][0]["pid"]) == ("web-0", "worker-1", 527201)
    assert [(p["pid"], p["container"], p["join"]) for p in chain["processes"]] == [
        (527201, "web", "exact/inspect-pid"), (527250, "web", "exact/descendant-of")]


def test_crictl_inspect_cut_to_its_pid_in_every_form() -> None:
    forms = {
        "crictl-inspect-json": ("crictl inspect 98fb36a5799ac | grep pid", '    "pid": 527201,\n            "type": "pid"\n'),
        "crictl-inspect-yaml": ("crictl inspect -o yaml e81fa0489d6ed | grep pid", "          pid: 1\n  pid: 2764398\n      - type: pid\n"),
        "crictl-inspect-template": ('crictl inspect --output go-template --template "{{(index .info.pid)}}" a1 b2', "722520\n722530\n"),
    }
    got = {}
    for fmt, (cmd, out) in forms.items():
        (sec,) = [s for s in split(f"$ {cmd}\n{out}") if s.is_data]
        got[fmt] = (sec.kind, sec.records)
    assert got == {
        "crictl-inspect-json": ("crictl-inspect-json", [{"container_id": "98fb36a5799ac", "pid": 527201}]),
        "crictl-inspect-yaml": ("crictl-inspect-yaml", [{"container_id": "e81fa0489d6ed", "pid": 2764398}]),
        "crictl-inspect-template": ("crictl-inspect-template", [{"container_id": "a1", "pid": 722520}, {"container_id": "b2", "pid": 722530}]),
    }
    (sec,) = [s for s in split("$ crictl inspectp 4b942abe81e38 | jq .info.pid\n527179\n") if s.is_data]
    assert sec.records == [{"pod_id": "4b942abe81e38", "pid": 527179}]


HOST = """$ uname -a
Linux worker-1 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux
$ cat /etc/os-release
PRETTY_NAME="Ubuntu 22.04.3 LTS"
ID=ubuntu
$ kubeadm version
kubeadm version: &version.Info{Major:"1", Minor:"28", GitVersion:"v1.28.4", GitCommit:"bae2c62678db2b5053817bc97181fcc2e8388103", Platform:"linux/amd64"}
$ kubelet --version
Kubernetes v1.28.4
$ containerd --version
containerd containerd.io 1.6.25 d8f198a4ed8892c764191ef7b3b06d8a2eeb5c7f
$ runc --version
runc version 1.1.9
commit: v1.1.9-0-gccaecfc
$ df -h /var
Filesystem      Size  Used Avail Use% Mounted on
/dev/sda1        29G   28G  1.2G  96% /
"""


def test_a_nodes_environment_as_an_issue_template_asks_for_it(tmp_path: Path) -> None:
    """uname, os-release (read as the collector's own captures of them), component versions, df -h: facts of the node."""
    code, out, db = ingest_text(tmp_path, HOST, "--node", "worker-1")
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        facts = dict(con.execute("SELECT key, value FROM host_facts").fetchall())
        fs = con.execute("SELECT mount, used_pct FROM filesystems").fetchall()
        formats = [r[0] for r in con.execute("SELECT format FROM paste_sections WHERE rows IS NOT NULL ORDER BY first_line").fetchall()]
    assert formats == ["host-simple", "host-simple", "component-version", "component-version", "component-version", "component-version", "df"]
    assert {k: facts[k] for k in ("kernel", "arch", "os.id", "version.kubeadm", "version.kubelet", "version.containerd", "version.runc")} == {
        "kernel": "5.15.0-91-generic", "arch": "x86_64", "os.id": "ubuntu", "version.kubeadm": "v1.28.4", "version.kubelet": "v1.28.4",
        "version.containerd": "1.6.25", "version.runc": "1.1.9"}  # fmt: skip
    assert fs == [("/", 96.0)]


def test_journalctl_x_catalog_text_and_kubeadm_output(tmp_path: Path) -> None:
    """journalctl -x's catalog lines (`░░ Subject:` of systemd 246 on, `-- Subject:` before) belong to the journal, neither
    prose nor bad lines nor entries; what kubeadm init printed is kubeadm's log, each line with its phase, searchable."""
    text = ("root@cp1:~# journalctl -xeu kubelet\n"
            "Dec 05 10:00:01 cp1 systemd[1]: Started kubelet: The Kubernetes Node Agent.\n"
            "\u2591\u2591 Subject: A start job for unit kubelet.service has finished successfully\n"
            "\u2591\u2591 Defined-By: systemd\n\u2591\u2591 \n"
            "Dec 05 10:00:02 cp1 kubelet[5678]: E1205 10:00:02.123456    5678 run.go:74] \"command failed\"\n"
            "-- Subject: Unit process exited\n"
            "Dec 05 10:00:02 cp1 systemd[1]: kubelet.service: Failed with result 'exit-code'.\n"
            "root@cp1:~# kubeadm init --pod-network-cidr=10.244.0.0/16\n"
            "[init] Using Kubernetes version: v1.28.4\n[kubelet-check] Initial timeout of 40s passed.\n\n"
            "Unfortunately, an error has occurred:\n\ttimed out waiting for the condition\n\n"
            "error execution phase wait-control-plane: couldn't initialize a Kubernetes cluster\n")  # fmt: skip
    secs = [s for s in split(text) if s.kind != "prompt"]
    assert [(s.kind, s.first, s.last, len(s.records), s.problems) for s in secs] == [
        ("journal-short", 2, 8, 3, []), ("kubeadm-output", 10, 16, 5, [])]
    assert secs[1].records[1] == {"line": 11, "phase": "kubelet-check", "message": "Initial timeout of 40s passed."}
    code, out, db = ingest_text(tmp_path, text, "--node", "cp1")
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert [r[0] for r in con.execute("SELECT ident FROM journal ORDER BY line_no").fetchall()] == ["systemd", "kubelet", "systemd"]
    r = CliRunner().invoke(main, ["grep", "--db", str(db), "timed out waiting"])
    assert r.exit_code == 0 and r.output == "cp1:paste.txt#L10-16:5:\ttimed out waiting for the condition\n"


def test_cat_of_a_file_the_collector_copies_is_read_as_that_copy(tmp_path: Path) -> None:
    text = ("[root@cp1 ~]# cat /var/lib/kubelet/config.yaml\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
            "cgroupDriver: cgroupfs\n[root@cp1 ~]# cat /etc/kubernetes/manifests/etcd.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n"
            "  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - image: registry.k8s.io/etcd:3.5.9-0\n    name: etcd\n"
            "[root@cp1 ~]# cat /etc/containerd/config.toml\nversion = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"pause:3.9\"\n"
            "[root@cp1 ~]# cat ../../etc/shadow\nroot:*:19000:0:99999:7:::\n")  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "cp1")
    assert code == 1, out  # the relative path is no copy of the collector's: its output is unread, a problem
    formats, manifests, kubelet = db_rows(db, "SELECT first_line, format, parser FROM paste_sections WHERE rows IS NOT NULL ORDER BY first_line",
                                          "SELECT component FROM manifests", "SELECT count(*) FROM kubelet_configs")  # fmt: skip
    assert formats == [(2, "kubelet-config", "kubelet-config"), (6, "static-pod-manifest", "static-pod-manifest"),
                       (16, "config-file", "config-file")]  # fmt: skip
    assert manifests == [("etcd",)] and kubelet[0][0] >= 1


def test_a_paste_with_terminal_colours_is_read_as_the_terminal_showed_it(tmp_path: Path) -> None:
    """grep --color and coloured kubectl output: the escape sequences go whole (not just their ESC byte, which
    left `[01;31m` in commands and `Running` as `[32mRunning[0m`), and the paste is read as a paste."""
    red, off = "\x1b[01;31m\x1b[K", "\x1b[m\x1b[K"
    shim = f"/usr/local/bin/{red}containerd-shim{off}-runc-v2 -namespace k8s.io -id " + "ab" * 32 + " -address /run/containerd/containerd.sock"
    text = ("```\n$ ps -ef | grep containerd-shim\n"
            f"root         771       1  0 Mar19 ?        00:00:49 {shim}\n```\n"
            "$ kubectl get pods -A\nNAMESPACE     NAME    READY   STATUS    RESTARTS   AGE\n"
            "kube-system   web-0   1/1     \x1b[32mRunning\x1b[0m   0          5d\n")  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 0, out
    (procs, pods, members) = db_rows(db, "SELECT command FROM processes", "SELECT status_text FROM api_pods", "SELECT parser FROM members")
    assert procs == [("/usr/local/bin/containerd-shim-runc-v2 -namespace k8s.io -id " + "ab" * 32 + " -address /run/containerd/containerd.sock",)]
    assert pods == [("Running",)]
    assert members == [("paste",)]


def test_pasted_docker_ps_fills_the_runtime_tables_with_or_without_its_header(tmp_path: Path) -> None:
    """docs/pastes.md says docker ps is read (a dockershim name split into its parts); the rows were read and then
    stored nowhere. With its header, and as `docker ps -a | grep` (no header), each row is a sandbox or a container."""
    def row(*cells: str) -> str:  # docker's columns: each as wide as its longest cell, three blanks between
        return "".join(f"{c:<{w}}" for c, w in zip(cells, (20, 43, 14, 17, 27, 8), strict=False)) + cells[-1] + "\n"

    header = row("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES")
    rows = (row("ee31e4779aff", "gcr.io/google_containers/pause-amd64:3.0", '"/pause"', "8 minutes ago", "Up 8 minutes", "",
                "k8s_POD_kube-controller-manager-10.0.3.7_kube-system_7fae22c5345f9d7e092063d8d8c1b0fa_0")
            + row("1754ddbbfbd8", "agency/issue:v0.0.9", '"npm start"', "2 days ago", "Exited (1) 11 hours ago", "",
                  "k8s_issue_issue-5t9h2_staging_2c8e4f5a-6b1d-11e6-8b77-86f30ca893d3_3"))  # fmt: skip
    for i, text in enumerate([f"$ sudo docker ps -a\n{header}{rows}", f"$ docker ps -a | grep k8s\n{rows}"]):
        d = tmp_path / str(i)
        d.mkdir()
        code, out, db = ingest_text(d, text, "--node", "n1")
        assert code == 0, out
        sandboxes, containers = db_rows(db, "SELECT sandbox_id, name, namespace, state FROM crictl_sandboxes",
                                        "SELECT container_id, name, pod_name, pod_namespace, state, exit_code, attempt FROM crictl_containers")  # fmt: skip
        assert sandboxes == [("ee31e4779aff", "kube-controller-manager-10.0.3.7", "kube-system", "Ready")]
        assert containers == [("1754ddbbfbd8", "issue", "issue-5t9h2", "staging", "Exited", 1, 3)]
