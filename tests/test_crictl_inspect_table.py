"""`crictl inspectp --output table`, `crictl inspect --output table` and `crictl images -v` (Key: value lines, one object
after another), as a loose file and as a section of a paste: each variant the parsers claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import paste
from analyzer.errors import ParseError
from analyzer.models import ContainerObs, ImageObs, Record, Sandbox
from analyzer.registry import ParseContext, load_parsers, sniff
from tests.conftest import examples

SOURCES = ["crictl-inspect-table", "crictl-images-verbose"]
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
    assert [(x.kind, x.attrs["object"], len(x.records)) for x in secs if x.is_data] == [("crictl-inspect-table", "sandbox", 1),
                                                                                         ("crictl-inspect-table", "container", 1)]
    assert paste.problems(secs) == []


# `crictl inspects` of 2017 (cri-tools issue 174): `IP Address:`, one address
OLD_POD = """\
ID: 432374d9dfa61d8768668784e9d5392159c8b87810628fefe2871b9233ff0187
Name: busybox
UID: 8fed396c-bf74-11e7-bd9d-5254007ee9b4
Namespace: myq
Attempt: 0
Status: SANDBOX_READY
Created: 2017-11-02 10:19:28.555867171 +0800 CST
IP Address: 10.88.0.88
Labels:
\tio.kubernetes.pod.name -> busybox
"""


def test_a_2017_sandbox_with_one_ip_address() -> None:
    recs, problems = run(OLD_POD)
    assert problems == []
    (s,) = recs
    assert isinstance(s, Sandbox) and s.ip == "10.88.0.88" and s.namespace == "myq"


def test_paste_sections_of_both_objects_a_grep_fragment_and_a_2017_sandboxes_table() -> None:
    from analyzer.pastefmt import go_time_iso

    secs = paste.split("# crictl inspects busybox -n myq\n" + OLD_POD + "$ crictl inspect -o table 9b1e3c0f2d4a\n" + CONTAINER
                       + "$ crictl inspectp --output table | grep -i 'Addresses'\nIP Addresses: 10.85.0.3\n"
                       + "# crictl sandboxes\nSANDBOX ID                                                         NAME                STATE               NAMESPACE\n"
                       + "432374d9dfa61d8768668784e9d5392159c8b87810628fefe2871b9233ff0187   busybox             SANDBOX_READY       myq\n")  # fmt: skip
    data = [x for x in secs if x.is_data]
    assert [x.kind for x in data] == ["crictl-inspect-table", "crictl-inspect-table", "crictl-inspect-table", "crictl-pods"]
    pod, ctr, frag, table = (x.records for x in data)
    assert pod == [{"pod_id": "432374d9dfa61d8768668784e9d5392159c8b87810628fefe2871b9233ff0187", "name": "busybox",
                    "uid": "8fed396c-bf74-11e7-bd9d-5254007ee9b4", "namespace": "myq", "attempt": 0, "state": "SANDBOX_READY",
                    "created": "2017-11-02T02:19:28.555867171Z", "ip": "10.88.0.88", "labels": {"io.kubernetes.pod.name": "busybox"}}]  # fmt: skip
    assert ctr[0]["container_id"] == "9b1e3c0f2d4a" and ctr[0]["exit_code"] == 137 and ctr[0]["state"] == "CONTAINER_EXITED"
    assert ctr[0]["finished"] == "2023-10-03T16:05:03Z" and ctr[0]["reason"] == "OOMKilled"
    assert frag == [{"ip": "10.85.0.3"}]
    assert table[0]["pod_id"].startswith("432374d9") and table[0]["name"] == "busybox" and table[0]["namespace"] == "myq"
    assert paste.problems(secs) == []
    assert go_time_iso("2017-07-25 15:25:40.07583 -0700 PDT") == "2017-07-25T22:25:40.07583Z"
    assert go_time_iso("2017-07-25T15:25:40Z") is None


IMAGES_V = """\
ID: sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c
RepoTags: k8s.m.daocloud.io/pause:3.9
RepoDigests: k8s.m.daocloud.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097
Size: 321520
Uid: &Int64Value{Value:65535,}

