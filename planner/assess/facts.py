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
        default_factory=dict, description="bytes of local data by service or data path, e.g. {'/var/lib/pgsql': 5e10}"
    )
    memory_used_mib: int | None = Field(default=None, ge=0, description="MemTotal - MemAvailable, for sizing")
    cpu_used_cores: float | None = Field(default=None, ge=0, description="average busy cores, for sizing")


_UNREACHED = {"unreachable", "failed"}
_SELINUX = {"enforcing", "permissive", "disabled"}


def _cron(line: str) -> CronEntry:
    parts = line.split()
    if parts and parts[0].startswith("@"):
        return CronEntry(schedule=parts[0], command=" ".join(parts[1:]))
    return CronEntry(schedule=" ".join(parts[:5]), command=" ".join(parts[5:]))


def facts_from_discovery(document: Mapping[str, Any]) -> GuestFacts | None:
    """GuestFacts from one discovery document (a ``GuestDiscovery`` as JSON data); None if the guest was not reached."""
    if document.get("status") in _UNREACHED:
        return None
    os_release = document.get("os") or {}
    selinux = (document.get("selinux") or "").lower() or None
    return GuestFacts.model_validate({
        "os_id": os_release.get("id"),
        "os_version": os_release.get("version_id"),
        "kernel": document.get("kernel"),
        "arch": document.get("arch"),
        "processes": [{"user": p.get("user"), "exe": p.get("exe"),
                       "cmdline": (p.get("args") or "").split() or [p.get("comm") or ""]}
                      for p in document.get("processes", [])],
        "listeners": [{"address": item["address"], "port": item["port"], "process": item.get("process"),
                       "protocol": "udp" if str(item.get("protocol", "tcp")).startswith("udp") else "tcp"}
                      for item in document.get("listeners", [])],
        "mounts": [{"fstype": m["fstype"], "source": m.get("device", ""), "target": m.get("mountpoint", "")}
                   for m in document.get("mounts", [])],
        "packages": [p["name"] for p in document.get("packages", [])],
        "systemd_units": [u["name"] for u in document.get("systemd_units", [])
                          if u.get("active") in (None, "active", "activating", "reloading")],
        "crontab": [_cron(c["line"]).model_dump() for c in document.get("crontabs", []) if c.get("line")],
        "hosts_entries": document.get("hosts_entries", []),
        "selinux": selinux if selinux in _SELINUX else None,
        "kernel_modules": document.get("kernel_modules", []),
        "container_runtimes": document.get("container_runtimes", []),
        "data_dirs": document.get("data_dirs", {}),
        "memory_used_mib": document.get("memory_used_mib"),
        "cpu_used_cores": document.get("cpu_used_cores"),
    })


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
