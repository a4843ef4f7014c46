"""Red team, terminal side: bundle and paste text that tries to drive the analyst's terminal.

Every verb runs as a subprocess whose stdout and stderr are pseudo-terminals (what an analyst has), on
one hostile site: a real bundle of the small fake node with hostile log, journal and process lines and
a broken member with a hostile name, plus a pasted kubectl JSON whose pod, node and event names, labels,
annotations, images and messages carry OSC 52 (clipboard write), OSC 0 (window title), CSI 2J (clear
screen), a bare CR, a newline, a bidi override and a C1 CSI. Each verb's output must hold none of those
raw (only our own colours and progress redraws), show each escaped, keep one row per object, and its
-o json / -o yaml must parse back to the exact original strings. The sanitizer itself has property tests.

The fast set runs a verb of each kind (ingest, get, describe, logs, findings, sql, errors of ours, of click and
of the database); the slow set (make test-slow, CI) runs every verb and every error and the property tests.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import tty
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.sanitize import (
    FORBIDDEN_RANGES,
    cell,
    escape_char,
    json_dumps,
    json_safe,
    json_visible,
    line,
    text,
    yaml_dump,
)
from tests.conftest import examples
from tests.test_hostile import Base, Entry, build

PROJECT = Path(__file__).resolve().parents[1]

OSC52 = "\x1b]52;c;aGFja2Vk\x07"  # writes "hacked" to the clipboard
OSC0 = "\x1b]0;pwned\x07"  # sets the window title
CSI = "\x1b[2J"  # clears the screen
BIDI = "\u202e"  # right-to-left override
C1 = "\x9b"  # the one-byte CSI
PAYLOAD = f"{OSC52}{OSC0}{CSI}{BIDI}{C1}"
SHOWN = "\\x1b]52;c;aGFja2Vk\\x07\\x1b]0;pwned\\x07\\x1b[2J\\u202e\\x9b"  # PAYLOAD as the analyst sees it

# the pasted pods: a newline that would forge a row, a bare CR that would overwrite one, and the payload
POD_NL = "evil\nforged-row   1/1   Running   0   1d"
POD_CR = "overwrite\rkube-apiserver-ok"
POD_ESC = f"title{PAYLOAD}"
PODS = (POD_NL, POD_CR, POD_ESC)
NODE_EVIL = f"node{OSC0}evil"
CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
OUR_COLOURS = re.compile(r"\x1b\[(?:31|33|0)m")  # click.style's red, yellow and reset: findings on a terminal
OUR_REDRAWS = re.compile(r"\r(?=(?:ingesting|exporting) )|\r {100}\r")  # the progress line's own CRs
PROGRESS_FRAMES = re.compile(r"\r(?:ingesting|exporting) [^\r]*|\r {100}\r")


# ------------------------------------------------------------------ running on a terminal


@dataclass
class Run:
    rc: int
    out: bytes
    err: bytes
    seconds: float

    def stdout(self, colours: bool = False) -> str:
        return shown(self.out, colours=colours)

    def stderr(self) -> str:
        return shown(self.err, progress=True)


def run_tty(*args: str, timeout: float = 300) -> Run:
    """`kubesnap ARGS` with stdout and stderr each on its own pseudo-terminal (raw mode: the bytes as
    written, no \\n -> \\r\\n), so that the CLI believes it talks to an analyst's terminal."""
    out_m, out_s = os.openpty()
    err_m, err_s = os.openpty()
    for fd in (out_s, err_s):
        tty.setraw(fd)
    env = {k: v for k, v in os.environ.items() if k not in ("KUBESNAP_DB", "KUBESNAP_DEBUG")}
    env.update(LC_ALL="C.UTF-8", TERM="xterm-256color", COLUMNS="200")
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "analyzer", *args], stdin=subprocess.DEVNULL, stdout=out_s, stderr=err_s, cwd=PROJECT,
                         env=env, start_new_session=True)  # fmt: skip
    os.close(out_s)
    os.close(err_s)
    bufs = {out_m: bytearray(), err_m: bytearray()}
    live = set(bufs)
    try:
        while live:
            ready, _, _ = select.select(list(live), [], [], max(0.0, t0 + timeout - time.monotonic()))
            if not ready:
                os.killpg(p.pid, signal.SIGKILL)
                raise AssertionError(f"kubesnap {args!r} still running after {timeout} s")
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the child closed its side
                    data = b""
                if data:
                    bufs[fd] += data
                else:
                    live.discard(fd)
        rc = p.wait(timeout=30)
    finally:
        os.close(out_m)
        os.close(err_m)
    return Run(rc, bytes(bufs[out_m]), bytes(bufs[err_m]), time.monotonic() - t0)


