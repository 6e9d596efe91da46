#!/usr/bin/python
"""Ansible module run ON THE GUEST (old-style ``WANT_JSON``, any Python 3): archive the named paths, read-only.

Writes one tar file in the guest's temp folder (never in the application's folders), stops at the size cap, never
follows symbolic links (they are archived as links), leaves out excluded names, data paths, sockets and devices,
and prints one JSON line: the temp file, its size, the number of files, whether the cap was hit, and what was
skipped and why. Kept compatible with Python 3.6 and without third-party modules: it runs on old guests.
"""
# WANT_JSON
# Old-Python compatible on purpose (no annotations, %-formatting):
# mypy: ignore-errors
# ruff: noqa: UP031

import fnmatch
import glob
import io
import json
import os
import re
import stat
import sys
import tarfile
import tempfile
import time

MAX_SKIPPED = 500
FREEZE_ROOT = ".planner/requirements"
"""Where a left-out virtualenv's package list goes in the archive: FREEZE_ROOT/<venv path, "/" as %2F>.txt (one
name: no folder of it is called venv, which the image's .dockerignore leaves out)."""
NOT_FROZEN = frozenset(["pip", "setuptools", "wheel", "distribute", "pkg-resources"])
"""Left out of the list, as ``pip freeze`` leaves them out (the new virtualenv brings its own)."""
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


class CapReached(Exception):
    """The archive grew past the cap."""


class CappedFile:
    """A write-only file that raises ``CapReached`` past ``limit`` bytes."""

    def __init__(self, handle, limit):
        self.handle, self.limit, self.size = handle, limit, 0

    def write(self, data):
        self.size += len(data)
        if self.size > self.limit:
            raise CapReached()
        return self.handle.write(data)

    def tell(self):
        return self.size


def excluded(path, patterns, data_paths):
    """The reason ``path`` is left out, or None."""
    name = path.rsplit("/", 1)[-1]
    for pattern, reason in patterns:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    for root in data_paths:
        if path == root or path.startswith(root.rstrip("/") + "/"):
            return "data directory: a volume, listed for the data sync"
    return None


def distribution(dist_info):
    """(name, version) from a ``*.dist-info`` folder's METADATA, None when it has none we can trust."""
    name = version = None
    try:
        with open(os.path.join(dist_info, "METADATA"), "rb") as handle:
            for raw in handle.read(65536).decode("utf-8", "replace").splitlines():
                if not raw.strip():
                    break  # the headers end at the first blank line
                key, _, value = raw.partition(":")
                if key.lower() == "name" and name is None:
                    name = value.strip()
                elif key.lower() == "version" and version is None:
                    version = value.strip()
    except OSError:
        return None
    if not name or not version or not _NAME.match(name) or not _VERSION.match(version):
        return None
    return name, version


def freeze(venv):
    """``name==version`` lines of a virtualenv's installed distributions (what ``pip freeze`` lists), or None
    when ``venv`` is no virtualenv."""
    if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        return None
    found = {}
    for site in sorted(glob.glob(os.path.join(venv, "lib", "python*", "site-packages"))):
        for dist_info in sorted(glob.glob(os.path.join(site, "*.dist-info"))):
            parsed = distribution(dist_info)
            if parsed is not None and parsed[0].lower() not in NOT_FROZEN:
                found.setdefault(parsed[0].lower(), "%s==%s" % parsed)
    return [found[key] for key in sorted(found)]


def entries(top, skipped, reason_of, on_skip=None):
    """Every path under ``top`` (itself first) that is not excluded; excluded folders are not entered, links
    never followed, unreadable folders recorded (and passed to ``on_skip``)."""
    reason = reason_of(top)
    if reason is not None:
        skipped.append([top, reason])
        if on_skip is not None:
            on_skip(top)
        return
    yield top
    if not os.path.isdir(top) or os.path.islink(top):
        return

    def failed(error):
        skipped.append([error.filename or top, "unreadable: " + (error.strerror or str(error))])

    for folder, dirs, files in os.walk(top, onerror=failed, followlinks=False):
        kept = []
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(folder, name)
            reason = reason_of(path)
            if reason is not None:
                skipped.append([path, reason])
                if on_skip is not None:
                    on_skip(path)
            elif name in dirs and not os.path.islink(path):
                kept.append(name)
                yield path
            else:
                yield path
        dirs[:] = kept


