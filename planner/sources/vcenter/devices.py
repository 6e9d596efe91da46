"""Map a VM's `config.hardware.device` list to disks, NICs and the devices that tie a VM to hardware."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from planner.models import (
    CdRom,
    Devices,
    Disk,
    Nic,
    PciDevice,
    PortDevice,
    ScsiPassthrough,
    UsbController,
    UsbDevice,
)
from planner.sources.vcenter.wire_types import is_a, vim_type

Device = vim.vm.device
NetworkNamer = Callable[[Any], str | None]


@dataclass
class MappedDevices:
    disks: list[Disk] = field(default_factory=list)
    nics: list[Nic] = field(default_factory=list)
    devices: Devices = field(default_factory=Devices)


def _label(device: Any) -> str:
    info = getattr(device, "deviceInfo", None)
    return getattr(info, "label", None) or f"{vim_type(device).__name__.split('.')[-1]} {device.key}"


def _connected(device: Any) -> tuple[bool | None, bool | None]:
    connectable = getattr(device, "connectable", None)
    if connectable is None:
        return None, None
    return bool(connectable.connected), bool(connectable.startConnected)


def _datastore_name(backing: Any, datastores: dict[str, str]) -> str | None:
    datastore = getattr(backing, "datastore", None)
    if datastore is not None:
        return datastores.get(datastore._moId)
    file_name = getattr(backing, "fileName", "") or ""
    if file_name.startswith("[") and "]" in file_name:
        return file_name[1:file_name.index("]")]
    return None


def _disk(device: Any, datastores: dict[str, str], controllers: dict[int, Any]) -> Disk:
    backing = device.backing
    capacity = getattr(device, "capacityInBytes", None) or (
        device.capacityInKB * 1024 if getattr(device, "capacityInKB", None) else None)
    disk = Disk(
        label=_label(device), key=device.key, capacity_bytes=capacity,
        disk_mode=getattr(backing, "diskMode", None), sharing=getattr(backing, "sharing", None),
        datastore=_datastore_name(backing, datastores), file_name=getattr(backing, "fileName", None),
    )
    controller = controllers.get(device.controllerKey)
    if controller is not None:
        disk.controller = _label(controller)
        disk.controller_sharing = getattr(controller, "sharedBus", None)
    if is_a(backing, Device.VirtualDisk.RawDiskMappingVer1BackingInfo):
        mode = getattr(backing, "compatibilityMode", None) or ""
        disk.backing = "rdm"
        disk.rdm_mode = "physical" if mode.startswith("physical") else "virtual" if mode else None
        disk.lun_uuid = getattr(backing, "lunUuid", None)
    elif is_a(backing, Device.VirtualDisk.FlatVer2BackingInfo):
        disk.backing = "flat"
        disk.thin = bool(backing.thinProvisioned) if backing.thinProvisioned is not None else None
        disk.eager_zero = bool(backing.eagerlyScrub) if backing.eagerlyScrub is not None else None
    elif is_a(backing, Device.VirtualDisk.SeSparseBackingInfo):
        disk.backing = "sesparse"
    elif is_a(backing, Device.VirtualDisk.SparseVer2BackingInfo | Device.VirtualDisk.SparseVer1BackingInfo):
        disk.backing = "sparse"
    else:
        disk.backing = "other"
    return disk


def _adapter(device: Any) -> str:
    name = vim_type(device).__name__.split(".")[-1]
    return name.removeprefix("Virtual").lower()


def _nic(device: Any, network_name: NetworkNamer) -> Nic:
    connected, start = _connected(device)
    return Nic(label=_label(device), key=device.key, adapter=_adapter(device), network=network_name(device.backing),
               mac=getattr(device, "macAddress", None), connected=connected, start_connected=start)


_PORT_BACKINGS: tuple[tuple[str, str], ...] = (
    ("DeviceBackingInfo", "device"), ("FileBackingInfo", "file"), ("PipeBackingInfo", "pipe"),
    ("URIBackingInfo", "network"), ("ThinPrintBackingInfo", "thinprint"),
)


def _port(device: Any) -> PortDevice:
    backing = device.backing
    kind = "other"
    backing_name = vim_type(backing).__name__ if backing is not None else ""
    for suffix, label in _PORT_BACKINGS:
        if backing_name.endswith(suffix):
            kind = label
            break
    target = getattr(backing, "deviceName", None) or getattr(backing, "fileName", None) or getattr(
        backing, "pipeName", None) or getattr(backing, "serviceURI", None)
    connected, _ = _connected(device)
    return PortDevice(label=_label(device), backing=kind, target=target, connected=connected)


def _pci(device: Any) -> PciDevice:
    backing = device.backing
    if is_a(backing, Device.VirtualPCIPassthrough.VmiopBackingInfo):
        return PciDevice(label=_label(device), kind="vgpu", device=getattr(backing, "vgpu", None))
    if is_a(backing, Device.VirtualPCIPassthrough.DynamicBackingInfo):
        return PciDevice(label=_label(device), kind="dynamic", device=getattr(backing, "deviceName", None))
    parts = [getattr(backing, "id", None), getattr(backing, "deviceName", None)]
    return PciDevice(label=_label(device), kind="passthrough", device=" ".join(p for p in parts if p) or None)


def _scsi_passthrough(device: Any) -> ScsiPassthrough:
    info = getattr(device, "deviceInfo", None)
    summary = getattr(info, "summary", None)
    return ScsiPassthrough(label=_label(device), device=getattr(device.backing, "deviceName", None) or None,
                           summary=summary if summary and summary != _label(device) else None)


_CLIENT_CDROM = (Device.VirtualCdrom.RemotePassthroughBackingInfo, Device.VirtualCdrom.RemoteAtapiBackingInfo)


def _cdrom(device: Any) -> CdRom:
    backing = device.backing
    connected, start = _connected(device)
    cdrom = CdRom(label=_label(device), connected=connected, start_connected=start)
    if is_a(backing, Device.VirtualCdrom.IsoBackingInfo):
        cdrom.backing = "iso"
        cdrom.iso_path = backing.fileName
    elif is_a(backing, _CLIENT_CDROM):
        cdrom.backing = "client"
    elif is_a(backing, Device.VirtualCdrom.AtapiBackingInfo | Device.VirtualCdrom.PassthroughBackingInfo):
        cdrom.backing = "host"
    return cdrom


def map_devices(devices: Iterable[Any], datastores: dict[str, str], network_name: NetworkNamer) -> MappedDevices:
    """One pass over the device list; unknown device types are ignored."""
    mapped = MappedDevices()
    items = list(devices or ())
    controllers = {d.key: d for d in items if is_a(d, Device.VirtualController)}
    extra = mapped.devices
    for device in items:
        if is_a(device, Device.VirtualDisk):
            mapped.disks.append(_disk(device, datastores, controllers))
        elif is_a(device, Device.VirtualEthernetCard):
            mapped.nics.append(_nic(device, network_name))
        elif is_a(device, Device.VirtualUSBXHCIController):
            extra.usb_controllers.append(UsbController(label=_label(device), kind="usb3"))
        elif is_a(device, Device.VirtualUSBController):
            extra.usb_controllers.append(UsbController(label=_label(device), kind="usb2"))
        elif is_a(device, Device.VirtualUSB):
            connected = getattr(device, "connected", None)
            extra.usb_devices.append(UsbDevice(label=_label(device), backing=getattr(device.backing, "deviceName",
                                                                                     None), connected=connected))
        elif is_a(device, Device.VirtualSerialPort):
            extra.serial_ports.append(_port(device))
        elif is_a(device, Device.VirtualParallelPort):
            extra.parallel_ports.append(_port(device))
        elif is_a(device, Device.VirtualPCIPassthrough):
            extra.pci.append(_pci(device))
        elif is_a(device, Device.VirtualSCSIPassthrough):
            extra.scsi_passthrough.append(_scsi_passthrough(device))
        elif is_a(device, Device.VirtualCdrom):
            extra.cdroms.append(_cdrom(device))
        elif is_a(device, Device.VirtualTPM):
            extra.tpm = True
    if items and extra.tpm is None:
        extra.tpm = False
    return mapped
