"""A disk cache of built fixture sites and databases, so that a second test run reuses them.

An entry is keyed by a hash of everything that makes it: the files of the source trees it is built
from (fixtures/, collectors/, and analyzer/ for an ingested database), the Python and library
versions, and which real tools a fake node's PATH gets (bash, the awks, tar, gzip, by path, size and
mtime). A change to any of them gives a new key, so a stale entry is never used; an entry is written
to a temporary folder and renamed into place only when its build finished, under a lock, so two
pytest processes (xdist workers) build it once and never read half of one.

Tests never get the cached folder itself: `cached_copy` copies the entry into the test session's
temporary folder, so a test that writes to its site or database cannot change what the next run reads.

KUBESNAP_TEST_CACHE=off builds every entry afresh into the session's temporary folder (nothing read
or written under build/test-cache); KUBESNAP_TEST_CACHE=DIR puts the cache elsewhere.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SETTING = os.environ.get("KUBESNAP_TEST_CACHE", "")
CACHE = None if SETTING == "off" else Path(SETTING or PROJECT / "build" / "test-cache")

# what a fake node's PATH links to (fixtures/fakenode/build.py BASE_TOOLS) and what a bundle's bytes
# can depend on besides our own files
TOOLS = ("bash", "sh", "awk", "mawk", "gawk", "busybox", "tar", "gzip", "sed", "grep", "find", "sort", "openssl")
LIBRARIES = ("duckdb", "pyarrow", "pydantic", "PyYAML", "cryptography", "jinja2", "click")


def _tree_files(tree: str) -> Iterable[Path]:
    base = PROJECT / tree
    for p in sorted(base.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
            yield p


def inputs_key(name: str, trees: Iterable[str], *extra: str) -> str:
    """The hash of every input of an entry: its name and extra words, the files of `trees` (relative
    to the project), the interpreter, the libraries and the real tools."""
    h = hashlib.sha256()

    def word(s: str | bytes) -> None:
        b = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
        h.update(len(b).to_bytes(8, "big") + b)

    word(name)
    for e in extra:
        word(e)
    word(sys.version)
    for lib in LIBRARIES:
        try:
            word(f"{lib}={importlib.metadata.version(lib)}")
        except importlib.metadata.PackageNotFoundError:
            word(f"{lib}=absent")
    for tool in TOOLS:
        path = shutil.which(tool)
        if path is None:
            word(f"{tool}=absent")
            continue
        real = os.path.realpath(path)
        st = os.stat(real)
        word(f"{tool}={path}->{real}:{st.st_size}:{st.st_mtime_ns}")
    for tree in sorted(set(trees)):
        for p in _tree_files(tree):
            word(str(p.relative_to(PROJECT)))
            word(p.read_bytes())
    return h.hexdigest()


# name -> the build id of the entry this session uses: an entry built from another (a database from
# a site) puts the id of its source in its key, so it is never used with another build of that source
# (a site's bundles hold fresh random keys each build)
BUILD_IDS: dict[str, str] = {}


def cached(name: str, key: str, build: Callable[[Path], None], scratch: Path) -> Path:
    """The folder `build(folder)` fills, built once per key and kept under the cache; with the cache
    off, built into `scratch` (which must not exist yet)."""
    if CACHE is None:
        build(scratch)
        BUILD_IDS[name] = uuid.uuid4().hex
        return scratch
    CACHE.mkdir(parents=True, exist_ok=True)
    entry = CACHE / f"{name}-{key[:24]}"
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (entry / ".complete").is_file():
            BUILD_IDS[name] = (entry / ".complete").read_text().split()[-1]
            return entry
        # an older key's entry (or a build that died half way) is of no use again
        for old in CACHE.glob(f"{name}-*"):
            tail = old.name.removeprefix(f"{name}-")
            if old.is_dir() and len(tail) == 24 and all(c in "0123456789abcdef" for c in tail):
                shutil.rmtree(old)
        for old in CACHE.glob(f".{name}-*"):
            shutil.rmtree(old)
        tmp = CACHE / f".{entry.name}.{os.getpid()}"
        build(tmp)
        BUILD_IDS[name] = uuid.uuid4().hex
        (tmp / ".complete").write_text(f"{key} {BUILD_IDS[name]}\n")
        tmp.rename(entry)
        return entry


def cached_copy(name: str, trees: Iterable[str], build: Callable[[Path], None], dest: Path, *extra: str) -> Path:
    """`cached`, then a private copy at `dest` for the session's tests."""
    trees = list(trees)
    entry = cached(name, inputs_key(name, trees, *extra), build, dest)
    if entry != dest:
        # cp -a: links stay links, and the fake nodes' sockets and fifos are made again (copytree
        # cannot open a socket to copy it)
        subprocess.run(["cp", "-a", "--", str(entry), str(dest)], check=True)
        (dest / ".complete").unlink()
    return dest
