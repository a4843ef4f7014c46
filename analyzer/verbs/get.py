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
    Selector,
    go_units_duration,
    human_size,
    node_row,
    pod_row,
    since,
    tabwriter,
)
from analyzer.sanitize import cell, json_dumps, yaml_dump
from analyzer.verbs import SiteView, stored_json

RESOURCES = {"pods": "pods", "pod": "pods", "po": "pods", "nodes": "nodes", "node": "nodes", "no": "nodes", "events": "events",
             "event": "events", "ev": "events", "images": "images", "image": "images", "containers": "containers", "container": "containers"}  # fmt: skip


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
                  p.node_name, p.nominated_node, p.labels, coalesce(s.collected_at, s.ingested_at)
           FROM pods p JOIN snapshots s USING (snapshot_id)
           LEFT JOIN api_objects o ON o.snapshot_id = p.snapshot_id AND o.kind = 'Pod' AND o.namespace = p.namespace AND o.name = p.name
           WHERE p.site = $site ORDER BY p.namespace, p.name"""
    )
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    for ns, name, _source, raw, ready, status, restarts, last, age, ip, node, nominated, labels, now in rows:
        if (ns, name) in seen:
            continue
        seen.add((ns, name))
        if raw is not None:
            items.append(Item(ns, name, stored_json(raw) if isinstance(raw, str) else raw, now))
            continue
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": _labels(labels)},
               "spec": {"nodeName": node}, "status": {"podIP": ip}}  # fmt: skip
        rs = str(restarts if restarts is not None else "") + (f" ({last})" if last else "")
        cells = [name, ready or "", status or "", rs, age or "<unknown>", ip or "<none>", node or "<none>", nominated or "<none>", "<none>"]
        items.append(Item(ns, name, obj, now, cells, "table"))
    if not items:
        items = node_pod_items(sv)
    return items


def _labels(v: Any) -> dict[str, str]:
    if isinstance(v, str):
        v = stored_json(v)
    return {str(k): str(x) for k, x in (v or {}).items()} if isinstance(v, dict) else {}


def node_pod_items(sv: SiteView) -> list[Item]:
    """Pods as the nodes' runtimes know them (crictl pods / ps / inspect), in the API's shape."""
    sandboxes = sv.q(
        """SELECT sb.snapshot_id, sb.node, sb.sandbox_id, sb.name, sb.namespace, sb.pod_uid, sb.state, sb.created_at, sb.ip, sb.labels,
                  coalesce(s.collected_at, s.ingested_at)
           FROM sandboxes sb JOIN snapshots s USING (snapshot_id) WHERE s.site = $site AND sb.name IS NOT NULL
           ORDER BY sb.namespace, sb.name, sb.created_at DESC NULLS LAST"""
    )
    containers: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for r in sv.q(
        """SELECT c.snapshot_id, c.sandbox_id, c.name, c.attempt, c.state, c.image, c.image_id, c.container_id, c.created_at, c.started_at,
                  c.finished_at, c.exit_code, c.reason
           FROM containers c JOIN snapshots s USING (snapshot_id) WHERE s.site = $site ORDER BY c.name, c.attempt"""
    ):
        containers.setdefault((r[0], r[1]), []).append(r)
    # a host-network pod has the node's address: kubelet's --node-ip where the bundle shows it
    node_ip = dict(sv.q(
        """SELECT p.snapshot_id, max(nullif(regexp_extract(p.command, '--node-ip[= ]([0-9a-fA-F.:]+)', 1), '')) FROM processes p
           JOIN snapshots s USING (snapshot_id) WHERE s.site = $site AND regexp_matches(p.command, '(^|/)kubelet ') GROUP BY 1"""))  # fmt: skip
    host_net = {(r[0], r[1]) for r in sv.q("SELECT sb.snapshot_id, sb.sandbox_id FROM sandboxes sb JOIN snapshots s USING (snapshot_id) WHERE s.site = $site AND sb.host_network")}
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
        for c in containers.get((sid, sbid), []):
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
            "status": {"phase": "Running" if state == "Ready" else "Unknown", "podIP": ip, "podIPs": [{"ip": ip}] if ip else [],
                       "conditions": [{"type": "Ready", "status": "True" if all_running else "False"}], "containerStatuses": statuses},
        }  # fmt: skip
        items.append(Item(ns, name, obj, now, None, "node"))
    return items


# ------------------------------------------------------------------ nodes, events


def node_items(sv: SiteView) -> list[Item]:
    objs = sv.raw("Node") if sv.api_snapshot else []
    if objs:
        return [Item(None, o["metadata"]["name"], o, sv.api_now) for o in objs]
    items = []
    for name, role, collected, snap in sv.q("SELECT name, role, collected_at, snapshot_id FROM nodes WHERE site = $site AND has_bundle ORDER BY name"):
        facts = dict(sv.q("SELECT key, value FROM host_facts WHERE snapshot_id = $p0", [snap]))
        labels = {"kubernetes.io/hostname": name, **({"node-role.kubernetes.io/control-plane": ""} if role == "control-plane" else {})}
        obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
               "status": {"nodeInfo": {"kernelVersion": facts.get("kernel"), "osImage": facts.get("os.pretty_name")}}}  # fmt: skip
        items.append(Item(None, name, obj, collected, None, "node"))
    return items


def event_items(sv: SiteView) -> list[Item]:
    objs = sv.raw("Event") if sv.api_snapshot else []
    if objs:
        return [Item(o.get("metadata", {}).get("namespace"), o.get("metadata", {}).get("name", ""), o, sv.api_now) for o in objs]
    # no kubectl dump of events: the rows of pasted event tables and describes, with the ages they printed
    items = []
    for ns, kind, name, typ, reason, msg, count, first, last, comp, host in sv.q(
        """SELECT DISTINCT e.namespace, e.kind, e.name, e.type, e.reason, e.message, e.count, e.first_seen_text, e.last_seen_text, e.component, e.host
           FROM events e JOIN snapshots s USING (snapshot_id) WHERE s.site = $site ORDER BY 1 NULLS FIRST, 3, 5"""
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
    items = {"pods": pod_items, "nodes": node_items, "events": event_items}[kind](sv)
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
    singular = {"pods": "pod", "nodes": "node", "events": "event"}[kind]
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
        rows = [node_row(it.obj, it.now, wide) for it in items]
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
            """SELECT i.node, i.repo, coalesce(i.tag, '<none>'), i.image_id, i.size_bytes, i.size_text FROM images i JOIN snapshots s USING (snapshot_id)
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
           FROM containers c JOIN snapshots s USING (snapshot_id)
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
