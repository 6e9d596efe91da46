"""The capture hook `planner generate --capture` hands to generation (``planner.generate.CaptureHook``).

Generation calls it with one ``CaptureRequest`` per image before it rewires configs, so captured files are
rewired like recorded ones; it answers one ``CaptureResult`` per image in the models' terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.capture import CaptureRequest, CaptureResult, capture
from planner.capture.select import DEFAULT_CAP_BYTES
from planner.models import generation


def to_model(result: CaptureResult) -> generation.CaptureResult:
    """Our result as the generation model: files at their image paths (links stay in the context, unlisted)."""
    files = [generation.ContextFile(path="/" + entry.path.removeprefix("rootfs/"), source="capture",
                                    sha256=entry.sha256, size=entry.size)
             for entry in result.files if entry.link is None]
    status = "captured" if result.status == "captured" else "failed"
    return generation.CaptureResult(status=status, files=files, bytes=result.bytes,
                                    skipped=[f"{item.path}: {item.reason}" for item in result.skipped],
                                    message=result.error)


def capture_hook(inventory: str | dict[str, Any], *, cap_bytes: int = DEFAULT_CAP_BYTES,
                 excludes: list[str] | None = None, become: bool = False,
                 progress: Callable[[str, str, str], None] | None = None,
                 ) -> Callable[[Sequence[generation.CaptureRequest]], Mapping[str, generation.CaptureResult]]:
    """A hook capturing each request's paths from its guest with ``inventory``'s connection settings."""
    def hook(requests: Sequence[generation.CaptureRequest]) -> Mapping[str, generation.CaptureResult]:
        ours = [CaptureRequest(image=r.image, host=r.host, paths=list(r.paths), data_paths=list(r.data_paths),
                               context=Path(r.rootfs).parent) for r in requests]
        results = capture(ours, inventory, cap_bytes=cap_bytes, excludes=excludes, become=become,
                          progress=progress)
        return {result.image: to_model(result) for result in results}

    return hook
