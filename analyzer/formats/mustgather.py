"""OpenShift `oc adm must-gather` (read by omc / omg).

Layout (gmeghnag/omc cmd/logs, cmd/get; openshift/must-gather-clean test archive): one folder per
gather image, holding cluster-scoped-resources/<group>/<resource>/<name>.yaml, namespaces/<ns>/<group>/<resource>.yaml
lists, namespaces/<ns>/pods/<pod>/<pod>.yaml, container logs in
namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log, host_service_logs/masters/<unit>_service.log;
newer gathers (4.1x) also nodes/<node>/ with each node's kubelet journal gzipped (<node>_logs_kubelet.gz).
"""

from __future__ import annotations

from typing import Any

from analyzer.formats import Format, Listing, Unit, register
from analyzer.layout import JOURNALS, POD_LOGS, RAW, Entry, layout
from analyzer.timeparse import parse_time

INSPECT = "oc adm inspect (must-gather)"

LAYOUT = layout(
    "must-gather",
    doc="OpenShift must-gather",
    entries=[
        Entry(
            "timestamp", RAW, made_by="must-gather", reason="start and end of the gather: no table holds it"
        ),
        Entry(
            "event-filter.html",
            RAW,
            made_by="must-gather",
            reason="an HTML page of the events (the events are read from events.yaml)",
        ),
        Entry(
            "*/event-filter.html",
            RAW,
            made_by="must-gather",
            reason="an HTML page of the events (the events are read from events.yaml)",
        ),
        Entry(
            "*/namespaces/*/pods/*/*/*/api_priority_and_fairness/*",
            RAW,
            made_by="must-gather",
            reason="the apiserver's priority and fairness dumps (levels, queues, requests): no table holds them",
        ),
        Entry("*/version", RAW, made_by="must-gather", reason="the gather image's name and version"),
        Entry(
            "*/timestamp", RAW, made_by="must-gather", reason="start and end of the gather: no table holds it"
        ),
        Entry(
            "*/namespaces/*/core/secrets.yaml",
            RAW,
            made_by=INSPECT,
            reason="secrets (values elided by oc adm inspect): never read",
        ),
        Entry(
            "*/namespaces/*/pods/*/*/*/logs/*.log",
            POD_LOGS,
            ("log_files", "log_lines"),
            made_by="oc adm inspect (kubectl logs)",
        ),
        Entry(
            "*/namespaces/*/pods/*/*/*/logs/rotated/*",
            POD_LOGS,
            ("log_files", "log_lines"),
            made_by="oc adm inspect (rotated kubelet logs)",
        ),
        Entry("*/namespaces/*/pods/*/*.yaml", "kubectl-yaml", ("api_pods", "api_objects"), made_by=INSPECT),
        Entry("*/namespaces/*/*.yaml", "kubectl-yaml", ("api_objects",), made_by=INSPECT),
        Entry(
            "*/namespaces/*/*/*.yaml",
            "kubectl-yaml",
            ("api_pods", "api_events", "api_workloads", "api_objects"),
            made_by=INSPECT,
        ),
        Entry("*/namespaces/*/*/*/*.yaml", "kubectl-yaml", ("api_objects",), made_by=INSPECT),
        Entry("*/cluster-scoped-resources/*/*.yaml", "kubectl-yaml", ("api_objects",), made_by=INSPECT),
        Entry(
            "*/cluster-scoped-resources/*/*/*.yaml",
            "kubectl-yaml",
            ("api_nodes", "api_objects"),
            made_by=INSPECT,
        ),
        Entry(
            "*/host_service_logs/*/*_service.log",
            JOURNALS,
            ("journal",),
            made_by="oc adm node-logs (journalctl -u)",
        ),
        Entry(
            "*/nodes/*/*_logs_kubelet.gz",
            JOURNALS,
            ("journal",),
            made_by="oc adm node-logs <node> -u kubelet | gzip (gather_nodes)",
            options=(("source", "kubelet"), ("node", "folder")),
        ),
        Entry(
            "*/nodes/*/pods_info.json",
            RAW,
            made_by="must-gather (gather_nodes)",
            reason="the node's pods with their QoS and resources (the pods are read from namespaces/*/pods)",
        ),
        Entry(
            "*/nodes/*/*",
            RAW,
            made_by="must-gather (gather_nodes)",
            reason="the node's hardware and tuning (lscpu, lspci, ethtool, CPU and IRQ affinities, kernel command line, "
            "sysinfo.tgz): no table holds them",
        ),
        Entry(
            "*/nodes/debug",
            RAW,
            made_by="must-gather (gather_nodes)",
            reason="the gather's debug pods as JSON: no table holds them",
        ),
        Entry(
            "*/etcd_info/member_list.json",
            "etcd",
            ("etcd_members",),
            made_by="etcdctl member list -w json",
            options=(("path", "etcd/member-list.json"),),
        ),
        Entry(
            "*/etcd_info/endpoint_status.json",
            "etcd",
            ("etcd_members",),
            made_by="etcdctl endpoint status -w json",
            options=(("path", "etcd/endpoint-status.json"),),
        ),
        Entry(
            "*/etcd_info/endpoint_health.json",
            "etcd",
            ("etcd_members",),
            made_by="etcdctl endpoint health -w json",
            options=(("path", "etcd/endpoint-health.json"),),
        ),
        Entry(
            "*/etcd_info/*.json",
            RAW,
            made_by="etcdctl",
            reason="etcdctl JSON Kubesnap has no table for (alarm list)",
        ),
        Entry(
            "*/monitoring/**",
            RAW,
            made_by="must-gather (Prometheus/Alertmanager API)",
            reason="Prometheus and Alertmanager API output: no table holds it",
        ),
        Entry(
            "*/ingress_controllers/**",
            RAW,
            made_by="must-gather",
            reason="router HAProxy configuration: no table holds it",
        ),
        Entry(
            "*/web_hooks/**", RAW, made_by="must-gather", reason="webhook configurations: no table holds them"
        ),
    ],
)


