"""Detecting and reading one section of a paste (see analyzer.paste): tables of kubectl, crictl, docker,
nerdctl and ps of every era (by their header, or by the shape of headerless rows and the command seen),
journalctl in its output modes, klog and logrus lines, `systemctl status`, and kubectl describe.

A reader turns a section into records whose fields are the printed columns in lower case (`CONTAINER
ID` -> `container_id`, `PORT(S)` -> `ports`), counts and ids as integers, plus what the printed text
implies (`k8s_container`/`pod`/`namespace` of a dockershim name, `defunct`, the `klog` header inside a
journal line, the line's own `time_iso`). Linear: str methods, and per line regexes without nested or
adjacent unbounded quantifiers.
"""

from __future__ import annotations

import itertools
import re
import shlex
from typing import Any

from analyzer.budgets import bounded_json
from analyzer.parsers.crictl_table import inspect_table_kind
from analyzer.parsers.kubectl_describe import CONTAINER_KEYS, POD_TOP, dedent_describe
from analyzer.parsers.kubectl_table import CLUSTER_KINDS, KINDS, api_kind
from analyzer.paste import (
    MAX_LINE,
    PROW,
    Section,
    _assignment,
    command_namespace,
    command_words,
    describe_args,
    table_rule,
)
from analyzer.textutil import TOOL_ERRORS

# ---------------------------------------------------------------- headers

_MULTI = ("CONTAINER ID", "IMAGE ID", "POD ID", "SANDBOX ID", "LAST SEEN", "FIRST SEEN", "NOMINATED NODE", "READINESS GATES",
          "NODE SELECTOR", "EXTERNAL IP", "CLUSTER IP", "LAST SCHEDULE", "ACCESS MODES", "RECLAIM POLICY", "CPU %",
          "Mounted on")  # fmt: skip
_KEYS = {"lastseen": "last_seen", "firstseen": "first_seen", "container": "container_id", "port(s)": "ports",
         "%cpu": "cpu", "%mem": "mem", "ip(s)": "ip", "subobjectpath": "subobject", "node-selector": "node_selector",
         "up-to-date": "up_to_date", "ports(s)": "ports", "sandbox id": "pod_id", "task": "container_id"}  # fmt: skip
INT_KEYS = frozenset({"pid", "ppid", "pgid", "sid", "tpgid", "attempt", "count", "desired", "current", "up_to_date",
                      "available", "restarts", "c", "vsz", "rss", "thread", "uid_num", "misscheduled", "running",
                      "failed", "line", "priority", "minpods", "maxpods", "replicas", "data", "active"})  # fmt: skip


def key_of(h: str) -> str:
    low = h.strip().lower()
    if low in _KEYS:
        return _KEYS[low]
    low = low.replace("(s)", "s").replace("(", "_").replace(")", "")  # CPU(cores) -> cpu_cores
    return low.replace("%", "").replace("-", "_").replace(" ", "_").replace(".", "_")


def _segments(line: str) -> list[tuple[int, str]]:
    """(start, text) of the cells of a line separated by two or more blanks or a tab."""
    out: list[tuple[int, str]] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        j = i
        while j < n:
            if line[j] == "\t" or (line[j] == " " and j + 1 < n and line[j + 1] in " \t"):
                break
            if line[j] == " " and j + 1 == n:
                break
            j += 1
        out.append((i, line[i:j]))
        i = j
    return out


def header_cells(line: str) -> list[tuple[int, str]]:
    """The header's columns with their start; a header collapsed to single blanks is split into words,
    the known two-word names kept together."""
    segs = _segments(line)
    if len(segs) == 1 or any(" " in t and t not in _MULTI for _, t in segs):
        words: list[tuple[int, str]] = []
        for start, t in segs:
            pos = 0
            ws = t.split(" ")
            k = 0
            while k < len(ws):
                w = ws[k]
                nxt = f"{w} {ws[k + 1]}" if k + 1 < len(ws) else ""
                if nxt in _MULTI:
                    words.append((start + pos, nxt))
                    pos += len(nxt) + 1
                    k += 2
                    continue
                if w:
                    words.append((start + pos, w))
                pos += len(w) + 1
                k += 1
        return words
    return segs


def _header_words(line: str) -> list[str]:
    if line.lstrip().startswith("#"):
        line = line.replace("#", " ")  # a header the author typed again as a comment: `## UID PID PPID ... CMD ##`
    return [t for _, t in header_cells(line)]


# ---------------------------------------------------------------- detection

_MONTH = r"(?:[A-Za-z\u00c0-\u024f]{3,5}\.?|\d{1,2}\u6708|\d{1,2}\uc6d4)"
J_SHORT = re.compile(r"^" + _MONTH + r" {1,2}\d{1,2} \d\d:\d\d:\d\d(?P<frac>\.\d{1,9})? ")
J_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?P<frac>[.,]\d{1,9})?(?:[+-]\d\d:?\d\d|Z) ")
J_FULL = re.compile(r"^[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? [A-Z][A-Za-z0-9+-]{1,6} ")
J_MONO = re.compile(r"^\[ {0,12}\d{1,10}\.\d{1,9}\] ")
J_UNIX = re.compile(r"^\d{9,11}\.\d{1,9} ")
KLOG = re.compile(
    r"(?P<sev>[IWEF])(?P<md>\d{4}) (?P<time>\d\d:\d\d:\d\d\.\d{6}) {1,12}(?P<thread>\d{1,10}) (?P<file>[^ :\]]{1,200}):(?P<line>\d{1,7})\] ?"
)
LOGRUS_TEXT = re.compile(r"^(?P<level>INFO|WARN|ERRO|DEBU|FATA|PANI|TRAC)\[(?P<t>[^\]]{1,40})\] ")
K_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) ")
_HEX12 = re.compile(r"^[0-9a-f]{12,64}$")
_AGE = re.compile(r"^(?:<unknown>|<invalid>|\d+[smhdy](?:\d+[smhd])?|\d+d\d+h|\d+m\d+s)$")


KUBECTLS = frozenset(["kubectl", "k", "kc", "oc", "kubecolor", "kubecetl", "kubeclt"])
_KUBECTL_VALUE_FLAGS = frozenset(["-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server",
                                  "--as", "--token", "--request-timeout"])  # fmt: skip


def kubectl_verb(cmd: str | None) -> tuple[str, list[str]]:
    """(verb, the words after it) of a kubectl command line (`sudo kubectl -n x get deploy`, `microk8s kubectl top pods`,
    `k3s kubectl version`, `minikube kubectl -- get po`); ('', []) for a line that is no kubectl call."""
    words = [w for w in command_words(cmd) if w not in ("sudo", "-E", "watch", "env", "--") and not _assignment(w)]
    while words and words[0].rsplit("/", 1)[-1] in ("microk8s", "k3s", "k0s", "minikube", "rke2") and len(words) > 1:
        words = words[1:]
    if not words or not (words[0].rsplit("/", 1)[-1] in KUBECTLS or words[0].endswith(("kubectl", "kubectl.sh"))):
        return "", []
    i = 1
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in _KUBECTL_VALUE_FLAGS else 1
    return (words[i], words[i + 1 :]) if i < len(words) else ("", [])


def _header_word(w: str) -> bool:
    """A column name kubectl prints: capitals, digits and -_/%, a unit in parentheses (`CPU(cores)`, `PORT(S)`)."""
    head, _, unit = w.partition("(")
    return bool(head) and head.isupper() and all(c.isalnum() or c in "-_/%. " for c in head) and (not unit or unit.rstrip(")").isalnum())


def _generic_get(w: list[str], cmd: str) -> str | None:
    """`kubectl get` of a kind with no reader of its own (deployments, replicasets, pvc, namespaces, configmaps, a custom
    resource, `get all`'s other tables) and `kubectl top`: by the command, else by a header of kubectl's column names."""
    verb = kubectl_verb(cmd)[0]
    if verb == "get" and "custom-columns" in cmd and w and all(x.replace("_", "").replace("-", "").isalnum() for x in w):
        return "kubectl-get"  # `-o custom-columns=name:{.metadata.name},...`: the header as the user named the columns
    if len(w) < 2 or w[0] not in ("NAME", "NAMESPACE") or not all(_header_word(x) for x in w):
        return None
    if verb == "top" or (not cmd.strip() and "CPU(cores)" in w):
        return "kubectl-top"
    if verb == "get" or (not cmd.strip() and "AGE" in w and len(w) >= 3):
        return "kubectl-get"
    return None


def output_form(cmd: str | None) -> str:
    """The output a command asks for with -o/--output (`yaml`, `json`, `wide`, `jsonpath`, `custom-columns`), '' for none."""
    words = command_words(cmd)
    for i, w in enumerate(words):
        if w in ("-o", "--output") and i + 1 < len(words):
            form = words[i + 1]
        elif w.startswith(("-o=", "--output=")):
            form = w.split("=", 1)[1]
        elif w.startswith("-o") and len(w) > 2 and w[2:3].isalpha():
            form = w[2:]
        else:
            continue
        return form.split("=", 1)[0].strip("'\"")
    return ""


def get_kind(cmd: str | None) -> str | None:
    """The API kind a `kubectl get KIND` (or `kubectl top KIND`) command asks for; None for none or several (`get pods,svc`,
    `get all`)."""
    what = _get_what(cmd, ("get", "top")).split("/", 1)[0]
    return api_kind(what) if what and "," not in what and what != "all" else None


def _get_what(cmd: str | None, verbs: tuple[str, ...] = ("get",)) -> str:
    """The resource a `kubectl get` (or another of `verbs`) command line asks for (`svc`, `pods,services`), or ''."""
    verb, rest = kubectl_verb(cmd)
    return next((x for x in rest if not x.startswith("-")), "") if verb in verbs else ""


_SERVICE_COLUMNS = frozenset({"NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR", "LABELS", "IP(S)"})


def _has(words: list[str], *need: str) -> bool:
    return all(n in words for n in need)


def table_format(words: list[str], command: str | None) -> str | None:
    """The table format of a header line's words."""
    cmd = command or ""
    if not words:
        return None
    w = words
    if w[0] == "FirstSeen" and "Reason" in w:  # a describe's events of kubectl 1.x, its header in mixed case, without `Events:`
        return "kubectl-describe-events"
    if w[:5] == ["Type", "Reason", "Age", "From", "Message"]:  # a describe's events pasted without their `Events:` line
        return "kubectl-describe-events"
    if _has(w, "NAME", "READY", "STATUS") and ("RESTARTS" in w or "AGE" in w) and "UP-TO-DATE" not in w:
        return "kubectl-get-pods"
    if w[0] in ("NAME", "NAMESPACE") and "STATUS" in w and ("ROLES" in w or "VERSION" in w or ("LABELS" in w and len(w) <= 4)
                                                           or (w[-1] == "AGE" and len(w) == 3 and "nodes" in cmd) or "node" in cmd.split()):  # fmt: skip
        if "LABELS" in w and "STATUS" in w and "READY" not in w:
            return "kubectl-get-nodes"
        if "VOLUME" not in w and "CAPACITY" not in w:
            return "kubectl-get-nodes"
    if w[0] in ("NAME", "NAMESPACE") and ("CLUSTER-IP" in w or "CLUSTER_IP" in w or "CLUSTER IP" in w or "IP(S)" in w
                                          or ("PORT(S)" in w and "SELECTOR" in w)
                                          or ("SELECTOR" in w and "IP" in w and "PORT" in w)):  # fmt: skip  (2015's osc: IP, PORT)
        return "kubectl-get-services"
    if "NAME" in w and set(w) <= _SERVICE_COLUMNS and _get_what(cmd) in ("svc", "service", "services"):
        return "kubectl-get-services"  # a server that left out columns (`NAMESPACE NAME AGE`): the command says what it is
    if ("LASTSEEN" in w or "LAST SEEN" in w or "FIRSTSEEN" in w or "FIRST SEEN" in w) and "REASON" in w:
        return "kubectl-get-events"
    if _has(w, "TYPE", "REASON", "AGE", "FROM", "MESSAGE") or ("FROM" in w and "REASON" in w):
        return "kubectl-describe-events"
    if _has(w, "NAME", "DESIRED", "CURRENT") and (
        "NODE-SELECTOR" in w or "NODE SELECTOR" in w or "daemonset" in cmd or " ds" in cmd
    ):
        return "kubectl-get-daemonsets"
    if _has(w, "NAME", "DESIRED", "CURRENT") and (
        "statefulset" in cmd or " sts" in cmd or "petset" in cmd or (w[-1] == "AGE" and len(w) == 4)
    ):
        return "kubectl-get-statefulsets"
    if _has(w, "NAME", "READY", "AGE") and len(w) == 3 and ("statefulset" in cmd or " sts" in cmd):
        return "kubectl-get-statefulsets"
    if ("CONTAINER ID" in w or "CONTAINER" in w) and "STATE" in w and "NAME" in w:
        return "crictl-ps"
    if ("POD ID" in w or "SANDBOX ID" in w) and ("STATE" in w or "STATUS" in w):  # SANDBOX ID: crictl of 2017 (`crictl sandboxes`)
        return "crictl-pods"
    if ("CONTAINER ID" in w or "CONTAINER" in w) and "STATUS" in w and ("NAMES" in w or "IMAGE" in w):
        return "nerdctl-ps" if "nerdctl" in cmd else "docker-ps"
    if w[:3] == ["CONTAINER", "IMAGE", "RUNTIME"]:
        return "ctr-containers"  # ctr -n k8s.io containers ls
    if w[:3] == ["TASK", "PID", "STATUS"]:
        return "ctr-tasks"  # ctr -n k8s.io tasks ls
    if w[0] == "Filesystem" and w[-1] == "Mounted on":
        return "df"  # df, df -h, -H, -T, -i
    if "CPU %" in w and ("CONTAINER" in w or "POD ID" in w):
        return "crictl-stats"  # crictl stats, statsp
    if _has(w, "IMAGE", "TAG", "IMAGE ID", "SIZE"):
        return "crictl-images"
    if _has(w, "REPOSITORY", "TAG", "IMAGE ID"):
        return "docker-images"
    return ps_format(w) or _generic_get(w, cmd)


_PS_CMD = ("CMD", "COMMAND", "ARGS")


# the headers procps and BusyBox print for `-o` fields: a table of only these, with PID, is a ps table whatever comes last
_PS_HEADERS = frozenset(["PID", "PPID", "PGID", "SID", "TPGID", "USER", "UID", "RUSER", "RUID", "EUSER", "GID", "GROUP", "C", "%CPU",
                         "%MEM", "VSZ", "RSS", "SZ", "TTY", "TT", "STAT", "S", "TIME", "STIME", "START", "STARTED", "LSTART",
                         "ELAPSED", "ETIME", "NI", "PRI", "WCHAN", "ADDR", "F", "PSR", "NLWP", "LWP", "CLS", "RTPRIO", "CGROUP",
                         "COMMAND", "CMD", "ARGS", "COMM"])  # fmt: skip


# procps's header of each -o keyword (ps(1) STANDARD FORMAT SPECIFIERS), for rows pasted without their header
_PS_KEYWORDS = {"pid": "PID", "tgid": "PID", "ppid": "PPID", "pgid": "PGID", "pgrp": "PGID", "sid": "SID", "sess": "SID",
                "session": "SID", "tpgid": "TPGID", "user": "USER", "euser": "USER", "uname": "USER", "ruser": "RUSER",
                "uid": "UID", "euid": "UID", "ruid": "RUID", "gid": "GID", "group": "GROUP", "c": "C", "pcpu": "%CPU",
                "%cpu": "%CPU", "pmem": "%MEM", "%mem": "%MEM", "vsz": "VSZ", "vsize": "VSZ", "rss": "RSS", "rssize": "RSS",
                "rsz": "RSS", "sz": "SZ", "tty": "TT", "tt": "TT", "tname": "TT", "stat": "STAT", "s": "S", "state": "S",
                "time": "TIME", "cputime": "TIME", "stime": "STIME", "start_time": "START", "start": "STARTED",
                "lstart": "STARTED", "bsdstart": "START", "etime": "ELAPSED", "etimes": "ELAPSED", "ni": "NI", "nice": "NI",
                "pri": "PRI", "wchan": "WCHAN", "f": "F", "psr": "PSR", "nlwp": "NLWP", "thcount": "NLWP", "lwp": "LWP",
                "cls": "CLS", "rtprio": "RTPRIO", "cgroup": "CGROUP", "comm": "COMMAND", "ucomm": "COMMAND",
                "ucmd": "COMMAND", "args": "COMMAND", "command": "COMMAND", "cmd": "CMD"}  # fmt: skip


