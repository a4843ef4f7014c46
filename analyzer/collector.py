"""Where the collector script lives: in the wheel (analyzer/data) or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from analyzer.errors import AnalyzerError

SCRIPT_NAME = "kubesnap-collect.sh"


def collector_script() -> str:
    """The text of collectors/kubesnap-collect.sh, as shipped with this installation."""
    packaged = resources.files("analyzer") / "data" / SCRIPT_NAME
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parent.parent / "collectors" / SCRIPT_NAME
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    raise AnalyzerError(f"{SCRIPT_NAME} is missing from this installation")


def collector_dir() -> Path:
    """The folder holding the collector, the site playbook (kubesnap-site.yml) and its callback_plugins/."""
    packaged = resources.files("analyzer") / "data"
    if (packaged / "kubesnap-site.yml").is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "collectors"
    if (checkout / "kubesnap-site.yml").is_file():
        return checkout
    raise AnalyzerError("kubesnap-site.yml is missing from this installation")
