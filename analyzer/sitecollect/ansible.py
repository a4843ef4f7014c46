"""The Ansible method: run collectors/kubesnap-site.yml with ansible-playbook on the inventory,
read each host's outcome from the playbook's callback (collectors/callback_plugins), and pack
the fetched bundles like the plain-ssh method does.

The inventory goes to Ansible as it is (vault, templates, passwords and bastion settings are
Ansible's business); kubesnap reads it only for the list of hosts and what may be written down.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer.collector import collector_dir
from analyzer.errors import UsageError
from analyzer.sitecollect.inventory import Host
from analyzer.sitecollect.run import (
    BUNDLE_FILE,
    HostResult,
    Options,
    SiteRun,
    _reason,
    archive_name,
    manifest,
    run_bounded,
    sudo_refused,
    work_dir,
    write_archive,
)

PLAYBOOK = "kubesnap-site.yml"
STEPS = {"A private folder": "prepare", "The collector script": "copy", "Run the collector": "run", "Fetch the bundle": "fetch",
         "Remove the folder": "cleanup"}  # fmt: skip


def ansible_playbook() -> str | None:
    """ansible-playbook on PATH, or next to this Python (a venv with the [site] extra)."""
    return shutil.which("ansible-playbook") or next(
        (str(p) for p in [Path(sys.executable).parent / "ansible-playbook"] if p.is_file() and os.access(p, os.X_OK)), None
    )


def _step(task: str) -> str:
    return next((v for k, v in STEPS.items() if task.startswith(k)), task)


def outcome(h: Host, alias: str, events: list[dict[str, Any]], fetch_dir: Path, opts: Options, started: float) -> HostResult:
    """A host's result from its callback events: the first failure decides, else the fetched bundle."""
    res = HostResult(h, "failed")  # h.problem is for plain ssh: Ansible resolves templates and vault itself
    t0 = min((e["t"] for e in events), default=started)
    t1 = max((e["t"] for e in events if e["event"] != "start" or _step(str(e.get("task", ""))) != "cleanup"), default=t0)
    res.seconds = max(0.0, t1 - t0)
    bad = next((e for e in events if e["event"] in ("failed", "unreachable") and _step(str(e.get("task", ""))) != "cleanup"), None)
    cleanup = [e for e in events if _step(str(e.get("task", ""))) == "cleanup" and e["event"] in ("ok", "failed", "unreachable")]
    res.cleaned = (cleanup[-1]["event"] == "ok") if cleanup else None
    if bad is not None:
        text = "\n".join(str(bad.get(k, "")) for k in ("msg", "module_stderr", "stderr") if bad.get(k))
        step = _step(str(bad.get("task", "")))
        if bad["event"] == "unreachable" or bad.get("unreachable"):
            low = text.lower()
            res.failure = "auth" if ("permission denied" in low or "host key verification failed" in low) else "unreachable"
            res.reason = _reason(text) or "unreachable"
        elif sudo_refused(text):
            res.failure, res.reason = "sudo-refused", "sudo -n refused: " + _reason(text)
        elif (step == "run" and bad.get("rc") in (124, 137, -9)) or "timed out" in text.lower() or "due to timeout" in text.lower():
            res.failure, res.reason = "timeout", f"the collector did not finish within the host timeout ({opts.host_timeout} s): stopped"
        elif step == "fetch":
            res.failure, res.reason = "collector-error", "the bundle could not be copied back: " + _reason(text)
        else:
            res.failure = "collector-error"
            res.reason = f"{step} failed" + (f" (exit {bad['rc']})" if bad.get("rc") not in (None, 0) else "") + ": " + (_reason(text) or "no message")
        return res
    fetched = [e for e in events if e["event"] == "ok" and _step(str(e.get("task", ""))) == "fetch"]
    folder = fetch_dir / alias
    bundles = sorted(p for p in folder.glob("kubesnap-*.tar.gz") if BUNDLE_FILE.match(p.name)) if folder.is_dir() else []
    if fetched and bundles:
        res.status, res.bundle = "ok", bundles[-1]
        return res
    if not events or not any(e["event"] != "start" for e in events):
        res.failure, res.reason = "timeout", f"no result from Ansible within the site's time limit (host timeout {opts.host_timeout} s)"
    else:
        last = events[-1]
        res.failure = "timeout" if last["event"] == "start" else "collector-error"
        res.reason = (f"Ansible was stopped during '{_step(str(last.get('task', '')))}' at the site's time limit" if last["event"] == "start"
                      else "no bundle was fetched")  # fmt: skip
    return res


