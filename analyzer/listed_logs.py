"""What a node's /var/log/pods holds beyond what its bundle holds.

The collector lists every file under /var/log/pods in manifest.json, with its size and mtime on
the node, whether it copied the file or not (outside --since, unreadable, a name it does not
carry). The files it copied become log_files rows when their members are read; the others
become log_files rows here, from their manifest records, with no file_id and no lines, so that
pod_logs (copied = false) and the rules that look at log directories see the whole directory.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from analyzer.logpaths import log_file_meta
from analyzer.models import CollectionRecord, LogFile

POD_LOG_LAYOUTS = ("pods", "pods-old", "crio-id")


def uncopied_log_files(records: Iterable[CollectionRecord], copied: Container[str]) -> list[LogFile]:
    """A log_files row (file_id None, bytes None) for each manifest record of a file under /var/log/pods
    whose content is not in the bundle. `copied` holds the node paths of the log files read from the
    bundle (a rotated .gz file is stored decompressed, under its name without .gz)."""
    out: list[LogFile] = []
    seen: set[str] = set()
    for r in records:
        path = r.path or ""
        if r.kind != "file" or r.link_target is not None or not path.startswith("/var/log/pods/") or path in seen:
            continue
        seen.add(path)
        if path in copied or path.removesuffix(".gz") in copied:
            continue
        meta = log_file_meta("files" + path)
        if meta["layout"] not in POD_LOG_LAYOUTS:
            continue
        out.append(LogFile(file_id=None, size=r.size, mtime=r.mtime, **{k: v for k, v in meta.items() if k in LogFile.model_fields and k not in ("file_id", "size", "mtime")}))
    return out
