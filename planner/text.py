"""Untrusted text (VM names, annotations, tags, process arguments) made safe to show on a terminal."""

from __future__ import annotations

import re
from typing import Any

UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")
"""C0/C1 controls (an ESC drives the terminal, a newline breaks a layout), zero-width and bidi formatting marks."""


def printable(value: Any) -> str:
    """`value` as text with every unprintable character shown as a `\\xNN` / `\\uNNNN` escape."""
    text = "" if value is None else str(value)
    return UNPRINTABLE.sub(lambda match: match.group(0).encode("unicode_escape").decode("ascii"), text)
