"""Reading the real pastes of tests/data/pastes (issue 16): the splitter and the section readers against
expected.json (tests/paste_oracle.py), the ingest of a paste (paste_sections, exit codes, --node), and a
property test of the splitter on untrusted text."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.cli import main
from analyzer.paste import clean, split
from tests.conftest import examples, ingest_text
from tests.paste_oracle import PASTES, check, load, score

# Pastes read fully right today (sections, rows per section, spot values); the score may only go up.
MIN_FULLY_RIGHT = 214


def test_at_least_sixty_pastes_are_read_fully_right_and_none_silently_unread() -> None:
    right, total, silent = score()
    assert total >= 240
    assert right >= MIN_FULLY_RIGHT, f"{right} of {total} fully right"
    assert silent == [], f"data lines in no data section and no problem: {silent}"


def test_every_paste_reads_without_an_exception_and_every_line_once() -> None:
    for name in load():
        text = (PASTES / name).read_text(encoding="utf-8")
        sections = split(text)
        seen: set[int] = set()
        parts: set[tuple[int, str]] = set()  # a fence glued to text is two parts of one line (```Filesystem ...)
        for s in sections:
            mine = {(ln.no, ln.text) for ln in s.lines if ln.text.strip()}
            assert not mine & parts, (name, s.first)
            parts |= mine
            seen |= {no for no, _t in mine}
        nonblank = {i for i, ln in enumerate(text.split("\n"), 1) if ln.strip()}
        assert nonblank - seen <= {i for i in nonblank if not text.split("\n")[i - 1].strip("> \t")}, name


def test_known_right_pastes_stay_right() -> None:
    """A few pastes of different classes, each fully right; a regression names the paste and the field."""
    pastes = load()
    for name in ("003-hoeghh27-root-prompt-nodes-pods-1.9.txt", "010-crictl266-hash-prompt-ps-2018.txt",
                 "023-pai1762-user-host-prompt-docker-ps-a-dockershim.txt", "026-containerd8285-headerless-ps-axjf-shim-defunct.txt",
                 "031-k8s7332-pre-tag-journal-docker-logrus-2015.txt", "045-k8s91340-events-section-alone-new-style.txt",
                 "028-containerd3781-get-pod-then-docker-ps-grep.txt", "053-atop75-tilde-hash-docker-ps-snap-redacted.txt",
                 "054-dockerdebug3-docker-ps-format-names-grep.txt", "055-dockercli5421-headerless-docker-ps-row-unfenced.txt",
                 "040-hawtio37-oc-describe-rc-2015-events-firstseen.txt", "041-hypernetes21-root-path-prompt-describe-rc-boxdraw-events.txt",
                 "044-k8s23013-describe-ds-tab-events-type-column.txt", "075-k8s6532-headerless-events-2015-absolute-tabs.txt",
                 "107-k8s9207-describe-events-tabs-firstseen-1.4.txt"):  # fmt: skip
        errs, silent = check(name, pastes[name])
        assert errs == [] and not silent, (name, errs)


def test_prompts_and_markers_are_structure_not_problems() -> None:
    text = "[root@k8s ~]# kubectl get nodes\nNAME   STATUS   ROLES    AGE   VERSION\nw1     Ready    <none>   4h    v1.9.0\n--- snip ---\n[root@k8s ~]#\n"
    secs = split(text)
    assert [s.kind for s in secs] == ["prompt", "kubectl-get-nodes", "marker", "prompt"]
    assert all(not s.problems for s in secs)
    assert secs[1].records == [
        {"name": "w1", "status": "Ready", "roles": "<none>", "age": "4h", "version": "v1.9.0"}
    ]
    assert secs[0].command == "kubectl get nodes"


def test_heading_comments_and_pager_cut_process_trees_are_not_prompts() -> None:
    """`# --- master: ... ---` between two captures is a heading; a CGroup tree line cut by the pager
    (`├─ 1252 /var/lib/...>`) ends in `>` but is output, not a prompt (k3s corpus sample's shape)."""
    text = ("# --- master: systemctl status k3s ---\n"
            "● k3s.service - Lightweight Kubernetes\n     Loaded: loaded (/etc/systemd/system/k3s.service; enabled; vendor pres>\n"
            "     Active: active (running) since Wed 2022-08-10 17:43:43 UTC; 2h 26min >\n"
            "     CGroup: /system.slice/k3s.service\n"
            "             ├─ 1252 /var/lib/rancher/k3s/data/1d787a9b6122e3e3b24afe621da>\n"
            "             └─18911 containerd -c /var/lib/rancher/k3s/agent/etc/containe>\n\n"
            "Aug 10 17:44:15 master k3s[18879]: I0810 17:44:15.413930   18879 shared_in>\n"
            "# === worker ===\n"
            "Aug 10 17:12:59 w1 k3s[511]: I0810 17:1>\n")  # fmt: skip
    secs = split(text)
    assert [s.kind for s in secs] == ["comment", "systemctl-status", "comment", "journal-short"]
    assert secs[1].attrs["cgroup_pids"] == [1252, 18911] and len(secs[1].records) == 1
    assert all(not s.problems for s in secs)


def test_journalctl_notices_alone_are_a_journal_without_lines_and_indented_entries_are_still_read() -> None:
    notices = split("$ journalctl -u kubelet\nHint: You are currently not seeing messages from other users and the system.\n"
                    "      Users in the 'systemd-journal' group can see all messages.\n-- No entries --\n")  # fmt: skip
    assert [(s.kind, len(s.records), s.problems) for s in notices] == [("prompt", 0, []), ("journal-short", 0, [])]
    indented = split("$ journalctl -u kubelet\n      Oct 15 01:54:06 node systemd[1]: Started kubelet.\n"
                     "      Oct 15 01:54:07 node kubelet[9]: I1015 01:54:07.000000       9 server.go:1] up\n")  # fmt: skip
    assert [(s.kind, len(s.records)) for s in indented] == [("prompt", 0), ("journal-short", 2)]


@pytest.mark.parametrize(
    ("line", "prompt", "command"),
    [
        ("student_03@cloudshell:~/ak8s/Storage (qwiklabs-gcp-03-bb672f)$ kubectl get pods",
         "student_03@cloudshell:~/ak8s/Storage (qwiklabs-gcp-03-bb672f)$ ", "kubectl get pods"),
        ("dev@box:~/src (main)$", "dev@box:~/src (main)$", ""),
        ("      sh-4.2$ ps ux", "      sh-4.2$ ", "ps ux"),
        ("bash-5.1# crictl ps -a", "bash-5.1# ", "crictl ps -a"),
        ("controlplane $ k get po -A", "controlplane $ ", "k get po -A"),
        ("node01 $ systemctl status kubelet", "node01 $ ", "systemctl status kubelet"),
        ("sh-4.2$ kill 7", "sh-4.2$ ", "kill 7"),
    ],
)  # fmt: skip
def test_prompts_of_shells_without_ps1_cloud_shell_and_lab_hosts(line: str, prompt: str, command: str) -> None:
    from analyzer.paste import prompt_of

    assert prompt_of(line) == (prompt, command)


@pytest.mark.parametrize("line", ["total 5 $ echo", "Cost $ 5", "price # cat is great", "12345 $ kubectl get pods", "a b $ kubectl get pods"])
def test_words_before_a_dollar_are_not_a_host_prompt(line: str) -> None:
    from analyzer.paste import prompt_of

    assert prompt_of(line) is None


def test_a_sentence_written_right_under_an_output_is_prose_not_a_row() -> None:
    text = ("$ kubectl get pods -A\nNAMESPACE     NAME         READY   STATUS    RESTARTS   AGE\n"
            "kube-system   coredns-1    1/1     Running   0          3m\n"
            "Get the logs using k logs -n kube-system <POD_NAME> command .\n"
            "$ kubectl logs -n kube-system kube-proxy-x\n"
            'E0613 09:45:18.840160       1 run.go:74] "command failed" err="open /var/lib/kube-proxy/configuration.conf: no such file"\n'
            "This means kube-proxy cannot find its configuration file.\n")  # fmt: skip
    secs = split(text)
    assert [(s.kind, s.first, s.last, len(s.records)) for s in secs] == [
        ("prompt", 1, 1, 0), ("kubectl-get-pods", 2, 3, 1), ("prose", 4, 4, 0),
        ("prompt", 5, 5, 0), ("klog", 6, 6, 1), ("prose", 7, 7, 0),
    ]  # fmt: skip
    assert all(not s.problems for s in secs)


def test_notes_among_log_lines_notices_before_a_table_and_mixed_log_kinds_are_sections_of_their_own() -> None:
    text = ("$ journalctl -u containerd\n"
            "Oct 04 01:20:11 node1 containerd[812]: starting containerd\n"
            "THE NEXT LINES CAME WHEN I RESTARTED THE SERVICE\n"
            "Oct 04 01:20:14 node1 containerd[812]: loading plugin\n"
            "$ kubectl exec busybox ps\n"
            "kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. Use kubectl exec [POD] -- [COMMAND] instead.\n"
            "PID   USER     TIME  COMMAND\n"
            "    1 root      0:00 sh\n"
            "--------------------------------\n"
            "crictl run c.json p.json\n"
            'E0701 12:09:55.247057    6153 remote_runtime.go:237] "RunPodSandbox from runtime service failed"\n'
            "FATA[0004] running container: run pod sandbox: context deadline exceeded\n")  # fmt: skip
    secs = split(text)
    assert [(s.kind, s.first, s.last, len(s.records)) for s in secs] == [
        ("prompt", 1, 1, 0), ("journal-short", 2, 2, 1), ("prose", 3, 3, 0), ("journal-short", 4, 4, 1),
        ("prompt", 5, 5, 0), ("unknown", 6, 6, 0), ("busybox-ps", 7, 8, 1), ("marker", 9, 9, 0),
        ("prompt", 10, 10, 0), ("klog", 11, 11, 1), ("logrus-text", 12, 12, 1),
    ]  # fmt: skip
    assert secs[-1].records[0]["level"] == "fatal" and secs[-1].records[0]["relative_seconds"] == 4


def test_output_naming_its_program_a_version_and_a_daemon_heading_are_no_commands() -> None:
    text = ("[root@node ~]# kubeadm version\n"
            'kubeadm version: &version.Info{Major:"1", Minor:"16", GitVersion:"v1.16.1"}\n'
            "[root@node ~]# docker -v\n"
            "Docker version 1.13.1, build 7f2769b/1.13.1\n"
            "[root@node ~]#\n"
            "\n"
            "Error: \n"
            "\n"
            "containerd log\n")  # fmt: skip
    secs = split(text)
    assert [(s.kind, s.first, s.command) for s in secs] == [
        ("prompt", 1, "kubeadm version"), ("component-version", 2, "kubeadm version"), ("prompt", 3, "docker -v"),
        ("component-version", 4, "docker -v"), ("prompt", 5, ""), ("prose", 7, None), ("prose", 9, None),
    ]  # fmt: skip
    assert [s.records for s in secs if s.kind == "component-version"] == [[{"component": "kubeadm", "version": "v1.16.1"}],
                                                                         [{"component": "docker", "version": "1.13.1"}]]  # fmt: skip


@pytest.mark.parametrize(("message", "cut"), [
    ("Failed password for root from 83.234.207.60...h2", True),  # --no-full, on a terminal without `…`
    ("PAM 2 more authentication failures; logname\u2026ot", True),
    ("Runtime journal is 8.0M, max 192.7M, 184.7M free\u2026", True),
    ("Linux version 5.6.6-300.fc32.x86_64 (gcc version 10.0.1 20200328 &gt;", True),  # less's chop mark, HTML-escaped
    ("Linux version 5.6.6-300.fc32.x86_64 (gcc version 10.0.1 20200328 >", True),
    ("Starting Fingerprint Authentication Daemon...", False),  # systemd's own dots
    ("Reached target Multi-User System.", False),
    ("route 10.0.0.0/8 => eth0", False),
    ("<info>  [1588101244.0010] device (eth0): state change", False),
])  # fmt: skip
def test_a_journal_message_cut_by_journalctl_or_its_pager(message: str, cut: bool) -> None:
    from analyzer.pastefmt import _cut_message

    assert _cut_message(message) is cut


def test_ps_tables_of_any_field_order_folded_or_wrapped_by_hand_and_a_header_typed_as_a_comment() -> None:
    text = ("    # LANG=C ps -p 1 -o pid,ppid,comm,start,stime,lstart\n"
            "      PID  PPID COMMAND          STARTED STIME                  STARTED\n"
            "        1     0 init              Mar 14  2016 Mon Mar 14 09:07:45 2016\n"
            "      812     1 kubelet         09:07:45 09:07 Wed May  9 16:51:16 2018\n"
            "\n"
            "$ ps -eo pid,lstart,cmd | fold -w 60\n"
            "    PID                  STARTED CMD\n"
            "      7 Sat Apr 28 00:54:42 2019 java -XX:+UseParallelGC -XX:Adap\n"
            "tiveSizePolicyWeight=90 -jar jenkins.war\n"
            "     45 Sun Apr 29 15:12:43 2018 /bin/sh\n"
            "\n"
            "$ ps -ejf | grep manage.py\n"
            "## UID     PID  PPID  PGID   SID  C STIME TTY          TIME CMD ##\n"
            "joseph    9678  6200  9678  6200 11 23:55 pts/1    00:00:01 \\\n"
            "python ./manage.py runserver 0.0.0.0:8000\n")  # fmt: skip
    secs = [s for s in split(text) if s.is_data]
    assert [(s.kind, s.first, s.last, len(s.records)) for s in secs] == [("ps-o", 2, 4, 2), ("ps-o", 7, 10, 2), ("ps-ejf", 13, 15, 1)]
    assert all(not s.problems for s in secs)
    init, kubelet = secs[0].records
    assert (init["pid"], init["ppid"], init["comm"], init["start"], init["stime"]) == (1, 0, "init", "Mar 14", "2016")
    assert init["lstart_iso"] == "2016-03-14T09:07:45" and kubelet["start"] == "09:07:45" and kubelet["lstart"] == "Wed May  9 16:51:16 2018"
    java = secs[1].records[0]
    assert java["cmd"] == "java -XX:+UseParallelGC -XX:AdaptiveSizePolicyWeight=90 -jar jenkins.war" and java["wrapped"]
    assert secs[1].records[1]["cmd"] == "/bin/sh"
    row = secs[2].records[0]
    assert (row["pid"], row["pgid"], row["sid"], row["cmd"]) == (9678, 9678, 6200, "python ./manage.py runserver 0.0.0.0:8000")


def test_a_table_wrapped_by_a_narrow_terminal_is_read_with_its_rows_joined() -> None:
    mid_word = ("```\n$ kubectl get pods -o wide\n"
                "NAME             READY   STATUS              RESTARTS   AGE    IP       NODE         NOMINATED NODE   READI\n"
                "NESS GATES\n"
                "job-demo-htpkr   0/1     ContainerCreating   0          2m1s   <none>   k8s-node01   <none>           <none\n"
                ">\n```\n")  # fmt: skip
    stripped = ("$ kubectl get svc -A\n"
                "NAMESPACE     NAME                     TYPE           CLUSTER-IP       EXTERNAL-IP\n"
                "              PORT(S)         AGE\n"
                "default       service/kubernetes       ClusterIP      10.100.0.1       <none>\n"
                "              443/TCP         3h34m\n"
                "kube-system   service/kube-dns         ClusterIP      10.100.0.10      <none>\n"
                "              53/UDP,53/TCP   3h34m\n")  # fmt: skip
    (pods,) = [s for s in split(mid_word) if s.is_data]
    assert pods.attrs["wrapped"] and not pods.problems and len(pods.records) == 1
    r = pods.records[0]
    assert (r["name"], r["ip"], r["node"], r["nominated_node"], r["readiness_gates"]) == ("job-demo-htpkr", "<none>", "k8s-node01", "<none>", "<none>")
    (svc,) = [s for s in split(stripped) if s.is_data]
    assert [(r["namespace"], r["name"], r["cluster_ip"], r["ports"], r["age"]) for r in svc.records] == [
        ("default", "kubernetes", "10.100.0.1", "443/TCP", "3h34m"), ("kube-system", "kube-dns", "10.100.0.10", "53/UDP,53/TCP", "3h34m")]


def test_a_command_in_inline_code_html_line_breaks_and_a_namespace_named_on_the_command_line() -> None:
    text = ("> `docker ps -a`<br>\n"
            ">> CONTAINER ID        IMAGE          COMMAND                  CREATED         STATUS          PORTS     NAMES<br>\n"
            ">> 2133fa3ca362        nginx:1.25     \"/docker-entrypoint...\"   3 weeks ago     Up 2 minutes              web<br>\n"
            "\n"
            "$ kubectl get pods -n cattle-system -o wide | grep agent\n"
            "cattle-cluster-agent-8597895bd5-tvbc6   1/1   Running   0   12h   10.42.0.19   node-1.example.com   <none>   <none>\n")  # fmt: skip
    secs = split(text)
    assert (secs[0].kind, secs[0].command) == ("prompt", "docker ps -a")
    docker, pods = [s for s in secs if s.is_data]
    assert docker.kind == "docker-ps" and docker.records[0]["names"] == "web" and not docker.problems
    r = pods.records[0]
    assert (r["namespace"], r["name"], r["ip"], r["node"], r["readiness_gates"]) == (
        "cattle-system", "cattle-cluster-agent-8597895bd5-tvbc6", "10.42.0.19", "node-1.example.com", "<none>")


def test_a_describe_pod_with_its_indentation_lost_keeps_each_containers_fields_and_every_label() -> None:
    text = ("$ kubectl describe pod web-1\nName: web-1\nNamespace: shop\nNode: node-1/10.0.0.5\nLabels: app=web\n"
            "pod-template-hash=5bbd7fd785\ntier=frontend\nStatus: Running\nIP: 10.1.0.7\nContainers:\nweb:\n"
            "Container ID: containerd://aaaa\nImage: nginx:1.25\nPort: 80/TCP\nHost Port: 0/TCP\nState: Running\n"
            "Started: Sun, 09 Aug 2020 12:17:29 +0530\nLast State: Terminated\nReason: Error\nExit Code: 1\nReady: True\n"
            "Restart Count: 19\nEnvironment:\nDB_HOST: db\nMounts:\n/var/run/secrets from token (ro)\nsidecar:\n"
            "Container ID: containerd://bbbb\nImage: envoy:1.29\nState: Running\nReady: True\nRestart Count: 2\n"
            "Conditions:\nType Status\nReady True\n")  # fmt: skip
    (d,) = [s for s in split(text) if s.is_data]
    r = d.records[0]
    assert (r["name"], r["namespace"], r["node"], r["status"], r["containers"]) == ("web-1", "shop", "node-1", "Running", ["web", "sidecar"])
    assert (r["state"], r["last_state"], r["last_exit_code"], r["restarts"]) == ("Running", "Terminated", 1, 21)
    assert r["labels"] == {"app": "web", "pod-template-hash": "5bbd7fd785", "tier": "frontend"}


def test_a_pasted_systemd_cgls_gives_each_process_its_cgroup_container_and_pod(tmp_path: Path) -> None:
    paste = tmp_path / "cgls.txt"
    paste.write_text("$ systemd-cgls --no-pager\nControl group /:\n-.slice\n├─kubepods.slice\n│ └─kubepods-besteffort.slice\n"
                     "│   └─kubepods-besteffort-pod3f1c2a4e_7d1b_4c8e_9a55_0e6b7d2c1f00.slice\n"
                     f"│     └─cri-containerd-{'8c' * 32}.scope\n│       └─4321 /pause\n└─system.slice\n  ├─containerd.service\n"
                     f"  │ └─4300 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id {'8c' * 32}\n  └─kubelet.service\n"
                     "    └─901 /usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n", encoding="utf-8")  # fmt: skip
    (tree,) = [s for s in split(paste.read_text(encoding="utf-8")) if s.is_data]
    assert tree.kind == "systemctl-cgroup-tree" and [r["pid"] for r in tree.records] == [4321, 4300, 901] and not tree.problems
    assert tree.records[0]["container_id"] == tree.records[1]["container_id"] == "8c" * 32
    assert tree.records[0]["pod_uid"] == "3f1c2a4e-7d1b-4c8e-9a55-0e6b7d2c1f00" and tree.records[2]["unit"] == "kubelet.service"
    db = tmp_path / "k.duckdb"
    res = CliRunner().invoke(main, ["ingest", "--db", str(db), "-q", "--node", "node-1", str(paste)])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT pid, path, kind, container_id, pod_uid FROM process_cgroups ORDER BY pid").fetchall()
        procs = con.execute("SELECT count(*) FROM processes").fetchall()[0][0]
    finally:
        con.close()
    assert procs == 3
    assert rows == [(901, "/system.slice/kubelet.service", "system", None, None), (4300, "/system.slice/containerd.service", "system", None, None),
                    (4321, "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3f1c2a4e_7d1b_4c8e_9a55_0e6b7d2c1f00.slice/"
                     f"cri-containerd-{'8c' * 32}.scope", "container", "8c" * 32, "3f1c2a4e-7d1b-4c8e-9a55-0e6b7d2c1f00")]  # fmt: skip


def test_a_describe_pasted_in_pieces_between_elision_marks_is_one_elided_describe() -> None:
    text = ("$ k describe -n kube-system pod kube-proxy-wx5f9\nName:                 kube-proxy-wx5f9\n"
            "Namespace:            kube-system\n...\n    Mounts:\n      /lib/modules from lib-modules (ro)\n...\n"
            "Volumes:\n  kube-proxy:\n    Type:      ConfigMap (a volume populated by a ConfigMap)\n...\n"
            "$ kubectl -n kube-system describe ds kube-proxy\nName:           kube-proxy\nSelector:       k8s-app=kube-proxy\n...\n"
            "  Containers:\n   kube-proxy:\n    Image:      registry.k8s.io/kube-proxy:v1.26.0\n    Port:       <none>\n")  # fmt: skip
    secs = split(text)
    assert [(s.kind, s.first, s.last) for s in secs] == [
        ("prompt", 1, 1), ("kubectl-describe-pod", 2, 10), ("marker", 11, 11),
        ("prompt", 12, 12), ("kubectl-describe-daemonset", 13, 19),
    ]  # fmt: skip
    pod, ds = secs[1], secs[4]
    assert pod.attrs["elided"] and not pod.problems and pod.records[0]["name"] == "kube-proxy-wx5f9"
    assert pod.records[0]["namespace"] == "kube-system"
    assert ds.records[0]["containers"] == ["kube-proxy"] and ds.records[0]["image"] == "registry.k8s.io/kube-proxy:v1.26.0"


@pytest.mark.parametrize(
    ("command", "want"),
    [
        ("k describe -n kube-system pod kube-proxy-wx5f9", ("pod", "kube-proxy-wx5f9", "kube-system")),
        ("kubectl --context prod describe deploy/web", ("deployment", "web", None)),
        ("kubectl describe -l app=web po --namespace=shop", ("pod", None, "shop")),
        ("kubectl describe ds kube-proxy | grep -n Image", ("daemonset", "kube-proxy", None)),
        ("kubectl get pods", (None, None, None)),
    ],
)
def test_the_kind_name_and_namespace_a_describe_command_names(command: str, want: tuple[object, ...]) -> None:
    from analyzer.paste import describe_args

    assert describe_args(command) == want


def test_an_unclaimed_section_is_one_problem_naming_its_lines() -> None:
    secs = split("$ kubectl get --raw /readyz?verbose\n[+]ping ok\n[+]etcd ok\n")
    probs = [p for s in secs for p in s.problems]
    assert probs == ["lines 2-3: output of `kubectl get --raw /readyz?verbose` that Kubesnap does not read"]


_ingest = ingest_text


def test_ingest_of_a_paste_fills_paste_sections_and_the_tables(tmp_path: Path) -> None:
    code, out, db = _ingest(
        tmp_path, (PASTES / "003-hoeghh27-root-prompt-nodes-pods-1.9.txt").read_text(encoding="utf-8")
    )
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT first_line, last_line, format, rows, parser FROM paste_sections ORDER BY first_line"
        ).fetchall()
        pods = con.execute("SELECT name, status_text FROM api_pods ORDER BY name").fetchall()
    assert rows == [(1, 1, "prompt", None, None), (2, 4, "kubectl-get-nodes", 2, "kubectl-table"), (5, 5, "prompt", None, None),
                    (6, 8, "kubectl-get-pods", 2, "kubectl-table"), (9, 9, "prompt", None, None)]  # fmt: skip
    assert pods == [
        ("kube-dns-6c857864fb-4znn2", "Pending"),
        ("kubernetes-dashboard-5bd6f767c7-p562x", "Pending"),
    ]


