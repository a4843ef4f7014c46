"""The join the seed's author made by hand, per snapshot (node):

pod sandbox id -> containers -> containerd-shim (by its -id) -> processes (by PID, cgroup or
PPID) -> descendants. Ids are often prefixes (crictl prints 13 characters, `cut -c -150`
cuts the shim's -id): each observed id is resolved to the one full id it starts, or marked
ambiguous when it starts several, never guessed. Every link says how it was made:
`exact` (a runtime record or the cgroup names the container) or `inferred` (shim -id,
parentage, container name, the only container left).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from analyzer.store import insert_tuples

MIN_PREFIX = 6
SHIM_V2 = re.compile(r"(?:^|/)containerd-shim-[a-z0-9-]+-v2\b")
SHIM_V1 = re.compile(r"(?:^|/)(?:docker-)?containerd-shim(?:\s|$)")
CONMON = re.compile(r"(?:^|/)conmon(?:\s|$)")
ID_FLAG = re.compile(r"(?:^|\s)--?id[ =]([0-9a-f]+)")
WORKDIR = re.compile(r"(?:^|\s)--?workdir[ =]\S*?/([0-9a-f]{6,64})(?:\s|$)")
DOCKER_SHIM_ARG = re.compile(r"docker-containerd-shim\s+([0-9a-f]{6,64})")
CONMON_CID = re.compile(r"(?:^|\s)(?:-c|--cid)[ =]([0-9a-f]{6,64})")
CONMON_NAME = re.compile(r"(?:^|\s)(?:-n|--name)[ =](k8s_\S+)")
CONMON_LOG = re.compile(r"(?:^|\s)(?:-l|--log-path)[ =](\S+)")


@dataclass
class Shim:
    pid: int
    kind: str  # containerd-v2, containerd-v1, docker, conmon
    task_id: str | None  # id (maybe a prefix) of the sandbox (v2) or container (v1, docker, conmon)
    k8s_name: str | None = None  # conmon -n k8s_<ctr>_<pod>_<ns>_<uid>_<attempt>
    log_path: str | None = None


def parse_shim(pid: int, command: str) -> Shim | None:
    argv0 = command.split(" ", 1)[0]
    if SHIM_V2.search(argv0):
        m = ID_FLAG.search(command)
        return Shim(pid, "containerd-v2", m.group(1) if m else None)
    if CONMON.search(argv0):
        m = CONMON_CID.search(command)
        n = CONMON_NAME.search(command)
        lp = CONMON_LOG.search(command)
        return Shim(pid, "conmon", m.group(1) if m else None, n.group(1) if n else None, lp.group(1) if lp else None)
    if SHIM_V1.search(command.split(" -", 1)[0] + " "):
        m = DOCKER_SHIM_ARG.search(command) or WORKDIR.search(command) or ID_FLAG.search(command)
        return Shim(pid, "docker" if "docker-containerd-shim" in argv0 or "moby" in command else "containerd-v1", m.group(1) if m else None)
    return None


@dataclass
class Resolver:
    """Resolves ids and prefixes of one kind within one snapshot."""

    ids: set[str] = field(default_factory=set)
    _map: dict[str, tuple[str | None, list[str]]] = field(default_factory=dict)

    def add(self, i: str | None) -> None:
        if i and len(i) >= MIN_PREFIX and re.fullmatch(r"[0-9a-f]+", i):
            self.ids.add(i)

    def build(self) -> None:
        by_head: dict[str, list[str]] = defaultdict(list)
        for i in self.ids:
            by_head[i[:MIN_PREFIX]].append(i)
        for group in by_head.values():
            maximal = [i for i in group if not any(j != i and j.startswith(i) for j in group)]
            for i in group:
                ext = sorted(m for m in maximal if m.startswith(i))
                self._map[i] = (ext[0] if len(ext) == 1 else None, ext)

    def resolve(self, i: str | None) -> str | None:
        if not i:
            return None
        r = self._map.get(i)
        return r[0] if r else None

    def aliases(self) -> list[tuple[str, str | None, str, list[str]]]:
        return [(o, c, "unique" if c else "ambiguous", ext if not c else []) for o, (c, ext) in sorted(self._map.items())]


def _norm(s: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (s or "").lower())


def _exe(command: str) -> str:
    first = command.split(" ", 1)[0].rstrip(":")
    return _norm(first.rsplit("/", 1)[-1])


def _image_base(image: str | None) -> str:
    if not image or re.fullmatch(r"(?:sha256:)?[0-9a-f]{6,64}", image):
        return ""
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    return _norm(last.split(":", 1)[0])


def _name_score(command: str, name: str | None, image: str | None) -> int:
    exe = _exe(command)
    if not exe:
        return 0
    cands = [c for c in (_norm(name), _image_base(image)) if c]
    if exe in cands:
        return 3
    if any(c and (c in exe or exe in c) for c in cands):
        return 2
    words = set(re.findall(r"[a-z0-9]{4,}", command.lower()))
    if any(w in words for w in cands):
        return 1
    return 0


def correlate(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> None:
    """Recompute id_aliases and process_links of one snapshot."""
    con.execute("DELETE FROM id_aliases WHERE snapshot_id = ?", [snapshot_id])
    con.execute("DELETE FROM process_links WHERE snapshot_id = ?", [snapshot_id])
    def q(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql, [snapshot_id]).fetchall()

    sandboxes = q("SELECT source, sandbox_id, pid FROM crictl_sandboxes WHERE snapshot_id = ?")
    containers = q(
        "SELECT source, container_id, sandbox_id, pid, name, image, state FROM crictl_containers WHERE snapshot_id = ?"
    )
    # (a pid beyond 64 bits was stored as unknown: such a process can be tied to nothing)
    procs = q("SELECT pid, ppid, command, truncated FROM processes WHERE snapshot_id = ? AND pid IS NOT NULL ORDER BY pid")
    cgroups = q(
        "SELECT pid, any_value(container_id), any_value(kind) FROM process_cgroups WHERE snapshot_id = ? AND container_id IS NOT NULL AND pid IS NOT NULL GROUP BY pid"
    )
    links_ids = q("SELECT container_id FROM container_log_links WHERE snapshot_id = ? AND container_id IS NOT NULL")

    # one row per pid (a snapshot can hold two ps captures): the first with a PPID wins
    by_pid: dict[int, tuple[int | None, str]] = {}
    for pid, ppid, command, _t in procs:
        if pid not in by_pid or (by_pid[pid][0] is None and ppid is not None):
            by_pid[pid] = (ppid, command)
    shims = [s for s in (parse_shim(pid, cmd) for pid, (_pp, cmd) in by_pid.items()) if s]

    sb = Resolver()
    ct = Resolver()
    for _src, i, _pid in sandboxes:
        sb.add(i)
    for _src, i, s, *_rest in containers:
        ct.add(i)
        sb.add(s)
    for s in shims:
        if s.kind == "containerd-v2" or (s.kind == "conmon" and s.k8s_name and s.k8s_name.startswith("k8s_POD_")):
            sb.add(s.task_id)
        else:
            ct.add(s.task_id)
    for (i,) in links_ids:
        ct.add(i)
    for _pid, i, _k in cgroups:
        if i not in sb.ids:
            ct.add(i)
    sb.build()
    ct.build()
    alias_rows = [(snapshot_id, "sandbox", o, c, st, cand) for o, c, st, cand in sb.aliases()]
    alias_rows += [(snapshot_id, "container", o, c, st, cand) for o, c, st, cand in ct.aliases()]
    insert_tuples(con, "id_aliases", ["snapshot_id", "kind", "observed", "canonical", "status", "candidates"], alias_rows)

    # canonical container -> (sandbox, name, image, running)
    cinfo: dict[str, dict[str, object]] = {}
    for _src, i, s, pid, name, image, state in containers:
        c = ct.resolve(i)
        if not c:
            continue
        d = cinfo.setdefault(c, {"sandbox": None, "name": None, "image": None, "state": None, "pid": None})
        d["sandbox"] = d["sandbox"] or sb.resolve(s)
        d["name"] = d["name"] or name
        if (image and not d["image"]) or (image and not re.fullmatch(r"(?:sha256:)?[0-9a-f]+", image)):
            d["image"] = image
        d["state"] = d["state"] or state
        d["pid"] = d["pid"] or pid
    by_sandbox: dict[str, list[str]] = defaultdict(list)
    for c, d in cinfo.items():
        if d["sandbox"]:
            by_sandbox[str(d["sandbox"])].append(c)

    links: dict[int, tuple[str | None, str | None, str, str, str, int | None]] = {}

    def link(pid: int, sandbox: str | None, container: str | None, role: str, method: str, evidence: str, via: int | None = None) -> None:
        if pid not in by_pid or pid in links:
            return
        links[pid] = (sandbox, container, role, method, evidence, via)

    # exact: the runtime's own records of PIDs
    for c, d in cinfo.items():
        if d["pid"] and d["state"] in (None, "Running"):
            link(int(str(d["pid"])), d["sandbox"] and str(d["sandbox"]), c, "container", "exact", "inspect-pid")  # type: ignore[arg-type]
    for _src, i, pid in sandboxes:
        if pid:
            link(int(pid), sb.resolve(i), None, "pause", "exact", "inspectp-pid")
    # exact: the cgroup names the container (or the pause container, whose id is the sandbox's)
    for pid, i, kind in cgroups:
        if kind == "conmon":
            continue
        s_res = sb.resolve(i)
        c_res = ct.resolve(i)
        if c_res and c_res in cinfo:
            link(pid, cinfo[c_res]["sandbox"] and str(cinfo[c_res]["sandbox"]), c_res, "container", "exact", "cgroup")  # type: ignore[arg-type]
        elif s_res:
            link(pid, s_res, None, "pause", "exact", "cgroup")
        elif c_res:
            link(pid, None, c_res, "container", "exact", "cgroup")

    # shims: the sandbox (v2) or container (v1, docker, conmon) they serve
    shim_of_pid: dict[int, tuple[str | None, str | None]] = {}
    for s in shims:
        if s.kind == "containerd-v2" or (s.kind == "conmon" and s.k8s_name and s.k8s_name.startswith("k8s_POD_")):
            target = (sb.resolve(s.task_id), None)
        else:
            c = ct.resolve(s.task_id)
            target = (cinfo[c]["sandbox"] if c in cinfo else sb.resolve(s.task_id), c)  # type: ignore[assignment]
            if target == (None, None):
                target = (sb.resolve(s.task_id), None)
        shim_of_pid[s.pid] = target
        if target[0] or target[1]:
            evidence = "conmon" if s.kind == "conmon" else "shim-id"
            links.setdefault(s.pid, (target[0], target[1], "shim", "inferred", evidence, None))

    # inferred: children of shims
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _cmd) in by_pid.items():
        if ppid is not None:
            children[ppid].append(pid)
    for shim_pid, (sandbox, container) in shim_of_pid.items():
        kids = [k for k in children.get(shim_pid, []) if k not in links]
        if container:  # one shim (conmon, v1) per container: its child is that container's init
            for k in kids:
                link(k, sandbox, container, "container", "inferred", "conmon" if by_pid[shim_pid][1].find("conmon") >= 0 else "shim-child")
            continue
        if not sandbox:
            continue
        for k in kids:
            if _exe(by_pid[k][1]) == "pause":
                link(k, sandbox, None, "pause", "inferred", "shim-child")
        kids = [k for k in kids if k not in links]
        taken = {links[p][1] for p in links if links[p][0] == sandbox and links[p][2] == "container"}
        free = [c for c in by_sandbox.get(sandbox, []) if c not in taken and cinfo[c]["state"] in (None, "Running")]
        if len(free) == 1 and len(kids) == 1:
            link(kids[0], sandbox, free[0], "container", "inferred", "only-container")
            continue
        scores = {k: {c: _name_score(by_pid[k][1], str(cinfo[c]["name"] or ""), str(cinfo[c]["image"] or "")) for c in free} for k in kids}
        for k in kids:
            best = max(scores[k].values(), default=0)
            top = [c for c, v in scores[k].items() if v == best]
            if best > 0 and len(top) == 1 and not any(k2 != k and scores[k2].get(top[0], 0) >= best for k2 in kids):
                link(k, sandbox, top[0], "container", "inferred", "name-match")

    # listings without a PPID column (`ps aux` pasted): only the name can tie a process to a
    # running container, and only when the pairing is one to one on this node
    orphans = [p for p, (pp, _cmd) in by_pid.items() if pp is None and p not in links and p not in shim_of_pid]
    if orphans:
        taken = {links[p][1] for p in links if links[p][2] == "container"}
        free = [c for c, d in cinfo.items() if c not in taken and d["state"] in (None, "Running") and d["sandbox"]]
        scores = {k: {c: _name_score(by_pid[k][1], str(cinfo[c]["name"] or ""), str(cinfo[c]["image"] or "")) for c in free} for k in orphans}
        for k in orphans:
            top = [c for c, v in scores[k].items() if v == 3]
            if len(top) == 1 and not any(k2 != k and scores[k2].get(top[0], 0) == 3 for k2 in orphans):
                link(k, str(cinfo[top[0]]["sandbox"]), top[0], "container", "inferred", "name-only")
        paused = {links[p][0] for p in links if links[p][2] == "pause"}
        pauses = [k for k in orphans if k not in links and _exe(by_pid[k][1]) == "pause"]
        lone = [s for s in {str(d["sandbox"]) for d in cinfo.values() if d["sandbox"]} if s not in paused]
        if len(pauses) == 1 and len(lone) == 1:
            link(pauses[0], lone[0], None, "pause", "inferred", "only-pause")

    # descendants carry the container and join method of the process they descend from
    frontier = [p for p in list(links) if links[p][2] in ("container", "pause")]
    depth = 0
    while frontier and depth < 64:
        nxt = []
        for p in frontier:
            sandbox, container, _role, method, _ev, _via = links[p]
            for k in children.get(p, []):
                if k not in links:
                    links[k] = (sandbox, container, "descendant", method, "descendant-of", p)
                    nxt.append(k)
        frontier = nxt
        depth += 1
    rows = [(snapshot_id, pid, s, c, role, m, ev, via) for pid, (s, c, role, m, ev, via) in sorted(links.items())]
    insert_tuples(con, "process_links", ["snapshot_id", "pid", "sandbox_id", "container_id", "role", "join_method", "evidence", "via_pid"], rows)
