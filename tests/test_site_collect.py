"""collect-site: the inventory reader, the site manifest's parser, and whole runs of both methods
(plain ssh and Ansible) against fake nodes behind a real sshd on 127.0.0.1 (tests/sshsite.py)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analyzer.errors import ParseError, SkipSource, UsageError
from analyzer.registry import ParseContext, load_parsers, sniff
from analyzer.sitecollect.inventory import expand, host_list, read_inventory, select
from analyzer.sitecollect.run import check_collector_args, classify_ssh
from fixtures.sshsite import SshSite, ensure_users, unavailable
from tests.conftest import examples

SOURCES = ["site-manifest"]
KUBESNAP = str(Path(sys.executable).with_name("kubesnap"))

KUBESPRAY_INI = """\
# kubespray inventory/sample/inventory.ini, filled in
[all]
controlplane01 ansible_host=10.0.0.21 ip=10.0.0.21 etcd_member_name=etcd1
controlplane02 ansible_host=10.0.0.22 ip=10.0.0.22 etcd_member_name=etcd2
controlplane03 ansible_host=10.0.0.23 ip=10.0.0.23 etcd_member_name=etcd3
worker[01:02] ansible_user=deploy ansible_password="s3cr3t pass" ansible_become_password=$ANSIBLE_VAULT;1.1;AES256;6161
bastion ansible_host=203.0.113.7 ansible_port=2222

[bastion]
bastion

[kube_control_plane]
controlplane0[1:3]

[etcd]
controlplane01
controlplane02
controlplane03

[kube_node]
worker01
worker02

[calico_rr]

[k8s_cluster:children]
kube_control_plane
kube_node
calico_rr

[all:vars]
ansible_user=ubuntu
ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q ubuntu@203.0.113.7"'
ansible_ssh_private_key_file=~/.ssh/site_ed25519

[kube_node:vars]
ansible_become=true
"""

KUBESPRAY_YAML = """\
all:
  hosts:
    node1:
      ansible_host: 10.0.0.21
      ip: 10.0.0.21
      access_ip: 10.0.0.21
    node2:
      ansible_host: 10.0.0.31
      ansible_port: 2200
      ansible_become_password: !vault |
          $ANSIBLE_VAULT;1.1;AES256
          62313365396662343061393464336163383764373764613633653634306231386433626436623361
    node3:
      ansible_host: "{{ lookup('env', 'NODE3') }}"
  vars:
    ansible_user: ubuntu
    ansible_ssh_pass: hunter2
  children:
    kube_control_plane:
      hosts:
        node1:
    kube_node:
      hosts:
        node2:
        node3:
    etcd:
      hosts:
        node1:
    k8s_cluster:
      children:
        kube_control_plane:
        kube_node:
      vars:
        ansible_user: k8s
    calico_rr:
      hosts: {}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ inventory


def test_kubespray_ini_inventory(tmp_path: Path) -> None:
    inv, problems = read_inventory(_write(tmp_path, "inventory.ini", KUBESPRAY_INI))
    assert problems == []
    hosts = {h.name: h for h in inv.hosts}
    assert list(hosts) == ["controlplane01", "controlplane02", "controlplane03", "worker01", "worker02", "bastion"]
    cp = hosts["controlplane02"]
    assert (cp.address, cp.port, cp.user) == ("10.0.0.22", None, "ubuntu")
    assert cp.groups == ["etcd", "k8s_cluster", "kube_control_plane"]
    assert cp.ssh_args == ["-o", "ProxyCommand=ssh -W %h:%p -q ubuntu@203.0.113.7"]
    assert cp.key_file == "~/.ssh/site_ed25519"
    w = hosts["worker02"]
    assert (w.address, w.user, w.become) == ("worker02", "deploy", True)  # host var over all:vars; kube_node:vars
    assert (hosts["bastion"].port, hosts["bastion"].groups) == (2222, ["bastion"])
    assert hosts["controlplane01"].become is None
    assert inv.groups["k8s_cluster"] == ["controlplane01", "controlplane02", "controlplane03", "worker01", "worker02"]
    assert [h.name for h in select(inv, "kube_node,bastion")] == ["worker01", "worker02", "bastion"]
    assert [h.name for h in select(inv, "k8s_cluster,!kube_control_plane")] == ["worker01", "worker02"]
    with pytest.raises(UsageError, match="no such group or host in the inventory: nope"):
        select(inv, "nope")


