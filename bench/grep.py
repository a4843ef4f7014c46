"""`make bench`: kubesnap grep and the log signature rules, against ripgrep and the plain scan, in one run.

    python -m bench.grep [--nodes 100] [--pods 50] [--log-mb 5120] [--keep DIR]

One synthetic site (fixtures/synth, as bench/run.py's) is generated, extracted with `tar -xzf` for ripgrep,
and ingested twice: without the search index (its hook replaced by a no-op) and with it. Then the same
questions are asked of kubesnap grep (the whole process, and the query alone), of a plain scan of every
line by RE2 in DuckDB, and of ripgrep over the extracted files; the hits of kubesnap and ripgrep are
compared line by line. tantivy (the Python binding) indexes a sample of the same lines for the choice of
index; the log signature rules run with the index and without it. Writes the `grep` section of
docs/performance.md (bench/doc.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.doc import write_section
from bench.run import KUBESNAP, MiB, timed
from fixtures.synth import generate_site

PROJECT = Path(__file__).resolve().parents[1]
NO_INDEX = ("import sys; from analyzer import grepindex; grepindex.index_snapshot_logs = lambda *a, **k: 0; "
            "from analyzer.cli import main; sys.argv[0] = 'kubesnap'; main()")  # fmt: skip


def rg_paths(ex: Path) -> list[str]:
    """What kubesnap reads as log and journal lines, in every extracted bundle."""
    out = []
    for b in sorted(ex.iterdir()):
        for sub in ("files/var/log/pods", "services", "files/var/log/syslog", "files/var/log/messages", "host/dmesg.txt", "cluster/logs"):
            if (b / sub).exists():
                out.append(str((b / sub).relative_to(ex)))
    return out


def run_rg(ex: Path, pattern: str, flags: list[str], count: bool = False) -> tuple[float, bytes]:
    rg = shutil.which("rg")
    assert rg, "ripgrep is needed (make tools)"
    cmd = [rg, "-n", "--no-heading", "-uuu", "-a", "--no-config", *(["-c"] if count else []), *flags, "-e", pattern, *rg_paths(ex)]
    t = time.monotonic()
    p = subprocess.run(cmd, cwd=ex, capture_output=True, check=False)
    took = time.monotonic() - t
    if p.returncode not in (0, 1):
        raise RuntimeError(p.stderr.decode(errors="replace"))
    return took, p.stdout


def rg_set(out: bytes, members: set[tuple[str, str]]) -> set[tuple[str, str, int]]:
    hits = set()
    for raw in out.split(b"\n"):
        if raw:
            path, no, _ = raw.split(b":", 2)
            bundle, member = path.decode().split("/", 1)
            node = bundle.removeprefix("kubesnap-").rsplit("-", 1)[0]
            if (node, member) in members:
                hits.add((node, member, int(no)))
    return hits


def compare(ours: list[tuple[Any, ...]], theirs: set[tuple[str, str, int]]) -> tuple[bool, str]:
    """Identical: each line ours cites is one ripgrep reports; a joined partial record (line..line_end) is one hit
    wherever ripgrep finds the text among its physical lines."""
    mine = {(n, m, a) for n, m, a, z in ours if a == z}
    joined = [(n, m, a, z) for n, m, a, z in ours if a != z]
    covered = {(n, m, x) for n, m, a, z in joined for x in range(a, z + 1)}
    extra, missing = mine - theirs, theirs - mine - covered
    lonely = [j for j in joined if not any((j[0], j[1], x) in theirs for x in range(j[2], j[3] + 1))]
    ok = not extra and not missing and not lonely
    return ok, f"{len(ours):,} hits ({len(joined)} joined partial records), ripgrep {len(theirs):,}" + (
        "" if ok else f"; only kubesnap: {len(extra) + len(lonely)}, only ripgrep: {len(missing)}")


def in_process(db: Path, pattern: str, flags: dict[str, Any], scan: bool = False) -> tuple[float, list[tuple[Any, ...]], int | None]:
    """The query alone (database open, grep, every hit or count fetched); scan: every line through RE2, no index."""
    from analyzer import grepindex
    from analyzer.verbs import grep as g
    from analyzer.verbs import open_site

    real = grepindex.candidates
    if scan:
        grepindex.candidates = lambda *a, **k: None
    try:
        stats: dict[str, Any] = {}
        took = float("inf")
        for _ in range(2):  # the best of two: the first also reads the database's catalog and pages from disk
            t = time.monotonic()
            with open_site(db) as sv:
                lines = list(g.grep(sv, pattern, output="json", stats=stats, **flags))
            took = min(took, time.monotonic() - t)
    finally:
        grepindex.candidates = real
    import json

    rows = [json.loads(x) for x in lines]
    return took, [(r["node"], r["file"], r["line"], r["line_end"]) for r in rows if "line" in r], stats.get("candidates")


def bench_tantivy(db: Path, sample_lines: int, word: str) -> dict[str, float]:
    """tantivy (Python binding) over a sample of the same lines: build rate, a term and a phrase query."""
    import tantivy

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(f"SELECT file_id, line_no, message FROM log_lines LIMIT {int(sample_lines)}").fetchall()
    con.close()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("message", stored=False)
    sb.add_integer_field("file_id", stored=True, fast=True)
    sb.add_integer_field("line_no", stored=True, fast=True)
    schema = sb.build()
    d = Path(tempfile.mkdtemp(prefix="kubesnap-tantivy-"))
    try:
        index = tantivy.Index(schema, path=str(d))
        t = time.monotonic()
        w = index.writer(heap_size=256 * MiB, num_threads=2)
        for fid, ln, msg in rows:  # the binding takes one document per call: no bulk path
            w.add_document(tantivy.Document(file_id=fid, line_no=ln, message=msg))
        w.commit()
        w.wait_merging_threads()
        build = time.monotonic() - t
        index.reload()
        s = index.searcher()
        t = time.monotonic()
        n = len(s.search(index.parse_query(word, ["message"]), 1000).hits)
        term = time.monotonic() - t
        size = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return {"lines": len(rows), "build_s": build, "term_s": term, "hits": n, "size_mib": size / MiB}


def bench_rules(db: Path) -> tuple[float, float, bool]:
    """Every rule, with the index narrowing the signature pass and without (every line through the combined RE2)."""
    from analyzer import grepindex
    from analyzer.rules import run_rules
    from analyzer.store import Store

    def once() -> tuple[float, list[tuple[str, str]]]:
        with Store(db, read_only=True) as st:
            t = time.monotonic()
            found = run_rules(st.con, st.pick_site(None))
            return time.monotonic() - t, sorted((f.rule, f.message) for _r, f in found)

    real = grepindex.candidates
    grepindex.candidates = lambda *a, **k: None
    try:
        before, f1 = once()
    finally:
        grepindex.candidates = real
    after, f2 = once()
    return before, after, f1 == f2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--pods", type=int, default=50, help="pods per node")
    ap.add_argument("--log-mb", type=int, default=5120, help="pod logs of the whole site, MiB")
    ap.add_argument("--tantivy-lines", type=int, default=1_000_000, help="lines of the sample tantivy indexes")
    ap.add_argument("--keep", type=Path, help="keep the work folder here")
    ap.add_argument("--doc", type=Path, default=PROJECT / "docs" / "performance.md")
    a = ap.parse_args(argv)
    work = a.keep or Path(tempfile.mkdtemp(prefix="kubesnap-bench-grep-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    rows: list[str] = []
    notes: list[str] = []
    try:
        print(f"generating a site: {a.nodes} nodes, {a.pods} pods each, {a.log_mb} MiB of pod logs", flush=True)
        tarballs = generate_site(work / "site", nodes=a.nodes, pods_per_node=a.pods, log_bytes=a.log_mb * MiB, seed=7)
        ex = work / "x"
        ex.mkdir()
        t = time.monotonic()
        for tb in tarballs:
            subprocess.run(["tar", "-xzf", str(tb), "-C", str(ex)], check=True)
        t_tar = time.monotonic() - t
        print("ingest without the index", flush=True)
        plain = timed([sys.executable, "-c", NO_INDEX, "ingest", "--db", str(work / "plain.duckdb"), "-q", *map(str, tarballs)])
        print("ingest with the index", flush=True)
        db = work / "k.duckdb"
        full = timed([KUBESNAP, "ingest", "--db", str(db), "-q", *map(str, tarballs)])
        size_plain = (work / "plain.duckdb").stat().st_size / MiB
        (work / "plain.duckdb").unlink()
        con = duckdb.connect(str(db), read_only=True)
        n_lines = con.execute("SELECT (SELECT count(*) FROM log_lines) + (SELECT count(*) FROM journal)").fetchall()[0][0]
        blocks = con.execute("SELECT count(*) FROM grep_blocks").fetchall()[0][0]
        word = con.execute("""SELECT regexp_extract(message, 'requestID="([0-9a-f]{8})"', 1) FROM log_lines
                              WHERE contains(message, 'requestID="') LIMIT 1""").fetchall()[0][0]  # fmt: skip
        members = {(n, m) for n, m in con.execute("SELECT node, member FROM log_files WHERE file_id IS NOT NULL UNION SELECT node, member FROM journal").fetchall()}
        con.close()
        rows.append(f"| ingest, search index included | {full.wall:,.1f} s | {plain.wall:,.1f} s (the same ingest without the index) | {full.wall / plain.wall:.2f} | |")
        rows.append(f"| ingest CPU time, index included | {full.cpu:,.1f} s | {plain.cpu:,.1f} s (without the index) | {full.cpu / plain.cpu:.2f} | |")
        rows.append(f"| database size, index included | {db.stat().st_size / MiB:,.0f} MiB | {size_plain:,.0f} MiB (without) | {db.stat().st_size / MiB / size_plain:.2f} | |")
        questions = [
            ("a rare word", word, [], {}, "word", 0.2),
            ("a phrase, per node and pod (--count)", "connection reset by peer", [], {"count": True}, "word", None),
            ("a regex with a literal part", f'requestID="{word[:5]}[0-9a-f]{{3}}"', [], {}, "regex", 1.0),
            ("a regex the index cannot narrow", r'latency="9\d\d\.\dms"', [], {}, "regex", 1.0),
            ("a word, case-insensitive", word.upper(), ["-i"], {"ignore_case": True}, "word", 0.2),
            ("a word of every kubelet journal line (hundreds of journal blocks)", "kubelet", [], {}, "word", None),
        ]
        for what, pat, rgflags, kw, _kind, target in questions:
            print(f"grep: {what}: {pat}", flush=True)
            count = bool(kw.get("count"))
            cli = [KUBESNAP, "grep", "--db", str(db), *(["--count"] if count else []), *rgflags, "--", pat]
            t = time.monotonic()
            subprocess.run(cli, stdout=subprocess.DEVNULL, check=False)
            t_cli = time.monotonic() - t
            q_kw = {k: v for k, v in kw.items() if k != "count"}
            t_q, ours, cand = in_process(db, pat, q_kw)  # every hit, to compare with ripgrep's
            t_scan, _s, _c = in_process(db, pat, kw, scan=True)
            if count:  # the question asked: counts per node and pod, as `kubesnap grep --count` answers it
                t_q, _n, _c = in_process(db, pat, kw)
            t_rg, out = run_rg(ex, pat, rgflags)
            if count:
                t_rg, _ = run_rg(ex, pat, rgflags, count=True)
            ok, detail = compare(ours, rg_set(out, members))
            met = "" if target is None else f"under {target} s ({'met' if t_q <= target else '**missed**'})"
            rows.append(f"| grep {what}: `{pat}` (query) | {t_q:.3f} s | {t_rg:.3f} s (ripgrep{' -c' if count else ''} over the extracted files) | {t_q / t_rg:.2f} | {met} |")
            rows.append(f"| the same, whole `kubesnap grep` process | {t_cli:.3f} s | {t_rg:.3f} s (ripgrep) | {t_cli / t_rg:.2f} | |")
            rows.append(f"| the same, plain scan (RE2 in DuckDB on every line) | {t_scan:.3f} s | {t_q:.3f} s (with the index) | {t_scan / t_q:.2f} | |")
            notes.append(f"- `{pat}`{' -i' if rgflags else ''}: {cand if cand is not None else 'every'} candidate block(s) of {blocks:,}; "
                         f"hits {'identical to' if ok else '**differ from**'} ripgrep's: {detail}.")  # fmt: skip
        print("rules", flush=True)
        before, after, same = bench_rules(db)
        rows.append(f"| every rule (signatures in one pass over the index's candidates) | {after:.2f} s | {before:.2f} s (one pass over every line) | {after / before:.2f} | same findings: {'yes' if same else '**no**'} |")
        print("tantivy", flush=True)
        tv = bench_tantivy(db, a.tantivy_lines, word)
        per_line_ours = max(full.wall - plain.wall, 0.0) / n_lines
        notes.append(
            f"- tantivy {_tantivy_version()}: {tv['lines']:,} lines indexed in {tv['build_s']:.1f} s ({tv['lines'] / tv['build_s']:,.0f} lines/s, "
            f"{tv['size_mib']:.0f} MiB), a term query {tv['term_s'] * 1000:.1f} ms ({tv['hits']} hits). At that rate the site's "
            f"{n_lines:,} lines would take {n_lines / tv['lines'] * tv['build_s']:,.0f} s to index, against {full.wall - plain.wall:,.1f} s "
            f"({per_line_ours * 1e6:.2f} µs a line) for the trigram blocks within the ingest.")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - start
    lines = [
        "## Search: kubesnap grep and the log signature rules (issue 20)",
        "",
        f"`python -m bench.grep --nodes {a.nodes} --pods {a.pods} --log-mb {a.log_mb}` (part of `make bench`). Machine: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, shared; load average {os.getloadavg()[0]:.1f} at the end; the run took {took / 60:.1f} minutes.",
        f"The site: {a.nodes} nodes, {a.nodes * a.pods:,} pods, {a.log_mb:,} MiB of pod logs, {n_lines:,} log and journal lines in "
        f"{blocks:,} index blocks; `tar -xzf` of its bundles for ripgrep took {t_tar:.1f} s.",
        "",
        "| what | value | baseline | ratio | target |",
        "|---|---:|---:|---:|---|",
        *rows,
        "",
        *notes,
        "",
        "Query times are the grep alone in a warm process, the best of two (database opened, every hit fetched); the process times add",
        "Python's start and imports. ripgrep reads the extracted files from the page cache. How the index works and why",
        "it was chosen: docs/grep.md.",
    ]
    write_section(a.doc, "grep", lines)
    print("\n".join(lines))
    return 0


def _tantivy_version() -> str:
    try:
        from importlib.metadata import version

        return version("tantivy")
    except Exception:  # pragma: no cover - the figure is still right without its version
        return ""


if __name__ == "__main__":
    sys.exit(main())
