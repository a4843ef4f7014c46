"""`kubesnap get`: kubectl's columns and conventions over the database, the API's view where a kubectl
dump exists, the nodes' own view (crictl) where it does not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analyzer.budgets import MAX_DEPTH, value_too_deep
from analyzer.errors import DatabaseError, UsageError
from analyzer.kubefmt import (
    NODE_HEADER,
    NODE_WIDE,
    POD_HEADER,
    POD_WIDE,
    SERVICE_HEADER,
    SERVICE_WIDE,
    Selector,
    go_units_duration,
    human_size,
    node_row,
    pod_row,
    service_row,
    since,
    tabwriter,
)
from analyzer.sanitize import cell, json_dumps, yaml_dump
from analyzer.verbs import SiteView, api_shape, stored_json

RESOURCES = {"pods": "pods", "pod": "pods", "po": "pods", "nodes": "nodes", "node": "nodes", "no": "nodes", "events": "events",
             "event": "events", "ev": "events", "images": "images", "image": "images", "containers": "containers", "container": "containers",
             "services": "services", "service": "services", "svc": "services"}  # fmt: skip


@dataclass
class Item:
    """One object to print: its API form (as kubectl returned it, or built from the node's view), when it is relative to,
    and the cells a pasted table printed where that is all there is."""

    namespace: str | None
    name: str
    obj: dict[str, Any]
    now: datetime | None
    cells: list[str] | None = None
    source: str = "api"  # api, table, node
    ages: tuple[str, str] | None = None  # (last seen, first seen) as a paste printed them, where no time is known


def iso(t: datetime | None) -> str | None:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def jsonpath(obj: Any, path: str) -> Any:
    """A kubectl --sort-by JSONPath (`.metadata.name`, `{.status.containerStatuses[0].restartCount}`)."""
    p = path.strip()
    if p.startswith("{") and p.endswith("}"):
        p = p[1:-1]
    cur = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", p.lstrip(".")):
        if part.startswith("["):
            i = int(part[1:-1])
            cur = cur[i] if isinstance(cur, list) and i < len(cur) else None
        else:
            cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is None:
            return None
    return cur


def _sort_key(v: Any) -> tuple[int, Any]:
    if v is None:
        return (0, "")
    if isinstance(v, bool | int | float):
        return (1, v)
    return (2, str(v))


# ------------------------------------------------------------------ pods


def pod_items(sv: SiteView) -> list[Item]:
    """Pods of the API (the JSON dump, else a pasted table); from the nodes' runtimes when the site has no API view."""
    rows = sv.q(
        """SELECT p.namespace, p.name, p.source, o.raw, p.ready_text, p.status_text, p.restarts, p.last_restart_text, p.age_text, p.pod_ip,
                  p.node_name, p.nominated_node, p.labels, coalesce(s.collected_at, s.ingested_at), s.collected_at
           FROM pods p JOIN v_snapshots s USING (snapshot_id)
           LEFT JOIN v_api_objects o ON o.snapshot_id = p.snapshot_id AND o.kind = 'Pod' AND o.namespace = p.namespace AND o.name = p.name
           WHERE p.site = $site ORDER BY p.namespace, p.name"""
    )
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    for ns, name, _source, raw, ready, status, restarts, last, age, ip, node, nominated, labels, now, collected in rows:
        if (ns, name) in seen:
            continue
        seen.add((ns, name))
        if raw is not None:
            items.append(Item(ns, name, api_shape(stored_json(raw) if isinstance(raw, str) else raw), now))
            continue
        if _source == "kubectl-describe":  # a pasted describe: the pod as the dump would hold it, its containers too
            obj = _described_pod(sv, ns, name, node, ip, status, labels)
            items.append(Item(ns, name, obj, now, _described_cells(obj, ready, status, restarts, last, age, collected), "describe"))
            continue
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": _labels(labels)},
               "spec": {"nodeName": node}, "status": {"podIP": ip}}  # fmt: skip
        rs = str(restarts if restarts is not None else "") + (f" ({last})" if last else "")
        cells = [name, ready or "", status or "", rs, age or "<unknown>", ip or "<none>", node or "<none>", nominated or "<none>", "<none>"]
        items.append(Item(ns, name, obj, now, cells, "table"))
    if any(it.source == "api" for it in items):
        return items  # a kubectl dump is the whole API: a sandbox it does not list is an orphan, not a pod
    # pasted kubectl output covers what was pasted: the pods the runtimes know (crictl pods, crictl ps POD /
    # NAMESPACE) are added, each once; a pasted row without a namespace stands for the pod of that name
    known = {(it.namespace, it.name) for it in items}
    nameless = {it.name for it in items if it.namespace is None}
    names = {it.name for it in items}
    for it in node_pod_items(sv):
        if (it.namespace, it.name) in known or it.name in nameless or (it.namespace is None and it.name in names):
            continue
        known.add((it.namespace, it.name))
        items.append(it)
    return sorted(items, key=lambda it: (it.namespace or "", it.name))


