"""docs/add-a-source.md stays true: its two snippets (the parser file and the layout entry) are added exactly as
the page says, to a copy of the registry and of the layout, and a bundle holding the member is ingested."""

from __future__ import annotations

import importlib.util
import io
import re
import tarfile
from pathlib import Path

import duckdb
import pytest

from analyzer import registry
from analyzer.ingest import ingest
from analyzer.layout import Layout
from analyzer.layouts import kubesnap
from analyzer.layouts.kubesnap import KUBESNAP
from analyzer.store import Store

PAGE = Path(__file__).resolve().parents[1] / "docs" / "add-a-source.md"
LSMOD = b"Module                  Size  Used by\noverlay               151552  12\nbr_netfilter           32768  0\nnot a row\n"


def snippets() -> tuple[str, str, str]:
    """(the parser file's path, its code, the entry line) as the page shows them."""
    text = PAGE.read_text()
    parser = re.search(r"^```python file=(\S+)\n(.*?)^```", text, re.S | re.M)
    entry = re.search(r"^```python entry\n(.*?)^```", text, re.S | re.M)
    assert parser and entry, "docs/add-a-source.md lost its two code blocks"
    return parser.group(1), parser.group(2), entry.group(1).strip()


def bundle(tmp: Path) -> Path:
    name = "kubesnap-n1-20240101T000000Z"
    out = tmp / f"{name}.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        for path, data in (("manifest.json", b'{"node": "n1", "records": []}'), ("host/uname.txt", b"Linux n1 6.1.0 x86_64\n"), ("host/lsmod.txt", LSMOD)):
            ti = tarfile.TarInfo(f"{name}/{path}")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return out


def member_state(db: Path) -> tuple[str, str | None, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT state, parser, records FROM members WHERE path = 'host/lsmod.txt'").fetchall()
    assert len(rows) == 1
    return rows[0]


def test_a_source_added_the_way_the_page_says_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, code, entry_line = snippets()
    assert path.startswith("analyzer/parsers/") and entry_line.startswith("E(")
    t = bundle(tmp_path)

    # before: the member is not understood, and a problem names it
    with Store(tmp_path / "before.duckdb") as s:
        rep = ingest(s, [t], workers=1)
    assert member_state(tmp_path / "before.duckdb") == ("not understood", None, 0)
    assert any(m == "host/lsmod.txt" and "not in the kubesnap layout" in r for _w, m, r in rep.problems)

    # file 1: the parser, as a module of its own (registering into a copy of the registry)
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.load_parsers()))
    (tmp_path / "lsmod.py").write_text(code)
    spec = importlib.util.spec_from_file_location("kubesnap_doc_lsmod", tmp_path / "lsmod.py")
    assert spec and spec.loader
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert "lsmod" in registry.REGISTRY
    # file 2: the entry line, in the layout's own namespace (E and the reader names), added to a copy of the layout
    entry = eval(entry_line.rstrip(","), vars(kubesnap))
    lay = Layout("kubesnap", (entry, *KUBESNAP.entries), KUBESNAP.detect, KUBESNAP.doc)

    with Store(tmp_path / "after.duckdb") as s:
        rep = ingest(s, [t], workers=1, layout=lay)
    assert member_state(tmp_path / "after.duckdb") == ("read", "lsmod", 2)
    with duckdb.connect(str(tmp_path / "after.duckdb"), read_only=True) as con:
        facts = dict(con.execute("SELECT key, value FROM host_facts WHERE member = 'host/lsmod.txt'").fetchall())
    assert facts == {"module.overlay": "151552", "module.br_netfilter": "32768"}
    assert [(m, r) for _w, m, r in rep.problems] == [("host/lsmod.txt", "line 4: not an lsmod row: 'not a row'")]
    # and a loose paste of it is recognized by the snippet's sniffer
    assert registry.sniff(LSMOD.decode())[0].name == "lsmod"  # type: ignore[union-attr]
