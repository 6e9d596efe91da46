"""The capture hook speaks generation's models: files at their image paths, skips as 'PATH: why' lines."""

from __future__ import annotations

from pathlib import Path

from planner.capture import CaptureResult
from planner.capture.hook import capture_hook, to_model
from planner.capture.select import Skipped
from planner.capture.unpack import FileEntry
from planner.cli.generate import capture_option
from planner.models.generation import CaptureRequest


def test_to_model_paths_links_and_skips() -> None:
    result = CaptureResult("web-nginx", "captured", files=[
        FileEntry("rootfs/etc/nginx/nginx.conf", "a" * 64, 10, "0644", "root", "root"),
        FileEntry("rootfs/etc/nginx/sites-enabled/default", "b" * 64, 0, "link", link="../sites-available/default"),
    ], skipped=[Skipped("/srv/app/node_modules", "node_modules (the build recreates it)")])
    model = to_model(result)
    assert model.status == "captured" and model.bytes == 10
    assert [(f.path, f.source, f.size) for f in model.files] == [("/etc/nginx/nginx.conf", "capture", 10)]
    assert model.skipped == ["/srv/app/node_modules: node_modules (the build recreates it)"]
    assert to_model(CaptureResult("x", "failed", error="unreachable: ssh")).message == "unreachable: ssh"


def test_hook_without_paths_asks_no_guest(tmp_path: Path) -> None:
    """Nothing to fetch: no Ansible run, the image is 'captured' with nothing (an inventory that lists no such
    host would otherwise fail)."""
    hook = capture_hook({"all": {"hosts": {}}})
    request = CaptureRequest(image="a-redis", vm="a", host="a", paths=["relative"], data_paths=[],
                             rootfs=str(tmp_path / "context" / "rootfs"))
    results = hook([request])
    assert results["a-redis"].status == "captured" and results["a-redis"].files == []
    assert results["a-redis"].skipped == ["relative: not an absolute path"]


def test_capture_option() -> None:
    """No inventory, no capture; the choice of inventory is capture_inventory's (test_discovery_settings.py)."""
    assert capture_option(None) is None
    assert callable(capture_option("web,"))
