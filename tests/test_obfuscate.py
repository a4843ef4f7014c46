"""--obfuscate: the troubled site collected with one site key and the node list, as a customer would
(slow set), and the small node (fast set).

No original host name or IPv4 address is left anywhere in the bundles (contents, member names,
link targets); mapped back with the customer's mapping files, the analysis gives the same findings
and the same pod_processes rows as the original site.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from analyzer import api
from fixtures.build import OBFUSCATION_KEY

# the whole troubled site collected with --obfuscate (and ingested): the slow set, which CI runs; the fast
# set obfuscates the small node (test_small_node_obfuscated_leaks_no_name_or_address)
SITE = pytest.mark.slow

IPV4 = re.compile(rb"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.\d)")


@pytest.fixture(scope="session")
def mapping(obf_dir: Path) -> dict[str, tuple[str, str]]:
    """token -> (kind, original), from the mapping files the collector left next to each tarball."""
    out: dict[str, tuple[str, str]] = {}
    for f in sorted((obf_dir / "bundles").glob("*.obfuscation.tsv")):
        for line in f.read_text().splitlines():
            if line.startswith("#"):
                continue
            kind, orig, token = line.split("\t")
            assert out.get(token, (kind, orig)) == (kind, orig), f"token {token} stands for two values"
            out[token] = (kind, orig)
    return out


def originals() -> tuple[set[str], set[str]]:
    """Every node name, host name and address of the troubled site's model."""
    from fixtures.troubled_site import troubled_site

    site = troubled_site()
    names = {n.name for n in site.nodes} | {n.hostname for n in site.nodes}
    ips = {n.ip for n in site.nodes} | {p.ip for n in site.nodes for p in n.pods if p.ip}
    return names, ips


@SITE
def test_no_original_name_or_address_anywhere_in_the_bundles(obf_dir: Path, mapping: dict[str, tuple[str, str]]) -> None:
    names, ips = originals()
    ips |= {orig for kind, orig in mapping.values() if kind == "ip"}
    assert len(ips) > 30 and len(names) >= 7
    leaks: list[tuple[str, str]] = []
    tarballs = sorted((obf_dir / "bundles").glob("*.tar.gz"))
    assert len(tarballs) == 6
    for t in tarballs:
        assert not any(n in t.name for n in names)
        with tarfile.open(t) as tf:
            for m in tf:
                data = tf.extractfile(m).read() if m.isfile() else b""  # type: ignore[union-attr]
                blob = m.name.encode() + b"\n" + m.linkname.encode() + b"\n" + data
                low = blob.lower()
                leaks += [(m.name, n) for n in names if n.encode() in low]
                leaks += [(m.name, ip.decode()) for ip in set(IPV4.findall(blob)) if ip.decode() in ips]
                assert OBFUSCATION_KEY.encode() not in blob, m.name
    assert leaks == [], leaks[:10]


@SITE
def test_mapping_stays_beside_the_tarball_and_tokens_agree_across_nodes(obf_dir: Path, mapping: dict[str, tuple[str, str]]) -> None:
    maps = sorted((obf_dir / "bundles").glob("*.obfuscation.tsv"))
    assert len(maps) == 6 and all(m.stat().st_mode & 0o077 == 0 for m in maps), "mapping files are private"
    # one original, one token, whichever node saw it
    by_orig: dict[tuple[str, str], set[str]] = {}
    for token, (kind, orig) in mapping.items():
        by_orig.setdefault((kind, orig), set()).add(token)
    assert all(len(t) == 1 for t in by_orig.values())
    assert all(re.fullmatch(r"host-[0-9a-f]{8}", t) for t, (k, _o) in mapping.items() if k == "name")
    assert all(re.fullmatch(r"2(4\d|5[0-5])\.\d+\.\d+\.\d+", t) for t, (k, _o) in mapping.items() if k == "ip")
    report = _member(sorted((obf_dir / "bundles").glob("*.tar.gz"))[0], "redaction-report.txt").decode()
    assert "Host names and IPv4 addresses were replaced by tokens" in report and "NOT in this bundle" in report


