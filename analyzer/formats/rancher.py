"""Rancher's log collector (rancherlabs/support-tools rancher2_logs_collector.sh), one archive per node.

Layout from collection/rancher/v2.x/logs-collector/rancher2_logs_collector.sh: systeminfo/, networking/,
journald/<unit>, systemlogs/, etcd/, and <distro>/ (rke2, k3s, rke, kubeadm) with kubectl/ tables,
crictl/ tables, podlogs/<namespace>-<pod>[-previous] and pod-manifests/.
"""

from __future__ import annotations

from typing import Any

from analyzer.bundle import Member
from analyzer.formats import MAX_READ, ForeignIngest, Format, Listing, Unit, register
from analyzer.layout import JOURNALS, RAW, Entry, layout
from analyzer.timeparse import date_output_time

D = "*/"  # the distro folder: rke2, k3s, rke or kubeadm
DISTROS = ("rke2", "k3s", "rke", "kubeadm")
SCRIPT = "rancher2_logs_collector.sh"

LAYOUT = layout(
    "rancher",
    doc="Rancher log collector (rancher2_logs_collector.sh)",
    entries=[
        Entry("collector-output.log", RAW, made_by=SCRIPT, reason="the script's own log"),
        Entry(
            "systeminfo/hostname",
            "host-simple",
            ("host_facts",),
            made_by="hostname",
            options=(("path", "host/hostname.txt"),),
        ),
        Entry(
            "systeminfo/uname",
            "host-simple",
            ("host_facts",),
            made_by="uname -a",
            options=(("path", "host/uname.txt"),),
        ),
        Entry("systeminfo/ps", "ps", ("processes",), made_by="ps auxfww"),
        Entry("systeminfo/dfh", "df", ("filesystems",), made_by="df -h", options=(("path", "host/df.txt"),)),
        Entry(
            "systeminfo/dfi",
            "df",
            ("filesystems",),
            made_by="df -i",
            options=(("path", "host/df-inodes.txt"),),
        ),
        Entry("systeminfo/dmesg", JOURNALS, ("journal",), made_by="dmesg -T", options=(("source", "dmesg"),)),
        Entry(
            "systeminfo/**",
            RAW,
            made_by=SCRIPT,
            reason="host command output no Kubesnap table reads (cpuinfo, sysctl, packages, units, ...)",
        ),
        Entry(
            "networking/**",
            RAW,
            made_by=SCRIPT,
            reason="iptables, routes, sockets, CNI config: no table holds them",
        ),
        Entry("journald/*", JOURNALS, ("journal",), made_by="journalctl --unit"),
        Entry(
            "systemlogs/*",
            JOURNALS,
            ("journal",),
            made_by="copy of /var/log/syslog, messages, kern.log",
            options=(("source", "syslog"),),
        ),
        Entry(
            "etcd/**",
            RAW,
            made_by="etcdctl (table output)",
            reason="etcdctl tables and metrics: Kubesnap reads etcdctl JSON only",
        ),
        Entry(D + "kubectl/pods", "kubectl-table", ("api_pods",), made_by="kubectl get pods -A -o wide"),
        Entry(D + "kubectl/nodes", "kubectl-table", ("api_nodes",), made_by="kubectl get nodes -o wide"),
        Entry(D + "kubectl/events", "kubectl-table", ("api_events",), made_by="kubectl get events -A"),
        Entry(D + "kubectl/services", "kubectl-table", ("api_objects",), made_by="kubectl get services -A -o wide"),
        Entry(
            D + "kubectl/nodesdescribe", "kubectl-describe", ("api_nodes",), made_by="kubectl describe nodes"
        ),
        Entry(
            D + "kubectl/*.json", "kubectl-json", ("api_nodes", "api_objects"), made_by="kubectl get -o json"
        ),
        Entry(
            D + "kubectl/**",
            RAW,
            made_by="kubectl get -A",
            reason="a kubectl table of a resource Kubesnap has no table for",
        ),
        Entry(D + "crictl/psa", "crictl-ps-table", ("crictl_containers",), made_by="crictl ps -a"),
        Entry(D + "crictl/pods", "crictl-pods-table", ("crictl_sandboxes",), made_by="crictl pods"),
        Entry(D + "crictl/images", "crictl-images-table", ("crictl_images",), made_by="crictl images"),
        Entry(
            D + "crictl/**", RAW, made_by="crictl", reason="crictl info, stats, versions: no table holds them"
        ),
        Entry(
            D + "podlogs/*",
            "rancher-podlog",
            ("log_files", "log_lines"),
            made_by="kubectl logs --all-containers [-p]",
        ),
        Entry(
            D + "pod-manifests/*",
            "static-pod-manifest",
            ("static_pods",),
            made_by="copy of the static pod manifests",
            options=(("dir", "files/etc/kubernetes/manifests/"),),
        ),
        Entry(
            D + "certs/**",
            "certificate",
            ("certificates",),
            made_by="copy of the distro's certificates",
            options=(("dir", "files/"),),
        ),
        Entry(
            D + "*.yaml",
            "config-file",
            ("config_files",),
            made_by="copy of the distro config (token lines dropped by the script)",
            options=(("dir", "files/etc/rancher/"),),
        ),
        Entry(
            D + "agent-logs/*.log*",
            JOURNALS,
            ("journal",),
            made_by="copy of the agent's logs (kubelet.log, rotated kubelet-<time>.log.gz)",
            options=(("source", "kubelet"),),
        ),
        Entry(
            D + "**",
            RAW,
            made_by=SCRIPT,
            reason="versions, unit files, directory listings: no table holds them",
        ),
    ],
)


