"""Site completeness: a node the inventory (collect-site's manifest) or the API knows, with no bundle."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.images import API_SNAP
from analyzer.rules.join import SNAPS

BUNDLES = f"(SELECT node, hostname, bundle_name FROM v_snapshots WHERE snapshot_id IN {SNAPS} AND kind = 'bundle')"


@rule(
    "SITE_NODE_MISSING", "A node of the site has no bundle: the site is incomplete", "collection", "warn",
    "A host of the inventory that collect-site could not collect (unreachable, ssh auth refused, sudo refused, timed out, "
    "collector error; the site manifest says which and why), or a node the Kubernetes API lists with no bundle of its own. "
    "Everything the rules say about that node is unknown, and the rules that compare nodes see only the others.",
    "Fix what the manifest names (network, ssh key, sudo without password for the collector, a longer --host-timeout) and "
    "collect that host again: `kubesnap collect-site -i INVENTORY --limit HOST`, then analyze both archives together.",
)  # fmt: skip
def site_node_missing(ctx: RuleContext) -> Iterable[Finding]:
    bundles = ctx.q(f"SELECT node, hostname, bundle_name FROM {BUNDLES}")
    names = {n for row in bundles for n in row[:2] if n}
    files = {b for _n, _h, b in bundles if b}
    reported: dict[str, str] = {}  # a node name or address -> the inventory host it was reported as
    for name, groups, address, status, failure, reason, seconds, bundle, member in ctx.q(
        f"""SELECT name, groups, address, status, failure, reason, seconds, bundle, member FROM v_site_hosts
            WHERE snapshot_id IN {SNAPS} ORDER BY name"""
    ):
        stem = (bundle or "").rsplit("/", 1)[-1].removesuffix(".tar.gz")
        if status == "ok" and (stem in files or name in names):
            continue
        role = f" ({', '.join(groups)})" if groups else ""
        took = f" after {seconds:.1f} s" if seconds is not None else ""
        if status == "ok":
            msg = f"{name}{role}: collect-site fetched its bundle ({bundle}), but no bundle of it was ingested"
        else:
            msg = f"{name}{role} was not collected: {failure or 'failed'}{took}: {reason or 'no reason given'}"
        reported[name] = name
        if address:
            reported[address] = name
        yield ctx.finding("SITE_NODE_MISSING", msg, node=name, obj=name,
                          evidence=[f"{member}: host {name} address={address} status={status} failure={failure} seconds={seconds} reason={reason}"])  # fmt: skip
    for node, ip, member in ctx.q(f"SELECT DISTINCT name, internal_ip, member FROM v_api_nodes WHERE snapshot_id IN {API_SNAP} ORDER BY 1"):
        if node in names:
            continue
        if node in reported or (ip and ip in reported):
            continue  # the manifest's finding already says why
        yield ctx.finding("SITE_NODE_MISSING", f"the API lists node {node} ({ip or 'no address'}), but no bundle of it was analyzed",
                          node=node, obj=node, evidence=[f"API: {member}: node {node} internal_ip={ip}"])  # fmt: skip
