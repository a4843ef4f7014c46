"""A site of fake nodes behind a real sshd on 127.0.0.1, for collect-site tests and its benchmark.

One sshd (started here, `sshd -D -f <config>`, a temporary host key, key auth only) listens on
one port per fake host; each host is a fake node (a --root tree and stub tools, as the
collector tests build them) chosen by the inventory's per-host variables `kubesnap_path` and
`kubesnap_collector_args`. Test users (created once, as root): ksnap-a and ksnap-b may sudo
without a password, ksnap-nopw may not (sudo asks for a password it does not have).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fixtures.fakenode.build import build_node
from fixtures.small_node import small_site

SSHD = "/usr/sbin/sshd"
USERS = {"ksnap-a": "NOPASSWD: ALL", "ksnap-b": "NOPASSWD: ALL", "ksnap-nopw": "ALL"}
SUDOERS = Path("/etc/sudoers.d/kubesnap-tests")
LIGHT = {"kubectl", "etcdctl", "journalctl"}  # fake nodes without these collect in a few seconds


def unavailable() -> str | None:
    """Why a real sshd site cannot be set up here (None: it can), after installing what is missing where we may."""
    if os.geteuid() != 0:
        return "needs root (test users, sudoers, sshd on several ports)"
    missing = [t for t in (SSHD, "/usr/bin/ssh", "/usr/bin/sudo", "/usr/bin/ssh-keygen") if not Path(t).exists()]
    if missing and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "openssh-server", "openssh-client", "sudo", "procps"], env=env,
                       capture_output=True, timeout=900)  # fmt: skip
        missing = [t for t in missing if not Path(t).exists()]
    if missing:
        return f"missing {', '.join(missing)} (make tools installs them)"
    return None


def ensure_users() -> None:
    for user in USERS:
        if subprocess.run(["id", user], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", user], check=True, capture_output=True)
        # '*': no password, yet not locked ('!'), so sshd lets the key in
        subprocess.run(["usermod", "-p", "*", user], check=True, capture_output=True)
    text = "".join(f"{u} ALL=(ALL) {rule}\n" for u, rule in USERS.items())
    if not SUDOERS.exists() or SUDOERS.read_text() != text:
        tmp = SUDOERS.with_name(".kubesnap-tests.tmp")
        tmp.write_text(text)
        tmp.chmod(0o440)
        subprocess.run(["visudo", "-cf", str(tmp)], check=True, capture_output=True)
        tmp.replace(SUDOERS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FakeHost:
    name: str
    port: int
    user: str = "ksnap-a"
    root: Path | None = None
    bin: Path | None = None
    collector_args: list[str] = field(default_factory=list)
    key: str = "client"  # client (authorized) or stranger (not)

    def ini_line(self, base: Path) -> str:
        parts = [self.name, "ansible_host=127.0.0.1", f"ansible_port={self.port}", f"ansible_user={self.user}"]
        if self.key != "client":
            parts.append(f"ansible_ssh_private_key_file={base / self.key}")
        if self.bin is not None:
            parts.append(f"kubesnap_path={self.bin}")
        args = [*(["--root", str(self.root)] if self.root else []), *self.collector_args]
        if args:
            parts.append("kubesnap_collector_args='" + " ".join(args) + "'")
        return " ".join(parts)


class SshSite:
    """sshd on 127.0.0.1 with one port per answering host; call stop() (or use as a context manager)."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = Path(base or tempfile.mkdtemp(prefix="kubesnap-sshsite-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)
        self.proc: subprocess.Popen[bytes] | None = None
        self.hosts: list[FakeHost] = []
        for k in ("hostkey", "client", "stranger"):
            if not (self.base / k).exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", str(self.base / k)], check=True)
        auth = self.base / "authorized"
        auth.mkdir(exist_ok=True)
        auth.chmod(0o755)
        pub = (self.base / "client.pub").read_text()
        for u in USERS:
            (auth / u).write_text(pub)
            (auth / u).chmod(0o644)

    def node(self, name: str, user: str = "ksnap-a", faults: dict[str, str] | None = None, collector_args: list[str] | None = None,
             key: str = "client", light: bool = True) -> FakeHost:  # fmt: skip
        site = small_site(name=name)
        if faults:
            site.nodes[0].faults = dict(faults)
        root, bin_dir = build_node(site, site.nodes[0], self.base / "nodes" / name, without=LIGHT if light else None)
        for p in (self.base / "nodes", self.base / "nodes" / name):
            p.chmod(0o755)
        h = FakeHost(name, free_port(), user, root, bin_dir, list(collector_args or []), key)
        self.hosts.append(h)
        return h

    def down(self, name: str) -> FakeHost:
        """A host whose port nobody listens on."""
        h = FakeHost(name, free_port())
        self.hosts.append(h)
        return h

    def start(self) -> None:
        ports = sorted({h.port for h in self.hosts if h.root is not None})
        cfg = self.base / "sshd_config"
        cfg.write_text("\n".join([
            *(f"Port {p}" for p in ports), "ListenAddress 127.0.0.1", f"HostKey {self.base / 'hostkey'}",
            f"AuthorizedKeysFile {self.base / 'authorized'}/%u", "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "PermitRootLogin no",
            f"PidFile {self.base / 'sshd.pid'}", "MaxStartups 200:30:400", "MaxSessions 50", "LogLevel ERROR",
            "Subsystem sftp internal-sftp", "",
        ]))  # fmt: skip
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        known = self.base / "known_hosts"
        key = (self.base / "hostkey.pub").read_text().split()[:2]
        known.write_text("".join(f"[127.0.0.1]:{p} {key[0]} {key[1]}\n" for p in ports))
        self.proc = subprocess.Popen([SSHD, "-D", "-f", str(cfg), "-E", str(self.base / "sshd.log")])
        end = time.monotonic() + 20
        for p in ports:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"sshd exited: {(self.base / 'sshd.log').read_text()[-2000:]}")
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > end:
                        raise RuntimeError(f"sshd does not listen on {p}") from None
                    time.sleep(0.05)

    def inventory(self, path: Path | None = None) -> Path:
        """An INI inventory of every host, kubespray's groups, key auth with this site's known_hosts."""
        path = path or self.base / "inventory.ini"
        lines = ["[all]", *(h.ini_line(self.base) for h in self.hosts), "", "[kube_control_plane]", self.hosts[0].name, "",
                 "[kube_node]", *(h.name for h in self.hosts[1:]), "", "[k8s_cluster:children]", "kube_control_plane", "kube_node", "",
                 "[all:vars]", f"ansible_ssh_private_key_file={self.base / 'client'}",
                 f"ansible_ssh_common_args='-o UserKnownHostsFile={self.base / 'known_hosts'} -o StrictHostKeyChecking=yes'",
                 "ansible_password=hunter2-never-stored", "ansible_become_password=also-never-stored",
                 "ansible_python_interpreter=/usr/bin/python3", ""]  # fmt: skip
        path.write_text("\n".join(lines))
        return path

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> SshSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