def shown(raw: bytes, colours: bool = False, progress: bool = False) -> str:
    """What reached the terminal, as text, checked: valid UTF-8 and no character a terminal acts on or
    that hides text (C0 but newline and tab, DEL, C1, format characters, separators, surrogates), once our
    own colours or progress redraws are taken out."""
    s = raw.decode("utf-8")
    if colours:
        s = OUR_COLOURS.sub("", s)
    if progress:
        s = OUR_REDRAWS.sub("", s)
    bad = sorted({c for c in s if unicodedata.category(c) in CATEGORIES and c not in "\n\t"})
    assert not bad, f"raw {[hex(ord(c)) for c in bad]} reached the terminal:\n{s[:3000]}"
    return PROGRESS_FRAMES.sub("", raw.decode("utf-8")) if progress else s


# ------------------------------------------------------------------ the hostile site


def _api_paste() -> bytes:
    """`kubectl get pods,nodes,events -A -o json` as a customer would paste it, hostile everywhere a string goes."""
    t = "2023-11-14T20:13:20Z"

    def pod(name: str) -> dict[str, object]:
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{len(name)}", "creationTimestamp": t,
                         "labels": {"app": "evil", "evil": f"v{PAYLOAD}"}, "annotations": {"note": f"a{PAYLOAD}\nsecond line"}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": f"registry.example.com/web{PAYLOAD}:1.0"}]},
            "status": {"phase": "Running", "podIP": "10.244.1.9", "hostIP": "192.168.10.5", "startTime": t, "qosClass": "BestEffort",
                       "conditions": [{"type": "Ready", "status": "False"}],
                       "containerStatuses": [{"name": "web", "image": f"registry.example.com/web{PAYLOAD}:1.0", "imageID": "", "ready": False,
                                              "restartCount": 12, "containerID": "containerd://" + "ab" * 32,
                                              "state": {"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off{PAYLOAD}"}},
                                              "lastState": {"terminated": {"exitCode": 1, "reason": f"Error{PAYLOAD}", "finishedAt": t}}}]},
        }  # fmt: skip

    def node(name: str) -> dict[str, object]:
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "creationTimestamp": t, "labels": {"node-role.kubernetes.io/worker": "", "evil": f"x{PAYLOAD}"}},
            "spec": {"taints": [{"key": f"taint{PAYLOAD}", "value": "v\nforged", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": f"KubeletReady{PAYLOAD}", "message": f"ready\r{PAYLOAD}",
                                       "lastHeartbeatTime": t, "lastTransitionTime": t}],
                       "addresses": [{"type": "InternalIP", "address": "192.168.10.5"}],
                       "nodeInfo": {"kubeletVersion": "v1.28.2", "kernelVersion": f"5.15{PAYLOAD}", "osImage": f"Ubuntu{BIDI}",
                                    "containerRuntimeVersion": "containerd://1.7.2"}},
        }  # fmt: skip

    event = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": f"ev{PAYLOAD}", "namespace": "shop"}, "type": "Warning",
        "reason": f"BackOff{PAYLOAD}", "message": f"Back-off restarting{PAYLOAD}\nforged event line", "count": 3,
        "firstTimestamp": t, "lastTimestamp": "2023-11-14T22:00:00Z", "involvedObject": {"kind": "Pod", "name": POD_ESC, "namespace": "shop"},
        "source": {"component": "kubelet", "host": "node-a"},
    }  # fmt: skip
    items = [pod(n) for n in PODS] + [node("node-a"), node(NODE_EVIL), event]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).encode()


