"""Control plane: quorum, etcd health, static pods, component restarts, version skew."""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.join import SNAPS

CP_COMPONENTS = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler")


def control_planes(ctx: RuleContext) -> list[str]:
    rows = ctx.q("SELECT name FROM nodes WHERE site = $site AND role = 'control-plane' AND in_api ORDER BY 1")
    if not rows:
        rows = ctx.q("SELECT name FROM nodes WHERE site = $site AND role = 'control-plane' ORDER BY 1")
    return [r[0] for r in rows]


@rule(
    "CONTROL_PLANE_QUORUM", "Control-plane count is not a safe etcd quorum", "control-plane", "fail",
    "etcd needs a majority of its members: 3 control planes tolerate one failure, 5 tolerate two. An even count tolerates no more "
    "than the odd count below it (4 is no safer than 3) and splits badly; a single control plane has no redundancy.",
    "Run an odd number of control planes (3 or 5); add or remove members with kubeadm or kubespray, one at a time.",
)  # fmt: skip
def quorum(ctx: RuleContext) -> Iterable[Finding]:
    cps = control_planes(ctx)
    if not cps:
        return
    ev = [f"API: node {n} role=control-plane" for n in cps]
    if len(cps) % 2 == 0:
        yield ctx.finding("CONTROL_PLANE_QUORUM", f"{len(cps)} control planes: an even count, which tolerates no more failures than {len(cps) - 1}", evidence=ev)
    elif len(cps) == 1:
        yield ctx.finding("CONTROL_PLANE_QUORUM", "a single control plane: no redundancy for etcd or the API", severity="warn", evidence=ev)


@rule(
    "ETCD_MEMBERS_MISMATCH", "etcd members disagree with the control-plane nodes", "control-plane", "warn",
    "`etcdctl member list` names other members than the control-plane nodes: a member left over from a removed node, or a control "
    "plane that never joined etcd.",
    "Remove stale members with `etcdctl member remove`; rejoin the missing control plane.",
)  # fmt: skip
def etcd_members(ctx: RuleContext) -> Iterable[Finding]:
    rows = ctx.q(f"SELECT DISTINCT name, member_id, array_to_string(peer_urls, ',') FROM v_etcd_members WHERE snapshot_id IN {SNAPS}")
    if not rows:
        return
    srcs = [f"{n}: {m}" for n, m in ctx.q(f"SELECT DISTINCT s.node, m.member FROM v_etcd_members m JOIN v_snapshots s USING (snapshot_id) WHERE m.snapshot_id IN {SNAPS} ORDER BY 1")]
    cps = control_planes(ctx)
    ips = dict(ctx.q("SELECT name, internal_ip FROM nodes WHERE site = $site"))
    names = {r[0] for r in rows}
    peers = " ".join(r[2] for r in rows)
    for cp in cps:
        if cp not in names and not (ips.get(cp) and f"//{ips[cp]}:" in peers):
            yield ctx.finding("ETCD_MEMBERS_MISMATCH", f"control plane {cp} is not an etcd member", node=cp,
                              evidence=[*(f"{src}: members {', '.join(sorted(n or '?' for n in names))}" for src in srcs), f"API: node {cp} role=control-plane"])  # fmt: skip
    for name, mid, peer in rows:
        if name not in cps and not any(ips.get(cp) and f"//{ips[cp]}:" in peer for cp in cps):
            yield ctx.finding("ETCD_MEMBERS_MISMATCH", f"etcd member {name} ({mid}, {peer}) is no control-plane node", obj=name,
                              evidence=[*(f"{src}: member {mid} {name} {peer}" for src in srcs), f"API: control-plane nodes {', '.join(cps)}"])  # fmt: skip


