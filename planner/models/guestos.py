"""Derive an OS family from vSphere guest identifiers (``solaris11_64Guest``) and full names (``Oracle Solaris 11
(64-bit)``, as vCenter, RVTools and VMware Tools write them).

Only words that name a system count, never a vendor's: Oracle ships Linux and Solaris, Red Hat, SUSE and Novell
ship Linux and more, Microsoft ships Windows and MS-DOS, Sun, VMware and IBM several systems each.
"""

from __future__ import annotations

import re

from planner.models.base import OsFamily

_ID_PREFIXES: tuple[tuple[tuple[str, ...], OsFamily], ...] = (
    (("win",), OsFamily.WINDOWS),
    (("darwin",), OsFamily.MACOS),
    (("freebsd", "openbsd", "netbsd"), OsFamily.BSD),
    (("solaris",), OsFamily.SOLARIS),
    (("dos", "os2", "ecomstation", "netware", "openserver", "unixware", "vmkernel"), OsFamily.OTHER),
    (("redhat", "rhel", "centos", "oraclelinux", "suse", "sles", "opensuse", "nld", "oes", "sjds", "mandrake",
      "mandriva", "turbolinux", "ubuntu", "debian", "asianux", "miraclelinux", "pardus", "fedora", "coreos",
      "vmwarephoton", "genericlinux", "fusionos", "prolinux", "kylinlinux", "flatcar", "amazonlinux", "crxpod",
      "crxsys", "rockylinux", "almalinux"), OsFamily.LINUX),
)
"""vSphere guest ids (``VirtualMachineGuestOsIdentifier``) by prefix; ``other…`` ids are decided below."""

_NAME_WORDS: tuple[tuple[re.Pattern[str], OsFamily], ...] = (
    (re.compile(r"solaris|illumos|openindiana"), OsFamily.SOLARIS),
    (re.compile(r"windows|small business server|hyper-v"), OsFamily.WINDOWS),
    (re.compile(r"bsd\b"), OsFamily.BSD),
    (re.compile(r"mac ?os|os x\b|darwin"), OsFamily.MACOS),
    (re.compile(r"linux|ubuntu|debian|centos|fedora|\brhel|\bsles|opensuse|photon|asianux|pardus|fusionos|"
                r"almalinux|rocky|flatcar|\bcrx\b|open enterprise server|java desktop system"), OsFamily.LINUX),
    (re.compile(r"netware|\bos/2|\bdos\b|ecomstation|unixware|openserver|\besxi?\b|^other\b"), OsFamily.OTHER),
)
"""Words of full names (and discovery's os-release ids), system words only; the first that matches decides."""

_GUEST_ID = re.compile(r"^[a-z][a-z0-9_]*guest(?:64)?$", re.IGNORECASE)


def _from_id(guest_id: str) -> OsFamily | None:
    lowered = guest_id.lower()
    for prefixes, family in _ID_PREFIXES:
        if lowered.startswith(prefixes):
            return family
    if lowered.startswith("other"):
        return OsFamily.LINUX if "linux" in lowered else OsFamily.OTHER
    return None


def _from_name(name: str) -> OsFamily | None:
    lowered = " ".join(name.lower().split())
    for pattern, family in _NAME_WORDS:
        if pattern.search(lowered):
            return family
    return None


def os_family(*identifiers: str | None) -> OsFamily:
    """Family from the first identifier (guest id or full name) that tells; tools data first if given first."""
    for value in identifiers:
        text = (value or "").strip()
        if not text:
            continue
        family = (_from_id(text) if _GUEST_ID.match(text) else None) or _from_name(text)
        if family is not None:
            return family
    return OsFamily.UNKNOWN
