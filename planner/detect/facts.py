"""Read-only helpers over one guest's discovery facts, shared by the detectors (pure, no I/O)."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from planner.models import Vm
from planner.models.discovery import (
    AppPath,
    ConfigFile,
    GuestDiscovery,
    Listener,
    Package,
    Process,
    Runtime,
    ServiceUnit,
)
from planner.models.generation import Detection, PortSpec, Probe, StartCommand

SYSTEM_DIRS = frozenset({"", "/tmp", "/var/tmp", "/root",  # noqa: S108 (paths to leave out, not temp files) "/home", "/etc", "/usr", "/usr/local", "/var", "/opt",
                         "/srv", "/run", "/proc", "/sys", "/dev", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/mnt"})
"""Never an application path (a process whose cwd is / or /tmp does not make those the application)."""
LOOPBACK_WILDCARD = {"127.0.0.1", "::1", "0.0.0.0", "::", "*", "[::]", ""}  # noqa: S104 (addresses, not a bind)


def vm_id(guest: GuestDiscovery, vm: Vm | None) -> str:
    """The graph node id of the guest's VM, else the VM's name, else the guest's inventory name."""
    return guest.vm or (vm.name if vm is not None else guest.host)


def basename(path: str | None) -> str:
    return posixpath.basename(path or "")


def argv_of(process: Process) -> list[str]:
    """The exact argv when discovery recorded it, else the command line split on blanks."""
    return list(process.argv) if process.argv else process.args.split()


def program(process: Process) -> str:
    """The program's name: the executable's base name, else argv[0]'s, else comm."""
    argv = argv_of(process)
    return basename(process.exe) or (basename(argv[0]) if argv else "") or process.comm


@dataclass
class GuestView:
    """Indexes over one guest's facts, built once per detection run."""

    guest: GuestDiscovery
    by_pid: dict[int, Process] = field(init=False)

    def __post_init__(self) -> None:
        self.by_pid = {process.pid: process for process in self.guest.processes}

    @cached_property
    def children(self) -> dict[int, list[int]]:
        tree: dict[int, list[int]] = {}
        for process in self.guest.processes:
            if process.ppid is not None:
                tree.setdefault(process.ppid, []).append(process.pid)
        return tree

    def tree(self, pid: int) -> list[int]:
        """``pid`` and all its descendants."""
        found, stack = [], [pid]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found

    def roots(self, matches: Callable[[Process], bool]) -> list[Process]:
        """Matching processes whose parent does not match (one per running instance), by pid."""
        chosen = [p for p in self.guest.processes if matches(p)]
        pids = {p.pid for p in chosen}
        return sorted((p for p in chosen if p.ppid not in pids), key=lambda p: p.pid)

    def listeners(self, pids: Iterable[int], names: Iterable[str] = ()) -> list[Listener]:
        pid_set, name_set = set(pids), set(names)
        return [item for item in self.guest.listeners
                if (item.pid in pid_set) or (item.pid is None and item.process in name_set)]

    def configs(self, *servers: str) -> list[ConfigFile]:
        return [item for item in self.guest.config_files if item.server in servers]

    def app_paths(self, servers: Iterable[str], pids: Iterable[int]) -> list[AppPath]:
        server_set, pid_set = set(servers), set(pids)
        return [item for item in self.guest.app_paths
                if item.exists and (item.server in server_set or item.pid in pid_set)]

    def runtime(self, *names: str) -> Runtime | None:
        return next((item for item in self.guest.runtimes if item.name in names), None)

    def packages(self, *names: str) -> list[Package]:
        wanted = {name: index for index, name in enumerate(names)}
        found = [item for item in self.guest.packages if item.name in wanted]
        return sorted(found, key=lambda item: wanted[item.name])

    def packages_matching(self, pattern: str) -> list[Package]:
        regex = re.compile(pattern)
        return sorted((item for item in self.guest.packages if regex.fullmatch(item.name)), key=lambda p: p.name)

    def unit(self, name: str | None) -> ServiceUnit | None:
        return next((item for item in self.guest.services if name and item.name == name), None)

    @cached_property
    def own_addresses(self) -> list[str]:
        """The guest's own specific addresses (not loopback 127.0.0.1/::1, not wildcards)."""
        seen: list[str] = []
        for address in [self.guest.reached_address, *self.guest.addresses, *self.guest.interface_addresses]:
            bare = (address or "").split("/", 1)[0]
            if bare and bare not in LOOPBACK_WILDCARD and bare not in seen:
                seen.append(bare)
        return seen


def run_user(view: GuestView, pids: list[int]) -> tuple[str | None, int | None, str | None, int | None]:
    """(user, uid, group, gid) the stack runs as: its most common non-root user (workers), else root's."""
    processes = [view.by_pid[pid] for pid in pids if pid in view.by_pid]
    users = Counter(p.user for p in processes if p.user and p.user != "root" and p.uid != 0)
    if users:
        name = users.most_common(1)[0][0]
        chosen = next(p for p in processes if p.user == name)
        return name, chosen.uid, chosen.group, chosen.gid
    if processes:
        first = processes[0]
        return first.user, first.uid, first.group, first.gid
    return None, None, None, None