def test_pasted_kubectl_logs_with_timestamps_are_a_log_file_of_the_pod_the_command_names(tmp_path: Path) -> None:
    """Not journal lines (an RFC 3339 time, then the container's line, no `host unit[pid]:`): a kubectl-logs file of
    the pod, searchable like any container log, and no node-level note."""
    code, out, db = _ingest(tmp_path, (PASTES / "126-k8s92389-kubectl-logs-timestamps-klog-since-time.txt").read_text(encoding="utf-8"))
    assert code == 0 and "without --node" not in out, out
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("SELECT layout, namespace, pod, container, line_count, format FROM log_files").fetchall()
        # no -n: of kubectl's default namespace, so that kubesnap logs POD finds it as kubectl logs POD would
        assert files == [("kubectl-logs", "default", "openshift-kube-scheduler-operator-86cb559677-hb84l", None, 4, "timestamped")]
        assert con.execute("SELECT count(*) FROM journal").fetchall() == [(0,)]
        assert con.execute("SELECT stored FROM paste_sections WHERE format = 'kubectl-logs-timestamps'").fetchall() == [(4,)]
    r = CliRunner().invoke(main, ["grep", "--db", str(db), "-o", "json", "Unexpected EOF"])
    hits = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert r.exit_code == 0 and len(hits) == 4, r.output
    assert {h["pod"] for h in hits} == {"openshift-kube-scheduler-operator-86cb559677-hb84l"}
    assert hits[0]["ts"] == "2020-06-22T13:11:11.661137+00:00" and hits[0]["source"] == "log"


