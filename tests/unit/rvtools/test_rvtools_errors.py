"""Bad input: one clear InputError naming file, tab, row and column."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from planner.errors import InputError, NotFoundError
from planner.sources.rvtools import load_rvtools
from tests.unit.rvtools.builders import csv_bytes, export_tables, sample_estate, write_xlsx, write_xlsx_like_excel


def _error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_rvtools(path)
    assert caught.value.exit_code == 3
    return str(caught.value)


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("just some text")
    message = _error(path)
    assert str(path) in message and "not a readable xlsx workbook" in message


def test_a_folder_without_rvtools_csv_files(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    message = _error(tmp_path)
    assert "required tab vInfo is missing" in message and "tabs found: none" in message


def test_a_zip_without_rvtools_files(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cat.jpg", b"\xff\xd8")
    assert "required tab vInfo is missing" in _error(path)


def test_a_broken_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    assert "not a readable zip archive" in _error(path)


def test_a_csv_with_a_name_rvtools_does_not_write(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text("VM\nx\n")
    assert "not an RVTools CSV file" in _error(path)


def test_a_workbook_without_vinfo_names_the_tabs_it_has(tmp_path: Path) -> None:
    path = write_xlsx(export_tables(sample_estate(), tabs=["vHost", "vDisk"]), tmp_path / "partial.xlsx")
    message = _error(path)
    assert f"{path}: the required tab vInfo is missing (tabs found: vHost, vDisk)" in message


def test_a_missing_required_column(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_text("Name,CPUs\nweb,2\n")
    message = _error(folder)
    assert message.startswith(f"{folder / 'RVTools_tabvInfo.csv'}, tab vInfo, row 1: required column 'VM' is missing")


def test_a_missing_join_column_in_an_optional_tab(tmp_path: Path) -> None:
    tables = export_tables(sample_estate(), tabs=["vInfo"])
    tables["vDisk"] = (["Disk", "Capacity MiB"], [["Hard disk 1", 10]])
    path = write_xlsx(tables, tmp_path / "export.xlsx")
    assert _error(path) == f"{path}, tab vDisk, row 1: required column 'VM' is missing (the header has 2 columns)."


def test_an_unparsable_number_names_file_tab_row_and_column(tmp_path: Path) -> None:
    header, rows = export_tables(sample_estate(), tabs=["vInfo"])["vInfo"]
    table = [list(row) for row in rows]
    table[1][header.index("CPUs")] = "sixteen"
    path = write_xlsx({"vInfo": (header, table)}, tmp_path / "bad.xlsx")
    assert _error(path) == f"{path}, tab vInfo, row 3, column 'CPUs': 'sixteen' is not a number."


def test_an_unparsable_number_in_a_semicolon_csv(tmp_path: Path) -> None:
    folder = tmp_path / "eu"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_text("VM;CPUs\na;1\n")
    (folder / "RVTools_tabvDisk.csv").write_bytes(
        csv_bytes(["VM", "Disk", "Capacity MiB"], [["a", "Hard disk 1", "10.240,0"], ["a", "Hard disk 2", "viel"]],
                  delimiter=";"))
    message = _error(folder)
    assert message == (f"{folder / 'RVTools_tabvDisk.csv'}, tab vDisk, row 3, column 'Capacity MiB': "
                       "'viel' is not a number.")


def test_an_empty_vm_name(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_text("VM,CPUs,Annotation\na,1,\n,2,orphan\n")
    assert "row 3, column 'VM': the VM name is empty" in _error(folder)


def test_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_rvtools(tmp_path / "nope.xlsx")


def test_a_non_finite_number_is_a_bad_number_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_text("VM,CPUs,Memory\na,1,1024\nb,NaN,2048\n")
    assert _error(folder) == (f"{folder / 'RVTools_tabvInfo.csv'}, tab vInfo, row 3, column 'CPUs': "
                              "'NaN' is not a finite number.")


def test_a_csv_field_longer_than_the_csv_module_default_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    note = "n" * 200_000  # the csv module refuses fields over 128 KiB unless told otherwise
    (folder / "RVTools_tabvInfo.csv").write_text(f'VM,CPUs,Annotation\na,1,"{note}"\n')
    assert load_rvtools(folder).vms[0].annotation == note


def _rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents[member] = change(contents[member])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def _damage_disk_sheet(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        sheet = next(n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith("2.xml"))
    _rewrite_member(path, sheet, lambda xml: xml[: len(xml) // 2])  # cut off mid-row, as a failed copy would


def test_a_workbook_with_a_damaged_sheet_names_the_tab_and_row(tmp_path: Path) -> None:
    tables = export_tables(sample_estate(), tabs=["vInfo", "vDisk"])
    path = write_xlsx_like_excel(tables, tmp_path / "damaged.xlsx")  # a <dimension>: sheets parse when read
    _damage_disk_sheet(path)

    message = _error(path)

    assert message.startswith(f"{path}, tab vDisk, row ") and "damaged or not readable (ParseError" in message


def test_a_workbook_whose_damaged_sheet_is_parsed_when_opened(tmp_path: Path) -> None:
    path = write_xlsx(export_tables(sample_estate(), tabs=["vInfo", "vDisk"]), tmp_path / "damaged.xlsx")
    _damage_disk_sheet(path)  # no <dimension>: openpyxl parses the whole sheet to size it when it opens

    assert _error(path).startswith(f"{path}: not a readable xlsx workbook (ParseError)")


def test_a_zip_member_with_a_bad_checksum_is_bad_input(tmp_path: Path) -> None:
    header, rows = export_tables(sample_estate(), tabs=["vInfo"])["vInfo"]
    path = tmp_path / "export.zip"
    data = csv_bytes(header, rows)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("RVTools_tabvInfo.csv", data)
    raw = path.read_bytes()
    at = raw.index(b"web-01")
    path.write_bytes(raw[:at] + b"WEB-01" + raw[at + 6:])  # same size, wrong CRC

    message = _error(path)

    assert message.startswith(f"{path}:RVTools_tabvInfo.csv, tab vInfo: the file is damaged or not readable")


def test_a_vinfo_without_rows_warns_that_the_snapshot_is_empty(tmp_path: Path) -> None:
    path = write_xlsx({"vInfo": (["VM", "CPUs"], [])}, tmp_path / "empty.xlsx")
    warnings: list[str] = []
    assert load_rvtools(path, on_warning=warnings.append).vms == []
    assert warnings[0] == f"{path}, tab vInfo: the tab lists no VMs; the snapshot holds none."
