"""The one guard against spreadsheet formula injection (OWASP "CSV injection"), for every CSV and xlsx planner
writes: the inventory export and the assessment report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a cell as a formula, fullwidth forms included."""


def looks_like_formula(value: Any) -> bool:
    """Whether a spreadsheet could run ``value``: text that starts like a formula, also after leading whitespace."""
    return isinstance(value, str) and (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START))


def csv_cell(value: Any) -> Any:
    """``value`` for an untrusted CSV cell: formula-like text gets a leading quote (CSV has no types)."""
    return "'" + value if looks_like_formula(value) else value


class CsvWriter:
    """``csv.writer`` for untrusted cells: formula-like text guarded (``csv_cell``), and a row holding a bare CR
    written fully quoted, since the csv module quotes only the characters of its ``\\n`` line terminator."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._minimal = csv.writer(buffer, lineterminator="\n")
        self._quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, values: Iterable[Any]) -> None:
        cells = [csv_cell(value) for value in values]
        has_cr = any(isinstance(cell, str) and "\r" in cell for cell in cells)
        (self._quoted if has_cr else self._minimal).writerow(cells)
