"""The generated Ansible project run for real, through ansible-runner: the vCenter simulator (patched for the
snapshot modules, tests/vcsim/govmomi-0.24-snapshots.patch), the local Docker engine and the nginx -> Python ->
Redis guests over SSH (tests/support/stack_guests.py: their services start as their Debian packages start them).

The guests are discovered over SSH, generated with capture, and VMs named after them are created in vcsim through
the vSphere API. Then: build.yml; cutover.yml per VM in dependency order (snapshot in vCenter, VM powered off,
service on the guest stopped, data synced into the volume, container healthy and answering the guest's probe);
rollback.yml for web (snapshot reverted, VM powered on, nginx answering from the guest again); deploy.yml twice
(the second run changes nothing) and in check mode. Seconds per VM are printed for the issue's closing note.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.automation import AutomationOptions, write_automation
from planner.automation.yamltext import lint_clean_yaml
from planner.capture.hook import capture_hook
from planner.discovery.runner import DiscoveryOptions, run_discovery
from planner.generate import GenerateOptions, generate
from planner.generate_policy import BaseImagePolicy
from planner.graph.matching import match_guests
from planner.models import Estate, Nic, PowerState, Vm
from tests.support.cleanup import generated_images, leftovers, remove_generated
from tests.support.components import require
from tests.support.guests import TrafficGenerator
from tests.support.stack_guests import GUESTS, MOVE_GROUP, STACKS, running_stacks

pytestmark = [pytest.mark.vcsim, pytest.mark.docker, pytest.mark.ansible,
              pytest.mark.xdist_group("stack-guests")]  # the stack guests own 127.0.78.x: one module at a time
ORDER = ["redis", "app", "web"]  # dependencies first: each container finds its peers already moved or still there
MARKER = "planner-cutover-marker"
CONTAINERS = ("web-nginx", "app-python-wsgi", "redis-redis")
VOLUME = "redis-redis-var-lib-redis"


def _runner(ansible_dir: Path, playbook: str, env: dict[str, str], *, limit: str | None = None,
            check: bool = False) -> Any:
    import ansible_runner

    cmdline = "--check" if check else None
    private = Path(tempfile.mkdtemp(prefix=f"runner-{Path(playbook).stem}-", dir=ansible_dir.parent))
    result = ansible_runner.run(private_data_dir=str(private),
                                project_dir=str(ansible_dir), playbook=playbook, limit=limit, envvars=env,
                                cmdline=cmdline, quiet=True,
                                extravars={"planner_probe_path": str(ansible_dir.parent / "planner-probe")})
    if result.rc != 0:
        failed = [event["event_data"].get("res") for event in result.events
                  if event.get("event") in ("runner_on_failed", "runner_on_unreachable")]
        pytest.fail(f"{playbook} --limit {limit} failed (rc {result.rc}): {json.dumps(failed, default=str)[:3000]}")
    return result


def _changed(result: Any) -> int:
    return sum((result.stats or {}).get("changed", {}).values())


def _create_vms(si: Any, names: list[str]) -> dict[str, Any]:
    """VMs named after the guests, powered on, created through the vSphere API as a vCenter would hold them."""
    from pyVmomi import vim

    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    cluster = datacenter.hostFolder.childEntity[0]
    vms = {}
    for name in names:
        spec = vim.vm.ConfigSpec(name=name, guestId="debian12_64Guest", numCPUs=1, memoryMB=512,
                                 files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"))
        task = datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool)
        _wait(task)
        vm = task.info.result
        _wait(vm.PowerOnVM_Task())
        vms[name] = vm
    return vms


def _estate(vms: dict[str, Any]) -> Estate:
    """The snapshot an inventory collect of that vCenter gives: the VMs with their moids and guest addresses (the
    dependency graph links them through the guests' connections)."""
    return Estate(collected_at=datetime.now(UTC), vms=[
        Vm(name=name, source="vcsim", moid=vm._moId, power_state=PowerState.ON, num_cpu=1, guest_ips=[GUESTS[name]],
           nics=[Nic(label="Network adapter 1", ips=[GUESTS[name]])]) for name, vm in vms.items()])


def _wait(task: Any) -> None:
    deadline = time.monotonic() + 60
    while task.info.state not in ("success", "error"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task} did not finish")
        time.sleep(0.1)
    assert task.info.state == "success", task.info.error


def _snapshots(vm: Any) -> list[str]:
    snapshot = vm.snapshot
    return [tree.name for tree in snapshot.rootSnapshotList] if snapshot else []


def _guest_exec(container: Any, *argv: str) -> tuple[int, str]:
    code, output = container.exec_run(list(argv))
    return code, output.decode(errors="replace")


def _http(address: str, port: int) -> str:
    with urllib.request.urlopen(f"http://{address}:{port}/", timeout=10) as response:
        return response.read().decode(errors="replace")


@pytest.fixture
def moved(vcsim_factory: Any, docker_engine: Any, debian_base_image: str, tmp_path: Path) -> Any:
    """The move group's guests and a vCenter; after the test (pass or fail) the guests, the cutover's containers
    and volumes and the images built from the generated folder are gone, and nothing else is left."""
    missing = [tool for tool in ("ansible-playbook", "ssh", "rsync") if shutil.which(tool) is None]
    if missing:
        require("ansible", f"missing {', '.join(missing)} (apt-get install openssh-client rsync)")
    since = datetime.now(UTC).replace(microsecond=0)
    stale = [{"name": name, "tag": f"planner/{name}:0.1",
              "volumes": ["/var/lib/redis"] if name == "redis-redis" else []} for name in CONTAINERS]
    remove_generated(docker_engine, stale)  # an earlier, interrupted run's cutover
    try:
        with running_stacks(docker_engine, debian_base_image, tmp_path, list(MOVE_GROUP)) as guests:
            try:
                yield guests, vcsim_factory(dc=1, cluster=1, host=1, vm=0)
            finally:  # the cutover's containers listen on the guests' addresses: gone before the guests are
                remove_generated(docker_engine, generated_images(tmp_path / "generated"))
    finally:
        images = generated_images(tmp_path / "generated")
        remove_generated(docker_engine, images)
    left = leftovers(docker_engine, images, since)
    assert not left, f"the cutover test left {', '.join(left)}"


def test_build_cutover_rollback_and_an_idempotent_deploy(moved: Any, docker_engine: Any, debian_base_image: str,
                                                         tmp_path: Path) -> None:
    guests, server = moved
    inventory = str(guests.inventory_path)
    code, output = _guest_exec(guests.containers["redis"], "sh", "-c",
                               "apt-get update -qq >/dev/null && apt-get install -y -qq rsync >/dev/null && "
                               f"echo {MARKER} > /var/lib/redis/{MARKER} && chown redis: /var/lib/redis/{MARKER}")
    assert code == 0, output  # the stack image has no rsync: the data sync needs it on the guest

    with TrafficGenerator(url=f"http://{STACKS['web'].address}:{STACKS['web'].port}/") as traffic:
        # connections web -> app -> redis while discovery samples: the generated images name their peers
        discovered = run_discovery(DiscoveryOptions(inventory=inventory, samples=2, interval=1,
                                                    task_timeout=60)).guests
    assert traffic.requests > 5 and traffic.errors == 0
    si = server.connect()
    vms = _create_vms(si, list(MOVE_GROUP))
    out = tmp_path / "generated"
    policy = BaseImagePolicy.model_validate({"images": {name: debian_base_image for name in (
        "debian:bookworm", "debian:bookworm-slim", "debian:12", "debian:12-slim")}})
    estate = _estate(vms)
    match_guests(estate, discovered)  # as `planner discover run` does: each guest is its VM
    result = generate(estate, discovered, GenerateOptions(
        output=out, vms=list(MOVE_GROUP), policy=policy, capture=capture_hook(inventory)))
    connection = yaml.safe_load(guests.inventory_path.read_text())["all"]["vars"]
    write_automation(out, result.document, AutomationOptions(connection=connection, datacenter="DC0"))
    images = {image["vm_name"]: image for image in result.document["images"]}
    assert images["web"]["peers"] == {images["app"]["name"]: STACKS["app"].address}, images["web"]
    assert images["app"]["peers"] == {images["redis"]["name"]: STACKS["redis"].address}, images["app"]
    stale = docker_engine.images.get(debian_base_image)  # a tag an older generate run left: build.yml replaces it
    stale.tag(*images["web"]["tag"].rsplit(":", 1))
    ansible = out / "ansible"
    host_vars = ansible / "inventory" / "host_vars"
    host_vars.mkdir()
    app = STACKS["app"]
    (host_vars / "app.yml").write_text(lint_clean_yaml({  # gunicorn runs without an init script on this guest
        "planner_stop_command": ["pkill", "-f", "gunicorn --bind"],
        "planner_start_command": ["env", f"REDIS_ADDR={STACKS['redis'].address}", "/usr/local/sbin/start-stack",
                                  "app", app.address]}))

    env = {"VMWARE_HOST": server.host, "VMWARE_PORT": str(server.port), "VMWARE_USER": server.user,
           "VMWARE_PASSWORD": server.password, "VMWARE_VALIDATE_CERTS": "false", "ANSIBLE_NOCOLOR": "1"}

    started = time.monotonic()
    _runner(ansible, "playbooks/build.yml", env)
    print(f"build.yml: {time.monotonic() - started:.1f} s")
    assert docker_engine.images.get(images["web"]["tag"]).id != stale.id, "build.yml kept the stale tag"
    probes = {role: _http(STACKS[role].address, STACKS[role].port) for role in ("web", "app")}

    seconds: dict[str, float] = {}
    for role in ORDER:
        started = time.monotonic()
        _runner(ansible, "playbooks/cutover.yml", env, limit=role)
        seconds[role] = time.monotonic() - started
        vm = vms[role]
        assert "planner-cutover" in _snapshots(vm)
        assert vm.runtime.powerState == "poweredOff"
        container = docker_engine.containers.get(f"{role}-" + next(
            e["stack"] for e in result.document["images"] if e["vm_name"] == role))
        assert container.attrs["State"]["Health"]["Status"] == "healthy"
    assert _guest_exec(guests.containers["redis"], "pgrep", "-x", "redis-server")[0] != 0  # stopped on the guest
    assert _guest_exec(guests.containers["web"], "pgrep", "-x", "nginx")[0] != 0
    volume = docker_engine.volumes.get(VOLUME).attrs["Mountpoint"]
    assert (Path(volume) / MARKER).read_text().strip() == MARKER  # the data was synced into the volume
    for role in ("web", "app"):  # the containers answer the same probe the guests did
        assert _http(STACKS[role].address, STACKS[role].port).split("=")[0] == probes[role].split("=")[0]
    print("cutover seconds per VM: " + ", ".join(f"{role} {value:.1f}" for role, value in seconds.items()))

    deploy = _runner(ansible, "playbooks/deploy.yml", env)
    again = _runner(ansible, "playbooks/deploy.yml", env)
    assert _changed(again) == 0, again.stats
    _runner(ansible, "playbooks/deploy.yml", env, check=True)
    print(f"deploy.yml changed {_changed(deploy)} then {_changed(again)}")

    started = time.monotonic()
    _runner(ansible, "playbooks/rollback.yml", env, limit="web")
    print(f"rollback seconds: web {time.monotonic() - started:.1f}")
    assert vms["web"].runtime.powerState == "poweredOn"
    reverts = [task.info for task in si.content.taskManager.recentTask
               if str(task.info.descriptionId).endswith("revertToSnapshot")]
    assert reverts and all(info.state == "success" and info.entity == vms["web"] for info in reverts)
    assert _guest_exec(guests.containers["web"], "pgrep", "-x", "nginx")[0] == 0  # the guest serves again
    assert not docker_engine.containers.list(all=True, filters={"name": "^web-nginx$"})  # removed, volumes stay
    assert _http(STACKS["web"].address, STACKS["web"].port)
    _runner(ansible, "playbooks/validate.yml", env, limit="app,redis")
    lint = subprocess.run([str(Path(sys.executable).parent / "ansible-lint"), "--profile", "production", "--offline",
                           "--nocolor"], cwd=ansible, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_COLOR": "1"})  # the project as run, with the user's host_vars
    assert lint.returncode == 0, lint.stdout + lint.stderr
    print("ansible-lint: " + (lint.stdout + lint.stderr).strip().splitlines()[-1])
