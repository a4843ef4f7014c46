"""Decoding and cleaning of text captures (files, pastes, command output)."""

from __future__ import annotations

import re

# What collectors and shells print instead of output; recognized in one place (STYLE.md).
COLLECTOR_ERRORS = re.compile(
    r"^(?:.*: )?(?:command not found|No such file or directory|permission denied|Permission denied|"
    r"connect: connection refused|The connection to the server .* was refused)",
)


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the best legacy guess, never an error.

    Korean sites often log in EUC-KR (CP949); Latin-1 decodes anything. Invalid UTF-8
    inside mostly-UTF-8 text is replaced, not dropped.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = sum(1 for b in data if b >= 0x80)
        # mostly valid UTF-8 with a few broken bytes: keep it UTF-8
        if e.start > 0 and bad and _valid_utf8_share(data) > 0.9:
            return data.decode("utf-8", "replace")
    for enc in ("cp949", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")  # pragma: no cover - latin-1 never fails


def _valid_utf8_share(data: bytes) -> float:
    text = data.decode("utf-8", "replace")
    return 1.0 - text.count("\ufffd") / max(1, len(text))


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
    return bool(COLLECTOR_ERRORS.match(first))


def cut_width(lines: list[str]) -> int | None:
    """The width a capture was cut at (`cut -c -150`, a terminal), when several lines end exactly there."""
    lengths = [len(ln) for ln in lines if ln]
    if len(lengths) < 3:
        return None
    widest = max(lengths)
    if widest >= 60 and lengths.count(widest) >= 2:
        return widest
    return None
