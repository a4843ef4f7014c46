"""crictl tables: `crictl pods`, `crictl ps [-a]`, `crictl images`, `crictl stats`, as printed or pasted.

Column sets by version (../shared/corpus/FORMATS.md §1-2): `CONTAINER ID` (2017-18) or
`CONTAINER`, then `POD ID` (2018+), `POD` (1.24+), `NAMESPACE` (1.34); `crictl pods` (`crictl sandboxes` of 2017:
`SANDBOX ID NAME STATE NAMESPACE`) adds
`RUNTIME` (1.34, and in the seed's capture); `crictl images [--digests]`. IDs are 13-hex
prefixes (64 with --no-trunc, or CRI-O's image ids), CREATED is go-units text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.errors import ParseError
from analyzer.models import ContainerObs, ContainerStat, ImageObs, Record, Sandbox
from analyzer.parsers import as_int
from analyzer.parsers.crictl_json import STATE, image_records
from analyzer.registry import ParseContext, source
from analyzer.tables import Column, TableSpec, parse_table
from analyzer.textutil import clean_lines, cut_width
from analyzer.timeparse import parse_time

HEX = r"[0-9a-f]{6,64}"
CREATED = r"(?:(?:\d+|About an?|Less than an?)\s+[a-z]+(?:\s+[a-z]+)?\s+ago|Unknown|\d{4}-\d\d-\d\d[ T][\d:.]+\S*)"
IMAGE_ID = rf"(?:sha256:)?{HEX}"
SIZE = r"[\d.]+\s?[kKMGTP]?i?B"

PS = TableSpec(
    "crictl ps",
    [
        Column("container", ("CONTAINER ID", "CONTAINER"), HEX),
        Column("image", ("IMAGE",), r"\S+"),
        Column("created", ("CREATED",), CREATED),
        Column("state", ("STATE",), r"Running|Exited|Created|Unknown|Paused|CONTAINER_[A-Z]+"),
        Column("name", ("NAME",), r"\S+"),
        Column("attempt", ("ATTEMPT",), r"\d+"),
        Column("pod_id", ("POD ID",), HEX),
        Column("pod", ("POD",), r"\S+", optional=True),
        Column("namespace", ("NAMESPACE",), r"\S+", optional=True),
    ],
    layouts=[
        ["container", "image", "created", "state", "name", "attempt", "pod_id", "pod", "namespace"],
        ["container", "image", "created", "state", "name", "attempt", "pod_id", "pod"],
        ["container", "image", "created", "state", "name", "attempt", "pod_id"],
        ["container", "image", "created", "state", "name", "attempt"],
    ],
    required=4,
)

PODS = TableSpec(
    "crictl pods",
    [
        Column("pod_id", ("POD ID", "SANDBOX ID"), HEX),
        Column("created", ("CREATED",), CREATED),
        Column("state", ("STATE",), r"Ready|NotReady|SANDBOX_[A-Z]+"),
        Column("name", ("NAME",), r"\S+"),
        Column("namespace", ("NAMESPACE",), r"\S+"),
        Column("attempt", ("ATTEMPT",), r"\d+"),
        Column("runtime", ("RUNTIME",), r"\S+", optional=True),
    ],
    layouts=[
        ["pod_id", "created", "state", "name", "namespace", "attempt", "runtime"],
        ["pod_id", "created", "state", "name", "namespace", "attempt"],
        ["pod_id", "name", "state", "namespace"],  # `crictl sandboxes` of 2017: SANDBOX ID NAME STATE NAMESPACE
    ],
    required=3,
)

IMAGES = TableSpec(
    "crictl images",
    [
        Column("image", ("IMAGE",), r"\S+"),
        Column("tag", ("TAG",), r"\S+"),
        Column("digest", ("DIGEST",), rf"{HEX}|<none>"),
        Column("image_id", ("IMAGE ID",), IMAGE_ID),
        Column("size", ("SIZE",), SIZE),
        Column("pinned", ("PINNED",), r"true|false", optional=True),
    ],
    layouts=[["image", "tag", "image_id", "size"], ["image", "tag", "digest", "image_id", "size"]],
    required=3,
)


def _lines(ctx: ParseContext) -> list[str]:
    return clean_lines(ctx.text)


def _has(head: str, *words: str) -> bool:
    return all(re.search(w, head) for w in words)


# the sniffers' patterns, compiled once: a sniffer runs on every loose member and paste section
_PS_HEADER = re.compile(r"^[ \t]*(?:# |> )?CONTAINER(?: ID)?\s+IMAGE\s+CREATED\s+STATE\s+NAME", re.M)
_PS_ROW = re.compile(rf"^[ \t]*{HEX}\s+\S+\s+{CREATED}\s+(?:Running|Exited|Created)\s", re.M)
_PODS_HEADER = re.compile(r"^[ \t]*(?:# |> )?(?:POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE|SANDBOX ID\s+NAME\s+STATE\s+NAMESPACE)", re.M)
_PODS_ROW = re.compile(rf"^[ \t]*{HEX}\s+{CREATED}\s+(?:Ready|NotReady)\s", re.M)
_IMAGES_HEADER = re.compile(r"^[ \t]*(?:# |> )?IMAGE\s+TAG\s+(?:DIGEST\s+)?IMAGE ID\s+SIZE", re.M)
_IMAGE_ID_ONLY = re.compile(r"sha256:[0-9a-f]{64}")


def _sniff_ps(head: str) -> int:
    if "CONTAINER" in head and _PS_HEADER.search(head):
        return 90
    if ("Running" in head or "Exited" in head or "Created" in head) and _PS_ROW.search(head):
        return 60
    return 0


def _sniff_pods(head: str) -> int:
    if ("POD ID" in head or "SANDBOX ID" in head) and _PODS_HEADER.search(head):
        return 90
    if "Ready" in head and _PODS_ROW.search(head):
        return 60
    return 0


def _sniff_images(head: str) -> int:
    return 90 if "IMAGE ID" in head and _IMAGES_HEADER.search(head) else 0


_IMAGES_V = re.compile(r"^ID: (?:sha256:)?[0-9a-f]{12,64}\nRepoTags: ", re.M)


@source("crictl-images-verbose", sniff=lambda h: 85 if "RepoTags: " in h and _IMAGES_V.search(h) else 0)
def parse_images_verbose(ctx: ParseContext) -> Iterable[Record]:
    """crictl images -v: a block of Key: value lines per image

    ID, a RepoTags line per tag, RepoDigests, Size, Uid or Username, Pinned."""
    blocks: list[tuple[int, dict[str, list[str]]]] = []
    for i, line in enumerate(_lines(ctx), 1):
        key, sep, value = line.strip().partition(": ")
        if not line.strip():
            continue
        if not sep and line.strip().endswith(":"):
            key, sep, value = line.strip()[:-1], ":", ""
        if not sep:
            ctx.problem(i, f"not a crictl images -v line: {line.strip()[:80]!r}")
            continue
        if key == "ID":
            blocks.append((i, {}))
        elif not blocks:
            ctx.problem(i, "a crictl images -v line before any ID: line")
            continue
        blocks[-1][1].setdefault(key, []).append(value.strip())
    if not blocks:
        raise ParseError("no `ID:` line of crictl images -v")
    for at, kv in blocks:
        image_id = kv["ID"][0]
        if not re.fullmatch(r"(?:sha256:)?[0-9a-f]{12,64}", image_id):
            ctx.problem(at, f"not an image id: {image_id[:80]!r}")
            continue
        size = kv.get("Size", [""])[0]
        pinned = kv.get("Pinned", [""])[0]
        yield from image_records("crictl-images-verbose", image_id, [t for t in kv.get("RepoTags", []) if t], [d for d in kv.get("RepoDigests", []) if d],
                                 int(size) if size.isdecimal() else None, {"true": True, "false": False}.get(pinned))  # fmt: skip


@source("crictl-ps-table", sniff=_sniff_ps)
def parse_ps(ctx: ParseContext) -> Iterable[Record]:
    """crictl ps [-a], every crictl version's columns"""
    lines = _lines(ctx)
    for row in parse_table(lines, PS, cut=cut_width(lines)):
        c = row.cells
        if not c.get("container"):
            ctx.problem(row.line, f"not a crictl ps row: {row.text[:80]!r}")
            continue
        image = c.get("image")
        yield ContainerObs(
            source="crictl-ps-table",
            container_id=str(c["container"]),
            sandbox_id=c.get("pod_id"),
            name=c.get("name"),
            attempt=as_int(c.get("attempt")),
            state=c.get("state"),
            image=image,
            image_id=image if image and re.fullmatch(IMAGE_ID, image) else None,
            created_text=c.get("created"),
            pod_name=c.get("pod"),
            pod_namespace=c.get("namespace"),
            line=row.line,
        )


