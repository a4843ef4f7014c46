"""kubesnap grep: the index built at ingest, each option, hits identical to ripgrep's over the extracted
bundles, the pattern -> trigram extraction (hypothesis, untrusted patterns and text), output sanitized."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import re2
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from analyzer import grepindex
from analyzer.cli import main
from tests.conftest import examples

RG = shutil.which("rg")


def run(*args: str, code: int = 0) -> str:
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == code, res.output
    return res.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small synthetic site (CRI logs with partial records, invalid UTF-8 and bare CRs; journals), ingested,
    plus a loose log file holding terminal escapes; and the bundles extracted for ripgrep."""
    from fixtures.synth import generate_site

    d = tmp_path_factory.mktemp("grep")
    tarballs = generate_site(d / "site", nodes=2, pods_per_node=4, log_bytes=4 * 1024**2, seed=3)
    loose = d / "hostile.log"
    loose.write_bytes(b"".join(b"plain line %d of a loose capture\n" % i for i in range(1, 41)) + b"ESCAPE \x1b]52;c;ZWNobyBvd25lZA==\x07 clipboard and \x1b[2J clear \xe2\x80\xae reversed\nlast kubesnap-needle-7 line\n")
    db = d / "k.duckdb"
    run("ingest", "--db", str(db), "-q", *map(str, tarballs), code=0)
    run("ingest", "--db", str(db), "-q", "--node", "node-001", str(loose), code=0)
    ex = d / "x"
    ex.mkdir()
    for t in tarballs:
        with tarfile.open(t) as tf:
            tf.extractall(ex, filter="data")
    return db, ex


def hits(db: Path, *args: str) -> list[dict[str, object]]:
    out = CliRunner().invoke(main, ["grep", "--db", str(db), "-o", "json", *args])
    assert out.exit_code in (0, 1), out.output
    return [json.loads(x) for x in out.stdout.splitlines()]


def rg_hits(ex: Path, members: set[str], pattern: str, *flags: str) -> set[tuple[str, str, int]]:
    assert RG is not None
    p = subprocess.run([RG, "-n", "--no-heading", "-uuu", "-a", "--no-config", *flags, "-e", pattern, "."], cwd=ex, capture_output=True)
    assert p.returncode in (0, 1), p.stderr
    out = set()
    for raw in p.stdout.split(b"\n"):
        if not raw:
            continue
        path, no, _ = raw.split(b":", 2)
        bundle, member = path.decode().removeprefix("./").split("/", 1)
        if member in members:
            out.add((bundle.removeprefix("kubesnap-").rsplit("-", 1)[0], member, int(no)))  # kubesnap-<node>-<time>
    return out


