"""The benchmark path, run end to end at a tiny size: every figure is produced and written."""

from __future__ import annotations

from pathlib import Path

from bench.run import main


def test_bench_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    assert main(["--log-mb", "16", "--nodes", "2", "--pods", "3", "--report-nodes", "6", "--report-pods", "4", "--doc", str(doc)]) == 0
    text = doc.read_text()
    for figure in ("ingest wall time", "ingest throughput", "ingest peak RSS", "database size", "report render time", "report size"):
        assert f"| {figure} |" in text
    assert "tar -xzf + read_csv" in text
