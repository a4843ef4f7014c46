"""The benchmark path, run end to end at a tiny size: every figure is produced and written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.run import main


@pytest.mark.slow
def test_bench_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    assert main(["--log-mb", "16", "--nodes", "4", "--pods", "3", "--collector-pods", "4", "--skip-single", "--doc", str(doc)]) == 0
    text = doc.read_text()
    for figure in ("ingest wall time", "ingest throughput", "ingest cores busy", "ingest peak RSS", "database size", "ingest of 4 bundles on all cores",
                   "pod_processes, every row", "log search", "per-minute histogram", "report render time", "report size",
                   "collector on a node with 4 pods", "crictl calls the collector made"):  # fmt: skip
        assert f"| {figure}" in text, figure
    assert "tar -xzf + read_csv" in text and "## Targets" in text


def test_each_benchmark_rewrites_only_its_own_section(tmp_path) -> None:
    from bench.doc import sections, write_section

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nwhole-run table\n")
    write_section(doc, "redteam", ["case table v1"])
    write_section(doc, "collector", ["collector v1"])
    write_section(doc, "redteam", ["case table v2"])
    text = doc.read_text()
    assert "case table v1" not in text and text.count("case table v2") == 1 and "collector v1" in text
    assert text.startswith("# Performance\n\nwhole-run table\n")
    kept = sections(doc)
    assert list(kept) == ["redteam", "collector"]
    assert kept["redteam"].startswith("<!-- bench:redteam:start -->") and kept["redteam"].endswith("<!-- bench:redteam:end -->")


def test_a_rewrite_keeps_the_notes_written_beside_the_figures(tmp_path) -> None:
    from bench.doc import notes, write_section
    from bench.run import Results, write_doc

    doc = tmp_path / "performance.md"
    write_section(doc, "grep", ["grep table v1", "<!-- notes:grep-profile:start -->", "profiled at abc123", "<!-- notes:grep-profile:end -->"])
    write_section(doc, "grep", ["grep table v2"])
    text = doc.read_text()
    assert "grep table v1" not in text and "grep table v2" in text and text.count("profiled at abc123") == 1
    assert text.index("grep table v2") < text.index("profiled at abc123") < text.index("<!-- bench:grep:end -->")
    # the whole-run part, rewritten by bench.run, keeps its own notes and leaves the section's where they are
    doc.write_text("# Performance\n\nold table\n\n<!-- notes:top:start -->\nthe run of the day\n<!-- notes:top:end -->\n\n"
                   + doc.read_text().split("\n", 1)[1])  # fmt: skip
    write_doc(Results(), doc, 60.0)
    text = doc.read_text()
    assert "old table" not in text and text.count("the run of the day") == 1 and text.count("profiled at abc123") == 1
    assert text.index("the run of the day") < text.index("## How to read these figures") < text.index("<!-- bench:grep:start -->")
    assert [b.split(":")[1] for b in notes(text)] == ["top", "grep-profile"]


@pytest.mark.slow
def test_ingest_scale_runs_at_a_tiny_size(tmp_path: Path) -> None:
    from bench.ingest_scale import KEY
    from bench.ingest_scale import main as scale

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nwhat bench.run wrote\n")
    assert scale(["--members", "20,40", "--log-gib", "", "--cache", str(tmp_path / "cache"), "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("# Performance\n\nwhat bench.run wrote\n") and f"<!-- bench:{KEY}:start -->" in text
    assert "| 20 tiny loose members in a tarball |" in text and "| 40 tiny loose members in a tarball |" in text and "(tar -xzf) |" in text
