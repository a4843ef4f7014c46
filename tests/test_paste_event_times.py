"""When a paste was printed (issue 16). Pasted event tables reach the timeline: kubectl's ages (`5m`,
`2m (x4 over 10m)`) become times counted back from a `date` output in the paste (every form `date` prints)
or `--now`; without either, the ages stay text and a note says why. Journal and klog lines that print no
year are read in --year, else the year of --now or of the paste's `date`, else the current year with a note."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.cli import main
from analyzer.pastefmt import date_output_iso
from tests.conftest import examples
from tests.test_paste_read import _ingest

EVENTS = """$ kubectl get events -n shop
LAST SEEN   TYPE      REASON      OBJECT          MESSAGE
5m          Warning   BackOff     pod/web-0       Back-off restarting failed container
2m          Normal    Pulled      pod/web-1       Container image "nginx" already present on machine
"""
FOLDED = """$ kubectl events -n shop
LAST SEEN            TYPE      REASON    OBJECT      MESSAGE
2m (x4 over 10m)     Warning   BackOff   Pod/web-0   Back-off restarting failed container
"""

@pytest.mark.parametrize(("line", "iso"), [
    ("Thu Dec  5 10:00:00 UTC 2024", "2024-12-05T10:00:00+00:00"),  # C locale
    ("Thu Dec 5 10:00:00 AM KST 2024", "2024-12-05T10:00:00+09:00"),  # with AM/PM
    ("Thu 05 Dec 2024 10:00:00 PM UTC", "2024-12-05T22:00:00+00:00"),  # en_US
    ("Thu, 05 Dec 2024 10:00:00 +0000", "2024-12-05T10:00:00+00:00"),  # date -R
    ("2024-12-05T10:00:00+09:00", "2024-12-05T01:00:00+00:00"),  # date -Iseconds
    ("2024-12-05 10:00:00+00:00", "2024-12-05T10:00:00+00:00"),  # date --rfc-3339=seconds
    ("2024-12-05T10:00:00", None),  # no zone: not a reference
    ("Thu Dec  5 10:00:00 XYZ 2024", None),  # a zone Kubesnap does not know: never guessed
    ("Mon Jun 16 14:23:09 2025", None),  # ps lstart: no zone
    ("hello world", None),
])  # fmt: skip
def test_date_output_forms(line: str, iso: str | None) -> None:
    assert date_output_iso(line) == iso


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_ages_counted_back_from_the_date_output_reach_the_timeline(tmp_path: Path) -> None:
    code, out, db = _ingest(tmp_path, "$ date\nThu Dec  5 10:00:00 UTC 2024\n" + EVENTS)
    assert code == 0, out
    assert "--node" not in out  # a date and an event table are cluster-level: no node to name
    got = _rows(db, "SELECT name, strftime(last_seen, '%Y-%m-%dT%H:%M:%SZ'), last_seen_text FROM events ORDER BY name")
    assert got == [("web-0", "2024-12-05T09:55:00Z", "5m"), ("web-1", "2024-12-05T09:58:00Z", "2m")]
    notes = _rows(db, "SELECT format, notes FROM paste_sections WHERE format IN ('date', 'kubectl-get-events') ORDER BY first_line")
    assert notes[0] == ("date", None)
    assert json.loads(str(notes[1][1])) == ["2 event time(s) counted back from the date output at line 2 (2024-12-05T10:00:00+00:00): "
                                            "as exact as kubectl's rounded ages"]  # fmt: skip
    r = CliRunner().invoke(main, ["timeline", "--db", str(db)])
    assert r.exit_code == 0
    lines = [ln for ln in r.output.splitlines() if not ln.startswith("#")]
    assert [ln.split()[0] for ln in lines] == ["2024-12-05T09:55:00.000000Z", "2024-12-05T09:58:00.000000Z"]
    assert "Warning BackOff pod/web-0: Back-off restarting failed container" in lines[0]


def test_a_date_below_the_table_is_used_when_none_is_above(tmp_path: Path) -> None:
    code, out, db = _ingest(tmp_path, EVENTS + "$ date -u\nThu Dec  5 10:00:00 UTC 2024\n")
    assert code == 0, out
    assert _rows(db, "SELECT strftime(last_seen, '%H:%M') FROM events ORDER BY name") == [("09:55",), ("09:58",)]


def test_now_is_the_reference_and_wins_over_a_date(tmp_path: Path) -> None:
    code, out, db = _ingest(tmp_path, "$ date\nThu Dec  5 10:00:00 UTC 2024\n" + EVENTS, "--now", "2024-12-05T10:00:00+09:00")
    assert code == 0, out
    assert _rows(db, "SELECT strftime(last_seen, '%Y-%m-%dT%H:%M:%SZ') FROM events ORDER BY name") == [("2024-12-05T00:55:00Z",), ("2024-12-05T00:58:00Z",)]
    assert "counted back from --now 2024-12-05T01:00:00+00:00" in str(_rows(db, "SELECT notes FROM paste_sections WHERE format = 'kubectl-get-events'"))


def test_folded_counts_give_first_and_last_seen(tmp_path: Path) -> None:
    """`kubectl events` folds the count in: `2m (x4 over 10m)` is last seen 2 minutes and first seen 10 minutes before."""
    code, out, db = _ingest(tmp_path, FOLDED, "--now", "Thu Dec  5 10:00:00 UTC 2024")
    assert code == 0, out
    got = _rows(db, "SELECT reason, count, strftime(first_seen, '%H:%M'), strftime(last_seen, '%H:%M') FROM events")
    assert got == [("BackOff", 4, "09:50", "09:58")]


def test_without_a_reference_the_ages_stay_text_with_a_note(tmp_path: Path) -> None:
    code, out, db = _ingest(tmp_path, EVENTS)
    assert code == 0, out
    assert _rows(db, "SELECT count(*), count(last_seen), count(last_seen_text) FROM events") == [(2, 0, 2)]
    assert "event ages kept as text: the paste holds no `date` output to count them back from (give --now TIME)" in str(
        _rows(db, "SELECT notes FROM paste_sections WHERE format = 'kubectl-get-events'"))
    r = CliRunner().invoke(main, ["timeline", "--db", str(db)])
    assert [ln for ln in r.output.splitlines() if not ln.startswith("#")] == []  # no time, no place on the timeline


@pytest.mark.parametrize("bad", ["yesterday", "1733392800", "2024-13-45T10:00:00Z", "Thu Dec  5 10:00:00 XYZ 2024"])
def test_a_now_that_is_not_a_time_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    code, out, _db = _ingest(tmp_path, EVENTS, "--now", bad)
    assert code == 2
    assert "not a time (give ISO 8601" in out


@pytest.mark.parametrize(("command", "target"), [
    ("kubectl describe pod web-0 -n shop", ("Pod", "web-0", "shop")),
    ("kubectl -n kube-system describe po/coredns-5d78c9869d-abcde", ("Pod", "coredns-5d78c9869d-abcde", "kube-system")),
    ("kubectl describe deploy web --namespace=shop | grep -A20 Events", ("Deployment", "web", "shop")),
    ("sudo kubectl describe node worker-1", ("Node", "worker-1", None)),
    ("kubectl describe pods", ("Pod", None, None)),
    ("kubectl get events", (None, None, None)),
    (None, (None, None, None)),
])  # fmt: skip
def test_the_object_a_describe_command_names(command: str | None, target: tuple[str | None, str | None, str | None]) -> None:
    from analyzer.ingest import describe_target

    assert describe_target(command) == target


def test_an_events_table_pasted_alone_is_stored_as_the_commands_objects(tmp_path: Path) -> None:
    text = """$ date
