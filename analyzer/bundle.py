"""Open any input safely and yield its members: node tarballs, tarballs, zips or folders
holding several bundles, extracted bundle folders, and loose text files.

Nothing is extracted to disk: members are read from the archive stream, so no member name
can write anywhere. Links (symbolic or hard) are recorded as data and never followed,
device files and FIFOs are never opened, and sizes, counts and nesting are capped.
"""

from __future__ import annotations

import bz2
import calendar
import io
import lzma
import os
import posixpath
import queue
import re
import stat
import struct
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

from analyzer.layouts.kubesnap import KUBESNAP

# The folders and files at the top of a collector bundle: those its layout declares.
BUNDLE_ENTRIES = KUBESNAP.top_names()
BUNDLE_FILES = frozenset(e.pattern for e in KUBESNAP.entries if "/" not in e.pattern)  # manifest.json, redaction-report.txt
BUNDLE_NAME = re.compile(r"^kubesnap-(?P<node>.+)-(?P<stamp>\d{8}T\d{6}Z)$")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.xz", ".tar.bz2", ".tar.zst", ".zip")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first member, or an empty zip's end record
NESTED_ZIP_CAP = 256 * 1024 * 1024  # a zip inside an archive is read into memory (zip needs to seek): up to this
MAX_MTIME = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime can hold
BOMB_FLOOR = 16 * 1024 * 1024  # members smaller than this are never called a bomb by their ratio alone
BOMB_TOTAL_FLOOR = 256 * 1024 * 1024  # nor is an archive until it has handed out this much (repetitive logs compress well)
MAX_HEADER_BYTES = 64 * 1024  # a GNU long name or link, or a PAX extended header, larger than this is skipped unread
MAX_HEADER_CHAIN = 8  # extended headers in a row before one member
MAX_NAME_BYTES = 4096  # PATH_MAX: a longer member name (or link target) is not read
TRAILING_CAP = 16 * 1024 * 1024  # data after an archive's end is counted (to report it) up to this much
TAR_BUFSIZE = 16 * 1024  # tarfile copies its whole buffer at each read: small, so that tiny members cost little


@dataclass(frozen=True)
class Limits:
    """Caps on what an input may cost; hostile archives hit these, real bundles do not."""

    max_member_bytes: int = field(default=4 * 1024**3, metadata={"help": "bytes of one member above which it is not read"})
    max_total_bytes: int = field(default=64 * 1024**3, metadata={"help": "bytes of one archive (or a folder's other files), uncompressed, after which the rest is not read"})
    max_members: int = field(default=2_000_000, metadata={"help": "members of one archive (or files of a folder) after which the rest is not read"})
    max_depth: int = field(default=3, metadata={"help": "how deep archives inside archives are opened"})
    max_ratio: int = field(default=200, metadata={"help": "uncompressed bytes per compressed byte above which an archive is a decompression bomb"})

    @classmethod
    def default(cls) -> Limits:
        return cls()


class InputProblem(Exception):
    """Something wrong with an input as a whole, or with a member that was skipped."""


# what reading a member's bytes can raise on a damaged archive (the reader reports it as the member's problem)
XZ_MEMLIMIT = 256 * 1024 * 1024  # what an xz stream's decoder may allocate (its dictionary): xz -9e needs 65 MiB
MEMBER_READ_ERRORS = (OSError, EOFError, ValueError, tarfile.TarError, zlib.error, zipfile.BadZipFile, NotImplementedError, lzma.LZMAError)


@dataclass
class Member:
    path: str  # relative to the bundle root, '/'-separated, normalized
    kind: str  # file, symlink, hardlink, dir, device, fifo, other
    size: int
    mtime: float | None
    link_target: str | None = None
    _open: object = None  # a callable returning a binary stream, valid until the next member
    _read: object = None  # a callable(limit) -> bytes | None reading the member at once, where the archive allows (None: use _open)

    def __post_init__(self) -> None:
        # an archive can claim any time (tar's base-256 fields, PAX headers): keep only a real date
        if self.mtime is not None and not (isinstance(self.mtime, (int, float)) and 0 < self.mtime <= MAX_MTIME):
            self.mtime = None

    def open(self) -> IO[bytes]:
        if self.kind != "file" or self._open is None:
            raise InputProblem(f"{self.path}: not a regular file")
        f = self._open()  # type: ignore[operator]
        assert f is not None
        return f  # type: ignore[no-any-return]

    def read(self, limit: int | None = None) -> bytes:
        if self.kind == "file" and self._read is not None:
            got: bytes | None = self._read(limit)  # type: ignore[operator]
            if got is not None:
                return got
        with self.open() as f:
            data: bytes = f.read(-1 if limit is None else limit)
        return data


@dataclass
class Problem:
    member: str
    reason: str


@dataclass
class Group:
    """One bundle (or one loose file) within an input, with its members in stream order."""

    label: str  # the input, plus the path inside it
    kind: str  # bundle or loose
    name: str  # bundle folder name, or the loose file's name
    members: list[Member] = field(default_factory=list)


def safe_name(name: str) -> str | None:
    """A member name as a normalized relative path, or None when it must not be used
    (absolute, climbing with '..', empty). Non-UTF-8 bytes become U+FFFD."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\\", "/")
    if "\x00" in name:
        return None
    if name.startswith("/"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def bundle_root(path: str) -> tuple[str, str] | None:
    """(root, path inside the bundle) when `path` lies in a collector bundle, else None."""
    parts = path.split("/")
    for i, p in enumerate(parts):
        if BUNDLE_NAME.match(p) and i + 1 < len(parts):
            return "/".join(parts[: i + 1]), "/".join(parts[i + 1 :])
    for i, p in enumerate(parts):
        if p in BUNDLE_ENTRIES and (i + 1 < len(parts) or p in BUNDLE_FILES):
            return "/".join(parts[:i]), "/".join(parts[i:])
    return None


def _in_known_root(name: str, roots: set[str]) -> tuple[str, str] | None:
    """A member not named like a bundle's (notes.txt) that lies in a bundle already seen belongs to it."""
    for r in sorted(roots, key=len, reverse=True):
        if r == "":
            return "", name
        if name.startswith(r + "/"):
            return r, name[len(r) + 1 :]
    return None


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


