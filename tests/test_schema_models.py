"""The store's schema is made from analyzer.models: one source for column names, types and meanings."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analyzer.models import STORED, Record
from analyzer.store import (
    KNOWN_CATALOGS,
    SANDBOX,
    SCHEMA_VERSION,
    _create_schema,
    catalog_digest,
    expected_catalog,
    table_columns,
)

# The tables, indexes and sequences of each schema version, as a hash of expected_catalog(): a change to a model that
# changes the DDL fails here until SCHEMA_VERSION is bumped (a database of the old shape is then refused clearly,
# tests/test_redteam_db.py) and the new hash recorded.
CATALOG_SHA256 = {2: "0734a7cc100cc9680ef221f55462ec38747a237320705570599ba3b2117f6b81", 3: "1519b77caeb0d542b9bec3bf416aff38ce6db73f340be52ab5b7ca26775afbd3",
                  4: "eb793a169db83e8b347487016bca066f5316f8080fc70b34f801e185dda82877"}


def test_schema_version_is_bumped_with_the_ddl() -> None:
    got = expected_catalog()
    digest = catalog_digest({k: v for k, v in got.items() if k != "view"})
    assert CATALOG_SHA256.get(SCHEMA_VERSION) == digest, f"the DDL changed: bump SCHEMA_VERSION and record {digest}"


def test_the_recorded_digest_of_our_catalog_is_current() -> None:
    """KNOWN_CATALOGS lets a verb know a database is of our format without making the expected catalog: a stale
    digest would only cost that time, and this says so (another DuckDB version has none: the same, slower)."""
    digest = catalog_digest(expected_catalog())
    assert KNOWN_CATALOGS.get(duckdb.__version__, digest) == digest, f"record {digest} for DuckDB {duckdb.__version__} in analyzer.store.KNOWN_CATALOGS"


def test_a_database_of_our_catalog_opens_without_making_the_expected_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer import store

    db = tmp_path / "o.duckdb"
    with store.Store(db) as st:
        st.con.execute("SELECT 1").fetchall()
    if duckdb.__version__ not in KNOWN_CATALOGS:
        return  # the catalog is then compared in full, as tests/test_redteam_db.py shows
    def boom() -> None:
        raise AssertionError("expected_catalog made")

    monkeypatch.setattr(store, "expected_catalog", boom)
    with store.Store(db, read_only=True) as st:
        assert not st.temp_views and st.con.execute("SELECT count(*) FROM v_snapshots").fetchall() == [(0,)]
    with store.Store(db) as st:
        assert st.con.execute("SELECT count(*) FROM snapshots").fetchall() == [(0,)]


def test_every_table_is_its_model() -> None:
    with duckdb.connect(":memory:", config=dict(SANDBOX)) as con:
        _create_schema(con)
        for cls in STORED:
            described = [(name, typ) for name, typ, *_ in con.execute(f"DESCRIBE {cls.table}").fetchall()]
            spelled = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}  # DESCRIBE's spelling of the type
            assert described == [(c.name, spelled.get(c.type, c.type)) for c in table_columns(cls)], cls.table
            own = list(cls.model_fields)
            assert [c.name for c in table_columns(cls)][-len(own):] == own
            if issubclass(cls, Record):
                assert [c.name for c in table_columns(cls)][:3] == ["snapshot_id", "node", "member"]
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {cls.table for cls in STORED} | {"kubesnap_meta"}