def indexed_members(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT member FROM log_files WHERE file_id IS NOT NULL UNION SELECT member FROM journal").fetchall()}
    finally:
        con.close()


def same_as_rg(ours: list[dict[str, object]], theirs: set[tuple[str, str, int]]) -> None:
    """Identical hits: a line ours cites is a line ripgrep reports; a joined partial record (lines line..line_end) is one
    hit wherever ripgrep finds the text among its physical lines."""
    mine = {(str(h["node"]), str(h["file"]), int(h["line"])) for h in ours if h["line"] == h["line_end"]}  # type: ignore[call-overload]
    joined = [(str(h["node"]), str(h["file"]), int(h["line"]), int(h["line_end"])) for h in ours if h["line"] != h["line_end"]]  # type: ignore[call-overload]
    covered = {(nd, m, n) for nd, m, a, z in joined for n in range(a, z + 1)}
    assert mine - theirs == set()
    assert theirs - mine - covered == set()
    for nd, m, a, z in joined:
        assert any((nd, m, n) in theirs for n in range(a, z + 1)), (nd, m, a, z)


PATTERNS = [
    ("connection reset by peer", ()),
    ("reflector", ()),
    ("context deadline exceeded", ("-i",)),
    ("HANDLED REQUEST", ("-i",)),
    (r'latency="[5-9]\d\d\.\dms"', ()),
    (r"(order|customer) 5[0-9a-f]{3}", ()),
    ("items/5", ("-F",)),
    ("(?i)reSET", ()),
    ("status=200 latency", ()),
]


@pytest.mark.slow
@pytest.mark.skipif(RG is None, reason="ripgrep (make tools) is not installed")
@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_hits_identical_to_ripgrep(site: tuple[Path, Path], pattern: str, flags: tuple[str, ...]) -> None:
    db, ex = site
    ours = [h for h in hits(db, *flags, pattern) if h["file"] != "hostile.log"]
    theirs = rg_hits(ex, indexed_members(db) - {"hostile.log"}, pattern, *flags)
    assert theirs, "the pattern should match something in the fixture"
    same_as_rg(ours, theirs)


def test_required_run_from_ci_and_fixed() -> None:
    assert grepindex.required("abcd") == [frozenset({b"abcd"})]
    assert grepindex.required("ABCDE", ignore_case=True) == [frozenset({b"abcd", b"bcde"})]
    assert grepindex.required("abc") is None  # too short for a 4-gram
    assert grepindex.required("ab.cd") is None
    assert grepindex.required("food|bar") is None  # one branch requires nothing
    assert grepindex.required("abcd(x|y)") == [frozenset({b"abcd"})]
    assert grepindex.required("(abcd|wxyz)") == [frozenset({b"abcd"}), frozenset({b"wxyz"})]
    assert grepindex.required("(?i)kubelet") == [frozenset({b"ubel", b"bele", b"elet"})]  # k folds to the Kelvin sign: no 4-gram with k is sure
    assert grepindex.required("sksks", ignore_case=True) is None
    assert grepindex.required("x.yz", fixed=True) == [frozenset({b"x.yz"})]
    assert grepindex.required("abcd[") is None  # not understood: requires nothing


def test_hash_of_a_text_is_the_hash_of_its_grams() -> None:
    text = "Hello, Wörld! x509: k8s ÅK".encode()
    hs = grepindex.text_hashes(np.frombuffer(text, np.uint8))
    low = bytes(grepindex._LOWER[np.frombuffer(text, np.uint8)])
    assert [int(h) for h in hs] == [grepindex.gram_hash(low[i : i + 4]) for i in range(len(low) - 3)]
    every = bytes(range(256)) + bytes(range(255, -1, -3))  # each byte value, lowered by arithmetic as by the table
    low = bytes(grepindex._LOWER[np.frombuffer(every, np.uint8)])
    assert [int(h) for h in grepindex.text_hashes(np.frombuffer(every, np.uint8))] == [grepindex.gram_hash(low[i : i + 4]) for i in range(len(low) - 3)]


# a grammar of RE2 patterns, so that most examples compile; plus any text at all
ATOMS = st.sampled_from(["a", "b", "k", "K", "s", "S", "x", "é", "É", "\u212a", "\u017f", ".", "\\d", "\\w", "\\.", "[a-c]", "[^x]", "\\s", " ", ":", "ab", "abcd"])


def _patterns() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}|{t[1]}"),
            inner.map(lambda s: f"({s})"),
            inner.map(lambda s: f"(?:{s})"),
            inner.map(lambda s: f"(?i:{s})"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{0,3}", "{1,}", "*?"])).map(lambda t: f"({t[0]}){t[1]}"),
        )

    return st.recursive(ATOMS, extend, max_leaves=8)


TEXT = st.lists(st.sampled_from([*"abcdeksxKSXÉé\u212a\u017f .:0123456789\r\t", "abcd", "kube", "KUBE", "x509: "]), max_size=30).map("".join)


def _consistent(pattern: str, ignore_case: bool, text: str) -> None:
    opts = re2.Options()
    opts.case_sensitive = not ignore_case
    try:
        rx = re2.compile(pattern, opts)
    except re2.error:
        assume(False)
        return
    dnf = grepindex.required(pattern, ignore_case)
    if rx.search(text) is None or dnf is None:
        return
    have = grepindex.text_grams(text.encode())
    assert any(c <= have for c in dnf), (pattern, text, dnf)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_patterns(), st.booleans(), TEXT)
@example("KUBE", True, "\u212aube")  # Kelvin sign folds to k
@example("(?i)ss", False, "\u017fs")
@example("abc", False, "xABCx")
def test_required_trigrams_are_in_every_matching_text(pattern: str, ignore_case: bool, text: str) -> None:
    _consistent(pattern, ignore_case, text)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.text(max_size=40), st.booleans(), st.text(max_size=60))
def test_required_on_any_pattern_never_fails_and_stays_a_superset(pattern: str, ignore_case: bool, text: str) -> None:
    grepindex.required(pattern, ignore_case)  # any text: an answer, never an exception
    _consistent(pattern, ignore_case, text)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_patterns(), TEXT)