@dataclass
class Walk:
    """The events of reading one input: members (with the bundle they belong to) and problems."""

    label: str
    limits: Limits = field(default_factory=Limits.default)
    problems: list[Problem] = field(default_factory=list)
    total_bytes: int = 0
    members_seen: int = 0
    last: str = ""
    roots: set[str] = field(default_factory=set)


def iter_input(path: Path, limits: Limits | None = None, skip_archives: bool = False,
               exclude: frozenset[Path] = frozenset(), keep: Callable[[str], bool] | None = None) -> Iterator[tuple[str, str | None, Member] | Problem]:  # fmt: skip
    """Yield (group key, bundle root or None for loose, member) in stream order, and Problems.

    The group key is `<input>` plus the root inside it; members with the same key belong to
    one bundle. A member's bytes are readable only until the next item is requested. A folder's
    archives that `keep` says (by their path) are members as they are, not opened (a
    must-gather's sysinfo.tgz belongs to the must-gather).
    """
    limits = limits or Limits.default()
    walk = Walk(str(path), limits)
    if path.is_dir():
        yield from _iter_dir(path, walk, skip_archives, exclude, keep)
    elif path.is_file():
        if _looks_like_archive(path):
            try:
                f = open(path, "rb")  # noqa: SIM115 - closed below, after the stream is done
            except OSError as e:
                yield Problem("", f"cannot read: {e.strerror}")
                return
            with f:
                yield from _iter_archive(f, str(path), walk, depth=0, compressed_size=path.stat().st_size)
        else:
            st = path.stat()
            cap = _caps(walk, path.name, st.st_size, 0)
            if cap is not None:
                yield cap[0]
                return
            # the opener hands the stream to the caller, who closes it
            yield str(path), None, Member(path.name, "file", st.st_size, st.st_mtime, None, lambda p=path: open(p, "rb"))  # noqa: SIM115
    else:
        yield Problem("", "no such file or directory")


def _looks_like_archive(path: Path) -> bool:
    if is_archive(path.name):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    return head[:2] == b"\x1f\x8b" or head[:4] in ZIP_MAGIC or (len(head) >= 262 and head[257:262] == b"ustar")


def _iter_dir(top: Path, walk: Walk, skip_archives: bool = False, exclude: frozenset[Path] = frozenset(),
              keep: Callable[[str], bool] | None = None) -> Iterator[tuple[str, str | None, Member] | Problem]:  # fmt: skip
    """A folder's files; with `skip_archives`, the archives in it are left to the caller (read on their own);
    `exclude`: files never read (the database being written, when it lies in the folder)."""
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames.sort()
        d = Path(dirpath)
        entries = sorted(filenames) + sorted(n for n in dirnames if (d / n).is_symlink())
        for fn in entries:
            full = d / fn
            if exclude and full.resolve() in exclude:
                continue
            rel = full.relative_to(top).as_posix()
            name = safe_name(rel)
            if name is None:
                yield Problem(rel, "unusable file name")
                continue
            try:
                st = full.lstat()
            except OSError as e:
                yield Problem(name, f"cannot stat: {e.strerror}")
                continue
            walk.members_seen += 1
            if walk.members_seen > walk.limits.max_members:
                yield Problem(name, f"more than {walk.limits.max_members} files: the rest is not read")
                return
            if stat.S_ISLNK(st.st_mode):
                m = Member(name, "symlink", 0, st.st_mtime, os.readlink(full))
            elif stat.S_ISREG(st.st_mode):
                kept = is_archive(fn) and keep is not None and keep(name)
                if is_archive(fn) and skip_archives and not kept:
                    continue
                if is_archive(fn) and not kept:
                    try:
                        with open(full, "rb") as f:
                            yield from _iter_archive(f, f"{top}/{name}", walk, depth=1, compressed_size=st.st_size)
                    except OSError as e:
                        yield Problem(name, f"cannot read: {e.strerror}")
                    continue
                cap = _caps(walk, name, st.st_size, 0)
                if cap is not None:
                    yield cap[0]
                    if cap[1]:
                        return
                    continue
                m = Member(name, "file", st.st_size, st.st_mtime, None, lambda p=full: open(p, "rb"))  # noqa: SIM115
            else:
                yield Problem(name, "not a regular file (device, FIFO or socket): not read")
                continue
            root = bundle_root(name) or _in_known_root(name, walk.roots)
            if root is None:
                yield f"{top}/{name}", None, m
            else:
                walk.roots.add(root[0])
                m.path = root[1]
                yield f"{top}/{root[0]}" if root[0] else str(top), root[0] or top.name, m


class BombError(tarfile.TarError):
    """An archive's stream decompressed to more than its budget (max_ratio times its compressed size)."""