@source("crictl-pods-table", sniff=_sniff_pods)
def parse_pods(ctx: ParseContext) -> Iterable[Record]:
    """crictl pods"""
    lines = _lines(ctx)
    for row in parse_table(lines, PODS, cut=cut_width(lines)):
        c = row.cells
        if not c.get("pod_id"):
            ctx.problem(row.line, f"not a crictl pods row: {row.text[:80]!r}")
            continue
        yield Sandbox(
            source="crictl-pods-table",
            sandbox_id=str(c["pod_id"]),
            name=c.get("name"),
            namespace=c.get("namespace"),
            attempt=as_int(c.get("attempt")),
            state=c.get("state"),
            created_text=c.get("created"),
            runtime_handler=c.get("runtime"),
            line=row.line,
        )


def size_bytes(text: str | None) -> int | None:
    """docker/go-units sizes as crictl prints them (decimal units): 70.5MB, 298kB, 1.15GB."""
    if not text:
        return None
    m = re.fullmatch(r"([\d.]+)\s?([kKMGTP]?)(i?)B", text.strip())
    if not m:
        return None
    mult = {"": 1, "k": 1, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}[m.group(2)]
    base = 1024 if m.group(3) else 1000
    return int(float(m.group(1)) * base**mult)


def _id_list(lines: list[str]) -> list[tuple[int, str]] | None:
    """`crictl ... -q` output: one full id per line."""
    ids = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    if ids and all(re.fullmatch(r"(?:sha256:)?[0-9a-f]{64}", x) for _i, x in ids):
        return ids
    return None