def _member(tarball: Path, suffix: str) -> bytes:
    with tarfile.open(tarball) as tf:
        for m in tf:
            if m.name.endswith(suffix):
                return tf.extractfile(m).read()  # type: ignore[union-attr]
    raise KeyError(suffix)


def _back(mapping: dict[str, tuple[str, str]]):
    rx = re.compile("|".join(re.escape(t) for t in sorted(mapping, key=len, reverse=True)))

    def back(v: object) -> object:
        if isinstance(v, str):
            return rx.sub(lambda m: mapping[m.group(0)][1], v)
        if isinstance(v, (list, tuple)):
            return type(v)(back(x) for x in v)
        return v

    return back


def _bag(text: str, roots: list[str]) -> tuple[str, ...]:
    """A message or evidence line as a bag of words: lists in it are ordered by name, and names changed."""
    for r in roots:
        text = text.replace(r, "<build>")
    # a fake node's root where the site was built (a shared site is built once in the test cache, then copied)
    text = re.sub(r"[^\s:]*/nodes/[^/\s]+/root(?=/)", "<root>", text)
    return tuple(sorted(re.findall(r"[\w./:=<>-]+", text)))


@SITE
def test_same_findings_and_pod_processes_as_the_original(troubled_db: Path, troubled_dir: Path, obf_dir: Path, obf_db: Path,
                                                         mapping: dict[str, tuple[str, str]]) -> None:  # fmt: skip
    back = _back(mapping)
    orig_db = troubled_db.with_name("orig-checked.duckdb")
    orig_db.write_bytes(troubled_db.read_bytes())
    api.check(orig_db)
    roots = [str(troubled_dir), str(obf_dir)]
    q = "SELECT rule, severity, node, namespace, object, message, evidence_list FROM findings"

    def key(r: tuple[object, ...]) -> tuple[object, ...]:
        rule, sev, node, ns, obj, msg, ev = r
        return (rule, sev, node, ns, obj if obj is None else _bag(str(obj), roots), _bag(str(msg), roots),
                tuple(sorted(_bag(str(e), roots) for e in ev)))  # type: ignore[attr-defined]  # fmt: skip

    # The two sites were collected one after the other: a bundle's start time (and so the CLOCK_SKEW
    # seconds measured from it) moves by the time a collection took, a second or two on a busy machine.
    # Those seconds are compared within 5 s; everything else exactly.
    def timing(r: tuple[object, ...]) -> tuple[tuple[object, ...], list[int]]:
        k = key(r)
        if k[0] != "CLOCK_SKEW":
            return k, []
        msg, ev = str(k[5]), k[6]
        assert isinstance(ev, tuple)
        seconds = [int(n) for n in re.findall(r"\b\d+(?= s )", msg)]
        no_secs = tuple(re.sub(r"collected_at \S+", "collected_at (time)", str(e)) for e in ev)
        return (*k[:5], re.sub(r"\b\d+(?= s )", "N", msg), no_secs), seconds

    want_t = sorted((timing(r) for r in api.query(orig_db, q).rows), key=str)
    got_t = sorted((timing(back(r)) for r in api.query(obf_db, q).rows), key=str)
    want, got = Counter(k for k, _ in want_t), Counter(k for k, _ in got_t)
    assert sum(want.values()) > 60
    assert got == want, (list((got - want).elements())[:3], list((want - got).elements())[:3])
    for (_, w_secs), (_, g_secs) in zip(want_t, got_t, strict=True):
        assert len(w_secs) == len(g_secs) and all(abs(a - b) <= 5 for a, b in zip(w_secs, g_secs, strict=True)), (w_secs, g_secs)
    assert {r[0] for r in want} >= {"CERT_EXPIRED", "CERT_EXPIRING", "ETCD_UNHEALTHY", "VERSION_SKEW", "CLOCK_SKEW"}
    cols = 'node, namespace, pod, pod_uid, pod_id, container, container_id, image, container_state, attempt, shim_pid, pid, ppid, "user", command, log_dir, join_method'
    want_pp = sorted(map(str, api.query(orig_db, f"SELECT {cols} FROM pod_processes").rows))
    got_pp = sorted(str(back(r)) for r in api.query(obf_db, f"SELECT {cols} FROM pod_processes").rows)
    assert len(want_pp) > 100 and got_pp == want_pp


