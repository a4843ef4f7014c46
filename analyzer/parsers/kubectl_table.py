"""kubectl tables: `get pod [-A] [-o wide]`, `get node [-o wide]`, `get events [-A] [-o wide]`
(also `kubectl events` and the 1.13-era event columns) and `get svc [-A] [-o wide]` (also before 1.6, without TYPE),
as printed or pasted.

Cells with spaces (`1 (2d10h ago)`, `Ubuntu 22.04.2 LTS`, `NOMINATED NODE`), `<none>`,
`<redacted>` cells that break the alignment, `node/` and `pod/` prefixes of typed output,
extra `--label-columns`, old kubectl without INTERNAL-IP, several tables in one paste.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from analyzer.errors import ParseError
from analyzer.models import ApiNode, ApiObject, ApiPod, Event, Record
from analyzer.registry import ParseContext, source
from analyzer.tables import Column, TableSpec, parse_table
from analyzer.textutil import clean_lines, tool_failure

PODS = TableSpec(
    "kubectl get pods",
    [
        Column("namespace", ("NAMESPACE",), r"\S+"),
        Column("name", ("NAME",), r"\S+"),
        Column("ready", ("READY",), r"\d+/\d+"),
        Column("status", ("STATUS",), r"\S+"),
        Column("restarts", ("RESTARTS",), r"\d+(?:\s+\([^)]*\))?"),
        Column("age", ("AGE",), r"\S+"),
        Column("ip", ("IP",), r"\S+"),
        Column("node", ("NODE",), r"\S+"),
        Column("nominated", ("NOMINATED NODE",), r"\S+"),
        Column("gates", ("READINESS GATES",), r"\S+"),
    ],
    layouts=[
        ["namespace", "name", "ready", "status", "restarts", "age", "ip", "node", "nominated", "gates"],
        ["namespace", "name", "ready", "status", "restarts", "age"],
        ["name", "ready", "status", "restarts", "age", "ip", "node", "nominated", "gates"],
        ["name", "ready", "status", "restarts", "age"],
        # -o wide before 1.11 (no NOMINATED NODE)
        ["namespace", "name", "ready", "status", "restarts", "age", "ip", "node"],
        ["name", "ready", "status", "restarts", "age", "ip", "node"],
    ],
    required=4,
)

NODES = TableSpec(
    "kubectl get nodes",
    [
        Column("name", ("NAME",), r"\S+"),
        Column("status", ("STATUS",), r"(?:Ready|NotReady|Unknown)(?:,\S+)?"),
        Column("roles", ("ROLES",), r"\S+"),
        Column("age", ("AGE",), r"\S+"),
        Column("version", ("VERSION",), r"v\d\S*"),
        Column("internal_ip", ("INTERNAL-IP",), r"\S+"),
        Column("external_ip", ("EXTERNAL-IP",), r"\S+"),
        Column("os_image", ("OS-IMAGE",), r"\S.*?"),
        Column("kernel", ("KERNEL-VERSION",), r"\S+"),
        Column("runtime", ("CONTAINER-RUNTIME",), r"[a-z-]+://\S+|\S+"),
    ],
    layouts=[
        ["name", "status", "roles", "age", "version", "internal_ip", "external_ip", "os_image", "kernel", "runtime"],
        ["name", "status", "roles", "age", "version"],
        # before 1.8 (no ROLES), and before 1.6 (no VERSION)
        ["name", "status", "age", "version"],
        ["name", "status", "age"],
    ],
    required=4,
)

# an event's age as kubectl prints it; `kubectl events` and describe fold the count in: `2m (x4 over 10m)`
EVENT_AGE = r"<unknown>|\S+(?:\s+\(x\d+\s+over\s+\S+\))?"
EVENTS = TableSpec(
    "kubectl get events",
    [
        Column("namespace", ("NAMESPACE",), r"\S+"),
        Column("last_seen", ("LAST SEEN", "LASTSEEN"), EVENT_AGE),
        Column("first_seen", ("FIRST SEEN", "FIRSTSEEN"), r"<unknown>|\S+"),
        Column("count", ("COUNT",), r"\d+"),
        Column("name", ("NAME",), r"\S+"),
        Column("kind", ("KIND",), r"[A-Z]\w*"),
        Column("type", ("TYPE",), r"[A-Z][a-z]+"),
        Column("reason", ("REASON",), r"\S+"),
        Column("object", ("OBJECT",), r"[A-Za-z.-]+/\S+"),
        Column("subobject", ("SUBOBJECT",), r"[a-z]\w*\.\S+"),
        Column("source", ("SOURCE",), r"[^\s,]+(?:,\s*\S+)?"),
        Column("message", ("MESSAGE",), r"\S.*?"),
    ],
    layouts=[
        ["namespace", "last_seen", "type", "reason", "object", "message"],
        ["last_seen", "type", "reason", "object", "message"],
    ],
    required=4,
)
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
SERVICES = TableSpec(
    "kubectl get services",
    [
        Column("namespace", ("NAMESPACE",), r"\S+"),
        Column("name", ("NAME",), r"\S+"),
        Column("type", ("TYPE",), "|".join(SERVICE_TYPES)),
        Column("cluster_ip", ("CLUSTER-IP",), r"\S+"),
        Column("external_ip", ("EXTERNAL-IP",), r"\S+"),
        Column("ports", ("PORT(S)",), r"\S+"),
        Column("age", ("AGE",), r"\S+"),
        Column("selector", ("SELECTOR",), r"\S+"),
    ],
    layouts=[
        ["namespace", "name", "type", "cluster_ip", "external_ip", "ports", "age", "selector"],
        ["namespace", "name", "type", "cluster_ip", "external_ip", "ports", "age"],
        ["name", "type", "cluster_ip", "external_ip", "ports", "age", "selector"],
        ["name", "type", "cluster_ip", "external_ip", "ports", "age"],
        # before 1.6 (no TYPE)
        ["namespace", "name", "cluster_ip", "external_ip", "ports", "age", "selector"],
        ["namespace", "name", "cluster_ip", "external_ip", "ports", "age"],
        ["name", "cluster_ip", "external_ip", "ports", "age", "selector"],
        ["name", "cluster_ip", "external_ip", "ports", "age"],
    ],
    required=5,
)
# kubectl prints the object as lower-case `kind/name`; the API's kinds, for the common ones
KINDS = {k.lower(): k for k in ("Pod", "Node", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob",
                                "Service", "Endpoints", "PersistentVolumeClaim", "PersistentVolume", "Namespace",
                                "ConfigMap", "Lease", "HorizontalPodAutoscaler", "Ingress", "EndpointSlice", "Secret",
                                "ServiceAccount", "StorageClass", "NetworkPolicy", "PodDisruptionBudget", "ResourceQuota",
                                "LimitRange", "ReplicationController", "Event", "Role", "RoleBinding", "ClusterRole",
                                "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass",
                                "CSIDriver", "CSINode", "VolumeAttachment", "APIService", "CertificateSigningRequest",
                                "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ComponentStatus")}  # fmt: skip
# kubectl's short names and plurals, to the singular lower-case kind
KIND_ALIASES = {"po": "pod", "pods": "pod", "no": "node", "nodes": "node", "deploy": "deployment", "deployments": "deployment",
                "ds": "daemonset", "daemonsets": "daemonset", "sts": "statefulset", "statefulsets": "statefulset", "svc": "service",
                "services": "service", "rs": "replicaset", "replicasets": "replicaset", "jobs": "job", "cj": "cronjob",
                "cronjobs": "cronjob", "pvc": "persistentvolumeclaim", "pv": "persistentvolume", "ns": "namespace", "ing": "ingress",
                "ingresses": "ingress", "rc": "replicationcontroller", "replicationcontrollers": "replicationcontroller",
                "ev": "event", "events": "event", "cm": "configmap", "ep": "endpoints", "hpa": "horizontalpodautoscaler",
                "sa": "serviceaccount", "sc": "storageclass", "netpol": "networkpolicy", "pdb": "poddisruptionbudget",
                "quota": "resourcequota", "limits": "limitrange", "crd": "customresourcedefinition", "crds": "customresourcedefinition",
                "pc": "priorityclass", "csr": "certificatesigningrequest", "cs": "componentstatus"}  # fmt: skip
# the kinds no namespace holds
CLUSTER_KINDS = frozenset(["Node", "Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
                           "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
                           "VolumeAttachment", "APIService", "CertificateSigningRequest", "MutatingWebhookConfiguration",
                           "ValidatingWebhookConfiguration", "ComponentStatus"])  # fmt: skip


def api_kind(resource: str) -> str:
    """The API kind a resource as kubectl takes or prints it names (`deploy`, `deployments.apps`, `deployment.apps/web`'s
    `deployment.apps` -> Deployment); a kind Kubesnap does not know (a custom resource), as typed."""
    base = resource.strip().lower().split(".", 1)[0]
    single = KIND_ALIASES.get(base, base)
    for guess in (single, single[:-1] if single.endswith("s") else "", single[:-2] if single.endswith("es") else ""):
        if guess in KINDS:
            return KINDS[guess]
    return resource.strip()


POD_HEADER = re.compile(r"^[ \t]*(?:NAMESPACE\s+)?NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE")
NODE_HEADER = re.compile(r"^[ \t]*NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION")
EVENT_HEADER = re.compile(r"^[ \t]*(?:NAMESPACE\s+)?LAST ?SEEN\s+(?:TYPE\s+REASON\s+OBJECT|FIRST ?SEEN\s+COUNT\s+NAME)\b")
SERVICE_HEADER = re.compile(r"^[ \t]*(?:NAMESPACE\s+)?NAME\s+(?:TYPE\s+)?CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE")


_ANY_HEADER = re.compile("|".join(f"(?:{rx.pattern})" for rx in (POD_HEADER, NODE_HEADER, EVENT_HEADER, SERVICE_HEADER)), re.M)  # one pass


def _sniff(head: str) -> int:
    return 90 if ("NAME" in head or "SEEN" in head) and _ANY_HEADER.search(head) else 0  # each header holds one of the two


def _segments(lines: list[str]) -> list[tuple[str, list[str], int]]:
    """(kind, lines, offset) for each table in a capture."""
    starts = []
    for i, ln in enumerate(lines):
        if POD_HEADER.match(ln):
            starts.append((i, "pods"))
        elif NODE_HEADER.match(ln):
            starts.append((i, "nodes"))
        elif EVENT_HEADER.match(ln):
            starts.append((i, "events"))
        elif SERVICE_HEADER.match(ln):
            starts.append((i, "services"))
    out = []
    for j, (i, kind) in enumerate(starts):
        end = starts[j + 1][0] if j + 1 < len(starts) else len(lines)
        seg = lines[i:end]
        # a shell prompt line ends a table
        for k, ln in enumerate(seg[1:], 1):
            if re.match(r"^\S*[$#] ", ln) and not re.match(r"^\S+\s+\S+", ln.split("$ ", 1)[0] + "x x"):
                seg = seg[:k]
                break
            if re.match(r"^(?:\S+@\S+:\S* ?[$#]|[$#]) ", ln):
                seg = seg[:k]
                break
        out.append((kind, seg, i))
    return out


@source("kubectl-table", sniff=_sniff, scope="cluster")
def parse(ctx: ParseContext) -> Iterable[Record]:
    """kubectl get pods / nodes / events tables (-o wide or not, -A or not)"""
    lines = clean_lines(ctx.text)
    segs = _segments(lines)
    if not segs and (failed := tool_failure(ctx.text)):
        raise ParseError(f"the command failed: {failed}")  # (an RBAC Forbidden where a table should be)
    if not segs:
        # header-less pastes (| grep): decide by what the rows look like
        kind = "pods" if any(re.search(r"\s\d+/\d+\s", ln) for ln in lines) else "nodes"
        segs = [(kind, lines, 0)]
    for kind, seg, off in segs:
        spec = {"pods": PODS, "nodes": NODES, "events": EVENTS, "services": SERVICES}[kind]
        try:
            rows = parse_table(seg, spec)
        except ParseError as e:
            ctx.problem(off + 1, str(e))
            continue
        for row in rows:
            c = row.cells
            line = row.line + off
            if not c.get("name") and kind != "events":
                ctx.problem(line, f"not a kubectl {kind} row: {row.text[:80]!r}")
                continue
            if kind == "events":
                ev = event_of(c)
                if ev is None:
                    ctx.problem(line, f"not a kubectl events row: {row.text[:80]!r}")
                else:
                    yield ev
                continue
            if kind == "services":
                svc = service_of(c, re.sub(r"^services?/", "", str(c["name"])), c.get("namespace"), "kubectl get services")
                if svc is None:
                    ctx.problem(line, f"not a kubectl services row: {row.text[:80]!r}")
                else:
                    yield svc
                continue
            name = re.sub(r"^(?:node|pod|nodes|pods)/", "", str(c["name"]))
            if kind == "pods":
                restarts, last = _restarts(c.get("restarts"))
                ip = c.get("ip")
                yield ApiPod(
                    source="kubectl-table",
                    namespace=c.get("namespace"),
                    name=name,
                    node_name=_none(c.get("node")),
                    status_text=c.get("status"),
                    ready_text=c.get("ready"),
                    restarts=restarts,
                    last_restart_text=last,
                    age_text=c.get("age"),
                    pod_ip=_none(ip),
                    nominated_node=_none(c.get("nominated")),
                    line=line,
                )
            else:
                status = c.get("status") or ""
                roles = _none(c.get("roles"))
                yield ApiNode(
                    source="kubectl-table",
                    name=name,
                    status_text=status or None,
                    ready={"Ready": "True", "NotReady": "False"}.get(status.split(",")[0], "Unknown") if status else None,
                    unschedulable="SchedulingDisabled" in status,
                    roles=roles.split(",") if roles else [],
                    age_text=c.get("age"),
                    kubelet_version=c.get("version"),
                    internal_ip=_none(c.get("internal_ip")),
                    external_ip=_none(c.get("external_ip")),
                    os_image=c.get("os_image"),
                    kernel_version=c.get("kernel"),
                    runtime_version=c.get("runtime"),
                    labels={k: v for k, v in c.items() if k not in {x.key for x in NODES.columns} and v},
                    line=line,
                )


def labels_of(v: object) -> dict[str, str] | None:
    """`app=web,tier=db` (a describe's Selector, get -o wide's SELECTOR) as a map; None for `<none>` or anything else."""
    if not isinstance(v, str) or "=" not in v:
        return None
    pairs = [p.split("=", 1) for p in v.split(",") if "=" in p]
    return {k.strip(): val.strip() for k, val in pairs if k.strip()} or None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def service_of(cells: Mapping[str, Any], name: str, namespace: str | None, origin: str) -> ApiObject | None:
    """A Service as one row of `kubectl get svc` prints it, in the JSON shape of a kubectl dump (spec.type, clusterIP,
    externalIPs or a load balancer's ingress, ports `80/TCP` and `8081:30008/TCP`, -o wide's selector) with the row's
    cells under kubesnap.columns; None for a row that is no service's (a name that is no DNS label, a line glued under
    the table, a header cut to `AME`)."""
    ip, typ, ext = (str(cells.get(k) or "") for k in ("cluster_ip", "type", "external_ip"))
    if not (len(name) <= 63 and re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name) and (_is_ip(ip) or ip in ("None", "<none>"))
            and (not typ or typ in SERVICE_TYPES)):  # fmt: skip
        return None
    spec: dict[str, Any] = {**({"type": typ} if typ else {}), **({"clusterIP": ip} if ip != "<none>" else {})}
    status: dict[str, Any] = {}
    outside = [x for x in ext.split(",") if x] if ext not in ("", "<none>", "<pending>", "<unknown>") else []
    if typ == "ExternalName" and len(outside) == 1:
        spec["externalName"] = outside[0]
    elif typ == "LoadBalancer" and outside:  # (kubectl prints the balancer's and spec.externalIPs: all are counted its)
        status["loadBalancer"] = {"ingress": [{"ip" if _is_ip(x) else "hostname": x} for x in outside]}
    elif outside:
        spec["externalIPs"] = outside
    ports = []
    for piece in str(cells.get("ports") or "").split(","):
        num, _, proto = piece.partition("/")
        port, _, node_port = num.partition(":")
        if port.isdecimal() and len(port) <= 5 and proto.isalpha() and len(proto) <= 5 and (not node_port or (node_port.isdecimal() and len(node_port) <= 5)):
            ports.append({"port": int(port), "protocol": proto, **({"nodePort": int(node_port)} if node_port else {})})
    if ports:
        spec["ports"] = ports
    if sel := labels_of(cells.get("selector")):
        spec["selector"] = sel
    raw: dict[str, Any] = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
                           "spec": spec, **({"status": status} if status else {}),
                           "kubesnap": {"from": origin, "columns": {k: v for k, v in cells.items() if k not in ("name", "namespace", "kind", "api_kind")}}}  # fmt: skip
    return ApiObject(kind="Service", api_version="v1", namespace=namespace, name=name, raw=raw)


def event_of(c: dict[str, str | None]) -> Event | None:
    """One event row (of a table, or of a describe's Events); the ages stay text (a paste has no reference time)."""
    kind, name = c.get("kind"), c.get("name")
    if name and not c.get("object"):
        name = re.sub(r"\.[0-9a-f]{16}$", "", name)  # 1.13-era NAME is the event's: <object>.<hex>
    if c.get("object"):
        k, _, name = str(c["object"]).partition("/")
        kind = KINDS.get(k.lower(), k)
    if not (c.get("reason") and name):
        return None
    last = c.get("last_seen") or ""
    m = re.match(r"(\S+)\s+\(x(\d+)\s+over\s+(\S+)\)", last)
    n = m.group(2) if m else c.get("count")
    count = int(n) if n else None
    component, host = event_source(c.get("source") or "")
    return Event(
        namespace=c.get("namespace"),
        kind=kind,
        name=name,
        reason=c.get("reason"),
        message=c.get("message"),
        type=c.get("type"),
        count=count,
        last_seen_text=_none(m.group(1) if m else last),
        first_seen_text=_none(m.group(3) if m else c.get("first_seen")),
        component=component,
        host=host,
    )


def event_source(text: str) -> tuple[str | None, str | None]:
    """(component, host) of an event's source as kubectl prints it: `kubelet, node-1` (a table's SOURCE, a describe's From
    before 1.14), `{kubelet 127.0.0.1}` (2015's), `default-scheduler`."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        component, _, host = text[1:-1].strip().partition(" ")
    else:
        component, _, host = text.partition(",")
    return _none(component.strip()), _none(host.strip())


def _none(v: str | None) -> str | None:
    return None if v in (None, "<none>", "<redacted>", "<unknown>", "") else v


def _restarts(cell: str | None) -> tuple[int | None, str | None]:
    if not cell:
        return None, None
    m = re.match(r"(\d+)(?:\s+\(([^)]*)\))?", cell)
    if not m:
        return None, None
    return int(m.group(1)), m.group(2)
