"""Compare two estate snapshots: VMs added, removed, renamed and changed. Contract: docs/diff.md.

VMs are matched in one pass over dicts: by instance UUID, else BIOS UUID, else by source and name unless
both carry different instance UUIDs. A UUID shared by several VMs in one snapshot (copies) is not used.
A field one snapshot does not know (None) is not reported as a change, nor are the fields an RVTools export
cannot carry (tags, serial/parallel ports, PCI devices) when either VM comes from one: mixed sources (RVTools
vs vCenter) would otherwise drown the real changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from planner.models import Estate, SourceKind, Vm

FORMAT_VERSION = 1
MatchKey = Callable[[Vm], str | None]


@dataclass
class FieldChange:
    field: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class VmChange:
    before: Vm
    after: Vm
    matched_on: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def renamed(self) -> bool:
        return self.before.name != self.after.name


@dataclass
class EstateDiff:
    before_label: str
    after_label: str
    before: Estate
    after: Estate
    added: list[Vm] = field(default_factory=list)
    removed: list[Vm] = field(default_factory=list)
    matched: list[VmChange] = field(default_factory=list)

    @property
    def renamed(self) -> list[VmChange]:
        return [m for m in self.matched if m.renamed]

    @property
    def changed(self) -> list[VmChange]:
        return [m for m in self.matched if m.changes]

    def summary(self) -> dict[str, int]:
        changed = self.changed
        return {"added": len(self.added), "removed": len(self.removed), "renamed": len(self.renamed),
                "changed": len(changed), "unchanged": len(self.matched) - len(changed)}

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON document (format_version 1)."""
        return {
            "format_version": FORMAT_VERSION,
            "before": _side(self.before_label, self.before),
            "after": _side(self.after_label, self.after),
            "summary": self.summary(),
            "added": [_identity(vm) for vm in self.added],
            "removed": [_identity(vm) for vm in self.removed],
            "renamed": [{"before": m.before.name, "after": m.after.name, "matched_on": m.matched_on,
                         **_identity(m.after, name=False)} for m in self.renamed],
            "changed": [{"name": m.after.name, "before_name": m.before.name, "matched_on": m.matched_on,
                         **_identity(m.after, name=False), "changes": [c.as_dict() for c in m.changes]}
                        for m in self.changed],
        }


def _side(label: str, estate: Estate) -> dict[str, Any]:
    return {"snapshot": label, "collected_at": estate.collected_at.isoformat(),
            "sources": [s.name for s in estate.sources], "vms": len(estate.vms)}


def _identity(vm: Vm, *, name: bool = True) -> dict[str, Any]:
    found = {"source": vm.source, "moid": vm.moid, "instance_uuid": vm.instance_uuid, "bios_uuid": vm.bios_uuid}
    return {"name": vm.name, **found} if name else found


# -- what is compared ------------------------------------------------------------------------------------------
def _disks(vm: Vm, raw_or_not: bool = False) -> dict[str, dict[str, Any]]:
    """Disks by label; `raw_or_not` folds every non-RDM backing into `flat` (all an RVTools export can tell)."""
    return {d.label: {"capacity_bytes": d.capacity_bytes,
                      "backing": "flat" if raw_or_not and d.backing != "rdm" else d.backing,
                      "disk_mode": d.disk_mode, "sharing": d.sharing, "datastore": d.datastore} for d in vm.disks}


def _devices(vm: Vm) -> dict[str, Any]:
    d = vm.devices
    return {
        "usb_devices": sorted(u.label for u in d.usb_devices),
        "serial_ports": sorted(p.label for p in d.serial_ports),
        "parallel_ports": sorted(p.label for p in d.parallel_ports),
        "pci": sorted(f"{p.kind}:{p.device or p.label}" for p in d.pci),
        "connected_isos": sorted(c.iso_path or c.label for c in d.cdroms if c.backing == "iso" and c.connected),
        "tpm": d.tpm,
    }


_SCALARS: tuple[tuple[str, Callable[[Vm], Any]], ...] = (
    ("power_state", lambda vm: vm.power_state.value if vm.power_state else None),
    ("template", lambda vm: vm.template),
    ("num_cpu", lambda vm: vm.num_cpu),
    ("cores_per_socket", lambda vm: vm.cores_per_socket),
    ("memory_mib", lambda vm: vm.memory_mib),
    ("datacenter", lambda vm: vm.datacenter),
    ("cluster", lambda vm: vm.cluster),
    ("host", lambda vm: vm.host),
    ("os_family", lambda vm: vm.guest.family.value if vm.guest.family.value != "unknown" else None),
    ("guest_os_configured", lambda vm: vm.guest.configured_name),
    ("guest_os_tools", lambda vm: vm.guest.tools_name),
    ("hardware_version", lambda vm: vm.hardware_version),
)


