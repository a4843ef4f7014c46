"""The investigation verbs of the `kubesnap` command: get, describe, logs, ps, timeline, diff, export, completion, whois."""

from __future__ import annotations

from pathlib import Path

import click

from analyzer import api
from analyzer.cli_base import DB_HELP, Progress, main
from analyzer.sanitize import cell, echo, echo_lines, write_raw
from analyzer.verbs import open_site

SITE_HELP = "the site (default: the one with the most snapshots)"


@main.command()
@click.argument("resource", metavar="RESOURCE")
@click.argument("names", nargs=-1)
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("-A", "--all-namespaces", is_flag=True, help="every namespace (a NAMESPACE column is added)")
@click.option("-n", "--namespace", help="the namespace (default: default)")
@click.option("--node", help="only objects on this node")
@click.option("-l", "--selector", help="label selector: a=b, a!=b, a, !a, a in (x,y), a notin (x)")
@click.option("-o", "--output", type=click.Choice(["wide", "json", "yaml", "name"]), help="output format, as kubectl's")
@click.option("--sort-by", help="a JSONPath such as .metadata.creationTimestamp or {.status.containerStatuses[0].restartCount}")
def get(resource: str, names: tuple[str, ...], db: str | None, site: str | None, all_namespaces: bool, namespace: str | None, node: str | None,
        selector: str | None, output: str | None, sort_by: str | None) -> None:  # fmt: skip
    """List pods, nodes, events, services (kubectl's columns), images or containers (crictl's, with a NODE column).

    Ages are relative to when the site's kubectl dump was taken. Without an API dump in the bundles,
    pods are built from the nodes' runtimes (crictl pods / ps / inspect).
    """
    from analyzer.verbs.get import get as run

    with open_site(api.resolve_db(db), site) as sv:
        text = run(sv, resource, namespace=namespace, all_namespaces=all_namespaces, node=node, selector=selector, output=output or "",
                   sort_by=sort_by, names=names)  # fmt: skip
    echo(text, nl=False)


@main.command()
@click.argument("kind", type=click.Choice(["pod", "pods", "po", "node", "nodes", "no"]))
@click.argument("name")
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("-n", "--namespace", help="the pod's namespace (default: the only namespace that has a pod of that name)")
def describe(kind: str, name: str, db: str | None, site: str | None, namespace: str | None) -> None:
    """The API's view of a pod or node (as kubectl describe lays it out), the node's own view (sandbox,
    containers, processes, log files, filesystems) and the findings about it."""
    from analyzer.verbs.describe import describe as run

    with open_site(api.resolve_db(db), site) as sv:
        echo(run(sv, kind, name, namespace), nl=False)


@main.command()
@click.argument("pod")
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("-n", "--namespace", help="the pod's namespace (default: default, or the only namespace that has a pod of that name)")
@click.option("-c", "--container", help="the container (needed when the pod has several)")
@click.option("-p", "--previous", is_flag=True, help="the previous instance of the container (the N-1 restart's log)")
@click.option("--tail", type=int, help="only the last N lines")
@click.option("--since", help="only lines newer than this duration before the collection (5s, 2m, 3h)")
@click.option("--since-time", help="only lines at or after this RFC 3339 time")
@click.option("--timestamps", is_flag=True, help="prefix each line with its RFC 3339 time")
@click.option("--all-containers", is_flag=True, help="every container of the pod, one after another")
@click.option("--prefix", is_flag=True, help="prefix each line with pod/<pod>/<container>")
@click.option("--include-rotated", is_flag=True, help="the container's rotated log files too (oldest first), not only the current one")
def logs(pod: str, db: str | None, site: str | None, namespace: str | None, container: str | None, previous: bool, tail: int | None,
         since: str | None, since_time: str | None, timestamps: bool, all_containers: bool, prefix: bool, include_rotated: bool) -> None:  # fmt: skip
    """Print a container's log as kubectl logs does, from the node's /var/log/pods (or the kubectl logs the
    collector saved), partial lines joined."""
    from analyzer.verbs.logs import logs as run

    with open_site(api.resolve_db(db), site) as sv:
        echo_lines(run(sv, pod, namespace=namespace, container=container, previous=previous, tail=tail, since=since, since_time=since_time,
                        timestamps=timestamps, all_containers=all_containers, prefix=prefix, include_rotated=include_rotated))  # fmt: skip


