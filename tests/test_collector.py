"""The node collector, run for real against fake nodes (stub tools on PATH, a --root tree)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

from fixtures.fakenode.build import COLLECTOR, build_node, read_state, run_collector, write_state
from fixtures.fakenode.model import JournalLine, LogLine, Proc
from fixtures.small_node import NOW, small_site
from tests.conftest import tar_members


def manifest_of(tarball: Path) -> dict:
    with tarfile.open(tarball) as tf:
        for m in tf:
            if m.name.endswith("/manifest.json"):
                f = tf.extractfile(m)
                assert f is not None
                return json.loads(f.read())
    raise AssertionError("no manifest.json")


def member(tarball: Path, suffix: str) -> bytes:
    for m, data in tar_members(tarball):
        if m.name.endswith(suffix):
            return data
    raise AssertionError(f"{suffix} not in {tarball}")


def names(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tf:
        return [m.name.split("/", 1)[1] if "/" in m.name else "" for m in tf]


def records(man: dict, **match: object) -> list[dict]:
    out = []
    for r in man["records"]:
        if all((k in r and (v in r[k] if isinstance(r[k], list) else r[k] == v)) for k, v in match.items()):
            out.append(r)
    return out


def collect(tmp_path: Path, site, *extra: str, without: set[str] | None = None, timeout: int = 10, state_patch=None, check=True):
    node = site.nodes[0]
    root, bin_dir = build_node(site, node, tmp_path / "node", without=without)
    if state_patch:
        st = read_state(bin_dir)
        state_patch(st)
        write_state(bin_dir, st)
    proc = run_collector(root, bin_dir, tmp_path / "out", *extra, timeout=timeout, check=check)
    return proc, root


def tarball_of(proc: subprocess.CompletedProcess[str]) -> Path:
    return Path(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ contract


def test_help_documents_every_flag() -> None:
    out = subprocess.run(["bash", str(COLLECTOR), "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ("--output DIR", "--since DURATION", "--max-log-bytes N", "--timeout SECONDS", "--root DIR", "--force"):
        assert flag in out
    bad = subprocess.run(["bash", str(COLLECTOR), "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown argument: --bogus" in bad.stderr


@pytest.mark.slow  # a whole collector run: the slow set
def test_prints_tarball_path_last_and_node_name_from_hostname_override(tmp_path: Path) -> None:
    site = small_site(name="node-a", hostname="ip-192-168-10-5")
    proc, _ = collect(tmp_path, site)
    t = tarball_of(proc)
    assert proc.returncode == 0 and t.is_file() and t.parent == tmp_path / "out"
    man = manifest_of(t)
    assert man["node"] == "node-a"  # kubelet --hostname-override, the name the API uses
    assert man["hostname"] == "ip-192-168-10-5"
    assert man["role"] == "worker"
    assert man["format_version"] == 1
    for r in man["records"]:
        assert {"kind", "exit_code", "seconds", "bytes", "truncated", "timed_out", "error"} <= r.keys()
        assert ("argv" in r) != ("path" in r)
    # manifest.json is the first file member: a streaming reader meets it first
    assert names(t)[1] == "manifest.json"
    assert t.name.startswith("kubesnap-node-a-")


def test_seed_control_plane_bundle_is_complete(seed_bundles: dict[str, Path]) -> None:
    t = seed_bundles["playcekube-controlplane01"]
    man = manifest_of(t)
    assert man["node"] == "playcekube-controlplane01" and man["role"] == "control-plane"
    got = set(names(t))
    for need in (
        "runtime/crictl-pods.json", "runtime/crictl-pods.txt", "runtime/crictl-ps-a.json", "runtime/crictl-ps-a.txt",
        "runtime/crictl-images.json", "runtime/crictl-images.txt", "runtime/crictl-inspect.json",
        "runtime/crictl-inspectp.json", "runtime/crictl-info.json", "runtime/crictl-stats.txt", "runtime/crictl-statsp.txt",
        "processes/ps.txt", "processes/ps-ef.txt", "processes/cgroup.txt",
        "etcd/member-list.json", "etcd/endpoint-status.json", "etcd/endpoint-health.json",
        "services/journal-kubelet.log", "services/journal-containerd.log", "services/kubelet.status.txt",
        "files/etc/kubernetes/manifests/kube-apiserver.yaml", "files/etc/kubernetes/kubelet-config.yaml",
        "files/var/log/syslog", "cluster/nodes.json", "cluster/pods.json", "cluster/get-pod-wide.txt",
        "host/df.txt", "host/uname.txt", "host/date.txt", "redaction-report.txt",
    ):
        assert need in got, need
    # every container inspected (batched: one call for all ten), with its host PID
    text = member(t, "runtime/crictl-inspect.json").decode()
    assert text.count('"sandboxID"') == 10
    assert '"pid": 527345' in text
    assert man["crictl_calls"] < 20
    # /proc/<pid>/cgroup of every process
    cg = member(t, "processes/cgroup.txt").decode()
    assert "527345:0::/kubepods.slice/kubepods-burstable.slice/" in cg
    # /var/log/containers are kept as symlinks into /var/log/pods
    with tarfile.open(t) as tf:
        links = [m for m in tf if "/files/var/log/containers/" in m.name]
    assert links and all(m.issym() and m.linkname.startswith("/var/log/pods/") for m in links)
    # private keys are never collected, and say so
    skipped = [r for r in man["records"] if r.get("skipped", "").startswith("private key")]
    assert any(r["path"].endswith("/ssl/apiserver.key") for r in skipped)
    assert not any(n.endswith(".key") for n in got)


# ------------------------------------------------------------------ secrets

PLANTED = [f"PLANTED{i:02d}" for i in range(1, 26)]


def secrets_site():
    site = small_site()
    n = site.nodes[0]
    n.kubectl_works = True
    f = n.files
    f["etc/kubernetes/ssl/odd-name.crt"] = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPLANTED01keybody\n-----END EC PRIVATE KEY-----\n"
    f["etc/kubernetes/ssl/bundle.pem"] = (
        "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG...\n-----END CERTIFICATE-----\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAPLANTED02\nMIIEowIBAAKCAQEAPLANTED02b\n-----END RSA PRIVATE KEY-----\n"
    )
    f["etc/kubernetes/admin.conf"] = (
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
        "    client-key-data: UExBTlRFRDAzPLANTED03\n- name: sa\n  user:\n    token: PLANTED04.sa-token-value\n"
    )
    f["etc/kubernetes/kubeadm-config.yaml"] = (
        "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nbootstrapTokens:\n- token: q7x2m9.planted05tokenaa\n  ttl: 24h0m0s\n"
    )
    f["etc/kubernetes/encryption-config.yaml"] = (
        "kind: EncryptionConfiguration\nresources:\n- providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: UExBTlRFRDA2PLANTED06==\n"
    )
    f["etc/containerd/config.toml"] = (
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example.com".auth]\n'
        '  username = "ci"\n  password = "PLANTED07"\n  auth = "PLANTED08authb64"\n  identitytoken = "PLANTED09"\n'
    )
    f["etc/cni/net.d/calico-kubeconfig"] = "users:\n- name: calico\n  user:\n    token: PLANTED10\n"
    f["var/lib/kubelet/kubeadm-flags.env"] = 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --token=PLANTED11"\n'
    f["etc/kubernetes/pki/sa.key"] = "-----BEGIN RSA PRIVATE KEY-----\nPLANTED12\n-----END RSA PRIVATE KEY-----\n"
    f["proc/5040/environ"] = "DB_PASSWORD=PLANTED13\0HOME=/\0"
    f["etc/kubernetes/tls-secret.yaml"] = "apiVersion: v1\nkind: Secret\ndata:\n  tls.key: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpQTEFOVEVEMTQ=\n"
    n.host_procs.append(Proc(900, 1, "kubeadm join 192.168.10.1:6443 --token PLANTED15abc --discovery-token-ca-cert-hash sha256:0a1b2c", NOW - 600))
    n.host_procs.append(Proc(901, 1, "/opt/agent/bin/agent --password=PLANTED16 --user=admin", NOW - 600))
    n.journal.append(JournalLine(NOW - 100, "kubelet", "kubelet", 800, "E1114 http.go:12] request failed: Authorization: Bearer PLANTED17abcdefghijklmnopqrstuvwxyz"))
    n.journal.append(JournalLine(NOW - 90, "kubelet", "kubelet", 800, 'W1114 flags.go:64] FLAG: --bootstrap-token="PLANTED18"'))
    n.syslog_extra.append("Nov 14 22:10:00 node-a agent[901]: connecting with password=PLANTED19 to db")
    c = n.pods[0].containers[0]
    c.env = {"DB_PASSWORD": "PLANTED20", "API_KEY": "PLANTED21", "KUBERNETES_SERVICE_HOST": "10.96.0.1"}
    c.logs[0].append(LogLine(NOW - 20, "stdout", "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEMjIifQ.PLANTED22sig"))
    c.logs[0].append(LogLine(NOW - 19, "stdout", "connecting to postgres://shop:PLANTED23@db.shop.svc:5432/shop"))
    c.logs[0].append(LogLine(NOW - 18, "stdout", 'loaded key "-----BEGIN RSA PRIVATE KEY-----\\nPLANTED24\\n-----END RSA PRIVATE KEY-----"'))
    c.logs[0].append(LogLine(NOW - 17, "stderr", '{"level":"debug","msg":"login","password":"PLANTED25"}'))
    return site


@pytest.fixture(scope="module", params=[pytest.param("mawk", marks=pytest.mark.slow), "gawk", pytest.param("busybox", marks=pytest.mark.slow)])
def secrets_bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small node with 25 planted secrets, collected with each awk a node may have first on PATH
    (gawk in the fast set, whose fixture sites run the Ubuntu nodes' mawk; mawk and busybox in the slow one;
    tests/test_redaction.py runs every redaction case with mawk and busybox in the fast set, gawk too in the
    slow one; tests/test_secrets_redteam.py has the full matrix)."""
    from tests.test_secrets_redteam import _awk_dir, _which_awk

    awk = str(request.param)
    tmp = tmp_path_factory.mktemp(f"secrets-{awk}")
    site = secrets_site()
    root, bin_dir = build_node(site, site.nodes[0], tmp / "node")
    path = f"{_awk_dir(tmp, awk)}:{bin_dir}"
    assert _which_awk(path) == awk, f"`awk` on PATH is {_which_awk(path)}, not {awk}"
    return tarball_of(run_collector(root, bin_dir, tmp / "out", env_extra={"PATH": path}))