CRI_LOG = (
    f"2023-11-14T21:00:00.000000000Z stdout F plain line\n"
    f"2023-11-14T21:00:01.000000000Z stdout F evil {PAYLOAD} then\rfake line\n"
    f"2023-11-14T21:00:02.000000000Z stderr F last\n"
).encode()
JOURNAL_LINE = f"2023-11-14T21:59:30.000000+0000 node-a kubelet[800]: E1114 21:59:30.000000     800 kubelet.go:1] evil {PAYLOAD}\n".encode()
PROCESS = f"/bin/evil --flag {PAYLOAD}"
BROKEN_MEMBER = f"cluster/evil{OSC52}{CSI}.json"
IMAGE_REPO, IMAGE_TAG = f"registry.example.com/evil{PAYLOAD}", "v1\nforged"


@dataclass
class Site:
    dir: Path
    bundle_a: Path  # the hostile bundle
    bundle_b: Path  # the same with a hostile static pod manifest
    paste: Path  # the hostile kubectl JSON, under a hostile file name
    db_a: Path
    db_b: Path
    ingest_a: Run  # `ingest --output json` of A on a terminal
    ingest_b: Run  # `ingest` of B and the paste on a terminal (progress and problem list)

    def db(self) -> str:
        return str(self.db_b)


def _with(tar: Path, base: Base, extra: list[Entry]) -> Path:
    root, members = base
    rel = {ti.name.removeprefix(root + "/"): data for ti, data in members}
    web_log = next(n for n in rel if n.startswith("files/var/log/pods/shop_web-") and n.endswith("/web/0.log"))
    ps_ef = rel["processes/ps-ef.txt"] + f"root        6666       1  0 20:13 ?        00:00:00 {PROCESS}\n".encode()
    ps = rel["processes/ps.txt"] + f"   6666       1 root                             Tue Nov 14 20:13:20 2023    7200 S     1000   2000 {PROCESS}\n".encode()
    images = json.loads(rel["runtime/crictl-images.json"])
    images["images"].append({"id": "sha256:" + "cd" * 32, "repoTags": [f"{IMAGE_REPO}:{IMAGE_TAG}"], "repoDigests": [], "size": "1000", "pinned": False})
    replace = {web_log: CRI_LOG, "runtime/crictl-images.json": json.dumps(images).encode(), "services/journal-kubelet.log": rel["services/journal-kubelet.log"] + JOURNAL_LINE, "processes/ps-ef.txt": ps_ef,
               "processes/ps.txt": ps}  # fmt: skip
    return build(tar, base, add=[Entry(BROKEN_MEMBER, b'{"kind": "List", "items": [ broken'), *extra], replace=replace)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_bundle: Base) -> Site:
    base_bundle = small_bundle
    d = tmp_path_factory.mktemp("redteam-output")
    a = _with(d / "a.tar.gz", base_bundle, [])
    manifest = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n  annotations:\n    x: \"{json.dumps(PAYLOAD)[1:-1]}\"\n# {PAYLOAD} raw\rline\n"
    b = _with(d / f"b{OSC0}.tar.gz", base_bundle, [Entry("files/etc/kubernetes/manifests/evil.yaml", manifest.encode())])
    paste = d / f"pasted{OSC0}.json"
    paste.write_bytes(_api_paste())
    db_a, db_b = d / "a.duckdb", d / "b.duckdb"
    ingest_a = run_tty("ingest", str(a), "--db", str(db_a), "--site", "default", "--output", "json")
    ingest_b = run_tty("ingest", str(b), str(paste), "--db", str(db_b))
    assert ingest_a.rc == 1 and ingest_b.rc == 1, (ingest_a, ingest_b)  # the broken member is a problem, the rest is in
    return Site(d, a, b, paste, db_a, db_b, ingest_a, ingest_b)



def db(site: Site) -> list[str]:
    return ["--db", site.db()]


def ok(*args: str, colours: bool = False) -> str:
    r = run_tty(*args)
    assert r.rc == 0, (args, r.out[-2000:], r.err[-2000:])
    r.stderr()
    return r.stdout(colours)


# ------------------------------------------------------------------ ingest, analyze


