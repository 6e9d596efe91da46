"""Untrusted plan text made safe for the report page: shown, never run.

Every string from a plan (VM names, annotations, tags, evidence, remediation) is hostile until proven otherwise.
In HTML it goes through Jinja's autoescape; before that, ``text``/``long_text`` show invisible characters (bidi
overrides, zero-width marks, controls) as visible ``\\u202e`` escapes (planner.text). Data for the page's script
goes into one ``<script type="application/json">`` island written by ``json_island``; artifact paths become links
only when ``relative_href`` finds them plain relative paths.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from planner.text import printable

_ISLAND_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_ISLAND_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def text(value: Any) -> str:
    """One line of untrusted text: ``None`` is empty, invisible and control characters are shown escaped."""
    if value is None:
        return ""
    shown = str(value)
    # str.isprintable() is False for every character planner.text escapes (controls, format marks, separators,
    # surrogates): the common case costs no regular expression.
    return shown if shown.isprintable() else printable(shown)


def long_text(value: Any) -> str:
    """Untrusted text that may span lines (evidence, remediation): each line as ``text``, newlines kept."""
    if value is None:
        return ""
    shown = str(value)
    if shown.isprintable():
        return shown
    return "\n".join(printable(line) for line in shown.split("\n"))


def json_island(data: Any) -> str:
    """JSON for inside ``<script type="application/json">``: ``<``, ``>``, ``&``, U+2028/2029 and lone
    surrogates written as ``\\uNNNN`` escapes, so no ``</script>`` or ``<!--`` can close or bend the element and
    ``JSON.parse`` reads back the very same values."""
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _ISLAND_UNSAFE.sub(lambda match: _ISLAND_ESCAPES.get(match.group(0))
                              or f"\\u{ord(match.group(0)):04x}", encoded)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9._@+=,~ -]+(/[A-Za-z0-9._@+=,~ -]+)*/?$")


def relative_href(path: Any) -> str | None:
    """A link target for an artifact path relative to the plan folder, or ``None`` when the path is anything else
    (a scheme such as ``javascript:``, an absolute or ``..`` path, a backslash, unusual characters): then the page
    shows it as text only."""
    if not isinstance(path, str) or not path or _SCHEME.match(path) or not _PLAIN_PATH.fullmatch(path):
        return None
    if any(part in {"", ".", ".."} for part in path.rstrip("/").split("/")):
        return None
    return quote(path, safe="/")


def csp_hash(source: str) -> str:
    """The CSP source expression (``'sha256-…'``) that allows exactly this inline script or style."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(script: str, style: str) -> str:
    """Nothing may load or connect; only the page's own inline script and style (by hash) run."""
    return (f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; img-src data:; "
            "base-uri 'none'; form-action 'none'")
