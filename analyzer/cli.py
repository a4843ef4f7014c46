"""The `kubesnap` command line: thin click callbacks over analyzer.api."""

from __future__ import annotations

import dataclasses
import sys
import typing
from pathlib import Path

import click

from analyzer import api
from analyzer.bundle import Limits
from analyzer.cli_base import DB_HELP, Progress, main
from analyzer.collector import collector_script
from analyzer.rules import SEVERITIES, Finding, Rule, Thresholds, as_json, at_or_above
from analyzer.sanitize import cell, echo, echo_styled, json_dumps, json_safe, write_raw

if typing.TYPE_CHECKING:
    from analyzer.ingest import IngestReport

__all__ = ["main"]  # the entry point (pyproject [project.scripts]); the group itself is in cli_base


@main.command()
def collector() -> None:
    """Print the node collector script (kubesnap-collect.sh) to standard output.

    Copy it to an air-gapped node and run it there as root:
    `bash kubesnap-collect.sh --output /var/tmp`.
    """
    write_raw(collector_script())


F = typing.TypeVar("F", bound=typing.Callable[..., object])


def threshold_options(f: F) -> F:
    """One option per rule threshold (--restarts-warn ...), generated from Thresholds with its default and description."""
    for name, field in reversed(list(Thresholds.model_fields.items())):
        f = click.option(f"--{name.replace('_', '-')}", name, type=click.IntRange(min=0), default=field.default, show_default=True,
                         help=field.description)(f)  # fmt: skip
    return f


def limit_options(f: F) -> F:
    """One option per cap on what an input may cost (--max-total-bytes ...), generated from bundle.Limits."""
    for fl in reversed(dataclasses.fields(Limits)):
        f = click.option(f"--{fl.name.replace('_', '-')}", fl.name, type=click.IntRange(min=1), default=fl.default, show_default=True,
                         help=fl.metadata.get("help"))(f)  # fmt: skip
    return f


JOBS_HELP = "node tarballs ingested at once (default: the CPU count, at most 4)"
YEAR_HELP = ("the year of journal and klog lines that print none, in pasted and loose captures (default: the year of --now "
             "or of a `date` output in the paste, else the current year, and a note says so)")
NOW_HELP = ("when the pasted output was printed (ISO 8601, UTC without an offset, or what `date` prints): the ages of "
            "pasted kubectl event tables are counted back from it; without it, from a `date` output in the paste")


def limits_from(kwargs: dict[str, typing.Any]) -> Limits:
    return Limits(**{fl.name: kwargs.pop(fl.name) for fl in dataclasses.fields(Limits) if fl.name in kwargs})


def thresholds_from(kwargs: dict[str, typing.Any]) -> Thresholds:
    return Thresholds(**{k: kwargs.pop(k) for k in list(kwargs) if k in Thresholds.model_fields})


def _findings_summary(found: list[tuple[Rule, Finding]]) -> str:
    counts = {s: sum(1 for _r, f in found if f.severity == s) for s in SEVERITIES}
    return f"findings: {counts['fail']} fail, {counts['warn']} warn, {counts['info']} info"


def _report(report: IngestReport, quiet: bool = False) -> None:
    """A short summary on stderr; problems listed (the first 20), all of them in ingest_problems."""
    if not quiet:
        echo(
            f"ingested {report.bundles} bundle(s), {report.loose_files} loose file(s): "
            f"{report.records} records, {report.log_lines} log lines",
            err=True,
        )
    for where, member, note in [] if quiet else report.notes[:20]:
        echo(f"note: {cell(where)}{': ' + cell(member) if member else ''}: {cell(note)}", err=True)
    if report.problems:
        echo(f"{len(report.problems)} problem(s) (all in the ingest_problems table):", err=True)
        for where, member, reason in report.problems[:20]:
            # one line per problem: a member name or reason cannot forge another
            echo(f"  {cell(where)}{': ' + cell(member) if member else ''}: {cell(reason)}", err=True)
        if len(report.problems) > 20:
            echo(f"  ... and {len(report.problems) - 20} more", err=True)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--node", help="node name of loose node-level captures (crictl, ps, /proc files)")
