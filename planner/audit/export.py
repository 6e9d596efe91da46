"""Export a snapshot as JSON (the full model), CSV (one row per VM) or an xlsx audit workbook."""

from __future__ import annotations

import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner import fileio
from planner.audit.tables import Row, collection_tables, columns, vm_rows
from planner.models import Estate
from planner.spreadsheet import CsvWriter, looks_like_formula


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


EXCEL_CELL_LIMIT = 32_767
"""Excel refuses longer text in one cell."""
MAX_WIDTH = 60
MIN_WIDTH = 8
FROZEN = {"vms": "B2"}
"""Sheets that also keep their first column (the VM name) in view; the others freeze the header row only."""


def _csv_value(value: Any) -> Any:
    """A CSV value as in JSON: booleans `true`/`false`, not Python's True/False (`CsvWriter` guards formulas)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _xlsx_value(value: Any) -> Any:
    """A value openpyxl can store: lists joined, control characters dropped, text cut to Excel's limit.

    Text stays as it is: `_write_sheet` stores formula-like text as a typed string cell, which no spreadsheet
    runs, so an annotation such as `- retire in Q3` or `=SUM(...)` reads back exactly."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, list | tuple | set):
        value = "; ".join(str(item) for item in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL_LIMIT:
            value = value[: EXCEL_CELL_LIMIT - 1] + "…"
    return value


def _typed(sheet: Any, values: list[Any]) -> list[Any]:
    """The row with formula-like text wrapped in string-typed cells (openpyxl would write `=...` as a formula)."""
    from openpyxl.cell import WriteOnlyCell

    if not any(looks_like_formula(value) for value in values):
        return values
    row: list[Any] = []
    for value in values:
        if looks_like_formula(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        row.append(value)
    return row


def to_csv(estate: Estate) -> str:
    rows = vm_rows(estate)
    buffer = io.StringIO()
    names = columns(rows)
    writer = CsvWriter(buffer)
    writer.writerow(names)
    for row in rows:
        writer.writerow(_csv_value(row.get(key, "")) for key in names)
    return buffer.getvalue()


def _widths(header: list[str], table: list[list[Any]]) -> list[int]:
    widths = [max(len(name), MIN_WIDTH) for name in header]
    for values in table:
        for index, value in enumerate(values):
            if value is not None:
                longest = max((len(line) for line in str(value).splitlines()), default=0)
                widths[index] = max(widths[index], min(longest, MAX_WIDTH))
    return widths


def _write_sheet(workbook: Any, name: str, rows: list[Row]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    header = columns(rows) or ["(empty)"]
    table = [[_xlsx_value(row.get(key)) for key in header] for row in rows]
    # write-only sheets take layout before the first row
    sheet.freeze_panes = FROZEN.get(name, "A2")
    last = get_column_letter(len(header))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for index, width in enumerate(_widths(header, table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    bold = Font(bold=True)
    cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(title))
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for values in table:
        sheet.append(_typed(sheet, values))


def write_workbook(estate: Estate, path: Path) -> None:
    """An audit workbook: one sheet per collection, frozen header row, filters, fitted widths.

    Written in openpyxl's write-only mode, so a large estate streams out instead of being held as cell objects.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, rows in collection_tables(estate).items():
        _write_sheet(workbook, name, rows)
    workbook.save(path)


def export_estate(estate: Estate, fmt: ExportFormat, output: Path) -> None:
    """Write the export atomically to `output`."""
    if fmt is ExportFormat.json:
        fileio.write_text(output, estate.model_dump_json(indent=2) + "\n")
    elif fmt is ExportFormat.csv:
        fileio.write_text(output, to_csv(estate))
    else:
        fileio.write_with(output, lambda tmp: write_workbook(estate, tmp))
