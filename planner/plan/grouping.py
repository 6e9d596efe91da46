"""Move groups without dependency data: VMs of one application move together, by the best label the estate has.

In order: a tag of an application category (``app``, ``application``), else a custom attribute of such a name,
else the VM folder. Groups only shape the waves; they say nothing about real dependencies, so the plan says those
are unknown.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from planner.graph import together_from_tags
from planner.models import Vm

APP_NAMES = ("app", "application", "applications", "service")
"""Tag categories and custom attribute names (case-insensitive) read as an application's name."""


def has_dependencies(graph: nx.DiGraph) -> bool:
    """Whether any observed link joins two VMs (links to external endpoints order no waves)."""
    return any(graph.nodes[u].get("kind") == "vm" and graph.nodes[v].get("kind") == "vm" and u != v
               for u, v in graph.edges())


def _tag_category(graph: nx.DiGraph) -> str | None:
    categories = {tag.split("/", 1)[0] for _, tags in graph.nodes(data="tags", default=()) for tag in tags or ()}
    return next((name for name in sorted(categories) if name.lower() in APP_NAMES), None)


def _attribute(vms: Mapping[str, Vm]) -> str | None:
    names = {name for vm in vms.values() for name in vm.custom_attributes}
    return next((name for name in sorted(names) if name.lower() in APP_NAMES), None)


def _by_value(values: Mapping[str, str | None]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for node, value in values.items():
        if value:
            groups.setdefault(value, []).append(node)
    return [sorted(members) for _, members in sorted(groups.items()) if len(members) > 1]


def fallback_groups(graph: nx.DiGraph, vms: Mapping[str, Vm]) -> tuple[str, list[list[str]]]:
    """``(basis, groups)``: how VMs were grouped (``tag:app``, ``attribute:Application``, ``folder`` or ``""`` for
    nothing to group by) and the groups of graph node ids. ``vms``: graph node id -> VM."""
    if (category := _tag_category(graph)) is not None:
        return f"tag:{category}", [group for group in together_from_tags(graph, category) if len(group) > 1]
    if (attribute := _attribute(vms)) is not None:
        return f"attribute:{attribute}", _by_value({node: vm.custom_attributes.get(attribute)
                                                    for node, vm in vms.items()})
    if any(vm.folder for vm in vms.values()):
        return "folder", _by_value({node: vm.folder for node, vm in vms.items()})
    return "", []


def basis_note(basis: str) -> str:
    """The plan's one-sentence ``dependencies.note`` for a fallback grouping."""
    if not basis:
        return "no discovery or flow data and nothing to group by: waves are only capped, dependencies unknown"
    what = {"folder": "VM folder"}.get(basis) or (
        f"application tag ({basis[4:]})" if basis.startswith("tag:") else f"custom attribute {basis[10:]}")
    return f"no discovery or flow data: grouped by {what}; dependencies are unknown"