@example("ab+cd", "abbbcd")
@example("a{2}bcd", "aabcd")
@example("xyz(ab)?cde", "xyzcde")
@example("(?i)abc", "ABC")
@example("abc(?i)def", "abcDEF")
def test_required_literal_is_in_every_matching_text(pattern: str, text: str) -> None:
    """The literal run a scan looks for before RE2 (grep's prefilter) is in every text RE2 finds a match in."""
    try:
        rx = re2.compile(pattern)
    except re2.error:
        assume(False)
        return
    lit = grepindex.required_literal(pattern)
    if lit is not None and rx.search(text) is not None:
        assert lit in text, (pattern, text, lit)


def test_required_literal_of_known_patterns() -> None:
    assert grepindex.required_literal('latency="9\\d\\d\\.\\dms"') == 'latency="9'
    assert grepindex.required_literal("foo(bar)?bazqux") == "bazqux"
    assert grepindex.required_literal("^error: ") == "error: "
    for none in ("abcd|wxyz", "ab+c", "(?i)abcdef", "a.b.c", "[abc]+", ""):
        assert grepindex.required_literal(none) is None, none
    assert grepindex.required_literal("abcdef", ignore_case=True) is None


@settings(max_examples=examples(100), deadline=None)
@given(st.text(max_size=30), st.text(max_size=60), st.booleans())
def test_fixed_string_requirement(needle: str, text: str, ignore_case: bool) -> None:
    dnf = grepindex.required(needle, ignore_case, fixed=True)
    found = (needle.casefold() in text.casefold()) if ignore_case else (needle in text)
    if found and dnf is not None and not ignore_case:
        assert any(c <= grepindex.text_grams(text.encode()) for c in dnf)


# ------------------------------------------------------------------ the index itself, at small sizes


def _index_small(files: list[list[str]], monkeypatch: pytest.MonkeyPatch, reverse: bool = True, sort_runs: int = 64) -> tuple[list[tuple[int, int, bytes]], list[tuple[Any, ...]], dict[tuple[int, int], bytes]]:
    from analyzer.models import GrepBlock, GrepTrigram
    from analyzer.store import table_ddl

    con = duckdb.connect()
    con.execute(table_ddl(GrepBlock))
    con.execute(table_ddl(GrepTrigram))
    con.execute("CREATE SEQUENCE grep_part_ids START 1")
    con.execute("CREATE TABLE t (file_id BIGINT, line_no INTEGER, message VARCHAR)")
    rows = [(f, n + 1, m) for f, lines in enumerate(files, start=3) for n, m in enumerate(lines)]
    if rows:
        # stored out of order (the index must not rely on the order) or in it (block by block, its usual case)
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows[::-1] if reverse else rows)
    # tiny sizes, so that a few lines span many blocks, parts, batches, chunks and length tiers
    for name, value in (("BLOCK_BYTES", 64), ("PART_BLOCKS", 11), ("BATCH_ROWS", 5), ("BATCH_BYTES", 300), ("TIERS", (0, 20, 100)), ("CHUNK_BYTES", 37), ("SORT_RUNS", sort_runs)):
        monkeypatch.setattr(grepindex, name, value)
    n = grepindex.index_lines(con, grepindex.Source("log", "s1", "SELECT file_id AS k, line_no, message FROM t"))
    blocks = con.execute("SELECT part_id, block, k_lo, line_lo, k_hi, line_hi FROM grep_blocks ORDER BY part_id, block").fetchall()
    bits = {(p, h): b for p, h, b in con.execute("SELECT part_id, h, bits FROM grep_trigrams").fetchall()}
    assert n == len(blocks)
    return [(f, ln, m.encode()) for f, ln, m in sorted(rows)], blocks, bits