class _Inflater:
    """The decompression of an archive's stream, a bounded step at a time (`step`), and what it has met:
    end markers of compressed streams, garbage after the last one."""

    STEP = 1 << 20

    def __init__(self, raw: IO[bytes], limit: int | None) -> None:
        self.raw = raw
        self.limit = limit  # decompressed bytes beyond which the stream is a bomb (BombError); None: no limit
        self.produced = 0  # decompressed bytes so far
        self.streams = 0  # compressed streams (gzip members) that reached their end marker
        self.garbage = 0  # bytes after the last compressed stream that are not one (not read)
        self.spent = False  # garbage met: nothing more is read
        self.stream_out = 0  # bytes the current compressed stream has produced
        self.ended = False  # the compressed stream reached its end marker
        head = raw.read(6)
        self.pending = head
        self.kind = ("gzip" if head[:2] == b"\x1f\x8b" else "bzip2" if head[:3] == b"BZh" else "xz" if head[:6] == b"\xfd7zXZ\x00"
                     else "zstd" if head[:4] == b"\x28\xb5\x2f\xfd" else "tar")  # fmt: skip
        if self.kind == "zstd":
            raise InputProblem("zstd-compressed archives are not read: decompress with `zstd -d` first")
        self.dec: Any = self._new()

    def _new(self) -> Any:
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.kind == "bzip2":
            return bz2.BZ2Decompressor()
        if self.kind == "xz":
            # (an xz stream declares the dictionary its decoder allocates, up to 4 GiB: over XZ_MEMLIMIT it is an LZMAError,
            # "Memory usage limit reached", that names the input, not a MemoryError; xz -9 needs 65 MiB)
            return lzma.LZMADecompressor(memlimit=XZ_MEMLIMIT)
        return None

    def step(self) -> bytes | None:
        """The next decompressed bytes (at most STEP, maybe none); None at the end of the input."""
        if self.spent:
            return None
        if self.dec is None:
            data = self.pending or self.raw.read(self.STEP)
            self.pending = b""
            return data or None
        if self.kind == "gzip":
            data = self.dec.unconsumed_tail or self.pending or self.raw.read(self.STEP)
            self.pending = b""
            if not data:
                return None
            out = self._decompress(data)
        else:
            data = b"" if not self.dec.needs_input else (self.pending or self.raw.read(self.STEP))
            self.pending = b""
            if not data and self.dec.needs_input:
                return None
            out = self._decompress(data)
        if out is None:
            return None
        self.produced += len(out)
        if self.limit is not None and self.produced > self.limit:
            raise BombError(self.limit)
        self.ended = self.dec.eof
        if self.dec.eof:
            self.streams += 1
            rest = self.dec.unused_data
            self.dec = self._new()  # concatenated streams (gzip members) go on
            self.stream_out = 0
            self.pending = rest
            if not rest:
                nxt = self.raw.read(self.STEP)
                if nxt.strip(b"\0"):
                    self.pending, self.ended = nxt, False
        return out

    def _decompress(self, data: bytes) -> bytes | None:
        """The next decompressed bytes; None when what follows a complete stream is not a stream of its kind
        (garbage appended to the file): those bytes are counted in `garbage`, not read."""
        try:
            out: bytes = self.dec.decompress(data, self.STEP)
        except (zlib.error, OSError, EOFError, lzma.LZMAError):
            if not self.streams or self.stream_out:
                raise  # damage inside a stream: the archive is corrupt
            # zero padding after the stream is not worth a word; anything else is reported
            self.garbage = (len(data) + self._drain_raw()) if data.strip(b"\0") else 0
            self.ended, self.spent = True, True
            return None
        self.stream_out += len(out)
        return out

    def _drain_raw(self) -> int:
        """Bytes left in the raw file, counted without being read where it can seek."""
        try:
            here = self.raw.tell()
            end = self.raw.seek(0, os.SEEK_END)
            return int(end - here)
        except (OSError, AttributeError, ValueError):
            n = 0
            while n <= TRAILING_CAP:
                piece = self.raw.read(self.STEP)
                if not piece:
                    break
                n += len(piece)
            return n


@dataclass(frozen=True)
class _Step:
    """One step of an _Inflater as its reader sees it: the bytes, and what was known right after them."""

    out: bytes | None
    ended: bool
    streams: int
    garbage: int
    error: Exception | None = None


READ_AHEAD = True  # the top archive's stream decompressed by a thread ahead of its reader (_Decompressing)


