"""The numbers `inventory show` prints: counts by power state, OS family and cluster; the largest VMs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.models import Estate

GIB = 1024**3


@dataclass
class EstateSummary:
    vms: int
    templates: int
    hosts: int
    clusters: int
    datastores: int
    networks: int
    sources: list[str]
    collected_at: str
    total_vcpu: int
    total_memory_gib: float
    total_provisioned_gib: float
    by_power_state: dict[str, int] = field(default_factory=dict)
    by_os_family: dict[str, int] = field(default_factory=dict)
    by_cluster: dict[str, int] = field(default_factory=dict)
    largest: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def summarize(estate: Estate, *, top: int = 10, provisioned: Sequence[int] | None = None) -> EstateSummary:
    """Single pass over the VMs; templates are counted apart, not as workloads. ``provisioned`` gives each VM's
    provisioned bytes, in estate order, when the disks were read and dropped (``StoredParts.in_turn``)."""
    power: Counter[str] = Counter()
    family: Counter[str] = Counter()
    cluster: Counter[str] = Counter()
    vcpu = memory = disk = 0
    sizes = provisioned if provisioned is not None else [vm.provisioned_bytes for vm in estate.vms]
    workloads = [(vm, size) for vm, size in zip(estate.vms, sizes, strict=True) if not vm.template]
    for vm, size in workloads:
        power[vm.power_state.value if vm.power_state else "unknown"] += 1
        family[vm.guest.family.value] += 1
        cluster[vm.cluster or "(standalone)"] += 1
        vcpu += vm.num_cpu or 0
        memory += vm.memory_mib or 0
        disk += size
    largest = sorted(workloads, key=lambda pair: (pair[0].memory_mib or 0, pair[0].num_cpu or 0, pair[1]),
                     reverse=True)[:top]
    return EstateSummary(
        vms=len(workloads),
        templates=len(estate.vms) - len(workloads),
        hosts=len(estate.hosts),
        clusters=len(estate.clusters),
        datastores=len(estate.datastores),
        networks=len(estate.networks),
        sources=[s.name for s in estate.sources],
        collected_at=estate.collected_at.isoformat(),
        total_vcpu=vcpu,
        total_memory_gib=round(memory / 1024, 1),
        total_provisioned_gib=round(disk / GIB, 1),
        by_power_state=dict(power.most_common()),
        by_os_family=dict(family.most_common()),
        by_cluster=dict(cluster.most_common()),
        largest=[
            {"name": vm.name, "num_cpu": vm.num_cpu, "memory_gib": round((vm.memory_mib or 0) / 1024, 1),
             "provisioned_gib": round(size / GIB, 1), "cluster": vm.cluster,
             "power_state": vm.power_state.value if vm.power_state else None}
            for vm, size in largest
        ],
    )

