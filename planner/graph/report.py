"""The versioned JSON document of `planner waves --format json`, and fits and strategies from a stored assessment
(matched to graph nodes by VM identity)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import networkx as nx

from planner.graph import Analysis
from planner.graph.build import is_external
from planner.graph.waves import WAVES_FORMAT_VERSION


def waves_document(analysis: Analysis, *, snapshot: str, snapshot_id: int | None = None, options: Mapping[str, Any],
                   assessment: bool, discovery: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Waves, move groups, VMs staying behind (and why), cutover risks and warnings (contract in docs/graph.md).
    ``options`` is the merged settings (``WaveSettings.describe`` plus the policy path); ``assessment`` says whether
    a stored assessment decided which VMs stay behind; ``discovery`` says where the facts and flows come from and
    how old they are (``Evidence.document``)."""
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
        "snapshot_id": snapshot_id,
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
        "discovery": dict(discovery) if discovery is not None else None,
    }


def _assessed(documents: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """Entries (each with a ``vm``/``name`` and maybe a ``vm_key``) from stored assessment documents, whatever their
    exact shape (missing parts are skipped): ``{"vms": [...]}``, ``{"results": [...]}`` or ``{vm: {...}}``."""
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
            if isinstance(item, dict) and isinstance(item.get("name") or item.get("vm"), str):
                yield item


def _by_node(graph: nx.DiGraph, documents: Mapping[str, str], *keys: str) -> list[dict[str, str]]:
    """Per key, graph VM node -> the entries' field, matched by VM identity (``vm_key``). An entry without one (an
    assessment stored before VM keys) matches by name, and only a name that is unique in the graph and in the
    documents: two VMs of one name from two vCenters never take each other's verdict. One pass for all keys."""
    by_key: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "vm":
            by_key[str(data.get("vm_key") or "")] = node
            by_name.setdefault(str(data.get("name", node)), []).append(node)
    results: list[dict[str, str]] = [{} for _ in keys]
    legacy: list[dict[str, list[str]]] = [{} for _ in keys]
    for item in _assessed(documents):
        vm_key = item.get("vm_key")
        node = by_key.get(vm_key) if isinstance(vm_key, str) and vm_key else None
        for key, result, old in zip(keys, results, legacy, strict=True):
            value = item.get(key)
            if not isinstance(value, str):
                continue
            if isinstance(vm_key, str) and vm_key:
                if node is not None:
                    result[node] = value
                continue
            old.setdefault(str(item.get("name") or item.get("vm")), []).append(value)
    for result, old in zip(results, legacy, strict=True):
        for name, values in old.items():
            nodes = by_name.get(name, [])
            if len(values) == 1 and len(nodes) == 1 and nodes[0] not in result:
                result[nodes[0]] = values[0]
    return results


def verdicts_by_node(graph: nx.DiGraph, documents: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(fits, strategies) by graph VM node from stored assessment documents, in one pass."""
    fits, strategies = _by_node(graph, documents, "fit", "strategy")
    return fits, strategies


def fits_by_node(graph: nx.DiGraph, documents: Mapping[str, str]) -> dict[str, str]:
    """Graph VM node -> fit from stored assessment documents."""
    return _by_node(graph, documents, "fit")[0]


def strategies_by_node(graph: nx.DiGraph, documents: Mapping[str, str]) -> dict[str, str]:
    """Graph VM node -> assessed strategy (``containerize``, ``keep-vm``, ``retire``…) from stored assessment
    documents."""
    return _by_node(graph, documents, "strategy")[0]