@pytest.mark.parametrize(
    ("command", "want"),
    [
        ("kubectl logs pod/web-0 --timestamps=true", (None, "web-0", None, False)),
        ("kubectl -n shop logs web-0 -c app --timestamps", ("shop", "web-0", "app", False)),
        ("kubectl logs --namespace=kube-system coredns-1 coredns -p --timestamps | tail", ("kube-system", "coredns-1", "coredns", True)),
        ("kubectl logs deploy/web --timestamps", (None, None, None, False)),
        ("kubectl logs web-0 --timestamps | grep -n error", (None, "web-0", None, False)),  # grep's -n is not a namespace
        ("kubectl get pods", (None, None, None, False)),
        (None, (None, None, None, False)),
    ],
)
def test_the_pod_and_container_a_kubectl_logs_command_names(command: str | None, want: tuple[object, ...]) -> None:
    from analyzer.ingest import logs_target

    assert logs_target(command) == want


def test_node_level_paste_without_node_is_a_note_and_with_node_is_named(tmp_path: Path) -> None:
    text = "$ sudo crictl ps\nCONTAINER      IMAGE     CREATED       STATE     NAME    ATTEMPT   POD ID\n34cb02d40a9e2  abc       4 minutes ago Running   web     0         9a8b7c6d5e4f\n"
    code, out, _db = _ingest(tmp_path, text)
    assert code == 0, out
    assert "without --node" in out
    code, out, db = _ingest(tmp_path, text, "--node", "worker-7")
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert ("worker-7",) in con.execute("SELECT DISTINCT node FROM snapshots").fetchall()


