"""File shapes for the RVTools writer: xlsx (openpyxl, or as Excel writes it), CSV folder, zip of CSVs."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

TabRows = tuple[list[str], Iterable[list[Any]]]


def write_xlsx(tables: dict[str, TabRows], path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for tab, (header, rows) in tables.items():
        sheet = workbook.create_sheet(tab)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _sheet_xml(header: list[str], rows: Iterable[list[Any]], strings: dict[str, int]) -> str:
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i + 1) for i in range(len(header))]
    body: list[str] = []
    count = 0
    for number, values in enumerate([header, *rows], start=1):
        count = number
        cells: list[str] = []
        for letter, value in zip(letters, values, strict=False):
            ref = f"{letter}{number}"
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif isinstance(value, datetime):
                serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            else:
                index = strings.setdefault(escape(str(value)), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        body.append(f'<row r="{number}">{"".join(cells)}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_NS}">'
            f'<dimension ref="A1:{letters[-1] if letters else "A"}{count}"/><sheetData>{"".join(body)}</sheetData>'
            "</worksheet>")


def write_xlsx_like_excel(tables: dict[str, TabRows], path: Path) -> Path:
    """An xlsx as Excel and .NET writers make it (shared strings, a dimension element), not as openpyxl does."""
    strings: dict[str, int] = {}
    sheets = [_sheet_xml(header, rows, strings) for header, rows in tables.values()]
    names = list(tables)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
                            for i in range(1, len(sheets) + 1))
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{overrides}</Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        sheet_list = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                             for i, name in enumerate(names, start=1))
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" '
                         f'xmlns:r="{_REL_NS}"><sheets>{sheet_list}</sheets></workbook>')
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        links = "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                        for i in range(1, len(sheets) + 1))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships">{links}<Relationship Id="rIdS" Type="{rel}/sharedStrings" '
            f'Target="sharedStrings.xml"/><Relationship Id="rIdT" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        archive.writestr("xl/styles.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_NS}"><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
            '</borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="22" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
            'xfId="0" builtinId="0"/></cellStyles></styleSheet>'))
        shared = "".join(f"<si><t xml:space=\"preserve\">{text}</t></si>" for text in strings)
        archive.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_NS}" '
                         f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>')
        for i, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", sheet)
    return path


def _csv_value(value: Any, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and decimal_comma:
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


def csv_bytes(header: list[str], rows: Iterable[list[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    decimal_comma = delimiter == ";"
    for row in rows:
        writer.writerow([_csv_value(value, decimal_comma) for value in row])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def write_csv_folder(tables: dict[str, TabRows], folder: Path, *, delimiter: str = ",", bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for tab, (header, rows) in tables.items():
        (folder / f"RVTools_tab{tab}.csv").write_bytes(csv_bytes(header, rows, delimiter=delimiter, bom=bom))
    return folder


def write_zip(tables: dict[str, TabRows], path: Path, *, delimiter: str = ",", bom: bool = False,
              prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for tab, (header, rows) in tables.items():
            archive.writestr(f"{prefix}RVTools_tab{tab}.csv", csv_bytes(header, rows, delimiter=delimiter, bom=bom))
    return path