class _Decompressing:
    """The tar stream inside a gzip, bzip2 or xz file (or a plain tar), decompressed in bounded steps.

    Unlike tarfile's own decompression it knows whether the compressed stream reached its end
    marker, so an upload cut exactly between two members is reported, not taken as the end.

    With `ahead`, a thread of its own decompresses up to AHEAD steps before the reader needs them
    (zlib, bz2 and lzma let go of the GIL while they work): a bundle's logs are split and loaded while
    the next MiBs inflate. The reader sees the same bytes, errors and end markers at the same places
    as without it; `close` stops the thread, and must come before anything else reads `raw`.
    """

    AHEAD = 8

    def __init__(self, raw: IO[bytes], limit: int | None = None, ahead: bool = False) -> None:
        self.inflater = _Inflater(raw, limit)
        self.kind = self.inflater.kind
        self.ahead = ahead and self.kind != "tar"  # a plain tar is only read: nothing to overlap
        self.buf = bytearray()
        self.pos = 0  # bytes handed out
        self.tail = b""  # the last of them: where tar's end-of-archive block must be
        self.ended = False  # the compressed stream reached its end marker (as of the bytes in buf)
        self.streams = 0
        self.garbage = 0
        self.done = False  # the inflater said the input ended, or failed (no further step is taken)
        self.error: Exception | None = None  # what it failed with
        self._queue: queue.Queue[_Step] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def limit(self) -> int | None:
        return self.inflater.limit

    @limit.setter
    def limit(self, value: int | None) -> None:
        self.inflater.limit = value

    def _take(self) -> _Step:
        """The inflater's next step, with what it knew right after it (an error it raised is in the step)."""
        inf = self.inflater
        try:
            out = inf.step()
        except Exception as e:  # raised again, as it is, where the reader meets it (_more)
            return _Step(None, inf.ended, inf.streams, inf.garbage, e)
        return _Step(out, inf.ended, inf.streams, inf.garbage)

    def _run(self) -> None:
        assert self._queue is not None
        while not self._stop.is_set():
            st = self._take()
            while not self._stop.is_set():
                try:
                    self._queue.put(st, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if st.out is None:
                return

    def _next(self) -> _Step:
        if not self.ahead:
            return self._take()
        if self._thread is None:
            self._queue = queue.Queue(self.AHEAD)
            self._thread = threading.Thread(target=self._run, name="kubesnap-inflate", daemon=True)
            self._thread.start()
        assert self._queue is not None
        return self._queue.get()

    def _more(self) -> bool:
        """Add decompressed bytes to buf; False at the end of the input. An error of the inflater is raised
        again at each later call, as the inflater itself would raise it again (a bomb stays a bomb)."""
        if self.error is not None:
            raise self.error
        if self.done:
            return False
        st = self._next()
        self.ended, self.streams, self.garbage = st.ended, st.streams, st.garbage
        if st.out is None:
            self.done = True
            self.error = st.error
            if st.error is not None:
                raise st.error
            return False
        self.buf += st.out
        return True

    def close(self) -> None:
        """Stop the thread that reads ahead, if any (what it read is dropped)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self.buf) < n) and self._more():
            pass
        if n < 0:
            n = len(self.buf)
        with memoryview(self.buf) as view:
            out = bytes(view[:n])  # one copy (a slice of the bytearray, then bytes of it, would be two)
        del self.buf[:n]
        if out:
            self.pos += len(out)
            keep = 4 * tarfile.RECORDSIZE
            self.tail = (self.tail + out[-keep:])[-keep:]
        return out

    def complete(self, offset: int) -> tuple[bool, int]:
        """Whether the archive really ended where tar stopped reading (at `offset`): a zero block there,
        not the end of the data, and the compressed stream's own end marker reached; and how many bytes
        of data (not zero padding) follow that end (another archive or garbage appended), counted up to TRAILING_CAP."""
        start = offset - (self.pos - len(self.tail))
        block = self.tail[start : start + tarfile.BLOCKSIZE] if start >= 0 else b""
        whole = len(block) == tarfile.BLOCKSIZE and not block.strip(b"\0")
        if not whole:
            return False, 0
        # what tar read ahead past its end block, then the rest of the stream: zero padding, or data
        after = self.tail[start + tarfile.BLOCKSIZE :] + bytes(self.buf)
        self.buf.clear()
        seen = len(after)
        first_data = len(after) - len(after.lstrip(b"\0")) if after.strip(b"\0") else -1
        while seen <= TRAILING_CAP and self._more():
            piece = bytes(self.buf)
            self.buf.clear()
            if first_data < 0 and piece.strip(b"\0"):
                first_data = seen + len(piece) - len(piece.lstrip(b"\0"))
            seen += len(piece)
        trailing = 0 if first_data < 0 else seen - first_data
        if self.kind == "tar":
            return True, trailing
        return self.ended, trailing

class MemberProblem(ValueError):
    """What ended the reading of a member's content (a compressed member cut short, a bomb): said as it is, what was read
    before it kept."""


class BombProblem(MemberProblem):
    """A compressed member that expands past its budget: a decompression bomb."""


class _Uncompressed:
    """A compressed member's bytes (a gzip file, not an archive), decompressed in bounded steps: a must-gather
    node's <node>_logs_kubelet.gz, rancher's rotated kubelet-<time>.log.gz. Bytes that are not compressed are
    handed out as they are. A bomb (more than max_ratio times the member, past BOMB_FLOOR, or more than
    max_member_bytes) and damage are raised as ValueError, a member's read problem, after what came before."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw = raw
        self.first = True
        try:
            self.dec: _Decompressing | None = _Decompressing(raw, limit)
        except InputProblem as e:  # zstd: named, not read
            raise MemberProblem(str(e)) from None

    def read(self, n: int = -1) -> bytes:
        if self.dec is None:
            return b""
        try:
            out = self.dec.read(n)
        except BombError:
            raise BombProblem(f"it expands to more than {self.dec.limit} bytes (a decompression bomb?)") from None
        except (zlib.error, OSError, EOFError, lzma.LZMAError) as e:
            raise MemberProblem(f"damaged compressed data ({e}): the rest is not read") from None
        if self.first and out:
            self.first = False
            # (compressed data or an archive inside: a gzip in a gzip, a tar.gz named .gz: no text of a journal or a log)
            if self.dec.kind != "tar" and (out[:2] == b"\x1f\x8b" or out[:3] == b"BZh" or out[:6] == b"\xfd7zXZ\x00"
                                           or out[:4] == b"\x28\xb5\x2f\xfd" or out[257:262] == b"ustar"):
                raise MemberProblem("it holds compressed data or an archive, not text: not read")
        if not out and self.dec.kind != "tar":
            # the end: the compressed stream's own end marker reached, and nothing after it
            if not self.dec.ended:
                raise MemberProblem("the compressed data is cut short (no end marker): what came before the cut is read")
            if self.dec.garbage:
                raise MemberProblem(f"{self.dec.garbage} bytes after the end of the compressed data are not read")
        return out

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self.dec is not None:
            self.dec.close()
            self.dec = None
        self.raw.close()

    def __enter__(self) -> _Uncompressed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def uncompressing(m: Member, limits: Limits | None = None) -> None:
    """Make the member's reads give its decompressed bytes (gzip, bzip2 or xz by their first bytes; others as they
    are), bounded as an archive's stream: see _Uncompressed (its problems are MemberProblem)."""
    lim = limits or Limits.default()
    opener = m._open
    if m.kind != "file" or opener is None:
        return
    limit = min(lim.max_member_bytes, max(BOMB_FLOOR, m.size * lim.max_ratio))
    m._open = lambda: _Uncompressed(opener(), limit)  # type: ignore[operator]
    m._read = None


def _iter_archive(
    f: IO[bytes], label: str, walk: Walk, depth: int, compressed_size: int
) -> Iterator[tuple[str, str | None, Member] | Problem]:
    """A tar (compressed or not) or a zip, told apart by their first bytes."""
    try:
        # a zip's member seeks by inflating again from its start: a zip read through it (its index at the end, then
        # each member) is quadratic, so it is read like a stream that cannot seek (into memory, capped, below)
        seekable = bool(f.seekable()) and not isinstance(f, zipfile.ZipExtFile)
    except (AttributeError, OSError):  # tar members of a stream: their seekable() asks a stream that cannot answer
        seekable = False
    if seekable:
        head = f.read(4)
        f.seek(0)
        if head in ZIP_MAGIC:
            yield from _iter_zip(f, label, walk, depth)
            return
    elif label.lower().endswith(".zip"):
        # inside a tar the stream cannot seek, and a zip's index is at its end
        if compressed_size > NESTED_ZIP_CAP:
            yield Problem(label, f"a zip of {compressed_size} bytes inside an archive is more than the {NESTED_ZIP_CAP}-byte cap: not opened")
            return
        yield from _iter_zip(io.BytesIO(f.read(NESTED_ZIP_CAP + 1)), label, walk, depth)
        return
    yield from _iter_tar(f, label, walk, depth, compressed_size)


MAX_ZIP_ENTRIES = 200_000  # a zip's index is read whole into memory (some 600 bytes a member) before any member is


def _zip_index_count(f: IO[bytes], most: int) -> int:
    """The members a zip's central directory lists, counted up to `most` + 1 from the directory itself (not from
    the count its end record claims, which zipfile does not believe either): 46 bytes and three lengths each."""
    end = zipfile._EndRecData(f)  # type: ignore[attr-defined]  # the end record (and its zip64 form), as zipfile reads it
    if not end:
        return 0  # not a zip: zipfile says so
    size_cd, where = end[zipfile._ECD_SIZE], end[zipfile._ECD_LOCATION]  # type: ignore[attr-defined]
    start = where - size_cd
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
    if start < 0:
        return 0
    f.seek(start)
    n = done = 0
    while done + 46 <= size_cd and n <= most:
        head = f.read(46)
        if len(head) < 46 or head[:4] != b"PK\x01\x02":
            break
        k = sum(struct.unpack("<HHH", head[28:34]))
        f.seek(k, os.SEEK_CUR)
        done += 46 + k
        n += 1
    return n


def _iter_zip(f: IO[bytes], label: str, walk: Walk, depth: int) -> Iterator[tuple[str, str | None, Member] | Problem]:
    """A zip's members, with the same rules as a tar's: names checked, links recorded, never followed,
    sizes and ratios capped (each member's own compressed size is known)."""
    if depth > walk.limits.max_depth:
        yield Problem(label, f"archives nested more than {walk.limits.max_depth} deep: not opened")
        return
    try:
        listed = _zip_index_count(f, MAX_ZIP_ENTRIES)
        if listed > MAX_ZIP_ENTRIES:
            yield Problem(label, f"a zip whose index lists more than {MAX_ZIP_ENTRIES} members (read whole into memory to open it): not opened")
            return
        zip_size = f.seek(0, os.SEEK_END)
        f.seek(0)
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, struct.error) as e:
        yield Problem(label, f"not a readable zip archive (a zip is read from its index at the end: a cut upload loses it all): {e}")
        return
    start_total = walk.total_bytes
    roots: set[str] = set()
    seen: set[str] = set()
    with zf:
        for zi in zf.infolist():
            walk.members_seen += 1
            if walk.members_seen > walk.limits.max_members:
                yield Problem(label, f"more than {walk.limits.max_members} members: the rest is not read")
                return
            name = safe_name(zi.filename)
            walk.total_bytes += len(zi.filename)  # names count toward the input's bytes
            if len(zi.filename.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
                yield Problem(_shorten(zi.filename), f"member name longer than {MAX_NAME_BYTES} bytes: not read")
                continue
            if name is None:
                yield Problem(zi.filename, "member name is absolute or climbs out with '..': not read")
                continue
            if not name or zi.is_dir():
                continue
            walk.last = name
            where = _rel(name, roots)
            if name in seen:
                yield Problem(where, "duplicate member: the first copy is kept")
                continue
            seen.add(name)
            mode = zi.external_attr >> 16 if zi.create_system == 3 else 0  # unix modes only from unix zips
            try:
                mtime: float | None = float(calendar.timegm((*zi.date_time, 0, 0, 0)))
            except (ValueError, OverflowError):
                mtime = None
            if zi.flag_bits & 0x1:
                yield Problem(where, "encrypted: not read")
                continue
            # (zipfile's LZMA decoder allocates the dictionary the member declares, up to 4 GiB, with no memory limit, as
            # an xz stream's once did: such members are not read; deflate, bzip2 and stored ones are)
            if zi.compress_type == zipfile.ZIP_LZMA:
                yield Problem(where, "compressed with LZMA, which Kubesnap does not read in a zip: extract it with unzip or 7z first")
                continue
            try:
                if stat.S_ISLNK(mode):
                    target = zf.read(zi).decode("utf-8", "replace") if zi.file_size <= 4096 else ""
                    m = Member(name, "symlink", 0, mtime, target)
                elif mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                    yield Problem(where, "device file or FIFO: not read")
                    continue
                else:
                    cap = _caps(walk, where, zi.file_size, zi.compress_size, member_ratio=True)
                    if cap is not None:
                        yield cap[0]
                        if cap[1]:
                            return
                        continue
                    # the whole zip against its own size too: members each under the per-member floor add up
                    expanded = walk.total_bytes - start_total
                    if expanded > BOMB_TOTAL_FLOOR and expanded > walk.limits.max_ratio * zip_size:
                        yield Problem(where, f"expands more than {walk.limits.max_ratio}x (a decompression bomb?): the rest is not read")
                        return
                    if is_archive(name):
                        with zf.open(zi) as inner:
                            yield from _iter_archive(inner, f"{label}/{name}", walk, depth + 1, zi.file_size)
                        continue
                    m = Member(name, "file", zi.file_size, mtime, None, lambda z=zi: zf.open(z))
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as e:
                yield Problem(where, f"unreadable zip member: {e}")
                continue
            yield _place(label, name, m, roots)


def _rel(name: str, roots: set[str]) -> str:
    """A member as its bundle knows it (files/dev/mem), for problem rows; the archive's name outside bundles."""
    root = bundle_root(name) or _in_known_root(name, roots)
    return root[1] if root else name


def _place(label: str, name: str, m: Member, roots: set[str]) -> tuple[str, str | None, Member]:
    """(group key, bundle root or None for loose, member) of an archive member."""
    root = bundle_root(name) or _in_known_root(name, roots)
    if root is None:
        return f"{label}/{name}", None, m
    roots.add(root[0])
    m.path = root[1]
    return (f"{label}/{root[0]}" if root[0] else label), (root[0] or posixpath.basename(label)), m


def _caps(walk: Walk, where: str, size: int, compressed_size: int, member_ratio: bool = False) -> tuple[Problem, bool] | None:
    """The cap a member of `size` bytes breaks, if any: (problem, whether the rest of the archive is left unread).
    `compressed_size` is the whole archive's (tar) or, with `member_ratio`, the member's own (zip)."""
    lim = walk.limits
    # a member's bytes count toward the input's even when it is not read: skipping them in a stream reads them
    # (a header claiming 2^80 bytes once had tar skip forever), so a member past what the input may hold ends it
    walk.total_bytes += size
    if walk.total_bytes > lim.max_total_bytes:
        return Problem(where, f"the input holds more than {lim.max_total_bytes} bytes: the rest is not read"), True
    if compressed_size and size > BOMB_FLOOR and size > lim.max_ratio * compressed_size:
        whole = "member" if member_ratio else "archive"
        return Problem(where, f"{size} bytes from a {compressed_size}-byte {whole} expands more than {lim.max_ratio}x "
                              "(a decompression bomb): the rest is not read"), True  # fmt: skip
    if size > lim.max_member_bytes:
        return Problem(where, f"{size} bytes is more than the {lim.max_member_bytes}-byte member cap: not read"), False
    if compressed_size and not member_ratio and walk.total_bytes > BOMB_TOTAL_FLOOR and walk.total_bytes > lim.max_ratio * compressed_size:
        return Problem(where, f"expands more than {lim.max_ratio}x (a decompression bomb?): the rest is not read"), True
    return None


class _TarBudget:
    """What tar's extended headers (GNU long names and links, PAX headers) may cost: they are read whole into
    memory by tarfile, so each is capped before it is read, and their bytes count toward the archive's."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self.cap = min(MAX_HEADER_BYTES, walk.limits.max_member_bytes)
        self.chain = 0


TOTAL_CAP = "over the total cap"  # an extended header that takes the input over --max-total-bytes
_HEADER_TYPES = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_HEADER_KIND = {tarfile.GNUTYPE_LONGNAME: "long name", tarfile.GNUTYPE_LONGLINK: "long link target",
                tarfile.XGLTYPE: "global PAX header"}  # fmt: skip


class FastTarInfo(tarfile.TarInfo):
    """tarfile.TarInfo whose frombuf sums the checksum in C (sum over the bytes) instead of unpacking 504
    numbers twice (8 of the 14 microseconds a header costs). A header whose unsigned checksum matches is read
    here, field by field as tarfile reads it; any other (a signed checksum, an end-of-archive or damaged
    block, a GNU sparse header, a base-256 checksum) goes to tarfile's own frombuf, which decides.
    tests/test_hostile.py holds the two to the same result on any header."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        nts, nti = tarfile.nts, tarfile.nti  # type: ignore[attr-defined]
        if len(buf) != tarfile.BLOCKSIZE or buf[156:157] == tarfile.GNUTYPE_SPARSE or buf[148] in (0o200, 0o377):
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = nti(buf[148:156])
        except tarfile.HeaderError:
            return super().frombuf(buf, encoding, errors)
        if chksum != 256 + sum(buf) - sum(buf[148:156]):
            return super().frombuf(buf, encoding, errors)
        obj = cls()
        obj.name = nts(buf[0:100], encoding, errors)
        obj.mode = nti(buf[100:108])
        obj.uid = nti(buf[108:116])
        obj.gid = nti(buf[116:124])
        obj.size = nti(buf[124:136])
        obj.mtime = nti(buf[136:148])
        obj.chksum = chksum
        obj.type = bytes(buf[156:157])
        obj.linkname = nts(buf[157:257], encoding, errors)
        obj.uname = nts(buf[265:297], encoding, errors)
        obj.gname = nts(buf[297:329], encoding, errors)
        obj.devmajor = nti(buf[329:337])
        obj.devminor = nti(buf[337:345])
        prefix = nts(buf[345:500], encoding, errors)
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):  # V7 tar: a directory is a file named with a '/'
            obj.type = tarfile.DIRTYPE
        if obj.isdir():
            obj.name = obj.name.rstrip("/")
        if prefix and obj.type not in tarfile.GNU_TYPES:  # a ustar long name
            obj.name = prefix + "/" + obj.name
        return obj