def test_ingest_progress_and_problem_list_show_the_hostile_member_name_escaped(site: Site) -> None:
    err = site.ingest_b.stderr()
    # the progress line ran (stderr is a terminal), its item (the bundle's file name) escaped
    assert "\ringesting 1: " in site.ingest_b.err.decode() and "pwned\\x07.tar.gz/kubesnap-node-a-" in site.ingest_b.err.decode()
    lines = err.splitlines()[1:]
    assert lines[0] == "1 problem(s) (all in the ingest_problems table):" and len(lines) == 2
    # the bundle's stamp is the fake node's clock when the small bundle was built (a second later under load)
    stamp = re.search(r"/kubesnap-node-a-(\d{8}T\d{6}Z): ", lines[1])
    assert stamp is not None, lines[1]
    assert lines[1] == (f"  {cell(site.bundle_b)}/kubesnap-node-a-{stamp[1]}: cluster/evil\\x1b]52;c;aGFja2Vk\\x07\\x1b[2J.json: "
                        "not JSON (line 1: Expecting value)")  # fmt: skip
    assert site.ingest_b.stdout() == ""


@pytest.mark.slow
def test_ingest_json_output_is_exact(site: Site) -> None:
    doc = json.loads(site.ingest_a.stdout())
    assert [p["member"] for p in doc["problems"]] == [BROKEN_MEMBER]
    assert site.ingest_a.stderr() == ""  # the progress line only, erased


@pytest.mark.slow
def test_analyze(site: Site) -> None:
    out = site.dir / f"analyzed{OSC0}\nforged"
    r = run_tty("analyze", str(site.bundle_b), str(site.paste), "-o", str(out))
    assert r.rc == 1
    stdout, err = r.stdout(), r.stderr()
    assert stdout.splitlines() == [f"database: {cell(out / 'kubesnap.duckdb')}", f"report:   {cell(out / 'report.html')}"]
    assert "analyzed\\x1b]0;pwned\\x07\\nforged" in stdout
    assert "cluster/evil\\x1b]52;c;aGFja2Vk\\x07\\x1b[2J.json: not JSON" in err and "findings: " in err


# ------------------------------------------------------------------ get, describe


def test_get_pods_one_row_per_pod(site: Site) -> None:
    for args in ([], ["-o", "wide"], ["-A"]):
        rows = ok("get", "pods", "-n", "shop", *args, *db(site)).splitlines()
        assert len(rows) == 1 + len(PODS), rows  # a header and one line per pod: the newline forged nothing
        names = [r.split()[0 if "-A" not in args else 1] for r in rows[1:]]
        assert names == sorted(cell(p).split()[0] for p in PODS)
        assert any(r.startswith("evil\\nforged-row   1/1   Running") or "evil\\nforged-row" in r for r in rows)
        assert any("overwrite\\rkube-apiserver-ok" in r for r in rows)
        assert any(f"title{SHOWN}" in r for r in rows)
    assert ok("get", "pods", "-n", "shop", "-o", "name", *db(site)).splitlines() == [f"pod/{cell(p)}" for p in sorted(PODS)]


@pytest.mark.parametrize("fmt", ["json", pytest.param("yaml", marks=pytest.mark.slow)])
def test_get_json_and_yaml_are_exact(site: Site, fmt: str) -> None:
    out = ok("get", "pods", "-n", "shop", "-o", fmt, *db(site))
    doc = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert sorted(i["metadata"]["name"] for i in doc["items"]) == sorted(PODS)
    one = next(i for i in doc["items"] if i["metadata"]["name"] == POD_ESC)
    assert one["metadata"]["annotations"]["note"] == f"a{PAYLOAD}\nsecond line"
    assert one["spec"]["containers"][0]["image"] == f"registry.example.com/web{PAYLOAD}:1.0"
    nodes = ok("get", "nodes", "-o", fmt, *db(site))
    ndoc = json.loads(nodes) if fmt == "json" else yaml.safe_load(nodes)
    assert sorted(i["metadata"]["name"] for i in ndoc["items"]) == sorted(["node-a", NODE_EVIL])
    assert ndoc["items"][0]["status"]["nodeInfo"]["kernelVersion"] == f"5.15{PAYLOAD}"
    single = ok("get", "pod", POD_NL, "-n", "shop", "-o", fmt, *db(site))
    assert (json.loads(single) if fmt == "json" else yaml.safe_load(single))["metadata"]["name"] == POD_NL


