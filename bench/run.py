"""`make bench`: measure Kubesnap against baselines run in the same invocation, and write
docs/performance.md. Machines are noisy: every figure is paired with its baseline and a ratio.

    python -m bench.run [--log-mb 1024] [--nodes 4] [--pods 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from fixtures.synth import generate_site

PROJECT = Path(__file__).resolve().parents[1]
KUBESNAP = str(Path(sys.executable).with_name("kubesnap"))


@dataclass
class Figure:
    what: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_what: str = ""
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    def add(self, f: Figure) -> Figure:
        self.figures.append(f)
        r = f" (baseline {f.baseline:.2f} {f.unit}, ratio {f.ratio:.2f})" if f.ratio else ""
        print(f"  {f.what}: {f.value:.2f} {f.unit}{r}", flush=True)
        return f


def timed(cmd: list[str], **kw: object) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process (GNU time's %M where present)."""
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    rss_file = tempfile.NamedTemporaryFile(suffix=".rss", delete=False)  # noqa: SIM115 - read and removed below
    rss_file.close()
    full = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd] if gnu_time else cmd
    t = time.monotonic()
    subprocess.run(full, check=True, **kw)  # type: ignore[call-overload]
    wall = time.monotonic() - t
    text = Path(rss_file.name).read_text().strip()
    Path(rss_file.name).unlink()
    rss = int(text.splitlines()[-1]) if text else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, rss


def baseline_extract_and_read_csv(tarballs: list[Path], work: Path) -> tuple[float, float, int]:
    """tar -xzf of every bundle, then DuckDB read_csv of the extracted pod logs into a table."""
    ex = work / "extracted"
    ex.mkdir()
    t = time.monotonic()
    for tb in tarballs:
        subprocess.run(["tar", "-xzf", str(tb), "-C", str(ex)], check=True)
    t_tar = time.monotonic() - t
    files = [str(p) for p in ex.rglob("*.log*") if "/var/log/pods/" in str(p)]
    con = duckdb.connect(str(work / "baseline.duckdb"))
    t = time.monotonic()
    con.execute(
        f"""CREATE TABLE lines AS
            WITH r AS (SELECT line, instr(line, ' ') AS p FROM read_csv({files!r}, columns={{'line': 'VARCHAR'}}, delim='\\x01',
                       quote='', escape='', header=false, new_line='\\n', ignore_errors=true, strict_mode=false))
            SELECT try_cast(substr(line, 1, p - 1) AS TIMESTAMPTZ) AS ts, substr(line, p + 1, 6) AS stream,
                   substr(line, p + 8, 1) AS tag, substr(line, p + 10) AS message FROM r"""
    )
    con.execute("CHECKPOINT")
    t_csv = time.monotonic() - t
    n = con.execute("SELECT count(*) FROM lines").fetchall()[0][0]
    con.close()
    return t_tar, t_csv, n


def bench_ingest(res: Results, work: Path, log_mb: int, nodes: int, pods: int) -> Path:
    print(f"generating a site: {nodes} nodes, {pods} pods each, {log_mb} MB of pod logs", flush=True)
    t = time.monotonic()
    tarballs = generate_site(work / "site", nodes=nodes, pods_per_node=pods, log_bytes=log_mb * 1024**2, seed=7)
    res.facts["site generation"] = f"{time.monotonic() - t:.1f} s"
    log_bytes = log_mb * 1024**2
    comp = sum(p.stat().st_size for p in tarballs)
    res.facts["site"] = f"{nodes} nodes, {pods} pods per node, {log_mb} MiB of pod logs, {comp / 1024**2:.0f} MiB compressed"
    print("baseline: tar -xzf + DuckDB read_csv", flush=True)
    t_tar, t_csv, base_lines = baseline_extract_and_read_csv(tarballs, work)
    base = t_tar + t_csv
    print("kubesnap ingest", flush=True)
    db = work / "kubesnap.duckdb"
    wall, rss = timed([KUBESNAP, "ingest", "--db", str(db), "-q", *map(str, tarballs)])
    con = duckdb.connect(str(db), read_only=True)
    lines = con.execute("SELECT sum(line_end - line_no + 1) FROM log_lines").fetchall()[0][0]
    con.close()
    res.add(Figure("baseline: tar -xzf", t_tar, "s"))
    res.add(Figure("baseline: DuckDB read_csv of the extracted logs", t_csv, "s"))
    res.add(Figure("ingest wall time", wall, "s", base, "tar -xzf + read_csv", "within 2x (issue 3), 1.5x (issue 8)"))
    res.add(Figure("ingest throughput", log_bytes / 1024**2 / wall, "MB/s", log_bytes / 1024**2 / base, "tar -xzf + read_csv"))
    res.add(Figure("ingest lines per second", lines / wall, "lines/s", base_lines / base, "tar -xzf + read_csv"))
    res.add(Figure("ingest peak RSS", rss / 1024, "MiB", target="under 1536 MiB"))
    res.add(Figure("database size", db.stat().st_size / 1024**2, "MiB", (work / "baseline.duckdb").stat().st_size / 1024**2, "read_csv table"))
    res.facts["log lines"] = f"{lines:,} (baseline read {base_lines:,} rows: read_csv splits at bare CR)"
    return db


