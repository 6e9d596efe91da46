"""Graph exports: JSON (networkx node-link), GraphML, Graphviz DOT, and SVG rendered by Graphviz ``dot``.

VM names, process names and tags are untrusted text. DOT never sees them as identifiers (nodes are ``n0``,
``n1``...); in labels and tooltips they pass through ``dot_string``, which escapes quotes, backslashes (so Graphviz
escapes like ``\\N`` stay literal), ``&`` (so entities stay literal in SVG) and drops control characters.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

import networkx as nx

from planner.errors import ExecutionError, InputError
from planner.graph.build import is_external

GRAPH_FORMAT_VERSION = 1
SVG_MAX_NODES = 2000
DOT_TIMEOUT = 300

FIT_COLOURS = {
    "excellent": "#1a9850", "good": "#91cf60", "moderate": "#fee08b", "poor": "#fc8d59", "none": "#d73027",
    "unknown": "#e0e0e0",
}
DARK_FITS = {"excellent", "none"}
NO_FIT_COLOUR = "#dbe9f6"
EXTERNAL_COLOUR = "#f2f2f2"


def annotate(graph: nx.DiGraph, *, group_of: Mapping[str, int] | None = None, wave_of: Mapping[str, int] | None = None,
             fits: Mapping[str, str] | None = None) -> nx.DiGraph:
    """Add ``move_group``, ``wave`` and ``fit`` node attributes where known (in place; returns the graph)."""
    for node, data in graph.nodes(data=True):
        if group_of and node in group_of:
            data["move_group"] = group_of[node]
        if wave_of and node in wave_of:
            data["wave"] = wave_of[node]
        if fits and node in fits:
            data["fit"] = fits[node]
    return graph


def to_node_link(graph: nx.DiGraph) -> dict[str, Any]:
    """networkx node-link data (edges under ``links``) plus ``format_version``; load with
    ``nx.node_link_graph(data, edges="links")``."""
    data = nx.node_link_data(graph, edges="links")
    data["format_version"] = GRAPH_FORMAT_VERSION
    return data


# Characters XML 1.0 cannot carry at all (C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML cannot hold replaced by U+FFFD (process names come from guests)."""
    return _XML_INVALID.sub("\ufffd", text)