def test_kubespray_yaml_inventory(tmp_path: Path) -> None:
    inv, problems = read_inventory(_write(tmp_path, "hosts.yaml", KUBESPRAY_YAML))
    assert problems == []
    hosts = {h.name: h for h in inv.hosts}
    assert (hosts["node1"].address, hosts["node1"].user, hosts["node1"].problem) == ("10.0.0.21", "k8s", None)  # k8s_cluster vars over all
    assert hosts["node1"].groups == ["etcd", "k8s_cluster", "kube_control_plane"]
    assert (hosts["node2"].address, hosts["node2"].port) == ("10.0.0.31", 2200)
    # a template only Ansible can resolve: this host needs the Ansible method
    assert hosts["node3"].problem and "template" in hosts["node3"].problem and "--method ansible" in hosts["node3"].problem
    assert "calico_rr" not in inv.groups  # no hosts


def test_no_secret_is_kept_from_the_inventory(tmp_path: Path) -> None:
    for name, text in (("inventory.ini", KUBESPRAY_INI), ("hosts.yaml", KUBESPRAY_YAML)):
        inv, _ = read_inventory(_write(tmp_path, name, text))
        dump = repr(inv) + json.dumps([h.public() for h in inv.hosts])
        for secret in ("s3cr3t", "hunter2", "ANSIBLE_VAULT", "6231336539", "6161"):
            assert secret not in dump, (name, secret)
        for h in inv.hosts:
            assert set(h.public()) == {"name", "groups", "address", "port", "user"}


def test_vaulted_address_and_bad_port_are_reported_per_host(tmp_path: Path) -> None:
    text = "[all]\na ansible_host=$ANSIBLE_VAULT;1.1;AES256;3131\nb ansible_port=twenty-two\nc:2022\n"
    inv, _ = read_inventory(_write(tmp_path, "i.ini", text))
    hosts = {h.name: h for h in inv.hosts}
    assert hosts["a"].problem and "vault-encrypted" in hosts["a"].problem
    assert hosts["b"].problem and "not a port number" in hosts["b"].problem
    assert (hosts["c"].port, hosts["c"].problem) == (2022, None)


def test_ranges_and_host_lists() -> None:
    assert expand("node[01:03].example") == ["node01.example", "node02.example", "node03.example"]
    assert expand("w[a:c]") == ["wa", "wb", "wc"]
    assert expand("n[0:6:3]") == ["n0", "n3", "n6"]
    with pytest.raises(ValueError, match="larger than"):
        expand("n[0:99999999]")
    inv = host_list(["root@10.0.0.21", "ubuntu@10.0.0.22:2222", "node3", "[fd00::1]:22"])
    assert [h.name for h in inv.hosts] == ["10.0.0.21", "10.0.0.22:2222", "node3", "[fd00::1]:22"]
    assert [(h.address, h.port, h.user) for h in inv.hosts] == [("10.0.0.21", None, "root"), ("10.0.0.22", 2222, "ubuntu"),
                                                                 ("node3", None, None), ("fd00::1", 22, None)]  # fmt: skip


def test_bad_inventories_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not valid YAML"):
        read_inventory(_write(tmp_path, "a.yaml", "all: [unclosed\n"))
    with pytest.raises(UsageError, match="not a mapping"):
        read_inventory(_write(tmp_path, "b.yaml", "- a\n- b\n"))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                                             for p, c in zip("abcdefgh", "bcdefghi", strict=True))  # fmt: skip
    bomb += "all:\n  children:\n    g:\n      hosts: {h1: {x: *i}}\n"
    inv, _ = read_inventory(_write(tmp_path, "bomb.yaml", bomb))  # aliases are never expanded into hosts
    assert [h.name for h in inv.hosts] == ["h1"]
    inv, problems = read_inventory(_write(tmp_path, "c.ini", "[all]\nn1 a='unclosed\nn2\n[bad section\nn3\n"))
    assert [h.name for h in inv.hosts] == ["n2"] and len(problems) == 2