def test_ingest_exits_1_only_for_an_unclaimed_section(tmp_path: Path) -> None:
    code, out, _db = _ingest(
        tmp_path,
        "$ kubectl get --raw /readyz\n[+]etcd ok\n$ kubectl get nodes\nNAME STATUS AGE\nn1 Ready 1d\n",
    )
    assert code == 1
    assert "lines 2-2: output of `kubectl get --raw /readyz`" in out


def test_root_prompt_is_not_called_json(tmp_path: Path) -> None:
    _code, out, _db = _ingest(tmp_path, "[root@host ~]# uptime\n 10:00:00 up 1 day\n")
    assert "not JSON" not in out


_PIECES = st.sampled_from([
    "$ ", "# ", "> ", "[root@h ~]# ", "u@h:~$ ", "h:~ > ", "```", "~~~", "--More--", "(END)", "lines 1-23", "...", "--- snip ---",
    "kubectl get pods", "crictl ps -a", "ps -ef", "journalctl -u kubelet", "systemctl status kubelet", "NAME  READY  STATUS  RESTARTS  AGE",
    "CONTAINER ID  IMAGE  CREATED  STATE  NAME", "UID  PID  PPID  C STIME TTY TIME CMD", "Name:  x", "Events:", "  Type  Reason  Age  From  Message",
    "Jan 01 00:00:00 h kubelet[1]: ", "I0101 00:00:00.000000  1 a.go:1] ", "1/1", "Running", "   ", "\t", "\\_ ", "<defunct>", "●", "Loaded:",
    "Active: active (running)", "time=\"2021-01-01T00:00:00Z\" level=info", "&lt;", "&nbsp;", "\r", "\x1b[31m", "\u200b", "月", "0" * 30,
    "kubectl get deploy -A", "kubectl top pods", "NAME  READY  UP-TO-DATE  AVAILABLE  AGE", "deployment.apps/", "NAME  CPU(cores)  MEMORY(bytes)",
    "Client Version: ", 'version.Info{Major:"1", GitVersion:"v1', "custom-columns=", "host:dir user$ ",
])  # fmt: skip


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(st.one_of(_PIECES, st.text(max_size=40)), max_size=60), st.lists(st.integers(0, 59), max_size=20)
)
def test_splitter_reads_any_text_into_sections_covering_every_line(
    pieces: list[str], breaks: list[int]
) -> None:
    """Any text: no exception, sections in order and disjoint (a line cut in two, a fence glued to text, gives its two
    parts to two sections), every record a dict, every problem a str."""
    parts = list(pieces)
    for b in breaks:
        if b < len(parts):
            parts[b] = parts[b] + "\n"
    text = "".join(parts)
    secs = split(text)
    last = 0
    seen: set[tuple[int, str]] = set()
    for s in secs:
        assert last <= s.first <= s.last
        mine = {(ln.no, ln.text) for ln in s.lines if ln.text.strip()}
        assert not mine & seen
        seen |= mine
        last = s.last
        assert all(isinstance(r, dict) for r in s.records)
        assert all(isinstance(p, str) for p in s.problems)
        assert s.is_data or not s.records


