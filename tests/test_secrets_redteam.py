"""Red team: no planted secret leaves the node, in any form, with any awk; look-alikes stay.

The real collector runs on a fake node (fixtures/secrets_node.py) holding well over 100
distinct secrets in more than 40 hiding places, once per awk a node may have: mawk
(Debian/Ubuntu), gawk (RHEL), busybox awk (minimal images) and the one true awk (BSD lineage). The scan then looks for every
marker in every member's name, link target and bytes, in gzip members (recursively), and
in every base64 run of 16 or more characters decoded two levels deep. The collector under
test is collectors/kubesnap-collect.sh, or the file named by KUBESNAP_COLLECTOR.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.fakenode.build import COLLECTOR
from fixtures.fakenode.fakebin import STATE
from fixtures.secrets_node import ODD_NAMES, Secret, SecretsNode, build_odd_names_node, build_secrets_node
from tests.conftest import CORPUS

COLLECTOR_UNDER_TEST = Path(os.environ.get("KUBESNAP_COLLECTOR") or COLLECTOR)

# awk name -> how to put it first on PATH as `awk`, and what `awk` must then say it is
AWKS = {
    "mawk": (shutil.which("mawk") or "/usr/bin/mawk", None),
    "gawk": (shutil.which("gawk") or "/usr/bin/gawk", None),
    "busybox": (None, shutil.which("busybox") or "/bin/busybox"),
    "original-awk": (shutil.which("original-awk") or "/usr/bin/original-awk", None),
}

B64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9_-]{16,}={0,2}")
# base64 wrapped over lines (PEM bodies, YAML folded scalars): line breaks and indentation
# between base64 characters are dropped, so that wrapped runs decode as one
B64_WRAP = re.compile(rb"(?<=[A-Za-z0-9+/=])[ \t]*\r?\n[ \t]*(?=[A-Za-z0-9+/])")
JSON_ESCAPES = re.compile(rb"\\(?:[nrt/\"\\]|u00[0-9a-fA-F]{2})")


def _unescape(m: re.Match[bytes]) -> bytes:
    s = m.group(0)
    simple = {b"\\n": b"\n", b"\\r": b"\r", b"\\t": b"\t", b"\\/": b"/", b'\\"': b'"', b"\\\\": b"\\"}
    return simple.get(s) or bytes([int(s[4:], 16)])


def _gunzip(data: bytes) -> bytes | None:
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, 64 * 1024 * 1024)
        return out
    except zlib.error:
        return None


def _b64_decodings(run: bytes) -> Iterator[bytes]:
    """Every plausible decoding of a base64 run: both alphabets, all four alignments."""
    run = run.rstrip(b"=")
    alts = [b"+/"] + ([b"-_"] if b"-" in run or b"_" in run else [])
    for start in range(4):
        part = run[start:]
        if len(part) % 4 == 1:  # a lone last character carries no whole byte
            part = part[:-1]
        if len(part) < 12:
            continue
        pad = part + b"=" * (-len(part) % 4)
        for alt in alts:
            try:
                yield base64.b64decode(pad, altchars=alt, validate=False)
            except (binascii.Error, ValueError):
                continue


def expand(data: bytes, depth: int = 0) -> Iterator[bytes]:
    """data, its gzip contents (recursively), its JSON-unescaped text, and the decodings of
    its base64 runs down to two levels."""
    yield data
    if data[:2] == b"\x1f\x8b":
        inner = _gunzip(data)
        if inner is not None:
            yield from expand(inner, depth)
    if b"\\" in data:
        un = JSON_ESCAPES.sub(_unescape, data)
        if un != data:
            yield un
            data = un
    if depth >= 2:
        return
    runs = {m.group(0) for m in B64_RUN.finditer(data)}
    if b"\n" in data:
        runs |= {m.group(0) for m in B64_RUN.finditer(B64_WRAP.sub(b"", data))}
    for run in runs:
        for dec in _b64_decodings(run):
            yield from expand(dec, depth + 1)


@dataclass
class Run:
    awk: str
    proc: subprocess.CompletedProcess[str]
    tarball: Path | None


def _awk_dir(base: Path, awk: str) -> Path:
    d = base / f"awk-{awk}"
    d.mkdir(parents=True, exist_ok=True)
    target, busybox = AWKS[awk]
    link = d / "awk"
    if busybox:
        if not Path(busybox).exists():
            raise AssertionError(f"{busybox} missing: `make tools` installs busybox")
        link.write_text(f'#!/bin/sh\nexec {busybox} awk "$@"\n')
        link.chmod(0o755)
    else:
        assert target is not None
        if not Path(target).exists():
            raise AssertionError(f"{target} missing: `make tools` installs gawk, mawk and original-awk")
        link.symlink_to(target)
    return d


def _which_awk(path: str) -> str:
    """What the `awk` on this PATH says it is (so a test id cannot run the wrong awk)."""
    awk = shutil.which("awk", path=path)
    assert awk is not None
    for args in (["-W", "version"], ["--version"], []):
        p = subprocess.run([awk, *args], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        text = (p.stdout + p.stderr).lower()
        for name in ("busybox", "mawk", "gnu awk", "awk version 20"):
            if name in text:
                return {"gnu awk": "gawk", "awk version 20": "original-awk"}.get(name, name)
    return "unknown"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> SecretsNode:
    return build_secrets_node(tmp_path_factory.mktemp("secrets-node") / "node", CORPUS if CORPUS.is_dir() else None)


_RUNS: dict[str, Run] = {}


@pytest.fixture(scope="module", params=list(AWKS), ids=list(AWKS))
def run(request: pytest.FixtureRequest, node: SecretsNode, tmp_path_factory: pytest.TempPathFactory) -> Run:
    awk = str(request.param)
    if awk in _RUNS:
        return _RUNS[awk]
    base = tmp_path_factory.mktemp(f"redteam-{awk}")
    path = f"{_awk_dir(base, awk)}:{node.bin_dir}"
    assert _which_awk(path) == awk, f"`awk` on PATH is {_which_awk(path)}, not {awk}"
    _RUNS[awk] = _collect(node, path, base / "out", awk)
    return _RUNS[awk]


def _collect(node: SecretsNode, path: str, out: Path, awk: str) -> Run:
    out.mkdir(parents=True)
    env = {"PATH": path, "HOME": str(node.root / "root"), "LANG": "C"}
    cmd = [str(node.bin_dir / "bash"), str(COLLECTOR_UNDER_TEST), "--root", str(node.root), "--output", str(out), "--timeout", "10"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace", timeout=900)
    tarballs = sorted(out.glob("*.tar.gz"))
    return Run(awk, proc, tarballs[0] if len(tarballs) == 1 else None)


def _members(tarball: Path) -> Iterator[tuple[str, bytes]]:
    """(member name below the top folder, bytes) of every member; names and link targets are
    scanned as content too."""
    with tarfile.open(tarball) as tf:
        for m in tf:
            name = m.name.split("/", 1)[1] if "/" in m.name else m.name
            data = b""
            if m.isfile():
                fh = tf.extractfile(m)
                assert fh is not None
                data = fh.read()
            yield name, data
            yield name + " (name)", m.name.encode("utf-8", "surrogateescape") + b"\n" + m.linkname.encode("utf-8", "surrogateescape")


def _manifest(tarball: Path) -> dict[str, Any]:
    with tarfile.open(tarball) as tf:
        fh = tf.extractfile(next(m for m in tf if m.name.endswith("/manifest.json")))
        assert fh is not None
        man: dict[str, Any] = json.load(fh)
    return man


def _collected(r: Run) -> Path:
    assert r.proc.returncode == 0, f"collector exit {r.proc.returncode} with {r.awk}:\n{r.proc.stderr[-3000:]}"
    assert r.tarball is not None and r.tarball.is_file(), f"no bundle written with {r.awk}:\n{r.proc.stderr[-3000:]}"
    assert r.proc.stdout.strip().splitlines()[-1] == str(r.tarball)
    return r.tarball


@pytest.mark.slow
def test_the_fake_node_is_what_the_brief_asks(node: SecretsNode) -> None:
    markers = [s.marker for s in node.secrets]
    assert len(markers) == len(set(markers)) >= 100
    assert len(node.places) >= 40
    assert len(node.look_alikes) >= 50 if CORPUS.is_dir() else len(node.look_alikes) >= 30
    # each marker is planted in the node as written (or encoded), so a clean bundle means redaction
    files = [p for p in node.root.rglob("*") if p.is_file()]
    files += [node.bin_dir / STATE, node.bin_dir / "kubectl", node.bin_dir / "chronyc"]
    targets = [os.readlink(p) for p in node.root.rglob("*") if p.is_symlink()]
    every = b"\0".join(b"\0".join(expand(p.read_bytes())) for p in files) + str(files).encode() + str(targets).encode()
    missing = [s for s in node.secrets if s.marker.encode() not in every]
    assert not missing, missing


@pytest.mark.slow
def test_collector_writes_its_bundle_and_exits_0(run: Run) -> None:
    red = _manifest(_collected(run))["redaction"]
    # the awk on PATH passed the engine's self-test, and the manifest says which it is
    assert red["engine"] == "awk"
    assert {"mawk": "mawk 1.3", "gawk": "GNU Awk", "busybox": "BusyBox v", "original-awk": "awk version 20"}[run.awk] in red["awk"], red


def _leaks(tarball: Path, node: SecretsNode) -> tuple[list[Secret], dict[str, set[str]]]:
    """The planted secrets found anywhere in the bundle, and the members each was found in."""
    found: dict[str, set[str]] = {}
    needles = [(s, s.marker.encode()) for s in node.secrets]
    for name, data in _members(tarball):
        hay = b"\0".join(expand(data))
        for s, m in needles:
            if m in hay:
                found.setdefault(s.marker, set()).add(name.removesuffix(" (name)"))
    return [s for s in node.secrets if s.marker in found], found


@pytest.mark.slow
def test_no_planted_secret_leaves_the_node(run: Run, node: SecretsNode) -> None:
    leaked, found = _leaks(_collected(run), node)
    report = "\n".join(f"  {s.kind} @ {s.place} -> {sorted(found[s.marker])}" for s in leaked)
    assert not leaked, f"{len(leaked)} of {len(node.secrets)} planted secrets left the node with {run.awk}:\n{report}"


@pytest.mark.slow
def test_look_alike_lines_stay_byte_identical(run: Run, node: SecretsNode) -> None:
    tarball = _collected(run)
    members = dict(_members(tarball))
    bad = []
    for la in node.look_alikes:
        data = members.get(la.member)
        if data is None:
            bad.append(f"  {la.member} missing ({la.source})")
        elif la.line not in data.split(b"\n"):
            bad.append(f"  {la.member}: {la.line[:160]!r} ({la.source})")
    assert not bad, f"{len(bad)} of {len(node.look_alikes)} look-alike lines changed or missing with {run.awk}:\n" + "\n".join(bad)


@pytest.mark.slow
@pytest.mark.parametrize("awk", ["noop", "old"])
def test_a_node_whose_only_awk_fails_the_self_test_gets_a_bundle_without_secrets(
    awk: str, node: SecretsNode, tmp_path: Path
) -> None:
    """The node's only awk runs nothing (exit 0, no output: before the engine's self-test, every file left as it was)
    or refuses the engine's program (an old awk): the collector still finishes and writes its bundle, says why on
    stderr and in the manifest (redaction.engine "none"), and no planted secret is in it, names and link targets
    included (their search failed too: the members they could hide in are withheld)."""
    d = tmp_path / "bin"
    d.mkdir()
    for p in node.bin_dir.iterdir():
        if "awk" not in p.name and p.name != "busybox":
            (d / p.name).symlink_to(os.readlink(p) if p.is_symlink() else p)
    mawk = shutil.which("mawk") or "/usr/bin/mawk"
    (d / "awk").write_text("#!/bin/sh\ncat >/dev/null 2>&1\nexit 0\n" if awk == "noop" else
                           f'#!/bin/sh\ncase "$*" in *MODE=*) echo "awk: syntax error" >&2; exit 2 ;; esac\nexec {mawk} "$@"\n')
    (d / "awk").chmod(0o755)
    r = _collect(node, str(d), tmp_path / "out", awk)
    tarball = _collected(r)
    assert "no awk on this node passed the redaction engine's self-test (awk)" in r.proc.stderr
    leaked, found = _leaks(tarball, node)
    assert not leaked, [(s.marker, sorted(found[s.marker])) for s in leaked]
    assert _manifest(tarball)["redaction"]["engine"] == "none"
    # and the analyst is told, on the node (a warning: most of it is missing)
    from analyzer import api

    db = tmp_path / "k.duckdb"
    api.ingest_inputs(db, [tarball])
    _site, checked = api.check(db)
    mine = [f for _r, f in checked if f.rule == "REDACTION_WITHHELD"]
    assert [(f.severity, f.node) for f in mine] == [("warn", "node-a")], mine
    assert "no awk on node-a passed the redaction engine's self-test" in mine[0].message
    # with the version line of the awk that failed ("unknown" when it did not name itself, as the no-op one)
    assert f"node-a: manifest.json: redaction.awk {'unknown' if awk == 'noop' else 'mawk 1.3'}" in mine[0].evidence[1], mine[0].evidence


@pytest.mark.slow  # a whole collector run on a node of odd file names
def test_odd_file_names_are_collected_or_skipped_and_the_bundle_is_written(tmp_path: Path) -> None:
    """A newline, a tab, a non-UTF-8 byte, 200 characters or a leading dash in a file name:
    the collector still writes its bundle, says what it did with each file, and no secret
    in those files leaves the node."""
    node = build_odd_names_node(tmp_path / "node")
    awk = "mawk"
    r = _collect(node, f"{_awk_dir(tmp_path, awk)}:{node.bin_dir}", tmp_path / "out", awk)
    tarball = _collected(r)
    leaked, found = _leaks(tarball, node)
    assert not leaked, "\n".join(f"  {s.kind} -> {sorted(found[s.marker])}" for s in leaked)
    man = _manifest(tarball)
    paths = [str(rec.get("path", "")) for rec in man["records"]]
    for what, rel in ODD_NAMES.items():
        # the record may show the odd character escaped or replaced: match the plain start of the name
        stem = re.match(r"[ -~]*", rel.rsplit("/", 1)[1][:6]).group(0)  # type: ignore[union-attr]
        assert any(p.startswith("/etc/kubernetes/addons/") and stem in p for p in paths), f"no manifest record for the {what} name"


@pytest.mark.slow
def test_every_hiding_place_file_is_collected_or_accounted_for(run: Run, node: SecretsNode) -> None:
    """A bundle is clean because values were redacted (or files withheld, and said so), not
    because the places were left out: every planted file has its manifest record."""
    man = _manifest(_collected(run))
    recorded = {str(rec.get("path")) for rec in man["records"]}
    files = {s.place for s in node.secrets if s.place.startswith("/") and " " not in s.place}
    assert len(files) >= 30
    missing = sorted(files - recorded)
    assert not missing, f"planted files with no manifest record with {run.awk}: {missing}"