@settings(max_examples=examples(150), deadline=None)
@given(st.text(max_size=400))
@example(":\u00b9")  # a superscript one: str.isdigit says yes, int() says no
@example(":0")  # a host line of a port and no name
@example("[all]\nh ansible_port=\u0663")  # an Arabic-Indic three
def test_inventory_reader_never_crashes(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for name in ("i.ini", "i.yaml"):
            p = Path(d) / name
            p.write_text(text, encoding="utf-8", errors="surrogateescape")
            try:
                inv, _ = read_inventory(p)
            except UsageError:
                continue
            assert all(isinstance(h.name, str) and h.address for h in inv.hosts)


def test_collector_flags_collect_site_sets_or_cannot_honour_are_refused() -> None:
    check_collector_args(["--since", "2h", "--timeout=60", "--max-log-bytes", "10m"])
    for bad in (["--output", "/x"], ["--output=/x"], ["--obfuscate"]):
        with pytest.raises(UsageError, match="collector flag"):
            check_collector_args(bad)


def test_ssh_errors_are_classified_and_printed_without_control_characters() -> None:
    assert classify_ssh("ubuntu@10.0.0.31: Permission denied (publickey).")[0] == "auth"
    assert classify_ssh("ssh: connect to host 10.0.0.31 port 22: Connection refused")[0] == "unreachable"
    assert classify_ssh("ssh: connect to host 10.0.0.31 port 22: Connection timed out")[0] == "unreachable"
    assert classify_ssh("Host key verification failed.")[0] == "auth"
    # the reason kept for a host is the ssh error's last lines, escaped by the shared sanitizer
    reason = classify_ssh("ssh: \x1b]52;c;cGF5bG9hZA==\x07 connect to host n1 port 22: Connection refused\u202e\r")[1]
    assert "\x1b" not in reason and "\u202e" not in reason and "\r" not in reason
    assert "\\x1b]52;c;cGF5bG9hZA==\\x07" in reason and reason.endswith("\\u202e")


# ------------------------------------------------------------------ the site manifest, read by the analyzer


def _manifest(**over: object) -> bytes:
    doc = {"kind": "kubesnap-site-manifest", "format_version": 1, "method": "ssh", "started_at": "2026-12-04T10:00:00+00:00",
           "hosts": [{"name": "cp1", "groups": ["kube_control_plane"], "address": "10.0.0.21", "port": 22, "user": "ubuntu",
                      "status": "ok", "failure": None, "reason": "", "seconds": 12.5, "bundle": "cp1/kubesnap-cp1-20261204T100001Z.tar.gz"},
                     {"name": "w1", "groups": ["kube_node"], "address": "10.0.0.31", "port": 22, "user": "ubuntu",
                      "status": "failed", "failure": "unreachable", "reason": "Connection refused", "seconds": 0.1, "bundle": None}]}  # fmt: skip
    doc.update(over)
    return json.dumps(doc, indent=1).encode()


def test_site_manifest_is_recognized_and_parsed() -> None:
    spec, score = sniff(_manifest().decode())
    assert spec is not None and spec.name == "site-manifest" and score >= 90
    recs = list(load_parsers()["site-manifest"].parse(ParseContext("site-manifest.json", _manifest())))
    assert [(r.name, r.status, r.failure, r.seconds) for r in recs] == [("cp1", "ok", None, 12.5), ("w1", "failed", "unreachable", 0.1)]  # type: ignore[attr-defined]
    assert recs[0].collected_at is not None and recs[0].method == "ssh"  # type: ignore[attr-defined]


def test_site_manifest_hostile_values() -> None:
    parse = load_parsers()["site-manifest"].parse
    with pytest.raises(ParseError):
        list(parse(ParseContext("x", b'{"kind": "other", "hosts": []}')))
    with pytest.raises(ParseError):
        list(parse(ParseContext("x", b'{"kind": "kubesnap-site-manifest", "hosts": {"a": 1}}')))
    with pytest.raises(SkipSource):
        list(parse(ParseContext("x", b'{"kind": "kubesnap-site-manifest", "hosts": []}')))
    ctx = ParseContext("x", _manifest(hosts=[{"name": "a", "status": "weird", "port": 99999999, "seconds": "x", "groups": [1, "g"]}, 7, {"no": "name"}]))
    recs = list(parse(ctx))
    assert [(r.name, r.status, r.port, r.seconds, r.groups) for r in recs] == [("a", "failed", None, None, ["g"])]  # type: ignore[attr-defined]
    assert len(ctx.problems) == 3


# ------------------------------------------------------------------ whole runs: a real sshd, fake nodes

HOST_TIMEOUT = 40
MARGIN = 25  # connection setup, the fetch, and stopping and cleaning up the hung host


@pytest.fixture(scope="module")
def ssh_site(tmp_path_factory: pytest.TempPathFactory):
    why = unavailable()
    if why:
        pytest.skip(why)
    ensure_users()
    site = SshSite()
    site.node("cp1")  # answers
    site.node("w1", user="ksnap-b")  # answers, as another user
    site.node("w2", user="ksnap-nopw")  # sudo asks for a password: refused
    site.down("w3")  # nobody listens
    site.node("w4", key="stranger")  # key not authorized
    site.node("w5", faults={"crictl ps": "hang"}, collector_args=["--timeout", "60"])  # hangs past the host timeout
    site.start()
    yield site
    site.stop()


def _members(archive: Path) -> dict[str, bytes]:
    out = {}
    with tarfile.open(archive) as tf:
        for m in tf:
            f = tf.extractfile(m)
            if f is not None:
                out[m.name] = f.read()
    return out


def _remote_folders() -> set[str]:
    return {str(p) for p in Path("/var/tmp").glob("kubesnap-site.*")}


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ssh", "ansible"])
def test_collect_site_reports_every_host(ssh_site: SshSite, method: str, tmp_path: Path) -> None:
    inventory = ssh_site.inventory(tmp_path / "inventory.ini")
    before = _remote_folders()
    start = time.monotonic()
    proc = subprocess.run([KUBESNAP, "collect-site", "-i", str(inventory), "-o", str(tmp_path / "out"), "--method", method, "--forks", "10",
                           "--host-timeout", str(HOST_TIMEOUT), "--", "--since", "2h"], capture_output=True, text=True, timeout=600)  # fmt: skip
    wall = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr  # some hosts failed; the archive holds the rest
    assert wall < HOST_TIMEOUT + MARGIN, f"{method}: {wall:.1f} s"
    archive = Path(proc.stdout.strip().splitlines()[-1])
    assert archive.parent == tmp_path / "out" and archive.name.startswith("kubesnap-site-") and archive.suffix == ".tar"
    members = _members(archive)
    names = list(members)
    assert names[0] == "site-manifest.json"
    assert sorted(n.split("/")[0] for n in names[1:]) == ["cp1", "w1"]
    man = json.loads(members["site-manifest.json"])
    assert man["method"] == method and man["hosts_total"] == 6 and man["hosts_ok"] == 2 and man["complete"] is False
    hosts = {h["name"]: h for h in man["hosts"]}
    assert {n: (h["status"], h["failure"]) for n, h in hosts.items()} == {
        "cp1": ("ok", None), "w1": ("ok", None), "w2": ("failed", "sudo-refused"), "w3": ("failed", "unreachable"),
        "w4": ("failed", "auth"), "w5": ("failed", "timeout"),
    }  # fmt: skip
    assert "password is required" in hosts["w2"]["reason"] or "sudo password" in hosts["w2"]["reason"].lower()
    assert "Connection refused" in hosts["w3"]["reason"]
    assert "Permission denied (publickey)" in hosts["w4"]["reason"]
    assert hosts["w5"]["seconds"] >= HOST_TIMEOUT - 1
    assert hosts["w1"]["user"] == "ksnap-b" and hosts["cp1"]["groups"] == ["k8s_cluster", "kube_control_plane"]
    for n in ("cp1", "w1"):
        assert hosts[n]["bundle"] in members and hosts[n]["cleaned_up"] is True
        with tarfile.open(fileobj=io.BytesIO(members[hosts[n]["bundle"]])) as tf:
            node_manifest = next(json.load(f) for m in tf if m.name.endswith("/manifest.json") and (f := tf.extractfile(m)))
        assert node_manifest["node"] == n  # the fake node behind that port, not the test machine
        assert node_manifest["options"]["since"] == "2h"  # the collector's flags passed through
    assert hosts["w5"]["cleaned_up"] is True
    # nothing secret from the inventory, nothing left on the nodes, the stderr lines sanitized
    blob = archive.read_bytes()
    for secret in (b"hunter2-never-stored", b"also-never-stored", (ssh_site.base / "client").read_bytes().split(b"\n")[1]):
        assert secret not in blob
    assert _remote_folders() <= before
    assert "w3: unreachable" in proc.stderr and "\x1b" not in proc.stderr

    # the analyzer reads the archive as it is, and says the site is incomplete
    out = tmp_path / "analysis"
    a = subprocess.run([KUBESNAP, "analyze", str(archive), "-o", str(out), "-q"], capture_output=True, text=True, timeout=600)
    assert a.returncode == 0, a.stderr
    found = subprocess.run([KUBESNAP, "findings", "--db", str(out / "kubesnap.duckdb"), "--format", "json"], capture_output=True, text=True, check=True)
    missing = {x["node"]: x for x in json.loads(found.stdout) if x["rule"] == "SITE_NODE_MISSING"}
    assert sorted(missing) == ["w2", "w3", "w4", "w5"]
    assert "sudo-refused" in missing["w2"]["message"] and "timeout" in missing["w5"]["message"]
    assert missing["w3"]["evidence"][0].startswith("site-manifest.json: host w3")
    html = (out / "report.html").read_text()
    assert 'id="site-incomplete"' in html and "4 node(s) have no bundle" in html


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ssh", "ansible"])
def test_collect_site_all_hosts_answer_over_a_host_list(ssh_site: SshSite, method: str, tmp_path: Path) -> None:
    """The plain host list (no inventory): only the answering hosts, each by user@host:port."""
    ok = [h for h in ssh_site.hosts if h.name in ("cp1", "w1")]
    args = [KUBESNAP, "collect-site", "--method", method, "-o", str(tmp_path), "--host-timeout", str(HOST_TIMEOUT),
            "--ssh-option", f"UserKnownHostsFile={ssh_site.base / 'known_hosts'}", "--ssh-option", "StrictHostKeyChecking=yes",
            "--ssh-option", f"IdentityFile={ssh_site.base / 'client'}", "--path", str(ok[0].bin)]  # fmt: skip
    for h in ok:
        args += ["--host", f"{h.user}@127.0.0.1:{h.port}"]
    # both hosts get cp1's fake node (one --path, one --root for all): the host list has no per-host variables
    proc = subprocess.run([*args, "--", "--root", str(ok[0].root)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    man = json.loads(_members(Path(proc.stdout.strip().splitlines()[-1]))["site-manifest.json"])
    assert man["complete"] is True and [h["status"] for h in man["hosts"]] == ["ok", "ok"]
    assert [(h["name"], h["user"]) for h in man["hosts"]] == [(f"127.0.0.1:{h.port}", h.user) for h in ok]


def test_collect_site_usage_errors(tmp_path: Path) -> None:
    p = subprocess.run([KUBESNAP, "collect-site", "-o", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "give an inventory" in p.stderr
    inv = _write(tmp_path, "i.ini", "[all]\nn1\n")
    p = subprocess.run([KUBESNAP, "collect-site", "-i", str(inv), "-o", str(tmp_path), "--", "--output", "/x"], capture_output=True, text=True)
    assert p.returncode == 2 and "collector flag --output" in p.stderr
    p = subprocess.run([KUBESNAP, "collect-site", "-i", str(inv), "--limit", "nope", "-o", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "nope" in p.stderr and "Traceback" not in p.stderr
    (tmp_path / "file").write_text("")
    p = subprocess.run([KUBESNAP, "collect-site", "-H", "n1", "--method", "ssh", "-o", str(tmp_path / "file" / "out")], capture_output=True, text=True)
    assert p.returncode == 2 and "output folder" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.slow
def test_site_benchmark_writes_its_section(tmp_path: Path) -> None:
    if unavailable():
        pytest.skip(str(unavailable()))
    from bench.site_collect import SECTION, main

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n| ingest | 1 s |\n\n## Targets\n\nmet\n")
    main(["--hosts", "2", "--node-seconds", "1", "--doc", str(doc)])
    main(["--hosts", "2", "--node-seconds", "1", "--doc", str(doc)])  # replaces its section, keeps the rest
    text = doc.read_text()
    assert text.count(SECTION) == 1 and "| ingest | 1 s |" in text and "## Targets\n\nmet" in text
    assert re.search(r"\| 2 hosts collected at once \(--forks 2\) \| [\d.]+ s \| [\d.]+ s \(the slowest of 2 hosts collected alone", text)
