"""Migration waves: a topological order of the move-group DAG, cut into capped waves.

Providers (servers) go before their consumers (clients), strictly: a group lands in a later wave than every group
it depends on. ``consumers_first`` flips that. Each group goes to the first wave, at or after its earliest one,
that still has room under the caps (VMs and/or vCPUs); a group larger than a cap gets a wave of its own. Pinned
VMs put their group in the given wave; excluded VMs stay behind. Links between different waves, or to a VM staying
behind, are cutover risks. Linear in groups + edges, apart from the (usually short) scan for a wave with room.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx

from planner.graph.build import is_external
from planner.graph.groups import GroupResult

WAVES_FORMAT_VERSION = 1


@dataclass
class WaveOptions:
    """Caps, pins (VM -> wave number from 1), exclusions, and the order's direction."""

    max_vms: int | None = None
    max_vcpu: int | None = None
    pins: Mapping[str, int] = field(default_factory=dict)
    exclude: set[str] = field(default_factory=set)
    consumers_first: bool = False


@dataclass
class Wave:
    number: int
    groups: list[int] = field(default_factory=list)
    vms: list[str] = field(default_factory=list)
    num_cpu: int = 0
    over_cap: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"wave": self.number, "vm_count": len(self.vms), "num_cpu": self.num_cpu, "over_cap": self.over_cap,
                "move_groups": self.groups, "vms": self.vms}


@dataclass
class CutoverRisk:
    """A link that crosses the boundary between the old and new platform during (or after) the migration."""

    client: str
    server: str
    ports: list[str]
    client_wave: int | None
    server_wave: int | None
    kind: str
    """``interim`` (both move, in different waves) or ``permanent`` (one side stays behind)."""

    def as_dict(self) -> dict[str, object]:
        return {"client": self.client, "server": self.server, "ports": self.ports, "client_wave": self.client_wave,
                "server_wave": self.server_wave, "kind": self.kind}


@dataclass
class WavePlan:
    waves: list[Wave]
    wave_of: dict[str, int]
    group_wave: dict[int, int]
    excluded: list[str]
    risks: list[CutoverRisk]
    warnings: list[str]


def _size(members: list[str], graph: nx.DiGraph, exclude: set[str]) -> tuple[list[str], int]:
    moving = [name for name in members if name not in exclude]
    return moving, sum(int(graph.nodes[name].get("num_cpu") or 0) for name in moving)


def plan_waves(graph: nx.DiGraph, groups: GroupResult, options: WaveOptions | None = None) -> WavePlan:
    """Assign every move group (minus excluded VMs) to a wave; list the cutover risks."""
    options = options or WaveOptions()
    warnings: list[str] = list(groups.warnings)
    # Scheduling DAG: edge a -> b means "a goes before b".
    order_dag = groups.dag if options.consumers_first else groups.dag.reverse(copy=False)

    pin_of_group: dict[int, int] = {}
    for name, wave in sorted(options.pins.items()):
        gid = groups.group_of.get(name)
        if gid is None:
            warnings.append(f"pinned VM {name} is not in the graph")
            continue
        if wave < 1:
            warnings.append(f"pin of {name} to wave {wave} ignored: waves count from 1")
            continue
        previous = pin_of_group.get(gid)
        if previous is not None and previous != wave:
            warnings.append(f"move group {gid} has conflicting pins ({previous}, {wave}); using {min(previous, wave)}")
            wave = min(previous, wave)
        pin_of_group[gid] = wave - 1

    order = list(nx.lexicographical_topological_sort(order_dag))
    # Latest wave a group may take so that a pinned group after it keeps its pin.
    latest: dict[int, float] = {}
    for gid in reversed(order):
        bound = float(pin_of_group.get(gid, float("inf")))
        for after in order_dag.successors(gid):
            bound = min(bound, latest[after] - 1)
        latest[gid] = bound

    cap_vms = options.max_vms
    cap_cpu = options.max_vcpu
    loads: list[list[int]] = []  # [vms, vcpu] per wave
    first_open = 0
    group_wave: dict[int, int] = {}
    over_cap: set[int] = set()

    def fits(index: int, vms: int, cpu: int) -> bool:
        if index >= len(loads):
            return True
        used_vms, used_cpu = loads[index]
        if cap_vms is not None and used_vms + vms > cap_vms:
            return used_vms == 0
        if cap_cpu is not None and used_cpu + cpu > cap_cpu:
            return used_vms == 0
        return True

    for gid in order:
        moving, cpu = _size(groups.group(gid).members, graph, options.exclude)
        if not moving:
            continue
        earliest = max((group_wave[before] + 1 for before in order_dag.predecessors(gid) if before in group_wave),
                       default=0)
        if gid in pin_of_group:
            wave = pin_of_group[gid]
            if wave < earliest:
                warnings.append(f"move group {gid} pinned to wave {wave + 1}, before a group it depends on "
                                f"(earliest wave {earliest + 1})")
        else:
            wave = max(earliest, first_open)
            while not fits(wave, len(moving), cpu):
                wave += 1
            if wave > latest[gid] and latest[gid] >= earliest:
                wave = int(latest[gid])
        while len(loads) <= wave:
            loads.append([0, 0])
        loads[wave][0] += len(moving)
        loads[wave][1] += cpu
        if (cap_vms is not None and loads[wave][0] > cap_vms) or (cap_cpu is not None and loads[wave][1] > cap_cpu):
            over_cap.add(wave)
        group_wave[gid] = wave
        while first_open < len(loads) and _full(loads[first_open], cap_vms, cap_cpu):
            first_open += 1

    waves = [Wave(index + 1) for index in range(len(loads))]
    wave_of: dict[str, int] = {}
    for gid in sorted(group_wave, key=lambda g: (group_wave[g], g)):
        target = waves[group_wave[gid]]
        moving, cpu = _size(groups.group(gid).members, graph, options.exclude)
        target.groups.append(gid)
        target.vms.extend(moving)
        target.num_cpu += cpu
        for name in moving:
            wave_of[name] = target.number
    for index in over_cap:
        waves[index].over_cap = True
    # Pins may leave waves empty; drop them and renumber.
    if any(not each.vms for each in waves):
        kept = [each for each in waves if each.vms]
        renumber = {each.number: number for number, each in enumerate(kept, start=1)}
        for each in kept:
            each.number = renumber[each.number]
        wave_of = {name: renumber[number] for name, number in wave_of.items()}
        waves = kept
    group_number = {gid: each.number for each in waves for gid in each.groups}
    excluded = sorted(name for name in groups.group_of if name in options.exclude)
    risks = cutover_risks(graph, wave_of)
    return WavePlan(waves, wave_of, group_number, excluded, risks, warnings)


def _full(load: list[int], cap_vms: int | None, cap_cpu: int | None) -> bool:
    if cap_vms is None and cap_cpu is None:
        return False
    return (cap_vms is not None and load[0] >= cap_vms) or (cap_cpu is not None and load[1] >= cap_cpu)


def cutover_risks(graph: nx.DiGraph, wave_of: Mapping[str, int]) -> list[CutoverRisk]:
    """Links between VMs in different waves (interim) or between a moving VM and one staying (permanent)."""
    risks = []
    for client, server, ports in graph.edges(data="ports", default=()):
        if is_external(client) or is_external(server):
            continue
        client_wave, server_wave = wave_of.get(client), wave_of.get(server)
        if client_wave == server_wave:
            continue
        kind = "permanent" if client_wave is None or server_wave is None else "interim"
        risks.append(CutoverRisk(client, server, list(ports), client_wave, server_wave, kind))
    return risks
