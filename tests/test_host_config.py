"""Host facts, df, systemd, etcd, manifests, kubelet config, certificates, the collector manifest."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from analyzer.errors import ParseError
from analyzer.models import (
    Certificate,
    CollectionRecord,
    EtcdAlarm,
    EtcdEndpoint,
    EtcdMember,
    FileContent,
    Filesystem,
    HostFact,
    KubeletConfig,
    Service,
    StaticManifest,
)
from analyzer.parsers import config, etcd, host, manifest_json
from analyzer.registry import ParseContext
from fixtures.fakenode.build import make_cert
from fixtures.fakenode.model import CertSpec

SOURCES = ["host-date", "host-simple", "df", "systemd-show", "etcd", "etcd-alarms", "static-pod-manifest", "kubelet-config",
           "certificate", "config-file", "collector-manifest"]  # fmt: skip


def run(fn, path: str, data: str | bytes):
    ctx = ParseContext(path, data.encode() if isinstance(data, str) else data)
    return list(fn(ctx)), ctx.problems


def test_host_facts() -> None:
    recs, _ = run(host.parse_date, "host/date.txt", "utc=2023-10-03T16:30:00Z\nlocal=2023-10-04T01:30:00+0900\nepoch=1696350600\nzone=KST\n")
    assert {r.key: r.value for r in recs if isinstance(r, HostFact)}["clock.local"] == "2023-10-04T01:30:00+0900"
    recs, _ = run(host.parse_simple, "files/etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.2 LTS"\nID=ubuntu\n')
    assert HostFact(key="os.pretty_name", value="Ubuntu 22.04.2 LTS") in recs
    recs, _ = run(host.parse_simple, "files/proc/meminfo", "MemTotal:        8000000 kB\nMemAvailable:    5000000 kB\nCached: 1 kB\n")
    assert [r.key for r in recs] == ["mem.MemTotal", "mem.MemAvailable"]
    recs, _ = run(host.parse_simple, "host/uname.txt", "Linux cp01 5.15.0-76-generic #83-Ubuntu SMP x86_64 GNU/Linux\n")
    assert HostFact(key="kernel", value="5.15.0-76-generic") in recs and HostFact(key="arch", value="x86_64") in recs
    with pytest.raises(ParseError):
        run(host.parse_simple, "files/proc/uptime", "garbage")


def test_df_with_and_without_type() -> None:
    recs, _ = run(host.parse_df, "host/df.txt", "Filesystem     Type     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1      ext4       101430960 31873204  69557756      32% /\n")
    (fs,) = recs
    assert isinstance(fs, Filesystem) and (fs.mount, fs.used_pct, fs.fstype) == ("/", 32.0, "ext4")
    recs, _ = run(host.parse_df, "host/df-inodes.txt", "Filesystem      Inodes  IUsed   IFree IUse% Mounted on\n/dev/sda1      6451200 412031 6039169    7% /\n")
    assert recs[0].inodes_used_pct == 7.0


def test_df_h_with_units_and_a_device_name_on_a_line_of_its_own() -> None:
    """`df -h` (as pasted): sizes with 1024-power units turned into KiB, a long device name's row continued below it."""
    recs, problems = run(host.parse_df, "host/df.txt", "Filesystem                         Size  Used Avail Use% Mounted on\n"
                         "/dev/mapper/ubuntu--vg-ubuntu--lv\n                                    29G   28G  1.2G  96% /\n"
                         "shm                                 64M     0   64M   0% /dev/shm\n")  # fmt: skip
    assert problems == []
    assert [(r.filesystem, r.mount, r.size_kb, r.used_kb, r.avail_kb, r.used_pct) for r in recs] == [
        ("/dev/mapper/ubuntu--vg-ubuntu--lv", "/", 29 * 1024**2, 28 * 1024**2, round(1.2 * 1024**2), 96.0),
        ("shm", "/dev/shm", 64 * 1024, 0, 64 * 1024, 0.0)]  # fmt: skip
    recs, _ = run(host.parse_df, "host/df.txt", "Filesystem     Type   Size  Used Avail Use% Mounted on\n/dev/sda1      ext4   29G   28G  1.2G  96% /\n")
    assert [(r.fstype, r.size_kb) for r in recs] == [("ext4", 29 * 1024**2)]


