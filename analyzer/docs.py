"""Reference documents generated from the code: `python -m analyzer.docs schema|rules > docs/<name>.md`."""

from __future__ import annotations

import sys

from analyzer.models import ALL_RECORDS, FIXED_RECORDS, Stored
from analyzer.store import Column, table_columns
from analyzer.views import VIEWS


def schema_md() -> str:
    out = [
        "# Database schema",
        "",
        "Generated from the code (`python -m analyzer.docs schema`); a test fails when it drifts.",
        "Every record table also has `snapshot_id`, `node` (the API node name) and `member` (the bundle",
        "member or loose file it was read from). Times are UTC (`TIMESTAMPTZ`); the session time zone is UTC.",
        "Every table is declared once, by its model in analyzer/models.py: the DDL, this page and the catalog a",
        "database is checked against are made from it. `null`: whether the model lets the column be empty (the DDL",
        "does not enforce it: an out-of-range number from a hostile capture is stored as NULL, the row is kept).",
        "",
        "The rules, the verbs and the report read views only (tests/test_layers.py): a table they need as stored is",
        "read through its view `v_<table>`; `journal_lines` holds each journal line once, with every copy as evidence.",
        "",
        "Start from the view `pod_processes`: the seed's walk, node -> pod -> sandbox -> containers -> shim ->",
        "processes -> log directory, for every pod of every node.",
        "",
        "## Views",
        "",
    ]
    for name, (about, _sql) in VIEWS.items():
        out.append(f"- `{name}`: {about}")
    out += ["", "## Tables written by the ingest, the correlation and the rule runner", ""]
    for row in FIXED_RECORDS:
        out += _table_md(row, table_columns(row))
    out += ["## Record tables (one per parser record type)", ""]
    for rec in ALL_RECORDS:
        out += _table_md(rec, table_columns(rec)[3:])
    return "\n".join(out)


def _table_md(cls: type[Stored], cols: list[Column]) -> list[str]:
    out = [f"### {cls.table}", "", cls.about, "", "| column | type | null | meaning |", "|---|---|---|---|"]
    out += [f"| {c.name} | {c.type} | {'yes' if c.nullable else 'no'} | {c.description} |" for c in cols]
    return [*out, ""]