def test_splitter_is_linear_on_a_long_hostile_line() -> None:
    """A 4 KB line of what the patterns look for, repeated: read in one pass per line (no backtracking)."""
    line = ("I0101 00:00:00.000000 " + " " * 11 + "1 " + "a" * 199 + ":") * 20
    text = "\n".join([line] * 200 + ["$ " + "x " * 2000, "[" + "root@" * 800 + "]# ls"] * 50)
    secs = split(text)
    assert secs


def test_output_of_many_short_paragraphs_is_one_section_with_its_blank_lines() -> None:
    """`kubectl logs` output of 2,000 one-line paragraphs: one section holding every line, the blank ones between
    included (found by bisection: a pass over the whole run per paragraph made 64 KiB of this take 28 s)."""
    text = "$ kubectl logs web-0\n" + "".join(f"line {i}\n\n" for i in range(2000))
    secs = [s for s in split(text) if s.kind != "prose"]
    (sec,) = [s for s in secs if s.kind == "container-log"]
    assert [ln.text for ln in sec.lines] == [t for i in range(2000) for t in (f"line {i}", "")][:-1]


_AGE = st.from_regex(r"\A[1-9][0-9]?(s|m|h|d)\Z")
_WORD = st.from_regex(r"\A[A-Za-z][A-Za-z0-9:./-]{0,12}\Z")
_GAP = st.from_regex(r"\A[ \t]{1,6}\Z")


