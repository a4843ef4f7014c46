"""Docker on dockershim-era and cri-dockerd nodes: `docker ps -a [--no-trunc]` and `docker inspect <ids>`.

The kubelet names each container `k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt>`, its pod's
sandbox (the pause container) `k8s_POD_<pod>_<namespace>_<pod uid>_<attempt>`, and labels them
io.kubernetes.pod.name, io.kubernetes.pod.namespace, io.kubernetes.pod.uid, io.kubernetes.container.name,
io.kubernetes.docker.type (podsandbox or container), io.kubernetes.sandbox.id. Sandboxes go to
crictl_sandboxes and containers to crictl_containers, beside what crictl reports of the same ids.
Containers docker runs for itself (not the kubelet's) are containers without a pod.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from analyzer.models import ContainerObs, Record, Sandbox
from analyzer.parsers import as_int, json_values, shielded, str_dict
from analyzer.registry import ParseContext, source
from analyzer.tables import Column, TableSpec, parse_table
from analyzer.textutil import clean_lines
from analyzer.timeparse import parse_time

HEX = r"[0-9a-f]{12,64}"
CREATED = r"(?:(?:\d+|About an?|Less than an?)\s+[a-z]+(?:\s+[a-z]+)?\s+ago|\d{4}-\d\d-\d\d[ T][\d:.]+\S*(?: [+-]\d{4} \S+)?)"
# Up 2 hours (healthy) | Exited (137) 3 days ago | Restarting (1) 5 seconds ago | Created | Dead | Removal In Progress
STATUS = r"(?:Up|Exited \(-?\d{1,10}\)|Restarting \(-?\d{1,10}\))(?: [A-Za-z0-9()]{1,40}){0,8}|Created|Dead|Removal In Progress"
COMMAND = r'"(?:[^"\\]|\\.)*"'  # strconv.Quote'd; cut with … inside the quotes without --no-trunc

PS = TableSpec(
    "docker ps",
    [
        Column("id", ("CONTAINER ID",), HEX),
        Column("image", ("IMAGE",), r"\S+"),
        Column("command", ("COMMAND",), COMMAND),
        Column("created", ("CREATED",), CREATED),
        Column("status", ("STATUS",), STATUS),
        Column("ports", ("PORTS",), r"\S+(?:, \S+)*", optional=True),
        Column("names", ("NAMES",), r"\S+"),
    ],
    required=5,
)
# k8s_<container>_<pod>_<namespace>_<uid>_<attempt>; before Kubernetes 1.5 (dockertools) the container part carried a
# ".<hash>" and the last part was a random hex suffix, not the attempt
K8S_NAME = re.compile(r"^/?k8s_(?P<c>[^_.]+)(?:\.[0-9a-f]{1,16})?_(?P<pod>[^_]+)_(?P<ns>[^_]+)_(?P<uid>[^_]+)_(?P<attempt>[0-9a-f]{1,16})$")
EXITED = re.compile(r"^(?:Exited|Restarting) \((-?\d{1,10})\)")
STATES = {"running": "Running", "exited": "Exited", "created": "Created", "paused": "Paused", "restarting": "Running", "dead": "Exited", "removing": "Exited"}


def _attempt(m: re.Match[str] | None) -> int | None:
    return int(m["attempt"]) if m and m["attempt"].isdecimal() and len(m["attempt"]) <= 9 else None


_PS_HEADER = re.compile(r"^[ \t]*(?:# |> )?CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES", re.M)


def _sniff_ps(head: str) -> int:
    return 90 if "CONTAINER ID" in head and _PS_HEADER.search(head) else 0


@source("docker-ps", sniff=_sniff_ps)
def parse_ps(ctx: ParseContext) -> Iterable[Record]:
    """docker ps -a [--no-trunc]: the kubelet's sandboxes (k8s_POD_...) and containers (k8s_...) by name"""
    for row in parse_table(clean_lines(ctx.text), PS):
        c = row.cells
        if not c.get("id"):
            ctx.problem(row.line, f"not a docker ps row: {row.text[:80]!r}")
            continue
        yield ps_record(str(c["id"]), c.get("image"), c.get("created"), c.get("status"), c.get("names"), row.line)


def ps_record(cid: str, image: str | None, created: str | None, status: str | None, names: str | None, line: int | None) -> Record:
    """One row of docker ps: a sandbox (k8s_POD_...) or a container, named by the kubelet's k8s_ name."""
    status = status or ""
    up = status.startswith("Up")
    m = K8S_NAME.match((names or "").split(",")[0])
    common: dict[str, Any] = {"source": "docker-ps", "created_text": created, "line": line}
    if m and m["c"] == "POD":
        return Sandbox(sandbox_id=cid, name=m["pod"], namespace=m["ns"], pod_uid=m["uid"], attempt=_attempt(m),
                       state="Ready" if up else "NotReady", **common)  # fmt: skip
    ex = EXITED.match(status)
    state = "Running" if up else "Exited" if status.startswith(("Exited", "Dead")) else "Created" if status == "Created" else "Unknown"
    return ContainerObs(
        container_id=cid, name=m["c"] if m else (names or None), attempt=_attempt(m),
        state=state, image=image, exit_code=int(ex.group(1)) if ex else None,
        pod_name=m["pod"] if m else None, pod_namespace=m["ns"] if m else None, pod_uid=m["uid"] if m else None, **common,
    )  # fmt: skip


