"""`kubesnap export --format parquet DIR`: every table as Parquet under DIR/<table>/, hive-partitioned by
snapshot (DIR/<table>/snapshot=<id>/*.parquet), so that DuckDB, Spark or Trino can query a fleet of bundles.

log_lines has no snapshot column of its own: it is partitioned by its file's snapshot. findings belong to a
site, not a snapshot: DIR/findings/site=<name>/. kubesnap_meta is not exported; views are queries over the
tables (docs/schema.md) and can be rebuilt on the export.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from analyzer.errors import UsageError
from analyzer.models import STORED_TABLES
from analyzer.store import Store


def tables() -> list[str]:
    return list(STORED_TABLES)


def export_parquet(db: Path, out: Path, progress: Callable[[str, int, int], None] | None = None, overwrite: bool = False) -> dict[str, int]:
    """Write every table, read through its view v_<table>; returns rows per table."""
    counts: dict[str, int] = {}
    # the only folder this connection may write to is the export's; a database refused leaves no folder
    with Store(db, read_only=True, allowed_directories=[out]) as store:
        con = store.con
        if out.exists() and any(out.iterdir()):
            if not overwrite:
                raise UsageError(f"{out} is not empty: give an empty or new folder (or --overwrite)")
            shutil.rmtree(out)
        out.mkdir(parents=True, exist_ok=True)
        names = [t for t in tables() if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [t]).fetchall()[0][0]]
        for i, t in enumerate(names):
            if progress:
                progress(t, i, len(names))
            counts[t] = _copy(con, t, out / t)
        if progress:
            progress("", len(names), len(names))
    return counts


def _copy(con: duckdb.DuckDBPyConnection, table: str, dest: Path) -> int:
    cols = [r[0] for r in con.execute(f"DESCRIBE v_{table}").fetchall()]
    if table == "log_lines":
        src = "SELECT l.*, f.snapshot_id AS snapshot FROM v_log_lines l JOIN v_log_files f USING (file_id)"
        part = "snapshot"
    elif table == "findings":
        src, part = "SELECT *, site AS site_part FROM v_findings", "site_part"
    elif "snapshot_id" in cols:
        src, part = f"SELECT *, snapshot_id AS snapshot FROM v_{table}", "snapshot"
    else:
        src, part = f"SELECT * FROM v_{table}", ""
    n = int(con.execute(f"SELECT count(*) FROM ({src})").fetchall()[0][0])
    dest.mkdir(parents=True, exist_ok=True)
    if n == 0:
        # an empty table still says its schema
        con.execute(f"COPY (SELECT * FROM v_{table} LIMIT 0) TO '{_q(dest / 'empty.parquet')}' (FORMAT PARQUET)")
        return 0
    if part:
        con.execute(f"COPY ({src}) TO '{_q(dest)}' (FORMAT PARQUET, PARTITION_BY ({part}), OVERWRITE_OR_IGNORE, COMPRESSION ZSTD)")
        if part == "site_part":
            for d in dest.glob("site_part=*"):
                d.rename(dest / d.name.replace("site_part=", "site=", 1))
    else:
        con.execute(f"COPY ({src}) TO '{_q(dest / 'data.parquet')}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    return n


def _q(p: Path) -> str:
    return str(p).replace("'", "''")