def _described_cells(obj: dict[str, Any], ready: str | None, status: str | None, restarts: int | None, last: str | None,
                     age: str | None, collected: datetime | None) -> list[str]:
    """A described pod's row: what the describe showed, what a describe cut short did not show from the pods view (a
    table pasted beside it), else <unknown>, never a made-up 0/1 or 0; its age from the time it was collected (a paste
    has none: the age a table printed, else <unknown>, not one counted to today)."""
    row = pod_row(obj, collected, wide=True)
    row[1] = ready or "<unknown>"
    row[2] = status or row[2]
    if restarts is None:
        row[3] = "<unknown>"
    elif not row[3].startswith(f"{restarts} ") and row[3] != str(restarts):
        row[3] = str(restarts) + (f" ({last})" if last else "")
    if collected is None:
        row[4] = age or "<unknown>"
    return row


def _described_pod(sv: SiteView, ns: str | None, name: str, node: str | None, ip: str | None, status: str | None, labels: Any) -> dict[str, Any]:
    """A pod read from a pasted `kubectl describe pod`, in the dump's shape: its containers' states and restarts."""
    rows = sv.q(
        """SELECT p.phase, p.reason, p.host_ip, p.qos_class, p.start_time, p.created_at, p.owner_kind, p.owner_name, p.priority_class, p.uid
           FROM pods p WHERE p.site = $site AND p.name = $p0 AND p.namespace IS NOT DISTINCT FROM $p1""",
        [name, ns],
    )
    phase, reason, host_ip, qos, start, created, owner_kind, owner_name, prio, uid = rows[0] if rows else (None,) * 10
    statuses: list[dict[str, Any]] = []
    inits: list[dict[str, Any]] = []
    for (cname, init, image, image_id, cid, scheme, ready, started, restarts, state, s_reason, s_msg, code, s_start, s_end,
         last, l_reason, l_code, l_start, l_end) in sv.q(
        """SELECT name, init, image, image_id, container_id, runtime_scheme, ready, started, restart_count, state, state_reason, state_message,
                  exit_code, started_at, finished_at, last_state, last_reason, last_exit_code, last_started_at, last_finished_at
           FROM api_pod_containers WHERE site = $site AND pod = $p0 AND namespace IS NOT DISTINCT FROM $p1 ORDER BY init DESC, name""",
        [name, ns],
    ):  # fmt: skip
        cur: dict[str, Any] = {}
        if state == "running":
            cur = {"running": {"startedAt": iso(s_start)}}
        elif state == "terminated":
            cur = {"terminated": {"exitCode": code, "reason": s_reason, "message": s_msg, "startedAt": iso(s_start), "finishedAt": iso(s_end)}}
        elif state == "waiting":
            cur = {"waiting": {"reason": s_reason, "message": s_msg}}
        prev = {"terminated": {"exitCode": l_code, "reason": l_reason, "startedAt": iso(l_start), "finishedAt": iso(l_end)}} if last == "terminated" else {}
        cs = {"name": cname, "image": image, "imageID": image_id, "containerID": f"{scheme or 'containerd'}://{cid}" if cid else None,
              "ready": None if ready is None else bool(ready), "started": started, "restartCount": restarts, "state": cur, "lastState": prev}  # fmt: skip
        (inits if init else statuses).append(cs)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": iso(created), "labels": _labels(labels),
                     "ownerReferences": [{"kind": owner_kind, "name": owner_name, "controller": True}] if owner_name else [],
                     "annotations": {"kubesnap.io/source": "a pasted kubectl describe pod"}},
        "spec": {"nodeName": node, "priorityClassName": prio, "containers": [{"name": c["name"], "image": c["image"]} for c in statuses],
                 "initContainers": [{"name": c["name"], "image": c["image"]} for c in inits]},
        "status": {"phase": phase, "reason": reason, "podIP": ip, "hostIP": host_ip, "qosClass": qos, "startTime": iso(start),
                   "containerStatuses": statuses, "initContainerStatuses": inits},
    }  # fmt: skip


