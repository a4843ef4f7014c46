"""The search index of every log and journal line, built during ingest; used by `kubesnap grep` and the log signature rules.

A block is a run of about BLOCK_BYTES of message text, contiguous in (file, line) order. For each block
the index keeps which 4-gram hashes occur in it: text lowercased (ASCII letters only), every four
consecutive bytes hashed to 16 bits. It is stored transposed, per part (up to PART_BLOCKS blocks of one
snapshot): one row per hash with a bitset of the part's blocks that hold it (`grep_trigrams`), so a query
reads only the rows of its own 4-grams. A pattern's required 4-grams (`required`) select the candidate
blocks; the pattern itself (RE2, in DuckDB) is then run on the candidates' lines only. The index answers
"which blocks may hold a match", never "which lines match": a wrong or missing candidate only costs time
if it is a superset, so every 4-gram of every line is in its block's set, and a pattern's requirement
is derived conservatively (any construct not understood requires nothing).

The index is built from the lines as stored (after partial lines were joined), with numpy over whole
batches: no Python code runs per line.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

GRAM = 4  # 4-grams: ids of hex digits saturate the 4,096 hex trigrams of any block, not the 65,536 4-grams
BLOCK_BYTES = 256 * 1024
PART_BLOCKS = 512
BATCH_ROWS = 16384
BATCH_BYTES = 64 * 1024 * 1024  # about the most text one batch of lines holds (a line is at most analyzer.bulk.MAX_LINE)
TIERS = (0, 4096, 65536)  # lines are read by length: those of a tier in batches of BATCH_BYTES // (the next tier's start)
CHUNK_BYTES = 256 * 1024  # of text hashed at once: its arrays (about 15 times this) stay in a core's cache (2 MiB: 1.6x slower)
SORT_RUNS = 64  # a batch in more runs of blocks than this (and than 1/256 of its lines) is put in block order first
HASH_THREADS = max(1, min(os.cpu_count() or 1, 4))  # hash batches while DuckDB reads the next (numpy releases the GIL)
MAX_PREDICATE_RANGES = 256  # beyond: a scan of every line costs less than the predicate

_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[65:91] += 32
_MUL = np.uint32(2654435761)  # Knuth's multiplicative hash: the top 16 bits of the product


# ------------------------------------------------------------------ hashing


def _hash32(data: np.ndarray) -> np.ndarray:
    """text_hashes as uint32 (no narrowing copy): the index's inner loop.

    Lowercased by arithmetic (a byte in A-Z gets bit 5 set), as _LOWER does: a lookup in that table goes
    through an index array of 8-byte integers, and took 1.4 of the 4.3 ns a byte the hashing cost."""
    b = np.less(np.subtract(data, np.uint8(65)), np.uint8(26)).view(np.uint8)
    b <<= np.uint8(5)
    b |= data
    quad = np.ndarray(shape=(len(b) - GRAM + 1,), dtype="<u4", buffer=b, offset=0, strides=(1,))  # b[i..i+3] as one number, no copy
    h = quad * _MUL
    h >>= np.uint32(16)
    return h


def text_hashes(data: np.ndarray) -> np.ndarray:
    """The 16-bit hash of the GRAM bytes starting at each position of `data` (lowercased here); len - GRAM + 1 values."""
    if len(data) < GRAM:
        return np.empty(0, np.uint16)
    return _hash32(data).astype(np.uint16)


def gram_hash(gram: bytes) -> int:
    """The hash of one (already lowercased) n-gram, as text_hashes computes it."""
    return ((int.from_bytes(gram, "little") * int(_MUL)) & 0xFFFFFFFF) >> 16


def text_grams(text: bytes) -> set[bytes]:
    """Every n-gram of `text` as the index sees it (lowercased): for tests and small inputs."""
    low = bytes(_LOWER[np.frombuffer(text, np.uint8)]) if text else b""
    return {low[i : i + GRAM] for i in range(len(low) - GRAM + 1)}


# ------------------------------------------------------------------ a pattern's required 4-grams


class _Unknown(Exception):
    """A construct the extraction does not understand: the pattern then requires nothing."""


@dataclass
class _Lit:
    text: str
    ci: bool


@dataclass
class _Any:
    """Matches something unknown (or nothing): breaks a literal run."""


@dataclass
class _Group:
    alts: list[list[object]]  # alternatives, each a sequence of nodes


MAX_PATTERN = 4096
MAX_ALTERNATIVES = 16
_ESC_ZERO = set("bBAzQE")  # handled below; others are classes or unknown
_ESC_CLASS = set("dDwWsSpPCX")


class _Parser:
    """A conservative reader of RE2 syntax: literals, groups, alternation, classes, quantifiers, flags."""

    def __init__(self, pattern: str, ci: bool) -> None:
        self.p = pattern
        self.i = 0
        self.ci = ci

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def parse(self) -> _Group:
        g = self.alt()
        if self.i != len(self.p):
            raise _Unknown("unbalanced )")
        return g

    def alt(self) -> _Group:
        saved = self.ci
        alts = [self.concat()]
        while self.peek() == "|":
            self.i += 1
            alts.append(self.concat())
        self.ci = saved
        return _Group(alts)

    def concat(self) -> list[object]:
        seq: list[object] = []
        while self.i < len(self.p) and self.peek() not in "|)":
            node = self.atom()
            if node is None:
                continue
            q = self.peek()
            if q in ("*", "?"):
                self.i += 1
                node = _Any()
            elif q == "+":
                self.i += 1
                seq.append(node)
                node = _Any()
            elif q == "{":
                j = self.p.find("}", self.i)
                body = self.p[self.i + 1 : j] if j > 0 else ""
                lo = body.split(",", 1)[0]
                if j < 0 or not lo.isdecimal() or not all(x.isdecimal() for x in body.split(",", 1)[1:] if x):
                    raise _Unknown("repetition")
                self.i = j + 1
                if int(lo) >= 1:
                    seq.append(node)
                node = _Any()
            else:
                seq.append(node)
                continue
            if self.peek() == "?":  # non-greedy
                self.i += 1
            if self.peek() in ("*", "+", "?", "{"):
                raise _Unknown("repeated quantifier")
            seq.append(node)
        return seq

    def atom(self) -> object | None:
        c = self.p[self.i]
        self.i += 1
        if c == "(":
            if self.p.startswith("?", self.i):
                if self.p.startswith("?P<", self.i) or self.p.startswith("?<", self.i):
                    j = self.p.find(">", self.i)
                    if j < 0:
                        raise _Unknown("group name")
                    self.i = j + 1
                else:
                    j = self.i + 1
                    while j < len(self.p) and (self.p[j].isalpha() or self.p[j] == "-"):
                        j += 1
                    flags = self.p[self.i + 1 : j]
                    if j >= len(self.p) or self.p[j] not in ":)" or not all(f in "imsU-" for f in flags):
                        raise _Unknown("group flags")
                    on = flags.split("-", 1)[0]
                    off = flags.split("-", 1)[1] if "-" in flags else ""
                    ci = (self.ci or "i" in on) and "i" not in off
                    self.i = j + 1
                    if self.p[j] == ")":  # (?i) for the rest of the enclosing group
                        self.ci = ci
                        return None
                    saved = self.ci
                    self.ci = ci
                    g = self.alt()
                    self.ci = saved
                    if self.peek() != ")":
                        raise _Unknown("unclosed group")
                    self.i += 1
                    return g
            g = self.alt()
            if self.peek() != ")":
                raise _Unknown("unclosed group")
            self.i += 1
            return g
        if c == "[":
            self._skip_class()
            return _Any()
        if c in ".^$":
            return _Any()
        if c in "*+?{)":
            raise _Unknown("misplaced operator")
        if c == "\\":
            if self.i >= len(self.p):
                raise _Unknown("trailing backslash")
            e = self.p[self.i]
            self.i += 1
            if e == "Q":
                j = self.p.find("\\E", self.i)
                j = len(self.p) if j < 0 else j
                text = self.p[self.i : j]
                self.i = min(len(self.p), j + 2)
                return _Group([[_Lit(ch, self.ci) for ch in text]])
            if e in "pP":
                if self.peek() == "{":
                    j = self.p.find("}", self.i)
                    if j < 0:
                        raise _Unknown("class name")
                    self.i = j + 1
                else:
                    self.i += 1
                return _Any()
            if e in _ESC_CLASS or e in "bBAz":
                return _Any()
            if e.isascii() and not e.isalnum():
                return _Lit(e, self.ci)
            return _Any()  # \n \t \x41 \141 ...: a character, but not one this reads as a literal
        return _Lit(c, self.ci)

    def _skip_class(self) -> None:
        p = self.p
        i = self.i
        if i < len(p) and p[i] == "^":
            i += 1
        if i < len(p) and p[i] == "]":
            i += 1
        while i < len(p):
            if p[i] == "\\":
                i += 2
                continue
            if p.startswith("[:", i):
                j = p.find(":]", i + 2)
                if j < 0:
                    raise _Unknown("class")
                i = j + 2
                continue
            if p[i] == "]":
                self.i = i + 1
                return
            i += 1
        raise _Unknown("unclosed class")


DNF = list[frozenset[bytes]]  # alternatives, each the 4-grams that must all be present


def _run_trigrams(run: list[_Lit]) -> set[bytes]:
    """Trigrams of a literal run as the index holds them; under case folding only ASCII without k and s
    (K folds to the Kelvin sign, S to the long s: a line holding those has other bytes)."""
    out: set[bytes] = set()
    chars: list[bytes | None] = []
    for lit in run:
        raw = lit.text.encode("utf-8", "surrogatepass")
        if lit.ci:
            low = lit.text.lower()
            if not lit.text.isascii() or low in ("k", "s"):
                chars.extend([None] * len(raw))
                continue
            raw = low.encode()
        else:
            raw = bytes(_LOWER[np.frombuffer(raw, np.uint8)])
        chars.extend(raw[i : i + 1] for i in range(len(raw)))
    for i in range(len(chars) - GRAM + 1):
        window = chars[i : i + GRAM]
        if all(x is not None for x in window):
            out.add(b"".join(x for x in window if x is not None))
    return out


def _seq_dnf(seq: list[object]) -> DNF:
    conj: set[bytes] = set()
    run: list[_Lit] = []
    groups: list[DNF] = []
    for node in [*seq, _Any()]:
        if isinstance(node, _Lit):
            run.append(node)
            continue
        conj |= _run_trigrams(run)
        run = []
        if isinstance(node, _Group):
            groups.append(_group_dnf(node))
    out: DNF = [frozenset(conj)]
    for g in groups:
        if len(g) == 1:
            out = [c | g[0] for c in out]
        elif len(out) * len(g) <= MAX_ALTERNATIVES:
            out = [c | d for c in out for d in g]
        # else: that group's requirement is dropped (weaker, still right)
    return out


def _group_dnf(g: _Group) -> DNF:
    out: DNF = []
    for seq in g.alts:
        d = _seq_dnf(seq)
        if any(not c for c in d):
            return [frozenset()]  # an alternative that requires nothing
        out += d
    if len(out) > MAX_ALTERNATIVES:
        return [frozenset()]
    return out


def required(pattern: str, ignore_case: bool = False, fixed: bool = False) -> DNF | None:
    """The 4-grams a line must hold to match `pattern` (RE2 syntax, or a fixed string): alternatives, each a set
    that must all be present. None when nothing is required (every block is a candidate)."""
    if fixed:
        d = [frozenset(_run_trigrams([_Lit(ch, ignore_case) for ch in pattern]))]
    else:
        if len(pattern) > MAX_PATTERN:
            return None
        try:
            d = _group_dnf(_Parser(pattern, ignore_case).parse())
        except (_Unknown, IndexError):
            return None
    if not d or any(not c for c in d):
        return None
    return d


MIN_LITERAL = 3


def required_literal(pattern: str, ignore_case: bool = False) -> str | None:
    """A run of literal text every match of `pattern` (RE2, case-sensitive) contains, the longest one, of at least
    MIN_LITERAL characters; None when there is none (alternatives at the top, no such run, any construct not
    understood, case folding). A scan runs a plain substring search before RE2: on a line without the run RE2 is
    never started (the scan of 29 M lines for `latency="9\\d\\d\\.\\dms"`: 1.97 -> 1.69 s)."""
    if ignore_case or len(pattern) > MAX_PATTERN:
        return None
    try:
        top = _Parser(pattern, False).parse()
    except (_Unknown, IndexError):
        return None
    if len(top.alts) != 1:
        return None
    best, run = "", ""
    for node in [*top.alts[0], _Any()]:
        if isinstance(node, _Lit) and not node.ci:
            run += node.text
            continue
        best = max(best, run, key=len)
        run = ""
    return best if len(best) >= MIN_LITERAL else None


# ------------------------------------------------------------------ building (the ingest's hook)


@dataclass(frozen=True)
class Source:
    """Lines to index: `sql` selects (k, line_no, message) where k is the file_id (logs) or the member (journal)."""

    kind: str  # log or journal
    snapshot_id: str
    sql: str
    params: Sequence[object] = ()


def index_lines(con: duckdb.DuckDBPyConnection, src: Source) -> int:
    """Index the lines `src` selects (inside the caller's transaction); returns the number of blocks."""
    members: list[str] = []
    if src.kind == "journal":
        members = [r[0] for r in con.execute(f"SELECT DISTINCT k FROM ({src.sql}) ORDER BY k", list(src.params)).fetchall()]
        con.register("_gmem", pa.table({"k": pa.array(members, pa.string()), "kid": pa.array(range(len(members)), pa.int64())}))
        lines = f"SELECT m.kid, s.line_no, s.message FROM ({src.sql}) s JOIN _gmem m USING (k)"
    else:
        lines = f"SELECT k AS kid, line_no, message FROM ({src.sql})"
    try:
        return _index(con, src, lines, members)
    finally:
        if src.kind == "journal":
            con.unregister("_gmem")


def _blocks(con: duckdb.DuckDBPyConnection, src: Source, lines: str) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """The blocks of the lines: each one's first and last key (kid << 32 | line_no), and the longest line
    of each length tier that has lines.

    One aggregate per kid (no sort of the lines: a sort of 20 M keys inside the ingest's transaction ran
    DuckDB out of its memory limit). A line's place in the site's text is estimated from its file's
    size and line count (its line number times the file's mean line length); a block is about
    BLOCK_BYTES of that estimate. Blocks are contiguous in key order and cover every line, whatever the
    lengths: an uneven file only makes some blocks larger than others."""
    tiers = ", ".join(
        f"max(n) FILTER (WHERE n >= {lo}" + (f" AND n < {TIERS[i + 1]})" if i + 1 < len(TIERS) else ")") for i, lo in enumerate(TIERS)
    )
    agg = con.sql(f"""SELECT kid, min(line_no) AS lo, max(line_no) AS hi, sum(n) AS b, {tiers}
                      FROM (SELECT kid, line_no, strlen(message) + 1 AS n FROM ({lines})) GROUP BY kid ORDER BY kid""",
                  params=list(src.params)).fetchnumpy()  # fmt: skip
    kid = agg["kid"].astype(np.int64)
    if len(kid) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), {}
    lo, hi, size = agg["lo"].astype(np.int64), agg["hi"].astype(np.int64), agg["b"].astype(np.int64)
    longest = {}
    for i, name in enumerate(list(agg)[4:]):
        col = np.ma.masked_invalid(np.ma.asarray(agg[name], dtype=np.float64))
        if col.count():
            longest[i] = int(col.max())
    span = hi - lo + 1
    start = np.cumsum(size) - size  # each file's first byte in the text of all
    per_line = size / span
    b0 = start // BLOCK_BYTES
    b1 = (start + ((span - 1) * per_line).astype(np.int64)) // BLOCK_BYTES
    count = b1 - b0 + 1
    pair = np.repeat(np.arange(len(kid)), count)  # (file, block) pairs, in key order
    b = b0[pair] + np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
    # the first line of block b in its file: the file's first, or the first whose estimated start reaches b's start
    t = np.ceil((b * BLOCK_BYTES - start[pair]) / per_line[pair]).astype(np.int64)
    line = np.where(b == b0[pair], lo[pair], lo[pair] + np.clip(t, 1, span[pair] - 1))
    opening = np.r_[True, b[1:] != b[:-1]]
    first = np.unique((kid[pair[opening]] << 32) | line[opening])
    # a block ends at the line before the next one's first: in the same file, or the last of the file before
    nk, nl = first[1:] >> 32, first[1:] & 0xFFFFFFFF
    f = np.searchsorted(kid, nk)
    same = nl > lo[f]
    last_kid = np.where(same, nk, kid[np.maximum(f - 1, 0)])
    last_line = np.where(same, nl - 1, hi[np.maximum(f - 1, 0)])
    last = np.r_[(last_kid << 32) | last_line, (kid[-1] << 32) | hi[-1]]
    return first, last, longest