def bench_report(res: Results, work: Path, nodes: int, pods: int, log_mb: int) -> None:
    """Render the report of a big site; time a headless Chromium loading it."""
    print(f"report: generating a site of {nodes} nodes x {pods} pods", flush=True)
    tarballs = generate_site(work / "big", nodes=nodes, pods_per_node=pods, log_bytes=log_mb * 1024**2, seed=11)
    db = work / "big.duckdb"
    subprocess.run([KUBESNAP, "ingest", "--db", str(db), "-q", *map(str, tarballs)], check=True)
    out = work / "big.html"
    wall, rss = timed([KUBESNAP, "report", "--db", str(db), "-o", str(out)], stdout=subprocess.DEVNULL)
    res.facts["report site"] = f"{nodes} nodes, {nodes * pods} pods"
    res.add(Figure("report render time", wall, "s", target="under 20 s"))
    res.add(Figure("report size", out.stat().st_size / 1024**2, "MiB", target="under 20 MiB"))
    res.add(Figure("report render peak RSS", rss / 1024, "MiB"))
    chromium = shutil.which("chromium")
    if chromium is None:
        res.facts["browser"] = "no chromium on this machine: load time not measured"
        return
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    blank = work / "blank.html"
    blank.write_text("<!DOCTYPE html><title>x</title>")

    def load(page: Path) -> float:
        with tempfile.TemporaryDirectory() as prof:
            t = time.monotonic()
            subprocess.run([chromium, *flags, f"--user-data-dir={prof}", "--dump-dom", page.as_uri()], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)  # fmt: skip
            return time.monotonic() - t

    res.add(Figure("headless Chromium loads the report", load(out), "s", load(blank), "an empty page", "seconds"))


def write_doc(res: Results, path: Path) -> None:
    lines = [
        "# Performance",
        "",
        "Regenerated by `make bench` (bench/run.py); every figure sits beside a baseline measured in the same run,",
        "so the ratio holds on a noisy machine. Lower is better for seconds and MiB, higher for rates.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, DuckDB {duckdb.__version__}.",
        "",
    ]
    for k, v in res.facts.items():
        lines.append(f"- {k}: {v}")
    lines += ["", "| what | value | baseline | ratio | target |", "|---|---:|---:|---:|---|"]
    for f in res.figures:
        base = f"{f.baseline:,.2f} {f.unit} ({f.baseline_what})" if f.baseline is not None else ""
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        lines.append(f"| {f.what} | {f.value:,.2f} {f.unit} | {base} | {ratio} | {f.target} |")
    lines.append("")
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log-mb", type=int, default=1024)
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--pods", type=int, default=20)
    ap.add_argument("--report-nodes", type=int, default=100)
    ap.add_argument("--report-pods", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="keep the work folder here")
    ap.add_argument("--doc", type=Path, default=PROJECT / "docs" / "performance.md")
    a = ap.parse_args(argv)
    work = a.keep or Path(tempfile.mkdtemp(prefix="kubesnap-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    res = Results()
    try:
        bench_ingest(res, work, a.log_mb, a.nodes, a.pods)
        bench_report(res, work, a.report_nodes, a.report_pods, 200)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    write_doc(res, a.doc)
    print(f"wrote {a.doc}")
    print(json.dumps({f.what: round(f.value, 3) for f in res.figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
