"""Performance: will the workload keep its performance on a shared node?"""

from __future__ import annotations

from collections.abc import Iterator

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.rules._helpers import cpu_percent, first, powered_on
from planner.models import Vm

F = Criterion.PERFORMANCE


class HighLatencySensitivity(Rule):
    """Latency sensitivity is set to high (exclusive physical cores, no interrupt coalescing)."""

    id = "PRF001"
    criterion = F
    severity = Severity.HIGH
    remediation = ("Only with the static CPU manager, Guaranteed QoS, isolated cores and a real-time-tuned "
                   "node; test latency under load before committing, or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.latency_sensitivity == "high":
            yield Hit("latency sensitivity high", {"latency_sensitivity": vm.latency_sensitivity})


class CpuAffinity(Rule):
    """The VM is pinned to specific physical CPUs (scheduling affinity)."""

    id = "PRF002"
    criterion = F
    severity = Severity.MEDIUM
    remediation = ("Find out why it was pinned (licensing per core, NUMA locality, latency); use the static CPU "
                   "manager and topology manager on dedicated nodes if the reason still holds.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.cpu_affinity:
            yield Hit(f"pinned to {len(vm.cpu_affinity)} CPU(s)", {"cpu_affinity": first(vm.cpu_affinity, 64)})


class NumaNodeAffinity(Rule):
    """The VM is pinned to specific NUMA nodes of its host (advanced setting `numa.nodeAffinity`)."""

    id = "PRF006"
    criterion = F
    severity = Severity.MEDIUM
    remediation = ("Find out why (memory locality of a database, a NIC or GPU on one node, licensing); if it still "
                   "matters, use the topology manager (single-numa-node) with Guaranteed QoS on dedicated nodes, "
                   "else drop the pinning.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.numa_node_affinity:
            nodes = ", ".join(str(n) for n in first(vm.numa_node_affinity, 8))
            yield Hit(f"pinned to NUMA node(s) {nodes}", {"numa_node_affinity": first(vm.numa_node_affinity, 64)})


class WiderThanNumaNode(Rule):
    """The VM has more vCPUs or memory than one NUMA node (socket) of its host."""

    id = "PRF003"
    criterion = F
    severity = Severity.MEDIUM
    remediation = ("Its performance depends on vNUMA: right-size it below one node, or plan nodes with the "
                   "topology manager (single-numa-node policy) and test.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        host = ctx.index.host_of(vm)
        if host is None:
            return
        evidence: dict[str, object] = {}
        if host.cores_per_node and vm.num_cpu and vm.num_cpu > host.cores_per_node:
            evidence.update(num_cpu=vm.num_cpu, host_cores_per_node=host.cores_per_node)
        if host.memory_mib_per_node and vm.memory_mib and vm.memory_mib > host.memory_mib_per_node:
            evidence.update(memory_mib=vm.memory_mib, host_memory_mib_per_node=host.memory_mib_per_node)
        if evidence:
            yield Hit("wider than one NUMA node of its host", {"host": vm.host, **evidence})


class BusyCpu(Rule):
    """The VM was using more than `thresholds.busy_cpu_percent` of its CPU allocation at collection."""

    id = "PRF004"
    criterion = F
    severity = Severity.MEDIUM
    remediation = ("Confirm with performance history; give the container a CPU limit above its peak (or none) "
                   "so CFS throttling does not add latency.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if not powered_on(vm):
            return
        share = cpu_percent(vm, ctx)
        limit = ctx.policy.thresholds.busy_cpu_percent
        if share is not None and share >= limit:
            yield Hit(f"busy: {share:g}% CPU of {vm.num_cpu} vCPU",
                      {"cpu_mhz": vm.usage.cpu_mhz, "num_cpu": vm.num_cpu, "cpu_percent": share,
                       "threshold_percent": limit})


class VmVmRules(Rule):
    """A DRS VM-VM affinity or anti-affinity rule names the VM (placement the platform must keep)."""

    id = "PRF005"
    criterion = F
    severity = Severity.INFO
    remediation = ("Carry it over as pod affinity / anti-affinity (or topology spread constraints) between the "
                   "workloads.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        rules = [r for r in ctx.index.rules_for(vm) if r.kind in ("vm-affinity", "vm-anti-affinity")]
        if rules:
            yield Hit(f"{rules[0].kind} rule {rules[0].name}", {"rules": [
                {"name": r.name, "kind": r.kind, "vms": first(r.vms)} for r in first(rules)]})


RULES: tuple[type[Rule], ...] = (HighLatencySensitivity, CpuAffinity, WiderThanNumaNode, BusyCpu, VmVmRules,
                                 NumaNodeAffinity)
