"""Headless Chromium for report tests: load a file, dump the DOM after scripts ran, screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]  # fmt: skip


@dataclass
class Loaded:
    dom: str
    console: str
    screenshot: Path


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        if os.environ.get("KUBESNAP_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (make test installs the Debian package chromium)")
        pytest.skip("no Chromium on this machine")
    return exe


def load(page: Path, shot: Path, width: int = 1400, height: int = 2000, timeout: int = 120) -> Loaded:
    exe = chromium()
    with tempfile.TemporaryDirectory() as profile:
        base = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        url = page.resolve().as_uri()
        dom = subprocess.run([*base, "--virtual-time-budget=5000", "--dump-dom", url], capture_output=True, text=True, timeout=timeout)
        shotp = subprocess.run([*base, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=timeout)
    return Loaded(dom=dom.stdout, console=dom.stderr + shotp.stderr, screenshot=shot)


def dump(page: Path, fragment: str = "", timeout: int = 120) -> str:
    """The DOM of `page` (opened at `#fragment` when given) after its scripts and their timers ran."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as profile:
        url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        got = subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=timeout)  # fmt: skip
    return got.stdout
