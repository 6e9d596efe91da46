"""Exports load back with the same nodes and edges; untrusted names cannot break DOT or SVG."""

from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from graph_helpers import flow, make_estate, make_vm

from planner.graph import WaveOptions, analyse, build_graph
from planner.graph.export import annotate, dot_string, render_svg, to_dot, to_graphml, to_node_link
from tests.support.components import require

EVIL = 'evil"];\n n0 -> n1 [label="pwn <script>alert(1)</script> \\N &amp; {x}'


@pytest.fixture
def graph():
    estate = make_estate(make_vm("web", "192.0.2.10"), make_vm("app", "192.0.2.20"), make_vm(EVIL, "192.0.2.30"))
    graph = build_graph(estate, [flow("192.0.2.10", "192.0.2.20", 8080, bytes=10),
                                 flow("192.0.2.20", "192.0.2.30", 6379), flow("203.0.113.4", "192.0.2.10", 443)])
    result = analyse(graph)
    return annotate(graph, group_of=result.groups.group_of, wave_of=result.plan.wave_of, fits={"web": "good"})


def test_json_round_trip(graph):
    data = to_node_link(graph)
    assert data["format_version"] == 1
    back = nx.node_link_graph(data, edges="links")
    assert set(back.nodes) == set(graph.nodes) and set(back.edges) == set(graph.edges)
    assert back.nodes["web"]["wave"] == 3 and back.nodes["web"]["name"] == "web"


def test_graphml_round_trip(graph):
    back = nx.read_graphml(io.BytesIO(to_graphml(graph).encode()))
    assert set(back.nodes) == set(graph.nodes) and set(back.edges) == set(graph.edges)
    assert back.edges["web", "app"]["ports"] == "tcp/8080"


def test_dot_string_escapes():
    assert dot_string('a"b\\c\nd&e') == '"a\\"b\\\\c d&amp;e"'


def test_dot_keeps_untrusted_names_inside_labels(graph):
    text = to_dot(graph)
    edge_line = re.compile(r"^\s*n\d+ -> n\d+ \[")
    parsed_ids = [line.split()[0] for line in text.splitlines()
                  if "fillcolor" in line and not edge_line.match(line) and "legend" not in line]
    assert len(parsed_ids) == graph.number_of_nodes()
    assert all(node_id.startswith("n") and node_id[1:].isdigit() for node_id in parsed_ids)
    assert 'legend0 [label="good"' in text  # a fit legend when fits are known
    assert "\n n0 -> n1" not in text


def test_svg_shows_names_literally(graph):
    if shutil.which("dot") is None:
        require("graphviz", "`dot` is not on PATH (apt-get install graphviz)")
    svg = render_svg(to_dot(graph, title="estate"), node_count=graph.number_of_nodes())
    root = ET.fromstring(svg)  # well-formed XML: nothing injected
    texts = ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("pwn <script>" in text for text in texts)
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert "Wave 1 · 1 VM" in texts and "Wave 3 · 1 VM" in texts and "web" in texts
    assert sum(1 for el in root.iter("{http://www.w3.org/2000/svg}g") if el.get("class") == "edge") == 3


def test_fit_colours_from_a_stored_assessment(graph):
    from planner.graph.export import FIT_COLOURS
    from planner.graph.report import fits_by_node

    fits = fits_by_node(graph, {"a": '{"vms": [{"name": "app", "fit": "poor"}, {"vm": "web", "fit": "excellent"}]}',
                                "b": "not json", "c": '{"db": {"fit": "none"}}'})
    assert fits == {"app": "poor", "web": "excellent"}  # no VM db in this graph
    text = to_dot(annotate(graph, fits=fits))
    assert FIT_COLOURS["poor"] in text and "fit: excellent" in text


def test_graphml_survives_control_characters_from_guests():
    """Process names come from guests and VM names from vCenter: XML-invalid characters must not break the file."""
    estate = make_estate(make_vm("web\x01", "192.0.2.10"), make_vm("app", "192.0.2.20"))
    graph = build_graph(estate, [flow("192.0.2.10", "192.0.2.20", 8080)])
    graph.edges["web\x01", "app"]["client_processes"] = ["evil\x1b[31m\x00"]
    back = nx.read_graphml(io.BytesIO(to_graphml(graph).encode()))
    assert set(back.edges) == {("web\ufffd", "app")}
    assert back.edges["web\ufffd", "app"]["client_processes"] == "evil\ufffd[31m\ufffd"


def test_a_vm_named_like_an_external_group_stays_a_vm():
    """VM names are untrusted: one named ``external:...`` must not merge with (or pass for) an external group."""
    estate = make_estate(make_vm("web", "192.0.2.10"), make_vm("external:203.0.113.0/24", "192.0.2.20"))
    graph = build_graph(estate, [flow("203.0.113.4", "192.0.2.10", 443), flow("192.0.2.10", "192.0.2.20", 80)])
    vm_node = "vm external:203.0.113.0/24"
    assert graph.nodes[vm_node]["kind"] == "vm" and graph.nodes["external:203.0.113.0/24"]["kind"] == "external"
    assert set(graph.edges) == {("external:203.0.113.0/24", "web"), ("web", vm_node)}
    result = analyse(graph)
    assert set(result.plan.wave_of) == {"web", vm_node}


def test_dot_lays_waves_out_left_to_right_with_arrows_client_to_server(three_tier):
    """Providers first: servers are laid out left of their clients (wave 1 leftmost), arrows drawn reversed so
    they still point at the server; consumers first: plain client -> server. Both say so in the title."""
    graph = build_graph(three_tier, [flow("192.0.2.10", "192.0.2.20", 8080), flow("192.0.2.20", "192.0.2.30", 5432)])
    ids = {node: f"n{index}" for index, node in enumerate(graph)}
    for consumers_first, expected in ((False, f"{ids['app']} -> {ids['web']} [dir=back, "),
                                      (True, f"{ids['web']} -> {ids['app']} [label")):
        result = analyse(graph, options=WaveOptions(consumers_first=consumers_first))
        text = to_dot(annotate(graph.copy(), wave_of=result.plan.wave_of))
        assert expected in text and "Waves from left to right" in text
        assert ("dir=back" in text) is not consumers_first
    assert "Waves from left" not in to_dot(graph) and "dir=back" not in to_dot(graph)


def test_dot_marks_vms_that_stay_behind(three_tier):
    graph = build_graph(three_tier, [flow("192.0.2.10", "192.0.2.20", 8080)])
    result = analyse(graph, options=WaveOptions(exclude={"web"}))
    text = to_dot(annotate(graph, wave_of=result.plan.wave_of))
    [web_line] = [line for line in text.splitlines() if 'label="web' in line]
    assert "stays behind" in web_line and text.count("stays behind") == 1
    assert 'label="Wave 1 · 3 VMs"' in text