Thu Dec  5 10:00:00 UTC 2024
$ kubectl describe pod web-0 -n shop
Events:
  Type     Reason   Age                From     Message
  ----     ------   ----               ----     -------
  Warning  BackOff  2m (x4 over 10m)   kubelet  Back-off restarting failed container
  Normal   Pulled   12m                kubelet  Container image "nginx" already present on machine
"""
    code, out, db = _ingest(tmp_path, text)
    assert code == 0, out
    got = _rows(db, "SELECT namespace, kind, name, reason, count, strftime(first_seen, '%H:%M'), strftime(last_seen, '%H:%M'), component "
                    "FROM events ORDER BY reason")  # fmt: skip
    assert got == [("shop", "Pod", "web-0", "BackOff", 4, "09:50", "09:58", "kubelet"), ("shop", "Pod", "web-0", "Pulled", 1, None, "09:48", "kubelet")]
    assert _rows(db, "SELECT rows, stored FROM paste_sections WHERE format = 'kubectl-describe-events'") == [(2, 2)]


def test_an_events_table_without_a_command_keeps_its_rows_without_an_object(tmp_path: Path) -> None:
    text = """Events:
  Type     Reason            Age                    From               Message
  ----     ------            ----                   ----               -------
  Warning  FailedScheduling  95s (x225 over 5h26m)  default-scheduler  0/9 nodes are available
