"""Prepare one image's view data (``ImageSpec``) from a detection: every decision is made here, none in templates."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from planner.generate_build import SOLVED, build_stage
from planner.generate_distro import Distro, distro_for, distro_for_vm
from planner.generate_policy import BaseImagePolicy
from planner.generate_rewire import Rewiring
from planner.models import Vm
from planner.models.discovery import GuestDiscovery
from planner.models.generation import LISTEN_TOKEN, ContextFile, CopyItem, Detection, ImageSpec
from planner.render.escape import has_control

ENTRYPOINT = "/usr/local/bin/planner-entrypoint.sh"
FALLBACK_USER, FALLBACK_UID = "app", 10001
_USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_DROPPED_ENV = {"PATH", "HOME", "PWD", "SHLVL", "OLDPWD", "_", "INVOCATION_ID", "JOURNAL_STREAM", "LISTEN_ADDRESS"}
_INTERPRETER = re.compile(r"(python[\d.]*|node(js)?|java|dotnet|php[\d.]*)")
DOCKERIGNORE = ["**/.git", "**/.svn", "**/.hg", "**/__pycache__", "**/*.pyc", "**/node_modules", "**/.venv",
                "**/venv", "**/*.log", "**/*.swp", "DECISIONS.md", "MANIFEST.json"]
STARTER_COMMAND = ["/bin/sh", "-c", "echo 'planner: no start command is known for this VM; see DECISIONS.md' >&2; "
                   "exit 64"]


def safe_path(path: str | None) -> str | None:
    """An absolute, normalised path without control characters or ``..``, else None (left out with a TODO)."""
    if not path or has_control(path) or not path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    if normal in ("/", "//") or ".." in normal.split("/") or normal.startswith("//"):
        return None
    return normal


@dataclass
class ImageInput:
    """Everything one image is made from (the generation orchestrator fills it)."""

    name: str
    vm: str
    vm_name: str
    detection: Detection | None
    guest: GuestDiscovery | None
    vm_model: Vm | None
    policy: BaseImagePolicy
    policy_origin: str
    rewiring: Rewiring
    context_files: list[ContextFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)
    read_context: Callable[[str], str | None] | None = None
    """A context file's text by its image path (None when unreadable)."""


class _Notes:
    def __init__(self) -> None:
        self.todos: list[str] = []
        self.decisions: list[str] = []


def _paths(paths: list[str], what: str, notes: _Notes) -> list[str]:
    kept = []
    for path in paths:
        normal = safe_path(path)
        if normal is None:
            notes.todos.append(f"{what} {path!r} is not a plain absolute path: left out, add it by hand")
        elif normal not in kept:
            kept.append(normal)
    return kept


def _base(item: ImageInput, notes: _Notes) -> tuple[str, str, Distro, bool]:
    detection, guest = item.detection, item.guest
    distro = distro_for(guest.os) if guest is not None and guest.os.id else distro_for_vm(item.vm_model)
    runtime_image = detection.runtime_image if detection else None
    by_policy = bool(runtime_image and item.policy.runtime_images)
    required = bool(runtime_image and detection and not detection.packages
                    and detection.runtime not in (None, "native"))
    use_runtime = by_policy or required
    logical = runtime_image if use_runtime and runtime_image else distro.logical
    reference, mapped = item.policy.resolve(logical, item.policy_origin)
    if use_runtime:
        why = "the policy asks for official runtime images" if by_policy else "no OS package of the VM provides it"
        notes.decisions.append(f"base: official runtime image {logical} ({why})")
    else:
        notes.decisions.append(f"base: the VM's own distribution and release, {logical}, with the runtime packages "
                               "pinned to the versions the VM runs")
    notes.decisions.append(f"FROM {reference}" + (f" (mapped from {logical} by {item.policy_origin})" if mapped
                                                  else " (not mapped by a base-image policy)"))
    return logical, reference, distro, use_runtime


_SETCAP = {"apt": "libcap2-bin", "dnf": "libcap", "yum": "libcap", "apk": "libcap"}


def _bind_capability(item: ImageInput, use_runtime: bool, notes: _Notes) -> str | None:
    """The binary that needs ``cap_net_bind_service`` to bind a port below 1024 as a non-root user, if any."""
    detection = item.detection
    low = sorted({p.port for p in detection.ports if p.port < 1024}) if detection else []
    if not low or detection is None:
        return None
    exe = safe_path(detection.executable)
    if exe is None or use_runtime:
        notes.todos.append(f"port(s) {', '.join(map(str, low))} are below 1024: the non-root user may bind them only "
                           "where the platform allows it (Docker's own networks do; host networking does not)")
        return None
    notes.decisions.append(f"{exe} gets the file capability cap_net_bind_service, so the non-root user can bind "
                           f"port(s) {', '.join(map(str, low))} on any network (or move the service above 1023)")
    return exe


