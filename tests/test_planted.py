"""Each problem planted on the troubled site, followed from the node to the finding: the member the
collector wrote it to is in the node's bundle (or, for a file it did not copy, its manifest record
is), the member gave the row the rule reads, and the rule reports it (rule, node, object, message).

The list of planted problems is declared once, in fixtures/troubled_site.py (PLANTED).
"""

from __future__ import annotations

import tarfile
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from analyzer import api
from analyzer.rules import Finding, load_rules
from fixtures.troubled_site import PLANTED, Planted


@pytest.fixture(scope="session")
def members(troubled_dir: Path) -> dict[str, list[str]]:
    """node -> the member paths of its bundle, below the bundle's top folder."""
    out: dict[str, list[str]] = {}
    for t in sorted((troubled_dir / "bundles").glob("kubesnap-*.tar.gz")):
        node = t.name.removeprefix("kubesnap-").rsplit("-", 1)[0]
        with tarfile.open(t) as tf:
            out[node] = [m.name.split("/", 1)[1] for m in tf if "/" in m.name]
    return out


@pytest.fixture(scope="session")
def findings(troubled_db: Path) -> list[Finding]:
    _site, found = api.check(troubled_db)
    return [f for _r, f in found]


def test_every_rule_has_a_planted_problem() -> None:
    assert {p.rule for p in PLANTED} == set(load_rules()), "plant the rule's problem in fixtures/troubled_site.py and declare it in PLANTED"


@pytest.mark.parametrize("p", PLANTED, ids=lambda p: f"{p.rule}-{p.obj or p.node or 'site'}")
def test_planted_problem_from_member_to_finding(members: dict[str, list[str]], troubled_db: Path, findings: list[Finding], p: Planted) -> None:
    # 1. the row the rule reads came from the member; 2. the collector wrote that member to the bundle
    on_node = "node = ? AND " if p.bundle else ""
    rows = api.query(troubled_db, f"SELECT DISTINCT node, member FROM {p.table} WHERE {on_node}member GLOB ? AND ({p.where})",
                     [*([p.bundle] if p.bundle else []), p.member]).rows  # fmt: skip
    assert rows, f"{p.bundle or 'API'}: no row of {p.member} in {p.table} where {p.where}"
    for node, member in rows:
        assert member in members[node], f"{node}: the row's member {member} is not in the bundle"
        if p.absent:
            copied = [n for n in members[node] if fnmatchcase(n, p.absent)]
            assert not copied, f"{node}: {copied} was copied; this planting is of a file the collector only lists"
    # 3. the rule reports it
    hits = [f for f in findings if f.rule == p.rule]
    assert hits, f"{p.rule} did not fire on the troubled site"
    mine = [f for f in hits if f.node == p.node and (p.obj is None or f.object == p.obj)]
    assert mine, f"{p.rule}: no finding on {p.node} for {p.obj}: {[(f.node, f.object, f.message) for f in hits]}"
    assert any(p.message in f.message for f in mine), [f.message for f in mine]
    assert all(f.evidence for f in mine), "every finding carries evidence"


def test_the_leftover_log_directory_is_found_though_the_collector_did_not_copy_it(troubled_db: Path, findings: list[Finding]) -> None:
    # issue 17: a /var/log/pods directory of a pod gone three days ago, last written before the --since window
    rows = api.query(
        troubled_db,
        "SELECT path, size, mtime, copied, line_count, member FROM pod_logs WHERE node = 'playcekube-worker01' AND pod = 'report-gen-28291500-zt9kq'",
    ).rows
    assert len(rows) == 1, rows
    path, size, mtime, copied, lines, member = rows[0]
    assert path.endswith("/report/0.log") and size > 0 and not copied and lines is None and member == "manifest.json"
    (record,) = api.query(troubled_db, "SELECT skipped, size, mtime FROM collection_records WHERE path = ?", [path]).rows
    assert record == ("not modified since --since window", size, mtime)
    (f,) = [f for f in findings if f.rule == "LOG_DIR_NO_POD"]
    assert f.object == "report-gen-28291500-zt9kq" and f"({size} bytes)" in f.message
    assert any("1 file(s) on the node, 1 listed only" in e for e in f.evidence), f.evidence
