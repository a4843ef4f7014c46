"""Host facts: the node's clock, uname, os-release, uptime, memory, sysctls, time sync, df."""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.errors import ParseError, SkipSource
from analyzer.models import Filesystem, HostFact, Record, Service
from analyzer.registry import ParseContext, source
from analyzer.textutil import clean_lines


def _kv(lines: Iterable[str], sep: str) -> Iterable[tuple[str, str]]:
    for ln in lines:
        if sep in ln:
            k, v = ln.split(sep, 1)
            yield k.strip(), v.strip()


@source("host-date")
def parse_date(ctx: ParseContext) -> Iterable[Record]:
    """the collector's clock reading: utc=, local=, epoch=, zone="""
    for k, v in _kv(clean_lines(ctx.text), "="):
        yield HostFact(key=f"clock.{k}", value=v)


@source("host-simple")
def parse_simple(ctx: ParseContext) -> Iterable[Record]:
    """small host files: uname, uptime, os-release, meminfo, sysctls, timedatectl, chrony"""
    name = ctx.path.rsplit("/", 1)[-1]
    text = ctx.text.strip()
    lines = clean_lines(ctx.text)
    if name in ("hostname.txt", "hostname"):
        yield HostFact(key="hostname", value=text.splitlines()[0] if text else None)
    elif name == "uname.txt":
        yield HostFact(key="uname", value=text)
        parts = text.split()
        if len(parts) >= 3:
            yield HostFact(key="kernel", value=parts[2])
        m = re.search(r"\b(x86_64|aarch64|arm64|ppc64le|s390x|armv7l)\b", text)
        if m:
            yield HostFact(key="arch", value=m.group(1))
    elif ctx.path == "files/proc/uptime":
        secs = text.split()[0] if text else ""
        if not re.fullmatch(r"[\d.]+", secs):
            raise ParseError("not /proc/uptime")
        yield HostFact(key="uptime.seconds", value=secs)
    elif name == "uptime.txt":
        yield HostFact(key="uptime", value=text)
    elif name == "loadavg":
        yield HostFact(key="loadavg", value=" ".join(text.split()[:3]))
    elif name == "cmdline":
        yield HostFact(key="kernel.cmdline", value=text)
    elif name == "timezone":
        yield HostFact(key="timezone", value=text)
    elif name == "localtime":
        yield HostFact(key="timezone.localtime", value=text)
    elif name == "os-release":
        for k, v in _kv(lines, "="):
            yield HostFact(key=f"os.{k.lower()}", value=v.strip('"'))
    elif name == "meminfo":
        for k, v in _kv(lines, ":"):
            if k in ("MemTotal", "MemAvailable", "MemFree", "SwapTotal", "SwapFree"):
                yield HostFact(key=f"mem.{k}", value=v.split()[0])
    elif name == "swaps":
        active = [ln for ln in lines[1:] if ln.strip()]
        yield HostFact(key="swap.devices", value=str(len(active)))
    elif name == "sysctl.txt":
        for k, v in _kv(lines, "="):
            yield HostFact(key=f"sysctl.{k}", value=v)
    elif name == "timedatectl.txt":
        for k, v in _kv(lines, "="):
            yield HostFact(key=f"timedatectl.{k}", value=v)
    elif name == "chronyc-tracking.txt":
        for k, v in _kv(lines, ":"):
            yield HostFact(key=f"chrony.{k.strip().lower().replace(' ', '_')}", value=v)
    elif name == "free.txt":
        for ln in lines:
            m = re.match(r"^(Mem|Swap):\s+(\d+)\s+(\d+)\s+(\d+)", ln)
            if m:
                yield HostFact(key=f"free.{m.group(1).lower()}.total", value=m.group(2))
                yield HostFact(key=f"free.{m.group(1).lower()}.used", value=m.group(3))


DF = re.compile(r"^(?P<fs>\S+)\s+(?:(?P<type>[a-z0-9._-]+)\s+)?(?P<size>\d+)\s+(?P<used>\d+)\s+(?P<avail>\d+)\s+(?P<pct>\d+|-)%?\s+(?P<mount>/.*)$")


