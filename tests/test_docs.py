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


def test_every_example_of_what_can_be_pasted_is_read() -> None:
    """docs/pastes.md shows an example of each format that can be pasted: each is read into records, with no problem."""
    import textwrap

    from analyzer.paste import split

    doc = (DOCS / "pastes.md").read_text(encoding="utf-8")
    part = doc.split("## What can be pasted", 1)[1].split("\n## ", 1)[0]
    blocks: list[list[str]] = [[]]
    for line in part.split("\n"):
        if line.startswith("    ") or (blocks[-1] and not line.strip()):
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    examples = [textwrap.dedent("\n".join(b)).strip("\n") + "\n" for b in blocks if b]
    assert len(examples) >= 18
    for text in examples:
        sections = split(text)
        data = [s for s in sections if s.is_data]
        assert data and all(s.records for s in data), text
        assert not [p for s in sections for p in s.problems], text
