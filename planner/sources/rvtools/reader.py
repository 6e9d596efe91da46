"""Open an RVTools export in any of its shapes and stream its tabs as rows.

Shapes: an xlsx workbook (one sheet per tab, read with openpyxl in read-only mode), a folder of
``RVTools_tab<Tab>.csv`` files, a single such CSV, or a zip of them (members are read in memory, never
extracted to paths named by the archive). CSV files may be comma- or semicolon-separated (the latter with a
decimal comma, as Excel writes them in European locales), UTF-8 with or without BOM, or UTF-16 with BOM.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from planner.errors import InputError

Row = Sequence[Any]
MAX_UNCOMPRESSED_BYTES = 8 * 1024**3
"""A zip announcing more than this is refused (a zip bomb is not an RVTools export)."""

CSV_FIELD_LIMIT = 64 * 1024**2
"""Longest CSV field read (the csv module's default, 128 KiB, is shorter than some annotations)."""
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, KeyError, ValueError, TypeError, OSError)
"""What a damaged workbook or archive raises while it is read (SyntaxError covers XML parse errors)."""

_CSV_TAB = re.compile(r"_tab([A-Za-z_]+)\.csv$", re.IGNORECASE)
_KNOWN_TABS = (
    "vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vUSB", "vSnapshot", "vTools", "vRP",
    "vCluster", "vHost", "vHBA", "vNIC", "vSwitch", "vPort", "dvSwitch", "dvPort", "vSC_VMK", "vDatastore",
    "vMultiPath", "vLicense", "vFileInfo", "vHealth", "vSource", "vMetaData", "vFloppy",
)
_TAB_BY_LOWER = {name.lower(): name for name in _KNOWN_TABS}


@dataclass
class Tab:
    """One tab: its header row and a stream of (1-based spreadsheet row number, values)."""

    name: str
    origin: str
    header: list[str]
    rows: Iterator[tuple[int, Row]]
    decimal_comma: bool | None


def canonical_tab(name: str) -> str:
    """`vinfo` -> `vInfo`; unknown names are kept as given."""
    return _TAB_BY_LOWER.get(name.strip().lower(), name.strip())


def _not_empty(values: Row) -> bool:
    return any(value is not None and value != "" for value in values)


def _numbered(origin: str, rows: Iterator[Row], errors: tuple[type[Exception], ...]) -> Iterator[tuple[int, Row]]:
    """Non-empty rows with their 1-based row numbers (the header is row 1); a read error names the row."""
    number = 1
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except errors as exc:
            raise InputError(f"{origin}, row {number}: the file is damaged or not readable "
                             f"({exc.__class__.__name__}: {exc}).") from exc
        if _not_empty(row):
            yield number, row


def _header(origin: str, rows: Iterator[Row], errors: tuple[type[Exception], ...]) -> list[str]:
    try:
        first = next(rows, None) or ()
    except errors as exc:
        raise InputError(f"{origin}, row 1: the file is damaged or not readable "
                         f"({exc.__class__.__name__}: {exc}).") from exc
    return ["" if cell is None else str(cell).strip() for cell in first]


