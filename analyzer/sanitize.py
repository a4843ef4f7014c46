"""The output sanitizer: every byte Kubesnap prints to a terminal goes through this module.

Bundle and paste text is hostile (docs/security.md): an ESC sequence in a pod name could set the
analyst's window title (OSC 0), write their clipboard (OSC 52) or clear the screen (CSI 2J), a bare CR
overwrite a line, a bidi override reverse what a line says, a newline in a name forge a table row.
So, on output:

- Characters a terminal may act on, or that change or hide what is shown, are written as a visible
  escape: C0 controls, DEL and C1 controls (`\\x1b`, `\\x07`, `\\x9b`, and `\\t`, `\\n`, `\\r` for those
  three), Unicode format characters (bidi embeddings, overrides, isolates and marks, zero-width
  characters, U+FEFF, soft hyphen, tag characters: `\\u202e`, `\\u200b`, `\\U000e0041`), the line and
  paragraph separators (`\\u2028`, `\\u2029`) and lone surrogates (`\\udc80`). That is every character of
  Unicode categories Cc, Cf, Cs, Zl and Zp. Everything else (letters of any script, accents,
  emoji, punctuation, the backslash itself) is printed as it is.
- Three scopes, by what a value may legitimately span: `cell` (a table cell or a name inside a line:
  tab, newline and CR escaped too, so that a value cannot forge a column or a row), `line` (one
  record that ends its output line, a log or journal message: a tab is kept), `text` (several lines
  we composed ourselves: newlines and tabs kept). `echo` applies `text` to everything it prints, so
  terminal control never passes even where a verb forgot a `cell`.
- The escapes are for the eyes, not for decoding: a backslash is not doubled, so the six characters
  `\\x1b[2J` in a log line look the same as an escaped ESC followed by `[2J`. For a value without a
  backslash the escaping is one to one. The exact value is in `-o json`/`-o yaml`/`--format json`.
- JSON and YAML stay exact: `json_safe` writes those characters as JSON `\\uXXXX` escapes (surrogate
  pairs beyond the BMP), which parse back to the same string; `yaml_dump` falls back to ASCII-only
  YAML (escapes in double-quoted scalars) when the document holds any of them.

The regexes are single character classes: linear, nothing to backtrack.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import click
import yaml

# Unicode categories Cc (C0, DEL, C1), Cf (format: bidi, zero-width, BOM, tags...), Cs (surrogates),
# Zl, Zp (U+2028, U+2029); a test checks this list against unicodedata. U+2060-206F and U+13430-1343F
# are taken whole: their unassigned points are reserved for more invisible format characters.
FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x206F), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip


def _class(ranges: Iterable[tuple[int, int]], keep: str = "") -> re.Pattern[str]:
    parts = []
    for a, b in ranges:
        lo, hi = (a, b)
        # split around the characters this scope keeps
        for k in sorted(ord(c) for c in keep):
            if lo <= k <= hi:
                if lo < k:
                    parts.append((lo, k - 1))
                lo = k + 1
        if lo <= hi:
            parts.append((lo, hi))
    return re.compile("[" + "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in parts) + "]")


_CELL = _class(FORBIDDEN_RANGES)
_LINE = _class(FORBIDDEN_RANGES, keep="\t")
_TEXT = _class(FORBIDDEN_RANGES, keep="\t\n")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape_char(ch: str) -> str:
    """The visible form of one character: \\t \\n \\r, \\xHH up to U+00FF, \\uHHHH, \\UHHHHHHHH."""
    named = _NAMED.get(ch)
    if named:
        return named
    cp = ord(ch)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _esc(m: re.Match[str]) -> str:
    return escape_char(m.group())


def _apply(rx: re.Pattern[str], s: str) -> str:
    return rx.sub(_esc, s) if rx.search(s) else s


# str.isprintable is false for every forbidden character (and for a few harmless ones: non-ASCII spaces,
# unassigned and private-use code points), at C speed: the regex only runs where it says no.


def cell(value: object) -> str:
    """A table cell or a name inside a line: every forbidden character escaped, tab, newline and CR included."""
    s = value if isinstance(value, str) else str(value)
    return s if s.isprintable() else _apply(_CELL, s)


def line(value: object) -> str:
    """One record that ends its output line (a log or journal message): as `cell`, but a tab is kept."""
    s = value if isinstance(value, str) else str(value)
    return s if s.isprintable() or s.replace("\t", " ").isprintable() else _apply(_LINE, s)


def _unsafe_text(s: str) -> bool:
    """Whether `text` would change s."""
    return not s.replace("\n", " ").replace("\t", " ").isprintable() and _TEXT.search(s) is not None


def text(value: object) -> str:
    """Several lines: as `cell`, but newlines and tabs are kept (a CR is not: it would overwrite a line)."""
    s = value if isinstance(value, str) else str(value)
    return _TEXT.sub(_esc, s) if _unsafe_text(s) else s


def _json_esc(m: re.Match[str]) -> str:
    cp = ord(m.group())
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def json_safe(doc: str) -> str:
    """JSON text with every forbidden character written as a JSON escape (they can only be inside strings:
    JSON's own syntax is ASCII), so it parses back to the very same values and shows nothing raw."""
    # raw newlines and tabs are JSON whitespace between tokens (json.dumps escapes them inside strings)
    return _TEXT.sub(_json_esc, doc) if _unsafe_text(doc) else doc


def _json_visible_esc(m: re.Match[str]) -> str:
    # a JSON string escape of a backslash, then the escape's letters: the value read back holds the visible escape
    return "\\" + escape_char(m.group())


def json_visible(doc: str) -> str:
    """JSON text for a page that draws its strings as text (the HTML report): every forbidden character left raw
    by json.dumps (bidi overrides, zero-width characters, U+2028, DEL and C1) becomes its visible escape, so a value
    read back shows `\\u202e` where a hostile name held a right-to-left override. C0 controls are JSON escapes
    already and do nothing in a page's text."""
    return _TEXT.sub(_json_visible_esc, doc) if _unsafe_text(doc) else doc


def json_dumps(obj: Any, **kwargs: Any) -> str:
    """json.dumps (non-ASCII letters kept readable) with forbidden characters escaped by `json_safe`."""
    kwargs.setdefault("ensure_ascii", False)
    return json_safe(json.dumps(obj, **kwargs))


def yaml_dump(obj: Any, **kwargs: Any) -> str:
    """yaml.safe_dump that parses back to `obj` and shows no forbidden character raw.

    PyYAML escapes C0 and C1 controls itself but prints bidi and other format characters raw when
    allow_unicode is on; a document holding any is written ASCII-only (every non-ASCII character an
    escape inside a double-quoted scalar).
    """
    kwargs.pop("allow_unicode", None)
    out: str = yaml.safe_dump(obj, allow_unicode=True, **kwargs)
    if _unsafe_text(out):
        out = yaml.safe_dump(obj, allow_unicode=False, **kwargs)
    return out


# ------------------------------------------------------------------ the one way to print


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """click.echo of `text(message)`: the only way the CLI prints (a test greps for others)."""
    click.echo(text(message), err=err, nl=nl)


def echo_styled(lines: Iterable[tuple[str, str | None]]) -> None:
    """Lines each with its colour (or None), on stdout: the text sanitized first, then styled (our own ANSI)."""
    out = "".join((click.style(text(ln), fg=fg) if fg else text(ln)) + "\n" for ln, fg in lines)
    click.echo(out, nl=False, color=True)


def echo_lines(lines: Iterable[str], stream: TextIO | None = None, batch: int = 2000) -> None:
    """A stream of lines (logs, timeline) through `text`, written a batch at a time (one check per batch)."""
    out = stream or sys.stdout
    buf: list[str] = []
    for ln in lines:
        buf.append(ln)
        if len(buf) >= batch:
            out.write(text("".join(buf)))
            buf.clear()
    if buf:
        out.write(text("".join(buf)))
    out.flush()


def write_raw(data: str) -> None:
    """Our own bytes, exactly (the collector script, shell completion): checked, never bundle text."""
    if _unsafe_text(data):  # pragma: no cover - a bug of ours, not an input
        raise ValueError("write_raw is for our own text: it holds control characters")
    sys.stdout.write(data)


def status(message: str, width: int) -> None:
    """A progress line on stderr that overwrites the previous one: our CR, the message as a cell."""
    sys.stderr.write("\r" + cell(message)[:width].ljust(width))
    sys.stderr.flush()


def clear_status(width: int) -> None:
    sys.stderr.write("\r" + " " * width + "\r")
    sys.stderr.flush()