def _sniff(listing: Listing) -> tuple[int, list[Unit]]:
    units = []
    for root in listing.dirs_with("systeminfo"):
        pre = f"{root}/" if root else ""
        if not any(listing.kinds.get(f"{pre}{d}/{sub}") or any(p.startswith(f"{pre}{d}/{sub}/") for p in listing.paths[:100000])
                   for d in DISTROS for sub in ("kubectl", "crictl", "podlogs")):  # fmt: skip
            continue
        if listing.head(pre + "systeminfo/hostname").strip():
            units.append(Unit(root))
    return (90, units) if units else (0, [])


def _namespaces(listing: Listing, root: str) -> list[str]:
    pre = f"{root}/" if root else ""
    out: set[str] = set()
    for d in DISTROS:
        text = listing.head(f"{pre}{d}/kubectl/pods").decode("utf-8", "replace")
        lines = text.splitlines()
        if lines and lines[0].startswith("NAMESPACE"):
            out |= {ln.split()[0] for ln in lines[1:] if ln.split()}
    return sorted(out, key=len, reverse=True)


def _podlog(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    """kubectl logs --all-containers of one pod: <namespace>-<pod>[-previous]; the namespace is told by the pod table."""
    name = path.rsplit("/", 1)[-1]
    prev = name.endswith("-previous")
    base = name.removesuffix("-previous")
    if "namespaces" not in ing.extra:
        ing.extra["namespaces"] = _namespaces(ing.listing, ing.unit.root)
    ns = next(
        (n for n in ing.extra["namespaces"] if base.startswith(n + "-") and len(base) > len(n) + 1), None
    )
    if ns is None:
        ing.problems.append(
            (
                path,
                "rancher-podlog",
                "the pod table (kubectl/pods) does not tell this log's namespace: not read",
            )
        )
        return "problem", 0
    data = m.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        ing.problems.append((path, "rancher-podlog", f"larger than {MAX_READ} bytes: not read"))
        return "problem", 0
    if data.startswith(b"Error from server") and data.rstrip(b"\n").count(b"\n") == 0:
        return "empty", 0  # the collector's note that there is no previous container
    ing.add_log(
        None,
        {"path": path, "member": path, "namespace": ns, "pod": base[len(ns) + 1 :], "previous": prev},
        data=data,
    )
    return "parsed", 1


def _info(listing: Listing, unit: Unit) -> dict[str, Any]:
    pre = f"{unit.root}/" if unit.root else ""
    host = listing.head(pre + "systeminfo/hostname").decode("utf-8", "replace").strip().splitlines()
    distro = next((d for d in DISTROS if any(p.startswith(f"{pre}{d}/") for p in listing.paths)), None)
    # when the script ran: systeminfo/date, `date` in the node's zone (taken as UTC: the journals' year is right)
    collected = date_output_time(listing.head(pre + "systeminfo/date").decode("utf-8", "replace"), any_zone=True)
    return {
        "node": host[0][:253] if host else None,
        "hostname": host[0][:253] if host else None,
        "version": distro,
        "collected": collected,
    }


FORMAT = register(
    Format(
        LAYOUT,
        _sniff,
        "node",
        title="Rancher log collector",
        lacks={},
        readers={"rancher-podlog": _podlog},
        info=_info,
        prefetch=("kubectl/pods",),
    )
)
