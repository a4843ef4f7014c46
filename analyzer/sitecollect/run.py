"""One site collection: every selected host in parallel (plain ssh here, Ansible in
sitecollect.ansible), each host bounded by its timeout, the results packed into one site
archive: the node bundles plus `site-manifest.json` (which hosts answered, which failed and why).

Over plain ssh each host costs four short sessions, every one under a deadline, never a prompt
(BatchMode, `sudo -n`):

1. prepare: a private folder (mktemp -d) on the node, the collector written into it, sudo checked;
2. run: the collector as root under `timeout` (the host's remaining time), its bundle in the folder;
3. fetch: the bundle copied back;
4. cleanup: the collector stopped if it still runs, the folder removed (even after a failure or
   a timeout, wherever the host still answers).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer import __version__
from analyzer.errors import UsageError
from analyzer.sanitize import cell
from analyzer.sitecollect.inventory import Host

MANIFEST_NAME = "site-manifest.json"
MANIFEST_KIND = "kubesnap-site-manifest"
FAILURES = ("unreachable", "auth", "sudo-refused", "timeout", "collector-error", "inventory")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUNDLE_FILE = re.compile(r"^kubesnap-[A-Za-z0-9._-]+\.tar\.gz$")
REMOTE_DIR = re.compile(r"^/[A-Za-z0-9._/-]*/kubesnap-site\.[A-Za-z0-9]+$")
TAIL = 64 * 1024
REASON_CHARS = 500
# collector flags collect-site sets itself, or cannot honour yet
RESERVED_FLAGS = ("--output", "--obfuscate", "--obfuscate-key", "--obfuscate-names", "-h", "--help")


@dataclass
class Options:
    forks: int = 10
    host_timeout: int = 900  # seconds for one host: connect, prepare, run the collector
    connect_timeout: int = 10
    cleanup_timeout: int = 15  # after a host's timeout: stop its collector, remove its folder
    fetch_timeout: int = 600  # copying the bundle back (a stalled link is caught sooner by ssh keep-alives)
    become: bool = True  # sudo -n on hosts whose user is not root (the inventory's ansible_become wins)
    collector_args: list[str] = field(default_factory=list)
    remote_dir: str = "/var/tmp"
    path: str = DEFAULT_PATH  # PATH of the collector on the node (sudo's secure_path often lacks /usr/local/bin)
    ssh: str = "ssh"
    ssh_args: list[str] = field(default_factory=list)
    max_bundle_bytes: int = 16 * 1024**3


@dataclass
class HostResult:
    host: Host
    status: str  # ok or failed
    failure: str | None = None  # one of FAILURES
    reason: str = ""
    seconds: float = 0.0
    bundle: Path | None = None  # the fetched tarball (local)
    member: str | None = None  # its path in the site archive
    cleaned: bool | None = None  # the node's folder removed (None: nothing was left there)

    def entry(self) -> dict[str, Any]:
        return {**self.host.public(), "status": self.status, "failure": self.failure, "reason": self.reason,
                "seconds": round(self.seconds, 3), "bundle": self.member, "cleaned_up": self.cleaned}  # fmt: skip


def check_collector_args(args: list[str]) -> None:
    for a in args:
        flag = a.split("=", 1)[0]
        if flag in RESERVED_FLAGS:
            what = "set by collect-site (--output)" if flag == "--output" else "not supported by collect-site yet" if flag.startswith("--obf") else "not a collection flag"
            raise UsageError(f"collector flag {flag}: {what}")


def _reason(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return cell(" | ".join(lines[-3:]))[:REASON_CHARS]


def classify_ssh(stderr: str) -> tuple[str, str]:
    """(failure, reason) of an ssh that could not run the command (exit 255)."""
    low = stderr.lower()
    if "permission denied" in low or "too many authentication failures" in low:
        return "auth", _reason(stderr)
    if "host key verification failed" in low or "remote host identification has changed" in low:
        return "auth", "host key verification failed: " + _reason(stderr)
    return "unreachable", _reason(stderr) or "ssh failed with no message"


SUDO_REFUSED = ("a password is required", "not in the sudoers", "not allowed to execute", "may not run sudo", "sudo: not found",
                "sudo: command not found", "no tty present", "missing sudo password", "incorrect sudo password", "sudo password")  # fmt: skip


def sudo_refused(text: str) -> bool:
    low = text.lower()
    return any(s in low for s in SUDO_REFUSED)


# ------------------------------------------------------------------ processes


@dataclass
class Ran:
    rc: int | None  # None: killed at its deadline
    out: bytes  # stdout's last TAIL bytes (or nothing when it went to a file)
    err: str  # stderr's last TAIL bytes, decoded


def run_bounded(argv: list[str], timeout: float, stdin: bytes | None = None, stdout: Path | None = None,
                env: dict[str, str] | None = None) -> Ran:  # fmt: skip
    """Run a command in its own process group, killed whole at the deadline; output kept in files, only tails read."""
    with tempfile.TemporaryFile() as err_f, tempfile.TemporaryFile() as out_tmp:
        out_f = open(stdout, "wb") if stdout is not None else out_tmp  # noqa: SIM115 - closed below
        try:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=out_f, stderr=err_f,
                                 start_new_session=True, env=env)  # fmt: skip
            rc: int | None
            try:
                p.communicate(stdin, timeout=max(timeout, 0.1))
                rc = p.returncode
            except subprocess.TimeoutExpired:
                _kill_group(p)
                rc = None
        finally:
            if stdout is not None:
                out_f.close()
        return Ran(rc, b"" if stdout is not None else _tail(out_tmp), _tail(err_f).decode("utf-8", "replace"))


def _kill_group(p: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, signal.SIGKILL)
    try:
        p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def _tail(f: Any) -> bytes:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - TAIL))
    data: bytes = f.read()
    return data


# ------------------------------------------------------------------ plain ssh

PREPARE = r"""umask 077
d=$(mktemp -d "$1/kubesnap-site.XXXXXXXX") || exit 3
cat > "$d/kubesnap-collect.sh" || { rm -rf -- "$d"; exit 3; }
echo "KUBESNAP-DIR $d"
if [ "$2" = 1 ] && [ "$(id -u)" != 0 ]; then
  if ! m=$(sudo -n true 2>&1); then
    rm -rf -- "$d"
    printf '%s\n' "$m" >&2
    exit 4
  fi