@settings(max_examples=examples(200), deadline=None)
@given(
    first=st.one_of(_AGE, st.just("Wed, 17 Jun 2015 16:11:39 +0100")), last=_AGE, count=st.integers(1, 9999),
    source=st.lists(_WORD, min_size=1, max_size=2).map(lambda ws: "{" + " ".join(ws) + " }"),
    sub=st.sampled_from(["", "spec.containers{web}", "implicitly required container POD"]),
    kind=st.sampled_from(["", "Normal", "Warning"]),
    reason=_WORD.filter(lambda w: w not in ("Normal", "Warning", "implicitly") and not w.startswith("spec.")),  # a reason never looks like those
    message=st.lists(_WORD, max_size=6).map(" ".join),
    gaps=st.lists(_GAP, min_size=8, max_size=8),
)  # fmt: skip
def test_an_old_event_row_is_read_by_the_shape_of_its_words(first: str, last: str, count: int, source: str, sub: str, kind: str,
                                                            reason: str, message: str, gaps: list[str]) -> None:  # fmt: skip
    """kubectl 1.x describe events (FirstSeen LastSeen Count From SubobjectPath [Type] Reason Message), with tabs
    or spaces between cells and a SubobjectPath often blank: every field comes back."""
    from analyzer.pastefmt import _old_event_row

    cells = [first, last, str(count), source, sub, kind, reason, message]
    row = "  " + "".join(c + g for c, g in zip(cells, gaps, strict=True) if c).rstrip()
    rec = _old_event_row(row)
    assert (rec["first_seen"], rec["last_seen"], rec["count"], rec["from"]) == (first, last, str(count), source)
    assert (rec["subobject"], rec.get("type", ""), rec.get("reason"), rec["message"]) == (sub, kind, reason, message)


