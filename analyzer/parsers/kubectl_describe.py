"""`kubectl describe pod` and `kubectl describe node`, as pasted into a ticket: one object or
several, aligned or with the alignment lost. Read into the same records as the JSON dump
(the pod's container ids, states and restarts; the node's conditions and versions), plus
the Events table each describe ends with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from analyzer.models import ApiPod, Event, Record
from analyzer.parsers.kubectl_json import node, pod
from analyzer.parsers.kubectl_table import EVENT_AGE, event_of
from analyzer.registry import ParseContext, source
from analyzer.textutil import clean_lines, tool_failure

# the value ends at its last non-blank (greedy, then one step back): a lazy value followed by \s*$ would try
# every blank of a long run of blanks against the rest of the line
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][A-Za-z0-9 ./()-]*?):(?:\s+(?P<value>\S(?:.*\S)?))?\s*$")
# Events:  Type  Reason  Age  From  Message; From `kubelet, node1` before 1.14
EVENT_ROW = re.compile(rf"^\s+(?P<type>Normal|Warning)\s+(?P<reason>\S+)\s+(?P<age>{EVENT_AGE})\s+(?P<src>[^\s,]+(?:,\s*\S+)?)\s+(?P<msg>.*)$")
STAMP = r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"
# Conditions of a node: Type Status LastHeartbeatTime LastTransitionTime Reason Message (times may be missing)
CONDITION_ROW = re.compile(rf"^(?P<type>[A-Z]\w+)\s+(?P<status>True|False|Unknown)(?:\s+(?P<beat>{STAMP})\s+(?P<since>{STAMP}))?"
                           r"(?:\s+(?P<reason>\S+)(?:\s+(?P<msg>.*))?)?$")  # fmt: skip
SUMMARY_TIME = "%a, %d %b %Y %H:%M:%S %z"  # kubectl describe's time (RFC 1123 with a numeric zone)


def _sniff(head: str) -> int:
    if "Name:" in head and re.search(r"^Name:\s+\S+", head, re.M) and (
        (re.search(r"^Namespace:\s+\S+", head, re.M) and re.search(r"^Containers:", head, re.M) and re.search(r"^Node:", head, re.M))
        or (re.search(r"^Roles:", head, re.M) and re.search(r"^(?:Conditions|System Info|Addresses):", head, re.M))
    ):
        return 86
    return 0


def _time(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), SUMMARY_TIME).isoformat()
    except ValueError:
        return value  # already RFC 3339, or unreadable: parse_time decides


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(offset, lines) of each object: a describe starts at `Name:` in the first column."""
    starts = [i for i, ln in enumerate(lines) if re.match(r"^Name:\s+\S", ln)]
    for j, i in enumerate(starts):
        yield i, lines[i : starts[j + 1] if j + 1 < len(starts) else len(lines)]


# a pod describe's own fields, and a container's (also where a ticket lost the indentation: one place for both readers)
POD_TOP = frozenset({"Name", "Namespace", "Node", "Host", "Status", "IP", "IPs", "Labels", "Annotations", "Start Time", "Priority",
                     "Priority Class Name", "Controlled By", "QoS Class", "Node-Selectors", "Tolerations", "Image(s)", "Reason",
                     "Message", "Service Account", "Conditions", "Volumes", "Events", "Containers", "Init Containers",
                     "Replication Controllers", "Controllers", "Selector", "Replicas", "Type", "Port", "Roles", "Taints",
                     "Nominated Node Name", "Runtime Class Name"})  # fmt: skip
CONTAINER_KEYS = frozenset({"Container ID", "Image", "Image ID", "Port", "Ports", "Host Port", "Host Ports", "Command", "Args", "State",
                            "Reason", "Started", "Finished", "Exit Code", "Last State", "Ready", "Restart Count", "Limits",
                            "Requests", "Environment", "Mounts", "Liveness", "Readiness", "Startup", "QoS Tier",
                            "Environment Variables"})  # fmt: skip
_STATE_KEYS = frozenset({"Reason", "Message", "Exit Code", "Signal", "Started", "Finished"})


