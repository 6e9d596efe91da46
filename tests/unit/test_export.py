"""Audit exports: CSV (one row per VM) and the xlsx audit workbook (sheet per collection, frozen, filtered)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from planner.audit.export import EXCEL_CELL_LIMIT, ExportFormat, export_estate, to_csv
from planner.audit.tables import collection_tables
from tests.unit.rvtools.builders import sample_estate


def test_workbook_has_one_sheet_per_collection_with_frozen_filtered_header(tmp_path: Path) -> None:
    estate = sample_estate()
    path = tmp_path / "audit.xlsx"

    export_estate(estate, ExportFormat.xlsx, path)

    workbook = load_workbook(path)
    tables = collection_tables(estate)
    assert workbook.sheetnames == list(tables)
    for name, rows in tables.items():
        sheet = workbook[name]
        assert sheet.freeze_panes == ("B2" if name == "vms" else "A2")
        header = [cell.value for cell in sheet[1]]
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(rows) + 1}"
        assert sheet.max_row == len(rows) + 1
    vms = workbook["vms"]
    header = [cell.value for cell in vms[1]]
    assert [row[header.index("name")] for row in vms.iter_rows(min_row=2, values_only=True)] == [
        "web-01", "db-01", "tpl-rhel9"]
    assert vms.cell(2, header.index("memory_mib") + 1).value == 8192  # numbers stay numbers
    assert workbook["disks"].max_row == 1 + sum(len(vm.disks) for vm in estate.vms)


def test_column_widths_fit_the_content_within_bounds(tmp_path: Path) -> None:
    estate = sample_estate()
    estate.vms[0].annotation = "x" * 500
    path = tmp_path / "audit.xlsx"
    export_estate(estate, ExportFormat.xlsx, path)
    sheet = load_workbook(path)["vms"]
    header = [cell.value for cell in sheet[1]]
    width = {name: sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width for i, name in enumerate(header)}
    assert width["annotation"] == 62  # capped at 60 + padding
    assert width["name"] == len("tpl-rhel9") + 2  # longest value + padding
    assert width["guest_os_configured"] >= len("Microsoft Windows Server 2019 (64-bit)")


def test_untrusted_text_cannot_break_or_run_in_the_workbook(tmp_path: Path) -> None:
    estate = sample_estate()
    estate.vms[0].annotation = "=HYPERLINK(\"http://evil\")\x07 bell"
    estate.vms[1].annotation = "y" * (EXCEL_CELL_LIMIT + 10)
    estate.vms[2].annotation = "- retire in Q3"
    estate.vms[2].custom_attributes["Owner"] = "@SUM(1+1)"
    path = tmp_path / "audit.xlsx"

    export_estate(estate, ExportFormat.xlsx, path)

    sheet = load_workbook(path)["vms"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("annotation") + 1
    formula = sheet.cell(2, column)
    assert (formula.value, formula.data_type) == ("=HYPERLINK(\"http://evil\") bell", "s")  # text, kept as written
    assert len(sheet.cell(3, column).value) == EXCEL_CELL_LIMIT
    assert sheet.cell(4, column).value == "- retire in Q3"  # no quote mark shown to the auditor
    assert sheet.cell(4, header.index("attr:Owner") + 1).value == "@SUM(1+1)"
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)  # no formula anywhere


def test_empty_estate_still_writes_a_workbook(tmp_path: Path) -> None:
    estate = sample_estate().model_copy(update={"vms": [], "hosts": [], "clusters": [], "datastores": [],
                                                "networks": [], "sources": []})
    path = tmp_path / "empty.xlsx"
    export_estate(estate, ExportFormat.xlsx, path)
    assert load_workbook(path)["vms"]["A1"].value == "(empty)"


def test_csv_has_one_row_per_vm_and_quotes_formulas() -> None:
    estate = sample_estate()
    estate.vms[0].annotation = "+cmd|' /C calc'!A0"
    estate.vms[1].annotation = "=1+1"
    estate.vms[2].annotation = "@x"
    estate.vms[2].custom_attributes["Owner"] = "\t=cmd"
    rows = list(csv.DictReader(io.StringIO(to_csv(estate))))
    assert [row["name"] for row in rows] == ["web-01", "db-01", "tpl-rhel9"]
    assert [row["annotation"] for row in rows] == ["'+cmd|' /C calc'!A0", "'=1+1", "'@x"]
    assert rows[2]["attr:Owner"] == "'\t=cmd"
    assert rows[1]["rdm_disks"] == "1" and rows[1]["multi_writer_disks"] == "1"
    assert rows[0]["attr:Compliance"] == "PCI"


def test_json_and_csv_exports_are_written_atomically(tmp_path: Path) -> None:
    estate = sample_estate()
    export_estate(estate, ExportFormat.json, tmp_path / "estate.json")
    export_estate(estate, ExportFormat.csv, tmp_path / "vms.csv")
    assert json.loads((tmp_path / "estate.json").read_text())["schema_version"] == estate.schema_version
    assert (tmp_path / "vms.csv").read_text().startswith("name,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.json", "vms.csv"]  # no temporary files left


@pytest.mark.parametrize("text", ["  =HYPERLINK(\"http://evil\")", "\uff1dSUM(A1)", "\uff0b1", "\n=1", " \t@x", "\r-2"])
def test_csv_export_and_assessment_share_one_formula_guard(text: str) -> None:
    """Leading whitespace and fullwidth forms hide no formula from either CSV (one guard: planner.spreadsheet)."""
    from planner.assess import assess_estate
    from planner.assess.report import to_csv as assessment_csv

    estate = sample_estate()
    estate.vms[0].annotation = text
    estate.vms[0].name = text
    rows = list(csv.DictReader(io.StringIO(to_csv(estate))))
    assert rows[0]["annotation"] == "'" + text and rows[0]["name"] == "'" + text
    assessed = list(csv.DictReader(io.StringIO(assessment_csv(assess_estate(estate)))))
    assert ["'" + text] == [row["vm"] for row in assessed if row["vm"].endswith(text)]
