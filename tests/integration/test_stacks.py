"""Per stack, end to end: a real guest runs the stack -> discovered over SSH -> generated with capture -> the image
is BUILT, RUN on a free loopback address and answers the same probe as the guest (`planner verify --compare`).

One shared guest image holds every stack's Debian packages (tests/support/stack_guests.py). The nginx -> Python
(gunicorn) -> Redis move group has a guest each (127.0.78.11-13); the other nine stacks run on one `servers` guest
(127.0.78.14), a VM with several stacks and one image each. Every stack is started as its Debian package starts
it, as its own user. Generated images build on the local Debian base (the base-image policy maps the logical
images to it). Per-stack verify reports land in /tmp/planner-stack-reports for the issue's closing note.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.cli import main
from planner.models import Estate, Nic, PowerState, Vm
from planner.store import Store
from tests.support.cleanup import generated_images, leftovers, remove_generated
from tests.support.components import require
from tests.support.guests import TrafficGenerator
from tests.support.stack_guests import GUESTS, MOVE_GROUP, STACKS, running_stacks

pytestmark = [pytest.mark.docker, pytest.mark.ansible,
              pytest.mark.xdist_group("stack-guests")]  # the stack guests own 127.0.78.x: one module at a time

SERVER_STACKS = [role for role, stack in STACKS.items() if stack.guest == "servers"]
REPORTS = Path("/tmp/planner-stack-reports")


def _run(*args: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--debug", *args])
    assert exited.value.code == 0, f"planner {' '.join(args)} exited {exited.value.code}"


def _estate() -> Estate:
    return Estate(collected_at=datetime.now(UTC), vms=[
        Vm(name=name, source="vc-test", moid=f"vm-{name}", power_state=PowerState.ON, num_cpu=2, cluster="lab",
           guest_ips=[address], nics=[Nic(label="Network adapter 1", ips=[address])])
        for name, address in GUESTS.items()])


@pytest.fixture(scope="module")
def generated(docker_engine: Any, debian_base_image: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Path]:
    """The stack guests discovered over SSH (traffic flowing web -> app -> redis), then `generate --capture`."""
    missing = [tool for tool in ("ansible-playbook", "ssh", "ssh-keygen", "go") if shutil.which(tool) is None]
    if missing:
        require("ansible", f"missing {', '.join(missing)}")
    work = tmp_path_factory.mktemp("stacks")
    out = work / "generated"
    since = datetime.now(UTC).replace(microsecond=0)
    try:
        with running_stacks(docker_engine, debian_base_image, work, list(GUESTS)) as guests:
            db = work / "planner.db"
            with Store.open(db) as store:
                store.save(_estate(), origin="test")
            inventory = str(guests.inventory_path)
            with TrafficGenerator(url=f"http://{GUESTS['web']}:80/") as traffic:
                _run("--db", str(db), "discover", "run", "-i", inventory, "--samples", "3", "--interval", "1",
                     "--timeout", "60", "-o", str(work / "discovery.txt"))
            assert traffic.requests > 5 and traffic.errors == 0
            policy = work / "base-images.yaml"
            policy.write_text(yaml.safe_dump({"images": {
                name: debian_base_image for name in ("debian:bookworm", "debian:bookworm-slim", "debian:12",
                                                     "debian:12-slim")}}))
            _run("--db", str(db), "generate", "-o", str(out), "--base-images", str(policy), "--capture", "-i",
                 inventory, *[arg for name in GUESTS for arg in ("--vm", name)])
            yield out
    finally:  # pass or fail: the guests are gone (running_stacks), so are the images generated from them
        images = generated_images(out)
        remove_generated(docker_engine, images)
    left = leftovers(docker_engine, images, since)
    assert not left, f"the stack tests left {', '.join(left)}"


def _verify(generated: Path, vms: list[str], name: str) -> dict[str, Any]:
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"{name}.json"
    with pytest.raises(SystemExit):
        main(["verify", str(generated), "--compare", "--format", "json", "-o", str(report),
              *[arg for vm in vms for arg in ("--vm", vm)]])
    return dict(json.loads(report.read_text()))


def _explain(images: list[dict[str, Any]]) -> str:
    return "\n".join(f"{i['name']}: {i['status']} {i['reason']}\n{i['log_tail']}" for i in images)


def _index(generated: Path) -> list[dict[str, Any]]:
    return list(json.loads((generated / "generate.json").read_text())["images"])


def test_move_group_nginx_python_redis_verified_together(generated: Path) -> None:
    index = {image["vm_name"]: image for image in _index(generated) if image["vm_name"] in MOVE_GROUP}
    assert set(index) == set(MOVE_GROUP), index
    # the rewiring names each discovered peer by its image: web -> app -> redis (verified together)
    assert list(index["web"]["peers"]) == [index["app"]["name"]], index["web"]
    assert list(index["app"]["peers"]) == [index["redis"]["name"]], index["app"]
    document = _verify(generated, list(MOVE_GROUP), "move-group")
    assert document["failed"] == 0, _explain(document["images"])
    web = next(image for image in document["images"] if image["vm_name"] == "web")
    assert "redis=PONG" in web["probe"]["answer"]  # nginx -> app -> redis, all three containers


@pytest.fixture(scope="module")
def servers_report(generated: Path) -> dict[str, Any]:
    """`planner verify --vm servers --compare`: the nine images of the VM with several stacks."""
    return _verify(generated, ["servers"], "servers")


KNOWN_GENERATION_GAPS: dict[str, str] = {}
"""role -> why its case is expected to fail (non-strict xfail); empty: every stack builds, runs and answers."""


@pytest.mark.parametrize("role", [
    pytest.param(role, marks=pytest.mark.xfail(strict=False, reason=KNOWN_GENERATION_GAPS[role]))
    if role in KNOWN_GENERATION_GAPS else role for role in SERVER_STACKS])
def test_stack_builds_runs_and_answers_like_its_guest(generated: Path, servers_report: dict[str, Any],
                                                      role: str) -> None:
    port = STACKS[role].port
    names = [image["name"] for image in _index(generated)
             if image["vm_name"] == "servers" and (image.get("probe") or {}).get("port") == port]
    assert names, f"no image of the servers VM probes port {port} ({role})"
    images = [image for image in servers_report["images"] if image["name"] in names]
    assert images and all(image["status"] == "pass" for image in images), _explain(images)
