"""The collector's redaction rules, run directly (the awk program the script itself runs)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from fixtures.fakenode.build import COLLECTOR
from tests.conftest import CORPUS, corpus_files

M = "KUBESNAP-REDACTED"


@pytest.fixture(scope="module")
def awk_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = COLLECTOR.read_text()
    body = re.search(r"^redact_awk\(\) \{\n  cat <<'AWK'\n(.*?)^AWK$", text, re.S | re.M)
    assert body, "redact_awk() not found in the collector"
    p = tmp_path_factory.mktemp("awk") / "redact.awk"
    p.write_text(body.group(1))
    return p


def redact(prog: Path, text: str, tmp: Path) -> tuple[str, dict[str, int]]:
    src = tmp / "in.txt"
    src.write_bytes(text.encode("utf-8", "surrogateescape"))
    cnt = tmp / "cnt.txt"
    cnt.unlink(missing_ok=True)
    out = subprocess.run(["awk", "-v", f"M={M}", "-v", f"CNT={cnt}", "-f", str(prog), str(src)], capture_output=True, check=True)
    counts = {}
    if cnt.exists():
        for line in cnt.read_text().splitlines():
            n, rule = line.split()
            counts[rule] = int(n)
    return out.stdout.decode("utf-8", "surrogateescape"), counts


REDACTED = [
    ("    client-key-data: LS0tLS1CRUdJTiBSU0Eg", "    client-key-data: " + M),
    ("    token: abc.def", "    token: " + M),
    ("- token: \"q7x2m9.abcdefghijklmnop\"", "- token: \"" + M + "\""),
    ('  password = "hunter2"', '  password = "' + M + '"'),
    ('{"auth": "dXNlcjpwYXNz"}', '{"auth": "' + M + '"}'),
    ("--token=abcdef", "--token=" + M),
    ("kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00", "kubeadm join 10.0.0.1:6443 --token " + M + " --discovery-token-ca-cert-hash sha256:00"),
    ("agent --password=s3cr3t --user=x", "agent --password=" + M + " --user=x"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123", "Authorization: " + M),
    ("E1114 http.go:12] failed: Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123", "E1114 http.go:12] failed: Authorization: Bearer " + M),
    ("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln y", "x " + M + " y"),
    ("postgres://shop:pw123@db:5432/x", "postgres" + M + "db:5432/x"),
    ("      secret: c2VjcmV0IGlzIHNlY3VyZQ==", "      secret: " + M),
    ("  tls.key: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=", "  tls.key: " + M),
    ('{"msg":"login","password":"pw"}', '{"msg":"login","password":"' + M + '"}'),
    ("join with nu8w2k.3b0xq7t2l9mzv4cd now", "join with " + M + " now"),
]

KEPT = [
    "E0515 reflector.go:201] Failed to list *api.Secret: the server has asked for the client to provide credentials",
    "Delegation of authentication and authorization to OpenShift is enabled for bearer tokens and client certificates.",
    "    - --enable-bootstrap-token-auth=true",
    "    - --authorization-mode=Node,RBAC",
    "    - --service-account-key-file=/etc/kubernetes/ssl/sa.pub",
    "    - --kubelet-client-key=/etc/kubernetes/ssl/apiserver-kubelet-client.key",
    "      secretName: calico-etcd-secrets",
    "  automountServiceAccountToken: false",
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=",
    "authorization:\n  mode: Webhook",
    "    secret:\n      secretName: foo",
    '          "PWD=/root",',
    'I1003 12:00:00.000000   1 event.go:291] "Event occurred" reason="SuccessfulCreate" message="Created pod: token-refresher-x"',
    "apiVersion: v1",
    "kind: Secret",
]


@pytest.mark.parametrize(("line", "expected"), REDACTED)
def test_redacts(awk_program: Path, tmp_path: Path, line: str, expected: str) -> None:
    out, counts = redact(awk_program, line + "\n", tmp_path)
    assert out == expected + "\n"
    assert sum(counts.values()) >= 1


@pytest.mark.parametrize("text", KEPT)
def test_keeps(awk_program: Path, tmp_path: Path, text: str) -> None:
    out, counts = redact(awk_program, text + "\n", tmp_path)
    assert out == text + "\n" and counts == {}


def test_pem_block_spanning_lines_is_removed_and_cert_kept(awk_program: Path, tmp_path: Path) -> None:
    text = (
        "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nAAAA\n-----END RSA PRIVATE KEY-----\ntrailer\n"
    )
    out, counts = redact(awk_program, text, tmp_path)
    assert out == "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n" + M + "\ntrailer\n"
    assert counts == {"private-key": 1}


def test_env_values_are_redacted_unless_harmless(awk_program: Path, tmp_path: Path) -> None:
    text = (
        '      "envs": [\n        {\n          "key": "DB_PASSWORD",\n          "value": "pw"\n        },\n'
        '        {\n          "key": "KUBERNETES_SERVICE_HOST",\n          "value": "10.96.0.1"\n        }\n      ],\n'
        '        "env": [\n          "PATH=/usr/bin",\n          "API_TOKEN=xyz",\n          "NGINX_VERSION=1.21"\n        ],\n'
    )
    out, counts = redact(awk_program, text, tmp_path)
    assert '"value": "' + M + '"' in out and '"value": "10.96.0.1"' in out
    assert '"API_TOKEN=' + M + '"' in out and '"PATH=/usr/bin"' in out and '"NGINX_VERSION=1.21"' in out
    assert counts == {"env-value": 2}


@pytest.mark.parametrize("path", corpus_files(""), ids=lambda p: str(p.relative_to(CORPUS)))
def test_real_captures_pass_unchanged_but_for_env_values(awk_program: Path, tmp_path: Path, path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    out, counts = redact(awk_program, text, tmp_path)
    assert set(counts) <= {"env-value"}, counts
    if not counts:
        assert out.rstrip("\n") == text.rstrip("\n")
