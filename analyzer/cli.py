"""The `kubesnap` command line: thin click callbacks over analyzer.api."""

from __future__ import annotations

import sys

import click

from analyzer import __version__
from analyzer.collector import collector_script
from analyzer.errors import AnalyzerError


class KubesnapGroup(click.Group):
    """Turns AnalyzerError into a one-line message and its exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AnalyzerError as e:
            click.echo(f"kubesnap: {e}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("kubesnap: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=KubesnapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kubesnap")
def main() -> None:
    """Offline analyzer of Kubernetes node bundles.

    Collect on each node with the script `kubesnap collector` prints, then analyze the
    tarballs on your own machine, with no network.
    """


@main.command()
def collector() -> None:
    """Print the node collector script (kubesnap-collect.sh) to standard output.

    Copy it to an air-gapped node and run it there as root:
    `bash kubesnap-collect.sh --output /var/tmp`.
    """
    sys.stdout.write(collector_script())
