"""Reference documents generated from the code must match the code."""

from __future__ import annotations

from pathlib import Path

from analyzer.docs import cli_md, rules_md, schema_md, sources_md

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_schema_doc_matches_the_code() -> None:
    assert (DOCS / "schema.md").read_text() == schema_md(), "docs/schema.md is stale: run `make docs`"


def test_rules_doc_matches_the_registry() -> None:
    assert (DOCS / "rules.md").read_text() == rules_md(), "docs/rules.md is stale: run `make docs`"


def test_every_rule_is_in_the_catalog_once() -> None:
    from analyzer.rules import load_rules

    text = rules_md()
    for rid in load_rules():
        assert text.count(f"#### {rid}: ") == 1, rid


def test_cli_doc_matches_every_commands_help() -> None:
    text = cli_md()
    assert (DOCS / "cli.md").read_text() == text, "docs/cli.md is stale: run `make docs`"
    for verb in ("analyze", "ingest", "get", "describe", "logs", "ps", "timeline", "diff", "export", "findings", "rules", "completion"):
        assert f"## kubesnap {verb}\n" in text


def test_sources_doc_matches_the_layouts() -> None:
    assert (DOCS / "sources.md").read_text() == sources_md(), "docs/sources.md is stale: run `make docs`"