@click.option("--site", default="default", show_default=True, help="site name: several sites can share one database")
@click.option("-q", "--quiet", is_flag=True, help="no progress and no summary, problems only")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: the summary and problems on stdout")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help=JOBS_HELP)
@click.option("--now", "now", metavar="TIME", help=NOW_HELP)
@click.option("--year", "year", type=click.IntRange(1970, 9999), help=YEAR_HELP)
@limit_options
@click.pass_context
def ingest(ctx: click.Context, /, inputs: tuple[Path, ...], db: str | None, node: str | None, site: str, quiet: bool, output: str,
           jobs: int | None, now: str | None, year: int | None, **kwargs: typing.Any) -> None:  # fmt: skip
    """Load bundles and loose captures into a database.

    INPUT is a node tarball, a tarball, zip or folder holding several, an extracted bundle
    folder (or a zip of one), or a loose text file (crictl, ps, kubectl output a customer pasted).
    Tarballs may be gzip, bzip2 or xz compressed.
    Exit status: 0 all ingested, 1 ingested with problems, 2 usage error, 3 nothing ingestible.
    """
    report = _ingest(api.resolve_db(db), inputs, site, node, limits_from(kwargs), quiet, jobs, now, year)
    if output == "json":
        echo(json_dumps({"bundles": report.bundles, "loose_files": report.loose_files, "records": report.records, "log_lines": report.log_lines,
                               "snapshots": report.snapshots, "problems": [{"input": w, "member": m, "reason": r} for w, m, r in report.problems]}, indent=1))  # fmt: skip
    else:
        _report(report, quiet)
    ctx.exit(1 if report.problems else 0)


def _ingest(db: Path, inputs: tuple[Path, ...], site: str, node: str | None, limits: Limits, quiet: bool, jobs: int | None = None,
            now: str | None = None, year: int | None = None) -> IngestReport:  # fmt: skip
    when = api.parse_now(now) if now is not None else None
    bar = Progress("ingesting", quiet)
    seen: list[str] = []

    def step(label: str) -> None:
        bar.step(label, len(seen))
        seen.append(label)

    try:
        return api.ingest_inputs(db, list(inputs), site=site, node=node, limits=limits, progress=step, workers=jobs, now=when, year=year)
    finally:
        bar.done()


@main.command()
@click.argument("statement")
@click.option("--db", help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def sql(statement: str, db: str | None, fmt: str) -> None:
    """Run a SQL statement against the database (read-only) and print the result.

    json is a JSON array of objects. Start from the view pod_processes.
    """
    echo(api.format_result(api.query(api.resolve_db(db), statement), fmt), nl=False)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(path_type=Path), default=Path("kubesnap-out"), show_default=True,
              help="folder for kubesnap.duckdb and report.html")