def _capped_tarinfo(budget: _TarBudget) -> type[tarfile.TarInfo]:
    class CappedTarInfo(FastTarInfo):
        skipped: str | None = None  # why this extended header was skipped unread

        def _proc_member(self, tf: tarfile.TarFile) -> tarfile.TarInfo:
            if self.type not in _HEADER_TYPES:
                return super()._proc_member(tf)  # type: ignore[misc, no-any-return]
            budget.walk.total_bytes += self.size
            kind = _HEADER_KIND.get(self.type, "PAX header")
            reason = None
            if self.size > budget.cap:
                reason = f"a {kind} of {self.size} bytes (more than the {budget.cap}-byte cap)"
            elif budget.chain >= MAX_HEADER_CHAIN:
                reason = f"more than {MAX_HEADER_CHAIN} extended headers in a row"
            elif budget.walk.total_bytes > budget.walk.limits.max_total_bytes:
                reason = TOTAL_CAP
            if reason is not None:
                # its data is skipped unread (tar's next step seeks past it, reading in bounded pieces)
                self.offset_data = tf.fileobj.tell()
                tf.offset = self.offset_data + self._block(self.size)  # type: ignore[attr-defined]
                self.skipped = reason
                return self
            budget.chain += 1
            try:
                return super()._proc_member(tf)  # type: ignore[misc, no-any-return]
            finally:
                budget.chain -= 1

    return CappedTarInfo