def rules_md() -> str:
    from analyzer.rules import Thresholds, load_rules

    rules = sorted(load_rules().values(), key=lambda r: (r.category, r.id))
    out = [
        "# Rules",
        "",
        "Generated from the rule registry (`python -m analyzer.docs rules`); a test fails when it drifts.",
        "",
        "`kubesnap analyze` runs every rule after the ingest; `kubesnap findings --db FILE` runs them again",
        "(with other thresholds if given) and lists what they found, most severe first. Findings are stored",
        "in the table `findings` (docs/schema.md) and shown at the top of the HTML report.",
        "",
        "Severities: `fail` (broken now), `warn` (will break, or degrades), `info` (context: what the",
        "bundle cannot tell, or a value below its threshold). `--fail-on warn|fail` makes `kubesnap",
        "findings` exit 1 when a finding at or above that severity exists (for scripts and CI).",
        "",
        "## JSON output",
        "",
        "`kubesnap findings --format json` prints a JSON array; each element has exactly these keys,",
        "and they are stable:",
        "",
        "| key | type | meaning |",
        "|---|---|---|",
        "| rule | string | the rule id below |",
        "| severity | string | `info`, `warn` or `fail` |",
        "| node | string or null | the node the finding is about (API node name) |",
        "| namespace | string or null | |",
        "| object | string or null | the pod, node, path, image, etcd endpoint or process it is about |",
        "| message | string | one sentence |",
        "| evidence | array of strings | where it was seen: `node: bundle member[:line]: what` or `API: ...` |",
        "",
        "```json",
        "[",
        " {",
        '  "rule": "CONTAINER_CRASHLOOP",',
        '  "severity": "fail",',
        '  "node": "worker01",',
        '  "namespace": "shop",',
        '  "object": "web-7d4b9c-x2x9z",',
        '  "message": "web of shop/web-7d4b9c-x2x9z is in CrashLoopBackOff after 12 restarts; last exit: Error (code 1)",',
        '  "evidence": ["API: cluster/pods.json: shop/web-7d4b9c-x2x9z web waiting CrashLoopBackOff restartCount=12"]',
        " }",
        "]",
        "```",
        "",
        "## Thresholds",
        "",
        "Each is an option of `kubesnap findings` and `kubesnap analyze`.",
        "",
        "| option | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Thresholds.model_fields.items():
        out.append(f"| `--{name.replace('_', '-')}` | {field.default} | {field.description} |")
    out += ["", "## Catalog", ""]
    cat = None
    for r in rules:
        if r.category != cat:
            cat = r.category
            out += [f"### {cat}", ""]
        out += [f"#### {r.id}: {r.title}", "", f"Severity: `{r.severity}`.", "", r.description, "", f"What to do: {r.remediation}", ""]
    return "\n".join(out)


def cli_md() -> str:
    """Every command's --help, at a fixed width so that the file does not depend on the terminal."""
    import click

    from analyzer.cli import main

    def helptext(cmd: click.Command, name: str, parent: click.Context | None) -> tuple[str, click.Context]:
        ctx = click.Context(cmd, info_name=name, parent=parent, terminal_width=100, max_content_width=100, help_option_names=["-h", "--help"])
        return cmd.get_help(ctx), ctx

    top, ctx = helptext(main, "kubesnap", None)
    out = ["# Command line", "", "Generated from the commands' `--help` (`python -m analyzer.docs cli`); a test fails when it drifts.", "",
           "## kubesnap", "", "```", top, "```", ""]  # fmt: skip
    assert isinstance(main, click.Group)
    for name in sorted(main.commands):
        text, _ = helptext(main.commands[name], name, ctx)
        out += [f"## kubesnap {name}", "", "```", text, "```", ""]
    return "\n".join(out)


def _md(v: str) -> str:
    return v.replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;")


def sources_md() -> str:
    from analyzer.layouts import load_layouts
    from analyzer.registry import load_parsers

    out = [
        "# Sources",
        "",
        "Generated from the bundle layouts (`python -m analyzer.docs sources`); a test fails when it drifts.",
        "",
        "A layout (analyzer/layouts/kubesnap.py for Kubesnap's own bundle, analyzer/formats/ for other tools')",
        "names, for each member pattern, the reader that reads it (a source below; `bulk:pod-logs` and",
        "`bulk:journal`, the bulk loaders of container logs and of journal-like text; `link:container-log`, the",
        "links of /var/log/containers; `raw`, kept unread on purpose, with the reason), the tables it fills and",
        "the command that made it. An entry naming a path exactly wins; else the first pattern that matches",
        "(`*` stays within a folder, `**` crosses folders). After an ingest each member of a bundle is in one",
        "state (table `members`, column `state`): `read`, `raw` or `not understood` (an ingest problem names",
        "it); `kubesnap sources --bundle FILE` shows them without a database. To add a source:",
        "docs/add-a-source.md.",
        "",
    ]
    for lay in load_layouts().values():
        out += [f"## Layout `{lay.name}`", "", lay.doc, "", "| member | reader | tables | made by |", "|---|---|---|---|"]
        for e in lay.entries:
            opts = "".join(f" ({k}={v})" for k, v in e.options)
            made = e.made_by + (f"; kept raw: {e.reason}" if e.reason else "")
            out.append(f"| `{e.pattern}` | {_md(e.reader)}{_md(opts)} | {_md(', '.join(e.tables)) or '-'} | {_md(made)} |")
        out.append("")
    out += ["## Sources (parsers)", "", "`loose`: recognized by content when pasted as a loose file (`kubesnap ingest FILE`).", "",
            "| source | scope | loose | what |", "|---|---|---|---|"]  # fmt: skip
    for spec in sorted(load_parsers().values(), key=lambda s: s.name):
        out.append(f"| {spec.name} | {spec.scope} | {'yes' if spec.sniff else 'no'} | {_md(spec.doc)} |")
    return "\n".join(out) + "\n"


DOCS = {"schema": schema_md, "rules": rules_md, "cli": cli_md, "sources": sources_md}


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] in DOCS:
        sys.stdout.write(DOCS[argv[1]]())
        return 0
    sys.stderr.write(f"usage: python -m analyzer.docs {'|'.join(DOCS)}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
