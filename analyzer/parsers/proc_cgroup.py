"""/proc/<pid>/cgroup: cgroup v1 (one line per hierarchy) and v2 (`0::/path`), systemd and
cgroupfs drivers, containerd / CRI-O / docker naming, the pre-1.5 containerd colon form,
kind's kubelet.slice nesting, relative paths seen from inside a cgroup namespace.

The bundle's processes/cgroup.txt holds `<pid>:<line>` for every process; a pasted
/proc/<pid>/cgroup has no pid (taken from the file name when it holds one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.errors import ParseError
from analyzer.models import CgroupLine, Record
from analyzer.registry import ParseContext, source
from analyzer.textutil import clean_lines

LINE = re.compile(r"^(?:(?P<pid>\d+):)?(?P<hier>\d+):(?P<ctrl>[^:]*):(?P<path>/.*)$")
POD_SLICE = re.compile(r"kubepods(?:-(?P<qos>burstable|besteffort))?-pod(?P<uid>[0-9a-f_]{32,36})\.slice")
POD_DIR = re.compile(r"/kubepods(?:/(?P<qos>burstable|besteffort))?/pod(?P<uid>[0-9a-f-]{32,36})(?:/|$)")
SCOPE = re.compile(r"(?P<rt>cri-containerd|crio-conmon|crio|docker|cri-o)-(?P<id>[0-9a-f]{64})\.scope")
COLON = re.compile(r"\.slice:(?P<rt>cri-containerd|crio|docker):(?P<id>[0-9a-f]{64})")
BARE_ID = re.compile(r"/(?P<id>[0-9a-f]{64})(?:/|$)")
RUNTIME = {"cri-containerd": "containerd", "crio": "crio", "cri-o": "crio", "crio-conmon": "crio", "docker": "docker"}


@dataclass
class CgroupInfo:
    driver: str | None = None
    qos: str | None = None
    pod_uid: str | None = None
    container_id: str | None = None
    runtime: str | None = None
    kind: str = "other"


def classify(path: str) -> CgroupInfo:
    """What a cgroup path says about the process in it."""
    p = re.sub(r"^(?:/\.\.)+", "", path)
    info = CgroupInfo()
    m = POD_SLICE.search(p)
    if m:
        info.driver = "systemd"
        uid = m.group("uid")
        info.pod_uid = uid.replace("_", "-") if "_" in uid else uid
        info.qos = m.group("qos") or "guaranteed"
        info.kind = "pod"
    else:
        m = POD_DIR.search(p)
        if m:
            info.driver = "cgroupfs"
            info.pod_uid = m.group("uid")
            info.qos = m.group("qos") or "guaranteed"
            info.kind = "pod"
    s = SCOPE.search(p) or COLON.search(p)
    if s:
        info.container_id = s.group("id")
        info.runtime = RUNTIME[s.group("rt")]
        info.kind = "conmon" if s.group("rt") == "crio-conmon" else "container"
        info.driver = info.driver or "systemd"
    elif info.pod_uid:
        after = p[(POD_SLICE.search(p) or POD_DIR.search(p)).end() - 1 :]  # type: ignore[union-attr]
        b = BARE_ID.search(after)
        if b:
            info.container_id = b.group("id")
            info.kind = "container"
    elif p.startswith("/docker/") and BARE_ID.search(p):
        info.container_id = BARE_ID.search(p).group("id")  # type: ignore[union-attr]
        info.runtime, info.kind, info.driver = "docker", "container", "cgroupfs"
    elif p.startswith(("/system.slice", "/init.scope")) or p == "/":
        info.kind = "system"
    elif p.startswith("/user.slice"):
        info.kind = "user"
    return info


def cgroup_line(pid: int | None, hierarchy: int, controllers: str | None, path: str, line: int) -> CgroupLine:
    """A process's cgroup, with what its path says (classify)."""
    info = classify(path)
    return CgroupLine(pid=pid, hierarchy=hierarchy, controllers=controllers, path=path, driver=info.driver, qos=info.qos,
                      pod_uid=info.pod_uid, container_id=info.container_id, runtime=info.runtime, kind=info.kind, line=line)  # fmt: skip


def _sniff(head: str) -> int:
    if ":/" not in head:  # every cgroup line holds ':/' (its controller field, then the path)
        return 0
    lines = [ln for ln in head.splitlines()[:30] if ln.strip()]
    if lines and sum(bool(LINE.match(ln.strip())) for ln in lines) >= max(1, (len(lines) * 3) // 4):
        return 80
    return 0


@source("proc-cgroup", sniff=_sniff)
def parse(ctx: ParseContext) -> Iterable[Record]:
    """/proc/<pid>/cgroup, one process or every process (pid:line)"""
    file_pid = None
    m = re.search(r"(?:^|[/_.-])(\d+)(?:[/_.-]cgroup|\.cgroup)", ctx.path)
    if m:
        file_pid = int(m.group(1))
    n = 0
    for i, raw in enumerate(clean_lines(ctx.text)):
        ln = raw.strip()
        if not ln:
            continue
        lm = LINE.match(ln)
        if not lm:
            ctx.problem(i + 1, f"not a cgroup line: {ln[:80]!r}")
            continue
        n += 1
        yield cgroup_line(int(lm.group("pid")) if lm.group("pid") else file_pid, int(lm.group("hier")), lm.group("ctrl") or None,
                          lm.group("path"), i + 1)  # fmt: skip
    if n == 0:
        raise ParseError("no cgroup lines")