"""
    code, out, db = _ingest(tmp_path, text)
    assert code == 0, out
    assert _rows(db, "SELECT kind, name, reason, count, first_seen_text, last_seen_text, last_seen FROM events") == [
        (None, None, "FailedScheduling", 225, "5h26m", "95s", None)]


JOURNAL = """$ journalctl -u kubelet --no-pager | tail -2
Jan 02 09:59:01 node-1 kubelet[812]: E0102 09:59:01.000000     812 pod_workers.go:1298] "Error syncing pod"
Jan 02 09:59:02 node-1 kubelet[812]: I0102 09:59:02.000000     812 kubelet.go:2000] "SyncLoop"
"""


@pytest.mark.parametrize(("date", "args", "first", "note"), [
    (True, [], "2020-01-02T09:59:01Z", "read in 2020 (the year of the date output at line 2)"),
    (True, ["--year", "2019"], "2019-01-02T09:59:01Z", "read in 2019 (--year)"),
    (True, ["--now", "2021-01-02T10:00:00Z"], "2021-01-02T09:59:01Z", "read in 2021 (the year of --now)"),
    (False, ["--year", "2018"], "2018-01-02T09:59:01Z", "read in 2018 (--year)"),
    (False, [], None, "read in the current year (the paste gives none; give --year)"),
])  # fmt: skip
def test_journal_lines_without_a_year_take_the_pastes_year(tmp_path: Path, date: bool, args: list[str], first: str | None, note: str) -> None:
    text = ("$ date\nThu Jan  2 10:00:00 UTC 2020\n" if date else "") + JOURNAL
    code, out, db = _ingest(tmp_path, text, "--node", "node-1", *args)
    assert code == 0, out
    got = _rows(db, "SELECT strftime(min(ts), '%Y-%m-%dT%H:%M:%SZ'), count(*) FROM journal")[0]
    assert got[1] == 2
    if first is not None:
        assert got[0] == first
    assert f"journal lines without a year: {note}" in str(_rows(db, "SELECT notes FROM paste_sections WHERE format LIKE 'journal%'"))


def test_a_loose_journal_file_takes_the_year_given(tmp_path: Path) -> None:
    lines = "".join(JOURNAL.splitlines(keepends=True)[1:])  # journalctl's output as a file, no prompt
    code, out, db = _ingest(tmp_path, lines, "--node", "node-1", "--year", "2017")
    assert code == 0, out
    assert _rows(db, "SELECT strftime(min(ts), '%Y'), count(*) FROM journal") == [("2017", 2)]


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(
    st.text(max_size=80),
    st.builds(lambda d, mo, h, z, y: f"Thu {mo} {d:2d} {h:02d}:00:00 {z} {y}", st.integers(0, 40), st.sampled_from(["Dec", "Feb", "Xyz"]),
              st.integers(0, 30), st.sampled_from(["UTC", "KST", "EDT", "XYZ", ""]), st.integers(0, 99999)),
))  # fmt: skip
def test_date_output_is_read_or_refused_never_raises(line: str) -> None:
    """Pasted text is untrusted: whatever the line, an ISO time with an offset or None, never an exception."""
    from datetime import datetime

    iso = date_output_iso(line)
    assert iso is None or datetime.fromisoformat(iso).utcoffset() is not None