def dedent_describe(lines: list[str]) -> list[str]:
    """A describe indented whole (a ticket's quote), or all but its Name: line (a copy that lost the first line's blank):
    the object's fields back at the first column."""
    least = min((len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip()), default=0)
    if least:
        lines = [ln[least:] if ln[:least].strip() == "" else ln for ln in lines]
    if lines and re.match(r"^Name:\s+\S", lines[0]):
        rest = [ln for ln in lines[1:] if ln.strip()]
        d = min((len(ln) - len(ln.lstrip(" ")) for ln in rest), default=0)
        at_d = [KEY.match(ln[d:]) for ln in rest if len(ln) - len(ln.lstrip(" ")) == d]
        if 0 < d <= 2 and any(m and m.group("key").strip() in ("Namespace", "Roles", "Labels") for m in at_d):
            lines = [lines[0]] + [ln[d:] if ln[:d].strip() == "" else ln for ln in lines[1:]]
    return lines


def _reindent(block: list[str]) -> list[str]:
    """A pod's describe whose indentation a ticket lost (pasted without a code block: every line at the first column),
    indented as kubectl prints it: the pod's fields at the first column, each line of a section under it, a container's
    name under Containers:, its fields under the name, a State's details under the State. Else the block as it is."""
    if len(block) < 2 or any(ln[:1] in (" ", "\t") for ln in block[1:] if ln.strip()):
        return block
    out: list[str] = []
    section: str | None = None
    in_state = False
    for ln in block:
        m = KEY.match(ln)
        key = m.group("key").strip() if m else None
        in_containers = section in ("Containers", "Init Containers")
        if key in POD_TOP and not (in_containers and key in CONTAINER_KEYS):
            section, in_state = key, False
            out.append(ln)
        elif not in_containers:
            out.append("  " + ln if ln.strip() else ln)  # a label, an annotation, a condition or volume line, an event
        elif key and m is not None and m.group("value") is None and key not in CONTAINER_KEYS:
            in_state = False
            out.append("  " + ln)  # a container's name
        elif key in ("State", "Last State"):
            in_state = True
            out.append("    " + ln)
        elif in_state and key in _STATE_KEYS:
            out.append("      " + ln)
        elif key in CONTAINER_KEYS:
            in_state = False
            out.append("    " + ln)
        else:
            out.append("      " + ln if ln.strip() else ln)  # an environment variable, a mount, a limit
    return out


def _tree(lines: list[str]) -> list[tuple[int, str, str | None, str]]:
    """(indent, key, value, the line stripped) of each line; lines that are not `Key: value`
    (table rows, label and annotation continuations) come back with key ''. A key has no
    '/', '.' or '=' (those are annotation and label names)."""
    out: list[tuple[int, str, str | None, str]] = []
    for ln in lines:
        if not ln.strip():
            continue
        m = KEY.match(ln)
        indent = len(ln) - len(ln.lstrip())
        if m and not re.search(r"[/.=]", m.group("key")):
            out.append((indent, m.group("key").strip(), m.group("value"), ln.strip()))
        else:
            out.append((indent, "", ln.strip(), ln.strip()))
    return out


def _kv_list(first: str | None, rest: list[str]) -> dict[str, str]:
    """Labels (`k=v`) / Annotations (`k: v`): on the key's line and one per continuation line; `<none>` is empty."""
    out: dict[str, str] = {}
    for item in ([first] if first else []) + rest:
        if not item or item == "<none>":
            continue
        k, sep, val = item.partition("=") if "=" in item.split(": ", 1)[0] else item.partition(": ")
        out[k.strip().rstrip(":")] = val.strip() if sep else ""
    return out


def _top(tree: list[tuple[int, str, str | None, str]]) -> dict[str, tuple[str | None, list[str], int]]:
    """Top-level keys with their value, their indented continuation lines, and where they start in the tree."""
    out: dict[str, tuple[str | None, list[str], int]] = {}
    last = None
    for j, (indent, key, value, raw) in enumerate(tree):
        if indent == 0 and key:
            last = key
            out.setdefault(key, (value, [], j))
        elif last in ("Labels", "Annotations", "Taints") and indent > 0:
            out[last][1].append(raw)
        else:
            last = None if indent == 0 else last
    return out


def _section(tree: list[tuple[int, str, str | None, str]], start: int) -> list[tuple[int, str, str | None, str]]:
    """The lines below a top-level key, up to the next one."""
    out = []
    for row in tree[start + 1 :]:
        if row[0] == 0 and row[1]:
            break
        out.append(row)
    return out


