"""Per stack, end to end: a real guest runs the stack -> discovered over SSH -> generated with capture -> the image
is BUILT, RUN on a free loopback address and answers the same probe as the guest (`planner verify --compare`).

One shared guest image holds every stack's Debian packages (tests/support/stack_guests.py); each stack runs in its
own guest container on its own 127.0.78.N, started as its package starts it, as its own user. Generated images
build on the local Debian base (the base-image policy maps the logical images to it). The nginx -> Python ->
Redis move group is verified together, wired to each other by the rewiring.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.cli import main
from planner.models import Estate, Nic, PowerState, Vm
from planner.store import Store
from tests.support.components import require
from tests.support.stack_guests import MOVE_GROUP, STACKS, running_stacks

pytestmark = [pytest.mark.docker, pytest.mark.ansible]

SINGLE = [role for role in STACKS if role not in MOVE_GROUP]
REPORTS = Path("/tmp/planner-stack-reports")  # per-stack verify reports, for the closing note


def _run(*args: str, expect: int = 0) -> None:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == expect, f"planner {' '.join(args)} exited {exited.value.code}"


def _estate() -> Estate:
    return Estate(collected_at=datetime.now(UTC), vms=[
        Vm(name=role, source="vc-test", moid=f"vm-{role}", power_state=PowerState.ON, num_cpu=2, cluster="lab",
           guest_ips=[stack.address], nics=[Nic(label="Network adapter 1", ips=[stack.address])])
        for role, stack in STACKS.items()])


@pytest.fixture(scope="module")
def generated(docker_engine: Any, debian_base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All stack guests discovered over SSH, then `planner generate --capture` into one folder."""
    missing = [tool for tool in ("ansible-playbook", "ssh", "ssh-keygen", "go") if shutil.which(tool) is None]
    if missing:
        require("ansible", f"missing {', '.join(missing)}")
    work = tmp_path_factory.mktemp("stacks")
    with running_stacks(docker_engine, debian_base_image, work, list(STACKS)) as guests:
        db = work / "planner.db"
        with Store.open(db) as store:
            store.save(_estate(), origin="test")
        inventory = str(guests.inventory_path)
        _run("--db", str(db), "discover", "run", "-i", inventory, "--timeout", "60", "-o", str(work / "disc.json"))
        policy = work / "base-images.yaml"
        policy.write_text(yaml.safe_dump({"images": {
            name: debian_base_image for name in ("debian:bookworm", "debian:bookworm-slim", "debian:12",
                                                 "debian:12-slim")}}))
        out = work / "generated"
        _run("--db", str(db), "generate", "-o", str(out), "--base-images", str(policy), "--capture", "-i", inventory,
             *[arg for role in STACKS for arg in ("--vm", role)])
        yield out


def _verify(generated: Path, roles: list[str], name: str) -> dict[str, Any]:
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"{name}.json"
    args = ["verify", str(generated), "--compare", "--format", "json", "-o", str(report)]
    for role in roles:
        args += ["--vm", role]
    with pytest.raises(SystemExit):
        main(args)
    return json.loads(report.read_text())


def _explain(document: dict[str, Any]) -> str:
    return "\n".join(f"{i['name']}: {i['status']} {i['reason']}\n{i['log_tail']}" for i in document["images"])


def test_move_group_nginx_python_redis_verified_together(generated: Path) -> None:
    document = _verify(generated, list(MOVE_GROUP), "move-group")
    index = json.loads((generated / "generate.json").read_text())
    stacks = {image["vm_name"] for image in index["images"]}
    assert set(MOVE_GROUP) <= stacks, index["images"]
    assert document["failed"] == 0, _explain(document)
    web = next(image for image in document["images"] if image["vm_name"] == "web")
    assert "redis=PONG" in web["probe"]["answer"]  # nginx -> app -> redis, all three containers


@pytest.mark.parametrize("role", SINGLE)
def test_stack_builds_runs_and_answers_like_its_guest(generated: Path, role: str) -> None:
    document = _verify(generated, [role], role)
    assert document["images"], f"no image generated for {role}"
    assert document["failed"] == 0, _explain(document)
