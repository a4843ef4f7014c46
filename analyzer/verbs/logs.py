"""`kubesnap logs POD`: a container's log as `kubectl logs` prints it, from the node's /var/log/pods (or the
kubectl logs the collector saved), partial (P) records already joined into their lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from analyzer.errors import NotFound, UsageError
from analyzer.sanitize import cell, line
from analyzer.timeparse import before, parse_duration_s
from analyzer.verbs import SiteView, not_found, stored_json


def rfc3339nano(t: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped (microseconds are what the database keeps)."""
    frac = f"{t.microsecond:06d}".rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def logs(sv: SiteView, pod: str, *, namespace: str | None = None, container: str | None = None, previous: bool = False,
         tail: int | None = None, since: str | None = None, since_time: str | None = None, timestamps: bool = False,
         all_containers: bool = False, prefix: bool = False, include_rotated: bool = False) -> Iterator[str]:  # fmt: skip
    files = sv.q(
        """SELECT f.file_id, f.namespace, f.container, f.restart, coalesce(f.rotated, false), f.rotated_stamp, f.layout,
                  coalesce(f.previous, false), coalesce(s.collected_at, s.ingested_at)
           FROM v_log_files f JOIN v_snapshots s USING (snapshot_id)
           WHERE s.site = $site AND f.file_id IS NOT NULL AND f.pod = $p0 AND f.layout IN ('pods', 'pods-old', 'crio-id', 'kubectl-logs')""",
        [pod],
    )
    namespaces = sorted({f[1] for f in files if f[1]})
    ns = namespace or ("default" if "default" in namespaces or len(namespaces) != 1 else namespaces[0])
    files = [f for f in files if f[1] == ns]
    if not files:
        if sv.q("SELECT 1 FROM pods WHERE site = $site AND name = $p0 AND coalesce(namespace, $p1) = $p1 LIMIT 1", [pod, ns]):
            raise NotFound(f'pod "{cell(pod)}" in namespace "{cell(ns)}" has no log in these bundles (the collector took no log of it)')
        raise not_found("pods", pod, ns)
    names: list[str | None] = list(_container_order(sv, ns, pod, sorted({str(f[2]) for f in files if f[2]})))
    if not names:
        names = [None]  # only `kubectl logs POD` output pasted without -c: the pod's one log, its container unnamed
        if container:
            raise UsageError(f"container {container} is not valid for pod {pod}: its log was pasted without a container name")
    if all_containers or names == [None]:
        chosen = names
    elif container:
        if container not in names:
            raise UsageError(f"container {container} is not valid for pod {pod}: its log files are of {', '.join(str(n) for n in names)}")
        chosen = [container]
    else:
        default = _default_container(sv, ns, pod)
        if default in names:
            chosen = [default]
        elif len(names) == 1:
            chosen = names
        else:
            raise UsageError(f"a container name must be specified for pod {pod}, choose one of: [{' '.join(str(n) for n in names)}]")
    for cname in chosen:
        ids, now = _pick_files(files, cname, previous, include_rotated, pod)
        lower = None
        if since:
            secs = parse_duration_s(since)
            if secs is None:
                raise UsageError(f"invalid --since {since!r}: use a duration like 30s, 5m, 2h")
            lower = before(now or datetime.now().astimezone(), secs)
            if lower is None:
                raise UsageError(f"invalid --since {since!r}: too far back")
        if since_time:
            from analyzer.timeparse import parse_time

            lower = parse_time(since_time)
            if lower is None:
                raise UsageError(f"invalid --since-time {since_time!r}: use RFC 3339, e.g. 2023-10-03T16:00:00Z")
        order = " ".join(f"WHEN {fid} THEN {i}" for i, fid in enumerate(ids))
        lines = f"""SELECT ts, message, CASE file_id {order} END AS o, line_no FROM v_log_lines
                    WHERE file_id IN ({",".join(str(i) for i in ids)}) AND (?::TIMESTAMPTZ IS NULL OR ts >= ?::TIMESTAMPTZ)"""
        if tail is not None:
            sql = f"SELECT ts, message FROM (SELECT * FROM ({lines}) ORDER BY o DESC, line_no DESC LIMIT {max(0, int(tail))}) ORDER BY o, line_no"
        else:
            sql = f"SELECT ts, message FROM ({lines}) ORDER BY o, line_no"
        cur = sv.cursor().execute(sql, [lower, lower])
        pre = f"[pod/{cell(pod)}/{cell(cname or '?')}] " if prefix else ""
        while True:
            batch = cur.fetchmany(10000)
            if not batch:
                break
            for row in batch:
                ts, msg = row[0], row[1]
                # one record, one line: a CR or an escape sequence inside is shown, never acted on
                yield f"{pre}{rfc3339nano(ts) + ' ' if timestamps and ts else ''}{msg if isinstance(msg, str) and msg.isprintable() else line(msg)}\n"


def _no_previous(cname: str | None, pod: str) -> str:
    """kubectl's message; a log pasted or collected without its container's name names none (not "None")."""
    return f'previous terminated container "{cell(cname)}" in pod "{cell(pod)}" not found' if cname else f'previous terminated container in pod "{cell(pod)}" not found'


def _pick_files(files: list[tuple[object, ...]], cname: str | None, previous: bool, include_rotated: bool, pod: str) -> tuple[list[int], datetime | None]:
    mine = [f for f in files if f[2] == cname]
    on_node = [f for f in mine if f[6] != "kubectl-logs"]
    if on_node:
        restarts = sorted({int(f[3]) for f in on_node if f[3] is not None})  # type: ignore[call-overload]
        if not restarts:
            return [int(f[0]) for f in on_node], on_node[0][8]  # type: ignore[call-overload, return-value]
        want = restarts[-1] - 1 if previous else restarts[-1]
        picked = [f for f in on_node if f[3] == want and (include_rotated or not f[4])]
        if not picked:
            raise UsageError(_no_previous(cname, pod))
        picked.sort(key=lambda f: (not f[4], str(f[5] or "")))  # rotated segments first, oldest first
        return [int(f[0]) for f in picked], picked[0][8]  # type: ignore[call-overload, return-value]
    picked = [f for f in mine if bool(f[7]) == previous]
    if not picked:
        raise UsageError(_no_previous(cname, pod))
    return [int(f[0]) for f in picked], picked[0][8]  # type: ignore[call-overload, return-value]


def _pod_object(sv: SiteView, ns: str, pod: str) -> dict[str, Any]:
    rows = sv.q("SELECT raw FROM v_api_objects WHERE snapshot_id = $p0 AND kind = 'Pod' AND namespace = $p1 AND name = $p2", [sv.api_snapshot, ns, pod]) if sv.api_snapshot else []
    obj = stored_json(rows[0][0]) if rows else {}
    return obj if isinstance(obj, dict) else {}


def _container_order(sv: SiteView, ns: str, pod: str, names: list[str]) -> list[str]:
    """Containers in the pod spec's order (as --all-containers prints them), then any others."""
    spec = [c.get("name") for c in (_pod_object(sv, ns, pod).get("spec") or {}).get("containers") or []]
    return [n for n in spec if n in names] + [n for n in names if n not in spec]


def _default_container(sv: SiteView, ns: str, pod: str) -> str | None:
    ann = (_pod_object(sv, ns, pod).get("metadata") or {}).get("annotations") or {}
    v = ann.get("kubectl.kubernetes.io/default-container")
    return str(v) if v else None