def _containers(rows: list[tuple[int, str, str | None, str]]) -> list[dict[str, Any]]:
    """Containers:/Init Containers: as containerStatuses entries of the JSON dump."""
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    state_key: str | None = None  # state or lastState, while reading its indented details
    for indent, key, value, _raw in rows:
        if key and value is None and indent <= 2:
            cur = {"name": key, "_state": {}, "_last": {}}
            out.append(cur)
            state_key = None
            continue
        if cur is None or not key:
            continue
        if key == "State":
            state_key, cur["_state"] = "_state", {"kind": (value or "").lower(), "indent": indent}
        elif key == "Last State":
            state_key, cur["_last"] = "_last", {"kind": (value or "").lower(), "indent": indent}
        elif state_key and indent > cur[state_key].get("indent", 99):
            cur[state_key][key] = value
            continue
        else:
            state_key = None
        if key == "Container ID":
            cur["containerID"] = value
        elif key == "Image":
            cur["image"] = value
        elif key == "Image ID":
            cur["imageID"] = value
        elif key == "Ready":
            cur["ready"] = value == "True"
        elif key == "Started" and state_key is None:
            cur["started"] = value == "True"
        elif key == "Restart Count":
            cur["restartCount"] = int(value) if value and value.isdecimal() else None
    for c in out:
        for src, dst in (("_state", "state"), ("_last", "lastState")):
            s = c.pop(src)
            kind = s.get("kind")
            if kind in ("running", "waiting", "terminated"):
                c[dst] = {kind: {"reason": s.get("Reason"), "message": s.get("Message"),
                                 "exitCode": int(s["Exit Code"]) if (s.get("Exit Code") or "").lstrip("-").isdecimal() else None,
                                 "startedAt": _time(s.get("Started")), "finishedAt": _time(s.get("Finished"))}}  # fmt: skip
    return out


def _events(lines: list[str], namespace: str | None, kind: str, name: str) -> Iterator[Event]:
    inside = False
    for ln in lines:
        if re.match(r"^Events:", ln):
            inside = True
            continue
        if not inside:
            continue
        if ln and not ln.startswith(" "):
            break
        m = EVENT_ROW.match(ln)
        if not m or m.group("type") == "Type":
            continue
        ev = event_of({"namespace": namespace, "object": f"{kind}/{name}", "type": m.group("type"), "reason": m.group("reason"),
                       "last_seen": m.group("age"), "source": m.group("src"), "message": m.group("msg").strip()})  # fmt: skip
        if ev is not None:
            yield ev


def _pod(block: list[str], top: dict[str, tuple[str | None, list[str], int]], tree: list[tuple[int, str, str | None, str]]) -> Iterator[Record]:
    def v(key: str) -> str | None:
        val = top.get(key, (None, [], 0))[0]
        return None if val in (None, "<none>") else val

    node_name, _, host_ip = (v("Node") or v("Host") or "").partition("/")
    owner_kind, _, owner_name = (v("Controlled By") or "").partition("/")
    annotations = _kv_list(*top.get("Annotations", (None, [], 0))[:2])
    containers = _containers(_section(tree, top["Containers"][2])) if "Containers" in top else []
    inits = _containers(_section(tree, top["Init Containers"][2])) if "Init Containers" in top else []
    obj = {
        "metadata": {"name": v("Name"), "namespace": v("Namespace"), "labels": _kv_list(*top.get("Labels", (None, [], 0))[:2]),
                     "annotations": annotations, "creationTimestamp": _time(v("Start Time")),
                     "ownerReferences": [{"kind": owner_kind, "name": owner_name, "controller": True}] if owner_name else []},
        "spec": {"nodeName": node_name or None, "priorityClassName": v("Priority Class Name"),
                 "containers": [{"name": c["name"], "image": c.get("image")} for c in containers],
                 "initContainers": [{"name": c["name"], "image": c.get("image")} for c in inits]},
        "status": {"phase": v("Status"), "reason": v("Reason"), "podIP": v("IP"), "hostIP": host_ip or None,
                   "qosClass": v("QoS Class"), "startTime": _time(v("Start Time")),
                   "containerStatuses": containers, "initContainerStatuses": inits},
    }  # fmt: skip
    # a describe cut short (a ticket's paste often is) says nothing of what it does not show: no restart count, readiness
    # or container status is made up from containers it never reached (the pods view then takes them from a table)
    shown = "Containers" in top and bool(containers)
    for rec in pod(obj):
        if isinstance(rec, ApiPod):
            rec.source = "kubectl-describe"
            if not (shown and all(isinstance(c.get("restartCount"), int) for c in containers)):
                rec.restarts = None
            if not (shown and all("ready" in c for c in containers)):
                rec.ready_text = None
            if not v("Reason") and not (shown and all("state" in c for c in containers + inits)):
                rec.status_text = None
        yield rec
    yield from _events(block, v("Namespace"), "Pod", v("Name") or "")


