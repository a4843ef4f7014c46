"""kubespray's collect-info playbook (scripts/collect-info.yaml): logs.tar.gz of every host.

Layout from the playbook: each command runs on the host as `cmd 2>&1 | tee <name>` and is fetched with
ansible `fetch dest=/tmp/collect-info/commands`, which keeps the remote path under a folder named after the
inventory host (collect-info/commands/<host>/<remote home>/<name>); log files are fetched to
collect-info/logs/<host>/var/log/...; then `tar -C /tmp collect-info`. One snapshot per host.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.bundle import Member
from analyzer.formats import ForeignIngest, Format, Listing, Unit, register
from analyzer.layout import JOURNALS, POD_LOGS, RAW, Entry, layout
from analyzer.logpaths import log_file_meta

C = "commands/*/**/"
PLAY = "kubespray collect-info.yaml"
KNOWN = (
    "timedate_info",
    "kernel_info",
    "proc_info",
    "k8s_info",
    "kubelet_logs",
    "kube_describe_nodes",
    "errors_info",
)

LAYOUT = layout(
    "kubespray-collect-info",
    doc="kubespray collect-info archive",
    entries=[
        Entry(C + "proc_info", "ps", ("processes",), made_by="ps auxf | grep -v ]$"),
        Entry(
            C + "k8s_info",
            "kubespray-k8s-info",
            ("api_pods", "api_nodes"),
            made_by="kubectl get all --all-namespaces -o wide",
        ),
        Entry(
            C + "kube_describe_nodes", "kubectl-describe", ("api_nodes",), made_by="kubectl describe nodes"
        ),
        Entry(
            C + "kube_describe_all",
            "kubectl-describe",
            ("api_pods",),
            made_by="kubectl describe all --all-namespaces",
        ),
        Entry(C + "kubelet_logs", JOURNALS, ("journal",), made_by="journalctl -u kubelet --no-pager"),
        Entry(C + "errors_info", JOURNALS, ("journal",), made_by="journalctl -p err --no-pager"),
        Entry(
            C + "*_logs",
            "kubespray-pod-logs",
            ("log_files", "log_lines"),
            made_by="kubectl logs of the pods of a label, concatenated",
        ),
        Entry(
            C + "*_info",
            RAW,
            made_by=PLAY,
            reason="host or tool output no Kubesnap table reads (timedatectl, uname -r, ip, docker info, etcdctl, calicoctl, systemctl --failed)",
        ),
        Entry(
            C + "helm_show_releases_history",
            RAW,
            made_by=PLAY,
            reason="Helm release history: no table holds it",
        ),
        Entry(
            "logs/*/var/log/syslog*",
            JOURNALS,
            ("journal",),
            made_by="fetch of /var/log/syslog",
            options=(("source", "syslog"),),
        ),
        Entry(
            "logs/*/var/log/messages*",
            JOURNALS,
            ("journal",),
            made_by="fetch of /var/log/messages",
            options=(("source", "syslog"),),
        ),
        Entry(
            "logs/*/var/log/daemon.log",
            JOURNALS,
            ("journal",),
            made_by="fetch of /var/log/daemon.log",
            options=(("source", "syslog"),),
        ),
        Entry(
            "logs/*/var/log/kern.log",
            JOURNALS,
            ("journal",),
            made_by="fetch of /var/log/kern.log",
            options=(("source", "syslog"),),
        ),
        Entry(
            "logs/*/var/log/calico/**",
            POD_LOGS,
            ("log_files", "log_lines"),
            made_by="fetch of /var/log/calico",
        ),
        Entry(
            "logs/*/var/log/**",
            RAW,
            made_by="fetch",
            reason="package manager logs (dpkg, apt, yum): no table holds them",
        ),
    ],
)


def _sniff(listing: Listing) -> tuple[int, list[Unit]]:
    units: list[Unit] = []
    for root in listing.dirs_with("commands"):
        pre = f"{root}/" if root else ""
        names = {p.rsplit("/", 1)[-1] for p in listing.paths if p.startswith(pre + "commands/")}
        if len(names & set(KNOWN)) < 2:
            continue
        hosts = sorted({p[len(pre):].split("/")[1] for p in listing.paths
                        if p.startswith((pre + "commands/", pre + "logs/")) and p[len(pre):].count("/") >= 2})  # fmt: skip
        units += [Unit(root, h) for h in hosts]
    return (85, units) if units else (0, [])


def _group(rel: str) -> str:
    parts = rel.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] in ("commands", "logs") else ""


def _log_meta(path: str) -> dict[str, Any] | None:
    parts = path.split("/", 2)  # logs/<host>/var/log/calico/...
    meta = log_file_meta("files/" + parts[2]) if len(parts) == 3 else None
    if meta is None:
        return None
    meta["path"] = path
    return meta


def _k8s_info(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    """`kubectl get all -A -o wide`: one table per kind; the pod table (pod/<name>) is read, the others are not."""
    text = m.read(64 * 1024 * 1024).decode("utf-8", "replace")
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    pods = []
    for b in blocks:
        lines = b.strip("\n").splitlines()
        row = lines[1].split() if len(lines) > 1 else []
        if lines[0].startswith("NAMESPACE") and len(row) > 1 and row[1].startswith("pod/"):
            pods.append(b)
    if not pods:
        ing.problems.append(
            (path, "kubespray-k8s-info", "no pod table (NAMESPACE NAME READY ... with pod/<name> rows) found")
        )
        return "problem", 0
    n = 0
    for b in pods:
        _st, k = ing.parse_bytes(path, b.encode(), entry, reader="kubectl-table")
        n += k
    return ("parsed" if n else "empty"), n


def _pod_logs(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    """Several pods' logs concatenated without markers: kept searchable, not attributed to a pod (the file cannot tell which)."""
    name = path.rsplit("/", 1)[-1]
    ing.add_log(
        m,
        {
            "path": path,
            "namespace": None,
            "pod": None,
            "container": name.removesuffix("_logs"),
            "layout": "kubespray-logs",
        },
    )
    return "parsed", 1


def _info(listing: Listing, unit: Unit) -> dict[str, Any]:
    return {"node": unit.group, "hostname": unit.group}


FORMAT = register(
    Format(
        LAYOUT,
        _sniff,
        "node",
        title="kubespray collect-info",
        lacks={
            "runtime": "the playbook runs no crictl command",
            "container-logs": "pod logs are concatenated per label without markers: not attributable to a pod",
        },
        log_meta=_log_meta,
        readers={"kubespray-k8s-info": _k8s_info, "kubespray-pod-logs": _pod_logs},
        group_of=_group,
        info=_info,
    )
)