def test_no_secret_leaves_the_node(secrets_bundle: Path) -> None:
    leaks = []
    for m, data in tar_members(secrets_bundle):
        blob = m.name.encode() + m.linkname.encode() + data
        for p in PLANTED:
            if p.encode() in blob:
                leaks.append((m.name, p))
        assert b"PRIVATE KEY-----\n" not in data.replace(b"END", b""), m.name
    assert leaks == []


def test_redaction_is_counted_and_reported(secrets_bundle: Path) -> None:
    man = manifest_of(secrets_bundle)
    red = man["redaction"]
    assert red["marker"] == "KUBESNAP-REDACTED" and red["total"] >= 20
    by_file = {(r["path"], r["rule"]) for r in red["files"]}
    assert ("files/etc/kubernetes/admin.conf", "secret-field") in by_file
    assert ("files/etc/kubernetes/ssl/bundle.pem", "private-key") in by_file
    assert ("runtime/crictl-inspect.json", "env-value") in by_file
    report = member(secrets_bundle, "redaction-report.txt").decode()
    assert "files/etc/kubernetes/admin.conf" in report and "Values redacted:" in report
    # the certificate in a mixed PEM file is kept, only its key block goes
    pem = member(secrets_bundle, "files/etc/kubernetes/ssl/bundle.pem").decode()
    assert "BEGIN CERTIFICATE" in pem and "KUBESNAP-REDACTED" in pem
    # harmless environment stays readable
    assert "KUBERNETES_SERVICE_HOST=10.96.0.1" in member(secrets_bundle, "runtime/crictl-inspect.json").decode()
    # key files are never read at all, /proc/*/environ neither
    assert "files/etc/kubernetes/pki/sa.key" not in names(secrets_bundle)
    assert not any("environ" in n for n in names(secrets_bundle))


