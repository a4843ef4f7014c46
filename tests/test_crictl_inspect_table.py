"""`crictl inspectp --output table` and `crictl inspect --output table` (Key: value lines, one object after
another), as a loose file and as a section of a paste: each variant the parser claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import paste
from analyzer.errors import ParseError
from analyzer.models import ContainerObs, Record, Sandbox
from analyzer.registry import ParseContext, load_parsers, sniff

SOURCES = ["crictl-inspect-table"]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CRIO_8409 = CORPUS / "crictl-json/fragments-not-valid-json/crio-issue8409-crictl-inspectp-output-table-head.txt"

POD = """\
ID: 3a8bd5ad3f5c7d14bba5a0dbd5e9ed0ed1d0f6a8e69d7ba2cf1c83c6c5d3a901
Name: coredns-5d78c9869d-8x7vq
UID: 6f1c0b5e-2b1a-4a57-9c63-0d7a5d1e2b11
Namespace: kube-system
Attempt: 2
Status: SANDBOX_NOTREADY
Created: 2023-10-03 16:00:01.123456789 +0000 UTC
IP Addresses: 10.244.0.7
Labels:
\tio.kubernetes.pod.name -> coredns-5d78c9869d-8x7vq
\tk8s-app -> kube-dns
Annotations:
\tkubernetes.io/config.source -> api
"""

CONTAINER = """\
ID: 9b1e3c0f2d4a
Name: coredns
Attempt: 3
State: CONTAINER_EXITED
Image: registry.k8s.io/coredns/coredns:v1.10.1
Created: 2023-10-03 16:00:02 +0000 UTC
Started: 2023-10-03 16:00:03 +0000 UTC
Finished: 2023-10-03 16:05:03 +0000 UTC
Exit Code: 137
Reason: OOMKilled
Labels:
\tio.kubernetes.container.name -> coredns
"""


def run(text: str) -> tuple[list[Record], list[tuple[int | None, str]]]:
    ctx = ParseContext("x", text.encode())
    return list(load_parsers()["crictl-inspect-table"].parse(ctx)), ctx.problems


def test_a_sandbox_with_labels_annotations_and_a_go_time() -> None:
    (s,), problems = run(POD)
    assert problems == []
    assert isinstance(s, Sandbox)
    assert (s.sandbox_id[:12], s.name, s.namespace, s.pod_uid, s.attempt, s.state, s.ip) == (
        "3a8bd5ad3f5c", "coredns-5d78c9869d-8x7vq", "kube-system", "6f1c0b5e-2b1a-4a57-9c63-0d7a5d1e2b11", 2, "NotReady", "10.244.0.7")
    assert s.created_at is not None and s.created_at.isoformat() == "2023-10-03T16:00:01.123456+00:00"
    assert s.labels == {"io.kubernetes.pod.name": "coredns-5d78c9869d-8x7vq", "k8s-app": "kube-dns"}
    assert s.annotations == {"kubernetes.io/config.source": "api"}


def test_a_container_with_its_exit() -> None:
    (c,), problems = run(CONTAINER)
    assert problems == [] and isinstance(c, ContainerObs)
    assert (c.container_id, c.name, c.attempt, c.state, c.exit_code, c.reason) == ("9b1e3c0f2d4a", "coredns", 3, "Exited", 137, "OOMKilled")
    assert c.finished_at is not None and c.finished_at.isoformat() == "2023-10-03T16:05:03+00:00"


def test_several_objects_one_after_another_and_an_info_dump_skipped() -> None:
    recs, problems = run(POD + "Info: map[info:{\"pid\": 1}]\n" + CONTAINER)
    assert [type(r).__name__ for r in recs] == ["Sandbox", "ContainerObs"] and problems == []


def test_a_stray_line_is_a_problem_and_no_id_is_an_error() -> None:
    recs, problems = run(CONTAINER + "some words that are not a key\n")
    assert len(recs) == 1 and problems == [(13, "not a crictl inspect line: 'some words that are not a key'")]
    with pytest.raises(ParseError):
        run("Name: x\nState: CONTAINER_RUNNING\n")


def test_the_real_crio_sample_sniffed_and_read_as_a_paste_section() -> None:
    if not CRIO_8409.is_file():
        pytest.skip("../shared/corpus not present")
    text = CRIO_8409.read_text()
    spec = sniff(text)[0]
    assert spec is not None and spec.name == "crictl-inspect-table"
    (s,), problems = run(text)
    assert isinstance(s, Sandbox)
    assert (s.name, s.namespace, s.pod_uid, s.state, problems) == ("test-pod-minimal2", "default", "test-pod-uid2", "Ready", [])
    assert s.created_at is not None and s.created_at.isoformat() == "2024-07-22T14:12:34.456704+00:00"  # -0400 EDT
    secs = paste.split("$ sudo crictl inspectp --output table a1a964ab46b5\n" + text + "$ crictl inspect -o table 9b1e3c0f2d4a\n" + CONTAINER)
    assert [(x.kind, len(x.records)) for x in secs if x.is_data] == [("crictl-inspectp-table", 1), ("crictl-inspect-table", 1)]
    assert paste.problems(secs) == []