@click.option("--node", help="node name of loose node-level captures")
@click.option("--site", default="default", show_default=True)
@click.option("-q", "--quiet", is_flag=True)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help=JOBS_HELP)
@click.option("--now", "now", metavar="TIME", help=NOW_HELP)
@click.option("--year", "year", type=click.IntRange(1970, 9999), help=YEAR_HELP)
@threshold_options
@limit_options
@click.pass_context
def analyze(ctx: click.Context, /, inputs: tuple[Path, ...], outdir: Path, node: str | None, site: str, quiet: bool, jobs: int | None,
            now: str | None, year: int | None, **kwargs: typing.Any) -> None:  # fmt: skip
    """Ingest, check and report: writes OUTDIR/kubesnap.duckdb and OUTDIR/report.html and prints where they are.

    The rules run with the thresholds below; `kubesnap findings --db OUTDIR/kubesnap.duckdb` lists what they found.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    db = outdir / "kubesnap.duckdb"
    report = _ingest(db, inputs, site, node, limits_from(kwargs), quiet, jobs, now, year)
    _report(report, quiet)
    _site, found = api.check(db, site, thresholds_from(kwargs))
    if not quiet:
        echo(_findings_summary(found), err=True)
    html = outdir / "report.html"
    from reports.render import render_report  # the report's imports (jinja2) only where a report is made

    render_report(db, html, site=site, coverage=api.coverage)
    echo(f"database: {cell(db)}")
    echo(f"report:   {cell(html)}")
    ctx.exit(1 if report.problems else 0)


@main.command()
@click.option("--db", help=DB_HELP)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True)
@click.option("--site", help="the site to report on (default: the one with the most snapshots)")
def report(db: str | None, out: Path, site: str | None) -> None:
    """Render the offline HTML report (one file, no network) of a database."""
    from reports.render import render_report

    render_report(api.resolve_db(db), out, site=site, coverage=api.coverage)
    echo(cell(out))


@main.command()
@click.option("--bundle", "bundle", type=click.Path(path_type=Path),
              help="show each member of this bundle (tarball, zip or folder) and the state it ends in: read (by which reader, how many "
                   "rows), raw (kept unread on purpose, and why) or not understood (the problem); no database needed")  # fmt: skip
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--db", help="also account for the bundles of this database: every member of other tools' bundles (read, kept raw "
                           "with its reason, or not understood) and the facts each bundle could not provide")  # fmt: skip
@click.option("--site", help="with --db: only this site")
@click.pass_context
def sources(ctx: click.Context, bundle: Path | None, fmt: str, db: str | None, site: str | None) -> None:
    """List the bundle layouts (each member pattern: its reader, the tables it fills, the command that made it), the
    sources (parsers; whether a loose paste is recognized) and the other tools' bundle formats with what each cannot
    provide. With --bundle: each member of that bundle and its state; exit 1 when a member is not understood. With --db:
    the account of each ingested bundle of another tool's format."""
    if bundle is not None:
        members, problems = api.bundle_members(bundle)
        if fmt == "json":
            echo(json_dumps({"members": [dataclasses.asdict(m) for m in members],
                             "problems": [{"input": w, "member": m, "reason": r} for w, m, r in problems]}, indent=1))  # fmt: skip
        else:
            rows = [[m.path, m.state, m.reader or "-", str(m.rows) if m.state == "read" else "-", m.reason or ""] for m in members]
            echo(api.table(["MEMBER", "STATE", "READER", "ROWS", "REASON"], rows), nl=False)
            counts = {s: sum(1 for m in members if m.state == s) for s in ("read", "raw", "not understood")}
            echo(", ".join(f"{n} {s}" for s, n in counts.items()) + f" of {len(members)} members")
            for w, m, r in problems:
                echo(f"problem: {cell(w)}: {cell(m)}: {cell(r)}" if m else f"problem: {cell(w)}: {cell(r)}")
        ctx.exit(1 if problems or any(m.state == "not understood" for m in members) else 0)
    lays = api.layouts()
    srcs = api.sources()
    if fmt == "json":
        doc: dict[str, typing.Any] = {"layouts": [{"name": lay.name, "doc": lay.doc, "entries": [
                                   {"pattern": e.pattern, "reader": e.reader, "tables": list(e.tables), "made_by": e.made_by, "reason": e.reason,
                                    "options": dict(e.options)} for e in lay.entries]} for lay in lays],
                               "sources": [{"name": s.name, "scope": s.scope, "loose": s.sniff is not None, "reads": api.readers_of(s.name),
                                            "doc": s.doc} for s in srcs]}  # fmt: skip
        if db is not None:  # (what the table prints with --db: each member of other tools' bundles, and the facts they lack)
            doc["members"], doc["missing"] = api.bundle_account(api.resolve_db(db), site)
        echo(json_dumps(doc, indent=1))
        return
    for lay in lays:
        echo(f"layout {lay.name}: {lay.doc}")
        rows = [[e.pattern, e.reader, ",".join(e.tables) or "-", e.reason if e.reason else e.made_by] for e in lay.entries]
        echo(api.table(["MEMBER", "READER", "TABLES", "MADE BY (raw: WHY KEPT)"], rows))
    rows = [[s.name, s.scope, "yes" if s.sniff else "no", str(len(api.readers_of(s.name))), s.doc] for s in srcs]
    echo(api.table(["SOURCE", "SCOPE", "LOOSE", "ENTRIES", "WHAT"], rows), nl=False)
    echo("")
    echo(api.table(["FORMAT", "SCOPE", "CANNOT PROVIDE"], api.formats_table()), nl=False)
    if db is None:
        return
    account, cover = api.bundle_account(api.resolve_db(db), site)
    echo("")
    echo(api.table(["BUNDLE", "FORMAT", "MEMBER", "STATE", "WHY"], [[m["bundle"], m["format"], m["member"], m["state"], m["why"]] for m in account]), nl=False)
    echo("")
    echo(api.table(["BUNDLE", "FORMAT", "NODE", "MISSING FACT", "STATE", "WHY"],
                   [[c["bundle"], c["format"], c["node"] or "", c["about"], c["state"], c["why"]] for c in cover]), nl=False)  # fmt: skip


