"""Replicated troubleshoot support bundle (`kubectl support-bundle`, read by sbctl).

Layout from replicatedhq/troubleshoot pkg/collect/cluster_resources.go and logs.go: one List per
namespace in cluster-resources/<resource>/<namespace>.json, cluster-scoped lists in
cluster-resources/<resource>.json, container logs in cluster-resources/pods/logs/<ns>/<pod>/<c>[-previous].log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from analyzer.budgets import bounded_json
from analyzer.bundle import Member
from analyzer.formats import ForeignIngest, Format, Listing, Unit, api_records, json_member, register
from analyzer.layout import POD_LOGS, RAW, Entry, layout

MADE = "troubleshoot cluster-resources collector"

LAYOUT = layout(
    "troubleshoot",
    doc="Replicated troubleshoot support bundle",
    entries=[
        Entry(
            "version.yaml",
            RAW,
            made_by="support-bundle",
            reason="the tool's version (a SupportBundle object): shown in sources, no table holds it",
        ),
        Entry(
            "cluster-info/cluster_version.json",
            RAW,
            made_by="cluster-info collector",
            reason="the API server's version: no table holds it",
        ),
        Entry(
            "cluster-resources/pods/logs/*/*/*-logs-errors.log",
            "troubleshoot-errors",
            made_by="logs collector",
        ),
        Entry(
            "cluster-resources/pods/logs/*/*/*.log",
            POD_LOGS,
            ("log_files", "log_lines"),
            made_by="logs collector (kubectl logs [-p])",
        ),
        Entry(
            "cluster-resources/image-pull-secrets/**",
            RAW,
            made_by=MADE,
            reason="registry credentials (values redacted by troubleshoot): never read",
        ),
        Entry("cluster-resources/*-errors.json", "troubleshoot-errors", made_by=MADE),
        Entry("cluster-resources/*/*-errors.json", "troubleshoot-errors", made_by=MADE),
        Entry(
            "cluster-resources/resources.json",
            RAW,
            made_by=MADE,
            reason="API discovery (resource list): no table holds it",
        ),
        Entry(
            "cluster-resources/groups.json",
            RAW,
            made_by=MADE,
            reason="API discovery (group list): no table holds it",
        ),
        Entry(
            "cluster-resources/auth-cani-list/*.json",
            RAW,
            made_by=MADE,
            reason="the collector's own RBAC review (SelfSubjectRulesReview): no table holds it",
        ),
        Entry("cluster-resources/custom-resources/**/*.yaml", "kubectl-yaml", ("api_objects",), made_by=MADE),
        Entry("cluster-resources/custom-resources/**/*.json", "kubectl-json", ("api_objects",), made_by=MADE),
        Entry(
            "cluster-resources/*/*.json",
            "troubleshoot-list",
            ("api_pods", "api_events", "api_workloads", "api_objects"),
            made_by=MADE,
        ),
        Entry("cluster-resources/*.json", "troubleshoot-list", ("api_nodes", "api_objects"), made_by=MADE),
        Entry("collector-errors/*.json", "troubleshoot-errors", made_by="support-bundle"),
        Entry(
            "execution-data/**",
            RAW,
            made_by="support-bundle",
            reason="the collectors' run summary: no table holds it",
        ),
        Entry(
            "analysis.json",
            RAW,
            made_by="support-bundle",
            reason="troubleshoot's own analyzer results: Kubesnap runs its own rules",
        ),
        Entry("helm/**", RAW, made_by="helm collector", reason="Helm releases: no table holds them"),
        # the error files of its in-cluster collectors (LAYOUTS.md: secrets-errors/<ns>/<name>.json, configmaps-errors/...,
        # metrics/errors.json) and of its host collectors (<collector>/<node>/error.txt)
        Entry("*-errors/**", "troubleshoot-errors", made_by="support-bundle"),
        Entry("**/errors.json", "troubleshoot-errors", made_by="support-bundle"),
        Entry("**/error.txt", "troubleshoot-errors", made_by="support-bundle"),
        Entry("secrets/**", RAW, made_by="secret collector", reason="a Secret's collected facts (its value only if the spec asked): never read"),
        Entry(
            "*/**",
            RAW,
            made_by="the spec's own collectors",
            reason="output of a collector the spec names (host collectors, run pods, databases, DNS, copies): no table holds it",
        ),
        Entry("*.json", RAW, made_by="the spec's own collectors", reason="an HTTP collector's response: no table holds it"),
    ],
)


def _info(listing: Listing, unit: Unit) -> dict[str, Any]:
    """When the bundle was written: its newest member's time, in an archive the tool wrote (a folder someone copied
    has the copy's times: not used)."""
    return {"collected": datetime.fromtimestamp(listing.newest, UTC) if listing.single and listing.newest else None}


