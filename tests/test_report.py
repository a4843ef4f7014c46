"""The offline HTML report: content of the seed site, no network reference, no injected script."""

from __future__ import annotations

import base64
import gzip
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzer.ingest import ingest
from analyzer.store import Store
from fixtures.fakenode.build import build_node, run_collector
from fixtures.fakenode.model import JournalLine, LogLine
from fixtures.small_node import NOW, small_site
from reports.render import render_report
from tests.browser import dump, load


@pytest.fixture(scope="module")
def seed_report(seed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    render_report(seed_db, out)
    return out


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pod_block(html: str, pod: str) -> str:
    m = re.search(rf'<div class="pod[^"]*" id="[^"]*{re.escape(pod)}"[^>]*>(.*?)</div>\s*(?=<div class="pod|</div>\s*<h3>|</div>\s*</details>)', html, re.S)
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


def test_a_large_page_draws_chains_from_its_packed_data_where_a_link_or_a_search_asks(seed_db: Path, tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A big site's page holds no pod chain: it draws a node's chains (the same text, in the same order) when a link names one of
    its pods or a search finds one there, and the rows of a long table a page at a time."""
    from reports import render

    monkeypatch.setattr(render, "LARGE_TABLE_ROWS", 2)
    out = tmp_path / "large.html"
    render_report(seed_db, out, large=True)
    html = out.read_text()
    assert '<div class="pod"' not in html and "csi-nfs-node-pzd8b" in unpacked(html)
    nonce = re.findall(r'<script nonce="([^"]+)"', html)[-1]
    reader = (f'<script nonce="{nonce}">setTimeout(function () {{ var s = document.getElementById("search"); s.value = "csi-nfs-node-pzd8b";'
              ' s.dispatchEvent(new Event("input")); }, 300);'
              ' setTimeout(function () { document.querySelector("[data-more=dirs] button").click(); }, 600);</script>')  # fmt: skip
    out.write_text(html.replace("</body>", reader + "</body>"))
    dom = dump(out, "x-pod-playcekube-controlplane01-kube-system-kube-apiserver-playcekube-controlplane01")
    assert 'data-js="on"' in body_tag(dom) and "data-js-error" not in body_tag(dom)
    block = text_of(pod_block(dom, "kube-apiserver-playcekube-controlplane01"))  # drawn: the link named it
    pos = 0
    for needle in ["kube-system/kube-apiserver-playcekube-controlplane01", "static: /etc/kubernetes/manifests/kube-apiserver.yaml", "sandbox",
                   "4b942abe81e38", "shim 527179", "container kube-apiserver", "98fb36a5799ac", "registry.local.cloud:5000/kube-apiserver:v1.22.8",
                   "527345", "527179", "kube-apiserver --advertise-address=10.0.0.21",
                   "log directory /var/log/pods/kube-system_kube-apiserver-playcekube-controlplane01_"]:  # fmt: skip
        i = block.find(needle, pos)
        assert i >= 0, (needle, block[pos : pos + 300])
        pos = i + len(needle)
    worker = text_of(pod_block(dom, "csi-nfs-node-pzd8b"))  # drawn: the search found it
    assert all(pid in worker for pid in ("47319", "47478", "47543"))
    dirs = re.search(r'<table[^>]*id="t-dirs".*?</table>', dom, re.S)
    assert dirs is not None and dirs.group(0).count("<tr") - 1 > 2, "the press drew more rows than the page held"


XSS = {
    "script": "<script>document.title='PWNED'</script>",
    "img": "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "close": "</script><script>document.body.setAttribute('data-pwned','close')</script>",
    "svg": "<svg/onload=\"document.body.setAttribute('data-pwned','svg')\">",
    "bidi": "invoice-\u202egpj.exe",  # a right-to-left override: shown as invoice-exe.jpg unless escaped
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
    # (and in the pictures: the process tree shows a process's command line, a timeline its pod's name)
    c.procs[0].args = "/app/server --file=" + XSS["bidi"] + "\x1b[2J\x07 --name=" + XSS["img"] + " --title=" + XSS["script"]
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
    # the override, raw nowhere: its visible escape instead (one backslash in the page's text, two in JSON text)
    source = html + (unpacked(html) if large else "")
    assert "\u202e" not in source and "\x1b" not in source and "\x07" not in source
    assert re.search(r"invoice-\\{1,2}u202egpj\.exe", source) or (large and "invoice-" not in source)  # (a large page may not carry it)
    if large:
        # the pod chains are in the packed data (gzip, base64): there as they were, for the page to draw as text
        assert "<script>document.title=" in unpacked(html)
        assert html.count("<script") == 3  # our data block, the packed data and our code, nothing else
    else:
        assert "&lt;script&gt;document.title=" in html  # but there, as text
        assert html.count("<script") == 2  # our data block and our code, nothing else
    got = load(out, tmp_path / "hostile.png")
    body = body_tag(got.dom)
    assert 'data-js="on"' in body and "data-pwned" not in body and "data-js-error" not in body
    assert "<title>Kubesnap report" in got.dom and "PWNED</title>" not in got.dom


def unpacked(html: str) -> str:
    """The packed data of a large report's page (reports.render.packed), as JSON text."""
    m = re.search(r'<script type="application/octet-stream" id="kubesnap-packed">([A-Za-z0-9+/=]*)</script>', html)
    assert m is not None, "a large report carries its packed data"
    return gzip.decompress(base64.b64decode(m.group(1))).decode("utf-8")


# ------------------------------------------------------------------ every field of bundle text, in a real browser


def payload(field: str, path_safe: bool) -> str:
    """What a hostile bundle puts in `field`: a visible marker, then markup that would run a script (setting
    the title to PWNED, or data-pwned on <body> to the field's name), leave a javascript: URL or inject CSS.
    Names that become file names on the node hold no '/' and at most 255 bytes (a container's log link
    holds pod, namespace and container names): one of the short payloads that need no '/', in turn."""
    act = "document.title='PWNED'"
    short = [f"<img src=x onerror={act}>", f"\"><svg onload={act}>", f"' onmouseover={act} x='", f"javascript:{act}", "<style>*{display:none}", "{{7*7}}"]
    if path_safe:
        i = FIELDS.index(field)
        return f"{field}-TEXT {short[i % 6]}"
    act = f"document.body.setAttribute('data-pwned','{field}')"
    slashed = [f"<script>{act}</script>", f"</script><script>{act}</script>", "</style><style>body{display:none}</style>",
               f"<a href=\"javascript:{act}\">x</a>", f"<img src=x onerror=\"{act}\">"]  # fmt: skip
    return f"{field}-TEXT " + " ".join(short + slashed)


# field -> where the test puts it (the fixture below), all shown by the report
FIELDS = ["node", "namespace", "pod", "label", "annotation", "container", "image", "argv", "log", "journal", "event-reason",
          "event-message", "event-object", "waiting-reason", "file-path", "cert-subject", "member"]  # fmt: skip


# fields that become names of files on the node (or of the pasted file itself)
# (and the certificate's CN: X.509 holds at most 64 characters there)
PATH_SAFE = {"node", "namespace", "pod", "container", "image", "event-reason", "event-object", "waiting-reason", "file-path", "member", "cert-subject"}


def value(field: str) -> str:
    return payload(field, field in PATH_SAFE)


@dataclass
class HostilePage:
    html: str
    dom: str
    text: str  # the page's text as a reader sees it (tags gone, entities decoded, no script or style)
    elements: list[tuple[str, list[tuple[str, str | None]]]]  # every element of the DOM with its attributes


class Elements(HTMLParser):
    """The elements of a DOM and its visible text (attribute values may hold '<': no regex reads this)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


@pytest.fixture(scope="session")
def hostile_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HostilePage]:
    """One hostile site (a node bundle and pasted captures, every field of FIELDS carrying its payload),
    its report rendered both ways (server-side and lazy JSON), each loaded once in headless Chromium."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from fixtures.fakenode.model import Event

    tmp = tmp_path_factory.mktemp("hostile-pages")
    site = small_site(name=value("node"), hostname="node-a")
    n = site.nodes[0]
    n.kubectl_works = True
    pod = n.pods[0]
    pod.name, pod.namespace = value("pod"), value("namespace")
    pod.labels = {"app": value("label")}
    pod.annotations = {"note": value("annotation")}
    c = pod.containers[0]
    c.name, c.image = value("container"), "registry.example.com/" + value("image")
    c.procs[0].args = "/app/server --name=" + value("argv")
    c.logs[0] += [LogLine(NOW - 5, "stdout", value("log"))]
    side = pod.containers[1]
    side.state, side.ready, side.api_waiting, side.reason = "exited", False, value("waiting-reason"), value("waiting-reason")
    n.journal.append(JournalLine(NOW - 60, "kubelet", "kubelet", 800, "E1114 21:59:00.000000     800 x.go:1] " + value("journal")))
    site.events.append(Event(pod.namespace, "Pod", value("event-object"), value("event-reason"), value("event-message"),
                             "Warning", NOW - 600, NOW - 60, 3))  # fmt: skip
    root, bin_dir = build_node(site, n, tmp / "node")
    proc = run_collector(root, bin_dir, tmp / "out")
    bundle = Path(proc.stdout.strip().splitlines()[-1])
    # an expired certificate pasted alone: its CN and its file name the payloads (a finding names both)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value("cert-subject"))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(7)
            .not_valid_before(datetime(2023, 1, 1, tzinfo=UTC)).not_valid_after(datetime(2023, 6, 1, tzinfo=UTC)).sign(key, hashes.SHA256()))  # fmt: skip
    loose = tmp / "loose"
    loose.mkdir()
    (loose / (value("file-path") + ".crt")).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    # a member the ingest cannot read: its name is the payload, in the problems the report lists
    (loose / (value("member") + ".json")).write_text('{"kind": "List", "items": [')
    db = tmp / "h.duckdb"
    with Store(db) as s:
        ingest(s, [bundle, *sorted(loose.iterdir())], node="node-a")
    from analyzer import api

    api.check(db)
    pages = {}
    for mode, large in (("server-side", False), ("lazy-json", True), ("lazy-json-opened", True)):
        out = tmp / f"{mode}.html"
        render_report(db, out, large=large)
        if mode == "lazy-json-opened":
            # a large report draws log lines and process trees when their <details> opens: the reader's
            # click, done here by one more script of the page's own nonce, so the payloads go through that code
            html = out.read_text()
            nonce = re.findall(r'<script nonce="([^"]+)"', html)[-1]
            # (again after a while: a node's chains are drawn when it opens, with details of their own)
            opener = (f'<script nonce="{nonce}">function openAll() {{ document.querySelectorAll("details").forEach(function (d) {{ d.open = true; }}); }}'
                      "openAll(); setTimeout(openAll, 300); setTimeout(openAll, 1000);</script>")
            out.write_text(html.replace("</body>", opener + "</body>"))
        got = load(out, tmp / f"{mode}.png")
        reader = Elements()
        reader.feed(got.dom)
        pages[mode] = HostilePage(out.read_text(), got.dom, "".join(reader.text), reader.elements)
    return pages


@pytest.mark.slow  # every page of the report in a browser: the slow set
@pytest.mark.parametrize("mode", ["server-side", "lazy-json", "lazy-json-opened"])
def test_no_payload_ran(hostile_pages: dict[str, HostilePage], mode: str) -> None:
    """After Chromium ran the page: no payload's script ran, no markup of a payload became an element."""
    page = hostile_pages[mode]
    # the data block, our code, the test's opener (the packed data's block is taken out of the document at load)
    ours = {"server-side": 2, "lazy-json": 2, "lazy-json-opened": 3}[mode]
    body = body_tag(page.dom)
    assert 'data-js="on"' in body and "data-js-error" not in body
    assert "data-pwned" not in body
    assert "<title>Kubesnap report" in page.dom and "PWNED" not in page.dom.split("<body", 1)[0]
    tags = [t for t, _a in page.elements]
    assert tags.count("script") == ours, "our scripts, nothing else"
    assert tags.count("style") == 1 and page.html.count("<style") == 1
    assert not {"img", "iframe", "object", "embed", "frame", "base", "link", "form"} & set(tags), "no element of a payload"
    attrs = [(t, k, v or "") for t, a in page.elements for k, v in a]
    assert not [x for x in attrs if x[1].startswith("on")], "no event handler attribute"
    assert not [x for x in attrs if "javascript:" in x[2].replace(" ", "").lower()], "no javascript: URL in any attribute"
    assert all(v.startswith("#") for t, k, v in attrs if k in ("href", "src", "action", "xlink:href")), "links are the report's own anchors"
    for fragment in ("<img src=x", "<svg onload", "<script>document", "</script><script>", "<style>*", "</style><style>", '<a href="javascript'):
        assert fragment not in page.html, fragment
    if mode == "lazy-json-opened":
        assert "log-TEXT" in page.text and "argv-TEXT" in page.text, "the lazily drawn parts were drawn"


@pytest.mark.slow  # every field of the hostile site in a browser, both ways: the slow set (the fast set has test_payloads_render_as_text_and_never_run)
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("mode", ["server-side", "lazy-json-opened"])
def test_each_field_shows_its_payload_as_text(hostile_pages: dict[str, HostilePage], field: str, mode: str) -> None:
    """The field is on the page, its payload as the characters the bundle held (the first 40 of them)."""
    page = hostile_pages[mode]
    if mode == "lazy-json-opened" and field == "annotation":
        assert "annotation-TEXT" not in page.html, "a large report leaves annotations out"
        return
    shown = value(field)[:40]
    assert shown in page.text, (field, [page.text[m.start() : m.start() + 60] for m in re.finditer(re.escape(f"{field}-TEXT"), page.text)][:3])