def _labels(v: Any) -> dict[str, str]:
    if isinstance(v, str):
        v = stored_json(v)
    return {str(k): str(x) for k, x in (v or {}).items()} if isinstance(v, dict) else {}


def node_pod_items(sv: SiteView) -> list[Item]:
    """Pods as the nodes' runtimes know them (crictl pods / ps / inspect), in the API's shape."""
    sandboxes = sv.q(
        """SELECT sb.snapshot_id, sb.node, sb.sandbox_id, sb.name, sb.namespace, sb.pod_uid, sb.state, sb.created_at, sb.ip, sb.labels,
                  coalesce(s.collected_at, s.ingested_at)
           FROM runtime_pods sb JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site
           ORDER BY sb.namespace, sb.name, sb.created_at DESC NULLS LAST"""
    )
    containers: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    # a container no sandbox id names (docker ps prints none) is its pod's by the pod's namespace and name
    by_pod: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for r in sv.q(
        """SELECT c.snapshot_id, c.sandbox_id, c.name, c.attempt, c.state, c.image, c.image_id, c.container_id, c.created_at, c.started_at,
                  c.finished_at, c.exit_code, c.reason, c.pod_namespace, c.pod_name
           FROM containers c JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site ORDER BY c.name, c.attempt"""
    ):
        if r[1] is not None:
            containers.setdefault((r[0], r[1]), []).append(r)
        elif r[14] is not None:
            by_pod.setdefault((r[0], r[13], r[14]), []).append(r)
    # a host-network pod has the node's address: kubelet's --node-ip where the bundle shows it
    node_ip = dict(sv.q(
        """SELECT p.snapshot_id, max(nullif(regexp_extract(p.command, '--node-ip[= ]([0-9a-fA-F.:]+)', 1), '')) FROM v_processes p
           JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site AND regexp_matches(p.command, '(^|/)kubelet ') GROUP BY 1"""))  # fmt: skip
    host_net = {(r[0], r[1]) for r in sv.q("SELECT sb.snapshot_id, sb.sandbox_id FROM sandboxes sb JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site AND sb.host_network")}
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    for sid, node, sbid, name, ns, uid, state, created, ip, labels, now in sandboxes:
        if not ip and (sid, sbid) in host_net:
            ip = node_ip.get(sid)
        if (ns, name) in seen:
            continue  # the newest sandbox of a pod is the pod
        seen.add((ns, name))
        latest: dict[str, tuple[Any, ...]] = {}
        previous: dict[str, tuple[Any, ...]] = {}
        for c in [*(containers.get((sid, sbid), []) if sbid is not None else []), *by_pod.get((sid, ns, name), [])]:
            if c[2] in latest:
                previous[c[2]] = latest[c[2]]
            latest[c[2]] = c
        statuses = []
        for cname, c in latest.items():
            st = c[4]
            if st == "Running":
                cstate: dict[str, Any] = {"running": {"startedAt": iso(c[9])}}
            elif st == "Exited":
                cstate = {"terminated": {"exitCode": c[11] or 0, "reason": c[12] or ("Completed" if not c[11] else "Error"), "finishedAt": iso(c[10])}}
            else:
                cstate = {"waiting": {"reason": "ContainerCreating"}}
            prev = previous.get(cname)
            last = {"terminated": {"exitCode": prev[11] or 0, "reason": prev[12] or "", "finishedAt": iso(prev[10])}} if prev and prev[4] == "Exited" else {}
            statuses.append({"name": cname, "image": c[5], "imageID": c[6], "containerID": f"containerd://{c[7]}", "restartCount": c[3] or 0,
                             "ready": st == "Running", "started": st == "Running", "state": cstate, "lastState": last})  # fmt: skip
        all_running = bool(statuses) and all(s["ready"] for s in statuses)
        lab = {k: v for k, v in _labels(labels).items() if not k.startswith("io.kubernetes.")}
        obj = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": iso(created), "labels": lab,
                         "annotations": {"kubesnap.io/source": f"node {node}: crictl pods/ps/inspect (no API dump in the bundles)"}},
            "spec": {"nodeName": node, "containers": [{"name": s["name"], "image": s["image"]} for s in statuses]},
            "status": {"phase": "Running" if state == "Ready" or (state is None and all_running) else "Unknown", "podIP": ip, "podIPs": [{"ip": ip}] if ip else [],
                       "conditions": [{"type": "Ready", "status": "True" if all_running else "False"}], "containerStatuses": statuses},
        }  # fmt: skip
        items.append(Item(ns, name, obj, now, None, "node"))
    return items


