"""Untrusted text (VM names, annotations, tags, process arguments, guest errors) made safe to show on a terminal.

Every command prints untrusted text through one of these: ``printable`` for plain text and rich ``Text``,
``markup`` inside a rich markup string, ``escape_invisible`` for JSON and YAML and ``escape_invisible_xml`` for
GraphML written to stdout or a file.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

_INVISIBLE = (
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u200b-\u200f"  # zero-width space/joiners, LRM, RLM
    "\u2028-\u202e"  # line/paragraph separators, bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, deprecated format controls
    "\ufeff\ufff9-\ufffb"  # zero-width no-break space (BOM), interlinear annotation controls
    "\ud800-\udfff"  # lone surrogates (cannot even be encoded for the terminal)
)
UNPRINTABLE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]+")
"""C0/C1 controls (an ESC or CSI drives the terminal, a newline breaks a layout), zero-width and bidi formatting
marks (they reorder or hide what is shown), lone surrogates."""
_RAW_IN_QUOTES = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")
"""What ``json.dumps(ensure_ascii=False)`` and PyYAML (``allow_unicode``) leave raw in double-quoted strings."""


def printable(value: Any) -> str:
    """`value` as text with every unprintable character shown as a `\\xNN` / `\\uNNNN` escape."""
    text = "" if value is None else str(value)
    return UNPRINTABLE.sub(lambda match: _escaped(match.group(0)), text)


def markup(value: Any) -> str:
    """`value` for a rich markup string: unprintable characters escaped (``printable``), then markup escaped."""
    return escape(printable(value))


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds a character that ``escape_invisible`` would escape."""
    return _RAW_IN_QUOTES.search(text) is not None


def escape_invisible(document: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``), or YAML whose strings with such characters are
    double-quoted, with DEL, C1 controls, bidi and zero-width marks and lone surrogates written as ``\\uNNNN``
    escapes: the same value when read back, safe on a terminal (these characters occur only inside strings)."""
    return _RAW_IN_QUOTES.sub(lambda match: f"\\u{ord(match.group(0)):04x}", document)


def escape_invisible_xml(document: str) -> str:
    """XML text (GraphML) with the same characters as ``escape_invisible`` written as ``&#xNN;`` references: the
    same document when parsed (they occur only in text and attribute values), safe on a terminal."""
    return _RAW_IN_QUOTES.sub(lambda match: f"&#x{ord(match.group(0)):x};", document)


def _escaped(text: str) -> str:
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")
