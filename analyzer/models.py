"""Typed records the parsers produce; each class is one DuckDB table (docs/schema.md).

Every table also has `snapshot_id` (which bundle or loose capture set), `node` (the API
name of the node the data came from) and `member` (the bundle member or file read); the
ingest adds those. Parsers set `line` where a record comes from one line of text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator


@dataclass(frozen=True)
class Sql:
    """How a field is stored when its Python type does not say it all (analyzer.store turns fields into DDL):
    `type` replaces the type the annotation maps to (INTEGER for BIGINT), `primary_key` and `compression` add
    to the column."""

    type: str | None = None
    primary_key: bool = False
    compression: str | None = None


class Stored(BaseModel):
    """A model that is a table of the store (analyzer.store makes its DDL, analyzer.docs its page in docs/schema.md)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    table: ClassVar[str]
    about: ClassVar[str]


class Record(Stored):
    """A row a parser produces; its table also has snapshot_id, node and member (CommonColumns), set by the ingest."""


class Row(Stored):
    """A row the ingest, the correlation or the rule runner writes itself: its fields are all of its table's columns."""


class CommonColumns(BaseModel):
    """The columns every record table has before its record's fields."""

    snapshot_id: str | None = Field(None, description="which bundle or loose-capture set the row came from")
    node: str | None = Field(None, description="the API name of the node the data came from")
    member: str | None = Field(None, description="the bundle member (or loose file) read")


INT32 = Sql("INTEGER")
ZSTD = Sql(compression="zstd")


# ------------------------------------------------------------------ written by the ingest, correlate and the rule runner


class Snapshot(Row):
    table = "snapshots"
    about = "One row per ingested bundle or per node's set of loose captures."
    snapshot_id: Annotated[str, Sql(primary_key=True)] = Field(description="stable id: a hash of site and bundle name (or site and node for loose captures)")
    site: str | None = Field(None, description="the site given to --site (default 'default')")
    node: str | None = Field(None, description="the API node name: kubelet --hostname-override where set, else the host name")
    hostname: str | None = Field(None, description="the kernel host name")
    role: str | None = Field(None, description="control-plane, worker, bastion, unknown")
    kind: str | None = Field(None, description="bundle or loose")
    source: str | None = Field(None, description="the input it was read from (for a bundle, with its folder inside the input)")
    bundle_name: str | None = Field(None, description="bundle folder name")
    collected_at: datetime | None = Field(None, description="when the collector started, by the node's clock")
    finished_at: datetime | None = Field(None, description="when the collector finished")
    timezone: str | None = Field(None, description="the node's zone abbreviation at collection")
    utc_offset: str | None = Field(None, description="the node's UTC offset at collection, +hhmm")
    collector_version: str | None = None
    format_version: Annotated[int | None, INT32] = None
    options: dict[str, Any] | None = Field(None, description="collector options")
    collected_by: str | None = Field(None, description="the user that ran the collector")
    uid: Annotated[int | None, INT32] = None
    runtime_kind: str | None = Field(None, description="containerd, crio, k3s, docker, ...")
    runtime_endpoint: str | None = None
    crictl_calls: Annotated[int | None, INT32] = None
    missing_commands: list[str] | None = Field(None, description="commands that were not on the node's PATH")
    redactions: Annotated[int | None, INT32] = Field(None, description="values the collector redacted")
    withheld: list[dict[str, str]] | None = Field(None, description="files the collector's redaction withheld: [{path, reason}] (manifest.json)")
    redaction_engine: str | None = Field(None, description="the awk that ran the collector's redaction: awk (the first on PATH), "
                                                           "another that passed its self-test, or none (what needed redaction was withheld)")  # fmt: skip
    redaction_awk: str | None = Field(None, description="what that awk said it is: its version line (mawk 1.3.4 20200120, GNU Awk 5.1.0, "
                                                        "BusyBox v1.36.1), as the manifest's redaction.awk")  # fmt: skip
    ingested_at: datetime | None = None
    kubesnap_version: str | None = None
    content_sha256: str | None = Field(None, description="hash of the bundle's members (paths, sizes, times, contents), order aside: "
                                                         "the same bundle ingested again changes nothing")  # fmt: skip


