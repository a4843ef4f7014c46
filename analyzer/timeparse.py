"""Time formats of Kubernetes tools: RFC 3339 with nanoseconds, Unix nanosecond strings,
Go's time.String(), crictl's "44 hours ago", kubectl ages (2d10h), klog and syslog stamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(?:\s*(Z|[+-]\d{2}:?\d{2}))?(?:\s+[A-Z]{2,5})?|\s*)$"
)  # blanks belong to the zone, the abbreviation or the end: a free '\s*' then '\s+' would split a run of blanks every way
ZERO_TIMES = {"0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "0"}


LAST_YEAR = 9999  # a time of this year or later is none (store: the database's times end before it)
MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


def date_output_time(text: str, any_zone: bool = False) -> datetime | None:
    """When `date` ran, from its output (`Thu Dec  4 09:15:58 UTC 2025`): exact in UTC or GMT; with `any_zone`, a
    local zone's name (CET, KST: its offset is unknown) is taken as UTC, hours off at most, the date and year right."""
    words = text.split()
    if len(words) != 6 or words[1] not in MONTHS or not words[2].isdecimal() or not (words[5].isdecimal() and len(words[5]) == 4):
        return None
    if words[4] not in ("UTC", "GMT") and not (any_zone and words[4].isalpha()):
        return None
    return parse_time(f"{words[5]}-{MONTHS[words[1]]:02d}-{int(words[2]):02d}T{words[3]}Z")


def parse_time(value: object) -> datetime | None:
    """An absolute time from the forms crictl, kubectl, etcd and the runtimes print; None if empty/zero/unknown."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_number(float(value))
    s = str(value).strip()
    if not s or s in ZERO_TIMES:
        return None
    if s.isdecimal():
        return _from_number(float(s))
    m = _RFC3339.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, tz = m.groups()
    us = int((frac or "0")[:6].ljust(6, "0"))
    tzinfo: timezone = UTC
    # one impossible time (an offset of +99:00, 9999-12-31 at -23:59, which UTC cannot hold) is unknown: the
    # record it is in is kept, and so is the rest of its member
    try:
        if tz and tz != "Z":
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), us, tzinfo=tzinfo)
        if local.year < 1980:
            return None
        dt = local.astimezone(UTC)
        # (nor a time from 9999 on: no database of Kubesnap holds one, and a bundle's claim of it made every verb refuse
        # the whole database)
        return dt if dt.year < LAST_YEAR else None
    except (ValueError, OverflowError):
        return None


def _from_number(x: float) -> datetime | None:
    """Epoch seconds, milliseconds or nanoseconds, by magnitude."""
    if x <= 0:
        return None
    if x > 1e17:
        x = x / 1e9
    elif x > 1e14:
        x = x / 1e6
    elif x > 1e11:
        x = x / 1e3
    try:
        dt = datetime.fromtimestamp(x, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return dt if dt.year < LAST_YEAR else None


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800, "month": 2592000, "year": 31536000}


def before(ref: datetime, seconds: float) -> datetime | None:
    """`ref` minus a number of seconds a capture or a user gave; None when no datetime holds the result."""
    try:
        return ref - timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


def parse_ago(text: str | None) -> int | None:
    """Seconds ago from crictl's go-units form: '44 hours ago', 'About an hour ago', 'Less than a second ago'."""
    if not text or len(text) > 64:
        return None
    s = text.strip().lower().removesuffix(" ago")
    if s.startswith("less than a"):
        return 0
    m = re.match(r"^(?:about )?(\d+|an?) (second|minute|hour|day|week|month|year)s?$", s)
    if not m:
        return None
    n = 1 if m.group(1) in ("a", "an") else int(m.group(1))
    return n * _UNITS[m.group(2)]


def parse_etime(etime: str) -> int | None:
    """ps ELAPSED as seconds: etimes (`1234`) or etime (`[[dd-]hh:]mm:ss`); a hostile run of digits (5000 of them, which
    Python refuses to read) is none."""
    if len(etime) > 40:
        return None
    m = re.fullmatch(r"(?:(\d+)-)?(\d+(?::\d+){0,2})", etime)
    if not m:
        return None
    parts = [int(x) for x in m.group(2).split(":")]
    if len(parts) == 1:
        return None if m.group(1) else parts[0]
    h, mi, sec = ([0] * (3 - len(parts)) + parts)[-3:]
    return ((int(m.group(1) or 0) * 24 + h) * 60 + mi) * 60 + sec


def parse_kube_age(text: str | None) -> int | None:
    """Seconds from kubectl's age format: 2d10h, 21h, 5m30s, 3y45d, 75s."""
    if not text or len(text) > 40:
        return None
    m = re.fullmatch(r"(?:(\d+)y)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text.strip())
    if not m or not any(m.groups()):
        return None
    y, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return y * 31536000 + d * 86400 + h * 3600 + mi * 60 + s


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration_s(text: str) -> float | None:
    """A Go-style duration as kubectl's --since takes it (30s, 5m, 1h30m, 2d): seconds, or None."""
    t = text.strip()
    if not t:
        return None
    total, pos = 0.0, 0
    for m in _DURATION_PART.finditer(t):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        pos = m.end()
    return total if pos == len(t) else None
