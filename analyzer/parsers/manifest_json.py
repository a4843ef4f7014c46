"""The collector's manifest.json: what was collected, how long it took, what failed or was
truncated or skipped (docs/bundle-format.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analyzer.budgets import MAX_DEPTH, json_int, json_too_deep
from analyzer.errors import ParseError
from analyzer.models import CollectionRecord, Record
from analyzer.parsers import as_int
from analyzer.registry import ParseContext, source
from analyzer.timeparse import parse_time

KNOWN_FORMAT_VERSION = 1


@dataclass
class BundleInfo:
    node: str | None = None
    hostname: str | None = None
    role: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    collector_version: str | None = None
    format_version: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    uid: int | None = None
    runtime_kind: str | None = None
    runtime_endpoint: str | None = None
    crictl_calls: int | None = None
    missing: list[str] = field(default_factory=list)
    redactions: int | None = None
    withheld: list[dict[str, str]] = field(default_factory=list)
    redaction_engine: str | None = None
    redaction_awk: str | None = None


def load(data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8", "replace")
    if json_too_deep(text):
        raise ParseError(f"manifest.json nested deeper than {MAX_DEPTH} levels: not read")
    try:
        doc = json.loads(text, parse_int=json_int)
    except json.JSONDecodeError as e:
        raise ParseError(f"manifest.json is not JSON (line {e.lineno}: {e.msg})") from e
    if not isinstance(doc, dict):
        raise ParseError("manifest.json is not a JSON object")
    return doc


def _text(v: object) -> str | None:
    """A manifest field that should be text; numbers are taken as text, anything else (lists, objects) as missing."""
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return None
    return str(v)[:1024] or None


def bundle_info(data: bytes) -> BundleInfo:
    doc = load(data)
    rt = doc["runtime"] if isinstance(doc.get("runtime"), dict) else {}
    red = doc["redaction"] if isinstance(doc.get("redaction"), dict) else {}
    options = doc["options"] if isinstance(doc.get("options"), dict) else {}
    return BundleInfo(
        node=_text(doc.get("node")),
        hostname=_text(doc.get("hostname")),
        role=_text(doc.get("role")),
        started_at=parse_time(doc.get("started_at")),
        finished_at=parse_time(doc.get("finished_at")),
        collector_version=_text(doc.get("collector_version")),
        format_version=as_int(doc.get("format_version")),
        options=options,
        user=_text(doc.get("user")),
        uid=as_int(doc.get("uid")),
        runtime_kind=_text(rt.get("kind")),
        runtime_endpoint=_text(rt.get("endpoint")),
        crictl_calls=as_int(doc.get("crictl_calls")),
        missing=[str(x) for x in doc["missing_commands"]] if isinstance(doc.get("missing_commands"), list) else [],
        redactions=as_int(red.get("total")),
        withheld=_withheld(red.get("withheld")),
        redaction_engine=_text(red.get("engine")),
        redaction_awk=_text(red.get("awk")),
    )


MAX_WITHHELD = 10_000


def _withheld(v: object) -> list[dict[str, str]]:
    """redaction.withheld, [{path, reason}], each as text (at most MAX_WITHHELD; anything of another shape is skipped)."""
    out: list[dict[str, str]] = []
    for w in v[:MAX_WITHHELD] if isinstance(v, list) else []:
        if isinstance(w, dict) and (path := _text(w.get("path"))):
            out.append({"path": path, "reason": _text(w.get("reason")) or "no reason given"})
    return out


@source("collector-manifest")
def parse(ctx: ParseContext) -> Iterable[Record]:
    """the collector's manifest.json: one record per command and file"""
    doc = load(ctx.data)
    fv = as_int(doc.get("format_version"))
    if fv is not None and fv > KNOWN_FORMAT_VERSION:
        ctx.problem(None, f"bundle format version {fv} is newer than this Kubesnap knows ({KNOWN_FORMAT_VERSION}); read as version {KNOWN_FORMAT_VERSION}")
    for r in doc["records"] if isinstance(doc.get("records"), list) else []:
        if not isinstance(r, dict):
            continue
        argv = r.get("argv")
        yield CollectionRecord(
            kind=str(r.get("kind") or "unknown"),
            argv=[str(a) for a in argv] if isinstance(argv, list) else None,
            path=_text(r.get("path")),
            output=_text(r.get("output")),
            exit_code=as_int(r.get("exit_code")),
            seconds=float(r["seconds"]) if isinstance(r.get("seconds"), (int, float)) else None,
            bytes=as_int(r.get("bytes")),
            size=as_int(r.get("size")),
            truncated=r.get("truncated") if isinstance(r.get("truncated"), bool) else None,
            timed_out=r.get("timed_out") if isinstance(r.get("timed_out"), bool) else None,
            error=_text(r.get("error")),
            skipped=_text(r.get("skipped")),
            link_target=_text(r.get("link_target")),
            mtime=parse_time(mtime) if (mtime := as_int(r.get("mtime"))) is not None else None,
        )