class MemberRow(Row):
    table = "members"
    about = "Every member of every bundle, with the parser that read it."
    snapshot_id: str | None = None
    path: str | None = Field(None, description="path inside the bundle")
    kind: str | None = Field(None, description="file, symlink, hardlink, dir, device, fifo")
    size: int | None = None
    mtime: datetime | None = None
    link_target: str | None = Field(None, description="where a symlink points (never followed)")
    parser: str | None = Field(None, description="the source parser that read it, if any")
    records: Annotated[int | None, INT32] = Field(None, description="rows it produced")
    status: str | None = Field(None, description="parsed, empty, unknown, problem, skipped, raw")
    state: str | None = Field(None, description="read (by `parser`, `records` rows), raw (kept unread on purpose: `reason`), "
                                                "not understood (an ingest problem names the member)")  # fmt: skip
    reason: str | None = Field(None, description="why a raw member is kept unread (its layout entry's reason)")


class IngestProblem(Row):
    table = "ingest_problems"
    about = "What could not be read, and why; the rest of the input was ingested."
    snapshot_id: str | None = None
    bundle: str | None = Field(None, description="the input (and bundle) it was found in")
    member: str | None = None
    parser: str | None = None
    reason: str | None = None
    line: Annotated[int | None, INT32] = Field(None, description="line number, where one line was at fault")


class LogLine(Row):
    table = "log_lines"
    about = "Every line of every container log file: exact line numbers, partial (P) records joined into one logical line."
    file_id: int | None = Field(None, description="log_files.file_id")
    line_no: Annotated[int | None, INT32] = Field(None, description="first physical line of the logical line, 1-based, as in the file")
    line_end: Annotated[int | None, INT32] = Field(None, description="last physical line (differs when P records were joined)")
    ts: datetime | None = Field(None, description="the runtime's timestamp (UTC)")
    stream: str | None = Field(None, description="stdout / stderr")
    partial: bool | None = Field(None, description="assembled from P records, or a P record never completed")
    message: Annotated[str | None, ZSTD] = Field(None, description="the line as the application wrote it (each invalid UTF-8 byte becomes ?)")


class JournalLine(Row):
    table = "journal"
    about = "Kubelet, runtime and kernel journal lines, syslog, dmesg (bulk-loaded), each copy as read: read them through journal_lines."
    snapshot_id: str | None = None
    node: str | None = None
    member: str | None = None
    line_no: Annotated[int | None, INT32] = None
    ts: datetime | None = Field(None, description="the journal's (or syslog's) time, UTC; NULL when the line has none")
    host: str | None = None
    ident: str | None = Field(None, description="kubelet, containerd, k3s, kernel, ...")
    pid: Annotated[int | None, INT32] = None
    severity: str | None = Field(None, description="I W E F (klog) or info/warning/error (logrus)")
    location: str | None = Field(None, description="klog file:line")
    message: Annotated[str | None, ZSTD] = None
    source: str | None = Field(None, description="journal, syslog, dmesg, runtime-log")


class IdAlias(Row):
    table = "id_aliases"
    about = "Resolution of every sandbox and container id (or prefix) seen in a snapshot to the full id it stands for."
    snapshot_id: str | None = None
    kind: str | None = Field(None, description="sandbox or container")
    observed: str | None = Field(None, description="the id or prefix as seen")
    canonical: str | None = Field(None, description="the longest id it is a prefix of; NULL when ambiguous")
    status: str | None = Field(None, description="unique or ambiguous")
    candidates: list[str] | None = Field(None, description="the ids an ambiguous prefix matches")


class GrepBlock(Row):
    table = "grep_blocks"
    about = "The search index's blocks (analyzer/grepindex.py): runs of about 256 KiB of lines, contiguous in (file, line) order."
    part_id: int | None = Field(None, description="the part (up to 512 blocks of one snapshot) whose 4-gram bitsets hold the block")
    block: Annotated[int | None, INT32] = Field(None, description="the block's bit in its part's bitsets")
    snapshot_id: str | None = None
    kind: str | None = Field(None, description="log (log_lines) or journal")
    k_lo: str | None = Field(None, description="first line: its file_id (log) or member (journal)")
    line_lo: Annotated[int | None, INT32] = Field(None, description="first line: its line_no")
    k_hi: str | None = Field(None, description="last line: its file_id (log) or member (journal)")
    line_hi: Annotated[int | None, INT32] = Field(None, description="last line: its line_no")


