"""Derive an OS family from vSphere guest identifiers and full names."""

from __future__ import annotations

from planner.models.base import OsFamily

_PREFIXES: tuple[tuple[str, OsFamily], ...] = (
    ("win", OsFamily.WINDOWS),
    ("darwin", OsFamily.MACOS),
    ("freebsd", OsFamily.BSD),
    ("openbsd", OsFamily.BSD),
    ("netbsd", OsFamily.BSD),
    ("solaris", OsFamily.SOLARIS),
    ("netware", OsFamily.OTHER),
    ("os2", OsFamily.OTHER),
    ("dos", OsFamily.OTHER),
    ("eComStation", OsFamily.OTHER),
    ("unixware", OsFamily.OTHER),
    ("openServer", OsFamily.OTHER),
    ("vmkernel", OsFamily.OTHER),
)
_LINUX_WORDS = (
    "linux", "rhel", "centos", "debian", "ubuntu", "sles", "suse", "oracle", "fedora", "photon",
    "almalinux", "rocky", "mandrake", "mandriva", "turbolinux", "redhat", "asianux", "coreos", "amazonlinux",
    "opensuse", "miracle", "nld", "sjds", "otherlinux", "genericlinux", "vmwarephoton", "crxpod", "crxsys",
)
_NAME_WORDS: tuple[tuple[str, OsFamily], ...] = (
    ("windows", OsFamily.WINDOWS),
    ("freebsd", OsFamily.BSD),
    ("bsd", OsFamily.BSD),
    ("solaris", OsFamily.SOLARIS),
    ("mac os", OsFamily.MACOS),
    ("macos", OsFamily.MACOS),
    ("linux", OsFamily.LINUX),
    ("ubuntu", OsFamily.LINUX),
    ("debian", OsFamily.LINUX),
    ("centos", OsFamily.LINUX),
    ("red hat", OsFamily.LINUX),
    ("suse", OsFamily.LINUX),
)


def _from_id(guest_id: str) -> OsFamily | None:
    gid = guest_id.strip()
    if not gid:
        return None
    lowered = gid.lower()
    for prefix, family in _PREFIXES:
        if lowered.startswith(prefix.lower()):
            return family
    if any(lowered.startswith(word) for word in _LINUX_WORDS) or "linux" in lowered:
        return OsFamily.LINUX
    if lowered.startswith("other"):
        return OsFamily.OTHER
    return None


def _from_name(name: str) -> OsFamily | None:
    lowered = name.lower()
    for word, family in _NAME_WORDS:
        if word in lowered:
            return family
    return None


def os_family(*identifiers: str | None) -> OsFamily:
    """Family from the first identifier (guestId or full name) that tells; tools data first if given first."""
    for value in identifiers:
        if not value:
            continue
        family = _from_id(value) or _from_name(value)
        if family is not None:
            return family
    return OsFamily.UNKNOWN
