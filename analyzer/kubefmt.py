"""kubectl's and crictl's printing conventions, ported so that offline views read like the real tools:
column names and order, the tab writer, ages, pod STATUS and RESTARTS, node STATUS and ROLES, label
selectors. References: k8s.io/kubernetes pkg/printers/internalversion (printPod, printNode, printEvent),
k8s.io/apimachinery util/duration.HumanDuration, docker/go-units HumanDuration (crictl's CREATED).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from analyzer.sanitize import cell
from analyzer.timeparse import parse_time


def tabwriter(rows: Sequence[Sequence[str]], minwidth: int = 6, padding: int = 3) -> str:
    """kubectl's output: text/tabwriter with minwidth 6, padding 3, blanks; the last column is not padded.
    Every cell is escaped first (analyzer.sanitize.cell): a row is one line, whatever a name holds."""
    if not rows:
        return ""
    rows = [[cell(c) for c in r] for r in rows]
    ncol = max(len(r) for r in rows)
    widths = [0] * ncol
    for r in rows:
        for i, c in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(c))
    out = []
    for r in rows:
        cells = [c.ljust(max(minwidth, widths[i] + padding)) for i, c in enumerate(r[:-1])]
        out.append(("".join(cells) + (r[-1] if r else "")).rstrip())
    return "\n".join(out) + "\n"


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery duration.HumanDuration, as kubectl prints AGE."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def go_units_duration(seconds: float) -> str:
    """docker/go-units HumanDuration, as crictl prints CREATED ("44 hours ago" without the "ago")."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def since(now: datetime | None, t: datetime | str | None) -> str:
    """translateTimestampSince: '<unknown>' for a zero time."""
    tt = parse_time(t) if isinstance(t, str) else t
    if tt is None or now is None:
        return "<unknown>"
    return human_duration((now - tt).total_seconds())


def human_size(n: int | None) -> str:
    """crictl's SIZE column (go-units HumanSizeWithPrecision, 3 significant digits, decimal units)."""
    if n is None:
        return ""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    v = float(n)
    i = 0
    while v >= 1000 and i < len(units) - 1:
        v /= 1000
        i += 1
    return f"{float(f'{v:.3g}'):g}{units[i]}"


# ------------------------------------------------------------------ pods


def pod_row(pod: dict[str, Any], now: datetime | None, wide: bool = False) -> list[str]:
    """printPod: NAME READY STATUS RESTARTS AGE [IP NODE NOMINATED NODE READINESS GATES]."""
    md, spec, st = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: datetime | None = None
    reason = st.get("reason") or st.get("phase") or ""

    def note_last(cs: dict[str, Any]) -> None:
        nonlocal last_restart
        term = (cs.get("lastState") or {}).get("terminated")
        if term:
            t = parse_time(term.get("finishedAt"))
            if t and (last_restart is None or t > last_restart):
                last_restart = t

    initializing = False
    init_specs = spec.get("initContainers") or []
    for i, cs in enumerate(st.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        note_last(cs)
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and int(term.get("exitCode") or 0) == 0:
            continue
        if term:
            if not term.get("reason"):
                reason = f"Init:Signal:{term['signal']}" if term.get("signal") else f"Init:ExitCode:{term.get('exitCode', 0)}"
            else:
                reason = "Init:" + term["reason"]
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    conditions = st.get("conditions") or []
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions)
    if not initializing or initialized:
        restarts = 0
        has_running = False
        for cs in reversed(st.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            note_last(cs)
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode', 0)}"
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions) else "NotReady"
    if md.get("deletionTimestamp"):
        reason = "Unknown" if st.get("reason") == "NodeLost" else "Terminating"
    rs = str(restarts)
    if restarts and last_restart is not None:
        rs = f"{restarts} ({since(now, last_restart)} ago)"
    row = [md.get("name", ""), f"{ready}/{total}", reason, rs, since(now, md.get("creationTimestamp"))]
    if wide:
        ips = st.get("podIPs") or []
        ip = (ips[0].get("ip") if ips else st.get("podIP")) or "<none>"
        gates = spec.get("readinessGates") or []
        rg = "<none>"
        if gates:
            true = sum(1 for g in gates for c in conditions if c.get("type") == g.get("conditionType") and c.get("status") == "True")
            rg = f"{true}/{len(gates)}"
        row += [ip, spec.get("nodeName") or "<none>", st.get("nominatedNodeName") or "<none>", rg]
    return row


POD_HEADER = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
POD_WIDE = ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]


# ------------------------------------------------------------------ nodes