def pasted_ps(rows: list[dict[str, Any]]) -> list[Record]:
    """The rows a paste's docker ps section was read into (with or without its header): their records."""
    return [ps_record(str(r["container_id"]), r.get("image"), r.get("created"), r.get("status"), r.get("names"), None)
            for r in rows if r.get("container_id")]  # fmt: skip


def _sniff_inspect(head: str) -> int:
    if '"HostConfig"' in head and re.search(r'"HostConfig"\s*:', head) and re.search(r'"GraphDriver"|"Driver"\s*:', head) and re.search(r'"Id"\s*:', head):
        return 85
    return 0


def _obj(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _time(v: object) -> Any:
    """A docker time; Go's zero time (0001-01-01T00:00:00Z: never started or finished) is none."""
    if not isinstance(v, str) or v.startswith("0001-01-01"):
        return None
    return parse_time(v)


def _inspect_one(ctx: ParseContext, doc: dict[str, Any]) -> Iterator[Record]:
    cid = str(doc["Id"])
    if not re.fullmatch(HEX, cid):
        raise ValueError(f"Id {cid[:20]!r} is not a container id")
    cfg = _obj(doc.get("Config"))
    host = _obj(doc.get("HostConfig"))
    st = _obj(doc.get("State"))
    net = _obj(doc.get("NetworkSettings"))
    labels = str_dict(cfg.get("Labels")) or {}
    name = str(doc.get("Name") or "").lstrip("/")
    m = K8S_NAME.match(name)
    pod = labels.get("io.kubernetes.pod.name") or (m["pod"] if m else None)
    ns = labels.get("io.kubernetes.pod.namespace") or (m["ns"] if m else None)
    uid = labels.get("io.kubernetes.pod.uid") or (m["uid"] if m else None)
    cname = labels.get("io.kubernetes.container.name") or (m["c"] if m else None)
    # the kubelet's annotations are docker labels prefixed with "annotation."
    restarts = labels.get("annotation.io.kubernetes.container.restartCount")
    attempt = as_int(restarts) if restarts is not None else _attempt(m)
    status = str(st.get("Status") or "").lower()
    pid = as_int(st.get("Pid")) or None  # 0: not running
    created = _time(doc.get("Created"))
    kind = labels.get("io.kubernetes.docker.type") or ("podsandbox" if cname == "POD" else "container")
    network_mode = str(host.get("NetworkMode") or "")
    if kind == "podsandbox":
        yield Sandbox(
            source="docker-inspect", sandbox_id=cid, name=pod, namespace=ns, pod_uid=uid, attempt=_attempt(m),
            state="Ready" if status == "running" else "NotReady", created_at=created, runtime_handler=host.get("Runtime") or None,
            pid=pid, ip=net.get("IPAddress") or None, host_network=network_mode == "host" if network_mode else None,
            cgroup_parent=host.get("CgroupParent") or None, labels=labels or None,
        )  # fmt: skip
        return
    oom = st.get("OOMKilled") is True
    yield ContainerObs(
        source="docker-inspect", container_id=cid, sandbox_id=labels.get("io.kubernetes.sandbox.id") or None, name=cname or name or None,
        attempt=attempt, state=STATES.get(status, "Unknown"), image=cfg.get("Image") or None, image_id=doc.get("Image") or None,
        created_at=created, started_at=_time(st.get("StartedAt")), finished_at=_time(st.get("FinishedAt")),
        exit_code=as_int(st.get("ExitCode")) if status in ("exited", "dead") else None,
        reason="OOMKilled" if oom else (st.get("Error") or None), pid=pid,
        log_path=labels.get("io.kubernetes.container.logpath") or doc.get("LogPath") or None,
        pod_name=pod, pod_namespace=ns, pod_uid=uid, runtime_type=host.get("Runtime") or None,
        cgroups_path=host.get("CgroupParent") or None, labels=labels or None,
    )  # fmt: skip


@source("docker-inspect", sniff=_sniff_inspect)
def parse_inspect(ctx: ParseContext) -> Iterable[Record]:
    """docker inspect <ids>: sandboxes (io.kubernetes.docker.type=podsandbox) and containers with their pod's labels, PIDs, exit codes"""
    for v in json_values(ctx.text):
        for doc in v if isinstance(v, list) else [v]:
            if not isinstance(doc, dict) or "Id" not in doc:
                ctx.problem(None, f"not a docker inspect object: a JSON {type(doc).__name__}{'' if not isinstance(doc, dict) else ' without Id'}")
                continue
            yield from shielded(ctx, f"container {str(doc.get('Id'))[:13]}", partial(_inspect_one, ctx, doc))
