"""VM identity: one key per VM across snapshots, sources and reports, and the names users see.

``Vm.key`` (``SOURCE:MOID``) is what guest facts, assessment verdicts and graph reports are matched by; the
display id (``vm_display_ids``) is the VM name, made unique only where two VMs share one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from planner.models.vm import Vm

EXTERNAL_PREFIX = "external:"
"""Prefix of the graph's external endpoint groups; a VM name never takes this shape as its display id."""


def vm_display_ids(vms: Sequence[Vm]) -> list[str]:
    """Display id per VM (same order): the VM name, or ``name [source:moid]`` when the name is not unique. A VM
    name that looks like an external group's id (``external:...``) is prefixed with ``vm `` so the two never mix."""
    counts = Counter(vm.name for vm in vms)
    ids = [vm.name if counts[vm.name] == 1 else f"{vm.name} [{vm.source}:{vm.moid or index}]"
           for index, vm in enumerate(vms)]
    return [f"vm {node}" if node.startswith(EXTERNAL_PREFIX) else node for node in ids]


def unique_index(vms: Sequence[Vm], value: str) -> dict[str, Vm]:
    """``key`` or ``instance_uuid`` (lower case) -> VM, leaving out values several VMs share (cloned UUIDs)."""
    counts: Counter[str] = Counter()
    found: dict[str, Vm] = {}
    for vm in vms:
        item = vm.key if value == "key" else (vm.instance_uuid or "").lower()
        if item:
            counts[item] += 1
            found[item] = vm
    return {item: vm for item, vm in found.items() if counts[item] == 1}