def ps_o_columns(cmd: str | None) -> list[str] | None:
    """The headers of the columns a `ps -o LIST` (`-eo`, BSD `axo LIST`, `--format LIST`) command prints, in order: what
    its rows are when pasted without the header (`| grep`); None for another command, a keyword Kubesnap does not
    know, or a header renamed (`pid=`)."""
    words = command_words(cmd)
    if not words or _first_cmd_word(" ".join(words)) != "ps":
        return None
    for i, w in enumerate(words[:-1]):
        if w in ("-o", "--format", "-O") or (w[:1] != "-" and w.endswith("o") and w.isalpha() and i > 0) or (w.startswith("-") and w.endswith("o") and w[1:].isalpha()):
            fields = words[i + 1].split(",")
            cols = [_PS_KEYWORDS.get(f.lower()) for f in fields]
            return [c for c in cols if c] if all(cols) and "PID" in cols else None
    return None


def ps_format(w: list[str]) -> str | None:
    if not w or "PID" not in w:
        return None
    if w[-1] not in _PS_CMD:  # `ps -o pid,ppid,comm,start,lstart`: the fields in the order asked
        return "ps-o" if len(w) >= 2 and all(x in _PS_HEADERS for x in w) else None
    if w[:4] == ["UID", "PID", "PPID", "C"] or w[:4] == ["USER", "PID", "PPID", "C"]:
        return "ps-ef"
    if w[:5] == ["UID", "PID", "PPID", "PGID", "SID"]:
        return "ps-ejf"
    if w[:4] == ["USER", "PID", "%CPU", "%MEM"]:
        return "ps-aux"
    if w[:4] == ["PPID", "PID", "PGID", "SID"]:
        return "ps-axjf"
    if w == ["PID", "TTY", "STAT", "TIME", "COMMAND"]:
        return "ps-x"
    if w[:2] == ["PID", "USER"] and ("TIME" in w or "VSZ" in w) and len(w) <= 5:
        return "busybox-ps"
    return "ps-o"


def _is_int(s: str) -> bool:
    return s.isdecimal() and len(s) < 20


def _ps_shape(line: str) -> str | None:
    """The ps format of a headerless row."""
    t = line.split()
    if 2 <= len(t) < 4:
        return "ps-o" if _is_int(t[0]) and not _is_int(t[1]) and len(t[0]) <= 8 else None
    if len(t) < 4:
        return None
    if len(t) >= 10 and all(_is_int(x) for x in t[:4]) and (t[5].lstrip("-").isdecimal()) and _is_int(t[7]):
        return "ps-axjf"
    if (
        len(t) >= 8
        and _is_int(t[1])
        and _is_int(t[2])
        and _is_int(t[3])
        and _is_int(t[4])
        and not _is_int(t[0])
        and ":" in t[7]
    ):
        return "ps-ejf"
    if (
        len(t) >= 8
        and not _is_int(t[0])
        and _is_int(t[1])
        and _is_int(t[2])
        and _is_int(t[3])
        and ":" in t[6]
    ):
        return "ps-ef"
    if (
        len(t) >= 11
        and not _is_int(t[0])
        and _is_int(t[1])
        and "." in t[2]
        and "." in t[3]
        and _is_int(t[4])
        and _is_int(t[5])
    ):
        return "ps-aux"
    if (
        _is_int(t[0])
        and (t[1] == "?" or t[1].startswith(("pts/", "tty", "console")))
        and ":" in t[3]
        and t[2][:1].isalpha()
    ):
        return "ps-x"
    if _is_int(t[0]) and (t[1] == "?" or t[1].startswith(("pts/", "tty"))) and ":" in t[2]:
        return "ps-o"
    if _is_int(t[0]) and not _is_int(t[1]) and re.match(r"^\d{1,4}:\d\d$", t[2]) and len(t) >= 4:
        return "busybox-ps"
    if _is_int(t[0]) and len(t[0]) <= 8 and not _is_int(t[1]) and ":" not in t[2] and t[1][:1] in "/[-" + "abcdefghijklmnopqrstuvwxyz":
        return "ps-o"  # `ps -o pid,args`
    return None


def _least_indent(lines: list[str]) -> int:
    """The indentation (blanks and tabs) of the least indented non-blank line."""
    return min((len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()), default=0)


# the kinds whose describe a paste may hold, to their format's name
_DESCRIBE_KINDS = {"pod": "pod", "node": "node", "deployment": "deployment", "daemonset": "daemonset", "statefulset": "statefulset",
                   "service": "service", "replicationcontroller": "rc", "event": "events"}  # fmt: skip


def _describe_kind(texts: list[str], command: str | None) -> str | None:
    first = texts[0].strip()
    keys = {ln.split(":", 1)[0].strip() for ln in texts[:80] if ":" in ln}
    # the object's own fields: the lines at the paragraph's least indentation (a whole describe may be indented)
    head = texts[:80]
    least = _least_indent(head)
    top = {ln.split(":", 1)[0].strip() for ln in head if ":" in ln and len(ln) - len(ln.lstrip(" \t")) == least}
    kind = describe_args(command)[0]
    if kind in _DESCRIBE_KINDS and (first.startswith(("Name:", "Events:")) or "Name" in keys):
        return f"kubectl-describe-{_DESCRIBE_KINDS[kind]}"
    if kind and kind not in _DESCRIBE_KINDS and first.startswith("Name:"):
        return "kubectl-describe-object"  # a claim, an ingress, a job, a custom resource: its fields as printed
    if not first.startswith("Name:"):
        # a fragment of a deployment's describe, cut above its Name: line (its fields only a deployment prints)
        if all(_kv(t) is not None for t in head) and top & {"NewReplicaSet", "OldReplicaSets", "StrategyType", "RollingUpdateStrategy"}:
            return "kubectl-describe-deployment"
        # a node's, cut above Name: (from Taints: down): the fields only a node prints, at the object's level
        if _kv(first) is not None and len(top & {"Taints", "Unschedulable", "Lease", "Conditions", "Addresses", "Capacity",
                                                   "Allocatable", "System Info", "PodCIDR", "ProviderID"}) >= 2:  # fmt: skip
            return "kubectl-describe-node"
        return None
    if (
        "Roles" in top
        or "Taints" in top
        or "Capacity" in top  # a statefulset's volume claims have an indented Capacity of their own
        or "System Info" in top
        or "ExternalID" in top
    ):
        return "kubectl-describe-node"
    if (
        "Desired Number of Nodes Scheduled" in keys
        or "Number of Nodes Scheduled with Up-to-date Pods" in keys
    ):
        return "kubectl-describe-daemonset"
    if "StrategyType" in keys or "RollingUpdateStrategy" in keys or "NewReplicaSet" in keys:
        return "kubectl-describe-deployment"
    if "Update Strategy" in keys or ("Pods Status" in keys and "Replicas" in keys and "Volume Claims" in keys):
        return "kubectl-describe-statefulset"
    if "Replicas" in keys and "Pods Status" in keys:
        return "kubectl-describe-rc"
    # (the object's own fields: a pod's container has a Port and its secret volume a Type, both indented)
    if ("Port" in top or "TargetPort" in top) and ("Endpoints" in top or "Type" in top) and "Containers" not in top:
        return "kubectl-describe-service"
    if "Node" in keys or "Host" in keys or "Containers" in keys or "Image(s)" in keys or "Status" in keys:
        return "kubectl-describe-pod"
    return None


def _journal_kind(line: str) -> str | None:
    s = line[:200]
    m = J_SHORT.match(s)
    if m:
        return "journal-short-precise" if m.group("frac") else "journal-short"
    m2 = J_ISO.match(s)
    if m2:
        return "journal-short-iso-precise" if m2.group("frac") else "journal-short-iso"
    if J_FULL.match(s):
        return "journal-short-full"
    if J_MONO.match(s):
        return "journal-short-monotonic"
    if J_UNIX.match(s):
        return "journal-short-unix"
    return None


# the phases kubeadm init/join/reset/upgrade print their lines under
KUBEADM_PHASES = frozenset(["init", "preflight", "certs", "kubeconfig", "kubelet-start", "control-plane", "etcd", "wait-control-plane",
                            "apiclient", "upload-config", "upload-certs", "mark-control-plane", "bootstrap-token", "kubelet-finalize",
                            "addons", "kubelet-check", "reset", "discovery", "join", "patches", "certificates", "api-check",
                            "control-plane-check", "kubelet", "upgrade", "upgrade/config", "upgrade/version", "upgrade/apply",
                            "upgrade/staticpods", "upgrade/successful", "upgrade/postupgrade", "config", "dryrun"])  # fmt: skip
# programs whose output no reader of Kubesnap reads, though it may look like a table or a ps (helm ls, ping, ip, iptables)
_FOREIGN = frozenset(["helm", "ping", "ping6", "ip", "nslookup", "dig", "host", "curl", "wget", "iptables", "iptables-save", "ip6tables",
                      "nft", "ipvsadm", "ss", "netstat", "traceroute", "tcpdump", "lsblk", "blkid", "mount", "ethtool", "conntrack",
                      "arp", "route", "lsmod", "getent", "openssl", "etcdctl", "lsof", "strace", "telnet", "nc"])  # fmt: skip


def detect(texts: list[str], command: str | None) -> str:
    """The format of one paragraph of a paste (its non-blank lines), given the command seen above it."""
    from analyzer.paste import is_marker

    body = [t for t in texts if t.strip()]
    if not body:
        return "prose"
    first = body[0].strip()
    cmd = command or ""
    words0 = cmd.split()
    if len(body) == 1 and output_label(first):
        return "prose"  # `Output:` under the command it labels
    if _first_cmd_word(cmd) in _FOREIGN:  # helm list's table is no kubectl table, ping's lines no ps rows
        # (but klog lines are a log's, whatever command the author showed above them: `curl ... | sh` then the k3s log)
        if _line_shaped(body) == "klog":
            return "klog"
        return "prose" if _prose_like(body) and not _data_like(body) else "unknown"
    # tables by header (the header may follow a line or two of notices)
    for k, ln in enumerate(body[:3]):
        f = table_format(_header_words(ln), cmd)
        if f is not None:
            if k and not all(_stray_line(x) for x in body[:k]):
                break
            return f
    if first.startswith("Events:"):
        return "kubectl-describe-events"
    if len(body) == 1 and _first_cmd_word(cmd) == "date" and date_output_iso(first):
        return "date"
    if _cgroup_tree(body):
        return "systemctl-cgroup-tree"
    if inspect_pids(body, cmd) is not None:  # as printed: a template's (or jq's) bare pids, or grep'ed YAML or JSON
        return ("crictl-inspect-template" if first.isdecimal() else
                "crictl-inspect-yaml" if not first.startswith('"') else "crictl-inspect-json")  # fmt: skip
    if inspect_table_kind(body) or _inspect_fragment(body, cmd):
        return "crictl-inspect-table"  # a sandbox's (inspectp) or a container's: the reader tells which
    if first.startswith("ID: ") and len(body) > 1 and body[1].startswith("RepoTags: "):
        return "crictl-images-verbose"
    d = _describe_kind(body, command)
    if d:
        return d
    if _container_fragment(body):
        return "container-state"
    if len(body) > 2 and ".service" in body[1] and "Loaded:" in body[2]:
        return "systemctl-status"  # `service kubelet status` on systemd: `Redirecting to /bin/systemctl status ...` first
    if len(body) > 1 and first.endswith(".service") and " " not in first and body[1].strip().startswith("Loaded:"):
        return "systemctl-status"  # a unit systemd does not know: `x.service` alone, then `Loaded: not-found`
    if (
        (first.startswith(("●", "* ", "○", "×"))
        and ((len(body) > 1 and "Loaded:" in body[1]) or ".service" in first))
        or first.startswith("Loaded:")
        or (".service -" in first and len(body) > 1 and "Loaded:" in body[1])
    ):
        return "systemctl-status"
    if "journalctl" in cmd and ("-o cat" in cmd or "--output=cat" in cmd or "-o=cat" in cmd):
        return "journal-cat"
    if _first_cmd_word(cmd) == "journalctl" and _journal_notices(body):
        return "journal-short"  # journalctl's notices alone (a Hint block, `-- No entries --`): the journal, without a line
    if first.startswith("{") and (
        '"__REALTIME_TIMESTAMP"' in first or '"MESSAGE"' in first or '"__CURSOR"' in first
    ):
        return "journal-json" if first.endswith("}") else "journal-json-pretty"
    if first.startswith(("__CURSOR=", "__REALTIME_TIMESTAMP=")):
        return "journal-export"
    if sum(1 for b in body if b.lstrip("`").startswith("[") and b.lstrip("`")[1:].split("]", 1)[0] in KUBEADM_PHASES) * 2 > len(body):
        return "kubeadm-output"  # kubeadm's phases pasted without the kubeadm command: `[wait-control-plane] Waiting for ...`
    if first.startswith("kubeadm join ") and "--token" in first and not command:
        return "kubeadm-output"  # the join command `kubeadm init` prints at its end (a token in it: never typed as is here)
    if len(body) == 1 and first.startswith("No resources found") and kubectl_verb(cmd)[0] == "get":
        what = _get_what(cmd).split(",")[0]  # `kubectl get pods` found none: its table, of no row
        kinds = {"Pod": "kubectl-get-pods", "Node": "kubectl-get-nodes", "Event": "kubectl-get-events", "Service": "kubectl-get-services"}
        return kinds.get(get_kind(cmd) or "", "kubectl-get") if what != "all" else "kubectl-get-pods"
    if command and all(tool_error(b) for b in body):
        return "command-error"  # `Error from server (NotFound): ...`, `command terminated with exit code 1`
    verb = kubectl_verb(cmd)[0]
    if verb and verb not in ("logs", "exec", "attach", "debug", "cp", "events") and all(tool_error(b) or KLOG.match(b.lstrip()) for b in body):
        return "command-error"  # kubectl's own klog lines (`E1017 ... memcache.go:265] couldn't get current server API group list`): its stderr, no node's log
    if _kubectl_version(body):
        return "kubectl-version"
    if component_version(body, cmd) is not None:
        return "component-version"
    shaped = _line_shaped(body)
    if shaped:
        return shaped
    # headerless tables: by the command, else by their shape
    hl = _headerless(body, cmd)
    if hl:
        return hl
    if all(is_marker(x) for x in body):
        return "marker"
    if "describe" in words0 and first.startswith(" "):
        return "describe-more"
    if body[0].startswith((" ", "\t")) and not command:
        return "continuation"
    if _prose_like(body) and not any("   " in t.strip() or "\t" in t.strip() or t.startswith(";;") for t in body) and not (command and _version_line(body)):
        return "prose"  # a sentence between outputs: the author's, not the command's
    if all(b.strip().lstrip("> ").split(None, 1)[:1] and b.strip().lstrip("> ").split(None, 1)[0] in PROW for b in body):
        return "prose"  # Prow's commands in a GitHub comment: `/kind bug`, `> /kind feature`
    if command and _first_cmd_word(cmd) in (
        "kubectl",
        "crictl",
        "docker",
        "ps",
        "journalctl",
        "systemctl",
        "nerdctl",
        "k",
        "kc",
        "oc",
        "service",
    ):
        return "unknown"
    if all(b.strip().startswith(("![", "[![", "[")) and "](" in b and b.strip().endswith(")") for b in body):
        return "prose"  # a markdown image or link: ![image](https://...), [report.tar.gz](https://github.com/...)
    if not command and all(_MD_STRUCTURE.match(b.strip()) for b in body) and any(re.match(r"#{1,6} ", b.strip()) for b in body):
        return "prose"  # a markdown heading and its list: `##### Steps To Reproduce`, `1. docker pull ...`
    if len(body) == 1 and not command and first.endswith(":") and first.count("`") >= 2:
        return "prose"  # a caption with inline code: `journalctl -u rke2-server` logs:
    if len(body) == 1 and first[:1] == "[" and first[-1:] == "]" and len(first.split()) <= 3 and not command:
        return "prose"  # a label the author put above an output: `[POD]`, `[SERVICE]`
    if len(body) == 1 and first.startswith("# ") and not cmd.startswith("cat "):
        return "prose"  # a shell comment alone (zsh's ys theme prints `# user @ host in ~/dir [16:16:24]` above its `$`)
    if not command and len(body) == 1 and 0 < len(first.split()) <= 3 and all(
        w.rstrip(":,.!?").isalpha() or w.startswith(("https://", "http://")) for w in first.split()
    ):
        return "prose"  # a heading the author wrote (`containerd log`, `Output:`, `See https://...`, `Hi,`), under no command
    if not command and all(_LABEL.match(b.strip()) for b in body):
        return "prose"  # labels the author wrote (`**Actual behavior:**`, `Command:`, `Command 3: ps -eaf`)
    if all(b.strip().strip("*_~`") == "" for b in body):
        return "prose"  # markdown's markers alone: a `**` left from bold cut in two
    return "prose" if _prose_like(body) and not _data_like(body) else "unknown"


