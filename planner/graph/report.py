"""The versioned JSON document of `planner waves --format json`, and fits and strategies from a stored assessment."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import networkx as nx

from planner.graph import Analysis
from planner.graph.build import is_external
from planner.graph.waves import WAVES_FORMAT_VERSION


def waves_document(analysis: Analysis, *, snapshot: str, options: Mapping[str, Any],
                   assessment: bool) -> dict[str, Any]:
    """Waves, move groups, VMs staying behind (and why), cutover risks and warnings (contract in docs/graph.md).
    ``options`` is the merged settings (``WaveSettings.describe`` plus the policy path); ``assessment`` says whether
    a stored assessment decided which VMs stay behind."""
    plan = analysis.plan
    groups = []
    for group in analysis.groups.groups:
        entry = group.as_dict()
        entry["wave"] = plan.group_wave.get(group.id)
        groups.append(entry)
    graph = analysis.graph
    vms = sum(1 for node in graph if not is_external(node))
    return {
        "format_version": WAVES_FORMAT_VERSION,
        "snapshot": snapshot,
        "options": dict(options),
        "summary": {
            "vms": vms, "edges": graph.number_of_edges(), "waves": len(plan.waves),
            "move_groups": len(groups), "excluded": len(plan.excluded), "cutover_risks": len(plan.risks),
            "dependency_data": graph.number_of_edges() > 0, "assessment": assessment,
        },
        "waves": [wave.as_dict() for wave in plan.waves],
        "move_groups": groups,
        "excluded": plan.excluded,
        "staying_behind": [each.as_dict() for each in plan.staying],
        "cutover_risks": [risk.as_dict() for risk in plan.risks],
        "warnings": [*graph.graph.get("warnings", []), *plan.warnings],
        "ignored_observations": graph.graph.get("ignored", {}),
    }


def _assessed(documents: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(VM name, entry) from stored assessment documents, whatever their exact shape (missing parts are skipped):
    ``{"vms": [{"name"|"vm": ..., ...}]}``, ``{"results": [...]}`` or ``{vm: {...}}``."""
    for body in documents.values():
        try:
            data = json.loads(body)
        except ValueError:
            continue
        items: list[Any] = []
        if isinstance(data, dict):
            for key in ("vms", "results", "assessments"):
                if isinstance(data.get(key), list):
                    items = data[key]
                    break
            else:
                items = [{"name": name, **value} for name, value in data.items() if isinstance(value, dict)]
        elif isinstance(data, list):
            items = data
        for item in items:
            if isinstance(item, dict) and isinstance(name := item.get("name") or item.get("vm"), str):
                yield name, item


def _field(documents: Mapping[str, str], key: str) -> dict[str, str]:
    return {name: item[key] for name, item in _assessed(documents) if isinstance(item.get(key), str)}


def fits_from_documents(documents: Mapping[str, str]) -> dict[str, str]:
    """VM name -> fit from stored assessment documents."""
    return _field(documents, "fit")


def strategies_from_documents(documents: Mapping[str, str]) -> dict[str, str]:
    """VM name -> assessed strategy (``containerize``, ``keep-vm``, ``retire``…) from stored assessment documents."""
    return _field(documents, "strategy")


def strategies_by_node(graph: nx.DiGraph, strategies: Mapping[str, str]) -> dict[str, str]:
    """Graph VM node -> strategy, matched by VM name (a duplicated name's nodes all take that name's strategy)."""
    result = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "vm" and (strategy := strategies.get(str(data.get("name", node)))) is not None:
            result[node] = strategy
    return result
