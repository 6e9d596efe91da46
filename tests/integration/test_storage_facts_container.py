"""Issue 15: `collect.sh storage` inside a real Debian guest container, with an NFS export configured and a process
holding a block device open, read back by the parser and judged by GST014 / GST015.

The container has no network (``network_mode="none"``); the block device is one of this machine's, passed in
read-only (``--device DEV:DEV:r``) and only opened for reading, so nothing outside the container is changed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from planner.assess import assess_estate
from planner.assess.facts import facts_from_discovery
from planner.discovery import storagefacts
from planner.discovery.runner import PLAYBOOK_DIR
from planner.models.discovery import GuestDiscovery
from tests.support.guests import ensure_guest_image
from tests.unit.assess.conftest import key_of, make_estate, make_vm

pytestmark = pytest.mark.docker

SCRIPT = PLAYBOOK_DIR / "files" / "collect.sh"
GUEST = r"""
set -e
mkdir -p /etc/exports.d
printf '%s\n' '# shared with the report servers' '/srv/share   192.0.2.0/24(rw,sync) \' \
  '             198.51.100.7(ro)' > /etc/exports
printf '%s\n' '/export/scans *(ro,all_squash)' > /etc/exports.d/scans.exports
(exec 3<"$DEVICE"; exec sleep 60) &
tries=0
until { [ "$(readlink /proc/$!/fd/3 2>/dev/null)" = "$DEVICE" ] && [ "$(cat /proc/$!/comm)" = sleep ]; } \
      || [ $tries -ge 100 ]; do
  tries=$((tries + 1)); sleep 0.1
done
sh /collect.sh storage
kill $! 2>/dev/null || true
"""


def _block_device() -> str | None:
    """A block device of this machine that can be opened read-only (an unused loop device is ideal)."""
    candidates = sorted(Path("/dev").glob("loop[0-9]*")) + sorted(Path("/dev").iterdir())
    for path in candidates:
        try:
            if path.is_block_device():
                os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
                return str(path)
        except OSError:
            continue
    return None


def test_exports_and_an_open_block_device_are_found_in_a_guest(docker_engine: Any, debian_base_image: str) -> None:
    device = _block_device()
    if device is None:
        pytest.skip("no block device to hand to the container")
    image = ensure_guest_image(docker_engine, debian_base_image)
    output = docker_engine.containers.run(
        image, ["sh", "-c", GUEST], environment={"DEVICE": device}, network_mode="none", remove=True,
        volumes={str(SCRIPT): {"bind": "/collect.sh", "mode": "ro"}}, devices=[f"{device}:{device}:r"],
        stdout=True, stderr=False).decode("utf-8", "replace")

    guest = GuestDiscovery(host="nfs-guest", vm="files01")
    storagefacts.apply(output, guest)
    assert guest.nfs_exports == ["/srv/share 192.0.2.0/24(rw,sync) 198.51.100.7(ro)",
                                 "/export/scans *(ro,all_squash)"]
    assert guest.nfs_server is False  # exports configured, no nfsd in the container: nothing is served
    assert [(b.process, b.device) for b in guest.block_devices] == [("sleep", device)]

    facts = facts_from_discovery(GuestDiscovery.model_validate_json(guest.model_dump_json()))
    assert facts is not None
    vm = make_vm(name="files01")
    result = assess_estate(make_estate([vm]), facts={key_of(vm): facts}).vms[0]
    fired = {f.rule: f for f in result.findings}
    assert "GST015" in fired and device in fired["GST015"].evidence["devices"][0]
    assert "GST014" not in fired  # the kernel NFS server does not run
