"""Multi-stage builds: when the build context holds what the VM's own build started from (requirements.txt,
package.json), a first stage recreates the virtualenv or node_modules that capture leaves out, at the VM's paths."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable

from planner.models.generation import BuildStage, ContextFile, CopyItem, Detection

Pinner = Callable[[list[str]], tuple[list[str], bool]]
"""Package names -> (install specs pinned to the VM's versions where known, whether any is unpinned)."""

_VENV_PYTHON = re.compile(r"^(/.+)/bin/python[\d.]*$")
_SYSTEM_PREFIXES = ("/usr/", "/bin/", "/sbin/")
FROZEN_ROOT = "/.planner/requirements"
"""Where capture puts a left-out virtualenv's package list: FROZEN_ROOT/<venv path, "/" as %2F>.txt."""
_FROZEN_LINE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*")
"""One ``name==version`` line and nothing else: no pip option, URL or path can come from the guest this way."""


def frozen_path(venv: str) -> str:
    return f"{FROZEN_ROOT}/{venv.strip('/').replace('%', '%25').replace('/', '%2F')}.txt"


def frozen_list(path: str) -> bool:
    return path.startswith(FROZEN_ROOT + "/") and path.endswith(".txt")


def _frozen_ok(text: str | None) -> bool:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return bool(lines) and all(_FROZEN_LINE.fullmatch(line) for line in lines)


def _context(path: str) -> str:
    return "context/rootfs/" + path.lstrip("/")


def python_stage(detection: Detection, files: set[str], pin: Pinner | None,
                 contents: dict[str, str | None]) -> tuple[BuildStage | None, str]:
    """A virtualenv rebuilt at the path the VM's command runs it from, from its requirements.txt."""
    argv = detection.command.argv if detection.command else []
    match = _VENV_PYTHON.match(argv[0]) if argv else None
    if match is None or argv[0].startswith(_SYSTEM_PREFIXES):
        return None, ""
    venv = match.group(1)
    roots = [posixpath.dirname(venv), *([detection.command.cwd] if detection.command and detection.command.cwd else [])]
    requirements = next((f"{root}/requirements.txt" for root in roots if f"{root}/requirements.txt" in files), None)
    origin = requirements
    if requirements is None and _frozen_ok(contents.get(frozen := frozen_path(venv))):
        requirements, origin = frozen, f"the packages installed in it on the VM (capture listed them: {frozen})"
    if requirements is None:
        return None, ""
    packages, unpinned = pin(["python3", "python3-venv"]) if pin else ([], False)
    stage = BuildStage(packages=packages, unpinned=unpinned,
                       copies=[CopyItem(source=_context(requirements), target="/build/requirements.txt")],
                       commands=[["python3", "-m", "venv", venv],
                                 [f"{venv}/bin/pip", "install", "--no-cache-dir", "-r", "/build/requirements.txt"]],
                       artifacts=[venv])
    return stage, f"a build stage recreates the virtualenv {venv} from {origin} (capture leaves venvs out)"


def dependencies(text: str | None) -> bool:
    """Whether a package.json declares runtime dependencies (unknown text: assume it does)."""
    if text is None:
        return True
    try:
        data = json.loads(text)
    except ValueError:
        return True
    return not isinstance(data, dict) or bool(data.get("dependencies"))


def node_stage(detection: Detection, files: set[str], pin: Pinner | None,
               contents: dict[str, str | None]) -> tuple[BuildStage | None, str]:
    """node_modules installed from the application's package.json (and lock file) in a build stage."""
    cwd = detection.command.cwd if detection.command else None
    if not cwd or f"{cwd}/package.json" not in files or not dependencies(contents.get(f"{cwd}/package.json")):
        return None, ""
    lock = f"{cwd}/package-lock.json" in files
    packages, unpinned = pin(["nodejs", "npm"]) if pin else ([], False)
    copies = [CopyItem(source=_context(f"{cwd}/{name}"), target=f"{cwd}/{name}")
              for name in ("package.json", "package-lock.json") if f"{cwd}/{name}" in files]
    stage = BuildStage(packages=packages, unpinned=unpinned, copies=copies, workdir=cwd,
                       commands=[["npm", "ci" if lock else "install", "--omit=dev"]],
                       artifacts=[f"{cwd}/node_modules"])
    return stage, f"a build stage installs {cwd}/node_modules from package.json (capture leaves node_modules out)"


SOLVED = ("node_modules is not copied", "the Python packages the application imports")
"""Beginnings of the detectors' TODOs that a build stage settles."""

STAGES: dict[str, Callable[[Detection, set[str], Pinner | None, dict[str, str | None]],
                           tuple[BuildStage | None, str]]] = {
    "python-wsgi": python_stage, "python-script": python_stage, "node": node_stage,
}


def build_stage(detection: Detection | None, context_files: list[ContextFile], pin: Pinner | None,
                read: Callable[[str], str | None]) -> tuple[BuildStage | None, str]:
    """The build stage for a detection, if its context holds what one starts from; and the decision's wording.
    ``read(path)`` gives a context file's text (None if unreadable)."""
    if detection is None or detection.stack not in STAGES:
        return None, ""
    files = {f.path for f in context_files}
    contents = {path: read(path) for path in files if path.endswith("/package.json") or frozen_list(path)}
    return STAGES[detection.stack](detection, files, pin, contents)
