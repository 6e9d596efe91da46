"""Architecture: can this workload run on a shared Linux kernel?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.policy import node_architecture
from planner.assess.rules._helpers import version_tuple
from planner.models import OsFamily, Vm

A = Criterion.ARCHITECTURE

_WINDOWS_DESKTOP_ID = re.compile(
    r"^(?:windows(?:7|8|9|11|12)(?:_64)?guest|winxp\w*|winvista\w*|win2000pro\w*|win9[58]guest|winmeguest|"
    r"win31guest)$", re.IGNORECASE)
_WINDOWS_DESKTOP_NAME = re.compile(r"windows\s+(?:xp|vista|7|8(?:\.1)?|10|11|95|98|me)\b(?!.*server)", re.IGNORECASE)
_BITS_32_NAME = re.compile(r"\(32-bit\)|\b(?:i[3-6]86|x86_32)\b", re.IGNORECASE)
_ARCH_32 = {"i386", "i486", "i586", "i686", "x86", "armv6l", "armv7l", "armhf", "s390", "ppc"}
_EOL_GUEST_ID = re.compile(
    r"^(?:rhel[2-6]|centos[56]?|oraclelinux[56]?|sles(?:9|10|11)?|debian[4-8]|suse|mandrake|mandriva|turbolinux|"
    r"redhat|asianux[34]|nld9|sjds|other24xlinux|other26xlinux)(?:_64)?guest$", re.IGNORECASE)
_EOL_NAME = re.compile(
    r"(?:red hat enterprise linux|centos|oracle linux)\s*[2-6]\b|suse linux enterprise(?: server)?\s*(?:9|10|11)\b|"
    r"debian gnu/linux\s*[4-8]\b|ubuntu(?: linux)?\s*(?:[0-9]|1[0-7])\.|linux\s*2\.[46]\.", re.IGNORECASE)


def _os_evidence(vm: Vm) -> dict[str, str | None]:
    return {"guest_id": vm.guest.tools_id or vm.guest.configured_id,
            "guest_name": vm.guest.tools_name or vm.guest.configured_name}


class GuestOsNotAccepted(Rule):
    """The guest OS family is not one the target container platform runs (Windows, BSD, Solaris, macOS, other)."""

    id = "ARC001"
    criterion = A
    severity = Severity.BLOCKER
    remediation = ("Keep it as a VM, or re-platform the application onto Linux. If the platform runs Windows "
                   "containers, add `windows` to `target.os_families` in the policy.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        family = ctx.family
        if family is OsFamily.UNKNOWN or family in ctx.policy.accepted_families:
            return
        accepted = sorted(f.value for f in ctx.policy.accepted_families)
        yield Hit(f"{family.value} guest: containers share the host kernel and the target accepts only "
                  f"{', '.join(accepted)}", {"os_family": family.value, **_os_evidence(vm)})


class WindowsDesktop(Rule):
    """The guest is a Windows desktop edition, which no container platform runs as a container."""

    id = "ARC002"
    criterion = A
    severity = Severity.BLOCKER
    remediation = "Move desktop workloads to VDI or keep them as VMs; containerize only their server-side parts."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if ctx.family is not OsFamily.WINDOWS:
            return
        ids = [v for v in (vm.guest.tools_id, vm.guest.configured_id) if v]
        names = [v for v in (vm.guest.tools_name, vm.guest.configured_name) if v]
        if any(_WINDOWS_DESKTOP_ID.match(v) for v in ids) or any(_WINDOWS_DESKTOP_NAME.search(v) for v in names):
            yield Hit("Windows desktop edition", _os_evidence(vm))


class UnknownOs(Rule):
    """No usable guest OS data: no guest id (or an unspecified "Other"), no VMware Tools report, no discovery facts."""

    id = "ARC003"
    criterion = A
    severity = Severity.MEDIUM
    remediation = ("Set the VM's guest OS type, install or start VMware Tools, or run `planner discover` on it; "
                   "then assess again.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if ctx.family is OsFamily.UNKNOWN:
            yield Hit("guest OS unknown", {**_os_evidence(vm), "tools_status": vm.tools.status})


class ThirtyTwoBit(Rule):
    """The guest is 32-bit; container hosts and base images are 64-bit."""

    id = "ARC004"
    criterion = A
    severity = Severity.HIGH
    remediation = ("Rebuild the application for 64-bit (x86_64/aarch64) on a current base image; 32-bit "
                   "binaries need i386 multiarch libraries and may not run at all.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if ctx.facts is not None and ctx.facts.arch:
            if ctx.facts.arch.lower() in _ARCH_32:
                yield Hit(f"32-bit architecture {ctx.facts.arch}", {"arch": ctx.facts.arch})
            return
        for name in (vm.guest.tools_name, vm.guest.configured_name):
            if name and _BITS_32_NAME.search(name):
                yield Hit("32-bit guest OS", {"guest_name": name})
                return
        guest_id = vm.guest.tools_id or vm.guest.configured_id
        if ctx.family is OsFamily.LINUX and guest_id and "64" not in guest_id and not guest_id.startswith("crx"):
            yield Hit("32-bit guest OS type", {"guest_id": guest_id})


# VMware guest ids and names -> (os-release ID, version), so ARC005 judges a VM by the same policy table
# (`thresholds.min_os_versions`) whether or not discovery ran. Versions only as precise as the source.
_RELEASE_ID = re.compile(r"^(rhel|centos|oraclelinux|sles|debian|amazonlinux)(\d+)(?:_64)?guest$", re.IGNORECASE)
_RELEASE_ID_OS = {"rhel": "rhel", "centos": "centos", "oraclelinux": "ol", "sles": "sles", "debian": "debian",
                  "amazonlinux": "amzn"}
_RELEASE_NAMES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern, re.IGNORECASE), os_id) for
                                                                pattern, os_id in (
    (r"red hat enterprise linux(?: server)?\s+(\d+(?:\.\d+)?)", "rhel"),
    (r"centos(?: linux| stream)?\s+(\d+)", "centos"),
    (r"oracle linux(?: server)?\s+(\d+(?:\.\d+)?)", "ol"),
    (r"suse linux enterprise(?: server)?\s+(\d+)", "sles"),
    (r"debian gnu/linux\s+(\d+)", "debian"),
    (r"ubuntu(?: linux)?\s+(\d+\.\d+)", "ubuntu"),
    (r"rocky linux\s+(\d+(?:\.\d+)?)", "rocky"),
    (r"almalinux\s+(\d+(?:\.\d+)?)", "almalinux"),
    (r"amazon linux\s+(\d+)", "amzn"),
))


def guest_release(vm: Vm) -> tuple[str, str, str] | None:
    """(os-release ID, version, the guest id or name it came from) from VMware's guest OS data, or None."""
    for guest_id in (vm.guest.tools_id, vm.guest.configured_id):
        if guest_id and (match := _RELEASE_ID.match(guest_id)):
            os_id, version = _RELEASE_ID_OS[match.group(1).lower()], match.group(2)
            if os_id == "amzn" and version == "3":
                version = "2023"  # amazonlinux3_64Guest is Amazon Linux 2023
            return os_id, version, guest_id
    for name in (vm.guest.tools_name, vm.guest.configured_name):
        for pattern, os_id in _RELEASE_NAMES:
            if name and (match := pattern.search(name)):
                return os_id, match.group(1), name
    return None


