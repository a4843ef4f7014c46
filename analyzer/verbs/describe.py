"""`kubesnap describe pod|node NAME`: the API's view (as kubectl describe lays it out), the node's own view
(sandbox, containers, processes, log files) and the findings about it, on one page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analyzer.errors import UsageError
from analyzer.kubefmt import node_roles, since, tabwriter
from analyzer.sanitize import cell
from analyzer.verbs import SiteView, not_found
from analyzer.verbs.get import event_items, event_row, node_items, pod_items


class Lines(list[str]):
    """A value printed on several lines (labels, taints), one item per line."""


def _kv(pairs: list[tuple[str, Any]], indent: int = 0) -> list[str]:
    """`Key:  value` lines, aligned. Keys and values are escaped as cells (a value from the bundle is one
    line, whatever it holds); a `Lines` value takes one line per item."""
    pairs = [(cell(k), v) for k, v in pairs]
    width = max((len(k) for k, _ in pairs), default=0) + 2
    out = []
    for k, v in pairs:
        lines = [cell(x) for x in v] if isinstance(v, Lines) else [cell(v)]
        if not lines or v in (None, "", [], {}):
            lines = ["<none>"]
        out.append(" " * indent + f"{k + ':':<{width}}{lines[0]}")
        out += [" " * (indent + width) + ln for ln in lines[1:]]
    return out


def _labels(d: dict[str, str] | None) -> Lines:
    return Lines(f"{k}={v}" for k, v in sorted((d or {}).items()))


def _state(s: dict[str, Any]) -> list[tuple[str, Any]]:
    if not s:
        return [("State", "<none>")]
    kind, d = next(iter(s.items()))
    if not isinstance(d, dict):
        d = {}  # (a dump's {"a": 1}: a state of that name, no details)
    out: list[tuple[str, Any]] = [("State", str(kind).capitalize())]
    for k in ("reason", "message", "exitCode", "startedAt", "finishedAt"):
        if d.get(k) not in (None, ""):
            out.append(("  " + {"exitCode": "Exit Code", "startedAt": "Started", "finishedAt": "Finished"}.get(k, k.capitalize()), d[k]))
    return out


def _findings(sv: SiteView, node: str | None, namespace: str | None, obj: str | None) -> list[str]:
    rows = sv.q(
        """SELECT severity, rule, message FROM v_findings WHERE site = $site AND (($p1 IS NOT NULL AND namespace = $p1 AND object = $p2)
           OR ($p1 IS NULL AND node = $p0))
           ORDER BY CASE severity WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, rule""",
        [node, namespace, obj],
    ) if sv.q("SELECT 1 FROM information_schema.tables WHERE table_name = 'findings'") else []
    if not rows:
        return ["Findings:  <none> (kubesnap findings runs the rules)"]
    return ["Findings:", *("  " + ln for ln in tabwriter([["SEVERITY", "RULE", "MESSAGE"], *[[s.upper(), r, m] for s, r, m in rows]]).splitlines())]


def describe(sv: SiteView, kind: str, name: str, namespace: str | None = None) -> str:
    kind = {"po": "pod", "pods": "pod", "no": "node", "nodes": "node"}.get(kind, kind)
    if kind == "pod":
        return describe_pod(sv, name, namespace)
    if kind == "node":
        return describe_node(sv, name)
    raise UsageError(f"kubesnap describe knows pod and node, not {kind!r}")


def find_pod(sv: SiteView, name: str, namespace: str | None) -> tuple[str, dict[str, Any], datetime | None, str]:
    """(namespace, object, now, source) of a pod: in `namespace`, else the only pod of that name in any namespace."""
    items = [it for it in pod_items(sv) if it.name == name and (namespace is None or it.namespace == namespace)]
    if not items and namespace is None:
        raise not_found("pods", name, "default")
    if not items:
        raise not_found("pods", name, namespace)
    if len(items) > 1:
        raise UsageError(f"pod {name} is in several namespaces ({', '.join(sorted(str(i.namespace) for i in items))}): give -n")
    it = items[0]
    return it.namespace or "", it.obj, it.now, it.source


def describe_pod(sv: SiteView, name: str, namespace: str | None) -> str:
    ns, pod, now, source = find_pod(sv, name, namespace)
    md, spec, st = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    node = spec.get("nodeName")
    owner = next(iter(md.get("ownerReferences") or []), None)
    # a pasted describe with no QoS Class was cut above it (kubectl prints it, then Events, last): neither is known
    cut = source == "describe" and not st.get("qosClass")
    out = _kv([
        ("Name", md.get("name")), ("Namespace", ns), ("Priority Class Name", spec.get("priorityClassName")),
        ("Node", f"{node}/{st.get('hostIP')}" if node and st.get("hostIP") else node), ("Start Time", st.get("startTime")),
        ("Labels", _labels(md.get("labels"))), ("Status", st.get("reason") or st.get("phase")), ("IP", st.get("podIP")),
        ("Controlled By", f"{owner['kind']}/{owner['name']}" if owner else None), ("QoS Class", "<unknown>" if cut else st.get("qosClass")),
    ])  # fmt: skip
    if source != "api":
        out.append("(from " + {"table": "a pasted kubectl table", "describe": "a pasted kubectl describe pod"}.get(source, "the node runtime: there is no API dump") + ")")
    out.append("Containers:")
    specs = {c.get("name"): c for c in spec.get("containers") or []}
    for cs in st.get("containerStatuses") or []:
        c = specs.get(cs.get("name"), {})
        pairs: list[tuple[str, Any]] = [("Container ID", cs.get("containerID")), ("Image", cs.get("image") or c.get("image")), ("Image ID", cs.get("imageID"))]
        pairs += _state(cs.get("state") or {})
        last = cs.get("lastState") or {}
        if last:
            pairs += [("Last State" if k == "State" else k, v) for k, v in _state(last)]
        # (a pasted describe cut short before them: null, shown unknown, never False and 0)
        ready, count = cs.get("ready"), cs.get("restartCount", 0)
        pairs += [("Ready", "<unknown>" if ready is None and "ready" in cs else str(bool(ready))), ("Restart Count", "<unknown>" if count is None else count)]
        out.append(f"  {cell(cs.get('name'))}:")
        out += _kv(pairs, 4)
    conds = st.get("conditions") or []
    if conds:
        out.append("Conditions:")
        out += ["  " + ln for ln in tabwriter([["Type", "Status"], *[[c.get("type", ""), c.get("status", "")] for c in conds]]).splitlines()]
    # the dump's events of the pod, else those of pasted event tables and describes (with the ages they printed)
    events = [it for it in event_items(sv) if (it.obj.get("involvedObject") or {}).get("name") == name
              and str((it.obj.get("involvedObject") or {}).get("kind") or "Pod") == "Pod" and (it.obj.get("metadata", {}).get("namespace") or ns) == ns]
    if events:
        out.append("Events:")
        rows = [["Type", "Reason", "Age", "From", "Message"]]
        for it in events:
            r = event_row(it.obj, it.now or now, True, it.ages)
            rows.append([r[1], r[2], r[0], r[5], r[6]])
        out += ["  " + ln for ln in tabwriter(rows).splitlines()]
    else:
        out.append("Events:  <unknown> (the pasted describe ends above them)" if cut else "Events:  <none>")
    out.append("")
    out += node_view_of_pod(sv, node, ns, name)
    out.append("")
    out += _findings(sv, node, ns, name)
    return "\n".join(out) + "\n"


def node_view_of_pod(sv: SiteView, node: str | None, ns: str, name: str) -> list[str]:
    snap = sv.node_snapshot(node) if node else None
    if not snap:
        return [f"Node view:  <none> (no bundle from node {cell(node)})" if node else "Node view:  <none> (the pod is on no node)"]
    sid, collected = snap
    out = [f"Node view ({cell(node)}, collected {collected:%Y-%m-%d %H:%M:%S}Z):" if collected else f"Node view ({cell(node)}):"]
    rows = sv.q(
        """SELECT pod_id, container, container_id, container_state, attempt, shim_pid, pid, ppid, "user", command, log_dir, join_method, role
           FROM pod_processes WHERE snapshot_id = $p0 AND namespace = $p1 AND pod = $p2 ORDER BY container NULLS FIRST, pid""",
        [sid, ns, name],
    )
    sb = sv.q("SELECT sandbox_id, state, pause_pid, ip, created_at FROM sandboxes WHERE snapshot_id = $p0 AND namespace = $p1 AND name = $p2 "
              "ORDER BY created_at DESC NULLS LAST", [sid, ns, name])  # fmt: skip
    if not sb and not rows:
        return [*out, "  the node's runtime has no sandbox for this pod"]
    if sb:
        sid_, state, pause, _ip, _created = sb[0]
        shim = next((r[5] for r in rows if r[5]), None)
        log_dir = next((r[10] for r in rows if r[10]), None)
        out += _kv([("Sandbox", f"{sid_} ({state})"), ("Pause PID", pause), ("Shim PID", shim), ("Log dir", log_dir)], 2)
    out.append("  Processes:")
    table = [["CONTAINER", "ID", "STATE", "ATTEMPT", "PID", "PPID", "USER", "JOIN", "COMMAND"]]
    for _pid, cont, cid, cstate, attempt, _shim, pid, ppid, user, cmd, _ld, join, role in rows:
        table.append([(cont or "(pause)") if role != "descendant" else f"{cont} (child)", (cid or "")[:13], cstate or "", str(attempt if attempt is not None else ""),
                      str(pid) if pid else "<none>", str(ppid or ""), user or "", join or "", (cmd or "")[:120]])  # fmt: skip
    out += ["    " + ln for ln in tabwriter(table).splitlines()]
    files = sv.q(
        """SELECT path, size, line_count, first_ts, last_ts, rotated, truncated FROM pod_logs WHERE snapshot_id = $p0 AND namespace = $p1 AND pod = $p2
           ORDER BY container, restart, rotated DESC, path""",
        [sid, ns, name],
    )
    if files:
        out.append("  Log files:")
        t = [["PATH", "SIZE", "LINES", "FIRST", "LAST", "NOTE"]]
        for path, size, lines, first, last, rotated, truncated in files:
            note = ",".join(x for x, on in (("rotated", rotated), ("truncated", truncated)) if on)
            t.append([path, str(size or 0), str(lines or 0), f"{first:%m-%d %H:%M:%S}" if first else "", f"{last:%m-%d %H:%M:%S}" if last else "", note])
        out += ["    " + ln for ln in tabwriter(t).splitlines()]
    return out


def describe_node(sv: SiteView, name: str) -> str:
    items = [it for it in node_items(sv) if it.name == name]
    if not items:
        raise not_found("nodes", name)
    node = items[0].obj
    now = items[0].now
    md, spec, st = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    info = st.get("nodeInfo") or {}
    # (a pasted describe cut short: what it did not reach is unknown, not kubectl's <none>, false or 0)
    pasted = items[0].source in ("table", "describe")
    out = _kv([("Name", name), ("Roles", ",".join(node_roles(md.get("labels") or {})) or "<none>"),
               ("Labels", _labels(md.get("labels"))), ("CreationTimestamp", md.get("creationTimestamp") or ("<unknown>" if pasted else None)),
               ("Taints", "<unknown>" if spec.get("taints") is None and pasted else
                Lines(f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}" for t in spec.get("taints") or [])),
               ("Unschedulable", "<unknown>" if spec.get("unschedulable") is None and pasted else str(bool(spec.get("unschedulable"))).lower())])  # fmt: skip
    conds = st.get("conditions") or []
    if conds:
        out.append("Conditions:")
        rows = [["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"]]
        rows += [[c.get("type", ""), c.get("status", ""), c.get("lastHeartbeatTime", ""), c.get("lastTransitionTime", ""), c.get("reason", ""), c.get("message", "")] for c in conds]
        out += ["  " + ln for ln in tabwriter(rows).splitlines()]
    addrs = st.get("addresses") or []
    if addrs:
        out.append("Addresses:")
        out += _kv([(a.get("type", ""), a.get("address", "")) for a in addrs], 2)
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            out.append(f"{title}:")
            out += _kv(sorted(st[key].items()), 2)
    if any(v not in (None, "") for v in info.values()):
        out.append("System Info:")
        out += _kv([(k[0].upper() + k[1:], v) for k, v in info.items()], 2)
    pods = [it for it in pod_items(sv) if (it.obj.get("spec") or {}).get("nodeName") == name]
    if pods or not pasted:
        out.append(f"Non-terminated Pods:  ({len(pods)} in total)")
        rows = [["Namespace", "Name", "Age"], *[[it.namespace or "", it.name, since(now, (it.obj.get("metadata") or {}).get("creationTimestamp"))] for it in pods]]
        out += ["  " + ln for ln in tabwriter(rows).splitlines()]
    else:
        out.append("Non-terminated Pods:  <unknown> (no pod of the paste names this node)")
    out.append("")
    snap = sv.node_snapshot(name)
    if snap:
        sid, collected = snap
        s = sv.q("SELECT bundle_name, runtime_kind, runtime_endpoint, missing_commands, crictl_calls FROM v_snapshots WHERE snapshot_id = $p0", [sid])[0]
        out.append(f"Node view (bundle {cell(s[0])}, collected {collected:%Y-%m-%d %H:%M:%S}Z):" if collected else f"Node view (bundle {cell(s[0])}):")
        out += _kv([("Runtime", f"{s[1] or '?'} {s[2] or ''}".strip()), ("Not collected", ", ".join(s[3] or []) or "<none>"),
                    ("Sandboxes", sv.q("SELECT count(*) FROM sandboxes WHERE snapshot_id = $p0", [sid])[0][0]),
                    ("Containers", sv.q("SELECT count(*) FROM containers WHERE snapshot_id = $p0", [sid])[0][0]),
                    ("Processes", sv.q("SELECT count(DISTINCT pid) FROM v_processes WHERE snapshot_id = $p0", [sid])[0][0])], 2)  # fmt: skip
        fs = sv.q("SELECT mount, filesystem, used_pct, inodes_used_pct FROM node_filesystems WHERE snapshot_id = $p0 ORDER BY mount", [sid])
        if fs:
            out.append("  Filesystems:")
            out += ["    " + ln for ln in tabwriter([["MOUNT", "FILESYSTEM", "USED%", "IUSED%"],
                                                      *[[m, f, f"{u:.0f}" if u is not None else "", f"{i:.0f}" if i is not None else ""] for m, f, u, i in fs]]).splitlines()]  # fmt: skip
        top = sv.q("""SELECT pid, rss_kb, coalesce(pod, service, ''), left(command, 80) FROM process_tree WHERE snapshot_id = $p0 AND rss_kb IS NOT NULL
                      ORDER BY rss_kb DESC LIMIT 5""", [sid])  # fmt: skip
        if top:
            out.append("  Largest processes (RSS):")
            out += ["    " + ln for ln in tabwriter([["PID", "RSS(KiB)", "OWNER", "COMMAND"], *[[str(p), str(r), o, c] for p, r, o, c in top]]).splitlines()]
    else:
        out.append("Node view:  <none> (no bundle from this node)")
    out.append("")
    out += _findings(sv, name, None, None)
    return "\n".join(out) + "\n"
