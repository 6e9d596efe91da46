"""A patched copy of Debian's govmomi source for vcsim (``tests/vcsim/govmomi-0.24-snapshots.patch``).

``patched_gopath()`` copies ``/usr/share/gocode/src`` once into the test cache, applies the patch there (the
system copy is never touched) and returns the copy as the ``GOPATH`` the simulator is built with.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PATCH = Path(__file__).resolve().parent.parent / "vcsim" / "govmomi-0.24-snapshots.patch"
GOVMOMI = Path("src") / "github.com" / "vmware" / "govmomi"


def patch_key() -> str:
    return hashlib.sha256(PATCH.read_bytes()).hexdigest()[:12]


def patched_gopath(gopath: Path, cache: Path) -> Path:
    """``cache/gopath-<patch hash>``: ``gopath``'s source with the patch applied (made once, atomically)."""
    target = cache / f"gopath-{patch_key()}"
    if (target / GOVMOMI / "simulator").is_dir():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".gopath-", dir=cache))
    try:
        shutil.copytree(gopath / "src", staging / "src", symlinks=True)
        result = subprocess.run(["patch", "-p1", "--forward", "--batch", "-i", str(PATCH)],
                                cwd=staging / GOVMOMI, capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"patching govmomi with {PATCH.name} failed:\n{result.stdout}{result.stderr}")
        if target.exists():
            return target
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