@pytest.mark.slow
def test_get_nodes_and_events(site: Site) -> None:
    nodes = ok("get", "nodes", "-o", "wide", *db(site)).splitlines()
    assert len(nodes) == 3 and nodes[1].startswith("node\\x1b]0;pwned\\x07evil ")
    assert f"5.15{SHOWN}" in nodes[1] and "Ubuntu\\u202e" in nodes[1]
    events = ok("get", "events", "-A", "-o", "wide", *db(site)).splitlines()
    assert len(events) == 2, events
    assert f"BackOff{SHOWN}" in events[1] and f"pod/title{SHOWN}" in events[1]
    assert f"Back-off restarting{SHOWN}\\nforged event line" in events[1]


@pytest.mark.slow
def test_get_images(site: Site) -> None:
    lines = ok("get", "images", *db(site)).splitlines()
    evil = [ln for ln in lines if "evil" in ln]
    assert len(evil) == 1 and evil[0].split()[:3] == ["node-a", cell(IMAGE_REPO), "v1\\nforged"], lines
    assert not any(ln.startswith("forged") for ln in lines)
    for fmt in ("json", "yaml"):
        out = ok("get", "images", "-o", fmt, *db(site))
        data = json.loads(out) if fmt == "json" else yaml.safe_load(out)
        assert (IMAGE_REPO, IMAGE_TAG) in [(i["repository"], i["tag"]) for i in data]


def test_describe_pod(site: Site) -> None:
    out = ok("describe", "pod", POD_NL, "-n", "shop", *db(site))
    lines = out.splitlines()
    assert lines[0] == "Name:                evil\\nforged-row   1/1   Running   0   1d"
    assert f"                     evil=v{SHOWN}" in lines  # a label: one line
    assert ["Image:", f"registry.example.com/web{SHOWN}:1.0"] in [ln.split() for ln in lines]
    assert ["Reason:", f"Error{SHOWN}"] in [ln.split() for ln in lines]
    assert not any(ln.startswith("forged") for ln in lines)
    esc = ok("describe", "pod", POD_ESC, "-n", "shop", *db(site))
    assert f"Name:                title{SHOWN}" in esc and f"BackOff{SHOWN}" in esc


@pytest.mark.slow
def test_describe_node(site: Site) -> None:
    out = ok("describe", "node", "node-a", *db(site))
    lines = out.splitlines()
    assert ["Taints:", f"taint{SHOWN}=v\\nforged:NoSchedule"] in [ln.split() for ln in lines]
    assert any(f"KubeletReady{SHOWN}" in ln and f"ready\\r{SHOWN}" in ln for ln in lines)
    assert ["KernelVersion:", f"5.15{SHOWN}"] in [ln.split() for ln in lines]
    assert any(f"title{SHOWN}" in ln for ln in lines)  # its pods
    assert ok("describe", "node", NODE_EVIL, *db(site)).splitlines()[0].split() == ["Name:", cell(NODE_EVIL)]


# ------------------------------------------------------------------ logs, ps, timeline


def test_logs(site: Site) -> None:
    out = ok("logs", "web-7d4b9c-x2x9z", "-n", "shop", "-c", "web", "--prefix", "--timestamps", *db(site))
    assert out.splitlines() == [
        "[pod/web-7d4b9c-x2x9z/web] 2023-11-14T21:00:00Z plain line",
        f"[pod/web-7d4b9c-x2x9z/web] 2023-11-14T21:00:01Z evil {SHOWN} then\\rfake line",
        "[pod/web-7d4b9c-x2x9z/web] 2023-11-14T21:00:02Z last",
    ]


@pytest.mark.slow
def test_ps(site: Site) -> None:
    for args in ([], ["--tree"]):
        lines = ok("ps", "node-a", *args, *db(site)).splitlines()
        evil = [ln for ln in lines if " 6666 " in ln]
        assert len(evil) == 1 and evil[0].endswith(f"/bin/evil --flag {SHOWN}"), lines
    rows = json.loads(ok("ps", "node-a", "--output", "json", *db(site)))
    assert next(r["command"] for r in rows if r["pid"] == 6666) == PROCESS


