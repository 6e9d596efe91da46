"""Small estates and observations for the graph tests (imported by name: keep the module name unique)."""

from __future__ import annotations

from datetime import UTC, datetime

from planner.graph import Observation
from planner.models import Estate, Nic, PowerState, Tag, Vm

COLLECTED = datetime(2026, 11, 1, tzinfo=UTC)


def make_vm(name: str, ip: str | None = None, *, cpu: int = 2, tags: dict[str, str] | None = None,
            template: bool = False, nic_ip: str | None = None) -> Vm:
    return Vm(
        name=name, source="vc1", moid=f"vm-{name}", num_cpu=cpu, power_state=PowerState.ON, template=template,
        guest_ips=[ip] if ip else [], nics=[Nic(label="nic1", ips=[nic_ip])] if nic_ip else [],
        tags=[Tag(category=c, name=n) for c, n in (tags or {}).items()],
    )


def make_estate(*vms: Vm) -> Estate:
    return Estate(collected_at=COLLECTED, vms=list(vms))


def flow(src: str, dst: str, port: int, *, src_port: int = 40000, count: int = 1, bytes: int | None = None,
         protocol: str = "tcp") -> Observation:
    return Observation(dst_port=port, src_ip=src, dst_ip=dst, src_port=src_port, count=count, bytes=bytes,
                       protocol=protocol)