def _pinner(item: ImageInput, distro: Distro, notes: _Notes) -> Callable[[list[str]], tuple[list[str], bool]]:
    versions = {p.name: p.version for p in item.guest.packages} if item.guest else {}

    def pin(names: list[str]) -> tuple[list[str], bool]:
        specs, unpinned = [], False
        for name in names:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9+._-]*", name):
                notes.todos.append(f"package name {name!r} is unusual: left out, install it by hand")
                continue
            version = versions.get(name)
            if version and not re.fullmatch(r"[A-Za-z0-9.+:~_-]+", version):
                version = None
            unpinned = unpinned or not version
            specs.append(distro.pin(name, version))
        return specs, unpinned

    return pin


def _packages(item: ImageInput, distro: Distro, notes: _Notes, extra: list[str]) -> tuple[list[str], bool]:
    if item.detection is None or item.guest is None:
        return [], False
    specs, unpinned = _pinner(item, distro, notes)([*item.detection.packages, *extra])
    if specs:
        notes.decisions.append("packages: " + ", ".join(specs))
    return specs, unpinned


def _user(detection: Detection | None, notes: _Notes) -> tuple[str, int, str, int]:
    if detection and detection.uid not in (None, 0) and detection.user and _USER_NAME.fullmatch(detection.user):
        group = detection.group if detection.group and _USER_NAME.fullmatch(detection.group) else detection.user
        gid = detection.gid if detection.gid is not None else detection.uid
        assert detection.uid is not None
        notes.decisions.append(f"runs as {detection.user} (uid {detection.uid}, gid {gid}), as on the VM")
        return detection.user, detection.uid, group, gid
    who = f"{detection.user or 'an unknown user'}" if detection else "an unknown user"
    notes.todos.append(f"the VM runs it as {who}: the image runs as {FALLBACK_USER} (uid {FALLBACK_UID}); check "
                       "which files it must read and write")
    return FALLBACK_USER, FALLBACK_UID, FALLBACK_USER, FALLBACK_UID


def _command(item: ImageInput, use_runtime: bool, notes: _Notes) -> list[str]:
    detection = item.detection
    if detection is None or detection.command is None or not detection.command.argv:
        notes.todos.append("no start command is known: replace the CMD")
        return list(STARTER_COMMAND)
    argv = item.rewiring.argv(detection.command.argv)
    if use_runtime and posixpath.dirname(argv[0]) in ("/usr/bin", "/bin") and _INTERPRETER.fullmatch(
            posixpath.basename(argv[0])):
        argv[0] = posixpath.basename(argv[0])
        notes.decisions.append(f"the runtime image has its own {argv[0]}: the command finds it on PATH")
    source = {"process": "the VM's running process (/proc cmdline)", "unit": "the systemd unit's ExecStart",
              "default": "the stack's foreground command (the VM's daemonises)"}.get(detection.command.source, "")
    notes.decisions.append(f"command from {source}")
    for address in item.rewiring.unknown(" ".join(argv)):
        notes.todos.append(f"the command names {address}, which is neither this VM nor a discovered peer: check it")
    redacted = [index for index, arg in enumerate(argv) if "<redacted>" in arg]
    if redacted:
        notes.todos.append(f"command argument(s) {', '.join(map(str, redacted))} held a secret (redacted by discovery):"
                           " pass it at run time (an environment variable or a secret file), never in the image")
    return argv


def _environment(detection: Detection | None, rewiring: Rewiring, notes: _Notes) -> dict[str, str]:
    environment: dict[str, str] = {}
    for key, value in (detection.command.environment.items() if detection and detection.command else ()):
        if key in _DROPPED_ENV:
            continue
        if not _ENV_NAME.fullmatch(key):
            notes.todos.append(f"environment variable {key!r} has an unusual name: left out")
        elif "<redacted>" in value:
            notes.todos.append(f"environment variable {key} held a secret (redacted by discovery): supply it at run "
                               "time (a secret store or an env file), never in the image")
        else:
            rewired = rewiring.text(value)
            if LISTEN_TOKEN in rewired:
                notes.decisions.append(f"environment variable {key} named the VM's own address: the entrypoint "
                                       "sets it to the container's listen address")
            for address in rewiring.unknown(rewired):
                notes.todos.append(f"environment variable {key} names {address}, which is neither this VM nor a "
                                   "discovered peer: check it")
            environment[key] = rewired
    return environment


def _healthcheck(port: int | None, distro: Distro, use_runtime: bool) -> list[str]:
    if port is None:
        return []
    address = '"${LISTEN_ADDRESS:-127.0.0.1}"'
    if distro.users == "busybox" and not use_runtime:
        return ["sh", "-c", f"nc -z {address} {port}"]
    return ["bash", "-c", f"exec 3<>/dev/tcp/{address}/{port}"]