@SITE
def test_the_analyzer_will_not_read_a_mapping_file(obf_dir: Path, tmp_path: Path) -> None:
    rep = api.ingest_inputs(tmp_path / "m.duckdb", [obf_dir / "bundles"], site="m")
    skipped = [m for _w, m, r in rep.problems if "obfuscation mapping" in r]
    assert len(skipped) == 6
    names, _ips = originals()
    dump = str(api.query(tmp_path / "m.duckdb", "SELECT * FROM config_files").rows) + str(api.query(tmp_path / "m.duckdb", "SELECT * FROM log_lines LIMIT 100000").rows)
    assert not any(n in dump for n in names)


def test_certificate_summary_reads_as_the_certificate(tmp_path: Path) -> None:
    """The collector's openssl summary of a certificate parses to what the certificate itself parses to."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from analyzer.parsers.config import certificate_summaries, certificates

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key()).serial_number(0x1A2B3C)
            .not_valid_before(dt.datetime(2023, 10, 1, 6, tzinfo=dt.UTC)).not_valid_after(dt.datetime(2024, 9, 30, 6, tzinfo=dt.UTC))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("kubernetes"), x509.IPAddress(ipaddress.ip_address("10.0.0.21"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))  # fmt: skip
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "c.pem").write_bytes(pem)
    out = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "c.pem"), "-noout", "-nameopt", "RFC2253", "-subject", "-issuer", "-serial",
                          "-startdate", "-enddate", "-fingerprint", "-sha256", "-ext", "subjectAltName,basicConstraints"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    text = "kubesnap-certificate-summary 1\n" + "".join("  " + ln + "\n" for ln in out.splitlines()) + "kubesnap-certificate-summary end\n"
    (summary,) = certificate_summaries(text, "/etc/kubernetes/pki/apiserver.crt")
    (real,) = certificates(pem, "/etc/kubernetes/pki/apiserver.crt")
    assert summary.model_dump() == real.model_dump()


def test_obfuscation_options_need_obfuscate(tmp_path: Path) -> None:
    from fixtures.fakenode.build import COLLECTOR

    p = subprocess.run(["bash", str(COLLECTOR), "--obfuscate-key", str(tmp_path / "k"), "--output", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode != 0 and "--obfuscate-key and --obfuscate-names need --obfuscate" in p.stderr


def test_small_node_obfuscated_leaks_no_name_or_address(tmp_path: Path) -> None:
    """The small fake node collected with --obfuscate and a key: no name or address of the node or its pods
    in any member (contents, names, link targets), the mapping file beside the tarball, the key nowhere."""
    from fixtures.fakenode.build import build_node, run_collector
    from fixtures.small_node import small_site

    site = small_site()
    node = site.nodes[0]
    root, bin_dir = build_node(site, node, tmp_path / "node")
    (tmp_path / "site.key").write_text(OBFUSCATION_KEY + "\n")
    proc = run_collector(root, bin_dir, tmp_path / "out", "--obfuscate", "--obfuscate-key", str(tmp_path / "site.key"))
    tarball = Path(proc.stdout.strip().splitlines()[-1])
    names = {node.name, node.hostname}
    ips = {node.ip} | {p.ip for p in node.pods if p.ip}
    assert not any(n in tarball.name for n in names)
    seen = leaks = 0
    with tarfile.open(tarball) as tf:
        for m in tf:
            data = tf.extractfile(m).read() if m.isfile() else b""  # type: ignore[union-attr]
            blob = m.name.encode() + b"\n" + m.linkname.encode() + b"\n" + data
            seen += len(data)
            leaks += sum(n.encode() in blob.lower() for n in names) + sum(ip.decode() in ips for ip in set(IPV4.findall(blob)))
            assert OBFUSCATION_KEY.encode() not in blob, m.name
    assert seen > 10_000 and leaks == 0
    mapping = (tmp_path / "out").glob("*.obfuscation.tsv")
    rows = [line.split("\t") for f in mapping for line in f.read_text().splitlines() if not line.startswith("#")]
    assert {orig for _k, orig, _t in rows} >= names | ips
