"""Guest-level rules: they run only when discovery data (GuestFacts) exists for the VM."""

from __future__ import annotations

from collections.abc import Iterator

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.facts import GuestFacts
from planner.assess.rules._helpers import GIB, first, is_specific_address, parse_ip, version_tuple
from planner.models import Vm

_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "glusterfs", "ceph", "fuse.sshfs", "9p", "afs"}
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "localhost4", "localhost6", "ip6-localhost",
                "ip6-loopback", "ip6-allnodes", "ip6-allrouters", "ip6-localnet", "ip6-mcastprefix"}


class GuestRule(Rule):
    """Base of the guest-level rules: ``check`` is called with ``ctx.facts`` set."""

    abstract = True
    requires_facts = True

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if ctx.facts is not None:
            yield from self.check_facts(vm, ctx.facts, ctx)

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        raise NotImplementedError


class DatabaseEngine(GuestRule):
    """A database engine is running (stateful, I/O-heavy: per `keywords.database_processes`)."""

    id = "GST001"
    criterion = Criterion.PERFORMANCE
    severity = Severity.MEDIUM
    remediation = ("Move the data tier deliberately: a managed database, or a StatefulSet with an operator, "
                   "local or high-IOPS volumes and tested backup/restore. Containerize the app tier first.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        pattern = ctx.policy.database_processes
        if pattern is None:
            return
        engines = sorted({p.name for p in facts.processes if p.name and pattern.fullmatch(p.name)})
        if engines:
            yield Hit(f"database engine running: {', '.join(first(engines, 3))}", {"processes": first(engines)})


class PinnedListener(GuestRule):
    """A service listens on a specific IP address rather than all addresses."""

    id = "GST002"
    criterion = Criterion.PORTABILITY
    severity = Severity.MEDIUM
    remediation = "Make the service listen on 0.0.0.0/:: (its container IP changes) and reach it through a Service."

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        pinned = [f"{item.address}:{item.port}/{item.protocol}" + (f" ({item.process})" if item.process else "")
                  for item in facts.listeners if is_specific_address(item.address)]
        if pinned:
            yield Hit(f"listener bound to {pinned[0]}", {"listeners": first(pinned)})


class NetworkMounts(GuestRule):
    """NFS or CIFS (or other network) file systems are mounted in the guest."""

    id = "GST003"
    criterion = Criterion.PORTABILITY
    severity = Severity.MEDIUM
    remediation = ("Mount them as persistent volumes (NFS/SMB CSI drivers) with the same access rights; check "
                   "UID/GID mapping and locking.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        mounts = [f"{m.source} on {m.target} ({m.fstype})" for m in facts.mounts if m.fstype.lower() in _NETWORK_FS]
        if mounts:
            yield Hit(f"{len(mounts)} network mount(s)", {"mounts": first(mounts)})


class KernelModules(GuestRule):
    """Kernel modules beyond the distribution's defaults are loaded (a container cannot bring its own)."""

    id = "GST004"
    criterion = Criterion.ARCHITECTURE
    severity = Severity.HIGH
    remediation = ("Find what needs the module; load it on dedicated nodes (and label them), replace it with a "
                   "user-space equivalent, or keep the VM.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        ignored = ctx.policy.ignored_kernel_modules
        modules = sorted(m for m in facts.kernel_modules if ignored is None or not ignored.fullmatch(m))
        if modules:
            yield Hit(f"custom kernel module(s): {', '.join(first(modules, 3))}", {"kernel_modules": first(modules)})


class PrivilegedProcesses(GuestRule):
    """Application processes run as root (beyond the system daemons in `keywords.system_processes`)."""

    id = "GST005"
    criterion = Criterion.ISOLATION
    severity = Severity.MEDIUM
    remediation = ("Run them as a non-root user in the image; grant only the capabilities they need "
                   "(e.g. NET_BIND_SERVICE) instead of a privileged container.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        system = ctx.policy.system_processes
        names = sorted({p.name for p in facts.processes
                        if p.user == "root" and p.exe and p.name and not (system and system.fullmatch(p.name))})
        if names:
            yield Hit(f"running as root: {', '.join(first(names, 3))}", {"processes": first(names)})


class CronJobs(GuestRule):
    """Cron jobs are scheduled in the guest (batch work tied to the machine's clock and file system)."""

    id = "GST006"
    criterion = Criterion.ARCHITECTURE
    severity = Severity.LOW
    remediation = "Turn each job into a Kubernetes CronJob (or a scheduler sidecar) with the same schedule."

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        jobs = [f"{c.schedule} {c.command}" + (f" (as {c.user})" if c.user else "") for c in facts.crontab]
        if jobs:
            yield Hit(f"{len(jobs)} cron job(s)", {"jobs": first(jobs)})


class LargeLocalData(GuestRule):
    """Services keep more than `thresholds.local_data_gib` of data on local disks."""

    id = "GST007"
    criterion = Criterion.PORTABILITY
    severity = Severity.MEDIUM
    remediation = "Plan the data migration to persistent volumes or a managed service, and its cut-over downtime."

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        limit = ctx.policy.thresholds.local_data_gib
        total = sum(facts.data_dirs.values())
        if total >= limit * GIB:
            by_service = {k: round(v / GIB, 1) for k, v in sorted(facts.data_dirs.items(), key=lambda kv: -kv[1])}
            yield Hit(f"{total / GIB:.0f} GiB of local data", {"data_gib": round(total / GIB, 1),
                                                               "by_service_gib": by_service, "threshold_gib": limit})


class HostsPinning(GuestRule):
    """/etc/hosts pins other names to fixed addresses (name resolution outside DNS)."""

    id = "GST008"
    criterion = Criterion.PORTABILITY
    severity = Severity.LOW
    remediation = "Move the entries to DNS (or a Service), or set hostAliases on the pod as a stop-gap."

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        own = {vm.name.lower(), *(n.lower() for n in filter(None, (vm.guest.hostname,)))}
        own |= {n.split(".", 1)[0] for n in own}
        mine = {*vm.guest_ips, *(ip for nic in vm.nics for ip in nic.ips)}
        pinned = []
        for entry in facts.hosts_entries:
            address = parse_ip(entry.address)
            if address is None or address.is_loopback or entry.address in mine:
                continue
            names = [n for n in entry.names if n.lower() not in _LOCAL_NAMES and n.lower().split(".", 1)[0] not in own]
            if names:
                pinned.append(f"{entry.address} {' '.join(names)}")
        if pinned:
            yield Hit(f"{len(pinned)} /etc/hosts pin(s)", {"hosts_entries": first(pinned)})


class SelinuxEnforcing(GuestRule):
    """SELinux is enforcing in the guest (the workload may depend on custom policy or labels)."""

    id = "GST009"
    criterion = Criterion.ISOLATION
    severity = Severity.LOW
    remediation = ("Check for custom policy modules and file contexts; reproduce them with the container "
                   "runtime's SELinux support (seLinuxOptions) on SELinux nodes.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        if facts.selinux == "enforcing":
            yield Hit("SELinux enforcing", {"selinux": facts.selinux})


class ContainerRuntime(GuestRule):
    """A container runtime (Docker, containerd, Podman) is already installed: parts may be containerized."""

    id = "GST010"
    criterion = Criterion.ARCHITECTURE
    severity = Severity.INFO
    remediation = "Start from its existing images and compose files instead of rebuilding from the VM."

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        if facts.container_runtimes:
            yield Hit(f"container runtime installed: {', '.join(facts.container_runtimes)}",
                      {"container_runtimes": first(facts.container_runtimes)})


class OldKernel(GuestRule):
    """The guest kernel is older than `thresholds.min_kernel` (its userland may rely on removed kernel features)."""

    id = "GST011"
    criterion = Criterion.ARCHITECTURE
    severity = Severity.HIGH
    remediation = ("Test the application on a current kernel (a current base image on the target nodes) before "
                   "planning the move; old glibc needs vsyscall emulation.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        have = version_tuple(facts.kernel)
        need = ctx.policy.min_kernel
        if have is not None and have[:2] < need:
            yield Hit(f"kernel {facts.kernel} (older than {need[0]}.{need[1]})",
                      {"kernel": facts.kernel, "minimum": f"{need[0]}.{need[1]}"})


class ManyServices(GuestRule):
    """More than `thresholds.many_service_units` application services run under the init system."""

    id = "GST012"
    criterion = Criterion.ARCHITECTURE
    severity = Severity.MEDIUM
    remediation = ("One container per service: split them into separate containers (a pod or a compose "
                   "project) instead of running an init system inside one container.")

    def check_facts(self, vm: Vm, facts: GuestFacts, ctx: RuleContext) -> Iterator[Hit]:
        system = ctx.policy.system_units
        units = sorted({u.removesuffix(".service") for u in facts.systemd_units})
        apps = [u for u in units if not (system and system.fullmatch(u))]
        limit = ctx.policy.thresholds.many_service_units
        if len(apps) > limit:
            yield Hit(f"{len(apps)} application services", {"units": first(apps, 20), "threshold": limit})


RULES: tuple[type[Rule], ...] = (
    DatabaseEngine, PinnedListener, NetworkMounts, KernelModules, PrivilegedProcesses, CronJobs, LargeLocalData,
    HostsPinning, SelinuxEnforcing, ContainerRuntime, OldKernel, ManyServices,
)