def add(tar, path, skipped):
    """Add one path (no recursion); a path that cannot be read is recorded, not fatal."""
    try:
        info = tar.gettarinfo(path, arcname=path.lstrip("/"))
    except OSError as error:
        skipped.append([path, "unreadable: " + (error.strerror or str(error))])
        return 0
    if info is None or not (info.isreg() or info.isdir() or info.issym() or info.islnk()):
        skipped.append([path, "not a regular file, folder or link (socket, device or pipe)"])
        return 0
    if info.isreg():
        try:
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
        except OSError as error:
            skipped.append([path, "unreadable: " + (error.strerror or str(error))])
            return 0
        return 1
    tar.addfile(info)
    return 0


def under(path, roots):
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def linked_ancestors(path):
    """The symbolic links among ``path``'s parent folders, outermost first."""
    links, current = [], ""
    for part in path.strip("/").split("/")[:-1]:
        current += "/" + part
        if os.path.islink(current):
            links.append(current)
    return links


class Archive:
    """The tar stream plus what is archived already (each path once) and the link targets still to bring."""

    def __init__(self, tar, spec, skipped):
        self.tar, self.skipped = tar, skipped
        self.patterns = [tuple(item) for item in spec["excludes"]]
        self.data_paths = spec["data_paths"]
        self.never = spec.get("never", [])
        self.done, self.files, self.follow = set(), 0, int(spec.get("follow_links", 50))

    def reason(self, path):
        if under(path, self.never):
            return "never captured (kernel, run-time or secret location)"
        return excluded(path, self.patterns, self.data_paths)

    def put(self, path):
        if path not in self.done:
            self.done.add(path)
            self.files += add(self.tar, path, self.skipped)

    def left_out(self, path):
        """A virtualenv left out of the archive: its package list goes in instead (the build recreates it)."""
        if os.path.islink(path) or not os.path.isdir(path):
            return
        lines = freeze(path)
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode("utf-8")
        encoded = path.strip("/").replace("%", "%25").replace("/", "%2F")
        info = tarfile.TarInfo("%s/%s.txt" % (FREEZE_ROOT, encoded))
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        self.tar.addfile(info, io.BytesIO(data))
        self.files += 1

    def top(self, top, queue):
        """Archive one requested path: links among its parents as links, the real path's tree, and queue the
        targets of links found inside (so /var/lib/tomcat10/conf -> /etc/tomcat10 brings /etc/tomcat10)."""
        if not os.path.lexists(top):
            self.skipped.append([top, "does not exist on the guest"])
            return
        ancestors = linked_ancestors(top)
        if ancestors:
            for link in ancestors:
                self.put(link)
            queue.append(os.path.realpath(top))
            return
        for path in entries(top, self.skipped, self.reason, self.left_out):
            self.put(path)
            if os.path.islink(path) and self.follow > 0:
                target = os.path.realpath(path)
                if os.path.lexists(target) and target not in self.done and self.reason(target) is None:
                    self.follow -= 1
                    queue.append(target)


def main(spec):
    """Archive ``spec["paths"]``; return the JSON-able result."""
    skipped = []
    fd, tmp = tempfile.mkstemp(prefix="planner-capture-", suffix=".tar")
    capped, archive = False, None
    try:
        with os.fdopen(fd, "wb") as raw:
            sink = CappedFile(raw, int(spec["cap"]))
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                archive = Archive(tar, spec, skipped)
                queue, seen = list(spec["paths"]), set()
                while queue:
                    top = queue.pop(0)
                    if top not in seen and not under(top, [p for p in seen if not os.path.islink(p)]):
                        seen.add(top)
                        archive.top(top, queue)
    except CapReached:
        capped = True
    size = os.stat(tmp)[stat.ST_SIZE]
    if capped:
        os.unlink(tmp)
        tmp = None
    kept = skipped[:MAX_SKIPPED]
    if len(skipped) > MAX_SKIPPED:
        kept.append(["...", "%d more skipped items not listed" % (len(skipped) - MAX_SKIPPED)])
    files = archive.files if archive is not None else 0
    return {"tmp": tmp, "size": size, "files": files, "capped": capped, "left_out": kept}


def run(argv):
    """Module entry: read the argument file Ansible wrote, print the result as JSON."""
    with open(argv[1]) as handle:
        spec = json.load(handle)["spec"]
    try:
        result = main(spec)
    except Exception as error:  # report, never a traceback: the controller shows one line
        result = {"failed": True, "msg": "capture failed on the guest: %s" % error}
    else:
        result["changed"] = False
        if result["capped"]:
            result["failed"] = True
            result["msg"] = "the named paths exceed the capture cap of %d bytes" % int(spec["cap"])
    print(json.dumps(result))


if __name__ == "__main__":
    run(sys.argv)