fi
"""

RUN = r"""d=$1; b=$2; p=$3; t=$4; shift 4
cd "$d" || exit 3
s=$(ps -o sid= -p $$ 2>/dev/null | tr -d ' ')
echo "${s:-$$}" > "$d/pid"
if [ "$b" = 1 ] && [ "$(id -u)" != 0 ]; then
  sudo -n -- env "PATH=$p" timeout -k 2 "$t" bash "$d/kubesnap-collect.sh" --output "$d/out" "$@"
  exit $?
fi
# not exec: timeout must not lead the session, or its kill of its process group would take the shell with it
env "PATH=$p" timeout -k 2 "$t" bash "$d/kubesnap-collect.sh" --output "$d/out" "$@"
"""

FETCH = r"""s=""
if [ "$2" = 1 ] && [ "$(id -u)" != 0 ]; then s="sudo -n --"; fi
n=$($s stat -c %s -- "$1") || exit 3
echo "KUBESNAP-SIZE $n" >&2
exec $s head -c "$3" -- "$1"
"""

CLEANUP = r"""d=$1
case "$d" in */kubesnap-site.*) ;; *) exit 3 ;; esac
s=""
if [ "$2" = 1 ] && [ "$(id -u)" != 0 ]; then s="sudo -n --"; fi
if [ "$3" = 1 ] && [ -f "$d/pid" ]; then
  # the run's shell led its ssh session: everything the collector started is in that session
  p=$(cat "$d/pid")
  case "$p" in
    '' | *[!0-9]*) ;;
    *)
      $s pkill -TERM -s "$p" 2>/dev/null || $s kill -TERM "$p" 2>/dev/null
      i=0
      while [ $i -lt 5 ] && $s pgrep -s "$p" >/dev/null 2>&1; do sleep 1; i=$((i + 1)); done
      $s pkill -KILL -s "$p" 2>/dev/null ;;
  esac
