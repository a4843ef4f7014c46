"""Logs: big, fast-growing and unrotated pod logs, and the catalog of log signatures an engineer greps for.

Each signature is a rule of its own (id, component, pattern), so the catalog is open: add a line to
SIGNATURES and it is matched, documented in docs/rules.md and listed by `kubesnap rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer import grepindex
from analyzer.budgets import stored_json
from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.join import SNAPS

MiB = 1024 * 1024


def size_bytes(text: object, default: int) -> int:
    """A Kubernetes quantity like 10Mi, 100M, 1Gi as bytes."""
    # stripped first: '\s*' on both sides of optional parts would split a run of blanks every way
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?", str(text or "").strip())
    if not m:
        return default
    mult = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}[m.group(2) or ""]
    return int(float(m.group(1)) * mult)


@rule(
    "LOG_DIR_LARGE", "Pod log directory is large", "logs", "warn",
    "A pod's log directory under /var/log/pods holds more than the threshold (--log-dir-mb-warn, MiB, sizes on the node, rotated "
    "files included): a chatty container that fills the node's disk and slows every log read.",
    "Lower the application's log level; check the kubelet's containerLogMaxSize / containerLogMaxFiles; the node's free space.",
)  # fmt: skip
def log_dir_large(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, log_dir, size, files in ctx.q(
        f"""SELECT node, namespace, pod, log_dir, sum(coalesce(size, bytes, 0)), count(*) FROM pod_logs WHERE snapshot_id IN {SNAPS} AND log_dir IS NOT NULL
            GROUP BY ALL HAVING sum(coalesce(size, bytes, 0)) > $p0 ORDER BY 5 DESC""",
        [ctx.t.log_dir_mb_warn * MiB],
    ):
        yield ctx.finding("LOG_DIR_LARGE", f"{log_dir} on {node} holds {size / MiB:.0f} MiB in {files} file(s)", node=node, namespace=ns, obj=pod,
                          evidence=[f"{node}: manifest.json: sizes of the files under {log_dir}: {size} bytes"])  # fmt: skip


@rule(
    "LOG_GROWTH_FAST", "Container log grows fast", "logs", "warn",
    "A container's current log grew faster than the threshold (--log-growth-mb-per-hour-warn, MiB per hour), measured over the "
    "lines the bundle holds (bytes between the first and the last timestamp, at least 2 minutes apart).",
    "Find what it repeats (`kubesnap logs` / the report's log view) and fix or silence it; a tight error loop is common.",
)  # fmt: skip
def log_growth_fast(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, container, path, nbytes, first, last, rate in ctx.q(
        f"""SELECT node, namespace, pod, container, path, bytes, first_ts, last_ts,
                   bytes / {MiB} / (epoch(last_ts) - epoch(first_ts)) * 3600 AS rate
            FROM pod_logs WHERE snapshot_id IN {SNAPS} AND NOT coalesce(rotated, false) AND bytes > 0
              AND epoch(last_ts) - epoch(first_ts) >= 120 AND bytes / {MiB} / (epoch(last_ts) - epoch(first_ts)) * 3600 > $p0
            ORDER BY rate DESC""",
        [ctx.t.log_growth_mb_per_hour_warn],
    ):
        yield ctx.finding("LOG_GROWTH_FAST", f"{container} of {ns}/{pod} on {node} logs {rate:.0f} MiB per hour", node=node, namespace=ns, obj=pod,
                          evidence=[f"{node}: files{path}: {nbytes} bytes from {first:%Y-%m-%d %H:%M:%S}Z to {last:%Y-%m-%d %H:%M:%S}Z"])  # fmt: skip


@rule(
    "LOG_ROTATION_MISSING", "Container log not rotated", "logs", "warn",
    "A container's current log file is well above the kubelet's containerLogMaxSize (10Mi unless its config says otherwise) and "
    "no rotated file sits beside it: log rotation is not running (a runtime that does not support it, a kubelet flag, a full "
    "disk), so the file grows until the disk is full.",
    "Check containerLogMaxSize / containerLogMaxFiles in the kubelet config and the kubelet journal for rotation errors; with "
    "Docker, the json-file max-size option.",
)  # fmt: skip
def log_rotation_missing(ctx: RuleContext) -> Iterable[Finding]:
    limits: dict[str, int] = {}
    for sid, raw in ctx.q(f"SELECT snapshot_id, raw FROM v_kubelet_configs WHERE snapshot_id IN {SNAPS} AND raw IS NOT NULL"):
        cfg = stored_json(raw) if isinstance(raw, str) else raw
        if isinstance(cfg, dict) and cfg.get("containerLogMaxSize"):
            limits[sid] = size_bytes(cfg["containerLogMaxSize"], 10 * MiB)
    for sid, node, ns, pod, _container, path, size in ctx.q(
        f"""SELECT l.snapshot_id, l.node, l.namespace, l.pod, l.container, l.path, l.size FROM pod_logs l
            WHERE l.snapshot_id IN {SNAPS} AND l.layout = 'pods' AND NOT coalesce(l.rotated, false) AND l.size IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM pod_logs r WHERE r.snapshot_id = l.snapshot_id AND r.log_dir = l.log_dir AND r.container = l.container
                              AND coalesce(r.rotated, false))
            ORDER BY l.size DESC"""
    ):
        limit = limits.get(sid, 10 * MiB)
        if size > 2 * limit:
            yield ctx.finding("LOG_ROTATION_MISSING", f"{path} on {node} is {size / MiB:.0f} MiB, {size / limit:.0f}x containerLogMaxSize, with no rotated file",
                              node=node, namespace=ns, obj=pod, evidence=[f"{node}: manifest.json: {path} size={size}", f"{node}: no {path}.<timestamp> beside it",
                                                                          f"{node}: containerLogMaxSize {limit} bytes"])  # fmt: skip


# ------------------------------------------------------------------ signatures

KUBELET = ("kubelet", "k3s", "rke2", "k0s", "kubelite")
ETCD = ("etcd", "k3s", "rke2")
APISERVER = ("kube-apiserver", "k3s", "rke2", "kubelite")
CONTAINERD = ("containerd", "k3s", "rke2", "crio")


@dataclass(frozen=True)
class Signature:
    id: str
    title: str
    severity: str
    pattern: str  # RE2, matched against the message
    idents: tuple[str, ...]  # journal identifiers (systemd units, syslog tags)
    containers: tuple[str, ...]  # container names whose logs are searched
    description: str
    remediation: str


SIGNATURES = [
    Signature("KUBELET_PLEG_UNHEALTHY", "kubelet: PLEG is not healthy", "warn", r"PLEG is not healthy", KUBELET, (),
              "The kubelet's pod lifecycle event generator could not relist containers in time (3 minutes): the runtime is slow or "
              "hung, or the node is overloaded. The node turns NotReady.",
              "Check the runtime (`crictl ps` response time, containerd journal), the node's load and disk latency."),
    Signature("KUBELET_IMAGE_PULL_FAILED", "kubelet: failed to pull image", "warn", r"(?i:failed to pull (and unpack )?image)", KUBELET, (),
              "The kubelet could not pull an image (name, registry reachability, credentials, TLS).",
              "`crictl pull <image>` on the node shows the registry's answer."),
    Signature("KUBELET_X509", "kubelet: x509 certificate errors", "fail", r"x509: ", KUBELET, (),
              "TLS failures: an expired or not-yet-valid certificate (clock!), or one signed by an unknown authority. Kubelet client "
              "certificate expiry makes the node NotReady.",
              "Check the certificates' dates (CERT_EXPIRED / CERT_EXPIRING) and the node's clock; renew with kubeadm certs renew."),
    Signature("KUBELET_EVICTION", "kubelet: evicting pods", "warn", r"(?i:eviction manager: (attempting to reclaim|must evict pod|pods? .*evicted)|evicted pod)",
              KUBELET, (), "The kubelet's eviction manager reclaimed resources by evicting pods (memory, disk or inodes under pressure).",
              "Find the resource in the message; see NODE_PRESSURE and DISK_USAGE_HIGH."),
    Signature("KUBELET_NODE_NOT_FOUND", "kubelet: node not found", "warn", r'node \\?"[^"\\]+\\?" not found|Error getting node', KUBELET, (),
              "The kubelet cannot find its Node object: it has not registered yet, its name (--hostname-override) differs from the "
              "API's, or it cannot reach the API server.",
              "Compare the kubelet's node name with `kubectl get nodes`; check the kubelet's kubeconfig and API reachability."),
    Signature("KUBELET_RUNTIME_DOWN", "kubelet: container runtime is down", "fail", r"(?i:container runtime is down|container runtime status check may not have completed)",
              KUBELET, (), "The kubelet cannot talk to the container runtime: containerd or CRI-O is stopped, hung or its socket moved.",
              "`systemctl status containerd`, its journal, and `crictl info` on the node."),
    Signature("KUBELET_NETWORK_NOT_READY", "kubelet: container runtime network not ready", "warn", r"Container runtime network not ready", KUBELET, (),
              "The runtime reports its network not ready: the CNI plugin has not written its config or its daemon (calico-node, "
              "flannel, cilium) is not running on the node.",
              "Check the CNI DaemonSet's pod on the node and /etc/cni/net.d."),
    Signature("KUBELET_CNI_NOT_INITIALIZED", "kubelet: cni plugin not initialized", "warn", r"cni plugin not initialized|cni config uninitialized|no networks found in /etc/cni/net\.d",
              KUBELET + CONTAINERD, (), "The CNI plugin is not initialized: no network config in /etc/cni/net.d, so no pod can get an IP.",
              "Check the CNI DaemonSet on the node, /etc/cni/net.d and /opt/cni/bin."),
    Signature("KUBELET_LEASE_ERROR", "kubelet: node lease errors", "warn", r"(?i:failed to (update|renew) lease|failed to ensure lease exists)",
              KUBELET, (), "The kubelet could not renew its node lease in kube-node-lease: the API server is slow or unreachable; after "
              "40 s the node turns NotReady.",
              "Check API server reachability and latency from the node (load balancer, etcd latency)."),
    Signature("ETCD_LEADER_CHANGED", "etcd: leader changed", "warn", r"leader changed|lost leader|elected leader|changed leader", ETCD, ("etcd",),
              "etcd elected a new leader: a member restarted, or heartbeats were late (disk or network latency). Frequent changes "
              "mean requests fail with 'leader changed'.",
              "Check disk latency (slow fdatasync), network between control planes, and CPU starvation."),
    Signature("ETCD_SLOW_APPLY", "etcd: apply request took too long", "warn", r"apply request took too long", ETCD, ("etcd",),
              "etcd took longer than 100 ms to apply a request: slow disk, a large range request, or an overloaded member.",
              "Check the disk (fdatasync latency), expensive list calls in the apiserver audit, and db size."),
    Signature("ETCD_HEARTBEAT_SLOW", "etcd: failed to send out heartbeat on time", "warn", r"failed to send out heartbeat", ETCD, ("etcd",),
              "The leader could not send heartbeats in time: its disk or CPU is slow, or the network to its peers is.",
              "Check the leader's disk and CPU; tune heartbeat-interval / election-timeout only after fixing latency."),
    Signature("ETCD_NO_SPACE", "etcd: database space exceeded", "fail", r"database space exceeded", ETCD + APISERVER, ("etcd", "kube-apiserver"),
              "etcd reached its quota and refuses writes: the cluster is read-only.",
              "Compact and defragment, raise --quota-backend-bytes, then `etcdctl alarm disarm` (see ETCD_ALARM)."),
    Signature("ETCD_SLOW_FDATASYNC", "etcd: slow fdatasync", "warn", r"slow fdatasync", ETCD, ("etcd",),
              "The disk under etcd's WAL took over a second to sync: etcd needs a low-latency disk (SSD), not shared with busy workloads.",
              "Move /var/lib/etcd to a dedicated fast disk; check for noisy neighbours and I/O throttling."),
    Signature("APISERVER_ETCD_TIMEOUT", "kube-apiserver: etcdserver: request timed out", "warn", r"etcdserver: request timed out", APISERVER, ("kube-apiserver",),
              "Requests from the API server to etcd timed out: etcd is slow, overloaded or without a leader.",
              "See the etcd signatures and ETCD_LEADER; check etcd's disk and network."),
    Signature("APISERVER_REQUEST_TIMEOUT", "kube-apiserver: request did not complete", "warn", r"Timeout: request did not complete", APISERVER, ("kube-apiserver",),
              "API requests timed out inside the API server (60 s by default): etcd latency, admission webhooks that hang, or overload.",
              "Check webhooks (`kubectl get validatingwebhookconfigurations`), etcd latency, and API server load."),
    Signature("CONTAINERD_SHIM_CREATE_FAILED", "containerd: failed to create shim", "fail", r"failed to create shim", CONTAINERD + KUBELET, (),
              "containerd could not start a container's shim: runc or the shim binary is broken, a cgroup or mount problem, or "
              "resource exhaustion (PIDs, memory).",
              "Read the full error in the containerd journal; check runc, the shim binary and the node's PID and memory limits."),
    Signature("CONTAINERD_SHIM_ERROR", "containerd: shim errors", "warn", r"shim disconnected|shim exited|failed to (?:delete|kill|shutdown) shim|cleaning up dead shim|ttrpc: closed|shim reaped",
              CONTAINERD, (), "containerd lost or failed to clean up a shim: containers whose shim died keep running without a "
              "supervisor, or leave leftovers (see ORPHAN_SANDBOX and PROCESS_NO_CONTAINER).",
              "Correlate with the join findings; restart containerd after checking for leftovers."),
]  # fmt: skip


def _signature_matches(ctx: RuleContext) -> dict[str, list[tuple[object, ...]]]:
    """One pass over the journal and the control-plane containers' logs for every signature, cached per run."""
    cached = ctx.cache.get("signatures")
    if isinstance(cached, dict):
        return cached
    combined = "|".join(f"(?:{s.pattern})" for s in SIGNATURES)
    idents = sorted({i for s in SIGNATURES for i in s.idents})
    containers = sorted({c for s in SIGNATURES for c in s.containers})
    sigs = [(s.id, list(s.idents), list(s.containers), s.pattern) for s in SIGNATURES]
    # the search index (analyzer/grepindex.py) leaves the blocks that may hold any signature: only their lines are matched
    snaps = [r[0] for r in ctx.q("SELECT snapshot_id FROM v_snapshots WHERE site = $site")]
    ranges = grepindex.candidates(ctx.con, grepindex.union(grepindex.required(s.pattern) for s in SIGNATURES), snaps)
    in_log = grepindex.range_predicate(ranges, "log", "l.file_id", "l.line_no")
    in_journal = grepindex.range_predicate(ranges, "journal", "member", "line_no", "snapshot_id")
    rows = ctx.q(
        f"""WITH sig AS (SELECT unnest($p0, recursive := true)),
            src AS (
              SELECT node, array_to_string(evidence, ', ') AS loc, ts, ident AS key, 'journal' AS kind, message FROM journal_lines
              WHERE snapshot_id IN {SNAPS} AND list_contains($p1, ident) AND {in_journal} AND regexp_matches(message, $p3)
              UNION ALL
              SELECT CASE WHEN f.layout = 'kubectl-logs' THEN coalesce((SELECT any_value(p.node_name) FROM pods p WHERE p.site = $site
                     AND p.namespace = f.namespace AND p.name = f.pod), f.node) ELSE f.node END,
                     f.member || ':' || l.line_no, l.ts, f.container, 'log', l.message
              FROM v_log_lines l JOIN v_log_files f USING (file_id)
              WHERE f.snapshot_id IN {SNAPS} AND list_contains($p2, f.container) AND {in_log} AND regexp_matches(l.message, $p3)
                AND (f.layout <> 'kubectl-logs' OR NOT EXISTS (SELECT 1 FROM v_log_files g WHERE g.snapshot_id IN {SNAPS} AND g.layout = 'pods'
                     AND g.namespace = f.namespace AND g.pod = f.pod AND g.container = f.container))
            )
            SELECT sig.id, src.node, count(*), min(src.ts), max(src.ts),
                   arg_min(src.loc || ': ' || left(src.message, 300), coalesce(src.ts, '-infinity'::TIMESTAMPTZ)),
                   arg_max(src.loc || ': ' || left(src.message, 300), coalesce(src.ts, '-infinity'::TIMESTAMPTZ))
            FROM src JOIN sig ON ((src.kind = 'journal' AND list_contains(sig.idents, src.key)) OR (src.kind = 'log' AND list_contains(sig.containers, src.key)))
                 AND regexp_matches(src.message, sig.pattern)
            GROUP BY ALL ORDER BY 1, 2""",
        [[{"id": a, "idents": b, "containers": c, "pattern": d} for a, b, c, d in sigs], idents, containers, combined],
    )
    found: dict[str, list[tuple[object, ...]]] = {}
    for r in rows:
        found.setdefault(r[0], []).append(r[1:])
    ctx.cache["signatures"] = found
    return found


def _register(sig: Signature) -> None:
    def check(ctx: RuleContext) -> Iterable[Finding]:
        for node, count, first, last, first_ev, last_ev in _signature_matches(ctx).get(sig.id, []):
            span = f", {first:%Y-%m-%d %H:%M:%S}Z to {last:%Y-%m-%d %H:%M:%S}Z" if first else ""
            yield ctx.finding(sig.id, f"{sig.title.split(': ', 1)[-1]}: {count} line(s) on {node}{span}", node=str(node), obj=str(node),
                              evidence=[f"{node}: first: {first_ev}", f"{node}: last: {last_ev}" if count != 1 else ""])  # fmt: skip

    comp = sig.title.split(":", 1)[0]
    where = f"journal ({', '.join(sig.idents)})" if sig.idents else ""
    if sig.containers:
        where += f"{'; ' if where else ''}container logs ({', '.join(sig.containers)})"
    rule(sig.id, sig.title, f"logs/{comp}", sig.severity, f"{sig.description} Pattern: `{sig.pattern}` in {where}.", sig.remediation)(check)


for _s in SIGNATURES:
    _register(_s)