@main.command()
@click.argument("node")
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("--tree", is_flag=True, help="as ps -ef --forest: children under their parents")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def ps(node: str, db: str | None, site: str | None, tree: bool, output: str) -> None:
    """A node's processes as ps -ef printed them, each annotated with its pod/container, shim, pause or host service."""
    from analyzer.verbs.ps import process_rows
    from analyzer.verbs.ps import ps as run

    with open_site(api.resolve_db(db), site) as sv:
        if output == "json":
            rows, _now = process_rows(sv, node)
            echo(api.format_result(api.QueryResult(list(rows[0]) if rows else [], [tuple(r.values()) for r in rows]), "json"))
        else:
            echo(run(sv, node, tree), nl=False)


@main.command()
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("--since", help="from this time (RFC 3339), or this long before the collection (2h)")
@click.option("--until", help="up to this time, or this long before the collection")
@click.option("--node", help="only this node")
@click.option("--namespace", help="only records of this namespace")
@click.option("--grep", help="only messages matching this regular expression (RE2)")
@click.option("--severity", type=click.Choice(["info", "warn", "error"]), default="info", show_default=True, help="at least this severe")
@click.option("--source", "sources", multiple=True, type=click.Choice(["event", "container", "journal", "log", "collector"]),
              help="only these sources (repeatable; default: all)")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON object per line")
def timeline(db: str | None, site: str | None, since: str | None, until: str | None, node: str | None, namespace: str | None, grep: str | None,
             severity: str, sources: tuple[str, ...], output: str) -> None:  # fmt: skip
    """One line per record across every node, in time order: events, container starts and exits, kubelet,
    runtime and kernel journal lines, pod log lines, collector times. Each line starts with its UTC time
    and carries its node, source and severity (I W E); a node whose clock looks off is marked with its offset."""
    from analyzer.verbs.timeline import SOURCES
    from analyzer.verbs.timeline import timeline as run

    with open_site(api.resolve_db(db), site) as sv:
        echo_lines(run(sv, since=since, until=until, node=node, namespace=namespace, grep=grep, severity=severity,
                        sources=sources or SOURCES, output=output))  # fmt: skip


@main.command()
@click.argument("pattern")
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("--node", help="only this node's lines")
@click.option("--namespace", help="only container logs of this namespace (journal lines have none)")
@click.option("--pod", help="only container logs of this pod")
@click.option("--container", help="only container logs of this container")
@click.option("--since", help="only lines at or after this time (RFC 3339), or this long before the collection (2h); lines without a time are left out")
@click.option("--until", help="only lines at or before this time, or this long before the collection")
@click.option("-C", "--context", type=int, default=0, show_default=True, help="also print N lines before and after each hit (its file's)")
@click.option("-i", "--ignore-case", is_flag=True, help="case-insensitive (Unicode case folding, as RE2 and ripgrep)")
@click.option("-E", "--regexp", "mode", flag_value="regexp", default=True, help="PATTERN is an RE2 regular expression (the default, as ripgrep)")
@click.option("-F", "--fixed-strings", "mode", flag_value="fixed", help="PATTERN is a fixed string")
@click.option("--count", is_flag=True, help="the number of hits per node and pod/container (journal: per member)")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON object per line")
def grep(pattern: str, db: str | None, site: str | None, node: str | None, namespace: str | None, pod: str | None, container: str | None,
         since: str | None, until: str | None, context: int, ignore_case: bool, mode: str, count: bool, output: str) -> None:  # fmt: skip
    """Search every container log, journal and syslog line of the site: node:member:line:message for each hit.

    Literal words and phrases are looked up in the index built at ingest; regular expressions run with RE2
    (linear time) on the lines the index leaves. Line numbers are the bundle member's (a joined partial
    record cites its first line). Exit status 0 when a line matched, 1 when none did (as grep), 2 on a bad
    pattern or database.
    """
    from analyzer.verbs.grep import grep as run

    found: dict[str, object] = {}
    with open_site(api.resolve_db(db), site) as sv:
        echo_lines(run(sv, pattern, fixed=mode == "fixed", ignore_case=ignore_case, node=node, namespace=namespace, pod=pod, container=container,
                        since=since, until=until, context=context, count=count, output=output, stats=found))  # fmt: skip
    if not found.get("hits"):
        raise SystemExit(1)


