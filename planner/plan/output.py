"""Safe output for `planner plan -o DIR`: build in a temporary sibling, move into place at the end.

- DIR is built whole in ``.DIR.planner-tmp-*`` beside it; only when everything is written is the old DIR renamed to
  ``.DIR.planner-old-*``, the new one renamed to DIR, and the old one removed. A crash or kill before that leaves DIR
  as it was; a kill between the two renames leaves the old DIR beside it, and the next run puts it back first.
- DIR holds ``.planner-manifest.json`` (sha256 per file). An existing DIR without one is not planner's: it is refused
  unless ``force``. On a re-run, a file whose checksum differs from the manifest was edited by the user: it is kept
  (and reported) instead of overwritten, and so is a file the user added; ``force`` replaces everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import InputError, OutputConflictError

MANIFEST = ".planner-manifest.json"
MANIFEST_KIND = "planner-plan-output"
TMP_MARK = ".planner-tmp-"
OLD_MARK = ".planner-old-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> list[str]:
    """Every regular file under ``root`` (relative, POSIX separators, sorted), the manifest aside."""
    found = []
    for folder, _dirs, names in os.walk(root):
        for name in names:
            relative = (Path(folder) / name).relative_to(root).as_posix()
            if relative != MANIFEST and not (Path(folder) / name).is_symlink():
                found.append(relative)
    return sorted(found)


def read_manifest(folder: Path) -> dict[str, str] | None:
    """The manifest's ``path -> sha256``, or None when DIR has no readable planner manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") != MANIFEST_KIND or not isinstance(data.get("files"), dict):
        return None
    return {str(path): str(digest) for path, digest in data["files"].items()}


def write_manifest(folder: Path, files: dict[str, str]) -> None:
    text = json.dumps({"kind": MANIFEST_KIND, "version": 1, "files": dict(sorted(files.items()))}, indent=1)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")


@dataclass
class Outcome:
    """What a finished output kept of the user's: edited files (not overwritten) and files planner did not write."""

    kept_edited: list[str] = field(default_factory=list)
    kept_added: list[str] = field(default_factory=list)


def _siblings(target: Path, mark: str) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}{mark}*")) if target.parent.is_dir() else []


def recover(target: Path) -> None:
    """Put back a DIR a kill left beside its place (between the two renames), and drop stale staging folders."""
    old = _siblings(target, OLD_MARK)
    if old and not target.exists():
        os.rename(old[-1], target)
        old = old[:-1]
    for stale in [*old, *_siblings(target, TMP_MARK)]:
        shutil.rmtree(stale, ignore_errors=True)


class SafeOutput:
    """``with SafeOutput(DIR, force) as out:`` write under ``out.staging``; leaving the block without an error puts
    it in place (``out.outcome`` says what was kept), with one it is removed and DIR stays as it was."""

    def __init__(self, target: Path, *, force: bool = False) -> None:
        self.target = target
        self.force = force
        self.previous: dict[str, str] | None = None
        self.outcome = Outcome()
        self.staging = target

    def check(self) -> None:
        """Refuse a DIR planner did not make (before any work); recover from an earlier kill."""
        target = self.target
        if target.exists() and not target.is_dir():
            raise InputError(f"{target} is a file; -o names the plan folder.")
        recover(target)
        if target.is_dir():
            self.previous = read_manifest(target)
            if self.previous is None and any(target.iterdir()) and not self.force:
                raise OutputConflictError(f"{target} exists and was not made by `planner plan` (it has no "
                                          f"{MANIFEST}); nothing was written.",
                                          hint="Name a new folder, or add --force to replace it.")

    def __enter__(self) -> SafeOutput:
        self.check()
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}{TMP_MARK}", dir=self.target.parent))
        except OSError as exc:
            raise InputError(f"cannot write {self.target}: {exc.strerror or exc}.") from exc
        self.staging.chmod(0o755)
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        try:
            if kind is None:
                self._finish()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _keep_users_files(self, written: dict[str, str]) -> None:
        """Copy the user's edited and added files from the old DIR over the new build (unless forced)."""
        if self.previous is None or self.force or not self.target.is_dir():
            return
        for relative in _files(self.target):
            source = self.target / relative
            generated = self.previous.get(relative)
            if generated is None:
                self.outcome.kept_added.append(relative)
            elif sha256_file(source) != generated:
                self.outcome.kept_edited.append(relative)
                written[relative] = generated  # still edited next time: the manifest keeps what planner wrote
            else:
                continue
            destination = self.staging / relative
            if destination.is_dir():
                shutil.rmtree(destination)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)

    def _finish(self) -> None:
        written = {relative: sha256_file(self.staging / relative) for relative in _files(self.staging)}
        self._keep_users_files(written)
        for relative in self.outcome.kept_added:
            written.pop(relative, None)
        write_manifest(self.staging, written)
        if not self.target.exists():
            os.rename(self.staging, self.target)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}{OLD_MARK}", dir=self.target.parent))
        os.rmdir(old)
        os.rename(self.target, old)  # from here until the next rename, recover() can put it back
        os.rename(self.staging, self.target)
        shutil.rmtree(old, ignore_errors=True)
