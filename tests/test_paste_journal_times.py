"""The times of pasted journal lines (syslog stamps and bare klog lines print no year and local time): the year and
the UTC offset the paste itself gives, carried to the sections that give none; a loose journal capture's own year.
Excerpts of real pastes from a blind run of 44 (2026-12-07); the threads are cited above each."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import db_rows, ingest_text

# kubernetes/kubelet#9 (jay763190097, 2020-04-05): a status whose Active: says the year and the zone (EDT), then the
# same failure in a second fence with neither
STATUS_THEN_FENCE = """```bash
[root@master ~]# systemctl status kubelet
● kubelet.service - kubelet: The Kubernetes Node Agent
   Loaded: loaded (/usr/lib/systemd/system/kubelet.service; enabled; vendor preset: disabled)
   Active: activating (auto-restart) (Result: exit-code) since Sun 2020-04-05 05:33:40 EDT; 7s ago
 Main PID: 4759 (code=exited, status=255)

Apr 05 05:33:40 master systemd[1]: Unit kubelet.service entered failed state.
Apr 05 05:33:40 master systemd[1]: kubelet.service failed.
```

```bash
Apr 05 05:33:40 master systemd[1]: kubelet.service: main process exited, code=exited, status=255/n/a
Apr 05 05:33:40 master systemd[1]: kubelet.service failed.
```
"""


def test_the_year_and_zone_a_status_gives_hold_for_the_next_fence_too(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, STATUS_THEN_FENCE, "--node", "master")
    assert code == 0, out
    (times, notes) = db_rows(db, "SELECT DISTINCT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') FROM journal",
                             "SELECT first_line, notes FROM paste_sections WHERE notes IS NOT NULL ORDER BY first_line")
    assert times == [("2020-04-05T09:33:40",)]  # 05:33:40 EDT, not 2026, not 05:33:40Z
    assert [n for _, ns in notes for n in ns if "UTC-04:00" in n] and any("the year of the journal lines at line" in n for _, ns in notes for n in ns)


# rancher/rke2#6644 (kurborg, 2024-08-27): journal lines whose messages carry their own time with its offset
OWN_OFFSET = """$ journalctl -u rke2-server -f
Aug 27 16:31:32 OurServer rke2[132272]: {"level":"warn","ts":"2024-08-27T16:31:32.345951-0400","logger":"etcd-client","msg":"retrying of unary invoker failed"}
Aug 27 16:31:32 OurServer rke2[132272]: time="2024-08-27T16:31:32-04:00" level=error msg="Failed to check local etcd status for learner management: context deadline exceeded"
"""


def test_a_lines_own_time_gives_the_offset_of_its_stamp(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, OWN_OFFSET, "--node", "server")
    assert code == 0, out
    (times,) = db_rows(db, "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') FROM journal ORDER BY line_no")
    assert times == [("2024-08-27T20:31:32",), ("2024-08-27T20:31:32",)]


def test_a_stamp_no_line_explains_stays_as_printed(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, "$ journalctl -u kubelet --no-pager\nApr 05 05:33:40 master systemd[1]: kubelet.service failed.\n",
                                "--node", "master", "--year", "2020")
    assert code == 0, out
    (times, notes) = db_rows(db, "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') FROM journal", "SELECT notes FROM paste_sections WHERE notes IS NOT NULL")
    assert times == [("2020-04-05T05:33:40",)] and not any("local time" in n for (ns,) in notes for n in ns)


# kubernetes/kubeadm#639 (fredmj, 2018-03-18): bare klog lines under a prompt
KLOG = """```bash
[root@kubernetes ~]# kubelet logs
I0318 02:07:10.006151   29652 feature_gate.go:226] feature gates: &{{} map[]}
W0318 02:07:10.019239   29652 server.go:328] standalone mode, no API client
```
"""


def test_bare_klog_lines_get_their_time_in_the_year_the_note_names(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, KLOG, "--node", "kubernetes", "--year", "2018")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), severity, pid FROM journal ORDER BY line_no")
    assert rows == [("2018-03-18T02:07:10", "I", 29652), ("2018-03-18T02:07:10", "W", 29652)]


# rancher/rke2#629 (rajivml, 2020-12-20): a plain journal capture (no prompt, no fence) whose lines carry their year
PLAIN = """Dec 20 06:34:29 rancher-centos7 systemd[1]: Stopping Rancher Kubernetes Engine v2 (server)...
Dec 20 06:34:29 rancher-centos7 rke2[24411]: time="2020-12-20T06:34:29Z" level=info msg="Shutting down /v1, Kind=Secret workers"
Dec 20 06:34:29 rancher-centos7 rke2[24411]: time="2020-12-20T06:34:29Z" level=info msg="Shutting down /v1, Kind=Node workers"
"""


def test_a_loose_journal_capture_takes_the_year_its_lines_give(tmp_path: Path) -> None:
    code, out, db = ingest_text(tmp_path, PLAIN, "--node", "rancher-centos7")
    assert code == 0, out
    (years,) = db_rows(db, "SELECT DISTINCT year(ts) FROM journal")
    assert years == [(2020,)]



def test_a_stamp_of_a_day_no_month_has_is_a_line_without_a_time_not_a_failed_ingest(tmp_path: Path) -> None:
    """Feb 30 (a hostile or corrupt line) once made DuckDB's strptime fail the whole ingest (exit 70); the line stays,
    with no time, and the good one beside it keeps its own."""
    code, out, db = ingest_text(tmp_path, "Feb 30 10:00:00 host kubelet[1]: bad day\nFeb 28 10:00:00 host kubelet[1]: ok\n"
                                "I0230 10:00:00.000000       1 x.go:1] bad klog day\n", "--node", "n1", "--year", "2024")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT line_no, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), message FROM journal ORDER BY line_no")
    assert rows[:2] == [(1, None, "bad day"), (2, "2024-02-28T10:00:00", "ok")]



def test_journal_lines_of_a_localized_month_get_their_time_host_and_unit(tmp_path: Path) -> None:
    """canonical/microk8s#651 (nb_NO locale: `okt. 29`) and moby/moby#34091 (zh_CN: `4月 12`), from a second blind run
    (2026-12-07): the lines were read by the paste but stored with no time, host, unit nor pid."""
    for i, (text, want) in enumerate((
        ("```\nokt. 29 15:05:55 linux microk8s.daemon-containerd[147026]: time=\"2020-10-29T15:05:55+01:00\" level=debug msg=\"serving api\"\n```\n",
         ("2020-10-29T14:05:55", "linux", "microk8s.daemon-containerd", 147026)),  # (its own time says +01:00)
        ("```\n4月 12 16:00:43 localhost.localdomain systemd[1]: Unit containerd.service entered failed state.\n```\n",
         ("2021-04-12T16:00:43", "localhost.localdomain", "systemd", 1)))):  # fmt: skip
        d = tmp_path / str(i)
        d.mkdir()
        code, out, db = ingest_text(d, text, "--node", "n1", "--year", "2021")
        assert code == 0, out
        (rows,) = db_rows(db, "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), host, ident, pid FROM journal")
        assert rows == [want]



def test_lines_of_no_year_are_never_dated_after_the_ingest(tmp_path: Path) -> None:
    """kubernetes#72180 (second blind run): `Dec 21 15:07:30 ...` read on Dec 7 in the current year was dated two weeks
    ahead; lines whose month and day are still to come this year are of last year."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    ahead = now + timedelta(days=3)
    text = f"$ journalctl -u kubelet\n{ahead:%b %d} 15:07:30 node-01 kubelet[26278]: started\n"
    code, out, db = ingest_text(tmp_path, text, "--node", "node-01")
    assert code == 0, out
    (years,) = db_rows(db, "SELECT DISTINCT year(ts) FROM journal")
    assert years == [(now.year - 1 if ahead.year == now.year else ahead.year,)]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from analyzer.ingest import _journal_head_year  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(['time="2020-12-20T06:34:29Z" ', '"ts":"1999-01-02T03:04:05Z"', "-- Logs begin at Mon 2022-05-30 ", "Dec 20 06:34:29 h x[1]: ",
                                 "Active: since Sun 2020-04-05 05:33:40 EDT", "\n", "\x00", "é", "time=\"", "9999-", "x" * 50]), max_size=40))
