"""The `kubesnap` command group and what every command module shares: the group that turns errors into one
escaped line and an exit code, --db's help, the progress line. analyzer.cli, cli_verbs and cli_site add their
commands to `main`; they import this module, never each other (analyzer.cli imports the other two to register them)."""

from __future__ import annotations

import gc
import os
import sys
import typing

import click

from analyzer import __version__
from analyzer.errors import AnalyzerError
from analyzer.sanitize import cell, clear_status, echo, status

INTERNAL_ERROR = 70  # exit status of a bug of ours or a resource limit hit (sysexits EX_SOFTWARE)


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
        # Python's cycle collector runs after every 700 new objects and walks all the young ones: an ingest makes
        # millions of short-lived ones (100,000 tiny members: 1,940 collections, 0.7-1 s). Every 50,000 costs
        # 40x fewer collections; what little cyclic garbage there is lives a little longer.
        gc.set_threshold(50_000, 10, 10)
        try:
            return super().invoke(ctx)
        except AnalyzerError as e:
            echo(f"kubesnap: {cell(e)}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            echo("kubesnap: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # the reader of the output went away (kubesnap grep ... | head): no error of ours, nothing more to print;
            # stdout goes to /dev/null so that Python's flush at exit does not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)  # 128 + SIGPIPE, as a shell's pipeline reports a writer the pipe closed on
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as e:
            raise _sanitized(e) from None
        except Exception as e:
            # A bug of ours: one line, never a traceback (KUBESNAP_DEBUG=1 shows it), and an exit status of
            # its own (70, EX_SOFTWARE), never the 1 of "done, with problems" that scripts act on.
            if os.environ.get("KUBESNAP_DEBUG"):
                raise
            first = cell(str(e).splitlines()[0]) if str(e) else ""
            if type(e).__name__ == "OutOfMemoryException":  # DuckDB's: a limit of ours, not a bug
                echo(f"kubesnap: the database ran out of memory: {first} (the limits are KUBESNAP_INGEST_MEMORY_LIMIT "
                     "for an ingest and KUBESNAP_REPORT_MEMORY_LIMIT for a report, 512MB by default, and KUBESNAP_MEMORY_LIMIT "
                     "otherwise, 1GB; a larger one may help)", err=True)
            else:
                echo(f"kubesnap: internal error: {type(e).__name__}: {first} (please report it; KUBESNAP_DEBUG=1 shows the details)", err=True)
            ctx.exit(INTERNAL_ERROR)


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

    Exit status: each command says what its 0, 1, 2... mean; every command exits 2 on a usage error,
    and 70 on an internal error or when the database ran out of its memory limit (one line on
    standard error, no traceback); 141 when the reader of its output went away (kubesnap grep ... | head).
    """


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