@pytest.mark.slow
def test_timeline(site: Site) -> None:
    lines = ok("timeline", *db(site)).splitlines()
    assert f"2023-11-14T21:59:30.000000Z  node-a  journal/kubelet  E  E1114 21:59:30.000000     800 kubelet.go:1] evil {SHOWN}" in lines
    event = next(ln for ln in lines if "  event  " in ln)
    assert f"Back-off restarting{SHOWN}\\nforged event line (x3 " in event
    assert not any(ln.startswith("forged") for ln in lines)
    records = [json.loads(ln) for ln in ok("timeline", "--output", "json", *db(site)).splitlines()]
    assert f"E1114 21:59:30.000000     800 kubelet.go:1] evil {PAYLOAD}" in [r["message"] for r in records]
    assert any(r["message"].startswith(f"Warning BackOff{PAYLOAD} pod/{POD_ESC}: Back-off restarting{PAYLOAD}\nforged") for r in records)


# ------------------------------------------------------------------ findings, sql


def test_findings_table_coloured_on_a_terminal(site: Site) -> None:
    out = ok("findings", "-e", *db(site), colours=True)
    assert "\x1b[31mFAIL" in run_tty("findings", *db(site)).out.decode()  # colours are on: stdout is a terminal
    crash = [ln for ln in out.splitlines() if ln.startswith("FAIL") and "CONTAINER_CRASHLOOP" in ln]
    assert len(crash) == len(PODS)
    assert any(f"shop/title{SHOWN}" in ln and f"last exit: Error{SHOWN}" in ln for ln in crash)
    assert not any(ln.startswith("forged") for ln in out.splitlines())


@pytest.mark.slow
def test_findings_json_is_exact(site: Site) -> None:
    found = json.loads(ok("findings", "--format", "json", *db(site)))
    assert {f["object"] for f in found if f["rule"] == "CONTAINER_CRASHLOOP"} == set(PODS)


@pytest.mark.parametrize("fmt", ["table", pytest.param("csv", marks=pytest.mark.slow), pytest.param("json", marks=pytest.mark.slow)])
def test_sql(site: Site, fmt: str) -> None:
    out = ok("sql", "--format", fmt, "SELECT name, labels FROM pods WHERE namespace = 'shop' AND source <> 'node' ORDER BY name", *db(site))
    if fmt == "json":
        rows = json.loads(out)
        assert [r["name"] for r in rows] == sorted(PODS)
        return
    lines = out.splitlines()
    assert len(lines) == 1 + len(PODS)  # one line per row, whatever a value holds
    if fmt == "csv":
        import csv
        import io

        parsed = list(csv.reader(io.StringIO(out)))
        assert [r[0] for r in parsed[1:]] == [cell(p) for p in sorted(PODS)]
    assert any(f"title{SHOWN}" in ln for ln in lines) and any("evil\\nforged-row" in ln for ln in lines)


# ------------------------------------------------------------------ the rest


@pytest.mark.slow
def test_sources_and_rules(site: Site) -> None:
    assert "kubectl-json" in ok("sources")
    assert "CONTAINER_CRASHLOOP" in ok("rules")
    json.loads(ok("rules", "--format", "json"))


@pytest.mark.slow
def test_diff(site: Site) -> None:
    out = ok("diff", str(site.db_a), str(site.db_b))
    lines = out.splitlines()
    assert f"  shop/title{SHOWN} on node-a" in lines and "  shop/evil\\nforged-row   1/1   Running   0   1d on node-a" in lines
    assert f"  {cell(NODE_EVIL)}" in lines
    assert f"    +# {SHOWN} raw\\rline" in lines  # a file's line, with the CR shown
    assert not any(ln.startswith("forged") for ln in lines)
    d = json.loads(ok("diff", str(site.db_a), str(site.db_b), "--output", "json"))
    assert {p["pod"] for p in d["pods_added"]} == set(PODS) and NODE_EVIL in d["nodes_added"]
    assert f"+# {PAYLOAD} raw\rline\n" in d["files"][0]["diff"]