def _sniff_images_q(head: str) -> int:
    if not head.lstrip().startswith("sha256:"):  # every line is an image id: so is the first
        return 0
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    return 70 if lines and all(_IMAGE_ID_ONLY.fullmatch(x) for x in lines) else 0


@source("crictl-images-table", sniff=lambda h: max(_sniff_images(h), _sniff_images_q(h)))
def parse_images(ctx: ParseContext) -> Iterable[Record]:
    """crictl images [--digests], crictl images -q"""
    lines = _lines(ctx)
    ids = _id_list(lines)
    if ids is not None:
        for i, x in ids:
            yield ImageObs(source="crictl-images-q", image_id=x if x.startswith("sha256:") else f"sha256:{x}", line=i)
        return
    for row in parse_table(lines, IMAGES, cut=cut_width(lines)):
        c = row.cells
        if not c.get("image"):
            ctx.problem(row.line, f"not a crictl images row: {row.text[:80]!r}")
            continue
        digest = c.get("digest")
        yield ImageObs(
            source="crictl-images-table",
            image_id=c.get("image_id"),
            repo=c.get("image"),
            tag=c.get("tag"),
            digest=None if digest in (None, "<none>") else digest,
            size_bytes=size_bytes(c.get("size")),
            size_text=c.get("size"),
            pinned=(c.get("pinned") == "true") if c.get("pinned") else None,
            line=row.line,
        )


