"""The source registry: every source is tested, declared paths resolve, and any input to any
parser yields records or a ParseError / SkipSource, never another exception (hypothesis)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import ParseError, SkipSource
from analyzer.layouts.kubesnap import KUBESNAP
from analyzer.models import Record
from analyzer.registry import ParseContext, load_parsers
from tests.conftest import examples

TESTS = Path(__file__).resolve().parent


def covered_sources() -> set[str]:
    names: set[str] = set()
    for mod in pkgutil.iter_modules([str(TESTS)]):
        if mod.name.startswith("test_") and mod.name != "test_registry":
            m = importlib.import_module(f"tests.{mod.name}")
            names.update(getattr(m, "SOURCES", []))
    return names


def test_every_registered_source_has_tests() -> None:
    registered = set(load_parsers())
    missing = registered - covered_sources() - {"container-log", "journal"}
    assert not missing, f"sources without a test module listing them in SOURCES: {sorted(missing)}"


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("runtime/crictl-ps-a.json", "crictl-ps-json"),
        ("runtime/crictl-ps-a.txt", "crictl-ps-table"),
        ("runtime/crictl-inspect.json", "crictl-inspect"),
        ("processes/ps.txt", "ps"),
        ("processes/cgroup.txt", "proc-cgroup"),
        ("cluster/pods.json", "kubectl-json"),
        ("cluster/get-pod-wide.txt", "kubectl-table"),
        ("files/etc/kubernetes/manifests/kube-apiserver.yaml", "static-pod-manifest"),
        ("files/etc/kubernetes/ssl/ca.crt", "certificate"),
        ("files/etc/kubernetes/admin.conf", "config-file"),
        ("files/var/lib/kubelet/config.yaml", "kubelet-config"),
        ("manifest.json", "collector-manifest"),
        ("runtime/crictl-info.json", "crictl-info"),
        ("runtime/crictl-version.txt", "crictl-version"),
        ("runtime/docker-ps-a.txt", "docker-ps"),
        ("runtime/docker-inspect.json", "docker-inspect"),
    ],
)
def test_bundle_paths_resolve_to_their_parser(path: str, source: str) -> None:
    entry = KUBESNAP.classify(path)
    assert entry is not None and entry.reader == source


def test_every_parser_entry_of_the_layout_names_a_registered_source() -> None:
    parsers = load_parsers()
    for e in KUBESNAP.entries:
        if e.is_parser:
            assert e.reader in parsers, e
            assert KUBESNAP.example(e.reader) is not None, e


def test_sources_command_lists_the_registry() -> None:
    out = subprocess.run([str(Path(sys.executable).with_name("kubesnap")), "sources"], capture_output=True, text=True, check=True).stdout
    for name in load_parsers():
        assert name in out
    for e in KUBESNAP.entries:
        assert e.pattern in out


PARSERS = sorted(load_parsers().items())
text_lines = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.sampled_from([
            "CONTAINER           IMAGE               CREATED             STATE               NAME   ATTEMPT   POD ID",
            "POD ID   CREATED   STATE   NAME   NAMESPACE   ATTEMPT", "UID PID PPID C STIME TTY TIME CMD",
            "NAMESPACE NAME READY STATUS RESTARTS AGE", "NAME STATUS ROLES AGE VERSION", '{"items": [', '{"status": {"id": "abcdef1"',
            "0::/kubepods.slice/kubepods-pod1234.slice/cri-containerd-" + "a" * 64 + ".scope", "apiVersion: v1\nkind: Pod",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "Filesystem Type 1024-blocks Used Available Capacity Mounted on",
            "abc1234567890 44 hours ago Ready x y 0", "root 1 0 0 Oct01 ? 00:00:01 /sbin/init", '{"containers": [{"id": 5}]}',
        ]),
    ),
    max_size=12,
)


@pytest.mark.parametrize(("name", "spec"), PARSERS, ids=[n for n, _ in PARSERS])
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=text_lines, raw=st.binary(max_size=200))
def test_any_input_gives_records_or_a_parse_error(name: str, spec, lines: list[str], raw: bytes) -> None:
    if spec.bulk:
        return
    path = KUBESNAP.example(name) or "x.txt"
    for data in ("\n".join(lines).encode("utf-8", "surrogatepass"), raw):
        ctx = ParseContext(path, data)
        try:
            recs = list(spec.parse(ctx))
        except (ParseError, SkipSource):
            continue
        assert all(isinstance(r, Record) for r in recs)