class Export:
    """An opened export: the tabs it has, opened one at a time. Use as a context manager."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.ignored: list[str] = []  # files left out because another file already gave the same tab

    def tab_names(self) -> list[str]:
        raise NotImplementedError

    def open(self, name: str) -> Tab | None:
        """The tab called `name` (case-insensitive), or None when the export lacks it."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file handles."""

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WorkbookExport(Export):
    """An xlsx workbook, read row by row in openpyxl's read-only mode."""

    def __init__(self, source: Path | io.BytesIO, origin: str) -> None:
        super().__init__(origin)
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            with warnings.catch_warnings():  # e.g. "no default style": harmless, and not the user's to fix
                warnings.simplefilter("ignore", UserWarning)
                self._book = load_workbook(source, read_only=True, data_only=True, keep_links=False)
        except (InvalidFileException, *_UNREADABLE) as exc:  # also a sheet whose XML is cut off
            if isinstance(exc, OSError) and exc.strerror:  # permission denied, I/O error
                raise InputError(f"cannot read {origin}: {exc.strerror}.") from exc
            raise InputError(f"{origin}: not a readable xlsx workbook ({exc.__class__.__name__}); expected an "
                             "RVTools export (.xlsx, a folder of RVTools_tab*.csv files, or a .zip of them).") from exc
        self._sheets = {canonical_tab(name).lower(): name for name in self._book.sheetnames}

    def tab_names(self) -> list[str]:
        return [canonical_tab(name) for name in self._book.sheetnames]

    def open(self, name: str) -> Tab | None:
        sheet_name = self._sheets.get(name.lower())
        if sheet_name is None:
            return None
        sheet = self._book[sheet_name]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some writers store wrong dimensions; read to the real end
        origin = f"{self.origin}, tab {canonical_tab(sheet_name)}"
        values = iter(sheet.iter_rows(values_only=True))
        header = _header(origin, values, _UNREADABLE)
        return Tab(canonical_tab(sheet_name), origin, header, _numbered(origin, values, _UNREADABLE), None)

    def close(self) -> None:
        self._book.close()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(first_line: str) -> str:
    """`;` (European Excel), `\\t`, or `,`: whichever separates the header best, outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvExport(Export):
    """A set of RVTools_tab<Tab>.csv files, from a folder, a zip, or a single file."""

    def __init__(self, members: dict[str, tuple[str, Callable[[], bytes]]], origin: str) -> None:
        super().__init__(origin)
        self._members = members  # lower tab name -> (label, reader of the bytes)

    def tab_names(self) -> list[str]:
        return [canonical_tab(name) for name in self._members]

    def open(self, name: str) -> Tab | None:
        member = self._members.get(name.lower())
        if member is None:
            return None
        label, read = member
        tab = canonical_tab(name)
        origin = f"{label}, tab {tab}"
        try:
            data = read()
        except _UNREADABLE as exc:
            raise InputError(f"{origin}: the file is damaged or not readable ({exc.__class__.__name__}: {exc}).") \
                from exc
        content = _decode(data)
        first_line = content.split("\n", 1)[0]
        delimiter = sniff_delimiter(first_line)
        csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
        reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
        header = _header(origin, reader, (csv.Error,))
        return Tab(tab, origin, header, _numbered(origin, reader, (csv.Error,)), delimiter == ";")


def _csv_tab_name(file_name: str) -> str | None:
    match = _CSV_TAB.search(file_name)
    if match:
        return canonical_tab(match.group(1))
    stem = file_name[:-4] if file_name.lower().endswith(".csv") else file_name
    return _TAB_BY_LOWER.get(stem.lower())


def _folder_export(folder: Path) -> CsvExport:
    members: dict[str, tuple[str, Callable[[], bytes]]] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        tab = _csv_tab_name(path.name) if path.is_file() else None
        if tab is not None and tab.lower() in members:
            ignored.append(str(path))
        elif tab is not None:
            members[tab.lower()] = (str(path), path.read_bytes)
    export = CsvExport(members, str(folder))
    export.ignored = ignored
    return export


class _ZipCsvExport(CsvExport):
    def __init__(self, archive: zipfile.ZipFile, members: dict[str, tuple[str, Callable[[], bytes]]],
                 origin: str) -> None:
        super().__init__(members, origin)
        self._archive = archive

    def close(self) -> None:
        self._archive.close()


def _reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    return lambda: archive.read(info)


def _zip_export(path: Path) -> Export:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc}).") from exc
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        archive.close()
        raise InputError(f"{path}: the archive expands to more than {MAX_UNCOMPRESSED_BYTES // 1024**3} GiB; "
                         "refusing to read it.")
    members: dict[str, tuple[str, Callable[[], bytes]]] = {}
    ignored: list[str] = []
    workbooks: list[zipfile.ZipInfo] = []
    for info in infos:
        base = PurePosixPath(info.filename.replace("\\", "/")).name  # only a name to match, never a disk path
        if base.lower().endswith((".xlsx", ".xlsm")):
            workbooks.append(info)
            continue
        tab = _csv_tab_name(base)
        if tab is not None and tab.lower() in members:
            ignored.append(f"{path}:{info.filename}")
        elif tab is not None:
            members[tab.lower()] = (f"{path}:{base}", _reader(archive, info))
    if not members and len(workbooks) == 1:
        origin = f"{path}:{PurePosixPath(workbooks[0].filename.replace(chr(92), '/')).name}"
        try:
            data = archive.read(workbooks[0])
        except _UNREADABLE as exc:
            raise InputError(f"{origin}: the archive member is damaged ({exc.__class__.__name__}: {exc}).") from exc
        finally:
            archive.close()
        return WorkbookExport(io.BytesIO(data), origin)
    export = _ZipCsvExport(archive, members, str(path))
    export.ignored = ignored
    return export


def open_export(path: Path) -> Export:
    """The export at `path`: xlsx, folder of CSVs, single CSV, or zip."""
    suffix = path.suffix.lower()
    if path.is_dir():
        return _folder_export(path)
    if suffix == ".zip":
        return _zip_export(path)
    if suffix == ".csv":
        tab = _csv_tab_name(path.name)
        if tab is None:
            raise InputError(f"{path}: not an RVTools CSV file (expected a name like RVTools_tabvInfo.csv); pass "
                             "the folder holding the RVTools_tab*.csv files.")
        return CsvExport({tab.lower(): (str(path), path.read_bytes)}, str(path))
    return WorkbookExport(path, str(path))