def test_systemd_show() -> None:
    (svc,), _ = run(host.parse_show, "services/kubelet.show.txt", "Id=kubelet.service\nMainPID=25835\nNRestarts=3\nActiveState=active\nLoadState=loaded\n")
    assert isinstance(svc, Service) and (svc.unit, svc.main_pid, svc.restarts) == ("kubelet", 25835, 3)


def test_etcd_outputs() -> None:
    members = {"header": {"member_id": 1}, "members": [{"ID": int("3a57933972cb5131", 16), "name": "cp01", "peerURLs": ["https://10.0.0.21:2380"], "clientURLs": ["https://10.0.0.21:2379"]}]}
    recs, _ = run(etcd.parse, "etcd/member-list.json", json.dumps(members))
    assert recs == [EtcdMember(member_id="3a57933972cb5131", name="cp01", peer_urls=["https://10.0.0.21:2380"], client_urls=["https://10.0.0.21:2379"])]
    status = [{"Endpoint": "https://10.0.0.21:2379", "Status": {"header": {"member_id": 1}, "version": "3.5.0", "dbSize": 100, "leader": 1, "raftTerm": 7}}]
    (e,), _ = run(etcd.parse, "etcd/endpoint-status.json", json.dumps(status))
    assert isinstance(e, EtcdEndpoint) and (e.leader_id, e.member_id, e.db_size, e.raft_term) == ("1", "1", 100, 7)
    (a,), _ = run(etcd.parse_alarms, "etcd/alarm-list.txt", "memberID:" + str(int("3a57933972cb5131", 16)) + " alarm:NOSPACE\n")
    assert a == EtcdAlarm(member_id="3a57933972cb5131", alarm="NOSPACE")


@pytest.mark.parametrize(("raw", "want"), [(int("91bc3c398fb3c146", 16), "91bc3c398fb3c146"), (2**64 - 1, "f" * 16), (2**64, None), (-1, None), (1.5e19, None), (True, None)])
def test_etcd_ids_are_uint64(raw: object, want: str | None) -> None:
    # etcd prints its ids as uint64 JSON numbers, half of them above int64: the troubled site's leader was read as none
    status = [{"Endpoint": "https://10.0.0.22:2379", "Status": {"header": {"member_id": raw}, "dbSize": 100, "leader": raw}}]
    (e,), _ = run(etcd.parse, "etcd/endpoint-status.json", json.dumps(status))
    assert isinstance(e, EtcdEndpoint) and (e.leader_id, e.member_id) == (want, want)


