"""Guest facts: what discovery (Ansible, inside the guest) tells the assessment beyond VM configuration.

This is the input contract between discovery and the guest-level rules (``GST*``). One :class:`GuestFacts` per VM
is passed to ``assess_estate(..., facts={vm.key: GuestFacts})``, keyed by VM identity (``Vm.key``).
Every field is optional or defaults to empty, so partial discovery is fine: a rule reads only the fields
it needs, and an empty list means "looked, found none" as far as the rules are concerned.

``facts_from_discovery`` adapts one guest of discovery's contract (``planner.models.discovery.GuestDiscovery``)
without importing the discovery stage: stages meet only through planner.models.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.errors import InputError
from planner.models.discovery import GuestDiscovery, GuestStatus, Process, SystemdUnit


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuestProcess(_Facts):
    """A running process (``ps -eo user,comm,exe,args``)."""

    user: str | None = None
    exe: str | None = Field(default=None, description="resolved executable path, e.g. /usr/sbin/mysqld")
    comm: str | None = Field(default=None, description="the kernel's process name (ps comm, at most 15 characters)")
    cmdline: list[str] = Field(default_factory=list, description="argv")

    @property
    def name(self) -> str:
        """Executable base name: from ``exe``; else argv[0] when it agrees with ``comm`` (a process may rewrite its
        argv: nginx's is ``nginx: master process …``, whose argv[0] ``nginx:`` is no program); else ``comm``."""
        if self.exe:
            return self.exe.rsplit("/", 1)[-1]
        first = self.cmdline[0].rsplit("/", 1)[-1] if self.cmdline else ""
        if not self.comm or first == self.comm or (len(self.comm) >= _COMM_LEN and first.startswith(self.comm)):
            return first or self.comm or ""
        return self.comm


class GuestListener(_Facts):
    """A listening socket (``ss -tulpn``)."""

    address: str = Field(description="bound address: 0.0.0.0, ::, 127.0.0.1, or a specific IP")
    port: int = Field(ge=0, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    process: str | None = Field(default=None, description="owning process name")


class GuestMount(_Facts):
    """A mounted file system (``/proc/mounts``)."""

    fstype: str
    source: str
    target: str


class CronEntry(_Facts):
    """One crontab line (user crontabs, /etc/crontab, /etc/cron.d)."""

    user: str | None = None
    schedule: str
    command: str


class HostsEntry(_Facts):
    """One /etc/hosts line."""

    address: str
    names: list[str] = Field(default_factory=list)


class GuestBlockDevice(_Facts):
    """A block device a process holds open (``/proc/PID/fd``), e.g. a raw disk a database writes to."""

    device: str = Field(description="e.g. /dev/sdb, /dev/mapper/asm-data1")
    process: str | None = Field(default=None, description="the process's name (comm)")
    pid: int | None = None


class GuestFacts(_Facts):
    """Facts discovered inside one guest. Keyed by the exact VM name when passed to the assessment."""

    os_id: str | None = Field(default=None, description="os-release ID, e.g. debian, rhel, ubuntu")
    os_version: str | None = Field(default=None, description="os-release VERSION_ID, e.g. 12, 8.9, 22.04")
    kernel: str | None = Field(default=None, description="uname -r, e.g. 5.10.0-28-amd64")
    arch: str | None = Field(default=None, description="uname -m, e.g. x86_64, i686, aarch64")
    processes: list[GuestProcess] = Field(default_factory=list)
    listeners: list[GuestListener] = Field(default_factory=list)
    mounts: list[GuestMount] = Field(default_factory=list)
    packages: list[str] = Field(default_factory=list, description="installed package names")
    systemd_units: list[str] = Field(default_factory=list, description="enabled or running *.service units")
    crontab: list[CronEntry] = Field(default_factory=list)
    hosts_entries: list[HostsEntry] = Field(default_factory=list, description="/etc/hosts lines")
    selinux: Literal["enforcing", "permissive", "disabled"] | None = None
    kernel_modules: list[str] = Field(
        default_factory=list, description="loaded modules beyond the distribution's defaults (discovery filters)"
    )
    container_runtimes: list[str] = Field(default_factory=list, description="e.g. docker, containerd, podman")
    data_dirs: dict[str, int] = Field(
        default_factory=dict,
        description="bytes of local data by service (or data path if unknown), e.g. {'postgresql': 5e10}",
    )
    memory_used_mib: int | None = Field(default=None, ge=0, description="MemTotal - MemAvailable, for sizing")
    cpu_used_cores: float | None = Field(default=None, ge=0, description="average busy cores, for sizing")
    # storage facts (issue 15)
    nfs_exports: list[str] = Field(default_factory=list, description="/etc/exports entries: path and clients")
    nfs_server: bool | None = Field(default=None, description="the kernel NFS server runs (None: unknown)")
    block_devices: list[GuestBlockDevice] = Field(default_factory=list, description="block devices open by processes")


_SHELL_SPACE = re.compile("[ \t\r\n]+")
"""shlex's whitespace (str.split would also split on other Unicode spaces)."""
_COMM_LEN = 15
"""The kernel truncates a process name (comm) to 15 characters."""
_UNREACHED = {GuestStatus.UNREACHABLE, GuestStatus.FAILED}
_SELINUX = {"enforcing", "permissive", "disabled"}
_RUNNING = {"active", "activating", "reloading"}
SERVICE_OF_DIR = {
    "/var/lib/mysql": "mysql", "/var/lib/mariadb": "mariadb", "/var/lib/pgsql": "postgresql",
    "/var/lib/postgresql": "postgresql", "/var/lib/mongodb": "mongodb", "/var/lib/redis": "redis",
    "/var/lib/elasticsearch": "elasticsearch", "/var/lib/opensearch": "opensearch", "/var/lib/rabbitmq": "rabbitmq",
    "/var/lib/cassandra": "cassandra", "/var/lib/kafka": "kafka", "/var/lib/zookeeper": "zookeeper",
    "/var/lib/influxdb": "influxdb", "/var/lib/couchdb": "couchdb", "/var/lib/etcd": "etcd", "/var/lib/ldap": "ldap",
    "/var/lib/jenkins": "jenkins", "/var/lib/docker": "docker", "/var/lib/containers": "podman",
    "/var/opt/mssql": "mssql", "/u01/app/oracle": "oracle", "/opt/oracle": "oracle", "/var/www": "www", "/srv": "srv",
}
"""Data directories discovery sizes, by the service they belong to (``data_dirs`` is keyed by service)."""


def _argv(args: str) -> list[str]:
    if "'" not in args and '"' not in args and "\\" not in args:  # nothing to unquote: split where shlex would
        return [part for part in _SHELL_SPACE.split(args) if part]
    try:
        return shlex.split(args)
    except ValueError:  # unbalanced quotes in a process's arguments
        return args.split()


def _cron(source: str, line: str) -> CronEntry | None:
    """One crontab line; ``None`` for variable assignments and malformed lines. System crontabs (/etc/crontab,
    /etc/cron.d/*) carry a user field after the schedule; a user's crontab is named after the user."""
    parts = line.split()
    if not parts or "=" in parts[0]:
        return None
    if parts[0].startswith("@"):
        schedule, rest = parts[0], parts[1:]
    elif len(parts) >= 6:
        schedule, rest = " ".join(parts[:5]), parts[5:]
    else:
        return None
    user: str | None = None
    if source == "/etc/crontab" or source.startswith("/etc/cron.d/"):
        user, rest = (rest[0], rest[1:]) if rest else (None, rest)
    elif source:
        user = source.rsplit("/", 1)[-1]
    if not rest:
        return None
    return CronEntry(user=user, schedule=schedule, command=" ".join(rest))


def _protocol(value: object) -> str | None:
    text = str(value or "tcp").lower()
    return "tcp" if text.startswith("tcp") else "udp" if text.startswith("udp") else None


def _unit_runs(unit: SystemdUnit) -> bool:
    """Enabled or running: active (or about to be), a running sub-state, or enabled without being loaded."""
    return (unit.active in _RUNNING or unit.sub == "running" or unit.load == "enabled"
            or (unit.active is None and unit.sub is None))


def _data_dirs(sizes: Mapping[str, int]) -> dict[str, int]:
    by_service: dict[str, int] = {}
    for path, size in sizes.items():
        key = SERVICE_OF_DIR.get(path, path)
        by_service[key] = by_service.get(key, 0) + int(size)
    return by_service


def _process(process: Process) -> GuestProcess:
    return GuestProcess(user=process.user, exe=process.exe, comm=process.comm or None,
                        cmdline=_argv(process.args or "") or ([process.comm] if process.comm else []))


def facts_from_discovery(guest: GuestDiscovery) -> GuestFacts | None:
    """GuestFacts from one discovered guest; None if the guest was not reached. Missing parts stay empty."""
    if guest.status in _UNREACHED:
        return None
    selinux = (guest.selinux or "").lower() or None
    return GuestFacts(
        os_id=guest.os.id,
        os_version=guest.os.version_id,
        kernel=guest.kernel,
        arch=guest.arch,
        processes=[_process(process) for process in guest.processes],
        listeners=[GuestListener(address=item.address, port=item.port, process=item.process, protocol=proto)
                   for item in guest.listeners if (proto := _protocol(item.protocol)) is not None
                   and 0 <= item.port <= 65535],
        mounts=[GuestMount(fstype=m.fstype, source=m.device, target=m.mountpoint) for m in guest.mounts],
        packages=sorted({package.name for package in guest.packages}),
        systemd_units=sorted({unit.name for unit in guest.systemd_units if _unit_runs(unit)}),
        crontab=[entry for item in guest.crontabs if item.line
                 and (entry := _cron(item.source or "", item.line)) is not None],
        hosts_entries=[HostsEntry(address=item.address, names=list(item.names)) for item in guest.hosts_entries],
        selinux=selinux if selinux in _SELINUX else None,
        kernel_modules=list(guest.kernel_modules),
        container_runtimes=list(guest.container_runtimes),
        data_dirs=_data_dirs(guest.data_dirs),
        memory_used_mib=guest.memory_used_mib if guest.memory_used_mib is None or guest.memory_used_mib >= 0
        else None,
        cpu_used_cores=guest.cpu_used_cores if guest.cpu_used_cores is None or guest.cpu_used_cores >= 0 else None,
        # storage facts (issue 15)
        nfs_exports=list(guest.nfs_exports), nfs_server=guest.nfs_server,
        block_devices=[GuestBlockDevice(device=b.device, process=b.process, pid=b.pid) for b in guest.block_devices],
    )


def read_guest(document: str | Mapping[str, Any] | GuestDiscovery) -> GuestDiscovery:
    """One stored discovery document (JSON text or data) read through the ``GuestDiscovery`` contract."""
    if isinstance(document, GuestDiscovery):
        return document
    try:
        if isinstance(document, str):
            return GuestDiscovery.model_validate_json(document)
        return GuestDiscovery.model_validate(document)
    except (ValueError, ValidationError) as exc:
        raise InputError(f"unreadable discovery document: {exc}") from exc


def facts_by_vm(documents: Iterable[str | Mapping[str, Any] | GuestDiscovery]) -> dict[str, GuestFacts]:
    """Graph node id (``guest.vm``) -> GuestFacts, for guests matched to a VM: a convenience to inspect one
    snapshot's discovery. The assessment itself is keyed by ``Vm.key`` (``planner.analysis`` builds that)."""
    facts: dict[str, GuestFacts] = {}
    for document in documents:
        guest = read_guest(document)
        if guest.vm and (converted := facts_from_discovery(guest)) is not None:
            facts[guest.vm] = converted
    return facts