class GrepTrigram(Row):
    table = "grep_trigrams"
    about = "The search index: for each 16-bit hash of a lowercased 4-gram, which blocks of a part hold it."
    part_id: int | None = Field(None, description="grep_blocks.part_id")
    h: Annotated[int | None, INT32] = Field(None, description="the 4-gram hash")
    bits: bytes | None = Field(None, description="bit b set: block b of the part holds a 4-gram of this hash (little-endian bit order)")


class ProcessLink(Row):
    table = "process_links"
    about = "Which pod sandbox and container each process belongs to, and how that is known."
    snapshot_id: str | None = None
    pid: int | None = None
    sandbox_id: str | None = Field(None, description="canonical sandbox id")
    container_id: str | None = Field(None, description="canonical container id; NULL for the pause process")
    role: str | None = Field(None, description="shim, pause, container, descendant")
    join_method: str | None = Field(None, description="exact (runtime record or cgroup) or inferred (shim -id, PPID, name, prefix)")
    evidence: str | None = Field(None, description="inspect-pid, inspectp-pid, cgroup, shim-id, conmon, shim-child, name-match, only-container, "
                                                   "name-only, only-pause, descendant-of")  # fmt: skip
    via_pid: int | None = Field(None, description="the process it descends from, for descendants")


class FindingRow(Row):
    table = "findings"
    about = "What the rules found (kubesnap findings, analyze), with the evidence; rewritten per site at each check."
    site: str | None = None
    rule: str | None = Field(None, description="rule id (kubesnap rules, docs/rules.md)")
    severity: str | None = Field(None, description="info, warn, fail")
    title: str | None = Field(None, description="the rule's title")
    category: str | None = Field(None, description="join, control-plane, workloads, images, nodes, certificates, logs/..., collection")
    node: str | None = Field(None, description="the node it is about, when one")
    namespace: str | None = None
    object: str | None = Field(None, description="the pod, node, path, image or process it is about")
    message: str | None = None
    evidence: str | None = Field(None, description="where it was seen, one line each: node: bundle member[:line]: what")
    evidence_list: list[str] | None = Field(None, description="the same lines as a list")
    checked_at: datetime | None = Field(None, description="when the rules ran")


FIXED_RECORDS: list[type[Row]] = [Snapshot, MemberRow, IngestProblem, LogLine, JournalLine, IdAlias, GrepBlock, GrepTrigram, ProcessLink, FindingRow]


# ------------------------------------------------------------------ runtime (crictl, ctr, docker)


class Sandbox(Record):
    table = "crictl_sandboxes"
    about = "Pod sandboxes as the runtime reports them (crictl pods, inspectp; one row per observation)."
    source: str = Field(description="crictl-pods-json, crictl-pods-table, crictl-inspectp, ctr")
    sandbox_id: str = Field(description="64-hex id, or the prefix the source shows")
    name: str | None = None
    namespace: str | None = None
    pod_uid: str | None = None
    attempt: int | None = None
    state: str | None = Field(None, description="Ready / NotReady")
    created_at: datetime | None = None
    created_text: str | None = Field(None, description="as printed, e.g. '44 hours ago'")
    runtime_handler: str | None = None
    pid: int | None = Field(None, description="host PID of the pause process (inspectp info.pid)")
    ip: str | None = None
    host_network: bool | None = None
    cgroup_parent: str | None = None
    log_directory: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    line: int | None = None


