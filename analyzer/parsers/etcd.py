"""etcdctl -w json: member list, endpoint status, endpoint health; alarm list (text)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.errors import SkipSource
from analyzer.models import EtcdAlarm, EtcdEndpoint, EtcdMember, Record
from analyzer.parsers import as_int, json_values
from analyzer.registry import ParseContext, source

UINT64 = 2**64 - 1


def _hex(v: object) -> str | None:
    """An etcd id: a uint64 that etcdctl -w json prints as a JSON number, half of them above int64's
    range (so not as_int, which drops those); None when missing, not an integer, or beyond 64 bits."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        return None
    try:
        n = int(v)
    except ValueError:
        return None
    return f"{n:x}" if 0 <= n <= UINT64 else None


@source("etcd")
def parse(ctx: ParseContext) -> Iterable[Record]:
    """etcdctl member list / endpoint status / endpoint health, -w json"""
    for doc in json_values(ctx.text):
        if isinstance(doc, dict) and "members" in doc:
            for m in doc.get("members") or []:
                yield EtcdMember(
                    member_id=_hex(m.get("ID")) or "",
                    name=m.get("name") or None,
                    peer_urls=m.get("peerURLs") or [],
                    client_urls=m.get("clientURLs") or [],
                    is_learner=m.get("isLearner"),
                )
        elif isinstance(doc, list):
            for e in doc:
                if not isinstance(e, dict):
                    continue
                if "Status" in e:
                    st = e.get("Status") or {}
                    hdr = st.get("header") or {}
                    yield EtcdEndpoint(
                        endpoint=e.get("Endpoint") or "",
                        member_id=_hex(hdr.get("member_id")),
                        leader_id=_hex(st.get("leader")),
                        version=st.get("version"),
                        db_size=as_int(st.get("dbSize")),
                        db_size_in_use=as_int(st.get("dbSizeInUse")),
                        raft_term=as_int(st.get("raftTerm")),
                        raft_index=as_int(st.get("raftIndex")),
                        errors=[str(x) for x in st.get("errors") or []] or None,
                    )
                elif "health" in e:
                    yield EtcdEndpoint(
                        endpoint=e.get("endpoint") or "",
                        healthy=bool(e.get("health")),
                        took=e.get("took"),
                        error=e.get("error") or None,
                    )


@source("etcd-alarms")
def parse_alarms(ctx: ParseContext) -> Iterable[Record]:
    """etcdctl alarm list: `memberID:123 alarm:NOSPACE`"""
    found = False
    for ln in ctx.text.splitlines():
        m = re.search(r"memberID:(\d+)\s+alarm:(\w+)", ln)
        if m:
            found = True
            yield EtcdAlarm(member_id=f"{int(m.group(1)):x}", alarm=m.group(2))
    if not found:
        raise SkipSource("no alarms")
