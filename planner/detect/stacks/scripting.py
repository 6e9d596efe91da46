"""Interpreted applications: Python WSGI/ASGI servers, plain Python scripts and Node.js."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from planner.detect.base import Detector
from planner.detect.facts import (
    Found,
    GuestView,
    argv_of,
    basename,
    build,
    major,
    major_minor,
    program,
    version_of,
    vm_id,
)
from planner.models import Vm
from planner.models.discovery import GuestDiscovery, Process
from planner.models.generation import Detection

_PYTHON = re.compile(r"python(\d(\.\d+)?)?")
_SERVERS = ("gunicorn", "uwsgi", "uvicorn")


def _server(process: Process) -> str | None:
    """The WSGI/ASGI server a process runs (``gunicorn app:app``, ``python -m uvicorn …``), if any."""
    argv = argv_of(process)
    if program(process) in _SERVERS:
        return program(process)
    if _PYTHON.fullmatch(program(process)):
        for index, arg in enumerate(argv[1:3], start=1):
            if arg == "-m" and index + 1 < len(argv) and argv[index + 1] in _SERVERS:
                return argv[index + 1]
            if basename(arg) in _SERVERS:
                return basename(arg)
    return None


def _script(argv: list[str]) -> str | None:
    """The first argument that is not an option (the script an interpreter runs); ``-m MODULE`` runs no file."""
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-m":
            return None
        if not arg.startswith("-"):
            return arg if argv[index - 1] not in ("-c", "-W", "-X") else None
    return None


def _module(argv: list[str]) -> str | None:
    return argv[argv.index("-m") + 1] if "-m" in argv[1:-1] else None


def _absolute(path: str | None, cwd: str | None) -> str | None:
    if not path:
        return None
    return path if path.startswith("/") or not cwd else posixpath.normpath(posixpath.join(cwd, path))


def _python(view: GuestView) -> tuple[str | None, list]:
    runtime = view.runtime("python3", "python")
    packages = view.packages("python3")
    return (runtime.version if runtime and runtime.version else version_of(packages)), packages


_DAEMON_FLAGS = {"gunicorn": {"--daemon": 0, "-D": 0}, "uwsgi": {"--daemonize": 1, "--daemonize2": 1},
                 "uvicorn": {}}
"""Options that send the server to the background (a container's main process must stay in the foreground),
with how many values follow each."""


def foreground(server: str | None, argv: list[str]) -> tuple[list[str], list[str]]:
    """argv without the server's daemonising options, and the options removed."""
    flags = _DAEMON_FLAGS.get(server or "", {})
    kept, removed, skip = [], [], 0
    for arg in argv:
        if skip:
            removed.append(arg)
            skip -= 1
        elif arg.split("=", 1)[0] in flags:
            removed.append(arg)
            skip = 0 if "=" in arg else flags[arg.split("=", 1)[0]]
        else:
            kept.append(arg)
    return kept, removed


_PY_TODO = ("the Python packages the application imports are not known from the VM: capture its requirements file "
            "(or pip freeze of its virtualenv) and install them in the image")


class PythonWsgi(Detector):
    """A Python web application behind gunicorn, uWSGI or uvicorn (WSGI or ASGI)."""

    id = "python-wsgi"
    title = "Python WSGI/ASGI"
    looks_for = "a python process running gunicorn, uwsgi or uvicorn (also via -m), its cwd and listeners"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: _server(p) is not None):
            server = _server(root)
            version, packages = _python(view)
            extra = view.packages(server or "", f"python3-{server}")
            command, removed = foreground(server, argv_of(root))
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("python", server or ""),
                evidence=[f"{server} process (pid {root.pid}): {' '.join(argv_of(root))[:120]}",
                          *([f"python {version}"] if version else []),
                          *([f"dropped {' '.join(removed)}: a container's process stays in the foreground"]
                            if removed else [])],
                command=command, packages=[*packages, *extra], runtime="python", runtime_version=version,
                runtime_image=f"python:{major_minor(version)}-slim" if major_minor(version) else None,
                app_paths=[root.cwd] if root.cwd else [], probe_kind="http", probe_path="/",
                todos=[_PY_TODO, f"{server} must be installed in the image (from the requirements or the OS package)"]))


class PythonScript(Detector):
    """A plain Python program (``python3 app.py``) that is not run by a WSGI/ASGI server."""

    id = "python-script"
    title = "Python script"
    looks_for = "a python interpreter process running a script or module, its cwd, listeners and runtime version"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: bool(_PYTHON.fullmatch(program(p))) and _server(p) is None
                               and (_script(argv_of(p)) or _module(argv_of(p))) is not None):
            script = _absolute(_script(argv_of(root)), root.cwd)
            module = _module(argv_of(root))
            version, packages = _python(view)
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("python",),
                evidence=[f"python process (pid {root.pid}) running {script or f'module {module}'}",
                          *([f"python {version}"] if version else [])],
                packages=packages, runtime="python", runtime_version=version,
                runtime_image=f"python:{major_minor(version)}-slim" if major_minor(version) else None,
                app_paths=[p for p in (root.cwd, script) if p], probe_kind="tcp", todos=[_PY_TODO]))


class NodeJs(Detector):
    """A Node.js application (``node server.js``)."""

    id = "node"
    title = "Node.js"
    looks_for = "a node or nodejs process, its script, cwd, listeners and the node runtime version"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: program(p) in ("node", "nodejs")):
            script = _absolute(_script(argv_of(root)), root.cwd)
            runtime = view.runtime("node", "nodejs")
            packages = view.packages("nodejs")
            version = runtime.version if runtime and runtime.version else version_of(packages)
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("node",),
                evidence=[f"node process (pid {root.pid}) running {script or '?'}",
                          *([f"node {version}"] if version else [])],
                packages=packages, runtime="node", runtime_version=version,
                runtime_image=f"node:{major(version)}-slim" if major(version) else None,
                app_paths=[p for p in (root.cwd, script) if p], probe_kind="http", probe_path="/",
                todos=["node_modules is not copied from the VM: install dependencies from package.json "
                       "(npm ci --omit=dev) in the image"]))