def _iter_tar(
    f: IO[bytes], label: str, walk: Walk, depth: int, compressed_size: int
) -> Iterator[tuple[str, str | None, Member] | Problem]:
    if depth > walk.limits.max_depth:
        yield Problem(label, f"archives nested more than {walk.limits.max_depth} deep: not opened")
        return
    budget = _TarBudget(walk)
    try:
        # what the stream may decompress to, whatever its members claim (skipped data and padding included)
        limit = max(BOMB_TOTAL_FLOOR, walk.limits.max_ratio * compressed_size) if compressed_size else None
        # the top archive is read ahead by a thread; a nested one is not: its stream is a member of the outer one,
        # which the reader goes back to when the nested one ends
        stream = _Decompressing(f, limit, ahead=READ_AHEAD and depth == 0)
        if stream.kind == "tar":
            stream.limit = None  # an uncompressed tar is as large as it is
        tf = tarfile.open(fileobj=stream, mode="r|", bufsize=TAR_BUFSIZE, tarinfo=_capped_tarinfo(budget))  # type: ignore[call-overload]  # noqa: SIM115
    except InputProblem as e:
        yield Problem(label, str(e))
        return
    except BombError:
        yield Problem(label, f"expands more than {walk.limits.max_ratio}x (a decompression bomb?): the rest is not read")
        return
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as e:
        yield Problem(label, f"not a readable archive: {e}")
        return
    seen: set[str] = set()
    try:
        finished = yield from _tar_members(tf, label, walk, depth, compressed_size, seen, stream)
        if finished:
            complete, trailing = stream.complete(tf.offset)
            if not complete:
                where = f" after {walk.last}" if walk.last else ""
                yield Problem(label, f"archive is truncated{where}: its {stream.kind} stream ends before its end marker; what came before was read")
            if trailing:
                more = "more than " if trailing > TRAILING_CAP else ""
                yield Problem(label, f"{more}{trailing} bytes after the end of the tar archive (another archive or garbage appended): not read")
        if stream.garbage:
            yield Problem(label, f"{stream.garbage} bytes after the end of the {stream.kind} stream are not {stream.kind} data (garbage appended): not read")
    except BombError:
        yield Problem(label, f"expands more than {walk.limits.max_ratio}x (a decompression bomb?): the rest is not read")
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as e:
        where = f" after {walk.last}" if walk.last else ""
        yield Problem(label, f"archive is truncated or corrupt{where}: {e}; what came before was read")
    finally:
        tf.close()
        stream.close()