class ContainerObs(Record):
    table = "crictl_containers"
    about = "Containers as the runtime reports them (crictl ps, inspect, ctr, docker; one row per observation)."
    source: str
    container_id: str = Field(description="64-hex id without runtime prefix, or the prefix the source shows")
    sandbox_id: str | None = None
    name: str | None = None
    attempt: int | None = None
    state: str | None = Field(None, description="Running / Exited / Created / Unknown")
    image: str | None = Field(None, description="image as shown (id prefix, name:tag or name@digest)")
    image_id: str | None = None
    image_ref: str | None = None
    created_at: datetime | None = None
    created_text: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    reason: str | None = None
    pid: int | None = Field(None, description="host PID of the container's init process (inspect info.pid)")
    log_path: str | None = None
    pod_name: str | None = None
    pod_namespace: str | None = None
    pod_uid: str | None = None
    runtime_type: str | None = None
    cgroups_path: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    line: int | None = None


class ImageObs(Record):
    table = "crictl_images"
    about = "Images present on a node (crictl images, as JSON or table)."
    source: str
    image_id: str | None = Field(None, description="sha256:<64hex> where known, else the prefix shown")
    repo: str | None = None
    tag: str | None = None
    digest: str | None = None
    size_bytes: int | None = None
    size_text: str | None = None
    pinned: bool | None = None
    line: int | None = None


class ContainerStat(Record):
    table = "container_stats"
    about = "crictl stats / statsp: who uses CPU and memory."
    kind: str = Field(description="container or pod")
    id: str
    name: str | None = None
    cpu_percent: float | None = None
    memory_bytes: int | None = None
    memory_text: str | None = None
    disk_text: str | None = None
    line: int | None = None


# ------------------------------------------------------------------ processes


class Process(Record):
    table = "processes"
    about = "Processes from ps (the collector's fixed format, ps -ef, ps aux/auxf, busybox ps, pasted cuts)."
    source: str = Field(description="ps-fixed, ps-ef, ps-aux, ps-axf, ps-busybox, ps-custom (any `ps -o` columns), systemctl-status")
    pid: int
    ppid: int | None = None
    ppid_inferred: bool = Field(False, description="PPID taken from forest indentation, not printed by ps")
    user: str | None = None
    started_at: datetime | None = None
    start_text: str | None = Field(None, description="STIME/START as printed")
    elapsed_s: int | None = None
    stat: str | None = None
    rss_kb: int | None = None
    vsz_kb: int | None = None
    cpu_time: str | None = None
    tty: str | None = None
    command: str
    truncated: bool = Field(False, description="the command was cut (terminal width, cut -c)")
    line: int | None = None


class CgroupLine(Record):
    table = "process_cgroups"
    about = "/proc/<pid>/cgroup lines, with the pod and container they name."
    pid: int | None = None
    hierarchy: int | None = None
    controllers: str | None = None
    path: str
    driver: str | None = Field(None, description="systemd or cgroupfs")
    qos: str | None = Field(None, description="guaranteed, burstable, besteffort")
    pod_uid: str | None = None
    container_id: str | None = None
    runtime: str | None = Field(None, description="containerd, crio, docker (from the scope prefix), or none")
    kind: str | None = Field(None, description="container, conmon, pod, system, user, other")
    line: int | None = None


# ------------------------------------------------------------------ Kubernetes API (kubectl)


class ApiNode(Record):
    table = "api_nodes"
    about = "Nodes as the API reports them (kubectl get nodes, JSON or -o wide table)."
    source: str
    name: str
    uid: str | None = None
    roles: list[str] | None = None
    ready: str | None = Field(None, description="True / False / Unknown (table: Ready / NotReady)")
    status_text: str | None = None
    unschedulable: bool | None = None
    memory_pressure: str | None = None
    disk_pressure: str | None = None
    pid_pressure: str | None = None
    network_unavailable: str | None = None
    kubelet_version: str | None = None
    runtime_version: str | None = None
    kernel_version: str | None = None
    os_image: str | None = None
    architecture: str | None = None
    internal_ip: str | None = None
    external_ip: str | None = None
    created_at: datetime | None = None
    age_text: str | None = None
    labels: dict[str, str] | None = None
    taints: list[dict[str, Any]] | None = None
    conditions: list[dict[str, Any]] | None = None
    capacity: dict[str, str] | None = None
    allocatable: dict[str, str] | None = None
    line: int | None = None