def _node(block: list[str], top: dict[str, tuple[str | None, list[str], int]], tree: list[tuple[int, str, str | None, str]]) -> Iterator[Record]:
    def v(key: str) -> str | None:
        val = top.get(key, (None, [], 0))[0]
        return None if val in (None, "<none>") else val

    sub = {r[1]: r[2] for k in ("System Info", "Addresses") if k in top for r in _section(tree, top[k][2]) if r[1]}
    conds = []
    if "Conditions" in top:
        for _indent, _key, _value, raw in _section(tree, top["Conditions"][2]):
            m = CONDITION_ROW.match(raw)
            if m:
                c = {"type": m.group("type"), "status": m.group("status"), "lastHeartbeatTime": _time(m.group("beat")),
                     "lastTransitionTime": _time(m.group("since")), "reason": m.group("reason"), "message": (m.group("msg") or "").strip() or None}  # fmt: skip
                conds.append({k: val for k, val in c.items() if val})
    taints = []
    first = v("Taints")
    for t in ([first] if first else []) + top.get("Taints", (None, [], 0))[1]:
        m = re.match(r"^([^=:\s]+)(?:=([^:]*))?:(\w+)$", t.strip())
        if m:
            taints.append({"key": m.group(1), "value": m.group(2), "effect": m.group(3)})
    obj = {
        "metadata": {"name": v("Name"), "labels": _kv_list(*top.get("Labels", (None, [], 0))[:2]),
                     "creationTimestamp": _time(v("CreationTimestamp"))},
        "spec": {"unschedulable": (v("Unschedulable") == "true") if "Unschedulable" in top else None, "taints": taints if "Taints" in top else None},
        "status": {"conditions": conds,
                   "addresses": [{"type": k, "address": sub[k]} for k in ("InternalIP", "ExternalIP", "Hostname") if sub.get(k)],
                   "nodeInfo": {"kubeletVersion": sub.get("Kubelet Version"), "containerRuntimeVersion": sub.get("Container Runtime Version"),
                                "kernelVersion": sub.get("Kernel Version"), "osImage": sub.get("OS Image"),
                                "architecture": sub.get("Architecture")}},
    }  # fmt: skip
    rec = node(obj)
    rec.source = "kubectl-describe"
    yield rec
    yield from _events(block, None, "Node", v("Name") or "")


@source("kubectl-describe", sniff=_sniff, scope="cluster")
def parse(ctx: ParseContext) -> Iterable[Record]:
    """kubectl describe pod / node (one or several objects, with their events)"""
    lines = dedent_describe(clean_lines(ctx.text))
    found = False
    for off, block in _blocks(lines):
        block = _reindent(block)
        tree = _tree(block)
        top = _top(tree)
        # a pod's: its containers, or (a describe cut above them, as tickets' often are) its node with the start or IP
        # (2015's form: `Image(s):` for its containers, `Host:` for its node, often no Namespace)
        if ("Namespace" in top or "Image(s)" in top) and ("Containers" in top or "Image(s)" in top
                                                          or (top.keys() & {"Node", "Host"} and top.keys() & {"Start Time", "IP", "Status"})):
            found = True
            yield from _pod(block, top, tree)
        elif "Roles" in top or "System Info" in top:
            found = True
            yield from _node(block, top, tree)
        else:
            ctx.problem(off + 1, f"a describe of something other than a pod or node: {block[0][:80]!r}")
    if not found:
        from analyzer.errors import ParseError

        failed = tool_failure(ctx.text)
        raise ParseError(f"the command failed: {failed}" if failed else "no kubectl describe pod/node output found")
