"""Decoding and cleaning of text captures (files, pastes, command output)."""

from __future__ import annotations

import re
from typing import IO, Protocol


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...

# what kubectl, crictl and docker print on stderr when a command fails
TOOL_ERRORS = ("Error from server", "error: ", "Error: ", "Error response from daemon:", "Unable to connect to the server",
               "The connection to the server ", "command terminated with exit code ", "Error while dialing")  # fmt: skip


def tool_failure(text: str) -> str | None:
    """The error a capture holds instead of the output its command should have printed (an RBAC `Forbidden`, a server
    not reached): its first line, when the capture starts with one."""
    first = next((ln.strip() for ln in text.splitlines()[:5] if ln.strip()), "")
    return first[:300] if first.startswith(TOOL_ERRORS) else None


# What collectors and shells print instead of output; recognized in one place (STYLE.md).
COLLECTOR_ERRORS = re.compile(
    r"^(?:.*: )?(?:command not found|No such file or directory|permission denied|Permission denied|"
    r"connect: connection refused|The connection to the server .* was refused)",
)


# terminal escape sequences a paste carries (grep --color, kubectl plugins, a prompt's colours): CSI (ESC [ or the
# 8-bit 0x9b, parameters, intermediates, a final byte), OSC (to BEL or ESC \) and two-byte escapes. Each part is
# a class disjoint from the next: the match is linear, whatever the text.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """The text without terminal escape sequences (colours, cursor moves, titles): what the terminal showed."""
    return _ANSI.sub("", text) if "\x1b" in text or "\x9b" in text else text


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the best legacy guess, never an error.

    Korean sites often log in EUC-KR (CP949); Latin-1 decodes anything. Invalid UTF-8
    inside mostly-UTF-8 text is replaced, not dropped.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if _mostly_utf8(data):
            return data.decode("utf-8", "replace")
    for enc in ("cp949", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")  # pragma: no cover - latin-1 never fails


def detect_encoding(head: bytes) -> str:
    """How to read a stream that starts with `head`: utf-8, cp949 (EUC-KR) or latin-1.

    The same choice as `decode`, made once from a file's first bytes so that a large file can
    be transcoded as a stream (a character cut at the end of `head` is not an error).
    """
    import codecs

    head = head.removeprefix(b"\xef\xbb\xbf")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(head):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("cp949")().decode(head, final=False)
        return "cp949"
    except UnicodeDecodeError:
        pass
    return "latin-1" if control_bytes(head) * 100 < len(head) else "utf-8"


_CONTROL = bytes(range(9)) + bytes(range(14, 32))


def control_bytes(data: bytes) -> int:
    """How many bytes of `data` are control characters other than tab, newlines, VT, FF and CR (C speed)."""
    return len(data) - len(data.translate(None, _CONTROL))


class Transcoded:
    """A binary stream read in another encoding, handed out as UTF-8 (C-level codecs, no per-line Python)."""

    def __init__(self, raw: IO[bytes], encoding: str, head: bytes = b"") -> None:
        import codecs

        self.raw = raw
        self.head = head
        self.dec = codecs.getincrementaldecoder(encoding)(errors="replace")

    def read(self, n: int = -1) -> bytes:
        data, self.head = (self.head, b"") if self.head else (self.raw.read(n), b"")
        final = not data
        return self.dec.decode(data, final=final).encode("utf-8") if data or final else b""


def utf8_stream(raw: IO[bytes], head_bytes: int = 65536) -> tuple[Readable, str]:
    """The stream as UTF-8 bytes, transcoded when its head says it is EUC-KR or Latin-1; and the encoding found."""
    head = raw.read(head_bytes)
    enc = detect_encoding(head)
    if enc == "utf-8":
        return _Chained(head, raw), enc
    return Transcoded(raw, enc, head), enc


class _Chained:
    """`head` then the rest of `raw`: a stream whose first bytes were already read."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self.head, self.raw = head, raw

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.raw.read(n)


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few broken bytes (a cut, a stray byte), not a legacy encoding: its valid multi-byte
    characters far outnumber the broken ones, or the broken ones are rare (under one in 2000 characters).
    Latin-1 or EUC-KR text has no valid multi-byte characters, and its non-ASCII bytes are common."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad  # non-ASCII characters that decoded
    # or plain ASCII with a stray broken byte here and there: legacy text has accents or hangul in every line
    return good >= 4 * bad or bad * 2000 < len(text)


_PROMPT_PREFIXES = ("# ", "> ", "$ ", "| ")


def clean_lines(text: str) -> list[str]:
    """Lines of a pasted capture: CRLF and trailing blanks removed, a common quote prefix
    ('# ', '> ' as in emails and blog posts) stripped when every non-empty line has it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [ln.rstrip() for ln in lines]
    non_empty = [ln for ln in lines if ln.strip()]
    for p in _PROMPT_PREFIXES:
        if non_empty and all(ln.startswith(p) or ln == p.strip() for ln in non_empty):
            lines = [ln[len(p) :] if ln.startswith(p) else "" for ln in lines]
            break
    return lines


def is_collector_error(text: str) -> bool:
    first = text.strip().splitlines()[0] if text.strip() else ""
    # these messages are short; the regex ('.*: ' then '.* was refused') is quadratic on a long line
    return bool(COLLECTOR_ERRORS.match(first[:1024]))


def cut_width(lines: list[str]) -> int | None:
    """The width a capture was cut at (`cut -c -150`, a terminal), when several lines end exactly there."""
    lengths = [len(ln) for ln in lines if ln]
    if len(lengths) < 3:
        return None
    widest = max(lengths)
    if widest >= 60 and lengths.count(widest) >= 2:
        return widest
    return None
