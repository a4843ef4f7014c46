"""Node configuration: static pod manifests, kubelet configuration, kubeconfigs, runtime and
CNI configs, certificates (files, and those inlined in kubeconfigs). YAML through
PyYAML's safe_load, X.509 through `cryptography`."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from analyzer.errors import ParseError, SkipSource
from analyzer.models import Certificate, FileContent, KubeletConfig, Record, StaticManifest
from analyzer.parsers import yaml_docs
from analyzer.registry import ParseContext, source

MAX_TEXT = 1 << 20
# Linear in the input (no regex here may backtrack on a stranger's file): the body's class holds no '-', so
# the greedy run stops where only END can follow; no two adjacent parts can take the same characters.
PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")


def node_path(member: str) -> str:
    """files/etc/kubernetes/x -> /etc/kubernetes/x"""
    return "/" + member.removeprefix("files/") if member.startswith("files/") else member


def file_content(ctx: ParseContext) -> FileContent:
    text = ctx.text if len(ctx.data) <= MAX_TEXT and b"\x00" not in ctx.data[:8192] else None
    return FileContent(path=node_path(ctx.path), size=len(ctx.data), content=text, sha256=hashlib.sha256(ctx.data).hexdigest())


def _sniff_manifest(head: str) -> int:
    if "hostNetwork" in head and re.search(r"^kind:[ \t]*Pod[ \t]*$", head, re.M) and re.search(r"^[ \t]*(?:- )?image:", head, re.M) and "hostNetwork" in head:
        return 75
    return 0


@source("static-pod-manifest", sniff=_sniff_manifest)
def parse_manifest(ctx: ParseContext) -> Iterable[Record]:
    """static pod manifests (/etc/kubernetes/manifests)"""
    yield file_content(ctx)
    try:
        docs = yaml_docs(ctx.text)
    except ParseError as e:
        yield StaticManifest(path=node_path(ctx.path), content=ctx.text, error=str(e))
        return
    pod = next((d for d in docs if isinstance(d, dict) and d.get("kind") == "Pod"), None)
    if pod is None:
        yield StaticManifest(path=node_path(ctx.path), content=ctx.text, error="no Pod object in the file")
        return
    md = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    main = containers[0] if containers else {}
    cmd = [str(x) for x in (main.get("command") or []) + (main.get("args") or [])]
    labels = md.get("labels") or {}
    yield StaticManifest(
        path=node_path(ctx.path),
        pod_name=md.get("name"),
        namespace=md.get("namespace") or "default",
        component=labels.get("component") or labels.get("k8s-app") or md.get("name"),
        containers=[str(c.get("name")) for c in containers],
        images=[str(c.get("image")) for c in containers if c.get("image")],
        command=cmd,
        host_network=bool(spec.get("hostNetwork")),
        content=ctx.text,
    )


@source("kubelet-config", sniff=lambda h: 80 if "KubeletConfiguration" in h and re.search(r"^kind:\s*KubeletConfiguration", h, re.M) else 0)  # fmt: skip
def parse_kubelet_config(ctx: ParseContext) -> Iterable[Record]:
    """kubelet configuration file (KubeletConfiguration) or flags file (kubeadm-flags.env, kubelet.env)"""
    yield file_content(ctx)
    if ctx.path.endswith((".env", "/kubelet")):
        flags = dict(re.findall(r"--([a-z0-9-]+)=([^\s\"']+)", ctx.text))
        yield KubeletConfig(
            path=node_path(ctx.path),
            container_runtime_endpoint=flags.get("container-runtime-endpoint"),
            cgroup_driver=flags.get("cgroup-driver"),
            static_pod_path=flags.get("pod-manifest-path"),
            raw={"flags": flags},
        )
        return
    docs = yaml_docs(ctx.text)
    cfg = next((d for d in docs if isinstance(d, dict) and d.get("kind") == "KubeletConfiguration"), None)
    if cfg is None:
        raise ParseError("no KubeletConfiguration in the file")
    ev = cfg.get("evictionHard")
    yield KubeletConfig(
        path=node_path(ctx.path),
        static_pod_path=cfg.get("staticPodPath"),
        cgroup_driver=cfg.get("cgroupDriver"),
        container_runtime_endpoint=cfg.get("containerRuntimeEndpoint") or None,
        max_pods=cfg.get("maxPods") if isinstance(cfg.get("maxPods"), int) else None,
        eviction_hard={str(k): str(v) for k, v in ev.items()} if isinstance(ev, dict) else None,
        raw=cfg,
    )


def certificates(data: bytes, path: str) -> Iterator[Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtensionOID, NameOID

    for i, m in enumerate(PEM_CERT.finditer(data)):
        try:
            cert = x509.load_pem_x509_certificate(m.group(0))
        except ValueError:
            continue
        # one odd part (a duplicated extension, a name that is not UTF-8) costs that part, not the certificate: its
        # dates are what the rules read, and a crafted entry must not hide a certificate about to expire
        bad = (ValueError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)
        try:
            cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            common_name: str | None = str(cn[0].value) if cn else None
            subject: str | None = cert.subject.rfc4514_string()
        except bad:
            common_name = subject = None
        try:
            issuer: str | None = cert.issuer.rfc4514_string()
        except bad:
            issuer = None
        sans: list[str] = []
        try:
            ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
            sans = [str(v) for v in ext.get_values_for_type(x509.DNSName)] + [str(v) for v in ext.get_values_for_type(x509.IPAddress)]  # type: ignore[attr-defined]
        except (x509.ExtensionNotFound, *bad):
            pass
        is_ca = None
        try:
            is_ca = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca  # type: ignore[attr-defined]
        except x509.ExtensionNotFound:
            is_ca = subject is not None and subject == issuer
        except bad:
            is_ca = None
        yield Certificate(
            path=path,
            index=i,
            subject=subject,
            issuer=issuer,
            common_name=common_name,
            serial=f"{cert.serial_number:x}",
            not_before=cert.not_valid_before_utc.astimezone(UTC),
            not_after=cert.not_valid_after_utc.astimezone(UTC),
            sans=sans,
            is_ca=is_ca,
            fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        )


SUMMARY_MARK = "kubesnap-certificate-summary "


def _summary_blocks(text: str) -> Iterator[list[str]]:
    """The lines between each `kubesnap-certificate-summary <what>` line and the next `... end` line (either
    may be commented out with '#'); read line by line, so that openers without an end cost one pass."""
    block: list[str] | None = None
    for ln in text.splitlines():
        bare = ln.lstrip("# \t")
        if bare.startswith(SUMMARY_MARK):
            if bare[len(SUMMARY_MARK) :].startswith("end"):
                if block is not None:
                    yield block
                block = None
                continue
            if block is None:
                block = []
                continue
        if block is not None:
            block.append(ln)


def certificate_summaries(text: str, path: str) -> Iterator[Certificate]:
    """Certificates of an obfuscated bundle: `openssl x509 -noout -subject -issuer -serial -startdate -enddate
    -fingerprint -sha256 -ext subjectAltName,basicConstraints` text, which the collector writes in their place
    (names and addresses in it already replaced by tokens)."""
    for i, block in enumerate(_summary_blocks(text)):
        lines = [ln.strip().lstrip("#").strip() for ln in block]
        kv: dict[str, str] = {}
        sans: list[str] = []
        is_ca = None
        for j, ln in enumerate(lines):
            k, sep, v = ln.partition("=")
            if sep and k.strip() in ("subject", "issuer", "serial", "notBefore", "notAfter"):
                kv[k.strip()] = v.strip()
            elif ln.lower().startswith("sha256 fingerprint="):
                kv["fp"] = ln.split("=", 1)[1].replace(":", "").lower()
            elif ln.startswith("X509v3 Subject Alternative Name") and j + 1 < len(lines):
                sans = [x.split(":", 1)[1].strip() for x in lines[j + 1].split(",") if ":" in x]
            elif ln.startswith("X509v3 Basic Constraints") and j + 1 < len(lines):
                is_ca = "CA:TRUE" in lines[j + 1]
        nb, na = _openssl_time(kv.get("notBefore")), _openssl_time(kv.get("notAfter"))
        if na is None:
            continue
        subject, issuer = kv.get("subject", "").lstrip("/ "), kv.get("issuer", "").lstrip("/ ")
        if is_ca is None:
            is_ca = subject == issuer
        cn = re.search(r"CN\s*=\s*([^,/]+)", subject)
        yield Certificate(path=path, index=i, subject=subject, issuer=issuer, common_name=cn.group(1).strip() if cn else None,
                          serial=kv.get("serial", "").lower() or None, not_before=nb, not_after=na, sans=sans, is_ca=is_ca,
                          fingerprint_sha256=kv.get("fp"))  # fmt: skip


def _openssl_time(v: str | None) -> datetime | None:
    """openssl's `Oct  1 06:00:00 2023 GMT`."""
    if not v:
        return None
    try:
        return datetime.strptime(" ".join(v.split()), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
    except ValueError:
        return None


def _sniff_cert(head: str) -> int:
    return 70 if "-----BEGIN CERTIFICATE-----" in head else 0


@source("certificate", sniff=_sniff_cert)
def parse_cert(ctx: ParseContext) -> Iterable[Record]:
    """X.509 certificates in PEM files (or their text summaries, in obfuscated bundles)"""
    n = 0
    for c in certificates(ctx.data, node_path(ctx.path)):
        n += 1
        yield c
    if n == 0 and b"kubesnap-certificate-summary" in ctx.data:
        for c in certificate_summaries(ctx.text, node_path(ctx.path)):
            n += 1
            yield c
    if n == 0:
        if b"-----BEGIN CERTIFICATE" in ctx.data:
            raise ParseError("a PEM certificate block that does not decode")
        raise SkipSource("no certificate in the file")


def _kubeconfig_certs(ctx: ParseContext) -> Iterator[Certificate]:
    for m in re.finditer(r"(?:client-certificate-data|certificate-authority-data):\s*([A-Za-z0-9+/=]{40,})", ctx.text):
        try:
            pem = base64.b64decode(m.group(1), validate=False)
        except ValueError:
            continue
        yield from certificates(pem, node_path(ctx.path))


@source("config-file")
def parse_config_file(ctx: ParseContext) -> Iterable[Record]:
    """other configuration files: text kept for reading and diffs; kubeconfig certificates"""
    fc = file_content(ctx)
    yield fc
    if fc.content and "apiVersion" in fc.content and ("kind: Config" in fc.content or '"kind": "Config"' in fc.content):
        found = list(_kubeconfig_certs(ctx)) or list(certificate_summaries(ctx.text, node_path(ctx.path)))
        for i, c in enumerate(found):
            yield c.model_copy(update={"index": i})
