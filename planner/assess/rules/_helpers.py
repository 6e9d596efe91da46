"""Small pure helpers shared by rules (no policy parsing, no estate scans)."""

from __future__ import annotations

import ipaddress
from typing import Any

from planner.assess.usage import core_mhz, cpu_percent, cpu_used, memory_used_mib, powered_on

__all__ = ["GIB", "MIB", "core_mhz", "cpu_percent", "cpu_used", "first", "is_specific_address", "memory_used_mib",
           "parse_ip", "powered_on", "version_tuple"]


MIB = 1024**2
GIB = 1024**3


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = text.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_specific_address(text: str) -> bool:
    """True for a concrete, non-loopback IP (not a wildcard like 0.0.0.0, ::, *)."""
    address = parse_ip(text)
    return address is not None and not address.is_unspecified and not address.is_loopback


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """(5, 10) from '5.10.0-28-amd64'; (22, 4) from '22.04'; None when it does not start with a number."""
    if not text:
        return None
    parts: list[int] = []
    for chunk in text.replace("-", ".").split(".")[:3]:
        digits = ""
        for char in chunk:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(chunk):
            break
    return tuple(parts) or None


def first(items: list[Any], limit: int = 10) -> list[Any]:
    """At most ``limit`` items, so evidence stays small on very large guests."""
    return items[:limit]
