"""Shared fixtures: the shared corpus, and fixture sites built by running the real collector."""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet

from tests import sitecache

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


def corpus_params(sub: str) -> list[ParameterSet]:
    """corpus_files(sub) as parameters with the corpus path as id: the first file of each folder (each
    format) in the fast set, the others marked slow (`make test-slow` runs them)."""
    out, seen = [], set()
    for p in corpus_files(sub):
        folder = p.parent
        out.append(pytest.param(p, id=str(p.relative_to(CORPUS)), marks=() if folder not in seen else pytest.mark.slow))
        seen.add(folder)
    return out


# make test-slow sets KUBESNAP_THOROUGH=1 and runs every property test again with all its examples
THOROUGH = os.environ.get("KUBESNAP_THOROUGH") == "1"


def examples(n: int) -> int:
    """A property test's number of examples: `n` in `make test-slow`, a quarter of it (at least 25) in the
    fast set, which runs on every change."""
    return n if THOROUGH else max(25, n // 4)


def ingest_text(tmp_path: Path, text: str, *args: str) -> tuple[int, str, Path]:
    """`kubesnap ingest` of a text saved as paste.txt into tmp_path/k.duckdb: (exit code, output, database)."""
    from click.testing import CliRunner

    from analyzer.cli import main

    paste = tmp_path / "paste.txt"
    paste.write_text(text, encoding="utf-8")
    db = tmp_path / "k.duckdb"
    r = CliRunner().invoke(main, ["ingest", "--db", str(db), str(paste), *args])
    return r.exit_code, r.output, db


def db_rows(db: Path, *sql: str) -> list[list[tuple[Any, ...]]]:
    """The rows of each query, run on a database opened read-only."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return [con.execute(q).fetchall() for q in sql]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every hypothesis test is marked `property`, so that `make test-slow` selects it too."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


SITE_TREES = ("fixtures", "collectors")  # what a fixture site is made of
DB_TREES = (*SITE_TREES, "analyzer")  # and an ingested database


def built_site(tmp_path_factory: pytest.TempPathFactory, name: str, obfuscate: bool = False) -> Path:
    """A fixture site (fixtures/build.py) collected by the real collector from fake nodes: built once
    per change of its inputs (tests/sitecache.py), a private copy per test session."""
    from fixtures.build import build

    def make(d: Path) -> None:
        build(name, d, obfuscate=obfuscate)

    key = f"{name}-obf" if obfuscate else name
    return sitecache.cached_copy(key, SITE_TREES, make, tmp_path_factory.mktemp(key) / "site")


def built_db(tmp_path_factory: pytest.TempPathFactory, name: str, source: str, make: Callable[[Path], None]) -> Path:
    """A database `make(path)` writes from the site `source` (built first, in this session): cached
    like a site, keyed also by the analyzer's sources and the exact build of the site it came from."""

    def build(d: Path) -> None:
        d.mkdir(parents=True)
        make(d / "db.duckdb")

    dest = tmp_path_factory.mktemp(name) / "db"
    sitecache.cached_copy(name, DB_TREES, build, dest, sitecache.BUILD_IDS[source])
    return dest / "db.duckdb"


@pytest.fixture(scope="session")
def seed_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's six servers, collected by the real collector from fake nodes (built once)."""
    return built_site(tmp_path_factory, "seed-site")


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

    def make(db: Path) -> None:
        from analyzer.ingest import ingest
        from analyzer.store import Store

        with Store(db) as s:
            rep = ingest(s, [seed_site_dir / "bundles"])
        assert rep.bundles == 6 and not rep.problems, rep.problems

    return built_db(tmp_path_factory, "seed-db", "seed-site", make)


@pytest.fixture(scope="session")
def troubled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The troubled site (every rule's problem planted), collected by the real collector (built once)."""
    return built_site(tmp_path_factory, "troubled-site")


@pytest.fixture(scope="session")
def troubled_db(tmp_path_factory: pytest.TempPathFactory, troubled_dir: Path) -> Path:
    """The troubled site ingested (site 'troubled'), not yet checked."""

    def make(db: Path) -> None:
        from analyzer import api

        rep = api.ingest_inputs(db, [troubled_dir / "bundles"], site="troubled")
        assert rep.bundles == 6 and not rep.problems, rep.problems

    return built_db(tmp_path_factory, "troubled-db", "troubled-site", make)


@pytest.fixture(scope="session")
def obf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The troubled site collected with --obfuscate, one site key and the node list (fixtures/build.py)."""
    return built_site(tmp_path_factory, "troubled-site", obfuscate=True)


@pytest.fixture(scope="session")
def obf_db(tmp_path_factory: pytest.TempPathFactory, obf_dir: Path) -> Path:
    """The obfuscated troubled site ingested (site 'troubled') and checked."""

    def make(db: Path) -> None:
        from analyzer import api

        rep = api.ingest_inputs(db, sorted((obf_dir / "bundles").glob("*.tar.gz")), site="troubled")
        assert rep.bundles == 6 and not rep.problems, rep.problems
        api.check(db)

    return built_db(tmp_path_factory, "troubled-obf-db", "troubled-site-obf", make)


@pytest.fixture(scope="session")
def later_bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed site a while later (fixtures/seed_later.py): its bundles folder."""
    return built_site(tmp_path_factory, "seed-site-later") / "bundles"


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[tuple[tarfile.TarInfo, bytes]]]:
    """(root folder name, members with their bytes) of a real bundle: the collector run on the small
    fake node (fixtures/small_node.py). The hostile-bundle tests rebuild it with one change each."""

    def build(d: Path) -> None:
        from fixtures.fakenode.build import build_node, run_collector
        from fixtures.small_node import small_site

        site = small_site()
        root, b = build_node(site, site.nodes[0], d / "node")
        tarball = Path(run_collector(root, b, d / "out").stdout.strip().splitlines()[-1])
        tarball.rename(d / "bundle.tar.gz")
        shutil.rmtree(d / "node")
        shutil.rmtree(d / "out")

    d = sitecache.cached_copy("small-bundle", SITE_TREES, build, tmp_path_factory.mktemp("small") / "site")
    members = []
    with tarfile.open(d / "bundle.tar.gz") as tf:
        for m in tf:
            f = tf.extractfile(m) if m.isfile() else None
            members.append((m, f.read() if f else b""))
    return members[0][0].name, members
