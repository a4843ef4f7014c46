"""A journal line that two members hold (journalctl output and /var/log/syslog) is one line for the report,
`kubesnap timeline` and the rules, with both copies kept as its evidence (the view `journal_lines`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.rules import Thresholds, run_rules
from analyzer.store import Store
from analyzer.verbs import open_site
from analyzer.verbs.timeline import timeline
from fixtures.fakenode.build import collect_site
from fixtures.fakenode.model import JournalLine
from fixtures.small_node import NOW, small_site
from reports.render import Builder

PLEG = 'E1114 21:40:07.000000     800 kubelet.go:2185] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m0s ago"'


@pytest.fixture(scope="module")
def two_source_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One node in Seoul (+0900, so syslog's local stamps must be shifted to match the journal's) whose kubelet lines are
    in journalctl output and in /var/log/syslog; one error line is logged twice in the same second (two lines, not one)."""
    from analyzer.ingest import ingest

    site = small_site()
    node = site.nodes[0]
    node.tz = "Asia/Seoul"
    node.journal += [JournalLine(NOW - 600 + 0.25, "kubelet", "kubelet", 800, PLEG), JournalLine(NOW - 600 + 0.75, "kubelet", "kubelet", 800, PLEG)]
    tmp = tmp_path_factory.mktemp("two-sources")
    collect_site(site, tmp / "nodes", tmp / "bundles")
    db = tmp / "db.duckdb"
    with Store(db) as s:
        rep = ingest(s, [tmp / "bundles"])
        assert rep.bundles == 1 and not rep.problems, rep.problems
    return db


def test_every_line_once_with_both_sources(two_source_db: Path) -> None:
    with Store(two_source_db, read_only=True) as s:
        by_source = dict(s.con.execute("SELECT source, count(*) FROM journal WHERE ident = 'kubelet' GROUP BY 1").fetchall())
        assert by_source == {"journal": 52, "syslog": 52}  # the same 52 kubelet lines, stored as read from each member
        raw, lines, distinct = s.con.execute(
            """SELECT (SELECT count(*) FROM journal), (SELECT count(*) FROM journal_lines),
                      (SELECT count(*) FROM (SELECT DISTINCT date_trunc('second', ts), ident, pid, message FROM journal WHERE ts IS NOT NULL))
                      + (SELECT count(*) FROM journal WHERE ts IS NULL) + 1"""
        ).fetchall()[0]
        # lines without a time are never merged (the '-- No entries --' of the empty units); +1: the PLEG line twice in
        # one second is two lines, which DISTINCT folds into one
        assert lines == distinct < raw
        rows = s.con.execute(
            "SELECT ts, member, source, sources, evidence FROM journal_lines WHERE ident = 'kubelet' AND message = ? ORDER BY line_no", [PLEG]
        ).fetchall()
        assert len(rows) == 2
        for i, (ts, member, source, sources, evidence) in enumerate(rows):
            assert (member, source, sources) == ("services/journal-kubelet.log", "journal", ["journal", "syslog"])
            assert [e.rsplit(":", 1)[0] for e in evidence] == ["services/journal-kubelet.log", "files/var/log/syslog"]
            assert ts.timestamp() == pytest.approx(NOW - 600 + (0.25, 0.75)[i])  # the journal's precise UTC time, not syslog's local second
        assert len({e for r in rows for e in r[4]}) == 4  # each copy is evidence of one line only
        # a line without a time is never taken for another one
        assert s.con.execute("SELECT count(*) FROM journal WHERE ts IS NULL").fetchall() == s.con.execute(
            "SELECT count(*) FROM journal_lines WHERE ts IS NULL"
        ).fetchall()


def test_report_timeline_and_rules_count_each_line_once(two_source_db: Path) -> None:
    with open_site(two_source_db, None) as sv:
        out = "".join(timeline(sv, sources=("journal",), output="json", since="30d"))
    assert out.count("PLEG is not healthy") == 2
    with Store(two_source_db, read_only=True) as s:
        logs = Builder(s, None).logs()
        assert [line.message for _n, line in logs.journal_highlights].count(PLEG) == 2
        marks = [m for m in Builder(s, None).marks() if m.kind == "journal"]
        assert [m.label.split(" error line(s)")[0] for m in marks] == ["2"]
        findings = [f for _r, f in run_rules(s.con, s.pick_site(None), Thresholds()) if f.rule == "KUBELET_PLEG_UNHEALTHY"]
    assert len(findings) == 1
    f = findings[0]
    assert ": 2 line(s) on node-a" in f.message
    assert "services/journal-kubelet.log:" in f.evidence[0] and "files/var/log/syslog:" in f.evidence[0]


def test_dmesg_as_it_prints_by_default_and_with_T(tmp_path: Path) -> None:
    """A loose `dmesg` (seconds since boot: no time of day) and `dmesg -T` (local time with the year) are the kernel's
    journal lines, not text "JSON broken at line 1" (found by a fuzzer, 2026-12-07: a file starting with `[`)."""
    from tests.conftest import db_rows, ingest_text

    for i, (text, want) in enumerate((
        ("[    0.000000] Linux version 5.15.0-91-generic\n[  123.456789] Memory cgroup out of memory: Killed process 4242 (java)\n",
         [(None, "kernel", "dmesg", "Linux version 5.15.0-91-generic"), (None, "kernel", "dmesg", "Memory cgroup out of memory: Killed process 4242 (java)")]),
        ("[Thu Nov 20 00:42:53 2025] Linux version 5.15.0-113-generic\n[Thu Nov 20 00:42:54 2025] KERNEL supported cpus:\n",
         [("2025-11-20T00:42:53", "kernel", "dmesg", "Linux version 5.15.0-113-generic"), ("2025-11-20T00:42:54", "kernel", "dmesg", "KERNEL supported cpus:")]),
    )):  # fmt: skip
        d = tmp_path / str(i)
        d.mkdir()
        code, out, db = ingest_text(d, text, "--node", "n1")
        assert code == 0 and "JSON" not in out, out
        (rows,) = db_rows(db, "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), ident, source, message FROM journal ORDER BY line_no")
        assert rows == want


def test_a_journal_json_message_of_bytes_is_its_text(tmp_path: Path) -> None:
    """journalctl -o json gives a MESSAGE that is not UTF-8 as an array of its bytes: stored as its text (each invalid byte
    a ?, as in any line), so that grep and timeline find it, not as `[104,101,...]` (a fuzzer, 2026-12-07)."""
    from tests.conftest import db_rows, ingest_text

    line = '{"__REALTIME_TIMESTAMP": "1696348801000000", "MESSAGE": [104, 105, 32, 255, 32, 195, 169], "_PID": "1", "SYSLOG_IDENTIFIER": "kubelet"}\n'
    code, out, db = ingest_text(tmp_path, line * 2, "--node", "n1")
    assert code == 0, out
    assert db_rows(db, "SELECT DISTINCT ident, message FROM journal")[0] == [("kubelet", "hi ? \u00e9")]  # (as every line: ? for a bad byte)