def _index(con: duckdb.DuckDBPyConnection, src: Source, lines: str, members: list[str]) -> int:
    first, last, longest = _blocks(con, src, lines)
    nblocks = len(first)
    if nblocks == 0:
        return 0
    nparts = (nblocks + PART_BLOCKS - 1) // PART_BLOCKS
    part_ids = [int(r[0]) for r in con.execute(f"SELECT nextval('grep_part_ids') FROM range({nparts}) ORDER BY 1").fetchall()]

    def k_of(key: np.ndarray) -> pa.Array:
        kid = key >> 32
        return pa.array([members[int(i)] for i in kid] if members else [str(int(i)) for i in kid], pa.string())

    line_of = (first & 0xFFFFFFFF).astype(np.int32), (last & 0xFFFFFFFF).astype(np.int32)
    con.register("_gblocks", pa.table({
        "part_id": pa.array(np.repeat(np.array(part_ids, np.int64), PART_BLOCKS)[:nblocks]),
        "block": pa.array((np.arange(nblocks) % PART_BLOCKS).astype(np.int32)),
        "k_lo": k_of(first), "line_lo": pa.array(line_of[0]), "k_hi": k_of(last), "line_hi": pa.array(line_of[1]),
    }))  # fmt: skip
    try:
        con.execute("INSERT INTO grep_blocks SELECT part_id, block, ?, ?, k_lo, line_lo, k_hi, line_hi FROM _gblocks", [src.snapshot_id, src.kind])
    finally:
        con.unregister("_gblocks")
    with ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="kubesnap-index") as pool:
        for p in range(nparts):
            _index_part(con, src, lines, first, last, longest, p, part_ids[p], nblocks, pool)
    return nblocks


