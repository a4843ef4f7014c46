"""Workloads: what `kubectl get pods` would show in red, with the container detail behind it.

Container detail comes from the JSON dump (api_containers); a pasted `kubectl get pod` table has only
the STATUS and RESTARTS columns, which the rules read when there is nothing better.
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.rules import Finding, RuleContext, rule

# container statuses of the pods the site's pod view chose (one dump per site)
API_CONTAINERS = """SELECT p.node_name AS node, a.namespace, a.pod, a.name AS container, a.init, a.image, a.ready, a.restart_count, a.state,
       a.state_reason, a.state_message, a.exit_code, a.last_state, a.last_reason, a.last_exit_code, a.last_finished_at,
       p.member, p.phase
FROM v_api_containers a JOIN pods p ON p.snapshot_id = a.snapshot_id AND p.namespace = a.namespace AND p.name = a.pod
WHERE p.site = $site"""

# pods known only from a table (no container statuses)
TABLE_PODS = """SELECT p.node_name, p.namespace, p.name, p.status_text, p.restarts, p.ready_text, p.member, p.line FROM pods p
WHERE p.site = $site AND NOT EXISTS (SELECT 1 FROM v_api_containers a WHERE a.snapshot_id = p.snapshot_id AND a.namespace = p.namespace AND a.pod = p.name)"""

CP = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler")


def qual(ns: str | None, pod: str) -> str:
    """namespace/pod, or the pod alone when a table without a NAMESPACE column left it unknown."""
    return f"{ns}/{pod}" if ns else pod


@rule(
    "CONTAINER_CRASHLOOP", "Container in CrashLoopBackOff", "workloads", "fail",
    "The container keeps exiting and the kubelet waits longer before each restart (back-off up to 5 minutes).",
    "Read the previous run's log (`kubectl logs --previous`, or N-1.log in the pod's log directory) and its exit code.",
)  # fmt: skip
def crashloop(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, cont, restarts, msg, last_reason, last_code, member in ctx.q(
        f"""SELECT node, namespace, pod, container, restart_count, state_message, last_reason, last_exit_code, member FROM ({API_CONTAINERS})
            WHERE state_reason = 'CrashLoopBackOff'"""
    ):
        last = f"; last exit: {last_reason or '?'} (code {last_code})" if last_reason or last_code is not None else ""
        yield ctx.finding("CONTAINER_CRASHLOOP", f"{cont} of {qual(ns, pod)} is in CrashLoopBackOff after {restarts} restarts{last}", node=node,
                          namespace=ns, obj=pod, evidence=[f"API: {member}: {qual(ns, pod)} {cont} waiting CrashLoopBackOff restartCount={restarts}", f"API: {member}: message: {msg}" if msg else ""])  # fmt: skip
    for node, ns, pod, status, restarts, _ready, member, line in ctx.q(f"SELECT * FROM ({TABLE_PODS}) WHERE status_text = 'CrashLoopBackOff'"):
        yield ctx.finding("CONTAINER_CRASHLOOP", f"{qual(ns, pod)} is in CrashLoopBackOff after {restarts} restarts", node=node, namespace=ns, obj=pod,
                          evidence=[f"{member}:{line}: {qual(ns, pod)} {status} restarts={restarts}"])  # fmt: skip


@rule(
    "RESTARTS_HIGH", "Container restarted many times", "workloads", "warn",
    "The container restarted at least the threshold number of times (--restarts-warn): a crash, a failed liveness probe or an "
    "OOM kill, repeated.",
    "Read the last state's reason and exit code (`kubectl describe pod`) and the previous run's log.",
)  # fmt: skip
def restarts_high(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, cont, restarts, reason, code, member in ctx.q(
        f"""SELECT node, namespace, pod, container, restart_count, last_reason, last_exit_code, member FROM ({API_CONTAINERS})
            WHERE restart_count >= $p0 AND container NOT IN {CP}""",
        [ctx.t.restarts_warn],
    ):
        why = f" (last: {reason}, exit code {code})" if reason else ""
        yield ctx.finding("RESTARTS_HIGH", f"{cont} of {qual(ns, pod)} restarted {restarts} times{why}", node=node, namespace=ns, obj=pod,
                          evidence=[f"API: {member}: {qual(ns, pod)} {cont} restartCount={restarts}"])  # fmt: skip
    for node, ns, pod, _status, restarts, _ready, member, line in ctx.q(f"SELECT * FROM ({TABLE_PODS}) WHERE restarts >= $p0", [ctx.t.restarts_warn]):
        yield ctx.finding("RESTARTS_HIGH", f"{qual(ns, pod)} restarted {restarts} times", node=node, namespace=ns, obj=pod,
                          evidence=[f"{member}:{line}: {qual(ns, pod)} restarts={restarts}"])  # fmt: skip


@rule(
    "CONTAINER_OOMKILLED", "Container killed for memory (OOMKilled)", "workloads", "warn",
    "The container's last run ended OOMKilled: it reached its memory limit (or the node ran out of memory) and the kernel killed it.",
    "Compare its memory limit with its usage (`crictl stats`, metrics); raise the limit or fix the leak.",
)  # fmt: skip
def oomkilled(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, cont, restarts, state, finished, member in ctx.q(
        f"""SELECT node, namespace, pod, container, restart_count, CASE WHEN state_reason = 'OOMKilled' THEN 'state' ELSE 'lastState' END,
                   last_finished_at, member FROM ({API_CONTAINERS}) WHERE 'OOMKilled' IN (last_reason, state_reason)"""
    ):
        when = f" at {finished:%Y-%m-%d %H:%M:%S}Z" if finished else ""
        yield ctx.finding("CONTAINER_OOMKILLED", f"{cont} of {qual(ns, pod)} was OOMKilled{when} ({restarts} restarts)", node=node, namespace=ns, obj=pod,
                          evidence=[f"API: {member}: {qual(ns, pod)} {cont} {state}.terminated.reason=OOMKilled"])  # fmt: skip
    for node, ns, pod, status, restarts, _ready, member, line in ctx.q(f"SELECT * FROM ({TABLE_PODS}) WHERE status_text = 'OOMKilled'"):
        yield ctx.finding("CONTAINER_OOMKILLED", f"{qual(ns, pod)} is OOMKilled ({restarts} restarts)", node=node, namespace=ns, obj=pod,
                          evidence=[f"{member}:{line}: {qual(ns, pod)} {status}"])  # fmt: skip


PULL = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable")


@rule(
    "IMAGE_PULL", "Image cannot be pulled", "workloads", "fail",
    "The kubelet cannot pull the container's image: a wrong name or tag, a registry that is unreachable from the node (air-gapped "
    "sites: the local registry), missing credentials (imagePullSecrets), or TLS trust.",
    "On the node: `crictl pull <image>` shows the registry's error; check the image name, the registry's reachability and certificates.",
)  # fmt: skip
def image_pull(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, cont, image, reason, msg, member in ctx.q(
        f"SELECT node, namespace, pod, container, image, state_reason, state_message, member FROM ({API_CONTAINERS}) WHERE state_reason IN {PULL}"
    ):
        yield ctx.finding("IMAGE_PULL", f"{cont} of {qual(ns, pod)} on {node}: {reason} for {image}", node=node, namespace=ns, obj=pod,
                          evidence=[f"API: {member}: {qual(ns, pod)} {cont} waiting {reason}", f"API: {member}: message: {msg[:300]}" if msg else ""])  # fmt: skip
    for node, ns, pod, status, _r, _ready, member, line in ctx.q(f"SELECT * FROM ({TABLE_PODS}) WHERE status_text IN {PULL}"):
        yield ctx.finding("IMAGE_PULL", f"{qual(ns, pod)} on {node}: {status}", node=node, namespace=ns, obj=pod, evidence=[f"{member}:{line}: {qual(ns, pod)} {status}"])


@rule(
    "POD_NOT_RUNNING", "Pod Pending, Unknown, Failed or Evicted", "workloads", "warn",
    "The pod is not running: Pending (not scheduled, or its containers not created: volumes, images, sandbox), Unknown (its "
    "node stopped reporting), Failed, or Evicted (the kubelet evicted it under node pressure).",
    "`kubectl describe pod` and the events: scheduling messages for Pending, the node's condition for Unknown, the eviction "
    "message for Evicted (remove evicted pods once understood).",
)  # fmt: skip
def pod_not_running(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, phase, reason, status, owner, member, line in ctx.q(
        """SELECT node_name, namespace, name, phase, reason, status_text, owner_kind, member, line FROM pods
           WHERE site = $site AND (phase IN ('Pending', 'Unknown', 'Failed') OR reason IN ('Evicted', 'NodeLost', 'Shutdown')
                 OR (phase IS NULL AND status_text IN ('Pending', 'Unknown', 'Evicted', 'Failed', 'NodeLost', 'ContainerCreating', 'Error')))"""
    ):
        what = reason or status or phase
        if phase == "Failed" and owner == "Job" and not reason:
            continue  # a failed Job pod is the Job's business: its status says so
        yield ctx.finding("POD_NOT_RUNNING", f"{qual(ns, pod)} is {what}{f' on {node}' if node else ' (not scheduled)'}", node=node, namespace=ns, obj=pod,
                          evidence=[f"API: {member}{f':{line}' if line else ''}: {qual(ns, pod)} phase={phase} reason={reason or ''} status={status or ''}"])  # fmt: skip


@rule(
    "CONTAINER_NOT_READY", "Running container not ready", "workloads", "warn",
    "The container runs but fails its readiness probe (or has not passed it yet): it receives no Service traffic.",
    "`kubectl describe pod` shows the probe's failures; check the endpoint the probe calls and the application's log.",
)  # fmt: skip
def container_not_ready(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, cont, member in ctx.q(
        f"SELECT node, namespace, pod, container, member FROM ({API_CONTAINERS}) WHERE state = 'running' AND NOT ready AND NOT coalesce(init, false)"
    ):
        yield ctx.finding("CONTAINER_NOT_READY", f"{cont} of {qual(ns, pod)} runs but is not ready", node=node, namespace=ns, obj=pod,
                          evidence=[f"API: {member}: {qual(ns, pod)} {cont} running ready=false"])  # fmt: skip
    for node, ns, pod, status, _r, ready, member, line in ctx.q(
        f"SELECT * FROM ({TABLE_PODS}) WHERE status_text = 'Running' AND regexp_matches(ready_text, '^\\d+/\\d+$')"
        " AND split_part(ready_text, '/', 1) <> split_part(ready_text, '/', 2)"
    ):
        yield ctx.finding("CONTAINER_NOT_READY", f"{qual(ns, pod)} runs with {ready} containers ready", node=node, namespace=ns, obj=pod,
                          evidence=[f"{member}:{line}: {qual(ns, pod)} READY {ready} {status}"])  # fmt: skip