LINES = st.lists(st.lists(st.text(st.sampled_from([*"abcKUBE xyz:0é", "\u212a"]), max_size=140), max_size=12), max_size=4)


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=LINES, reverse=st.booleans(), sort_runs=st.sampled_from([0, 64]))
@example(files=[["a" * 130, "kube", "x" * 20, ""], [], ["abcd" * 40]], reverse=True, sort_runs=0)
@example(files=[["a" * 130, "kube", "x" * 20, ""], [], ["abcd" * 40]], reverse=True, sort_runs=64)
@example(files=[["a" * 130, "kube", "x" * 20, ""], [], ["abcd" * 40]], reverse=False, sort_runs=64)
def test_index_blocks_cover_every_line_in_order_and_hold_its_grams(files: list[list[str]], reverse: bool, sort_runs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # sort_runs 0: an out-of-order batch is put in block order first; 64: hashed run by run as it comes
    lines, blocks, bits = _index_small(files, monkeypatch, reverse, sort_runs)
    if not lines:
        assert blocks == []
        return
    # blocks: contiguous runs in (file, line) order, covering every line once, each of about BLOCK_BYTES
    at = 0
    for i, (part, block, k_lo, line_lo, k_hi, line_hi) in enumerate(blocks):
        assert (part, block) == (blocks[0][0] + i // 11, i % 11)  # parts of 11 blocks: bitsets of two bytes, the last one in part
        assert (int(k_lo), line_lo) == lines[at][:2]
        end = next(j for j in range(at, len(lines)) if (int(k_hi), line_hi) == lines[j][:2])
        for _f, _l, m in lines[at : end + 1]:
            for gram in grepindex.text_grams(m):  # every 4-gram of each of its lines has its bit set
                word = bits[(part, grepindex.gram_hash(gram))]
                assert word[block // 8] >> (block % 8) & 1, (gram, block)
        at = end + 1
    assert at == len(lines)
    assert len(blocks) <= (sum(len(m) + 1 for _f, _l, m in lines) - 1) // 64 + 1  # about 64 bytes each, never more blocks


def test_index_blocks_of_even_lines_hold_block_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # 100 lines of 16 bytes (newline counted) and a file of 3: blocks of 64 bytes are 4 lines each
    lines, blocks, _bits = _index_small([[f"line {i:010d}" for i in range(100)], ["abc", "def", "ghi"]], monkeypatch)
    assert len(lines) == 103
    assert [(b[3], b[5]) for b in blocks[:25]] == [(1 + 4 * i, 4 + 4 * i) for i in range(25)]
    assert [(b[2], b[3], b[4], b[5]) for b in blocks[25:]] == [("4", 1, "4", 3)]


# ------------------------------------------------------------------ the options


def test_index_is_built_at_ingest_and_narrows(site: tuple[Path, Path]) -> None:
    db, _ = site
    con = duckdb.connect(str(db), read_only=True)
    try:
        blocks = con.execute("SELECT count(*) FROM grep_blocks").fetchall()[0][0]
        snaps_without = con.execute("SELECT count(*) FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM grep_blocks b WHERE b.snapshot_id = s.snapshot_id)").fetchall()[0][0]
    finally:
        con.close()
    assert blocks > 2 and snaps_without == 0
    from analyzer.verbs import open_site
    from analyzer.verbs.grep import grep

    stats: dict[str, object] = {}
    with open_site(db) as sv:
        out = list(grep(sv, "kubesnap-needle-7", stats=stats))
    assert len(out) == 1 and "hostile.log:42:" in out[0]
    assert isinstance(stats["candidates"], int) and stats["candidates"] < blocks


def test_fixed_and_regex_and_case(site: tuple[Path, Path]) -> None:
    db, _ = site
    assert hits(db, "-F", "needle-7") and not hits(db, "needle.7x")
    assert hits(db, "-E", "needle.7") and not hits(db, "-F", "needle.7")
    assert not hits(db, "KUBESNAP-NEEDLE") and hits(db, "-i", "KUBESNAP-NEEDLE")


def test_filters(site: tuple[Path, Path]) -> None:
    db, _ = site
    every = hits(db, "reflector")
    nodes = {h["node"] for h in every}
    assert len(nodes) >= 2
    one = sorted(str(n) for n in nodes)[0]
    assert {h["node"] for h in hits(db, "--node", one, "reflector")} == {one}
    logs = [h for h in every if h["source"] == "log"]
    pod = logs[0]
    for opt, key in (("--namespace", "namespace"), ("--pod", "pod"), ("--container", "container")):
        got = hits(db, opt, str(pod[key]), "reflector")
        assert got and all(h[key] == pod[key] for h in got) and all(h["source"] == "log" for h in got)
    times = sorted(str(h["ts"]) for h in every if h["ts"])
    mid = times[len(times) // 2]
    later = hits(db, "--since", mid, "reflector")
    earlier = hits(db, "--until", mid, "reflector")
    assert later and earlier and all(str(h["ts"]) >= mid for h in later) and all(str(h["ts"]) <= mid for h in earlier)


def test_count(site: tuple[Path, Path]) -> None:
    db, _ = site
    every = hits(db, "reflector")
    counts = hits(db, "--count", "reflector")
    assert sum(int(c["count"]) for c in counts) == len(every)  # type: ignore[call-overload]
    text = run("grep", "--db", str(db), "--count", "reflector")
    assert text.splitlines()[-1].split()[:2] == ["total", str(len(every))]


def test_context(site: tuple[Path, Path]) -> None:
    db, _ = site
    out = run("grep", "--db", str(db), "-C", "1", "needle-7")
    assert out.splitlines() == [
        "node-001:hostile.log-41-ESCAPE \\x1b]52;c;ZWNobyBvd25lZA==\\x07 clipboard and \\x1b[2J clear \\u202e reversed",
        "node-001:hostile.log:42:last kubesnap-needle-7 line",
    ]
    js = hits(db, "-C", "2", "needle-7")
    assert [h["line"] for h in js] == [40, 41, 42] and [h["match"] for h in js] == [False, False, True]


@pytest.mark.parametrize(("pattern", "n", "batch"), [("plain line 1", 5, 1), ("kubelet", 2, 25), ("error", 1, 100)])
def test_context_read_in_batches_is_the_context_read_at_once(site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, pattern: str, n: int,
                                                             batch: int) -> None:  # fmt: skip
    """-C reads its hits in batches (memory bounded whatever their number): the lines, marks and `--` of one read."""
    from analyzer.verbs import grep as g
    from analyzer.verbs import open_site

    db, _ = site

    def out(hits: int, output: str) -> list[str]:
        monkeypatch.setattr(g, "CONTEXT_ROWS", hits * (2 * n + 1))
        with open_site(db) as sv:
            return list(g.grep(sv, pattern, context=n, output=output))

    for output in ("json", "text"):
        whole = out(10**9, output)
        assert whole == out(batch, output) == out(3 * batch, output), (pattern, output)
    assert sum('"match": true' in x for x in out(10**9, "json")) > 2 * batch  # batches of hits, several


def test_output_is_sanitized(site: tuple[Path, Path]) -> None:
    db, _ = site
    out = run("grep", "--db", str(db), "clipboard")
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]52;c;" in out and "\\u202e" in out
    js = hits(db, "clipboard")
    assert js[0]["message"] == "ESCAPE \x1b]52;c;ZWNobyBvd25lZA==\x07 clipboard and \x1b[2J clear \u202e reversed"
    raw = CliRunner().invoke(main, ["grep", "--db", str(db), "-o", "json", "clipboard"]).stdout
    assert "\x1b" not in raw and "\u202e" not in raw


def test_exit_codes(site: tuple[Path, Path]) -> None:
    db, _ = site
    assert run("grep", "--db", str(db), "no-such-text-anywhere-42", code=1) == ""
    res = CliRunner().invoke(main, ["grep", "--db", str(db), "a(b"])
    assert res.exit_code == 2 and "invalid pattern" in res.output
    res = CliRunner().invoke(main, ["grep", "--db", str(db), "-C", "-1", "x"])
    assert res.exit_code == 2


def test_journal_lines_are_searched(site: tuple[Path, Path]) -> None:
    db, _ = site
    js = [h for h in hits(db, "reflector") if h["source"] == "journal"]
    assert js and all(str(h["file"]).startswith(("services/", "files/var/log/")) for h in js)


def test_reingest_replaces_the_index(site: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = site
    copy = tmp_path / "c.duckdb"
    shutil.copy(db, copy)
    loose = tmp_path / "hostile.log"
    loose.write_bytes(b"a new kubesnap-needle-8 here\n" + b"".join(b"plain line %d\n" % i for i in range(2, 20)))
    run("ingest", "--db", str(copy), "-q", "--node", "node-001", str(loose))
    assert [h["line"] for h in hits(copy, "needle-8")] == [1]
    assert hits(copy, "needle-7") == []
    assert os.path.getsize(copy) > 0


def test_few_candidate_blocks_are_read_one_by_one_more_by_their_files_and_most_by_a_scan_with_the_same_hits(site: tuple[Path, Path],
                                                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to BLOCK_READS candidate blocks, a query each; more, one read of their files (579 blocks of a 29 M-line site:
    1.4 s one by one, most of it planning, 0.56 s by files); past SCAN_SHARE of the site's blocks, a scan. Same hits."""
    from analyzer.verbs import grep as g
    from analyzer.verbs import open_site

    db, _ = site

    def run_with(block_reads: int, share: float) -> tuple[list[str], g.Plan]:
        monkeypatch.setattr(g, "BLOCK_READS", block_reads)
        monkeypatch.setattr(g, "SCAN_SHARE", share)
        with open_site(db) as sv:
            p = g.plan(sv, g.Query("needle", fixed=True))
            return list(g.grep(sv, "needle", fixed=True)), p

    by_block, p_blocks = run_with(10**9, 10**9)
    by_file, p_files = run_with(0, 10**9)
    scanned, p_scan = run_with(0, 0)
    assert p_blocks.sql.count("l.file_id BETWEEN") >= 1 and not p_blocks.files
    assert p_files.files and "_gfiles" in p_files.sql and "l.file_id BETWEEN" not in p_files.sql
    assert "l.file_id BETWEEN" not in p_scan.sql and "_gfiles" not in p_scan.sql
    assert by_block == by_file == scanned and by_block

    def counted(block_reads: int) -> list[str]:
        monkeypatch.setattr(g, "BLOCK_READS", block_reads)
        with open_site(db) as sv:
            return list(g.grep(sv, "needle", fixed=True, count=True))

    assert counted(10**9) == counted(0) and counted(0)


def test_journal_blocks_past_block_reads_are_read_by_one_scan_of_the_journals_with_the_same_hits(site: tuple[Path, Path],
                                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A query per candidate block of journal lines held a scan each: a word of every kubelet journal line (214 blocks
    of a 100-node site) ran out of a GiB. Past BLOCK_READS blocks the journals are read once; the same hits, counts."""
    from analyzer.verbs import grep as g
    from analyzer.verbs import open_site

    db, _ = site

    def run_with(block_reads: int, share: float, count: bool = False) -> tuple[list[str], g.Plan]:
        monkeypatch.setattr(g, "BLOCK_READS", block_reads)
        monkeypatch.setattr(g, "SCAN_SHARE", share)
        with open_site(db) as sv:
            p = g.plan(sv, g.Query("kubelet", fixed=True))
            return list(g.grep(sv, "kubelet", fixed=True, output="json", count=count)), p

    by_block, p_blocks = run_with(10**9, 10**9)
    once, p_once = run_with(0, 10**9)
    scanned, _p = run_with(0, 0)
    assert p_blocks.sql.count("j.member BETWEEN") > 1 and "j.member BETWEEN" not in p_once.sql
    assert by_block == once == scanned and sum('"source": "journal"' in h for h in by_block) > 10
    assert run_with(10**9, 10**9, True)[0] == run_with(0, 10**9, True)[0] == run_with(0, 0, True)[0]


def test_the_index_rows_are_ordered_by_hash_after_each_ingest_and_a_blocks_pattern_runs_after_its_range(site: tuple[Path, Path]) -> None:
    """Clustered by hash, a query's few hashes read a few row groups of grep_trigrams, not all; the pattern of a block's
    query is evaluated on the rows its range kept, not pushed into the scan of whole row groups."""
    from analyzer.verbs import grep as g
    from analyzer.verbs import open_site

    db, _ = site
    con = duckdb.connect(str(db), read_only=True)
    try:
        order = con.execute("SELECT h, part_id FROM grep_trigrams ORDER BY rowid").fetchall()
    finally:
        con.close()
    assert order and order == sorted(order)  # the second ingest (a loose capture) appended rows: clustered again
    with open_site(db) as sv:
        p = g.plan(sv, g.Query("needle", fixed=True))
        assert p.candidates
        plan = sv.con.execute("EXPLAIN (FORMAT json) " + p.sql.replace("_gsnap", "(SELECT NULL AS snapshot_id)"), {"pat": "needle"}).fetchall()[0][1]

    def scans(node: dict[str, Any]) -> list[dict[str, Any]]:
        own = [node] if node.get("name") == "SEQ_SCAN" and node.get("extra_info", {}).get("Table", "").endswith("log_lines") else []
        return own + [s for c in node.get("children", []) for s in scans(c)]

    found = [s for n in json.loads(plan) for s in scans(n)]
    assert found and all("contains" not in str(s["extra_info"].get("Filters")) for s in found), found
