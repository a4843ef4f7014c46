"""`kubesnap whois TARGET`: whose is this pid, container or sandbox id, log path, cgroup or pod name?

The answer is the chain the seed's walk builds by hand (seed/WALKTHROUGH.md): node -> pod -> sandbox ->
containers -> containerd-shim -> processes -> log directory and files, with restarts and the findings that
mention it. Where a link cannot be known from what was ingested (a paste of `crictl ps` has no process
list, a process outside every shim belongs to no pod) the answer says which link and why. A prefix or a
name that fits several objects gives the list of candidates instead.

Everything is read through the correlation views (analyzer.views), never the raw tables.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from analyzer.errors import UsageError
from analyzer.kubefmt import tabwriter
from analyzer.logpaths import POD_DIR, container_link, log_file_meta
from analyzer.parsers.proc_cgroup import LINE as CGROUP_LINE
from analyzer.parsers.proc_cgroup import classify
from analyzer.sanitize import cell, json_dumps
from analyzer.verbs import SiteView

# exit status of `kubesnap whois` (docs/whois.md): 0 found, 1 not found (as kubectl's NotFound), 4 ambiguous
EXIT_FOUND, EXIT_NOT_FOUND, EXIT_AMBIGUOUS = 0, 1, 4
MAX_TARGET = 4096
MAX_PIDS = 7  # a Linux pid has at most 7 digits (pid_max <= 4194304)
MAX_TREE = 400  # processes shown in one chain; the rest are counted
MAX_CANDIDATES = 50
HEX = re.compile(r"[0-9a-f]+")
DNS_NAME = re.compile(r"[a-z0-9][-a-z0-9.]*")  # a name, or the prefix of one (`kube-`)


# ------------------------------------------------------------------ what the target is


@dataclass(frozen=True)
class Target:
    """One way to read the target: a pid, an id (prefix), a pod (by name, uid or log directory), a container log link."""

    kind: str  # pid, id, pod
    pid: int | None = None
    id: str | None = None
    namespace: str | None = None
    pod: str | None = None
    pod_uid: str | None = None
    container: str | None = None
    restart: int | None = None
    cgroup: str | None = None  # the cgroup path, when the target was one
    log_path: str | None = None  # the log path, when the target was one
    prefix_ok: bool = False  # a pod name may be a prefix of the pod's (only when no pod has that exact name)

    def label(self) -> str:
        if self.kind == "pid":
            return f"pid {self.pid}" if self.pid is not None else f"the processes of cgroup {self.cgroup}"
        if self.kind == "id":
            return f"container or sandbox id {self.id}" + (f" (cgroup {self.cgroup})" if self.cgroup else "") + (f" ({self.log_path})" if self.log_path else "")
        what = f"{self.namespace}/{self.pod}" if self.namespace and self.pod else self.pod or f"uid {self.pod_uid}"
        if self.pod and self.pod_uid:
            what += f" (uid {self.pod_uid})"
        src = f" (log path {self.log_path})" if self.log_path else f" (cgroup {self.cgroup})" if self.cgroup else ""
        return f"pod {what}{src}"


def parse_target(text: str) -> list[Target]:
    """The ways `text` can be read, most specific first. A pid is also a hex id prefix and a pod name; an
    id is also a pod name (pod names may be all hex): the first reading that finds something wins."""
    t = text.strip()
    if not t:
        raise UsageError("whois: an empty target")
    if len(t) > MAX_TARGET:
        raise UsageError(f"whois: a target of {len(t)} characters (at most {MAX_TARGET})")
    out: list[Target] = []
    if "/" in t or t.endswith((".scope", ".slice")) or CGROUP_LINE.match(t):
        out += _path_targets(t)
        if out:
            return out
    low = t.lower()
    for scheme in ("containerd://", "cri-o://", "docker://", "crio://"):
        low = low.removeprefix(scheme)
    if low.isdecimal() and len(low) <= MAX_PIDS and low.isascii():
        out.append(Target("pid", pid=int(low)))
    if HEX.fullmatch(low) and len(low) >= 4 and len(low) <= 64:
        out.append(Target("id", id=low))
    ns, _, name = t.rpartition("/")
    if ns.lower() in ("pod", "pods", "po"):
        ns = ""
    if DNS_NAME.fullmatch(name) and (not ns or DNS_NAME.fullmatch(ns)):
        out.append(Target("pod", namespace=ns or None, pod=name, prefix_ok=True))
    if not out:
        raise UsageError(f"whois: {t!r} is not a pid, a container or sandbox id, a /var/log/pods or /var/log/containers path, a cgroup path or a pod name")
    return out


def _path_targets(t: str) -> list[Target]:
    m = CGROUP_LINE.match(t)  # a line of /proc/<pid>/cgroup: `0::/kubepods.slice/...`
    path = m.group("path") if m else t
    if "/var/log/containers/" in path:
        link = container_link(path, None)
        if link is not None and link.container_id:
            return [Target("id", id=link.container_id, log_path=path),
                    Target("pod", namespace=link.namespace, pod=link.pod, container=link.container, log_path=path)]  # fmt: skip
        return []
    if "/var/log/pods/" in path:
        p = path[path.index("/var/log/pods/") :].rstrip("/")
        parts = p.strip("/").split("/")
        if len(parts) < 4:
            return []
        meta = log_file_meta(p)
        d = POD_DIR.match(parts[3])
        if meta.get("layout") == "crio-id":
            return [Target("id", id=meta["container_id"], log_path=path), Target("pod", namespace=meta["namespace"], pod=meta["pod"], pod_uid=meta["pod_uid"], log_path=path)]
        if meta.get("layout") == "pods-old" or re.fullmatch(r"[0-9a-f-]{32,36}", parts[3]):
            return [Target("pod", pod_uid=parts[3], container=meta.get("container"), restart=meta.get("restart"), log_path=path)]
        if d:
            container = parts[4] if len(parts) >= 5 else None
            return [Target("pod", namespace=d["ns"], pod=d["pod"], pod_uid=d["uid"], container=container, restart=meta.get("restart"), log_path=path)]
        return []
    info = classify(path)
    out = []
    if info.container_id:
        out.append(Target("id", id=info.container_id, cgroup=path))
    if info.pod_uid:
        out.append(Target("pod", pod_uid=info.pod_uid, cgroup=path))
    if not out and (path.startswith("/") or m):
        out.append(Target("pid", pid=None, cgroup=path))  # a cgroup with no pod in its name: the processes in it
    return out


# ------------------------------------------------------------------ the answer


@dataclass
class Candidate:
    kind: str  # process, container, sandbox, pod
    node: str | None
    namespace: str | None
    pod: str | None
    id: str | None
    what: str  # one line: the container's name, the process's command...


@dataclass
class Process:
    pid: int
    ppid: int | None
    user: str | None
    role: str | None  # shim, pause, container, descendant, or None (not linked)
    container: str | None
    join: str | None  # join_method/evidence
    command: str | None
    depth: int = 0
    target: bool = False


@dataclass
class Container:
    id: str | None
    name: str | None
    image: str | None
    state: str | None
    attempt: int | None
    restarts: int | None  # the API's restartCount
    last_state: str | None
    pid: int | None
    shim_pid: int | None
    sandbox_id: str | None
    known_from: list[str] = field(default_factory=list)


@dataclass
class Chain:
    target: str
    matched: str  # how the target was read and what it matched
    node: str | None = None
    source: str | None = None  # the bundle or paste the node view comes from
    namespace: str | None = None
    pod: str | None = None
    pod_uid: str | None = None
    api: dict[str, Any] | None = None  # phase, status, node, ip, ready as the API (dump or paste) says
    sandboxes: list[dict[str, Any]] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)
    shim_pids: list[int] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    processes_not_shown: int = 0
    cgroup_pids: list[int] = field(default_factory=list)
    log_dir: str | None = None
    log_files: list[dict[str, Any]] = field(default_factory=list)
    log_links: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)

    def lack(self, link: str, why: str) -> None:
        self.missing.append({"link": link, "why": why})

    def missing_link(self, link: str) -> bool:
        return any(m["link"] == link for m in self.missing)


@dataclass
class WhoisResult:
    target: str
    status: str  # found, ambiguous, not-found
    chain: Chain | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why nothing was found

    @property
    def exit_code(self) -> int:
        return {"found": EXIT_FOUND, "ambiguous": EXIT_AMBIGUOUS}.get(self.status, EXIT_NOT_FOUND)


# ------------------------------------------------------------------ finding the anchors


@dataclass
class _Snap:
    snapshot_id: str
    node: str | None
    kind: str | None
    name: str | None
    rank: int  # lower is better: bundles first, then the latest


@dataclass
class _Anchor:
    key: tuple[Any, ...]
    snapshot_id: str | None
    node: str | None
    candidate: Candidate
    namespace: str | None = None
    pod: str | None = None
    pod_uid: str | None = None
    sandbox_id: str | None = None
    container_id: str | None = None
    pid: int | None = None
    prio: int = 0  # between records of one object: the lower, the richer (a runtime record before a cgroup path)

    def fill(self, other: _Anchor) -> None:
        """What `other` (a record of the same object) knows and this one does not."""
        for f in ("namespace", "pod", "pod_uid", "sandbox_id", "container_id", "node"):
            if getattr(self, f) is None and getattr(other, f) is not None:
                setattr(self, f, getattr(other, f))
        if self.candidate.namespace is None and self.candidate.pod is None:
            self.candidate.namespace, self.candidate.pod = self.namespace, self.pod


class Whois:
    def __init__(self, sv: SiteView, node: str | None) -> None:
        self.sv = sv
        self.only_node = node
        rows = sv.q(
            """SELECT snapshot_id, node, kind, coalesce(bundle_name, source) FROM v_snapshots WHERE site = $site
               ORDER BY CASE kind WHEN 'bundle' THEN 0 ELSE 1 END, collected_at DESC NULLS LAST, ingested_at DESC NULLS LAST, snapshot_id"""
        )
        self.snaps = {r[0]: _Snap(r[0], r[1], r[2], r[3], i) for i, r in enumerate(rows)}
        self.has_findings = bool(sv.q("SELECT 1 FROM information_schema.tables WHERE table_name = 'findings'"))

    def _q(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.sv.q(sql, params)

    def _in_site(self, anchors: list[_Anchor]) -> list[_Anchor]:
        """Anchors of this site (and node, with --node), one per identity: the best snapshot's."""
        best: dict[tuple[Any, ...], _Anchor] = {}
        for a in anchors:
            if a.snapshot_id is not None and a.snapshot_id not in self.snaps:
                continue
            if self.only_node and a.node != self.only_node:
                continue
            cur = best.get(a.key)
            if cur is None or (a.prio, self._rank(a)) < (cur.prio, self._rank(cur)):
                if cur is not None:
                    a.fill(cur)
                best[a.key] = a
            else:
                cur.fill(a)
        return list(best.values())

    @staticmethod
    def _merge_ids(anchors: list[_Anchor]) -> list[_Anchor]:
        """Records of one id on one node are one object, whatever their kind (the pause container's cgroup is
        its sandbox's id) and however much of the id they show (a 13-character crictl column, the full id)."""
        kept: list[_Anchor] = []
        for a in sorted(anchors, key=lambda a: (-len(a.candidate.id or ""), a.prio)):
            x = a.candidate.id or ""
            same = next((k for k in kept if k.node == a.node and (k.candidate.id or "").startswith(x)), None)
            if same is None:
                kept.append(a)
            elif a.prio < same.prio:
                a.fill(same)
                a.candidate.id = same.candidate.id  # the longest id seen
                kept[kept.index(same)] = a
            else:
                same.fill(a)
        return kept

    def _rank(self, a: _Anchor) -> int:
        return self.snaps[a.snapshot_id].rank if a.snapshot_id in self.snaps else len(self.snaps)

    # each returns the anchors one reading of the target finds

    def pid_anchors(self, t: Target) -> list[_Anchor]:
        out = []
        if t.pid is None and t.cgroup:
            rows = self._q("SELECT snapshot_id, node, pid FROM process_cgroup_ids WHERE path = $p0", [t.cgroup])
            return self._in_site([_Anchor(("cgroup", r[1], t.cgroup), r[0], r[1], Candidate("cgroup", r[1], None, None, None, t.cgroup)) for r in rows])
        for sid, node, pid, pod_id, cid, ns, pod, command in self._q(
            "SELECT snapshot_id, node, pid, pod_id, container_id, namespace, pod, command FROM process_tree WHERE pid = $p0", [t.pid]
        ):
            out.append(_Anchor(("pid", node, pid), sid, node, Candidate("process", node, ns, pod, str(pid), command or ""), ns, pod, None, pod_id, cid, pid))
        for sid, node, cid, sbid, name, pod, ns in self._q(
            "SELECT snapshot_id, node, container_id, sandbox_id, name, pod_name, pod_namespace FROM containers WHERE pid = $p0", [t.pid]
        ):
            out.append(_Anchor(("pid", node, t.pid), sid, node, Candidate("process", node, ns, pod, str(t.pid), f"init process of container {name}"),
                               ns, pod, None, sbid, cid, t.pid))  # fmt: skip
        for sid, node, sbid, name, ns in self._q("SELECT snapshot_id, node, sandbox_id, name, namespace FROM sandboxes WHERE pause_pid = $p0", [t.pid]):
            out.append(_Anchor(("pid", node, t.pid), sid, node, Candidate("process", node, ns, name, str(t.pid), "pause process"), ns, name, None, sbid, None, t.pid))
        return self._in_site(out)

    def id_anchors(self, t: Target) -> list[_Anchor]:
        x = t.id or ""
        match = "(starts_with({c}, $p0) OR (length({c}) >= 12 AND starts_with($p0, {c})))"
        out = []
        for sid, node, cid, sbid, name, pod, ns, image in self._q(
            f"""SELECT c.snapshot_id, c.node, c.container_id, c.sandbox_id, c.name, coalesce(sb.name, c.pod_name), coalesce(sb.namespace, c.pod_namespace), c.image
                FROM containers c LEFT JOIN sandboxes sb ON sb.snapshot_id = c.snapshot_id AND sb.sandbox_id = c.sandbox_id
                WHERE {match.format(c="c.container_id")}""",
            [x],
        ):
            out.append(_Anchor(("container", node, cid), sid, node, Candidate("container", node, ns, pod, cid, f"container {name} ({image})"),
                               ns, pod, None, sbid, cid, prio=0))  # fmt: skip
        for sid, node, sbid, name, ns, uid, state in self._q(
            f"SELECT snapshot_id, node, sandbox_id, name, namespace, pod_uid, state FROM sandboxes WHERE {match.format(c='sandbox_id')}", [x]
        ):
            out.append(_Anchor(("sandbox", node, sbid), sid, node, Candidate("sandbox", node, ns, name, sbid, f"sandbox ({state or 'state unknown'})"),
                               ns, name, uid, sbid, prio=1))  # fmt: skip
        # a sandbox seen only as a shim's -id (a `ps -ef` paste with no crictl)
        for sid, node, sbid, pid in self._q(
            f"SELECT snapshot_id, node, pod_id, pid FROM process_tree WHERE role = 'shim' AND pod_id IS NOT NULL AND {match.format(c='pod_id')}", [x]
        ):
            out.append(_Anchor(("sandbox", node, sbid), sid, node, Candidate("sandbox", node, None, None, sbid, f"sandbox of shim pid {pid}"), sandbox_id=sbid, prio=2))
        for sid, node, cid, ns, pod, container in self._q(
            f"SELECT snapshot_id, node, container_id, namespace, pod, container FROM container_log_paths WHERE container_id IS NOT NULL AND {match.format(c='container_id')}",
            [x],
        ):
            out.append(_Anchor(("container", node, cid), sid, node, Candidate("container", node, ns, pod, cid, f"container {container} (log link)"),
                               ns, pod, None, None, cid, prio=3))  # fmt: skip
        for sid, node, cid, uid in self._q(
            f"SELECT DISTINCT snapshot_id, node, container_id, pod_uid FROM process_cgroup_ids WHERE container_id IS NOT NULL AND {match.format(c='container_id')}",
            [x],
        ):
            out.append(_Anchor(("container", node, cid), sid, node, Candidate("container", node, None, None, cid, "container (cgroup of a process)"),
                               None, None, uid, None, cid, prio=4))  # fmt: skip
        # the API's container ids (a dump, or a pasted describe pod): the pod's node is the API's
        for ns, pod, name, cid, node in self._q(
            f"""SELECT c.namespace, c.pod, c.name, c.container_id, p.node_name FROM api_pod_containers c
                JOIN pods p ON p.site = c.site AND p.name = c.pod AND p.namespace IS NOT DISTINCT FROM c.namespace
                WHERE c.site = $site AND c.container_id IS NOT NULL AND {match.format(c="c.container_id")}""",
            [x],
        ):
            out.append(_Anchor(("container", node, cid), None, node, Candidate("container", node, ns, pod, cid, f"container {name} (API)"), ns, pod, None, None, cid, prio=5))
        return self._merge_ids(self._in_site(out))

    def pod_anchors(self, t: Target) -> list[_Anchor]:
        anchors = self._pod_rows(t, exact=True)
        if not anchors and t.prefix_ok and t.pod:
            anchors = self._pod_rows(t, exact=False)
        # one pod per (namespace, name): a source that did not know the namespace joins the one that did
        by_name: dict[str, set[str]] = {}
        for a in anchors:
            if a.namespace:
                by_name.setdefault(a.pod or "", set()).add(a.namespace)
        merged: dict[tuple[Any, ...], _Anchor] = {}
        for a in anchors:
            ns = a.namespace or (next(iter(by_name[a.pod or ""])) if len(by_name.get(a.pod or "", ())) == 1 else None)
            key = ("pod", ns, a.pod)
            cur = merged.get(key)
            a.namespace, a.key = ns, key
            a.candidate.namespace = ns
            if cur is None or (cur.snapshot_id is None and a.snapshot_id is not None) or (
                a.snapshot_id is not None and cur.snapshot_id is not None and self._rank(a) < self._rank(cur)
            ):
                if cur is not None:
                    a.node = a.node or cur.node
                    a.pod_uid = a.pod_uid or cur.pod_uid
                merged[key] = a
            else:
                cur.node = cur.node or a.node
                cur.pod_uid = cur.pod_uid or a.pod_uid
        return list(merged.values())

    def _pod_rows(self, t: Target, exact: bool) -> list[_Anchor]:
        name_sql = "{c} = $p0" if exact else "starts_with({c}, $p0)"
        uid = (t.pod_uid or "").replace("-", "").replace("_", "") or None
        out = []

        def where(name_col: str, ns_col: str, uid_col: str) -> str:
            conds = []
            if t.pod:
                conds.append(name_sql.format(c=name_col))
                if t.namespace:
                    conds.append(f"({ns_col} = $p1 OR {ns_col} IS NULL)")
            if uid:
                conds.append(f"replace({uid_col}, '-', '') = $p2")
            return " AND ".join(conds) or "false"

        params = [t.pod or "", t.namespace or "", uid or ""]
        for ns, name, pod_uid, node in self._q(
            f"SELECT namespace, name, uid, node_name FROM pods WHERE site = $site AND {where('name', 'namespace', 'uid')}", params
        ):
            out.append(_Anchor(("pod", ns, name), None, node, Candidate("pod", node, ns, name, pod_uid, "API"), ns, name, pod_uid))
        for sid, node, sbid, ns, name, pod_uid, known in self._q(
            f"SELECT snapshot_id, node, sandbox_id, namespace, name, pod_uid, known_from FROM runtime_pods WHERE {where('name', 'namespace', 'pod_uid')}", params
        ):
            out.append(_Anchor(("pod", ns, name), sid, node, Candidate("pod", node, ns, name, sbid, f"runtime ({known})"), ns, name, pod_uid, sbid))
        for sid, node, ns, name, pod_uid in self._q(
            f"SELECT DISTINCT snapshot_id, node, namespace, pod, pod_uid FROM pod_logs WHERE layout <> 'kubectl-logs' AND pod IS NOT NULL AND {where('pod', 'namespace', 'pod_uid')}", params
        ):
            out.append(_Anchor(("pod", ns, name), sid, node, Candidate("pod", node, ns, name, pod_uid, "log directory"), ns, name, pod_uid))
        # only the uid known (a cgroup path, an old log directory): the pod's name may be nowhere but the processes' cgroups
        if uid and not t.pod and not out:
            for sid, node, pod_uid in self._q("SELECT DISTINCT snapshot_id, node, pod_uid FROM process_cgroup_ids WHERE replace(pod_uid, '-', '') = $p2", params):
                out.append(_Anchor(("pod-uid", node, pod_uid), sid, node, Candidate("pod", node, None, None, pod_uid, "cgroup of its processes"), pod_uid=pod_uid))
        return self._in_site(out)

    # ------------------------------------------------------------------ resolving

    def resolve(self, text: str) -> WhoisResult:
        reasons = []
        for t in parse_target(text):
            anchors = {"pid": self.pid_anchors, "id": self.id_anchors, "pod": self.pod_anchors}[t.kind](t)
            if len(anchors) == 1:
                return WhoisResult(text, "found", self.chain(text, t, anchors[0]))
            if len(anchors) > 1:
                cands = sorted((a.candidate for a in anchors), key=lambda c: (c.node or "", c.kind, c.namespace or "", c.pod or "", c.id or ""))
                return WhoisResult(text, "ambiguous", candidates=cands[:MAX_CANDIDATES],
                                   reasons=[f"{t.label()} fits {len(anchors)} objects" + (" (--node NAME picks one node)" if t.kind == "pid" else "")])  # fmt: skip
            reasons.append(self._not_found(t))
        return WhoisResult(text, "not-found", reasons=reasons)

    def _not_found(self, t: Target) -> str:
        where = f" on node {self.only_node}" if self.only_node else ""
        if t.kind == "pid":
            if t.pid is None:
                return f"no process of this database is in cgroup {t.cgroup}"
            have = self._q("SELECT count(DISTINCT snapshot_id) FROM process_tree")[0][0]
            if not have:
                return f"pid {t.pid}: no process list (ps) in this database, and no runtime record names that pid"
            return f"pid {t.pid}: no process with that pid in the process lists{where}"
        if t.kind == "id":
            return f"{t.label()}: no container, sandbox, shim, log link or API container has an id starting so{where}"
        return f"{t.label()}: neither the API view, the runtimes nor the log directories know such a pod{where}"

    # ------------------------------------------------------------------ the chain

    def chain(self, text: str, t: Target, a: _Anchor) -> Chain:
        matched = f"{t.label()} -> {a.candidate.kind} {a.candidate.id}" if t.kind == "id" else t.label()
        c = Chain(text, matched, node=a.node,
                  namespace=a.namespace, pod=a.pod, pod_uid=a.pod_uid)  # fmt: skip
        sid = a.snapshot_id
        if sid is None and a.node:
            sid = self._best_snapshot(a.node)
        if t.kind == "pid" and t.pid is None:  # a cgroup path with no pod in it: its processes
            c.cgroup_pids = [r[0] for r in self._q("SELECT DISTINCT pid FROM process_cgroup_ids WHERE snapshot_id = $p0 AND path = $p1 ORDER BY 1", [sid, t.cgroup])]
        snap = self.snaps.get(sid or "")
        where = self._where(snap)
        c.source = self._source(snap)
        if c.node == "unknown":
            c.lack("node", "the paste did not name its node: ingest it with --node NAME")
        # the pod, from what the anchor says or from the records of its sandbox / container / process
        sbid, cid = a.sandbox_id, a.container_id
        if sid and a.pid is not None:  # what the process's own cgroup says
            cg = self._q("SELECT pod_uid, container_id, path FROM process_cgroup_ids WHERE snapshot_id = $p0 AND pid = $p1 AND (pod_uid IS NOT NULL OR container_id IS NOT NULL)",
                         [sid, a.pid])  # fmt: skip
            if cg:
                c.pod_uid = c.pod_uid or cg[0][0]
                cid = cid or cg[0][1]
        if sid and cid and not sbid:
            r = self._q("SELECT sandbox_id FROM containers WHERE snapshot_id = $p0 AND container_id = $p1", [sid, cid])
            sbid = r[0][0] if r else None
            if not r and a.pid is not None:
                c.lack("container", f"pid {a.pid} is in the cgroup of container {cid[:13]}, which the runtime of {c.node} does not list")
        if sid and sbid and not c.pod:
            r = self._q("SELECT namespace, name, pod_uid FROM runtime_pods WHERE snapshot_id = $p0 AND sandbox_id = $p1", [sid, sbid])
            if r:
                c.namespace, c.pod, c.pod_uid = r[0][0], r[0][1], c.pod_uid or r[0][2]
        if sid and c.pod_uid and not c.pod:
            r = self._q("SELECT DISTINCT namespace, name FROM runtime_pods WHERE snapshot_id = $p0 AND replace(pod_uid, '-', '') = $p1", [sid, c.pod_uid.replace("-", "")])
            r = r or self._q("SELECT DISTINCT namespace, pod FROM pod_logs WHERE layout <> 'kubectl-logs' AND snapshot_id = $p0 AND replace(pod_uid, '-', '') = $p1", [sid, c.pod_uid.replace("-", "")])
            if len(r) == 1:
                c.namespace, c.pod = r[0]
        self._api(c)
        if c.node is None and c.api and c.api.get("node"):
            c.node = c.api["node"]
            sid = self._best_snapshot(c.node)
            snap = self.snaps.get(sid or "")
            where = self._where(snap)
            c.source = self._source(snap)
        if c.node is None:
            c.lack("node", "the pod is not scheduled on any node" if c.api else "no record of it names a node")
        elif sid is None:
            c.lack("node view", f"no bundle or paste of node {c.node} was ingested: no sandbox, containers, shim, processes or log files")
        host_process = t.kind == "pid" and not (sbid or cid or c.pod or c.pod_uid)
        if sid is not None and host_process:
            self._processes(c, sid, a, t, where)
        elif sid is not None:
            self._runtime(c, sid, sbid, cid, where)
            self._processes(c, sid, a, t, where)
            self._logs(c, sid, t, where)
        if c.pod is None and not c.missing_link("pod"):
            c.lack("pod", self._why_no_pod(c, a, t, sid))
        self._findings(c, a)
        return c

    def _best_snapshot(self, node: str) -> str | None:
        return next((s.snapshot_id for s in sorted(self.snaps.values(), key=lambda s: s.rank) if s.node == node), None)

    @staticmethod
    def _source(snap: _Snap | None) -> str | None:
        if snap is None:
            return None
        return f"bundle {snap.name}" if snap.kind == "bundle" else f"pasted text, first file {snap.name}"

    @staticmethod
    def _where(snap: _Snap | None) -> str:
        if snap is None:
            return "this database"
        return f"bundle {snap.name}" if snap.kind == "bundle" else f"the pastes of node {snap.node}"

    def _api(self, c: Chain) -> None:
        if not c.pod:
            return
        rows = self._q(
            """SELECT namespace, name, uid, node_name, phase, status_text, ready_text, pod_ip, host_ip, restarts, source, qos_class, static
               FROM pods WHERE site = $site AND name = $p0 AND ($p1 IS NULL OR namespace = $p1 OR namespace IS NULL)
               ORDER BY namespace NULLS LAST""",
            [c.pod, c.namespace],
        )
        if not rows:
            has_api = self._q("SELECT count(*) FROM pods WHERE site = $site")[0][0]
            c.lack("API", "no kubectl view lists this pod" if has_api else "no kubectl dump or pasted kubectl output in this database")
            return
        ns, _name, uid, node, phase, status, ready, ip, host_ip, restarts, source, qos, static = rows[0]
        c.namespace = c.namespace or ns
        c.api = {"uid": uid, "source": source, "phase": phase, "status": status or phase, "ready": ready, "node": node, "pod_ip": ip, "host_ip": host_ip,
                 "restarts": restarts, "qos": qos, "static": static}  # fmt: skip
        if c.node and node and node != c.node:
            c.lack("node", f"the API places the pod on {node}, the runtime record is from {c.node}")

    def _runtime(self, c: Chain, sid: str, sbid: str | None, cid: str | None, where: str) -> None:
        sb_rows = self._q(
            """SELECT sandbox_id, state, created_at, created_text, pause_pid, ip, log_directory, pod_uid, namespace, name FROM sandboxes
               WHERE snapshot_id = $p0 AND (sandbox_id = $p1 OR ($p2 IS NOT NULL AND name = $p2 AND ($p3 IS NULL OR namespace = $p3)))
               ORDER BY created_at DESC NULLS LAST""",
            [sid, sbid, c.pod, c.namespace],
        )
        for s, state, created, ctext, pause, ip, logd, uid, ns, name in sb_rows:
            c.sandboxes.append({"id": s, "state": state, "created": created.isoformat() if created else ctext, "pause_pid": pause, "ip": ip})
            c.log_dir = c.log_dir or logd
            c.pod_uid = uid or c.pod_uid  # the node's uid (a static pod's is its config hash, not the API's)
            c.namespace, c.pod = c.namespace or ns, c.pod or name
        sbids = [s["id"] for s in c.sandboxes] or ([sbid] if sbid else [])
        rows = self._q(
            """SELECT container_id, name, image, state, attempt, pid, sandbox_id, sources FROM containers
               WHERE snapshot_id = $p0 AND (list_contains($p1, sandbox_id) OR container_id = $p2
                     OR ($p3 IS NOT NULL AND pod_name = $p3 AND ($p4 IS NULL OR pod_namespace IS NULL OR pod_namespace = $p4)))
               ORDER BY name, attempt DESC NULLS LAST""",
            [sid, sbids, cid, c.pod, c.namespace],
        )
        api = {r[0]: r[1:] for r in self._q(
            """SELECT name, restart_count, last_state, last_reason, last_exit_code FROM api_pod_containers
               WHERE site = $site AND pod = $p0 AND ($p1 IS NULL OR namespace IS NULL OR namespace = $p1)""", [c.pod or "", c.namespace])}  # fmt: skip
        for s, name, image, state, attempt, pid, sb, sources in rows:
            a = api.get(name)
            last = " ".join(str(x) for x in (a[1], a[2], f"exit {a[3]}" if a and a[3] is not None else None) if x) if a else None
            c.containers.append(Container(s, name, image, state, attempt, a[0] if a else None, last or None, pid, None, sb, list(sources or [])))
        if not c.sandboxes and not sbids:
            have = self._q("SELECT count(*) FROM sandboxes WHERE snapshot_id = $p0", [sid])[0][0]
            c.lack("sandbox", f"no crictl pods / inspectp in {where}" if not have else f"the runtime of {c.node} lists no sandbox for it")
        elif not c.sandboxes:
            c.sandboxes.append({"id": sbids[0], "state": None, "created": None, "pause_pid": None, "ip": None, "note": "id as crictl ps / the shim shows it"})
        if not c.containers:
            have = self._q("SELECT count(*) FROM containers WHERE snapshot_id = $p0", [sid])[0][0]
            c.lack("containers", f"no crictl ps / inspect in {where}" if not have else f"the runtime of {c.node} lists no container for it")

    def _processes(self, c: Chain, sid: str, a: _Anchor, t: Target, where: str) -> None:
        have = self._q("SELECT count(*) FROM process_tree WHERE snapshot_id = $p0", [sid])[0][0]
        sbids = [s["id"] for s in c.sandboxes]
        cids = [x.id for x in c.containers if x.id]
        linked = self._q(
            """SELECT DISTINCT pid, shim_pid, container_id FROM pod_processes WHERE snapshot_id = $p0 AND (list_contains($p1, pod_id) OR list_contains($p2, container_id))""",
            [sid, sbids, cids],
        )
        shims = sorted({r[1] for r in linked if r[1] is not None})
        shims += [r[0] for r in self._q("SELECT pid FROM process_tree WHERE snapshot_id = $p0 AND role = 'shim' AND list_contains($p1, pod_id)", [sid, sbids]) if r[0] not in shims]
        c.shim_pids = sorted(shims)
        for x in c.containers:
            x.shim_pid = next((r[1] for r in linked if r[2] == x.id and r[1] is not None), None)
            x.pid = x.pid if x.pid is not None else min((r[0] for r in linked if r[2] == x.id and r[0] is not None), default=None)
        if not have:
            c.lack("processes", f"no process list (ps) in {where}: no shim, no process tree")
            return
        for x in c.containers:
            if x.state == "Running" and x.pid is None:
                c.lack("process", f"container {x.name} ({(x.id or '?')[:13]}) is Running but the process list of {where} has no process of it")
        roots = list(c.shim_pids) or sorted({r[0] for r in linked if r[0] is not None})
        if a.pid is not None:
            focus = a.pid
        elif c.cgroup_pids:
            focus = None
            roots = roots or c.cgroup_pids
        else:
            focus = None
        if focus is not None and not roots:
            # a process outside every pod: where it sits in the tree, and what owns it
            row = self._q("SELECT owner, service, role FROM process_tree WHERE snapshot_id = $p0 AND pid = $p1", [sid, focus])
            owner, service, _role = row[0] if row else (None, None, None)
            cg = self._q("SELECT path, pod_uid, container_id FROM process_cgroup_ids WHERE snapshot_id = $p0 AND pid = $p1 ORDER BY path", [sid, focus])
            cg_ids = [(p, u, i) for p, u, i in cg if u or i]
            if cg_ids:
                p, u, i = cg_ids[0]
                c.pod_uid = c.pod_uid or u
                c.lack("pod", f"pid {focus} is not under any shim, but its cgroup {p} names " + (f"container {i[:13]} " if i else "")
                       + (f"of pod uid {u} " if u else "") + "which the runtime does not list")  # fmt: skip
            else:
                what = f"a host process (service {service})" if service else "a host process" if owner in ("host", "host-service") else "not linked to a pod"
                c.lack("pod", f"pid {focus} is not under any shim and its cgroup names no pod: {what}")
            roots = []
        self._tree(c, sid, roots, focus)
        if roots and not c.shim_pids and sbids:
            c.lack("shim", f"no containerd-shim process names sandbox {(sbids or ['?'])[0][:13]} in the process list of {where}")
        elif not roots and focus is None:
            c.lack("processes", f"the process list of {where} has no process of this pod")

    def _tree(self, c: Chain, sid: str, roots: list[int], focus: int | None) -> None:
        pairs = self._q("SELECT pid, ppid FROM process_tree WHERE snapshot_id = $p0", [sid])
        parent = {p: pp for p, pp in pairs}
        kids: dict[int, list[int]] = {}
        for p, pp in pairs:
            if pp is not None and pp != p:
                kids.setdefault(pp, []).append(p)
        order: list[tuple[int, int]] = []
        seen: set[int] = set()
        if focus is not None:
            chain_up: list[int] = []
            cur: int | None = focus
            while cur is not None and cur in parent and cur not in seen and len(chain_up) < 64:
                seen.add(cur)
                chain_up.append(cur)
                cur = parent[cur]
            seen.clear()
            top = [p for p in reversed(chain_up) if p != focus]
            order += [(i, p) for i, p in enumerate(top)]
            seen.update(top)
            if not roots or focus not in self._under(roots, kids):
                roots = [focus]
                base = len(top)
            else:
                base = 0
                order, seen = [], set()
        else:
            base = 0
        stack = [(base, r) for r in sorted(roots, reverse=True)]
        while stack:
            depth, p = stack.pop()
            if p in seen:
                continue
            seen.add(p)
            order.append((depth, p))
            stack += [(depth + 1, k) for k in sorted(kids.get(p, []), reverse=True)]
        c.processes_not_shown = max(0, len(order) - MAX_TREE)
        order = order[:MAX_TREE]
        pids = [p for _d, p in order]
        info = {r[0]: r[1:] for r in self._q(
            """SELECT pid, ppid, "user", role, container, CASE WHEN join_method <> '' THEN join_method || coalesce('/' || (SELECT any_value(evidence) FROM pod_processes x
                    WHERE x.snapshot_id = t.snapshot_id AND x.pid = t.pid), '') END, command
               FROM process_tree t WHERE snapshot_id = $p0 AND list_contains($p1, pid)""", [sid, pids])}  # fmt: skip
        for depth, p in order:
            ppid, user, role, container, join, command = info.get(p, (parent.get(p), None, None, None, None, None))
            c.processes.append(Process(p, ppid, user, role, container, join, command, depth, p == focus))

    @staticmethod
    def _under(roots: list[int], kids: dict[int, list[int]]) -> set[int]:
        out: set[int] = set()
        stack = list(roots)
        while stack:
            p = stack.pop()
            if p in out:
                continue
            out.add(p)
            stack += kids.get(p, [])
        return out

    def _logs(self, c: Chain, sid: str, t: Target, where: str) -> None:
        if c.pod:
            rows = self._q(
                """SELECT log_dir, container, restart, path, size, line_count, first_ts, last_ts, rotated, truncated FROM pod_logs
                   WHERE layout <> 'kubectl-logs' AND snapshot_id = $p0 AND pod = $p1 AND ($p2 IS NULL OR namespace = $p2)
                   ORDER BY container, restart, rotated DESC, path""",
                [sid, c.pod, c.namespace],
            )
        elif c.pod_uid:
            rows = self._q(
                """SELECT log_dir, container, restart, path, size, line_count, first_ts, last_ts, rotated, truncated FROM pod_logs
                   WHERE layout <> 'kubectl-logs' AND snapshot_id = $p0 AND replace(pod_uid, '-', '') = $p1 ORDER BY container, restart, path""",
                [sid, c.pod_uid.replace("-", "")],
            )
        else:
            rows = []
        for logd, container, restart, path, size, lines, first, last, rotated, truncated in rows:
            c.log_dir = c.log_dir or logd
            c.log_files.append({"path": path, "container": container, "restart": restart, "size": size, "lines": lines,
                                "first": first.isoformat() if first else None, "last": last.isoformat() if last else None,
                                "rotated": bool(rotated), "truncated": bool(truncated), "target": t.log_path is not None and path == t.log_path})  # fmt: skip
        if not c.log_dir and c.pod:
            r = self._q("SELECT any_value(log_dir) FROM pod_processes WHERE snapshot_id = $p0 AND pod = $p1 AND log_dir IS NOT NULL", [sid, c.pod])
            c.log_dir = r[0][0] if r else None
        if not c.pod_uid and c.api and c.api.get("uid"):
            c.pod_uid = c.api["uid"]
        if not c.log_dir and c.namespace and c.pod and c.pod_uid:
            c.log_dir = f"/var/log/pods/{c.namespace}_{c.pod}_{c.pod_uid}"
        cids = [x.id for x in c.containers if x.id]
        for path, container, cid, target in self._q(
            """SELECT path, container, container_id, target FROM container_log_paths WHERE snapshot_id = $p0
               AND (list_contains($p1, container_id) OR ($p2 IS NOT NULL AND pod = $p2 AND ($p3 IS NULL OR namespace = $p3))) ORDER BY path""",
            [sid, cids, c.pod, c.namespace],
        ):
            c.log_links.append({"path": path, "container": container, "container_id": cid, "target": target})
        if not c.log_files:
            have = self._q("SELECT count(*) FROM pod_logs WHERE layout <> 'kubectl-logs' AND snapshot_id = $p0", [sid])[0][0]
            c.lack("log files", f"no /var/log/pods files or listing in {where}" if not have else f"none under /var/log/pods for this pod in {where}")

    def _why_no_pod(self, c: Chain, a: _Anchor, t: Target, sid: str | None) -> str:
        if c.sandboxes and c.sandboxes[0].get("id"):
            return f"no record names the pod of sandbox {c.sandboxes[0]['id'][:13]} (crictl pods / inspectp would)"
        if a.pid is not None:
            return f"pid {a.pid} belongs to no pod"
        if t.cgroup and t.kind == "pid":
            return "the cgroup path names no pod or container: a host cgroup"
        if t.cgroup:
            return "no pod or runtime record has the uid or container id of this cgroup"
        return "no record names the pod"

    def _findings(self, c: Chain, a: _Anchor) -> None:
        if not self.has_findings:
            return
        needles = sorted({x for x in [*(s["id"][:12] for s in c.sandboxes if s.get("id") and len(s["id"]) >= 12),
                                       *(x.id[:12] for x in c.containers if x.id and len(x.id) >= 12),
                                       (c.log_dir or "").rsplit("/", 1)[-1] if c.log_dir else None] if x})  # fmt: skip
        objs = [f"pid {p.pid}" for p in c.processes if p.target] + ([f"pid {a.pid}"] if a.pid is not None else [])
        rows = self._q(
            """SELECT severity, rule, node, namespace, object, message FROM v_findings WHERE site = $site AND (
                 ($p0 IS NOT NULL AND object = $p0 AND (namespace IS NULL OR $p1 IS NULL OR namespace = $p1))
                 OR (node IS NOT DISTINCT FROM $p2 AND list_contains($p3, object))
                 OR (node IS NOT DISTINCT FROM $p2 AND len($p4) > 0 AND list_bool_or([contains(coalesce(message, '') || ' ' || coalesce(evidence, ''), x) FOR x IN $p4])))
               ORDER BY CASE severity WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, rule, object""",
            [c.pod, c.namespace, c.node, objs, needles],
        )
        c.findings = [{"severity": s, "rule": r, "node": n, "namespace": ns, "object": o, "message": m} for s, r, n, ns, o, m in rows]