fi
$s rm -rf -- "$d" 2>/dev/null || rm -rf -- "$d"
test ! -e "$d"
"""


def remote(script: str, *args: str) -> str:
    """A command line for the remote login shell: sh -c SCRIPT sh ARGS..., every part quoted."""
    return "exec " + " ".join(shlex.quote(a) for a in ("sh", "-c", script, "sh", *args))


def ssh_argv(h: Host, opts: Options, command: str) -> list[str]:
    # the first value ssh reads for an option wins: ours (never prompt) come before the inventory's
    a = [opts.ssh, "-T", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={opts.connect_timeout}", "-o", "ServerAliveInterval=5",
         "-o", "ServerAliveCountMax=3", "-o", "LogLevel=ERROR"]  # fmt: skip
    if h.port:
        a += ["-p", str(h.port)]
    if h.user:
        a += ["-l", h.user]
    if h.key_file:
        a += ["-i", os.path.expanduser(h.key_file)]
    return [*a, *h.ssh_args, *opts.ssh_args, "--", h.address, command]


def uses_sudo(h: Host, opts: Options) -> bool:
    if h.user == "root":
        return False
    return h.become if h.become is not None else opts.become


class SshCollector:
    """Collect one host over plain ssh (the fallback where the deploy server has no Ansible)."""

    def __init__(self, opts: Options, script: bytes, work: Path) -> None:
        self.opts = opts
        self.script = script
        self.work = work

    def __call__(self, h: Host) -> HostResult:
        t0 = time.monotonic()
        deadline = t0 + self.opts.host_timeout
        res = HostResult(h, "failed")
        if h.problem:
            res.failure, res.reason = "inventory", cell(h.problem)[:REASON_CHARS]
            return res
        sudo = "1" if uses_sudo(h, self.opts) else "0"
        folder: str | None = None
        finished = False
        try:
            folder, finished = self._collect(h, res, sudo, deadline)
        finally:
            res.seconds = time.monotonic() - t0
            if folder is not None:
                ran = run_bounded(ssh_argv(h, self.opts, remote(CLEANUP, folder, sudo, "0" if finished else "1")), self.opts.cleanup_timeout)
                res.cleaned = ran.rc == 0
                if not res.cleaned and res.status == "ok":
                    res.reason = f"the node's folder {folder} could not be removed: " + (_reason(ran.err) or "cleanup timed out")
        return res

    def _collect(self, h: Host, res: HostResult, sudo: str, deadline: float) -> tuple[str | None, bool]:
        """The first three sessions; returns (the node's folder, whether the collector ended by itself)."""
        opts = self.opts
        ran = run_bounded(ssh_argv(h, opts, remote(PREPARE, opts.remote_dir, sudo)), deadline - time.monotonic(), stdin=self.script)
        m = re.search(rb"^KUBESNAP-DIR (\S+)$", ran.out, re.M)
        folder = m.group(1).decode("utf-8", "replace") if m and REMOTE_DIR.match(m.group(1).decode("utf-8", "replace")) else None
        if ran.rc is None:
            res.failure, res.reason = "timeout", f"no answer within the host timeout ({opts.host_timeout} s) while connecting"
            return folder, False
        if ran.rc == 255:
            res.failure, res.reason = classify_ssh(ran.err)
            return folder, True
        if ran.rc == 4:
            res.failure, res.reason = "sudo-refused", "sudo -n refused: " + (_reason(ran.err) or f"exit {ran.rc}")
            return None, True  # the prepare step removed its folder itself
        if ran.rc != 0 or folder is None:
            res.failure, res.reason = "collector-error", f"could not prepare a folder in {opts.remote_dir} (exit {ran.rc}): {_reason(ran.err)}"
            return folder, True
        left = int(deadline - time.monotonic())
        if left < 1:
            res.failure, res.reason = "timeout", f"the host timeout ({opts.host_timeout} s) passed before the collector could start"
            return folder, True
        args = [*opts.collector_args, *h.collector_args]
        ran = run_bounded(ssh_argv(h, opts, remote(RUN, folder, sudo, h.path or opts.path, str(left), *args)), left + 5)
        if ran.rc is None or ran.rc in (124, 137):
            res.failure, res.reason = "timeout", f"the collector did not finish within the host timeout ({opts.host_timeout} s): stopped"
            return folder, False
        if ran.rc == 255 and not ran.out:
            res.failure, res.reason = classify_ssh(ran.err)
            return folder, False
        if sudo_refused(ran.err) and ran.rc != 0:
            res.failure, res.reason = "sudo-refused", "sudo -n refused: " + _reason(ran.err)
            return folder, True
        lines = [ln for ln in ran.out.decode("utf-8", "replace").splitlines() if ln.strip()]
        path = lines[-1].strip() if lines else ""
        if ran.rc != 0 or not path.startswith(folder + "/out/") or not BUNDLE_FILE.match(path.rsplit("/", 1)[-1]):
            res.failure = "collector-error"
            res.reason = f"the collector exited {ran.rc} without a bundle: {_reason(ran.err) or 'no message'}"
            return folder, True
        local_dir = self.work / _safe(h.name)
        local_dir.mkdir(parents=True, exist_ok=True)
        local = local_dir / path.rsplit("/", 1)[-1]
        fetch = run_bounded(ssh_argv(h, opts, remote(FETCH, path, sudo, str(opts.max_bundle_bytes + 1))), opts.fetch_timeout, stdout=local)
        sm = re.search(r"KUBESNAP-SIZE (\d+)", fetch.err)
        size = local.stat().st_size if local.exists() else -1
        if fetch.rc != 0 or not sm or int(sm.group(1)) != size or size > opts.max_bundle_bytes:
            why = ("timed out" if fetch.rc is None else f"larger than {opts.max_bundle_bytes} bytes" if size > opts.max_bundle_bytes
                   else f"{size} of {sm.group(1) if sm else '?'} bytes copied" if fetch.rc == 0 else _reason(fetch.err))  # fmt: skip
            res.failure, res.reason = "collector-error", f"the bundle could not be copied back: {why}"
            local.unlink(missing_ok=True)
            return folder, True
        res.status, res.bundle, res.reason = "ok", local, ""
        return folder, True


def _safe(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "host"
    return s[:100]


# ------------------------------------------------------------------ the run


def collect_parallel(hosts: list[Host], one: Callable[[Host], HostResult], forks: int,
                     progress: Callable[[HostResult], None] | None = None) -> list[HostResult]:  # fmt: skip
    lock = threading.Lock()

    def job(h: Host) -> HostResult:
        r = one(h)
        if progress:
            with lock:
                progress(r)
        return r

    with ThreadPoolExecutor(max(1, min(forks, len(hosts) or 1)), thread_name_prefix="kubesnap-site") as ex:
        return list(ex.map(job, hosts))


def manifest(results: list[HostResult], *, method: str, inventory: str, limit: str | None, opts: Options, started: datetime,
             finished: datetime) -> dict[str, Any]:  # fmt: skip
    ok = [r for r in results if r.status == "ok"]
    return {
        "kind": MANIFEST_KIND, "format_version": 1, "kubesnap_version": __version__, "method": method,
        "inventory": inventory, "limit": limit, "started_at": started.isoformat(), "finished_at": finished.isoformat(),
        "seconds": round((finished - started).total_seconds(), 3),
        "options": {"forks": opts.forks, "host_timeout": opts.host_timeout, "become": opts.become, "collector_args": opts.collector_args},
        "hosts_total": len(results), "hosts_ok": len(ok), "complete": len(ok) == len(results),
        "hosts": [r.entry() for r in results],
    }  # fmt: skip


def write_archive(out: Path, man: dict[str, Any], results: list[HostResult]) -> Path:
    """The site archive: site-manifest.json first (a streaming reader meets it first), then each node's tarball."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    used: set[str] = set()
    for r in results:
        if r.bundle is not None:
            name = f"{_safe(r.host.name)}/{r.bundle.name}"
            while name in used:
                name = f"{_safe(r.host.name)}-{len(used)}/{r.bundle.name}"
            used.add(name)
            r.member = name
    man["hosts"] = [r.entry() for r in results]
    data = (json.dumps(man, indent=1, ensure_ascii=False) + "\n").encode()
    now = time.time()
    with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo(MANIFEST_NAME)
        ti.size, ti.mtime, ti.mode = len(data), int(now), 0o644
        tf.addfile(ti, io.BytesIO(data))
        for r in results:
            if r.bundle is not None and r.member is not None:
                ti = tf.gettarinfo(str(r.bundle), arcname=r.member)
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                ti.mode = 0o644
                with open(r.bundle, "rb") as f:
                    tf.addfile(ti, f)
    os.replace(part, out)
    return out


@dataclass
class SiteRun:
    archive: Path
    manifest: dict[str, Any]
    results: list[HostResult]


def work_dir(output: Path) -> Path:
    """The private work folder below the output folder (removed at the end), or a usage error when it cannot be made."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".kubesnap-site.", dir=output))
    except OSError as e:
        raise UsageError(f"output folder {output}: {e.strerror}") from e


def archive_name(now: datetime) -> str:
    return f"kubesnap-site-{now:%Y%m%dT%H%M%SZ}.tar"


def collect_site_ssh(hosts: list[Host], opts: Options, script: bytes, output: Path, *, inventory: str = "", limit: str | None = None,
                     progress: Callable[[HostResult], None] | None = None) -> SiteRun:  # fmt: skip
    if not shutil.which(opts.ssh):
        raise UsageError(f"{opts.ssh}: not found (the plain-ssh method needs an ssh client)")
    started = datetime.now(UTC)
    work = work_dir(output)
    try:
        results = collect_parallel(hosts, SshCollector(opts, script, work), opts.forks, progress)
        man = manifest(results, method="ssh", inventory=inventory, limit=limit, opts=opts, started=started, finished=datetime.now(UTC))
        archive = write_archive(output / archive_name(started), man, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return SiteRun(archive, man, results)
