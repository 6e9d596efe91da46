"""A virtual machine and everything attached to it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from planner.models.base import Model, OsFamily, PowerState


class GuestOs(Model):
    """Guest OS as configured in the VM and as VMware Tools reports it."""

    configured_id: str | None = None
    configured_name: str | None = None
    tools_id: str | None = None
    tools_name: str | None = None
    family: OsFamily = OsFamily.UNKNOWN
    hostname: str | None = None


class Tools(Model):
    status: str | None = Field(default=None, description="toolsOk | toolsOld | toolsNotRunning | toolsNotInstalled")
    running_status: str | None = None
    version: str | None = None
    version_status: str | None = None


class Disk(Model):
    label: str
    key: int | None = None
    capacity_bytes: int | None = None
    backing: str = Field(default="flat", description="flat | rdm | sparse | sesparse | other")
    rdm_mode: str | None = Field(default=None, description="physical | virtual (RDM only)")
    disk_mode: str | None = Field(default=None, description="persistent | independent_persistent | ...")
    sharing: str | None = Field(default=None, description="sharingNone | sharingMultiWriter")
    datastore: str | None = None
    file_name: str | None = None
    thin: bool | None = None
    eager_zero: bool | None = Field(default=None, description="thick eager-zeroed (needed for multi-writer)")
    lun_uuid: str | None = None
    controller: str | None = None
    controller_sharing: str | None = Field(default=None, description="SCSI bus sharing: noSharing | "
                                           "virtualSharing | physicalSharing")

    @property
    def independent(self) -> bool:
        return bool(self.disk_mode and self.disk_mode.startswith("independent"))

    @property
    def multi_writer(self) -> bool:
        return self.sharing == "sharingMultiWriter"


class GuestPartition(Model):
    """A guest file system as VMware Tools reports it (vSphere guest.disk; RVTools vPartition)."""

    path: str = Field(description="mount point or drive, e.g. / or C:\\")
    disk_key: int | None = Field(default=None, description="key of the virtual disk holding it, when known")
    capacity_bytes: int | None = None
    free_bytes: int | None = None


class Nic(Model):
    label: str
    key: int | None = None
    adapter: str | None = Field(default=None, description="vmxnet3 | e1000e | ... ")
    network: str | None = None
    mac: str | None = None
    connected: bool | None = None
    start_connected: bool | None = None
    ips: list[str] = Field(default_factory=list)


class UsbController(Model):
    label: str
    kind: str = Field(description="usb2 | usb3")


class UsbDevice(Model):
    label: str
    backing: str | None = Field(default=None, description="host device path or vendor/product id")
    connected: bool | None = None


class PortDevice(Model):
    """A serial or parallel port."""

    label: str
    backing: str | None = Field(default=None, description="device | file | pipe | network | other")
    target: str | None = None
    connected: bool | None = None


class PciDevice(Model):
    label: str
    kind: str = Field(description="passthrough | dynamic | vgpu")
    device: str | None = Field(default=None, description="PCI id, device name, or vGPU profile")


class ScsiPassthrough(Model):
    """A generic SCSI device of the host passed through to the VM (tape drive, media changer, scanner)."""

    label: str
    device: str | None = Field(default=None, description="host device path, e.g. /vmfs/devices/genscsi/naa...")
    summary: str | None = Field(default=None, description="what vSphere calls the device, e.g. the tape model")


class CdRom(Model):
    label: str
    backing: str = Field(default="none", description="iso | host | client | none")
    iso_path: str | None = None
    connected: bool | None = None
    start_connected: bool | None = None


class Devices(Model):
    usb_controllers: list[UsbController] = Field(default_factory=list)
    usb_devices: list[UsbDevice] = Field(default_factory=list)
    serial_ports: list[PortDevice] = Field(default_factory=list)
    parallel_ports: list[PortDevice] = Field(default_factory=list)
    pci: list[PciDevice] = Field(default_factory=list)
    scsi_passthrough: list[ScsiPassthrough] = Field(default_factory=list)
    cdroms: list[CdRom] = Field(default_factory=list)
    tpm: bool | None = None


class Snapshot(Model):
    name: str
    description: str | None = None
    created: datetime | None = None
    id: int | None = None
    state: str | None = None
    quiesced: bool | None = None
    children: list[Snapshot] = Field(default_factory=list)


class Tag(Model):
    category: str
    name: str


class Usage(Model):
    """Point-in-time usage from quickStats."""

    cpu_mhz: int | None = None
    guest_memory_mib: int | None = None
    host_memory_mib: int | None = None
    uptime_seconds: int | None = None
    committed_bytes: int | None = None
    uncommitted_bytes: int | None = None


class Vm(Model):
    # identity
    name: str
    moid: str | None = None
    source: str
    instance_uuid: str | None = None
    bios_uuid: str | None = None
    # placement
    datacenter: str | None = None
    cluster: str | None = None
    host: str | None = None
    resource_pool: str | None = None
    folder: str | None = Field(default=None, description="folder path, e.g. /DC0/vm/web")
    # state
    power_state: PowerState | None = None
    template: bool = False
    connection_state: str | None = None
    guest: GuestOs = Field(default_factory=GuestOs)
    tools: Tools = Field(default_factory=Tools)
    # hardware
    hardware_version: str | None = None
    firmware: str | None = Field(default=None, description="bios | efi")
    secure_boot: bool | None = None
    num_cpu: int | None = None
    cores_per_socket: int | None = None
    memory_mib: int | None = None
    cpu_reservation_mhz: int | None = None
    cpu_limit_mhz: int | None = Field(default=None, description="None when unlimited")
    memory_reservation_mib: int | None = None
    memory_limit_mib: int | None = Field(default=None, description="None when unlimited")
    cpu_hot_add: bool | None = None
    memory_hot_add: bool | None = None
    latency_sensitivity: str | None = Field(default=None, description="low | normal | medium | high | custom")
    cpu_affinity: list[int] | None = None
    numa_node_affinity: list[int] | None = Field(default=None, description="NUMA nodes the VM is pinned to "
                                                 "(advanced setting numa.nodeAffinity)")
    ft_state: str | None = Field(default=None, description="notConfigured | running | ...")
    consolidation_needed: bool | None = None
    disks: list[Disk] = Field(default_factory=list)
    partitions: list[GuestPartition] = Field(default_factory=list)
    nics: list[Nic] = Field(default_factory=list)
    devices: Devices = Field(default_factory=Devices)
    snapshots: list[Snapshot] = Field(default_factory=list)
    current_snapshot: str | None = Field(default=None, description="name of the snapshot the VM runs from")
    annotation: str | None = None
    custom_attributes: dict[str, str] = Field(default_factory=dict)
    tags: list[Tag] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    guest_ips: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        """This VM's identity across snapshots and reports: ``SOURCE:MOID`` (unique even when two vCenters hold
        VMs of the same name). Without a moid: ``SOURCE:uuid:INSTANCE-UUID``, else ``SOURCE:name:NAME``."""
        if self.moid:
            return f"{self.source}:{self.moid}"
        if self.instance_uuid:
            return f"{self.source}:uuid:{self.instance_uuid.lower()}"
        return f"{self.source}:name:{self.name}"

    @property
    def snapshot_count(self) -> int:
        """Number of snapshots in the whole tree."""
        stack = list(self.snapshots)
        count = 0
        while stack:
            node = stack.pop()
            count += 1
            stack.extend(node.children)
        return count

    @property
    def provisioned_bytes(self) -> int:
        return sum(d.capacity_bytes or 0 for d in self.disks)
