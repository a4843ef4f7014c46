"""The classes a blind run of 28 real pastes found misread (issue 16; the pastes themselves are in tests/data/pastes,
168 on): each class in its smallest form, with the lines as the pastes had them."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.paste import split
from analyzer.pastefmt import k8s_name
from tests.conftest import db_rows, ingest_text


def _kinds(text: str) -> list[tuple[str, int, int, int]]:
    return [(s.kind, s.first, s.last, len(s.records)) for s in split(text) if s.kind not in ("fence", "prompt")]


def test_a_paste_none_of_whose_output_is_read_is_still_a_paste_its_text_kept(tmp_path: Path) -> None:
    """Prompts and fences, no section read: the unread sections are problems (exit 1), their text searchable, where the
    whole file used to become a plain log silently (exit 0)."""
    text = "```\n iptables -L -n\nChain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n" \
           "KUBE-FIREWALL  all  --  0.0.0.0/0            0.0.0.0/0\n```\n"  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 1, out
    assert "data that no reader recognizes: kept as text" in out or "does not read: kept as text" in out
    r = CliRunner().invoke(main, ["grep", "--db", str(db), "KUBE-FIREWALL"])
    assert r.exit_code == 0 and "KUBE-FIREWALL" in r.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM paste_sections WHERE format = 'unknown'").fetchone() == (1,)


def test_describe_pieces_without_their_head() -> None:
    """An events table whose `Events:` line was not pasted (its header at the margin or indented); a describe's tail
    (`Allocated resources:` ... `Events:`) cut before its events."""
    assert _kinds("  Type    Reason    Age   From     Message\n  ----    ------    ----  ----     -------\n"
                  "  Normal  Starting  8m    kubelet  Starting kubelet.\n") == [("kubectl-describe-events", 1, 3, 1)]  # fmt: skip
    assert _kinds("Allocated resources:\n  Resource  Requests\n  cpu       750m (37%)\nEvents:\n"
                  "  Type     Reason                Age    From               Message\n"
                  "  Warning  EvictionThresholdMet  4m32s  kubelet, minikube  Attempting to reclaim ephemeral-storage\n") == [
        ("unknown", 1, 3, 0), ("kubectl-describe-events", 4, 6, 1)]  # fmt: skip


def test_journal_years_from_its_header_or_the_status_above_it(tmp_path: Path) -> None:
    text = ("$ journalctl -u kubelet\n-- Logs begin at Mon 2022-05-30 17:37:44 PDT. --\n"
            "Apr 16 22:26:30 host1 kubelet[10125]: E0416 22:26:30.150357   10125 kubelet.go:2448] node not found\n"
            "$ systemctl status k3s-agent\n● k3s-agent.service - Lightweight Kubernetes\n"
            "     Active: activating (start) since Fri 2023-12-08 12:39:04 CST; 31s ago\n"
            "Dec 08 12:39:04 host1 systemd[1]: Starting Lightweight Kubernetes...\n")  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "host1")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT year(ts) FROM journal ORDER BY member, line_no")
    assert [r[0] for r in rows] == [2023, 2023]  # April after a May beginning: the next year; December since 2023-12-08
    assert "read in the current year" not in out


def test_structure_the_blind_run_found() -> None:
    # a two-line zsh prompt's first line, markdown headings, labels, tail's file headers: structure or prose, never data
    assert _kinds("# champly @ champly in ~/tmp/k8s [16:16:24]\n$ kubectl get ns\nNAME      STATUS   AGE\ndefault   Active   1d\n") == [
        ("prose", 1, 1, 0), ("kubectl-get", 3, 4, 1)]  # fmt: skip
    assert [s.kind for s in split("### Actual Result:\n\n[POD]\n\n==> kubelet <==\n")] == ["comment", "prose", "comment"]
    # a quoted sentence that starts with a program's name is no command
    assert [s.kind for s in split("> kubelet logs after logging into the node (podman VM)\n")] != ["prompt"]
    # a fence glued to the first or last line of its block
    assert _kinds("```Filesystem      Size  Used Avail Use% Mounted on\n/dev/sda1        29G   28G  1.2G  96% /\n```\n") == [
        ("df", 1, 2, 1)]  # fmt: skip
    assert [s.kind for s in split("<pre><code>[POD]\n</code></pre>\n")] == ["fence", "prose", "fence"]


def test_output_that_reads_like_sentences_under_a_command() -> None:
    text = ("[root@m1 ~]# kubectl exec -i -t dnsutils -- nslookup kubernetes.default\n"
            ";; connection timed out; no servers could be reached\n\ncommand terminated with exit code 1\n"
            "$ kubectl logs kube-dns-67b548dcff-tfvhh\nError from server (NotFound): pods \"kube-dns-67b548dcff-tfvhh\" not found\n")  # fmt: skip
    assert _kinds(text) == [("unknown", 2, 2, 0), ("command-error", 4, 4, 1), ("command-error", 6, 6, 1)]


def test_the_join_command_kubeadm_init_prints_is_its_output() -> None:
    text = ("Then you can join any number of worker nodes by running the following on each as root:\n\n"
            "kubeadm join 10.0.2.15:6443 --token abcdef.0123456789abcdef \\\n"
            "\t--discovery-token-ca-cert-hash sha256:cc3f824b5543c4505ec04a2f602a911b9d75d19afbcf444f3fd395f74bae90e3\n"
            "[root@fedora vagrant]# crictl ps -a\n")  # fmt: skip
    assert _kinds(text) == [("prose", 1, 1, 0), ("kubeadm-output", 3, 4, 2)]


def test_a_2015_container_name_has_no_attempt() -> None:
    parts = k8s_name("k8s_POD.7be6d81d_kube-apiserver-kubernetes-master_kube-system_c90459f7d2bf1b3b4b6b58d5c1e07fd1_08dadf3f")
    assert parts is not None and (parts["k8s_container"], parts["namespace"], parts["attempt"]) == ("POD", "kube-system", None)
    parts = k8s_name("k8s_web_web-0_shop_0f0e0d0c-0000-4000-8000-000000000001_3")
    assert parts is not None and parts["attempt"] == 3


def test_a_pasted_systemctl_status_is_the_units_state_even_without_journal_lines(tmp_path: Path) -> None:
    text = ("```\n● k3s-agent.service - Lightweight Kubernetes\n"
            "     Loaded: loaded (/etc/systemd/system/k3s-agent.service; enabled; vendor preset: enabled)\n"
            "     Active: activating (start) since Wed 2024-04-03 16:18:27 UTC; 1min 49s ago\n"
            "   Main PID: 3915 (k3s-agent)\n     CGroup: /system.slice/k3s-agent.service\n"
            "             └─3915 \"/usr/local/bin/k3s agent\"\n```\n")  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 0, out
    svc, formats = db_rows(db, "SELECT unit, load_state, active_state, sub_state, main_pid, started_at FROM services",
                           "SELECT format FROM paste_sections ORDER BY first_line")  # fmt: skip
    assert svc == [("k3s-agent", "loaded", "activating", "start", 3915, "Wed 2024-04-03 16:18:27 UTC")]
    assert [f for (f,) in formats] == ["fence", "systemctl-status", "fence"]  # read as a paste, not as one ps capture


def test_the_second_blind_runs_classes(tmp_path: Path) -> None:
    # a container's State / Last State pasted alone: the OOMKilled evidence, one record
    (sec,) = [s for s in split("wk64c\n    State: Running\n    Last State: Terminated\n      Reason: OOMKilled\n      Exit Code: 137\n"
                               "    Restart Count: 1\n") if s.is_data]  # fmt: skip
    assert (sec.kind, sec.records) == ("container-state", [{"state": "Running", "last_state": "Terminated", "last_reason": "OOMKilled",
                                                            "last_exit_code": 137, "restart_count": 1}])  # fmt: skip
    # helm's table is no kubectl table; one blank before a typed kubectl command keeps it a command; <details> is markup
    text = ("$ ./helm ls\nNAME     REVISION  UPDATED                   STATUS  CHART        NAMESPACE\n"
            "jenkins  1         Thu Apr  4 11:39:29 2019  FAILED  jenkins-1.1  default\n"
            "<details>\n<summary>logs</summary>\n\n ` kubectl describe jobs test-job -n ci\nName:  test-job\nNamespace:  ci\n</details>\n")  # fmt: skip
    assert [(s.kind, s.command) for s in split(text) if s.kind not in ("fence",)] == [
        ("prompt", "./helm ls"), ("unknown", "./helm ls"), ("marker", None), ("marker", None),
        ("prompt", "kubectl describe jobs test-job -n ci"), ("kubectl-describe-object", "kubectl describe jobs test-job -n ci"),
        ("marker", None)]  # fmt: skip
    # a program's own lines among its klog lines: the container's log as a whole; kubectl's notice above it is not the log's
    logs = ("# oc logs sdn-5pxbb -n openshift-sdn\nDefaulted container \"sdn\" out of: sdn, install-cni\n"
            "User \"sa\" set.\nwhich: no openshift-sdn in (/usr/local/sbin:/usr/bin)\n"
            "I0418 23:49:54.950001   10247 start_network.go:193] Reading node configuration\n")  # fmt: skip
    assert [(s.kind, s.first, s.last, len(s.records)) for s in split(logs)] == [
        ("prompt", 1, 1, 0), ("prose", 2, 2, 0), ("container-log", 3, 5, 3)]
    # pasted get pods without NAMESPACE: of -n, else of the default namespace, as kubesnap get pods shows them
    code, out, db = ingest_text(tmp_path, "$ kubectl get pods\nNAME    READY   STATUS    RESTARTS   AGE\nweb-0   1/1     Running   0          1d\n")
    assert code == 0, out
    r = CliRunner().invoke(main, ["get", "pods", "--db", str(db)])
    assert r.exit_code == 0 and "web-0" in r.output


def test_a_markdown_table_and_no_resources_found(tmp_path: Path) -> None:
    text = ("❯ kubectl get pods -o wide\n\nNo resources found in default namespace.\n\n❯ kubectl get nodes -o wide\n\n"
            "| NAME | STATUS | ROLES | AGE | VERSION | INTERNAL-IP |\n| --- | --- | --- | --- | --- | --- |\n"
            "| aks-agentpool-97813782-vmss000001 | Ready | agent | 43m | v1.23.8 | 10.224.0.5 |\n")  # fmt: skip
    secs = [s for s in split(text) if s.is_data]
    assert [(s.kind, len(s.records)) for s in secs] == [("kubectl-get-pods", 0), ("kubectl-get-nodes", 1)]
    assert secs[1].records[0]["internal_ip"] == "10.224.0.5"
    code, out, db = ingest_text(tmp_path, text)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT name, ready FROM api_nodes").fetchall() == [("aks-agentpool-97813782-vmss000001", "True")]


def test_grep_n_over_files_is_read_as_the_files_hold_their_lines() -> None:
    text = ("kube-proxy.log:9508179:I0112 04:07:40.751401  178196 proxier.go:431] Adding new service \"common/a:8008\"\n"
            "kube-proxy.log:9508180:I0112 04:07:40.751544  178196 proxier.go:459] added serviceInfo(common/a:8008)\n")  # fmt: skip
    (sec,) = split(text)
    assert (sec.kind, len(sec.records), sec.records[0]["source"]) == ("klog", 2, "proxier.go:431")
    # a time at the start of a line is no file:line prefix
    assert [s.kind for s in split("10:00:01 starting\n10:00:02 ready\n")] != ["klog"]


def test_the_third_blind_runs_classes(tmp_path: Path) -> None:
    # a manifest cut before its name is no object: stored nowhere, and the verbs never meet a nameless node
    code, out, db = ingest_text(tmp_path, "$ kubectl get node -o yaml\napiVersion: v1\nkind: Node\nmetadata:\n  labels:\n    a: b\n")
    r = CliRunner().invoke(main, ["get", "nodes", "--db", str(db)])
    assert r.exit_code == 0 and "internal error" not in r.output
    # a sentence, then a table, with no prompt nor fence: a paste of its sections, not the table reader's whole file
    text = ("**What happened**:\nmy pods are pending, see below.\n\nNAME    READY   STATUS    RESTARTS   AGE\n"
            "web-0   0/1     Pending   0          5m\n\n![image](https://github.com/user-attachments/assets/x.png)\n")  # fmt: skip
    (tmp_path / "b").mkdir()
    code, out, db = ingest_text(tmp_path / "b", text)
    assert code == 0, out
    with duckdb.connect(str(db), read_only=True) as con:
        assert [r[0] for r in con.execute("SELECT format FROM paste_sections ORDER BY first_line").fetchall()] == [
            "prose", "kubectl-get-pods", "prose"]
    # crictl's FATA line under its command: searchable
    (tmp_path / "c").mkdir()
    code, out, db = ingest_text(tmp_path / "c", "$ crictl pods\nFATA[0010] failed to connect: context deadline exceeded\n", "--node", "n1")
    r = CliRunner().invoke(main, ["grep", "--db", str(db), "context deadline"])
    assert r.exit_code == 0 and "FATA[0010]" in r.output


def test_kubeadm_phases_pasted_without_the_kubeadm_command() -> None:
    text = ("[wait-control-plane] Waiting for the kubelet to boot up the control plane\n[kubelet-check] Initial timeout of 40s passed.\n\n"
            "Unfortunately, an error has occurred:\n        timed out waiting for the condition\n\n"
            "error execution phase wait-control-plane: couldn't initialize a Kubernetes cluster\n")  # fmt: skip
    assert [(s.kind, s.first, s.last, len(s.records)) for s in split(text)] == [("kubeadm-output", 1, 7, 5)]


def test_a_node_describe_cut_above_its_name() -> None:
    text = ("Taints:             node.kubernetes.io/disk-pressure:NoSchedule\nUnschedulable:      false\nLease:\n"
            "  HolderIdentity:  kubernetes-master\n  RenewTime:       Wed, 05 Aug 2020 12:43:57 +0530\nConditions:\n"
            "  Type                 Status  LastHeartbeatTime                 Reason      Message\n"
            "  MemoryPressure       False   Wed, 05 Aug 2020 12:43:36 +0530   KubeletHasSufficientMemory   kubelet has sufficient memory\n")  # fmt: skip
    (sec,) = split(text)
    assert sec.kind == "kubectl-describe-node"
    rec = sec.records[0]
    assert (rec["name"], rec["unschedulable"], rec["lease_renew_time"], rec["conditions"]) == (
        "kubernetes-master", False, "2020-08-05T12:43:57+05:30", {"MemoryPressure": "False"})


def test_a_bracket_prompt_without_sigil_and_a_loop_over_pods_logs() -> None:
    text = ("[root@host1 ~/Kube-router] for p in $(kubectl get pods -n kube-system -o name); do kubectl logs -n kube-system $p; done\n"
            ".:53\n[INFO] plugin/reload: Running configuration MD5 = c01130958998acfddd4a8e74c3ad5d68\n")  # fmt: skip
    secs = split(text)
    assert [(s.kind, s.first, s.last, len(s.records)) for s in secs] == [("prompt", 1, 1, 0), ("container-log", 2, 3, 2)]
    assert secs[0].prompt == "[root@host1 ~/Kube-router] "


def test_the_fourth_blind_runs_prose_labels_and_output_taken_for_commands() -> None:
    """A blind run of 44 real pastes (2026-12-07): the author's words were problems, output lines were commands. Each in
    its smallest form, the lines as microk8s#800, #790, #917, origin#18213, rke2#6644, kube-bench#242 and kubernetes#67063
    had them."""
    prose = [
        "Hi,\n",  # a greeting
        "[inspection-report-20191111_141518.tar.gz](https://github.com/ubuntu/microk8s/files/3832475/inspection-report-20191111_141518.tar.gz)\n",
        "##### Steps To Reproduce\n1. docker pull openshift/base-centos7\n2. oc new-app --docker-image=openshift/base-centos7 --name=test300\n",
        "**Actual behavior:**\nCommand:\n",
        "Command 3: ps -eaf\nOutput:\n",
        "/kind bug\n> /kind feature\n",
        "**\n",
    ]
    for text in prose:
        assert [s.kind for s in split(text)] == ["prose"], text
    # `Output:` under the command it labels is the author's; its lines after it are the command's
    secs = split("$ journalctl -u rke2-server -f\nOutput:\n\nAug 27 16:31:32 OurServer rke2[132272]: started\n")
    assert [(s.kind, s.command) for s in secs] == [("prompt", "journalctl -u rke2-server -f"), ("prose", None),
                                                    ("journal-short", "journalctl -u rke2-server -f")]
    # what `oc version` (3.x) and `microk8s.status` print is their output, not a command typed
    for cmd, out in (("oc version", "oc v3.6.1+008f2d5\nkubernetes v1.6.1+5115d708d7\n"), ("microk8s.status", "microk8s is running\naddons:\n")):
        secs = split(f"$ {cmd}\n{out}")
        assert [s.command for s in secs if s.kind == "prompt"] == [cmd], secs


def test_headerless_ps_o_rows_take_the_columns_the_command_asks_for(tmp_path: Path) -> None:
    """containerd#12344 (blind run of 44, 2026-12-07): `ps axo pid,ppid,lstart,stat,pcpu,pmem,comm --forest | grep` rows,
    with no header, were one unread problem; the -o list gives their columns (a five-word lstart, the forest's `\\_`)."""
    text = """```
sh-5.2$ ps axo pid,ppid,lstart,stat,pcpu,pmem,comm --forest | grep -A 5 'containerd-shim'
   2167       1 Mon Sep 29 18:27:57 2025 Sl    0.2  0.3 containerd-shim
   2250    2167 Mon Sep 29 18:27:57 2025 Ss    0.0  0.0  \\_ pause
   2774    2758 Mon Sep 29 18:28:08 2025 Sl    1.0  0.9  |   \\_ aws-k8s-agent
```
"""
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT pid, ppid, start_text, stat, command FROM processes ORDER BY pid")
    assert rows == [(2167, 1, "Mon Sep 29 18:27:57 2025", "Sl", "containerd-shim"), (2250, 2167, "Mon Sep 29 18:27:57 2025", "Ss", "pause"),
                    (2774, 2758, "Mon Sep 29 18:28:08 2025", "Sl", "aws-k8s-agent")]


def test_the_authors_sentence_ends_a_commands_output_and_is_cut_off_the_rows_below_it() -> None:
    """kubernetes#48193 and minikube#3142 (blind run of 44, 2026-12-07): a JSON manifest pasted after a get nodes table
    and two sentences was 'output of kubectl get nodes'; event rows under a sentence glued on top of them were one unread
    block with the sentence, and the prose after them was read as more event rows."""
    secs = split("[root@10 win]# kubectl get nodes\nNAME             STATUS     AGE\n10.242.138.106   Ready      5d\n\n"
                 "I'm trying to run nanoserver image using yaml file\n\nMy Yaml contains\n{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\"\n}\n")
    assert [(s.kind, s.command) for s in secs][1:3] == [("kubectl-get-nodes", "kubectl get nodes"), ("prose", None)]
    assert all(s.command is None for s in secs[3:]), [(s.kind, s.command) for s in secs]
    secs = split("kubectl run hello-minikube --image=k8s.gcr.io/echoserver:1.10 --port=8080\n\nI described the pod  and  saw \n"
                 " Normal   SuccessfulMountVolume   12s                kubelet, minikube  MountVolume.SetUp succeeded for volume \"default-token-mxld5\"\n"
                 "  Warning  FailedCreatePodSandBox  <invalid>          kubelet, minikube  Failed create pod sandbox.\n\n"
                 "How can I solve this problem? Thank you\n")
    assert [(s.kind, s.first, s.last, len(s.records)) for s in secs][1:] == [("prose", 3, 3, 0), ("kubectl-describe-events", 4, 5, 2), ("prose", 7, 7, 0)]


def test_the_fifth_blind_runs_events_namespace_and_rows_no_reader_stores(tmp_path: Path) -> None:
    """A second blind run of 45 real pastes (2026-12-07). kubernetes#72180: the Events of `kubectl describe pods my-web`
    (no -n) had no namespace, so `get events` (default) showed none; replicatedhq/sbctl#23's `kubectl get pods -A` whose
    NAMESPACE column is blank: six rows read by the paste, stored by no reader, with only notes and exit 0."""
    text = """kubectl describe pods my-web
Events:
  Type     Reason                  Age                  From                     Message
  ----     ------                  ----                 ----                     -------
  Normal   Scheduled               17m                  default-scheduler        Successfully assigned default/my-web to 172.16.127.119
"""
    code, out, db = ingest_text(tmp_path, text)
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT namespace, kind, name, reason FROM events")
    assert rows == [("default", "Pod", "my-web", "Scheduled")]
    blank = """```
$ kubectl get pods -A
NAMESPACE   NAME                                        READY   STATUS      RESTARTS       AGE
            metrics-server-86cbb8457f-g9kdc             1/1     Running     1 (179d ago)   218d
            coredns-7448499f4d-x8fw9                    1/1     Running     1 (179d ago)   218d
```
"""
    d = tmp_path / "blank"
    d.mkdir()
    code, out, db = ingest_text(d, blank)
    assert code == 1 and "rows of kubectl-get-pods that its reader could not store: kept as text" in out, out
    r = CliRunner().invoke(main, ["grep", "--db", str(db), "-F", "coredns-7448499f4d-x8fw9"])
    assert r.exit_code == 0 and "coredns-7448499f4d-x8fw9" in r.output, r.output


def test_a_triple_angle_prompt_and_a_paste_whose_only_output_is_no_resources_found(tmp_path: Path) -> None:
    """The second blind run: `>>> kubectl ... get events --namespace X` was not a prompt, so its events were stored in
    'default'; a paste of a prompt and `No resources found.` alone was read as a plain log, silently."""
    text = """```
>>> kubectl get events --output wide --namespace applause
LAST SEEN   TYPE     REASON      OBJECT        SUBOBJECT   SOURCE              MESSAGE                                 FIRST SEEN   COUNT   NAME
10s         Normal   Scheduled   pod/web-0                 default-scheduler   Successfully assigned applause/web-0    10s          1       web-0.17a
```
"""
    code, out, db = ingest_text(tmp_path, text)
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT namespace, reason FROM events")
    assert rows == [("applause", "Scheduled")]
    d = tmp_path / "none"
    d.mkdir()
    code, out, db = ingest_text(d, "The deployment is gone:\n```\n  > kubectl get deployments\nNo resources found.\n```\n")
    assert code == 0, out
    (secs,) = db_rows(db, "SELECT format, rows FROM paste_sections WHERE format NOT IN ('prose', 'fence')")
    assert secs == [("prompt", None), ("kubectl-get", 0)]


def test_a_secrets_value_a_paste_prints_is_never_kept(tmp_path: Path) -> None:
    """`kubectl get secret db -o jsonpath={.data.password} | base64 -d` in a paste printed the value itself: it was
    kept as text (grep found it). A Secret's YAML is stored with its values REDACTED; this output is not kept at all."""
    text = """$ kubectl get secret db -o yaml
apiVersion: v1
data:
  password: S1VCRVNOQVBDQU5BUlkxMjM0NQ==
kind: Secret
metadata:
  name: db
  namespace: default
type: Opaque
$ kubectl get secret db -o jsonpath={.data.password} | base64 -d
KUBESNAPCANARYPLAIN99
"""
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 1 and "the output of a command that reads a Secret is not kept" in out, out
    for needle in ("KUBESNAPCANARYPLAIN99", "S1VCRVNOQVBDQU5BUlkxMjM0NQ"):
        r = CliRunner().invoke(main, ["grep", "--db", str(db), "-F", needle])
        assert r.exit_code == 1 and needle not in r.output, r.output
    (raw,) = db_rows(db, "SELECT raw::VARCHAR FROM api_objects")
    assert "REDACTED" in raw[0][0] and "S1VCRVNOQVBD" not in raw[0][0]


def test_the_third_blind_runs_prose() -> None:
    """What the third blind run (2026-12-07) found read as data or as a command's output: a greeting or a mention
    (Azure/kubernetes-keyvault-flexvol#68, kubernetes/kops#13668), an issue template's labels, steps, checkboxes and links
    (k3s-io/k3s#146, kubernetes/website#2381), a script's shebang (jhipster/generator-jhipster#9575)."""
    for text in ("Hi @ritazh \n", "@olemarkus sorry it's containerd \n", "**To Reproduce**\nSteps to reproduce the behavior:\n"
                 "1. sudo k3s server &\n2. journalctl -u k3s\n", "**Page to Update:**\nhttp://kubernetes.io/docs/user-guide/services/\n",
                 "I cannot expose EXTERNAL-IP on my machine.\n**This is a...**\n- [ ] Bug Report\n- [x] Feature Request\n**Problem:**\n"):  # fmt: skip
        assert {k for k, *_ in _kinds(text)} == {"prose"}, (text, _kinds(text))
    assert _kinds("```\n#!/bin/bash\nmicrok8s.kubectl apply -f workflowengine/\n```\n") == [("comment", 2, 2, 0)]
    # and what is no label: a table's header, a program's line
    assert _kinds("Allocated resources:\n  Resource  Requests\n  cpu       750m (37%)\n")[0][0] == "unknown"


def test_klog_lines_among_a_traces_lines_under_a_command_no_reader_knows(tmp_path: Path) -> None:
    """k3s's log pasted under the install command (curl ... | sh, a fence above): its klog lines between the lines of a
    klog trace (Trace[id]: ...) are a log (the section was 'output of curl ... kept as text', exit 1); a trace's line is
    message text, never an ident Trace with the trace's id as its pid (blind paste run 3, E5: k3s-io/k3s#759)."""
    text = ("I installed k3s with the following command :\n```\ncurl -sfL https://get.k3s.io | sh -s - server --log /var/log/k3s.log\n```\n"
            "In file `/var/log/k3s.log`, I can see the following output :\n```\n"
            "Trace[1691121332]: [9.976763219s] [232.807µs] Transaction prepared\nTrace[1691121332]: [9.998879099s] [5.060453ms] END\n"
            "Trace[1691121333]: [9.976763219s] [232.807µs] Transaction prepared\n"
            'I0420 11:20:48.213953    1590 trace.go:116] Trace[1092196218]: "Update" url:/api/v1/namespaces/kube-system/endpoints/kube-scheduler\n'
            "Trace[1092196218]: [10.001340905s] [10.001264141s] END\n"
            "W0420 11:20:48.285716    1590 garbagecollector.go:639] failed to discover some groups\n```\n")  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "n1", "--year", "2020")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT ident, pid, severity, location, ts IS NOT NULL FROM journal ORDER BY line_no")
    assert rows[3] == (None, 1590, "I", "trace.go:116", True) and rows[5] == (None, 1590, "W", "garbagecollector.go:639", True), rows
    assert all(r[0] is None and r[1] is None for r in rows[:3] + rows[4:5]), rows