@source("crictl-ids")
def parse_ids(ctx: ParseContext) -> Iterable[Record]:
    """crictl ps -a -q / crictl pods -q: full ids"""
    for i, x in _id_list(_lines(ctx)) or []:
        if "pods" in ctx.path:
            yield Sandbox(source="crictl-pods-q", sandbox_id=x, line=i)
        else:
            yield ContainerObs(source="crictl-ps-q", container_id=x, line=i)


STATS = TableSpec(
    "crictl stats",
    [
        Column("id", ("CONTAINER", "POD ID"), HEX),
        Column("pod", ("POD",), r"\S+"),
        Column("name", ("NAME",), r"\S+"),
        Column("cpu", ("CPU %",), r"[\d.]+"),
        Column("mem", ("MEM",), SIZE),
        Column("disk", ("DISK",), SIZE),
        Column("inodes", ("INODES",), r"\d+"),
        Column("swap", ("SWAP",), SIZE, optional=True),
    ],
    required=2,
)


@source("crictl-stats")
def parse_stats(ctx: ParseContext) -> Iterable[Record]:
    """crictl stats -a / crictl statsp"""
    lines = _lines(ctx)
    head = next((ln for ln in lines if ln.strip()), "")
    kind = "pod" if ctx.path.endswith("statsp.txt") or "POD ID" in head else "container"  # statsp: POD  POD ID  CPU %  MEM
    for row in parse_table(lines, STATS):
        c = row.cells
        if not c.get("id"):
            continue
        yield ContainerStat(
            kind=kind,
            id=str(c["id"]),
            name=c.get("name") or c.get("pod"),
            cpu_percent=float(str(c["cpu"])) if c.get("cpu") else None,
            memory_bytes=size_bytes(c.get("mem")),
            memory_text=c.get("mem"),
            disk_text=c.get("disk"),
            line=row.line,
        )


CTR_CONTAINERS = TableSpec(
    "ctr containers",
    [Column("id", ("CONTAINER",), HEX), Column("image", ("IMAGE",), r"\S+"), Column("runtime", ("RUNTIME",), r"\S+")],
    required=1,
)
CTR_TASKS = TableSpec(
    "ctr tasks",
    [Column("id", ("TASK",), HEX), Column("pid", ("PID",), r"\d+"), Column("status", ("STATUS",), r"[A-Z]+")],
    required=2,
)


_CTR_HEADER = re.compile(r"^[ \t]*(?:CONTAINER\s+IMAGE\s+RUNTIME|TASK\s+PID\s+STATUS)[ \t]*$", re.M)


def _sniff_ctr(head: str) -> int:
    return 85 if _CTR_HEADER.search(head) else 0


@source("ctr", sniff=_sniff_ctr)
def parse_ctr(ctx: ParseContext) -> Iterable[Record]:
    """ctr -n k8s.io containers ls / tasks ls (nodes without crictl)"""
    lines = _lines(ctx)
    if any(re.match(r"^[ \t]*TASK\s+PID", ln) for ln in lines):
        for row in parse_table(lines, CTR_TASKS):
            c = row.cells
            if c.get("id"):
                st = (c.get("status") or "").capitalize() or None
                yield ContainerObs(source="ctr", container_id=str(c["id"]), pid=as_int(c.get("pid")), state=st, line=row.line)
        return
    for row in parse_table(lines, CTR_CONTAINERS):
        c = row.cells
        if c.get("id"):
            yield ContainerObs(source="ctr", container_id=str(c["id"]), image=c.get("image"), runtime_type=c.get("runtime"), line=row.line)


# `crictl inspectp --output table ID` / `crictl inspect --output table ID`: `Key: value` lines, one object
# after another, each opened by `ID:`; Labels and Annotations follow as tab-indented `key -> value` lines
# (cri-tools cmd/crictl sandbox.go and container.go; sample: corpus crio-issue8409). Info: is a Go map dump.
_INSPECT_KEYS = frozenset({"ID", "Name", "UID", "Namespace", "Attempt", "Status", "State", "Created", "Started", "Finished",
                           "Exit Code", "Reason", "Message", "Image", "Image Ref", "IP Address", "IP Addresses", "Additional IP",
                           "Network namespace", "Labels", "Annotations", "Info", "Mounts", "PodSandboxId", "Runtime Handler"})  # fmt: skip