@rule(
    "ETCD_UNHEALTHY", "An etcd endpoint is unhealthy", "control-plane", "fail",
    "`etcdctl endpoint health` reports an endpoint unhealthy (or an error): the member cannot serve, and the cluster is one failure "
    "closer to losing quorum. (The `unixs://IP:0` endpoint `etcdctl --cluster` lists beside a member's https one, which a gather "
    "pod cannot reach, counts only when that member has no healthy endpoint: OpenShift's must-gather.)",
    "Read that member's etcd log (disk latency, certificates, peer connectivity); check its disk and clock.",
)  # fmt: skip
def etcd_unhealthy(ctx: RuleContext) -> Iterable[Finding]:
    for endpoint, errs, seen in ctx.q(
        f"""SELECT e.endpoint, list(DISTINCT coalesce(e.error, array_to_string(e.errors, '; '), 'health: false')), list(DISTINCT s.node ORDER BY s.node)
            FROM v_etcd_endpoints e JOIN v_snapshots s USING (snapshot_id)
            WHERE e.snapshot_id IN {SNAPS} AND (e.healthy = false OR e.error IS NOT NULL OR len(e.errors) > 0)
              AND NOT (regexp_matches(e.endpoint, '^unixs?://') AND EXISTS (
                  SELECT 1 FROM v_etcd_endpoints h WHERE h.snapshot_id = e.snapshot_id AND h.healthy AND h.endpoint <> e.endpoint
                     AND regexp_extract(h.endpoint, '//([^:/]+)', 1) = regexp_extract(e.endpoint, '//([^:/]+)', 1)))
            GROUP BY 1 ORDER BY 1"""
    ):
        yield ctx.finding("ETCD_UNHEALTHY", f"etcd endpoint {endpoint} is unhealthy: {'; '.join(errs)}", node=endpoint_node(ctx, endpoint), obj=endpoint,
                          evidence=[f"{n}: etcd/endpoint-health.json: {endpoint}: {'; '.join(errs)}" for n in seen])  # fmt: skip


def endpoint_node(ctx: RuleContext, url: str | None) -> str | None:
    """The node an etcd endpoint or member URL points at (by its address), if the site knows it."""
    m = re.match(r"^\w+://\[?([^\]/:]+)", url or "")
    if not m:
        return None
    rows = ctx.q("SELECT name FROM nodes WHERE site = $site AND (internal_ip = $p0 OR name = $p0 OR hostname = $p0) ORDER BY 1 LIMIT 1", [m.group(1)])
    return rows[0][0] if rows else None


def member_node(ctx: RuleContext, member_id: str) -> str | None:
    rows = ctx.q(f"SELECT name, peer_urls[1] FROM v_etcd_members WHERE snapshot_id IN {SNAPS} AND member_id = $p0 LIMIT 1", [member_id])
    if not rows:
        return None
    name, peer = rows[0]
    known = ctx.q("SELECT 1 FROM nodes WHERE site = $site AND name = $p0", [name])
    return name if known else endpoint_node(ctx, peer)


@rule(
    "ETCD_ALARM", "An etcd alarm is active", "control-plane", "fail",
    "etcd raised an alarm: NOSPACE (the database hit its quota: writes are refused) or CORRUPT.",
    "NOSPACE: compact and defragment (`etcdctl compact`, `etcdctl defrag`), raise --quota-backend-bytes, then `etcdctl alarm disarm`.",
)  # fmt: skip
def etcd_alarm(ctx: RuleContext) -> Iterable[Finding]:
    for mid, alarm, seen in ctx.q(
        f"""SELECT a.member_id, a.alarm, list(DISTINCT s.node ORDER BY s.node) FROM v_etcd_alarms a JOIN v_snapshots s USING (snapshot_id)
            WHERE a.snapshot_id IN {SNAPS} GROUP BY 1, 2 ORDER BY 1, 2"""
    ):
        node = member_node(ctx, mid)
        yield ctx.finding("ETCD_ALARM", f"etcd alarm {alarm} on member {mid}{f' ({node})' if node else ''}", node=node, obj=mid,
                          evidence=[f"{n}: etcd/alarm-list.txt: memberID:{int(mid, 16) if re.fullmatch('[0-9a-f]+', mid) else mid} alarm:{alarm}" for n in seen])  # fmt: skip


