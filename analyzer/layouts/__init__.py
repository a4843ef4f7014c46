"""The declared bundle layouts (analyzer.layout has the types): Kubesnap's own bundle here, other tools'
bundle formats in analyzer.formats. `load_layouts()` imports them all, which registers each one."""

from __future__ import annotations

import importlib
import importlib.util

from analyzer.layout import LAYOUTS, Layout


def load_layouts() -> dict[str, Layout]:
    """Every declared layout by name (Kubesnap's first)."""
    importlib.import_module("analyzer.layouts.kubesnap")
    if importlib.util.find_spec("analyzer.formats") is not None:
        from analyzer.registry import import_submodules

        import_submodules("analyzer.formats")
    return LAYOUTS
