"""Typed contexts of the report templates: one class per template section (STYLE.md: no loose dicts)."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict


class Ctx(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class NodeRow(Ctx):
    name: str
    anchor: str
    role: str
    ready: str
    kubelet: str
    runtime: str
    kernel: str
    os: str
    ip: str
    collected_at: datetime | None
    clock_skew_s: float | None  # this node's bundle time minus the median of all bundles
    missing: list[str]
    failed: int  # collection records with an error or timeout
    has_bundle: bool
    in_api: bool


class Problem(Ctx):
    node: str
    what: str
    detail: str


class Overview(Ctx):
    site: str
    generated_at: datetime
    version: str
    nodes: list[NodeRow]
    control_planes: int
    quorum: str  # "3 control planes: a valid etcd quorum" ...
    quorum_ok: bool
    api_from: str  # which bundle's kubectl dump the API view comes from
    pod_count: int
    container_count: int
    process_count: int
    log_bytes: int
    collection_problems: list[Problem]
    ingest_problems: list[Problem]
    missing_nodes: list[Problem] = []  # SITE_NODE_MISSING: the site is incomplete
    coverage: list[Problem] = []  # facts a bundle's format could not provide (other tools' bundles), or that a bundle lacks


class FindingRow(Ctx):
    severity: str
    rule: str
    title: str
    node: str
    namespace: str
    object: str
    message: str
    evidence: str
    anchor: str  # id of the object in the page, "" when there is none


class ProcessRow(Ctx):
    pid: int | None
    ppid: int | None
    user: str
    command: str
    role: str
    join_method: str
    depth: int


class LogFileRow(Ctx):
    path: str
    restart: int | None
    size: int
    lines: int
    first: datetime | None
    last: datetime | None
    rotated: bool
    truncated: bool


class LogLineRow(Ctx):
    line_no: int
    ts: datetime | None
    stream: str
    message: str


class ContainerChain(Ctx):
    container_id: str
    name: str
    image: str
    image_id: str
    state: str
    attempt: int | None
    shim_pid: int | None
    processes: list[ProcessRow]
    files: list[LogFileRow]
    last_lines: list[LogLineRow]
    join: str  # exact / inferred / none
    lines_key: str  # key of the last lines in the embedded JSON (large reports)


class PodChain(Ctx):
    anchor: str
    namespace: str
    name: str
    uid: str
    sandbox_id: str
    state: str
    created: datetime | None
    shim_pid: int | None
    pause_pid: int | None
    log_dir: str
    log_bytes: int
    log_files: int
    rotated: int
    api_status: str
    restarts: int | None
    manifest: str  # static pod manifest path, "" when none
    containers: list[ContainerChain]
    flags: list[str]  # short problem markers shown beside the pod
    labels: dict[str, str]
    annotations: dict[str, str]


class ManifestRow(Ctx):
    path: str
    component: str
    images: str
    running: bool


class NodeSection(Ctx):
    anchor: str
    name: str
    role: str
    pods: list[PodChain]
    host_services: list[ProcessRow]
    other_processes: list[ProcessRow]
    other_total: int
    manifests: list[ManifestRow]
    tree_svg: Markup  # empty on large sites: drawn from the embedded JSON when opened
    tree_key: str
    journal: list[LogLineRow]


class ImageCell(Ctx):
    present: bool
    image_id: str
    size: str
    odd: bool  # the id differs from the most common id of this tag


class ImageRow(Ctx):
    image: str
    cells: list[ImageCell]
    mismatch: bool
    partial: bool


class Images(Ctx):
    nodes: list[str]
    rows: list[ImageRow]


class LogDirRow(Ctx):
    node: str
    pod: str
    namespace: str
    log_dir: str
    bytes: int
    files: int
    rotated: int
    anchor: str


class Logs(Ctx):
    dirs: list[LogDirRow]  # a large report's page holds the biggest only; dirs_total says how many there are
    dirs_total: int = 0
    bars_svg: Markup
    journal_highlights: list[tuple[str, LogLineRow]]


class Pictures(Ctx):
    timeline_svg: Markup


class EventRow(Ctx):
    last_seen: datetime | None
    age: str  # a pasted table or describe gives only an age (`2m`)
    type: str
    namespace: str
    object: str
    reason: str
    count: int | None
    source: str
    message: str


class Events(Ctx):
    rows: list[EventRow]  # Warning first, then the latest
    total: int
    warnings: int


class Report(Ctx):
    title: str
    nonce: str
    overview: Overview
    findings: list[FindingRow]
    findings_total: int
    findings_by_severity: dict[str, int]  # fail, warn, info -> count
    nodes: list[NodeSection]
    images: Images
    logs: Logs
    pictures: Pictures
    events: Events
    data_json: Markup  # embedded JSON for lazy rendering, already escaped for a <script> element
    packed: str  # large reports: the lazily drawn parts (chains, last lines, trees, long tables), packed (render.packed)
    large: bool