def ports_of(listeners: Iterable[Listener]) -> tuple[list[PortSpec], list[str]]:
    ports: dict[tuple[int, str], PortSpec] = {}
    addresses: list[str] = []
    for item in sorted(listeners, key=lambda item: (item.port, item.protocol)):
        ports.setdefault((item.port, item.protocol), PortSpec(port=item.port, protocol=item.protocol))
        if item.address not in addresses:
            addresses.append(item.address)
    return list(ports.values()), addresses


def pinned(packages: Iterable[Package]) -> list[str]:
    return [item.name for item in packages]


def version_of(packages: Iterable[Package]) -> str | None:
    return next((item.version for item in packages if item.version), None)


def upstream_version(version: str | None) -> str | None:
    """A package version without its epoch and distribution revision: ``5:7.0.15-1~deb12u1`` -> ``7.0.15``."""
    if not version:
        return None
    version = re.sub(r"^\d+:", "", version)
    return re.sub(r"-[^-]*$", "", version) or version


@dataclass
class Found:
    """What a detector found for one instance, before the common parts are filled in."""

    stack: str
    title: str
    root: Process
    servers: tuple[str, ...]
    evidence: list[str]
    command: list[str] | None = None
    command_source: str = "process"
    packages: list[Package] = field(default_factory=list)
    runtime: str | None = None
    runtime_version: str | None = None
    runtime_image: str | None = None
    data_paths: list[str] = field(default_factory=list)
    writable_paths: list[str] = field(default_factory=list)
    writable_files: list[str] = field(default_factory=list)
    init_command: list[str] = field(default_factory=list)
    app_paths: list[str] = field(default_factory=list)
    probe_kind: str = "tcp"
    probe_path: str | None = None
    engine: str | None = None
    todos: list[str] = field(default_factory=list)


def build(view: GuestView, vm: str, found: Found) -> Detection:
    """The full detection of one instance: ports, user, command, configs, paths and probe from the facts."""
    root = found.root
    pids = view.tree(root.pid)
    names = {view.by_pid[pid].comm for pid in pids if pid in view.by_pid}
    ports, addresses = ports_of(view.listeners(pids, names))
    user, uid, group, gid = run_user(view, pids)
    unit = view.unit(root.unit)
    argv = found.command if found.command is not None else argv_of(root)
    source = found.command_source
    if not argv and unit is not None and unit.exec_start:  # the process's command line was unreadable
        argv, source = list(unit.exec_start), "unit"
    environment = dict(unit.environment) if unit else {}
    environment.update(root.environment)
    cwd = root.cwd or (unit.working_directory if unit else None)
    configs = [item.path for item in view.configs(*found.servers) if not any(c.isspace() for c in item.path)]
    paths = view.app_paths(found.servers, pids)
    data = [*found.data_paths, *(item.path for item in paths if item.is_data or item.kind == "data")]
    data += [path for path in view.guest.data_dirs if any(path.startswith(d) for d in found.data_paths)]
    app = [path for path in [*found.app_paths, *(item.path for item in paths
                                                 if not (item.is_data or item.kind in ("data", "config-dir")))]
           if path.rstrip("/") not in SYSTEM_DIRS]
    evidence = [*found.evidence]
    if ports:
        evidence.append("listens on " + ", ".join(f"{a}:{p.port}" for a in addresses[:1] for p in ports))
    todos = list(found.todos)
    if not ports:
        todos.append("no listener was seen for this stack: add EXPOSE and a HEALTHCHECK by hand if it serves one")
    probe = None
    if ports:
        kind = found.probe_kind
        probe = Probe(kind=kind, port=ports[0].port, path=found.probe_path if kind == "http" else None,
                      expect_status=200 if kind == "http" else None, engine=found.engine)
    return Detection(
        stack=found.stack, title=found.title, vm=vm, evidence=evidence, pids=pids, unit=root.unit, ports=ports,
        listen_addresses=addresses, user=user, uid=uid, group=group, gid=gid,
        command=StartCommand(argv=argv, cwd=cwd, environment=environment, source=source),
        executable=root.exe or (argv[0] if argv and argv[0].startswith("/") else None),
        config_files=_unique(configs), app_paths=_unique(p for p in app if p not in data),
        data_paths=_unique(data), writable_paths=_unique(found.writable_paths),
        writable_files=_unique(found.writable_files), init_command=found.init_command, runtime=found.runtime,
        runtime_version=upstream_version(found.runtime_version or version_of(found.packages)),
        packages=pinned(found.packages),
        runtime_image=found.runtime_image, probe=probe, todos=todos)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def major_minor(version: str | None) -> str | None:
    match = re.match(r"(?:\d+:)?(\d+)\.(\d+)", version or "")
    return f"{match.group(1)}.{match.group(2)}" if match else None


def major(version: str | None) -> str | None:
    match = re.match(r"(?:\d+:)?(\d+)", version or "")
    return match.group(1) if match else None


def option_value(argv: list[str], *names: str) -> str | None:
    """The value of ``--name VALUE`` / ``--name=VALUE`` / ``-Dname=VALUE`` style options in argv."""
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if arg.startswith(name + "="):
                return arg[len(name) + 1:]
    return None
