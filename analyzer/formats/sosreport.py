"""sosreport (`sos report`) of a Kubernetes or OpenShift node: plugins kubernetes, crio, containerd, process.

Layout from sosreport/sos (sos/report/plugins/__init__.py, kubernetes.py, crio.py, containerd.py):
command output in sos_commands/<plugin>/[<subdir>/]<mangled command>, copied files at their host path
without the leading slash, the run's manifest in sos_reports/manifest.json.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.formats import Format, Listing, Unit, register
from analyzer.layout import JOURNALS, POD_LOGS, RAW, Entry, layout
from analyzer.logpaths import log_file_meta
from analyzer.timeparse import date_output_time

K = "sos_commands/kubernetes/**/"
KUBECTL = "sos kubernetes plugin (kubectl)"
FILES = (("prefix", "files/"),)

# the top-level convenience links sos writes (sos/report/__init__.py)
LINKS = ("date", "df", "dmidecode", "free", "installed-debs", "installed-rpms", "installed-snaps", "ip_addr", "java", "last",
         "lsb-release", "lsmod", "lsof", "lspci", "mount", "netstat", "ps", "pstree", "root-symlinks", "route", "uptime",
         "vgdisplay", "chkconfig", "sestatus", "hostname", "uname")  # fmt: skip

LAYOUT = layout(
    "sosreport",
    doc="sosreport of a node",
    entries=[
        Entry("version.txt", RAW, made_by="sos", reason="the sos version: shown in sources"),
        Entry("environment", RAW, made_by="sos", reason="the environment sos ran in: no table holds it"),
        Entry(
            "hostname",
            "host-simple",
            ("host_facts",),
            made_by="hostname",
            options=(("path", "host/hostname.txt"),),
        ),
        Entry(
            "sos_commands/host/hostname",
            "host-simple",
            ("host_facts",),
            made_by="hostname",
            options=(("path", "host/hostname.txt"),),
        ),
        Entry(
            "uname", "host-simple", ("host_facts",), made_by="uname -a", options=(("path", "host/uname.txt"),)
        ),
        Entry(
            "sos_commands/kernel/uname_-a",
            "host-simple",
            ("host_facts",),
            made_by="uname -a",
            options=(("path", "host/uname.txt"),),
        ),
        Entry("sos_logs/**", RAW, made_by="sos", reason="sos's own log"),
        Entry(
            "sos_reports/**",
            RAW,
            made_by="sos",
            reason="sos's run report (commands, exit codes): no table holds it",
        ),
        Entry(
            "sos_strings/**",
            RAW,
            made_by="sos",
            reason="the tail of a truncated command output; read at its sos_commands link",
        ),
        Entry(K + "*kubectl_*_logs_*", POD_LOGS, ("log_files", "log_lines"), made_by=KUBECTL + " logs"),
        Entry(
            "sos_commands/kubernetes/cluster-info/*/podlogs/*/*",
            POD_LOGS,
            ("log_files", "log_lines"),
            made_by=KUBECTL + " logs",
        ),
        Entry(
            K + "*kubectl_*get_-o_json*",
            "kubectl-json",
            ("api_pods", "api_nodes", "api_events", "api_workloads", "api_objects"),
            made_by=KUBECTL + " get -o json",
        ),
        Entry(
            K + "*kubectl_*describe_pods_*",
            "kubectl-describe",
            ("api_pods",),
            made_by=KUBECTL + " describe pods",
        ),
        Entry(
            K + "*kubectl_*describe_node_*",
            "kubectl-describe",
            ("api_nodes",),
            made_by=KUBECTL + " describe node",
        ),
        Entry(
            K + "*kubectl_*describe_nodes*",
            "kubectl-describe",
            ("api_nodes",),
            made_by=KUBECTL + " describe nodes",
        ),
        Entry(K + "*kubectl_*get_nodes", "kubectl-table", ("api_nodes",), made_by=KUBECTL + " get nodes"),
        Entry(K + "*kubectl_*get_pods*", "kubectl-table", ("api_pods",), made_by=KUBECTL + " get pods"),
        Entry(
            K + "*kubectl_*",
            RAW,
            made_by=KUBECTL,
            reason="kubectl output Kubesnap has no table for (namespaces, pvs, version, config view with credentials scrubbed by sos, api-resources)",
        ),
        Entry("sos_commands/**/journalctl_*", JOURNALS, ("journal",), made_by="journalctl --unit"),
        Entry(
            "sos_commands/crio/crictl_ps_-a",
            "crictl-ps-table",
            ("crictl_containers",),
            made_by="crictl ps -a",
        ),
        Entry(
            "sos_commands/crio/crictl_pods", "crictl-pods-table", ("crictl_sandboxes",), made_by="crictl pods"
        ),
        Entry(
            "sos_commands/crio/crictl_images",
            "crictl-images-table",
            ("crictl_images",),
            made_by="crictl images",
        ),
        Entry(
            "sos_commands/crio/containers/crictl_inspect_*",
            "crictl-inspect",
            ("crictl_containers",),
            made_by="crictl inspect",
        ),
        Entry(
            "sos_commands/crio/pods/crictl_inspectp_*",
            "crictl-inspectp",
            ("crictl_sandboxes",),
            made_by="crictl inspectp",
        ),
        Entry(
            "sos_commands/crio/images/crictl_inspecti_*",
            "crictl-inspecti",
            ("crictl_images",),
            made_by="crictl inspecti",
        ),
        Entry(
            "sos_commands/crio/containers/logs/crictl_logs_-t_*",
            POD_LOGS,
            ("log_files", "log_lines"),
            made_by="crictl logs -t",
        ),
        Entry("sos_commands/process/ps_aux*", "ps", ("processes",), made_by="ps aux"),
        Entry("sos_commands/process/ps_-e*", "ps", ("processes",), made_by="ps -ef"),
        Entry(
            "sos_commands/**",
            RAW,
            made_by="sos plugins",
            reason="output of a sos plugin command no Kubesnap table reads",
        ),
        Entry(
            "etc/kubernetes/manifests/*",
            "static-pod-manifest",
            ("static_pods",),
            made_by="copy",
            options=FILES,
        ),
        Entry(
            "var/lib/kubelet/config.yaml",
            "kubelet-config",
            ("kubelet_config",),
            made_by="copy",
            options=FILES,
        ),
        Entry("var/log/pods/**", POD_LOGS, ("log_files", "log_lines"), made_by="copy"),
        Entry("var/log/containers/*", RAW, made_by="copy", reason="links to /var/log/pods, read there"),
        Entry("var/log/syslog*", JOURNALS, ("journal",), made_by="copy", options=(("source", "syslog"),)),
        Entry("var/log/messages*", JOURNALS, ("journal",), made_by="copy", options=(("source", "syslog"),)),
        Entry("etc/**", "config-file", ("config_files",), made_by="copy", options=FILES),
        *(
            Entry(
                f"{top}/**",
                RAW,
                made_by="sos (copied host files)",
                reason="a copied host file no Kubesnap table reads",
            )
            for top in (
                "etc",
                "usr",
                "var",
                "proc",
                "sys",
                "run",
                "boot",
                "lib",
                "opt",
                "root",
                "home",
                "dev",
                "snap",
            )
        ),
        *(
            Entry(
                name,
                RAW,
                made_by="sos (top-level link into sos_commands)",
                reason="a convenience copy of a sos_commands file",
            )
            for name in LINKS
        ),
    ],
)


# plugins every sosreport of a Linux node runs
_SOS_PLUGINS = frozenset(["date", "process", "kernel", "systemd", "networking", "block", "filesys", "host", "logs", "memory",
                          "hardware", "boot", "processor", "release", "dpkg", "rpm", "apt", "yum", "dnf", "snap"])  # fmt: skip


def _sniff(listing: Listing) -> tuple[int, list[Unit]]:
    units = []
    for root in listing.dirs_with("sos_commands"):
        pre = f"{root}/" if root else ""
        vt = listing.head(pre + "version.txt")
        # (a report without its version.txt and logs, a partial upload: sos's own plugins' folders say what it is)
        plugins = {p[len(pre) + 13 :].split("/", 1)[0] for p in listing.paths[:200000] if p.startswith(pre + "sos_commands/")}
        if (
            vt.startswith((b"sosreport:", b"sos report", b"sos:"))
            or listing.kinds.get(pre + "sos_reports/manifest.json")
            or listing.kinds.get(pre + "sos_logs/sos.log")
            or listing.kinds.get(pre + "sos_logs/ui.log")
            or len(plugins & _SOS_PLUGINS) >= 3
        ):
            units.append(Unit(root))
    return (95, units) if units else (0, [])


LOGS_OLD = re.compile(
    r"--namespace_([a-z0-9][a-z0-9.-]{0,252})_logs_([a-z0-9][a-z0-9.-]{0,252})(?:_-c_([a-z0-9][a-z0-9-]{0,62}))?$"
)


def _log_meta(path: str) -> dict[str, Any] | None:
    name = path.rsplit("/", 1)[-1]
    if path.startswith("var/log/pods/"):
        meta = log_file_meta("files/" + path)
        return meta if meta.get("layout") != "other" else None
    parts = path.split("/")
    if path.startswith("sos_commands/kubernetes/cluster-info/") and len(parts) == 7:
        m = re.search(r"_-c_([a-z0-9][a-z0-9-]{0,62})", name)
        return {"path": path, "namespace": parts[3], "pod": parts[5], "container": m.group(1) if m else None,
                "previous": "_-p" in name or "--previous" in name}  # fmt: skip
    if name.startswith("crictl_logs_-t_"):
        return {"path": path, "container_id": name.removeprefix("crictl_logs_-t_"), "layout": "crictl-logs"}
    m = LOGS_OLD.search(name)
    if m:
        return {"path": path, "namespace": m.group(1), "pod": m.group(2), "container": m.group(3)}
    return None


def _info(listing: Listing, unit: Unit) -> dict[str, Any]:
    pre = f"{unit.root}/" if unit.root else ""
    v = listing.head(pre + "version.txt").decode("utf-8", "replace").strip().split(":")[-1].strip()
    # when the report ran: `date --utc`'s output (`Fri Feb 11 19:23:39 UTC 2022`), else `date`'s when it is in UTC
    collected = None
    for name in ("sos_commands/date/date_--utc", "sos_commands/date/date"):
        collected = date_output_time(listing.head(pre + name).decode("utf-8", "replace"))
        if collected is not None:
            break
    return {"version": v[:32] if v else None, "collected": collected}


FORMAT = register(
    Format(
        LAYOUT,
        _sniff,
        "node",
        title="sosreport",
        lacks={},
        log_meta=_log_meta,
        info=_info,
    )
)
