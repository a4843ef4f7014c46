"""The entry point of `kubesnap collect-site`: hosts from an inventory or a host list, the method
(Ansible where ansible-playbook is installed, else plain ssh), one site archive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analyzer.collector import collector_script
from analyzer.errors import UsageError
from analyzer.sitecollect.ansible import ansible_playbook, collect_site_ansible
from analyzer.sitecollect.inventory import host_list, read_inventory, select
from analyzer.sitecollect.run import HostResult, Options, SiteRun, check_collector_args, collect_site_ssh

METHODS = ("auto", "ansible", "ssh")


def pick_method(method: str) -> str:
    if method == "auto":
        return "ansible" if ansible_playbook() else "ssh"
    return method


def collect_site(*, inventory: Path | None, hosts: list[str], limit: str | None, method: str, opts: Options, output: Path,
                 progress: Callable[[HostResult], None] | None = None, notes: Callable[[str], None] | None = None) -> SiteRun:  # fmt: skip
    if (inventory is None) == (not hosts):
        raise UsageError("give an inventory (-i FILE) or hosts (--host [user@]HOST[:PORT] ...), not both")
    check_collector_args(opts.collector_args)
    if inventory is not None:
        inv, problems = read_inventory(inventory)
        for p in problems[:20]:
            if notes:
                notes(f"inventory {inventory.name}: {p}")
    else:
        inv = host_list(hosts)
    chosen = select(inv, limit)
    if not chosen:
        raise UsageError("no host to collect (the inventory is empty, or --limit leaves nothing)")
    method = pick_method(method)
    script = collector_script().encode()
    if method == "ansible":
        return collect_site_ansible(chosen, opts, script, output, inventory_path=inventory, inventory=inv.source, limit=limit, progress=progress)
    return collect_site_ssh(chosen, opts, script, output, inventory=inv.source, limit=limit, progress=progress)