def _inventory_for(hosts: list[Host], work: Path) -> tuple[Path, list[str]]:
    """An INI inventory for a plain host list (--host), which Ansible cannot take as it is, and each host's name in it
    (host:port is no name for Ansible)."""
    lines = ["[all]"]
    aliases = [f"kubesnap-host-{i + 1}" for i in range(len(hosts))]
    for h, alias in zip(hosts, aliases, strict=True):
        parts = [alias, f"ansible_host={h.address}"]
        if h.port:
            parts.append(f"ansible_port={h.port}")
        if h.user:
            parts.append(f"ansible_user={h.user}")
        lines.append(" ".join(parts))
    p = work / "hosts.ini"
    p.write_text("\n".join(lines) + "\n")
    return p, aliases


def collect_site_ansible(hosts: list[Host], opts: Options, script: bytes, output: Path, *, inventory_path: Path | None,
                         inventory: str = "", limit: str | None = None,
                         progress: Callable[[HostResult], None] | None = None) -> SiteRun:  # fmt: skip
    exe = ansible_playbook()
    if exe is None:
        raise UsageError("ansible-playbook not found: install ansible-core (pip install 'kubesnap[site]'), or use --method ssh")
    started = datetime.now(UTC)
    t_start = time.time()
    work = work_dir(output)
    try:
        fetch_dir = work / "bundles"
        fetch_dir.mkdir()
        (work / "kubesnap-collect.sh").write_bytes(script)
        results_file = work / "results.jsonl"
        extra = {"kubesnap_fetch_dir": str(fetch_dir), "kubesnap_host_timeout": opts.host_timeout, "kubesnap_site_args": opts.collector_args,
                 "kubesnap_remote_dir": opts.remote_dir, "kubesnap_become": opts.become, "kubesnap_script": str(work / "kubesnap-collect.sh")}  # fmt: skip
        if opts.path:
            extra["kubesnap_default_path"] = opts.path  # an extra var outranks every host variable: a host's kubesnap_path must win
        (work / "vars.json").write_text(json.dumps(extra))
        if inventory_path is not None:
            inv, aliases = inventory_path, [h.name for h in hosts]
        else:
            inv, aliases = _inventory_for(hosts, work)
        argv = [exe, "-i", str(inv), str(collector_dir() / "kubesnap-site.yml"), "-e", f"@{work / 'vars.json'}",
                "--forks", str(opts.forks), "--limit", ",".join(aliases)]  # fmt: skip
        cbdir = collector_dir() / "callback_plugins"
        # no BatchMode: Ansible already refuses to prompt, and inventories with ansible_password (sshpass) must keep working
        ssh_args = " ".join(["-o ServerAliveInterval=5", "-o ServerAliveCountMax=3", *opts.ssh_args])
        env = {**os.environ, "ANSIBLE_CALLBACK_PLUGINS": str(cbdir), "ANSIBLE_CALLBACKS_ENABLED": "kubesnap_result",
               "KUBESNAP_RESULT_FILE": str(results_file), "ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_TIMEOUT": str(opts.connect_timeout), "ANSIBLE_SSH_EXTRA_ARGS": ssh_args,
               "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_DEPRECATION_WARNINGS": "False",
               "ANSIBLE_BECOME_FLAGS": "-H -S -n"}  # fmt: skip
        waves = math.ceil(len(hosts) / max(1, opts.forks)) if hosts else 0
        # the backstop: each wave of hosts gets its timeout plus the copy, fetch and cleanup steps
        limit_s = waves * (opts.host_timeout + opts.cleanup_timeout + 60) + 30
        ran = run_bounded(argv, limit_s, env=env, stdout=work / "ansible.log")
        events: dict[str, list[dict[str, Any]]] = {}
        if results_file.exists():
            for line in results_file.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if isinstance(e, dict) and isinstance(e.get("host"), str) and isinstance(e.get("t"), (int, float)):
                    events.setdefault(e["host"], []).append(e)
        if ran.rc not in (0, 2, 4) and not events:
            log = (work / "ansible.log").read_text(encoding="utf-8", errors="replace")[-4000:]
            raise UsageError(f"ansible-playbook failed (exit {ran.rc}): {_reason(ran.err + chr(10) + log)}")
        results = []
        for h, alias in zip(hosts, aliases, strict=True):
            r = outcome(h, alias, events.get(alias, []), fetch_dir, opts, t_start)
            if progress:
                progress(r)
            results.append(r)
        man = manifest(results, method="ansible", inventory=inventory, limit=limit, opts=opts, started=started, finished=datetime.now(UTC))
        archive = write_archive(output / archive_name(started), man, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return SiteRun(archive, man, results)
