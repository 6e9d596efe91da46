"""Sanitise a dependency-graph SVG (Graphviz's, from planner/graph/export.py) for inlining in the report.

The SVG is parsed and written again from an allow-list: drawing elements and presentation attributes whose values
match a strict pattern. Scripts, styles, ``foreignObject``, event handlers, links and anything that could load a
resource (``href``, ``url(...)``) are dropped; ``<a xlink:title>`` (Graphviz tooltips) becomes a group with a
``<title>``. Text is shown with invisible characters escaped and is escaped again on output, so a VM name in the
graph is only ever text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

from planner.report.safety import text as safe_text

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
MAX_SVG_CHARS = 8_000_000

_NUMBERS = re.compile(r"^[-+0-9.eE, ]{1,64}(pt|px|%)?$")
_POINTS = re.compile(r"^[-+0-9.eE, ]*$")
_PATH = re.compile(r"^[MmLlHhVvCcSsQqTtAaZz0-9.eE,+\- ]*$")
_TRANSFORM = re.compile(r"^((translate|scale|rotate|matrix)\([-+0-9.eE, ]*\)\s*)+$")
_PAINT = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,20}|none|transparent)$")
_WORDS = re.compile(r"^[A-Za-z0-9 ,_-]{1,80}$")

ATTRIBUTES = {
    "width": _NUMBERS, "height": _NUMBERS, "x": _NUMBERS, "y": _NUMBERS, "cx": _NUMBERS, "cy": _NUMBERS,
    "rx": _NUMBERS, "ry": _NUMBERS, "r": _NUMBERS, "x1": _NUMBERS, "y1": _NUMBERS, "x2": _NUMBERS, "y2": _NUMBERS,
    "dx": _NUMBERS, "dy": _NUMBERS, "stroke-width": _NUMBERS, "font-size": _NUMBERS, "opacity": _NUMBERS,
    "fill-opacity": _NUMBERS, "stroke-opacity": _NUMBERS, "stroke-dasharray": _POINTS, "viewBox": _POINTS,
    "points": _POINTS, "d": _PATH, "transform": _TRANSFORM, "fill": _PAINT, "stroke": _PAINT,
    "font-family": _WORDS, "font-weight": _WORDS, "font-style": _WORDS, "text-anchor": _WORDS, "class": _WORDS,
    "preserveAspectRatio": _WORDS,
}
ELEMENTS = {"svg", "g", "title", "path", "polygon", "polyline", "ellipse", "circle", "rect", "line", "text", "tspan"}
TEXT_ELEMENTS = {"title", "text", "tspan"}


class UnsafeSvg(ValueError):
    """An SVG the report will not inline (too large, not well-formed, or declaring entities)."""


def sanitise_svg(source: str) -> str:
    """The allow-listed SVG markup of ``source``, safe to place inside the HTML page."""
    if len(source) > MAX_SVG_CHARS:
        raise UnsafeSvg(f"the graph picture is {len(source):,} characters, more than {MAX_SVG_CHARS:,}")
    if "<!ENTITY" in source:
        raise UnsafeSvg("the graph picture declares XML entities")
    try:
        root = ET.fromstring(source)  # noqa: S314 - no entities (checked above); output is rebuilt from an allow-list
    except ET.ParseError as exc:
        raise UnsafeSvg(f"the graph picture is not well-formed XML ({exc})") from exc
    if _local(root.tag) != "svg":
        raise UnsafeSvg("the graph picture is not an SVG document")
    parts: list[str] = []
    _write(root, parts)
    return "".join(parts)


def _local(tag: object) -> str:
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return tag[len(SVG_NS):] if tag.startswith(SVG_NS) else ("" if tag.startswith("{") else tag)


def _attributes(element: ET.Element, name: str) -> str:
    kept = []
    for key, value in sorted(element.attrib.items()):
        pattern = ATTRIBUTES.get(key)
        if pattern is None or not pattern.fullmatch(value.strip()):
            continue
        if name == "svg" and key in {"width", "height"}:
            continue  # the page sizes the picture (CSS); its viewBox keeps the proportions
        kept.append(f' {key}="{escape(value.strip(), quote=True)}"')
    if name == "svg":
        kept.append(' role="img" class="graph-svg"')
    return "".join(kept)


def _write(element: ET.Element, parts: list[str]) -> None:
    name = _local(element.tag)
    if name == "a":  # Graphviz wraps nodes with tooltips in <a xlink:title=...>: keep the tooltip, drop the link
        parts.append("<g>")
        tooltip = element.attrib.get(XLINK_TITLE)
        if tooltip:
            parts.append(f"<title>{escape(safe_text(tooltip))}</title>")
        _children(element, parts)
        parts.append("</g>")
        return
    if name not in ELEMENTS:
        return  # script, style, foreignObject, image, use, animate, metadata...: dropped with their content
    parts.append(f"<{name}{_attributes(element, name)}>")
    if name in TEXT_ELEMENTS and element.text:
        parts.append(escape(safe_text(element.text)))
    _children(element, parts)
    parts.append(f"</{name}>")


def _children(element: ET.Element, parts: list[str]) -> None:
    for child in element:
        _write(child, parts)
        if child.tail and _local(element.tag) in TEXT_ELEMENTS:
            parts.append(escape(safe_text(child.tail)))
