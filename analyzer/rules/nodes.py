"""Nodes: readiness, pressure, disks, clocks, version drift, the kernel's OOM killer."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from analyzer.budgets import stored_json
from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.images import API_SNAP
from analyzer.rules.join import SNAPS


def condition(ctx: RuleContext, node: str, typ: str) -> str:
    """The message of a node condition from the JSON dump ('' when unknown)."""
    for (conds,) in ctx.q(f"SELECT conditions FROM v_api_nodes WHERE snapshot_id IN {API_SNAP} AND name = $p0 AND conditions IS NOT NULL", [node]):
        for c in stored_json(conds) if isinstance(conds, str) else conds:
            if isinstance(c, dict) and c.get("type") == typ and (c.get("reason") or c.get("message")):
                since = f" (since {c['lastTransitionTime']})" if c.get("lastTransitionTime") else ""
                return f"{c.get('reason') or '?'}: {c.get('message') or ''}{since}"
    return ""


@rule(
    "NODE_NOT_READY", "Node not Ready", "nodes", "fail",
    "The node's Ready condition is False (the kubelet reports a problem: PLEG, runtime, network) or Unknown (the kubelet stopped "
    "posting status: node down, kubelet dead, network cut). Its pods are evicted after the toleration (5 minutes by default).",
    "On the node: `systemctl status kubelet`, `journalctl -u kubelet`; the condition's message names the reason.",
)  # fmt: skip
def node_not_ready(ctx: RuleContext) -> Iterable[Finding]:
    for name, ready, status in ctx.q(
        "SELECT name, ready, status_text FROM nodes WHERE site = $site AND in_api AND coalesce(ready, '') NOT IN ('True', 'Ready') ORDER BY 1"
    ):
        msg = condition(ctx, name, "Ready")
        yield ctx.finding("NODE_NOT_READY", f"node {name} is {status or ready or 'not Ready'}{f': {msg}' if msg else ''}", node=name, obj=name,
                          evidence=[f"API: node {name} Ready={ready} status={status or ''}", f"API: node {name} condition Ready: {msg}" if msg else ""])  # fmt: skip


@rule(
    "NODE_PRESSURE", "Node under memory, disk or PID pressure", "nodes", "fail",
    "The kubelet reports MemoryPressure, DiskPressure or PIDPressure: it is evicting pods and refusing new ones with that need.",
    "Free the resource: `crictl rmi --prune` and old logs for disk, the biggest consumers (`crictl stats`) for memory; raise "
    "evictionHard thresholds only with care.",
)  # fmt: skip
def node_pressure(ctx: RuleContext) -> Iterable[Finding]:
    for name, mem, disk, pid in ctx.q("SELECT name, memory_pressure, disk_pressure, pid_pressure FROM nodes WHERE site = $site AND in_api ORDER BY 1"):
        for typ, v in (("MemoryPressure", mem), ("DiskPressure", disk), ("PIDPressure", pid)):
            if v == "True":
                msg = condition(ctx, name, typ)
                yield ctx.finding("NODE_PRESSURE", f"node {name} has {typ}{f': {msg}' if msg else ''}", node=name, obj=name,
                                  evidence=[f"API: node {name} {typ}=True", f"API: node {name} condition {typ}: {msg}" if msg else ""])  # fmt: skip


# mounts whose fullness says nothing: read-only images, pod-private views of the same disk
IGNORED_FS = ("squashfs", "iso9660", "overlay", "nsfs", "fuse.lxcfs", "devtmpfs", "ramfs", "tracefs", "cgroup", "cgroup2")


@rule(
    "DISK_USAGE_HIGH", "Filesystem or inodes nearly full", "nodes", "warn",
    "A filesystem of the node is used at or above the threshold (--disk-used-pct-warn), in bytes or inodes. At 85% (imagefs and "
    "nodefs defaults) the kubelet garbage-collects images; at the hard eviction threshold it evicts pods.",
    "`du -xsh /var/lib/containerd /var/log /var/lib/kubelet`; prune images (`crictl rmi --prune`), old logs, leftover pod directories.",
)  # fmt: skip
def disk_usage_high(ctx: RuleContext) -> Iterable[Finding]:
    for node, mount, fs, fstype, pct, ipct, size_kb, used_kb in ctx.q(
        f"""SELECT node, mount, filesystem, fstype, used_pct, inodes_used_pct, size_kb, used_kb FROM node_filesystems
            WHERE snapshot_id IN {SNAPS} AND coalesce(fstype, '') NOT IN {IGNORED_FS}
              AND NOT regexp_matches(coalesce(mount, ''), '^/(var/lib/kubelet/pods|run/containerd|var/lib/containerd/[^/]+/|run/k3s|var/lib/docker/overlay|snap/)')
              AND (used_pct >= $p0 OR inodes_used_pct >= $p0) ORDER BY 1, 2""",
        [ctx.t.disk_used_pct_warn],
    ):
        parts = []
        if pct is not None and pct >= ctx.t.disk_used_pct_warn:
            parts.append(f"{pct:.0f}% of {((size_kb or 0) / 1024**2):.1f} GiB used")
        if ipct is not None and ipct >= ctx.t.disk_used_pct_warn:
            parts.append(f"{ipct:.0f}% of inodes used")
        yield ctx.finding("DISK_USAGE_HIGH", f"{mount} ({fs}) on {node}: {', '.join(parts)}", node=node, obj=mount,
                          evidence=[f"{node}: host/df: {fs} {fstype} {mount} used={used_kb} KiB {pct}% inodes {ipct}%"])  # fmt: skip


def _time_synced(facts: dict[str, str]) -> bool | None:
    """True when timedatectl or chrony says the clock is synchronized; None when the bundle cannot tell."""
    if facts.get("timedatectl.NTPSynchronized") in ("yes", "no"):
        return facts["timedatectl.NTPSynchronized"] == "yes"
    leap = facts.get("chrony.leap_status")
    if leap:
        return leap.lower() == "normal"
    return None


@rule(
    "CLOCK_SKEW", "Node clocks disagree, or are not synchronized", "nodes", "warn",
    "Clocks that disagree break certificates (not yet valid), etcd leases and elections, and every attempt to line up logs of "
    "different nodes. Three witnesses: each bundle's start time by its node's clock (bundles collected minutes apart look skewed "
    "too, so the difference is only a warning when that node's time sync is off or unknown), each kubelet's node-lease renewTime "
    "in the API (renewed every 10 s with the kubelet's own clock), and timedatectl / chrony's synchronization status.",
    "Enable and check time sync on every node (`timedatectl`, `chronyc tracking`); point air-gapped nodes at a local NTP server.",
)  # fmt: skip
def clock_skew(ctx: RuleContext) -> Iterable[Finding]:
    facts: dict[str, dict[str, str]] = defaultdict(dict)
    for node, key, value in ctx.q(
        f"""SELECT s.node, h.key, h.value FROM v_host_facts h JOIN v_snapshots s USING (snapshot_id)
            WHERE h.snapshot_id IN {SNAPS} AND (h.key LIKE 'timedatectl.%' OR h.key LIKE 'chrony.%')"""
    ):
        facts[node][key] = value
    limit = ctx.t.clock_skew_s_warn
    # 1. bundle start times
    rows = ctx.q(
        """SELECT name, collected_at FROM nodes WHERE site = $site AND has_bundle AND snapshot_kind = 'bundle' AND collected_at IS NOT NULL ORDER BY 1"""
    )
    if len(rows) > 1:
        times = [r[1].timestamp() for r in rows]
        med = statistics.median(times)
        for (node, _at), t in zip(rows, times, strict=True):
            d = t - med
            if abs(d) <= limit:
                continue
            synced = _time_synced(facts.get(node, {}))
            sev = "info" if synced else "warn"
            why = ("its clock is NTP-synchronized, so the bundle was most likely collected at another time" if synced
                   else "its time sync is off" if synced is False else "its time sync status is unknown")  # fmt: skip
            yield ctx.finding("CLOCK_SKEW", f"the bundle of {node} started {abs(d):.0f} s {'after' if d > 0 else 'before'} the median of the site's bundles ({why})",
                              node=node, obj=node, severity=sev, evidence=[f"{n}: manifest.json: collected_at {a:%Y-%m-%dT%H:%M:%SZ}" for n, a in rows])  # fmt: skip
    # 2. node leases: renewed by each kubelet with its own clock
    leases = ctx.q(
        f"""SELECT l.name, l.renew_time, l.member FROM v_leases l JOIN nodes n ON n.site = $site AND n.name = l.name AND n.ready IN ('True', 'Ready')
            WHERE l.snapshot_id IN {API_SNAP} AND l.namespace = 'kube-node-lease' AND l.renew_time IS NOT NULL ORDER BY 1"""
    )
    if len(leases) > 1:
        med = statistics.median(r[1].timestamp() for r in leases)
        for node, renew, member in leases:
            d = renew.timestamp() - med
            if abs(d) > limit:
                yield ctx.finding("CLOCK_SKEW", f"the kubelet of {node} stamps its lease {abs(d):.0f} s {'ahead of' if d > 0 else 'behind'} the other Ready nodes: its clock is off",
                                  node=node, obj=node, evidence=[f"API: {member}: kube-node-lease/{n} renewTime {r:%Y-%m-%dT%H:%M:%S}Z" for n, r, _m in leases])  # fmt: skip
    # 3. time sync status
    for node, f in sorted(facts.items()):
        if _time_synced(f) is False:
            detail = f.get("chrony.system_time") or f"NTP={f.get('timedatectl.NTP', '?')} NTPSynchronized={f.get('timedatectl.NTPSynchronized', '?')}"
            td = " ".join(f"{k.removeprefix('timedatectl.')}={v}" for k, v in sorted(f.items()) if k.startswith("timedatectl."))
            ch = " ".join(f"{k.removeprefix('chrony.')}={v}" for k, v in sorted(f.items()) if k.startswith("chrony."))
            yield ctx.finding("CLOCK_SKEW", f"{node}: the clock is not synchronized ({detail})", node=node, obj=node,
                              evidence=[f"{node}: host/timedatectl.txt: {td}" if td else "", f"{node}: host/chronyc-tracking.txt: {ch}" if ch else ""])  # fmt: skip


@rule(
    "NODE_VERSION_SKEW", "Nodes run different kernels, OSes, kubelets or runtimes", "nodes", "warn",
    "Nodes of one cluster differ in kernel, OS image, kubelet or container runtime version: a rolling upgrade left half done, or a "
    "node built differently. Bugs then show on some nodes only.",
    "Finish the upgrade, or rebuild the odd node from the same image; compare `kubectl get nodes -o wide`.",
)  # fmt: skip
def node_version_skew(ctx: RuleContext) -> Iterable[Finding]:
    rows = ctx.q(
        """SELECT n.name, coalesce(n.kernel_version, (SELECT max(value) FROM v_host_facts h WHERE h.snapshot_id = n.snapshot_id AND h.key = 'kernel')),
                  coalesce(n.os_image, (SELECT max(value) FROM v_host_facts h WHERE h.snapshot_id = n.snapshot_id AND h.key = 'os.pretty_name')),
                  n.kubelet_version, n.runtime_version
           FROM nodes n WHERE n.site = $site AND n.role IN ('control-plane', 'worker') ORDER BY 1"""
    )
    for i, what in ((1, "kernel"), (2, "OS image"), (3, "kubelet"), (4, "container runtime")):
        by: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            if r[i]:
                by[r[i]].append(r[0])
        if len(by) > 1:
            common = max(by, key=lambda v: len(by[v]))
            odd = sorted(n for v, ns in by.items() if v != common for n in ns)
            yield ctx.finding("NODE_VERSION_SKEW", f"{len(by)} {what} versions: " + "; ".join(f"{v} on {len(ns)} node(s)" for v, ns in sorted(by.items())),
                              node=odd[0] if len(odd) == 1 else None, obj=what,
                              evidence=[f"{n}: {what} {v}" for v, ns in sorted(by.items()) for n in sorted(ns)])  # fmt: skip


OOM_RE = r"(Out of memory: Kill|Killed process \d+|oom-kill:|invoked oom-killer|Memory cgroup out of memory)"


@rule(
    "OOM_KILLER", "The kernel's OOM killer ran", "nodes", "warn",
    "dmesg or the kernel journal shows the OOM killer: a memory cgroup (a container at its limit) or the whole node ran out of "
    "memory and the kernel killed a process. Containers killed this way show as OOMKilled; host processes (kubelet, containerd) "
    "just die.",
    "Match the killed process to its pod (the pid is in pod_processes); raise the limit or find the leak. System OOMs: reserve "
    "memory for the system (kubeReserved / systemReserved) and check eviction thresholds.",
)  # fmt: skip
def oom_killer(ctx: RuleContext) -> Iterable[Finding]:
    rows = ctx.q(
        f"""SELECT node, count(DISTINCT nullif(regexp_extract(message, '(?:Killed process|Kill process) (\\d+)', 1), '')), min(ts), max(ts),
                   list(node || ': ' || array_to_string(evidence, ', ') || ': ' || message ORDER BY ts, line_no)[:6]
            FROM journal_lines WHERE snapshot_id IN {SNAPS} AND (ident = 'kernel' OR source = 'dmesg') AND regexp_matches(message, $p0)
            GROUP BY node ORDER BY node""",
        [OOM_RE],
    )
    for node, kills, first, last, ev in rows:
        victims = sorted({m.group(1) for e in ev for m in [re.search(r"process \d+ \(([^)]+)\)", e)] if m})
        span = f" between {_t(first)} and {_t(last)}" if first else ""
        yield ctx.finding("OOM_KILLER", f"the OOM killer killed {kills or 'some'} process(es) on {node}{span}{': ' + ', '.join(victims) if victims else ''}",
                          node=node, obj=node, evidence=ev)  # fmt: skip


def _t(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M:%S}Z" if t else "?"
