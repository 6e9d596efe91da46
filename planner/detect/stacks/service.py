"""The fallback: any other listening service or systemd service, run with the command the VM runs."""

from __future__ import annotations

from collections.abc import Iterator

from planner.detect.base import Detector
from planner.detect.facts import Found, GuestView, argv_of, build, program, vm_id
from planner.models import Vm
from planner.models.discovery import GuestDiscovery, Process
from planner.models.generation import Detection

SYSTEM_PROGRAMS = frozenset({
    "sshd", "sshd-session", "systemd", "systemd-journald", "systemd-logind", "systemd-udevd", "systemd-networkd",
    "systemd-resolved", "systemd-timesyncd", "init", "cron", "crond", "atd", "dbus-daemon", "dbus-broker",
    "rsyslogd", "syslog-ng", "agetty", "getty", "login", "sleep", "bash", "sh", "dash", "tini", "dumb-init",
    "containerd", "dockerd", "docker-proxy", "chronyd", "ntpd", "polkitd", "dhclient", "NetworkManager",
    "ModemManager", "unattended-upgr", "networkd-dispatcher", "vmtoolsd", "VGAuthService", "qemu-ga", "snapd",
    "auditd", "irqbalance", "master", "qmgr", "pickup", "exim4", "postfix", "multipathd", "udisksd", "upowerd",
    "accounts-daemon", "packagekitd", "thermald", "sudo", "su", "ps", "ss", "python3", "ansible",
})
"""Operating-system processes: never generated as an application image (postfix and exim are mail relays the
platform provides; a Python process is the python detectors' to claim)."""


def _candidate(view: GuestView, process: Process) -> bool:
    if program(process) in SYSTEM_PROGRAMS or process.comm in SYSTEM_PROGRAMS or process.pid in (1, 2):
        return False
    return bool(view.listeners(view.tree(process.pid)))


class SystemService(Detector):
    """Any other listening service: the image runs the exact command the VM runs."""

    id = "system-service"
    title = "system service (generic)"
    looks_for = "a listening process no other detector claimed (not an OS process such as sshd or cron)"
    fallback = True

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: _candidate(view, p)):
            packages = view.packages(program(root))
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=f"{program(root)} (generic service)", root=root, servers=(program(root),),
                evidence=[f"listening process {program(root)} (pid {root.pid}) no stack detector recognised",
                          *(f"package {p.name} {p.version}" for p in packages)],
                command=[root.exe or argv_of(root)[0], *argv_of(root)[1:]] if argv_of(root) else None,
                packages=packages, runtime=None, probe_kind="tcp",
                todos=["generic service: the packages, files and writable paths it needs are not known; add "
                       "them (the Dockerfile has the command the VM runs)"]))
