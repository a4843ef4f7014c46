"""Shared fixtures: the shared corpus, and fixture sites built by running the real collector."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("KUBESNAP_CORPUS", PROJECT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus (real captures from public sources); tests using it skip without it."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


def corpus_files(sub: str) -> list[Path]:
    """Corpus files below `sub`, for parametrizing; empty when the corpus is absent."""
    d = CORPUS / sub
    if not d.is_dir():
        return []
    files = (p for p in d.rglob("*") if p.is_file() and p.suffix != ".md")
    if sub.strip("/") in ("", "."):
        # corpus/bundles/ holds whole bundles of other tools (issue 18), not loose captures
        files = (p for p in files if p.relative_to(CORPUS).parts[0] != "bundles")
    return sorted(files)


@pytest.fixture(scope="session")
def seed_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's six servers, collected by the real collector from fake nodes (built once)."""
    from fixtures.build import build

    out = tmp_path_factory.mktemp("seed-site")
    build("seed-site", out)
    return out


@pytest.fixture(scope="session")
def seed_bundles(seed_site_dir: Path) -> dict[str, Path]:
    """node name -> tarball of the seed site."""
    out = {}
    for t in sorted((seed_site_dir / "bundles").glob("*.tar.gz")):
        node = t.name.removeprefix("kubesnap-").rsplit("-", 1)[0]
        out[node] = t
    return out


def tar_members(tarball: Path) -> Iterator[tuple[tarfile.TarInfo, bytes]]:
    """Every member of a tarball with its bytes (links and dirs with b"")."""
    with tarfile.open(tarball) as tf:
        for m in tf:
            data = b""
            if m.isfile():
                f = tf.extractfile(m)
                assert f is not None
                data = f.read()
            yield m, data


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory, seed_site_dir: Path) -> Path:
    """The seed site's six bundles ingested into one database (built once)."""
    from analyzer.ingest import ingest
    from analyzer.store import Store

    db = tmp_path_factory.mktemp("db") / "seed.duckdb"
    with Store(db) as s:
        rep = ingest(s, [seed_site_dir / "bundles"])
    assert rep.bundles == 6 and not rep.problems, rep.problems
    return db


@pytest.fixture(scope="session")
def troubled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The troubled site (every rule's problem planted), collected by the real collector (built once)."""
    from fixtures.build import build

    out = tmp_path_factory.mktemp("troubled-site")
    build("troubled-site", out)
    return out


@pytest.fixture(scope="session")
def troubled_db(tmp_path_factory: pytest.TempPathFactory, troubled_dir: Path) -> Path:
    """The troubled site ingested (site 'troubled'), not yet checked."""
    from analyzer import api

    db = tmp_path_factory.mktemp("troubled-db") / "t.duckdb"
    rep = api.ingest_inputs(db, [troubled_dir / "bundles"], site="troubled")
    assert rep.bundles == 6 and not rep.problems, rep.problems
    return db