_VERSION_KEYS = ("Client Version:", "Server Version:", "Kustomize Version:", "Kubernetes Version:")
# what kubectl version prints besides its versions: deprecation and skew warnings, a server it could not reach
_VERSION_NOTES = ("WARNING:", "Warning:", "Flag --", "The connection to the server", "Unable to connect", "error:", "Error from server")


# what `oc version` of OpenShift 3 (and 4.0's previews) prints: oc's version, the Kubernetes it was built with, its features,
# then the server's URL, OpenShift and Kubernetes versions
_OC3_KEYS = ("oc v", "kubernetes v", "features:", "Server ", "openshift v")


def _kubectl_version(body: list[str]) -> bool:
    """`kubectl version` (`oc version`): `Client Version: v1.25.4` (1.28 on, and --short) or `version.Info{...}`, with its
    notices; OpenShift 3's `oc v3.11.0` / `kubernetes v1.11.0+d4cacc0` / `features: ...` / `Server https://...`."""
    lines = [b.strip() for b in body if b.strip()]
    # (its server's half is a paragraph of its own after a blank line: Server URL, openshift v..., kubernetes v...)
    if lines and (lines[0].startswith("oc v") or (lines[0].startswith("Server ") and len(lines) > 1)) and all(
            b.startswith(_OC3_KEYS + _VERSION_NOTES) for b in lines):
        return True
    keys = [b.strip() for b in body if b.strip().startswith(_VERSION_KEYS)]
    return any(k.startswith(("Client Version:", "Server Version:")) for k in keys) and all(
        b.strip().startswith(_VERSION_KEYS + _VERSION_NOTES) or KLOG.match(b.strip()[:300]) is not None for b in body
    )


# programs of a node whose `--version` (`version`, `-v`) a paste may show
_COMPONENTS = frozenset(["kubeadm", "kubelet", "containerd", "docker", "dockerd", "runc", "crun", "crictl", "crio", "cri-dockerd",
                         "etcd", "etcdctl", "helm", "k3s", "rke2", "k0s", "minikube", "kind", "podman", "nerdctl", "conmon",
                         "kube-apiserver", "kube-proxy", "kube-scheduler", "kube-controller-manager", "calicoctl", "cilium"])  # fmt: skip


def component_version(body: list[str], cmd: str | None) -> tuple[str, str] | None:
    """(program, version) of what `PROGRAM --version` (`version`, `-v`) printed: `Kubernetes v1.28.4`, `Docker version
    24.0.7, build afdd53b`, `runc version 1.1.9`, kubeadm's and helm's Go-printed `version.Info{GitVersion:"v1.28.4"}`;
    None for other output (a first line naming no version, or more than a version's few lines)."""
    words = command_words(cmd)
    prog = _first_cmd_word(cmd or "")
    if prog not in _COMPONENTS or not {"--version", "-v", "-V", "version", "--client"} & set(words[1:4]) or not body or len(body) > 40:
        return None
    if prog == "crictl" and "--version" not in words:
        return None  # `crictl version`: the runtime's versions, read by crictl-version
    fields = dict(_INFO_FIELD.findall(body[0][:2000])) if "Info{" in body[0] else {}
    if fields.get("GitVersion") or fields.get("Version"):
        return prog, fields.get("GitVersion") or fields["Version"]
    for t in body[0].replace(":", " ").split()[:12]:
        w = t.strip(",;()")
        if _VERSION.match(w) and (w[:1] == "v" or "." in w):
            return prog, w
    return None


_INFO_FIELD = re.compile(r'(\w{1,40}):"([^"]{0,200})"')  # one field of a Go-printed version.Info{Major:"1", ...}


def _read_kubeadm(sec: Section) -> None:
    """kubeadm's log: a record per line with its phase (`[preflight] ...`); an indented `[WARNING Check]: ...` is a
    warning of the phase above it."""
    phase: str | None = None
    for ln in sec.lines:
        t = ln.text.strip()
        if not t:
            continue
        rec: dict[str, Any] = {"line": ln.no, "phase": None, "message": t}
        if t.startswith("[WARNING ") and "]" in t:
            check, _, rest = t[9:].partition("]")
            rec.update(phase=phase, warning=check.strip(), message=t)
        elif ln.text.startswith("[") and "] " in t:
            tag, _, rest = t.partition("] ")
            phase = tag[1:]
            rec.update(phase=phase, message=rest)
        sec.records.append(rec)


def _snake(name: str) -> str:
    """BuildDate -> build_date."""
    return "".join(f"_{c.lower()}" if c.isupper() and k and name[k - 1].islower() else c.lower() for k, c in enumerate(name))


def _read_version(sec: Section, texts: list[str]) -> None:
    """One record: client_version, server_version (and kustomize_version, oc's kubernetes_version) as printed; of a
    `version.Info{...}`, its GitVersion and each other field as client_/server_ + the field in snake case
    (client_build_date, server_go_version, client_platform)."""
    rec: dict[str, Any] = {}
    if next((t.strip() for t in texts if t.strip()), "").startswith("oc v"):  # OpenShift 3's oc: the client's, then the server's
        side = "client"
        for t in (t.strip() for t in texts):
            word, _, rest = t.partition(" ")
            if word == "Server":
                side = "server"
            elif word in ("oc", "openshift", "kubernetes") and rest.startswith("v"):
                key = f"{side}_version" if word == "kubernetes" else f"{side}_{word}_version"
                rec.setdefault(key, rest.split()[0])
        if rec:
            sec.records.append(rec)
        return
    for t in texts:
        key, sep, value = t.strip().partition(": ")
        if not sep or f"{key}:" not in _VERSION_KEYS:
            continue
        side = key.lower().replace(" ", "_")  # client_version
        fields = dict(_INFO_FIELD.findall(value)) if value.startswith("version.Info{") else {}
        rec[side] = fields.get("GitVersion") or value.strip()
        for name, v in fields.items():
            if name != "GitVersion":
                rec[f"{side.removesuffix('_version')}_{_snake(name)}"] = v
    if rec:
        sec.records.append(rec)


_INSPECT_PID = ("crictl-inspect-template", "crictl-inspect-yaml", "crictl-inspect-json")  # crictl inspect cut to its pids
_INSPECT_VALUE_FLAGS = frozenset(["-o", "--output", "--template", "-r", "--runtime-endpoint", "-i", "--image-endpoint", "--timeout",
                                   "--config", "-c"])  # fmt: skip


def inspect_ids(cmd: str | None) -> tuple[str, list[str]]:
    """('inspect' or 'inspectp', the ids) of a `crictl inspect[p] [options] ID...` command line (up to its pipe)."""
    if _first_cmd_word(cmd or "") != "crictl":
        return "", []
    try:  # a template holds blanks in its quotes: --template "{{(index .info.pid)}}"
        words = shlex.split(cmd or "")
        words = words[: words.index("|")] if "|" in words else words
    except ValueError:
        words = command_words(cmd)
    verb = next((w for w in words if w in ("inspect", "inspectp")), "")
    if not verb:
        return "", []
    ids, i = [], words.index(verb) + 1
    while i < len(words):
        w = words[i]
        if w in _INSPECT_VALUE_FLAGS:
            i += 2
            continue
        if not w.startswith("-"):
            ids.append(w)
        i += 1
    return verb, ids


def _pid_value(line: str) -> int | None:
    """The value of a `"pid": 123,` (JSON) or `pid: 123` (YAML) line, as `crictl inspect | grep pid` prints it."""
    key, sep, value = line.strip().partition(":")
    v = value.strip().rstrip(",")
    return int(v) if sep and key.strip().strip('"') == "pid" and v.isdecimal() and len(v) < 10 else None


def inspect_pids(body: list[str], cmd: str | None) -> list[tuple[str, int]] | None:
    """(id, host pid) of `crictl inspect[p] ID` output cut down to its pid: `| grep pid` of the JSON or YAML (the
    container's info.pid is the pid line of least indentation; others are the spec's), or `--template '{{.info.pid}}'`
    and `| jq .info.pid`, a pid a line for each id in order. None for other output."""
    _verb, ids = inspect_ids(cmd)
    lines = [b for b in body if b.strip()]
    if not ids or not lines:
        return None
    if all(b.strip().isdecimal() and len(b.strip()) < 10 for b in lines):
        return list(zip(ids, (int(b) for b in lines), strict=False)) if len(lines) == len(ids) else None
    if len(ids) != 1 or not all("pid" in b.lower() for b in lines):
        return None
    values = [(len(b) - len(b.lstrip()), v) for b in lines if (v := _pid_value(b)) is not None]
    return [(ids[0], min(values)[1])] if values else None


def _inspect_fragment(body: list[str], cmd: str) -> bool:
    """Lines of a crictl inspect table under the command that printed them, cut by a grep or a head: `Key: value` lines of
    the keys such a table has."""
    words = cmd.split()
    if _first_cmd_word(cmd) not in ("crictl", "crioctl") or not {"inspect", "inspectp", "inspects", "status"} & set(words):
        return False
    keys = [b.split(":", 1)[0].strip() for b in body if ":" in b and not b[:1].isspace()]
    return bool(keys) and len(keys) * 2 >= len(body) and all(k in _INSPECT_TABLE_KEYS for k in keys)


_INSPECT_TABLE_KEYS = frozenset(["ID", "Name", "UID", "Namespace", "Attempt", "Status", "State", "Created", "Started", "Finished", "Exit Code",
                                 "Reason", "Image", "ImageRef", "IP Address", "IP Addresses", "Additional IP", "Network namespace",
                                 "Labels", "Annotations", "Info", "Mounts"])  # fmt: skip


_VERSION = re.compile(r"v?\d{1,9}(?:\.\d{1,9}){1,4}")  # 1.13.1, v1.16.1 (bounded: no backtracking to speak of)


def _version_line(body: list[str]) -> bool:
    """One line naming a version, not ending as a sentence ends: what `docker -v` or `kubelet --version` prints."""
    s = body[0].strip()
    return len(body) == 1 and not s.endswith((".", "!", "?", ":")) and any(_VERSION.fullmatch(w.strip(",;()")) for w in s.split())


# markdown's structure lines: a heading, a numbered or bulleted list item, a rule
_MD_STRUCTURE = re.compile(r"^(?:#{1,6} \S|\d{1,3}[.)] \S|[-*+] \S|---+$|\*\*\*+$)")
# a label the author wrote above an output: `Command:`, `**Actual behavior:**`, `Output 2:`, `Command 3: ps -eaf`
_LABEL = re.compile(r"^(?:\*\*|__)?[A-Za-z][A-Za-z ]{0,30}(?: \d{1,3})?:(?:\*\*|__)?(?: [^ ].{0,80})?$")
_OUTPUT_LABELS = frozenset(["output", "result", "results", "logs", "log", "error", "errors", "response", "stdout", "stderr"])


def output_label(line: str) -> bool:
    """`Output:`, `**Result:**`: the author's label of the output under it."""
    t = line.strip()
    return t.rstrip("*_").endswith(":") and t.strip("*_").lower().rstrip(":") in _OUTPUT_LABELS


def _prose_like(body: list[str]) -> bool:
    """Sentences rather than output: most lines are mostly words of letters, with no column gaps."""
    n = 0
    for ln in body[:50]:
        s = ln.strip()
        ws = s.split()
        # (an @mention is a word: `@olemarkus sorry it's containerd`)
        letters = sum(1 for w in ws if w.strip(".,:;!?()*`'\"").lstrip("@").isalpha())
        gapless = "   " not in s and "\t" not in s
        short = gapless and 2 <= len(ws) <= 3
        # a greeting or a mention (`Hi @ritazh`), a heading or a label of two or three words (`To Reproduce`, `Page to
        # Update:`), a numbered step (`1. sudo k3s server &`), a link alone on its line
        greeting = short and (ws[0].lower().rstrip(",!") in ("hi", "hello", "hey", "thanks", "thank") or ws[0][:1] == "@")
        if s.startswith(("- [ ] ", "- [x] ", "- [X] ")):  # a checkbox of an issue's template
            n += 1
            continue
        label = (short and "  " not in s and letters == len(ws) and ws[0][:1].isupper() and (s[-1:] in ":\u2026" or s[-1:].isalpha() or s.endswith("..."))
                 and not any(c in s for c in "\"'`"))  # (not a table's header, `Resource  Requests`, nor a program's `User "sa" set.`)
        step = gapless and len(ws) >= 3 and len(ws[0]) <= 3 and ws[0][:-1].isdecimal() and ws[0][-1:] == "."
        link = len(ws) == 1 and s.startswith(("http://", "https://"))
        if ((gapless and ((len(ws) >= 4 and letters * 10 >= len(ws) * 6) or (len(ws) < 3 and s.isascii() is False)))
                or (s.startswith(("**", "#", "- ", "* ")) and letters * 2 >= len(ws)) or greeting or label or step or link):  # fmt: skip
            n += 1
    return n * 2 >= len(body[:50])


def _journal_notices(body: list[str]) -> bool:
    """Lines journalctl prints besides entries, and nothing else: `-- No entries --`, `-- Logs begin at ...`,
    the `Hint:` block with its indented continuation lines."""
    in_hint = False
    for line in body:
        t = line.strip()
        if t.startswith("Hint: "):
            in_hint = True
        elif t.startswith("-- "):
            in_hint = False
        elif not (in_hint and line[:1] in " \t"):
            return False
    return True


def _host_ident(line: str) -> bool:
    """A journal line's `host ident[pid]:` (or `host ident:`) after its time."""
    words = line[:400].split(" ", 3)
    return len(words) >= 3 and words[2].endswith(":") and not words[2][:1].isdigit()


def _first_cmd_word(cmd: str) -> str:
    from analyzer.paste import _assignment

    ws = [w for w in cmd.split() if w not in ("sudo", "-E", "watch", "env") and not _assignment(w)]
    return ws[0].rsplit("/", 1)[-1] if ws else ""


def table_start(line: str, command: str | None) -> bool:
    """A table's header line whose first column is NAME or NAMESPACE (kubectl's tables)."""
    words = _header_words(line) if line[:1] not in " \t" else []
    return bool(words) and words[0] in ("NAME", "NAMESPACE") and table_format(words, command or "") is not None


