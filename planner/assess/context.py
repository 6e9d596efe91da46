"""What a rule may look at besides the VM: the compiled policy, estate-wide lookups, the VM's guest facts.

``EstateIndex`` is built once per run in a single pass over clusters and hosts, so rules that need
estate context (VM-host rules, host CPU speed, NUMA node size) do dictionary lookups, never scans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from planner.assess.facts import GuestFacts
from planner.assess.policy import CompiledPolicy
from planner.models import ClusterRule, Estate, Host, OsFamily, Vm

VmKey = tuple[str, str | None, str]
"""(source, cluster, VM name): how a cluster rule names a VM."""


@dataclass(frozen=True, slots=True)
class HostInfo:
    """The host facts rules need: core speed and the size of one NUMA node (one socket)."""

    core_mhz: int | None
    cores_per_node: int | None
    memory_mib_per_node: int | None


@dataclass(slots=True)
class EstateIndex:
    """Estate-level lookups computed once per run."""

    cluster_rules: dict[VmKey, list[ClusterRule]] = field(default_factory=dict)
    hosts: dict[tuple[str, str], HostInfo] = field(default_factory=dict)
    collected_at: datetime | None = None

    @classmethod
    def build(cls, estate: Estate) -> EstateIndex:
        rules: defaultdict[VmKey, list[ClusterRule]] = defaultdict(list)
        for cluster in estate.clusters:
            for rule in cluster.rules:
                if rule.enabled is False:
                    continue
                for vm_name in rule.vms:
                    rules[(cluster.source, cluster.name, vm_name)].append(rule)
        hosts = {(host.source, host.name): _host_info(host) for host in estate.hosts}
        return cls(cluster_rules=dict(rules), hosts=hosts, collected_at=estate.collected_at)

    def rules_for(self, vm: Vm) -> list[ClusterRule]:
        """The enabled DRS rules naming this VM (in its own cluster)."""
        return self.cluster_rules.get((vm.source, vm.cluster, vm.name), [])

    def host_of(self, vm: Vm) -> HostInfo | None:
        return self.hosts.get((vm.source, vm.host)) if vm.host else None


def _host_info(host: Host) -> HostInfo:
    sockets = host.cpu_sockets or None
    return HostInfo(
        core_mhz=host.cpu_mhz,
        cores_per_node=(host.cpu_cores // sockets) if host.cpu_cores and sockets else None,
        memory_mib_per_node=(host.memory_mib // sockets) if host.memory_mib and sockets else None,
    )


@dataclass(slots=True)
class RuleContext:
    """Everything a rule's ``check(vm, ctx)`` may read besides the VM itself."""

    policy: CompiledPolicy
    index: EstateIndex
    facts: GuestFacts | None = None
    family: OsFamily = OsFamily.UNKNOWN
    guest_rules: tuple[str, ...] = ()
    """Ids of the enabled rules that need guest facts (what cannot run without discovery: ARC007)."""
