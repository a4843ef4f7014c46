"""The offline HTML report: content of the seed site, no network reference, no injected script."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzer.ingest import ingest
from analyzer.store import Store
from fixtures.fakenode.build import build_node, run_collector
from fixtures.fakenode.model import JournalLine, LogLine
from fixtures.small_node import NOW, small_site
from reports.render import render_report
from tests.browser import load


@pytest.fixture(scope="module")
def seed_report(seed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    render_report(seed_db, out)
    return out


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pod_block(html: str, pod: str) -> str:
    m = re.search(rf'<div class="pod" id="[^"]*{re.escape(pod)}"[^>]*>(.*?)</div>\s*(?=<div class="pod"|</div>\s*<h3>|</div>\s*</details>)', html, re.S)
    assert m, pod
    return m.group(1)


def test_seed_chain_is_on_the_page_in_order(seed_report: Path) -> None:
    html = seed_report.read_text()
    block = text_of(pod_block(html, "kube-apiserver-playcekube-controlplane01"))
    order = ["kube-system/kube-apiserver-playcekube-controlplane01", "sandbox", "4b942abe81e38", "shim 527179", "container kube-apiserver",
             "98fb36a5799ac", "registry.local.cloud:5000/kube-apiserver:v1.22.8", "527345", "527179", "kube-apiserver --advertise-address=10.0.0.21",
             "log directory /var/log/pods/kube-system_kube-apiserver-playcekube-controlplane01_"]  # fmt: skip
    pos = 0
    for needle in order:
        i = block.find(needle, pos)
        assert i >= 0, (needle, block[pos : pos + 300])
        pos = i + len(needle)
    assert "static: /etc/kubernetes/manifests/kube-apiserver.yaml" in block
    # every node and pod of the site; sizes where they belong
    for node in ("playcekube-controlplane01", "playcekube-controlplane03", "playcekube-worker02", "playcekube-deploy"):
        assert node in html
    assert "ingress-nginx-controller-lwtdv" in html and "46791" in html and "/nginx-ingress-controller" in html
    worker = text_of(pod_block(html, "csi-nfs-node-pzd8b"))
    assert all(pid in worker for pid in ("47319", "47478", "47543"))
    assert "70.5MB" in html and "298kB" in html  # image sizes, as crictl prints them
    assert "3 control planes: a valid etcd quorum" in html


def test_events_are_listed(seed_report: Path, tmp_path: Path) -> None:
    html = seed_report.read_text()
    events = text_of(html[html.index("<h3>Events</h3>") :])
    assert "4 events, 0 Warning" in events
    assert "Normal default pod/nginx Scheduled 1 default-scheduler Successfully assigned default/nginx to playcekube-worker01" in events
    # a pasted describe gives ages, not times: shown as such, Warning first
    from tests.test_describe import POD

    (tmp_path / "describe.txt").write_text(POD)
    db = tmp_path / "d.duckdb"
    with Store(db) as st:
        ingest(st, [tmp_path / "describe.txt"])
    out = tmp_path / "d.html"
    render_report(db, out)
    html = out.read_text()
    events = text_of(html[html.index("<h3>Events</h3>") :])
    assert "2 events, 1 Warning" in events
    assert events.index("2m before the paste Warning shop pod/web-0 BackOff 201 kubelet") < events.index("48m before the paste Normal")


class Refs(HTMLParser):
    """Every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "formaction", "data", "poster", "srcset", "background", "ping") and v is not None:
                self.refs.append(v)


def test_no_external_reference(seed_report: Path) -> None:
    html = seed_report.read_text()
    p = Refs()
    p.feed(html)
    assert p.refs and all(r.startswith("#") for r in p.refs), [r for r in p.refs if not r.startswith("#")][:5]
    css = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert css and not re.search(r"url\(|@import", " ".join(css))
    assert re.search(r"""<meta http-equiv="Content-Security-Policy" content="default-src 'none';""", html)


def body_tag(dom: str) -> str:
    m = re.search(r"<body[^>]*>", dom)
    assert m, dom[:300]
    return m.group(0)


def test_report_loads_in_a_browser_without_error(seed_report: Path, tmp_path: Path) -> None:
    got = load(seed_report, tmp_path / "seed.png")
    body = body_tag(got.dom)
    assert 'data-js="on"' in body and "data-js-error" not in body
    assert "Uncaught" not in got.console
    assert got.screenshot.stat().st_size > 50_000


XSS = {
    "script": "<script>document.title='PWNED'</script>",
    "img": "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "close": "</script><script>document.body.setAttribute('data-pwned','close')</script>",
    "svg": "<svg/onload=\"document.body.setAttribute('data-pwned','svg')\">",
}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    site = small_site()
    n = site.nodes[0]
    n.kubectl_works = True
    pod = n.pods[0]
    pod.labels = {"app": XSS["script"], "tier": XSS["img"]}
    pod.annotations = {"note": XSS["close"], "svg": XSS["svg"]}
    c = pod.containers[0]
    c.procs[0].args = "/app/server --name=" + XSS["img"] + " --title=" + XSS["script"]
    c.logs[0] += [LogLine(NOW - 5 + i, "stdout", v) for i, v in enumerate(XSS.values())]
    n.journal.append(JournalLine(NOW - 60, "kubelet", "kubelet", 800, "E1114 21:59:00.000000     800 x.go:1] " + XSS["close"]))
    root, bin_dir = build_node(site, n, tmp / "node")
    proc = run_collector(root, bin_dir, tmp / "out")
    db = tmp / "h.duckdb"
    with Store(db) as s:
        ingest(s, [Path(proc.stdout.strip().splitlines()[-1])])
    return db


@pytest.mark.parametrize("large", [False, True], ids=["server-side", "lazy-json"])
def test_payloads_render_as_text_and_never_run(hostile_db: Path, tmp_path: Path, large: bool) -> None:
    out = tmp_path / "r.html"
    render_report(hostile_db, out, large=large)
    html = out.read_text()
    for v in XSS.values():
        assert v not in html  # never verbatim
    assert "&lt;script&gt;document.title=" in html  # but there, as text
    assert html.count("<script") == 2  # our data block and our code, nothing else
    got = load(out, tmp_path / "hostile.png")
    body = body_tag(got.dom)
    assert 'data-js="on"' in body and "data-pwned" not in body and "data-js-error" not in body
    assert "<title>Kubesnap report" in got.dom and "PWNED</title>" not in got.dom
