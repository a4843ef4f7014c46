"""The oracle of the real pastes of tests/data/pastes: how a reading of analyzer.paste compares with what
expected.json says (sections, rows per section, spot values). Used by tests/test_paste_read.py and, to
print the score, by `python -m tests.paste_oracle [-v]`.

Comparison rules (the keys of expected.json are described in tests/data/pastes/README.md):
- every data section of expected.json (format not structural) must be a section of the reading with the
  same first and last line and the same format, holding `rows` records;
- a spot field `x_starts` / `x_starts_with` / `x_ends` / `x_ends_with` compares the start or end of `x`;
  a spot dict value (`k8s`, `klog`, `logrus`) compares its keys one by one;
- `time` is the time as printed, or the line's own full time (`time_iso`, logrus `time="..."`), as the
  paste's annotator chose per paste;
- section-level facts (`unit`, `active`, `main_pid`, `loaded`, `cgroup_pids`, `events_rows`,
  `events_spot`) compare with the section's attributes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from analyzer.paste import STRUCTURE, Section, split

PASTES = Path(__file__).parent / "data" / "pastes"
SECTION_FACTS = ("unit", "active", "main_pid", "loaded", "cgroup_pids", "events_rows")


def load() -> dict[str, dict[str, Any]]:
    doc = json.loads((PASTES / "expected.json").read_text(encoding="utf-8"))
    pastes: dict[str, dict[str, Any]] = doc["pastes"]
    return pastes


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(got, dict) and all(_same(v, got.get(k)) for k, v in want.items())
    if isinstance(want, float) and isinstance(got, (int, float)):
        return abs(want - got) < 1e-6
    if isinstance(want, str) and isinstance(got, float):  # a monotonic time written as printed
        try:
            return abs(float(want) - got) < 1e-6
        except ValueError:
            return False
    return bool(want == got)


def spot_errors(rec: dict[str, Any], spot: dict[str, Any]) -> list[str]:
    errs: list[str] = []
    for key, want in spot.items():
        if key == "row":
            continue
        for suffix, how in (
            ("_starts_with", "start"),
            ("_ends_with", "end"),
            ("_starts", "start"),
            ("_ends", "end"),
        ):
            if key.endswith(suffix):
                base = key[: -len(suffix)]
                got = str(
                    rec.get(base)
                    if rec.get(base) is not None
                    else rec.get({"msg": "message"}.get(base, base), "")
                )
                ok = got.startswith(want) if how == "start" else got.endswith(want)
                if not ok:
                    errs.append(f"{key}: want {want!r}, got {got[:80]!r}")
                break
        else:
            if key not in rec:
                errs.append(f"{key}: missing (want {want!r})")
                continue
            got = rec[key]
            # a value as printed, or as ISO 8601 / the full klog time where the annotator chose that
            if not _same(want, got) and any(
                _same(want, rec.get(alt)) for alt in (f"{key}_iso", f"klog_{key}")
            ):
                continue
            if not _same(want, got):
                errs.append(f"{key}: want {want!r}, got {got!r}")
    return errs


def section_errors(exp: dict[str, Any], got: Section | None) -> list[str]:
    where = f"lines {exp['lines'][0]}-{exp['lines'][1]} {exp['format']}"
    if got is None:
        return [f"{where}: no section of the reading has these lines"]
    errs: list[str] = []
    if got.kind != exp["format"]:
        errs.append(f"{where}: read as {got.kind}")
        return errs
    rows = exp.get("rows")
    if rows is not None and len(got.records) != rows:
        errs.append(f"{where}: {len(got.records)} rows, want {rows}")
    for spot in exp.get("spot", []):
        i = spot["row"]
        if i >= len(got.records):
            errs.append(f"{where}: row {i} missing")
            continue
        errs += [f"{where} row {i}: {e}" for e in spot_errors(got.records[i], spot)]
    for fact in SECTION_FACTS:
        if fact in exp and not _same(exp[fact], got.attrs.get(fact)):
            errs.append(f"{where}: {fact} want {exp[fact]!r}, got {got.attrs.get(fact)!r}")
    events = got.attrs.get("events", [])
    for spot in exp.get("events_spot", []):
        i = spot["row"]
        if i >= len(events):
            errs.append(f"{where}: event row {i} missing")
            continue
        errs += [f"{where} event {i}: {e}" for e in spot_errors(events[i], spot)]
    return errs


def check(name: str, entry: dict[str, Any]) -> tuple[list[str], bool]:
    """(errors, silently_unread) of one paste: silently unread when a data line of expected.json is in
    no data section of the reading and no problem names it."""
    text = (PASTES / name).read_text(encoding="utf-8")
    sections = split(text)
    by_lines = {(s.first, s.last): s for s in sections}
    errs: list[str] = []
    silent = False
    for exp in entry["sections"]:
        if exp["format"] in STRUCTURE:
            continue
        first, last = exp["lines"]
        errs += section_errors(exp, by_lines.get((first, last)))
        if exp.get("rows", 0):
            covering = [s for s in sections if s.first <= last and s.last >= first]
            if not any(s.is_data or s.problems for s in covering):
                silent = True
    return errs, silent


def score(verbose: bool = False) -> tuple[int, int, list[str]]:
    pastes = load()
    right, silent_names = 0, []
    for name, entry in pastes.items():
        errs, silent = check(name, entry)
        if not errs:
            right += 1
        if silent:
            silent_names.append(name)
        if verbose and errs:
            print(f"{name}:")
            for e in errs[:8]:
                print(f"    {e}")
    return right, len(pastes), silent_names


if __name__ == "__main__":
    r, n, silent = score("-v" in sys.argv)
    print(f"{r} of {n} pastes read fully right; {len(silent)} with data silently unread: {silent}")
