"""Join consistency: what only a node-level join of API, runtime, processes and logs can see."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.rules import Finding, RuleContext, rule

SNAPS = "(SELECT snapshot_id FROM v_snapshots WHERE site = $site)"
# snapshots whose runtime was collected (crictl answered): only they can say a sandbox is missing
RUNTIME_SNAPS = f"(SELECT DISTINCT snapshot_id FROM v_crictl_sandboxes WHERE snapshot_id IN {SNAPS})"
PROC_SNAPS = f"(SELECT DISTINCT snapshot_id FROM v_processes WHERE snapshot_id IN {SNAPS})"


@rule(
    "API_POD_NO_SANDBOX", "Pod scheduled on a node that has no sandbox for it", "join", "fail",
    "The API says the pod runs on this node, but the node's runtime (crictl pods) has no sandbox of that name: the kubelet "
    "never started it, lost it, or the API is stale.",
    "Check the kubelet journal of the node for the pod's name (sync errors, CNI or image errors); `crictl pods --name` on the node.",
    needs=("api", "runtime"),
)  # fmt: skip
def api_pod_no_sandbox(ctx: RuleContext) -> Iterable[Finding]:
    rows = ctx.q(
        f"""SELECT p.node_name, p.namespace, p.name, coalesce(p.status_text, p.phase), p.member, s.snapshot_id
            FROM pods p JOIN v_snapshots s ON s.site = p.site AND s.node = p.node_name AND s.snapshot_id IN {RUNTIME_SNAPS}
            WHERE p.site = $site AND coalesce(p.phase, 'Running') IN ('Running', 'Pending', 'Unknown') AND p.node_name IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM sandboxes sb WHERE sb.snapshot_id = s.snapshot_id AND sb.name = p.name
                              AND coalesce(sb.namespace, p.namespace) = p.namespace)"""
    )
    for node, ns, name, status, member, _sid in rows:
        yield ctx.finding("API_POD_NO_SANDBOX", f"the API lists {ns}/{name} ({status}) on {node}, whose runtime has no sandbox for it",
                          node=node, namespace=ns, obj=name, evidence=[f"API: {member}: {ns}/{name} nodeName={node}", f"{node}: crictl pods: no sandbox named {name}"])  # fmt: skip


@rule(
    "ORPHAN_SANDBOX", "Sandbox or shim with no pod in the API", "join", "warn",
    "The node runs a pod sandbox (or a containerd-shim) that the Kubernetes API does not know: a pod deleted while the kubelet "
    "could not clean up, a static pod without its mirror, or a sandbox of another tool.",
    "Compare `crictl pods` on the node with `kubectl get pods -A -o wide`; stopped orphans can be removed with `crictl rmp`.",
    needs=("api", "runtime"),
)  # fmt: skip
def orphan_sandbox(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.q("SELECT 1 FROM pods WHERE site = $site LIMIT 1"):
        return  # no API dump: nothing to compare with
    for node, ns, name, sid, state in ctx.q(
        f"""SELECT sb.node, sb.namespace, sb.name, sb.sandbox_id, sb.state FROM sandboxes sb
            WHERE sb.snapshot_id IN {SNAPS} AND sb.name IS NOT NULL AND coalesce(sb.state, 'Ready') = 'Ready'
              AND NOT EXISTS (SELECT 1 FROM pods p WHERE p.site = $site AND p.name = sb.name AND p.namespace = sb.namespace)"""
    ):
        yield ctx.finding("ORPHAN_SANDBOX", f"sandbox {sid[:13]} of {ns}/{name} runs on {node} but the API has no such pod",
                          node=node, namespace=ns, obj=name, evidence=[f"{node}: sandbox {sid} ({state})"])  # fmt: skip
    for node, pid, command in ctx.q(
        f"""SELECT s.node, l.pid, p.command FROM v_process_links l JOIN v_snapshots s USING (snapshot_id)
            JOIN v_processes p ON p.snapshot_id = l.snapshot_id AND p.pid = l.pid
            WHERE l.snapshot_id IN {SNAPS} AND l.role = 'shim' AND l.sandbox_id IS NULL AND l.container_id IS NULL"""
    ):
        yield ctx.finding("ORPHAN_SANDBOX", f"shim {pid} on {node} serves no sandbox the runtime reported", node=node, obj=f"pid {pid}",
                          evidence=[f"{node}: ps: {pid} {command[:200]}"])  # fmt: skip
    for node, pid, command, task in ctx.q(
        f"""SELECT s.node, p.pid, p.command, regexp_extract(p.command, '-id ([0-9a-f]+)', 1) FROM v_processes p JOIN v_snapshots s USING (snapshot_id)
            WHERE p.snapshot_id IN {RUNTIME_SNAPS} AND regexp_matches(p.command, 'containerd-shim-[a-z0-9-]+-v2 .*-id [0-9a-f]{{12,}}')
              AND NOT EXISTS (SELECT 1 FROM v_process_links l WHERE l.snapshot_id = p.snapshot_id AND l.pid = p.pid)"""
    ):
        yield ctx.finding("ORPHAN_SANDBOX", f"shim {pid} on {node} runs task {task[:13]}, which the runtime does not list", node=node,
                          obj=f"pid {pid}", evidence=[f"{node}: ps: {pid} {command[:200]}"])  # fmt: skip


@rule(
    "CONTAINER_NO_PROCESS", "Running container with no process", "join", "fail",
    "The runtime reports the container Running, but no process on the node belongs to it (by its PID, cgroup or shim): "
    "the runtime's state is stale or the process list is incomplete.",
    "On the node: `crictl inspect <id>` (info.pid) and `ps -p <pid>`; restart containerd if its state is stale.",
    needs=("processes", "runtime"),
)  # fmt: skip
def container_no_process(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, container, cid, member in ctx.q(
        f"""SELECT pp.node, pp.namespace, pp.pod, pp.container, pp.container_id,
                   (SELECT min(member) FROM v_crictl_containers c WHERE c.snapshot_id = pp.snapshot_id AND starts_with(pp.container_id, c.container_id))
            FROM pod_processes pp WHERE pp.snapshot_id IN {PROC_SNAPS} AND pp.pid IS NULL AND pp.container_state = 'Running'
              AND pp.snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $site)"""
    ):
        yield ctx.finding("CONTAINER_NO_PROCESS", f"container {container} ({cid[:13]}) of {ns}/{pod} is Running but has no process on {node}",
                          node=node, namespace=ns, obj=pod, evidence=[f"{node}: {member}: {cid} Running", f"{node}: processes: none in its cgroup or under its shim"])  # fmt: skip


@rule(
    "PROCESS_NO_CONTAINER", "Process in a pod's cgroup with no container record", "join", "warn",
    "A process sits in the cgroup of a container the runtime does not list: a container the runtime forgot (its shim died, "
    "its state was lost) that still runs, outside Kubernetes' control.",
    "Find the process's parents (`ps -o pid,ppid,cmd`) and its shim; restart containerd, or kill the leftover after checking.",
    needs=("processes",),
)  # fmt: skip
def process_no_container(ctx: RuleContext) -> Iterable[Finding]:
    for node, pid, cid, uid, command in ctx.q(
        f"""SELECT s.node, c.pid, c.container_id, any_value(c.pod_uid), any_value(p.command) FROM v_process_cgroups c
            JOIN v_snapshots s USING (snapshot_id) LEFT JOIN v_processes p ON p.snapshot_id = c.snapshot_id AND p.pid = c.pid
            WHERE c.snapshot_id IN {RUNTIME_SNAPS} AND c.kind = 'container' AND c.container_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM v_crictl_containers x WHERE x.snapshot_id = c.snapshot_id AND starts_with(c.container_id, x.container_id))
              AND NOT EXISTS (SELECT 1 FROM v_crictl_sandboxes x WHERE x.snapshot_id = c.snapshot_id AND starts_with(c.container_id, x.sandbox_id))
            GROUP BY ALL"""
    ):
        yield ctx.finding("PROCESS_NO_CONTAINER", f"process {pid} on {node} is in the cgroup of container {cid[:13]}, which the runtime does not list",
                          node=node, obj=f"pid {pid}", evidence=[f"{node}: processes/cgroup.txt: {pid} in {cid} (pod uid {uid})", f"{node}: ps: {pid} {(command or '')[:200]}"])  # fmt: skip


@rule(
    "LOG_DIR_NO_POD", "Pod log directory with no pod", "join", "warn",
    "A /var/log/pods directory belongs to no sandbox on the node and no pod in the API: a leftover the kubelet did not clean up "
    "(it still uses disk).",
    "Check that the pod is gone (`kubectl get pod -A | grep <name>`), then remove the directory on the node.",
)  # fmt: skip
def log_dir_no_pod(ctx: RuleContext) -> Iterable[Finding]:
    have_api = bool(ctx.q("SELECT 1 FROM pods WHERE site = $site LIMIT 1"))
    for node, ns, pod, _uid, log_dir, size, files, copied in ctx.q(
        f"""SELECT l.node, l.namespace, l.pod, l.pod_uid, any_value(l.log_dir), sum(coalesce(l.size, 0)), count(*), count(*) FILTER (WHERE l.copied)
            FROM pod_logs l
            WHERE l.snapshot_id IN {RUNTIME_SNAPS} AND l.layout = 'pods'
              AND NOT EXISTS (SELECT 1 FROM sandboxes sb WHERE sb.snapshot_id = l.snapshot_id AND sb.name = l.pod AND sb.namespace = l.namespace)
            GROUP BY ALL"""
    ):
        if have_api and ctx.q("SELECT 1 FROM pods WHERE site = $site AND namespace = $p0 AND name = $p1", [ns, pod]):
            continue
        listed = f"{node}: {log_dir}/: {files} file(s) on the node" + (f", {files - copied} listed only (manifest.json, a listing), not in the bundle" if copied < files else "")
        yield ctx.finding("LOG_DIR_NO_POD", f"{log_dir} ({size} bytes) on {node} belongs to no pod", node=node, namespace=ns, obj=pod,
                          evidence=[listed, *([f"{node}: files{log_dir}/"] if copied else []), f"{node}: crictl pods: no sandbox {ns}/{pod}"])  # fmt: skip


@rule(
    "AMBIGUOUS_ID", "An id prefix matches several ids", "join", "warn",
    "A shortened sandbox or container id (13 characters from crictl, an -id cut by `cut -c`) starts more than one full id of "
    "the node, so Kubesnap did not join it to either.",
    "Collect with the collector (full ids), or paste `crictl ps --no-trunc` / `ps -ww -ef` output.",
)  # fmt: skip
def ambiguous_id(ctx: RuleContext) -> Iterable[Finding]:
    for node, kind, observed, cands in ctx.q(f"SELECT node, kind, observed, candidates FROM ambiguous_ids WHERE snapshot_id IN {SNAPS}"):
        yield ctx.finding("AMBIGUOUS_ID", f"{kind} id prefix {observed} on {node} matches {len(cands)} ids", node=node, obj=observed,
                          evidence=[f"{node}: {c}" for c in cands])  # fmt: skip
