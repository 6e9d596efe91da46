"""The graph picture is rebuilt from an allow-list: nothing in it can run, load or escape into the page."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from planner.graph.export import annotate, render_svg, to_dot
from planner.report.svg import UnsafeSvg, sanitise_svg
from tests.support.components import require
from tests.support.plan_factory import HOSTILE

SVG = "http://www.w3.org/2000/svg"


def wrap(body: str) -> str:
    return (f'<svg xmlns="{SVG}" xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="10pt" '
            f'viewBox="0 0 10 10" onload="alert(1)">{body}</svg>')


def test_scripts_handlers_links_and_resources_are_dropped():
    out = sanitise_svg(wrap(
        '<script>alert(1)</script><style>*{background:url(http://x/)}</style>'
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'
        '<image href="http://192.0.2.1/x.png"/><use xlink:href="http://192.0.2.1/s.svg#a"/>'
        '<a xlink:href="javascript:alert(2)" xlink:title="tip &lt;b&gt;"><rect x="1" y="1" width="2" height="2" '
        'fill="url(http://192.0.2.1/p)" stroke="#123456" onclick="alert(3)"/></a>'
        '<animate attributeName="href" to="javascript:alert(4)"/>'
        '<text x="1" y="2" font-family="Helvetica,sans-Serif" transform="rotate(0 1 1) translate(4 5)">ok</text>'))
    for bad in ("script", "style", "foreignObject", "image", "use", "animate", "onload", "onclick", "href",
                "javascript", "url(", "http", "alert"):
        assert bad not in out, bad
    root = ET.fromstring(out.replace("<svg ", f'<svg xmlns="{SVG}" ', 1))
    assert root.get("viewBox") == "0 0 10 10" and root.get("width") is None
    rect = root.find(f".//{{{SVG}}}rect")
    assert rect is not None and rect.get("fill") is None and rect.get("stroke") == "#123456"
    assert root.find(f".//{{{SVG}}}g/{{{SVG}}}title").text == "tip <b>"
    text = root.find(f".//{{{SVG}}}text")
    assert text.text == "ok" and text.get("transform") == "rotate(0 1 1) translate(4 5)"


def test_text_is_escaped_and_invisible_characters_shown():
    out = sanitise_svg(wrap(f"<text>{HOSTILE.replace('&', '&amp;').replace('<', '&lt;')}</text>"))
    assert "<script" not in out and "<img" not in out and "\u202e" not in out and "\\u202e" in out


@pytest.mark.parametrize(("source", "reason"), [
    ('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', "declares XML entities"),
    ("<svg><g></svg>", "not well-formed"),
    ("<html/>", "not an SVG document"),
    ("<svg>" + " " * 8_000_001 + "</svg>", "more than"),
])
def test_what_is_not_inlined(source, reason):
    with pytest.raises(UnsafeSvg, match=reason):
        sanitise_svg(source)


def test_graphviz_output_of_hostile_names_keeps_its_drawing():
    if shutil.which("dot") is None:
        require("graphviz", "`dot` is not on PATH (apt-get install graphviz)")
    graph = nx.DiGraph()
    graph.add_node("a", kind="vm", name=HOSTILE, num_cpu=2)
    graph.add_node("b", kind="vm", name="db-01", num_cpu=4)
    graph.add_edge("a", "b", ports=["tcp/5432"], client_processes=[HOSTILE])
    source = render_svg(to_dot(annotate(graph, wave_of={"a": 2, "b": 1}, fits={"a": "good", "b": "none"})))
    out = sanitise_svg(source)
    root = ET.fromstring(out.replace("<svg ", f'<svg xmlns="{SVG}" ', 1))
    texts = ["".join(element.itertext()) for element in root.iter(f"{{{SVG}}}text")]
    assert "db-01" in texts and any("<script>window.__pwned=1</script>" in text for text in texts)
    original = ET.fromstring(source)
    for shape in ("polygon", "path", "text", "ellipse", "g"):  # the drawing is whole (a <a> becomes a <g>)
        before = len(list(original.iter(f"{{{SVG}}}{shape}"))) + (
            len(list(original.iter(f"{{{SVG}}}a"))) if shape == "g" else 0)
        assert len(list(root.iter(f"{{{SVG}}}{shape}"))) == before, shape
    assert "<script" not in out and "\u202e" not in out