def node_roles(labels: dict[str, str]) -> list[str]:
    roles = set()
    for k, v in labels.items():
        if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1]:
            roles.add(k.split("/", 1)[1])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def node_row(node: dict[str, Any], now: datetime | None, wide: bool = False) -> list[str]:
    """printNode: NAME STATUS ROLES AGE VERSION [INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME]."""
    md, spec, st = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    ready = next((c for c in st.get("conditions") or [] if c.get("type") == "Ready"), None)
    status = ["Unknown"] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    if spec.get("unschedulable"):
        status.append("SchedulingDisabled")
    info = st.get("nodeInfo") or {}
    row = [md.get("name", ""), ",".join(status), ",".join(node_roles(md.get("labels") or {})) or "<none>", since(now, md.get("creationTimestamp")),
           info.get("kubeletVersion") or ""]  # fmt: skip
    if wide:
        addrs = st.get("addresses") or []

        def addr(t: str) -> str:
            return next((a.get("address") for a in addrs if a.get("type") == t), None) or "<none>"

        row += [addr("InternalIP"), addr("ExternalIP"), info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
                info.get("containerRuntimeVersion") or "<unknown>"]  # fmt: skip
    return row


NODE_HEADER = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
NODE_WIDE = ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]


def _strs(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def service_external_ip(svc: dict[str, Any], wide: bool) -> str:
    """getServiceExternalIP: spec.externalIPs (and a load balancer's ingress), <pending> for a balancer without one."""
    spec, st = svc.get("spec") or {}, svc.get("status") or {}
    typ, ext = spec.get("type"), _strs(spec.get("externalIPs"))
    if typ in ("ClusterIP", "NodePort"):
        return ",".join(ext) or "<none>"
    if typ == "LoadBalancer":
        lb = st.get("loadBalancer")
        got = lb.get("ingress") if isinstance(lb, dict) else None
        ingress = [i for i in got if isinstance(i, dict)] if isinstance(got, list) else []
        ips = ",".join(x for i in ingress for x in (i.get("ip"), i.get("hostname")) if isinstance(x, str) and x)
        if not wide and len(ips) > 16:  # loadBalancerWidth
            ips = ips[:13] + "..."
        return ",".join([*([ips] if ips else []), *ext]) or "<pending>"
    if typ == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def service_row(svc: dict[str, Any], now: datetime | None, wide: bool = False, age: str | None = None) -> list[str]:
    """printService: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE [SELECTOR]; `age` as a pasted table printed it."""
    md, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    ips = _strs(spec.get("clusterIPs")) or _strs([spec.get("clusterIP")])
    ports = []
    for p in spec.get("ports") or []:
        if isinstance(p.get("port"), int):
            node_port = f":{p['nodePort']}" if isinstance(p.get("nodePort"), int) and p["nodePort"] else ""
            ports.append(f"{p['port']}{node_port}/{p.get('protocol') if isinstance(p.get('protocol'), str) else 'TCP'}")
    row = [str(md.get("name") or ""), str(spec.get("type") or ""), (ips[0] if ips and ips[0] else "<none>"), service_external_ip(svc, wide),
           ",".join(ports) or "<none>", age if age is not None else since(now, md.get("creationTimestamp"))]  # fmt: skip
    if wide:
        sel = spec.get("selector")
        row.append(",".join(f"{k}={v}" for k, v in sorted(sel.items()) if isinstance(v, str)) if isinstance(sel, dict) and sel else "<none>")
    return row


SERVICE_HEADER = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
SERVICE_WIDE = ["SELECTOR"]


# ------------------------------------------------------------------ selectors


class Selector:
    """A kubectl label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`, comma-joined (all must hold)."""

    TERM = re.compile(r"\s*(?:(!)?\s*([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?)\s*(?:,|$)")

    def __init__(self, text: str | None) -> None:
        self.terms: list[tuple[str, str, str | None, list[str]]] = []
        text = (text or "").strip()
        pos = 0
        while pos < len(text):
            m = self.TERM.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unable to parse the label selector {text!r} at {text[pos:]!r}")
            neg, key, op, val, setop, values = m.groups()
            if neg:
                self.terms.append(("!exists", key, None, []))
            elif op:
                self.terms.append(("!=" if op == "!=" else "=", key, val, []))
            elif setop:
                self.terms.append((setop, key, None, [v.strip() for v in values.split(",") if v.strip()]))
            else:
                self.terms.append(("exists", key, None, []))
            pos = m.end()

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        for op, key, val, values in self.terms:
            have = key in labels
            v = labels.get(key)
            ok = {"exists": have, "!exists": not have, "=": v == val, "!=": v != val, "in": have and v in values,
                  "notin": not have or v not in values}[op]  # fmt: skip
            if not ok:
                return False
        return True