def _sniff(listing: Listing) -> tuple[int, list[Unit]]:
    roots: set[str] = set()
    for img in set(listing.dirs_with("cluster-scoped-resources")) | set(listing.dirs_with("namespaces")):
        pre = f"{img}/" if img else ""
        yamls = [p for p in listing.paths if p.startswith(pre) and p.endswith(".yaml")][:30]
        if not any(b"apiVersion:" in listing.head(p) for p in yamls):
            continue
        if not img:  # the image folder is the input itself: no outer folder
            continue
        roots.add(img.rsplit("/", 1)[0] if "/" in img else "")
    if not roots:
        return 0, []
    return 90, [Unit(r) for r in sorted(roots)]


def _info(listing: Listing, unit: Unit) -> dict[str, Any]:
    """When the gather ran: its `timestamp` file's first line (`2021-09-14 16:43:44.051395446 +0200 CEST m=+1.40`)."""
    pre = f"{unit.root}/" if unit.root else ""
    first = listing.head(pre + "timestamp").decode("utf-8", "replace").strip().split("\n", 1)[0].split()
    stamp = f"{first[0]}T{first[1][:15]}{first[2]}" if len(first) >= 3 and first[2][:1] in "+-" else None
    return {"collected": parse_time(stamp) if stamp else None}


def _log_meta(path: str) -> dict[str, Any] | None:
    parts = path.split("/")  # <image>/namespaces/<ns>/pods/<pod>/<c>/<c>/logs/<file>
    if len(parts) < 9 or parts[1] != "namespaces" or parts[3] != "pods":
        return None
    name = parts[-1]
    return {"path": path, "namespace": parts[2], "pod": parts[4], "container": parts[5],
            "previous": name.startswith("previous"), "rotated": "rotated" in parts[8:-1]}  # fmt: skip


FORMAT = register(
    Format(
        LAYOUT,
        _sniff,
        "cluster",
        title="OpenShift must-gather",
        lacks={
            "runtime": "gathered through the API: no crictl view of any node",
            "processes": "no process list of any node",
            "node-files": "no node files (static manifests, kubelet config)",
        },
        log_meta=_log_meta,
        info=_info,
    )
)