class ApiPod(Record):
    table = "api_pods"
    about = "Pods as the API reports them (kubectl get pods, JSON or -o wide table)."
    source: str
    namespace: str | None = None
    name: str
    uid: str | None = None
    node_name: str | None = None
    phase: str | None = None
    reason: str | None = None
    status_text: str | None = Field(None, description="the STATUS column kubectl prints")
    ready_text: str | None = None
    restarts: int | None = None
    last_restart_text: str | None = None
    pod_ip: str | None = None
    host_ip: str | None = None
    qos_class: str | None = None
    created_at: datetime | None = None
    start_time: datetime | None = None
    age_text: str | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    static: bool | None = Field(None, description="a mirror pod of a static pod manifest")
    config_hash: str | None = Field(None, description="kubernetes.io/config.hash: the static pod's uid on the node")
    priority_class: str | None = None
    host_network: bool | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    nominated_node: str | None = None
    line: int | None = None


class ApiContainer(Record):
    table = "api_containers"
    about = "Container statuses of API pods (init containers too)."
    namespace: str | None = None
    pod: str
    pod_uid: str | None = None
    name: str
    init: bool = False
    image: str | None = None
    image_id: str | None = None
    container_id: str | None = Field(None, description="64-hex, without the containerd:// / cri-o:// / docker:// scheme")
    runtime_scheme: str | None = None
    ready: bool | None = None
    started: bool | None = None
    restart_count: int | None = None
    state: str | None = Field(None, description="running, waiting, terminated")
    state_reason: str | None = None
    state_message: str | None = None
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_state: str | None = None
    last_reason: str | None = None
    last_exit_code: int | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None


class Event(Record):
    table = "events"
    about = "Kubernetes events."
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    uid: str | None = None
    reason: str | None = None
    message: str | None = None
    type: str | None = None
    count: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    first_seen_text: str | None = Field(None, description="age as a kubectl table shows it (`5m`), when no time is known")
    last_seen_text: str | None = Field(None, description="age as a kubectl table shows it (`2m`), when no time is known")
    component: str | None = None
    host: str | None = None


class Workload(Record):
    table = "workloads"
    about = "Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs."
    kind: str
    namespace: str | None = None
    name: str
    uid: str | None = None
    desired: int | None = None
    ready: int | None = None
    available: int | None = None
    images: list[str] | None = None
    selector: dict[str, str] | None = None
    created_at: datetime | None = None
    owner_kind: str | None = None
    owner_name: str | None = None


class ApiObject(Record):
    table = "api_objects"
    about = ("Every object of every kubectl JSON dump, raw (services, PVs, leases, ...); query with json_extract. A Secret's "
             "data and stringData values and its last-applied annotation are never stored: their keys are, each value 'REDACTED'.")
    kind: str
    api_version: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    created_at: datetime | None = None
    raw: dict[str, Any]

    @model_validator(mode="after")
    def _no_secret_values(self) -> ApiObject:
        """A Secret someone dumped (kubectl get secret -o json, a must-gather's secrets.yaml) keeps its keys, never its values."""
        if self.kind.lower() == "secret":
            self.raw = redact_secret(self.raw)
        return self


