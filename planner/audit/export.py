"""Export a snapshot as JSON (the full model), CSV (one row per VM) or an xlsx audit workbook."""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner import fileio
from planner.audit.tables import Row, collection_tables, columns, vm_rows
from planner.models import Estate


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A cell value a spreadsheet will not run: text that looks like a formula is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(estate: Estate) -> str:
    rows = vm_rows(estate)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(rows), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return buffer.getvalue()


def _write_sheet(sheet: Any, rows: list[Row]) -> None:
    from openpyxl.utils import get_column_letter

    header = columns(rows) or ["(empty)"]
    sheet.append(header)
    widths = [len(name) for name in header]
    for row in rows:
        values = [_cell(row.get(name)) for name in header]
        sheet.append(values)
        for index, value in enumerate(values):
            if value is not None:
                widths[index] = max(widths[index], min(len(str(value)), 60))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2


def write_workbook(estate: Estate, path: Path) -> None:
    """An audit workbook: one sheet per collection, frozen header row, filters, fitted widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    default = workbook.active
    for name, rows in collection_tables(estate).items():
        sheet = workbook.create_sheet(name)
        _write_sheet(sheet, rows)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    if default is not None:
        workbook.remove(default)
    workbook.save(path)


def export_estate(estate: Estate, fmt: ExportFormat, output: Path) -> None:
    """Write the export atomically to `output`."""
    if fmt is ExportFormat.json:
        fileio.write_text(output, estate.model_dump_json(indent=2) + "\n")
    elif fmt is ExportFormat.csv:
        fileio.write_text(output, to_csv(estate))
    else:
        fileio.write_with(output, lambda tmp: write_workbook(estate, tmp))
