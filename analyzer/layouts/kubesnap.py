"""Kubesnap's own bundle: every path collectors/kubesnap-collect.sh writes, who reads it, into which tables,
and the command that made it. The one place that knows these paths: ingest dispatches by it, `kubesnap
sources` and docs/sources.md print it, and a test runs the collector and checks that it names every member.

An entry naming a path exactly wins over patterns; among patterns the first that matches wins, so the
specific ones come before the catch-alls of their folder.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.layout import JOURNALS, LOG_LINKS, POD_LOGS, RAW, Entry, layout

# the tables each reader fills (one definition, used by the entries below)
_FACTS = ("host_facts",)
_SANDBOXES = ("crictl_sandboxes",)
_CONTAINERS = ("crictl_containers",)
_IMAGES = ("crictl_images",)
_CONFIG = ("config_files", "certificates")
_KUBECTL = ("api_nodes", "api_pods", "api_containers", "events", "workloads", "api_objects", "leases", "cluster_versions")
_LOGS = ("log_files", "log_lines")
_JOURNAL = ("journal",)
_EXCERPT = "kept for the analyst to read; no rule or verb needs it"


def _detect(paths: Sequence[str]) -> int:
    """A Kubesnap bundle: its manifest.json beside the collector's folders."""
    tops = {p.split("/", 1)[0] for p in paths}
    if "manifest.json" in tops and tops & {"host", "runtime", "processes", "services"}:
        return 100
    return 40 if len(tops & {"host", "runtime", "processes", "services", "cluster", "etcd"}) >= 2 else 0


def E(pattern: str, reader: str, tables: tuple[str, ...] = (), made_by: str = "", reason: str = "", **options: str) -> Entry:
    return Entry(pattern, reader, tables, made_by, reason, tuple(sorted(options.items())))


