"""Flatten an estate into rows: one table per collection, one row per object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from planner.models import Estate, Snapshot, Vm

Row = dict[str, Any]

GIB = 1024**3


def _walk_snapshots(nodes: list[Snapshot], parent: str | None = None) -> Iterator[tuple[Snapshot, str | None]]:
    for node in nodes:
        yield node, parent
        yield from _walk_snapshots(node.children, node.name)


def _join(values: list[str]) -> str:
    return "; ".join(values)


def vm_row(vm: Vm) -> Row:
    """The audit row of one VM: scalars only, lists joined with '; '."""
    devices = vm.devices
    return {
        "name": vm.name,
        "source": vm.source,
        "moid": vm.moid,
        "instance_uuid": vm.instance_uuid,
        "bios_uuid": vm.bios_uuid,
        "datacenter": vm.datacenter,
        "cluster": vm.cluster,
        "host": vm.host,
        "resource_pool": vm.resource_pool,
        "folder": vm.folder,
        "power_state": vm.power_state.value if vm.power_state else None,
        "template": vm.template,
        "os_family": vm.guest.family.value,
        "guest_id_configured": vm.guest.configured_id,
        "guest_os_configured": vm.guest.configured_name,
        "guest_id_tools": vm.guest.tools_id,
        "guest_os_tools": vm.guest.tools_name,
        "hostname": vm.guest.hostname,
        "tools_status": vm.tools.status,
        "tools_version": vm.tools.version,
        "hardware_version": vm.hardware_version,
        "firmware": vm.firmware,
        "secure_boot": vm.secure_boot,
        "num_cpu": vm.num_cpu,
        "cores_per_socket": vm.cores_per_socket,
        "memory_mib": vm.memory_mib,
        "cpu_reservation_mhz": vm.cpu_reservation_mhz,
        "cpu_limit_mhz": vm.cpu_limit_mhz,
        "memory_reservation_mib": vm.memory_reservation_mib,
        "memory_limit_mib": vm.memory_limit_mib,
        "cpu_hot_add": vm.cpu_hot_add,
        "memory_hot_add": vm.memory_hot_add,
        "latency_sensitivity": vm.latency_sensitivity,
        "cpu_affinity": _join([str(c) for c in vm.cpu_affinity]) if vm.cpu_affinity else None,
        "ft_state": vm.ft_state,
        "disks": len(vm.disks),
        "provisioned_gib": round(vm.provisioned_bytes / GIB, 2),
        "rdm_disks": sum(1 for d in vm.disks if d.backing == "rdm"),
        "independent_disks": sum(1 for d in vm.disks if d.independent),
        "multi_writer_disks": sum(1 for d in vm.disks if d.multi_writer),
        "nics": len(vm.nics),
        "networks": _join(sorted({n.network for n in vm.nics if n.network})),
        "ips": _join(vm.guest_ips),
        "usb_devices": len(devices.usb_devices),
        "serial_ports": len(devices.serial_ports),
        "parallel_ports": len(devices.parallel_ports),
        "pci_devices": len(devices.pci),
        "connected_isos": _join([c.iso_path or "" for c in devices.cdroms if c.backing == "iso" and c.connected]),
        "tpm": devices.tpm,
        "snapshots": vm.snapshot_count,
        "consolidation_needed": vm.consolidation_needed,
        "cpu_usage_mhz": vm.usage.cpu_mhz,
        "guest_memory_usage_mib": vm.usage.guest_memory_mib,
        "host_memory_usage_mib": vm.usage.host_memory_mib,
        "tags": _join([f"{t.category}/{t.name}" for t in vm.tags]),
        "annotation": vm.annotation,
        **{f"attr:{key}": value for key, value in sorted(vm.custom_attributes.items())},
    }


def vm_rows(estate: Estate) -> list[Row]:
    return [vm_row(vm) for vm in estate.vms]


def _child_rows(estate: Estate) -> dict[str, list[Row]]:
    disks: list[Row] = []
    partitions: list[Row] = []
    nics: list[Row] = []
    devices: list[Row] = []
    snapshots: list[Row] = []
    for vm in estate.vms:
        for disk in vm.disks:
            disks.append({"vm": vm.name, **disk.model_dump(mode="json")})
        for partition in vm.partitions:
            partitions.append({"vm": vm.name, **partition.model_dump(mode="json")})
        for nic in vm.nics:
            nics.append({"vm": vm.name, **nic.model_dump(mode="json", exclude={"ips"}), "ips": _join(nic.ips)})
        d = vm.devices
        groups: list[tuple[str, list[Any]]] = [
            ("usb-controller", d.usb_controllers), ("usb", d.usb_devices), ("serial", d.serial_ports),
            ("parallel", d.parallel_ports), ("pci", d.pci), ("cdrom", d.cdroms),
        ]
        for kind, items in groups:
            for item in items:
                devices.append({"vm": vm.name, "type": kind, **item.model_dump(mode="json")})
        if d.tpm:
            devices.append({"vm": vm.name, "type": "tpm", "label": "TPM"})
        for node, parent in _walk_snapshots(vm.snapshots):
            snapshots.append({"vm": vm.name, "name": node.name, "parent": parent, "description": node.description,
                              "created": node.created.isoformat() if node.created else None,
                              "state": node.state, "quiesced": node.quiesced})
    return {"disks": disks, "partitions": partitions, "nics": nics, "devices": devices, "snapshots": snapshots}


def collection_tables(estate: Estate) -> dict[str, list[Row]]:
    """Every collection as a table, in the order an auditor reads them."""
    clusters = [
        {**c.model_dump(mode="json", exclude={"rules"}), "rules": _join([f"{r.kind}:{r.name}" for r in c.rules])}
        for c in estate.clusters
    ]
    tables: dict[str, list[Row]] = {
        "vms": vm_rows(estate),
        **_child_rows(estate),
        "hosts": [h.model_dump(mode="json") for h in estate.hosts],
        "clusters": clusters,
        "datastores": [d.model_dump(mode="json") for d in estate.datastores],
        "networks": [n.model_dump(mode="json") for n in estate.networks],
        "datacenters": [d.model_dump(mode="json") for d in estate.datacenters],
        "sources": [s.model_dump(mode="json") for s in estate.sources],
    }
    return tables


def columns(rows: list[Row]) -> list[str]:
    """Union of the rows' keys in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)
