"""Build the dependency graph: VMs and grouped external endpoints, edges client -> server.

Single pass over the observations; an address index resolves IPs to VMs. Traffic inside one guest (loopback, or
to one of its own addresses) and traffic between two externals is left out.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import networkx as nx

from planner.addresses import is_link_local_text, is_loopback_text
from planner.graph.observations import Observation, is_loopback, normalize_ip
from planner.models import Estate, Vm
from planner.models.identity import EXTERNAL_PREFIX, vm_display_ids

MAX_WARNINGS = 10
MAX_EXTERNAL_ADDRESSES = 16


def vm_node_ids(vms: list[Vm]) -> list[str]:
    """Node id per VM (same order): its display id (``planner.models.identity``), the VM name where unique."""
    return vm_display_ids(vms)


@lru_cache(maxsize=65536)
def external_id(address: str, prefix_v4: int = 24, prefix_v6: int = 64) -> str:
    """Node id of the external group an address falls in (its /24 or /64 network)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return EXTERNAL_PREFIX + address
    prefix = prefix_v4 if ip.version == 4 else prefix_v6
    return EXTERNAL_PREFIX + str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass
class AddressIndex:
    """IP -> node id; an address claimed by two nodes is ambiguous and resolves to nothing."""

    owners: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, set[str]] = field(default_factory=dict)

    def add(self, address: str, node: str) -> None:
        ip = normalize_ip(address)  # canonical text (or unparsable text, which no check below matches)
        if not ip or (is_loopback_text(ip) and not _specific_loopback(ip)) or is_link_local_text(ip):
            return
        if ip in self.ambiguous:
            self.ambiguous[ip].add(node)
            return
        owner = self.owners.get(ip)
        if owner is None:
            self.owners[ip] = node
        elif owner != node:
            del self.owners[ip]
            self.ambiguous[ip] = {owner, node}

    def get(self, address: str | None) -> str | None:
        return None if address is None else self.owners.get(address)


def _specific_loopback(ip: str) -> bool:
    """127.0.0.1 and ::1 belong to every machine; other 127/8 addresses can name one (as in lab setups)."""
    return ip not in {"127.0.0.1", "::1"}


def _vm_attributes(vm: Vm) -> dict[str, object]:
    return {
        "kind": "vm",
        "name": vm.name,
        "vm_key": vm.key,
        "cluster": vm.cluster or "",
        "num_cpu": vm.num_cpu or 0,
        "memory_mib": vm.memory_mib or 0,
        "power_state": vm.power_state.value if vm.power_state else "",
        "os_family": vm.guest.family.value,
        "tags": sorted(f"{tag.category}/{tag.name}" for tag in vm.tags),
    }