@given(st.text(max_size=200))
def test_an_old_event_row_of_any_text_is_a_record(text: str) -> None:
    from analyzer.pastefmt import _old_event_row

    rec = _old_event_row(text)
    assert set(rec) >= {"first_seen", "last_seen", "count", "from", "subobject", "message"}


def test_outputs_in_fences_under_labels_are_a_paste_though_one_reader_is_sure_of_one(tmp_path: Path) -> None:
    """kata-containers/runtime#668 (2018): `Output of "kubectl version":` and its fence, then a kubeconfig's and
    `systemctl show`'s, with no prompt: the YAML reader was sure of the text, read it whole, failed and the ingest stored
    nothing (exit 3). A third blind run, 2026-12-07."""
    from tests.conftest import db_rows, ingest_text

    code, out, db = ingest_text(tmp_path, 'Output of "`kubectl version`":\n```\nClient Version: version.Info{Major:"1", Minor:"10", GitVersion:"v1.10.4", '
                                'GitCommit:"5ca598b4ba5abb89bb773071ce452e33fb66339d", GitTreeState:"clean", BuildDate:"2018-06-06T08:13:03Z", '
                                'GoVersion:"go1.9.3", Compiler:"gc", Platform:"linux/amd64"}\n```\nOutput of "`kubectl config view`":\n```\n'
                                'apiVersion: v1\nclusters: []\ncontexts: []\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: []\n```\n'
                                'Output of "`systemctl show kubelet`":\n```\nType=simple\nRestart=always\nMainPID=0\n```\n', "--node", "n1")  # fmt: skip
    assert code == 1, out
    assert db_rows(db, "SELECT client_version FROM cluster_versions")[0] == [("v1.10.4",)]


def test_rows_each_behind_a_bullet_are_rows(tmp_path: Path) -> None:
    """kubernetes/minikube#8065 (2020): `minikube logs` prints `* ` before each crictl ps row; the file was read as a plain
    log, silently. A third blind run, 2026-12-07."""
    from tests.conftest import db_rows, ingest_text

    code, out, db = ingest_text(tmp_path, """\
* 7ee0ca606c052       18d8661209155       About an hour ago    Exited              pixel                       162                 4d502fbdf4935
* 1101ca456c8ac       2e0c235347464       About an hour ago    Exited              kafka                       157                 c19ef98a8ec76
""", "--node", "n1")
    assert code == 0, out
    assert db_rows(db, "SELECT container_id, state, name, attempt FROM crictl_containers ORDER BY name")[0] == [
        ("1101ca456c8ac", "Exited", "kafka", 157), ("7ee0ca606c052", "Exited", "pixel", 162)]
    assert [ln.text for ln in clean("* a bullet of prose\n* another   with blanks\n")] == ["* a bullet of prose", "* another   with blanks"]