def test_files_without_secrets_are_kept_byte_for_byte(seed_bundles: dict[str, Path], seed_site_dir: Path) -> None:
    t = seed_bundles["playcekube-controlplane01"]
    root = seed_site_dir / "nodes" / "playcekube-controlplane01" / "root"
    manifest = root / "etc/kubernetes/manifests/kube-apiserver.yaml"
    assert member(t, "files/etc/kubernetes/manifests/kube-apiserver.yaml") == manifest.read_bytes()
    some_log = next((root / "var/log/pods").rglob("*.log"))
    rel = some_log.relative_to(root)
    assert member(t, f"files/{rel}") == some_log.read_bytes()


# ------------------------------------------------------------------ safety


def test_hanging_crictl_is_killed_at_timeout_and_the_rest_is_collected(tmp_path: Path) -> None:
    site = small_site()
    site.nodes[0].faults = {"crictl ps": "hang"}
    start = time.monotonic()
    proc, _ = collect(tmp_path, site, timeout=2)
    wall = time.monotonic() - start
    t = tarball_of(proc)
    man = manifest_of(t)
    hung = [r for r in man["records"] if r.get("argv", [None])[:1] == ["crictl"] and "ps" in r["argv"]]
    assert hung and hung[0]["timed_out"] is True and hung[0]["error"] == "timed out after 2s"
    assert 1.5 <= hung[0]["seconds"] < 8
    # two timeouts: the runtime is considered wedged, later crictl calls are skipped, not waited for
    skipped = [r for r in man["records"] if "skipped: the runtime did not answer" in (r["error"] or "")]
    assert skipped
    got = set(names(t))
    assert "runtime/crictl-pods.json" in got  # before the hang
    assert "processes/ps.txt" in got and "services/journal-kubelet.log" in got
    assert any(n.startswith("files/var/log/pods/") for n in got)
    assert wall < 60