def _sniff(listing: Listing) -> tuple[int, list[Unit]]:
    units, best = [], 0
    for root in listing.dirs_with("cluster-resources"):
        pre = f"{root}/" if root else ""
        heads = [
            listing.head(p)
            for p in listing.paths
            if p.startswith(pre + "cluster-resources/") and p.endswith(".json")
        ][:20]
        if not any(h.lstrip().startswith(b"{") and (b'"apiVersion"' in h or b'"items"' in h) for h in heads):
            continue
        score = 80
        if b"troubleshoot.sh/" in listing.head(pre + "version.yaml") or listing.kinds.get(
            pre + "cluster-info/cluster_version.json"
        ):
            score = 95
        units.append(Unit(root))
        best = max(best, score)
    return best, units


def _errors(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    """The collector's own error files: each error becomes a problem naming the member (what is missing and why)."""
    text = m.read(1 << 20).decode("utf-8", "replace")
    msgs: list[str] = []
    try:
        doc: Any = bounded_json(text)
        if isinstance(doc, dict):
            doc = [doc.get("error") or doc]
        msgs = [str(x) for x in doc] if isinstance(doc, list) else [str(doc)]
    except ValueError:
        msgs = [ln for ln in text.splitlines() if ln.strip()]
    for msg in msgs[:20]:
        ing.problems.append((path, "troubleshoot", f"the collector reported: {msg[:500]}"))
    return "parsed", 0


# the kind of a list's items when the list carries none (older troubleshoot writes bare {"items": [...]})
KINDS = {"pods": "Pod", "nodes": "Node", "events": "Event", "namespaces": "Namespace", "deployments": "Deployment",
         "replicasets": "ReplicaSet", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet", "jobs": "Job", "cronjobs": "CronJob",
         "services": "Service", "endpoints": "Endpoints", "configmaps": "ConfigMap", "pvs": "PersistentVolume",
         "pvcs": "PersistentVolumeClaim", "storage-classes": "StorageClass", "custom-resource-definitions": "CustomResourceDefinition",
         "limitranges": "LimitRange", "ingress": "Ingress", "roles": "Role", "rolebindings": "RoleBinding",
         "clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding", "serviceaccounts": "ServiceAccount",
         "leases": "Lease", "network-policy": "NetworkPolicy", "resource-quota": "ResourceQuota",
         "pod-disruption-budgets": "PodDisruptionBudget", "priorityclasses": "PriorityClass", "volumeattachments": "VolumeAttachment",
         "endpointslices": "EndpointSlice"}  # fmt: skip


def _list(ing: ForeignIngest, m: Member, path: str, entry: Entry) -> tuple[str, int]:
    values = json_member(ing, m, "troubleshoot-list")
    if values is None:
        return "problem", 0
    resource = path.split("/")[1].removesuffix(".json")
    return api_records(ing, path, values, KINDS.get(resource))


def _log_meta(path: str) -> dict[str, Any] | None:
    parts = path.split("/")
    if len(parts) != 6:
        return None
    c = parts[5].removesuffix(".log")
    prev = c.endswith("-previous")
    return {
        "path": path,
        "namespace": parts[3],
        "pod": parts[4],
        "container": c.removesuffix("-previous"),
        "previous": prev,
    }


FORMAT = register(
    Format(
        LAYOUT,
        _sniff,
        "cluster",
        title="Replicated troubleshoot support bundle",
        lacks={
            "runtime": "the bundle is taken through the API: no crictl view of any node",
            "processes": "no process list of any node (host collectors are custom, not read)",
            "journals": "no kubelet or runtime journal",
            "node-files": "no node files (static manifests, kubelet config)",
        },
        log_meta=_log_meta,
        readers={"troubleshoot-errors": _errors, "troubleshoot-list": _list},
        info=_info,
    )
)
