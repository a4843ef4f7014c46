"""Collection gaps: what the bundles cannot tell, so that an absent finding is not read as a healthy cluster."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable

from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.join import SNAPS


@rule(
    "COLLECTION_FAILED", "A command or file could not be collected", "collection", "info",
    "The collector ran a command that failed or timed out, or could not read a file; what it would have shown is missing from "
    "the bundle (the error is in manifest.json). Private keys and files outside the --since window are skipped on purpose and "
    "not reported.",
    "Run the command by hand on the node, or collect again with a longer --timeout.",
)  # fmt: skip
def collection_failed(ctx: RuleContext) -> Iterable[Finding]:
    for node, kind, argv, path, code, timed_out, error, secs, output in ctx.q(
        f"""SELECT node, kind, array_to_string(argv, ' '), path, exit_code, coalesce(timed_out, false), error, seconds, output FROM collection_errors
            WHERE snapshot_id IN {SNAPS} AND skipped IS NULL AND (coalesce(timed_out, false) OR coalesce(exit_code, 0) NOT IN (0, 127)
                  OR (error IS NOT NULL AND error NOT LIKE 'command not found%'))
            ORDER BY 1, 2, 3, 4"""
    ):
        # the endpoint and kubeconfig flags say nothing about what failed
        what = re.sub(r" --(?:runtime-endpoint|image-endpoint|kubeconfig|request-timeout)[= ]\S+", "", argv) if argv else (path or "?")
        if timed_out:
            msg = f"`{what}` timed out on {node} after {secs or 0:.0f} s"
        elif argv and argv.startswith("kubectl") and "refused" in (error or ""):
            msg = f"kubectl could not reach the API from {node} (normal on nodes without a kubeconfig)"
        else:
            msg = f"`{what}` failed on {node} (exit {code}): {(error or '').strip()[:200]}"
        yield ctx.finding("COLLECTION_FAILED", msg, node=node, obj=output or path or what,
                          evidence=[f"{node}: manifest.json: {kind} {argv or path} exit={code} timed_out={timed_out} {(error or '').strip()}".rstrip()])  # fmt: skip


LOST = {
    "crictl": "the runtime view (sandboxes, containers, their PIDs and log paths)",
    "etcdctl": "etcd's members, health, leader, db size and alarms",
    "journalctl": "the kubelet, runtime and kernel journals",
    "ps": "the process list (no pod-to-process join)",
    "systemctl": "the kubelet and runtime service states",
    "timedatectl": "the clock's sync status",
    "chronyc": "the clock's sync status",
    "ip": "addresses and routes",
    "df": "filesystem usage",
}

# a missing tool that another covers, or that this role does not need
ALTERNATIVES = {"chronyc": "timedatectl", "timedatectl": "chronyc", "ctr": "crictl", "docker": "crictl", "nerdctl": "crictl", "crictl": None}


@rule(
    "MISSING_TOOL", "A tool the collector needs was missing", "collection", "info",
    "A command was not on the node's PATH, so what it shows is missing: no crictl means no runtime view (sandboxes, containers, "
    "PIDs); no kubectl anywhere means no API view (and no API-side findings); no etcdctl on a control plane means no etcd health.",
    "Run the collector where the tool exists (crictl ships with kubeadm installs; k3s/rke2 have it under /var/lib/rancher/*/bin), "
    "or add the tool's directory to PATH.",
)  # fmt: skip
def missing_tool(ctx: RuleContext) -> Iterable[Finding]:
    present: dict[str, set[str]] = defaultdict(set)
    for node, argv0 in ctx.q(f"SELECT DISTINCT s.node, r.argv[1] FROM v_collection_records r JOIN v_snapshots s USING (snapshot_id) WHERE r.snapshot_id IN {SNAPS} AND r.kind = 'command' AND coalesce(r.exit_code, 0) <> 127"):
        present[node].add(argv0)
    for node, role, missing in ctx.q(f"SELECT node, role, missing_commands FROM v_snapshots WHERE snapshot_id IN {SNAPS} AND kind = 'bundle' AND len(missing_commands) > 0 ORDER BY 1"):
        gaps = []
        for tool in missing:
            alt = ALTERNATIVES.get(tool, "")
            if alt and alt in present[node]:
                continue
            if tool in ("crictl", "ctr", "docker", "nerdctl", "etcdctl") and role == "bastion":
                continue
            if tool == "etcdctl" and role != "control-plane":
                continue
            if tool in ("kubectl",):
                continue  # judged site-wide below
            gaps.append(tool)
        if gaps:
            lost = "; ".join(f"{g}: {LOST.get(g, 'its output')}" for g in gaps)
            yield ctx.finding("MISSING_TOOL", f"{node} ({role}) has no {', '.join(gaps)}, so the bundle lacks {lost}",
                              node=node, obj=",".join(gaps), evidence=[f"{node}: manifest.json: missing_commands {', '.join(missing)}"])  # fmt: skip
    if ctx.q(f"SELECT 1 FROM v_snapshots WHERE snapshot_id IN {SNAPS} LIMIT 1") and not ctx.q("SELECT 1 FROM api_snapshots WHERE site = $site"):
        yield ctx.finding("MISSING_TOOL", "no bundle holds a kubectl dump of the API: pods, nodes and events of the API are unknown, and the rules that compare "
                          "them with the nodes did not run", obj="kubectl",
                          evidence=[f"{n}: kubectl: {'missing' if m and 'kubectl' in m else 'no API access'}" for n, m in ctx.q(f"SELECT node, missing_commands FROM v_snapshots WHERE snapshot_id IN {SNAPS} ORDER BY 1")])  # fmt: skip


@rule(
    "LOGS_TRUNCATED", "Logs were cut to the size cap", "collection", "info",
    "The collector kept only the end of log files larger than --max-log-bytes: lines before the cut are not in the bundle, so a "
    "log search or a first-seen time can miss them.",
    "Collect again with a larger --max-log-bytes (or --since to narrow the window) when the beginning matters.",
)  # fmt: skip
def logs_truncated(ctx: RuleContext) -> Iterable[Finding]:
    for node, files, dropped, ex in ctx.q(
        f"""SELECT s.node, count(*), sum(greatest(coalesce(r.size, 0) - coalesce(r.bytes, 0), 0)), list(coalesce(r.path, r.output) ORDER BY r.size DESC)[:5]
            FROM v_collection_records r JOIN v_snapshots s USING (snapshot_id) WHERE r.snapshot_id IN {SNAPS} AND r.truncated GROUP BY 1 ORDER BY 1"""
    ):
        yield ctx.finding("LOGS_TRUNCATED", f"{files} file(s) on {node} were cut to their last --max-log-bytes; {dropped / 1024**2:.0f} MiB were left on the node",
                          node=node, obj=node, evidence=[f"{node}: manifest.json: truncated {p}" for p in ex])  # fmt: skip


@rule(
    "REDACTION_WITHHELD", "The collector withheld files it could not redact", "collection", "info",
    "The collector's redaction removed files from the bundle rather than let a secret out: a binary or archive file it could "
    "not search, a file whose redaction failed or ran past its bound, a name or a gzip member holding a secret (the reasons are "
    "in manifest.json and redaction-report.txt). What those files hold is missing. When no awk on the node passed the "
    "redaction engine's self-test (redaction.engine none), every file that needed redaction was withheld: most of the node.",
    "Read redaction-report.txt in the bundle; collect again with a longer --timeout, or on a node with gawk or mawk when the "
    "engine was none. The customer can send a withheld file after redacting it by hand.",
)  # fmt: skip
def redaction_withheld(ctx: RuleContext) -> Iterable[Finding]:
    for node, engine, awk, withheld in ctx.q(
        f"""SELECT node, redaction_engine, redaction_awk, withheld FROM v_snapshots
            WHERE snapshot_id IN {SNAPS} AND kind = 'bundle' AND (json_array_length(withheld) > 0 OR redaction_engine = 'none') ORDER BY 1"""
    ):
        files = json.loads(withheld) if withheld else []
        evidence = [f"{node}: manifest.json: withheld {w['path']}: {w['reason']}" for w in files]
        if awk:  # the awk's own version line: which awk a node's redaction ran with (or which failed its self-test)
            evidence.insert(0, f"{node}: manifest.json: redaction.awk {awk}")
        if engine == "none":
            listed = f"{len(files)} listed" if files else "unlisted: the list could not be redacted either"
            yield ctx.finding("REDACTION_WITHHELD", f"no awk on {node} passed the redaction engine's self-test: every file that needed "
                              f"redaction was withheld ({listed})", node=node, obj=node, severity="warn",
                              evidence=[f"{node}: manifest.json: redaction.engine none", *evidence])  # fmt: skip
            continue
        why: dict[str, int] = defaultdict(int)
        for w in files:
            why[w["reason"]] += 1
        reasons = "; ".join(f"{r} ({n})" for r, n in sorted(why.items(), key=lambda x: (-x[1], x[0]))[:3])
        yield ctx.finding("REDACTION_WITHHELD", f"{len(files)} file(s) on {node} were withheld by the collector's redaction: {reasons}",
                          node=node, obj=node, evidence=evidence)  # fmt: skip