def test_pods_of_pasted_docker_ps_rows_have_only_their_own_containers(tmp_path: Path) -> None:
    """kubernetes/kubernetes#89368 (dnaeon, 2020-03-24): three static pods' containers, no pause rows; docker ps prints no
    sandbox id, and each pod got every container of the node (`2/3 Error 4`). A third blind run, 2026-12-07."""
    from tests.conftest import ingest_text

    code, out, db = ingest_text(tmp_path, """```
[mnikolov@k8s-apiserver-bug ~]$ docker ps -a
CONTAINER ID        IMAGE                     COMMAND                  CREATED                  STATUS                              PORTS               NAMES
c5584f87db70        303ce5db0e90              "etcd --advertise-cl…"   Less than a second ago   Up Less than a second                                   k8s_etcd_etcd-k8s-apiserver-bug_kube-system_6b080f5ce3185101b1fc1e6ffba95d3e_2
f1c387ce2caf        7f997fcf3e94              "kube-controller-man…"   Less than a second ago   Up Less than a second                                   k8s_kube-controller-manager_kube-controller-manager-k8s-apiserver-bug_kube-system_f4c2904e140d045ccf0b4dceb2946e03_1
a843758a1791        2e1ba57fe95a              "kube-apiserver --ad…"   Less than a second ago   Exited (2) Less than a second ago                       k8s_kube-apiserver_kube-apiserver-k8s-apiserver-bug_kube-system_dbd0b6f5e56c74ec904c77fd70ced460_1
```
""", "--node", "k8s-apiserver-bug")
    assert code == 0, out
    res = CliRunner().invoke(main, ["get", "pods", "-A", "--db", str(db)])
    assert [ln.split()[:5] for ln in res.stdout.splitlines()[1:]] == [
        ["kube-system", "etcd-k8s-apiserver-bug", "1/1", "Running", "2"],
        ["kube-system", "kube-apiserver-k8s-apiserver-bug", "0/1", "Error", "1"],
        ["kube-system", "kube-controller-manager-k8s-apiserver-bug", "1/1", "Running", "1"]]  # fmt: skip


def test_a_command_alone_in_a_fence_is_the_command_of_the_next_fences_output(tmp_path: Path) -> None:
    """jhipster/generator-jhipster#9575 (unikzforce, 2019-04-18): the command in one fence, `and the result was this:`,
    its table in the next; the pods were stored in `default`, not in the -n the command gave (a third blind run)."""
    from tests.conftest import db_rows, ingest_text

    code, out, db = ingest_text(tmp_path, """for my program I get list of all resources in my namespace by this command:
```
microk8s.kubectl get all -n lightluckyraptor
```
and the result was this:
```
NAME                                               READY   STATUS             RESTARTS   AGE
pod/consul-0                                       0/1     Pending            0          13m
pod/jhipster-kafka-7b9d67646-nffzd                 1/1     Running            5          13m
```
A table after it is no longer that command's:
```
NAME       READY   STATUS    RESTARTS   AGE
other-0    1/1     Running   0          1m
```
""")
    assert code == 0, out
    assert db_rows(db, "SELECT namespace, name FROM api_pods ORDER BY name")[0] == [
        ("lightluckyraptor", "consul-0"), ("lightluckyraptor", "jhipster-kafka-7b9d67646-nffzd"), ("default", "other-0")]


def test_a_numbered_sentence_glued_under_a_journal_line_is_the_authors(tmp_path: Path) -> None:
    """A third blind run (2026-12-07, a containerd issue of 2024-09-23): a journal line, then `3. On the worker node, "lsmod |
    grep ip_vs" outputs:` and lsmod's lines with no blank line: the journal line was swallowed into unread text."""
    from tests.conftest import db_rows, ingest_text

    code, out, db = ingest_text(tmp_path, """Sep 23 19:21:45 lincom-desktop containerd[19407]: time="2024-09-23T19:21:45.334144033+08:00" level=error msg="ContainerStatus failed"
3. On the worker node, "lsmod | grep ip_vs" outputs:
ip_vs_rr                1891  0
ip_vs                 126902  2 ip_vs_rr

### Kubernetes version
```console
$ kubectl version
Client Version: v1.28.2
```
""", "--node", "n1")
    assert code == 1 and "lines 3-4" in out, out
    assert db_rows(db, "SELECT host, ident, pid FROM journal")[0] == [("lincom-desktop", "containerd", 19407)]
    secs = [(s.kind, s.first, s.last) for s in split((tmp_path / "paste.txt").read_text())[:3]]
    assert secs == [("journal-short", 1, 1), ("prose", 2, 2), ("unknown", 3, 4)]


def test_top_batch_output_is_processes_not_a_command_typed(tmp_path: Path) -> None:
    """kubernetes/kubernetes#34423 (yu-yang2, 2016): `top - 09:48:06 up 2 days, ...` was taken for a command typed and
    its table for BusyBox ps (the command a string of numbers). A third blind run, 2026-12-07."""
    from tests.conftest import db_rows, ingest_text

    code, out, db = ingest_text(tmp_path, """```
top - 09:48:06 up 2 days, 13:36,  3 users,  load average: 44.29, 45.71, 44.37
Tasks: 334 total,  26 running, 307 sleeping,   1 stopped,   0 zombie

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU %MEM     TIME+ COMMAND
 5138 root      20   0 3052800 120232  38952 S  41.8  0.7 563:14.33 hyperkube
49438 root      20   0   1.2g  27460   2236 R  26.2  0.2   0:00.79 findmnt
```
""", "--node", "n1")
    assert code == 1 and "top - 09" not in out, out  # its summary is a problem; no command named so
    assert db_rows(db, 'SELECT pid, "user", stat, command FROM processes ORDER BY pid')[0] == [
        (5138, "root", "S", "hyperkube"), (49438, "root", "R", "findmnt")]
