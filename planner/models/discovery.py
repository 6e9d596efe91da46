"""What guest discovery and flow imports produce: the contract the discovery stage writes and the graph and
assessment stages read. Pydantic v2, no I/O.

``GuestDiscovery`` is one guest's merged facts (all samples), stored as a ``discovery`` document with the snapshot
it enriches; ``FlowRecord`` is one row of an imported flow CSV, stored in a ``flows`` document.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from planner.models.base import Model

DISCOVERY_FORMAT_VERSION = 2
"""Version of the discovery JSON contract (docs/discovery.md). Bump it on any incompatible change.

2 added the facts for generation (``Process.argv`` .. ``GuestDiscovery.app_paths``); a stored format-1 document still
loads, keeps ``format_version`` 1 and has those fields empty (not collected, rather than none found)."""


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
    args: str = Field(default="", description="the command line as one string, secrets redacted")
    argv: list[str] = Field(default_factory=list, description="exact /proc/PID/cmdline split on NUL, secrets redacted")
    cwd: str | None = Field(default=None, description="/proc/PID/cwd target, None if unreadable")
    uid: int | None = None
    gid: int | None = None
    group: str | None = Field(default=None, description="group name of gid")
    environment: dict[str, str] = Field(default_factory=dict,
                                        description="allow-listed names only, secret-looking values '<redacted>'")
    unit: str | None = Field(default=None, description="systemd unit owning the process (from /proc/PID/cgroup)")
    server: str | None = Field(default=None, description="the recognised server it is (nginx, python, redis...)")


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


class ServiceUnit(Model):
    """One systemd unit (service, timer or socket) with what generation needs to rebuild it."""

    name: str = Field(description='e.g. "nginx.service"')
    kind: str = Field(description="service | timer | socket")
    active: str | None = None
    sub: str | None = None
    exec_start: list[str] = Field(default_factory=list, description="argv of the first ExecStart command, redacted")
    user: str | None = None
    group: str | None = None
    working_directory: str | None = None
    environment: dict[str, str] = Field(default_factory=dict, description="Environment=, redacted")
    environment_files: list[str] = Field(default_factory=list, description="EnvironmentFile= paths")
    main_pid: int | None = None
    fragment_path: str | None = None
    unit_text: str | None = Field(default=None, description="systemctl cat text, bounded (64 KiB), redacted")
    unit_text_truncated: bool = False
    listen: list[str] = Field(default_factory=list, description="sockets: Listen*= values")
    triggers: list[str] = Field(default_factory=list, description="timers and sockets: the unit they start")
    schedule: str | None = Field(default=None, description="timers: OnCalendar= (or the other On*= settings)")


class ConfigFile(Model):
    """A configuration file a recognised server reads, or the server's own configuration dump."""

    path: str
    server: str = Field(description="nginx | apache | php-fpm | tomcat | java | python | node | redis | postgresql | "
                                    "mysql | ...")
    size: int | None = None
    owner: str | None = None
    mode: str | None = Field(default=None, description='octal, e.g. "0644"')
    sha256: str | None = Field(default=None, description="of the file as read, before redaction")
    content: str | None = Field(default=None, description="text, bounded, secrets redacted; None if not read")
    truncated: bool = False
    readable: bool = Field(default=True, description="False: exists but the account could not read it")
    secrets: list[str] = Field(default_factory=list, description="keys or lines that looked like secrets (redacted)")
    dump: bool = Field(default=False, description="produced by the server's own dump (nginx -T), not a file read")
    stripped: bool = Field(default=False, description="full-line comments and blank lines left out of content "
                                                      "(size and sha256 are of the file itself)")


class Runtime(Model):
    """A language runtime found on the guest."""

    name: str = Field(description="java | python3 | node | php | ...")
    path: str | None = None
    version: str | None = Field(default=None, description='parsed, e.g. "17.0.9"')
    raw: str | None = Field(default=None, description="first line of its version output")


class AppPath(Model):
    """A path of the application itself, so generation knows what to capture and what is data."""

    path: str
    kind: str = Field(description="cwd | script | jar | war | webroot | webapps | data | config-dir | binary")
    server: str | None = Field(default=None, description="the recognised server or process it belongs to")
    pid: int | None = None
    owner: str | None = None
    size_bytes: int | None = Field(default=None, description="du -sk, bounded; None if not measured")
    is_data: bool = Field(default=False, description="data directories: volumes, never baked into images")
    exists: bool = True


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
    services: list[ServiceUnit] = Field(default_factory=list, description="systemd services, timers and sockets")
    config_files: list[ConfigFile] = Field(default_factory=list)
    runtimes: list[Runtime] = Field(default_factory=list)
    app_paths: list[AppPath] = Field(default_factory=list)
    missing_privileges: list[str] = Field(default_factory=list,
                                          description="what the (non-root) account could not see, as sentences")
    bounds_reached: list[str] = Field(default_factory=list,
                                      description="generation facts left out by a bound: processes | units | "
                                                  "configuration-files | application-paths | time")

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if not 1 <= value <= DISCOVERY_FORMAT_VERSION:
            raise ValueError(f"discovery format_version {value} is not supported (this planner reads 1 to "
                             f"{DISCOVERY_FORMAT_VERSION}); upgrade planner")
        return value


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
