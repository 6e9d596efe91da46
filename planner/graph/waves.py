"""Migration waves: a topological order of the move-group DAG, cut into capped waves.

Providers (servers) go before their consumers (clients), strictly: a group lands in a later wave than every group
it depends on. ``consumers_first`` flips that. Each group goes to the first wave, at or after its earliest one,
that still has room under the caps (VMs and/or vCPUs); a group larger than a cap gets a wave of its own. Pinned
VMs put their group in the given wave (their room is reserved first); an excluded VM keeps its whole move group
behind (groups are never split). VMs that stay behind because of their assessed strategy (``stay_behind``: keep-vm,
retire, exclude) are left out of the move groups altogether (``analyse``): they never move, so they neither hold a
group back nor order the waves. Links between different waves, or to a VM staying behind, are cutover risks.
Linear in groups + edges, apart from the scan for a wave with room (full waves are skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx

from planner.graph.build import is_external
from planner.graph.groups import GroupResult

WAVES_FORMAT_VERSION = 1
NO_DEPENDENCY_DATA = ("no dependency data: waves are only capped, not ordered; run `planner discover run` or "
                      "`planner discover import-flows`")


@dataclass
class WaveOptions:
    """Caps, pins (VM -> wave number from 1), exclusions, and the order's direction."""

    max_vms: int | None = None
    max_vcpu: int | None = None
    pins: Mapping[str, int] = field(default_factory=dict)
    exclude: set[str] = field(default_factory=set)
    consumers_first: bool = False
    stay_behind: Mapping[str, str] = field(default_factory=dict)
    """VM -> assessed strategy, for VMs that stay behind because of it (not planned, not in any move group)."""


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
class StayingVm:
    """A VM that stays behind, and why: its assessed ``strategy``, an ``exclude``, or its ``move-group`` (a member
    was excluded and groups are never split)."""

    vm: str
    reason: str
    strategy: str | None = None
    group: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"vm": self.vm, "reason": self.reason, "strategy": self.strategy, "move_group": self.group}


@dataclass
class WavePlan:
    waves: list[Wave]
    wave_of: dict[str, int]
    group_wave: dict[int, int]
    excluded: list[str]
    """Every VM that stays behind, sorted (``staying`` says why)."""
    risks: list[CutoverRisk]
    warnings: list[str]
    staying: list[StayingVm] = field(default_factory=list)


def _size(members: list[str], graph: nx.DiGraph) -> int:
    return sum(int(graph.nodes[name].get("num_cpu") or 0) for name in members)


def _staying_groups(groups: GroupResult, exclude: set[str], stay_behind: Mapping[str, str],
                    warnings: list[str]) -> set[int]:
    """Groups that stay behind: a move group is never split, so excluding one member holds back all of it."""
    staying: set[int] = set()
    for name in sorted(exclude):
        gid = groups.group_of.get(name)
        if gid is None:
            if name in stay_behind:
                continue  # stays behind anyway (its strategy)
            warnings.append(f"excluded VM {name} is not in the graph")
            continue
        staying.add(gid)
    for gid in sorted(staying):
        held = [name for name in groups.group(gid).members if name not in exclude]
        if held:
            warnings.append(f"move group {gid} stays behind with its excluded member(s); also held back: "
                            f"{', '.join(held[:10])}{' ...' if len(held) > 10 else ''}")
    return staying


def _group_pins(groups: GroupResult, options: WaveOptions, staying: set[int], warnings: list[str]) -> dict[int, int]:
    """Pinned wave per group (0-based); conflicting pins in one group keep the earliest."""
    pinned: dict[int, int] = {}  # 1-based while collecting
    for name, wave in sorted(options.pins.items()):
        gid = groups.group_of.get(name)
        if name in options.stay_behind:
            warnings.append(f"pin of {name} ignored: it stays behind (strategy {options.stay_behind[name]}; "
                            f"--include-strategy {options.stay_behind[name]} plans it)")
            continue
        if gid is None:
            warnings.append(f"pinned VM {name} is not in the graph")
            continue
        if wave < 1:
            warnings.append(f"pin of {name} to wave {wave} ignored: waves count from 1")
            continue
        if gid in staying:
            warnings.append(f"pin of {name} ignored: its move group stays behind (--exclude)")
            continue
        previous = pinned.get(gid)
        if previous is not None and previous != wave:
            warnings.append(f"move group {gid} has conflicting pins ({previous}, {wave}); using {min(previous, wave)}")
            wave = min(previous, wave)
        pinned[gid] = wave
    return {gid: wave - 1 for gid, wave in pinned.items()}


