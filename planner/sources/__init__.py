"""Sources an estate is read from: vCenter, RVTools exports, planner snapshot files."""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError, NotFoundError
from planner.models import Estate
from planner.sources.snapshot_file import read_snapshot_file

RVTOOLS_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".zip"}


def load_estate_file(path: Path) -> Estate:
    """An estate from a planner snapshot JSON or an RVTools export (xlsx, CSV folder or zip)."""
    if not path.exists():
        raise NotFoundError(f"{path} does not exist.")
    if path.is_file() and path.suffix.lower() == ".json":
        return read_snapshot_file(path)
    if path.is_dir() or path.suffix.lower() in RVTOOLS_SUFFIXES:
        from planner.sources.rvtools import load_rvtools

        return load_rvtools(path)
    raise InputError(
        f"{path}: unrecognised input; expected a planner snapshot (.json) or an RVTools export "
        "(.xlsx workbook, folder of RVTools_tab*.csv files, or .zip of them)."
    )