# ------------------------------------------------------------------ nodes, events


def node_items(sv: SiteView) -> list[Item]:
    objs = sv.raw("Node") if sv.api_snapshot else []
    if objs:
        return [Item(None, o["metadata"]["name"], o, sv.api_now) for o in objs]
    items = pasted_node_items(sv)
    listed = {it.name for it in items}
    for name, role, collected, snap in sv.q("SELECT name, role, collected_at, snapshot_id FROM nodes WHERE site = $site AND has_bundle ORDER BY name"):
        if name in listed:
            continue
        facts = dict(sv.q("SELECT key, value FROM v_host_facts WHERE snapshot_id = $p0", [snap]))
        labels = {"kubernetes.io/hostname": name, **({"node-role.kubernetes.io/control-plane": ""} if role == "control-plane" else {})}
        obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
               "status": {"nodeInfo": {"kernelVersion": facts.get("kernel"), "osImage": facts.get("os.pretty_name")}}}  # fmt: skip
        items.append(Item(None, name, obj, collected, None, "node"))
    return sorted(items, key=lambda it: it.name)


def pasted_node_items(sv: SiteView) -> list[Item]:
    """Nodes of a pasted `kubectl get nodes` or `describe node`, in the dump's shape; a table keeps the cells it printed."""
    items = []
    for (name, roles, ready, status_text, unsched, kubelet, runtime, kernel, os_image, arch, iip, eip, source, age, created, labels, taints,
         conds, cap, alloc, now, collected) in sv.q(
        """SELECT n.name, n.roles, n.ready, n.status_text, n.unschedulable, n.kubelet_version, n.runtime_version, n.kernel_version, n.os_image,
                  n.architecture, n.internal_ip, n.external_ip, n.api_source, n.age_text, n.created_at, n.labels, n.taints, n.conditions,
                  n.capacity, n.allocatable, (SELECT coalesce(collected_at, ingested_at) FROM v_snapshots WHERE snapshot_id = sv.snapshot_id),
                  (SELECT collected_at FROM v_snapshots WHERE snapshot_id = sv.snapshot_id)
           FROM nodes n LEFT JOIN api_snapshots sv ON sv.site = n.site WHERE n.site = $site AND n.in_api ORDER BY n.name"""
    ):  # fmt: skip
        lab = _labels(labels) or {f"node-role.kubernetes.io/{r}": "" for r in (roles or []) if r and r != "<none>"}
        # (a describe cut before its Conditions: no Ready condition, which kubectl prints Unknown, not NotReady)
        conditions = _json_list(conds) or ([] if ready is None else [{"type": "Ready", "status": "True" if ready in ("True", "Ready") else "Unknown" if ready == "Unknown" else "False"}])
        obj = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": lab, "creationTimestamp": iso(created), "annotations": {"kubesnap.io/source": f"a pasted {source}"}},
            "spec": {"unschedulable": None if unsched is None and source != "kubectl-table" else bool(unsched),
                     "taints": None if taints is None and source != "kubectl-table" else _json_list(taints)},
            "status": {"conditions": conditions, "capacity": _json_dict(cap), "allocatable": _json_dict(alloc),
                       "addresses": [{"type": t, "address": a} for t, a in (("InternalIP", iip), ("ExternalIP", eip)) if a and a != "<none>"],
                       "nodeInfo": {"kubeletVersion": kubelet, "containerRuntimeVersion": runtime, "kernelVersion": kernel, "osImage": os_image,
                                    "architecture": arch}},
        }  # fmt: skip
        cells = None
        if source == "kubectl-table":
            cells = [name, status_text or "", ",".join(roles or []) or "<none>", age or "<unknown>", kubelet or "",
                     iip or "<none>", eip or "<none>", os_image or "<unknown>", kernel or "<unknown>", runtime or "<unknown>"]  # fmt: skip
        # (a pasted describe's age counts from the time it was collected: a paste has none, so its age is unknown, not
        # counted to today)
        items.append(Item(None, name, obj, now if cells else collected, cells, "table" if cells else "describe"))
    return items


