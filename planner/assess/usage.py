"""Observed use of a VM: CPU and memory from discovery or quickStats, the one source for rules and sizing.

quickStats are trusted only for a powered-on VM that reports something: a running guest never uses 0 MiB, so
all-zero stats (collected right after power-on, from a disconnected host, or by an importer that writes 0 for
"not measured") mean *no data*, never "uses nothing" (which would size a 64 GiB database at 128 MiB).
Negative values (broken imports) are treated as missing too.
"""

from __future__ import annotations

from planner.assess.context import RuleContext
from planner.models import PowerState, Vm

DISCOVERY = "discovery"
QUICKSTATS = "quickstats"


def powered_on(vm: Vm) -> bool:
    return vm.power_state is PowerState.ON


def core_mhz(vm: Vm, ctx: RuleContext) -> int:
    """Speed of one core of the VM's host, or the policy default."""
    host = ctx.index.host_of(vm)
    return (host.core_mhz if host and host.core_mhz else None) or ctx.policy.sizing.default_core_mhz


def _positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None


def quickstats_memory_mib(vm: Vm) -> int | None:
    """Guest (active) memory, else host-consumed memory (which overstates), from quickStats; None if unmeasured."""
    if not powered_on(vm):
        return None
    return _positive(vm.usage.guest_memory_mib) or _positive(vm.usage.host_memory_mib)


def quickstats_cpu_mhz(vm: Vm) -> int | None:
    """quickStats overallCpuUsage of a powered-on VM whose stats are real (see the module docstring)."""
    cpu = vm.usage.cpu_mhz
    if not powered_on(vm) or cpu is None or cpu < 0:
        return None
    if cpu == 0 and quickstats_memory_mib(vm) is None:
        return None  # all-zero stats: not measured
    return cpu


def cpu_percent(vm: Vm, ctx: RuleContext) -> float | None:
    """quickStats CPU use as a share of the allocation, or None if unknown."""
    cpu = quickstats_cpu_mhz(vm)
    if cpu is None or not vm.num_cpu:
        return None
    return round(100.0 * cpu / (vm.num_cpu * core_mhz(vm, ctx)), 1)


def cpu_used(vm: Vm, ctx: RuleContext) -> tuple[float | None, str | None]:
    """Busy cores and where the figure comes from: discovery first, then quickStats; (None, None) if unknown."""
    if ctx.facts is not None and ctx.facts.cpu_used_cores is not None:
        return ctx.facts.cpu_used_cores, DISCOVERY
    cpu = quickstats_cpu_mhz(vm)
    return (cpu / core_mhz(vm, ctx), QUICKSTATS) if cpu is not None else (None, None)


def memory_used(vm: Vm, ctx: RuleContext) -> tuple[int | None, str | None]:
    """Memory the guest uses and where the figure comes from: discovery (MemTotal - MemAvailable) first, then
    quickStats guest-active memory, then host-consumed memory; (None, None) if unknown."""
    if ctx.facts is not None and _positive(ctx.facts.memory_used_mib) is not None:
        return ctx.facts.memory_used_mib, DISCOVERY
    used = quickstats_memory_mib(vm)
    return (used, QUICKSTATS) if used is not None else (None, None)


def memory_used_mib(vm: Vm, ctx: RuleContext) -> int | None:
    """Memory the guest uses (see ``memory_used``), or None."""
    return memory_used(vm, ctx)[0]
