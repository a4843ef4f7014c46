"""`kubesnap collect-site`: on a kubespray deploy server, collect every node of the site into one archive."""

from __future__ import annotations

from pathlib import Path

import click

from analyzer.cli_base import main
from analyzer.sanitize import cell, echo
from analyzer.sitecollect.run import DEFAULT_PATH, HostResult, Options
from analyzer.sitecollect.site import METHODS, collect_site


@main.command("collect-site")
@click.option("-i", "--inventory", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Ansible inventory: kubespray's inventory.ini or hosts.yaml")  # fmt: skip
@click.option("-H", "--host", "hosts", multiple=True, metavar="[USER@]HOST[:PORT]", help="a host to collect, instead of an inventory (repeat it)")
@click.option("-l", "--limit", help="groups or hosts of the inventory, comma-separated ('!name' leaves one out); default: all")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True,
              help="folder for the site archive kubesnap-site-<time>.tar")  # fmt: skip
@click.option("-m", "--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="ansible: run collectors/kubesnap-site.yml with ansible-playbook; ssh: plain ssh; auto: ansible where installed")  # fmt: skip
@click.option("-f", "--forks", type=click.IntRange(min=1, max=500), default=10, show_default=True, help="hosts collected at once")
@click.option("--host-timeout", type=click.IntRange(min=5), default=900, show_default=True,
              help="seconds one host may take (connect, run the collector); a host still running then is stopped and reported")  # fmt: skip
@click.option("--connect-timeout", type=click.IntRange(min=1), default=10, show_default=True, help="seconds to wait for an ssh connection")
@click.option("--become/--no-become", default=True, show_default=True,
              help="run the collector as root with sudo -n (never prompts) where the user is not root; the inventory's ansible_become wins")  # fmt: skip
@click.option("--path", "node_path", default=DEFAULT_PATH, show_default=True,
              help="PATH of the collector on the nodes (a host's kubesnap_path wins)")  # fmt: skip
@click.option("--remote-dir", default="/var/tmp", show_default=True, help="where the private work folder is made on each node (removed afterwards)")
@click.option("--ssh-option", "ssh_options", multiple=True, metavar="OPTION",
              help="an ssh -o option for every host, e.g. ProxyJump=bastion (repeat it)")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="no line per host, only failures and the archive")
@click.argument("collector_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def collect_site_cmd(ctx: click.Context, /, inventory: Path | None, hosts: tuple[str, ...], limit: str | None, output: Path, method: str,
                     forks: int, host_timeout: int, connect_timeout: int, become: bool, node_path: str, remote_dir: str,
                     ssh_options: tuple[str, ...], quiet: bool, collector_args: tuple[str, ...]) -> None:  # fmt: skip
    """Collect every node of a site from its deploy server: one archive with each node's bundle and a site manifest.

    Reads the Ansible inventory (kubespray's groups kube_control_plane, kube_node, etcd, bastion), runs the
    node collector on every host in parallel as root (sudo -n), fetches each bundle and removes the collector
    and its output from the node. Arguments after `--` go to the collector (e.g. `-- --since 2h --timeout 60`).
    The manifest (site-manifest.json in the archive) says which hosts answered and why the others did not:
    unreachable, auth, sudo-refused, timeout, collector-error. `kubesnap analyze` reads the archive as it is.
    Exit status: 0 every host collected, 1 some hosts failed (the archive holds the rest), 2 usage error,
    3 no host answered.
    """
    opts = Options(forks=forks, host_timeout=host_timeout, connect_timeout=connect_timeout, become=become, collector_args=list(collector_args),
                   remote_dir=remote_dir, path=node_path, ssh_args=[a for o in ssh_options for a in ("-o", o)])  # fmt: skip

    def progress(r: HostResult) -> None:
        if r.status == "ok":
            if not quiet:
                echo(f"{cell(r.host.name)}: ok ({r.seconds:.1f} s)", err=True)
        else:
            echo(f"{cell(r.host.name)}: {r.failure} ({r.seconds:.1f} s): {cell(r.reason)}", err=True)

    def note(text: str) -> None:
        echo(f"kubesnap: {cell(text)}", err=True)

    run = collect_site(inventory=inventory, hosts=list(hosts), limit=limit, method=method, opts=opts, output=output, progress=progress, notes=note)
    ok = sum(1 for r in run.results if r.status == "ok")
    echo(f"{ok} of {len(run.results)} host(s) collected by {run.manifest['method']} in {run.manifest['seconds']:.1f} s", err=True)
    echo(str(run.archive))
    ctx.exit(0 if ok == len(run.results) else 3 if ok == 0 else 1)