def notice_lines(texts: list[str], command: str | None) -> int:
    """How many lines before a table's header (among the first three) are no stray notice the table's reader
    skips (`kubectl exec POD CMD is DEPRECATED ...`): 0 where the paragraph is no table or starts with its header."""
    for k, ln in enumerate(texts[:3]):
        if table_format(_header_words(ln), command or "") is not None:
            return 0 if all(_stray_line(x) for x in texts[:k]) else k
    return 0


def _stray_line(s: str) -> bool:
    t = s.strip()
    return (
        t.startswith(("W", "I", "E", "Warning", "NAMESPACE:", "No resources", "Flag --"))
        or KLOG.match(t) is not None
    )


# a line of a klog trace after its header line (k8s.io/utils/trace): `Trace[1092196218]: [10.00s] [10.00s] END`
KLOG_TRACE = re.compile(r"^Trace\[\d{1,12}\]: ")


def _line_shaped(body: list[str]) -> str | None:
    """The line-shaped format most lines have (journal modes, klog, logrus, kubectl logs --timestamps), or None. A klog
    trace's lines count with klog's, where klog lines are among them."""
    counts: dict[str, int] = {}
    traces = 0
    for ln in body[:400]:
        s = ln.lstrip()
        if KLOG_TRACE.match(s[:24]):
            traces += 1
            continue
        lk = _journal_kind(s) or _line_kind(s)
        if lk and lk.startswith("journal-short-iso") and K_TS.match(s[:40]) and not _host_ident(s):
            lk = "kubectl-logs-timestamps"  # an RFC 3339 time, then the container's line, not `host unit[pid]:`
        if lk:
            counts[lk] = counts.get(lk, 0) + 1
    if "klog" in counts:
        counts["klog"] += traces
    if not counts:
        return None
    best = max(counts, key=lambda x: counts[x])
    if counts[best] * 2 >= len(body[:400]) or counts[best] >= 3:
        return "journal-short-iso" if best == "journal-short-iso-precise" else best
    return None


def _line_kind(s: str) -> str | None:
    if KLOG.match(s[:300]):
        return "klog"
    if LOGRUS_TEXT.match(s[:60]):
        return "logrus-text"
    if K_TS.match(s[:40]):
        return "kubectl-logs-timestamps"
    return None


def _data_like(body: list[str]) -> bool:
    """Lines of a table or a log rather than sentences: most lines have runs of blanks or start with a number."""
    n = 0
    for ln in body[:50]:
        s = ln.strip()
        if "   " in s or "\t" in s or (s[:1].isdecimal() and " " in s and not s.endswith((".", ":"))) or s.startswith(";;"):
            n += 1  # `;;` starts dig's and nslookup's lines (`;; connection timed out; no servers could be reached`)
    return n * 2 > len(body[:50]) and len(body) >= 1


def tool_error(line: str) -> bool:
    return line.strip().startswith(TOOL_ERRORS)


# a command substitution inside a command line ($(crictl ps -lq), `kubectl get pod -o name`): not the command's own words
_SUBST = re.compile(r"\$\([^()]*\)|`[^`]*`")


def _headerless(body: list[str], cmd: str) -> str | None:
    first = body[0]
    toks = first.split()
    w = _SUBST.sub(" ", cmd).split()  # (crictl inspect -o yaml $(crictl ps -lq) is no crictl ps)
    fw = _first_cmd_word(cmd)
    if _prose_like(body) and not _data_like(body):
        return None  # a sentence under a command is not its output
    if kubectl_verb(cmd)[0] == "top" and any(_kind_cols("kubectl-top", b, cmd) for b in body[:1]):
        return "kubectl-top"
    if get_kind(cmd) in _KIND_COLUMNS and output_form(cmd) in ("", "wide") and any(_kind_cols("kubectl-get", b, cmd) for b in body[:1]):
        return "kubectl-get"
    if fw in ("kubectl", "k", "kc", "oc") and "get" in w and output_form(cmd) in ("", "wide"):
        what = _get_what(cmd)
        if what in ("po", "pod", "pods"):
            return "kubectl-get-pods"
        if what in ("no", "node", "nodes") and any("Ready" in t or t == "Unknown" for t in toks[1:4]):
            return "kubectl-get-nodes"  # a node row says Ready, NotReady or Unknown
        if what in ("ev", "event", "events"):
            return "kubectl-get-events"
        if what in ("svc", "service", "services"):
            return "kubectl-get-services"
    if fw == "crictl":
        if "images" in w or "image" in w or "img" in w:
            return "crictl-images"
        if "pods" in w or "sandboxes" in w:
            return "crictl-pods"
        if "ps" in w:
            return "crictl-ps"
    if fw == "ctr" and {"t", "task", "tasks"} & set(w) and ("ls" in w or "list" in w):
        return "ctr-tasks"  # `ctr -n k8s.io t ls | grep b66`: TASK PID STATUS rows
    if fw == "ctr" and {"c", "container", "containers"} & set(w) and ("ls" in w or "list" in w):
        return "ctr-containers"
    if fw in ("docker", "nerdctl") and "ps" in w:
        if "--format" in cmd and len(toks) == 1:
            return "docker-ps-names"
        return "nerdctl-ps" if fw == "nerdctl" else "docker-ps"
    if fw == "ps" and (ocols := ps_o_columns(cmd)) is not None and any(t.split()[:1] and t.split()[0].isdecimal() for t in body[:3]):
        return ps_format(ocols) or "ps-o"  # `ps axo pid,ppid,lstart,... | grep shim`: the columns it asked for
    shapes: dict[str, int] = {}
    for ln in body[:50]:
        s = _ps_shape(ln)
        if s:
            shapes[s] = shapes.get(s, 0) + 1
    if shapes:
        best = max(shapes, key=lambda x: shapes[x])
        if shapes[best] * 2 >= len(body[:50]):
            return best
    if toks and _HEX12.match(toks[0]) and len(toks) >= 5 and any(t.startswith(("Up", "Exited", "Created")) for t in toks) and '"' in first:
        return "docker-ps"
    if len(toks) >= 3 and (
        "Ready" in toks[1:3] or "NotReady" in toks[1:3] or toks[1].startswith(("Ready,", "NotReady,"))
    ):
        return "kubectl-get-nodes"
    if len(toks) >= 5 and re.match(r"^\d+/\d+$", toks[1]) and _is_int(toks[3]):
        return "kubectl-get-pods"
    if len(toks) >= 6 and re.match(r"^\d+/\d+$", toks[2]) and _is_int(toks[4]):
        return "kubectl-get-pods"
    if len(toks) >= 6 and _AGE.match(toks[0]) and _AGE.match(toks[1]) and _is_int(toks[2]):
        return "kubectl-describe-events"
    if len(toks) >= 14 and toks[0] in _WEEKDAYS and toks[6] in _WEEKDAYS and _is_int(toks[12]) and toks[13].startswith("{"):
        return "kubectl-describe-events"  # 2015: first and last seen as RFC 1123 times, then the count and {component host}
    if (
        len(toks) >= 4
        and toks[0] in ("Normal", "Warning")
        and (len(toks) > 2 and (_AGE.match(toks[2]) or toks[2].endswith(("s", "m", "h", "d"))))
    ):
        return "kubectl-describe-events"
    if (
        len(toks) >= 3
        and "/" in toks[0]
        and toks[1][:1].isalnum()
        and _is_int(toks[1]) is False
        and re.match(r"^[0-9a-f]{13}$", toks[2] if len(toks) > 2 else "")
    ):
        return "crictl-images"
    return None


# ---------------------------------------------------------------- reading


def read(sec: Section) -> None:
    """Fill sec.records (and problems) by the reader of sec.kind."""
    fmt = sec.kind
    texts = [ln.text for ln in sec.lines]
    try:
        if fmt.startswith("kubectl-describe-") and fmt != "kubectl-describe-events":
            _read_describe(sec, texts)
        elif fmt == "kubectl-describe-events":
            _read_events_section(sec, texts)
        elif (
            fmt.startswith(
                ("kubectl-get", "kubectl-top", "crictl-ps", "crictl-pods", "crictl-images", "crictl-stats", "docker-", "nerdctl-", "df", "ctr-")
            )
            and fmt != "crictl-images-verbose"
        ):
            _read_table(sec, texts)
        elif fmt == "crictl-inspect-table":
            _read_inspect_table(sec, texts)
        elif fmt == "kubectl-version":
            _read_version(sec, texts)
        elif fmt == "container-state":
            _read_container_fragment(sec, texts)
        elif fmt == "component-version":
            body = [t for t in texts if t.strip()]
            got = component_version(body, sec.command)
            if got is not None:
                commit = next((w.strip("()") for w in body[0].split() if w.startswith("(") and w.endswith(")") and len(w) > 9), None)
                go = next((w for t in body for w in t.replace('"', " ").split() if w.startswith("go1.")), None)
                sec.records.append({"component": got[0], "version": got[1], **({"commit": commit} if commit else {}),
                                    **({"go_version": go} if go else {})})  # fmt: skip
        elif fmt in _INSPECT_PID:
            verb = inspect_ids(sec.command)[0]
            key = "pod_id" if verb == "inspectp" else "container_id"
            sec.records += [{key: i, "pid": pid} for i, pid in inspect_pids([t for t in texts if t.strip()], sec.command) or []]
        elif fmt == "command-error":  # what the tool said when the command failed: a record per line
            sec.records += [{"line": ln.no, "message": ln.text.strip()} for ln in sec.lines if ln.text.strip()]
        elif fmt == "container-log":  # a container's log as `kubectl logs` printed it: a record per line (a klog header read)
            for ln in sec.lines:
                if ln.text.strip():
                    line_rec: dict[str, Any] = {"line": ln.no, "message": ln.text}
                    _klog_into(line_rec, ln.text)
                    sec.records.append(line_rec)
        elif fmt == "kubeadm-output":
            _read_kubeadm(sec)
        elif fmt == "crictl-images-verbose":
            _read_images_verbose(sec, texts)
        elif fmt.startswith("ps-") or fmt == "busybox-ps":
            _read_ps(sec, texts)
        elif fmt.startswith("journal-") or fmt == "systemctl-status":
            _read_journal(sec, texts)
        elif fmt == "klog":
            _read_klog(sec, texts)
        elif fmt == "systemctl-cgroup-tree":
            _read_cgroup_tree(sec, texts)
        elif fmt == "logrus-text":
            _read_logrus(sec, texts)
        elif fmt == "date":  # the time the paste was printed at: kubectl ages are counted back from it
            sec.records.append({"time": date_output_iso(texts[0] if texts[0].strip() else next(t for t in texts if t.strip()))})
        elif fmt == "kubectl-logs-timestamps":
            for t in texts:
                if t.strip():
                    ts, _, msg = t.partition(" ")
                    rec: dict[str, Any] = {"time": ts, "message": msg}
                    _klog_into(rec, msg)
                    if (m := KLOG.match(msg[:400])) is not None:
                        rec["message"] = msg[m.end() :]  # a klog line: its header is in rec["klog"], as _read_klog gives it
                    sec.records.append(rec)
        else:
            sec.problems.append(f"lines {sec.first}-{sec.last}: {fmt}: no reader")
    except (
        ValueError,
        IndexError,
        KeyError,
    ) as e:  # a reader's own bug on odd text: the section is reported, not lost
        sec.problems.append(
            f"lines {sec.first}-{sec.last}: {fmt} not read ({type(e).__name__}: {str(e)[:120]})"
        )


def _key_values(texts: list[str]) -> list[list[tuple[str, str, dict[str, str]]]]:
    """Blocks of `Key: value` lines (crictl's inspect tables, `crictl images -v`), a new block at each `ID:` line; the
    indented `k -> v` lines under `Labels:`/`Annotations:` are that key's map."""
    blocks: list[list[tuple[str, str, dict[str, str]]]] = []
    nested: dict[str, str] | None = None
    for t in texts:
        s = t.strip()
        if not s:
            continue
        if t[:1] in " \t" and nested is not None and " -> " in s:
            k, _, v = s.partition(" -> ")
            nested[k.strip()] = v.strip()
            continue
        key, sep, value = s.partition(": ") if ": " in s else s.partition(":")
        if not sep:
            continue
        if key == "ID" or not blocks:
            blocks.append([])
        nested = {}
        blocks[-1].append((key.strip(), value.strip(), nested))
    return blocks


_GO_TIME = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d{1,9})? ([+-]\d{4})(?: [A-Z][A-Za-z0-9+-]{0,9})?$")


def go_time_iso(text: str) -> str | None:
    """Go's time.String() (`2026-01-18 13:59:31.698659283 +0000 UTC`, as crictl's tables print times) as RFC 3339 in UTC,
    its fraction kept to the nanosecond; None for another form."""
    from datetime import UTC, datetime

    m = _GO_TIME.match(text.strip())
    if m is None:
        return None
    day, clock, frac, offset = m.groups()
    try:
        t = datetime.fromisoformat(f"{day}T{clock}{offset[:3]}:{offset[3:]}").astimezone(UTC)
    except ValueError:
        return None
    return f"{t:%Y-%m-%dT%H:%M:%S}{frac or ''}Z"


def _read_inspect_table(sec: Section, texts: list[str]) -> None:
    """crictl inspect/inspectp --output table (and cri-o's `crioctl pod status` before it): a sandbox's block has its Status,
    a container's its State. A fragment (`| grep Addresses`) is one record of what it holds."""
    for block in _key_values(texts):
        kv = {k: v for k, v, _m in block}
        maps = {k: m for k, _v, m in block if m}
        sandbox = "Status" in kv or ("State" not in kv and ("UID" in kv or "Namespace" in kv))
        rec: dict[str, Any] = {}
        if "ID" in kv:
            rec["pod_id" if sandbox else "container_id"] = kv["ID"]
        for key, field in (("Name", "name"), ("UID", "uid"), ("Namespace", "namespace"), ("Image", "image"), ("ImageRef", "image_ref"),
                           ("Reason", "reason")):  # fmt: skip
            if key in kv:
                rec[field] = kv[key]
        if "Attempt" in kv:
            rec["attempt"] = int(kv["Attempt"]) if kv["Attempt"].isdecimal() else kv["Attempt"]
        if "Exit Code" in kv:
            rec["exit_code"] = int(kv["Exit Code"]) if kv["Exit Code"].lstrip("-").isdecimal() else kv["Exit Code"]
        state = kv.get("Status") or kv.get("State")
        if state:
            rec["state"] = state
        for key in ("Created", "Started", "Finished"):
            if key in kv:
                rec[key.lower()] = go_time_iso(kv[key]) or kv[key]
        ip = kv.get("IP Address") or kv.get("IP Addresses")
        if ip:
            rec["ip"] = ip
        if "Additional IP" in kv:
            rec["additional_ips"] = [kv["Additional IP"]]
        for key in ("Labels", "Annotations"):
            if maps.get(key):
                rec[key.lower()] = maps[key]
        if rec:
            sec.records.append(rec)
    sec.attrs["object"] = "sandbox" if any("pod_id" in r or "uid" in r for r in sec.records) else "container"


def _read_images_verbose(sec: Section, texts: list[str]) -> None:
    """`crictl images -v`: one block per image (ID, a RepoTags line per tag, RepoDigests, Size, Uid or Username, Pinned)."""
    for block in _key_values(texts):
        rec: dict[str, Any] = {"repo_tags": [], "repo_digests": []}
        for key, value, _m in block:
            if key == "ID":
                rec["image_id"] = value
            elif key == "RepoTags":
                rec["repo_tags"].append(value)
            elif key == "RepoDigests":
                rec["repo_digests"].append(value)
            elif key == "Size":
                rec["size"] = int(value) if value.isdecimal() else value
            elif key == "Uid":
                # `&Int64Value{Value:65535,}`: the uid the image runs as
                digits = value.rpartition("Value:")[2].rstrip(",}")
                rec["uid"] = int(digits) if digits.isdecimal() else value
            elif key == "Username":
                rec["username"] = value
            elif key == "Pinned":
                rec["pinned"] = value == "true"
        if "image_id" in rec:
            sec.records.append(rec)


