"""Unpack a guest's capture archive into ``context/rootfs`` safely, and write the checksum manifest.

The archive is untrusted: every member is checked before anything is written. No absolute names, no ``..``, no
link whose target leaves the captured root (absolute link targets are rewritten relative, so they resolve inside
``rootfs`` on this machine exactly as they do in the image), hard links only to files already unpacked, no
devices, pipes or sockets, no setuid/setgid bits, and nothing is written through a link on this machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from planner.capture.select import Skipped
from planner.fileio import write_text

MANIFEST_FORMAT_VERSION = 1


@dataclass(frozen=True)
class FileEntry:
    """One file of a build context: path relative to ``context/``, checksum, size, mode, and its guest owner."""

    path: str
    sha256: str
    size: int
    mode: str
    owner: str | None = None
    group: str | None = None
    link: str | None = None


@dataclass
class Unpacked:
    """What an unpack wrote and what it refused, with reasons."""

    files: list[FileEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(entry.size for entry in self.files)


def member_path(name: str) -> str | None:
    """The member's normalised relative path, or None when it is absolute, empty or climbs out with ``..``."""
    if not name or name.startswith("/") or "\x00" in name:
        return None
    parts = name.split("/")
    if ".." in parts:
        return None
    norm = posixpath.normpath(name)
    return None if norm in {".", ""} or norm.startswith("../") else norm


def link_target(member: str, target: str) -> str | None:
    """A symbolic link's target relative to the member's folder, or None when it leaves the captured root.

    ``member`` is the relative member path (``etc/nginx/sites-enabled/default``); an absolute ``target`` is read
    in the guest's namespace (``/etc/nginx/...``) and made relative to the member's folder."""
    if not target or "\x00" in target:
        return None
    folder = posixpath.dirname(member)
    resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        return None
    return posixpath.relpath(resolved, folder or ".")


def _inside(root: Path, path: Path) -> bool:
    """True when no component of ``path`` below ``root`` is a symbolic link (we never write through one)."""
    current = root
    for part in path.relative_to(root).parts[:-1]:
        current = current / part
        if current.is_symlink():
            return False
    return True


def unpack(archive: Path, rootfs: Path, max_bytes: int, only: list[str] | None = None) -> Unpacked:
    """Unpack ``archive`` under ``rootfs`` (created), refusing unsafe members; at most ``max_bytes`` of files.
    ``only``: absolute guest paths; members outside them are left out (one guest archive, several images)."""
    roots = [path.strip("/") for path in only] if only is not None else None
    rootfs.mkdir(parents=True, exist_ok=True)
    root = rootfs.resolve()
    result = Unpacked()
    written: dict[str, Path] = {}
    total = 0
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            rel = member_path(member.name)
            shown = "/" + member.name.lstrip("/")
            if rel is None:
                result.skipped.append(Skipped(shown, "unsafe name in the archive (absolute or '..')"))
                continue
            if roots is not None and not any(rel == root or rel.startswith(root + "/") for root in roots):
                continue
            dest = root / rel
            if not _inside(root, dest):
                result.skipped.append(Skipped(shown, "its folder is a link in the archive; not written through"))
                continue
            if member.isdir():
                if dest.is_symlink():  # the same name came as a link first (Tomcat's conf -> /etc/tomcat10)
                    result.skipped.append(Skipped(shown, "a folder where the archive has a link: the link is kept"))
                    continue
                dest.mkdir(parents=True, exist_ok=True)
                dest.chmod(_mode(member.mode, directory=True))
                continue
            if member.isreg() and total + member.size > max_bytes:
                result.skipped.append(Skipped(shown, f"over the capture cap of {max_bytes} bytes"))
                continue
            entry = _write_member(tar, member, rel, dest, written, result)
            if entry is not None:
                total += entry.size
                result.files.append(entry)
    return result


def _mode(mode: int, directory: bool = False) -> int:
    """Permission bits without setuid/setgid/sticky, always readable (and searchable) by the owner."""
    bits = stat.S_IMODE(mode) & 0o777
    return bits | (0o700 if directory else 0o600)


def _clear(dest: Path) -> None:
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.is_dir():
        shutil.rmtree(dest)


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, rel: str, dest: Path,
                  written: dict[str, Path], result: Unpacked) -> FileEntry | None:
    shown = "/" + rel
    owner = member.uname or str(member.uid)
    group = member.gname or str(member.gid)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if member.issym():
        target = link_target(rel, member.linkname)
        if target is None:
            result.skipped.append(Skipped(shown, f"link pointing outside the captured root ({member.linkname})"))
            return None
        _clear(dest)
        os.symlink(target, dest)
        digest = hashlib.sha256(target.encode()).hexdigest()
        return FileEntry(_context_path(rel), digest, 0, "link", owner, group, link=target)
    if member.islnk():
        source = written.get(member_path(member.linkname) or "")
        if source is None:
            result.skipped.append(Skipped(shown, "hard link to a file not in the capture"))
            return None
        _clear(dest)
        shutil.copyfile(source, dest)
        dest.chmod(source.stat().st_mode & 0o777)
        return _file_entry(rel, dest, owner, group)
    if not member.isreg():
        result.skipped.append(Skipped(shown, "not a regular file, folder or link"))
        return None
    handle = tar.extractfile(member)
    if handle is None:
        result.skipped.append(Skipped(shown, "unreadable in the archive"))
        return None
    _clear(dest)
    with handle, open(dest, "xb") as out:
        shutil.copyfileobj(handle, out)
    dest.chmod(_mode(member.mode))
    written[rel] = dest
    return _file_entry(rel, dest, owner, group)


def _context_path(rel: str) -> str:
    return f"rootfs/{rel}"


def _file_entry(rel: str, dest: Path, owner: str | None, group: str | None) -> FileEntry:
    digest = hashlib.sha256()
    with open(dest, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    info = dest.lstat()
    return FileEntry(_context_path(rel), digest.hexdigest(), info.st_size, f"{stat.S_IMODE(info.st_mode):04o}",
                     owner, group)


def scan_context(context: Path) -> list[FileEntry]:
    """Checksums of every file and link under ``context`` (links are never followed), sorted by path."""
    entries = []
    for folder, dirs, files in os.walk(context, followlinks=False):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = Path(folder) / name
            rel = path.relative_to(context).as_posix()
            if path.is_symlink():
                target = os.readlink(path)
                entries.append(FileEntry(rel, hashlib.sha256(target.encode()).hexdigest(), 0, "link", link=target))
            elif path.is_file():
                entry = _file_entry(rel, path, None, None)
                entries.append(FileEntry(rel, entry.sha256, entry.size, entry.mode))
    return sorted(entries, key=lambda entry: entry.path)


def write_manifest(path: Path, files: list[FileEntry], skipped: list[Skipped], data_paths: list[str],
                   extra: dict[str, object] | None = None) -> None:
    """MANIFEST.json: every context file with sha256 and size, what was skipped and why, and the data paths."""
    document = {
        "format_version": MANIFEST_FORMAT_VERSION,
        **(extra or {}),
        "files": [{key: value for key, value in asdict(entry).items() if value is not None} for entry in files],
        "skipped": [{"path": item.path, "reason": item.reason} for item in skipped],
        "data_paths": list(data_paths),
    }
    write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
