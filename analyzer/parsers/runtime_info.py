"""What the container runtime says about itself: `crictl version` and `crictl info`, as host facts.

`crictl info` is the runtime's verbose status. containerd 1.x puts its CRI plugin config under `config`
(sandboxImage, systemdCgroup, containerd.runtimes.<handler>.options.SystemdCgroup); containerd 2.x adds a
top-level `runtimeHandlers` list and drops sandboxImage from it; CRI-O and cri-dockerd may give only
`status.conditions`. Only named facts are kept: the registry section (credentials) is never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from analyzer.errors import ParseError, SkipSource
from analyzer.models import HostFact, Record
from analyzer.parsers import json_values
from analyzer.registry import ParseContext, source
from analyzer.textutil import clean_lines

VERSION_KEYS = {"Version": "cri.version", "RuntimeName": "runtime.name", "RuntimeVersion": "runtime.version", "RuntimeApiVersion": "runtime.api_version"}


def _sniff_version(head: str) -> int:
    return 85 if "RuntimeName:" in head and re.search(r"^RuntimeName:\s+\S", head, re.M) and re.search(r"^RuntimeVersion:\s+\S", head, re.M) else 0


@source("crictl-version", sniff=_sniff_version)
def parse_version(ctx: ParseContext) -> Iterable[Record]:
    """crictl version: the runtime's name and version, and the CRI API version"""
    n = 0
    for ln in clean_lines(ctx.text):
        k, sep, v = ln.partition(":")
        if sep and k.strip() in VERSION_KEYS and v.strip():
            n += 1
            yield HostFact(key=VERSION_KEYS[k.strip()], value=v.strip()[:200])
    if not n:
        raise ParseError("no RuntimeName/RuntimeVersion line: not crictl version output")


def _sniff_info(head: str) -> int:
    if '"RuntimeReady"' in head and re.search(r'"conditions"\s*:', head):
        return 80
    return 0


def _obj(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, (dict, list)):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)[:500]


def _facts(doc: dict[str, Any]) -> Iterator[HostFact]:
    conds = _get(doc, "status", "conditions")
    for c in conds if isinstance(conds, list) else []:
        if isinstance(c, dict) and isinstance(c.get("type"), str) and re.fullmatch(r"[A-Za-z]{1,64}", c["type"]):
            ok = _text(c.get("status")) or "unknown"
            why = " ".join(x for x in (_text(c.get("reason")), _text(c.get("message"))) if x)
            yield HostFact(key=f"runtime.condition.{c['type']}", value=f"{ok}: {why}"[:500] if why else ok)
    cfg = _obj(doc.get("config"))
    ctd = _obj(cfg.get("containerd"))
    runtimes = _obj(ctd.get("runtimes"))
    default = _text(ctd.get("defaultRuntimeName"))
    if default:
        yield HostFact(key="runtime.default_handler", value=default)
    handlers = [str(k) for k in runtimes]
    listed = doc.get("runtimeHandlers")
    for h in listed if isinstance(listed, list) else []:
        name = _text(h.get("name")) if isinstance(h, dict) else None
        if name and name not in handlers:
            handlers.append(name)
    if handlers:
        yield HostFact(key="runtime.handlers", value=",".join(handlers)[:500])
    # the cgroup driver: the default runtime's SystemdCgroup option, else the 1.x plugin-wide systemdCgroup
    systemd = _get(runtimes, default or "runc", "options", "SystemdCgroup") if default or "runc" in runtimes else None
    if not isinstance(systemd, bool):
        systemd = cfg.get("systemdCgroup") if isinstance(cfg.get("systemdCgroup"), bool) else None
    if isinstance(systemd, bool):
        yield HostFact(key="runtime.cgroup_driver", value="systemd" if systemd else "cgroupfs")
    sandbox = cfg.get("sandboxImage") or _get(cfg, "pinnedImages", "sandbox")
    if _text(sandbox):
        yield HostFact(key="runtime.sandbox_image", value=_text(sandbox))
    for key, v in (("runtime.snapshotter", ctd.get("snapshotter")), ("runtime.root_dir", cfg.get("rootDir")),
                   ("runtime.state_dir", cfg.get("stateDir")), ("runtime.cni.conf_dir", _get(cfg, "cni", "confDir")),
                   ("runtime.cni.bin_dir", _get(cfg, "cni", "binDir")), ("runtime.cni.last_load_status", doc.get("lastCNILoadStatus")),
                   ("runtime.go_version", doc.get("golang"))):  # fmt: skip
        if _text(v):
            yield HostFact(key=key, value=_text(v))


@source("crictl-info", sniff=_sniff_info)
def parse_info(ctx: ParseContext) -> Iterable[Record]:
    """crictl info: runtime conditions, cgroup driver, sandbox (pause) image, runtime handlers, snapshotter"""
    docs = [d for d in json_values(ctx.text) if isinstance(d, dict)]
    if not docs:
        raise SkipSource("no JSON object")
    seen: set[str] = set()
    for doc in docs:
        for f in _facts(doc):
            if f.key not in seen:  # several runtimes answered (a batch): the first one's facts
                seen.add(f.key)
                yield f
