"""Resource utilization: what does it really use, and what would a container need?"""

from __future__ import annotations

from collections.abc import Iterator

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.rules._helpers import cpu_percent, cpu_used, memory_used_mib, powered_on
from planner.models import PowerState, Vm

R = Criterion.RESOURCE_UTILIZATION


class PoweredOff(Rule):
    """The VM is powered off or suspended: a candidate to retire rather than migrate."""

    id = "RES001"
    criterion = R
    severity = Severity.LOW
    remediation = "Confirm with the owner that it is no longer needed, archive its data, and retire it."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if not vm.template and vm.power_state in (PowerState.OFF, PowerState.SUSPENDED):
            yield Hit(f"VM is {vm.power_state.value}", {"power_state": vm.power_state.value})


class Template(Rule):
    """The VM is a template: an image source, not a workload, so it is excluded."""

    id = "RES002"
    criterion = R
    severity = Severity.INFO
    remediation = "Nothing to migrate; rebuild the golden image as a container base image if it is still used."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.template:
            yield Hit("template, not a workload", {"template": True})


class HugeVcpu(Rule):
    """The VM has at least `thresholds.huge_vcpu` vCPUs."""

    id = "RES003"
    criterion = R
    severity = Severity.MEDIUM
    remediation = ("Check real CPU use (see sizing); split the workload or plan nodes large enough for its "
                   "requests. A pod cannot span nodes.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        limit = ctx.policy.thresholds.huge_vcpu
        if vm.num_cpu is not None and vm.num_cpu >= limit:
            yield Hit(f"{vm.num_cpu} vCPU (huge from {limit})", {"num_cpu": vm.num_cpu, "threshold": limit})


class HugeMemory(Rule):
    """The VM has at least `thresholds.huge_memory_gib` GiB of memory."""

    id = "RES004"
    criterion = R
    severity = Severity.MEDIUM
    remediation = ("Check real memory use (see sizing); plan nodes large enough, or move the data tier to a "
                   "managed service.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        limit = ctx.policy.thresholds.huge_memory_gib
        if vm.memory_mib is not None and vm.memory_mib >= limit * 1024:
            yield Hit(f"{vm.memory_mib / 1024:g} GiB memory (huge from {limit:g} GiB)",
                      {"memory_mib": vm.memory_mib, "threshold_gib": limit})


class CpuReservation(Rule):
    """The VM has a CPU reservation: someone decided it must never wait for CPU."""

    id = "RES005"
    criterion = R
    severity = Severity.LOW
    remediation = ("Carry it over as a CPU request (Guaranteed QoS if requests equal limits) and ask the owner "
                   "why it was reserved.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.cpu_reservation_mhz:
            yield Hit(f"CPU reservation {vm.cpu_reservation_mhz} MHz",
                      {"cpu_reservation_mhz": vm.cpu_reservation_mhz, "num_cpu": vm.num_cpu})


class MemoryReservation(Rule):
    """The VM has a memory reservation (often all of it, e.g. for latency-sensitive or passthrough VMs)."""

    id = "RES006"
    criterion = R
    severity = Severity.LOW
    remediation = "Carry it over as a memory request equal to the limit, and ask the owner why it was reserved."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.memory_reservation_mib:
            yield Hit(f"memory reservation {vm.memory_reservation_mib} MiB",
                      {"memory_reservation_mib": vm.memory_reservation_mib, "memory_mib": vm.memory_mib,
                       "fully_reserved": vm.memory_reservation_mib == vm.memory_mib})


class Idle(Rule):
    """The VM is powered on but idle (CPU below `thresholds.idle_cpu_percent` of its allocation at collection)."""

    id = "RES007"
    criterion = R
    severity = Severity.LOW
    remediation = ("quickStats are one sample: confirm with performance history; if it is really unused, "
                   "retire it instead of migrating it.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if not powered_on(vm):
            return
        share = cpu_percent(vm, ctx)
        limit = ctx.policy.thresholds.idle_cpu_percent
        if share is not None and share < limit:
            yield Hit(f"idle: {share:g}% CPU of {vm.num_cpu} vCPU", {"cpu_mhz": vm.usage.cpu_mhz,
                      "num_cpu": vm.num_cpu, "cpu_percent": share, "threshold_percent": limit})


class Oversized(Rule):
    """The VM uses a small share of its CPU or memory (below `thresholds.oversized_percent`): capacity to reclaim."""

    id = "RES008"
    criterion = R
    severity = Severity.INFO
    remediation = "Size the container from use, not allocation (see the sizing block); the difference is reclaimed."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if not powered_on(vm):
            return
        limit = ctx.policy.thresholds.oversized_percent
        cpu = cpu_percent(vm, ctx)
        used = memory_used_mib(vm, ctx)
        memory = round(100.0 * used / vm.memory_mib, 1) if used is not None and vm.memory_mib else None
        low = {k: v for k, v in (("cpu_percent", cpu), ("memory_percent", memory)) if v is not None and v < limit}
        if low:
            what = " and ".join(f"{v:g}% {k.split('_')[0]}" for k, v in low.items())
            yield Hit(f"oversized: uses {what} of its allocation", {**low, "threshold_percent": limit})


class NoUsageData(Rule):
    """The VM is powered on but has no usage data (quickStats or discovery), so sizing falls back to allocation."""

    id = "RES009"
    criterion = R
    severity = Severity.INFO
    remediation = "Collect again while VMware Tools runs, or run `planner discover`, to size from real use."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if powered_on(vm) and cpu_used(vm, ctx)[0] is None and memory_used_mib(vm, ctx) is None:
            yield Hit("no usage data (none collected, or all-zero quickStats)",
                      {"usage": vm.usage.model_dump(exclude_none=True)})


RULES: tuple[type[Rule], ...] = (PoweredOff, Template, HugeVcpu, HugeMemory, CpuReservation, MemoryReservation,
                                 Idle, Oversized, NoUsageData)
