"""Right-sizing: container requests and limits from observed use, and what the move would reclaim.

CPU in cores, memory in MiB. ``request = max(minimum, used x (1 + headroom))`` rounded up (CPU to 0.05 core,
memory to 16 MiB) and capped at the allocation; ``limit = request x limit_factor`` capped at the allocation.
With no observed use the allocation is the request and the limit (basis ``allocation``); what counts as
observed use (discovery, else quickStats that really measured something) is decided in ``usage``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from planner.assess.context import RuleContext
from planner.assess.usage import cpu_used, memory_used
from planner.models import Vm

ALLOCATION = "allocation"
CPU_STEP = 0.05
MEMORY_STEP_MIB = 16


@dataclass(frozen=True, slots=True)
class Sizing:
    """Requests, limits and reclaimable capacity of one VM turned container."""

    cpu_request_cores: float
    cpu_limit_cores: float
    memory_request_mib: int
    memory_limit_mib: int
    allocated_vcpu: int | None
    allocated_memory_mib: int | None
    reclaimable_vcpu: float
    reclaimable_memory_gib: float
    cpu_basis: str
    memory_basis: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": {"cpu_cores": self.cpu_request_cores, "memory_mib": self.memory_request_mib},
            "limits": {"cpu_cores": self.cpu_limit_cores, "memory_mib": self.memory_limit_mib},
            "allocated": {"vcpu": self.allocated_vcpu, "memory_mib": self.allocated_memory_mib},
            "reclaimable": {"vcpu": self.reclaimable_vcpu, "memory_gib": self.reclaimable_memory_gib},
            "basis": {"cpu": self.cpu_basis, "memory": self.memory_basis},
        }


def _round_up(value: float, step: float) -> float:
    return math.ceil(round(value / step, 6)) * step


def size_vm(vm: Vm, ctx: RuleContext) -> Sizing:
    """The sizing block of one VM under the policy's headroom and limit factors."""
    policy = ctx.policy.sizing
    min_cpu = policy.min_cpu_millicores / 1000
    allocated_cpu = float(vm.num_cpu) if vm.num_cpu else None

    cpu_observed, cpu_source = cpu_used(vm, ctx)
    cpu_basis = cpu_source or ALLOCATION
    if cpu_observed is None:
        cpu_request = allocated_cpu if allocated_cpu is not None else min_cpu
        cpu_limit = cpu_request
    else:
        cpu_request = _round_up(max(min_cpu, cpu_observed * (1 + policy.cpu_headroom_percent / 100)), CPU_STEP)
        if allocated_cpu is not None:
            cpu_request = min(cpu_request, max(allocated_cpu, min_cpu))
        cpu_limit = _round_up(cpu_request * policy.cpu_limit_factor, CPU_STEP)
        if allocated_cpu is not None:
            cpu_limit = max(cpu_request, min(cpu_limit, allocated_cpu))

    allocated_mem = vm.memory_mib
    mem_used, mem_source = memory_used(vm, ctx)
    mem_basis = mem_source or ALLOCATION
    if mem_used is None:
        mem_request = allocated_mem if allocated_mem else policy.min_memory_mib
        mem_limit = mem_request
    else:
        mem_request = int(_round_up(max(policy.min_memory_mib, mem_used * (1 + policy.memory_headroom_percent / 100)),
                                    MEMORY_STEP_MIB))
        if allocated_mem:
            mem_request = min(mem_request, max(allocated_mem, policy.min_memory_mib))
        mem_limit = int(_round_up(mem_request * policy.memory_limit_factor, MEMORY_STEP_MIB))
        if allocated_mem:
            mem_limit = max(mem_request, min(mem_limit, allocated_mem))

    return Sizing(
        cpu_request_cores=round(cpu_request, 2),
        cpu_limit_cores=round(cpu_limit, 2),
        memory_request_mib=mem_request,
        memory_limit_mib=mem_limit,
        allocated_vcpu=vm.num_cpu,
        allocated_memory_mib=allocated_mem,
        reclaimable_vcpu=round(max(0.0, (allocated_cpu or 0.0) - cpu_request), 2),
        reclaimable_memory_gib=round(max(0, (allocated_mem or 0) - mem_request) / 1024, 2),
        cpu_basis=cpu_basis,
        memory_basis=mem_basis,
    )
