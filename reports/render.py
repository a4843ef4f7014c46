"""Render the single-file, offline HTML report of a site from the database."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import secrets
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from analyzer import __version__, sanitize
from analyzer.budgets import json_too_deep
from analyzer.store import Store
from reports import svg
from reports.contexts import (
    ContainerChain,
    EventRow,
    Events,
    FindingRow,
    ImageCell,
    ImageRow,
    Images,
    LogDirRow,
    LogFileRow,
    LogLineRow,
    Logs,
    ManifestRow,
    NodeRow,
    NodeSection,
    Overview,
    Pictures,
    PodChain,
    Problem,
    ProcessRow,
    Report,
)

LARGE_PODS = 400  # above this, per-container last lines and long lists are embedded as JSON and drawn on demand
LAST_LINES = 10
LARGE_LINES_BUDGET = 3 * 1024 * 1024  # bytes of last lines a large report embeds, worst pods first
REPORT_MEMORY_LIMIT = os.environ.get("KUBESNAP_REPORT_MEMORY_LIMIT", "512MB")  # DuckDB's, while a report is built
LARGE_TABLE_ROWS = 100  # rows of a long table a large report's page holds; the script draws the others a page at a time
KTHREAD = re.compile(r"^\[.*\]$")


def anchor(*parts: object) -> str:
    return "x-" + re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(str(p) for p in parts if p is not None))[:120]


def json_for_script(data: object) -> Markup:
    """JSON safe inside <script type="application/json">: no </script>, no HTML parsing surprises."""
    text = sanitize.json_visible(json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":")))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


# what each bundle of another tool's format could not provide (analyzer.formats.coverage, given by the CLI: the
# report reads the database and what it is handed, never the readers of bundles)
Coverage = Callable[[Any, str], list[dict[str, Any]]]


class Builder:
    def __init__(self, store: Store, site: str | None, coverage: Coverage | None = None) -> None:
        self.con = store.con
        self.site = store.pick_site(site)
        self.coverage = coverage

    def q(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    # ----------------------------------------------------------------- overview

    def overview(self) -> Overview:
        rows = self.q(
            """SELECT name, coalesce(role, ''), coalesce(ready, ''), coalesce(kubelet_version, ''), coalesce(runtime_version, ''),
                      coalesce(kernel_version, ''), coalesce(os_image, ''), coalesce(internal_ip, ''), collected_at, snapshot_id,
                      has_bundle, in_api FROM nodes WHERE site = ? ORDER BY CASE role WHEN 'control-plane' THEN 0 WHEN 'worker' THEN 1 ELSE 2 END, name""",
            [self.site],
        )
        times = [r[8].timestamp() for r in rows if r[8]]
        median = statistics.median(times) if times else None
        missing = defaultdict(list)
        for sid, cmds in self.q("SELECT snapshot_id, missing_commands FROM v_snapshots WHERE site = ?", [self.site]):
            missing[sid] = list(cmds or [])
        failed = dict(self.q(
            """SELECT snapshot_id, count(*) FROM collection_errors WHERE site = ? AND (error IS NOT NULL OR timed_out) AND coalesce(skipped, '') = ''
               GROUP BY 1""", [self.site]))  # fmt: skip
        nodes = []
        for name, role, ready, kubelet, runtime, kernel, os_, ip, collected, sid, has_bundle, in_api in rows:
            nodes.append(NodeRow(name=name, anchor=anchor("node", name), role=role, ready=ready, kubelet=kubelet, runtime=runtime, kernel=kernel, os=os_, ip=ip,
                                 collected_at=collected, clock_skew_s=(collected.timestamp() - median) if collected and median else None,
                                 missing=missing.get(sid, []), failed=failed.get(sid, 0), has_bundle=bool(has_bundle), in_api=bool(in_api)))  # fmt: skip
        cps = sum(1 for n in nodes if n.role == "control-plane" and n.in_api) or sum(1 for n in nodes if n.role == "control-plane")
        if cps == 0:
            quorum, ok = "no control plane seen", False
        elif cps == 1:
            quorum, ok = "1 control plane: no etcd quorum to lose, and no redundancy", False
        elif cps % 2 == 0:
            quorum, ok = f"{cps} control planes: an even etcd member count tolerates no more failures than {cps - 1}", False
        else:
            quorum, ok = f"{cps} control planes: a valid etcd quorum (tolerates {(cps - 1) // 2} failure{'s' if cps > 3 else ''})", True
        api = self.q("SELECT s.node, s.bundle_name FROM api_snapshots a JOIN v_snapshots s USING (snapshot_id) WHERE a.site = ?", [self.site])
        coll = self.q(
            """SELECT s.node, coalesce(array_to_string(r.argv, ' '), r.path), coalesce(r.error, r.skipped, 'truncated')
               FROM collection_errors r JOIN v_snapshots s USING (snapshot_id)
               WHERE r.site = ? AND NOT coalesce(r.skipped, '') LIKE 'private key%' ORDER BY 1, 2""",
            [self.site],
        )
        ing = self.q(
            """SELECT coalesce(s.node, ''), coalesce(p.member, ''), p.reason FROM v_ingest_problems p LEFT JOIN v_snapshots s USING (snapshot_id)
               WHERE s.site = ? OR s.site IS NULL ORDER BY 1, 2""",
            [self.site],
        )
        counts = self.q(
            """SELECT (SELECT count(DISTINCT snapshot_id || sandbox_id) FROM sandboxes WHERE snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $1)),
                      (SELECT count(*) FROM containers WHERE snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $1)),
                      (SELECT count(DISTINCT snapshot_id || pid) FROM v_processes WHERE snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $1)),
                      (SELECT coalesce(sum(size), 0) FROM v_log_files WHERE snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = $1))""",
            [self.site],
        )[0]
        have_findings = self.q("SELECT count(*) FROM information_schema.tables WHERE table_name = 'findings'")[0][0]
        site_missing = self.q(
            "SELECT coalesce(node, ''), coalesce(object, ''), message FROM v_findings WHERE site = ? AND rule = 'SITE_NODE_MISSING' ORDER BY 1",
            [self.site],
        ) if have_findings else []  # fmt: skip
        cover = [c for c in self.coverage(self.con, self.site) if c["format"] != "kubesnap"] if self.coverage else []
        return Overview(
            missing_nodes=[Problem(node=n, what=w, detail=d) for n, w, d in site_missing],
            coverage=[Problem(node=f"{c['bundle']} ({c['format']})", what=c["about"], detail=f"{c['state']}: {c['why']}") for c in cover],
            site=self.site, generated_at=datetime.now(UTC), version=__version__, nodes=nodes, control_planes=cps, quorum=quorum, quorum_ok=ok,
            api_from=(f"{api[0][0]} ({api[0][1]})" if api else "no kubectl dump in the bundles"),
            pod_count=counts[0], container_count=counts[1], process_count=counts[2], log_bytes=int(counts[3]),
            collection_problems=[Problem(node=n or "", what=w or "", detail=d or "") for n, w, d in coll],
            ingest_problems=[Problem(node=n, what=w, detail=d) for n, w, d in ing],
        )  # fmt: skip

    # ----------------------------------------------------------------- findings

    def findings(self, limit: int, anchors: set[str]) -> tuple[list[FindingRow], int, list[dict[str, Any]], dict[str, int]]:
        """The findings, most severe first (the first `limit` in the page, the rest as data), each linked to its pod or node
        when the report has a section for it; and the count per severity."""
        have = self.q("SELECT count(*) FROM information_schema.tables WHERE table_name = 'findings'")[0][0]
        if not have:
            return [], 0, [], {}
        rows = self.q(
            """SELECT f.severity, f.rule, coalesce(f.title, ''), coalesce(f.node, ''), coalesce(f.namespace, ''), coalesce(f.object, ''),
                      f.message, coalesce(f.evidence, '') FROM v_findings f WHERE f.site = ?
               ORDER BY CASE f.severity WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, f.rule, f.node, f.object""",
            [self.site],
        )
        out = []
        counts: dict[str, int] = {}
        for sev, rule, title, node, ns, obj, msg, ev in rows:
            a = next((x for x in (anchor("pod", node, ns, obj) if ns and obj else "", anchor("node", node) if node else "") if x in anchors), "")
            out.append(FindingRow(severity=sev, rule=rule, title=title, node=node, namespace=ns, object=obj, message=msg, evidence=ev, anchor=a))
            counts[sev] = counts.get(sev, 0) + 1
        return out[:limit], len(out), [f.model_dump() for f in out[limit:]], counts

    # ----------------------------------------------------------------- nodes

    def node_sections(self, large: bool) -> tuple[list[NodeSection], dict[str, Any]]:
        site = self.site
        snaps = self.q(
            """SELECT s.snapshot_id, s.node, coalesce(n.role, s.role) FROM v_snapshots s LEFT JOIN nodes n ON n.site = s.site AND n.name = s.node
               WHERE s.site = ? AND s.snapshot_id IN (SELECT snapshot_id FROM nodes WHERE site = ?)
               ORDER BY CASE coalesce(n.role, s.role) WHEN 'control-plane' THEN 0 WHEN 'worker' THEN 1 ELSE 2 END, s.node""",
            [site, site],
        )
        sids = [s[0] for s in snaps]
        if not sids:
            return [], {}
        in_sids = "snapshot_id IN (SELECT unnest(?::VARCHAR[]))"
        pp = self.q(
            f"""SELECT snapshot_id, coalesce(pod_id, ''), coalesce(namespace, ''), coalesce(pod, ''), coalesce(pod_uid, ''),
                       coalesce(container_id, ''), coalesce(container, ''), coalesce(image, ''), coalesce(image_id, ''),
                       coalesce(container_state, ''), attempt, shim_pid, pid, ppid, coalesce("user", ''), coalesce(command, ''),
                       coalesce(log_dir, ''), coalesce(join_method, ''), coalesce(role, '')
                FROM pod_processes WHERE {in_sids} ORDER BY snapshot_id, namespace, pod, container, pid""",
            [sids],
        )
        sb = {(r[0], r[1]): r[2:] for r in self.q(
            f"SELECT snapshot_id, sandbox_id, coalesce(state, ''), created_at, pause_pid, labels FROM sandboxes WHERE {in_sids}", [sids])}  # fmt: skip
        api = {(r[0], r[1]): r[2:] for r in self.q(
            "SELECT namespace, name, coalesce(status_text, phase, ''), restarts, annotations FROM pods WHERE site = ?", [site])}  # fmt: skip
        files = defaultdict(list)
        for r in self.q(
            f"""SELECT snapshot_id, coalesce(log_dir, ''), coalesce(container, ''), path, restart, coalesce(size, 0), coalesce(line_count, 0),
                       first_ts, last_ts, rotated, truncated, file_id FROM pod_logs WHERE {in_sids} ORDER BY path""",
            [sids],
        ):
            files[(r[0], r[1], r[2])].append(r)
        manifests = defaultdict(list)
        for sid, path, comp, name, images in self.q(
            f"SELECT snapshot_id, path, coalesce(component, ''), coalesce(pod_name, ''), coalesce(array_to_string(images, ', '), '') FROM v_manifests WHERE {in_sids}",
            [sids],
        ):
            manifests[sid].append((path, comp, name, images))
        tree = defaultdict(list)
        for r in self.q(
            f"""SELECT snapshot_id, pid, ppid, coalesce("user", ''), coalesce(command, ''), owner, coalesce(role, ''), coalesce(join_method, ''),
                       coalesce(pod, ''), coalesce(container, ''), coalesce(service, '') FROM process_tree WHERE {in_sids} ORDER BY snapshot_id, pid""",
            [sids],
        ):
            tree[r[0]].append(r)
        journal = defaultdict(list)
        for sid, line_no, ts, ident, sev, msg in self.q(
            f"""SELECT snapshot_id, line_no, ts, coalesce(ident, ''), severity, message FROM (
                  SELECT *, row_number() OVER (PARTITION BY snapshot_id ORDER BY ts DESC NULLS LAST) AS rn FROM journal_lines
                  WHERE {in_sids} AND severity IN ('E', 'F', 'W', 'error', 'fatal', 'warning', 'panic')) WHERE rn <= 30 ORDER BY ts""",
            [sids],
        ):
            journal[sid].append(LogLineRow(line_no=line_no, ts=ts, stream=f"{ident} {sev}", message=msg[:500]))
        by_dir: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)  # a pod's log directory: its files
        for (fsid, fdir, _c), frows in files.items():
            if fdir:
                by_dir[(fsid, fdir)].extend(frows)
        current_of: dict[int, int] = {}  # id() of a container's chain -> the file id of its current log
        lazy: dict[str, Any] = {}
        sections = []
        by_snapshot: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in pp:
            by_snapshot[r[0]].append(r)
        trees: dict[str, Any] = {}
        wanted: list[tuple[list[str], ContainerChain]] = []  # the containers whose last lines the page shows, with their pod's flags
        for sid, node, role in snaps:
            pods: dict[str, PodChain] = {}
            for (_s, pod_id, ns, pod, uid, cid, cname, image, image_id, cstate, attempt, shim, pid, ppid, user, cmd, log_dir, method,
                 prole) in by_snapshot.get(sid, []):  # fmt: skip
                key = pod_id or f"{ns}/{pod}"
                pc = pods.get(key)
                if pc is None:
                    state, created, pause, labels = sb.get((sid, pod_id), ("", None, None, None))
                    api_status, restarts, annotations = api.get((ns, pod), ("", None, None))
                    dirs = by_dir.get((sid, log_dir), [])
                    pc = PodChain(anchor=anchor("pod", node, ns, pod), namespace=ns, name=pod, uid=uid, sandbox_id=pod_id, state=state,
                                  created=created, shim_pid=None, pause_pid=pause, log_dir=log_dir,
                                  log_bytes=sum(f[5] for f in dirs), log_files=len(dirs), rotated=sum(1 for f in dirs if f[9]),
                                  api_status=api_status, restarts=restarts, manifest="", containers=[], flags=[],
                                  labels=_kv(labels), annotations=_kv(annotations))  # fmt: skip
                    pods[key] = pc
                if prole == "pause" and pid:
                    pc.pause_pid = pid
                    pc.shim_pid = pc.shim_pid or shim
                    continue
                if not cid:
                    continue
                cc = next((c for c in pc.containers if c.container_id == cid), None)
                if cc is None:
                    cfiles = files.get((sid, log_dir, cname), [])
                    cur = max((f for f in cfiles if not f[9]), key=lambda f: f[4] if f[4] is not None else -1, default=None)
                    cc = ContainerChain(container_id=cid, name=cname, image=image, image_id=image_id, state=cstate, attempt=attempt,
                                        shim_pid=shim, processes=[], join=method or "none", lines_key=anchor("lines", node, ns, pod, cname),
                                        files=[LogFileRow(path=f[3], restart=f[4], size=f[5], lines=f[6], first=f[7], last=f[8], rotated=f[9],
                                                          truncated=f[10]) for f in cfiles],
                                        last_lines=[])  # fmt: skip
                    if cur is not None and cur[11] is not None:
                        current_of[id(cc)] = cur[11]
                    pc.containers.append(cc)
                    pc.shim_pid = pc.shim_pid or shim
                if pid is not None:
                    cc.processes.append(ProcessRow(pid=pid, ppid=ppid, user=user, command=cmd, role=prole, join_method=method, depth=0))
                    if cc.join in ("none", "") or method == "inferred":
                        cc.join = method
            for pc in pods.values():
                for cc in pc.containers:
                    _depths(cc.processes)
                    if cc.state == "Running" and not any(p.pid for p in cc.processes):
                        pc.flags.append(f"{cc.name}: running, no process found")
                    elif cc.state not in ("Running", ""):
                        pc.flags.append(f"{cc.name}: {cc.state}")
                if pc.restarts:
                    pc.flags.append(f"restarts: {pc.restarts}")
                if pc.api_status and pc.api_status not in ("Running", "Succeeded", "Completed"):
                    pc.flags.append(pc.api_status)
                if large:
                    pc.annotations = {}
                    # a big site's page keeps the last lines of the pods that show a problem only
                    wanted.extend((pc.flags, cc) for cc in pc.containers if pc.flags and id(cc) in current_of)
                else:
                    wanted.extend(([], cc) for cc in pc.containers if id(cc) in current_of)
            mrows = []
            for path, comp, mname, images in manifests.get(sid, []):
                pod_name = f"{mname}-{node}" if mname else ""
                match = next((p for p in pods.values() if p.name in (pod_name, mname) and p.namespace in ("kube-system", "")), None)
                if match is not None:
                    match.manifest = path
                mrows.append(ManifestRow(path=path, component=comp, images=images, running=match is not None))
            procs = tree.get(sid, [])
            host_services = [ProcessRow(pid=r[1], ppid=r[2], user=r[3], command=r[4], role=r[10], join_method="", depth=0)
                             for r in procs if r[5] == "host-service"]  # fmt: skip
            others = [r for r in procs if r[5] == "host" and not KTHREAD.match(r[4])]
            tree_procs = [svg.TreeProc(r[1], r[2], r[4], r[5], f"{r[8]}/{r[9]}" if r[8] else r[10]) for r in procs if r[1] is not None and not KTHREAD.match(r[4]) and r[1] not in (2,)]
            if large:
                owners = list(svg.COLORS)
                trees[anchor("tree", node)] = [[p.pid, p.ppid, owners.index(p.owner) if p.owner in owners else 3, p.label[:90], p.detail[:60]] for p in tree_procs]
            sections.append(NodeSection(
                anchor=anchor("node", node), name=node, role=role or "", pods=sorted(pods.values(), key=lambda p: (p.namespace, p.name)),
                host_services=host_services,
                other_processes=[ProcessRow(pid=r[1], ppid=r[2], user=r[3], command=r[4], role="", join_method="", depth=0) for r in others[:60]],
                other_total=len(others), manifests=mrows, tree_svg=Markup("") if large else svg.process_tree(tree_procs),
                tree_key=anchor("tree", node), journal=journal.get(sid, []),
            ))  # fmt: skip
        last = self.last_lines([current_of[id(cc)] for _f, cc in wanted], 3 if large else LAST_LINES)
        candidates: list[tuple[int, str, list[LogLineRow]]] = []
        for flags, cc in wanted:
            lines = last.get(current_of[id(cc)], [])
            if not large:
                cc.last_lines = lines
            elif lines:
                candidates.append((_severity(flags), cc.lines_key, lines))
        # a big site's page keeps the last lines of the pods that show a problem, the worst first
        budget = LARGE_LINES_BUDGET
        for _sev, key, lines in sorted(candidates, key=lambda c: c[0]):
            rows = [[x.line_no, x.ts, x.stream, x.message[:200]] for x in lines]
            budget -= sum(len(str(r)) for r in rows)
            if budget < 0:
                break
            lazy[key] = rows
        have_lines = set(lazy)
        for sec in sections:
            for pc in sec.pods:
                for cc in pc.containers:
                    cc.lines_key = cc.lines_key if cc.lines_key in have_lines or not large else ""
        if not large:
            return sections, {"lines": lazy, "trees": trees}
        # a big site's pod chains are drawn by the page when their node is opened (or searched, or linked to)
        chains = {sec.anchor: [_pod_row(pc) for pc in sec.pods] for sec in sections}
        journals = {sec.anchor: [f"{_stamp(x.ts)} {x.stream} {x.message}" for x in sec.journal] for sec in sections if sec.journal}
        return sections, {"lines": lazy, "trees": trees, "chains": chains, "journal": journals}

    def last_lines(self, file_ids: list[int], n: int) -> dict[int, list[LogLineRow]]:
        """The last `n` lines of each of these log files (read from the last 3n line numbers: a joined partial line leaves gaps)."""
        last: dict[int, list[LogLineRow]] = defaultdict(list)
        if not file_ids:
            return last
        for fid, line_no, ts, stream, msg in self.q(
            f"""WITH f AS (SELECT file_id, max(line_no) AS m FROM v_log_lines WHERE file_id IN (SELECT unnest(?::BIGINT[])) GROUP BY file_id)
                SELECT l.file_id, l.line_no, l.ts, coalesce(l.stream, ''), left(l.message, 1000) FROM v_log_lines l
                JOIN f ON l.file_id = f.file_id AND l.line_no > f.m - {n * 3}
                ORDER BY l.file_id, l.line_no""",
            [sorted(set(file_ids))],
        ):
            last[fid].append(LogLineRow(line_no=line_no, ts=ts, stream=stream, message=msg))
        for fid in list(last):
            last[fid] = last[fid][-n:]
        return last

    # ----------------------------------------------------------------- images, logs, pictures

    def _image_nodes(self, nodes: list[str]) -> list[str]:
        """Nodes that reported images: a bastion without a runtime is not a column of the matrix."""
        have = {r[0] for r in self.q("SELECT DISTINCT s.node FROM images i JOIN v_snapshots s USING (snapshot_id) WHERE s.site = ?", [self.site])}
        return [n for n in nodes if n in have]

    def images(self, nodes: list[str]) -> Images:
        rows = self.q(
            """SELECT s.node, i.repo || ':' || coalesce(i.tag, '<none>'), coalesce(i.image_id, ''), coalesce(i.size_text, ''), i.size_bytes
               FROM images i JOIN v_snapshots s USING (snapshot_id) WHERE s.site = ? ORDER BY 2""",
            [self.site],
        )
        by_image: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        for node, image, iid, size_text, size_b in rows:
            by_image[image][node] = (iid, size_text or svg.crictl_size(size_b))
        out = []
        for image, per_node in sorted(by_image.items()):
            ids = [v[0].removeprefix("sha256:")[:13] for v in per_node.values() if v[0]]
            common = max(set(ids), key=ids.count) if ids else ""
            cells = []
            for n in nodes:
                v = per_node.get(n)
                if v is None:
                    cells.append(ImageCell(present=False, image_id="", size="", odd=False))
                else:
                    short = v[0].removeprefix("sha256:")[:13]
                    cells.append(ImageCell(present=True, image_id=short, size=v[1], odd=bool(short and common and short != common)))
            out.append(ImageRow(image=image, cells=cells, mismatch=len(set(ids)) > 1, partial=any(not c.present for c in cells)))
        return Images(nodes=nodes, rows=out)

    def logs(self) -> Logs:
        dirs = self.q(
            """SELECT s.node, coalesce(l.pod, ''), coalesce(l.namespace, ''), coalesce(l.log_dir, ''), sum(coalesce(l.size, 0)), count(*),
                      count(*) FILTER (WHERE l.rotated) FROM pod_logs l JOIN v_snapshots s USING (snapshot_id) WHERE s.site = ?
               GROUP BY ALL ORDER BY 5 DESC""",
            [self.site],
        )
        rows = [LogDirRow(node=n, pod=p, namespace=ns, log_dir=d, bytes=int(b), files=f, rotated=r, anchor=anchor("pod", n, ns, p)) for n, p, ns, d, b, f, r in dirs]
        highlights = self.q(
            """SELECT j.node, j.line_no, j.ts, coalesce(j.ident, '') || ' ' || coalesce(j.severity, ''), j.message FROM journal_lines j
               JOIN v_snapshots s USING (snapshot_id) WHERE s.site = ? AND j.severity IN ('E', 'F', 'error', 'fatal', 'panic')
               ORDER BY j.ts DESC NULLS LAST LIMIT 50""",
            [self.site],
        )
        return Logs(
            dirs=rows,
            bars_svg=svg.bars([(f"{r.node}: {r.namespace}/{r.pod}", r.bytes, r.anchor) for r in rows]),
            journal_highlights=[(n, LogLineRow(line_no=ln, ts=ts, stream=st, message=m[:500])) for n, ln, ts, st, m in highlights],
        )

    def pictures(self) -> Pictures:
        return Pictures(timeline_svg=svg.timeline(_thin(self.marks())))

    def marks(self) -> list[svg.Mark]:
        """What the report's time line shows, before thinning: collections, restarts, starts, events, journal errors."""
        marks: list[svg.Mark] = []
        for node, t in self.q("SELECT node, collected_at FROM v_snapshots WHERE site = ? AND collected_at IS NOT NULL", [self.site]):
            marks.append(svg.Mark(t, node, "collected", "bundle collected"))
        for node, t, pod, c, reason in self.q(
            """SELECT p.node_name, a.last_finished_at, a.pod, a.name, coalesce(a.last_reason, '') FROM v_api_containers a
               JOIN pods p ON p.namespace = a.namespace AND p.name = a.pod AND p.snapshot_id = a.snapshot_id
               WHERE p.site = ? AND a.last_finished_at IS NOT NULL""",
            [self.site],
        ):
            marks.append(svg.Mark(t, node or "?", "restart", f"{pod}/{c} {reason}"))
        for node, t, pod, c in self.q(
            """SELECT s.node, c.started_at, c.pod_name, c.name FROM containers c JOIN v_snapshots s USING (snapshot_id)
               WHERE s.site = ? AND c.started_at IS NOT NULL""",
            [self.site],
        ):
            marks.append(svg.Mark(t, node, "start", f"{pod}/{c} started"))
        for host, t, typ, reason, obj, msg in self.q(
            """SELECT coalesce(nullif(e.host, ''), e.namespace), e.last_seen, e.type, e.reason, e.kind || '/' || e.name, e.message FROM v_events e
               WHERE e.snapshot_id IN (SELECT snapshot_id FROM api_snapshots WHERE site = ?) AND e.last_seen IS NOT NULL""",
            [self.site],
        ):
            marks.append(svg.Mark(t, host or "cluster", "warning" if typ == "Warning" else "normal", f"{reason} {obj}: {msg}"))
        # kubelet / runtime / kernel errors: one mark per node and 10 minutes, with how many and the first
        for node, t, n, msg in self.q(
            """SELECT node, min(ts), count(*), arg_min(coalesce(ident, '') || ': ' || message, ts) FROM journal_lines j
                WHERE snapshot_id IN (SELECT snapshot_id FROM v_snapshots WHERE site = ?) AND ts IS NOT NULL
                  AND severity IN ('E', 'F', 'error', 'fatal', 'panic', 'crit')
                GROUP BY node, time_bucket(INTERVAL 10 MINUTES, ts)""",
            [self.site],
        ):
            marks.append(svg.Mark(t, node or "?", "journal", f"{n} error line(s) from here on, first: {msg}"))
        marks.sort(key=lambda m: m.t)
        return marks

    def events(self, limit: int = 500) -> Events:
        """The site's events, one row per object, reason and message (several dumps repeat them)."""
        rows = self.q(
            """WITH e AS (
                 SELECT e.*, row_number() OVER (PARTITION BY e.namespace, e.kind, e.name, e.reason, e.message
                                                ORDER BY coalesce(e.last_seen, e.first_seen) DESC NULLS LAST, e.count DESC NULLS LAST) AS rn
                 FROM v_events e JOIN v_snapshots s USING (snapshot_id) WHERE s.site = ?)
               SELECT coalesce(last_seen, first_seen), coalesce(last_seen_text, ''), coalesce(type, ''), coalesce(namespace, ''),
                      coalesce(lower(kind) || '/', '') || coalesce(name, ''), coalesce(reason, ''), count,
                      concat_ws(', ', nullif(component, ''), nullif(host, '')), coalesce(message, ''), count(*) OVER (),
                      count(*) FILTER (WHERE type = 'Warning') OVER ()
               FROM e WHERE rn = 1 ORDER BY (type = 'Warning') DESC, 1 DESC NULLS LAST, 5 LIMIT ?""",
            [self.site, limit],
        )
        out = [EventRow(last_seen=t, age=a, type=ty, namespace=ns, object=o, reason=r, count=c, source=src, message=m[:1000])
               for t, a, ty, ns, o, r, c, src, m, _n, _w in rows]  # fmt: skip
        return Events(rows=out, total=rows[0][9] if rows else 0, warnings=rows[0][10] if rows else 0)

    def build(self, large: bool | None = None) -> Report:
        ov = self.overview()
        large = ov.pod_count > LARGE_PODS if large is None else large
        nodes, lazy = self.node_sections(large)
        anchors = {n.anchor for n in nodes} | {p.anchor for n in nodes for p in n.pods}
        findings, total, more, by_sev = self.findings(300, anchors)
        logs = self.logs()
        if large:
            # the page holds the biggest log directories; the others are drawn, a page at a time, from the packed data
            lazy["dirs"] = [[d.node, d.anchor, f"{d.namespace}/{d.pod}", d.log_dir, svg.human_bytes(d.bytes), d.bytes, d.files, d.rotated]
                            for d in logs.dirs[LARGE_TABLE_ROWS:]]  # fmt: skip
            logs.dirs_total, logs.dirs = len(logs.dirs), logs.dirs[:LARGE_TABLE_ROWS]
        data = {"findings": more} if large else {"findings": more, **lazy}
        return Report(
            title=f"Kubesnap report: {self.site}",
            nonce=secrets.token_urlsafe(16),
            overview=ov,
            findings=findings,
            findings_total=total,
            findings_by_severity=by_sev,
            nodes=nodes,
            images=self.images(self._image_nodes([n.name for n in nodes])),
            logs=logs,
            pictures=self.pictures(),
            events=self.events(),
            data_json=json_for_script(data),
            packed=packed(lazy) if large else "",
            large=large,
        )