def test_the_head_year_of_any_text_is_a_year_its_text_gives_or_none(parts: list[str]) -> None:
    text = "".join(parts)
    y = _journal_head_year(text.encode())
    assert y is None or (str(y) in text and 1000 <= y <= 9999) or (y - 1) in (2022,)  # a first line of an earlier month: the next year


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["okt. 29 15:05:55 h x[1]: a", "4月 12 16:00:43 h s[1]: b", "Oct 29 15:05:55 h x[1]: c", "mars 3 10:00:00 h",
                                 "jan 1 00:00:00", "hello 12 10:00:00", "é", "", "mai  9 01:02:03 x", "99月 1 10:00:00 x"]), max_size=12))
def test_english_months_changes_only_a_localized_months_stamp(lines: list[str]) -> None:
    from analyzer.ingest import english_months

    got = english_months("\n".join(lines)).split("\n")
    assert len(got) == len(lines or [""])
    for a, b in zip(lines, got, strict=False):
        assert a == b or (b[:3] in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec") and a.split(" ", 1)[1].lstrip() == b.split(" ", 1)[1].lstrip())


def test_hostless_lines_and_journalctls_own_lines(tmp_path: Path) -> None:
    """A third blind run (2026-12-07): coreos/bugs#1909 (BugRoger, 2017-05-03) pasted journal lines without the host field,
    stored with no time, unit nor pid; k3s-io/k3s#146 (spitfire88, 2019-03-04) pasted `-- Logs begin at ... --` and
    `-- No entries --`, stored as two entries."""
    code, out, db = ingest_text(tmp_path, """Just logged another crash:

```
May 03 16:11:34 containerd[19317]: fatal error: exitsyscall: syscall frame is no longer valid
May 03 16:11:34 containerd[19317]: runtime stack:
May 03 16:11:34 node-1 kubelet: plain ident
```
$ journalctl -u k3s
-- Logs begin at Sat 2019-03-02 07:14:45 UTC, end at Mon 2019-03-04 19:18:55 UTC. --
-- No entries --
""", "--node", "n1", "--year", "2017")
    assert code == 0, out
    (rows,) = db_rows(db, "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), host, ident, pid, message FROM journal ORDER BY line_no")
    assert rows == [("2017-05-03T16:11:34", None, "containerd", 19317, "fatal error: exitsyscall: syscall frame is no longer valid"),
                    ("2017-05-03T16:11:34", None, "containerd", 19317, "runtime stack:"),
                    ("2017-05-03T16:11:34", "node-1", "kubelet", None, "plain ident")]  # fmt: skip


def test_timeline_keeps_the_lines_of_one_second_in_their_order(tmp_path: Path) -> None:
    """rancher/rancher#28083 (kle-dev, 2020-07-25): seven journal lines of one second printed in another order on each
    run. A syslog stamp has no fraction: within a second, the lines come in the order of their file."""
    from click.testing import CliRunner

    from analyzer.cli import main

    lines = [f"Jul 25 17:53:30 node-1 k3s[1]: step {c}" for c in "gfedcba"]
    code, out, db = ingest_text(tmp_path, "$ journalctl -u k3s\n" + "\n".join(lines) + "\n", "--node", "n1", "--year", "2020")
    assert code == 0, out
    for _ in range(3):
        res = CliRunner().invoke(main, ["timeline", "--db", str(db)])
        assert [ln.rsplit(" ", 1)[-1] for ln in res.stdout.splitlines() if "step" in ln] == list("gfedcba")
