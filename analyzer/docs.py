"""Reference documents generated from the code: `python -m analyzer.docs schema > docs/schema.md`."""

from __future__ import annotations

import sys

from analyzer.models import ALL_RECORDS
from analyzer.store import FIXED_TABLES, record_columns
from analyzer.views import VIEWS


def schema_md() -> str:
    out = [
        "# Database schema",
        "",
        "Generated from the code (`python -m analyzer.docs schema`); a test fails when it drifts.",
        "Every record table also has `snapshot_id`, `node` (the API node name) and `member` (the bundle",
        "member or loose file it was read from). Times are UTC (`TIMESTAMPTZ`); the session time zone is UTC.",
        "",
        "Start from the view `pod_processes`: the seed's walk, node -> pod -> sandbox -> containers -> shim ->",
        "processes -> log directory, for every pod of every node.",
        "",
        "## Views",
        "",
    ]
    for name, (about, _sql) in VIEWS.items():
        out.append(f"- `{name}`: {about}")
    out += ["", "## Tables written by the ingest", ""]
    for name, (about, cols) in FIXED_TABLES.items():
        out += [f"### {name}", "", about, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| {c} | {t.split(' USING')[0].replace(' PRIMARY KEY', '')} | {d} |" for c, t, d in cols]
        out.append("")
    out += ["## Record tables (one per parser record type)", ""]
    for cls in ALL_RECORDS:
        out += [f"### {cls.table}", "", cls.about, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| {c} | {t} | {d} |" for c, t, _a, d in record_columns(cls)[3:]]
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if argv[1:] == ["schema"]:
        sys.stdout.write(schema_md())
        return 0
    sys.stderr.write("usage: python -m analyzer.docs schema\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
