"""Move groups: VMs that must move together.

Strongly connected components (dependency cycles) are merged with user-declared "together" groups (a tag or a
policy list). Merging can close new cycles between groups, so the quotient is condensed once more; the result is
a DAG of groups. Everything is linear in nodes + edges (networkx condensation, union-find).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import networkx as nx

from planner.graph.build import is_external

TOGETHER_TAG_CATEGORY = "move-group"


@dataclass
class MoveGroup:
    """VMs that move in the same wave."""

    id: int
    members: list[str]
    reasons: list[str] = field(default_factory=list)
    num_cpu: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "members": self.members, "reasons": self.reasons, "num_cpu": self.num_cpu,
                "vm_count": len(self.members)}


@dataclass
class GroupResult:
    """Groups (ids from 1, ordered by first member), VM -> group id, and the group DAG (client -> server)."""

    groups: list[MoveGroup]
    group_of: dict[str, int]
    dag: nx.DiGraph
    warnings: list[str] = field(default_factory=list)

    def group(self, group_id: int) -> MoveGroup:
        return self.groups[group_id - 1]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def together_from_tags(graph: nx.DiGraph, category: str = TOGETHER_TAG_CATEGORY) -> list[list[str]]:
    """VMs sharing a tag of ``category`` (``move-group/erp``: category/name, as everywhere) move together."""
    prefix = category + "/"
    by_tag: dict[str, list[str]] = {}
    for node, tags in graph.nodes(data="tags", default=()):
        for tag in tags or ():
            if tag.startswith(prefix):
                by_tag.setdefault(tag, []).append(node)
    return [members for _, members in sorted(by_tag.items())]


def move_groups(graph: nx.DiGraph, together: Iterable[Iterable[str]] = (),
                leave_out: Collection[str] = ()) -> GroupResult:
    """Move groups of the graph's VMs (externals never move) with the DAG between them. VMs in ``leave_out`` (they
    stay behind whatever happens) are in no group, and ``together`` lists naming them are taken without them."""
    left_out = set(leave_out)
    vms = [node for node in graph if not is_external(node) and node not in left_out]
    vm_graph = nx.DiGraph()
    vm_graph.add_nodes_from(vms)
    vm_graph.add_edges_from((u, v) for u, v in graph.edges if u in vm_graph and v in vm_graph)
    condensed = nx.condensation(vm_graph)
    scc_of: dict[str, int] = condensed.graph["mapping"]
    warnings: list[str] = []

    uf = _UnionFind(condensed.number_of_nodes())
    merged_by_together: set[int] = set()
    for declared in together:
        members = [name for name in declared if name in scc_of]
        missing = [name for name in declared if name not in scc_of and name not in left_out]
        if missing:
            warnings.append(f"'together' names VMs not in the graph: {', '.join(sorted(missing)[:5])}")
        for name in members[1:]:
            if uf.find(scc_of[name]) != uf.find(scc_of[members[0]]):
                merged_by_together.add(scc_of[name])
                merged_by_together.add(scc_of[members[0]])
            uf.union(scc_of[members[0]], scc_of[name])

    quotient = nx.DiGraph()
    quotient.add_nodes_from({uf.find(scc) for scc in condensed})
    quotient.add_edges_from((ru, rv) for u, v in condensed.edges if (ru := uf.find(u)) != (rv := uf.find(v)))
    final = nx.condensation(quotient)
    final_of_root: dict[int, int] = final.graph["mapping"]

    members_of: dict[int, list[str]] = {}
    reasons_of: dict[int, set[str]] = {}
    for name in vms:
        scc = scc_of[name]
        final_id = final_of_root[uf.find(scc)]
        members_of.setdefault(final_id, []).append(name)
        reasons = reasons_of.setdefault(final_id, set())
        if len(condensed.nodes[scc]["members"]) > 1:
            reasons.add("dependency-cycle")
        if scc in merged_by_together:
            reasons.add("together")
    for final_id, members in final.nodes(data="members"):
        if len(members) > 1:
            reasons_of[final_id].add("cycle-through-together")

    ordered = sorted(members_of, key=lambda fid: min(members_of[fid]))
    number_of = {fid: index for index, fid in enumerate(ordered, start=1)}
    groups = []
    group_of: dict[str, int] = {}
    for fid in ordered:
        members = sorted(members_of[fid])
        gid = number_of[fid]
        for name in members:
            group_of[name] = gid
        cpu = sum(int(graph.nodes[name].get("num_cpu") or 0) for name in members)
        groups.append(MoveGroup(gid, members, sorted(reasons_of[fid]), cpu))
    dag = nx.DiGraph()
    dag.add_nodes_from(range(1, len(groups) + 1))
    dag.add_edges_from((number_of[u], number_of[v]) for u, v in final.edges)
    return GroupResult(groups, group_of, dag, warnings)
