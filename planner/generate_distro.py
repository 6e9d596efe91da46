"""The VM's distribution and release as a base image, and how that base installs packages and makes users."""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.models import Vm
from planner.models.discovery import OsRelease

_DEBIAN = {"9": "stretch", "10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie"}
_RHEL_LIKE = {"rocky": "rockylinux:{major}", "almalinux": "almalinux:{major}",
              "centos": "quay.io/centos/centos:stream{major}", "fedora": "fedora:{major}", "ol": "oraclelinux:{major}",
              "amzn": "amazonlinux:{major}"}
DEFAULT_BASE = "debian:bookworm-slim"


@dataclass(frozen=True)
class Distro:
    """A base image and its package manager family (apt, dnf, yum, apk) and user tools (shadow, busybox)."""

    logical: str
    family: str
    users: str = "shadow"
    note: str = ""
    known: bool = True

    def pin(self, name: str, version: str | None) -> str:
        if not version:
            return name
        return f"{name}-{version}" if self.family in ("dnf", "yum") else f"{name}={version}"


def _major(version: str | None) -> str:
    match = re.match(r"\d+", version or "")
    return match.group(0) if match else ""


def distro_for(os: OsRelease) -> Distro:
    """The VM's own distribution and release: debian 12 -> debian:bookworm-slim, ubuntu 22.04 -> ubuntu:22.04…"""
    ident, version = (os.id or "").lower(), os.version_id or ""
    major = _major(version)
    if ident == "debian" and major in _DEBIAN:
        return Distro(f"debian:{_DEBIAN[major]}-slim", "apt")
    if ident == "ubuntu" and re.fullmatch(r"\d\d\.\d\d", version):
        return Distro(f"ubuntu:{version}", "apt")
    if ident == "alpine" and re.match(r"\d+\.\d+", version):
        return Distro(f"alpine:{'.'.join(version.split('.')[:2])}", "apk", users="busybox")
    if ident == "rhel" and major:
        return Distro(f"registry.access.redhat.com/ubi{major}/ubi:{major}", "dnf" if int(major) >= 8 else "yum")
    if ident in _RHEL_LIKE and major:
        old = (ident in ("centos", "ol") and int(major) < 8) or (ident == "amzn" and major == "2")
        family = "yum" if old else "dnf"
        logical = _RHEL_LIKE[ident].format(major=major)
        if ident == "centos" and int(major) < 8:
            logical = f"centos:{major}"
        return Distro(logical, family)
    name = os.pretty_name or os.id or "unknown"
    return Distro(DEFAULT_BASE, "apt", note=f"the VM runs {name}, which planner has no base image for: "
                  "this starter uses Debian; choose the base", known=False)


_GUEST_IDS = (("debian12", "debian", "12"), ("debian11", "debian", "11"), ("debian10", "debian", "10"),
              ("ubuntu", "ubuntu", "22.04"), ("rhel9", "rhel", "9"), ("rhel8", "rhel", "8"), ("rhel7", "rhel", "7"),
              ("rocky", "rocky", "9"), ("alma", "almalinux", "9"), ("centos", "centos", "7"))


def distro_for_vm(vm: Vm | None) -> Distro:
    """Without discovery: a guess from vSphere's guest OS identifier (``debian12_64Guest``…), flagged as a guess."""
    ids = " ".join(filter(None, [vm.guest.tools_id, vm.guest.configured_id] if vm else [])).lower()
    for prefix, ident, version in _GUEST_IDS:
        if prefix in ids:
            found = distro_for(OsRelease(id=ident, version_id=version))
            return Distro(found.logical, found.family, found.users,
                          note=f"base guessed from the VM's guest OS id ({ids.split()[0]}): check the release")
    return distro_for(OsRelease())
