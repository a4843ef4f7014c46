"""Certificates: expired, not yet valid, or expiring, at the time the bundle was collected."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from analyzer.rules import Finding, RuleContext, rule
from analyzer.rules.join import SNAPS

# kubelet keeps its rotated certificates as kubelet-client-<date>.pem beside kubelet-client-current.pem
ROTATED = re.compile(r"/kubelet-(client|server)-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pem$")


def cert_role(path: str, cn: str | None) -> str:
    """What a certificate is for, from its path (kubeadm, kubespray, k3s/rke2 layouts)."""
    p = path.lower()
    for needle, role in (("front-proxy", "front-proxy"), ("/etcd/", "etcd"), ("etcd", "etcd"), ("apiserver-kubelet-client", "apiserver kubelet client"),
                         ("apiserver", "kube-apiserver"), ("kubelet-client", "kubelet client"), ("kubelet-server", "kubelet serving"),
                         ("kubelet.crt", "kubelet serving"), ("kubelet.conf", "kubelet kubeconfig"), ("admin.conf", "admin kubeconfig"),
                         ("controller-manager", "kube-controller-manager"), ("scheduler", "kube-scheduler"), ("ca.crt", "CA")):  # fmt: skip
        if needle in p:
            return role
    return cn or "certificate"


class CertRow(NamedTuple):
    node: str
    path: str
    fingerprint: str
    cn: str | None
    not_before: datetime
    not_after: datetime
    collected_at: datetime
    issuer: str | None


def _current(ctx: RuleContext) -> list[CertRow]:
    """Certificates to judge; rotated kubelet certificates only when they are the newest of their kind on their node."""
    rows = ctx.q(
        f"""SELECT s.node, c.path, c.fingerprint_sha256, c.common_name, c.not_before, c.not_after, coalesce(s.collected_at, s.ingested_at), c.issuer,
                   c.snapshot_id
            FROM v_certificates c JOIN v_snapshots s USING (snapshot_id) WHERE c.snapshot_id IN {SNAPS} AND c.not_after IS NOT NULL"""
    )
    newest: dict[tuple[str, str, str], datetime] = {}
    for r in rows:
        m = ROTATED.search(r[1])
        if m:
            k = (r[8], r[1][: m.start()], m.group(1))
            newest[k] = max(newest.get(k, r[5]), r[5])
    out = []
    for r in rows:
        m = ROTATED.search(r[1])
        if m and newest[(r[8], r[1][: m.start()], m.group(1))] > r[5]:
            continue
        out.append(CertRow(*r[:8]))
    return out


def _grouped(ctx: RuleContext) -> dict[str, list[CertRow]]:
    """The same certificate (by fingerprint) on several nodes is one finding."""
    by: dict[str, list[CertRow]] = defaultdict(list)
    for r in _current(ctx):
        by[r.fingerprint or f"{r.node}:{r.path}"].append(r)
    return by


def _where(rows: list[CertRow]) -> tuple[str | None, str, list[str]]:
    nodes = sorted({r.node for r in rows})
    paths = ", ".join(sorted({r.path for r in rows}))
    ev = [f"{r.node}: files{r.path}: CN={r.cn} notBefore={r.not_before:%Y-%m-%d %H:%M}Z notAfter={r.not_after:%Y-%m-%d %H:%M}Z issuer={r.issuer}"
          for r in sorted(rows)]  # fmt: skip
    return (nodes[0] if len(nodes) == 1 else None), paths, ev


@rule(
    "CERT_EXPIRED", "Certificate expired or not yet valid", "certificates", "fail",
    "A certificate in /etc/kubernetes, /var/lib/kubelet/pki, an etcd or k3s/rke2 TLS directory, or a kubeconfig was not valid when "
    "the bundle was collected: expired (the component using it cannot authenticate: kubelet NotReady, apiserver unable to reach "
    "etcd or kubelets) or not valid yet (a clock behind).",
    "kubeadm: `kubeadm certs check-expiration` and `kubeadm certs renew`, then restart the static pods; kubelet client: check "
    "rotateCertificates and the CSR approver; not yet valid: fix the node's clock.",
)  # fmt: skip
def cert_expired(ctx: RuleContext) -> Iterable[Finding]:
    for _fp, rows in sorted(_grouped(ctx).items()):
        node, paths, ev = _where(rows)
        path, cn, nb, na, at = rows[0].path, rows[0].cn, rows[0].not_before, rows[0].not_after, rows[0].collected_at
        role = cert_role(path, cn)
        if na < at:
            yield ctx.finding("CERT_EXPIRED", f"{role} certificate (CN={cn}) expired {na:%Y-%m-%d}, {(at - na).days} days before collection: {paths}",
                              node=node, obj=paths, evidence=ev)  # fmt: skip
        elif nb > at:
            yield ctx.finding("CERT_EXPIRED", f"{role} certificate (CN={cn}) is not valid until {nb:%Y-%m-%d %H:%M}Z, after collection (clock behind?): {paths}",
                              node=node, obj=paths, evidence=ev)  # fmt: skip


@rule(
    "CERT_EXPIRING", "Certificate expires soon", "certificates", "warn",
    "A certificate expires within --cert-warn-days (30) of collection: warn; within --cert-info-days (90): noted as info. kubeadm "
    "certificates last one year and are renewed by upgrades; clusters never upgraded hit the expiry all at once.",
    "Plan the renewal: `kubeadm certs renew all` on each control plane (then restart the static pods), kubespray's "
    "auto-renew, or k3s/rke2 restart (renews within 90 days).",
)  # fmt: skip
def cert_expiring(ctx: RuleContext) -> Iterable[Finding]:
    for _fp, rows in sorted(_grouped(ctx).items()):
        node, paths, ev = _where(rows)
        path, cn, nb, na, at = rows[0].path, rows[0].cn, rows[0].not_before, rows[0].not_after, rows[0].collected_at
        if na < at or nb > at:
            continue
        days = (na - at).total_seconds() / 86400
        if days < ctx.t.cert_warn_days:
            sev = "warn"
        elif days < ctx.t.cert_info_days:
            sev = "info"
        else:
            continue
        yield ctx.finding("CERT_EXPIRING", f"{cert_role(path, cn)} certificate (CN={cn}) expires {na:%Y-%m-%d}, {days:.0f} days after collection: {paths}",
                          node=node, obj=paths, severity=sev, evidence=ev)  # fmt: skip
