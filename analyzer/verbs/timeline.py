"""`kubesnap timeline`: one line per record, in time order across every node of the site: Kubernetes
events, container starts and exits, kubelet / runtime / kernel journal lines, pod log lines and the
collector's own times; each tagged with its node and source, nodes whose clock looks off marked."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.errors import UsageError
from analyzer.sanitize import cell, json_dumps, line
from analyzer.verbs import SiteView, time_option

SEVERITIES = ("info", "warn", "error")
SOURCES = ("event", "container", "journal", "log", "collector")

# a line's own level first (klog's letter, JSON or logfmt level), words only where it has none
LEVEL_SQL = """CASE WHEN regexp_matches(l.message, '^[EF]\\d{4} \\d\\d:|"level":"(error|fatal|panic|dpanic|crit)|level=(error|fatal|panic)') THEN 'error'
     WHEN regexp_matches(l.message, '^W\\d{4} \\d\\d:|"level":"warn|level=warn') THEN 'warn'
     WHEN regexp_matches(l.message, '^I\\d{4} \\d\\d:|"level":"(info|debug)|level=(info|debug)') THEN 'info'
     WHEN regexp_matches(l.message, '(?i)\\b(error|fatal|panic|exception)\\b') THEN 'error'
     WHEN regexp_matches(l.message, '(?i)\\bwarn(ing)?\\b') THEN 'warn' ELSE 'info' END"""

TIMELINE_SQL = f"""
WITH snaps AS (SELECT snapshot_id, node FROM v_snapshots WHERE site = $site),
api AS (SELECT snapshot_id FROM api_snapshots WHERE site = $site),
ev AS (
  -- (a reporting instance named after its component, default-scheduler-<host>, is no node: the pod's node is)
  SELECT coalesce(e.last_seen, e.first_seen) AS ts, coalesce(CASE WHEN NOT starts_with(e.host, coalesce(e.component, '') || '-') THEN nullif(e.host, '') END,
         (SELECT any_value(p.node_name) FROM pods p WHERE p.site = $site
         AND p.namespace = e.namespace AND p.name = e.name),
         CASE WHEN e.reason = 'Scheduled' THEN nullif(regexp_extract(e.message, ' to (\\S+)$', 1), '') END, '') AS node, 'event' AS source,
         CASE WHEN e.type = 'Warning' THEN 'warn' ELSE 'info' END AS sev, e.namespace AS ns,
         coalesce(e.type, '') || ' ' || coalesce(e.reason, '') || ' ' || lower(coalesce(e.kind, '')) || '/' || coalesce(e.name, '') || ': '
         || coalesce(e.message, '') || CASE WHEN e.count > 1 THEN ' (x' || e.count || ' since ' || strftime(e.first_seen, '%Y-%m-%dT%H:%M:%SZ') || ')' ELSE '' END AS msg,
         '' AS o1, 0 AS o2
  FROM v_events e WHERE e.snapshot_id IN (SELECT snapshot_id FROM api)
     -- and pasted event tables whose ages became times (a date output or --now): loose captures of the site
     OR (e.snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $site AND kind = 'loose')
         AND e.snapshot_id NOT IN (SELECT snapshot_id FROM api) AND coalesce(e.last_seen, e.first_seen) IS NOT NULL)),