@rule(
    "ETCD_DB_QUOTA", "etcd database close to its quota", "control-plane", "warn",
    "The etcd database uses a large part of its quota (--quota-backend-bytes, 2 GiB by default); at the quota etcd raises NOSPACE and "
    "refuses writes.",
    "Compact and defragment; find what fills it (events, large objects); raise the quota if needed.",
)  # fmt: skip
def etcd_db_quota(ctx: RuleContext) -> Iterable[Finding]:
    quota = 2 * 1024**3
    for (cmd,) in ctx.q(f"SELECT array_to_string(command, ' ') FROM v_manifests WHERE snapshot_id IN {SNAPS} AND component = 'etcd'"):
        m = re.search(r"--quota-backend-bytes[= ](\d+)", cmd or "")
        if m:
            quota = int(m.group(1))
    for endpoint, size, seen in ctx.q(
        f"""SELECT e.endpoint, max(e.db_size), list(DISTINCT s.node ORDER BY s.node) FROM v_etcd_endpoints e JOIN v_snapshots s USING (snapshot_id)
            WHERE e.snapshot_id IN {SNAPS} AND e.db_size IS NOT NULL GROUP BY 1 ORDER BY 1"""
    ):
        pct = 100 * size / quota
        if pct >= ctx.t.etcd_db_quota_pct_warn:
            yield ctx.finding("ETCD_DB_QUOTA", f"etcd {endpoint}: database {size / 1024**2:.0f} MiB is {pct:.0f}% of its {quota / 1024**3:.1f} GiB quota",
                              node=endpoint_node(ctx, endpoint), obj=endpoint, evidence=[f"{n}: etcd/endpoint-status.json: {endpoint} dbSize={size}" for n in seen])  # fmt: skip


@rule(
    "ETCD_LEADER", "etcd has no leader, or several", "control-plane", "fail",
    "`etcdctl endpoint status` shows members that see no leader, or different leaders: a split or a cluster without quorum.",
    "Check connectivity between the control planes (2380/tcp), their clocks and disks; read the etcd logs for 'leader changed'.",
)  # fmt: skip
def etcd_leader(ctx: RuleContext) -> Iterable[Finding]:
    rows = ctx.q(f"SELECT DISTINCT s.node, e.endpoint, e.leader_id FROM v_etcd_endpoints e JOIN v_snapshots s USING (snapshot_id) WHERE e.snapshot_id IN {SNAPS} AND e.db_size IS NOT NULL")
    if not rows:
        return
    leaders = {r[2] for r in rows}
    ev = [f"{n}: etcd/endpoint-status.json: {e} leader={ld}" for n, e, ld in rows]
    if None in leaders or "0" in leaders:
        yield ctx.finding("ETCD_LEADER", "an etcd member sees no leader", evidence=ev)
    elif len(leaders) > 1:
        yield ctx.finding("ETCD_LEADER", f"etcd members see {len(leaders)} different leaders: {', '.join(sorted(str(x) for x in leaders))}", evidence=ev)


@rule(
    "STATIC_POD_NOT_RUNNING", "Static pod manifest with no running pod", "control-plane", "fail",
    "A manifest in the kubelet's static pod path has no running pod or container on its node: a YAML error, a wrong image, or a "
    "container that keeps failing (a control-plane component is then down on that node).",
    "Read the kubelet journal for the manifest's name; `crictl ps -a --name <component>` and its logs on the node.",
)  # fmt: skip
def static_pod_not_running(ctx: RuleContext) -> Iterable[Finding]:
    for node, path, comp, name, err, sid in ctx.q(
        f"""SELECT s.node, m.path, m.component, m.pod_name, m.error, m.snapshot_id FROM v_manifests m JOIN v_snapshots s USING (snapshot_id)
            WHERE m.snapshot_id IN (SELECT DISTINCT snapshot_id FROM v_crictl_containers WHERE snapshot_id IN {SNAPS})"""
    ):
        if err:
            yield ctx.finding("STATIC_POD_NOT_RUNNING", f"{path} on {node} does not parse: {err}", node=node, obj=path, evidence=[f"{node}: files{path}: {err}"])
            continue
        running = ctx.q(
            """SELECT count(*) FROM containers c LEFT JOIN sandboxes sb ON sb.snapshot_id = c.snapshot_id AND sb.sandbox_id = c.sandbox_id
               WHERE c.snapshot_id = $p0 AND c.state = 'Running' AND (coalesce(sb.name, c.pod_name) = $p1 || '-' || $p2 OR coalesce(sb.name, c.pod_name) = $p1)""",
            [sid, name or comp or "", node],
        )[0][0]
        if not running:
            yield ctx.finding("STATIC_POD_NOT_RUNNING", f"static pod {name} ({path}) has no running container on {node}", node=node,
                              namespace="kube-system", obj=f"{name}-{node}", evidence=[f"{node}: files{path}", f"{node}: crictl ps -a: no running container of {name}"])  # fmt: skip