@main.command()
@click.option("--db", help=DB_HELP)
@click.option("--site", help="the site to check (default: the one with the most snapshots)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of objects with keys rule, severity, node, namespace, object, message, evidence (a list of lines)")
@click.option("--fail-on", type=click.Choice(["warn", "fail"]), help="exit 1 when a finding of this severity or worse exists")
@click.option("--min-severity", type=click.Choice(list(SEVERITIES)), default="info", show_default=True, help="list only findings this severe or worse")
@click.option("-e", "--evidence", is_flag=True, help="table: print each finding's evidence under it")
@threshold_options
@click.pass_context
def findings(ctx: click.Context, /, db: str | None, site: str | None, fmt: str, fail_on: str | None, min_severity: str, evidence: bool,
             **kwargs: typing.Any) -> None:  # fmt: skip
    """Run the rules on a database and list what they found, most severe first.

    The findings are stored in the table `findings` as well (the report shows them). `kubesnap rules` lists the rules.
    Exit status: 0, or 1 when --fail-on is given and a finding at or above it exists; 2 usage or database error.
    """
    _site, found = api.check(api.resolve_db(db), site, thresholds_from(kwargs))
    shown = [f for _r, f in found if at_or_above(f.severity, min_severity)]
    if fmt == "json":
        echo(json_safe(as_json(shown)))
    else:
        rows = [[f.severity.upper(), f.rule, f.node or "", "/".join(x for x in (f.namespace, f.object) if x), f.message] for f in shown]
        lines = api.table(["SEVERITY", "RULE", "NODE", "OBJECT", "MESSAGE"], rows).splitlines()  # cells escaped: one line per finding
        colours = {"FAIL": "red", "WARN": "yellow"} if sys.stdout.isatty() else {}  # colour only on a terminal
        styled: list[tuple[str, str | None]] = [(lines[0], None)]
        for ln, f in zip(lines[1:], shown, strict=True):
            styled.append((ln, colours.get(f.severity.upper())))
            if evidence:
                styled += [(f"    {cell(e)}", None) for e in f.evidence]
        echo_styled(styled)
        echo(_findings_summary(found), err=True)
    if fail_on and any(at_or_above(f.severity, fail_on) for _r, f in found):
        ctx.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rules(fmt: str) -> None:
    """List the rules: id, severity, category and title (docs/rules.md has the full text)."""
    rs = api.rules()
    if fmt == "json":
        keys = ("id", "title", "category", "severity", "description", "remediation")
        echo(json_dumps([{k: getattr(r, k) for k in keys} for r in rs], indent=1))
    else:
        echo(api.table(["RULE", "SEVERITY", "CATEGORY", "TITLE"], [[r.id, r.severity, r.category, r.title] for r in rs]), nl=False)


# the investigation verbs register themselves on `main`
# the commands of these modules register themselves on `main` (they import cli_base, never this module)
from analyzer import cli_site as _collect_site  # noqa: E402,F401
from analyzer import cli_verbs as _verbs  # noqa: E402,F401
