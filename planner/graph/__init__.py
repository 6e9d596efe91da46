"""The dependency graph: build it from observed traffic, cut it into move groups and waves, export it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from planner.graph.build import build_graph, external_id, is_external, paused_gc, vm_node_ids
from planner.graph.groups import GroupResult, MoveGroup, move_groups, together_from_tags
from planner.graph.observations import Observation, from_discovery, from_flows
from planner.graph.waves import (
    NO_DEPENDENCY_DATA,
    WAVES_FORMAT_VERSION,
    CutoverRisk,
    StayingVm,
    Wave,
    WaveOptions,
    WavePlan,
    plan_waves,
)
from planner.models import Estate
from planner.models.discovery import FlowRecord, GuestDiscovery

__all__ = [
    "NO_DEPENDENCY_DATA", "WAVES_FORMAT_VERSION", "Analysis", "CutoverRisk", "GroupResult", "MoveGroup", "Observation",
    "StayingVm", "Wave", "WaveOptions", "WavePlan", "analyse", "build_graph", "external_id", "from_discovery",
    "from_flows", "graph_from_sources", "is_external", "move_groups", "plan_waves", "together_from_tags",
    "vm_node_ids",
]


@dataclass
class Analysis:
    graph: nx.DiGraph
    groups: GroupResult
    plan: WavePlan


def graph_from_sources(estate: Estate, guests: Sequence[GuestDiscovery] = (),
                       flows: Iterable[FlowRecord] = ()) -> nx.DiGraph:
    """Graph from discovered guests (already matched to VMs: ``guest.vm``) and imported flows."""
    addresses = {guest.vm: [*guest.addresses, *guest.interface_addresses] for guest in guests if guest.vm}

    def observations() -> Iterable[Observation]:
        for guest in guests:
            yield from from_discovery(guest, guest.vm)
        yield from from_flows(flows)

    return build_graph(estate, observations(), addresses=addresses)


def analyse(graph: nx.DiGraph, *, together: Iterable[Iterable[str]] = (),
            together_tag: str | Sequence[str] | None = "move-group", options: WaveOptions | None = None) -> Analysis:
    """Move groups (cycles + declared "together" groups + VMs sharing a tag of a ``together_tag`` category, one
    category or several) and waves. VMs that stay behind by strategy (``options.stay_behind``) are in no group."""
    declared = [list(group) for group in together]
    for category in [together_tag] if isinstance(together_tag, str) else together_tag or ():
        if category:
            declared += together_from_tags(graph, category)
    with paused_gc():
        groups = move_groups(graph, declared, leave_out=options.stay_behind if options else ())
        return Analysis(graph, groups, plan_waves(graph, groups, options))