def _scalar(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return xml_text(",".join(str(item) for item in value))
    return xml_text(value) if isinstance(value, str) else value


def to_graphml(graph: nx.DiGraph) -> str:
    """GraphML; list attributes become comma-separated strings, missing values are left out, and text XML cannot
    hold (control characters in names) is replaced, ids included, so the file always loads back."""
    flat = nx.DiGraph()
    flat.graph["format_version"] = GRAPH_FORMAT_VERSION
    for node, data in graph.nodes(data=True):
        flat.add_node(xml_text(node), **{key: _scalar(value) for key, value in data.items() if value is not None})
    for u, v, data in graph.edges(data=True):
        flat.add_edge(xml_text(u), xml_text(v),
                      **{key: _scalar(value) for key, value in data.items() if value is not None})
    buffer = io.BytesIO()
    nx.write_graphml(flat, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def dot_string(text: object, limit: int = 200) -> str:
    """``text`` as a quoted DOT string that Graphviz shows literally."""
    raw = str(text)
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    cleaned = "".join(ch if ch.isprintable() else " " for ch in raw)
    escaped = cleaned.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{escaped}"'


def _label(*lines: str) -> str:
    """Several untrusted lines joined by DOT line breaks (the escapes are added after quoting each part)."""
    return '"' + "\\n".join(dot_string(line)[1:-1] for line in lines if line) + '"'


def _ports_text(ports: list[str], limit: int = 3) -> str:
    shown = ", ".join(ports[:limit])
    return shown + (f" +{len(ports) - limit}" if len(ports) > limit else "")


def to_dot(graph: nx.DiGraph, *, title: str | None = None) -> str:
    """Graphviz DOT, left to right: VMs boxed by wave (wave 1 leftmost) when waves are known, else clients left of
    their servers; arrows always point from client to server."""
    ids = {node: f"n{index}" for index, node in enumerate(graph)}
    has_waves = any(wave is not None for _, wave in graph.nodes(data="wave"))
    how = ("Waves from left to right. " if has_waves else "") + "Arrows point from a client to the server it uses."
    lines = [
        "digraph planner {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.35, ranksep=0.9, splines=true,'
        f' charset="UTF-8", label={_label(*([title] if title else []), how)}, labelloc=t];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="#555555"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#777777", arrowsize=0.7];',
    ]
    by_wave: dict[int | None, list[str]] = {}
    for node, data in graph.nodes(data=True):
        by_wave.setdefault(data.get("wave") if data.get("kind") == "vm" else None, []).append(node)

    def node_line(node: str, indent: str) -> str:
        data = graph.nodes[node]
        if is_external(node):
            return (f'{indent}{ids[node]} [shape=ellipse, style="dashed,filled", fillcolor="{EXTERNAL_COLOUR}", '
                    f"label={_label('external', str(data.get('name', node)))}, "
                    f"tooltip={dot_string(', '.join(data.get('addresses') or []))}];")
        fit = data.get("fit")
        colour = FIT_COLOURS.get(str(fit), NO_FIT_COLOUR) if fit else NO_FIT_COLOUR
        details = []
        if data.get("num_cpu"):
            details.append(f"{data['num_cpu']} vCPU")
        if data.get("move_group") is not None:
            details.append(f"group {data['move_group']}")
        if fit:
            details.append(f"fit: {fit}")
        if has_waves and data.get("wave") is None:
            details.append("stays behind")
        label = _label(str(data.get("name", node)), " · ".join(details))
        font = ', fontcolor="white"' if fit in DARK_FITS else ""
        return f'{indent}{ids[node]} [fillcolor="{colour}"{font}, label={label}, tooltip={dot_string(node)}];'

    for wave in sorted(w for w in by_wave if w is not None):
        lines.append(f"  subgraph cluster_wave_{int(wave)} {{")
        count = len(by_wave[wave])
        lines.append(f'    label="Wave {int(wave)} · {count} VM{"" if count == 1 else "s"}"; style="rounded,dashed"; '
                     'color="#8888aa"; fontcolor="#333366";')
        lines.extend(node_line(node, "    ") for node in by_wave[wave])
        lines.append("  }")
    lines.extend(node_line(node, "  ") for node in by_wave.get(None, []))
    fits_shown = [fit for fit in FIT_COLOURS if any(d.get("fit") == fit for _, d in graph.nodes(data=True))]
    if fits_shown:
        lines.append('  subgraph cluster_legend { label="fit"; style="rounded"; color="#bbbbbb"; fontsize=10;')
        for index, fit in enumerate(fits_shown):
            font = ', fontcolor="white"' if fit in DARK_FITS else ""
            lines.append(f'    legend{index} [label="{fit}", fillcolor="{FIT_COLOURS[fit]}"{font}, fontsize=9, '
                         "height=0.25, width=0.8];")
        lines.append("  }")
    # Waves read left to right: edges are laid out in wave order. With providers first, that is server -> client,
    # drawn reversed (dir=back) so every arrow still points from the client to the server it uses.
    waves = {node: wave for node, wave in graph.nodes(data="wave") if wave is not None}
    later_client = sum(1 for u, v in graph.edges if u in waves and v in waves and waves[u] > waves[v])
    earlier_client = sum(1 for u, v in graph.edges if u in waves and v in waves and waves[u] < waves[v])
    servers_left = later_client > earlier_client
    for u, v, data in graph.edges(data=True):
        ports = list(data.get("ports") or [])
        processes = sorted(set(data.get("client_processes") or []) | set(data.get("server_processes") or []))
        tooltip = f"{u} -> {v}: {', '.join(ports)}" + (f" ({', '.join(processes)})" if processes else "")
        count = data.get("count") or 0
        width = 1.0 + min(3.0, len(str(count)) * 0.4) if count else 1.0
        clients = list(data.get("client_processes") or [])
        who = ", ".join(clients[:2]) + (f" +{len(clients) - 2}" if len(clients) > 2 else "")
        label = _label(_ports_text(ports), who)
        layout = f"{ids[v]} -> {ids[u]} [dir=back, " if servers_left else f"{ids[u]} -> {ids[v]} ["
        lines.append(f"  {layout}label={label}, tooltip={dot_string(tooltip)}, penwidth={width:.1f}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str, *, node_count: int = 0, dot_binary: str = "dot") -> str:
    """SVG from DOT through Graphviz ``dot``; raises ``ExecutionError`` if Graphviz is missing or fails."""
    if node_count > SVG_MAX_NODES:
        raise InputError(f"the graph has {node_count} nodes; an SVG of more than {SVG_MAX_NODES} is unreadable.",
                         hint="Use --format json or graphml, or limit the snapshot.")
    executable = shutil.which(dot_binary)
    if executable is None:
        raise ExecutionError("Graphviz `dot` is not installed; it renders SVG graphs.",
                             hint="Install Graphviz (e.g. apt-get install graphviz) or use --format dot.")
    try:
        result = subprocess.run([executable, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                                timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ExecutionError(f"Graphviz `dot` did not finish within {DOT_TIMEOUT} s.") from exc
    if result.returncode != 0:
        raise ExecutionError(f"Graphviz `dot` failed ({result.returncode}): "
                             f"{result.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return result.stdout.decode("utf-8")
