"""The read contract and the layers (docs/architecture.md), checked on the source: a module that reads the store outside
the store's writers reads views, never a table; and modules import one way."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from analyzer.models import ALL_RECORDS, FIXED_RECORDS
from analyzer.views import VIEWS

ROOT = Path(__file__).resolve().parents[1]
TABLES = {cls.table for cls in [*ALL_RECORDS, *FIXED_RECORDS]} | {"kubesnap_meta"}
# the readers: rules, verbs, the report, and the facade's read paths
READERS = sorted([*ROOT.glob("analyzer/rules/*.py"), *ROOT.glob("analyzer/verbs/*.py"), *ROOT.glob("reports/*.py")])
# FROM/JOIN and the name that follows (a subquery's parenthesis, a table function's call are not names)
TARGET = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)(?!\s*\()", re.IGNORECASE)


def sql_texts(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module (f-string pieces too) that reads like SQL, with its line."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\bSELECT\b|\bFROM\b", node.value):
            out.append((node.lineno, node.value))
    return out


def raw_reads(path: Path) -> list[str]:
    found = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    for line, text in sql_texts(path):
        if re.search(r"\bDELETE\s+FROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b", text, re.IGNORECASE):
            found.append(f"{where}:{line}: writes ({text.strip()[:60]}...)")
            continue
        for name in TARGET.findall(text):
            if name.split(".")[-1].lower() in TABLES:
                found.append(f"{where}:{line}: reads table {name}")
    return sorted(found)


def test_readers_read_views_only() -> None:
    assert READERS and sum(len(sql_texts(p)) for p in READERS) > 100  # the scan sees the SQL it is meant to check
    bad = [f for p in READERS for f in raw_reads(p)]
    assert not bad, "\n".join(bad)


def test_the_scan_finds_a_raw_read(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('Q = f"""SELECT x FROM pods p JOIN crictl_sandboxes s ON true WHERE {1}"""\n'
                     'R = "SELECT 1 FROM (SELECT 1) JOIN journal j, v_journal"\nW = "DELETE FROM findings"\n')  # fmt: skip
    assert raw_reads(probe) == ["probe.py:1: reads table crictl_sandboxes", "probe.py:2: reads table journal", "probe.py:3: writes (DELETE FROM findings...)"]


def test_every_view_reads_known_names() -> None:
    """A view reads tables or earlier views (or its own CTEs): a typo in a view is caught here, not at a customer's."""
    for name, (_about, sql) in VIEWS.items():
        ctes = set(re.findall(r"(\w+)\s+AS\s+\(", sql))
        for target in TARGET.findall(sql):
            assert target in TABLES or target in VIEWS or target in ctes, f"view {name} reads unknown {target}"


# ------------------------------------------------------------------ imports


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted([*ROOT.glob("analyzer/**/*.py"), *ROOT.glob("reports/**/*.py")])}


def imports_of(name: str) -> set[str]:
    """The project modules a module imports, wherever the import statement is (a function's lazy import counts)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


@functools.cache
def graph() -> dict[str, set[str]]:
    """Every project module's imports: parsed when a test first asks (not at collection, on every worker)."""
    return {m: imports_of(m) for m in MODULES}


def reach(start: str) -> dict[str, list[str]]:
    """Every module `start` imports, directly or not, with one import chain to it."""
    chains = {start: [start]}
    todo = [start]
    while todo:
        m = todo.pop()
        for n in sorted(graph()[m]):
            if n not in chains:
                chains[n] = [*chains[m], n]
                todo.append(n)
    del chains[start]
    return chains


def under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


CLI = ("analyzer.cli", "analyzer.cli_base", "analyzer.cli_verbs", "analyzer.cli_site", "analyzer.__main__", "analyzer.docs")
# layer -> (its modules, what it must never import, directly or not)
CONTRACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "parsers (and the bulk loaders) read bytes into models and Arrow only": (
        ("analyzer.parsers", "analyzer.bulk"),
        ("analyzer.store", "analyzer.views", "analyzer.ingest", "analyzer.correlate", "analyzer.bundle", "analyzer.rules",
         "analyzer.verbs", "reports", "analyzer.api", *CLI),
    ),
    "ingest and correlate write the store, never read findings or render": (
        ("analyzer.ingest", "analyzer.correlate", "analyzer.bundle", "analyzer.store", "analyzer.views", "analyzer.models"),
        ("analyzer.rules", "analyzer.verbs", "reports", "analyzer.api", *CLI),
    ),
    "rules read views through the store": (
        ("analyzer.rules",),
        ("analyzer.ingest", "analyzer.correlate", "analyzer.bulk", "analyzer.bundle", "analyzer.parsers", "analyzer.verbs", "reports",
         "analyzer.api", *CLI),
    ),
    "verbs read views, never the rules or the CLI": (
        ("analyzer.verbs",),
        ("analyzer.rules", "analyzer.ingest", "analyzer.correlate", "analyzer.bulk", "analyzer.bundle", "reports", "analyzer.api", *CLI),
    ),
    "the report reads views and stored findings": (
        ("reports",),
        ("analyzer.rules", "analyzer.ingest", "analyzer.correlate", "analyzer.bulk", "analyzer.bundle", "analyzer.verbs", "analyzer.api", *CLI),
    ),
}  # fmt: skip


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_layers_import_one_way(contract: str) -> None:
    layer, forbidden = CONTRACTS[contract]
    members = [m for m in MODULES if under(m, *layer)]
    assert members
    bad = [" -> ".join(chain) for m in members for target, chain in reach(m).items() if under(target, *forbidden)]
    assert not bad, "\n".join(bad)


def test_cli_modules_do_not_import_each_other_back() -> None:
    """cli.py assembles the commands: it imports cli_verbs and cli_site, which import only cli_base (the group and its
    helpers); nothing but the entry points imports cli.py."""
    for m in ("analyzer.cli_verbs", "analyzer.cli_site", "analyzer.cli_base"):
        assert "analyzer.cli" not in reach(m), f"{m} imports analyzer.cli: " + " -> ".join(reach(m)["analyzer.cli"])
    assert {m for m, deps in graph().items() if "analyzer.cli" in deps} <= {"analyzer.__main__", "analyzer.docs"}


def test_the_import_scan_sees_lazy_imports() -> None:
    assert "analyzer.views" in graph()["analyzer.store"]  # imported inside functions only
    assert "analyzer.cli_verbs" in graph()["analyzer.cli"]