NOT_IN_RVTOOLS = frozenset({"tags", "devices.serial_ports", "devices.parallel_ports", "devices.pci",
                            "disks.backing"})
"""Fields an RVTools export does not carry: empty there means unknown, so they are not compared (of a disk's
backing, RVTools tells only raw (RDM) or not: sparse and seSparse disks read back as `flat`)."""


def _compare(before: Vm, after: Vm, skip: frozenset[str] = frozenset()) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for name, get in _SCALARS:
        old, new = get(before), get(after)
        if old is not None and new is not None and old != new:
            changes.append(FieldChange(name, old, new))
    raw_or_not = "disks.backing" in skip
    old_disks, new_disks = _disks(before, raw_or_not), _disks(after, raw_or_not)
    if old_disks != new_disks:
        for label in sorted(old_disks.keys() | new_disks.keys()):
            old_disk, new_disk = old_disks.get(label), new_disks.get(label)
            if old_disk is None or new_disk is None:
                changes.append(FieldChange(f"disks[{label}]", old_disk, new_disk))
                continue
            for key in old_disk:
                if old_disk[key] is not None and new_disk[key] is not None and old_disk[key] != new_disk[key]:
                    changes.append(FieldChange(f"disks[{label}].{key}", old_disk[key], new_disk[key]))
    old_devices, new_devices = _devices(before), _devices(after)
    for key, old in old_devices.items():
        new = new_devices[key]
        if f"devices.{key}" not in skip and old is not None and new is not None and old != new:
            changes.append(FieldChange(f"devices.{key}", old, new))
    old_tags = sorted(f"{t.category}/{t.name}" for t in before.tags)
    new_tags = sorted(f"{t.category}/{t.name}" for t in after.tags)
    if "tags" not in skip and old_tags != new_tags:
        changes.append(FieldChange("tags", old_tags, new_tags))
    return changes


# -- matching ------------------------------------------------------------------------------------------------
def _unique_index(vms: Iterable[Vm], key: MatchKey) -> dict[str, Vm]:
    counts = Counter(k for vm in vms if (k := key(vm)))
    return {k: vm for vm in vms if (k := key(vm)) and counts[k] == 1}


def _name_key(vm: Vm) -> str:
    return f"{vm.source}\0{vm.name}"


_KEYS: tuple[tuple[str, MatchKey], ...] = (
    ("instance_uuid", lambda vm: vm.instance_uuid.lower() if vm.instance_uuid else None),
    ("bios_uuid", lambda vm: vm.bios_uuid.lower() if vm.bios_uuid else None),
)


def diff_estates(before: Estate, after: Estate, *, before_label: str = "before",
                 after_label: str = "after") -> EstateDiff:
    """Added, removed, renamed and changed VMs between two snapshots (templates included, as VMs)."""
    result = EstateDiff(before_label, after_label, before, after)
    left: dict[int, Vm] = {id(vm): vm for vm in before.vms}
    right: dict[int, Vm] = {id(vm): vm for vm in after.vms}
    pairs: list[tuple[Vm, Vm, str]] = []
    for mode, key in _KEYS:
        old_index = _unique_index(left.values(), key)
        new_index = _unique_index(right.values(), key)
        for value, old in old_index.items():
            new = new_index.get(value)
            if new is not None:
                pairs.append((old, new, mode))
                del left[id(old)], right[id(new)]
    old_by_name = _unique_index(left.values(), _name_key)
    new_by_name = _unique_index(right.values(), _name_key)
    for value, old in old_by_name.items():
        new = new_by_name.get(value)
        if new is None:
            continue
        if old.instance_uuid and new.instance_uuid and old.instance_uuid.lower() != new.instance_uuid.lower():
            continue  # same name, different instance UUID: a VM removed and another created
        pairs.append((old, new, "name"))
        del left[id(old)], right[id(new)]
    rvtools = {s.name for s in before.sources if s.kind is SourceKind.RVTOOLS} | {
        s.name for s in after.sources if s.kind is SourceKind.RVTOOLS}
    result.matched = [
        VmChange(old, new, mode, _compare(old, new, NOT_IN_RVTOOLS if rvtools & {old.source, new.source} else
                                          frozenset()))
        for old, new, mode in pairs
    ]
    result.matched.sort(key=lambda m: (m.after.name, m.after.source))
    result.removed = sorted(left.values(), key=lambda vm: (vm.name, vm.source))
    result.added = sorted(right.values(), key=lambda vm: (vm.name, vm.source))
    return result