def _json_list(v: Any) -> list[Any]:
    v = stored_json(v) if isinstance(v, str) else v
    return v if isinstance(v, list) else []


def _json_dict(v: Any) -> dict[str, Any]:
    v = stored_json(v) if isinstance(v, str) else v
    return v if isinstance(v, dict) else {}


def service_items(sv: SiteView) -> list[Item]:
    """Services of the site's kubectl dump; without one, those of pasted tables and describes (the latest capture of each)."""
    rows = sv.q(
        """SELECT o.snapshot_id, o.namespace, o.name, o.raw FROM v_api_objects o
           WHERE o.kind = 'Service' AND o.snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $site)"""
    )
    when = dict(sv.q("SELECT snapshot_id, coalesce(collected_at, ingested_at) FROM v_snapshots WHERE site = $site"))
    dumped: dict[tuple[str | None, str], Item] = {}
    pasted: dict[tuple[str | None, str], tuple[Any, Item]] = {}
    for sid, ns, name, raw in rows:
        full = stored_json(raw) if isinstance(raw, str) else raw
        obj = api_shape(full)
        if not isinstance(obj, dict) or not isinstance(name, str) or not name:
            continue
        mark = full.get("kubesnap")
        if not isinstance(mark, dict):  # a kubectl dump's: of the site's dump only
            if sid == sv.api_snapshot or sv.api_snapshot is None:
                dumped[(ns, name)] = Item(ns, name, obj, when.get(sid))
            continue
        cols = mark.get("columns") if isinstance(mark.get("columns"), dict) else None
        if cols is not None:  # a pasted table: its cells as printed (an old one had no TYPE)
            cells = [name, *(str(cols.get(k) or d) for k, d in (("type", ""), ("cluster_ip", "<none>"), ("external_ip", "<none>"),
                                                                ("ports", "<none>"), ("age", "<unknown>"), ("selector", "<none>")))]  # fmt: skip
        else:  # a pasted describe
            cells = service_row(obj, None, True, "<unknown>")
        t = when.get(sid)
        prev = pasted.get((ns, name))
        if prev is None or (t is not None and (prev[0] is None or t >= prev[0])):
            pasted[(ns, name)] = (t, Item(ns, name, obj, t, cells, "table"))
    items = list(dumped.values()) if dumped else [it for _t, it in pasted.values()]
    return sorted(items, key=lambda it: (it.namespace or "", it.name))


def event_items(sv: SiteView) -> list[Item]:
    objs = sv.raw("Event") if sv.api_snapshot else []
    if objs:
        return [Item(o.get("metadata", {}).get("namespace"), o.get("metadata", {}).get("name", ""), o, sv.api_now) for o in objs]
    # no kubectl dump of events: the rows of pasted event tables and describes, with the ages they printed
    items = []
    for ns, kind, name, typ, reason, msg, count, first, last, comp, host in sv.q(
        """SELECT DISTINCT e.namespace, e.kind, e.name, e.type, e.reason, e.message, e.count, e.first_seen_text, e.last_seen_text, e.component, e.host
           FROM v_events e JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site ORDER BY 1 NULLS FIRST, 3, 5"""
    ):
        obj = {"apiVersion": "v1", "kind": "Event", "metadata": {"namespace": ns}, "involvedObject": {"kind": kind, "name": name, "namespace": ns},
               "reason": reason, "message": msg, "type": typ, "count": count, "source": {"component": comp, "host": host}}  # fmt: skip
        items.append(Item(ns, name or "", obj, None, source="table", ages=(last or "<unknown>", first or last or "<unknown>")))
    return items


