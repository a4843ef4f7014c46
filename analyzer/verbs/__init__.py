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
from analyzer.budgets import TooDeep
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
        objs = [stored_json(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
        # a foreign database's objects are hostile too: only objects with a name reach the verbs
        return [o for o in objs if isinstance(o, dict) and isinstance(o.get("metadata"), dict) and isinstance(o["metadata"].get("name"), str)
                and o["metadata"]["name"]]  # fmt: skip


def stored_json(text: str) -> Any:
    """A JSON value read back from a database, which may be one someone else wrote: one nested deeper than
    ingest allows is refused before it is parsed (Python's JSON reader recurses)."""
    try:
        return budgets.stored_json(text)
    except TooDeep as e:
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