def whois(sv: SiteView, target: str, node: str | None = None) -> WhoisResult:
    return Whois(sv, node).resolve(target)


# ------------------------------------------------------------------ printing


def as_json(r: WhoisResult) -> str:
    return json_dumps(asdict(r), indent=2, default=str) + "\n"


def as_text(r: WhoisResult) -> str:
    if r.status == "not-found":
        return "".join(f"not found: {cell(x)}\n" for x in r.reasons)
    if r.status == "ambiguous":
        out = [f"ambiguous: {cell(x)}" for x in r.reasons]
        out.append(tabwriter([["KIND", "NODE", "NAMESPACE", "POD", "ID", "WHAT"],
                              *[[k.kind, k.node or "", k.namespace or "", k.pod or "", k.id or "", k.what[:100]] for k in r.candidates]]).rstrip("\n"))  # fmt: skip
        return "\n".join(out) + "\n"
    c = r.chain
    assert c is not None
    kv: list[tuple[str, str]] = [("target", c.matched), ("node", (c.node or "<unknown>") + (f"  ({c.source})" if c.source else ""))]
    kv.append(("pod", f"{c.namespace or '<namespace unknown>'}/{c.pod}" + (f"  (uid {c.pod_uid})" if c.pod_uid else "") if c.pod else
               "<unknown>" + (f"  (uid {c.pod_uid})" if c.pod_uid else "")))  # fmt: skip
    if c.api:
        api = c.api
        kv.append(("API", ", ".join(x for x in (f"{api['status']}" if api.get("status") else None, f"ready {api['ready']}" if api.get("ready") else None,
                                                 f"IP {api['pod_ip']}" if api.get("pod_ip") else None, f"node {api['node']}" if api.get("node") else None,
                                                 f"restarts {api['restarts']}" if api.get("restarts") is not None else None,
                                                 "static pod" if api.get("static") else None, f"from {api['source']}") if x)))  # fmt: skip
    for s in c.sandboxes:
        kv.append(("sandbox", " ".join(x for x in (s["id"], s.get("state"), f"created {s['created']}" if s.get("created") else None,
                                                    f"pause pid {s['pause_pid']}" if s.get("pause_pid") else None, f"IP {s['ip']}" if s.get("ip") else None,
                                                    f"({s['note']})" if s.get("note") else None) if x)))  # fmt: skip
    if c.shim_pids:
        kv.append(("shim pid", ", ".join(str(p) for p in c.shim_pids)))
    if c.cgroup_pids:
        kv.append(("in cgroup", ", ".join(str(p) for p in c.cgroup_pids[:50]) + (" ..." if len(c.cgroup_pids) > 50 else "")))
    if c.pod or c.pod_uid or c.log_dir:
        kv.append(("log dir", c.log_dir or "<unknown>"))
    width = max(len(k) for k, _ in kv) + 2
    out = [f"{k + ':':<{width}}{cell(v)}" for k, v in kv]
    if c.containers:
        out.append("containers:")
        rows = [["NAME", "ID", "IMAGE", "STATE", "ATTEMPT", "RESTARTS", "LAST STATE", "PID", "SHIM"]]
        rows += [[x.name or "", (x.id or "")[:13], x.image or "", x.state or "", _s(x.attempt), _s(x.restarts), x.last_state or "", _s(x.pid), _s(x.shim_pid)] for x in c.containers]
        out += ["  " + ln for ln in tabwriter(rows).splitlines()]
    if c.processes:
        out.append("processes:")
        rows = [["PID", "PPID", "USER", "ROLE", "CONTAINER", "JOIN", "COMMAND"]]
        for p in c.processes:
            forest = ("   " * (p.depth - 1) + "\\_ ") if p.depth else ""
            rows.append([("> " if p.target else "") + str(p.pid), _s(p.ppid), p.user or "", p.role or "", p.container or "", p.join or "", forest + (p.command or "")[:160]])
        out += ["  " + ln for ln in tabwriter(rows).splitlines()]
        if c.processes_not_shown:
            out.append(f"  ... and {c.processes_not_shown} more processes")
    if c.log_files:
        out.append("log files:")
        rows = [["PATH", "SIZE", "LINES", "FIRST", "LAST", "NOTE"]]
        for f in c.log_files:
            note = ",".join(x for x, on in (("this path", f["target"]), ("rotated", f["rotated"]), ("truncated", f["truncated"])) if on)
            rows.append([f["path"], _s(f["size"]), _s(f["lines"]), (f["first"] or "")[:19], (f["last"] or "")[:19], note])
        out += ["  " + ln for ln in tabwriter(rows).splitlines()]
    if c.log_links:
        out.append("log links:")
        out += ["  " + ln for ln in tabwriter([[x["path"], "->", x["target"] or "?"] for x in c.log_links]).splitlines()]
    if c.findings:
        out.append("findings:")
        out += ["  " + ln for ln in tabwriter([["SEVERITY", "RULE", "MESSAGE"], *[[f["severity"].upper(), f["rule"], f["message"] or ""] for f in c.findings]]).splitlines()]
    if c.missing:
        out.append("missing links:")
        out += [f"  {cell(m['link'])}: {cell(m['why'])}" for m in c.missing]
    return "\n".join(out) + "\n"


def _s(v: object) -> str:
    return "" if v is None else str(v)