@main.command()
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
@click.option("--site", help="the site in both (default: the one with the most snapshots in each)")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff(a: Path, b: Path, site: str | None, output: str) -> None:
    """What changed from A to B: two databases, or two sets of bundles of the same site (ingested on the fly).

    Nodes and pods added or removed, restarts since, images added, removed or re-tagged, files under
    /etc/kubernetes (static pod manifests too) as unified diffs, findings new and resolved.
    """
    from analyzer.verbs.diff import as_json, as_text
    from analyzer.verbs.diff import diff as run

    with api.checked_database(a, site) as da, api.checked_database(b, site) as db:
        d = run(da, db, site, (str(a), str(b)))
    echo(as_json(d) if output == "json" else as_text(d), nl=False)


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True)
@click.option("--overwrite", is_flag=True, help="replace what OUT holds")
@click.option("-q", "--quiet", is_flag=True, help="no progress, no summary")
def export(out: Path, db: str | None, fmt: str, overwrite: bool, quiet: bool) -> None:
    """Write every table as Parquet under OUT/<table>/, hive-partitioned by snapshot (OUT/<table>/snapshot=<id>/),
    for DuckDB, Spark or Trino (docs/export.md)."""
    from analyzer.verbs.export import export_parquet

    _ = fmt
    bar = Progress("exporting", quiet)
    counts = export_parquet(api.resolve_db(db), out, progress=bar.step, overwrite=overwrite)
    bar.done()
    if not quiet:
        echo(f"{sum(counts.values())} rows in {len(counts)} tables under {cell(out)}", err=True)
    echo(cell(out))


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: `eval "$(kubesnap completion bash)"` (or add it to your shell's rc file)."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    write_raw(cls(main, {}, "kubesnap", "_KUBESNAP_COMPLETE").source() + "\n")



@main.command()
@click.argument("target")
@click.option("--db", help=DB_HELP)
@click.option("--site", help=SITE_HELP)
@click.option("--node", help="only this node (a pid is per node)")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: the chain, exact")
@click.pass_context
def whois(ctx: click.Context, target: str, db: str | None, site: str | None, node: str | None, output: str) -> None:
    """Whose is TARGET: a pid, a container or sandbox id (or prefix), a /var/log/pods or /var/log/containers
    path, a cgroup path (cgroupfs or systemd slice, or a /proc/PID/cgroup line), or a pod name (NAME or NAMESPACE/NAME).

    Prints the chain: node, pod, API status, sandbox, containers with restarts, containerd-shim pid, process
    tree, log directory and files, findings that mention it; and the links that are missing, and why.
    Exit status: 0 found (the chain may be partial), 1 not found, 4 ambiguous (the candidates are listed),
    2 usage or database error.
    """
    from analyzer.verbs.whois import as_json, as_text
    from analyzer.verbs.whois import whois as run

    with open_site(api.resolve_db(db), site) as sv:
        result = run(sv, target, node)
    echo(as_json(result) if output == "json" else as_text(result), nl=False)
    ctx.exit(result.exit_code)