def event_row(e: dict[str, Any], now: datetime | None, wide: bool, ages: tuple[str, str] | None = None) -> list[str]:
    """printEvent: LAST SEEN TYPE REASON OBJECT MESSAGE (wide: ... SUBOBJECT SOURCE MESSAGE FIRST SEEN COUNT NAME).
    `ages`: (last, first) as a pasted table printed them, for an event with no times."""
    first = since(now, e.get("firstTimestamp")) if e.get("firstTimestamp") else since(now, e.get("eventTime"))
    last = since(now, e.get("lastTimestamp")) if e.get("lastTimestamp") else first
    if ages is not None:
        last, first = ages
    count = e.get("count") or 1
    if e.get("series"):
        last = since(now, e["series"].get("lastObservedTime"))
        count = e["series"].get("count") or count
    io = e.get("involvedObject") or {}
    target = f"{str(io.get('kind', '')).lower()}/{io['name']}" if io.get("name") else str(io.get("kind", "")).lower()
    msg = str(e.get("message") or "").strip()
    if not wide:
        return [last, e.get("type") or "", e.get("reason") or "", target, msg]
    src = e.get("source") or {}
    source = ", ".join(x for x in (src.get("component") or e.get("reportingComponent"), src.get("host") or e.get("reportingInstance")) if x)
    return [last, e.get("type") or "", e.get("reason") or "", target, io.get("fieldPath") or "", source, msg, first, str(count),
            e.get("metadata", {}).get("name", "")]  # fmt: skip


# ------------------------------------------------------------------ the verb


def get(sv: SiteView, resource: str, *, namespace: str | None = None, all_namespaces: bool = False, node: str | None = None,
        selector: str | None = None, output: str = "", sort_by: str | None = None, names: tuple[str, ...] = ()) -> str:  # fmt: skip
    kind = RESOURCES.get(resource.lower())
    if kind is None:
        raise UsageError(f'the server doesn\'t have a resource type "{resource}" (kubesnap get: {", ".join(sorted(set(RESOURCES.values())))})')
    if output not in ("", "wide", "json", "yaml", "name"):
        raise UsageError(f"unable to match a printer suitable for the output format {output!r}, allowed formats are: json,name,wide,yaml")
    try:
        sel = Selector(selector)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if kind in ("images", "containers"):
        return _runtime_table(sv, kind, node, namespace if not all_namespaces else None, output)
    items = {"pods": pod_items, "nodes": node_items, "events": event_items, "services": service_items}[kind](sv)
    namespaced = kind != "nodes"
    ns = None if all_namespaces or not namespaced else (namespace or "default")
    items = [
        it for it in items
        if (ns is None or it.namespace == ns) and (not names or it.name in names)
        and (node is None or (it.obj.get("spec", {}).get("nodeName") if kind == "pods" else it.name if kind == "nodes"
                              else (it.obj.get("source") or {}).get("host")) == node)
        and sel.matches(it.obj.get("metadata", {}).get("labels"))
    ]  # fmt: skip
    if sort_by:
        items.sort(key=lambda it: _sort_key(jsonpath(it.obj, sort_by)))
    singular = {"pods": "pod", "nodes": "node", "events": "event", "services": "service"}[kind]
    if output == "name":
        return "".join(f"{singular}/{cell(it.name)}\n" for it in items)
    if output in ("json", "yaml"):
        doc: Any = {"apiVersion": "v1", "items": [it.obj for it in items], "kind": "List", "metadata": {"resourceVersion": ""}}
        if len(names) == 1 and len(items) == 1:
            doc = items[0].obj
        if value_too_deep(doc):  # only a database someone else wrote can hold one: ingest refuses them
            raise DatabaseError(f"an object nested deeper than {MAX_DEPTH} levels: not printed")
        return json_dumps(doc, indent=4) + "\n" if output == "json" else yaml_dump(doc, sort_keys=True)
    if not items:
        where = f" in {cell(ns)} namespace" if ns else ""
        return f"No resources found{where}.\n"
    wide = output == "wide"
    if kind == "pods":
        header = POD_HEADER + (POD_WIDE if wide else [])
        rows = [it.cells[: len(header)] if it.cells else pod_row(it.obj, it.now, wide) for it in items]
    elif kind == "nodes":
        header = NODE_HEADER + (NODE_WIDE if wide else [])
        rows = [it.cells[: len(header)] if it.cells else node_row(it.obj, it.now, wide) for it in items]
    elif kind == "services":
        header = SERVICE_HEADER + (SERVICE_WIDE if wide else [])
        rows = [it.cells[: len(header)] if it.cells else service_row(it.obj, it.now, wide) for it in items]
    else:
        header = (["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME"] if wide
                  else ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])  # fmt: skip
        rows = [event_row(it.obj, it.now, wide, it.ages) for it in items]
    if namespaced and ns is None:
        header = ["NAMESPACE", *header]
        rows = [[it.namespace or "", *r] for it, r in zip(items, rows, strict=True)]
    return tabwriter([header, *rows])


