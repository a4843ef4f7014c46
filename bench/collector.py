"""`make bench-collector`: the collector on a fake node with 1 GiB of pod logs, against `tar -czf` of the
same files in the same run, with each of mawk, gawk and busybox awk first on PATH; and what a 4 MiB
line costs the redaction against a 1 MiB line. Writes the collector section of docs/performance.md.

    python -m bench.collector [--log-mb 1024] [--doc docs/performance.md] [--awks mawk,gawk,busybox]

The logs are ordinary JSON log lines (CRI format) of 2-8 KiB with "name" fields, a few of 64 KiB,
one of 4 MiB and one of 1 MiB, in files of about 5 MiB. The collector runs with
`--max-log-bytes 2g` so that all of it is really copied, redacted and packed (the default cap keeps
5 MiB of each log).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.doc import write_section
from fixtures.fakenode.build import COLLECTOR, build_node, run_collector
from fixtures.small_node import small_site

PROJECT = Path(__file__).resolve().parents[1]
MiB = 1024**2
WORDS = ("request", "handled", "upstream", "latency", "cache", "miss", "hit", "pod", "node", "worker", "queue", "retry", "backoff",
         "shard", "replica", "leader", "election", "lease", "renewed", "sync", "reconcile", "status", "ready", "image", "pulled",
         "volume", "mounted", "endpoint", "service", "route", "listener", "cluster", "weight", "bytes", "sent", "received", "ok")  # fmt: skip


def awk_dir(kind: str, base: Path) -> Path:
    d = base / f"awk-{kind}"
    d.mkdir(parents=True, exist_ok=True)
    exe = shutil.which(kind)
    if exe is None:
        raise SystemExit(f"{kind} is not installed (make tools installs mawk, gawk and busybox)")
    if kind == "busybox":
        (d / "awk").write_text(f'#!/bin/sh\nexec {exe} awk "$@"\n')
        (d / "awk").chmod(0o755)
    else:
        (d / "awk").symlink_to(exe)
    return d


def json_line(rng: random.Random, ts: str, n: int, size: int) -> bytes:
    words: list[str] = []
    length = 0
    while length < size:
        w = rng.choice(WORDS) if rng.random() < 0.8 else f"{rng.randrange(10**6):x}"
        words.append(w)
        length += len(w) + 1
    doc = {"ts": ts, "level": rng.choice(("info", "debug", "warn")), "name": f"worker-{n % 97}", "msg": " ".join(words),
           "items": [{"name": f"item-{n}-{i}", "count": i} for i in range(3)]}  # fmt: skip
    return f"{ts} stdout F {json.dumps(doc, separators=(',', ':'))}\n".encode()


def write_logs(root: Path, total: int, mtime: float, seed: int = 11) -> tuple[int, Path, Path]:
    """About `total` bytes of pod logs below root/var/log/pods; returns (bytes, file of the 4 MiB line, file of the 1 MiB line)."""
    rng = random.Random(seed)
    pool = [json_line(rng, "2023-11-14T22:00:00.000000000Z", i, rng.randrange(2048, 8192)) for i in range(1500)]
    big = [json_line(rng, "2023-11-14T22:00:00.000000000Z", i, 64 * 1024) for i in range(8)]
    written = 0
    n_file = 0
    files: list[Path] = []
    while written < total:
        d = root / f"var/log/pods/bench_app-{n_file:04d}_{n_file:08x}-0000-0000-0000-000000000000/app"
        d.mkdir(parents=True)
        f = d / "0.log"
        with open(f, "wb") as fh:
            size = 0
            while size < 5 * MiB and written + size < total:
                line = rng.choice(big) if rng.random() < 0.002 else rng.choice(pool)
                fh.write(line)
                size += len(line)
        written += size
        files.append(f)
        n_file += 1
    out = []
    for mb, f in ((4, files[0]), (1, files[1])):
        line = json_line(rng, "2023-11-14T22:00:01.000000000Z", 0, mb * MiB)
        with open(f, "ab") as fh:
            fh.write(line)
        written += len(line)
        out.append(f)
    for f in files:
        os.utime(f, (mtime, mtime))
    return written, out[0], out[1]


def timed(cmd: list[str], **kw: object) -> float:
    t = time.monotonic()
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]
    return time.monotonic() - t


LINE_HARNESS = r"""
source "$1"
STAGE=$(mktemp -d "$2/stage.XXXXXX")
REDACT_BOUND=3600
redact_setup
stamp start
redact_file "$3" line || true
stamp end
seconds_between took "$start" "$end"
printf '%s' "$took"
rm -rf -- "$STAGE"
"""


def line_cost(kind: str, awk: Path, work: Path, mb: int) -> float:
    """Seconds the collector's redaction takes on a file of one line of `mb` MiB full of secrets."""
    rng = random.Random(mb)
    parts = []
    size = 0
    while size < mb * MiB:
        p = f'"name":"w{rng.randrange(10**6)}","password":"Pw{rng.randrange(10**9)}","msg":"' + " ".join(rng.choice(WORDS) for _ in range(60)) + '",'
        parts.append(p)
        size += len(p)
    f = work / f"line-{kind}-{mb}.log"
    f.write_text("2023-11-14T22:00:01.000000000Z stdout F {" + "".join(parts) + '"end":1}\n')
    env = {**os.environ, "PATH": f"{awk}:{os.environ['PATH']}", "LC_ALL": "C"}
    out = subprocess.run(["bash", "-c", LINE_HARNESS, "bench", str(COLLECTOR), str(work), str(f)], env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    assert "Pw" not in f.read_text()
    return float(out.strip().splitlines()[-1])


def run(log_mb: int, awks: list[str], work: Path) -> tuple[list[str], list[tuple[str, float, float, bool]]]:
    site = small_site()
    node = site.nodes[0]
    root, bin_dir = build_node(site, node, work / "node")
    t = time.monotonic()
    total, _f4, _f1 = write_logs(root, log_mb * MiB, site.now - 120)
    facts = [f"fake node: {total / MiB:,.0f} MiB of pod logs in {len(list((root / 'var/log/pods').rglob('*.log')))} files "
             f"(JSON lines of 2-8 KiB with \"name\" fields, 0.2% of 64 KiB, one of 4 MiB, one of 1 MiB), written in {time.monotonic() - t:.0f} s"]  # fmt: skip
    rows: list[tuple[str, float, float, bool]] = []
    print("baseline: tar -czf of the pod logs", flush=True)
    tar_s = timed(["tar", "-czf", str(work / "baseline.tar.gz"), "-C", str(root), "var/log/pods"])
    facts.append(f"baseline `tar -czf var/log/pods`: {tar_s:.1f} s, {(work / 'baseline.tar.gz').stat().st_size / MiB:,.0f} MiB")
    (work / "baseline.tar.gz").unlink()
    for kind in awks:
        d = awk_dir(kind, work)
        # the node's PATH: the stubs and tools, with this awk first
        link = bin_dir / "awk"
        link.unlink()
        link.symlink_to(d / "awk")
        print(f"collector with {kind}", flush=True)
        out = work / f"out-{kind}"
        t = time.monotonic()
        proc = run_collector(root, bin_dir, out, "--max-log-bytes", "2g", timeout=60)
        secs = time.monotonic() - t
        tarball = Path(proc.stdout.strip().splitlines()[-1])
        size = tarball.stat().st_size
        shutil.rmtree(out)
        ratio = secs / tar_s
        rows.append((f"collector, {kind}, {total / MiB:,.0f} MiB of pod logs", secs, tar_s, ratio <= 2.0))
        print(f"  {secs:.1f} s ({ratio:.2f}x tar), bundle {size / MiB:,.0f} MiB", flush=True)
        c1 = line_cost(kind, d, work, 1)
        c4 = line_cost(kind, d, work, 4)
        rows.append((f"redaction of a 4 MiB line full of secrets, {kind}", c4, c1, c4 <= 5 * c1))
        print(f"  4 MiB line {c4:.2f} s, 1 MiB line {c1:.2f} s ({c4 / c1:.2f}x)", flush=True)
    return facts, rows


def section(facts: list[str], rows: list[tuple[str, float, float, bool]], elapsed: float) -> list[str]:
    lines = ["## Collector", "",
             "Regenerated by `make bench-collector` (bench/collector.py; also run by `make bench`). The collector runs on a",
             "fake node (`--root`) with `--max-log-bytes 2g`, so that every byte of the logs is copied, redacted and",
             "packed; its baseline is `tar -czf` of the same pod logs in the same run. Each awk is put first on PATH,",
             "as on a node that has only that one.", "",
             *[f"- {f}" for f in facts], f"- the collector benchmark took {elapsed / 60:.1f} minutes", "",
             "| what | seconds | baseline | ratio | target |", "|---|---:|---:|---:|---|"]  # fmt: skip
    for what, v, base, met in rows:
        if what.startswith("collector"):
            target = "at most 2.0x tar -czf"
            basew = f"{base:.2f} s (tar -czf of the same files)"
        else:
            target = "at most 5x the 1 MiB line"
            basew = f"{base:.2f} s (a 1 MiB line)"
        lines.append(f"| {what} | {v:.2f} | {basew} | {v / base:.2f} | {target} ({'met' if met else '**missed**'}) |")
    lines += ["",
              "The 1 GiB holds no secret: the two greps over each batch of 256 files (the trigger, and random-token's runs of",
              "16 characters) list none of them and awk never reads them, so the three awks cost the same; the collector's own",
              "time over tar is the copy of each file, those greps, and the final scan. Where awk does read every line (a file read",
              "whole), random-token costs more: see docs/redaction.md. The long-line figures are the redaction alone (`redact_file`) on a file of one JSON",
              "line with a password every 500 bytes (8,000 and 2,000 of them): the engine's cost per line is linear.",
              ]  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log-mb", type=int, default=1024)
    ap.add_argument("--awks", default="mawk,gawk,busybox")
    ap.add_argument("--doc", type=Path, default=PROJECT / "docs" / "performance.md")
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args(argv)
    work = a.keep or Path(tempfile.mkdtemp(prefix="kubesnap-bench-collector-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    try:
        facts, rows = run(a.log_mb, a.awks.split(","), work)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    write_section(a.doc, "collector", section(facts, rows, time.monotonic() - start))
    print(f"wrote the collector section of {a.doc}")
    return 0 if all(met for *_, met in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
