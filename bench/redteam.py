"""The red-team suite's cost: every hostile case run alone, its wall time and peak RSS.

    python -m bench.redteam [-k EXPR] [--doc docs/performance.md]

Each case (a test id of tests/test_redteam_*.py and tests/test_hostile.py) runs in its own
pytest process, so its peak RSS is its own (os.wait4 reports the child and the kubesnap
processes it waited for). The baseline, run in the same invocation, is a pytest process that
imports the analyzer and runs one trivial case: what a case costs before it reads anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.doc import write_section

PROJECT = Path(__file__).resolve().parents[1]
SUITES = ["tests/test_redteam_*.py", "tests/test_hostile.py"]
BASELINE = '''
import analyzer.cli, analyzer.ingest, reports.render  # noqa: F401


def test_baseline() -> None:
    assert analyzer.cli.main.name == "main"
'''


@dataclass
class Case:
    test_id: str
    outcome: str
    wall: float
    rss_mib: float


def _files() -> list[str]:
    out: list[str] = []
    for pattern in SUITES:
        out += sorted(str(p.relative_to(PROJECT)) for p in PROJECT.glob(pattern))
    return out


def collect(keyword: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *_files()]
    if keyword:
        cmd += ["-k", keyword]
    out = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if "::" in line and not line.startswith(" ")]


def run_one(args: list[str]) -> Case:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *args]
    t = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    tail = proc.stdout.read().decode(errors="replace").strip().splitlines()[-1:]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t
    outcome = "passed" if proc.returncode == 0 else f"FAILED ({tail[0] if tail else proc.returncode})"
    return Case(args[-1], outcome, wall, usage.ru_maxrss / 1024)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", dest="keyword", help="only the cases whose id matches (pytest -k)")
    ap.add_argument("--doc", type=Path, default=PROJECT / "docs" / "performance.md")
    a = ap.parse_args(argv)
    ids = collect(a.keyword)
    if not ids:
        print("no red-team case collected", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        base_file = Path(tmp) / "test_baseline.py"
        base_file.write_text(BASELINE)
        base = run_one(["--rootdir", str(PROJECT), str(base_file)])
    print(f"baseline (pytest + analyzer imports, one trivial case): {base.wall:.2f} s, {base.rss_mib:.0f} MiB", flush=True)
    cases = []
    for test_id in ids:
        c = run_one([test_id])
        cases.append(c)
        print(f"  {c.wall:7.2f} s {c.rss_mib:7.0f} MiB  {c.outcome:8}  {test_id}", flush=True)
    failed = [c for c in cases if c.outcome != "passed"]
    lines = [
        "## Red-team cases: time and peak RSS of each",
        "",
        f"`python -m bench.redteam` (part of `make bench`): {len(cases)} hostile cases of "
        f"{', '.join(SUITES)}, each in its own pytest process. Baseline from the same run: a pytest",
        f"process that imports the analyzer and runs one trivial case, {base.wall:.2f} s and {base.rss_mib:.0f} MiB.",
        f"Slowest case {max(c.wall for c in cases):.2f} s ({max(c.wall for c in cases) / base.wall:.1f}x the baseline); "
        f"largest peak RSS {max(c.rss_mib for c in cases):.0f} MiB ({max(c.rss_mib for c in cases) / base.rss_mib:.1f}x).",
        f"{'Every case passed.' if not failed else f'{len(failed)} case(s) FAILED.'}",
        "",
        "| case | outcome | seconds | x baseline | peak RSS MiB | x baseline |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for c in sorted(cases, key=lambda c: c.test_id):
        lines.append(f"| `{c.test_id}` | {c.outcome} | {c.wall:.2f} | {c.wall / base.wall:.1f} | "
                     f"{c.rss_mib:.0f} | {c.rss_mib / base.rss_mib:.1f} |")
    write_section(a.doc, "redteam", lines)
    print(f"wrote the red-team section of {a.doc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