KUBESNAP = layout(
    "kubesnap",
    detect=_detect,
    doc="A node bundle written by collectors/kubesnap-collect.sh (docs/bundle-format.md).",
    entries=[
        # ---------------------------------------------------------------- the collector's own
        E("manifest.json", "collector-manifest", ("collection_records",), "the collector: every command and file, with exit status, bytes and time"),
        E("redaction-report.txt", RAW, (), "the collector's redaction pass",
          reason="what redaction replaced (file, line, rule) for the customer to review; its total is in manifest.json"),
        # ---------------------------------------------------------------- host
        E("host/date.txt", "host-date", _FACTS, "date -u; date; date +%s; date +%Z"),
        E("host/hostname.txt", "host-simple", _FACTS, "hostname"),
        E("host/uname.txt", "host-simple", _FACTS, "uname -a"),
        E("host/uptime.txt", "host-simple", _FACTS, "uptime"),
        E("host/timedatectl.txt", "host-simple", _FACTS, "timedatectl show"),
        E("host/chronyc-tracking.txt", "host-simple", _FACTS, "chronyc -n tracking"),
        E("host/free.txt", "host-simple", _FACTS, "free -b"),
        E("host/sysctl.txt", "host-simple", _FACTS, "cat /proc/sys/<key> of a fixed list of sysctls"),
        E("host/df.txt", "df", ("filesystems",), "df -PTk"),
        E("host/df-inodes.txt", "df", ("filesystems",), "df -PTi"),
        E("host/df-h.txt", RAW, (), "df -h", reason="df in human units for the analyst; host/df.txt holds the same in exact units"),
        E("host/lsblk.json", RAW, (), "lsblk -J", reason=f"block devices: {_EXCERPT}"),
        E("host/lsblk.txt", RAW, (), "lsblk", reason=f"block devices: {_EXCERPT}"),
        E("host/ip-addr.json", RAW, (), "ip -j addr", reason=f"addresses: {_EXCERPT}"),
        E("host/ip-addr.txt", RAW, (), "ip addr", reason=f"addresses: {_EXCERPT}"),
        E("host/ip-route.json", RAW, (), "ip -j route", reason=f"routes: {_EXCERPT}"),
        E("host/ip-route.txt", RAW, (), "ip route", reason=f"routes: {_EXCERPT}"),
        E("host/dmesg.txt", JOURNALS, _JOURNAL, "dmesg --time-format iso (or dmesg)", source="dmesg"),
        E("files/proc/sys/kernel/hostname", "host-simple", _FACTS, "copy of /proc/sys/kernel/hostname"),
        E("files/proc/uptime", "host-simple", _FACTS, "copy of /proc/uptime"),
        E("files/proc/loadavg", "host-simple", _FACTS, "copy of /proc/loadavg"),
        E("files/proc/cmdline", "host-simple", _FACTS, "copy of /proc/cmdline"),
        E("files/proc/meminfo", "host-simple", _FACTS, "copy of /proc/meminfo"),
        E("files/proc/swaps", "host-simple", _FACTS, "copy of /proc/swaps"),
        E("files/proc/mounts", RAW, (), "copy of /proc/mounts", reason=f"the mount table: {_EXCERPT} (df covers the filesystems)"),
        E("files/proc/pressure/memory", RAW, (), "copy of /proc/pressure/memory", reason=f"memory pressure (PSI): {_EXCERPT}"),
        E("files/etc/os-release", "host-simple", _FACTS, "copy of /etc/os-release"),
        E("files/usr/lib/os-release", "host-simple", _FACTS, "copy of /usr/lib/os-release"),
        E("files/etc/timezone", "host-simple", _FACTS, "copy of /etc/timezone"),
        E("files/etc/localtime", "host-simple", _FACTS, "copy of /etc/localtime (a link: its target names the zone)"),
        # ---------------------------------------------------------------- processes
        E("processes/ps.txt", "ps", ("processes",), "ps -ww -eo pid,ppid,user:32,lstart,etimes,stat,rss,vsz,args"),
        E("processes/ps-ef.txt", "ps", ("processes",), "ps -ww -ef"),
        E("processes/cgroup.txt", "proc-cgroup", ("process_cgroups",), "<pid>:<line> of every /proc/<pid>/cgroup"),
        # ---------------------------------------------------------------- runtime
        E("runtime/endpoint.txt", RAW, (), "the collector's runtime detection",
          reason="the runtime kind and socket the collector chose; manifest.json carries the same (runtime.kind, runtime.endpoint)"),
        E("runtime/crictl-version.txt", "crictl-version", _FACTS, "crictl version"),
        E("runtime/crictl-info.json", "crictl-info", _FACTS, "crictl info"),
        E("runtime/crictl-pods.json", "crictl-pods-json", _SANDBOXES, "crictl pods -o json"),
        E("runtime/crictl-pods.txt", "crictl-pods-table", _SANDBOXES, "crictl pods"),
        E("runtime/crictl-ps-a.json", "crictl-ps-json", _CONTAINERS, "crictl ps -a -o json"),
        E("runtime/crictl-ps.json", "crictl-ps-json", _CONTAINERS, "crictl ps -o json (older collectors)"),
        E("runtime/crictl-ps-a.txt", "crictl-ps-table", _CONTAINERS, "crictl ps -a"),
        E("runtime/crictl-ps.txt", "crictl-ps-table", _CONTAINERS, "crictl ps (older collectors)"),
        E("runtime/crictl-images.json", "crictl-images-json", _IMAGES, "crictl images -o json"),
        E("runtime/crictl-images.txt", "crictl-images-table", _IMAGES, "crictl images"),
        E("runtime/crictl-inspecti.json", "crictl-inspecti", _IMAGES, "crictl inspecti (older collectors)"),
        E("runtime/crictl-ps-ids.txt", "crictl-ids", _CONTAINERS, "crictl ps -a -q"),
        E("runtime/crictl-pods-ids.txt", "crictl-ids", _SANDBOXES, "crictl pods -q"),
        E("runtime/crictl-inspect.json", "crictl-inspect", _CONTAINERS, "crictl inspect <ids> (in batches)"),
        E("runtime/crictl-inspectp.json", "crictl-inspectp", _SANDBOXES, "crictl inspectp <ids> (in batches)"),
        E("runtime/crictl-stats.txt", "crictl-stats", ("container_stats",), "crictl stats -a"),
        E("runtime/crictl-statsp.txt", "crictl-stats", ("container_stats",), "crictl statsp"),
        E("runtime/ctr-containers.txt", "ctr", _CONTAINERS, "ctr -n k8s.io containers ls (when crictl is missing)"),
        E("runtime/ctr-tasks.txt", "ctr", _CONTAINERS, "ctr -n k8s.io tasks ls (when crictl is missing)"),
        E("runtime/docker-ps-a.txt", "docker-ps", _CONTAINERS + _SANDBOXES, "docker ps -a --no-trunc (docker runtimes)"),
        E("runtime/docker-ps-ids.txt", RAW, (), "docker ps -aq --no-trunc",
          reason="the ids the collector passed to docker inspect; runtime/docker-inspect.json holds each of them in full"),
        E("runtime/docker-inspect.json", "docker-inspect", _CONTAINERS + _SANDBOXES, "docker inspect <every id> (docker runtimes)"),
        # ---------------------------------------------------------------- etcd
        E("etcd/member-list.json", "etcd", ("etcd_members",), "etcdctl member list -w json"),
        E("etcd/endpoint-status.json", "etcd", ("etcd_endpoints",), "etcdctl endpoint status --cluster -w json"),
        E("etcd/endpoint-health.json", "etcd", ("etcd_endpoints",), "etcdctl endpoint health --cluster -w json"),
        E("etcd/alarm-list.txt", "etcd-alarms", ("etcd_alarms",), "etcdctl alarm list"),
        # ---------------------------------------------------------------- services and journals
        E("services/*.show.txt", "systemd-show", ("services",), "systemctl show <unit>.service"),
        E("services/*.status.txt", RAW, (), "systemctl status <unit>.service -l",
          reason="the unit's state is read from its .show.txt; this text (with systemd's last log lines) is kept for the analyst"),
        E("services/*.cat.txt", RAW, (), "systemctl cat <unit>.service",
          reason="the unit file and drop-ins as systemd reads them; ExecStart and the state are read from .show.txt"),
        E("services/journal-*.log", JOURNALS, _JOURNAL, "journalctl -u <unit>.service (or -k) --since <window> -o short-iso-precise", source="journal"),
        E("files/var/log/syslog", JOURNALS, _JOURNAL, "the --since window of /var/log/syslog", source="syslog"),
        E("files/var/log/messages", JOURNALS, _JOURNAL, "the --since window of /var/log/messages", source="syslog"),
        E("files/var/lib/rancher/*/agent/containerd/containerd.log", JOURNALS, _JOURNAL, "tail of k3s/rke2's containerd.log", source="runtime-log"),
        E("files/var/lib/rancher/*/agent/logs/kubelet.log", JOURNALS, _JOURNAL, "tail of k3s/rke2's kubelet.log", source="runtime-log"),
        # ---------------------------------------------------------------- container logs
        E("files/var/log/pods/**/*.log", POD_LOGS, _LOGS, "copy of /var/log/pods (files of the --since window, tail capped)"),
        E("files/var/log/pods/**/*.log.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]", POD_LOGS, _LOGS,
          "copy of /var/log/pods: a rotated log (a .gz one stored decompressed)"),
        E("files/var/log/pods/**", RAW, (), "copy of /var/log/pods", reason="a file in a pod's log folder that is not a container log"),
        E("files/var/log/containers/*", LOG_LINKS, ("container_log_links",), "the links of /var/log/containers (never followed)"),
        E("files/var/log/calico/**", POD_LOGS, _LOGS, "copy of /var/log/calico (files of the --since window, tail capped)"),
        E("cluster/logs/*.log", POD_LOGS, _LOGS, "kubectl logs -n kube-system <pod> -c <container> [--previous] --timestamps"),
        # ---------------------------------------------------------------- configuration
        E("files/etc/kubernetes/manifests/*", "static-pod-manifest", ("manifests", "config_files"), "copy of /etc/kubernetes/manifests"),
        E("files/var/lib/rancher/*/agent/pod-manifests/*", "static-pod-manifest", ("manifests", "config_files"), "copy of k3s/rke2's pod-manifests"),
        E("files/var/lib/kubelet/config.yaml", "kubelet-config", ("kubelet_configs", "config_files"), "copy of /var/lib/kubelet/config.yaml"),
        E("files/var/lib/kubelet/kubeadm-flags.env", "kubelet-config", ("kubelet_configs", "config_files"), "copy of kubeadm-flags.env"),
        E("files/etc/kubernetes/kubelet-config.yaml", "kubelet-config", ("kubelet_configs", "config_files"), "copy of /etc/kubernetes (kubespray)"),
        E("files/etc/kubernetes/kubelet/config*", "kubelet-config", ("kubelet_configs", "config_files"), "copy of /etc/kubernetes"),
        E("files/etc/kubernetes/kubelet.env", "kubelet-config", ("kubelet_configs", "config_files"), "copy of /etc/kubernetes (kubespray)"),
        E("files/etc/default/kubelet", "kubelet-config", ("kubelet_configs", "config_files"), "copy of /etc/default/kubelet"),
        E("files/etc/sysconfig/kubelet", "kubelet-config", ("kubelet_configs", "config_files"), "copy of /etc/sysconfig/kubelet"),
        E("files/**/*.crt", "certificate", ("certificates",), "copies of /etc/kubernetes, kubelet's pki, /etc/ssl/etcd (private keys never)"),
        E("files/**/*.pem", "certificate", ("certificates",), "copies of /etc/kubernetes, kubelet's pki, /etc/ssl/etcd (private keys never)"),
        E("files/**/*.cert", "certificate", ("certificates",), "copies of /etc/kubernetes, kubelet's pki, /etc/ssl/etcd"),
        E("files/**/*.cer", "certificate", ("certificates",), "copies of /etc/kubernetes, kubelet's pki, /etc/ssl/etcd"),
        E("files/etc/**", "config-file", _CONFIG,
          "copies of /etc/kubernetes, containerd, crio, cni/net.d, docker/daemon.json, crictl.yaml, hosts, resolv.conf, etcd.env, kubelet drop-ins"),
        E("files/var/lib/kubelet/**", "config-file", _CONFIG, "copies of /var/lib/kubelet (config, pki)"),
        E("files/var/lib/rancher/**", "config-file", _CONFIG, "copies of k3s/rke2's containerd config and crictl.yaml"),
        # ---------------------------------------------------------------- cluster (kubectl, where the node can reach the API)
        E("cluster/get-pod-wide.txt", "kubectl-table", ("api_pods",), "kubectl get pod -A -o wide"),
        E("cluster/get-node-wide.txt", "kubectl-table", ("api_nodes",), "kubectl get node -o wide"),
        E("cluster/readyz.txt", RAW, (), "kubectl get --raw '/readyz?verbose'", reason=f"the API server's readiness checks: {_EXCERPT}"),
        E("cluster/*.json", "kubectl-json", _KUBECTL, "kubectl get <kind> [-A] -o json; kubectl version -o json"),
        E("cluster/*.yaml", "kubectl-yaml", _KUBECTL, "kubectl get <kind> -o yaml (older collectors)"),
    ],
)
