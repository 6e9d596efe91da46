"""Sources an estate is read from: vCenter, RVTools exports, planner snapshot files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planner.errors import InputError, NotFoundError
from planner.models import Estate
from planner.sources.snapshot_file import read_snapshot_file

RVTOOLS_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".zip"}


def load_estate_file(path: Path, *, on_warning: Callable[[str], None] | None = None) -> Estate:
    """An estate from a planner snapshot JSON or an RVTools export (xlsx, CSV folder or zip).

    `on_warning` hears about what an import had to leave out (missing optional RVTools tabs, unknown rows)."""
    if not path.exists():
        raise NotFoundError(f"{path} does not exist.")
    if path.is_file() and path.suffix.lower() == ".json":
        return read_snapshot_file(path)
    if path.is_dir() or path.suffix.lower() in RVTOOLS_SUFFIXES:
        from planner.sources.rvtools import load_rvtools

        return load_rvtools(path, on_warning=on_warning)
    raise InputError(
        f"{path}: unrecognised input; expected a planner snapshot (.json) or an RVTools export "
        "(.xlsx workbook, folder of RVTools_tab*.csv files, or .zip of them)."
    )
