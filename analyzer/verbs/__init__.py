"""Investigation commands over a database: kubectl-like views, logs, process trees, a merged timeline,
diffs between two collections, and Parquet export. Each returns text or plain data; the CLI prints it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from analyzer import budgets
from analyzer.budgets import TooBig, TooDeep
from analyzer.errors import DatabaseError, NotFound, UsageError
from analyzer.store import Store
from analyzer.timeparse import before, parse_duration_s, parse_time


def time_option(text: str | None, ref: datetime | None, name: str) -> datetime | None:
    """A --since/--until value: a time (2023-10-03T16:00:00Z), or a duration before `ref` (the collection)."""
    if not text:
        return None
    t = parse_time(text)
    if t is not None:
        return t
    secs = parse_duration_s(text)
    if secs is not None and ref is not None and (t := before(ref, secs)) is not None:
        return t
    raise UsageError(f"invalid {name} {text!r}: a time (2023-10-03T16:00:00Z) or a duration before the collection (2h, 30m)")


@dataclass
class SiteView:
    """One site of an open database, with the times views are relative to."""

    con: duckdb.DuckDBPyConnection
    site: str
    cursor: Callable[[], duckdb.DuckDBPyConnection]  # another cursor reading through the same views (Store.cursor)
    _cache: dict[str, Any] = field(default_factory=dict)

    def q(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """A query; `$site` is the site, `$p0`, `$p1`... the params."""
        values = {"site": self.site, **{f"p{i}": v for i, v in enumerate(params or [])}}
        used = set(re.findall(r"\$(site|p\d+)\b", sql))
        try:
            return self.con.execute(sql, {k: v for k, v in values.items() if k in used}).fetchall()
        except duckdb.Error as e:
            raise DatabaseError(str(e).splitlines()[0]) from e

    @property
    def api_snapshot(self) -> str | None:
        if "api" not in self._cache:
            rows = self.q("SELECT snapshot_id FROM api_snapshots WHERE site = $site")
            self._cache["api"] = rows[0][0] if rows else None
        return self._cache["api"]  # type: ignore[no-any-return]

    @property
    def api_now(self) -> datetime | None:
        """When the site's kubectl dump was taken: ages are relative to it, as kubectl's were."""
        if "api_now" not in self._cache:
            rows = self.q("SELECT coalesce(collected_at, ingested_at) FROM v_snapshots WHERE snapshot_id = $p0", [self.api_snapshot])
            self._cache["api_now"] = rows[0][0] if rows else None
        return self._cache["api_now"]  # type: ignore[no-any-return]

    def node_snapshot(self, node: str) -> tuple[str, datetime | None] | None:
        rows = self.q("SELECT snapshot_id, collected_at FROM nodes WHERE site = $site AND name = $p0 AND snapshot_id IS NOT NULL", [node])
        return (rows[0][0], rows[0][1]) if rows else None

    def raw(self, kind: str, snapshot: str | None = None) -> list[dict[str, Any]]:
        """The API objects of a kind from the site's kubectl dump, as kubectl returned them."""
        rows = self.q("SELECT raw FROM v_api_objects WHERE snapshot_id = $p0 AND kind = $p1 ORDER BY namespace, name", [snapshot or self.api_snapshot, kind])
        objs = [api_shape(stored_json(r[0]) if isinstance(r[0], str) else r[0]) for r in rows]
        # a foreign database's objects are hostile too: only objects with a name reach the verbs
        return [o for o in objs if isinstance(o, dict) and isinstance(o.get("metadata"), dict) and isinstance(o["metadata"].get("name"), str)
                and o["metadata"]["name"]]  # fmt: skip


# the fields of API objects the verbs read as maps, and as lists of maps: a dump (or a foreign database) that holds
# another type there (labels "x", conditions [3], podIPs 7) has it dropped, never met by a .get() or a loop
_MAPS = frozenset(["metadata", "spec", "labels", "annotations", "nodeInfo", "state", "lastState", "running", "waiting",
                   "terminated", "involvedObject", "source", "series", "capacity", "allocatable", "resources", "limits", "requests"])  # fmt: skip
_LISTS = frozenset(["conditions", "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses", "containers",
                    "initContainers", "podIPs", "addresses", "taints", "ownerReferences", "readinessGates", "items", "ports"])  # fmt: skip
# and those read as times or strings: a number or a map there is unknown
_SCALARS = frozenset(["creationTimestamp", "deletionTimestamp", "startTime", "startedAt", "finishedAt", "lastTimestamp",
                      "firstTimestamp", "eventTime", "lastObservedTime", "lastTransitionTime", "lastHeartbeatTime", "name",
                      "namespace", "nodeName", "podIP", "hostIP", "phase", "reason", "type", "kubeletVersion", "nominatedNodeName",
                      "containerRuntimeVersion", "kernelVersion", "osImage", "architecture", "ip", "address", "message", "image",
                      "imageID", "containerID", "conditionType", "effect", "key", "value"])  # fmt: skip
# and those read as whole numbers (a restart count, an exit code): a string, a float or a bool there is unknown
_INTS = frozenset(["restartCount", "exitCode", "signal", "count", "priority"])


def api_shape(v: Any, depth: int = 0) -> Any:
    """An API object as the verbs read it: every field they take for a map a map, for a list of maps a list of maps,
    for a time or a name a string (else absent). Everything else as stored."""
    if depth > 64 or not isinstance(v, dict):
        return v
    out: dict[str, Any] = {}
    for k, x in v.items():
        # (an object's status is a map; a condition's is a string)
        if (k in _MAPS or (k == "status" and depth == 0)) and not isinstance(x, dict):
            continue
        if k in _LISTS:
            if not isinstance(x, list):
                continue
            x = [api_shape(i, depth + 1) for i in x if isinstance(i, dict)]
        elif (k in _SCALARS and not isinstance(x, str)) or (k in _INTS and (not isinstance(x, int) or isinstance(x, bool))):
            continue
        out[k] = api_shape(x, depth + 1) if isinstance(x, dict) else x
    return out


def stored_json(text: str) -> Any:
    """A JSON value read back from a database, which may be one someone else wrote: one nested deeper than
    ingest allows is refused before it is parsed (Python's JSON reader recurses)."""
    try:
        return budgets.stored_json(text)
    except (TooDeep, TooBig) as e:
        raise DatabaseError(str(e)) from e


@contextmanager
def open_site(db: Path, site: str | None = None) -> Iterator[SiteView]:
    if not db.exists():
        raise DatabaseError(f"{db}: no such database")
    with Store(db, read_only=True) as store:
        yield SiteView(store.con, store.pick_site(site), store.cursor)


def not_found(kind: str, name: str, namespace: str | None = None) -> NotFound:
    where = f' in namespace "{namespace}"' if namespace else ""
    return NotFound(f'{kind} "{name}" not found{where}')