cs AS (
  SELECT c.started_at AS ts, c.node, 'container' AS source, 'info' AS sev, c.pod_namespace AS ns,
         'started ' || coalesce(c.pod_namespace, '') || '/' || coalesce(c.pod_name, '') || '/' || coalesce(c.name, '') || ' (attempt ' || coalesce(c.attempt, 0) || ', ' || left(c.container_id, 13) || ')' AS msg,
         '' AS o1, 0 AS o2
  FROM containers c WHERE c.snapshot_id IN (SELECT snapshot_id FROM snaps) AND c.started_at IS NOT NULL
  UNION ALL
  SELECT c.finished_at, c.node, 'container', CASE WHEN coalesce(c.exit_code, 0) <> 0 THEN 'warn' ELSE 'info' END, c.pod_namespace,
         'exited ' || coalesce(c.pod_namespace, '') || '/' || coalesce(c.pod_name, '') || '/' || coalesce(c.name, '') || ' (attempt ' || coalesce(c.attempt, 0)
         || ', exit code ' || coalesce(c.exit_code::VARCHAR, '?') || coalesce(', ' || nullif(c.reason, ''), '') || ')', '', 0
  FROM containers c WHERE c.snapshot_id IN (SELECT snapshot_id FROM snaps) AND c.finished_at IS NOT NULL
  UNION ALL
  SELECT a.last_finished_at, p.node_name, 'container', CASE WHEN coalesce(a.last_exit_code, 0) <> 0 THEN 'warn' ELSE 'info' END, a.namespace,
         'terminated ' || a.namespace || '/' || a.pod || '/' || a.name || ' (previous run: ' || coalesce(a.last_reason, '?') || ', exit code '
         || coalesce(a.last_exit_code::VARCHAR, '?') || '; restarts ' || coalesce(a.restart_count, 0) || ')', '', 0
  FROM v_api_containers a JOIN pods p ON p.snapshot_id = a.snapshot_id AND p.namespace = a.namespace AND p.name = a.pod
  WHERE p.site = $site AND a.last_finished_at IS NOT NULL),
jr AS (
  SELECT j.ts, j.node, 'journal/' || coalesce(j.ident, j.source) AS source,
         CASE WHEN j.severity IN ('E', 'F', 'error', 'fatal', 'panic', 'crit', 'critical') THEN 'error'
              WHEN j.severity IN ('W', 'warning', 'warn') THEN 'warn' ELSE 'info' END AS sev, NULL AS ns, j.message AS msg,
         coalesce(j.member, '') AS o1, coalesce(j.line_no, 0) AS o2
  FROM journal_lines j WHERE j.snapshot_id IN (SELECT snapshot_id FROM snaps) AND j.ts IS NOT NULL),
lg AS (
  SELECT l.ts, f.node, 'log' AS source,
         {LEVEL_SQL} AS sev,
         f.namespace AS ns, coalesce(f.pod, '') || '/' || coalesce(f.container, '') || ': ' || l.message AS msg,
         coalesce(f.path, '') AS o1, coalesce(l.line_no, 0) AS o2
  FROM v_log_lines l JOIN v_log_files f USING (file_id)
  WHERE f.snapshot_id IN (SELECT snapshot_id FROM snaps) AND l.ts IS NOT NULL AND f.layout <> 'kubectl-logs'),
col AS (
  SELECT collected_at AS ts, node, 'collector' AS source, 'info' AS sev, NULL AS ns,
         'bundle ' || coalesce(bundle_name, '') || ' collection started (this node''s clock)' AS msg, '' AS o1, 0 AS o2
  FROM v_snapshots WHERE site = $site AND collected_at IS NOT NULL
  UNION ALL
  SELECT finished_at, node, 'collector', 'info', NULL, 'bundle ' || coalesce(bundle_name, '') || ' collection finished', '', 0
  FROM v_snapshots WHERE site = $site AND finished_at IS NOT NULL),
t AS (
  SELECT * FROM ev WHERE 'event' IN $sources UNION ALL SELECT * FROM cs WHERE 'container' IN $sources
  UNION ALL SELECT * FROM jr WHERE 'journal' IN $sources UNION ALL SELECT * FROM lg WHERE 'log' IN $sources
  UNION ALL SELECT * FROM col WHERE 'collector' IN $sources)
SELECT ts, node, source, sev, ns, msg FROM t
WHERE ts IS NOT NULL AND ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts <= $until) AND ($node IS NULL OR node = $node)
  AND ($ns IS NULL OR ns = $ns) AND ($grep IS NULL OR regexp_matches(msg, $grep)) AND list_position(['info', 'warn', 'error'], sev) >= $minsev