@rule(
    "CONTROL_PLANE_RESTARTS", "Control-plane component restarted", "control-plane", "warn",
    "kube-apiserver, etcd, kube-controller-manager or kube-scheduler restarted; a few restarts at upgrades are normal, many point "
    "at etcd latency, certificates or resource limits. Restarts below the threshold are noted as info.",
    "Read the previous container's log (`kubectl logs --previous`, or the bundle's N-1.log) for the exit reason.",
)  # fmt: skip
def control_plane_restarts(ctx: RuleContext) -> Iterable[Finding]:
    for node, ns, pod, container, restarts, reason, member in ctx.q(
        """SELECT p.node_name, a.namespace, a.pod, a.name, a.restart_count, coalesce(a.last_reason, ''), p.member FROM v_api_containers a
           JOIN pods p ON p.snapshot_id = a.snapshot_id AND p.namespace = a.namespace AND p.name = a.pod
           WHERE p.site = $site AND a.name IN ('kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler') AND a.restart_count > 0"""
    ):
        sev = "warn" if restarts >= ctx.t.restarts_warn else "info"
        yield ctx.finding("CONTROL_PLANE_RESTARTS", f"{container} on {node} restarted {restarts} time{'s' if restarts != 1 else ''}{f' (last: {reason})' if reason else ''}",
                          node=node, namespace=ns, obj=pod, severity=sev, evidence=[f"API: {member}: {ns}/{pod} {container} restartCount={restarts}"])  # fmt: skip


def minor(v: str | None) -> tuple[int, int] | None:
    m = re.match(r"v?(\d+)\.(\d+)", v or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


@rule(
    "VERSION_SKEW", "Versions outside the Kubernetes skew policy", "control-plane", "fail",
    "kube-apiserver instances must be within one minor version of each other; a kubelet must not be newer than kube-apiserver, nor "
    "more than three minor versions older (two before 1.28).",
    "Upgrade the lagging components in the documented order: control planes first, then kubelets.",
)  # fmt: skip
def version_skew(ctx: RuleContext) -> Iterable[Finding]:
    api: dict[str, str] = {}
    where: dict[str, str] = {}
    for node, images, path in ctx.q(f"SELECT s.node, array_to_string(m.images, ','), m.path FROM v_manifests m JOIN v_snapshots s USING (snapshot_id) WHERE m.snapshot_id IN {SNAPS} AND m.component = 'kube-apiserver'"):
        m = re.search(r":(v\d+\.\d+\.\d+\S*)", images or "")
        if m:
            api[node] = m.group(1)
            where[node] = f"{node}: files{path}: image {images}"
    if not api:
        for (sv,) in ctx.q(f"SELECT DISTINCT server_version FROM v_cluster_versions WHERE snapshot_id IN {SNAPS} AND server_version IS NOT NULL"):
            api["(API server)"] = sv
            where["(API server)"] = f"API: cluster/version.json: serverVersion {sv}"
    minors = {n: mv for n, v in api.items() if (mv := minor(v)) is not None}
    if len(set(minors.values())) > 1:
        lo, hi = min(minors.values()), max(minors.values())
        if hi[1] - lo[1] > 1 or hi[0] != lo[0]:
            yield ctx.finding("VERSION_SKEW", f"kube-apiserver versions differ by more than one minor: {', '.join(f'{n} {v}' for n, v in sorted(api.items()))}",
                              evidence=[where[n] for n in sorted(api)])  # fmt: skip
    if not minors:
        return
    oldest_api = min(minors.values())
    for node, kubelet in ctx.q("SELECT name, kubelet_version FROM nodes WHERE site = $site AND kubelet_version IS NOT NULL"):
        k = minor(kubelet)
        if k is None:
            continue
        allowed = 3 if oldest_api >= (1, 28) else 2
        if k > oldest_api:
            yield ctx.finding("VERSION_SKEW", f"kubelet {kubelet} on {node} is newer than kube-apiserver v{oldest_api[0]}.{oldest_api[1]}", node=node,
                              evidence=[f"API: node {node} kubeletVersion={kubelet}", *(where[n] for n in sorted(api))])  # fmt: skip
        elif oldest_api[0] == k[0] and oldest_api[1] - k[1] > allowed:
            yield ctx.finding("VERSION_SKEW", f"kubelet {kubelet} on {node} is {oldest_api[1] - k[1]} minor versions older than kube-apiserver (at most {allowed})",
                              node=node, evidence=[f"API: node {node} kubeletVersion={kubelet}", *(where[n] for n in sorted(api))])  # fmt: skip
