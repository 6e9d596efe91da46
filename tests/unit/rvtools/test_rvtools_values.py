"""Header keys, units, numbers, booleans and dates as RVTools writes them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planner.sources.rvtools.columns import header_key
from planner.sources.rvtools.reader import sniff_delimiter
from planner.sources.rvtools.values import (
    ValueProblem,
    boolean,
    hardware_version,
    integer,
    limit,
    number,
    timestamp,
)


@pytest.mark.parametrize(("header", "tab", "expected"), [
    ("Capacity MiB", "vDisk", ("capacity", "mib")),
    ("Capacity MB", "vDisk", ("capacity", "mb")),
    ("Size MiB (total)", "vSnapshot", ("sizetotal", "mib")),
    ("# Memory", "vHost", ("nummemory", None)),
    ("Cores p/s", "vCPU", ("coresps", None)),
    ("Date / time", "vSnapshot", ("datetime", None)),
    ("OS according to the VMware Tools", "vInfo", ("osaccordingtothevmwaretools", None)),
    ("vInfoVMName", "vInfo", ("vmname", None)),
    ("vInfoTotalDiskCapacityMiB", "vInfo", ("totaldiskcapacity", "mib")),
    ("vHostCpuModel", "vHost", ("cpumodel", None)),
    ("  VM UUID ", "vInfo", ("vmuuid", None)),
    ("VInfoVersion", "vInfo", ("version", None)),
    ("vInfoNotes", "vInfo", ("notes", None)),
    ("vCDlabel", "vCD", ("label", None)),
    ("vDatastoreFreeSpace", "vDatastore", ("freespace", None)),
    ("vApp", "vInfo", ("vapp", None)),
    ("Video Ram KiB", "vInfo", ("videoram", "kib")),
    ("Free %", "vDatastore", ("freepct", None)),
    ("Free MB", "vDatastore", ("free", "mb")),
])
def test_header_keys(header: str, tab: str, expected: tuple[str, str | None]) -> None:
    assert header_key(header, tab) == expected


@pytest.mark.parametrize(("text", "decimal_comma", "expected"), [
    ("1.234,5", True, 1234.5), ("1234,5", True, 1234.5), ("4.096", True, 4096.0), ("1,234.5", False, 1234.5),
    ("12", None, 12.0), ("1 024", None, 1024.0), ("3,5", None, 3.5), ("1.234,5", None, 1234.5),
    ("1,234.5", None, 1234.5), (2048, True, 2048.0), (" ", None, None), (None, None, None), ("-1", False, -1.0),
])
def test_numbers(text: object, decimal_comma: bool | None, expected: float | None) -> None:
    assert number(text, decimal_comma=decimal_comma) == expected


def test_unit_factor_and_bad_numbers() -> None:
    assert integer("1,5", decimal_comma=True, factor=1024) == 1536
    with pytest.raises(ValueProblem, match="'n/a' is not a number"):
        number("n/a")
    for text in ("NaN", "inf", "-Infinity", "1e999"):  # float() reads these; round() would then crash
        with pytest.raises(ValueProblem, match="is not a finite number"):
            integer(text, decimal_comma=False)
    assert limit(-1) is None and limit(0) == 0 and limit(None) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("True", True), ("false", False), ("Yes", True), ("0", False), (True, True), ("", None), ("maybe", None),
    ("WAHR", True), ("FAUX", False), ("VERO", True), ("FALSO", False), ("VERDADEIRO", True),
])
def test_booleans(value: object, expected: bool | None) -> None:
    assert boolean(value) is expected


@pytest.mark.parametrize("value", [
    "2026-03-01 08:30:00", "2026-03-01T08:30:00", "01.03.2026 08:30:00", "3/1/2026 8:30:00 AM",
    datetime(2026, 3, 1, 8, 30),
])
def test_timestamps_are_utc(value: object) -> None:
    assert timestamp(value) == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_day_first_slashed_dates_are_read_when_they_cannot_be_month_first() -> None:
    """UK/French locales write 25/03/2026; month-first stays the reading wherever both are possible."""
    assert timestamp("25/03/2026 14:05:00") == datetime(2026, 3, 25, 14, 5, tzinfo=UTC)
    assert timestamp("25/03/2026") == datetime(2026, 3, 25, tzinfo=UTC)
    assert timestamp("03/04/2026") == datetime(2026, 3, 4, tzinfo=UTC)


def test_hardware_versions() -> None:
    assert (hardware_version("19"), hardware_version("8"), hardware_version("vmx-21"), hardware_version(None)) == (
        "vmx-19", "vmx-08", "vmx-21", None)


def test_unreadable_dates_stay_empty() -> None:
    assert timestamp("last tuesday") is None and timestamp(None) is None


@pytest.mark.parametrize(("line", "expected"), [
    ("VM,Powerstate,CPUs", ","), ("VM;Powerstate;CPUs", ";"), ('"a,b";c;d', ";"), ("VM\tCPUs", "\t"), ("VM", ","),
])
def test_delimiter_sniffing(line: str, expected: str) -> None:
    assert sniff_delimiter(line) == expected