def test_max_log_bytes_keeps_the_tail_on_a_line_boundary(tmp_path: Path) -> None:
    site = small_site()
    c = site.nodes[0].pods[0].containers[0]
    c.logs[0] = [LogLine(NOW - 5000 + i, "stdout", f"line {i:05d} " + "x" * 80) for i in range(3000)]
    proc, root = collect(tmp_path, site, "--max-log-bytes", "20k")
    t = tarball_of(proc)
    src = next(root.glob("var/log/pods/shop_web-*/web/0.log"))
    rel = "files/" + str(src.relative_to(root))
    got = member(t, rel)
    orig = src.read_bytes()
    assert len(got) <= 20 * 1024
    assert orig.endswith(got)  # the tail, byte for byte
    assert got.split(b"\n", 1)[0] in orig.split(b"\n")  # starts on a whole line
    rec = records(manifest_of(t), path="/" + str(src.relative_to(root)))[0]
    assert rec["truncated"] is True and rec["size"] == len(orig) and rec["bytes"] == len(got)


def test_since_bounds_journal_and_skips_old_pod_logs(tmp_path: Path) -> None:
    site = small_site()
    n = site.nodes[0]
    c = n.pods[0].containers[0]
    c.attempt = 1
    c.logs[1] = c.logs[0]
    c.logs[0] = [LogLine(NOW - 5 * 86400, "stdout", "old container instance")]
    n.journal.append(JournalLine(NOW - 3 * 86400, "kubelet", "kubelet", 800, "E1111 ancient.go:1] three days ago"))
    proc, _ = collect(tmp_path, site, "--since", "24h")
    t = tarball_of(proc)
    man = manifest_of(t)
    old = [r for r in man["records"] if r.get("path", "").endswith("/web/0.log")]
    assert old and "not modified since" in old[0]["skipped"]
    assert not any(x.endswith("/web/0.log") for x in names(t))
    assert any(x.endswith("/web/1.log") for x in names(t))
    journal = member(t, "services/journal-kubelet.log").decode()
    assert "three days ago" not in journal and "SyncLoop" in journal
    # the fake clock runs from the node's build: a loaded machine may pass a second or more before the collector reads it
    assert man["options"]["since"] == "24h" and 0 <= man["options"]["since_epoch"] - (int(NOW) - 86400) <= 60


def test_no_kubernetes_tools_still_writes_a_bundle(tmp_path: Path) -> None:
    site = small_site()
    proc, _ = collect(tmp_path, site, without={"crictl", "kubectl", "journalctl", "systemctl", "etcdctl"})
    assert proc.returncode == 0
    man = manifest_of(tarball_of(proc))
    assert {"crictl", "kubectl", "journalctl"} <= set(man["missing_commands"])
    assert records(man, argv="crictl")[0]["error"] == "command not found: crictl"
    assert "processes/ps.txt" in names(tarball_of(proc))