@pytest.mark.slow
def test_export_and_report_messages(site: Site) -> None:
    out = site.dir / f"export{OSC52}\rx"
    r = run_tty("export", str(out), *db(site))
    assert r.rc == 0 and r.stdout() == cell(out) + "\n"
    assert f"tables under {cell(out)}" in r.stderr()
    html = site.dir / f"report{OSC0}\n.html"
    r = run_tty("report", "-o", str(html), *db(site))
    assert r.rc == 0 and r.stdout() == cell(html) + "\n" and html.is_file()


@pytest.mark.parametrize("args, expect", [
    (["get", f"pods{OSC0}"], 'resource type "pods\\x1b]0;pwned\\x07"'),  # our UsageError
    (["describe", "pod", f"nope{OSC52}\nforged"], 'pods "nope\\x1b]52;c;aGFja2Vk\\x07\\nforged" not found'),  # NotFound
    pytest.param(["logs", f"nope{CSI}"], 'pods "nope\\x1b[2J" not found', marks=pytest.mark.slow),
    pytest.param(["describe", f"pod{OSC0}", "x"], "pod\\x1b]0;pwned\\x07", marks=pytest.mark.slow),  # click: bad choice
    (["get", "pods", f"--bogus{CSI}"], "--bogus\\x1b[2J"),  # click: no such option
    pytest.param([f"gets{OSC52}"], "gets\\x1b]52;c;aGFja2Vk\\x07", marks=pytest.mark.slow),  # click: no such command
    pytest.param(["ps", f"node{C1}{BIDI}"], 'nodes "node\\x9b\\u202e" not found', marks=pytest.mark.slow),
    # a database error quoting a value of the bundle
    (["sql", "SELECT CAST(name AS INTEGER) FROM pods WHERE name LIKE 'title%'"], "title\\x1b]52;c;aGFja2Vk\\x07\\x1b]0;pwned\\x07"),
])  # fmt: skip
def test_error_messages_quote_escaped(site: Site, args: list[str], expect: str) -> None:
    r = run_tty(*args, *([] if args[0].startswith("gets") else db(site)))
    assert r.rc in (1, 2)
    assert r.stdout() == ""
    assert expect in r.stderr(), r.err


@pytest.mark.slow
def test_nothing_ingestible_quotes_the_file_name_escaped(site: Site) -> None:
    junk = site.dir / f"junk{OSC52}\n{CSI}.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    r = run_tty("ingest", str(junk), "--db", str(site.dir / "nothing.duckdb"))
    assert r.rc == 3 and r.stdout() == ""
    err = r.stderr()
    assert err.startswith("kubesnap: nothing could be ingested (") and len(err.splitlines()) == 1
    assert "junk\\x1b]52;c;aGFja2Vk\\x07\\n\\x1b[2J.bin" in err


# ------------------------------------------------------------------ one way to print


def test_nothing_prints_but_through_the_sanitizer() -> None:
    """Only analyzer/sanitize.py writes to the terminal; docs.py writes the generated docs (our text)."""
    pattern = re.compile(r"\bprint\(|click\.(?:echo|secho)\(|sys\.(?:stdout|stderr)\.write|get_text_stream|\bpprint\b")
    offenders = []
    for path in sorted([*(PROJECT / "analyzer").rglob("*.py"), *(PROJECT / "reports").rglob("*.py")]):
        if path.name == "sanitize.py" or path == PROJECT / "analyzer" / "docs.py":
            continue
        for i, ln in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(ln):
                offenders.append(f"{path.relative_to(PROJECT)}:{i}: {ln.strip()}")
    assert not offenders, "print through analyzer.sanitize.echo:\n" + "\n".join(offenders)