def _tar_members(
    tf: tarfile.TarFile, label: str, walk: Walk, depth: int, compressed_size: int, seen: set[str], raw: _Decompressing | None = None
) -> Generator[tuple[str, str | None, Member] | Problem, None, bool]:
    """The members of one archive; returns False when a cap stopped the reading before its end."""
    roots: set[str] = set()
    orphan: str | None = None  # why the extended header of the next member was skipped: that member is not read either

    def rel(name: str) -> str:
        return _rel(name, roots)

    while True:
        ti = tf.next()
        if ti is None:
            break
        tf.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every member it read: a stream of millions would stay in memory
        walk.members_seen += 1
        if walk.members_seen > walk.limits.max_members:
            yield Problem(label, f"more than {walk.limits.max_members} members: the rest is not read")
            return False
        skipped = getattr(ti, "skipped", None)
        if skipped == TOTAL_CAP:
            yield Problem(_shorten(ti.name), f"the input holds more than {walk.limits.max_total_bytes} bytes: the rest is not read")
            return False
        if skipped is not None:
            if ti.type == tarfile.XGLTYPE:
                yield Problem(label, f"{skipped}: skipped")
            else:
                orphan = skipped
            continue
        # a member that is not read is still skipped over, in a stream by reading its bytes: one whose header claims more
        # than the input may hold (2^80 bytes, a PAX size) ends the walk before tarfile tries to skip it (it never would)
        if (ti.isreg() or ti.type not in tarfile.SUPPORTED_TYPES) and walk.total_bytes + ti.size > walk.limits.max_total_bytes:
            yield Problem(_shorten(ti.name), f"the input holds more than {walk.limits.max_total_bytes} bytes: the rest is not read")
            return False
        name = safe_name(ti.name)
        if orphan is not None:
            yield Problem(rel(name) if name else ti.name, f"member whose name or attributes come in {orphan}: not read")
            orphan = None
            continue
        if len(ti.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES or len(ti.linkname.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            yield Problem(_shorten(ti.name), f"member name or link target longer than {MAX_NAME_BYTES} bytes: not read")
            continue
        if name is None:
            yield Problem(ti.name, "member name is absolute or climbs out with '..': not read")
            continue
        if not name:
            continue
        walk.last = name
        if ti.isdir():
            continue
        if name in seen:
            yield Problem(rel(name), "duplicate member: the first copy is kept")
            continue
        seen.add(name)
        if ti.issym():
            m = Member(name, "symlink", 0, ti.mtime, ti.linkname)
        elif ti.islnk():
            m = Member(name, "hardlink", 0, ti.mtime, ti.linkname)
        elif ti.isreg():
            cap = _caps(walk, name, ti.size, compressed_size)
            if cap is not None:
                cap[0].member = rel(name)  # as the bundle knows it: worked out only for a problem row
                yield cap[0]
                if cap[1]:
                    return False
                continue
            if is_archive(name):
                inner = tf.extractfile(ti)
                if inner is not None:
                    yield from _iter_archive(inner, f"{label}/{name}", walk, depth + 1, ti.size)
                continue
            m = Member(name, "file", ti.size, ti.mtime, None, lambda t=ti: _open_here(tf, t, raw), lambda n, t=ti: _read_here(tf, t, n, raw))
        elif ti.isdev() or ti.isfifo():
            yield Problem(rel(name), "device file or FIFO: not read")
            continue
        else:
            # a type tar does not know: its data is skipped, and counted like any member's
            cap = _caps(walk, rel(name), ti.size, compressed_size)
            if cap is not None:
                yield cap[0]
                if cap[1]:
                    return False
                continue
            yield Problem(rel(name), f"member of unknown type {ti.type!r}: not read")
            continue
        yield _place(label, name, m, roots)
    return True


class _HereReader:
    """A regular member's data read straight from the archive's decompressed stream, which stands at it.

    tarfile's own reader (extractfile: a buffered reader over a file-in-file over its stream) pulls the data
    16 KiB at a time and copies every byte four times, all under the GIL: a third of a bundle's reading time,
    and what kept a second ingest thread waiting. Here a read is one call to the decompressor, after the few
    bytes tarfile's stream holds already; its position is kept as tarfile's own, so that tar's next step (a
    seek past what was not read) is the same."""

    def __init__(self, tf: tarfile.TarFile, ti: tarfile.TarInfo, raw: _Decompressing) -> None:
        self.stream: Any = tf.fileobj  # tarfile's _Stream: its `buf` (bytes it holds) and `pos` are read and kept
        self.raw = raw
        self.at = ti.offset_data
        self.left = ti.size

    @staticmethod
    def usable(tf: tarfile.TarFile, ti: tarfile.TarInfo, raw: _Decompressing | None) -> bool:
        """Whether the stream stands at this member's data, in a form this reader knows (else: extractfile)."""
        s = tf.fileobj
        return (raw is not None and not ti.issparse() and getattr(s, "fileobj", None) is raw and getattr(s, "comptype", None) == "tar"
                and isinstance(getattr(s, "buf", None), bytes) and getattr(s, "pos", None) == ti.offset_data)  # fmt: skip

    def read(self, n: int = -1) -> bytes:
        want = self.left if n is None or n < 0 else min(n, self.left)
        if want <= 0:
            return b""
        s = self.stream
        if s.pos != self.at:
            raise tarfile.ReadError("the archive moved past this member")
        head: bytes = s.buf
        if len(head) >= want:
            out, s.buf = head[:want], head[want:]
        else:
            s.buf = b""
            rest = self.raw.read(want - len(head))
            out = head + rest if head else rest
        s.pos += len(out)
        self.at += len(out)
        self.left -= len(out)
        if len(out) != want:
            raise tarfile.ReadError("unexpected end of data")  # what extractfile's reader says of a cut member
        return out

    def close(self) -> None:
        """Nothing to free: tar's next step seeks past the data not read."""

    def __enter__(self) -> _HereReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_here(tf: tarfile.TarFile, ti: tarfile.TarInfo, raw: _Decompressing | None) -> IO[bytes]:
    """A regular member's data as a stream: read straight from the archive's stream where it stands at it."""
    if _HereReader.usable(tf, ti, raw):
        assert raw is not None
        return _HereReader(tf, ti, raw)  # type: ignore[return-value]
    f = tf.extractfile(ti)
    assert f is not None
    return f


def _read_here(tf: tarfile.TarFile, ti: tarfile.TarInfo, limit: int | None, raw: _Decompressing | None = None) -> bytes | None:
    """The first `limit` bytes of a member (all with None) read straight from the archive's stream, which stands
    at the member's data: 11 us less than tarfile's extractfile, a buffered reader over a file-in-file, for each
    small member. None where that does not hold (a sparse member, the stream moved on): the caller opens it."""
    if ti.issparse() or tf.fileobj.tell() != ti.offset_data:
        return None
    want = ti.size if limit is None or limit < 0 else min(limit, ti.size)
    if _HereReader.usable(tf, ti, raw):
        assert raw is not None
        return _HereReader(tf, ti, raw).read(want)
    data: bytes = tf.fileobj.read(want)
    if len(data) != want:
        raise tarfile.ReadError("unexpected end of data")  # what extractfile's reader says of a cut member
    return data


def _shorten(name: str) -> str:
    """A name fit for a problem row: a long one is cut, with its length said."""
    return name if len(name) <= 200 else f"{name[:200]}... ({len(name)} characters)"
