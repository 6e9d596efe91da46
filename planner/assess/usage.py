"""Observed use of a VM: CPU and memory from quickStats or discovery, shared by rules and sizing."""

from __future__ import annotations

from planner.assess.context import RuleContext
from planner.models import PowerState, Vm


def powered_on(vm: Vm) -> bool:
    return vm.power_state is PowerState.ON


def core_mhz(vm: Vm, ctx: RuleContext) -> int:
    """Speed of one core of the VM's host, or the policy default."""
    host = ctx.index.host_of(vm)
    return (host.core_mhz if host and host.core_mhz else None) or ctx.policy.sizing.default_core_mhz


def cpu_percent(vm: Vm, ctx: RuleContext) -> float | None:
    """CPU used at collection as a share of the allocation (quickStats overallCpuUsage), or None if unknown."""
    if vm.usage.cpu_mhz is None or not vm.num_cpu:
        return None
    return round(100.0 * vm.usage.cpu_mhz / (vm.num_cpu * core_mhz(vm, ctx)), 1)


def memory_used_mib(vm: Vm, ctx: RuleContext) -> int | None:
    """Memory the guest uses: discovery (MemTotal - MemAvailable) first, then quickStats guest-active memory,
    then host-consumed memory (which counts every page ever touched, so it overstates)."""
    if ctx.facts is not None and ctx.facts.memory_used_mib is not None:
        return ctx.facts.memory_used_mib
    return vm.usage.guest_memory_mib if vm.usage.guest_memory_mib is not None else vm.usage.host_memory_mib