def test_our_own_help_texts_hold_no_control_characters() -> None:
    """--help is our text, printed by click: a docstring whose backslash was not doubled would put an ESC on the terminal."""
    from click.testing import CliRunner

    from analyzer.cli import main

    assert isinstance(main, click.Group)
    for args in ([], *([name] for name in main.commands)):
        res = CliRunner().invoke(main, [*args, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output
        assert not [c for c in res.output if _forbidden(c) and c != "\n"], res.output


# ------------------------------------------------------------------ the sanitizer itself


def _forbidden(c: str) -> bool:
    return any(a <= ord(c) <= b for a, b in FORBIDDEN_RANGES)


def test_forbidden_ranges_cover_every_control_format_and_separator_character() -> None:
    missing = [hex(cp) for cp in range(0x110000) if unicodedata.category(chr(cp)) in CATEGORIES and not _forbidden(chr(cp))]
    assert not missing, f"add to FORBIDDEN_RANGES (Unicode {unicodedata.unidata_version}): {missing}"


ANY_TEXT = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)
HOSTILE = st.text(st.sampled_from(["\x1b", "\x07", "\x9b", "\r", "\n", "\t", "\x00", "\x7f", "\u202e", "\u2066", "\u200b", "\ufeff", "\u2028",
                                   "\ud800", "\U000e0041", "a", "]", "[", "0", ";", "é", "한"]), max_size=40)  # fmt: skip


@pytest.mark.slow
@settings(max_examples=examples(500), deadline=None)
@given(st.one_of(ANY_TEXT, HOSTILE))
def test_cell_line_text_leave_nothing_a_terminal_acts_on(s: str) -> None:
    for fn, kept in ((cell, ""), (line, "\t"), (text, "\t\n")):
        out = fn(s)
        assert not [c for c in out if _forbidden(c) and c not in kept]
        out.encode("utf-8")  # printable as UTF-8: no lone surrogate left
        # every forbidden character is there as its visible escape, in order
        expect = "".join(c if (not _forbidden(c) or c in kept) else escape_char(c) for c in s)
        assert out == expect
        assert fn(out) == out  # idempotent: a second pass (echo after a cell) changes nothing


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(ANY_TEXT, HOSTILE), st.one_of(ANY_TEXT, HOSTILE))
def test_cell_is_one_to_one_on_text_without_backslashes(a: str, b: str) -> None:
    a, b = a.replace("\\", ""), b.replace("\\", "")
    if a != b:
        assert cell(a) != cell(b)


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(st.text(st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Pd", "Po", "Ps", "Pe", "Sm", "Zs", "Mn"],
                             exclude_characters="\u3164\u115f\u1160\uffa0"), max_size=60))  # fmt: skip
def test_ordinary_text_is_unchanged(s: str) -> None:
    assert not any(_forbidden(c) for c in s)
    assert cell(s) == line(s) == text(s) == s


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(st.recursive(st.one_of(st.none(), st.integers(), ANY_TEXT, HOSTILE),
                    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.one_of(ANY_TEXT, HOSTILE), kids, max_size=4)),
                    max_leaves=12))  # fmt: skip
def test_json_and_yaml_round_trip_exactly_with_nothing_raw(doc: object) -> None:
    j = json_dumps(doc, indent=1)
    assert json.loads(j) == doc
    assert not [c for c in j if _forbidden(c) and c != "\n"]
    assert json_safe(j) == j
    y = yaml_dump(doc)
    assert yaml.safe_load(y) == doc
    assert not [c for c in y if _forbidden(c) and c != "\n"]


def test_escapes_are_the_documented_ones() -> None:
    assert cell("a\x1b]0;t\x07\r\n\tb\x9b\u202e\x7f\U000e0041\ud800") == "a\\x1b]0;t\\x07\\r\\n\\tb\\x9b\\u202e\\x7f\\U000e0041\\ud800"
    assert line("a\tb\nc") == "a\tb\\nc" and text("a\tb\nc\rd") == "a\tb\nc\\rd"
    assert cell("한글 é — ok \\x1b") == "한글 é — ok \\x1b"  # letters of any script kept; a backslash is not doubled
    assert json_safe('"\u202e\x9b\U000e0041"') == '"\\u202e\\u009b\\udb40\\udc41"'
    assert yaml_dump({"k": "한글"}) == "k: 한글\n" and yaml_dump({"k": "a\u202e"}) == 'k: "a\\u202E"\n'
    # the report's JSON: a page draws its strings as text, so they hold the visible escape, not the character
    doc = json.dumps({"n": "a\u202eb\u2028c\x1b\x9b"}, ensure_ascii=False)
    assert json.loads(json_visible(doc)) == {"n": "a\\u202eb\\u2028c\x1b\\x9b"}
    assert json_visible('{"k": "한글"}') == '{"k": "한글"}'