ID: sha256:ed210e3e4a5bae1237f1bb44d72a05a2f1e5c6bfe7a7e73da179e2534269c459
RepoTags: registry.aliyuncs.com/google_containers/pause:3.5
RepoTags: registry.aliyuncs.com/google_containers/pause:latest
RepoDigests: registry.aliyuncs.com/google_containers/pause@sha256:1ff6c18fbef2045af6b9c16bf034cc421a29027b800e4f9b68ae9b1cb3e9ae07
Size: 301416
Username: nobody
Pinned: true
"""


def test_crictl_images_verbose_is_one_record_per_image() -> None:
    secs = paste.split("$ crictl images -v\n" + IMAGES_V)
    (sec,) = [x for x in secs if x.is_data]
    assert sec.kind == "crictl-images-verbose" and not sec.problems
    a, b = sec.records
    assert a["uid"] == 65535 and a["size"] == 321520 and a["repo_tags"] == ["k8s.m.daocloud.io/pause:3.9"] and "pinned" not in a
    assert b["repo_tags"] == ["registry.aliyuncs.com/google_containers/pause:3.5", "registry.aliyuncs.com/google_containers/pause:latest"]
    assert b["username"] == "nobody" and b["pinned"] is True and b["image_id"].endswith("c459")


def test_crictl_images_verbose_is_sniffed_and_stored_a_row_per_tag() -> None:
    spec, _score = sniff(IMAGES_V)
    assert spec is not None and spec.name == "crictl-images-verbose"
    ctx = ParseContext("images.txt", IMAGES_V.encode())
    rows = [r for r in load_parsers()["crictl-images-verbose"].parse(ctx) if isinstance(r, ImageObs)]
    assert ctx.problems == []
    assert [(r.repo, r.tag, r.size_bytes, r.pinned) for r in rows] == [
        ("k8s.m.daocloud.io/pause", "3.9", 321520, None),
        ("registry.aliyuncs.com/google_containers/pause", "3.5", 301416, True),
        ("registry.aliyuncs.com/google_containers/pause", "latest", 301416, True),
    ]  # fmt: skip
    assert rows[1].digest == "sha256:1ff6c18fbef2045af6b9c16bf034cc421a29027b800e4f9b68ae9b1cb3e9ae07"


def test_crictl_images_verbose_stray_lines_are_problems_and_no_id_is_an_error() -> None:
    ctx = ParseContext("images.txt", ("garbage here\n" + IMAGES_V.replace("Size: 301416", "Size: 301416\nnot a key line")).encode())
    rows = list(load_parsers()["crictl-images-verbose"].parse(ctx))
    assert len(rows) == 3 and [p for _l, p in ctx.problems] == ["not a crictl images -v line: 'garbage here'",
                                                                "not a crictl images -v line: 'not a key line'"]  # fmt: skip
    with pytest.raises(ParseError):
        list(load_parsers()["crictl-images-verbose"].parse(ParseContext("x", b"RepoTags: a:1\n")))


_IMAGE = st.tuples(st.text("0123456789abcdef", min_size=64, max_size=64),
                   st.lists(st.from_regex(r"[a-z0-9.]{1,12}/[a-z0-9]{1,8}:[a-z0-9.]{1,6}", fullmatch=True), max_size=3, unique=True),
                   st.integers(0, 10**12), st.sampled_from(["", "Pinned: true", "Pinned: false"]))  # fmt: skip
_JUNK = st.text(st.characters(codec="utf-8", blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=40)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(_IMAGE, min_size=1, max_size=6), st.lists(_JUNK, max_size=4))
def test_crictl_images_verbose_of_any_images_and_junk_is_a_row_per_tag(images: list[tuple[str, list[str], int, str]], junk: list[str]) -> None:
    """Whatever junk lines follow an image's block, its rows are exactly its tags (or one <none>), and a junk line is at most a
    problem of the line, never an exception."""
    blocks = []
    for k, (hexid, tags, size, pinned) in enumerate(images):
        lines = [f"ID: sha256:{hexid}", *[f"RepoTags: {t}" for t in tags], f"Size: {size}", *([pinned] if pinned else [])]
        if k < len(junk) and not junk[k].strip().startswith(("ID", "RepoTags", "RepoDigests", "Size", "Pinned")):
            lines.append(junk[k])
        blocks.append("\n".join(lines))
    ctx = ParseContext("images.txt", ("\n\n".join(blocks) + "\n").encode())
    rows = [r for r in load_parsers()["crictl-images-verbose"].parse(ctx) if isinstance(r, ImageObs)]
    want = [(f"sha256:{h}", t.rpartition(":")[2], size) for h, tags, size, _p in images for t in (tags or ["<none>"])]
    assert [(r.image_id, r.tag, r.size_bytes) for r in rows] == want