def test_crictl_inspect_o_yaml_in_full_and_a_substitution_in_its_command(tmp_path: Path) -> None:
    """`crictl inspect -o yaml $(crictl ps -lq)`: the crictl ps inside $(...) is not the command (its yaml was read as a
    crictl ps table); the yaml in full is the container's inspect (blind paste run 3, E7: google/gvisor#2219, cri-o's
    crictl of 2020 with the info's pid and sandboxId at the top); and today's yaml (status: and info:), the real inspect
    JSON of the corpus printed as YAML."""
    text = ("crictl inspect -o yaml $(crictl ps -lq):\n````\npid: -1\nsandboxId: fc12dcdeb0d0d9e23d584114972c07534cf6e239f21584d84a019f9abcbdbe03\n"
            "status:\n  createdAt: \"2020-03-21T02:09:19.928257073-03:00\"\n  exitCode: -1\n"
            "  id: e268cad5c813f5bb510359ceafd01034979706f243582dd229bccdf8398bb904\n  image:\n    image: docker.io/library/ubuntu:latest\n"
            "  labels:\n    io.kubernetes.container.name: gvisor-crio\n    io.kubernetes.pod.name: gvisor-crio\n    io.kubernetes.pod.namespace: default\n"
            "  metadata:\n    attempt: 0\n    name: gvisor-crio\n  state: CONTAINER_CREATED\n````\n")  # fmt: skip
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT container_id, sandbox_id, name, state, exit_code, pod_name, pod_namespace FROM crictl_containers")
    assert rows == [("e268cad5c813f5bb510359ceafd01034979706f243582dd229bccdf8398bb904",
                     "fc12dcdeb0d0d9e23d584114972c07534cf6e239f21584d84a019f9abcbdbe03", "gvisor-crio", "Created", -1, "gvisor-crio", "default")]  # fmt: skip


def test_todays_crictl_inspect_o_yaml(tmp_path: Path) -> None:
    import json

    import pytest
    import yaml

    from tests.conftest import CORPUS

    src = CORPUS / "crictl-json" / "containerd-calico-arm64-crictl-inspect-nginx-running.json"
    if not src.is_file():
        pytest.skip(f"shared corpus not found at {src}")
    doc = json.loads(src.read_text())
    text = "$ crictl inspect -o yaml " + doc["status"]["id"][:13] + "\n" + yaml.safe_dump(doc, sort_keys=False)
    code, out, db = ingest_text(tmp_path, text, "--node", "n1")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT container_id, pid, state, log_path FROM crictl_containers")
    assert rows == [(doc["status"]["id"], doc["info"]["pid"], "Running", doc["status"]["logPath"])], rows