def _ints(rec: dict[str, Any]) -> None:
    for k, v in list(rec.items()):
        if isinstance(v, str) and len(v) > 2 and v.startswith("`") and v.endswith("`"):
            rec[k] = v = v.strip("`")
        if k == "ready" and isinstance(v, str) and _is_int(v):
            rec[k] = int(v)
        if k in INT_KEYS and isinstance(v, str):
            s = v.strip()
            if _is_int(s) or (s.startswith("-") and _is_int(s[1:])):
                rec[k] = int(s)
            elif k == "restarts" and s.split(" ", 1)[0].isdecimal():
                rec[k] = int(s.split(" ", 1)[0])
                rest = s.split(" ", 1)[1].strip() if " " in s else ""
                if rest.startswith("(") and rest.endswith(")"):
                    rec["last_restart"] = rest[1:-1]
                    rec["last_restart_age"] = rest[1:-1].removesuffix(" ago")


def _assign(line: str, cols: list[tuple[int, str]]) -> dict[str, str]:
    """Cells of one aligned row, each segment going to the column whose start it is nearest after."""
    segs = _segments(line)
    out: dict[str, str] = {key_of(h): "" for _, h in cols}
    starts = [s for s, _ in cols]
    keys = [key_of(h) for _, h in cols]
    if len(segs) == len(cols) and all(
        abs(s - st) <= 3 or True for (s, _), st in zip(segs, starts, strict=True)
    ):
        aligned = all(
            segs[i][0] < (starts[i + 1] if i + 1 < len(starts) else 10**9) for i in range(len(segs))
        )
        if aligned or len(segs) == len(cols):
            for (_, t), k in zip(segs, keys, strict=True):
                out[k] = t
            return out
    if len(segs) > 1:
        for s, t in segs:
            j = 0
            for i, st in enumerate(starts):
                if st <= s + 1:
                    j = i
            if out[keys[j]]:
                # a second segment for a column: the previous one spilled over, or this one shifted right
                if j + 1 < len(keys) and not out[keys[j + 1]] and s > starts[j]:
                    out[keys[j + 1]] = t
                else:
                    out[keys[j]] += " " + t
            else:
                out[keys[j]] = t
        return out
    # whitespace collapsed to one blank: word per column, the rest to the last one
    ws = line.split()
    for i, k in enumerate(keys):
        if i == len(keys) - 1:
            out[k] = " ".join(ws[i:])
        elif i < len(ws):
            out[k] = ws[i]
    return out


_K8S_NAME_KEYS = ("k8s_container", "pod", "namespace", "pod_uid", "attempt")


def k8s_name(name: str) -> dict[str, Any] | None:
    """The parts of a dockershim container name k8s_<container>_<pod>_<namespace>_<uid>_<attempt>."""
    n = name.strip().lstrip("/")
    if not n.startswith("k8s_"):
        return None
    parts = n[4:].split("_")
    if len(parts) < 5:  # cut or edited by hand: only the container part (POD: the pause container) is sure
        return {"k8s_container": parts[0].split(".", 1)[0] or None, "pod": None} if len(parts) >= 2 else None
    att = parts[-1]
    container, dot, spec_hash = parts[0].partition(".")
    out: dict[str, Any] = {"k8s_container": container, "pod": "_".join(parts[1:-3]), "namespace": parts[-3], "pod_uid": parts[-2]}
    if dot and not _is_int(att):  # 2015's names: k8s_<container>.<hash>_<pod>_<ns>_<uid>_<random suffix>, no attempt in them
        return {**out, "attempt": None, "hash": spec_hash, "suffix": att}
    return {**out, "attempt": int(att) if _is_int(att) else att}


def _table_header(
    texts: list[str], fmt: str, command: str | None
) -> tuple[int, list[tuple[int, str]]] | None:
    for i, t in enumerate(texts[:4]):
        if table_format(_header_words(t), command) is not None:
            return i, header_cells(t)
    return None


_IMPLIED = {
    "kubectl-get-pods": "NAME  READY  STATUS  RESTARTS  AGE",
    "kubectl-get-nodes": "NAME  STATUS  ROLES  AGE  VERSION",
    "kubectl-get-services": "NAME  TYPE  CLUSTER-IP  EXTERNAL-IP  PORT(S)  AGE",
    "kubectl-get-events": "LAST SEEN  TYPE  REASON  OBJECT  MESSAGE",
    "crictl-ps": "CONTAINER  IMAGE  CREATED  STATE  NAME  ATTEMPT  POD ID",
    "crictl-pods": "POD ID  CREATED  STATE  NAME  NAMESPACE  ATTEMPT",
    "crictl-images": "IMAGE  TAG  IMAGE ID  SIZE",
    "ctr-tasks": "TASK  PID  STATUS",
    "ctr-containers": "CONTAINER  IMAGE  RUNTIME",
    "docker-ps": "CONTAINER ID  IMAGE  COMMAND  CREATED  STATUS  PORTS  NAMES",
    "docker-ps-names": "NAMES",  # docker ps --format '{{.Names}}'
    "nerdctl-ps": "CONTAINER ID  IMAGE  COMMAND  CREATED  STATUS  PORTS  NAMES",
}


_WIDE_POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES")


