"""Resolve parent chains once per vCenter: datacenter of an object, folder and resource-pool paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    kind: str
    name: str
    parent: str | None


def moid(ref: Any) -> str | None:
    return ref._moId if ref is not None else None


class Topology:
    """Parent links of the inventory's containers, memoised lookups."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self._datacenter: dict[str, str | None] = {}

    def add(self, kind: str, object_id: str, name: str, parent: Any) -> None:
        self.nodes[object_id] = Node(kind, name, moid(parent))

    def datacenter_of(self, object_id: str | None) -> str | None:
        """Name of the datacenter above an object (itself included)."""
        if object_id is None:
            return None
        if object_id in self._datacenter:
            return self._datacenter[object_id]
        trail: list[str] = []
        current: str | None = object_id
        found: str | None = None
        while current is not None and current not in self._datacenter:
            node = self.nodes.get(current)
            if node is None:
                break
            trail.append(current)
            if node.kind == "Datacenter":
                found = node.name
                break
            current = node.parent
        else:
            if current is not None:
                found = self._datacenter[current]
        for item in trail:
            self._datacenter[item] = found
        return found

    def path(self, object_id: str | None, stop_kinds: tuple[str, ...] = ()) -> str | None:
        """'/'-joined names from the top (or the first `stop_kinds` ancestor, included) down to the object."""
        names: list[str] = []
        current = object_id
        while current is not None:
            node = self.nodes.get(current)
            if node is None:
                break
            names.append(node.name)
            if node.kind in stop_kinds:
                break
            current = node.parent
        if not names:
            return None
        return "/" + "/".join(reversed(names))

    def folder_path(self, object_id: str | None) -> str | None:
        """Folder path such as /DC0/vm/web, starting at the datacenter."""
        return self.path(object_id, stop_kinds=("Datacenter",))

    def pool_path(self, object_id: str | None) -> str | None:
        """Resource pool path below its cluster or host, such as Resources/prod."""
        names: list[str] = []
        current = object_id
        while current is not None:
            node = self.nodes.get(current)
            if node is None or node.kind != "ResourcePool":
                break
            names.append(node.name)
            current = node.parent
        return "/".join(reversed(names)) or None