def _index_part(con: duckdb.DuckDBPyConnection, src: Source, lines: str, first: np.ndarray, last: np.ndarray,
                longest: dict[int, int], p: int, part_id: int, nblocks: int, pool: ThreadPoolExecutor) -> None:  # fmt: skip
    """One part's rows of grep_trigrams: DuckDB reads the part's lines batch by batch while the pool hashes
    the batches read (at most HASH_THREADS of them, and BATCH_BYTES of text, waiting at once)."""
    lo_b, hi_b = p * PART_BLOCKS, min(nblocks, (p + 1) * PART_BLOCKS) - 1
    width = (hi_b - lo_b + 8) // 8  # bytes of a hash's bitset: one bit per block of the part
    seen = np.zeros((width * 8) << 16, np.uint8)  # (block, hash) -> 1 when the block holds a 4-gram of that hash; rows up to a multiple of 8
    a, z = int(first[lo_b]), int(last[hi_b])
    ka, la, kz, lz = a >> 32, a & 0xFFFFFFFF, z >> 32, z & 0xFFFFFFFF
    where = "kid = ? AND line_no BETWEEN ? AND ?" if ka == kz else "(kid BETWEEN ? AND ? AND (kid > ? OR line_no >= ?) AND (kid < ? OR line_no <= ?))"
    params = [ka, la, lz] if ka == kz else [ka, kz, ka, la, kz, lz]
    pending: deque[tuple[Future[None], int]] = deque()
    waiting = 0
    # short lines many at a time, long ones a few: a batch holds at most about BATCH_BYTES of text
    for t, most in sorted(longest.items()):
        size = f"strlen(message) + 1 >= {TIERS[t]}" + (f" AND strlen(message) + 1 < {TIERS[t + 1]}" if t + 1 < len(TIERS) else "")
        rows = max(1, min(BATCH_ROWS, BATCH_BYTES // most))
        reader = con.sql(f"SELECT * FROM ({lines}) WHERE {where} AND {size}", params=[*src.params, *params]).to_arrow_reader(rows)
        for batch in reader:
            if not batch.num_rows:
                continue
            pending.append((pool.submit(_mark, seen, first, lo_b, batch), batch.nbytes))
            waiting += batch.nbytes
            while pending and (len(pending) > HASH_THREADS or waiting > BATCH_BYTES):
                done, n = pending.popleft()
                done.result()
                waiting -= n
    while pending:
        pending.popleft()[0].result()
    # bit k of byte g of a hash's bitset is block 8g + k: eight rows of blocks OR-ed into one row of bytes, then turned
    # to one row per hash (np.packbits over the transposed rows held the GIL for the whole part, and read them by strides)
    eights = seen.reshape(width, 8, 1 << 16)
    packed = eights[:, 0, :].copy()
    for k in range(1, 8):
        packed |= eights[:, k, :] << np.uint8(k)
    del seen, eights
    bits = np.ascontiguousarray(packed.T)
    nz = np.flatnonzero(bits.any(axis=1))
    offsets = np.arange(len(nz) + 1, dtype=np.int32) * np.int32(width)
    col = pa.BinaryArray.from_buffers(pa.binary(), len(nz), [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(bits[nz]))])
    con.register("_gtri", pa.table({"h": pa.array(nz.astype(np.int32)), "bits": col}))
    try:
        con.execute("INSERT INTO grep_trigrams SELECT ?, h, bits FROM _gtri", [part_id])
    finally:
        con.unregister("_gtri")


def _mark(seen: np.ndarray, first: np.ndarray, lo_b: int, batch: pa.RecordBatch) -> None:
    """Set seen[(block << 16) | hash] for every 4-gram of the batch's lines, CHUNK_BYTES of text at a time.

    Each run of lines of one block is hashed into that block's row of `seen`, with no per-position block number to
    build. Lines mostly come in block order (a block's lines one run); a batch that comes in a few runs of row groups
    out of order is hashed run by run as it is, and only one of many short runs is put in order first (a copy of its
    text, and the import of pyarrow.compute: 0.02 s)."""
    bkey = (batch.column(0).to_numpy().astype(np.int64) << 32) | (batch.column(1).to_numpy().astype(np.int64) & 0xFFFFFFFF)
    local = np.searchsorted(first, bkey, side="right") - 1 - lo_b  # each line's block in the part
    msg = batch.column(2)  # string as DuckDB hands it (no cast: pyarrow.compute's import alone costs a process 0.02 s)
    if not (pa.types.is_string(msg.type) or pa.types.is_large_string(msg.type)):
        msg = msg.cast(pa.large_string())
    runs = np.flatnonzero(local[1:] != local[:-1]) + 1  # where each run of one block's lines starts (the first aside)
    if len(runs) > max(SORT_RUNS, len(local) // 256) and bool((local[1:] < local[:-1]).any()):
        order = np.argsort(local, kind="stable")
        local, msg = local[order], msg.take(pa.array(order))
        runs = np.flatnonzero(local[1:] != local[:-1]) + 1
    wide = pa.types.is_large_string(msg.type)
    off = np.frombuffer(msg.buffers()[1], np.int64 if wide else np.int32)[msg.offset : msg.offset + len(msg) + 1].astype(np.int64)
    text = np.frombuffer(msg.buffers()[2], np.uint8) if msg.buffers()[2] is not None else np.empty(0, np.uint8)
    stop = int(off[-1])
    rows = seen.reshape(-1, 1 << 16)
    for s, e in zip(np.r_[0, runs].tolist(), np.r_[runs, len(local)].tolist(), strict=True):
        row = rows[int(local[s])]
        # the 4-grams starting in the run's text; one across its end (into the next run) is an extra, never a missing one
        end = int(off[e])
        for p in range(int(off[s]), end, CHUNK_BYTES):
            seg = text[p : min(min(p + CHUNK_BYTES, end) + GRAM - 1, stop)]
            if len(seg) >= GRAM:
                row[_hash32(seg).astype(np.intp)] = 1  # an index of intp: numpy's own cast of uint32 costs twice the scatter


def index_snapshot_logs(con: duckdb.DuckDBPyConnection, snapshot_id: str, file_range: tuple[int, int]) -> int:
    """The ingest's hook for a bundle: its log files' lines and its journal lines (inside its transaction)."""
    lo, hi = file_range
    n = 0
    if hi >= lo:
        n += index_lines(con, Source("log", snapshot_id,
                                     "SELECT file_id AS k, line_no, message FROM log_lines WHERE file_id BETWEEN ? AND ? "
                                     "AND file_id IN (SELECT file_id FROM log_files WHERE snapshot_id = ?)", (lo, hi, snapshot_id)))  # fmt: skip
    n += index_lines(con, Source("journal", snapshot_id, "SELECT member AS k, line_no, message FROM journal WHERE snapshot_id = ?", (snapshot_id,)))
    return n


def cluster(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite grep_trigrams ordered by hash (in one transaction; after an ingest): each ingest appends its parts'
    rows, so one hash's rows lie in every row group and a query's few hashes read the bitsets of the whole table
    (0.10 s on a 29 M-line site); clustered, DuckDB's zone maps skip all but a few (0.013 s)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("SET preserve_insertion_order = true")  # the order of the ORDER BY is the order stored
        con.execute("CREATE OR REPLACE TEMP TABLE _gsorted AS SELECT * FROM grep_trigrams")
        con.execute("DELETE FROM grep_trigrams")
        con.execute("INSERT INTO grep_trigrams SELECT * FROM _gsorted ORDER BY h, part_id")
        con.execute("DROP TABLE _gsorted")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("SET preserve_insertion_order = false")  # a writer's setting (analyzer.store.connect)


def delete_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> None:
    con.execute("DELETE FROM grep_trigrams WHERE part_id IN (SELECT part_id FROM grep_blocks WHERE snapshot_id = ?)", [snapshot_id])
    con.execute("DELETE FROM grep_blocks WHERE snapshot_id = ?", [snapshot_id])


# ------------------------------------------------------------------ querying


@dataclass(frozen=True)
class Range:
    kind: str
    snapshot_id: str
    k_lo: str
    line_lo: int
    k_hi: str
    line_hi: int


def block_count(con: duckdb.DuckDBPyConnection, snapshot_ids: Iterable[str]) -> int:
    """The index blocks of these snapshots."""
    snaps = sorted(set(snapshot_ids))
    return int(con.execute("SELECT count(*) FROM grep_blocks WHERE list_contains(?, snapshot_id)", [snaps]).fetchall()[0][0])


def candidates(con: duckdb.DuckDBPyConnection, dnf: DNF | None, snapshot_ids: Iterable[str]) -> list[Range] | None:
    """The blocks of these snapshots that may hold a line with the required 4-grams (None: every block)."""
    if dnf is None:
        return None
    snaps = sorted(set(snapshot_ids))
    hashes = sorted({gram_hash(t) for c in dnf for t in c})
    con.register("_gsnaps", pa.table({"s": pa.array(snaps, pa.string())}))
    try:
        parts = con.execute(
            """SELECT part_id, max(block) FROM grep_blocks WHERE snapshot_id IN (SELECT s FROM _gsnaps) GROUP BY part_id"""
        ).fetchall()
        rows = con.execute(
            f"""SELECT t.part_id, t.h, t.bits FROM grep_trigrams t WHERE t.h IN ({", ".join(map(str, hashes))})
                AND t.part_id IN (SELECT part_id FROM grep_blocks WHERE snapshot_id IN (SELECT s FROM _gsnaps))"""
        ).fetchall()
    finally:
        con.unregister("_gsnaps")
    width = {int(p): int(mb) // 8 + 1 for p, mb in parts}
    got: dict[tuple[int, int], np.ndarray] = {(int(p), int(h)): np.frombuffer(b, np.uint8) for p, h, b in rows}
    picked: list[tuple[int, int]] = []
    for part, w in width.items():
        any_bits = np.zeros(w, np.uint8)
        for conj in dnf:
            acc = np.full(w, 0xFF, np.uint8)
            for t in conj:
                v = got.get((part, gram_hash(t)))
                if v is None:
                    acc[:] = 0
                    break
                acc &= v[:w]
            any_bits |= acc
        for b in np.flatnonzero(np.unpackbits(any_bits, bitorder="little")):
            picked.append((part, int(b)))
    if not picked:
        return []
    con.register("_gpick", pa.table({"part_id": pa.array([p for p, _ in picked], pa.int64()), "block": pa.array([b for _, b in picked], pa.int32())}))
    try:
        out = con.execute(
            """SELECT kind, snapshot_id, k_lo, line_lo, k_hi, line_hi FROM grep_blocks JOIN _gpick USING (part_id, block)
               ORDER BY kind, snapshot_id, k_lo, line_lo"""
        ).fetchall()
    finally:
        con.unregister("_gpick")
    return [Range(*r) for r in out]


def index_loose(con: duckdb.DuckDBPyConnection, log_files: dict[str, list[int]], snapshot_ids: Iterable[str]) -> None:
    """The ingest's hook for loose captures: the lines just written from _loose_lines / _loose_journal, per snapshot."""
    for sid, ids in sorted(log_files.items()):
        if not ids:
            continue
        con.register("_gids", pa.table({"file_id": pa.array(ids, pa.int64())}))
        try:
            index_lines(con, Source("log", sid, "SELECT file_id AS k, line_no, message FROM _loose_lines WHERE file_id IN (SELECT file_id FROM _gids)"))
        finally:
            con.unregister("_gids")
    for sid in snapshot_ids:
        index_lines(con, Source("journal", sid, "SELECT member AS k, line_no, message FROM _loose_journal WHERE snapshot_id = ?", (sid,)))


def union(dnfs: Iterable[DNF | None]) -> DNF | None:
    """Lines matching any of several patterns: None (no narrowing) as soon as one requires nothing."""
    out: DNF = []
    for d in dnfs:
        if d is None:
            return None
        out += d
    return out


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def range_predicate(ranges: list[Range] | None, kind: str, key: str, line: str, snapshot: str = "") -> str:
    """SQL that keeps the lines of `kind` inside the candidate ranges (constants only, so that DuckDB skips the
    row groups outside them); "true" when every line is a candidate, "false" when none is."""
    if ranges is None or len(ranges) > MAX_PREDICATE_RANGES:
        return "true"
    out = []
    for r in ranges:
        if r.kind != kind:
            continue
        if kind == "log":
            a, z = str(int(r.k_lo)), str(int(r.k_hi))
        else:
            a, z = _lit(r.k_lo), _lit(r.k_hi)
        snap = f"{snapshot} = {_lit(r.snapshot_id)} AND " if snapshot else ""
        out.append(f"({snap}{key} BETWEEN {a} AND {z} AND ({key} > {a} OR {line} >= {int(r.line_lo)}) AND ({key} < {z} OR {line} <= {int(r.line_hi)}))")
    return "(" + " OR ".join(out) + ")" if out else "false"
