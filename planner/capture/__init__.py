"""Capture: bring the configs and application files a detection names from the guest into the image's build
context (``context/rootfs/<absolute path>``), read-only on the guest, capped, with excludes and a checksum
manifest. Data directories are never captured: they are listed for the data sync (volumes).

``capture(requests, inventory)`` is the library call generation makes (before it rewires the captured configs);
``capture_images(generate_dir, inventory)`` captures for an existing ``planner generate`` folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.capture.remote import HostCapture, fetch_archives
from planner.capture.select import DEFAULT_CAP_BYTES, Selection, Skipped, select
from planner.capture.unpack import FileEntry, scan_context, unpack, write_manifest
from planner.errors import InputError, NotFoundError
from planner.fileio import write_text

__all__ = ["DEFAULT_CAP_BYTES", "CaptureRequest", "CaptureResult", "capture", "capture_images"]


@dataclass
class CaptureRequest:
    """One image's capture: the inventory host it came from, the paths to bring, its data paths, its context."""

    image: str
    host: str
    paths: list[str]
    data_paths: list[str]
    context: Path


@dataclass
class CaptureResult:
    """What one image's capture brought and skipped (``status``: captured | failed)."""

    image: str
    status: str
    files: list[FileEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    data_paths: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def bytes(self) -> int:
        return sum(entry.size for entry in self.files)

    def summary(self) -> dict[str, Any]:
        """The ``capture`` entry of generate.json."""
        return {"status": self.status, "files": len(self.files), "bytes": self.bytes,
                "skipped": [{"path": item.path, "reason": item.reason} for item in self.skipped],
                **({"error": self.error} if self.error else {})}


def capture(requests: list[CaptureRequest], inventory: str | dict[str, Any], *, cap_bytes: int = DEFAULT_CAP_BYTES,
            excludes: list[str] | None = None, become: bool = False,
            progress: Callable[[str, str, str], None] | None = None) -> list[CaptureResult]:
    """Capture every request's paths from its guest (one archive per guest); a failing guest fails only its
    images. Raises ``ExecutionError`` when Ansible cannot run, ``InputError``/``NotFoundError`` for the inventory."""
    selections = {request.image: select(request.paths, request.data_paths, excludes) for request in requests}
    per_host: dict[str, Selection] = {}
    for request in requests:
        merged = per_host.setdefault(request.host, Selection(excludes=list(excludes or [])))
        sel = selections[request.image]
        merged.paths = sorted(set(merged.paths) | set(sel.paths))
        merged.data_paths = sorted(set(merged.data_paths) | set(sel.data_paths))
    wanted = {host: sel for host, sel in per_host.items() if sel.paths}
    work = Path(tempfile.mkdtemp(prefix="planner-capture-archives-"))
    try:
        fetched = fetch_archives(wanted, inventory, work, cap_bytes=cap_bytes, become=become,
                                 progress=progress) if wanted else {}
        return [_place(request, selections[request.image], fetched.get(request.host), cap_bytes)
                for request in requests]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _place(request: CaptureRequest, sel: Selection, host: HostCapture | None, cap_bytes: int) -> CaptureResult:
    result = CaptureResult(request.image, "captured", skipped=list(sel.skipped), data_paths=sel.data_paths)
    if not sel.paths:
        return result
    if host is None or host.archive is None:
        result.status = "failed"
        result.error = host.error if host is not None else "nothing was fetched"
        return result
    rootfs = request.context / "rootfs"
    unpacked = unpack(host.archive, rootfs, cap_bytes, only=sel.paths)
    result.files = unpacked.files
    result.skipped += [item for item in host.skipped if _wanted(item.path, sel.paths)] + unpacked.skipped
    return result


def _wanted(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def capture_images(generate_dir: Path, inventory: str | dict[str, Any], *, vms: list[str] | None = None,
                   cap_bytes: int = DEFAULT_CAP_BYTES, excludes: list[str] | None = None, become: bool = False,
                   progress: Callable[[str, str, str], None] | None = None) -> list[CaptureResult]:
    """Capture for the images of a ``planner generate`` folder (``generate.json`` entries with ``config_files``,
    ``app_paths``, ``data_paths`` and ``guest.host``); rewrites each MANIFEST.json and the ``capture`` entries."""
    index_path = Path(generate_dir) / "generate.json"
    if not index_path.is_file():
        raise NotFoundError(f"{index_path} does not exist.", hint="Run `planner generate -o DIR` first.")
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{index_path} is not a generate.json file ({exc}).") from exc
    images = [image for image in index.get("images", [])
              if not vms or image.get("vm_name") in vms or image.get("name") in vms]
    requests = []
    for image in images:
        host = (image.get("guest") or {}).get("host")
        if not host:
            continue
        requests.append(CaptureRequest(
            image=str(image["name"]), host=str(host),
            paths=[*image.get("config_files", []), *image.get("app_paths", [])],
            data_paths=list(image.get("data_paths", [])), context=Path(generate_dir) / image["dir"] / "context"))
    results = capture(requests, inventory, cap_bytes=cap_bytes, excludes=excludes, become=become,
                      progress=progress)
    by_name = {result.image: result for result in results}
    for image in images:
        result = by_name.get(str(image.get("name")))
        if result is None:
            continue
        image["capture"] = result.summary()
        folder = Path(generate_dir) / image["dir"]
        write_manifest(folder / "MANIFEST.json", scan_context(folder / "context"), result.skipped,
                       result.data_paths, {"image": image["name"], "capture": result.status})
    write_text(index_path, json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    return results