_WIDE_APPS = ("CONTAINERS", "IMAGES", "SELECTOR")
# the columns kubectl get (and top) prints for the kinds read by the generic table reader, newest release first:
# a headerless row (`kubectl get deploy | grep web`) takes the list as long as its cells, NAMESPACE first under -A
_KIND_COLUMNS: dict[str, list[tuple[str, ...]]] = {
    "Deployment": [("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"), ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", *_WIDE_APPS),
                   ("NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "AGE")],
    "ReplicaSet": [("NAME", "DESIRED", "CURRENT", "READY", "AGE"), ("NAME", "DESIRED", "CURRENT", "READY", "AGE", *_WIDE_APPS)],
    "Namespace": [("NAME", "STATUS", "AGE")],
    "PersistentVolumeClaim": [("NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "AGE"),
                              ("NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE")],
    "PersistentVolume": [("NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS", "REASON", "AGE")],
    "ConfigMap": [("NAME", "DATA", "AGE")],
    "Secret": [("NAME", "TYPE", "DATA", "AGE")],
    "ServiceAccount": [("NAME", "SECRETS", "AGE")],
    "Endpoints": [("NAME", "ENDPOINTS", "AGE")],
    "Ingress": [("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), ("NAME", "HOSTS", "ADDRESS", "PORTS", "AGE")],
    "Job": [("NAME", "COMPLETIONS", "DURATION", "AGE"), ("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE")],
    "CronJob": [("NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"),
                ("NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE")],
    "HorizontalPodAutoscaler": [("NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE")],
    "StorageClass": [("NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE")],
}  # fmt: skip
_TOP_COLUMNS = [("NAME", "CPU(cores)", "MEMORY(bytes)"), ("NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%")]


def _kind_cols(fmt: str, row: str, command: str | None) -> list[tuple[int, str]] | None:
    """The columns of a headerless row of `kubectl get KIND` or `kubectl top`: the known list as long as its cells."""
    options = _TOP_COLUMNS if fmt == "kubectl-top" else _KIND_COLUMNS.get(get_kind(command) or "", [])
    n = len(_segments(row))
    for names in options:
        if len(names) == n:
            return [(0, h) for h in names]
        if len(names) + 1 == n:
            return [(0, h) for h in ("NAMESPACE", *names)]
    return None


def _headerless_cols(fmt: str, row: str) -> list[tuple[int, str]]:
    toks = row.split()
    if fmt == "kubectl-get-pods" and len(_segments(row)) >= 5:
        toks = [t for _, t in _segments(row)]  # cells kubectl padded apart: RESTARTS may be `72 (3m32s ago)`
    if fmt == "kubectl-get-pods" and len(toks) >= 6 and re.match(r"^\d+/\d+$", toks[2]):
        return [(0, h) for h in ("NAMESPACE", *_WIDE_POD_COLUMNS)[: len(toks)]]
    if fmt == "kubectl-get-pods":  # up to -o wide's columns
        return [(0, h) for h in _WIDE_POD_COLUMNS[: max(5, min(len(toks), 9))]]
    if fmt == "kubectl-get-nodes":
        if len(toks) == 3 or (len(toks) >= 2 and toks[-1].startswith(("Ready", "NotReady"))):
            return (
                [(0, h) for h in ("NAME", "LABELS", "STATUS")]
                if len(toks) == 3 and "=" in toks[1]
                else [(0, h) for h in ("NAME", "STATUS", "AGE")]
            )
        if len(toks) >= 4 and toks[-1].startswith("v"):
            return (
                [(0, h) for h in ("NAME", "STATUS", "ROLES", "AGE", "VERSION")]
                if len(toks) == 5
                else [(0, h) for h in ("NAME", "STATUS", "AGE", "VERSION")]
            )
    if fmt == "crictl-images" and len(toks) == 4:
        return [(0, h) for h in ("IMAGE", "TAG", "IMAGE ID", "SIZE")]
    if fmt == "crictl-ps" and len(_segments(row)) in (8, 9):  # 1.24 on: POD, and NAMESPACE (1.26 on) after POD ID
        return [(0, h) for h in ("CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE")[: len(_segments(row))]]
    if fmt in ("docker-ps", "nerdctl-ps"):
        # docker pads its columns with 3 or more spaces; PORTS is empty for most containers, so a row has 6 or 7 cells
        names = _headerless_names("docker-ps")
        if len(_segments(row)) == len(names) - 1:
            names.remove("PORTS")
        return [(0, h) for h in names]
    return [(0, h) for h in _headerless_names(fmt)]


def _headerless_names(fmt: str) -> list[str]:
    return [h.strip() for h in _IMPLIED.get(fmt, "NAME").split("  ") if h.strip()]


def _header_band(line: str) -> bool:
    """A line of only column names in capitals (the wrapped end of a header: ` NODE   READINESS GATES`, `NESS GATES`)."""
    words = line.split()
    return bool(words) and all(w.isupper() and all(c.isalnum() or c in "()%/_-" for c in w) for w in words)


def _unwrap(texts: list[str], h: int) -> list[str] | None:
    """A table wrapped by a narrow terminal, each header and row on two lines (`kubectl get pods -o wide` at 120
    columns): each pair joined into one line, the first line padded to the widest first line so that the second
    lines' columns, aligned among themselves, stay aligned under their names. None if the table is not wrapped."""
    body = [t for t in texts[h + 2 :] if t.strip()]
    if h + 1 >= len(texts) or not _header_band(texts[h + 1]) or not body or len(body) % 2:
        return None
    firsts, seconds = body[0::2], body[1::2]
    if any(f[:1].isspace() for f in firsts) or not all(
        s[:1].isspace() or len(s.strip()) * 4 < len(f.rstrip()) for f, s in zip(firsts, seconds, strict=True)
    ):
        return None
    width = max(len(t) for t in [texts[h], *firsts])
    return [*texts[:h], texts[h].ljust(width) + texts[h + 1], *(f.ljust(width) + s for f, s in zip(firsts, seconds, strict=True))]


_CLUSTER_SCOPED = frozenset(["kubectl-get-nodes", "kubectl-get-namespaces", "kubectl-get-pv", "kubectl-get-persistentvolumes"])


def _join_wrapped_devices(texts: list[str]) -> list[str]:
    """df without -P: a long device name alone on its line, its numbers on the next, indented: one row."""
    out: list[str] = []
    for t in texts:
        if out and t[:1].isspace() and t.strip() and len(out[-1].split()) == 1:
            out[-1] += t
        else:
            out.append(t)
    return out


def _read_table(sec: Section, texts: list[str]) -> None:
    fmt = sec.kind
    hdr = _table_header(texts, fmt, sec.command)
    if hdr is not None and fmt.startswith(("kubectl-get", "kubectl-top", "crictl-", "docker-", "nerdctl-")):
        joined = _unwrap(texts, hdr[0])
        if joined is not None:
            texts = joined
            sec.attrs["wrapped"] = True
            hdr = _table_header(texts, fmt, sec.command)
    kind_prefix: str | None = None
    if fmt == "df":
        texts = _join_wrapped_devices(texts)
    if hdr is None:
        sec.attrs["header"] = False
        start = 0
        cols: list[tuple[int, str]] | None = None
    else:
        start, cols = hdr[0] + 1, hdr[1]
        sec.attrs["header"] = True
        sec.attrs["columns"] = [h for _, h in cols]
    for k, t in enumerate(texts[start:], start):
        if not t.strip() or table_rule(t):
            continue  # a blank line, a markdown table's separator
        words = _header_words(t)
        f2 = table_format(words, sec.command)
        if f2 is not None and (
            "NAME" in words or "CONTAINER ID" in words or "PID" in words
        ):  # a second table (get pods,services)
            cols = header_cells(t)
            fmt = f2
            continue
        if t.lstrip().startswith(("NAMESPACE:", "No resources found")):
            continue
        if fmt == "kubectl-get-services" and cols is not None and sec.records and _service_port_continuation(t, cols):
            # kubectl of 2015 printed a service's further ports alone on the lines below it, under PORT(S)
            prev = sec.records[-1]
            first = prev.get("ports")
            prev["ports"] = [*(first if isinstance(first, list) else [first] if first else []), t.strip()]
            continue
        if cols is None and fmt in ("kubectl-get", "kubectl-top"):
            use = _kind_cols(fmt, t, sec.command) or []
            if not use:
                at = sec.first if sec.attrs.get("wrapped") else sec.lines[0].no + k
                sec.problems.append(f"line {at}: a row of `{sec.command}` without a header, its {len(_segments(t))} cells "
                                    "not the columns kubectl prints for it: not read")  # fmt: skip
                continue
        else:
            use = cols if cols is not None else _headerless_cols(fmt, t)
        if cols is not None and len(t) < 2:
            continue
        if fmt == "df" and cols is not None:  # df's cells by words (`81% /`: one blank between its last two), the mount point last
            keys, ws = [key_of(h) for _, h in cols], t.split()
            rec: dict[str, Any] = {**dict(zip(keys[:-1], ws, strict=False)), keys[-1]: " ".join(ws[len(keys) - 1 :])}
        else:
            rec = dict(_assign(t, use))
        name = str(rec.get("name", ""))
        if (
            "/" in name
            and fmt.startswith("kubectl-get")
            and name.split("/", 1)[0].replace(".", "").replace("-", "").isalpha()
        ):
            kind_prefix, _, rest = name.partition("/")
            rec["kind"] = kind_prefix
            rec["name"] = rest
        if fmt == "kubectl-get":  # a kind with no reader of its own: the API's name of it, from the row's or the command's
            rec["api_kind"] = api_kind(rec["kind"]) if rec.get("kind") else get_kind(sec.command)
        _ints(rec)
        if fmt == "crictl-ps" and "container_id" in rec:
            rec.setdefault("container", rec["container_id"])  # crictl 1.2x heads the id CONTAINER, older ones CONTAINER ID
        if fmt == "kubectl-get-nodes" and "roles" not in rec:
            rec["roles"] = None  # kubectl before 1.8 printed no ROLES column: unknown, not absent
        if fmt in ("crictl-ps", "crictl-pods") and rec.get("state"):
            rec["state_normalized"] = str(rec["state"]).removeprefix("CONTAINER_").removeprefix("SANDBOX_")
        if fmt.startswith(("docker-ps", "nerdctl")):
            parts = k8s_name(str(rec.get("names", "")))
            if parts:
                rec.update(parts)
                if "pod_uid" in parts:
                    rec["k8s"] = {**parts, "container": parts["k8s_container"], "uid": parts["pod_uid"]}
            elif fmt == "nerdctl-ps":
                nm = str(rec.get("names", ""))
                if nm.startswith("k8s://"):
                    bits = nm[6:].split("/")
                    rec["namespace"] = bits[0] if bits else None
                    rec["pod"] = bits[1] if len(bits) > 1 else None
                    rec["k8s_container"] = bits[2] if len(bits) > 2 else None
            rec.setdefault("pod", None)  # a container no kubelet made (docker run): of no pod
            if cols is None and fmt == "docker-ps":
                rec.setdefault("ports", "")  # a headerless row without ports: its PORTS cell is empty
        if fmt == "kubectl-get-events" or fmt == "kubectl-describe-events":
            _event_extra(rec)
        if (fmt.startswith("kubectl-get-") or (fmt in ("kubectl-get", "kubectl-top") and rec.get("api_kind") not in CLUSTER_KINDS)) \
                and fmt not in _CLUSTER_SCOPED and "namespace" not in rec and (ns := command_namespace(sec.command)):
            rec["namespace"] = ns  # `kubectl -n NS get pods` prints no NAMESPACE column
        sec.records.append(rec)
    if sec.kind in ("kubectl-get", "kubectl-top") and (kind := get_kind(sec.command)):
        sec.attrs["kind"] = kind
    if sec.kind != "kubectl-get-events" and any(r.get("kind") for r in sec.records):
        for r in sec.records:
            r.setdefault("kind", None)  # printed without kind/ beside rows printed with it (get pods,svc)
    if fmt != sec.kind:
        sec.attrs["formats"] = [sec.kind, fmt]


def _service_port_continuation(line: str, cols: list[tuple[int, str]]) -> bool:
    """A line holding one word that starts under the PORT(S) column: another port of the service above."""
    at = next((start for start, h in cols if h.upper() in ("PORT(S)", "PORTS")), None)
    word = line.strip()
    return at is not None and " " not in word and len(line) - len(line.lstrip(" ")) >= at - 1


def _event_extra(rec: dict[str, Any]) -> None:
    col = "age" if rec.get("age") else "last_seen"
    age = str(rec.get(col) or "")
    # `95s (x225 over 5h26m)`; 1.7's pre-releases wrote `(x2 starting 1h)` and `(x3 from 1h)`
    word = next((w for w in (" over ", " starting ", " from ") if w in age), None)
    if " (x" in age and word is not None:
        head, _, rest = age.partition(" (x")
        n, _, over = rest.partition(word)
        if n.isdecimal():
            rec["count"] = int(n)
            rec["first_age"] = over.rstrip(")")
            rec["last_age"] = head
            rec[col] = head
    elif "age" in rec and "count" not in rec:
        rec["count"] = 1
    for k in ("first_seen", "last_seen"):
        iso = rfc1123_iso(str(rec.get(k) or ""))
        if iso:
            rec[f"{k}_iso"] = iso
    obj = str(rec.get("object") or "")
    if "/" in obj:
        rec["object_kind"], _, rec["object_name"] = obj.partition("/")
        kind = rec["object_kind"].lower()
        rec.setdefault("kind", KINDS.get(kind, kind[:1].upper() + kind[1:]))  # pod/x -> Pod, as the API names it
        rec.setdefault("name", rec["object_name"])


def _read_events_section(sec: Section, texts: list[str]) -> None:
    body = [t for t in texts if t.strip()]
    if body and body[0].strip().startswith("Events:"):
        rest = body[0].strip()[7:].strip()
        body = body[1:]
        if rest in ("<none>",):
            return
    hdr = None
    for i, t in enumerate(body[:3]):
        ws = _header_words(t)
        if "REASON" in [w.upper() for w in ws] and (
            "MESSAGE" in [w.upper() for w in ws] or "FROM" in [w.upper() for w in ws]
        ):
            hdr = i
            break
    if hdr is not None:
        # 1.7's pre-releases headed the age column `Last`
        cols = [(s, "AGE" if h.upper() == "LAST" else h.upper() if h.upper() != "FIRSTSEEN" else h) for s, h in header_cells(body[hdr])]
        sec.attrs["header"] = True
        rows = body[hdr + 1 :]
    else:
        sec.attrs["header"] = False
        first = body[0].split() if body else []
        if first and first[0] in ("Normal", "Warning"):
            cols = [(0, h) for h in ("TYPE", "REASON", "AGE", "FROM", "MESSAGE")]
        else:
            cols = [
                (0, h)
                for h in (
                    "FIRSTSEEN",
                    "LASTSEEN",
                    "COUNT",
                    "FROM",
                    "SUBOBJECTPATH",
                    "TYPE",
                    "REASON",
                    "MESSAGE",
                )
            ]
        rows = body
    for t in rows:
        s = t.strip()
        if not s or set(s) <= set("-\u2500 \t"):  # a rule of dashes or box-drawing lines
            continue
        if cols and cols[0][1].upper() == "FIRSTSEEN":
            rec = _old_event_row(t)
        else:
            rec = dict(_assign(t, cols))
        _ints(rec)
        _event_extra(rec)
        sec.records.append(rec)


_WEEKDAYS = ("Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,")
_WORD_RUN = re.compile(r"[^ \t]+")  # one character class, no alternation: linear


def _old_event_row(t: str) -> dict[str, Any]:
    """A 1.x describe event row, by the shape of its words (tabs and a blank SubobjectPath defeat the columns):
    FirstSeen LastSeen (an age, or an RFC 1123 time of six words) Count From (`{component host}`, braces and
    all) [SubobjectPath: spec.containers{x} or `implicitly required container X`] [Type] Reason Message."""
    words = [(m.end(), m.group()) for m in _WORD_RUN.finditer(t)]  # (end, word)
    w = [x for _, x in words]
    k = 0

    def take(count: int) -> str:
        nonlocal k
        got = " ".join(w[k : k + count])
        k = min(len(w), k + count)
        return got

    rec: dict[str, Any] = {}
    for key in ("first_seen", "last_seen"):
        rec[key] = take(6 if k < len(w) and w[k] in _WEEKDAYS else 1)
    rec["count"] = take(1)
    if k < len(w) and w[k].startswith("{"):
        end = next((e for e in range(k, len(w)) if w[e].endswith("}")), k)
        rec["from"] = take(end - k + 1)
    else:
        rec["from"] = take(1)
    if k < len(w) and w[k].startswith("spec."):
        rec["subobject"] = take(1)
    elif k < len(w) and w[k] == "implicitly":
        rec["subobject"] = take(4)
    else:
        rec["subobject"] = ""
    if k < len(w) and w[k] in ("Normal", "Warning"):
        rec["type"] = take(1)
    if k < len(w):
        rec["reason"] = take(1)
    rec["message"] = t[words[k - 1][0] :].strip() if 0 < k < len(w) else ""
    return rec


# ---------------------------------------------------------------- ps

_PS_TIMES = ("LSTART", "STARTED", "START", "STIME")
_DAY_NAMES = frozenset(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
_MONTHS = frozenset(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])


def _time_words(head: str) -> int:
    """How many words a ps start time takes, by its shape: lstart `Mon Mar 14 09:07:45 2016` five, start and
    bsdstart of an old process `Mar 14` two, any other (`09:07:45`, `Mar14`, `2016`) one."""
    w = head.split()
    if w[:1] and w[0] in _DAY_NAMES and len(w) >= 5 and w[1] in _MONTHS:
        return 5
    if len(w) >= 2 and w[0] in _MONTHS and w[1].isdecimal() and len(w[1]) <= 2:
        return 2
    return 1
_KEYS.update({"elapsed": "etime"})


def _ps_header(texts: list[str]) -> tuple[int, list[str]] | None:
    for i, t in enumerate(texts[:3]):
        w = t.replace("#", " ").split()
        if ps_format(w) is not None:
            return i, w
    return None


_HEADERLESS_PS = {
    "ps-ef": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
    "ps-ejf": ["UID", "PID", "PPID", "PGID", "SID", "C", "STIME", "TTY", "TIME", "CMD"],
    "ps-aux": ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START", "TIME", "COMMAND"],
    "ps-axjf": ["PPID", "PID", "PGID", "SID", "TTY", "TPGID", "STAT", "UID", "TIME", "COMMAND"],
    "ps-x": ["PID", "TTY", "STAT", "TIME", "COMMAND"],
    "ps-o": ["PID", "TTY", "TIME", "CMD"],
    "busybox-ps": ["PID", "USER", "TIME", "COMMAND"],
}


def _read_ps(sec: Section, texts: list[str]) -> None:
    margin = min((len(t) - len(t.lstrip(" ")) for t in texts if t.strip()), default=0)
    texts = [t[margin:] for t in texts]  # an indented block (markdown, a quote): its margin is the table's
    hdr = _ps_header(texts)
    ocols = ps_o_columns(sec.command) if hdr is None else None
    if hdr is None:
        cols = ocols or _HEADERLESS_PS.get(sec.kind, ["PID", "CMD"])
        rows = texts
        sec.attrs["header"] = False
        if ocols:
            sec.attrs["columns"] = ocols
    else:
        cols = hdr[1]
        rows = texts[hdr[0] + 1 :]
        sec.attrs["header"] = True
        sec.attrs["columns"] = cols
    if sec.kind == "ps-o" and hdr is None and not ocols:
        firsts = [r.split() for r in rows if len(r.split()) >= 2]
        if firsts and not any(f[1] == "?" or f[1].startswith(("pts/", "tty")) for f in firsts[:5]):
            cols = ["PID", "CMD"]
    if sec.kind == "busybox-ps" and hdr is None and rows and not ocols:
        t0 = rows[0].split()
        if len(t0) > 3 and not re.match(r"^\d{1,4}:\d\d$", t0[2]):
            cols = ["PID", "USER", "VSZ", "STAT", "COMMAND"]
    widths = [len(r) for r in rows if r.strip()]
    cut = max(widths) if widths else 0
    cut_lines = sum(1 for w in widths if w == cut) if cut >= 60 else 0
    prev = ""  # the line of the last row read
    for t in rows:
        if not t.strip():
            continue
        rec = _ps_row(t, cols)
        if rec is None and sec.records and _ps_wrapped(prev, t, cut):
            last = sec.records[-1]  # the rest of its command: folded (`| fold -w 130`, a terminal) or wrapped by hand with `\`
            if prev.rstrip().endswith("\\"):
                glued = str(last["cmd"])[:-1].rstrip() + " " + t.strip()
            else:  # folded mid-word as often as not: nothing between
                glued = str(last["cmd"]) + t.rstrip()
            last["cmd"] = last["command"] = glued.strip()
            if "args" in last:
                last["args"] = last["cmd"]
            last["wrapped"], last["truncated"] = True, False
            prev = t
            continue
        if rec is None:
            if sec.records and t.startswith((" ", "\t")):
                continue
            sec.problems.append(
                f"line {sec.lines[0].no + texts.index(t)}: not a {sec.kind} row: {t.strip()[:60]!r}"
            )
            continue
        cmd = str(rec.get("cmd", ""))
        rec["defunct"] = cmd.endswith("<defunct>")
        # cut: only when several lines end at the same width (a terminal, cut -c) and this one reaches it
        rec["truncated"] = bool(
            cut_lines >= 2
            and len(t) == cut
            and not rec["defunct"]
            and len(widths) > 2
            and cut_lines * 3 >= len(widths) * 1
        )
        sec.records.append(rec)
        prev = t


def _ps_wrapped(prev: str, line: str, width: int) -> bool:
    """Whether `line`, no row of its own, goes on with the command of the row on `prev`: that row ended with a
    `\\` (wrapped by hand), or reached the width every cut line reaches and this one starts at the margin (folded)."""
    p = prev.rstrip()
    return p.endswith("\\") or (width >= 60 and len(prev) >= width - 1 and not line[:1].isspace())


def _ps_row(line: str, cols: list[str]) -> dict[str, Any] | None:
    rec: dict[str, Any] = {}
    s = line.rstrip()
    lead = ""
    if s.startswith("["):  # bbcode left in a forum paste
        k = s.find("]")
        if 0 < k < 40:
            lead, s = s[: k + 1], s[k + 1 :]
    pos = 0
    n = len(s)
    for i, c in enumerate(cols):
        while pos < n and s[pos] in " \t":
            pos += 1
        if i == len(cols) - 1 and c in _PS_CMD:
            raw = s[pos:]
            break
        nwords = _time_words(s[pos : pos + 40]) if c in _PS_TIMES else 1
        start = pos
        for _ in range(nwords):
            while pos < n and s[pos] in " \t":
                pos += 1
            while pos < n and s[pos] not in " \t":
                pos += 1
        val = s[start:pos]
        if not val:
            return None
        if nwords == 5:
            key = "lstart"  # kept as printed (`Wed May  9 ...`); lstart_iso below
        elif c in _PS_TIMES:
            key = {"STARTED": "start", "LSTART": "lstart"}.get(c, c.lower())
        else:
            key = "comm" if c in _PS_CMD else key_of(c)
        rec[key] = val
    else:
        raw = s[pos:].strip()
        if raw:
            return None  # more words than the columns hold
    # forest: ' \_ ' levels
    depth = 0
    body = raw
    k = raw.find("\\_ ")
    if k >= 0 and not raw[:k].strip(" |"):
        depth = k // 4 + 1
        body = raw[k + 3 :]
    rec["depth"] = depth
    for fk in ("cpu", "mem"):
        v = rec.get(fk)
        if isinstance(v, str) and v.replace(".", "", 1).isdecimal():
            rec[fk] = float(v)
    rec["cmd"] = body.strip()
    rec["command"] = body.strip()
    if lead:
        rec["markup"] = lead
    if cols[-1] == "ARGS" or ("comm" in rec and cols[-1] in _PS_CMD):
        rec["args"] = rec["cmd"]
    if "lstart" in rec:
        rec["started"] = rec["lstart"]
        iso = lstart_iso(str(rec["lstart"]))
        if iso:
            rec["lstart_iso"] = rec["started_iso"] = iso
    if "pid" not in rec or not _is_int(str(rec["pid"])):
        return None
    _ints(rec)
    if "uid" in rec and _is_int(str(rec["uid"])) and "ppid" in rec and "user" not in rec:
        rec["uid"] = int(rec["uid"])
    if ("uid" in rec and isinstance(rec["uid"], str) and not _is_int(rec["uid"])) or ("uid" in rec and "user" not in rec and "c" in rec):
        rec["user"] = rec["uid"]
    return rec


# ---------------------------------------------------------------- journal, klog, logrus


def _klog_into(rec: dict[str, Any], msg: str) -> None:
    m = KLOG.search(msg[:400])
    if not m:
        return
    k = {"severity": m.group("sev"), "time": f"{m.group('md')} {m.group('time')}", "thread": int(m.group("thread")),
         "file": m.group("file"), "line": int(m.group("line"))}  # fmt: skip
    rec["klog"] = k
    rec["klog_severity"] = k["severity"]
    rec["klog_time"] = k["time"]
    rec["klog_source"] = f"{k['file']}:{k['line']}"


def _logrus_into(rec: dict[str, Any], msg: str) -> None:
    if "level=" not in msg[:400] and "time=" not in msg[:200]:
        return
    kv = _logfmt(msg)
    if "level" not in kv and "time" not in kv:
        return
    rec["logrus"] = kv
    if "level" in kv:
        rec["level"] = kv["level"]
    if "msg" in kv:
        rec["msg"] = kv["msg"]
    if "time" in kv and kv["time"][:4].isdecimal():
        rec["time_iso"] = kv["time"]
    for k, v in kv.items():
        if k not in rec and k not in ("time",):
            rec[k] = v


def _logfmt(msg: str) -> dict[str, str]:
    """key=value and key="quoted value" pairs of a logfmt message (one pass)."""
    out: dict[str, str] = {}
    i, n = 0, min(len(msg), MAX_LINE)
    while i < n:
        while i < n and msg[i] == " ":
            i += 1
        j = i
        while j < n and msg[j] not in "= ":
            j += 1
        if j >= n or msg[j] != "=":
            i = j + 1
            continue
        key = msg[i:j]
        j += 1
        if j < n and msg[j] == '"':
            k = j + 1
            buf = []
            while k < n and msg[k] != '"':
                if msg[k] == "\\" and k + 1 < n:
                    buf.append(msg[k + 1])
                    k += 2
                    continue
                buf.append(msg[k])
                k += 1
            out[key] = "".join(buf)
            i = k + 1
        else:
            k = j
            while k < n and msg[k] != " ":
                k += 1
            out[key] = msg[j:k]
            i = k
    return out


def _ident(rest: str) -> tuple[str | None, str | None, int | None, str]:
    """host, ident, pid, message of what follows a journal line's time."""
    host, _, rest2 = rest.partition(" ")
    colon = rest2.find(": ")
    if colon < 0:
        if rest2.endswith(":"):
            colon = len(rest2) - 1
        else:
            return host or None, None, None, rest2
    tag = rest2[:colon]
    msg = rest2[colon + 2 :]
    pid = None
    if tag.endswith("]") and "[" in tag:
        b = tag.rindex("[")
        p = tag[b + 1 : -1]
        if p.isdecimal():
            pid = int(p)
            tag = tag[:b]
    return host or None, tag, pid, msg


def _journal_line(s: str) -> dict[str, Any] | None:
    s = s.lstrip()
    head = s[:200]
    m = J_SHORT.match(head) or J_ISO.match(head) or J_FULL.match(head) or J_UNIX.match(head)
    rec: dict[str, Any]
    if m:
        ts = s[: m.end() - 1]
        rest = s[m.end() :]
        rec = {"time": ts}
        if J_FULL.match(head):
            parts = ts.split(" ")
            rec["tz_name"] = parts[-1]
        iso = iso_of(ts)
        if iso:
            rec["time_iso"] = iso
    else:
        mm = J_MONO.match(head)
        if not mm:
            return None
        ts = s[: mm.end() - 1]
        rest = s[mm.end() :]
        rec = {"monotonic": float(ts.strip("[] ")), "time": ts}
        if rest.startswith(" "):
            rest = rest.lstrip()
    host, ident, pid, msg = _ident(rest)
    words = rest.split(" ", 2)
    if "monotonic" in rec and not words[0].endswith("]:") and not (len(words) == 3 and words[2].strip() and (words[1].endswith("]:") or (
            words[1].endswith(":") and words[0] == words[0].lower()))):  # fmt: skip
        # dmesg's `[ 5.1] Memory cgroup out of memory: ...`, `Call Trace:`: the kernel's message, no host nor unit before it
        rec.update(host=None, ident=None, pid=None, message=rest, truncated=_cut_message(rest))
        return rec
    if "monotonic" in rec and host and host.endswith(":"):
        _, ident, pid, msg = _ident("- " + rest)
        host = None
    if ident is None and host and host.endswith(":"):
        ident, host = host[:-1], None
    if host and (host.endswith("]:") or host.endswith(":")) and ident is None:
        ident, host = host.rstrip(":"), None
    rec.update(host=host, ident=ident, pid=pid, message=msg)
    _klog_into(rec, msg)
    _logrus_into(rec, msg)
    rec["truncated"] = _cut_message(msg)
    return rec


def _cut_message(msg: str) -> bool:
    """Whether journalctl or its pager cut the message: `…` at its end or, with --no-full, in the middle before
    its last few characters (`from 83.234.207.60…h2`, `...h2` where the terminal had no `…`; a message ending
    in `...` is systemd's own `Starting kubelet...`), or less's chop mark `>` (`&gt;` in a web copy)."""
    tail = msg[-8:]
    k = tail.rfind("\u2026")
    if k >= 0 and " " not in tail[k:]:
        return True
    k = tail.rfind("...")
    if 0 < k < len(tail) - 3 and tail[k - 1].isalnum() and tail[k + 3 :].isalnum():
        return True
    if msg.endswith("&gt;") and "&lt;" not in msg[-30:]:
        return True
    return msg.endswith(">") and len(msg) > 2 and msg[-2] not in "-=" and "<" not in msg[-24:]


# what journalctl prints besides entries: `-- Logs begin at ...`, -x's catalog text (`-- Subject:` before systemd 246,
# `░░ Subject:` after), the Hint block
_JOURNAL_NOTES = ("-- ", "Hint:", "\u2591\u2591")


def _read_journal(sec: Section, texts: list[str]) -> None:
    fmt = sec.kind
    body = list(texts)
    if fmt == "systemctl-status":
        body = _systemctl_head(sec, body)
    if fmt == "journal-cat":
        for t in body:
            if t.strip() and not t.strip().startswith(_JOURNAL_NOTES):
                sec.records.append({"message": t.strip()})
        return
    if fmt == "journal-export":
        _read_export(sec, body)
        return
    if fmt in ("journal-json", "journal-json-pretty"):
        _read_jjson(sec, body)
        return
    in_hint = False
    for t in body:
        s = t.strip()
        if not s or s.startswith(_JOURNAL_NOTES):
            in_hint = s.startswith("Hint:")
            continue
        rec = _journal_line(t)
        if rec is None:
            if (sec.records or in_hint) and t[:1] in (" ", "\t"):
                continue  # a continuation of the previous entry, or of journalctl's Hint
            if sec.kind == "systemctl-status" and not sec.records:
                continue
            sec.problems.append(f"line {sec.lines[0].no + texts.index(t)}: not a journal line: {s[:60]!r}")
            continue
        sec.records.append(rec)


_TREE = "├└│─`|- \t"  # the glyphs systemd-cgls and systemctl status draw a tree with (Unicode or ASCII)
_HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_POD_UID = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")


def _tree_line(t: str) -> tuple[int, str] | None:
    """(column, text) of a line of a cgroup tree: after its glyphs, a process (`2215 /usr/bin/kubelet ...`) or a unit."""
    rest = t.lstrip(_TREE)
    if rest == t.lstrip() and not rest.endswith((".slice", ".scope", ".service", ":")):
        return None  # no glyph before it and no unit: not a line of a tree
    return len(t) - len(rest), rest


def _cgroup_tree(body: list[str]) -> bool:
    """The CGroup: tree of a `systemctl status`, or `systemd-cgls`, pasted alone: tree lines, some of them processes."""
    lines = [t for t in body[:200] if t.strip()]
    tree = [_tree_line(t) for t in lines]
    drawn = any("─" in t[:200] or "`-" in t[:200] or "|-" in t[:200] for t in lines)
    procs = sum(1 for x in tree if x and x[1].split(" ", 1)[0].isdecimal())
    return bool(lines) and drawn and procs > 0 and sum(1 for x in tree if x) * 4 >= len(lines) * 3


def _read_cgroup_tree(sec: Section, texts: list[str]) -> None:
    """A process a row: pid, command, depth, and what its enclosing units say: the unit (slice, scope or service),
    the container id (a 64-hex scope name, or the shim's first argument), the pod's uid (a kubepods slice)."""
    units: list[tuple[int, str]] = []  # (column, name), the units enclosing the current line
    for t in texts:
        if not t.strip():
            continue
        tl = _tree_line(t)
        if tl is None:
            sec.problems.append(f"line {sec.lines[0].no + texts.index(t)}: not a line of a cgroup tree: {t.strip()[:60]!r}")
            continue
        col, rest = tl
        while units and units[-1][0] >= col:
            units.pop()
        word, _, cmd = rest.partition(" ")
        if not (word.isdecimal() and len(word) <= 10):
            units.append((col, rest.rstrip(":")))
            continue
        rec: dict[str, Any] = {"pid": int(word), "cmd": cmd.strip(), "depth": col, "unit": units[-1][1] if units else None}
        path = "/".join(u for _, u in units)
        ids = _HEX64.findall(path) or (_HEX64.findall(cmd[:400]) if "shim" in cmd[:200] else [])
        rec["container_id"] = ids[-1] if ids else None
        uid = _POD_UID.search(path)
        rec["pod_uid"] = uid.group(1).replace("_", "-") if uid else None
        sec.records.append(rec)


def _systemctl_head(sec: Section, body: list[str]) -> list[str]:
    """Take the status block (unit, Loaded, Active, Main PID, CGroup) off; return the journal tail."""
    out: list[str] = []
    in_head = True
    pids: list[int] = []
    cgroup = False
    sec.attrs["head_lines"] = len(body)
    for i, t in enumerate(body):
        s = t.strip()
        if in_head:
            if _journal_kind(s):
                in_head = False
                sec.attrs["head_lines"] = i
                out.append(t)
                continue
            if s.startswith(("●", "○", "×", "*")) or (".service -" in s[:120] and "unit" not in sec.attrs):
                name = s.lstrip("●○×* ").split(" ", 1)[0]
                sec.attrs["unit"] = name
            elif i == 0 and s.endswith(".service") and " " not in s:
                sec.attrs["unit"] = s  # a unit systemd does not know is printed bare, without a bullet or description
            elif s.startswith("Loaded:"):
                sec.attrs["loaded"] = s[7:].strip().split(";")[0].strip()
                v = s[7:].strip()
                sec.attrs["loaded"] = v.split(" (", 1)[0] if not v.startswith("not-found") else v
            elif s.startswith("Active:"):
                v = s[7:].strip()
                v = v.split(" since ", 1)[0].strip()
                if v.count(" (") >= 2:
                    v = v[: v.rindex(" (")]
                sec.attrs["active"] = v
            elif s.startswith("Main PID:"):
                p = s[9:].strip().split(" ", 1)[0]
                if p.isdecimal():
                    sec.attrs["main_pid"] = int(p)
            elif s.startswith("CGroup:"):
                cgroup = True  # the unit's cgroup is printed: its process list is known, empty or not
            elif "─" in s or s.startswith(("├", "└", "`-", "|-")):
                p = s.lstrip("├└─`-| ").split(" ", 1)[0]
                if p.isdecimal():
                    pids.append(int(p))
            continue
        out.append(t)
    if pids or cgroup:
        sec.attrs["cgroup_pids"] = pids
    return out


def _read_export(sec: Section, body: list[str]) -> None:
    cur: dict[str, str] = {}
    entries: list[dict[str, str]] = []
    for t in [*body, ""]:
        if not t.strip():
            if cur:
                entries.append(cur)
                cur = {}
            continue
        k, sep, v = t.partition("=")
        if sep:
            cur[k.strip()] = v  # an indented block's margin is no part of the field's name
    for e in entries:
        sec.records.append({**e, **_jfields(e)})  # the fields as journalctl printed them, and read


def _jfields(e: dict[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime

    rec: dict[str, Any] = dict(e)
    rt = str(e.get("__REALTIME_TIMESTAMP", ""))
    if rt.isdecimal():
        us = int(rt)
        rec["realtime_us"] = us
        try:
            t = datetime.fromtimestamp(us / 1e6, tz=UTC)
            rec["time"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{us % 1_000_000:06d}Z"
        except (OverflowError, OSError, ValueError):
            pass  # (a 40-digit __REALTIME_TIMESTAMP: a time no calendar holds, unknown)
    rec["host"] = e.get("_HOSTNAME")
    rec["ident"] = e.get("SYSLOG_IDENTIFIER") or e.get("_COMM")
    pid = e.get("_PID") or e.get("SYSLOG_PID")
    rec["pid"] = int(pid) if isinstance(pid, str) and pid.isdecimal() else pid
    pr = e.get("PRIORITY")
    rec["priority"] = int(pr) if isinstance(pr, str) and pr.isdecimal() else pr
    rec["message"] = e.get("MESSAGE")
    rec["unit"] = e.get("_SYSTEMD_UNIT") or e.get("UNIT")
    uid = e.get("_UID")
    rec["uid"] = int(uid) if isinstance(uid, str) and uid.isdecimal() else uid
    return rec


def _read_jjson(sec: Section, body: list[str]) -> None:
    text = "\n".join(body)
    if sec.kind == "journal-json":
        for t in body:
            s = t.strip()
            if not s:
                continue
            try:
                v = bounded_json(s)
            except ValueError:
                sec.problems.append(
                    f"lines {sec.first}-{sec.last}: a journal JSON line is not JSON: {s[:60]!r}"
                )
                continue
            if isinstance(v, dict):
                sec.records.append(_jfields(v))
        return
    try:
        v = bounded_json(text)
        vals = v if isinstance(v, list) else [v]
        for x in vals:
            if isinstance(x, dict):
                sec.records.append(_jfields(x))
    except ValueError:
        # a pretty entry cut short: what its complete "KEY" : "value" lines say
        e: dict[str, str] = {}
        for t in body:
            s = t.strip().rstrip(",")
            if s.startswith('"') and '" : ' in s:
                k, _, v2 = s.partition('" : ')
                e[k.strip('"')] = v2.strip().strip('"')
        if e:
            sec.records.append(_jfields(e))
            sec.attrs["complete"] = False


def _read_klog(sec: Section, texts: list[str]) -> None:
    for t in texts:
        s = t.strip()
        if not s:
            continue
        m = KLOG.search(s[:400])
        if not m:
            if sec.records or KLOG_TRACE.match(s[:24]):
                continue  # a continuation line (a stack, a wrapped message, a trace's step: of a line above the paste)
            sec.problems.append(f"line {sec.lines[0].no + texts.index(t)}: not a klog line: {s[:60]!r}")
            continue
        rec: dict[str, Any] = {"severity": m.group("sev"), "month_day": m.group("md"), "time": m.group("time"),
                               "thread": int(m.group("thread")), "file": m.group("file"), "line": int(m.group("line")),
                               "source": f"{m.group('file')}:{m.group('line')}", "message": s[m.end() :]}  # fmt: skip
        rec["klog_time"] = f"{m.group('md')} {m.group('time')}"
        if m.start() > 0:
            rec["prefix"] = s[: m.start()]
        sec.records.append(rec)


def _read_logrus(sec: Section, texts: list[str]) -> None:
    for t in texts:
        s = t.strip()
        m = LOGRUS_TEXT.match(s[:60])
        if not m:
            continue
        lv = {
            "INFO": "info",
            "WARN": "warning",
            "ERRO": "error",
            "DEBU": "debug",
            "FATA": "fatal",
            "PANI": "panic",
            "TRAC": "trace",
        }[m.group("level")]
        rec: dict[str, Any] = {"level": lv}
        tt = m.group("t")
        if tt.isdecimal():
            rec["relative_seconds"] = int(tt)
            rec["time"] = None
        else:
            rec["time"] = tt
        rest = s[m.end() :]
        kv_at = rest.find("=")
        cut = rest.rfind("  ", 0, kv_at) if kv_at > 0 else -1
        msg = rest[:cut].strip() if cut > 0 else rest.strip()
        rec["msg"] = msg
        rec["message"] = msg
        if cut > 0:
            rec.update(_logfmt(rest[cut:].strip()))
        sec.records.append(rec)


# ---------------------------------------------------------------- describe


def _container_fragment(body: list[str]) -> bool:
    """A container's part of a describe pod pasted alone (`State: Terminated / Reason: OOMKilled / Exit Code: 137 ...`):
    `Key: value` lines of a container's keys, a state among them, indented lines below a key allowed."""
    if len(body) > 2 and len(body[0].split()) == 1 and not body[0].strip().rstrip(":").count(":"):
        body = body[1:]  # the container's (or pod's) name above its fields: `web:`, `wk64c`
    kvs = [_kv(t) for t in body]
    keys = [kv[1] for kv in kvs if kv is not None]
    first = kvs[0]
    return (len(keys) >= 2 and first is not None and first[1] in CONTAINER_KEYS and {"State", "Last State", "Exit Code"} & set(keys) != set()
            and all((kv is not None and kv[1] in CONTAINER_KEYS) or t[:1].isspace() for kv, t in zip(kvs, body, strict=True)))  # fmt: skip


def _read_container_fragment(sec: Section, texts: list[str]) -> None:
    """One record: state, reason, exit_code, started, finished of the State; last_* of the Last State; ready, restart_count."""
    rec: dict[str, Any] = {}
    prefix = ""
    for t in texts:
        kv = _kv(t)
        if kv is None:
            continue
        _ind, key, val = kv
        if key in ("State", "Last State"):
            prefix = "" if key == "State" else "last_"
            rec[f"{prefix}state"] = val
        elif key in ("Reason", "Exit Code", "Started", "Finished", "Signal", "Message"):
            name = f"{prefix}{key.lower().replace(' ', '_')}"
            rec[name] = int(val) if key == "Exit Code" and _is_int(val) else (rfc1123_iso(val) or val) if key in ("Started", "Finished") else val
        elif key in ("Ready", "Restart Count", "Image", "Image ID", "Container ID"):
            prefix = ""
            rec[key.lower().replace(" ", "_")] = int(val) if key == "Restart Count" and _is_int(val) else val
    if rec:
        sec.records.append(rec)


def _kv(line: str) -> tuple[int, str, str] | None:
    ind = len(line) - len(line.lstrip(" \t"))
    s = line.strip()
    k = s.find(":")
    if k <= 0 or k > 60:
        return None
    key = s[:k]
    if not key[:1].isalpha() or key.count(" ") > 6:
        return None
    return ind, key, s[k + 1 :].strip()


def _read_describe(sec: Section, texts: list[str]) -> None:
    kind = sec.kind.removeprefix("kubectl-describe-")
    # a describe pasted whole with an indentation of its own (a quoted terminal): read as kubectl printed it
    least = _least_indent(texts)
    if least and all(t[:least].strip(" \t") == "" for t in texts):
        texts = [t[least:] for t in texts]
    objs: list[list[str]] = []
    for t in texts:
        if t.startswith("Name:") and (not objs or any(x.strip() for x in objs[-1])):
            objs.append([t])
        elif objs:
            objs[-1].append(t)
    if not objs and kind == "node":
        objs = [texts]  # a node's describe cut above its Name: line: one object, named by its Lease's holder
    for obj in objs:
        rec, events = _describe_one(kind, obj)
        if kind == "object":
            rec["kind"] = api_kind(describe_args(sec.command)[0] or "")
        sec.records.append(rec)
        sec.attrs.setdefault("events", []).extend(events)
    sec.attrs["events_rows"] = len(sec.attrs.get("events", []))


def _object_map(obj: list[str], field: str) -> dict[str, str] | None:
    """A describe's `Labels:` or `Annotations:` as a map: the entry on the field's line and one per indented line below it,
    `key=value` or (annotations since 1.10) `key: value`; None for `<none>` or an entry of neither form."""
    entries: list[str] = []
    for i, t in enumerate(obj):
        if t.startswith(f"{field}:"):
            entries = [t[len(field) + 1 :].strip()]
            entries += [x.strip() for x in itertools.takewhile(lambda x: x[:1].isspace() and x.strip(), obj[i + 1 :])]
            break
    out: dict[str, str] = {}
    for e in entries:
        k, sep, v = e.partition("=") if "=" in e.split(": ", 1)[0] else e.partition(": ")
        if not sep or not k.strip():
            return None
        out[k.strip()] = v.strip()
    return out or None


def _describe_one(kind: str, obj: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    obj = dedent_describe(obj)
    top: dict[str, str] = {}
    containers: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    section: str | None = None
    ev_lines: list[str] = []
    cur: dict[str, Any] | None = None
    indent_lost = not any(t.startswith((" ", "\t")) for t in obj[1:] if t.strip())
    last_top: str | None = None  # the last field at the object's own level
    template: list[str] = []  # a workload's Pod Template containers
    images: list[str] = []  # and their images
    tmpl_at: int | None = None  # the indentation of the template's Containers: line while inside it
    name_at: int | None = None  # and of its container names
    partition: str | None = None  # a statefulset's update partition
    ports: dict[str, list[str]] = {}  # a service's Port and NodePort lines, one per port
    conditions: dict[str, str] = {}  # a node's condition type -> status
    labels: list[str] = []  # key=value, one a line
    more_labels = False
    for t in obj:
        if not t.strip():
            continue
        if section == "Events":
            ev_lines.append(t)
            continue
        kv = _kv(t)
        if kind == "node" and last_top == "Conditions" and t[:1] in " \t":
            w = t.split()
            if len(w) >= 2 and w[1] in ("True", "False", "Unknown"):
                conditions[w[0]] = w[1]  # a row of the Conditions table: Type, Status, ...
                continue
        if kv is not None and kind != "pod":
            ind, key, val = kv
            if ind == 0:
                last_top, tmpl_at = key, None
                if key in ("Port", "NodePort") and val:
                    ports.setdefault(key, []).append(" ".join(val.split()))
            elif last_top == "Update Strategy" and key == "Partition":
                partition = val
            elif key == "Containers" and not val:  # only a Pod Template has containers (its line may be elided)
                tmpl_at, name_at = ind, None
            elif tmpl_at is not None and ind <= tmpl_at:
                tmpl_at = None
            elif tmpl_at is not None and not val and (name_at is None or ind == name_at):
                name_at = ind
                template.append(key)
            elif tmpl_at is not None and key == "Image" and name_at is not None and ind > name_at:
                images.append(val)
        if more_labels and "=" in t and (kv is None or "=" in kv[1]):
            labels.append(t.strip())  # the next label, on a line of its own
            continue
        if kv is None:
            more_labels = False
            continue
        more_labels = kv[1] == "Labels" and kv[0] == 0 and "=" in kv[2]
        if more_labels:
            labels = [kv[2]]
        ind, key, val = kv
        # with the indentation lost, a container's own fields (Port, Reason) stay the container's
        if ind == 0 and not (indent_lost and section == "Containers" and (key not in POD_TOP or key in CONTAINER_KEYS)):
            if key == "Events":
                section = "Events"
                if val and val != "<none>":
                    ev_lines.append(t)
                continue
            section = key if not val else section if key not in POD_TOP else None
            if val or key in POD_TOP:
                top.setdefault(key, val)
            if not val:
                section = key
            continue
        if section == "Containers":
            if not val and ((ind <= 2 and not indent_lost) or (indent_lost and key not in CONTAINER_KEYS)):
                cur = {"name": key}
                containers.append(cur)
            elif cur is not None and key not in cur:
                cur[key] = val
    rec: dict[str, Any] = {"name": top.get("Name")}
    rec["namespace"] = top.get("Namespace")
    if kind == "pod":
        node = top.get("Node", top.get("Host"))
        if node is not None:
            n, _, ip = node.partition("/")
            rec["node"] = n if n != "<none>" else ""
            rec["node_ip"] = ip
        rec["status"] = top.get("Status")
        rec["ip"] = top.get("IP")
        rec["containers"] = [c["name"] for c in containers]
        rec["restarts"] = sum(
            int(c.get("Restart Count", "0")) for c in containers if str(c.get("Restart Count", "0")).isdecimal()
        )
        if containers:
            c0 = containers[0]
            rec["state"] = c0.get("State")
            rec["reason"] = c0.get("Reason")
            rec["ready"] = all(c.get("Ready") == "True" for c in containers)
            cid = c0.get("Container ID")
            rec["container_id"] = cid
            rec["last_state"] = c0.get("Last State")
            ec = c0.get("Exit Code")
            rec["last_exit_code"] = int(ec) if ec and ec.isdecimal() else ec
        imgs = top.get("Image(s)")
        rec["images"] = imgs.split(",") if imgs else [c.get("Image") for c in containers]
        rec["controlled_by"] = top.get("Controlled By")
        # several labels, one a line (also with the indentation lost), else the field's map, else as printed
        rec["labels"] = dict(x.partition("=")[::2] for x in labels) if len(labels) > 1 else _object_map(obj, "Labels") or top.get("Labels")
    elif kind == "node":
        rec["roles"] = top.get("Roles")
        rec["labels"] = _object_map(obj, "Labels") or top.get("Labels")
        rec["annotations"] = _object_map(obj, "Annotations") or top.get("Annotations")
        rec["creation_timestamp"] = rfc1123_iso(top.get("CreationTimestamp") or "") or top.get("CreationTimestamp")
        lease = {kv[1]: kv[2] for t in obj if (kv := _kv(t)) is not None and kv[0] > 0 and kv[1] in ("HolderIdentity", "RenewTime")}
        if lease:  # the node's Lease: who renews it, and when last (its holder is the node: the name of a cut describe)
            rec["lease_holder"] = lease.get("HolderIdentity")
            rec["lease_renew_time"] = rfc1123_iso(lease.get("RenewTime") or "") or lease.get("RenewTime")
            if not rec.get("name") and lease.get("HolderIdentity") not in (None, "", "<unset>"):
                rec["name"] = lease.get("HolderIdentity")
        taints = top.get("Taints")
        rec["taints"] = [] if taints in (None, "<none>") else [taints]
        uns = top.get("Unschedulable")
        rec["unschedulable"] = {"true": True, "false": False}.get(uns or "", uns)
        if conditions:
            rec["conditions"] = conditions
    elif kind in ("deployment",):
        r = top.get("Replicas", "")
        for part in r.split("|"):
            ws = part.split()
            if len(ws) >= 2 and ws[0].isdecimal():
                rec[f"replicas_{ws[1]}"] = int(ws[0])
        rec["strategy"] = top.get("StrategyType")
        rec["selector"] = top.get("Selector")
    elif kind == "daemonset":
        rec["desired"] = _int_or(top.get("Desired Number of Nodes Scheduled"))
        rec["current"] = _int_or(top.get("Current Number of Nodes Scheduled"))
        rec["misscheduled"] = _int_or(top.get("Number of Nodes Misscheduled"))
        st = top.get("Pods Status", "")
        for part in st.split("/"):
            ws = part.split()
            if len(ws) >= 2 and ws[0].isdecimal():
                rec[ws[1].lower()] = int(ws[0])
        rec["selector"] = top.get("Selector")
    elif kind in ("statefulset", "rc"):
        r = top.get("Replicas", "")
        for part in r.replace("/", "|").split("|"):
            ws = part.split()
            if len(ws) >= 2 and ws[0].isdecimal():
                rec[f"replicas_{ws[1]}"] = int(ws[0])
        rec["update_strategy"] = top.get("Update Strategy")
        st = top.get("Pods Status", "")
        for part in st.split("/"):
            ws = part.split()
            if len(ws) >= 2 and ws[0].isdecimal():
                rec[ws[1].lower()] = int(ws[0])
        rec["labels"] = top.get("Labels")
        rec["selector"] = top.get("Selector")
    if kind in ("deployment", "daemonset", "statefulset", "rc", "object") and template:
        rec["containers"] = template
        if images:
            rec["images"], rec["image"] = images, images[0]
    if kind == "statefulset" and partition is not None:
        rec["partition"] = _int_or(partition)
    if kind == "object":  # a kind with no fields of its own here: every field of the object's level, as printed
        rec["fields"] = {k: v for k, v in top.items() if k not in ("Name", "Namespace")}
        for k, v in rec["fields"].items():  # and each as a key of its own: `Used By` used_by, `Start Time` as ISO 8601
            rec.setdefault(k.lower().replace(" ", "_"), int(v) if _is_int(v) else rfc1123_iso(v) or v)
        rec["labels"] = _object_map(obj, "Labels") or top.get("Labels")
        rec["annotations"] = _object_map(obj, "Annotations") or top.get("Annotations")
    if kind == "service":
        rec["type"] = top.get("Type")
        rec["ip"] = top.get("IP")
        rec["session_affinity"] = top.get("Session Affinity")
        rec["selector"] = top.get("Selector")
        rec["ports"] = ports.get("Port", [])
        # 'http 31237/TCP' -> 31237
        node_ports = [p.split()[-1].split("/")[0] for p in ports.get("NodePort", [])]
        rec["node_ports"] = [int(n) if n.isdecimal() else n for n in node_ports]
        rec["ip_families"] = top.get("IP Families")
    if ev_lines:
        es = Section(0, 0, "kubectl-describe-events")
        _read_events_section(es, ev_lines)
        events = es.records
    return rec, events


def _int_or(v: str | None) -> int | str | None:
    return int(v) if v is not None and v.isdecimal() else v


def rfc1123_iso(v: str) -> str | None:
    """'Tue, 31 Mar 2015 18:33:34 +0300' (old kubectl event times) as ISO 8601."""
    from datetime import datetime

    if len(v) < 26 or v[3:5] != ", ":
        return None
    try:
        return datetime.strptime(v[:31].strip(), "%a, %d %b %Y %H:%M:%S %z").isoformat()
    except ValueError:
        return None


_TZ = {"UTC": "+00:00", "GMT": "+00:00", "EST": "-05:00", "EDT": "-04:00", "CST": "-06:00", "CDT": "-05:00", "MST": "-07:00",
       "MDT": "-06:00", "PST": "-08:00", "PDT": "-07:00", "CET": "+01:00", "CEST": "+02:00", "BST": "+01:00", "IST": "+05:30",
       "JST": "+09:00", "KST": "+09:00", "AEST": "+10:00", "AEDT": "+11:00", "EET": "+02:00", "EEST": "+03:00", "WET": "+00:00",
       "WEST": "+01:00", "MSK": "+03:00", "HKT": "+08:00", "SGT": "+08:00"}  # fmt: skip


def iso_of(ts: str) -> str | None:
    """A journal time with its date and zone (short-iso, short-full) as ISO 8601 with a colon in the offset."""
    t = ts.strip()
    if len(t) >= 24 and t[4] == "-" and t[10] == "T":
        if t.endswith("Z"):
            return t
        if t[-5] in "+-" and t[-4:].isdecimal():
            return t[:-2] + ":" + t[-2:]
        return t
    parts = t.split(" ")
    if len(parts) == 4 and len(parts[1]) == 10 and parts[3] in _TZ:
        return f"{parts[1]}T{parts[2]}{_TZ[parts[3]]}"
    return None


def date_output_iso(line: str) -> str | None:
    """What `date` prints, as ISO 8601 with its offset: the C locale's `Thu Dec  5 10:00:00 UTC 2024` (also with
    AM/PM), en_US's `Thu 05 Dec 2024 10:00:00 AM UTC`, `date -u`, `-R` (`Thu, 05 Dec 2024 10:00:00 +0000`),
    `-Iseconds` and `--rfc-3339=seconds`. None for anything else, and for a zone abbreviation not in _TZ (an
    offset is never guessed)."""
    from datetime import datetime

    from analyzer.timeparse import parse_time

    t = " ".join(line.split())
    if len(t) > 64:
        return None
    if t[:4].isdecimal():
        dt = parse_time(t)
        zoned = t.endswith("Z") or t[-6:-5] in ("+", "-") or t[-5:-4] in ("+", "-")  # a time without its zone is not a reference
        return dt.isoformat() if dt is not None and zoned else None
    if t[3:5] == ", ":
        return rfc1123_iso(line.strip())
    words = t.split(" ")
    zone = next((w for w in words if w in _TZ), None)
    if zone is None:
        return None
    rest = " ".join(w for w in words if w != zone)
    for fmt in ("%a %b %d %H:%M:%S %Y", "%a %b %d %I:%M:%S %p %Y", "%a %d %b %Y %I:%M:%S %p", "%a %d %b %Y %H:%M:%S"):
        try:
            return datetime.strptime(rest, fmt).isoformat() + _TZ[zone]
        except ValueError:
            continue
    return None


def lstart_iso(v: str) -> str | None:
    """ps lstart 'Mon Jun 16 14:23:09 2025' as ISO 8601 without zone."""
    from datetime import datetime

    try:
        return datetime.strptime(" ".join(v.split()), "%a %b %d %H:%M:%S %Y").isoformat()
    except ValueError:
        return None
