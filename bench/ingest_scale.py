"""Ingest at scale: many tiny loose members, and one bundle holding GiBs of pod logs (issue 15).

    python -m bench.ingest_scale [--members 1000,10000,100000] [--log-gib 1,4] [--cache DIR] [--doc docs/performance.md]

Each figure is a child process (`kubesnap ingest`) timed with its peak RSS (GNU time), beside a
baseline run in the same invocation on the same archive: `tar -xzf` of it, and for the log bundle
also DuckDB `read_csv` of the extracted pod logs. The generated archives are cached (--cache,
default build/bench-cache) and reused by later runs; `--clean` removes them at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
KUBESNAP = str(Path(sys.executable).with_name("kubesnap"))
GiB = 1024**3
MiB = 1024**2


def tiny_members(path: Path, n: int) -> Path:
    """A tarball of `n` one-line text files outside any node folder (loose captures)."""
    if path.exists():
        return path
    tmp = path.with_suffix(".part")
    with tarfile.open(tmp, "w:gz", compresslevel=1) as tf:
        for i in range(n):
            data = f"2024-03-01T12:00:{i % 60:02d}Z note {i}: the service answered in {i % 977} ms\n".encode()
            ti = tarfile.TarInfo(f"notes/{i // 1000:03d}/n{i:06d}.txt")
            ti.size, ti.mtime, ti.mode = len(data), 1_700_000_000, 0o644
            tf.addfile(ti, io.BytesIO(data))
    tmp.rename(path)
    return path


def log_bundle(folder: Path, gib: int) -> Path:
    """One node bundle (the collector's layout) holding `gib` GiB of pod logs."""
    from fixtures.synth.generate import _site, write_node

    done = list(folder.glob("*.tar.gz"))
    if done:
        return done[0]
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    site = _site(1, 50, 11)
    path, _written, _files = write_node(site, site.nodes[0], part, gib * GiB, 11, compresslevel=1)
    part.rename(folder)
    return folder / path.name


if __name__ == "__main__" and sys.argv[1:2] == ["--generate-only"]:
    cache = Path(sys.argv[2])
    cache.mkdir(parents=True, exist_ok=True)
    for n in (1000, 10000, 100000):
        print(tiny_members(cache / f"tiny-{n}.tar.gz", n), flush=True)
    for g in (1, 4):
        print(log_bundle(cache / f"logs-{g}gib", g), flush=True)
    sys.exit(0)