@pytest.mark.slow  # a whole collector run: the slow set
def test_k3s_builtin_crictl_is_used_when_crictl_is_not_on_path(tmp_path: Path) -> None:
    """k3s ships crictl as a subcommand (`k3s crictl`) and its installer's links can be missing."""
    site = small_site()
    root, bin_dir = build_node(site, site.nodes[0], tmp_path / "node")
    (bin_dir / "crictl").rename(bin_dir / ".crictl-of-k3s")
    (bin_dir / "k3s").write_text('#!/bin/sh\n[ "$1" = crictl ] || exit 2\nshift\nexec "$(dirname "$0")/.crictl-of-k3s" "$@"\n')
    (bin_dir / "k3s").chmod(0o755)
    t = tarball_of(run_collector(root, bin_dir, tmp_path / "out"))
    man = manifest_of(t)
    calls = [r["argv"] for r in man["records"] if r.get("argv", [""])[0] == "k3s"]
    assert calls and all(a[1] == "crictl" for a in calls) and any("inspect" in a for a in calls)
    assert "crictl" not in man["missing_commands"]
    assert b'"pid"' in member(t, "runtime/crictl-inspect.json")


@pytest.mark.parametrize(("kubelet_flag", "kind", "endpoint"), [
    (True, "containerd", "/run/containerd/containerd.sock"),  # the kubelet's own endpoint wins
    pytest.param(False, "dockershim", "/var/run/dockershim.sock", marks=pytest.mark.slow),  # else a kubelet-only socket before Docker's containerd
])  # fmt: skip
def test_runtime_endpoint_is_the_kubelets(tmp_path: Path, kubelet_flag: bool, kind: str, endpoint: str) -> None:
    site = small_site()
    kubelet = next(p for p in site.nodes[0].host_procs if "kubelet --" in p.args)
    if not kubelet_flag:
        kubelet.args = kubelet.args.replace("--container-runtime-endpoint=unix:///run/containerd/containerd.sock ", "")
    root, bin_dir = build_node(site, site.nodes[0], tmp_path / "node")
    (root / "var/run").mkdir(parents=True, exist_ok=True)
    os.mknod(root / "var/run/dockershim.sock", 0o660 | stat.S_IFSOCK)  # a Docker node's sockets: dockershim and containerd
    t = tarball_of(run_collector(root, bin_dir, tmp_path / "out"))
    assert member(t, "runtime/endpoint.txt").decode() == f"kind={kind}\nendpoint={endpoint}\n"
    assert manifest_of(t)["runtime"] == {"kind": kind, "endpoint": endpoint}


@pytest.mark.slow  # a whole collector run: the slow set
def test_free_space_check_refuses_and_force_overrides(tmp_path: Path) -> None:
    site = small_site()

    def tiny(st: dict) -> None:
        st["host"]["df -Pk"] = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda1 1000 990 10 99% /\n"

    proc, _ = collect(tmp_path, site, state_patch=tiny, check=False)
    assert proc.returncode == 3
    assert "not enough free space" in proc.stderr and "--force" in proc.stderr
    assert not list((tmp_path / "out").glob("*.tar.gz"))
    proc2, _ = collect(tmp_path, site, "--force", state_patch=tiny)
    assert proc2.returncode == 0 and tarball_of(proc2).is_file()


def _tree_state(root: Path) -> dict[str, tuple[int, float, str]]:
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
        out[str(p.relative_to(root))] = (st.st_mode, st.st_mtime, digest)
    return out


def test_read_only_on_the_node_and_leaves_only_the_tarball(tmp_path: Path) -> None:
    site = small_site()
    node = site.nodes[0]
    root, bin_dir = build_node(site, node, tmp_path / "node")
    before = _tree_state(root)
    proc = run_collector(root, bin_dir, tmp_path / "out")
    assert _tree_state(root) == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [tarball_of(proc).name]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop to another user")