def _runtime_table(sv: SiteView, kind: str, node: str | None, namespace: str | None, output: str) -> str:
    """crictl's images / ps -a columns, with the node each row is from."""
    if kind == "images":
        rows = sv.q(
            """SELECT i.node, i.repo, coalesce(i.tag, '<none>'), i.image_id, i.size_bytes, i.size_text FROM images i JOIN v_snapshots s USING (snapshot_id)
               WHERE s.site = $site AND ($p0 IS NULL OR i.node = $p0) ORDER BY 1, 2, 3""",
            [node],
        )
        if output in ("json", "yaml"):
            data = [{"node": n, "repository": r, "tag": t, "id": i, "size": sz} for n, r, t, i, sz, _st in rows]
            return json_dumps(data, indent=2) + "\n" if output == "json" else yaml_dump(data)
        if output == "name":
            return "".join(f"{cell(r)}:{cell(t)}\n" for _n, r, t, *_ in rows)
        table = [["NODE", "IMAGE", "TAG", "IMAGE ID", "SIZE"]]
        table += [[n, r, t, (i or "").removeprefix("sha256:")[:13], human_size(sz) if sz is not None else (st or "")] for n, r, t, i, sz, st in rows]
        return tabwriter(table)
    rows = sv.q(
        """SELECT c.node, c.container_id, c.image, c.created_at, c.created_text, c.state, c.name, c.attempt, c.sandbox_id,
                  coalesce(sb.name, c.pod_name), coalesce(sb.namespace, c.pod_namespace), coalesce(s.collected_at, s.ingested_at)
           FROM containers c JOIN v_snapshots s USING (snapshot_id)
           LEFT JOIN sandboxes sb ON sb.snapshot_id = c.snapshot_id AND sb.sandbox_id = c.sandbox_id
           WHERE s.site = $site AND ($p0 IS NULL OR c.node = $p0) AND ($p1 IS NULL OR coalesce(sb.namespace, c.pod_namespace) = $p1)
           ORDER BY 1, c.created_at DESC NULLS LAST, c.name""",
        [node, namespace],
    )
    if output in ("json", "yaml"):
        data = [{"node": r[0], "id": r[1], "image": r[2], "createdAt": iso(r[3]), "state": r[5], "name": r[6], "attempt": r[7], "podSandboxId": r[8],
                 "podName": r[9], "podNamespace": r[10]} for r in rows]  # fmt: skip
        return json_dumps(data, indent=2) + "\n" if output == "json" else yaml_dump(data)
    if output == "name":
        return "".join(f"{cell(r[1])}\n" for r in rows)
    table = [["NODE", "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"]]
    for n, cid, image, created, ctext, state, name, attempt, sbid, pod, _ns, now in rows:
        age = f"{go_units_duration((now - created).total_seconds())} ago" if created and now else (ctext or "")
        table.append([n, (cid or "")[:13], image or "", age, state or "", name or "", str(attempt if attempt is not None else ""), (sbid or "")[:13], pod or ""])
    return tabwriter(table)
