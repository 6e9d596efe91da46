"""`planner plan` end to end on real parts: VMs named after the web -> app -> redis stack guests are created in the
vCenter simulator through the vSphere API, collected, the guests (containers with their own sshd on 127.0.78.x)
discovered over SSH while traffic flows, then `planner plan` runs offline (no capture). plan.json is checked against
its schema and the seeded truth: 3 VMs, waves in dependency order (redis, then app, then web), stacks nginx,
python-wsgi and redis, and the generated artifacts on disk. A second plan captures from the guests (the inventory
discovery ran with) and `planner verify --compare` builds, runs and probes its images beside the guests."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from planner.cli import main
from planner.plan import SCHEMA_PATH
from tests.support.cleanup import generated_images, remove_generated
from tests.support.components import require
from tests.support.guests import TrafficGenerator
from tests.support.stack_guests import GUESTS, MOVE_GROUP, running_stacks

pytestmark = [pytest.mark.vcsim, pytest.mark.docker, pytest.mark.ansible,
              pytest.mark.xdist_group("stack-guests")]  # the stack guests own 127.0.78.x: one module at a time


def _run(*args: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--debug", *args])
    assert exited.value.code == 0, f"planner {' '.join(args)} exited {exited.value.code}"


def _wait(task: Any) -> None:
    deadline = time.monotonic() + 60
    while task.info.state not in ("success", "error"):
        assert time.monotonic() < deadline, f"task {task} did not finish"
        time.sleep(0.1)
    assert task.info.state == "success", task.info.error


def _seed(server: Any, names: tuple[str, ...]) -> None:
    """Powered-on Debian 12 VMs named after the guests, created as a vCenter holds them (small: 2 vCPUs
    and 2 GiB were wider than one NUMA node of the simulated host, a PRF003 finding that made them refactor)."""
    from pyVmomi import vim

    content = server.connect().RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    cluster = datacenter.hostFolder.childEntity[0]
    for name in names:
        spec = vim.vm.ConfigSpec(name=name, guestId="debian12_64Guest", numCPUs=1, memoryMB=1024,
                                 files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"))
        task = datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool)
        _wait(task)
        _wait(task.info.result.PowerOnVM_Task())


@pytest.fixture
def planned(vcsim_factory: Any, docker_engine: Any, debian_base_image: str, tmp_path: Path
            ) -> Iterator[tuple[Path, Path, dict[str, Any]]]:
    """The plan of the collected and discovered snapshot, and one `planner plan --server` made after collecting
    the vCenter again (a second snapshot: the discovery carries forward to it)."""
    missing = [tool for tool in ("ansible-playbook", "ssh") if shutil.which(tool) is None]
    if missing:
        require("ansible", f"missing {', '.join(missing)}")
    server = vcsim_factory(dc=1, cluster=1, host=1, vm=0)
    _seed(server, MOVE_GROUP)
    db, password = tmp_path / "planner.db", tmp_path / "pw"
    password.write_text(server.password)
    _run("--db", str(db), "inventory", "collect", "--server", f"127.0.0.1:{server.port}", "--user", server.user,
         "--password-file", str(password), "--ca-file", str(server.cert_path))
    with running_stacks(docker_engine, debian_base_image, tmp_path, list(MOVE_GROUP)) as guests:
        with TrafficGenerator(url=f"http://{GUESTS['web']}:80/") as traffic:
            _run("--db", str(db), "discover", "run", "-i", str(guests.inventory_path), "--samples", "3",
                 "--interval", "1", "--timeout", "60", "-o", str(tmp_path / "discovery.txt"))
        assert traffic.requests > 5 and traffic.errors == 0
        captured = tmp_path / "captured"
        try:
            # --base-images: the generated FROM lines resolve to the local Debian base (no registry here)
            _run("--db", str(db), "plan", "--capture", "-o", str(captured), "--base-images",
                 str(_base_images(tmp_path, debian_base_image)))
            report = tmp_path / "verify.json"
            with pytest.raises(SystemExit):
                main(["verify", str(captured / "artifacts"), "--compare", "-f", "json", "-o", str(report)])
            verified = json.loads(report.read_text())
        finally:
            remove_generated(docker_engine, generated_images(captured / "artifacts"))
    out, again = tmp_path / "plan", tmp_path / "again"
    _run("--db", str(db), "plan", "-o", str(out))
    _run("--db", str(db), "plan", "--server", f"127.0.0.1:{server.port}", "--user", server.user, "--password-file",
         str(password), "--ca-file", str(server.cert_path), "-o", str(again))
    yield out, again, verified


def _base_images(folder: Path, base: str) -> Path:
    path = folder / "base-images.yaml"
    path.write_text(yaml.safe_dump({"images": {name: base for name in (
        "debian:bookworm", "debian:bookworm-slim", "debian:12", "debian:12-slim")}}))
    return path


def test_plan_of_the_seeded_estate(planned: tuple[Path, Path, dict[str, Any]]) -> None:
    planned, again, verified = planned
    plan = json.loads((planned / "plan.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(plan)
    assert plan["source"]["kind"] == "store" and plan["summary"]["vms"] == 3
    assert plan["dependencies"]["known"] is True
    vms = {vm["name"]: vm for vm in plan["vms"]}
    assert set(vms) == set(MOVE_GROUP)
    assert all(vm["guest_data"] and vm["strategy"] == "containerize" for vm in vms.values()), \
        {name: (vm["strategy"], [f["rule"] for f in vm["findings"]]) for name, vm in vms.items()}
    assert vms["redis"]["wave"] < vms["app"]["wave"] < vms["web"]["wave"]  # providers first
    waves = {wave["number"]: wave["vms"] for wave in plan["waves"]}
    assert sorted(key for keys in waves.values() for key in keys) == sorted(vm["key"] for vm in vms.values())
    assert {name: [s["stack"] for s in vm["stacks"]] for name, vm in vms.items()} == {
        "web": ["nginx"], "app": ["python-wsgi"], "redis": ["redis"]}
    for vm in vms.values():
        assert vm["artifacts"] and all((planned / path).is_file() for path in vm["artifacts"])
    risks = [risk for risk in plan["risks"] if risk["kind"] == "cross-wave-dependency"]
    assert {tuple(risk["vms"]) for risk in risks} == {(vms["web"]["key"], vms["app"]["key"]),
                                                     (vms["app"]["key"], vms["redis"]["key"])}
    assert (planned / "artifacts/ansible/playbooks/cutover.yml").is_file()
    assert (planned / ".planner-manifest.json").is_file()
    collected = json.loads((again / "plan.json").read_text(encoding="utf-8"))
    assert collected["source"]["kind"] == "vcenter" and collected["source"]["snapshot"] == "#2"
    assert [(vm["name"], vm["wave"]) for vm in collected["vms"]] == [(vm["name"], vm["wave"]) for vm in plan["vms"]]
    # the end to end: the captured plan's images of the guests answer like the guests (verify --compare)
    assert {image["vm_name"] for image in verified["images"]} == set(MOVE_GROUP), verified
    assert verified["failed"] == 0, "\n".join(f"{i['name']}: {i['status']} {i.get('reason')}\n{i.get('log_tail')}"
                                              for i in verified["images"])
    web = next(image for image in verified["images"] if image["vm_name"] == "web")
    assert "redis=PONG" in web["probe"]["answer"]  # nginx -> app -> redis, the three containers together