class _Loads:
    """VMs and vCPUs per wave under the caps; full waves are skipped in amortised constant time."""

    def __init__(self, cap_vms: int | None, cap_cpu: int | None) -> None:
        self.cap_vms, self.cap_cpu = cap_vms, cap_cpu
        self.loads: list[list[int]] = []  # [vms, vcpu] per wave
        self.skip: dict[int, int] = {}  # full wave -> a later wave to look at

    def add(self, wave: int, vms: int, cpu: int) -> None:
        while len(self.loads) <= wave:
            self.loads.append([0, 0])
        self.loads[wave][0] += vms
        self.loads[wave][1] += cpu
        if _full(self.loads[wave], self.cap_vms, self.cap_cpu):
            self.skip[wave] = wave + 1

    def over_cap(self, wave: int) -> bool:
        used_vms, used_cpu = self.loads[wave]
        return ((self.cap_vms is not None and used_vms > self.cap_vms)
                or (self.cap_cpu is not None and used_cpu > self.cap_cpu))

    def _open(self, wave: int) -> int:
        """The first wave at or after ``wave`` that is not full (path-compressed)."""
        path = []
        while wave in self.skip:
            path.append(wave)
            wave = self.skip[wave]
        for index in path:
            self.skip[index] = wave
        return wave

    def first_fit(self, start: int, vms: int, cpu: int) -> int:
        wave = self._open(start)
        while not self._fits(wave, vms, cpu):
            wave = self._open(wave + 1)
        return wave

    def _fits(self, index: int, vms: int, cpu: int) -> bool:
        if index >= len(self.loads):
            return True
        used_vms, used_cpu = self.loads[index]
        if used_vms == 0:
            return True  # an empty wave takes any group, even one larger than a cap
        return not ((self.cap_vms is not None and used_vms + vms > self.cap_vms)
                    or (self.cap_cpu is not None and used_cpu + cpu > self.cap_cpu))


def plan_waves(graph: nx.DiGraph, groups: GroupResult, options: WaveOptions | None = None) -> WavePlan:
    """Assign every move group (except those staying behind) to a wave; list the cutover risks."""
    options = options or WaveOptions()
    warnings: list[str] = list(groups.warnings)
    # Scheduling DAG: edge a -> b means "a goes before b".
    order_dag = groups.dag if options.consumers_first else groups.dag.reverse(copy=False)
    if graph.number_of_edges() == 0 and groups.groups:
        warnings.append(NO_DEPENDENCY_DATA)
    staying = _staying_groups(groups, set(options.exclude), options.stay_behind, warnings)
    pin_of_group = _group_pins(groups, options, staying, warnings)

    order = list(nx.lexicographical_topological_sort(order_dag))
    # Latest wave a group may take so that a pinned group after it keeps its pin.
    latest: dict[int, float] = {}
    for gid in reversed(order):
        bound = float(pin_of_group.get(gid, float("inf")))
        for after in order_dag.successors(gid):
            bound = min(bound, latest[after] - 1)
        latest[gid] = bound

    loads = _Loads(options.max_vms, options.max_vcpu)
    # Pinned groups take their room first, so earlier-placed groups cannot push them over a cap.
    for gid, wave in sorted(pin_of_group.items()):
        members = groups.group(gid).members
        loads.add(wave, len(members), _size(members, graph))
    group_wave: dict[int, int] = {}
    for gid in order:
        if gid in staying:
            continue
        members = groups.group(gid).members
        earliest = max((group_wave[before] + 1 for before in order_dag.predecessors(gid) if before in group_wave),
                       default=0)
        if gid in pin_of_group:
            wave = pin_of_group[gid]
            if wave < earliest:
                warnings.append(f"move group {gid} pinned to wave {wave + 1}, before a group it depends on "
                                f"(earliest wave {earliest + 1})")
        else:
            wave = loads.first_fit(earliest, len(members), _size(members, graph))
            if wave > latest[gid] and latest[gid] >= earliest:
                wave = int(latest[gid])  # no wave with room before the pinned group that needs this one
            loads.add(wave, len(members), _size(members, graph))
        group_wave[gid] = wave

    waves = [Wave(index + 1) for index in range(len(loads.loads))]
    wave_of: dict[str, int] = {}
    for gid in sorted(group_wave, key=lambda g: (group_wave[g], g)):
        target = waves[group_wave[gid]]
        members = groups.group(gid).members
        target.groups.append(gid)
        target.vms.extend(members)
        target.num_cpu += _size(members, graph)
        for name in members:
            wave_of[name] = target.number
    for index, each in enumerate(waves):
        each.over_cap = loads.over_cap(index)
    # Pins may leave waves empty; drop them and renumber.
    if any(not each.vms for each in waves):
        kept = [each for each in waves if each.vms]
        renumber = {each.number: number for number, each in enumerate(kept, start=1)}
        for gid, wave in sorted(pin_of_group.items()):
            if renumber.get(wave + 1, wave + 1) != wave + 1:
                warnings.append(f"move group {gid} pinned to wave {wave + 1} is wave {renumber[wave + 1]} once "
                                "empty waves are dropped")
        for each in kept:
            each.number = renumber[each.number]
        wave_of = {name: renumber[number] for name, number in wave_of.items()}
        waves = kept
    group_number = {gid: each.number for each in waves for gid in each.groups}
    held = _why_staying(groups, staying, options)
    risks = cutover_risks(graph, wave_of)
    return WavePlan(waves, wave_of, group_number, [each.vm for each in held], risks, warnings, held)


def _why_staying(groups: GroupResult, staying: set[int], options: WaveOptions) -> list[StayingVm]:
    """Every VM staying behind (sorted by name) with its reason; an explicit exclude wins over the strategy."""
    held = {name: StayingVm(name, "strategy", strategy) for name, strategy in options.stay_behind.items()}
    for gid in staying:
        for name in groups.group(gid).members:
            reason = "exclude" if name in options.exclude else "move-group"
            held[name] = StayingVm(name, reason, options.stay_behind.get(name), gid)
    for name in options.exclude:
        if name in options.stay_behind:
            held[name] = StayingVm(name, "exclude", options.stay_behind[name])
    return [held[name] for name in sorted(held)]


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