def redact_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret object with the values of its data and stringData replaced by 'REDACTED' and the annotations that copy
    them (kubectl's last-applied-configuration) dropped."""
    out = dict(obj)
    for field in ("data", "stringData"):
        v = out.get(field)
        if isinstance(v, dict):
            out[field] = {str(k): "REDACTED" for k in v}
        elif v is not None:
            out[field] = "REDACTED"
    md = out.get("metadata")
    if isinstance(md, dict) and isinstance(md.get("annotations"), dict):
        out["metadata"] = {**md, "annotations": {k: v for k, v in md["annotations"].items() if "last-applied" not in str(k)}}
    return out


class Lease(Record):
    table = "leases"
    about = "Leases (leader election of kube-controller-manager, kube-scheduler, ...)."
    namespace: str | None = None
    name: str
    holder: str | None = None
    renew_time: datetime | None = None
    duration_s: int | None = None


class Version(Record):
    table = "cluster_versions"
    about = "kubectl version: client and server."
    client_version: str | None = None
    server_version: str | None = None


# ------------------------------------------------------------------ logs, journals


class LogFile(Record):
    table = "log_files"
    about = "Container log files (/var/log/pods, kubectl logs) with what their path and content say; listed-only files (from a pasted ls or du) have no file_id."
    file_id: int | None
    path: str = Field(description="the node's path, e.g. /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log")
    layout: str = Field(description="pods (ns_pod_uid/container/N.log), pods-old (uid/container_N.log), crio-id (ns_pod_uid/<id>.log), kubectl-logs, calico, other")
    namespace: str | None = None
    pod: str | None = None
    pod_uid: str | None = None
    container: str | None = None
    container_id: str | None = None
    restart: int | None = None
    rotated: bool = False
    rotated_stamp: str | None = None
    decompressed: bool = False
    previous: bool = False
    size: int | None = Field(None, description="bytes on the node")
    bytes: int | None = Field(None, description="bytes in the bundle")
    mtime: datetime | None = None
    truncated: bool = Field(False, description="the collector kept only the tail (--max-log-bytes)")
    format: str | None = Field(None, description="cri, docker-json, timestamped, plain")
    encoding: str | None = Field(None, description="utf-8, or cp949 (EUC-KR) / latin-1 when the file was transcoded")
    line_count: int | None = None
    first_ts: datetime | None = None
    last_ts: datetime | None = None


class ContainerLink(Record):
    table = "container_log_links"
    about = "/var/log/containers symlinks: <pod>_<namespace>_<container>-<id>.log -> /var/log/pods/..."
    name: str
    pod: str | None = None
    namespace: str | None = None
    container: str | None = None
    container_id: str | None = None
    target: str | None = None


# ------------------------------------------------------------------ host, config, certificates


class HostFact(Record):
    table = "host_facts"
    about = "Facts about a node's host: uname, OS, kernel, uptime, clock, time sync, memory, sysctls."
    key: str
    value: str | None = None


class Filesystem(Record):
    table = "filesystems"
    about = "df -PTk / df -PTi: size, used and inodes per mount."
    filesystem: str
    fstype: str | None = None
    mount: str
    size_kb: int | None = None
    used_kb: int | None = None
    avail_kb: int | None = None
    used_pct: float | None = None
    inodes: int | None = None
    inodes_used: int | None = None
    inodes_used_pct: float | None = None


class Service(Record):
    table = "services"
    about = "systemd units of kubelet and the runtimes (systemctl show / cat)."
    unit: str
    load_state: str | None = None
    active_state: str | None = None
    sub_state: str | None = None
    main_pid: int | None = None
    restarts: int | None = None
    started_at: str | None = None
    exec_start: str | None = None


class StaticManifest(Record):
    table = "manifests"
    about = "Static pod manifests (/etc/kubernetes/manifests, RKE2 pod-manifests) and what they run."
    path: str
    pod_name: str | None = None
    namespace: str | None = None
    component: str | None = None
    containers: list[str] | None = None
    images: list[str] | None = None
    command: list[str] | None = None
    host_network: bool | None = None
    content: str
    error: str | None = None


class KubeletConfig(Record):
    table = "kubelet_configs"
    about = "Kubelet configuration files (config.yaml / kubelet-config.yaml) and flags files."
    path: str
    static_pod_path: str | None = None
    cgroup_driver: str | None = None
    container_runtime_endpoint: str | None = None
    max_pods: int | None = None
    eviction_hard: dict[str, str] | None = None
    raw: dict[str, Any] | None = None


class FileContent(Record):
    table = "config_files"
    about = "Text of collected configuration files (/etc/kubernetes, runtime and CNI configs), for reading and diffs."
    path: str
    size: int
    content: str | None = None
    sha256: str


class Certificate(Record):
    table = "certificates"
    about = "X.509 certificates found in collected files (subject, issuer, validity, SANs)."
    path: str
    index: int = Field(description="position of the certificate in its file")
    subject: str | None = None
    issuer: str | None = None
    common_name: str | None = None
    serial: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    sans: list[str] | None = None
    is_ca: bool | None = None
    fingerprint_sha256: str | None = None


class EtcdMember(Record):
    table = "etcd_members"
    about = "etcdctl member list."
    member_id: str
    name: str | None = None
    peer_urls: list[str] | None = None
    client_urls: list[str] | None = None
    is_learner: bool | None = None


class EtcdEndpoint(Record):
    table = "etcd_endpoints"
    about = "etcdctl endpoint status and health: leader, raft term, db size, health."
    endpoint: str
    member_id: str | None = None
    leader_id: str | None = None
    version: str | None = None
    db_size: int | None = None
    db_size_in_use: int | None = None
    raft_term: int | None = None
    raft_index: int | None = None
    healthy: bool | None = None
    took: str | None = None
    error: str | None = None
    errors: list[str] | None = None


class EtcdAlarm(Record):
    table = "etcd_alarms"
    about = "etcdctl alarm list (NOSPACE, CORRUPT)."
    member_id: str | None = None
    alarm: str


class CollectionRecord(Record):
    table = "collection_records"
    about = "Every command and file the collector recorded in manifest.json (exit code, time, size, truncation, error)."
    kind: str
    argv: list[str] | None = None
    path: str | None = None
    output: str | None = None
    exit_code: int | None = None
    seconds: float | None = None
    bytes: int | None = None
    size: int | None = None
    truncated: bool | None = None
    timed_out: bool | None = None
    error: str | None = None
    skipped: str | None = None
    link_target: str | None = None
    mtime: datetime | None = Field(None, description="a file's modification time on the node, copied or not")


class SiteHost(Record):
    table = "site_hosts"
    about = "Hosts of a site collection (collect-site's site-manifest.json): which answered, which failed and why, in how long."
    name: str = Field(description="the host's name in the inventory")
    groups: list[str] | None = Field(None, description="its inventory groups (kube_control_plane, kube_node, etcd, bastion...)")
    address: str | None = None
    port: int | None = None
    user: str | None = None
    status: str = Field(description="ok or failed")
    failure: str | None = Field(None, description="unreachable, auth, sudo-refused, timeout, collector-error, inventory")
    reason: str | None = None
    seconds: float | None = None
    bundle: str | None = Field(None, description="the host's tarball in the site archive")
    method: str | None = Field(None, description="ansible or ssh")
    collected_at: datetime | None = Field(None, description="when the site collection started")


class PasteSection(Record):
    table = "paste_sections"
    about = "Every section of a pasted text (analyzer/paste.py): its lines, the command seen above it, the format it was read as, how many records it held, and what could not be read."
    first_line: int = Field(description="first line of the section in the pasted file, 1-based")
    last_line: int = Field(description="last line, inclusive")
    command: str | None = Field(None, description="the command typed at the prompt above the section, if any")
    prompt: str | None = Field(None, description="for a prompt line: the prompt as printed")
    format: str = Field(description="prompt, fence, marker, prose, unknown, or the data format read (kubectl-get-pods, journal-short, ps-ef, ...)")
    rows: int | None = Field(None, description="records the section held (table rows, journal entries, described objects); NULL for structure")
    parser: str | None = Field(None, description="the source parser that also stored the section in its tables, if any")
    stored: int | None = Field(None, description="rows that parser stored")
    problems: list[str] | None = Field(None, description="why the section (or part of it) was not read; a problem makes the ingest exit 1")
    notes: list[str] | None = Field(None, description="what the table parser said about the section that the paste reader read (not a problem)")


ALL_RECORDS: list[type[Record]] = [
    Sandbox, ContainerObs, ImageObs, ContainerStat, Process, CgroupLine,
    ApiNode, ApiPod, ApiContainer, Event, Workload, ApiObject, Lease, Version,
    LogFile, ContainerLink,
    HostFact, Filesystem, Service, StaticManifest, KubeletConfig, FileContent, Certificate,
    EtcdMember, EtcdEndpoint, EtcdAlarm, CollectionRecord, SiteHost, PasteSection,
]  # fmt: skip

# every table of the store (kubesnap_meta aside) -> what it holds
STORED: list[type[Stored]] = [*FIXED_RECORDS, *ALL_RECORDS]
STORED_TABLES: dict[str, str] = {cls.table: cls.about for cls in STORED}
