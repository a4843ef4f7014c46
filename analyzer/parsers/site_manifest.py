"""site-manifest.json of a site archive (`kubesnap collect-site`): every host of the inventory
with whether it answered, why not, and how long it took. It lies beside the node tarballs, so
it is read as a loose capture, recognized by its "kind".

    {"kind": "kubesnap-site-manifest", "format_version": 1, "method": "ssh", "started_at": "...",
     "hosts": [{"name": "node1", "groups": ["kube_node"], "address": "10.0.0.31", "port": 22,
                "user": "ubuntu", "status": "failed", "failure": "unreachable", "reason": "...",
                "seconds": 0.2, "bundle": null}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from analyzer.budgets import MAX_DEPTH, json_int, json_too_deep
from analyzer.errors import ParseError, SkipSource
from analyzer.models import Record, SiteHost
from analyzer.parsers import as_int
from analyzer.registry import ParseContext, source
from analyzer.timeparse import parse_time

KIND = "kubesnap-site-manifest"
MAX_HOSTS = 100_000


def _sniff(head: str) -> int:
    h = head.lstrip()
    if h.startswith("{") and (f'"kind": "{KIND}"' in h[:400] or f'"kind":"{KIND}"' in h[:400]):
        return 95
    return 0


def _text(v: object, cap: int = 1024) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return None
    return str(v)[:cap] or None


def _seconds(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if 0 <= f < 1e9 else None


@source("site-manifest", sniff=_sniff, scope="cluster")
def parse(ctx: ParseContext) -> Iterable[Record]:
    """collect-site's site-manifest.json: which hosts answered, which failed and why"""
    if json_too_deep(ctx.text):
        raise ParseError(f"nested deeper than {MAX_DEPTH} levels: not read")
    try:
        doc = json.loads(ctx.text, parse_int=json_int)
    except json.JSONDecodeError as e:
        raise ParseError(f"not JSON (line {e.lineno}: {e.msg})") from e
    except RecursionError as e:
        raise ParseError("JSON nested too deep") from e
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise ParseError(f"not a {KIND} (no \"kind\": \"{KIND}\")")
    hosts = doc.get("hosts")
    if not isinstance(hosts, list):
        raise ParseError("no list of hosts")
    if not hosts:
        raise SkipSource("no hosts")
    method = _text(doc.get("method"), 32)
    started = parse_time(_text(doc.get("started_at"), 64) or "")
    for i, h in enumerate(hosts[:MAX_HOSTS]):
        if not isinstance(h, dict) or not _text(h.get("name")):
            ctx.problem(None, f"host {i + 1}: not an object with a name")
            continue
        status = _text(h.get("status"), 16)
        if status not in ("ok", "failed"):
            ctx.problem(None, f"host {i + 1}: status is not ok or failed: counted as failed")
            status = "failed"
        groups = h.get("groups")
        port = as_int(h.get("port"))
        yield SiteHost(
            name=_text(h.get("name")) or "", groups=[g[:256] for g in groups if isinstance(g, str)][:100] if isinstance(groups, list) else None,
            address=_text(h.get("address"), 256), port=port if port is not None and 0 < port < 65536 else None, user=_text(h.get("user"), 256),
            status=status, failure=_text(h.get("failure"), 32), reason=_text(h.get("reason")), seconds=_seconds(h.get("seconds")),
            bundle=_text(h.get("bundle")), method=method, collected_at=started,
        )  # fmt: skip
    if len(hosts) > MAX_HOSTS:
        ctx.problem(None, f"more than {MAX_HOSTS} hosts: the rest is not read")
