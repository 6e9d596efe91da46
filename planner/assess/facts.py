"""Guest facts: what discovery (Ansible, inside the guest) tells the assessment beyond VM configuration.

This is the input contract between discovery and the guest-level rules (``GST*``). Discovery builds one
:class:`GuestFacts` per VM and passes them to ``assess_estate(..., facts={vm_name: GuestFacts})``.
Every field is optional or defaults to empty, so partial discovery is fine: a rule reads only the fields
it needs, and an empty list means "looked, found none" as far as the rules are concerned.

``facts_from_discovery`` adapts one document of discovery's JSON contract (``GuestDiscovery``, format 1, as
stored with a snapshot) without importing the discovery stage: stages meet only through documented data.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.errors import InputError


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuestProcess(_Facts):
    """A running process (``ps -eo user,exe,args``)."""

    user: str | None = None
    exe: str | None = Field(default=None, description="resolved executable path, e.g. /usr/sbin/mysqld")
    cmdline: list[str] = Field(default_factory=list, description="argv")

    @property
    def name(self) -> str:
        """Executable base name (from ``exe``, else argv[0])."""
        path = self.exe or (self.cmdline[0] if self.cmdline else "")
        return path.rsplit("/", 1)[-1]


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


_UNREACHED = {"unreachable", "failed"}
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
    try:
        return shlex.split(args)
    except ValueError:  # unbalanced quotes in a process's arguments
        return args.split()


def _cron(source: str, line: str) -> dict[str, Any] | None:
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
    return {"user": user, "schedule": schedule, "command": " ".join(rest)}


def _protocol(value: object) -> str | None:
    text = str(value or "tcp").lower()
    return "tcp" if text.startswith("tcp") else "udp" if text.startswith("udp") else None


def _unit_runs(unit: Mapping[str, Any]) -> bool:
    """Enabled or running: active (or about to be), a running sub-state, or enabled without being loaded."""
    return (unit.get("active") in _RUNNING or unit.get("sub") == "running" or unit.get("load") == "enabled"
            or (unit.get("active") is None and unit.get("sub") is None))


def _data_dirs(sizes: Mapping[str, int]) -> dict[str, int]:
    by_service: dict[str, int] = {}
    for path, size in sizes.items():
        key = SERVICE_OF_DIR.get(path, path)
        by_service[key] = by_service.get(key, 0) + int(size)
    return by_service


def facts_from_discovery(document: Mapping[str, Any]) -> GuestFacts | None:
    """GuestFacts from one discovery document (a ``GuestDiscovery`` as JSON data); None if the guest was not reached."""
    if document.get("status") in _UNREACHED:
        return None
    os_release = document.get("os") or {}
    selinux = (document.get("selinux") or "").lower() or None
    listeners = [{"address": item["address"], "port": item["port"], "process": item.get("process"), "protocol": proto}
                 for item in document.get("listeners", [])
                 if (proto := _protocol(item.get("protocol"))) is not None]
    crontab = [entry for item in document.get("crontabs", []) if item.get("line")
               and (entry := _cron(str(item.get("source") or ""), str(item["line"]))) is not None]
    return GuestFacts.model_validate({
        "os_id": os_release.get("id"),
        "os_version": os_release.get("version_id"),
        "kernel": document.get("kernel"),
        "arch": document.get("arch"),
        "processes": [{"user": p.get("user"), "exe": p.get("exe"),
                       "cmdline": _argv(p.get("args") or "") or [p.get("comm") or ""]}
                      for p in document.get("processes", [])],
        "listeners": listeners,
        "mounts": [{"fstype": m["fstype"], "source": m.get("device", ""), "target": m.get("mountpoint", "")}
                   for m in document.get("mounts", [])],
        "packages": sorted({p["name"] for p in document.get("packages", [])}),
        "systemd_units": sorted({u["name"] for u in document.get("systemd_units", []) if _unit_runs(u)}),
        "crontab": crontab,
        "hosts_entries": document.get("hosts_entries", []),
        "selinux": selinux if selinux in _SELINUX else None,
        "kernel_modules": document.get("kernel_modules", []),
        "container_runtimes": document.get("container_runtimes", []),
        "data_dirs": _data_dirs(document.get("data_dirs") or {}),
        "memory_used_mib": document.get("memory_used_mib"),
        "cpu_used_cores": document.get("cpu_used_cores"),
        **_storage_facts(document),
    })


def _storage_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    """The storage facts of issue 15 (absent from older documents: then empty, i.e. not looked)."""
    return {"nfs_exports": list(document.get("nfs_exports") or []), "nfs_server": document.get("nfs_server"),
            "block_devices": [{"device": item["device"], "process": item.get("process"), "pid": item.get("pid")}
                              for item in document.get("block_devices") or []]}


def facts_by_vm(documents: Iterable[str | Mapping[str, Any]]) -> dict[str, GuestFacts]:
    """VM name -> GuestFacts from discovery documents (JSON text or data) matched to a VM (``vm`` set)."""
    facts: dict[str, GuestFacts] = {}
    for document in documents:
        try:
            data = json.loads(document) if isinstance(document, str) else document
            vm = data.get("vm")
            converted = facts_from_discovery(data) if vm else None
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise InputError(f"unreadable discovery document: {exc}") from exc
        if vm and converted is not None:
            facts[vm] = converted
    return facts