MAX_MARKS = 2500


def _thin(marks: list[svg.Mark]) -> list[svg.Mark]:
    """A big site's picture stays readable and small: past MAX_MARKS, the routine marks (container starts,
    normal events, journal errors) become one mark per node and time bucket that says how many (buckets of 10 minutes,
    widened until the picture fits); warnings, restarts and collections stay as they are."""
    if len(marks) <= MAX_MARKS:
        return marks
    routine_kinds = ("start", "normal", "journal")
    keep = [m for m in marks if m.kind not in routine_kinds]
    routine = [m for m in marks if m.kind in routine_kinds]
    bucket = 600
    while True:
        groups: dict[tuple[str, str, int], list[svg.Mark]] = defaultdict(list)
        for m in routine:
            groups[(m.kind, m.row, int(m.t.timestamp() // bucket))].append(m)
        if len(groups) + len(keep) <= MAX_MARKS or bucket > 86400 * 365:
            break
        bucket *= 4
    for ms in groups.values():
        first = ms[0]
        label = first.label if len(ms) == 1 else f"{len(ms)} x {first.kind} from here on, first: {first.label}"
        keep.append(svg.Mark(first.t, first.row, first.kind, label))
    keep.sort(key=lambda m: m.t)
    return keep


def _stamp(v: datetime | None) -> str:
    return v.strftime("%Y-%m-%d %H:%M:%SZ") if v else ""


def _pod_row(pc: PodChain) -> list[Any]:
    """A pod's chain as the page's script draws it (reports/static/report.js, drawPod): what the template shows of it, as
    text, in a fixed order."""
    containers = [
        [c.name, c.container_id, c.image, c.image_id.replace("sha256:", "")[:13], c.state, c.attempt, c.shim_pid, c.join,
         [[q.depth, q.pid, q.ppid, q.user, q.command, q.join_method] for q in c.processes],
         len(c.files), svg.human_bytes(sum(f.size for f in c.files)), sum(f.lines for f in c.files), c.lines_key]
        for c in pc.containers
    ]  # fmt: skip
    return [pc.anchor, pc.namespace, pc.name, pc.api_status, pc.flags, pc.manifest, pc.sandbox_id, pc.state, _stamp(pc.created), pc.uid,
            pc.shim_pid, pc.pause_pid, pc.log_dir, svg.human_bytes(pc.log_bytes), pc.log_files, pc.rotated,
            [f"{k}={v}" for k, v in pc.labels.items()], containers]  # fmt: skip


def packed(data: object) -> str:
    """JSON, gzip-compressed and base64-encoded: the lazily drawn parts of a big site's page, which the page inflates
    (DecompressionStream) when the reader first opens one of them. A page of a third of the size loads in a third of the time,
    and base64 holds no character that could end a <script> element."""
    text = sanitize.json_visible(json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":")))
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")


def _severity(flags: list[str]) -> int:
    """Which pods keep their last lines first when a big report must choose."""
    if any("no process" in f for f in flags):
        return 0
    if any(f.startswith("restarts") for f in flags) and len(flags) > 1:
        return 1
    if any(not f.startswith("restarts") for f in flags):
        return 2
    return 3


def _kv(v: object) -> dict[str, str]:
    """Labels or annotations as stored (a JSON text or a dict), without the bulky last-applied copy."""
    if isinstance(v, str):
        if json_too_deep(v):  # labels are flat: only a database someone else wrote holds a deep one
            return {}
        try:
            v = json.loads(v)
        except ValueError:
            return {}
    if not isinstance(v, dict):
        return {}
    # the kubelet's io.kubernetes.pod.* labels repeat the pod's name, namespace and uid
    return {str(k): str(x) for k, x in v.items()
            if k != "kubectl.kubernetes.io/last-applied-configuration" and not k.startswith("io.kubernetes.pod.")}  # fmt: skip


def _depths(procs: list[ProcessRow]) -> None:
    pids = {p.pid for p in procs}
    by = {p.pid: p for p in procs}
    for p in procs:
        d, cur, seen = 0, p, set()
        while cur.ppid in pids and cur.ppid not in seen and d < 20:
            seen.add(cur.ppid)
            cur = by[cur.ppid]
            d += 1
        p.depth = d


def _visible(value: object) -> object:
    return sanitize.text(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        # a value from a bundle is text: bidi overrides, zero-width characters and CRs are shown as escapes
        # (a right-to-left override would reverse what a name says); our own Markup (assets, data) passes as it is
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bytes"] = svg.human_bytes
    env.filters["ts"] = lambda v: v.strftime("%Y-%m-%d %H:%M:%SZ") if v else ""
    env.filters["short"] = lambda v, n=13: (v or "")[:n]
    env.filters["skew"] = lambda v: "" if v is None else (f"{v:+.0f} s" if abs(v) >= 1 else "0 s")
    return env


def asset(name: str) -> str:
    return (resources.files("reports") / "static" / name).read_text(encoding="utf-8")


def render_html(report: Report) -> str:
    tmpl = environment().get_template("report.html.j2")
    return tmpl.render(r=report, css=Markup(asset("report.css")), js=Markup(asset("report.js")))


def render_report(db: Path, out: Path, site: str | None = None, large: bool | None = None, coverage: Coverage | None = None) -> Report:
    """Write the report of `site` to `out`; `large` forces (or stops) the lazy drawing of big sites; `coverage` tells
    what the bundles of other tools' formats could not provide."""
    # DuckDB keeps what it read in memory up to its limit: the report's own, lower one keeps a big site's render within
    # bounds (it spills to disk beyond it)
    with Store(db, read_only=True, memory_limit=REPORT_MEMORY_LIMIT) as store:
        report = Builder(store, site, coverage).build(large)
    out.write_text(render_html(report), encoding="utf-8")
    return report
