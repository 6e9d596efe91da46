"""Guest-level rules on what a pod cannot carry over as is: shared ports, NFS exports, raw devices, file systems.

They run only when discovery data (GuestFacts) exists for the VM, like the rules in ``guest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.facts import GuestFacts, GuestListener, GuestMount
from planner.assess.rules._helpers import first, parse_ip
from planner.assess.rules.guest import GuestRule
from planner.models import Vm


def _address_class(text: str) -> str:
    """What a pod would see of a bound address: ``*`` (any), ``loopback``, or the address itself."""
    address = parse_ip(text)
    if address is None:
        return "*" if text.strip() in {"", "*"} else text.strip()
    if address.is_unspecified:
        return "*"
    if address.is_loopback:
        return "loopback"
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class SharedPortListeners(GuestRule):
    """Several listeners use one port on different addresses (a pod has one address, so they would collide)."""

    id = "GST013"
    criterion = Criterion.PORTABILITY
    severity = Severity.MEDIUM
    remediation = ("Give each listener its own port (and a Service port mapping to keep clients unchanged), or "
                   "split them into separate pods; a listener kept on loopback only must not share the port either.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        system = ctx.policy.system_processes
        by_port: dict[tuple[str, int], list[GuestListener]] = {}
        for item in facts.listeners:
            if item.process and system is not None and system.fullmatch(item.process):
                continue  # e.g. ntpd binds every interface address on 123: it stays with the node
            by_port.setdefault((item.protocol, item.port), []).append(item)
        shared: list[dict[str, object]] = []
        for (protocol, port), items in sorted(by_port.items()):
            addresses = sorted({item.address for item in items})
            if len({_address_class(address) for address in addresses}) > 1:
                if not shared:
                    message = f"port {port}/{protocol} is bound on {len(addresses)} addresses"
                shared.append({"port": port, "protocol": protocol, "addresses": addresses,
                               "processes": sorted({item.process for item in items if item.process})})
        if shared:
            yield Hit(message, {"ports": first(shared)})


class NfsServer(GuestRule):
    """The guest serves NFS exports from the kernel NFS server (others mount them; nfsd is part of the kernel)."""

    id = "GST014"
    criterion = Criterion.ARCHITECTURE
    severity = Severity.HIGH
    remediation = ("Move the exported data to a storage service (NAS, an NFS CSI driver's server, or a user-space "
                   "NFS server such as NFS-Ganesha in a pod) and repoint every client's mount before the move; a "
                   "kernel nfsd in a container needs a privileged pod and the node's kernel module.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        if facts.nfs_server is False or (facts.nfs_server is None and not facts.nfs_exports):
            return  # exports configured but no server running: nothing is served
        paths = [line.split()[0] for line in facts.nfs_exports if line.split()]
        message = f"NFS server exports {', '.join(first(paths, 3))}" if paths else "kernel NFS server running"
        yield Hit(message, {"exports": first(facts.nfs_exports), "nfs_server": facts.nfs_server})


class RawBlockDevices(GuestRule):
    """Service processes hold raw block devices open (a database on raw disks or ASM, not on a file system)."""

    id = "GST015"
    criterion = Criterion.PORTABILITY
    severity = Severity.HIGH
    remediation = ("Such a workload needs block-mode persistent volumes (volumeMode: Block) presented at the same "
                   "device paths, and the data copied at block level; or migrate it onto a file system (or a "
                   "managed database) first.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        system = ctx.policy.system_processes
        held = sorted({(d.process or "?", d.device) for d in facts.block_devices
                       if not (d.process and system is not None and system.fullmatch(d.process))})
        if held:
            processes = sorted({process for process, _ in held})
            yield Hit(f"raw block device(s) open by {', '.join(first(processes, 3))}",
                      {"devices": first([f"{device} ({process})" for process, device in held])})


_FOREIGN_FS = {
    "btrfs": "btrfs (subvolumes, snapshots, compression do not carry into a volume)",
    "zfs": "ZFS (needs the ZFS module on the node; datasets and snapshots do not carry over)",
    "ocfs2": "OCFS2 cluster file system (shared disk)", "gfs2": "GFS2 cluster file system (shared disk)",
    "vxfs": "Veritas file system", "reiserfs": "ReiserFS (gone from current kernels)", "jfs": "JFS",
    "aufs": "aufs (not in mainline kernels)",
}
_OS_PATHS = ("/", "/.snapshots", "/tmp", "/var/tmp", "/var/log", "/var/cache", "/var/crash", "/swap")  # noqa: S108
_PACKAGE_LOOPS = ("/snap/", "/var/lib/snapd/")


def _why_not(mount: GuestMount) -> str | None:
    """Why this mount does not carry over into a container volume, or None when it does."""
    fstype, target = mount.fstype.lower(), mount.target
    if fstype == "overlay":
        return None if target == "/" else "overlay (inside a container it would be overlay on overlay)"
    if mount.source.startswith("/dev/loop"):
        if target.startswith(_PACKAGE_LOOPS):
            return None  # snap packages: part of the OS image, not data
        return f"loop-mounted image ({fstype}): a container needs privileges to mount it"
    if fstype in _FOREIGN_FS and not (target in _OS_PATHS or target.startswith("/boot")):
        return _FOREIGN_FS[fstype]
    return None


class NonPortableFileSystems(GuestRule):
    """Mounted file systems that do not carry over into a container volume (btrfs, ZFS, loop, nested overlay)."""

    id = "GST016"
    criterion = Criterion.PORTABILITY
    severity = Severity.MEDIUM
    remediation = ("Copy the data onto a volume of a supported file system (keeping what the feature gave you: "
                   "take snapshots in the storage layer, unpack loop images into the volume); for Docker-in-VM "
                   "overlays, run those containers on the platform itself instead.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        found = [f"{m.target}: {why}" for m in facts.mounts if (why := _why_not(m)) is not None]
        if found:
            yield Hit(f"{len(found)} mount(s) that do not carry over: {found[0]}", {"mounts": first(found)})


RULES: tuple[type[Rule], ...] = (SharedPortListeners, NfsServer, RawBlockDevices, NonPortableFileSystems)