_INSPECT_ID = re.compile(rf"ID: {HEX}")


def inspect_table_kind(lines: list[str]) -> str | None:
    """'crictl-inspectp-table' (a pod sandbox), 'crictl-inspect-table' (a container) or None."""
    body = [ln.strip() for ln in lines[:12] if ln.strip()]
    if not body or not body[0].startswith("ID: ") or not _INSPECT_ID.fullmatch(body[0]):
        return None
    keys = {b.split(":", 1)[0] for b in body if ":" in b}
    if "Status" in keys and any(b.startswith("Status: SANDBOX_") for b in body):
        return "crictl-inspectp-table"
    if "State" in keys and any(b.startswith("State: CONTAINER_") for b in body):
        return "crictl-inspect-table"
    return None


def _sniff_inspect_table(head: str) -> int:
    return 75 if inspect_table_kind(head.splitlines()) else 0


@source("crictl-inspect-table", sniff=_sniff_inspect_table)
def parse_inspect_table(ctx: ParseContext) -> Iterable[Record]:
    """crictl inspect/inspectp --output table"""
    lines = _lines(ctx)
    objs: list[tuple[int, dict[str, str], dict[str, dict[str, str]]]] = []
    nested: dict[str, str] | None = None
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s:
            continue
        if raw[:1] in ("\t", " ") and nested is not None and " -> " in s:
            k, _, v = s.partition(" -> ")
            nested[k.strip()] = v.strip()
            continue
        key, sep, value = s.partition(":")
        if not sep or key not in _INSPECT_KEYS:
            if objs:
                ctx.problem(i, f"not a crictl inspect line: {s[:80]!r}")
            continue
        value = value.strip()
        if key == "ID":
            if not re.fullmatch(HEX, value):
                ctx.problem(i, f"not a container or sandbox id: {value[:80]!r}")
                nested = None
                continue
            objs.append((i, {"ID": value}, {}))
            nested = None
            continue
        if not objs:
            ctx.problem(i, "a crictl inspect line before any ID: line")
            continue
        if key in ("Labels", "Annotations"):
            nested = objs[-1][2].setdefault(key, {})
            continue
        nested = None
        if key != "Info":  # a Go map dump, not data
            objs[-1][1][key] = value
    if not objs:
        raise ParseError("no `ID:` line of crictl inspect/inspectp --output table")
    for line, kv, maps in objs:
        if "Status" in kv or ("State" not in kv and "UID" in kv):
            state = kv.get("Status", "")
            yield Sandbox(
                source="crictl-inspectp-table",
                sandbox_id=kv["ID"],
                name=kv.get("Name") or None,
                namespace=kv.get("Namespace") or None,
                pod_uid=kv.get("UID") or None,
                attempt=as_int(kv.get("Attempt")),
                state=STATE.get(state, state or None),
                created_at=parse_time(kv.get("Created")),
                created_text=kv.get("Created") or None,
                ip=(kv.get("IP Addresses") or kv.get("IP Address") or "").split(",")[0].strip() or None,
                labels=maps.get("Labels"),
                annotations=maps.get("Annotations"),
                line=line,
            )
        else:
            state = kv.get("State", "")
            yield ContainerObs(
                source="crictl-inspect-table",
                container_id=kv["ID"],
                name=kv.get("Name") or None,
                attempt=as_int(kv.get("Attempt")),
                state=STATE.get(state, state or None),
                image=kv.get("Image") or None,
                image_ref=kv.get("Image Ref") or None,
                created_at=parse_time(kv.get("Created")),
                created_text=kv.get("Created") or None,
                started_at=parse_time(kv.get("Started")),
                finished_at=parse_time(kv.get("Finished")),
                exit_code=as_int(kv.get("Exit Code")),
                reason=kv.get("Reason") or None,
                labels=maps.get("Labels"),
                annotations=maps.get("Annotations"),
                line=line,
            )
