"""The `kubesnap` command line: thin click callbacks over analyzer.api."""

from __future__ import annotations

import dataclasses
import os
import sys
import typing
from pathlib import Path

import click

from analyzer import __version__, api
from analyzer.bundle import Limits
from analyzer.collector import collector_script
from analyzer.errors import AnalyzerError
from analyzer.ingest import IngestReport
from analyzer.rules import SEVERITIES, Finding, Rule, Thresholds, as_json, at_or_above
from analyzer.sanitize import cell, clear_status, echo, echo_styled, json_dumps, json_safe, status, write_raw
from reports.render import render_report


def _sanitized(e: click.ClickException) -> click.ClickException:
    """click's own messages quote what was typed (a pod name pasted from a bundle): escaped before click prints them."""
    # (the rest of what click prints, usage lines and parameter names, is our own text)
    setattr(e, "message", cell(e.message))  # noqa: B010 - click types it Final; this is the one place that rewrites it
    return e


class KubesnapGroup(click.Group):
    """Turns AnalyzerError into a one-line message and its exit code; never a traceback. Every message,
    ours or click's, is escaped (analyzer.sanitize) before it reaches the terminal."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: typing.Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as e:
            raise _sanitized(e) from None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AnalyzerError as e:
            echo(f"kubesnap: {cell(e)}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            echo("kubesnap: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as e:
            raise _sanitized(e) from None
        except Exception as e:
            # A bug of ours: one line, never a traceback (KUBESNAP_DEBUG=1 shows it).
            if os.environ.get("KUBESNAP_DEBUG"):
                raise
            echo(f"kubesnap: internal error: {type(e).__name__}: {cell(str(e).splitlines()[0]) if str(e) else ''} "
                 "(please report it; KUBESNAP_DEBUG=1 shows the details)", err=True)
            ctx.exit(1)


@click.group(cls=KubesnapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kubesnap")
def main() -> None:
    """Offline analyzer of Kubernetes node bundles.

    Collect on each node with the script `kubesnap collector` prints, then analyze the
    tarballs on your own machine, with no network.

    Text from bundles and pastes is printed escaped, so that it cannot drive your terminal:
    control characters, ESC, C1, bidi and other invisible format characters show as \\x1b, \\x9b,
    \\u202e ..., and a tab, newline or CR inside a name or table cell as \\t, \\n, \\r (one row per
    object). -o json, -o yaml and --format json are exact (JSON and YAML escapes).
    """


@main.command()
def collector() -> None:
    """Print the node collector script (kubesnap-collect.sh) to standard output.

    Copy it to an air-gapped node and run it there as root:
    `bash kubesnap-collect.sh --output /var/tmp`.
    """
    write_raw(collector_script())


DB_HELP = "DuckDB database file (default: $KUBESNAP_DB)"


class Progress:
    """A progress line on stderr, only when stderr is a terminal (and not --quiet)."""

    def __init__(self, what: str, quiet: bool) -> None:
        self.what = what
        self.on = not quiet and sys.stderr.isatty()

    def step(self, item: str, i: int, n: int = 0) -> None:
        """Item i of n (n = 0: the total is not known, only what is being done). The item (a member or
        bundle name) is escaped as a cell: our CR redraws the line, never one of its own."""
        if self.on:
            width = 30
            if n:
                fill = int(width * i / n)
                status(f"{self.what} [{'#' * fill}{'.' * (width - fill)}] {i}/{n} {cell(item)[-40:]}", 100)
            else:
                status(f"{self.what} {i + 1}: {cell(item)[-60:]}", 100)

    def done(self) -> None:
        if self.on:
            clear_status(100)



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
@limit_options
@click.pass_context
def ingest(ctx: click.Context, /, inputs: tuple[Path, ...], db: str | None, node: str | None, site: str, quiet: bool, output: str,
           jobs: int | None, **kwargs: typing.Any) -> None:  # fmt: skip
    """Load bundles and loose captures into a database.

    INPUT is a node tarball, a tarball, zip or folder holding several, an extracted bundle
    folder (or a zip of one), or a loose text file (crictl, ps, kubectl output a customer pasted).
    Tarballs may be gzip, bzip2 or xz compressed.
    Exit status: 0 all ingested, 1 ingested with problems, 2 usage error, 3 nothing ingestible.
    """
    report = _ingest(api.resolve_db(db), inputs, site, node, limits_from(kwargs), quiet, jobs)
    if output == "json":
        echo(json_dumps({"bundles": report.bundles, "loose_files": report.loose_files, "records": report.records, "log_lines": report.log_lines,
                               "snapshots": report.snapshots, "problems": [{"input": w, "member": m, "reason": r} for w, m, r in report.problems]}, indent=1))  # fmt: skip
    else:
        _report(report, quiet)
    ctx.exit(1 if report.problems else 0)


def _ingest(db: Path, inputs: tuple[Path, ...], site: str, node: str | None, limits: Limits, quiet: bool, jobs: int | None = None) -> IngestReport:
    bar = Progress("ingesting", quiet)
    seen: list[str] = []

    def step(label: str) -> None:
        bar.step(label, len(seen))
        seen.append(label)

    try:
        return api.ingest_inputs(db, list(inputs), site=site, node=node, limits=limits, progress=step, workers=jobs)
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
@threshold_options
@limit_options
@click.pass_context
def analyze(ctx: click.Context, /, inputs: tuple[Path, ...], outdir: Path, node: str | None, site: str, quiet: bool, jobs: int | None,
            **kwargs: typing.Any) -> None:  # fmt: skip
    """Ingest, check and report: writes OUTDIR/kubesnap.duckdb and OUTDIR/report.html and prints where they are.

    The rules run with the thresholds below; `kubesnap findings --db OUTDIR/kubesnap.duckdb` lists what they found.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    db = outdir / "kubesnap.duckdb"
    report = _ingest(db, inputs, site, node, limits_from(kwargs), quiet, jobs)
    _report(report, quiet)
    _site, found = api.check(db, site, thresholds_from(kwargs))
    if not quiet:
        echo(_findings_summary(found), err=True)
    html = outdir / "report.html"
    render_report(db, html, site=site)
    echo(f"database: {cell(db)}")
    echo(f"report:   {cell(html)}")
    ctx.exit(1 if report.problems else 0)


@main.command()
@click.option("--db", help=DB_HELP)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True)
@click.option("--site", help="the site to report on (default: the one with the most snapshots)")
def report(db: str | None, out: Path, site: str | None) -> None:
    """Render the offline HTML report (one file, no network) of a database."""
    render_report(api.resolve_db(db), out, site=site)
    echo(cell(out))


@main.command()
def sources() -> None:
    """List the sources Kubesnap reads: bundle paths, and whether loose pastes are recognized."""
    rows = [[s.name, s.scope, "yes" if s.sniff else "no", " ".join(s.paths), s.doc] for s in api.sources()]
    echo(api.table(["SOURCE", "SCOPE", "LOOSE", "BUNDLE PATHS", "WHAT"], rows), nl=False)


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
from analyzer import cli_site as _collect_site  # noqa: E402,F401
from analyzer import cli_verbs as _verbs  # noqa: E402,F401