def _older(have: str, minimum: str) -> bool:
    """True if release ``have`` is older than ``minimum``, compared only as precisely as ``have`` is known
    (a guest id says "rhel8", which is not older than a minimum of 8.10)."""
    got, need = version_tuple(have), version_tuple(minimum)
    return got is not None and need is not None and got < need[:len(got)]


class EndOfLifeOs(Rule):
    """The guest OS release is out of vendor support (older than `thresholds.min_os_versions`)."""

    id = "ARC005"
    criterion = A
    severity = Severity.MEDIUM
    remediation = ("Rebuild on a supported base image rather than carrying the old userland over; test the "
                   "application against the newer libraries (OpenSSL, glibc, language runtimes) before the move.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        minimums = ctx.policy.policy.thresholds.min_os_versions
        facts = ctx.facts
        if facts is not None and facts.os_id and facts.os_version:
            os_id, version, evidence = facts.os_id.lower(), facts.os_version, {"os_id": facts.os_id}
        elif (release := guest_release(vm)) is not None:
            os_id, version, source = release
            evidence = {"os_id": os_id, "guest": source}
        else:
            return
        minimum = minimums.get(os_id)
        if minimum is not None and _older(version, minimum):
            yield Hit(f"{os_id} {version} is out of support (supported from {minimum})",
                      {**evidence, "os_version": version, "minimum": minimum})


class VeryOldOs(Rule):
    """The guest OS is a very old release (RHEL/CentOS 6 or older, SLES 11, Debian 8, 2.4/2.6 kernels)."""

    id = "ARC006"
    criterion = A
    severity = Severity.HIGH
    remediation = ("Its userland predates current kernels (old glibc needs vsyscall emulation, old init and "
                   "libraries are gone): port the application to a current base image and test it there, or keep "
                   "the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if ctx.facts is not None and ctx.facts.kernel:
            return  # discovery saw the kernel itself: GST011 judges it against `thresholds.min_kernel`
        for guest_id in (vm.guest.tools_id, vm.guest.configured_id):
            if guest_id and _EOL_GUEST_ID.match(guest_id):
                yield Hit(f"very old guest OS type {guest_id}", {"guest_id": guest_id})
                return
        for name in (vm.guest.tools_name, vm.guest.configured_name):
            if name and _EOL_NAME.search(name):
                yield Hit(f"very old guest OS {name}", {"guest_name": name})
                return


class NoGuestData(Rule):
    """No guest-level data: assessed from vSphere data alone, the guest checks could not run (fit capped at good)."""

    id = "ARC007"
    criterion = A
    severity = Severity.INFO
    remediation = ("Run `planner discover run` on the guest (Ansible over SSH; WinRM for Windows), then assess the "
                   "snapshot again: until then the verdict rests on VM configuration only and its fit is at most "
                   "`good`.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.template or ctx.facts is not None or not ctx.guest_rules:
            return
        yield Hit(f"no guest data: {len(ctx.guest_rules)} guest check(s) could not run",
                  {"guest_checks": list(ctx.guest_rules), "collect_with": "planner discover run"})


class ForeignArchitecture(Rule):
    """The guest's CPU architecture is not one of the target platform's nodes (`target.architectures`)."""

    id = "ARC008"
    criterion = A
    severity = Severity.BLOCKER
    remediation = ("Images must be built for the guest's architecture and run on nodes of it: add such nodes and "
                   "list the architecture in `target.architectures`, or rebuild the application for the target's "
                   "architecture (interpreted and JVM code usually ports; native binaries and vendor packages may "
                   "not).")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        arch = ctx.facts.arch if ctx.facts is not None else None
        node = node_architecture(arch)
        targets = ctx.policy.target_architectures
        if node is None or node in targets:
            return
        yield Hit(f"{arch} guest needs {node} nodes; the target has {', '.join(sorted(targets))}",
                  {"arch": arch, "node_architecture": node, "target_architectures": sorted(targets)})


RULES: tuple[type[Rule], ...] = (GuestOsNotAccepted, WindowsDesktop, UnknownOs, ThirtyTwoBit, EndOfLifeOs, VeryOldOs,
                                 NoGuestData, ForeignArchitecture)
