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


_DISK_BACKINGS: tuple[tuple[str, str], ...] = (
    ("RawDiskMappingVer1BackingInfo", "rdm"), ("FlatVer2BackingInfo", "flat"), ("SeSparseBackingInfo", "sesparse"),
    ("SparseVer2BackingInfo", "sparse"), ("SparseVer1BackingInfo", "sparse"),
)
_DISK_BACKING_OF: dict[type, str] = {}


def _disk_backing(backing: Any) -> str:
    """flat, rdm, sesparse, sparse or other, looked up once per backing type."""
    if backing is None:
        return "other"
    backing_type = vim_type(backing)
    found = _DISK_BACKING_OF.get(backing_type)
    if found is None:
        found = next((name for cls, name in _DISK_BACKINGS
                      if issubclass(backing_type, getattr(Device.VirtualDisk, cls))), "other")
        _DISK_BACKING_OF[backing_type] = found
    return found


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
    kind = _disk_backing(backing)
    disk.backing = kind
    if kind == "rdm":
        mode = getattr(backing, "compatibilityMode", None) or ""
        disk.rdm_mode = "physical" if mode.startswith("physical") else "virtual" if mode else None
        disk.lun_uuid = getattr(backing, "lunUuid", None)
    elif kind == "flat":
        disk.thin = bool(backing.thinProvisioned) if backing.thinProvisioned is not None else None
        disk.eager_zero = bool(backing.eagerlyScrub) if backing.eagerlyScrub is not None else None
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


_KINDS: tuple[tuple[str, str], ...] = (
    ("VirtualDisk", "disk"), ("VirtualEthernetCard", "nic"), ("VirtualUSBXHCIController", "usb3"),
    ("VirtualUSBController", "usb2"), ("VirtualUSB", "usb"), ("VirtualSerialPort", "serial"),
    ("VirtualParallelPort", "parallel"), ("VirtualPCIPassthrough", "pci"), ("VirtualSCSIPassthrough", "scsi"),
    ("VirtualCdrom", "cdrom"), ("VirtualTPM", "tpm"),
)
_KIND_OF: dict[type, tuple[str | None, bool]] = {}


def _kind(device: Any) -> tuple[str | None, bool]:
    """(what planner reads the device as, or None; whether it is a controller), looked up once per type."""
    device_type = vim_type(device)
    found = _KIND_OF.get(device_type)
    if found is None:
        kind = next((name for cls, name in _KINDS if issubclass(device_type, getattr(Device, cls))), None)
        found = _KIND_OF[device_type] = (kind, issubclass(device_type, Device.VirtualController))
    return found


def map_devices(devices: Iterable[Any], datastores: dict[str, str], network_name: NetworkNamer) -> MappedDevices:
    """One pass over the device list; unknown device types are ignored."""
    mapped = MappedDevices()
    items = [(device, *_kind(device)) for device in devices or ()]
    controllers = {d.key: d for d, _, is_controller in items if is_controller}
    extra = mapped.devices
    for device, kind, _ in items:
        if kind == "disk":
            mapped.disks.append(_disk(device, datastores, controllers))
        elif kind == "nic":
            mapped.nics.append(_nic(device, network_name))
        elif kind in ("usb3", "usb2"):
            extra.usb_controllers.append(UsbController(label=_label(device), kind=kind))
        elif kind == "usb":
            connected = getattr(device, "connected", None)
            extra.usb_devices.append(UsbDevice(label=_label(device), backing=getattr(device.backing, "deviceName",
                                                                                     None), connected=connected))
        elif kind == "serial":
            extra.serial_ports.append(_port(device))
        elif kind == "parallel":
            extra.parallel_ports.append(_port(device))
        elif kind == "pci":
            extra.pci.append(_pci(device))
        elif kind == "scsi":
            extra.scsi_passthrough.append(_scsi_passthrough(device))
        elif kind == "cdrom":
            extra.cdroms.append(_cdrom(device))
        elif kind == "tpm":
            extra.tpm = True
    if items and extra.tpm is None:
        extra.tpm = False
    return mapped
