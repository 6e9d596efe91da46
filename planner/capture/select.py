"""What a capture takes from a guest: the named paths minus data directories, secrets and rebuildable clutter.

Pure functions over path strings (no I/O), so the selection is unit-tested on its own. Paths are untrusted text
from discovery: they are normalised, must be absolute, and never reach a shell (they travel as argv items).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

DEFAULT_CAP_BYTES = 200 * 1024 * 1024
"""Capture size cap per image (the uncompressed tar stream from the guest), 200 MiB."""

EXCLUDES: tuple[tuple[str, str], ...] = (
    ("*.log", "log file"),
    ("*.log.[0-9]*", "rotated log file"),
    ("*.pid", "pid file (written at run time)"),
    ("*.sock", "socket"),
    ("__pycache__", "Python bytecode cache (recreated)"),
    ("*.pyc", "Python bytecode (recreated)"),
    (".cache", "cache folder"),
    (".git", "version-control folder"),
    (".hg", "version-control folder"),
    (".svn", "version-control folder"),
    ("node_modules", "node_modules (the build recreates it with npm ci)"),
    (".venv", "virtualenv (the build recreates it)"),
    ("venv", "virtualenv (the build recreates it)"),
    ("*.swp", "editor swap file"),
    ("*.key", "private key: provide secrets at run time, never in an image"),
)
"""Name patterns (``fnmatch`` on each file or folder name) left out of every capture, and why."""

SKIP_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/proc", "kernel file system"),
    ("/sys", "kernel file system"),
    ("/dev", "device files"),
    ("/run", "run-time state"),
    ("/tmp", "temporary files"),  # noqa: S108 (a path of the guest, not a temp file here)
    ("/var/log", "logs"),
    ("/var/cache", "caches"),
    ("/etc/ssl/private", "private keys: provide secrets at run time, never in an image"),
    ("/etc/shadow", "password hashes"),
)


@dataclass(frozen=True)
class Skipped:
    """Something a capture did not bring, and why (listed in MANIFEST.json and the image's report)."""

    path: str
    reason: str


@dataclass
class Selection:
    """The paths to archive on one guest, the exclude patterns, and what was left out before asking the guest."""

    paths: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    """Extra name patterns (the user's), on top of ``EXCLUDES``."""
    skipped: list[Skipped] = field(default_factory=list)
    data_paths: list[str] = field(default_factory=list)


def normalise(path: str) -> str | None:
    """An absolute, normalised POSIX path, or None when the text is not one (relative, empty, NUL, newline)."""
    if not path or not path.startswith("/") or "\x00" in path or "\n" in path:
        return None
    text = posixpath.normpath(path)
    return "/" + text.lstrip("/") if text != "/" else "/"


def _under(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


def select(paths: list[str], data_paths: list[str], extra_excludes: list[str] | None = None) -> Selection:
    """Which of ``paths`` to archive: absolute, not a data directory nor under one, not a kernel or run-time
    file system, no duplicates or paths already inside another selected path. Data paths are listed for the
    migration's data sync (volumes), never captured."""
    result = Selection(excludes=list(extra_excludes or []))
    data = [norm for norm in (normalise(path) for path in data_paths) if norm]
    result.data_paths = sorted(set(data))
    candidates: list[str] = []
    for raw in paths:
        norm = normalise(raw)
        if norm is None:
            result.skipped.append(Skipped(raw, "not an absolute path"))
        elif norm == "/":
            result.skipped.append(Skipped(raw, "the whole file system is never captured; name the app's paths"))
        elif any(_under(norm, root) for root in data):
            result.skipped.append(Skipped(norm, "data directory: a volume, listed for the data sync"))
        elif reason := next((why for prefix, why in SKIP_PREFIXES if _under(norm, prefix)), None):
            result.skipped.append(Skipped(norm, reason))
        else:
            candidates.append(norm)
    for norm in sorted(set(candidates), key=lambda text: (text.count("/"), text)):
        if not any(_under(norm, kept) for kept in result.paths):
            result.paths.append(norm)
    result.paths.sort()
    return result
