"""What guest discovery and flow imports produce: the contract the discovery stage writes and the graph and
assessment stages read. Pydantic v2, no I/O.

``GuestDiscovery`` is one guest's merged facts (all samples), stored as a ``discovery`` document with the snapshot
it enriches; ``FlowRecord`` is one row of an imported flow CSV, stored in a ``flows`` document.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from planner.models.base import Model

DISCOVERY_FORMAT_VERSION = 1
"""Version of the discovery JSON contract (docs/discovery.md). Bump it on any incompatible change."""


class GuestStatus(StrEnum):
    """How discovery of one guest ended."""

    OK = "ok"
    PARTIAL = "partial"
    """Reached, but some tasks failed or timed out (see ``errors``)."""
    UNREACHABLE = "unreachable"
    FAILED = "failed"


class OsRelease(Model):
    id: str | None = None
    id_like: list[str] = Field(default_factory=list)
    name: str | None = None
    version_id: str | None = None
    pretty_name: str | None = None


class Process(Model):
    pid: int
    ppid: int | None = None
    user: str | None = None
    comm: str
    exe: str | None = None
    args: str = ""


class Listener(Model):
    protocol: str = Field(description="tcp | udp")
    address: str
    port: int
    process: str | None = None
    pid: int | None = None


class Connection(Model):
    """An established connection seen from this guest, merged over samples."""

    protocol: str = "tcp"
    local_address: str
    local_port: int | None = Field(default=None, description="None for outbound (the ephemeral side)")
    peer_address: str
    peer_port: int | None = Field(default=None, description="None for inbound (the ephemeral side)")
    direction: str = Field(description="outbound (this guest is the client) | inbound (this guest serves)")
    process: str | None = None
    pid: int | None = None
    count: int = Field(default=1, description="samples in which it was seen")
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class Package(Model):
    name: str
    version: str | None = None
    arch: str | None = None


class SystemdUnit(Model):
    name: str
    load: str | None = None
    active: str | None = None
    sub: str | None = None
    description: str | None = None


class Mount(Model):
    device: str
    mountpoint: str
    fstype: str
    options: list[str] = Field(default_factory=list)
    network: bool = Field(default=False, description="NFS or CIFS/SMB")


class CronEntry(Model):
    source: str
    line: str


class HostsEntry(Model):
    address: str
    names: list[str]


class WindowsService(Model):
    name: str
    display_name: str | None = None
    state: str | None = None
    start_mode: str | None = None
    path: str | None = None


class GuestDiscovery(Model):
    """Everything discovery learnt about one guest; all samples merged."""

    format_version: int = DISCOVERY_FORMAT_VERSION
    host: str = Field(description="Ansible inventory name")
    planner_vm: str | None = Field(default=None, description="the inventory's planner_vm host variable, if set")
    vm: str | None = Field(default=None, description="graph node id of the VM this guest was matched to")
    matched_by: str | None = Field(default=None, description="inventory-name | vm-name | guest-ip | bios-uuid")
    status: GuestStatus = GuestStatus.OK
    errors: list[str] = Field(default_factory=list, description="failed or timed-out tasks, unreachable message")
    reached_address: str | None = Field(default=None, description="the address the connection reached")
    addresses: list[str] = Field(default_factory=list, description="addresses treated as this guest's own")
    hostname: str | None = None
    fqdn: str | None = None
    interface_addresses: list[str] = Field(default_factory=list)
    bios_uuid: str | None = None
    system: str | None = Field(default=None, description="Linux | Windows | ...")
    os: OsRelease = Field(default_factory=OsRelease)
    kernel: str | None = None
    arch: str | None = None
    processes: list[Process] = Field(default_factory=list)
    listeners: list[Listener] = Field(default_factory=list)
    connections: list[Connection] = Field(default_factory=list)
    packages: list[Package] = Field(default_factory=list)
    package_manager: str | None = None
    systemd_units: list[SystemdUnit] = Field(default_factory=list)
    mounts: list[Mount] = Field(default_factory=list)
    crontabs: list[CronEntry] = Field(default_factory=list)
    hosts_entries: list[HostsEntry] = Field(default_factory=list)
    selinux: str | None = Field(default=None, description="enforcing | permissive | disabled, None if absent")
    kernel_modules: list[str] = Field(default_factory=list, description="loaded modules not shipped with the kernel")
    container_runtimes: list[str] = Field(default_factory=list)
    data_dirs: dict[str, int] = Field(default_factory=dict, description="path -> bytes, for detected services")
    windows_services: list[WindowsService] = Field(default_factory=list)
    iis_sites: list[str] = Field(default_factory=list)
    memory_used_mib: int | None = Field(default=None, description="MemTotal - MemAvailable")
    cpu_used_cores: float | None = Field(default=None, description="average busy cores between first and last sample")
    samples: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    duration_seconds: float | None = Field(default=None, description="wall time of this host's discovery")
    missing_privileges: list[str] = Field(default_factory=list,
                                          description="what the (non-root) account could not see, as sentences")


class FlowRecord(Model):
    """One flow from a NetFlow / network-insight export (CSV columns in docs/discovery.md)."""

    src_ip: str
    src_port: int | None = None
    dst_ip: str
    dst_port: int
    protocol: str = "tcp"
    bytes: int | None = None
    packets: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    count: int = Field(default=1, description="flow rows this record aggregates (stored flows are one per edge)")
