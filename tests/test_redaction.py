"""The collector's redaction rules, run as the collector runs them (its own shell functions, sourced),
with each of mawk, gawk, busybox awk and the one true awk (original-awk) first on PATH.

Every declared rule (redaction_rules in the script) has cases here; look-alike lines stay byte for
byte; docs/redaction.md carries the same rule list.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.fakenode.build import COLLECTOR, PROJECT
from tests.conftest import corpus_params

M = "KUBESNAP-REDACTED"
AWKS = ("mawk", "gawk", "busybox", "original-awk")
# mawk (Debian, Ubuntu) and busybox awk (the least alike) in the fast set; gawk and the one true awk in the slow set
AWK_PARAMS = [pytest.param(a, marks=pytest.mark.slow) if a in ("gawk", "original-awk") else a for a in AWKS]
REQUIRE = os.environ.get("KUBESNAP_REQUIRE_AWKS") == "1"


def awk_dir(kind: str, base: Path) -> Path:
    """A folder whose `awk` is the implementation asked for: what the collector finds first on PATH."""
    d = base / f"awk-{kind}"
    d.mkdir(exist_ok=True)
    exe = shutil.which(kind)
    if exe is None:
        if REQUIRE:
            raise AssertionError(f"{kind} is not installed (make tools installs it)")
        pytest.skip(f"{kind} not installed")
    awk = d / "awk"
    if not awk.exists():
        if kind == "busybox":
            awk.write_text('#!/bin/sh\nexec busybox awk "$@"\n')
            awk.chmod(0o755)
        else:
            awk.symlink_to(exe)
    return d


HARNESS = r"""
source "$1"
STAGE=$(mktemp -d "$2/stage.XXXXXX")
REDACT_BOUND=${3:-60}
redact_setup
for f in "$2"/in/*; do redact_file "$f" "${f##*/}" || true; done
BUNDLE="$2/in"
redact_known
cp -- "$REDLINES" "$2/redlines.tsv"
cp -- "$WITHHELD" "$2/withheld.tsv"
printf '%s' "$REDACT_ENGINE" >"$2/engine"
rm -rf -- "$STAGE"
"""


@dataclass
class Result:
    out: bytes | None  # None: withheld
    rules: list[tuple[int, str]]  # (line, rule) of every change


def run_cases(kind: str, work: Path, inputs: dict[str, bytes]) -> dict[str, Result]:
    d = awk_dir(kind, work)
    run = work / f"run-{kind}"
    shutil.rmtree(run, ignore_errors=True)
    (run / "in").mkdir(parents=True)
    for name, data in inputs.items():
        (run / "in" / name).write_bytes(data)
    env = {**os.environ, "PATH": f"{d}:{os.environ['PATH']}", "LC_ALL": "C"}
    subprocess.run(["bash", "-c", HARNESS, "harness", str(COLLECTOR), str(run)], env=env, check=True, timeout=600)
    # the awk under test passed the engine's self-test: no other awk stood in for it
    assert (run / "engine").read_text() == "awk", f"{kind} failed the self-test; the engine ran with {(run / 'engine').read_text()}"
    rules: dict[str, list[tuple[int, str]]] = {}
    for line in (run / "redlines.tsv").read_text().splitlines():
        name, nr, rule = line.split("\t")
        rules.setdefault(name, []).append((int(nr), rule))
    out = {}
    for name in inputs:
        p = run / "in" / name
        out[name] = Result(p.read_bytes() if p.exists() else None, rules.get(name, []))
    return out


# ------------------------------------------------------------------ cases

B64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
KEYPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeybody\nAAAAsecondline\n-----END RSA PRIVATE KEY-----\n"
CERTPEM = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIGcert\n-----END CERTIFICATE-----\n"
WRAPPED = base64.b64encode(("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + "x" * 300 + "WrappedValue" + "y" * 200 + "\n-----END RSA PRIVATE KEY-----\n").encode()).decode()


@dataclass
class Case:
    rule: str
    text: str
    secrets: tuple[str, ...]  # none of these may remain
    expected: str | None = None  # the exact output, where it matters


CASES: list[Case] = [
    # private-key
    Case("private-key", CERTPEM + KEYPEM + "trailer\n", ("secretkeybody", "secondline"), CERTPEM + M + "\ntrailer\n"),
    # openssl's text dump of a private key (pkey, rsa, ec, dh -text): the private numbers' hex lines, not the public ones
    Case("private-key", "Private-Key: (512 bit, 2 primes)\nmodulus:\n    00:c4:12:34\npublicExponent: 65537 (0x10001)\nprivateExponent:\n    11:22:33:44:\n    aa:bb\n"
         "prime1:\n    00:f1:f2\nprime2:\n    00:e1:e2\nexponent1:\n    0d:0e\nexponent2:\n    0c:0b\ncoefficient:\n    0a:09\n"
         "2023-11-14T22:06:10.000000001Z stdout F ED25519 Private-Key:\n2023-11-14T22:06:10.000000002Z stdout F priv:\n2023-11-14T22:06:10.000000003Z stdout F     d1:d2:d3:d4:\n"
         "2023-11-14T22:06:10.000000004Z stdout F pub:\n2023-11-14T22:06:10.000000005Z stdout F     51:52:53\n    private-key:\n        6f:6e:6d\n    public-key:\n        01:02:03\nthe end\n    a1:a2\n",
         ("11:22:33:44", "aa:bb", "f1:f2", "e1:e2", "0d:0e", "0c:0b", "0a:09", "d1:d2", "6f:6e"),
         "Private-Key: KUBESNAP-REDACTED\nmodulus:\n    00:c4:12:34\npublicExponent: 65537 (0x10001)\nprivateExponent:\n    KUBESNAP-REDACTED\n    KUBESNAP-REDACTED\n"
         "prime1:\n    KUBESNAP-REDACTED\nprime2:\n    KUBESNAP-REDACTED\nexponent1:\n    KUBESNAP-REDACTED\nexponent2:\n    KUBESNAP-REDACTED\ncoefficient:\n    KUBESNAP-REDACTED\n"
         "2023-11-14T22:06:10.000000001Z stdout F ED25519 Private-Key:\n2023-11-14T22:06:10.000000002Z stdout F priv:\n2023-11-14T22:06:10.000000003Z stdout F     KUBESNAP-REDACTED\n"
         "2023-11-14T22:06:10.000000004Z stdout F pub:\n2023-11-14T22:06:10.000000005Z stdout F     51:52:53\n    private-key:\n        KUBESNAP-REDACTED\n    public-key:\n        01:02:03\nthe end\n    a1:a2\n"),
    Case("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEsshkeyA\n-----END OPENSSH PRIVATE KEY-----\n", ("sshkeyA",)),
    Case("private-key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIecA\n-----END EC PRIVATE KEY-----\n", ("MHcCAQEEIecA",)),
    Case("private-key", "-----BEGIN DSA PRIVATE KEY-----\nMIIBdsaA\n-----END DSA PRIVATE KEY-----\n", ("MIIBdsaA",)),
    Case("private-key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFencA\n-----END ENCRYPTED PRIVATE KEY-----\n", ("MIIFencA",)),
    Case("private-key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBpgpA\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n", ("lQOYBpgpA",)),
    Case("private-key", 'loaded key "-----BEGIN RSA PRIVATE KEY-----\\nMIIEinline\\n-----END RSA PRIVATE KEY-----" ok\n', ("MIIEinline",),
         f'loaded key "{M}" ok\n'),
    Case("secret-field", '{"type": "service_account", "private_key_id": "abc", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvgcpA\\n-----END PRIVATE KEY-----\\n"}\n',
         ("MIIEvgcpA",)),
    # base64-private-key
    Case("base64-private-key", "  tls.key: " + B64(KEYPEM) + "\n", ("secretkeybody",)),
    Case("base64-private-key", "    client-certificate-data: " + B64(CERTPEM + KEYPEM) + "\n", ()),
    # secret-field
    Case("secret-field", "    token: abc.def\n", ("abc.def",), f"    token: {M}\n"),
    Case("secret-field", '  password = "hunter2"\n', ("hunter2",), f'  password = "{M}"\n'),
    Case("secret-field", '{"auth": "dXNlcjpwYXNz"}\n', ("dXNlcjpwYXNz",), f'{{"auth": "{M}"}}\n'),
    Case("secret-field", '{"msg":"login","password":"pw"}\n', (), f'{{"msg":"login","password":"{M}"}}\n'),
    Case("secret-field", "url password=Xy7&rest;x=1 done\n", ("Xy7", "rest"), f"url password={M} done\n"),
    Case("secret-field", '{"password": "Ab\\"rest", "x": 1}\n', ("Ab", "rest"), f'{{"password": "{M}", "x": 1}}\n'),
    Case("secret-field", '{"log":"{\\"password\\":\\"Esc\\\\\\"aped\\"}"}\n', ("Esc", "aped")),
    Case("secret-field", "certificateKey: 0f1e2d3c4b5a\n", ("0f1e2d3c4b5a",)),
    Case("secret-field", "keys: [{name: k1, secret: FlowSecret1}]\n", ("FlowSecret1",), f"keys: [{{name: k1, secret: {M}}}]\n"),
    Case("secret-field", "      secret: c2VjcmV0IGlzIHNlY3VyZQ==\n", ("c2VjcmV0IGlzIHNlY3VyZQ",)),
    Case("secret-field", "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = wJalrXUtnFEMIexample\naws_session_token = FQoGZXIvYXdzEexample\n",
         ("wJalrXUtnFEMIexample", "FQoGZXIvYXdzEexample")),
    Case("secret-field", '{\n  "cloud": "AzurePublicCloud",\n  "aadClientId": "id",\n  "aadClientSecret": "AzSecretValue1"\n}\n', ("AzSecretValue1",)),
    Case("secret-field", "[Global]\nusername = admin\npassword = CloudConfPw1\napplication-credential-secret=AppCredSecret1\n", ("CloudConfPw1", "AppCredSecret1")),
    Case("secret-field", '{"auths": {"reg.example.com": {"auth": "dXNlcjpyZWdwYXNz", "identitytoken": "IdTok1"}}}\n', ("dXNlcjpyZWdwYXNz", "IdTok1")),
    Case("secret-field", "users:\n- name: admin\n  user:\n    client-key-data: UExBTlRFRDAz\n    token: kubeconfigtoken1\n    password: kcpw1\n",
         ("UExBTlRFRDAz", "kubeconfigtoken1", "kcpw1")),
    Case("secret-field", '[plugins."io.containerd.grpc.v1.cri".registry.configs."r.io".auth]\n  username = "ci"\n  password = "RegPw1"\n  auth = "RegAuth1"\n  identitytoken = "RegIdt1"\n',
         ("RegPw1", "RegAuth1", "RegIdt1")),
    Case("secret-field", "oidc:\n  client-secret: OidcSecret1\n  clientSecret: OidcSecret2\n", ("OidcSecret1", "OidcSecret2")),
    Case("secret-field", "a\x00b password=AfterNul1\n", ("AfterNul1",)),
    Case("secret-field", "Cookie: session=abcdef0123456789\n", ("abcdef0123456789",)),
    # secret-flag
    Case("secret-flag", "--token=abcdef\n", ("abcdef",), f"--token={M}\n"),
    Case("secret-flag", "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00\n",
         ("0123456789abcdef",), f"kubeadm join 10.0.0.1:6443 --token {M} --discovery-token-ca-cert-hash sha256:00\n"),
    Case("secret-flag", "agent --password=s3cr3t --user=x\n", ("s3cr3t",), f"agent --password={M} --user=x\n"),
    Case("secret-flag", "app --api-key K1aa --secret-key K2bb --requirepass K3cc --masterauth K4dd\n", ("K1aa", "K2bb", "K3cc", "K4dd")),
    Case("secret-flag", "backup --s3-secret S3Secret1\n", ("S3Secret1",)),
    Case("secret-flag", "ldap --passwd PassWd1\n", ("PassWd1",)),
    Case("secret-flag", "kube-apiserver --oidc-client-secret=OidcFlag1\n", ("OidcFlag1",)),
    Case("secret-flag", "kubeadm init phase upload-certs --certificate-key 9f8e7d6c5b4a\n", ("9f8e7d6c5b4a",)),
    Case("secret-flag", '      "args": [\n        "--password",\n        "JsonNextLine1",\n        "--x"\n      ]\n', ("JsonNextLine1",)),
    Case("secret-flag", '"args": ["--token", "JsonSameLine1"]\n', ("JsonSameLine1",)),
    # secret-block
    Case("secret-block", "agent-token: |\n  BlockTok1\n  BlockTok2\nnext: 1\n", ("BlockTok1", "BlockTok2"), f"agent-token: |\n  {M}\n  {M}\nnext: 1\n"),
    Case("secret-block", "config:\n  password: >-\n    FoldedPw1\n  user: x\n", ("FoldedPw1",)),
    # authorization-header
    Case("authorization-header", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123\n", ("abcdefghijklmnopqrstuvwxyz0123",), f"Authorization: Bearer {M}\n"),
    Case("authorization-header", "E1114 http.go:12] failed: Authorization: Basic dXNlcjpwYXNzMQ== retry\n", ("dXNlcjpwYXNzMQ",)),
    Case("registry-header", '[plugins."io.containerd.grpc.v1.cri".registry.headers]\n  Authorization = ["Basic dXNlcjpoZHJwdw=="]\n', ("dXNlcjpoZHJwdw",)),
    Case("authorization-header", "curl -s -H 'Authorization: Basic Y3VybDpwdw==' https://x\n", ("Y3VybDpwdw",)),
    # bearer-token, basic-credentials
    Case("bearer-token", "sending bearer Zx9abcdefghijklmnop12 to api\n", ("Zx9abcdefghijklmnop12",)),
    Case("basic-credentials", "proxy header Basic dXNlcjpwcm94eQ== set\n", ("dXNlcjpwcm94eQ",)),
    # jwt
    Case("jwt", "x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl y\n", ("eyJzdWIiOiIxIn0",), f"x {M} y\n"),
    # bootstrap-token
    Case("bootstrap-token", "join with nu8w2k.3b0xq7t2l9mzv4cd now\n", ("3b0xq7t2l9mzv4cd",), f"join with {M} now\n"),
    Case("bootstrap-token", "kubeadm join 10.0.0.1:6443 with abcdef.0123456789abcdef\n", ("0123456789abcdef",)),
    Case("bootstrap-token", "joined using 9a08jv.c0izixklcxtmnze7 at boot\n", ("c0izixklcxtmnze7",)),
    # url-credentials
    Case("url-credentials", "postgres://shop:pw123@db:5432/x\n", ("pw123",), f"postgres://shop:{M}@db:5432/x\n"),
    Case("url-credentials", "redis://:RedisUrl1@host:6379\n", ("RedisUrl1",), f"redis://:{M}@host:6379\n"),
    Case("url-credentials", "mongodb://user:p@ssRaw1@host/db\n", ("ssRaw1", "p@ss"), f"mongodb://user:{M}@host/db\n"),
    Case("url-credentials", "git clone https://ghp_0123456789abcdefghij@github.com/x\n", ("ghp_0123456789abcdefghij",)),
    # env-value
    Case("env-value", '      "envs": [\n        {\n          "key": "DB_PASSWORD",\n          "value": "EnvObj1"\n        },\n        {\n          "key": "KUBERNETES_SERVICE_HOST",\n          "value": "10.96.0.1"\n        }\n      ],\n',
         ("EnvObj1",)),
    Case("env-value", '        "env": [\n          "PATH=/usr/bin",\n          "API_TOKEN=EnvArr1",\n          "CONN=EnvArr2",\n          "NGINX_VERSION=1.21"\n        ],\n',
         ("EnvArr1", "EnvArr2")),
    Case("env-value", "    env:\n    - name: DB_PASSWORD\n      value: YamlEnv1\n    - name: GOMAXPROCS\n      value: \"2\"\n    image: x\n", ("YamlEnv1",),
         f"    env:\n    - name: DB_PASSWORD\n      value: {M}\n    - name: GOMAXPROCS\n      value: \"2\"\n    image: x\n"),
    Case("env-value", "  - name: ROOT_PASSWORD\n    value: LooseEnv1\n", ("LooseEnv1",)),
    Case("env-value", '{"name":"DB_PASSWORD","value":"InlineEnv1"}\n', ("InlineEnv1",)),
    Case("env-value", '"last-applied": "{\\"env\\":[{\\"name\\":\\"SMTP_PASS\\",\\"value\\":\\"EscEnv1\\"}]}"\n', ("EscEnv1",)),
    # secret-manifest-data
    Case("secret-manifest-data", "apiVersion: v1\ndata:\n  app.conf: " + B64("x=PLAIN") + "\n  other: Zm9vYmFy\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\n",
         (B64("x=PLAIN"), "Zm9vYmFy")),
    Case("secret-manifest-data", "kind: Secret\nstringData:\n  config.yaml: |\n    url: x\n    apitoken: StrData1\n  plain: StrData2\n", ("StrData1", "StrData2")),
    Case("secret-manifest-data", "kind: Secret\ndata:\n  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENCKy\n    d3SUpBS0hISUdjZXJ0Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\n    WrappedSecondLine1\n",
         ("WrappedSecondLine1", "d3SUpBS0hISUdjZXJ0")),
    Case("secret-manifest-data", '{"apiVersion":"v1","data":{".dockerconfigjson":"eyJhdXRocyI6e319OneLine1"},"kind":"Secret"}\n', ("OneLine1",)),
    Case("secret-manifest-data", '{\n  "kind": "Secret",\n  "data": {\n    "username": "dXNlcg==",\n    "key": "SnNvbkRhdGEx"\n  }\n}\n', ("SnNvbkRhdGEx", "dXNlcg==")),
    # registry-header
    Case("registry-header", '[host."https://registry.example.com".header]\n  X-Custom-Thing = ["HostsTomlHdr1"]\n  PRIVATE-TOKEN = "GitlabTok1"\n[host."https://b"]\n  capabilities = ["pull"]\n',
         ("HostsTomlHdr1", "GitlabTok1")),
    # tool-password
    Case("tool-password", "mysql -uroot -pS3cretMy db\n", ("S3cretMy",), f"mysql -uroot -p{M} db\n"),
    Case("secret-flag", "mysqldump -u root --password MyDump1 db\n", ("MyDump1",)),
    Case("tool-password", "mysql -h db -u app -p MyNext1 shop\n", ("MyNext1",)),
    Case("secret-block", "password:\n  PlainNextLine1\nuser: x\n", ("PlainNextLine1",)),
    Case("tool-password", "curl -u admin:CurlPw1 https://x\n", ("CurlPw1",), f"curl -u admin:{M} https://x\n"),
    Case("tool-password", "redis-cli -a RedisPw1 -h x\n", ("RedisPw1",), f"redis-cli -a {M} -h x\n"),
    Case("tool-password", "sshpass -p SshPw1 ssh x\n", ("SshPw1",), f"sshpass -p {M} ssh x\n"),
    Case("tool-password", '        "args": [\n          "redis-cli",\n          "-a",\n          "RedisJson1",\n          "ping"\n        ]\n', ("RedisJson1",)),
    Case("tool-password", "htpasswd -b /etc/nginx/.htpasswd admin HtPw12345\n", ("HtPw12345",), f"htpasswd -b /etc/nginx/.htpasswd admin {M}\n"),
    # the round-6 red team (a fake node, 178 planted secrets): Vault's --secret-id, k3s's shell-quoted unit flags,
    # a harmless variable's value holding a -D...password=, a URL's password cut by a CRI partial record
    Case("secret-flag", "/vault-kms-plugin --addr https://v:8200 --secret-id SecretIdVal1 --role-id abc\n    - --secret-id=SecretIdVal2\n",
         ("SecretIdVal1", "SecretIdVal2"), f"/vault-kms-plugin --addr https://v:8200 --secret-id {M} --role-id abc\n    - --secret-id={M}\n"),
    Case("secret-flag", "    command:\n    - /vault-kms-plugin\n    - --secret-id\n    - SecretIdVal3\n", ("SecretIdVal3",)),
    Case("secret-flag", "ExecStart=/usr/local/bin/k3s \\\n    agent \\\n        '--token' \\\n        'QuotedTok1' \\\n        '--server' 'https://x:6443'\n"
         "ExecStart=/usr/local/bin/k3s agent '--token' 'QuotedTok2'\n", ("QuotedTok1", "QuotedTok2"),
         f"ExecStart=/usr/local/bin/k3s \\\n    agent \\\n        '--token' \\\n        '{M}' \\\n        '--server' 'https://x:6443'\n"
         f"ExecStart=/usr/local/bin/k3s agent '--token' '{M}'\n"),
    Case("secret-field", '{"envs": [\n  "JAVA_OPTS=-Xmx512m -Djavax.net.ssl.trustStorePassword=JavaOptsPw1 -Dfile.encoding=UTF-8"\n]}\n'
         "        env:\n        - name: JAVA_OPTS\n          value: \"-Xmx256m -Dspring.datasource.password=JavaOptsPw2\"\n", ("JavaOptsPw1", "JavaOptsPw2"),
         '{"envs": [\n  "JAVA_OPTS=-Xmx512m -Djavax.net.ssl.trustStorePassword=' + M + ' -Dfile.encoding=UTF-8"\n]}\n'
         "        env:\n        - name: JAVA_OPTS\n          value: \"-Xmx256m -Dspring.datasource.password=" + M + "\"\n"),
    Case("url-credentials", "2024-03-01T12:00:00.000000000Z stdout P connecting to amqp://worker:SplitPwHalf\n"
         "2024-03-01T12:00:00.000000000Z stdout F Second8737dc@rabbitmq.svc:5672/vhost ok\n", ("SplitPwHalf", "Second8737dc")),
    Case("secret-field", "      config:\n        token-key: '{.credential.access_token}'\n        access-token: ya29.RealTokenValue12345\npassword: 0x1234abcd\n",
         ("ya29.RealTokenValue12345", "0x1234abcd")),
    # shell history: the word echoed or printed into a file named for a secret, into kubectl create secret's stdin, and
    # SQL's PASSWORD('X')
    Case("secret-field", "echo 'EchoedPw123' > /etc/rancher/k3s/db-pass\necho -n EchoedTok456 | sudo tee /var/lib/rancher/k3s/server/token\n"
         "printf '%s' 'PrintedPw789' | kubectl create secret generic db --from-file=password=/dev/stdin\n"
         "mysql -uroot -e \"SET PASSWORD FOR 'app'@'%' = PASSWORD('SqlFuncPw12')\"\n", ("EchoedPw123", "EchoedTok456", "PrintedPw789", "SqlFuncPw12"),
         f"echo '{M}' > /etc/rancher/k3s/db-pass\necho -n {M} | sudo tee /var/lib/rancher/k3s/server/token\n"
         f"printf '%s' '{M}' | kubectl create secret generic db --from-file=password=/dev/stdin\n"
         f"mysql -uroot -e \"SET PASSWORD FOR 'app'@'%' = PASSWORD('{M}')\"\n"),
    # arguments one a line: a YAML command list, describe's Command: and Args:, a command continued with a backslash
    Case("tool-password", "        command:\n        - redis-cli\n        - -a\n        - YamlRedis1\n        - ping\n", ("YamlRedis1",),
         f"        command:\n        - redis-cli\n        - -a\n        - {M}\n        - ping\n"),
    Case("tool-password", "        command:\n        - docker\n        - login\n        - -u\n        - ci\n        - -p\n        - YamlLogin1\n", ("YamlLogin1",)),
    Case("tool-password", "    Command:\n      mysql\n      -uroot\n      -pDescribeMy1\n      shop\n    State:  Running\n", ("DescribeMy1",),
         f"    Command:\n      mysql\n      -uroot\n      -p{M}\n      shop\n    State:  Running\n"),
    Case("secret-flag", "    Args:\n      --db-host=db\n      --db-password\n      DescribeArg1\n    State:  Running\n", ("DescribeArg1",),
         f"    Args:\n      --db-host=db\n      --db-password\n      {M}\n    State:  Running\n"),
    Case("tool-password", "mysql -h db.prod.svc \\\n  -u root \\\n  -pContinued1 shop\n", ("Continued1",), f"mysql -h db.prod.svc \\\n  -u root \\\n  -p{M} shop\n"),
    Case("tool-password", "sshpass -p \\\n  'Continued2' ssh ops@h uptime\n", ("Continued2",), f"sshpass -p \\\n  '{M}' ssh ops@h uptime\n"),
    Case("tool-password", "curl -sS \\\n  -u admin:Continued3 \\\n  https://nexus.example.com/x\n", ("Continued3",)),
    Case("tool-password", "docker login reg.example.com \\\n  -u ci \\\n  -p Continued4\n", ("Continued4",)),
    Case("tool-password", "htpasswd -b -c /etc/nginx/.htpasswd \\\n    admin Continued5\nhtpasswd -nb \\\n  bob \\\n  Continued6\n", ("Continued5", "Continued6"),
         f"htpasswd -b -c /etc/nginx/.htpasswd \\\n    admin {M}\nhtpasswd -nb \\\n  bob \\\n  {M}\n"),
    Case("secret-field", "openssl pkcs12 -export -passout pass:OsslPw1 -in c.pem\n", ("OsslPw1",)),
    Case("secret-field", "ETCDCTL_USER=root:EtcdUserPw1\n", ("EtcdUserPw1",), f"ETCDCTL_USER=root:{M}\n"),
    Case("secret-field", "consul agent -encrypt=GossipKey1= -data-dir=/x\n", ("GossipKey1",)),
    Case("secret-flag", "chronyd --ntp-key SHA256:HEX:0db0cef9 -f x\n", ("0db0cef9",)),
    Case("secret-field", "PullImage with auth config &AuthConfig{Username:ci,Password:GoDump1,Auth:,Server:x}\n", ("GoDump1",)),
    Case("secret-field", "GET /v1/metrics X-Api-Key: MidLineKey1 200\n", ("MidLineKey1",)),
    Case("secret-field", '2023-11-14T22:08:40.000000000Z stdout P {"msg":"x","password":"PartA\n2023-11-14T22:08:40.000000000Z stdout F PartB1","user":"app"}\n',
         ("PartA", "PartB1")),
    Case("secret-field", '    "headers": {\n      "X-Registry-Auth": [\n        "eyJ1c2VybmFtZSI6ICJjaSJ9Multi1"\n      ]\n    }\n', ("Multi1",)),
    Case("tool-password", "lftp -u backup,LftpPw1 sftp://x\n", ("LftpPw1",)),
    Case("tool-password", "smbclient //srv/share -U admin%SmbPw1\n", ("SmbPw1",)),
    Case("tool-password", "ldapsearch -x -D cn=admin -w LdapPw1 -b dc=x\n", ("LdapPw1",)),
    Case("tool-password", "docker login -u ci -p DockerPw1 reg.example.com\n", ("DockerPw1",)),
    Case("tool-password", "vault login hvs.VaultTok12345\n", ("VaultTok12345",)),
    Case("vendor-token", "posting with xoxb-123456789012-abcdefABCDEF1234\n", ("abcdefABCDEF1234",)),
    Case("vendor-token", "clone with ghp_0123456789abcdefABCDEF0123456789abcd ok\n", ("0123456789abcdefABCDEF",)),
    # base64-encoded-secret
    Case("base64-encoded-secret", "config: " + B64("db password=B64Hidden1 end") + "\n", (B64("db password=B64Hidden1 end"),)),
    Case("base64-encoded-secret", "blob " + B64(B64("the token is B64Twice1")) + " end\n", (B64(B64("the token is B64Twice1")),)),
    # base64-gzip-blob
    Case("base64-gzip-blob", "release: H4sIAAAAAAAA/6pWKkktLlGyUlAqS8wpTVWqBQQAAP//gzipblob1==\n", ("gzipblob1",)),
    # second red-team round (2026-12-07): kinds and placements the first rules missed
    Case("secret-field", "SECRET_KEY_BASE=SkbValue123\nDB_PASSWORD_2=Pw2Value123\nPASSWORD1=Pw1Value123\n", ("SkbValue123", "Pw2Value123", "Pw1Value123")),
    Case("secret-field", "csi:\n  userKey: AQBuserKeyValue0==\n  adminKey: AQBadminKeyValue0==\nhmac_key: HmacValue123\nprimaryKey: PrimaryValue123\n",
         ("userKeyValue0", "adminKeyValue0", "HmacValue123", "PrimaryValue123")),
    Case("secret-field", "[client.admin]\n\tkey = AQBkeyringValue0Z9xQ==\n", ("keyringValue0Z9x",)),
    Case("secret-field", "password: $RandomDollarValue9\n", ("RandomDollarValue9",), f"password: {M}\n"),
    Case("secret-field", "db.password = OpenWordA SesameWordB\n", ("OpenWordA", "SesameWordB"), f"db.password = {M}\n"),
    Case("secret-field", 'password = """TripleValue1"""\nsecret = \'\'\'TripleValue2\'\'\'\ntoken = """\nTripleValue3\n"""\nx = 1\n',
         ("TripleValue1", "TripleValue2", "TripleValue3")),
    Case("secret-field", '{\n  "password":\n    "NextLineValue1",\n  "x": 1\n}\n', ("NextLineValue1",)),
    Case("secret-field", "<soap><wsse:Password>XmlValue123</wsse:Password><password>XmlValue456</password></soap>\n", ("XmlValue123", "XmlValue456")),
    Case("secret-field", "ALTER ROLE app WITH PASSWORD 'SqlValue123';\n{\"password\"=>\"RubyValue123\"}\n", ("SqlValue123", "RubyValue123")),
    Case("secret-field", "Cookie: lang=en; JSESSIONID=CookieValue123; theme=dark\n", ("CookieValue123",)),
    Case("secret-field", "[INFO] Bootstrap Password: BootValue123\nuser=admin Password: KlogValue123 more\n", ("BootValue123", "KlogValue123")),
    Case("secret-field", "requirepass RedisConfValue1\nmasterauth RedisConfValue2\nmachine h login ci password NetrcValue123\n",
         ("RedisConfValue1", "RedisConfValue2", "NetrcValue123")),
    Case("secret-field", "GET /c?sv=2020&sig=SasSigValue123%3D&se=1\nnext=x&access_token%3DUrlEncValue123\n", ("SasSigValue123", "UrlEncValue123")),
    Case("secret-field", "Please use the following password to proceed to installation:\n\nJenkinsValue123\n", ("JenkinsValue123",)),
    Case("secret-field", "2023-11-14T22:11:40.000000000Z stdout F   token: CriYamlValue1\n", ("CriYamlValue1",)),
    Case("secret-field", '2023-11-14T22:11:40.000000000Z stdout P {"a":"b","passw\n2023-11-14T22:11:40.000000000Z stdout F ord":"SplitValue123"}\n',
         ("SplitValue123",)),
    Case("secret-field", '2023-11-14T22:11:40.000000000Z stdout P {"a":"b","pas\n2023-11-14T22:11:40.000000000Z stdout F sword":"SplitValue456"}\n',
         ("SplitValue456",)),
    Case("secret-field", "ENV SECRET_KEY_BASE=DockerfileValue1\naws configure set aws_secret_access_key AwsCliValue123\n", ("DockerfileValue1", "AwsCliValue123")),
    # third red-team round (2026-12-07)
    Case("secret-field", "2024-01-01T00:00:00.000000000Z Please use the following password to proceed to installation:\n"
         "2024-01-01T00:00:00.000000000Z \n2024-01-01T00:00:00.000000000Z TsJenkinsValue123\n", ("TsJenkinsValue123",)),
    Case("secret-field", '2024-01-01T00:00:00.000000000Z stdout F {"password":\n2024-01-01T00:00:00.000000000Z stdout F     "CriNextValue1"}\n',
         ("CriNextValue1",)),
    Case("secret-field", "password: 'it''s QuoteValue1'\n+ export 'DB_PASSWORD=ab'\\''ShellValue1'\n", ("QuoteValue1", "ShellValue1")),
    Case("secret-flag", "+ pg-backup --password 'correct horse FlagQuoteValue1'\n", ("FlagQuoteValue1", "horse")),
    Case("secret-field", 'level=info args="--host db password=open LogfmtValue1" done\n', ("LogfmtValue1",)),
    Case("secret-field", "auth=&{Username:ci Password:[87 76 48 51 99] Auth:}\n", ("76 48 51",)),
    # Go's %#v quotes strings (escaped quotes inside), and a map prints its keys as they are
    Case("secret-field", 'cfg=main.DBConfig{Host:"db", Password:"GoQuotedValue1", Port:5432}\n',
         ("GoQuotedValue1",), 'cfg=main.DBConfig{Host:"db", Password:"KUBESNAP-REDACTED", Port:5432}\n'),
    Case("secret-field", 'auth={Username:ci,Password:"Go\\"EscapedValue1",Auth:}\n', ("EscapedValue1",)),
    Case("secret-field", "level=debug cfg=map[host:db password:GoMapValue1 port:5432]\n", ("GoMapValue1",),
         "level=debug cfg=map[host:db password:KUBESNAP-REDACTED port:5432]\n"),
    # Elasticsearch's first start (ECK), MySQL's CREATE USER with an authentication plugin
    Case("password-prose", "The generated password for the elastic built-in superuser is : EsGenValue1*x\n", ("EsGenValue1*x",)),
    Case("tool-password", "Query\tCREATE USER 'shop'@'%' IDENTIFIED WITH caching_sha2_password BY 'SqlPluginValue1';\n", ("SqlPluginValue1",),
         "Query\tCREATE USER 'shop'@'%' IDENTIFIED WITH caching_sha2_password BY 'KUBESNAP-REDACTED';\n"),
    Case("tool-password", "redis-cli -h redis AUTH RedisAuthValue1\nredis-cli -p 6379 auth default RedisAclValue1 | head\n",
         ("RedisAuthValue1", "RedisAclValue1"), "redis-cli -h redis AUTH KUBESNAP-REDACTED\nredis-cli -p 6379 auth KUBESNAP-REDACTED | head\n"),
    Case("secret-field", "listen stats\n  stats auth admin:HaproxyValue1\n[OUTPUT]\n    Cloud_Auth elastic:FluentValue1\n",
         ("HaproxyValue1", "FluentValue1"), "listen stats\n  stats auth admin:KUBESNAP-REDACTED\n[OUTPUT]\n    Cloud_Auth elastic:KUBESNAP-REDACTED\n"),
    # BGP peers' passwords (FRR, as MetalLB's FRR mode and frr-reload print them)
    Case("secret-field", "router bgp 64512\n neighbor 10.0.0.1 password BgpPeerValue1\n  neighbor peer-a password \"BgpQuoted1\"\n",
         ("BgpPeerValue1", "BgpQuoted1"), 'router bgp 64512\n neighbor 10.0.0.1 password KUBESNAP-REDACTED\n  neighbor peer-a password "KUBESNAP-REDACTED"\n'),
    Case("secret-field", "Vault unsealed. Initial Root Token: hvs.RootTokenValue12345\nUnseal Key 1: UnsealValue1234567\n",
         ("RootTokenValue12345", "UnsealValue1234567")),
    Case("secret-field", "routing_key: 0123456789abcdef0123456789abcdef\ndbPwd: CamelPwdValue1\nSMTPPASS=CapsPassValue1\n",
         ("0123456789abcdef0123456789abcdef", "CamelPwdValue1", "CapsPassValue1")),
    Case("secret-block", "auth:\n  passwords:\n    - ListPwValue1\n  dbPasswords:\n    shop: MapPwValue1\nother: 1\n", ("ListPwValue1", "MapPwValue1")),
    Case("env-value", '{"name":"KUBERNETES_AUTH_TOKEN","value":"KubeEnvValue1"}\n', ("KubeEnvValue1",)),
    Case("vendor-token", "dckr_pat_abcdefghijklmnopqrstuv hvs.CAESIabcdefghijklmnopqrstu sk_test_abcdefghijklmnopqrstuv\n", ("abcdefghijklmnopqrstu",)),
    Case("tool-password", "ipmitool -I lanplus -U admin -P IpmiValue123 chassis status\naz login -u ops -p AzValue12345\n"
         "cqlsh db -u admin -p CqlValue12345\nrabbitmqadmin -u admin -p RabbitAdmValue1 list\nvalkey-cli -a ValkeyValue123 ping\n"
         "7z a -pSevenZValue123 a.7z x\nunrar x -pUnrarValue123 a.rar\n", ("IpmiValue123", "AzValue12345", "CqlValue12345", "RabbitAdmValue1",
                                                                         "ValkeyValue123", "SevenZValue123", "UnrarValue123")),
    Case("tool-password", "etcdctl --endpoints=https://e:2379 user add root:EtcdAddValue1\nvault operator unseal VaultUnsealValue1\n"
         "dsn: app:DsnValue123@tcp(mysql:3306)/shop\n", ("EtcdAddValue1", "VaultUnsealValue1", "DsnValue123")),
    Case("secret-flag", "influx -username admin -password InfluxValue123 -execute 'SHOW DATABASES'\n", ("InfluxValue123",)),
    Case("url-credentials", "postgres://report:Ab/SlashValue1@db:5432/r\n", ("SlashValue1",)),
    Case("vendor-token", "https://outlook.office.com/webhook/a/IncomingWebhook/TeamsValue123/b\nhttps://api.telegram.org/bot123456:TelegramValue123/send\n",
         ("TeamsValue123", "TelegramValue123")),
    Case("secret-field", "[upload-certs] Using certificate key:\n0f3e2a1b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f\n", ("0f3e2a1b4c5d6e7f",)),
    Case("secret-field", "bindPW: DexBindValue1\nolcRootPW: LdapRootValue1\n", ("DexBindValue1", "LdapRootValue1")),
    Case("secret-field", '{\\u0022Password\\u0022:\\u0022DotnetValue1\\u0022}\n{&quot;password&quot;:&quot;HtmlValue123&quot;}\n', ("DotnetValue1", "HtmlValue123")),
    Case("secret-flag", "echo DockerStdinValue1 | docker login --username ci --password-stdin reg.example.com\n", ("DockerStdinValue1",)),
    Case("secret-field", "iscsiadm -m node -o update -n node.session.auth.password -v IscsiValue123\n"
         'E1114 kubelet: failed: key "node.session.auth.password" and value "IscsiKubeValue1" invalid\n', ("IscsiValue123", "IscsiKubeValue1")),
    Case("url-credentials", "redirect=https%3A%2F%2Fadmin%3AEncValue123%40db.example.com%2Fx\n", ("EncValue123",)),
    # (red-team round 10) a colour code between a name and its = (logrus forced to colour); short words for password
    # (pswd, psw, passcode in camelCase); a value that is an object holding it (Spring's /actuator/env)
    Case("secret-field", "2024-03-01T10:00:00.123456789Z stdout F \x1b[36mDB_PASSWORD\x1b[0m=Zq9ansi8Key\n", ("Zq9ansi8Key",)),
    Case("secret-field", "SMTP_PSWD=Zq9pswd8Ab\n{\"user\":\"admin\",\"psw\":\"Zq9psw31Ab\"}\n{\"adminPassCode\":\"Zq9pcd2Xw\"}\n",
         ("Zq9pswd8Ab", "Zq9psw31Ab", "Zq9pcd2Xw")),
    Case("secret-field", '{"properties":{"spring.datasource.password":{"value":"Zq9birch31Hill","origin":"application.yml - 5:17"}}}\n',
         ("Zq9birch31Hill",), '{"properties":{"spring.datasource.password":{"value":"' + M + '","origin":"application.yml - 5:17"}}}\n'),
    # (round 10) a password word of another language as a name: its value (prose keeps reading sentences)
    Case("password-prose", 'DB_PASSWORT=Zq9passwort5\ndb_senha=Zq9senha7Bd\n{"用户":"admin","密码":"Zq9cnKey7x"}\n'
         '{"utilisateur":"admin","motDePasse":"Zq9mdp44Fr"}\n{"пользователь":"admin","пароль":"Zq9ruKey4x"}\nDas Passwort: Zq9prose1x fuer admin\n',
         ("Zq9passwort5", "Zq9senha7Bd", "Zq9cnKey7x", "Zq9mdp44Fr", "Zq9ruKey4x", "Zq9prose1x")),
    # (round 10) logfmt: a secret name as a value, its value in the value= after it
    Case("secret-field", 'level=debug msg="env" name=DB_PASSWORD val=Zq9nv41Lf\nlevel=debug key=db.password value="Zq9kv2 x" src=env\n',
         ("Zq9nv41Lf", "Zq9kv2"), f'level=debug msg="env" name=DB_PASSWORD val={M}\nlevel=debug key=db.password value="{M}" src=env\n'),
    # (probe 5, s139) a URL in a query parameter of a logged URL: encoded twice
    Case("url-credentials", "GET /redirect?u=https%253A%252F%252Fadmin%253APizza27bliz%2540db.example.com%252Fx HTTP/1.1\n", ("Pizza27bliz",)),
    Case("url-credentials", '{"dsn":"mysql:\\/\\/root:EscValue123@db\\/app"}\n', ("EscValue123",)),
    Case("url-credentials", '{"url":"postgres://app:ab\\u0026AmpValue123@db/app"}\nredis://:pa#HashValue123@redis:6379\n', ("AmpValue123", "HashValue123")),
    Case("tool-password", "jdbc:oracle:thin:app/OracleValue1@db:1521/ORCL\nsqlplus -s app/OracleValue2@ORCL @q.sql\n", ("OracleValue1", "OracleValue2")),
    # (red-team probe 5) any tool's -u USER -p X and -U USER -P X, sqlplus with no @db
    Case("tool-password", 'EXPORTER_OPTS="--web.listen-address=:9104 -u exporter -p Fjord7724monday"\nracadm -r 10.0.0.50 -u root -p Glacier3483tiger serveraction powercycle\nisql -U sa -P Quiet4417river -S db1\nsqlplus sys/Dusk9921phoenix as sysdba\n', ("Fjord7724monday", "Glacier3483tiger", "Quiet4417river", "Dusk9921phoenix")),
    # XML's name and value (Java properties XML, .NET appSettings, Spring beans), Windows unattend's <Value>
    Case("secret-field", '<entry key="db.password">Orange3106penguin</entry>\n<add key="DbPassword" value="Amber5521lotus" />\n<property name="password" value=\'Coral2231meadow\'/>\n<Password><Value>Hazel7314iris</Value><PlainText>true</PlainText></Password>\n', ("Orange3106penguin", "Amber5521lotus", "Coral2231meadow", "Hazel7314iris")),
    Case("url-credentials", "SMTP_LOGIN=alerts@example.com:H@rb0r218\n", ("H@rb0r218", "rb0r218")),
    # (red-team round 7) a value cut at a P record goes on in the next record of its own stream, not in a record of the
    # other stream between; a scheme word cut (Bear|er X); the record after a JSON-escaped key keeps its prefix
    Case("secret-field", '2023-11-14T22:06:11.000000001Z stdout P {"msg":"db config","password":"Zq7first\n2023-11-14T22:06:11.000000002Z stderr F W1114 deprecated flag\n2023-11-14T22:06:11.000000003Z stdout F SecondHalfWord","user":"orders"}\n',
         ("Zq7first", "SecondHalfWord"), '2023-11-14T22:06:11.000000001Z stdout P {"msg":"db config","password":"KUBESNAP-REDACTED\n2023-11-14T22:06:11.000000002Z stderr F W1114 deprecated flag\n2023-11-14T22:06:11.000000003Z stdout F KUBESNAP-REDACTED","user":"orders"}\n'),
    Case("authorization-header", "2023-11-14T22:06:12.000000001Z stdout P GET /v1 Authorization: Bear\n2023-11-14T22:06:12.000000002Z stdout F er OrdersBearerTokenWords 200\n", ("OrdersBearerTokenWords",),
         "2023-11-14T22:06:12.000000001Z stdout P GET /v1 Authorization: KUBESNAP-REDACTED\n2023-11-14T22:06:12.000000002Z stdout F KUBESNAP-REDACTED 200\n"),
    Case("secret-field", '2023-11-14T22:06:10.123456015Z stdout P {"msg":"using credentials","sa":{"type":"service_account","project_id":"shop-prod","private_key_id":"0a1b2c","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEowIBAAKCAQEAFJors/6ILi8IHn5kxsC7tVO/HbkQfyy/KV5zjR3j1twdTKWT\\nddB+XhkAS1voQG6yyzyNZq7EscSplit09zHYIa4UOrGNATMuDJawTgsu8PO+799n\\nKSNrh9UCauSDmLhuVtcqZq7EscSplit1cYezdZ/tDDj8hYs5suKcNd8Zra9A9sKP\\nxZ9W3qLy7zKUVQDT7S8sZq7EscSplit2TQCBNR3YbDgbleph1QHt61QTC4XATWS8\\nPHp9NHfYjFM5DI4pZj59Zq7EscSplit3fhZ5R1Py4oJe2JbmPTuSgR7cMy+UcU3z\\nr1ZtoLuCr64CxqlIOdNKZq7EscSplit4hiFXiQ2hzT/pLjHX2JiCLhKcIhP6B\n2023-11-14T22:06:10.123456016Z stdout F r1i\\nQFeOUhGXZnnal5WisCgEZq7EscSplit5BCY8f5N3/ynbdrZRzsGQBJg3UHKwkflF\\n6XUi5AhuqpfEnbtXAqwKZq7EscSplit68jZfALhLSzFyCmmdKTxp/TkSF2RCdKDF\\nRuNw5GCf+hA6ILI8gJheZq7EscSplit7ad6/wJ9kFZJSqgmRB9H+iMb+lk777PZn\\nK8Cl6J5ixaaJLShuQjOuZq7EscSplit8d/+yDUA+5zmS1swoPqApryPZBlgvIyxJ\\nu2jGjNGkTfi3oYv2DzaKZq7EscSplit9G05Rk+GQV81rkmghzem9yPVUJa/c5q52\\n-----END PRIVATE KEY-----\\n","client_email":"orders@shop-prod.iam.gserviceaccount.com"}}\n' + "2023-11-14T22:06:10.123456017Z stdout P cut\n2023-11-14T22:06:10.123456018Z stderr F -----BEGIN RSA PRIVATE KEY-----\n",
         ("MIIEowIBAAKCAQEAFJors", "QFeOUhGXZnnal5WisCgE", "Zq7EscSplit9"),
         '2023-11-14T22:06:10.123456015Z stdout P {"msg":"using credentials","sa":{"type":"service_account","project_id":"shop-prod","private_key_id":"KUBESNAP-REDACTED","private_key":"KUBESNAP-REDACTED\n'
         '2023-11-14T22:06:10.123456016Z stdout F KUBESNAP-REDACTED\\n","client_email":"orders@shop-prod.iam.gserviceaccount.com"}}\n'
         "2023-11-14T22:06:10.123456017Z stdout P cut\n2023-11-14T22:06:10.123456018Z stderr F KUBESNAP-REDACTED\n"),
    # a docker json-file record cut at 16 KiB: the value goes on in the next record, and each record stays JSON
    Case("secret-field", '{"log":"{\\"msg\\":\\"cfg\\",\\"password\\":\\"Zq7-Meadow-","stream":"stdout","time":"2023-11-14T22:07:01.000000001Z"}\n{"log":"Lantern-Velvet-2024\\",\\"x\\":1}\\n","stream":"stdout","time":"2023-11-14T22:07:01.000000002Z"}\n{"log":"starting ledger --api-key ","stream":"stdout","time":"2023-11-14T22:07:02.000000001Z"}\n{"log":"LedgerApiKeyWords --v 2\\n","stream":"stdout","time":"2023-11-14T22:07:02.000000002Z"}\n', ("Meadow", "Lantern-Velvet-2024", "LedgerApiKeyWords"),
         '{"log":"{\\"msg\\":\\"cfg\\",\\"password\\":\\"KUBESNAP-REDACTED","stream":"stdout","time":"2023-11-14T22:07:01.000000001Z"}\n'
         '{"log":"KUBESNAP-REDACTED\\",\\"x\\":1}\\n","stream":"stdout","time":"2023-11-14T22:07:01.000000002Z"}\n'
         '{"log":"starting ledger --api-key ","stream":"stdout","time":"2023-11-14T22:07:02.000000001Z"}\n'
         '{"log":"KUBESNAP-REDACTED --v 2\\n","stream":"stdout","time":"2023-11-14T22:07:02.000000002Z"}\n'),
    Case("secret-field", 'Environment="HTTP_PROXY=http://proxy.corp:3128" "REGISTRY_PASSWORD=Zq7a two words"\n', ("two words",),
         'Environment="HTTP_PROXY=http://proxy.corp:3128" "REGISTRY_PASSWORD=KUBESNAP-REDACTED"\n'),
    # (red-team round 8) a token word mid-line after prose: its value, the same with every awk (mawk cut the key instead:
    # a helper's match() changed its caller's RLENGTH)
    Case("secret-field", "x token: Zq7Tundra5501pizza y\n2023/11/14 22:06:40 agent: registering with token: 1dd0ce9373c17f069d66a75edcec86e1 url=http://woodpecker:9000\n",
         ("Zq7Tundra5501pizza", "1dd0ce9373c17f069d66a75edcec86e1"),
         "x token: KUBESNAP-REDACTED y\n2023/11/14 22:06:40 agent: registering with token: KUBESNAP-REDACTED url=http://woodpecker:9000\n"),
    # (round 8) an empty P record between the two halves; docker records of the other stream between, a URL over three
    # records; a key's value in a column of blanks (Vault's tables, fluent-bit), fluentd's pass, Vault's secret_id
    Case("secret-field", '2023-11-14T22:06:10.000000001Z stdout P config: redis_password=Zq7Nar\n2023-11-14T22:06:10.000000002Z stdout P \n2023-11-14T22:06:10.000000003Z stdout F whal6868sierra db=0\n', ("Zq7Nar", "whal6868sierra"),
         "2023-11-14T22:06:10.000000001Z stdout P config: redis_password=KUBESNAP-REDACTED\n2023-11-14T22:06:10.000000002Z stdout P \n2023-11-14T22:06:10.000000003Z stdout F KUBESNAP-REDACTED db=0\n"),
    Case("secret-field", '{"log": "{\\"msg\\":\\"cfg\\",\\"smtp_password\\":\\"Zq7Wil", "stream": "stdout", "time": "2023-11-14T22:07:01.000000001Z"}\n{"log": "warning: deprecated flag\\n", "stream": "stderr", "time": "2023-11-14T22:07:01.000000001Z"}\n{"log": "warning: another\\n", "stream": "stderr", "time": "2023-11-14T22:07:01.000000001Z"}\n{"log": "low6785pebble\\"}\\n", "stream": "stdout", "time": "2023-11-14T22:07:01.000000001Z"}\n{"log": "amqp://billing:Zq7Ze", "stream": "stdout", "time": "2023-11-14T22:07:02.000000001Z"}\n{"log": "phyr76", "stream": "stdout", "time": "2023-11-14T22:07:02.000000001Z"}\n{"log": "10lilac@rabbitmq.legacy.svc:5672/\\n", "stream": "stdout", "time": "2023-11-14T22:07:02.000000001Z"}\n', ("Zq7Wil", "low6785pebble", "Zq7Ze", "phyr76", "10lilac")),
    Case("secret-field", '2023-11-14T22:06:10.000000001Z stdout F secret_id             598f48f9-6c4f-439c-a1b9-bc04025e4d3b\n2023-11-14T22:06:10.000000002Z stdout F password           Zq7Olive4372garnet\n2023-11-14T22:06:10.000000003Z stdout F token              Zq7Cobalt2291river\n' + '<match rabbit.**>\n  @type rabbitmq\n  user fluentd\n  pass Zq7Narwhal2383walnut\n</match>\n[OUTPUT]\n    Name    datadog\n    apikey  a384ab41a5d4b3fb65e202abecf5e539\n', ("598f48f9-6c4f-439c-a1b9-bc04025e4d3b", "Zq7Olive4372garnet", "Zq7Cobalt2291river", "Zq7Narwhal2383walnut", "a384ab41a5d4b3fb65e202abecf5e539")),
    # (round 8) MinIO's mc, rabbitmqctl authenticate_user, ctr --user; Honeycomb's header, Go's http.Header dumps, a call of a
    # name and a value; Grafana's secureJsonData
    Case("tool-password", '+ mc admin user add myminio checkout Zq7Meadow9070velvet\nrabbitmqctl authenticate_user checkout Zq7Iguana3495hornet\nctr -n k8s.io images pull --user robot:Zq7Harbor8191raven harbor.shop.example/shop/api:1.3\n' + "mc alias set myminio http://minio:9000 AKIAEXAMPLE Zq7Secret1234key\n",
         ("Zq7Meadow9070velvet", "Zq7Iguana3495hornet", "Zq7Harbor8191raven", "Zq7Secret1234key")),
    Case("secret-field", '+ curl -sS -H \'X-Honeycomb-Team: 6092fa571c98980c6663f4a72dbfeb45\' https://api.honeycomb.io/1/auth\nlevel=debug msg="otlp exporter" headers="map[content-type:application/x-protobuf x-honeycomb-team:2cefdaf79130bd08b152f1013a47bbb2]"\nI1114 22:05:41.000000     800 http.go:117] "HTTP-Probe" scheme="http" host="10.244.1.5" port="8080" path="/healthz" timeout="1s" headers=map[X-Api-Key:[b722e305a2bd178da950c7483325d31c]]\n      request_handle:headers():add("x-api-key", "017e1f0e3073cc2970c1370f6aabc682")\n' + '    headers:\n      x-honeycomb-team: "38b8c559082fdc28124fe5dd052190f5"\n      secureJsonData:\n        httpHeaderValue1: 930f4aa9174e5ea245915b1618fcee85\n',
         ("6092fa571c98980c6663f4a72dbfeb45", "2cefdaf79130bd08b152f1013a47bbb2", "b722e305a2bd178da950c7483325d31c", "017e1f0e3073cc2970c1370f6aabc682",
          "38b8c559082fdc28124fe5dd052190f5", "930f4aa9174e5ea245915b1618fcee85")),
    # a Secret after a construct that needs the whole file (an env block, a YAML cut at a P record): its kind: is still
    # known, and its data: redacted (it was left whole); a list under data: at data:'s indentation (external-secrets'
    # fake provider: every item's values)
    Case("secret-manifest-data", "spec:\n  containers:\n  - env:\n    - name: A\n      value: b\n---\napiVersion: v1\ndata:\n  user: YWRtaW4=\nkind: Secret\n"
         "---\nkind: SecretStore\nspec:\n  provider:\n    fake:\n      data:\n      - key: /shop/api\n        value: Zq7Garnet7403marmot\n        version: v1\n",
         ("YWRtaW4=", "Zq7Garnet7403marmot"),
         "spec:\n  containers:\n  - env:\n    - name: A\n      value: KUBESNAP-REDACTED\n---\napiVersion: v1\ndata:\n  user: KUBESNAP-REDACTED\nkind: Secret\n"
         "---\nkind: SecretStore\nspec:\n  provider:\n    fake:\n      data:\n      - key: KUBESNAP-REDACTED\n        value: KUBESNAP-REDACTED\n        version: KUBESNAP-REDACTED\n"),
    # beside a Secret, a ConfigMap whose kind: comes before its data: keeps it (one with kind: after data:, as kubectl
    # prints it, cannot be told from a Secret there: redacted); a List's items are documents
    Case("secret-manifest-data", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  app.conf: |\n    level=info\n  mode: fast\n---\n"
         "apiVersion: v1\nkind: Secret\ndata:\n  pw: c2VjcmV0\n---\napiVersion: v1\ndata:\n  x: y\nkind: ConfigMap\n---\napiVersion: v1\nkind: List\nitems:\n"
         "- apiVersion: v1\n  kind: ConfigMap\n  data:\n    k: v\n- apiVersion: v1\n  data:\n    pw2: c2VjcmV0Mg==\n  kind: Secret\n",
         ("c2VjcmV0",),
         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  app.conf: |\n    level=info\n  mode: fast\n---\n"
         "apiVersion: v1\nkind: Secret\ndata:\n  pw: KUBESNAP-REDACTED\n---\napiVersion: v1\ndata:\n  x: KUBESNAP-REDACTED\nkind: ConfigMap\n---\napiVersion: v1\nkind: List\nitems:\n"
         "- apiVersion: v1\n  kind: ConfigMap\n  data:\n    k: v\n- apiVersion: v1\n  data:\n    pw2: KUBESNAP-REDACTED\n  kind: Secret\n"),
    # (red-team round 9: constructs that hid others) a Secret's kind: with a comment, data: with a comment or an anchor, a
    # comment inside data:, a flow mapping, a List item with no apiVersion: after a ConfigMap's
    Case("secret-manifest-data", "apiVersion: v1\nkind: Secret # db\ndata: # base64\n# note\n  dsn: WnE5b3R0ZTAxMQ==\n---\napiVersion: v1\nkind: Secret\nstringData: &s\n  relay: Zq9saffronLotus13!\n"
         "---\napiVersion: v1\nkind: Secret\ndata: {dsn: WnE5d2lsbDAxNA==, user: YWRtaW4=}\n---\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n- data:\n    dsn: WnE5c2FmZjE3OA==\n  kind: Secret\n",
         ("WnE5b3R0ZTAxMQ", "Zq9saffronLotus13", "WnE5d2lsbDAxNA", "YWRtaW4", "WnE5c2FmZjE3OA")),
    # YAML printed in a log: its structure read after the CRI, --timestamps, docker json-file and journal prefixes
    Case("secret-manifest-data", "TS stdout F kind: Secret\nTS stdout F data:\nTS stdout F   dsn: WnE5d2FsbjAyMg==\nTS stdout F env:\nTS stdout F - name: STRIPE_SK\nTS stdout F   value: Zq9mangoEmber46\n"
         "TS stdout F password: |\nTS stdout F   Zq9walnutWalnut67\n".replace("TS", "2024-05-14T09:12:33.418223117Z"), ("WnE5d2FsbjAyMg", "Zq9mangoEmber46", "Zq9walnutWalnut67")),
    Case("secret-block", '{"log":"password: |\\n","stream":"stdout","time":"2018-09-19T18:58:22.13487728Z"}\n{"log":"  Zq9tulipCedar75\\n","stream":"stdout","time":"2018-09-19T18:58:22.13487728Z"}\n'
         "2024-05-14T09:12:33.418222Z password:\n2024-05-14T09:12:33.418222Z   Zq9copperWillow68\n",
         ("Zq9tulipCedar75", "Zq9copperWillow68"),
         '{"log":"password: |\\n","stream":"stdout","time":"2018-09-19T18:58:22.13487728Z"}\n{"log":"  KUBESNAP-REDACTED\\n","stream":"stdout","time":"2018-09-19T18:58:22.13487728Z"}\n'
         "2024-05-14T09:12:33.418222Z password:\n2024-05-14T09:12:33.418222Z   KUBESNAP-REDACTED\n"),
    Case("secret-manifest-data", "May 14 09:12:33 node1 bootstrap.sh[1201]: kind: Secret\nMay 14 09:12:33 node1 bootstrap.sh[1201]: data:\nMay 14 09:12:33 node1 bootstrap.sh[1201]:   dsn: WnE5cXVhcjE2Mg==\n", ("WnE5cXVhcjE2Mg",)),
    # env lists: comments inside, each item's own name, flow items and one-line arrays, a value on the next line;
    # describe's Environment: and a compose file's environment: (references kept)
    Case("env-value", "env:\n# x\n- name: HOME\n  valueFrom: {fieldRef: {fieldPath: x}}\n- value: Zq9saffronLotus43!\n  name: STRIPE_SK\n  # y\n- {name: API_TOKEN_B, value: Zq9quartzQuartz42!}\n- name: STRIPE_SK2\n  value:\n    Zq9tulipCedar45!\n"
         "spec:\n  env: [{name: STRIPE_SK, value: Zq9emberSaffron55}, {name: LOG_LEVEL, value: info}]\n"
         '{"env":[{"value":"Zq9cedarMaple63","name":"STRIPE_SK"}]}\n{"ociVersion":"1.0.2","process":{"env":["PATH=/usr/bin","STRIPE_SK=Zq9riverRiver47","HOSTNAME=app"]}}\n',
         ("Zq9saffronLotus43", "Zq9quartzQuartz42", "Zq9tulipCedar45", "Zq9emberSaffron55", "Zq9cedarMaple63", "Zq9riverRiver47")),
    Case("env-value", "Containers:\n  app:\n    Environment:\n      LOG_LEVEL:   info\n      STRIPE_SK:   Zq9saffronLotus58\n      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n      POD_IP:        (v1:status.podIP)\n    Mounts:\n      /data from d (rw)\n"
         "services:\n  app:\n    environment:\n      - STRIPE_SK=Zq9amberCopper65\n      - LOG_LEVEL=info\n",
         ("Zq9saffronLotus58", "Zq9amberCopper65"),
         "Containers:\n  app:\n    Environment:\n      LOG_LEVEL:   info\n      STRIPE_SK:   KUBESNAP-REDACTED\n      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n      POD_IP:        (v1:status.podIP)\n    Mounts:\n      /data from d (rw)\n"
         "services:\n  app:\n    environment:\n      - STRIPE_SK=KUBESNAP-REDACTED\n      - LOG_LEVEL=info\n"),
    # a key cut at a P record's end with a record of the other stream before the rest; a password announced, then printed
    # on its stream after the other's line
    Case("secret-field", "TS stdout P x DB_PASS\nTS stderr F w\nTS stdout F WORD=Zq9lotusMango79! host=db\nTS stdout F Generated admin password:\nTS stderr F w\nTS stdout F Zq9willowOtter164\n".replace("TS", "2024-05-14T09:12:33.418223117Z"),
         ("Zq9lotusMango79", "Zq9willowOtter164")),
    # an audit event patching a secret (no kind in the line); a secret key's list; create secret's literals; a TOML
    # inline header table
    Case("secret-manifest-data", '{"verb":"patch","objectRef":{"resource":"secrets","name":"db"},"requestObject":{"data":{"dsn":"WnE5ZmFsYzEyNg=="}}}\n{"verb":"patch","objectRef":{"resource":"secrets","name":"smtp"},"requestObject":{"stringData":{"relay":"Zq9copperWillow128"}}}\n',
         ("WnE5ZmFsYzEyNg", "Zq9copperWillow128")),
    Case("secret-block", "clientSecrets:\n  - Zq9otterAmber71\ntoken:\n- Zq9willowOtter74\nimagePullSecrets:\n- name: regcred\n", ("Zq9otterAmber71", "Zq9willowOtter74"),
         "clientSecrets:\n  - KUBESNAP-REDACTED\ntoken:\n- KUBESNAP-REDACTED\nimagePullSecrets:\n- name: regcred\n"),
    Case("tool-password", "  201  kubectl -n shop create secret generic db --from-literal=dsn=postgres://app@db/shop --from-literal=pin=Zq9cedarMaple123\n", ("Zq9cedarMaple123", "postgres://app@db/shop")),
    Case("registry-header", '[host."https://registry.example.com"]\n  header = { X-Gate = "Zq9mapleFalcon114", X-Other = ["Zq9b"] }\n', ("Zq9mapleFalcon114", "Zq9b")),
    # (probe 5) a heredoc value; IOS/FRR's type digit before the value; PowerShell's ConvertTo-SecureString; Windows /p:
    Case("secret-field", 'resource "x" "y" {\n  password = <<EOF\nIrisMarble51&\nEOF\n  user = "a"\n}\nenable secret 0 Cedar8944voyager\nusername admin privilege 15 password 7 Cedar8944voyaga\n',
         ("IrisMarble51", "Cedar8944voyager", "Cedar8944voyaga"),
         'resource "x" "y" {\n  password = <<EOF\nKUBESNAP-REDACTED\nEOF\n  user = "a"\n}\nenable secret 0 KUBESNAP-REDACTED\nusername admin privilege 15 password 7 KUBESNAP-REDACTED\n'),
    Case("tool-password", 'PS C:\\> $pw = ConvertTo-SecureString "Pepper3853meadow" -AsPlainText -Force\n$s = ConvertTo-SecureString -String Pepp3853meadowX -AsPlainText\n'
         "xfreerdp /u:Administrator /p:Walnut4996nectar /v:10.0.0.40\ncmdkey /add:fs01 /user:CORP\\svc /pass:Quartz6810rocket\n",
         ("Pepper3853meadow", "Pepp3853meadowX", "Walnut4996nectar", "Quartz6810rocket")),
    Case("tool-password", "ps: lftp -e 'user backup Shadow1762dynamo; mirror -R /data /up; bye' sftp://fs01\ncreateUser monitor SHA \"Maple5878saffron\" AES \"Winter2917harbor\"\n"
         "createUser bob MD5 Plain1pass DES Plain2pass\n ip ospf message-digest-key 1 md5 Lantern9718ocean\n",
         ("Shadow1762dynamo", "Maple5878saffron", "Winter2917harbor", "Plain1pass", "Plain2pass", "Lantern9718ocean"),
         "ps: lftp -e 'user backup KUBESNAP-REDACTED; mirror -R /data /up; bye' sftp://fs01\ncreateUser monitor SHA \"KUBESNAP-REDACTED\" AES \"KUBESNAP-REDACTED\"\n"
         "createUser bob MD5 KUBESNAP-REDACTED DES KUBESNAP-REDACTED\n ip ospf message-digest-key 1 md5 KUBESNAP-REDACTED\n"),
    # a bare key: with 32 hex digits and more (the OpenTelemetry collector's Datadog exporter, api: key:)
    Case("secret-field", "exporters:\n  datadog:\n    api:\n      site: datadoghq.eu\n      key: 60235e71018a6955398598a56ada30c5\n", ("60235e71018a6955398598a56ada30c5",)),
    # (round 8) helm --set's name/value pairs; a token announced created (Gitea)
    Case("env-value", "helm upgrade --install api ./charts/api --set env[0].name=DD_API_KEY,env[0].value=4426ef56f1b0f8be5e3ce039daedfc03\n", ("4426ef56f1b0f8be5e3ce039daedfc03",)),
    Case("secret-field", "Access token was successfully created: 300fbfa80b3b49b53b1e4a782d49e41d65635f61\n", ("300fbfa80b3b49b53b1e4a782d49e41d65635f61",)),
    # a command run in a pod, in the API server's URL (httplog, an audit event's requestURI): its command= words read as a
    # command line, decoded (+, %XX, JSON's \u0026 between them); each edit on the URL's own bytes
    Case("tool-password", '2023-11-14T22:06:10.223456097Z stderr F I1114 22:06:41.000000       1 httplog.go:132] "HTTP" verb="POST" URI="/api/v1/namespaces/shop/pods/redis-0/exec?command=redis-cli&command=-a&command=Zq7Tango6107yarrow&command=ping&container=redis&stdout=true" latency="1.2s"\n'
         '{"kind":"Event","requestURI":"/api/v1/namespaces/db/pods/mysql-0/exec?command=mysql\\u0026command=-uroot\\u0026command=-pZq7Hotel55x\\u0026container=mysql","verb":"create"}\n'
         '"/api/v1/namespaces/db/pods/r-0/attach?command=sh&command=-c&command=redis-cli+-a+Zq7Kilo%21x9+ping&stdin=true"\n',
         ("Zq7Tango6107yarrow", "Zq7Hotel55x", "Zq7Kilo"),
         '2023-11-14T22:06:10.223456097Z stderr F I1114 22:06:41.000000       1 httplog.go:132] "HTTP" verb="POST" URI="/api/v1/namespaces/shop/pods/redis-0/exec?command=redis-cli&command=-a&command=KUBESNAP-REDACTED&command=ping&container=redis&stdout=true" latency="1.2s"\n'
         '{"kind":"Event","requestURI":"/api/v1/namespaces/db/pods/mysql-0/exec?command=mysql\\u0026command=-uroot\\u0026command=-pKUBESNAP-REDACTED\\u0026container=mysql","verb":"create"}\n'
         '"/api/v1/namespaces/db/pods/r-0/attach?command=sh&command=-c&command=redis-cli+-a+KUBESNAP-REDACTED+ping&stdin=true"\n'),
    # values with blanks: a YAML value: line is the rest of the line (a probe's Bearer header, extraEnvs), a Google app password
    Case("env-value", "        httpHeaders:\n        - name: Authorization\n          value: Bearer ProbeBearerWords\n        - name: X-Probe-Auth\n          value: Basic cHJvYmU6UHJvYmVCYXNpY1B3MQ==\ncontrollerManager:\n  extraEnvs:\n  - name: AZURE_CLIENT_SECRET\n    value: Zq7a three words\n",
         ("ProbeBearerWords", "cHJvYmU6UHJvYmVCYXNpY1B3MQ", "three words")),
    Case("secret-field", "level=info smtp user=alerts password=abcd efgh ijkl mnop\n", ("efgh", "mnop")),
    # keys of other forms: an annotation's prefix, MongoDB's pwd, a dotted property with no blank, PHP's define, protobuf text,
    # SNMP's community, and a file's lines logged in a JSON string
    Case("secret-field", 'metadata:\n  annotations:\n    backup.velero.io/restic-password: ResticPw123\n    example.com/api-token: ApiTok12345\n{"createUser":"orders","pwd":"MongoPw1234","roles":[]}\n    db.createUser({user: "shop", pwd: "MongoPw5678"})\nspring.datasource.password:PropsPw1234\ndefine( \'DB_PASSWORD\', \'WpDbPw1234\' );\n      community: SnmpComm12\n{"msg":"request stats","request content":"name:\\"root\\" password:\\"EtcdPw1234\\" "}\n{"msg":"loaded config","content":"bind 0.0.0.0\\nrequirepass RedisPw1234\\nmasterauth RedisPw5678\\n"}\n',
         ("ResticPw123", "ApiTok12345", "MongoPw1234", "MongoPw5678", "PropsPw1234", "WpDbPw1234", "SnmpComm12", "EtcdPw1234", "RedisPw1234", "RedisPw5678")),
    Case("env-value", "    env:\n    - value: ValueFirst12\n      name: UPSTREAM_PASSWORD\n", ("ValueFirst12",)),
    Case("secret-flag", "    args: [--listen=:8443, --cookie-secret, CookieSec123]\n    args: [--client-secret=CliSec1234, --port=8443]\n    command: restic --password-command 'echo ResticCmdPw1' backup /data\n", ("CookieSec123", "CliSec1234", "ResticCmdPw1"),
         "    args: [--listen=:8443, --cookie-secret, KUBESNAP-REDACTED]\n    args: [--client-secret=KUBESNAP-REDACTED, --port=8443]\n    command: restic --password-command 'echo KUBESNAP-REDACTED' backup /data\n"),
    Case("vendor-token", "+ curl -fsS https://hc-ping.com/eb095278-f28d-448d-87fb-364f9572b85a\nPOST https://events.pagerduty.com/integration/8e48f687ab165c58ac5831be38cb8cb4/enqueue 202\n", ("eb095278-f28d", "8e48f687ab165c58")),
    Case("password-prose", "datadog: agent started with api key ba2e751989a01749ddb14f71010b93b7 site=datadoghq.eu\n", ("ba2e751989a01749ddb14f71010b93b7",)),
    # credential files in a ConfigMap (pgbouncer's userlist.txt, .pgpass), Redis ACLs, Dovecot's clear passwords
    Case("secret-block", 'data:\n  userlist.txt: |\n    "app" "Tundra7501pizza"\n  .pgpass: |\n    db.prod.svc:5432:shop:app:Fjord7658monday\n', ("Tundra7501pizza", "Fjord7658monday")),
    Case("secret-field", '{"data":{"userlist.txt":"\\"app\\" \\"Tundra7502pizza\\"\\n"}}\nalice:{PLAIN}Silver2495golden::::::\n', ("Tundra7502pizza", "Silver2495golden")),
    Case("tool-password", 'user worker on >Cobalt1234river >Second5678pass ~jobs:* +@read\n{"redis.conf":"bind 0.0.0.0\\nuser app on >Whistle7062umbrella ~* +@all\\n"}\nredis-cli ACL SETUSER alice reset >Emerald4321brook\n', ("Cobalt1234river", "Second5678pass", "Whistle7062umbrella", "Emerald4321brook")),
    Case("vendor-token", "oneagent installer token dt0c01.8ZE98ZY2XBF7BRC1N4Y9VSL2.ZHPKL0MYS08J4T1O1ODRIZVMYPY9NHYYUOQ89N2S3CBBI2Q6WQ5LUCBZOQ3V61HM\n", ("8ZE98ZY2XBF7BRC1N4Y9VSL2", "ZHPKL0MYS08J4T1O1ODRIZVMYPY9")),
    Case("tool-password", "CREATE USER 'a'@'%' IDENTIFIED BY 'SqlIdValue123';\n", ("SqlIdValue123",)),
    Case("tool-password", "etcdctl --user root:EtcdValue123 get /\nmongosh -u admin -p MongoValue123 db\nrabbitmqctl add_user admin RabbitValue123\n",
         ("EtcdValue123", "MongoValue123", "RabbitValue123")),
    Case("tool-password", "zip -P ZipValue123 /tmp/b.zip x\nopenssl enc -aes-256-cbc -k OsslValue123 -in a -out b\n", ("ZipValue123", "OsslValue123")),
    # the word echoed into a command that reads a password on its standard input (red-team round 5)
    Case("tool-password", "root 1 0 bash -c echo 'root:ChpwValue410' | chpasswd\n", ("ChpwValue410",), f"root 1 0 bash -c echo 'root:{M}' | chpasswd\n"),
    Case("tool-password", "echo StdinValue22 | passwd --stdin app\necho -n SudoValue33 | sudo -S apt-get update\n"
         "printf '%s' 'KinitValue44' | kinit admin@CORP\necho \"Luks Value55\" | cryptsetup luksOpen /dev/sdb1 data\n",
         ("StdinValue22", "SudoValue33", "KinitValue44", "Luks Value55")),
    Case("tool-password", "ps: crane auth login registry.example.com -u ci -p CraneValue91\nps: oras login -u ci -p OrasValue92 ghcr.io\n"
         "ps: /opt/mssql-tools/bin/sqlcmd -S localhost -U sa -P SqlcmdValue93 -Q 'SELECT 1'\nps: bcp dbo.orders out /tmp/o.dat -S db -U sa -P BcpValue94 -c\n"
         "hist: ssh-keygen -t ed25519 -N KeygenValue95 -f ~/.ssh/deploy\nhist: openssl passwd -6 OsslPwValue96\nhist: mkpasswd -m sha-512 MkpwValue97\n"
         "ps: snmpwalk -v3 -l authPriv -u monitor -a SHA -A SnmpAuth98 -x AES -X SnmpPriv99 10.0.0.1\nps: snmpwalk -v2c -c SnmpComm90 10.0.0.1 system\n"
         "hist: rdesktop -u Administrator -p RdpValue81 10.0.0.40\nhist: nmcli dev wifi connect CorpWiFi password WifiValue82\n"
         "hist: nmcli con modify CorpWiFi wifi-sec.psk PskValue83\nhist: wpa_passphrase CorpWiFi WpaValue84 >> /etc/wpa_supplicant.conf\n",
         ("CraneValue91", "OrasValue92", "SqlcmdValue93", "BcpValue94", "KeygenValue95", "OsslPwValue96", "MkpwValue97", "SnmpAuth98", "SnmpPriv99",
          "SnmpComm90", "RdpValue81", "WifiValue82", "PskValue83", "WpaValue84")),
    # a password in prose, in several languages (red-team round 5)
    Case("password-prose", "2024-03-01T12:00:00Z stdout F the password is Willow_Velvet822 (change it after login)\n", ("Willow_Velvet822",),
         f"2024-03-01T12:00:00Z stdout F the password is {M} (change it after login)\n"),
    Case("password-prose", "Generated password for user admin is SilverGolden94@\nmsg=\"created database user shop with password Tundr@187\"\n"
         "[grafana] admin password reset to Cactus27jasmine\nPassword for user app: Anchor7955pebble\nPASSWORD elastic = Tomato&3894\n"
         "vault unlocked with passcode voyager-maple-saffron-13\nEnter new password for user \"app\": Horizon1320lantern\n",
         ("SilverGolden94", "Tundr@187", "Cactus27jasmine", "Anchor7955pebble", "Tomato&3894", "voyager-maple-saffron-13", "Horizon1320lantern")),
    Case("password-prose", "\ube44\ubc00\ubc88\ud638: Summer2015!\n\ucd08\uae30 \ube44\ubc00\ubc88\ud638\ub294 PuppyBanana58% \uc785\ub2c8\ub2e4\nDB \uc811\uc18d \uc554\ud638=Kestrel#2953\n"
         "\u521d\u671f\u30d1\u30b9\u30ef\u30fc\u30c9\uff1aIris88marble\n\u6570\u636e\u5e93\u5bc6\u7801: Suns3t528\n\u041f\u0430\u0440\u043e\u043b\u044c: D0lph1n195\n",
         ("Summer2015", "PuppyBanana58", "Kestrel#2953", "Iris88marble", "Suns3t528", "D0lph1n195")),
    Case("password-prose", "Passwort: Island51badger\nKennwort fuer root ist juniper-quartz-rocket-42\nmot de passe : Pepper_Meadow747\n"
         "contrase\u00f1a=Monkey_Hammer313\ncriado com senha Castle2019?\nla password \u00e8 H@z3l21\nwachtwoord: Spring38orange\n"
         "has\u0142o: PenguinRiver11@\n\u015fifre: Ember@4791\n",
         ("Island51badger", "juniper-quartz-rocket-42", "Pepper_Meadow747", "Monkey_Hammer313", "Castle2019", "H@z3l21", "Spring38orange",
          "PenguinRiver11", "Ember@4791")),
    Case("secret-field", "created user deploy pw: Raven2022!\n{\"passcode\":\"Candle3043purple\"}\nldap_default_authtok = Autumn4437falcon\n"
         "vrrp_instance VI_1 {\n    authentication {\n        auth_type PASS\n        auth_pass Tomato11\n    }\n}\n",
         ("Raven2022", "Candle3043purple", "Autumn4437falcon", "Tomato11")),
    Case("secret-field", "x rootPassword=Violet8835tomato\nx({user:\"app\",pwd:\"Maple9059saffron\"})\n"
         "Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd={Monkey5532hammer};\n"
         '1709290000.123456 [0 10.0.0.5:51234] "AUTH" "default" "Hazel1388iris"\n',
         ("Violet8835tomato", "Maple9059saffron", "Monkey5532hammer", "Hazel1388iris")),
    Case("tool-password", "root 1 0 mysql -u root -p'tiger-candle-purple-18' shop\n", ("tiger-candle-purple-18",),
         f"root 1 0 mysql -u root -p'{M}' shop\n"),
    # user:password@host with no scheme (red-team round 5)
    Case("url-credentials", "mysqlsh --uri root:Puppy5734banana@localhost:3306\nconnecting to admin:Zebra7152willow@db-primary.shop.svc:5432/app\n"
         "upstream=shop:velvet-raven-silver-88@10.0.4.5:3306\n", ("Puppy5734banana", "Zebra7152willow", "velvet-raven-silver-88"),
         f"mysqlsh --uri root:{M}@localhost:3306\nconnecting to admin:{M}@db-primary.shop.svc:5432/app\nupstream=shop:{M}@10.0.4.5:3306\n"),
    Case("vendor-token", "alert to https://hooks.slack.com/services/T0ABC/B0ABC/SlackHookValue123\nnotify https://discord.com/api/webhooks/1122/DiscordHookValue123\n",
         ("SlackHookValue123", "DiscordHookValue123")),
    Case("vendor-token", "xapp-1-A0123-1234-abcdefghijklmnopqrstuv sk-proj-abcdefghijklmnopqrstuvwxyz0123 hf_abcdefghijklmnopqrstuvwxyz0123456789\n",
         ("abcdefghijklmnopqrstuv",)),
    Case("vendor-token", "npm_abcdefghijklmnopqrstuvwxyz0123456789 SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789abcdefg\n"
         "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n", ("abcdefghijklmnopqrstuv", "QQQQQQQQQQQQQQQQQQQQ")),
    Case("private-key", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: x\nSsh2BodyValue1\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\nafter\n",
         ("Ssh2BodyValue1",)),
    Case("private-key", "MIIEowIBAAKCAQEAtailbodyValue1\nAAAAtailbodyValue2AAAAAAAAAAAA\n-----END RSA PRIVATE KEY-----\nafter\n",
         ("tailbodyValue1", "tailbodyValue2"), f"{M}\nafter\n"),
    Case("base64-private-key", "\n".join(WRAPPED[i:i + 76] for i in range(0, len(WRAPPED), 76)) + "\n", tuple(WRAPPED[i:i + 76] for i in range(76, len(WRAPPED) - 76, 76))),
    Case("private-key", "x" * (32760 - 20) + ' "key":"-----BEGIN RSA PRIVATE KEY-----\\nMIIElongLineKeyValue1\\n-----END RSA PRIVATE KEY-----" ' + "y" * 40000 + "\n",
         ("longLineKeyValue1",)),
    Case("base64-encoded-secret", "z" * 29990 + " " + B64("q" * 2100 + " client=LongRunValue1 password=x " + "r" * 100) + " " + "w" * 40000 + "\n",
         (B64("q" * 2100 + " client=LongRunValue1 password=x " + "r" * 100)[:1000],)),
    # random-token: values no rule names, by their look (random tokens of the kinds red-team rounds planted)
    Case("random-token", "upstream app:u8jzPde0IgxLd6GncfBA@db\nARTIFACTORY_API=epfJBd0Kh8oOOL8dKLzdocJ2\n", ("u8jzPde0IgxLd6GncfBA", "epfJBd0Kh8oOOL8dKLzdocJ2")),
    Case("random-token", '{"kty":"RSA","n":"x","d":"isAjIhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpY","p":"lSXpfKt-F4vUCsMehGAkWvj7FAc9QeWJ_Y40uvSwMFL"}\n',
         ("isAjIhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpY", "lSXpfKt-F4vUCsMehGAkWvj7FAc9QeWJ_Y40uvSwMFL")),
    Case("tool-password", "mc alias set backup https://minio:9000 backup ZDe1f8rESQ/edUStPKR0+CsTy4Qw==\n", ("ZDe1f8rESQ/edUStPKR0+CsTy4Qw",)),
    Case("random-token", "  - url: https://chat.example.com/hooks/b3wkh5dnsipzz5fk2z9ri19r0w\n", ("b3wkh5dnsipzz5fk2z9ri19r0w",)),
    Case("random-token", "2023-11-14T22:11:40.000000000Z stdout F twilio SK48898d04baee9b165119328cfef6df4a ok\n", ("48898d04baee9b165119328cfef6df4a",)),
    Case("random-token", "sonar squ_73882b5e0e37925dd83e7cbdb3f5de5f366e573e pulumi pul-e63effcb867813ed724b89c5bb95b18cfa8d5723 mc e5234f7b41371e7855b8cf4efda80a7c-us6\n"
         "buildkite bkua_05e3c08d1ed1b45e5288c4083bb737ba0dd4cd2e shopify 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 hny hcaik_01tkhzqayd66ypeypvuwjx9nvd53yr86n29deijq0khk6tnsb20hgu48f6\n",
         ("73882b5e0e37925dd83e7cbdb3f5de5f", "e63effcb867813ed724b89c5bb95b18c", "e5234f7b41371e7855b8cf4efda80a7c", "05e3c08d1ed1b45e5288c4083bb737ba", "7bd01445eb3536e638f44020ccb33e92",
          "01tkhzqayd66ypeypvuwjx9nvd53yr86n29")),
    Case("random-token", "mailgun key-5cc9c6f5776290fb1e3e652af405400f databricks dapia1b852df126973c06103fdd816ee37d2 tfc GYdS6LxlfA7zbI.atlasv1.fbD3CNlDoBaukq6XsVIM18olOrpx8Kbf6hdJlrTDTY1AxGma7MjMTgJBpDaNpsWHhvw\n",
         ("5cc9c6f5776290fb1e3e652af405400f", "a1b852df126973c06103fdd816ee37d2", "GYdS6LxlfA7zbI", "fbD3CNlDoBaukq6XsVIM18olOrpx8Kbf6hdJlrTDTY1AxGma7MjMTgJBpDaNpsWHhvw")),
    # pw ending a name (round 4: human passwords under REGISTRY_PW, --db-pw, -Ddb.pw); upward=, pwr= are no such name
    Case("secret-field", "REGISTRY_PW=Cottage1987!Banjo\nJAVA_OPTS=-Xmx512m -Ddb.pw=Earthworm2021!Lighthouse\n  pw: Summer2024!Winter\nupward=true pwr=on\n",
         ("Cottage1987", "Earthworm2021", "Summer2024"), f"REGISTRY_PW={M}\nJAVA_OPTS=-Xmx512m -Ddb.pw={M}\n  pw: {M}\nupward=true pwr=on\n"),
    Case("secret-flag", "app --db-pw Chipmunk2025!Kimono --port 80\n", ("Chipmunk2025",), f"app --db-pw {M} --port 80\n"),
    Case("secret-field", '{"Network": "10.244.0.0/16", "Backend": {"Type": "ipsec", "PSK": "3a9f0c5e7b2d4f6a8c1e3b5d7f9a2c4e"}}\nwpa_psk=correct horse battery\nMFA_TOTP: JBSWY3DPEHPK3PXP\nhotplug=on otpauth=x\n',
         ("3a9f0c5e7b2d4f6a8c1e3b5d7f9a2c4e", "correct horse", "JBSWY3DPEHPK3PXP"),
         f'{{"Network": "10.244.0.0/16", "Backend": {{"Type": "ipsec", "PSK": "{M}"}}}}\nwpa_psk={M}\nMFA_TOTP: {M}\nhotplug=on otpauth=x\n'),
    # a certificate's mention with no END exempts its body only, never the rest of the line or the lines after it
    Case("random-token", '2023-11-14T22:11:40.000000000Z stdout F msg="x509: failed to parse -----BEGIN CERTIFICATE-----MIIBkTCBAbcd (truncated)" handle=9NklOPNn6h9nPiVMEHOHyuMA1tyjTX6n\n'
         "2023-11-14T22:11:41.000000000Z stdout F expected -----BEGIN CERTIFICATE-----\n2023-11-14T22:11:42.000000000Z stdout F key wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY ok\n",
         ("9NklOPNn6h9nPiVMEHOHyuMA1tyjTX6n", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")),
    # a run with /: its random part only (the path stays), wherever it is in the run (past its first 512 characters too)
    Case("random-token", "GET /static/bundle/AbC123xYz789QwErTy HTTP/1.1\nsrc /path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/Xk9mQ2vLr8TnW4pZ7sYb end\n",
         ("AbC123xYz789QwErTy", "Xk9mQ2vLr8TnW4pZ7sYb"), f"GET /static/bundle/{M} HTTP/1.1\nsrc /path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/path/with/many/words/kubernetes/volumes/config/{M} end\n"),
    # a bare line of base64 is redacted when no certificate block holds it (the file is read whole)
    Case("random-token", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Fw\n-----END CERTIFICATE-----\nZDe1f8rESQedUStPKR0CsTy4Qwx9\n", ("ZDe1f8rESQedUStPKR0CsTy4Qwx9",),
         f"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Fw\n-----END CERTIFICATE-----\n{M}\n"),
    # (round 11 of the red team) secrets of real services' outputs and configurations
    Case("password-prose", "2023-11-14T21:10:02.345678Z 6 [Note] [MY-010454] [Server] A temporary password is generated for root@localhost: hGk2&w;IfF6E5\n",
         ("hGk2&w;IfF6E5",), f"2023-11-14T21:10:02.345678Z 6 [Note] [MY-010454] [Server] A temporary password is generated for root@localhost: {M}\n"),
    Case("secret-field", "Unseal Key 1 (hex)   :  80157fe770b4a34df90079f78b5944dff3a4439241ecc7a9627fb28bc1046b8a20\nRecovery Key 2 (base64): hnsHhwwyEpn6AsNXY/8qdA3k\n",
         ("80157fe770b4a34df90079f78b5944dff3a4439241ecc7a9627fb28bc1046b8a20", "hnsHhwwyEpn6AsNXY/8qdA3k")),
    Case("secret-field", "Accessor ID  = da9a7107-a625-4ac9-a9ac-5641b13c282c\nSecret ID    = f3ef70f6-1e6a-47df-a1a9-32792a3578ea\n", ("f3ef70f6-1e6a-47df-a1a9-32792a3578ea",),
         f"Accessor ID  = da9a7107-a625-4ac9-a9ac-5641b13c282c\nSecret ID    = {M}\n"),
    Case("secret-field", "sentinel auth-pass mymaster Spring2025!cb\n", ("Spring2025!cb",), f"sentinel auth-pass mymaster {M}\n"),
    Case("secret-field", "2023-11-14T21:12:02.000000Z\t   12 Query\tSET PASSWORD FOR 'shop'@'%' = 'Winter@428wa'\nCREATE LOGIN shop WITH PASSWORD = N'Prod@423e8', CHECK_POLICY = OFF;\n",
         ("Winter@428wa", "Prod@423e8"), f"2023-11-14T21:12:02.000000Z\t   12 Query\tSET PASSWORD FOR 'shop'@'%' = '{M}'\nCREATE LOGIN shop WITH PASSWORD = N'{M}', CHECK_POLICY = OFF;\n"),
    Case("secret-field", "> db.auth('admin', 'shop3-Prod-56')\nrequests.get(url, auth=('admin', 'P@ssw0rd_Kafkar4'), timeout=10)\nHTTPBasicAuth(\"ci\", \"Zq9basicAuth\")\n",
         ("shop3-Prod-56", "P@ssw0rd_Kafkar4", "Zq9basicAuth")),
    # a JAAS login module's user database, over lines (Kafka, ZooKeeper) and on one line (sasl.jaas.config)
    Case("secret-field", 'KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin"\n  user_admin="Prod@226sr"\n  user_alice="Summer@565l4";\n};\n'
         'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" user_client="Spring@8492b";\n',
         ("Prod@226sr", "Summer@565l4", "Spring@8492b"),
         f'KafkaServer {{\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin"\n  user_admin="{M}"\n  user_alice="{M}";\n}};\n'
         f'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" user_client="{M}";\n'),
    # an object of secrets: Consul's acl tokens, in HCL over lines and in JSON on one
    Case("secret-field", 'acl {\n  enabled = true\n  tokens {\n    initial_management = "adc02384-1a24-4c25-affe-8dd12200507a"\n    agent  = "42ec4e5f-60e3-4514-a3aa-5e1d2c3b4a59"\n  }\n}\n'
         '{"acl":{"enabled":true,"tokens":{"default":"2fe5a313-5562-4e5f-ad5a-5ed083bbce02"}}}\n',
         ("adc02384-1a24-4c25-affe-8dd12200507a", "42ec4e5f-60e3-4514-a3aa-5e1d2c3b4a59", "2fe5a313-5562-4e5f-ad5a-5ed083bbce02"),
         f'acl {{\n  enabled = true\n  tokens {{\n    initial_management = "{M}"\n    agent  = "{M}"\n  }}\n}}\n{{"acl":{{"enabled":true,"tokens":{{"default":"{M}"}}}}}}\n'),
    Case("secret-field", '2023-11-14T21:24:55.760993004Z stdout F > apikey: 54aa6ac0e0704dcdb380a4f620e8218c\n'
         '{"msg":"outgoing request","dump":"POST /v2/charge HTTP/1.1\\r\\nHost: pay.example.com\\r\\nX-Api-Key: 43d288faff1cbfa93106b9aa\\r\\n\\r\\n"}\n',
         ("54aa6ac0e0704dcdb380a4f620e8218c", "43d288faff1cbfa93106b9aa")),
    Case("secret-field", "algolia.api.key=1211ebdaf1d3b8327ae3b09573d6057c\nJAVA_OPTS=-javaagent:/dd-java-agent.jar -Ddd.api.key=2211ebdaf1d3b8327ae3b09573d6057c\n"
         "      Jwt:Key=shop-prod-jwt-signing-key-k9q9c7wb (JsonConfigurationProvider for 'appsettings.json' (Optional))\n",
         ("1211ebdaf1d3b8327ae3b09573d6057c", "2211ebdaf1d3b8327ae3b09573d6057c", "shop-prod-jwt-signing-key-k9q9c7wb")),
    Case("secret-field", "$db['default']['password'] = 'Shop2025!bq';\nENV[\"DB_PASSWORD\"] = \"Zq9envRuby\"\n    set $upstream_api_token \"Changeme2025!hq\";\n"
         "define('NONCE_SALT',       'FGy`8{T`H{PaoyK^vZ&4y|oyUU5-J*+=Ioxs^NEh5EN:ShByyoVjc5u.gv0OZ^jX');\n",
         ("Shop2025!bq", "Zq9envRuby", "Changeme2025!hq", "FGy`8{T`H{Paoy")),
    Case("secret-field", "config: main.Config{User:\"app\", Password:[]uint8{0x61, 0x75, 0x74, 0x75}, Host:\"db\"}\n[{rabbit, [{default_user, <<\"admin\">>}, {default_pass, <<\"Winter2023!zv\">>}]}].\n"
         "2023-11-14T21:25:58.626988411Z stdout F config/shop/db_password:Welcome@9042q\n",
         ("0x61, 0x75", "Winter2023!zv", "Welcome@9042q")),
    # (a password that starts with $ and holds a dot is no reference to a setting: a reference's names hold no digit)
    Case("secret-field", "password: $uperS3cret.2024\n", ("$uperS3cret.2024",), f"password: {M}\n"),
    Case("secret-field", '"GET /graphql?variables=%7B%22email%22%3A%22ops%40example.com%22%2C%22password%22%3A%22Kafka2024%21ik%22%7D HTTP/1.1" 200\n', ("Kafka2024%21ik",)),
    # the words for password, token and key of more languages, with a word that qualifies them, or "of user X"
    Case("password-prose", "Contraseña temporal: Changeme@517rh\nA senha do usuário admin é Admin2023!5c\nНовый пароль пользователя admin: admin7-Prod-x5\n"
         "Токен доступа: P@ssw0rd_Dragona6\n访问令牌：dragon7-Prod-f9\nAPI 密钥: Prod2023!qp\nアクセストークン: Kafka@822i3\n액세스 토큰: Winter2024!n4\n"
         "Tài khoản admin, Mật khẩu: Admin2025!oi\nKata sandi: welcome8-Prod-c1\nผู้ใช้ admin รหัสผ่าน: Shop2023!gg\nكلمة المرور: P@ssw0rd_Proddm\n"
         "Κωδικός πρόσβασης: welcome3-Prod-kn\nUtilizator admin creat. Parola: P@ssw0rd_Changemevk\nPasswort f\udcfcr Benutzer admin: kafka3-Prod-id\n",
         ("Changeme@517rh", "Admin2023!5c", "admin7-Prod-x5", "P@ssw0rd_Dragona6", "dragon7-Prod-f9", "Prod2023!qp", "Kafka@822i3", "Winter2024!n4",
          "Admin2025!oi", "welcome8-Prod-c1", "Shop2023!gg", "P@ssw0rd_Proddm", "welcome3-Prod-kn", "P@ssw0rd_Changemevk", "kafka3-Prod-id")),
    # a password typed at sshd's login prompt as the user's name
    Case("password-prose", "Nov 14 22:10:11 node-a sshd[4411]: Failed password for invalid user Changeme2023!6s from 203.0.113.9 port 51122 ssh2\n"
         "Nov 14 22:10:12 node-a sshd[4412]: Invalid user Dragon2024x from 203.0.113.9 port 51123\n", ("Changeme2023!6s", "Dragon2024x")),
    Case("tool-password", "COMMAND=/usr/bin/consul acl set-agent-token agent 1ecf3684-8d82-4ecb-ad6a-33b818f2df3a\n"
         "java -cp /usr/share/jenkins/agent.jar hudson.remoting.jnlp.Main -headless -url http://jenkins:8080/ -workDir /home/jenkins/agent 85e4f6ef7949f21e44c9fdef093fa8bd4cca96c0e7d780afe1d2c3b4a5f60718 build-x7k2p\n"
         "net use Z: \\\\fs01\\share P@ssw0rd_Shopv2 /user:CORP\\svc_ci\n"
         "#0 Connector.php(70): PDO->__construct('mysql:host=mysq...', 'shop', 'Shop2023!ay', Array)\n",
         ("1ecf3684-8d82-4ecb-ad6a-33b818f2df3a", "85e4f6ef7949f21e44c9fdef093fa8bd4cca96c0e7d780afe1d2c3b4a5f60718", "P@ssw0rd_Shopv2", "Shop2023!ay")),
    # describe's Command: list, one argument a line, in a CI job's log (a CRI prefix before each) and in a journal
    Case("tool-password", "2023-11-14T21:26:35.176985741Z stdout F     Command:\n2023-11-14T21:26:35.176985741Z stdout F       mysql\n"
         "2023-11-14T21:26:35.176985741Z stdout F       -uroot\n2023-11-14T21:26:35.176985741Z stdout F       -pWelcome@685p5\n"
         "Nov 14 22:10:19 node-a app[1]:       mysql\nNov 14 22:10:19 node-a app[1]:       -pWelcome@686p6\n", ("Welcome@685p5", "Welcome@686p6")),
    Case("url-credentials", '10.244.1.1 - - [14/Nov/2023:21:13:03 +0000] "GET /accounts/reset/MjQ/86b79u-64b6b29143b987719af5c24c1b2ac853/ HTTP/1.1" 200 2150\n'
         "container &Container{Name:installer,Env:[]EnvVar{EnvVar{Name:SMTP_LOGIN,Value:alerts@example.com:monday5-Prod-t7,ValueFrom:nil,},},}\n",
         ("86b79u-64b6b29143b987719af5c24c1b2ac853", "monday5-Prod-t7")),
]

KEPT = [
    # (round 11) masks, sizes, references and names that look like secrets
    "HikariPool-1 - dataSourceProperties............{password=<masked>}",
    "java.sql.SQLException: Access denied for user 'shop'@'10.244.1.7' (using password: YES)",
    "Engine(postgresql+psycopg2://shop:***@postgres.data.svc/shop)",
    " .> transport:   amqp://guest:**@rabbitmq.data.svc:5672//",
    '{"level":30,"msg":"token refreshed","expiresIn":3600,"tokenType":"Bearer"}',
    "  password:  16 bytes",
    "      clientSecret: $dex.github.clientSecret",
    "  clientSecret: $argocd-secret:oidc.keycloak.clientSecret",
    'level=info msg="trying next host" error="pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"',
    "  existingSecret: shop-db-credentials",
    "  passwordKey: postgres-password",
    "spring.security.user.password=${ADMIN_PASSWORD}",
    "openssl passwd -salt xyz -stdin",
    "UPDATE users SET hash = crypt($2, gen_salt('bf')) WHERE email = $1",
    "Nov 14 22:10:13 node-a sshd[4413]: Invalid user oracle from 203.0.113.9 port 51124",
    "Nov 14 22:10:13 node-a sshd[4413]: Connection closed by invalid user user123 203.0.113.9 port 51124 [preauth]",
    "the secret id is invalid",
    "cache.key=1211ebdaf1d3b8327ae3b09573d6057e",
    "Cache:Key=products",
    'user_id="12345" user_name="bob" logged in',
    "metrics { tokens = 5 }",
    "GET /api/v1/verify/namespaces/default HTTP/1.1",
    # (round 10) Helm's checksum/secret annotation (a hash); Calico's annotation names, on every Calico node
    '"checksum/secret":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
    '{"projectcalico.org/IPv4VXLANTunnelAddr":"10.244.1.0","projectcalico.org/IPv4IPIPTunnelAddr":"10.1.2.3"}',
    "    projectcalico.org/IPv4VXLANTunnelAddr: 10.244.1.0",
    '{"auth":{"user":"u","mode":"basic"}}',
    # a name=value pair whose value holds a secret word, then another pair (logfmt)
    'level=info msg="policy loaded" secretName=db-credentials passwordPolicy=strict',
    # a twice-encoded URL with no credentials, an encoded @ in its path
    "GET /r?u=https%253A%252F%252Fdb.example.com%252Fusers%252Fa%2540b.org%253A1 HTTP/1.1",
    "cd /p:\nls /tmp/p: x\nenable password\nline vty 0 4\n",
    # (round 9) a ServiceAccount's secrets: and a pod's imagePullSecrets: lists of names; an environment: with a value;
    # a compose file's harmless variables
    "secrets:\n- name: default-token-x7k2p\nimagePullSecrets:\n- name: regcred\nenvironment: production\nx:\n  environment:\n    - LOG_LEVEL=info\n    - TZ=UTC\n",
    # a bare key: whose value, at the line's end, is short (Ab1x) or a hash shorter than an API key
    "cache:\n  key: Ab1x\n  key: d41d8cd98f00b204\n",
    "the password for the user of the cluster is expired",
    '"/api/v1/namespaces/db/pods/r-0/exec?command=redis-cli&command=-h&command=redis&command=ping&container=redis" token',
    "redis-cli --no-auth-warning -h r ping\nredis-cli -h r AUTH",
    "auth required pam_unix.so\n  stats auth admin\nauth https://example.com/path",
    # a BGP peer with no password given, and prose
    " neighbor 10.0.0.1 password\nthe neighbor said password is wrong",
    # flags whose name goes on after the secret word, a harmless variable's harmless value, a URL a P record ends in
    "--secret-name=db --token-ttl=24h '--token-ttl' '24h' --secret-ref x\n{\"envs\": [\n  \"JAVA_OPTS=-Xmx512m -Dfile.encoding=UTF-8\"\n]}",
    "2024-03-01T12:00:00.000000000Z stdout P fetching https://registry.example.com/v2/library\n2024-03-01T12:00:00.000000000Z stdout F /nginx/manifests/latest ok",
    # a kubeconfig's auth-provider JSONPath templates, and Go pointers a %+v dump prints for a field
    "    auth-provider:\n      config:\n        token-key: '{.credential.access_token}'\n        expiry-key: '{.credential.token_expiry}'\n"
    'level=info msg="pull" auth:0xc000a1b2c0 Auth:0xc000a1b2c0',
    # a variable echoed into a token file, a word into a log named so
    "echo $TOKEN > /tmp/token\necho hello > /tmp/passwd.log\necho \"${DB_PASSWORD}\" > /run/secrets/db-pass",
    # arguments one a line and continued commands with no password in them
    "        command:\n        - mysql\n        - -h\n        - db\n        - -e\n        - select 1\n        - -p\n    Args:\n      --password\n      --verbose",
    "curl -sS \\\n  -u admin \\\n  https://nexus.example.com/x\nsshpass -f /etc/pw \\\n  ssh ops@h\nhtpasswd -c /etc/x admin \\\n   other\n  -p 8080",
    # Go dumps whose secret-word keys hold no secret
    'level=info msg="map[status:ok passwordPolicy:strong]" cfg=main.Opts{PasswordFile:"/etc/x", PasswordMinLength:8} map[password:]',
    # random-token's look-alikes: ids in hex, names made of words, certificates
    "podUID=74b53336-ddca-47c4-a281-49118930aa12 sandboxID=742beaf514499e91406fe7d83d364849d52fa5d2c32fabd9ee4f350831b8157e",
    "11:blkio:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod487a0dc6dccaeefbcfedba7a7ce1ca18.slice/crio-7a1fd6fe8cdfbd44dc78c4cc85dad7031eaab4365801684cad0aabdeaf863f9e.scope",
    "  s3ForcePathStyle: true # dns1123SubdomainFmt/ PodReadyToStartContainers TestDockerIDKubepods3",
    "nginx-deployment-66b6c48dd5-x2k4p drone-gwnr9euh15qpjikc58yu coredns-5d78c9869d-abcde kube-api-access-x7k2m",
    "--target-peer-url-host=${NODE_master_0_imeixner20210707_lab_upshift_rdu2_redhat_com_ETCD_URL_HOST}",
    "(/var/folders/gg/zn9yfdld21j7xg5jnj5zz5d80000gn/T/kubernetes-kube-apiserver993219963/apiserver.crt)",
    "sshd: Accepted publickey for ops ssh2: RSA SHA256:Xw3m0gkVQvJ7cPq1pZy7YwE8eXl9o6fO8wGd2kq4r0M",
    "authorized: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJx3bQ8kE2vT9mW4pZ7sYbYk9mQ2vLr8TnW4pZ7sYbQ ops@corp",
    "I1114 csr node-csr-6mP4R2c3yJ9vz3Gk5QF7UaWQ6WuWzT3J2m-3jdyR7tA approved",
    "providerID=azure:///subscriptions/3d47115a-7163-01bb-d9c1-5a9b132c01b1/resourceGroups/MC_shopRG_shopAKS_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/10",
    "KUBE-SVC-ERIFXISQEP7F7OF4 AKIAIOSFODNN7EXAMPLE image sha256:2e500d29e9d5f4a086b908eb8dfe7ecac57d2ab09d65b24f588b1d449841ef93",
    "docker.io/library/nginx@sha256:2e500d29e9d5f4a086b908eb8dfe7ecac57d2ab09d65b24f588b1d449841ef93 registry.k8s.io/kube-apiserver:v1.28.2",
    "-----BEGIN CERTIFICATE-----\nMIIDrzCCApegAwIBAgIII6Z5izNWw20wDQYJKoZIhvcNAQELBQAwJjEkMCIGA1UE\nAwwbaW5ncmVzcy1vcGVyYXRvckAxNjMxNjI4ODUwMB4XDTIxMDkxNDE0MTgyNloX\n-----END CERTIFICATE-----",
    '"ca.crt": "-----BEGIN CERTIFICATE-----\\nMIIDrzCCApegAwIBAgIII6Z5izNWw20wDQYJKoZIhvcNAQELBQAwJjEkMCIGA1UE\\n-----END CERTIFICATE-----\\n"',
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURNakNDQWhxZ0F3SUJBZ0lJUC9KL1pZbTA1QVV3RFFZSktvWklodmNOQVFFTEJRQXdOekVTTUJBR0ExVUUK",
    "  Normal  Pulled  12m  kubelet  event default/web-x1.17a2b3c4d5e6f7a8 Pulled image nginx",
    "LAST SEEN   TYPE     REASON   OBJECT       MESSAGE   nginx1.1789abcdef012345",
    "E0515 reflector.go:201] Failed to list *api.Secret: the server has asked for the client to provide credentials",
    "E0515 reflector.go:201] Failed to list *v1.Secret: secrets is forbidden: User cannot list resource",
    "Delegation of authentication and authorization to OpenShift is enabled for bearer tokens and client certificates.",
    "    - --enable-bootstrap-token-auth=true",
    "    - --authorization-mode=Node,RBAC",
    "    - --service-account-key-file=/etc/kubernetes/ssl/sa.pub",
    "    - --kubelet-client-key=/etc/kubernetes/ssl/apiserver-kubelet-client.key",
    "    - --token-auth-file=/etc/kubernetes/tokens/known_tokens.csv",
    "    - --tls-private-key-file=/etc/kubernetes/ssl/apiserver.key",
    "    - --token-ttl=24h",
    "      secretName: calico-etcd-secrets",
    "  automountServiceAccountToken: false",
    "    serviceAccountToken:",
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=",
    "authorization:\n  mode: Webhook",
    "    secret:\n      secretName: foo",
    '          "PWD=/root",',
    'I1003 12:00:00.000000   1 event.go:291] "Event occurred" reason="SuccessfulCreate" message="Created pod: token-refresher-x"',
    "apiVersion: v1",
    "kind: Secret",
    "rate limiter: token bucket refilled",
    "password reset requested for user 42",
    "the password field is required",
    "token:",
    "password:",
    'I1114 12:00:00 1 cache.go:1] "Failed to get token" err="timeout"',
    "I1114 12:00:00 1 token_manager.go:1] Refreshing service account token for pod x",
    "W1114 12:00:00 1 authentication.go:1] failed to refresh token: Post https://x: timeout",
    "    - name: token-volume\n      projected:\n        sources:\n        - serviceAccountToken:\n            path: token",
    '{"level":"info","name":"worker-7","msg":"processed 12 items"}',
    "Basic authentication is disabled",
    "use private key authentication where possible",
    "mysql -h db -P 3306 -u app",
    "nginx -p /usr/share/nginx -c nginx.conf",
    "ssh -p 2222 host",
    "curl -u admin https://x",
    "see https://kubernetes.io/docs/concepts/configuration/secret/",
    "host user@example.com logged in",
    "sha256:0a1b2c3d4e5f",
    "config.yaml loaded from kube-system.abcdefghijklmnop",
    "  tokenTTL: 24h",
    "  passwordMinLength: 12",
    '  "readOnlyRootFilesystem": true,',
    "  secretRef:\n    name: db",
    "      valueFrom:\n        secretKeyRef:\n          name: db\n          key: password",
    "  auth: {}",
    "Successfully authenticated with token authenticator",
    "etcd: token expired, renewing",
    "docker ps -a -p 8080",
    "vault status",
    "I1114 12:00:00 1 server.go:1] user: system:kube-proxy",
    "token-refresher.16e4fa60064650d9",
    "signal: SIGTERM received",
    "  author: jane",
    "  snapshotKey: 7d6ad449ae76b3166d44ccb50db26fca",
    "    - key: node-role.kubernetes.io/control-plane",
    "  key: app",
    "  monkey: banana",
    "  passthrough: true",
    "  secretName: db-creds",
    "  tokenExpirationSeconds: 3600",
    "  userKey: /etc/ceph/keyring",
    "see https://example.com/path?next=a@b.com",
    "disk-pressure: true msg.size=12 task-runner",
    "2023-11-14T22:11:40.000000000Z stdout P a partial line with nothing secret",
    "password: ${DB_PASSWORD}",
    "  credentialsFile: /etc/app/creds.json",
    "see https://example.com/path/x?next=a@b.com now",
    "https://host:8080/api/v1 ok",
    "az aks get-credentials --name prod",
    # prose and user@host look-alikes (red-team round 5)
    "the password is incorrect for user admin",
    "password for user admin is not set",
    "password was changed at 2024-03-01T12:00:00Z",
    "the new password must be 8 characters",
    "image: nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "mailto:john@example.com Email:jane.doe@corp.example.com",
    "git clone git@github.com:org/repo.git",
    "\uc554\ud638\ud654 \uc54c\uace0\ub9ac\uc998: AES256-GCM",
    "resenha: Great2024!",
    "echo hello | sudo tee /etc/x",
    "pid:12345@node01 java.lang.Thread:run@0x7f",
    "    auth_type PASS",
    "  auth_pass_file /etc/keepalived/pass",
    "pwd: /home/app",
    "Driver={ODBC Driver 18};Server=db;Trusted_Connection=yes;",
    "x hotplug=1 otpauth=x",
    "kubectl -n kube-system get pods -x",
    "ssh-keygen -t ed25519 -N '' -f key",
    "openssl passwd -help",
    "openssl passwd -salt xyz -stdin",
    "crane pull -p linux/amd64 img",
    "nmcli con show",
    "mkpasswd -m help",
    "mkpasswd -s",
    "docker run -u 1000 -p 8080:80 nginx",
    "strace -u app -p 1234",
    "psql -U postgres -p 5432 -h db",
    "psql -U postgres -P pager=off",
    "ps -u root -p 1,2,3",
    "sqlplus / as sysdba",
    "sqlplus -s @/opt/scripts/run.sql",
    '<entry key="db.host">db1</entry>',
    '<add key="DbPassword" value="${DB_PASSWORD}" />',
    "GIT_REMOTE=git@github.com:org/repo.git",
    "ubuntu@ip-10-0-0-1.ec2.internal:~$ kubectl get pods",
    "admin@node1.example.com:kubernetes$ ls",
    "scp backup.tar ops@bastion.example.com:backups",
    "user default on nopass ~* +@all",
    "auth_file = /etc/pgbouncer/userlist.txt",
    "I1114 round_trippers.go:469] Request Headers: Authorization: Bearer <masked>",
    '{"level":"info","auth-token":"simple","msg":"etcd config"}',
    "    - --initial-cluster-token=k8s_etcd",
    "ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd",
    "openvpn --config /etc/openvpn/c.conf --auth-user-pass /etc/openvpn/creds --askpass /etc/openvpn/pass.txt",
    "mount -t cifs //fs/share /mnt -o credentials=/root/.smbcredentials,vers=3.0",
    "LoadCredential=ecr-token:/etc/kubernetes/creds/ecr",
    'tokenRequests: "audience=vault"',
    'compartment_id = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"',
    '{"cwd":"x","pwd":"/home/app"}',
    "  sshHostKeyFingerprint: SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    "connecting as orders with password ******** to db.shop.svc",
    "  pass through all the requests",
    "the mc admin user add command adds a user",
    "ctrl alt del",
    "helm upgrade x --set env[0].name=LOG_LEVEL,env[0].value=debug,replicas.value=3",
    "the token was created: yes",
    '      jsonData:\n        httpHeaderName1: X-Api-Key',
    '{"log": "warning: deprecated flag\\n", "stream": "stderr", "time": "2023-11-14T22:07:01.000000001Z"}',
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ3YxN2Zha2VjZXJ0aWZpY2F0ZTAKBggqhkjOPQQDAjAV\n-----END CERTIFICATE-----",
]


def case_inputs() -> dict[str, bytes]:
    out = {f"case{i:03d}": c.text.encode("utf-8", "surrogateescape") for i, c in enumerate(CASES)}
    out.update({f"kept{i:03d}": (t + "\n").encode() for i, t in enumerate(KEPT)})
    return out


@pytest.fixture(scope="module", params=AWK_PARAMS)
def results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    return run_cases(request.param, tmp_path_factory.mktemp("redact"), case_inputs())


@pytest.mark.parametrize("i", range(len(CASES)), ids=lambda i: f"{CASES[i].rule}-{i}")
def test_rule_redacts_whole_values(results: dict[str, Result], i: int) -> None:
    c = CASES[i]
    r = results[f"case{i:03d}"]
    assert r.out is not None, "withheld"
    out = r.out.decode("utf-8", "surrogateescape")
    for s in c.secrets:
        assert s not in out, (s, out)
    assert M in out
    # (a run of random-looking base64 over a chunk's end of a long line is redacted first by random-token)
    rules = {rule for _, rule in r.rules}
    assert c.rule in rules or c.rule in ("secret-field", "secret-flag") or (len(c.text) > 65536 and "random-token" in rules), r.rules
    if c.expected is not None:
        assert out == c.expected


@pytest.mark.parametrize("i", range(len(KEPT)), ids=lambda i: KEPT[i][:40])
def test_look_alikes_stay_byte_identical(results: dict[str, Result], i: int) -> None:
    r = results[f"kept{i:03d}"]
    assert r.out == (KEPT[i] + "\n").encode() and r.rules == []


def declared_rules() -> list[list[str]]:
    out = subprocess.run(["bash", "-c", f"source {COLLECTOR}; redaction_rules"], capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def test_every_declared_rule_has_cases() -> None:
    rules = declared_rules()
    assert all(len(r) == 5 for r in rules)
    ids = {r[0] for r in rules}
    content_rules = {r[0] for r in rules if not r[2].startswith("(")}
    assert content_rules <= {c.rule for c in CASES}, content_rules - {c.rule for c in CASES}
    assert {c.rule for c in CASES} <= ids


def awk_lex(prog: str) -> tuple[list[tuple[str, str]], str]:
    """The string and regex literals of an awk program, as an awk's lexer reads them (("str" or "re", text)), and
    its code with each literal as "" and without comments. A `/` opens a regex where an operand is expected (after
    `(`, `,`, `~`, `!`, `&`, `|`, `{`, `;`, `=` or a line's start), as in awk's grammar; a `/` in brackets does not end
    it (busybox's reading is avoided by the engine)."""
    out: list[tuple[str, str]] = []
    code: list[str] = []
    i, n, prev = 0, len(prog), "\n"
    while i < n:
        c = prog[i]
        if c == "#":
            j = prog.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == '"' or (c == "/" and prev in "(,~!&|{};=\n"):
            j, brackets = i + 1, False
            while prog[j] != c or (c == "/" and brackets):
                assert prog[j] != "\n", f"a literal runs past its line: {prog[i:i + 80]!r}"
                if prog[j] == "\\":
                    j += 1
                elif c == "/" and prog[j] == "[" and not brackets:
                    brackets = True
                    j += prog[j + 1] == "]"
                elif c == "/" and prog[j] == "]":
                    brackets = False
                j += 1
            out.append(("str" if c == '"' else "re", prog[i + 1 : j]))
            code.append('""')
            i, prev = j + 1, c
            continue
        code.append(c)
        if not c.isspace() or c == "\n":
            prev = c
        i += 1
    return out, "".join(code)


def test_the_engine_compiles_on_old_and_strict_awks() -> None:
    """What mawk 1.3.3 (Debian 10, Ubuntu 18.04; not installable here) and the one true awk need of the program:
    no literal past 1,000 bytes (1.3.3's lexer copies a literal into a buffer of 2,040 bytes, 1,020 on 32-bit, unchecked:
    the program crashed, every file withheld), no POSIX class (1.3.3 reads [[:blank:]] as a set of letters) and no
    empty alternative (`(a|)`: both refuse it). Checked by hand with mawk 1.3.3 built from Debian's 1.3.3-15 source:
    every case of this file redacted as with mawk 1.3.4."""
    prog = subprocess.run(["bash", "-c", 'source "$1"; STAGE=$(mktemp -d); redact_setup; cat -- "$REDACT_PROGF"; rm -rf "$STAGE"',
                           "x", str(COLLECTOR)], capture_output=True, text=True, check=True, env={**os.environ, "LC_ALL": "C"}).stdout  # fmt: skip
    lits, _ = awk_lex(prog)
    assert len([k for k, _ in lits if k == "re"]) > 500 and len(prog) > 100_000
    assert max(len(t.encode()) for _, t in lits) <= 1000, sorted((len(t), t[:60]) for _, t in lits)[-1]
    assert not re.findall(r"\[:[a-z]+:\]", prog)
    # and it is given to awk as a file: as one argument it passed Linux's bound of 128 KiB (exit 126, every file withheld)
    text = COLLECTOR.read_text()
    assert text.count('-f "$REDACT_PROGF"') == 2 and '"$REDACT_PROG"' not in text
    assert not [t for k, t in lits if k == "re" and re.search(r"(?<!\\)\|\)|(?<!\\)\(\||(?<!\\)\|\||^\||(?<!\\)\|$", t)]


AWK_WORDS = {"if", "while", "for", "return", "in", "else", "do", "print", "printf", "getline", "delete", "exit", "next", "function",
             "length", "substr", "index", "split", "sub", "gsub", "match", "sprintf", "tolower", "toupper", "int", "sqrt", "exp",
             "log", "sin", "cos", "atan2", "rand", "srand", "system", "close", "fflush"}  # fmt: skip


def test_no_awk_program_joins_a_name_and_a_parenthesis() -> None:
    """busybox awk before 1.34 (Alpine 3.14 and older) reads `o (x ? "|" : "") $0`, a variable then a parenthesis, as
    a call of a function o: "Call to undefined function", and the program does not run (the trigger came out empty:
    every file withheld). No awk program of the collector writes one (user functions are called with no blank).
    Checked by hand with busybox 1.27.2 and 1.31.1 built with musl: every case of this file redacted as with 1.36."""
    text = COLLECTOR.read_text()
    # awk as a command (after a pipe, ;, &, (, timeout's bound or a line's start), its -v and -F options, its program
    command = re.compile(r"""(?:^|[|;&(]|timeout "[^"]*")[ \t]*(?:[A-Z_]+="[^"]*"[ \t]+)*awk"""
                         r"""(?:[ \t]+-(?:v[ \t]*[A-Za-z_]+=(?:"[^"]*"|'[^']*'|[^ \t'"]+)|F[ \t]*(?:'[^']*'|[^ \t'"]+)))*[ \t]+'([^']*)'""", re.M)
    progs = command.findall(text)
    # and the programs the script prints (the engine, built; the others from their functions)
    progs += subprocess.run(["bash", "-c", 'source "$1"; STAGE=$(mktemp -d); redact_setup; cat -- "$REDACT_PROGF"; rm -rf "$STAGE"; '
                             'printf "\\n#\\n"; known_awk; printf "\\n#\\n"; redact_union_awk; printf "\\n#\\n"; redact_merge_awk; printf "\\n#\\n"; obf_awk',
                             "x", str(COLLECTOR)], capture_output=True, text=True, check=True, env={**os.environ, "LC_ALL": "C"}).stdout.split("\n#\n")  # fmt: skip
    assert len(progs) >= 30 and all(p.strip() for p in progs)
    bad = [(m.group(1), code[max(0, m.start() - 40) : m.end() + 20]) for p in progs for code in [awk_lex(p)[1]]
           for m in re.finditer(r"(?<![A-Za-z0-9_$])([A-Za-z_][A-Za-z0-9_]*)[ \t]+\(", code) if m.group(1) not in AWK_WORDS]  # fmt: skip
    assert not bad, bad


def test_docs_list_the_declared_rules() -> None:
    doc = (PROJECT / "docs" / "redaction.md").read_text()
    for rule, kind, _trigger, what, kept in declared_rules():
        row = f"| `{rule}` | {kind} | {what} | {kept} |"
        assert row.replace("|  |", "| |") in doc.replace("|  |", "| |"), row


def test_base64_signatures_are_the_encoded_words() -> None:
    text = COLLECTOR.read_text()
    sigs = set(re.search(r"^readonly REDACT_SIGS='([^']*)'", text, re.M).group(1).split())  # type: ignore[union-attr]
    words = ["password", "Password", "PASSWORD", "passwd", "secret", "Secret", "SECRET", "token", "Token", "TOKEN",
             "PRIVATE KEY", '"auth"', "auths", "Authorization", "authorization", "Bearer ", "bearer "]  # fmt: skip
    # every signature is found in the encoding of its word, at each alignment and after any prefix
    for w in words:
        for pre in ("", "x", "xy", "a\n", "\xff\xfe\x00"):
            enc = base64.b64encode(pre.encode("latin-1") + w.encode() + b"tail").decode()
            assert any(s in enc for s in sigs), (w, pre)
            twice = base64.b64encode(pre.encode("latin-1") + enc.encode() + b"!").decode()
            assert any(s in twice for s in sigs), (w, pre, "twice")


def test_linear_on_a_long_line_full_of_anchors(tmp_path: Path) -> None:
    """A 2 MiB line with 40,000 secrets: every one removed (the old engine took minutes on 44 KiB)."""
    line = "".join(f'"password":"Pw{i:05d}x", token=T{i:05d}y ' for i in range(40000))
    got = run_cases("mawk", tmp_path, {"long": (line + "\n").encode()})["long"]
    assert got.out is not None
    text = got.out.decode()
    assert "Pw0" not in text and "T0" not in text and text.count(M) == 80000


@pytest.mark.parametrize("kind", AWK_PARAMS)
def test_a_value_redacted_once_is_redacted_in_every_file(tmp_path: Path, kind: str) -> None:
    """known-value: the same password echoed, passed to a tool no rule knows, or in another file; names, images,
    URLs, letters-only words and env values that are no secret are not looked for elsewhere."""
    got = run_cases(kind, tmp_path, {
        "history": b"++ echo Juniper3370quartz\n+ PW=Juniper3370quartz\n",
        "ps.txt": b"root 1 myapp --db Juniper3370quartz -v\nroot 2 psql -W x\n",
        "inspect.json": b'{"envs": ["DB_PASSWORD=postgres", "IMAGE=quay.io/x/etcd@sha256:e547acdeb82a29ae", "TOKEN_B=Tk9xQ2wErTy7uIoP", "MODE=existing"]}\n',
        "other.log": b"image quay.io/x/etcd@sha256:e547acdeb82a29ae mode existing db postgres token Tk9xQ2wErTy7uIoP\n",
    })
    assert got["history"].out == f"++ echo {M}\n+ PW={M}\n".encode()
    assert got["ps.txt"].out == f"root 1 myapp --db {M} -v\nroot 2 psql -W x\n".encode()
    assert got["other.log"].out == f"image quay.io/x/etcd@sha256:e547acdeb82a29ae mode existing db postgres token {M}\n".encode()
    assert ("known-value" in {r for _, r in got["ps.txt"].rules}) and (1, "known-value") in got["history"].rules


def test_per_file_time_bound_withholds(tmp_path: Path) -> None:
    """An awk that never finishes: the file is withheld with a reason, never left half redacted."""
    d = tmp_path / "slowawk"
    d.mkdir()
    real = shutil.which("mawk") or shutil.which("awk")
    # (slow on that file's lines only: the engine's self-test at start runs with it and must pass)
    (d / "awk").write_text(f'#!/bin/sh\ncase "$*" in *MODE=line*) i=$(cat); case "$i" in *SlowPw1*) sleep 30 ;; esac\n'
                           f'  printf "%s\\n" "$i" | exec {real} "$@" ;; esac\nexec {real} "$@"\n')
    (d / "awk").chmod(0o755)
    run = tmp_path / "run"
    (run / "in").mkdir(parents=True)
    (run / "in" / "slow.conf").write_text("password: SlowPw1\n")
    env = {**os.environ, "PATH": f"{d}:{os.environ['PATH']}", "LC_ALL": "C"}
    subprocess.run(["bash", "-c", HARNESS, "harness", str(COLLECTOR), str(run), "2"], env=env, check=True, timeout=120)
    assert not (run / "in" / "slow.conf").exists()
    assert (run / "withheld.tsv").read_text() == "slow.conf\tredaction took longer than 2s\n"


def _bin_without_awks(tmp_path: Path, awk_script: str) -> Path:
    """A folder of every command of this machine but its awks, and `awk` the script given: a node whose only awk
    is that one."""
    d = tmp_path / "bin"
    d.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if "awk" in name or name == "busybox" or (d / name).exists():
                continue
            (d / name).symlink_to(Path(folder) / name)
    (d / "awk").write_text(awk_script)
    (d / "awk").chmod(0o755)
    return d


def _harness(run: Path, path: str, files: dict[str, str]) -> tuple[dict[str, str | None], str, str]:
    """The files through the harness with PATH: (each file's output or None when withheld, withheld.tsv, engine)."""
    (run / "in").mkdir(parents=True)
    for name, text in files.items():
        (run / "in" / name).write_text(text)
    env = {**os.environ, "PATH": path, "LC_ALL": "C"}
    subprocess.run(["bash", "-c", HARNESS, "harness", str(COLLECTOR), str(run)], env=env, check=True, timeout=300)
    out = {n: (run / "in" / n).read_text() if (run / "in" / n).exists() else None for n in files}
    return out, (run / "withheld.tsv").read_text(), (run / "engine").read_text()


# an awk that runs but does nothing: before the self-test it left every file as it was (secrets included)
NOOP_AWK = "#!/bin/sh\ncat >/dev/null 2>&1\nexit 0\n"
FILES = {"app.conf": "user: admin\npassword: Zq9NoopAwk1\n", "plain.txt": "hello world\n"}


def test_an_awk_that_fails_the_self_test_is_replaced_by_one_that_passes(tmp_path: Path) -> None:
    """The first awk on PATH redacts nothing (exit 0, no output): the engine's self-test fails, and the first of gawk,
    mawk, busybox awk, nawk, original-awk that passes runs the engine instead; the files are redacted as usual."""
    d = tmp_path / "noop"
    d.mkdir()
    (d / "awk").write_text(NOOP_AWK)
    (d / "awk").chmod(0o755)
    out, withheld, engine = _harness(tmp_path / "run", f"{d}:{os.environ['PATH']}", FILES)
    assert engine in ("gawk", "mawk", "busybox awk", "nawk", "original-awk")
    assert out == {"app.conf": f"user: admin\npassword: {M}\n", "plain.txt": "hello world\n"} and withheld == ""


@pytest.mark.parametrize("awk", ["noop", "old", "fails"])
def test_when_no_awk_passes_the_self_test_files_to_redact_are_withheld(tmp_path: Path, awk: str) -> None:
    """The node's only awk refuses the engine's program (an old awk), or runs nothing at all: every file with a line the
    rules would read is withheld, with the reason; a file with none is kept, but where awk could not even build the
    rules' search (nothing runs), every file is withheld. Redaction fails closed."""
    # (fails: every program, the builder of the rules' search included, as busybox awk before 1.34 failed the builder's
    # `o (x ? "|" : "")`; the build then ended the script)
    script = {"noop": NOOP_AWK, "fails": "#!/bin/sh\necho 'awk: Call to undefined function' >&2\nexit 2\n"}.get(
        awk, f'#!/bin/sh\ncase "$*" in *MODE=*) echo "awk: syntax error" >&2; exit 2 ;; esac\nexec {shutil.which("mawk") or "mawk"} "$@"\n')
    out, withheld, engine = _harness(tmp_path / "run", str(_bin_without_awks(tmp_path, script)), FILES)
    assert engine == "none"
    why = "no awk on this node passed the redaction engine's self-test"
    if awk == "old":
        assert out == {"app.conf": None, "plain.txt": "hello world\n"} and withheld == f"app.conf\t{why}\n"
    else:
        assert out == {"app.conf": None, "plain.txt": None} and withheld == f"app.conf\t{why}\nplain.txt\t{why}\n"


# real credentials in the corpus: cAdvisor's --storage-driver-password="root" in kubelet's flag dump,
# and OpenShift's Secret manifests in a must-gather
TRUE_POSITIVES = {"masters/kubelet_service.log": {"secret-flag"}, "core/secrets.yaml": {"secret-manifest-data"}}


@pytest.mark.parametrize("path", corpus_params(""))
def test_real_captures_pass_unchanged_but_for_env_values(tmp_path: Path, path: Path) -> None:
    got = run_cases("mawk", tmp_path, {"capture": path.read_bytes()})["capture"]
    allowed = {"env-value"}.union(*(v for k, v in TRUE_POSITIVES.items() if str(path).endswith(k)))
    assert {rule for _, rule in got.rules} <= allowed, got.rules
    if not got.rules:
        assert got.out == path.read_bytes()


# ------------------------------------------------------------------ redact_all: one trigger search per batch

HARNESS_ALL = r"""
source "$1"
STAGE=$(mktemp -d "$2/stage.XXXXXX")
BUNDLE="$2/in"
RECORDS="$STAGE/records.json"
: >"$RECORDS"
redact_setup
redact_all
cp -- "$REDLINES" "$2/redlines.tsv"
cp -- "$WITHHELD" "$2/withheld.tsv"
printf '%s' "$REDACT_ENGINE" >"$2/engine"
rm -rf -- "$STAGE"
"""

ODD = "a[$(touch PWNED)]`touch PWNED2`$((1+1)).conf"  # a member name that must stay a name, never arithmetic or a command


@pytest.mark.parametrize("batch", ["works", "fails"])
def test_redact_all_finds_every_secret_whether_the_batch_search_works_or_not(tmp_path: Path, batch: str) -> None:
    """redact_all searches the trigger in all files with one grep (and random-token's runs with a second)
    and runs the rules only on the files they list; when a grep cannot say (here: a grep that refuses -Z, as BusyBox's does), every file is
    searched alone. Either way every secret is redacted, a file without a trigger is left as it was, and
    a hostile member name is only ever a name."""
    real = shutil.which("grep")
    d = tmp_path / "bin"
    d.mkdir()
    refuse = 'case " $* " in *" -Z "*) exit 2 ;; esac\n' if batch == "fails" else ""
    (d / "grep").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >>"{tmp_path}/grep.log"\n{refuse}exec {real} "$@"\n')
    (d / "grep").chmod(0o755)
    run = tmp_path / "run"
    (run / "in" / "sub").mkdir(parents=True)
    files = {"plain.txt": b"nothing to see here\n", ODD: b"password: Sekr3tPw1\n", "sub/b.yaml": b"token: 0123456789abcdefTok\n"}
    for name, data in files.items():
        (run / "in" / name).write_bytes(data)
    env = {**os.environ, "PATH": f"{d}:{os.environ['PATH']}", "LC_ALL": "C"}
    subprocess.run(["bash", "-c", HARNESS_ALL, "harness", str(COLLECTOR), str(run)], env=env, check=True, timeout=120, cwd=tmp_path)
    assert (run / "in" / "plain.txt").read_bytes() == files["plain.txt"]
    for name in (ODD, "sub/b.yaml"):
        out = (run / "in" / name).read_bytes()
        assert M.encode() in out and b"Sekr3tPw1" not in out and b"0123456789abcdefTok" not in out, (name, out)
    assert sorted(line.split("\t")[0] for line in (run / "redlines.tsv").read_text().splitlines()) == sorted([ODD, "sub/b.yaml"])
    assert (run / "withheld.tsv").read_text() == ""
    assert not list(tmp_path.rglob("PWNED*")), "a member name was run"
    log = (tmp_path / "grep.log").read_text().splitlines()
    batched = [a for a in log if " -l -Z " in f" {a} "]
    alone = [a for a in log if a.startswith("-n ")]
    assert len(batched) == 2 and all(str(run / "in" / n) in b for n in files for b in batched)
    # the per-file search: only the files the batch listed, or all of them when it could not say
    searched = {n for n in files if any(a.endswith(str(run / "in" / n)) for a in alone)}
    assert searched == ({ODD, "sub/b.yaml"} if batch == "works" else set(files))


@pytest.mark.parametrize("kind", AWK_PARAMS)
def test_a_value_cut_by_rotation_is_redacted_in_the_next_file(tmp_path: Path, kind: str) -> None:
    """A P record ends a rotated file and its line goes on in the next file of the same container and restart
    (a later rotated file, or N.log): the rest of the value is redacted there. Another restart's log, or a file
    whose predecessor ends in an F record, is left as it was."""
    d = awk_dir(kind, tmp_path)
    run = tmp_path / "run"
    c = run / "in" / "files" / "var" / "log" / "pods" / "shop_search-0_1f2e" / "search"
    c.mkdir(parents=True)
    t = "2023-11-14T21:59:59.000000001Z"
    files = {
        "0.log.20231114-210000": f'{t} stdout F ready\n{t} stdout P {{"es":{{"user":"search","password":"Zq7Hazel\n',
        "0.log.20231114-220000": f'{t} stderr F W1114 flag\n{t} stdout F r7386ember"}}}}\n{t} stdout P token=Zq7Kilo\n',
        "0.log": f"{t} stdout F 9931vulture end\n{t} stdout F search ok\n",
        "1.log": f"{t} stdout F r7386ember first line of a new start\n",
    }
    for name, data in files.items():
        (c / name).write_text(data)
    env = {**os.environ, "PATH": f"{d}:{os.environ['PATH']}", "LC_ALL": "C"}
    subprocess.run(["bash", "-c", HARNESS_ALL, "harness", str(COLLECTOR), str(run)], env=env, check=True, timeout=120)
    got = {name: (c / name).read_text() for name in files}
    assert got["0.log.20231114-220000"] == f'{t} stderr F W1114 flag\n{t} stdout F {M}"}}}}\n{t} stdout P token={M}\n'
    assert got["0.log"] == f"{t} stdout F {M} end\n{t} stdout F search ok\n"
    assert got["1.log"] == files["1.log"]
    assert "Zq7Hazel" not in got["0.log.20231114-210000"]
    rel = "files/var/log/pods/shop_search-0_1f2e/search/"
    lines = {(a, b) for a, b, _ in (x.split("\t") for x in (run / "redlines.tsv").read_text().splitlines())}
    assert {(rel + "0.log.20231114-220000", "2"), (rel + "0.log", "1")} <= lines
