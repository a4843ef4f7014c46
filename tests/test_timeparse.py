"""analyzer.timeparse.parse_time on times as hostile input writes them: an impossible one is unknown (None), never an
exception that loses the member it is in (an offset of +99:00, or 9999-12-31 at -23:59, which UTC cannot hold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analyzer.timeparse import date_output_time, parse_time
from tests.conftest import examples


@settings(max_examples=examples(400), deadline=None)
@given(st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 24), st.integers(0, 60), st.integers(0, 60),
       st.sampled_from(["+", "-"]), st.integers(0, 99), st.integers(0, 99))  # fmt: skip
@example(9999, 12, 31, 23, 59, 59, "-", 23, 59)
@example(2024, 1, 1, 0, 0, 0, "+", 99, 0)
@example(1, 1, 1, 0, 0, 0, "+", 23, 59)
@example(9999, 1, 1, 0, 0, 0, "+", 0, 0)
@example(9998, 12, 31, 23, 0, 0, "-", 2, 0)
def test_any_rfc3339_time_is_its_instant_or_unknown(y: int, mo: int, d: int, h: int, mi: int, s: int, sign: str, oh: int, om: int) -> None:
    text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{sign}{oh:02d}:{om:02d}"
    got = parse_time(text)
    try:
        zone = timezone((-1 if sign == "-" else 1) * timedelta(hours=oh, minutes=om))
        local = datetime(y, mo, d, h, mi, s, tzinfo=zone)
        want: datetime | None = None if local.year < 1980 else local.astimezone(UTC)
    except (ValueError, OverflowError):
        want = None
    if want is not None and want.year >= 9999:
        want = None  # (no time from 9999 on: the database holds none)
    assert got == want, text


@pytest.mark.parametrize(
    ("text", "any_zone", "want"),
    [
        ("Thu Dec  4 09:15:58 UTC 2025\n", False, "2025-12-04T09:15:58+00:00"),  # rancher's systeminfo/date
        ("Fri Feb 11 19:23:39 GMT 2022", False, "2022-02-11T19:23:39+00:00"),  # sos's date --utc
        ("Thu Dec  4 18:15:58 KST 2025", False, None),  # a local zone: not exact
        ("Thu Dec  4 18:15:58 KST 2025", True, "2025-12-04T18:15:58+00:00"),  # the date and year, hours off at most
        ("Thu Dec  4 18:15:58 +09 2025", True, None),  # a zone that is no name
        ("Thu Foo  4 09:15:58 UTC 2025", True, None),
        ("Thu Dec 44 09:15:58 UTC 2025", True, None),
        ("date: command not found", True, None),
        ("", True, None),
    ],
)
def test_date_output_time(text: str, any_zone: bool, want: str | None) -> None:
    got = date_output_time(text, any_zone)
    assert (got.isoformat() if got else None) == want


@given(st.text(max_size=80), st.booleans())
def test_date_output_time_takes_any_text(text: str, any_zone: bool) -> None:
    got = date_output_time(text, any_zone)
    assert got is None or (got.tzinfo is not None and 1 <= got.year <= 9999)