# `df -h`: sizes with a unit of powers of 1024 (a type never starts with a digit, a size always does)
DF_H = re.compile(r"^(?P<fs>\S+)\s+(?:(?P<type>[a-z][a-z0-9._-]*)\s+)?(?P<size>[\d.]+[KMGTPE]?)\s+(?P<used>[\d.]+[KMGTPE]?)\s+"
                  r"(?P<avail>[\d.]+[KMGTPE]?)\s+(?P<pct>\d+|-)%?\s+(?P<mount>/.*)$")
_UNITS = {"": 1 / 1024, "K": 1, "M": 1024, "G": 1024**2, "T": 1024**3, "P": 1024**4, "E": 1024**5}


def _kb(size: str, human: bool) -> int:
    """A df cell in KiB: as printed (-k), or `1.2G` of df -h (rounded: df -h rounds too)."""
    if not human:
        return int(size)
    unit = size[-1] if size[-1:].isalpha() else ""
    return round(float(size.rstrip("KMGTPE") or 0) * _UNITS[unit]) if size.rstrip("KMGTPE").replace(".", "", 1).isdecimal() else 0


@source("df", sniff=lambda h: 70 if "Filesystem" in h and re.search(r"^Filesystem\s+(?:Type\s+)?(?:1024-blocks|1K-blocks|Inodes|Size\s+Used)", h, re.M) else 0)
def parse_df(ctx: ParseContext) -> Iterable[Record]:
    """df -PTk / df -PTi (also without -T), df -h"""
    lines = clean_lines(ctx.text)
    if not lines or not lines[0].startswith("Filesystem"):
        raise ParseError("no df header")
    inodes = "Inodes" in lines[0]
    human = re.match(r"^Filesystem\s+(?:Type\s+)?Size\s", lines[0]) is not None
    has_type = re.match(r"^Filesystem\s+Type\s", lines[0]) is not None
    rows: list[tuple[int, str]] = []
    for i, ln in enumerate(lines[1:], 2):
        if rows and ln[:1].isspace() and len(rows[-1][1].split()) == 1:  # df without -P: a long device name alone on its line
            rows[-1] = (rows[-1][0], rows[-1][1] + ln)
        elif ln.strip():
            rows.append((i, ln))
    for i, ln in rows:
        m = (DF_H if human else DF).match(ln)
        if not m or (has_type and not m.group("type")):
            ctx.problem(i, f"not a df row: {ln[:80]!r}")
            continue
        size, used = _kb(m.group("size"), human), _kb(m.group("used"), human)
        pct = float(m.group("pct")) if m.group("pct") != "-" else None
        if inodes:
            yield Filesystem(filesystem=m.group("fs"), fstype=m.group("type"), mount=m.group("mount"),
                             inodes=size, inodes_used=used, inodes_used_pct=pct)  # fmt: skip
        else:
            yield Filesystem(filesystem=m.group("fs"), fstype=m.group("type"), mount=m.group("mount"), size_kb=size,
                             used_kb=used, avail_kb=_kb(m.group("avail"), human), used_pct=pct)  # fmt: skip


@source("systemd-show")
def parse_show(ctx: ParseContext) -> Iterable[Record]:
    """systemctl show UNIT"""
    kv = dict(_kv(clean_lines(ctx.text), "="))
    if not kv:
        raise SkipSource("empty")
    unit = kv.get("Id") or ctx.path.rsplit("/", 1)[-1].removesuffix(".show.txt")
    yield Service(
        unit=unit.removesuffix(".service"),
        load_state=kv.get("LoadState"),
        active_state=kv.get("ActiveState"),
        sub_state=kv.get("SubState"),
        main_pid=int(kv["MainPID"]) if kv.get("MainPID", "").isdecimal() else None,
        restarts=int(kv["NRestarts"]) if kv.get("NRestarts", "").isdecimal() else None,
        started_at=kv.get("ExecMainStartTimestamp") or None,
        exec_start=kv.get("ExecStart") or None,
    )
