"""The per-VM tabs besides vInfo: each mapper resolves its columns once and returns a per-row function."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from planner import models
from planner.models import CdRom, Disk, Nic, Snapshot, UsbDevice, Vm
from planner.sources.rvtools.columns import Cells, Columns
from planner.sources.rvtools.values import hardware_version, limit

RowMapper = Callable[[Vm, Cells], None]
_DATASTORE = re.compile(r"^\[([^\]]+)\]")
_ISO_PATH = re.compile(r"(\[[^\]]+\][^,;]*?\.iso)", re.IGNORECASE)
_SPLIT = re.compile(r"[,;\s]+")


def vcpu(columns: Columns) -> RowMapper:
    c = columns.find
    cores, reservation, cpu_limit = c("corespers", "coresps", "corespersocket"), c("reservation"), c("limit")
    hot_add, overall, cpus = c("hotadd"), c("overall"), c("cpus")

    def apply(vm: Vm, cells: Cells) -> None:
        vm.cores_per_socket = cells.integer(cores)
        vm.cpu_reservation_mhz = cells.integer(reservation)
        vm.cpu_limit_mhz = limit(cells.integer(cpu_limit))
        vm.cpu_hot_add = cells.boolean(hot_add)
        vm.usage.cpu_mhz = cells.integer(overall)
        if vm.num_cpu is None:
            vm.num_cpu = cells.integer(cpus)

    return apply


def vmemory(columns: Columns) -> RowMapper:
    c = columns.find
    size, reservation, mem_limit = c("size", "sizemib"), c("reservation"), c("limit")
    hot_add, consumed, active = c("hotadd"), c("consumed"), c("active")

    def apply(vm: Vm, cells: Cells) -> None:
        vm.memory_reservation_mib = cells.mib(reservation)
        vm.memory_limit_mib = limit(cells.mib(mem_limit))
        vm.memory_hot_add = cells.boolean(hot_add)
        vm.usage.host_memory_mib = cells.mib(consumed)
        vm.usage.guest_memory_mib = cells.mib(active)
        if vm.memory_mib is None:
            vm.memory_mib = cells.mib(size)

    return apply


def _rdm_mode(value: str | None) -> str | None:
    if not value:
        return None
    lowered = value.lower()
    return "physical" if lowered.startswith("physical") else "virtual" if lowered.startswith("virtual") else None


def vdisk(columns: Columns) -> RowMapper:
    c = columns.find
    label, key, path = c("disk", "name", "label"), c("diskkey", "key"), c("diskpath", "path")
    capacity, raw, raw_mode, lun = c("capacity"), c("raw"), c("rawcompmode", "rawcompatibilitymode"), c("rawlunid")
    mode, sharing, thin, controller = c("diskmode"), c("sharingmode"), c("thin"), c("controller")
    eager, shared_bus = c("eagerlyscrub", "eagerscrub"), c("sharedbus")

    def apply(vm: Vm, cells: Cells) -> None:
        file_name = cells.text(path)
        datastore = _DATASTORE.match(file_name) if file_name else None
        is_raw = bool(cells.boolean(raw))
        vm.disks.append(Disk(
            label=cells.text(label) or f"Hard disk {len(vm.disks) + 1}",
            key=cells.integer(key),
            capacity_bytes=cells.bytes(capacity),
            backing="rdm" if is_raw else "flat",
            rdm_mode=_rdm_mode(cells.text(raw_mode)) if is_raw else None,
            disk_mode=cells.text(mode),
            sharing=cells.text(sharing),
            datastore=datastore.group(1) if datastore else None,
            file_name=file_name,
            thin=None if is_raw else cells.boolean(thin),
            eager_zero=None if is_raw else cells.boolean(eager),
            lun_uuid=cells.text(lun) if is_raw else None,
            controller=cells.text(controller),
            controller_sharing=cells.text(shared_bus),
        ))

    return apply


def vnetwork(columns: Columns) -> RowMapper:
    c = columns.find
    label, adapter = c("niclabel", "nic", "label"), c("adapter")
    network = c("network", "portgroup", "name")  # internal name: `vNetworkName`
    connected, starts, mac = c("connected"), c("startsconnected"), c("macaddress", "mac")
    ipv4, ipv6 = c("ipv4address", "ipaddress"), c("ipv6address")

    def apply(vm: Vm, cells: Cells) -> None:
        ips = [ip for column in (ipv4, ipv6) for ip in _SPLIT.split(cells.text(column) or "") if ip]
        vm.nics.append(Nic(
            label=cells.text(label) or f"Network adapter {len(vm.nics) + 1}",
            adapter=(cells.text(adapter) or "").lower() or None,
            network=cells.text(network),
            mac=(cells.text(mac) or "").lower() or None,
            connected=cells.boolean(connected),
            start_connected=cells.boolean(starts),
            ips=ips,
        ))
        for ip in ips:
            if ip not in vm.guest_ips:
                vm.guest_ips.append(ip)

    return apply


def _cd_backing(device_type: str | None) -> tuple[str, str | None]:
    if not device_type:
        return "none", None
    iso = _ISO_PATH.search(device_type)
    lowered = device_type.lower()
    if iso or "iso" in lowered.split():
        return "iso", iso.group(1).strip() if iso else None
    if "client" in lowered or "remote" in lowered:
        return "client", None
    if "host" in lowered or "passthrough" in lowered or "atapi" in lowered or "/dev/" in lowered:
        return "host", None
    return "none", None


def vcd(columns: Columns) -> RowMapper:
    c = columns.find
    label, connected, starts = c("devicenode", "device", "label"), c("connected"), c("startsconnected")
    device_type = c("devicetype", "summary")  # internal names: `vCDlabel`, `vCDSummary`

    def apply(vm: Vm, cells: Cells) -> None:
        backing, iso_path = _cd_backing(cells.text(device_type))
        vm.devices.cdroms.append(CdRom(
            label=cells.text(label) or f"CD/DVD drive {len(vm.devices.cdroms) + 1}",
            backing=backing, iso_path=iso_path,
            connected=cells.boolean(connected), start_connected=cells.boolean(starts),
        ))

    return apply


def vusb(columns: Columns) -> RowMapper:
    c = columns.find
    label, device_type, connected = c("devicenode", "device", "label"), c("devicetype", "summary"), c("connected")

    def apply(vm: Vm, cells: Cells) -> None:
        vm.devices.usb_devices.append(UsbDevice(
            label=cells.text(label) or f"USB device {len(vm.devices.usb_devices) + 1}",
            backing=cells.text(device_type), connected=cells.boolean(connected),
        ))

    return apply


def vsnapshot(columns: Columns) -> RowMapper:
    """RVTools lists snapshots flat (no parent column): they are stored as a flat list, the count is exact."""
    c = columns.find
    name, description, created = c("name", "snapshot"), c("description"), c("datetime", "date", "created")
    quiesced, state = c("quiesced"), c("state")

    def apply(vm: Vm, cells: Cells) -> None:
        vm.snapshots.append(Snapshot(
            name=cells.text(name) or f"snapshot {len(vm.snapshots) + 1}",
            description=cells.text(description),
            created=cells.timestamp(created),
            quiesced=cells.boolean(quiesced),
            state=cells.text(state),
        ))

    return apply


def vtools(columns: Columns) -> RowMapper:
    c = columns.find
    status, version, vm_version = c("tools", "toolsstatus"), c("toolsversion"), c("vmversion")

    def apply(vm: Vm, cells: Cells) -> None:
        vm.tools.status = cells.text(status)
        vm.tools.version = cells.text(version)
        if vm.hardware_version is None:
            vm.hardware_version = hardware_version(cells.text(vm_version))

    return apply


GUEST_PARTITION: Any = getattr(models, "GuestPartition", None)
"""The model of a guest file system, when `planner.models` has one (and `Vm.partitions`); vPartition is read
only then, since reading the tab costs about a fifth of an xlsx import."""


def vpartition(columns: Columns) -> RowMapper:
    """Guest file systems as VMware Tools reports them (RVTools names a row's mount point or drive `Disk`)."""
    c = columns.find
    path, disk_key, capacity, consumed, free = c("disk", "partition"), c("diskkey"), c("capacity"), c(
        "consumed"), c("free")

    def apply(vm: Vm, cells: Cells) -> None:
        partitions: list[Any] = getattr(vm, "partitions", [])  # registered only when the model has the field
        size, used, left = cells.bytes(capacity), cells.bytes(consumed), cells.bytes(free)
        if left is None and size is not None and used is not None:
            left = size - used
        partitions.append(GUEST_PARTITION(
            path=cells.text(path) or f"partition {len(partitions) + 1}", disk_key=cells.integer(disk_key),
            capacity_bytes=size, free_bytes=left,
        ))

    return apply


VM_TABS: dict[str, tuple[Callable[[Columns], RowMapper], str]] = {
    "vCPU": (vcpu, "cores per socket, CPU reservation/limit/hot-add, CPU usage"),
    "vMemory": (vmemory, "memory reservation/limit/hot-add, memory usage"),
    "vDisk": (vdisk, "disks (RDM, disk mode, sharing)"),
    "vNetwork": (vnetwork, "NICs and their IP addresses"),
    "vCD": (vcd, "CD/DVD drives and connected ISOs"),
    "vUSB": (vusb, "USB devices"),
    "vSnapshot": (vsnapshot, "snapshots"),
    "vTools": (vtools, "VMware Tools status and version"),
}
"""Optional VM tabs: mapper and what stays empty without the tab (for the warning)."""
if GUEST_PARTITION is not None:
    VM_TABS["vPartition"] = (vpartition, "guest file systems and their free space")
