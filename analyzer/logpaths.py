"""What a container log's path says (/var/log/pods, /var/log/containers, kubectl logs files): one place for the
path patterns that the log loader (analyzer.bulk) and the verbs (whois) both read."""

from __future__ import annotations

import re
from typing import Any

from analyzer.models import ContainerLink

POD_DIR = re.compile(r"^(?P<ns>[^_/]+)_(?P<pod>[^_/]+)_(?P<uid>[0-9a-f-]{32,36})$")
LOG_NAME = re.compile(r"^(?P<n>\d+)\.log(?:\.(?P<stamp>\d{8}-\d{6}(?:\.gz)?))?$")
OLD_NAME = re.compile(r"^(?P<c>.+)_(?P<n>\d+)\.log$")
LINK_NAME = re.compile(r"^(?P<pod>[^_]+)_(?P<ns>[^_]+)_(?P<c>.+)-(?P<id>[0-9a-f]{64})\.log$")
KUBECTL_LOG = re.compile(r"^(?P<ns>[^_]+)_(?P<pod>[^_]+)_(?P<c>[^_.]+)(?P<prev>\.previous)?\.log$")


def log_file_meta(path: str) -> dict[str, Any]:
    """What a log file's path says: layout, namespace, pod, uid, container, restart, rotation."""
    p = path.removeprefix("files")
    parts = p.strip("/").split("/")
    meta: dict[str, Any] = {"path": p if p.startswith("/") else "/" + p, "layout": "other"}
    if p.startswith("/var/log/pods/") and len(parts) >= 4:
        pod_dir = parts[3]
        m = POD_DIR.match(pod_dir)
        if m and len(parts) == 6:
            ln = LOG_NAME.match(parts[5])
            meta.update(layout="pods", namespace=m["ns"], pod=m["pod"], pod_uid=m["uid"], container=parts[4])
            if ln:
                meta["restart"] = int(ln["n"])
                if ln["stamp"]:
                    meta.update(rotated=True, rotated_stamp=ln["stamp"].removesuffix(".gz"))
            return meta
        if m and len(parts) == 5 and re.fullmatch(r"[0-9a-f]{64}\.log", parts[4]):
            meta.update(layout="crio-id", namespace=m["ns"], pod=m["pod"], pod_uid=m["uid"], container_id=parts[4][:64])
            return meta
        if re.fullmatch(r"[0-9a-f-]{32,36}", pod_dir) and len(parts) == 5:
            ol = OLD_NAME.match(parts[4])
            meta.update(layout="pods-old", pod_uid=pod_dir)
            if ol:
                meta.update(container=ol["c"], restart=int(ol["n"]))
            return meta
    if path.startswith("cluster/logs/"):
        m = KUBECTL_LOG.match(parts[-1])
        meta["layout"] = "kubectl-logs"
        meta["path"] = path
        if m:
            meta.update(namespace=m["ns"], pod=m["pod"], container=m["c"], previous=bool(m["prev"]))
        return meta
    if p.startswith("/var/log/calico/"):
        meta["layout"] = "calico"
    return meta


def container_link(path: str, target: str | None) -> ContainerLink | None:
    name = path.rsplit("/", 1)[-1]
    m = LINK_NAME.match(name)
    if not m:
        return ContainerLink(name=name, target=target)
    return ContainerLink(name=name, pod=m["pod"], namespace=m["ns"], container=m["c"], container_id=m["id"], target=target)
