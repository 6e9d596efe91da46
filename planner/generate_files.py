"""One image folder on disk: build context files (recorded or captured), rendered files and the manifest.

A folder is filled beside its final place (``images/.NAME.tmp-*``) and moved in when complete, so an interrupted
run never leaves half an image folder, and the previous one is replaced only by a whole new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from planner.errors import InputError
from planner.generate_rewire import Rewiring
from planner.generate_spec import safe_path
from planner.models.discovery import ConfigFile
from planner.models.generation import ContextFile, ImageSpec
from planner.render import render

ROOTFS = Path("context") / "rootfs"


def staging_dir(images: Path, name: str) -> Path:
    """A fresh folder beside the image's final place; a path that is no folder is the user's error."""
    try:
        images.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=images))
    except OSError as exc:
        raise InputError(f"cannot write into {images}: {exc.strerror or exc}; nothing was written.") from exc


def inside_context(root: Path, path: str) -> tuple[Path, str] | None:
    """Where ``path`` of the image lives in the context, following captured links that stay inside it (Debian's
    ``sites-enabled/default -> ../sites-available/default``), and that file's own image path; None for anything
    that would lead outside the context."""
    normal = safe_path(path)
    if normal is None:
        return None
    base = root.resolve() if root.exists() else root.absolute()
    try:
        real = (root / normal.lstrip("/")).resolve()
    except (OSError, RuntimeError):  # a link loop
        return None
    if not real.is_relative_to(base) or real == base:
        return None  # a captured symlink never leads a write outside the context
    return real, "/" + real.relative_to(base).as_posix()


def _record(path: str, data: bytes, source: str, rewired: bool) -> ContextFile:
    return ContextFile(path=path, source=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                       rewired=rewired)


def usable_text(config: ConfigFile) -> str | None:
    """Recorded text that can stand for the file (read, or dumped by the server itself), complete and with nothing
    redacted."""
    if config.content is None or config.truncated or not config.readable or config.secrets:
        return None
    return config.content


def write_recorded(staging: Path, configs: list[ConfigFile], rewiring: Rewiring,
                   captured: dict[str, ContextFile]) -> tuple[list[ContextFile], list[str], list[str]]:
    """Recorded config text into ``context/rootfs`` (rewired); captured text configs rewired in place.
    Returns (files, paths not written with why, unknown addresses)."""
    root = staging / ROOTFS
    written: list[ContextFile] = []
    missing: list[str] = []
    unknown: list[str] = []
    root.mkdir(parents=True, exist_ok=True)
    for config in configs:
        found = inside_context(root, config.path)
        if found is None:
            missing.append(f"{config.path!r}: not a plain absolute path inside the context")
            continue
        target, image_path = found
        if (config.path in captured or image_path in captured) and target.is_file():
            text = read_text(target)
            if text is None:
                continue
            source = "capture"
        else:
            text = usable_text(config)
            source = "facts"
            if text is None:
                why = ("secrets were redacted: supply the real file at run time" if config.secrets else
                       "not read completely by discovery")
                missing.append(f"{config.path}: {why}")
                continue
        new = rewiring.text(text)
        unknown += [address for address in rewiring.unknown(new) if address not in unknown]
        data = new.encode("utf-8")
        reason = _write(target, data)
        if reason is not None:
            missing.append(f"{config.path}: cannot be written in the context ({reason}); add it by hand")
            continue
        written.append(_record(image_path, data, source, new != text))
    return written, missing, unknown


def _write(target: Path, data: bytes) -> str | None:
    """Write one config file; the reason when a captured link (dangling, or to a file) makes its folder no folder."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o644)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_rendered(staging: Path, spec: ImageSpec, templates: Path | None) -> None:
    files = {"Dockerfile": "dockerfile/Dockerfile.j2", ".dockerignore": "image/dockerignore.j2",
             "DECISIONS.md": "image/DECISIONS.md.j2"}
    if spec.entrypoint:
        files["planner-entrypoint.sh"] = "image/planner-entrypoint.sh.j2"
    for name, template in files.items():
        (staging / name).write_text(render(template, templates, spec=spec), encoding="utf-8")
    if spec.entrypoint:
        (staging / "planner-entrypoint.sh").chmod(0o755)
    (staging / "context").mkdir(exist_ok=True)


def write_manifest(staging: Path, spec: ImageSpec, files: list[ContextFile], skipped: list[str],
                   capture_status: str) -> None:
    manifest = {
        "format_version": 1, "image": spec.name, "capture": capture_status,
        "files": [{"path": str(ROOTFS / f.path.lstrip("/")), "target": f.path, "sha256": f.sha256, "size": f.size,
                   "source": f.source, "rewired": f.rewired} for f in sorted(files, key=lambda f: f.path)],
        "skipped": skipped, "data_paths": spec.data_paths,
    }
    (staging / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def move_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` by the complete ``staging`` folder (the old one is removed only after the swap)."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    try:
        if final.exists():
            final.rename(old)
        staging.rename(final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if old.exists() and not final.exists():
            old.rename(final)
        raise InputError(f"cannot write {final}: {exc.strerror or exc}; the previous folder is kept.") from exc
    shutil.rmtree(old, ignore_errors=True)