def test_works_as_non_root_and_records_what_it_could_not_read() -> None:
    base = Path(tempfile.mkdtemp(prefix="kubesnap-nonroot-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        site = small_site()
        node = site.nodes[0]
        node.files["etc/kubernetes/admin.conf"] = "apiVersion: v1\nkind: Config\n"
        root, bin_dir = build_node(site, node, base / "node")
        os.chmod(root / "etc/kubernetes/admin.conf", 0o600)
        for d in (base / "node", root, bin_dir):
            os.chmod(d, 0o755)
        out = base / "out"
        out.mkdir()
        os.chmod(out, 0o777)
        setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        if subprocess.run([*setpriv, "test", "-r", str(COLLECTOR)]).returncode != 0:
            pytest.skip("the checkout is not readable by nobody")
        # The stubs run on this checkout's Python, which nobody may not reach: use the
        # machine's own tools here; what matters is the unreadable file in the root.
        proc = subprocess.run(
            [*setpriv, "bash", str(COLLECTOR), "--root", str(root), "--output", str(out), "--timeout", "10"],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(base)}, capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        man = manifest_of(tarball_of(proc))
        assert man["uid"] == 65534
        denied = records(man, path="/etc/kubernetes/admin.conf")
        assert denied and denied[0]["error"] == "permission denied"
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="the real-machine run is specified as root")
def test_real_machine_run_as_root_is_complete_and_honest(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["bash", str(COLLECTOR), "--output", str(tmp_path), "--timeout", "10"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    t = tarball_of(proc)
    man = manifest_of(t)
    got = set(names(t))
    assert {"processes/ps.txt", "processes/cgroup.txt", "host/uname.txt", "host/df.txt", "manifest.json"} <= got
    ps = member(t, "processes/ps.txt").decode()
    assert f"\n{os.getpid():>7} " in ps or f" {os.getpid()} " in ps  # this very test process is listed
    assert man["uid"] == 0 and man["user"] == "root"
    if not shutil.which("crictl"):
        assert "crictl" in man["missing_commands"]
    # every record that failed says why
    for r in man["records"]:
        if r["exit_code"] not in (0, None) and not r.get("skipped"):
            assert r["error"], r


def test_kubesnap_collector_prints_the_script() -> None:
    exe = Path(sys.executable).with_name("kubesnap")  # the installed console script
    out = subprocess.run([str(exe), "collector"], capture_output=True, text=True, check=True).stdout
    assert out == COLLECTOR.read_text()


def test_wheel_carries_the_collector(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    wheel = next(iter(WheelBuilder(str(COLLECTOR.parents[1])).build(directory=str(tmp_path), versions=["standard"])))
    import zipfile

    with zipfile.ZipFile(wheel) as z:
        assert z.read("analyzer/data/kubesnap-collect.sh").decode() == COLLECTOR.read_text()
        # collect-site's playbook and its callback, found next to the collector (analyzer.collector.collector_dir)
        for name in ("kubesnap-site.yml", "callback_plugins/kubesnap_result.py"):
            assert z.read(f"analyzer/data/{name}") == (COLLECTOR.parent / name).read_bytes()


# ------------------------------------------------------------------ redaction report, withheld files


@pytest.mark.slow  # a whole collector run: the slow set
def test_report_lists_file_line_and_rule_of_every_change_and_what_was_withheld(tmp_path: Path) -> None:
    import gzip

    site = secrets_site()
    f = site.nodes[0].files
    f["etc/kubernetes/tokens/known_tokens.csv"] = "PLANTEDCSV1,admin,admin,system:masters\n"
    f["etc/kubernetes/backup/old-admin.tgz"] = gzip.compress(b"users:\n- name: a\n  user:\n    password: PLANTEDGZ1\n", mtime=0)
    f["etc/kubernetes/notes/join-k7x2q9.0p3w8e5r1t6y4u2i.txt"] = "nothing here\n"  # a bootstrap token in a name
    proc, _ = collect(tmp_path, site)
    t = tarball_of(proc)
    man = manifest_of(t)
    report = member(t, "redaction-report.txt").decode()
    blob = b"".join(m.name.encode() + data for m, data in tar_members(t))
    for planted in ("PLANTEDCSV1", "PLANTEDGZ1", "k7x2q9.0p3w8e5r1t6y4u2i", *PLANTED):
        assert planted.encode() not in blob, planted
    # every change: "<file>:<line>  <rule>", line numbers of the file as collected
    assert "files/etc/kubernetes/admin.conf:7  secret-field" in report
    assert "files/etc/kubernetes/admin.conf:10  secret-field" in report
    changes = [ln for ln in report.splitlines() if re.match(r"^.+:\d+  [a-z:-]+$", ln)]
    assert len(changes) == man["redaction"]["total"] >= 20
    # the gzip'd kubeconfig is an archive by its name: never collected (a record says so); withheld: the file whose
    # name holds a secret
    tgz = records(man, path="/etc/kubernetes/backup/old-admin.tgz")
    assert tgz and tgz[0]["skipped"].startswith("database, etcd data or archive"), tgz
    withheld = {w["path"]: w["reason"] for w in man["redaction"]["withheld"]}
    assert any("KUBESNAP-REDACTED" in p for p in withheld), withheld
    assert "Withheld (not in this bundle)" in report and "its name holds a secret" in report
    # the CSV is never read at all
    csv = records(man, path="/etc/kubernetes/tokens/known_tokens.csv")
    assert csv and csv[0]["skipped"].startswith("credential file")


@pytest.mark.parametrize("awk", ["mawk", "gawk", "busybox"])
def test_a_tail_cut_drops_the_partial_line_and_a_cri_record_cut_in_two(awk: str, tmp_path: Path) -> None:
    """What --max-log-bytes keeps of a log starts after the first, partial line; in a CRI log also after the first F
    record, which may end a partial (P) record cut away: a key and its value may lie on either side."""
    exe = shutil.which(awk)
    if exe is None:
        pytest.skip(f"{awk} not installed")
    d = tmp_path / "bin"
    d.mkdir()
    (d / "awk").write_text(f'#!/bin/sh\nexec {exe} {"awk " if awk == "busybox" else ""}"$@"\n')
    (d / "awk").chmod(0o755)

    def cut(text: str) -> str:
        env = {**os.environ, "PATH": f"{d}:{os.environ['PATH']}"}
        return subprocess.run(["bash", "-c", f"source {COLLECTOR}; drop_cut_head"], input=text, capture_output=True, text=True, env=env, check=True).stdout

    ts = "2024-01-01T00:00:00Z"
    cri = f'ial line\n{ts} stdout P ":"cut\n{ts} stdout F Value1"}}\n{ts} stdout F next\n{ts} stderr F more\n'
    assert cut(cri) == f"{ts} stdout F next\n{ts} stderr F more\n"
    assert cut(f'ial line\n{ts} stdout F ord":"Value2"}}\n{ts} stdout F next\n') == f"{ts} stdout F next\n"
    assert cut("ial line\nplain one\nplain two\n") == "plain one\nplain two\n"


def test_bookkeeping_helpers_set_the_callers_variable_whatever_its_name() -> None:
    """The fork-free helpers (printf -v): JSON strings and argv, stamps and seconds; a caller's variable named
    like a helper's own locals is still the one set."""
    script = r'''
source "$1"
jstr s $'a"b\\c\td\ne\rf\x01g'; printf '%s\n' "$s"
jargv _j x 'y z' $'q"'; printf '%s\n' "$_j"
jargv _out; printf '%s\n' "$_out"
jargv a crictl ps -a; printf '%s\n' "$a"
json_str "é€"; echo
seconds_between _a 100.000100 101.250999; printf '%s\n' "$_a"
seconds_between d 1700000000 1700000003; printf '%s\n' "$d"
seconds_between d 5.5 4.0; printf '%s\n' "$d"
to_us u 7.000001; printf '%s\n' "$u"
stamp t; [[ "$t" =~ ^[0-9]+\.[0-9]{6}$ ]] && echo stamp-ok
unset EPOCHREALTIME; stamp t; [[ "$t" =~ ^[0-9]+$ ]] && echo stamp-without-epochrealtime-ok  # bash before 5.0: date +%s
'''
    out = subprocess.run(["bash", "-c", script, "x", str(COLLECTOR)], capture_output=True, text=True, env={"LC_ALL": "C", "PATH": os.environ["PATH"]})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        '"a\\"b\\\\c\\td\\ne\\rfg"', '["x","y z","q\\""]', "[]", '["crictl","ps","-a"]', '"é€"',
        "1.250", "3.000", "0.000", "7000001", "stamp-ok", "stamp-without-epochrealtime-ok",
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "withheld"), [
    ("/etc/kubernetes/tokens/known_tokens.csv", True), ("/root/.git-credentials", True), ("/etc/app/db-secret.yaml", True),
    ("/etc/kubernetes/image-credential-provider-config.yaml", False), ("/var/lib/kubelet/credential-provider-config.json", False),
    ("/etc/kubernetes/manifests/kube-apiserver.yaml", False),
])  # fmt: skip
def test_files_withheld_by_name(name: str, withheld: bool) -> None:
    """Credential files are never collected, by their names; the kubelet's credential provider config names no
    credential (round 8 of the red team: it was withheld, and its plugin settings lost)."""
    rc = subprocess.run(["bash", "-c", 'source "$1"; is_credential_file_name "$2"', "x", str(COLLECTOR), name], check=False).returncode
    assert (rc == 0) == withheld