ORDER BY ts, node, source, o1, o2, msg
"""


@dataclass
class Clock:
    node: str
    offset_s: float  # bundle start minus the median of the site's bundle starts
    synced: str  # yes, no, unknown


def clocks(sv: SiteView) -> list[Clock]:
    rows = sv.q("SELECT name, collected_at, snapshot_id FROM nodes WHERE site = $site AND has_bundle AND collected_at IS NOT NULL ORDER BY name")
    if not rows:
        return []
    med = statistics.median(r[1].timestamp() for r in rows)
    out = []
    for name, at, sid in rows:
        facts = dict(sv.q("SELECT key, value FROM v_host_facts WHERE snapshot_id = $p0 AND key IN ('timedatectl.NTPSynchronized', 'chrony.leap_status')", [sid]))
        synced = facts.get("timedatectl.NTPSynchronized") or ("yes" if (facts.get("chrony.leap_status") or "").lower() == "normal" else "unknown")
        out.append(Clock(name, at.timestamp() - med, synced))
    return out


def timeline(sv: SiteView, *, since: str | None = None, until: str | None = None, node: str | None = None, namespace: str | None = None,
             grep: str | None = None, severity: str = "info", sources: tuple[str, ...] = SOURCES, output: str = "text",
             skew_s: int = 60) -> Iterator[str]:  # fmt: skip
    if severity not in SEVERITIES:
        raise UsageError(f"--severity is one of {', '.join(SEVERITIES)}")
    bad = [s for s in sources if s not in SOURCES]
    if bad:
        raise UsageError(f"unknown source(s) {', '.join(bad)}: choose from {', '.join(SOURCES)}")
    latest = sv.q("SELECT max(collected_at) FROM v_snapshots WHERE site = $site")[0][0]
    params = {"site": sv.site, "since": time_option(since, latest, "--since"), "until": time_option(until, latest, "--until"), "node": node, "ns": namespace,
              "grep": grep, "minsev": SEVERITIES.index(severity) + 1, "sources": list(sources)}  # fmt: skip
    cks = {c.node: c for c in clocks(sv)}
    off = {n: c for n, c in cks.items() if abs(c.offset_s) > skew_s}
    if output == "text":
        yield f"# site {cell(sv.site)}: {len(cks)} node bundle(s); times are UTC, as each node's clock recorded them\n"
        for c in off.values():
            yield (f"# clock: {cell(c.node)} started its bundle {c.offset_s:+.0f} s from the site's median (NTP synchronized: {cell(c.synced)}): "
                   f"its lines are marked {cell(c.node)}({c.offset_s:+.0f}s)\n")  # fmt: skip
    try:
        cur = sv.cursor().execute(TIMELINE_SQL.replace("IN $sources", "IN (SELECT unnest($sources))"), params)
    except Exception as e:  # a bad --grep regex is the user's, not ours
        raise UsageError(f"timeline: {str(e).splitlines()[0]}") from None
    tags: dict[tuple[str, str], tuple[str, str]] = {}  # (node, source) -> both escaped, once
    while True:
        batch = cur.fetchmany(10000)
        if not batch:
            break
        for ts, n, source, sev, ns, msg in batch:
            if output == "json":
                yield json_dumps({"time": ts.isoformat().replace("+00:00", "Z"), "node": n, "source": source, "severity": sev, "namespace": ns,
                                  "message": msg, "clock_offset_s": round(off[n].offset_s) if n in off else 0}) + "\n"  # fmt: skip
            else:
                tag, src = tags.get((n, source)) or tags.setdefault(
                    (n, source), (f"{cell(n)}({off[n].offset_s:+.0f}s)" if n in off else cell(n or "-"), cell(source)))
                # one record, one line: the message is the line's last field (a tab kept, nothing else)
                yield f"{ts:%Y-%m-%dT%H:%M:%S.%f}Z  {tag}  {src}  {sev.upper()[0]}  {msg if isinstance(msg, str) and msg.isprintable() else line(msg)}\n"
