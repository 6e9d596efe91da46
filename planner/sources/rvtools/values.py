"""Cell values as RVTools writes them: numbers (also with a decimal comma), booleans, dates, units."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

MIB = 1024**2

UNIT_FACTORS_MIB: dict[str, float] = {
    "kb": 1 / 1024, "kib": 1 / 1024,
    "mb": 1.0, "mib": 1.0,
    "gb": 1024.0, "gib": 1024.0,
    "tb": 1024.0**2, "tib": 1024.0**2,
}
"""Size units in headers, as MiB factors. RVTools 3.x wrote "MB" for the same binary values 4.x calls "MiB"."""

_TRUE = {"true", "yes", "1", "on", "waar", "wahr", "vrai", "verdadero", "vero", "verdadeiro"}
_FALSE = {"false", "no", "0", "off", "onwaar", "falsch", "faux", "falso"}
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
)
"""Tried in order: a slashed date is read month-first (US) and day-first only when that fails (day > 12)."""


class ValueProblem(ValueError):
    """A cell could not be read as the type its column needs; the caller adds file, tab, row and column."""


def text(value: Any) -> str | None:
    """A cell as stripped text, None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    return result or None


def number(value: Any, *, decimal_comma: bool | None = None) -> float | None:
    """A number from a cell; `decimal_comma` True for `1.234,5`, False for `1,234.5`, None to tell from the text."""
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float):
        result = float(value)
    else:
        raw = _SPACES.sub("", str(value))
        if not raw:
            return None
        if decimal_comma is None:
            decimal_comma = "," in raw and ("." not in raw or raw.rfind(",") > raw.rfind("."))
        cleaned = raw.replace(".", "").replace(",", ".") if decimal_comma else raw.replace(",", "")
        try:
            result = float(cleaned)
        except ValueError:
            raise ValueProblem(f"{str(value).strip()!r} is not a number") from None
    if not math.isfinite(result):  # "NaN", "inf", "1e999": no size or count is infinite
        raise ValueProblem(f"{str(value).strip()!r} is not a finite number")
    return result


def integer(value: Any, *, decimal_comma: bool | None = None, factor: float = 1.0) -> int | None:
    """A whole number, scaled by `factor` (unit conversion) and rounded."""
    result = number(value, decimal_comma=decimal_comma)
    return None if result is None else round(result * factor)


def boolean(value: Any) -> bool | None:
    """True/False as RVTools writes it (or Excel re-saves it: WAHR, VRAI, VERO...); anything else is unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def timestamp(value: Any) -> datetime | None:
    """A date/time cell; naive values (RVTools writes local time without a zone) are taken as UTC."""
    if value is None:
        return None
    result: datetime | None = value if isinstance(value, datetime) else _parse_date_text(str(value).strip())
    if result is None:
        return None
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def _parse_date_text(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def limit(value: int | None) -> int | None:
    """vSphere's -1 means unlimited, which the model spells None."""
    return None if value is None or value < 0 else value


def hardware_version(value: str | None) -> str | None:
    """`19` (as RVTools writes it) -> `vmx-19`, the vSphere spelling; other text is kept."""
    if value is None:
        return None
    return f"vmx-{int(value):02d}" if value.isdigit() else value
