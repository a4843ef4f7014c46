"""Reference documents generated from the code must match the code."""

from __future__ import annotations

from pathlib import Path

from analyzer.docs import schema_md

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_schema_doc_matches_the_code() -> None:
    assert (DOCS / "schema.md").read_text() == schema_md(), "docs/schema.md is stale: run `make docs`"
