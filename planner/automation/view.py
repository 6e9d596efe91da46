"""View data for the migration automation: generate.json's images grouped per VM and per wave, names made safe.

Everything the Ansible, compose and Kubernetes writers print comes from here; they decide nothing. Untrusted text
(VM names, paths, addresses) is kept as data; the writers mark it ``!unsafe`` when they dump YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.discovery.settings import CONNECTION_KEYS

# The Debian service each stack runs as when discovery recorded no unit (users override it in host_vars).
DEFAULT_SERVICES = {"nginx": "nginx", "redis": "redis-server", "postgresql": "postgresql", "mysql": "mariadb",
                    "apache": "apache2", "php-fpm": "php-fpm", "tomcat": "tomcat10"}
SNAPSHOT_NAME = "planner-cutover"
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 - where a container listens on its own network (compose, Kubernetes)


@dataclass
class ContainerView:
    """One image to run as one container on the container host."""

    name: str
    tag: str
    stack: str
    ports: list[dict[str, Any]]
    probe: dict[str, Any] | None
    volumes: list[dict[str, str]]
    peers: dict[str, str]
    healthcheck: bool


@dataclass
class VmView:
    """One VM (an inventory host reached over SSH, as discovery reached it) and the containers replacing it."""

    host: str
    vm_name: str
    moid: str | None
    address: str | None
    wave: int
    service: str | None
    containers: list[ContainerView] = field(default_factory=list)
    sizing: dict[str, Any] | None = None
    datacenter: str | None = None


@dataclass
class AutomationView:
    vms: list[VmView]
    waves: list[int]
    connection: dict[str, Any]
    datacenter: str | None
    registry: str | None = None

    def in_wave(self, wave: int) -> list[VmView]:
        return [vm for vm in self.vms if vm.wave == wave]

    def containers(self) -> list[ContainerView]:
        return [container for vm in self.vms for container in vm.containers]


def host_name(text: str) -> str:
    """An inventory host or group name: ``[a-z0-9_-]``, starting with a letter (``--limit`` takes it)."""
    name = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:60] or "vm"
    return name if name[0].isalpha() else f"vm-{name}"


def dns_label(text: str, limit: int = 63) -> str:
    """A Kubernetes/DNS-1035 label: ``[a-z]([-a-z0-9]*[a-z0-9])?``."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "x"
    return name if name[0].isalpha() else f"x-{name}"[:limit].rstrip("-")


def volume_name(image: str, path: str) -> str:
    """A named volume for one data directory: ``IMAGE-PATH`` with only ``[a-z0-9_.-]``."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", path.lower()).strip("-._") or "data"
    return f"{image}-{slug}"[:120]


def _moid(entry: Mapping[str, Any]) -> str | None:
    key = str(entry.get("vm") or "")
    moid = key.rsplit("/", 1)[-1] if "/" in key else None
    return moid if moid and re.fullmatch(r"[A-Za-z0-9_.:-]+", moid) else None


def _container(entry: Mapping[str, Any]) -> ContainerView:
    name = str(entry["name"])
    return ContainerView(
        name=name, tag=str(entry["tag"]), stack=str(entry.get("stack") or ""),
        ports=[dict(port) for port in entry.get("ports") or []],
        probe=dict(entry["probe"]) if entry.get("probe") else None,
        volumes=[{"name": volume_name(name, str(path)), "path": str(path)} for path in entry.get("volumes") or []],
        peers={str(peer): str(address) for peer, address in (entry.get("peers") or {}).items()},
        healthcheck=bool(entry.get("healthcheck")))


def build_view(document: Mapping[str, Any], *, connection: Mapping[str, Any] | None = None,
               services: Mapping[str, str] | None = None, sizing: Mapping[str, Mapping[str, Any]] | None = None,
               datacenter: str | None = None, registry: str | None = None,
               datacenters: Mapping[str, str] | None = None) -> AutomationView:
    """Group generate.json's images by VM. ``services``/``sizing`` are keyed by VM name; ``connection`` holds the
    SSH settings discovery used (only :data:`CONNECTION_KEYS` are kept)."""
    by_vm: dict[str, VmView] = {}
    used: set[str] = set()
    for entry in sorted(document.get("images") or [], key=lambda item: str(item.get("name"))):
        if entry.get("stack") == "starter":
            continue  # an OS-level starter is a TODO list, not something to cut over
        key = str(entry.get("vm") or entry["name"])
        vm = by_vm.get(key)
        if vm is None:
            vm_name = str(entry.get("vm_name") or key)
            guest = entry.get("guest") or {}
            host = host_name(str(guest.get("host") or vm_name))
            unique, index = host, 2
            while unique in used:
                unique, index = f"{host}-{index}", index + 1
            used.add(unique)
            wave = entry.get("wave") if isinstance(entry.get("wave"), int) else entry.get("group")
            vm = VmView(host=unique, vm_name=vm_name, moid=_moid(entry), address=guest.get("address"),
                        wave=wave if isinstance(wave, int) and wave > 0 else 1,
                        service=(services or {}).get(vm_name) or DEFAULT_SERVICES.get(str(entry.get("stack"))),
                        sizing=dict((sizing or {}).get(vm_name) or {}) or None,
                        datacenter=(datacenters or {}).get(vm_name))
            by_vm[key] = vm
        vm.containers.append(_container(entry))
    vms = sorted(by_vm.values(), key=lambda vm: (vm.wave, vm.host))
    kept = {key: value for key, value in (connection or {}).items() if key in CONNECTION_KEYS}
    return AutomationView(vms=vms, waves=sorted({vm.wave for vm in vms}), connection=kept, datacenter=datacenter,
                          registry=registry)


def wave_of_container(view: AutomationView) -> dict[str, int]:
    return {container.name: vm.wave for vm in view.vms for container in vm.containers}


def peers_in(container: ContainerView, names: Sequence[str]) -> list[str]:
    """The container's peers that run in the same set (compose ``depends_on``)."""
    return sorted(peer for peer in container.peers if peer in names)