def test_static_manifest_and_kubelet_config(corpus: Path) -> None:
    recs, _ = run(config.parse_manifest, "files/etc/kubernetes/manifests/kube-apiserver.yaml", (corpus / "manifests/kubespray-k8s1.25.5-kube-apiserver.yaml").read_text())
    m = next(r for r in recs if isinstance(r, StaticManifest))
    assert m.component == "kube-apiserver" and m.command and m.command[0] == "kube-apiserver" and m.host_network
    assert any(isinstance(r, FileContent) for r in recs)
    recs, _ = run(config.parse_manifest, "files/etc/kubernetes/manifests/bad.yaml", "kind: Pod\n  bad: [indent\n")
    assert next(r for r in recs if isinstance(r, StaticManifest)).error
    recs, _ = run(config.parse_kubelet_config, "files/var/lib/kubelet/config.yaml", (corpus / "manifests/kodekloud-k8s1.31-var-lib-kubelet-config-lab-modified-staticPodPath.yaml").read_text())
    k = next(r for r in recs if isinstance(r, KubeletConfig))
    assert k.static_pod_path == "/etc/just-to-mess-with-you" and k.cgroup_driver == "cgroupfs"
    recs, _ = run(config.parse_kubelet_config, "files/var/lib/kubelet/kubeadm-flags.env", 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"\n')
    assert next(r for r in recs if isinstance(r, KubeletConfig)).container_runtime_endpoint == "unix:///var/run/containerd/containerd.sock"


def test_certificates_in_files_and_kubeconfigs() -> None:
    pem, key = make_cert(CertSpec("x", "kube-apiserver", 1_600_000_000, 1_700_000_000, sans=["kubernetes", "10.0.0.21"]))
    recs, _ = run(config.parse_cert, "files/etc/kubernetes/ssl/apiserver.crt", pem + key)
    (c,) = recs
    assert isinstance(c, Certificate) and c.common_name == "kube-apiserver" and c.sans == ["kubernetes", "10.0.0.21"]
    assert c.not_after and c.not_after.timestamp() == 1_700_000_000
    kubeconfig = f"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: {base64.b64encode(pem).decode()}\n"
    recs, _ = run(config.parse_config_file, "files/etc/kubernetes/admin.conf", kubeconfig)
    assert [r.common_name for r in recs if isinstance(r, Certificate)] == ["kube-apiserver"]


def test_collector_manifest_records_and_newer_format() -> None:
    doc = {"format_version": 2, "node": "n1", "records": [{"kind": "command", "argv": ["crictl", "ps"], "exit_code": 124, "timed_out": True, "error": "timed out after 30s"}]}
    recs, problems = run(manifest_json.parse, "manifest.json", json.dumps(doc))
    assert recs == [CollectionRecord(kind="command", argv=["crictl", "ps"], exit_code=124, timed_out=True, error="timed out after 30s")]
    assert problems and "newer" in problems[0][1]
    with pytest.raises(ParseError):
        manifest_json.bundle_info(b"not json")


def test_the_manifest_says_what_redaction_withheld_and_with_which_awk() -> None:
    """redaction.withheld ([{path, reason}]) kept as pairs of texts; entries of another shape skipped, a hostile list cut to
    MAX_WITHHELD, its texts to 1,024 characters; redaction.engine and redaction.awk (the awk's version line) as text."""
    doc = {"format": "kubesnap-bundle", "records": [], "redaction": {"engine": "gawk", "awk": "GNU Awk 5.1.0, API: 3.0", "withheld": [
        {"path": "files/etc/kubernetes/x.db", "reason": "binary file (NUL bytes)"}, {"path": "a"}, "junk", {"reason": "no path"},
        {"path": ["list"], "reason": "x"}, {"path": "p" * 5000, "reason": "r"}]}}  # fmt: skip
    info = manifest_json.bundle_info(json.dumps(doc).encode())
    assert (info.redaction_engine, info.redaction_awk) == ("gawk", "GNU Awk 5.1.0, API: 3.0")
    assert info.withheld == [{"path": "files/etc/kubernetes/x.db", "reason": "binary file (NUL bytes)"}, {"path": "a", "reason": "no reason given"},
                             {"path": "p" * 1024, "reason": "r"}]  # fmt: skip
    many = {"records": [], "redaction": {"engine": {"x": 1}, "withheld": [{"path": str(i), "reason": "r"} for i in range(12_000)]}}
    info = manifest_json.bundle_info(json.dumps(many).encode())
    assert len(info.withheld) == manifest_json.MAX_WITHHELD and info.redaction_engine is None and info.redaction_awk is None


def test_one_odd_certificate_costs_its_odd_part_not_the_file() -> None:
    """A duplicated extension or a subject that is not UTF-8 raised out of the reader and lost every certificate of
    the file (a crafted one could hide one about to expire): each certificate is kept, with what could be read."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())

    def der(cn: str, exts: tuple[x509.ExtensionType, ...] = ()) -> bytes:
        b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])).public_key(key.public_key()).serial_number(7)
             .not_valid_before(datetime.datetime(2023, 1, 1)).not_valid_after(datetime.datetime(2033, 1, 1)))  # fmt: skip
        for e in exts:
            b = b.add_extension(e, critical=False)
        return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def pem(d: bytes) -> bytes:
        return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(d) + b"-----END CERTIFICATE-----\n"

    oid = x509.ObjectIdentifier
    dup = der("dupext", (x509.UnrecognizedExtension(oid("1.2.3.4"), b"\x05\x00"), x509.UnrecognizedExtension(oid("1.2.3.5"), b"\x05\x00")))
    dup = dup.replace(b"\x06\x03\x2a\x03\x05", b"\x06\x03\x2a\x03\x04")  # the second extension made the first's twin
    bad = der("BADNAME-UTF8").replace(b"BADNAME-UTF8", b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4")
    got = list(config.certificates(pem(der("good-1")) + pem(dup) + pem(bad) + pem(der("good-2")), "/var/lib/kubelet/pki/kubelet.crt"))
    assert [(c.index, c.common_name) for c in got] == [(0, "good-1"), (1, "dupext"), (2, None), (3, "good-2")]
    assert all(c.not_after and c.not_after.year == 2033 for c in got)
