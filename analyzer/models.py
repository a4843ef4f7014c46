"""Typed records the parsers produce; each class is one DuckDB table (docs/schema.md).

Every table also has `snapshot_id` (which bundle or loose capture set), `node` (the API
name of the node the data came from) and `member` (the bundle member or file read); the
ingest adds those. Parsers set `line` where a record comes from one line of text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: ClassVar[str]
    about: ClassVar[str]


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
    about = "Every object of every kubectl JSON dump, raw (services, PVs, leases, ...); query with json_extract."
    kind: str
    api_version: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    created_at: datetime | None = None
    raw: dict[str, Any]


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
