"""Locate the files planner ships: templates and the bundled example estate.

In a wheel they live in `planner/_data/`; in a source checkout (editable install) at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent)


def data_path(*parts: str) -> Path:
    """The first existing `templates/...` or `inventories/...` path among the wheel and checkout locations."""
    for base in _CANDIDATES:
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return _CANDIDATES[0].joinpath(*parts)


def example_estate_path() -> Path:
    return data_path("inventories", "example", "estate.json")


def templates_dir() -> Path:
    return data_path("templates")


def example_discovery_path() -> Path:
    """Recorded discovery facts of a dozen of the example estate's VMs (inventories/example/discovery.json)."""
    return data_path("inventories", "example", "discovery.json")
