"""Match RVTools headers loosely and read typed cells with errors that name file, tab, row and column.

Headers are compared by a key: lower case, letters and digits only, ``#`` read as ``num`` and ``%`` as
``pct``, a size unit (``MiB``, ``MB``, ``GB``...) split off and remembered so values convert to the model's
units. The internal camel-case names RVTools' CSV exports carry (``vInfoVMName``, ``VInfoVersion``,
``vCDlabel``) lose their tab prefix, so ``vInfoVMName`` and ``VM Name`` share the key ``vmname``. Each field
lists the keys it accepts, covering the 3.x/4.x renames and the internal names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from planner.errors import InputError
from planner.sources.rvtools import values
from planner.sources.rvtools.reader import Row, Tab

T = TypeVar("T")
_TOKENS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    key: str
    unit: str | None

    def mib_factor(self, default_unit: str = "mib") -> float:
        """Factor from this column's unit to MiB (columns without a unit use `default_unit`)."""
        return values.UNIT_FACTORS_MIB[self.unit or default_unit]


def header_key(header: str, tab: str) -> tuple[str, str | None]:
    """(key, unit) of a header: `Capacity MiB` -> (`capacity`, `mib`); `vInfoVMName` -> (`vmname`, None)."""
    raw = header.strip()
    if " " not in raw and raw[: len(tab)].lower() == tab.lower() and len(raw) > len(tab):
        raw = raw[len(tab):]  # `vInfoVMName`, `VInfoVersion`, `vCDlabel`: RVTools' internal names
    lowered = raw.lower().replace("#", " num ").replace("%", " pct ")
    tokens = _TOKENS.findall(lowered)
    unit: str | None = None
    for position, token in enumerate(tokens):
        if token in values.UNIT_FACTORS_MIB:
            unit = token
            del tokens[position]
            break
    key = "".join(tokens)
    if unit is None and " " not in header.strip():
        for suffix in ("mib", "gib", "kib", "tib"):
            if key.endswith(suffix) and len(key) > len(suffix):
                key, unit = key[: -len(suffix)], suffix
                break
    return key, unit


class Columns:
    """The columns of one tab, looked up by any of a field's accepted keys."""

    def __init__(self, tab: Tab) -> None:
        self.tab = tab
        self.by_key: dict[str, Column] = {}
        self.ordered: list[Column] = []
        for index, header in enumerate(tab.header):
            key, unit = header_key(header, tab.name)
            column = Column(index, header.strip(), key, unit)
            self.ordered.append(column)
            if key:
                self.by_key.setdefault(key, column)

    def find(self, *keys: str) -> Column | None:
        for key in keys:
            column = self.by_key.get(key)
            if column is not None:
                return column
        return None

    def require(self, label: str, *keys: str) -> Column:
        """The column or an InputError naming what is missing (row 1 is the header row)."""
        column = self.find(*keys)
        if column is None:
            raise InputError(f"{self.tab.origin}, row 1: required column '{label}' is missing "
                             f"(the header has {len(self.tab.header)} columns).")
        return column


class Cells:
    """Typed access to one row's cells; a bad value raises InputError naming file, tab, row and column."""

    __slots__ = ("decimal_comma", "number", "origin", "row")

    def __init__(self, origin: str, decimal_comma: bool | None) -> None:
        self.origin = origin
        self.decimal_comma = decimal_comma
        self.row: Row = ()
        self.number = 0

    def at(self, number: int, row: Row) -> Cells:
        self.number, self.row = number, row
        return self

    def raw(self, column: Column | None) -> Any:
        if column is None or column.index >= len(self.row):
            return None
        value = self.row[column.index]
        return None if value == "" else value

    def _convert(self, column: Column | None, convert: Callable[[Any], T]) -> T | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            return convert(value)
        except values.ValueProblem as exc:
            assert column is not None
            raise InputError(f"{self.origin}, row {self.number}, column '{column.header}': {exc}.") from None

    def text(self, column: Column | None) -> str | None:
        return values.text(self.raw(column))

    def integer(self, column: Column | None) -> int | None:
        return self._convert(column, lambda v: values.integer(v, decimal_comma=self.decimal_comma))

    def mib(self, column: Column | None, default_unit: str = "mib") -> int | None:
        """A size in MiB whatever the header's unit."""
        if column is None:
            return None
        factor = column.mib_factor(default_unit)
        return self._convert(column, lambda v: values.integer(v, decimal_comma=self.decimal_comma, factor=factor))

    def bytes(self, column: Column | None, default_unit: str = "mib") -> int | None:
        """A size in bytes whatever the header's unit."""
        if column is None:
            return None
        factor = column.mib_factor(default_unit) * values.MIB
        return self._convert(column, lambda v: values.integer(v, decimal_comma=self.decimal_comma, factor=factor))

    def boolean(self, column: Column | None) -> bool | None:
        return values.boolean(self.raw(column))

    def timestamp(self, column: Column | None) -> datetime | None:
        return values.timestamp(self.raw(column))
