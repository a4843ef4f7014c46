"""The store's schema is made from analyzer.models: one source for column names, types and meanings."""

from __future__ import annotations

import hashlib
import json

import duckdb

from analyzer.models import STORED, Record
from analyzer.store import SANDBOX, SCHEMA_VERSION, _create_schema, expected_catalog, table_columns

# The tables, indexes and sequences of each schema version, as a hash of expected_catalog(): a change to a model that
# changes the DDL fails here until SCHEMA_VERSION is bumped (a database of the old shape is then refused clearly,
# tests/test_redteam_db.py) and the new hash recorded.
CATALOG_SHA256 = {2: "0734a7cc100cc9680ef221f55462ec38747a237320705570599ba3b2117f6b81", 3: "1519b77caeb0d542b9bec3bf416aff38ce6db73f340be52ab5b7ca26775afbd3"}


def test_schema_version_is_bumped_with_the_ddl() -> None:
    got = expected_catalog()
    digest = hashlib.sha256(json.dumps({k: v for k, v in got.items() if k != "view"}, sort_keys=True).encode()).hexdigest()
    assert CATALOG_SHA256.get(SCHEMA_VERSION) == digest, f"the DDL changed: bump SCHEMA_VERSION and record {digest}"


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
