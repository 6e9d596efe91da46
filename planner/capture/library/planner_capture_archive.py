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
import json
import os
import stat
import sys
import tarfile
import tempfile

MAX_SKIPPED = 500


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


def entries(top, skipped, reason_of):
    """Every path under ``top`` (itself first) that is not excluded; excluded folders are not entered, links
    never followed, unreadable folders recorded."""
    reason = reason_of(top)
    if reason is not None:
        skipped.append([top, reason])
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


def main(spec):
    """Archive ``spec["paths"]``; return the JSON-able result."""
    patterns = [tuple(item) for item in spec["excludes"]]
    data_paths = spec["data_paths"]
    skipped = []
    fd, tmp = tempfile.mkstemp(prefix="planner-capture-", suffix=".tar")
    files, capped = 0, False
    try:
        with os.fdopen(fd, "wb") as raw:
            sink = CappedFile(raw, int(spec["cap"]))
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for top in spec["paths"]:
                    if not os.path.lexists(top):
                        skipped.append([top, "does not exist on the guest"])
                        continue
                    for path in entries(top, skipped, lambda p: excluded(p, patterns, data_paths)):
                        files += add(tar, path, skipped)
    except CapReached:
        capped = True
    size = os.stat(tmp)[stat.ST_SIZE]
    if capped:
        os.unlink(tmp)
        tmp = None
    kept = skipped[:MAX_SKIPPED]
    if len(skipped) > MAX_SKIPPED:
        kept.append(["...", "%d more skipped items not listed" % (len(skipped) - MAX_SKIPPED)])
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