class _Edge:
    """Aggregate of the observations of one client -> server pair (slots, lazily created sets: 500k of them)."""

    __slots__ = ("bytes", "client_count", "client_processes", "first_seen", "flow_count", "last_seen", "packets",
                 "ports", "server_count", "server_processes", "sources")

    def __init__(self) -> None:
        self.ports: set[str] = set()
        self.client_processes: set[str] | None = None
        self.server_processes: set[str] | None = None
        self.client_count = self.server_count = self.flow_count = 0
        self.bytes: int | None = None
        self.packets: int | None = None
        self.first_seen: datetime | None = None
        self.last_seen: datetime | None = None
        self.sources: set[str] = set()

    def add(self, obs: Observation) -> None:
        self.ports.add(f"{obs.protocol}/{obs.dst_port}")
        if obs.client_process:
            if self.client_processes is None:
                self.client_processes = set()
            self.client_processes.add(obs.client_process)
        if obs.server_process:
            if self.server_processes is None:
                self.server_processes = set()
            self.server_processes.add(obs.server_process)
        if obs.side == "client":
            self.client_count += obs.count
        elif obs.side == "server":
            self.server_count += obs.count
        else:
            self.flow_count += obs.count
        if obs.bytes is not None:
            self.bytes = (self.bytes or 0) + obs.bytes
        if obs.packets is not None:
            self.packets = (self.packets or 0) + obs.packets
        if obs.first_seen is not None and (self.first_seen is None or obs.first_seen < self.first_seen):
            self.first_seen = obs.first_seen
        if obs.last_seen is not None and (self.last_seen is None or obs.last_seen > self.last_seen):
            self.last_seen = obs.last_seen
        self.sources.add(obs.source)

    def attributes(self) -> dict[str, object]:
        # Both ends of one connection may have been discovered: count it once (the larger side), plus flows.
        return {
            "ports": sorted(self.ports, key=_port_sort_key) if len(self.ports) > 1 else list(self.ports),
            "client_processes": sorted(self.client_processes) if self.client_processes else [],
            "server_processes": sorted(self.server_processes) if self.server_processes else [],
            "count": max(self.client_count, self.server_count) + self.flow_count,
            "bytes": self.bytes,
            "packets": self.packets,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "sources": sorted(self.sources),
        }


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic GC while building big graphs: it rescans every live object many times and creates no garbage
    cycles to collect here (reference counting frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _port_sort_key(text: str) -> tuple[str, int]:
    protocol, _, port = text.partition("/")
    return protocol, int(port) if port.isdigit() else -1


def build_graph(
    estate: Estate,
    observations: Iterable[Observation],
    *,
    addresses: Mapping[str, Iterable[str]] | None = None,
    external_prefix_v4: int = 24,
    external_prefix_v6: int = 64,
) -> nx.DiGraph:
    """The dependency graph of the estate's workloads (templates are not workloads).

    ``addresses`` adds addresses per node id (from discovery) to those the snapshot knows. Graph attributes:
    ``warnings`` (ambiguous addresses), ``ignored`` (counts of observations left out, by reason).
    """
    with paused_gc():
        return _build(estate, observations, addresses, external_prefix_v4, external_prefix_v6)


def _build(estate: Estate, observations: Iterable[Observation], addresses: Mapping[str, Iterable[str]] | None,
           external_prefix_v4: int, external_prefix_v6: int) -> nx.DiGraph:
    graph = nx.DiGraph()
    vms = estate.workloads()
    ids = vm_node_ids(vms)
    index = AddressIndex()
    for node, vm in zip(ids, vms, strict=True):
        graph.add_node(node, **_vm_attributes(vm))
        for address in vm.guest_ips:
            index.add(address, node)
        for nic in vm.nics:
            for address in nic.ips:
                index.add(address, node)
    for node, extra in (addresses or {}).items():
        if node in graph:
            for address in extra:
                index.add(address, node)

    edges: dict[tuple[str, str], _Edge] = {}
    external_addresses: dict[str, set[str]] = {}
    ignored: Counter[str] = Counter()

    def resolve(vm: str | None, address: str | None) -> str | None:
        if vm is not None and vm in graph:
            return vm
        node = index.get(address)
        if node is not None:
            return node
        if address is None or is_loopback(address):
            return None
        group = external_id(address, external_prefix_v4, external_prefix_v6)
        seen = external_addresses.setdefault(group, set())
        if len(seen) < MAX_EXTERNAL_ADDRESSES:
            seen.add(address)
        return group

    for obs in observations:
        src = resolve(obs.src_vm, obs.src_ip)
        dst = resolve(obs.dst_vm, obs.dst_ip)
        if src is None or dst is None:
            ignored["loopback"] += 1
            continue
        if src == dst:
            ignored["inside-one-guest"] += 1
            continue
        if src.startswith(EXTERNAL_PREFIX) and dst.startswith(EXTERNAL_PREFIX):
            ignored["external-to-external"] += 1
            continue
        edge = edges.get((src, dst))
        if edge is None:
            edge = edges[(src, dst)] = _Edge()
        edge.add(obs)

    for group, seen in external_addresses.items():
        if group not in graph:
            graph.add_node(group, kind="external", name=group[len(EXTERNAL_PREFIX):], vm_key="", addresses=sorted(seen),
                           cluster="", num_cpu=0, memory_mib=0, power_state="", os_family="", tags=[])
    graph.add_edges_from((src, dst, edge.attributes()) for (src, dst), edge in edges.items())
    # External groups seen only in dropped (external-to-external) observations carry no edge: leave them out.
    graph.remove_nodes_from([node for node in list(external_addresses) if graph.degree(node) == 0])
    graph.graph["warnings"] = _ambiguity_warnings(index.ambiguous)
    graph.graph["ignored"] = dict(ignored)
    return graph


def _ambiguity_warnings(ambiguous: Mapping[str, set[str]]) -> list[str]:
    """One line per ambiguous address up to ``MAX_WARNINGS``, then one line for the rest (bridges such as docker0
    exist on many VMs: hundreds of lines would bury every other warning)."""
    lines = []
    for ip, nodes in sorted(ambiguous.items())[:MAX_WARNINGS]:
        names = sorted(nodes)
        shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
        lines.append(f"address {ip} is claimed by {len(names)} VMs ({shown}): not resolved")
    if len(ambiguous) > MAX_WARNINGS:
        lines.append(f"... and {len(ambiguous) - MAX_WARNINGS} more addresses claimed by several VMs: not resolved")
    return lines


def is_external(node: str) -> bool:
    return node.startswith(EXTERNAL_PREFIX)