def _config_tree(item: ImageInput, rewired: list[str]) -> list[str]:
    """The context files of the stack's configuration: those the detection names and every other file in their
    folders (Tomcat reads all of /etc/tomcat10, 0640 root:tomcat on the VM, not only the server.xml it is known
    by), found through the rewired files too (a config reached through a link is captured at its real path)."""
    detection = item.detection
    if detection is None:
        return []
    folders = {posixpath.dirname(path) for path in [*detection.config_files, *rewired]}
    return [f.path for f in item.context_files if f.path not in rewired and safe_path(f.path)
            and (f.path in detection.config_files or any(f.path.startswith(folder.rstrip("/") + "/")
                                                         for folder in folders if folder not in ("", "/")))]


def build_spec(item: ImageInput) -> ImageSpec:
    """The view data of one image (a detection's, or an OS-level starter's when ``detection`` is None)."""
    notes = _Notes()
    detection = item.detection
    logical, reference, distro, use_runtime = _base(item, notes)
    capability = _bind_capability(item, use_runtime, notes)
    extra = [_SETCAP[distro.family]] if capability else []
    packages, unpinned = ([], False) if use_runtime else _packages(item, distro, notes, extra)
    family = "apt" if use_runtime else distro.family
    user, uid, group, gid = _user(detection, notes)
    writable = _paths(detection.writable_paths if detection else [], "writable path", notes)
    files = _paths(detection.writable_files if detection else [], "writable file", notes)
    data = _paths(detection.data_paths if detection else [], "data path", notes)
    rewired = [f.path for f in item.context_files if f.rewired and safe_path(f.path)]
    command = _command(item, use_runtime, notes)
    build, why = build_stage(detection, item.context_files, None if use_runtime else _pinner(item, distro, notes),
                             item.read_context or (lambda path: None))
    if build is not None:
        build.install_template = f"dockerfile/install-{family}.j2" if build.packages else None
        notes.decisions.append(why)
    init = list(detection.init_command) if detection and detection.init_command and data else []
    environment = _environment(detection, item.rewiring, notes)
    rewired_env = [key for key, value in environment.items() if LISTEN_TOKEN in value]
    needs_entrypoint = bool(rewired or init or rewired_env or any(LISTEN_TOKEN in arg for arg in command))
    setup: list[list[str]] = []
    owned = f"{uid}:{gid}"
    if writable or data:
        setup += [["mkdir", "-p", *writable, *data], ["chown", "-R", "-H", owned, *writable, *data]]
    if data:
        setup.append(["chmod", "0700", *data])
    if files:
        setup += [["mkdir", "-p", *sorted({posixpath.dirname(f) for f in files})], ["touch", *files],
                  ["chown", owned, *files]]
    configs = _config_tree(item, rewired)
    if configs:  # readable by the service's group, whatever mode the capture kept (redis.conf is 0640 redis)
        setup += [["chgrp", str(gid), *configs], ["chmod", "g+r", *configs]]
    if rewired:
        setup.append(["chown", owned, *rewired])
    if capability:
        setup.append(["setcap", "cap_net_bind_service=+ep", capability])
    ports = list(detection.ports) if detection else []
    copies = [CopyItem(source="context/rootfs/", target="/")] if item.context_files else []
    if needs_entrypoint:
        copies.append(CopyItem(source="planner-entrypoint.sh", target=ENTRYPOINT))
    workdir = safe_path(detection.command.cwd) if detection and detection.command else None
    todos = [todo for todo in [*(detection.todos if detection else []), *item.todos, *notes.todos]
             if build is None or not todo.startswith(SOLVED)]
    if distro.note and not use_runtime:
        todos.insert(0, distro.note)
    if data:
        notes.decisions.append("data directories become volumes (never baked in): " + ", ".join(data))
    return ImageSpec(
        name=item.name, tag=f"planner/{item.name}:0.1", vm=item.vm, vm_name=item.vm_name,
        stack=detection.stack if detection else "starter",
        title=detection.title if detection else "OS-level starter (no stack known)",
        base_image=reference, logical_base=logical,
        labels={"planner.vm": item.vm_name, "planner.stack": detection.stack if detection else "starter",
                "planner.base": logical},
        install_template=f"dockerfile/install-{family}.j2" if packages else None, packages=packages,
        unpinned=unpinned, setup_commands=setup,
        user_template=f"dockerfile/user-{'busybox' if distro.users == 'busybox' and not use_runtime else 'shadow'}.j2",
        user=user, uid=uid, group=group, gid=gid, writable_paths=writable, writable_files=files, copies=copies,
        build=build,
        workdir=workdir, environment=environment, ports=ports, volumes=data,
        entrypoint=[ENTRYPOINT] if needs_entrypoint else [], entrypoint_files=rewired, entrypoint_env=rewired_env,
        init_data=data[0] if init else None, init_command=init,
        healthcheck=_healthcheck(ports[0].port if ports else None, distro, use_runtime), command=command,
        comments=[f"TODO: {line}" for line in todos[:12]] + (["TODO: more in DECISIONS.md"] if len(todos) > 12 else []),
        missing=item.missing, dockerignore=DOCKERIGNORE, evidence=detection.evidence if detection else [],
        todos=todos, decisions=notes.decisions, peers={name: address for address, name in item.rewiring.peers.items()},
        data_paths=data)
