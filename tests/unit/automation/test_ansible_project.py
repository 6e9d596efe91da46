"""The generated Ansible project: layout, inventory, FQCN modules, no secrets, ansible-lint production, syntax."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from planner.automation.ansible_project import playbooks, task_files

PLAYBOOKS = ["build.yml", "deploy.yml", "cutover.yml", "rollback.yml", "validate.yml"]
BIN = Path(sys.executable).parent


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: ("UNSAFE", loader.construct_scalar(node)))


def load(path: Path):
    return yaml.load(path.read_text(), Loader=_Loader)


def test_layout(automation):
    root = automation / "ansible"
    for relative in ["ansible.cfg", "inventory/hosts.yml", "inventory/group_vars/all.yml",
                     "inventory/group_vars/vms.yml", "requirements.yml", "README.md", "roles/planner/tasks/main.yml",
                     "roles/planner/files/planner-probe.py", *(f"playbooks/{name}" for name in PLAYBOOKS)]:
        assert (root / relative).is_file(), relative
    assert "inventory = inventory/hosts.yml" in (root / "ansible.cfg").read_text()


def test_inventory_groups_hosts_per_wave_and_keeps_discovery_connection(automation):
    inventory = load(automation / "ansible" / "inventory" / "hosts.yml")["all"]["children"]
    hosts = inventory["vms"]["hosts"]
    assert hosts["web"]["ansible_host"] == ("UNSAFE", "127.0.77.11")
    assert hosts["web"]["planner_vcenter_datacenter"] == ("UNSAFE", "DC0")
    assert hosts["redis"]["planner_service"] == ("UNSAFE", "redis-server")
    assert hosts["api"]["planner_service"] == ""  # plain: Ansible reads !unsafe "" as null
    redis = hosts["redis"]["planner_containers"][0]
    assert redis["mounts"] == [{"type": "volume", "source": ("UNSAFE", "redis-redis-var-lib-redis"),
                                "target": ("UNSAFE", "/var/lib/redis")}]
    web = hosts["web"]["planner_containers"][0]
    assert web["etc_hosts"] == {"app-python-wsgi": ("UNSAFE", "127.0.77.12")}
    waves = {name for name in inventory if name.startswith("wave_")}
    assert waves and all(set(inventory[w]["hosts"]) <= set(hosts) for w in waves)
    assert set().union(*(inventory[w]["hosts"] for w in waves)) == set(hosts)
    assert "docker_host" in inventory["container_hosts"]["hosts"]
    connection = load(automation / "ansible" / "inventory" / "group_vars" / "vms.yml")
    assert connection["ansible_user"] == ("UNSAFE", "root") and connection["ansible_port"] == 2277


def test_no_password_is_written(automation):
    for path in (automation / "ansible").rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "never-written" not in text and "ansible_password" not in text, path


def _modules(tasks):
    for task in tasks:
        yield next(key for key in task if "." in key or key not in {
            "name", "register", "loop", "loop_control", "when", "delegate_to", "until", "retries", "delay",
            "changed_when", "check_mode"})


def test_every_module_is_fully_qualified():
    modules = {module for tasks in task_files().values() for module in _modules(tasks)}
    modules |= {module for plays in playbooks().values() for play in plays for module in _modules(play["tasks"])}
    assert modules and all(module.count(".") >= 2 for module in modules), modules
    assert {"vmware.vmware.vm_snapshot", "vmware.vmware.vm_powerstate", "community.vmware.vmware_guest_snapshot",
            "ansible.posix.synchronize", "community.docker.docker_container"} <= modules


def test_cutover_stops_before_touching_a_vm_when_preflight_fails():
    steps = [task["ansible.builtin.include_role"]["tasks_from"] for task in playbooks()["cutover.yml"][0]["tasks"]]
    assert steps[0] == "preflight_cutover" and steps.index("snapshot") > 0
    assert playbooks()["cutover.yml"][0]["any_errors_fatal"] is True
    names = [task["name"] for task in task_files()["preflight_cutover"]]
    assert all(name.startswith("Preflight |") for name in names)
    assert not any(module.startswith("vmware.vmware.vm_") for module in _modules(task_files()["preflight_cutover"]))


def test_build_rebuilds_from_the_generated_folder_every_run():
    """A tag left by an older generate run (same name, other context) must not stand in for the new image: the
    build task builds every run; the layer cache keeps an unchanged folder's image id, so it reports no change
    (tests/integration/test_wave_cutover.py tags a stale image and checks build.yml replaces it)."""
    build = next(task for task in task_files()["build"] if "community.docker.docker_image" in task)
    assert build["community.docker.docker_image"]["source"] == "build"
    assert build["community.docker.docker_image"]["force_source"] is True


def _tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[dev]')")
    return str(path)


def test_syntax_check(automation):
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    for name in PLAYBOOKS:
        result = subprocess.run([_tool("ansible-playbook"), "--syntax-check", f"playbooks/{name}"],
                                cwd=automation / "ansible", capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_production_profile(automation):
    result = subprocess.run([_tool("ansible-lint"), "--profile", "production", "--offline", "--nocolor"],
                            cwd=automation / "ansible", capture_output=True, text=True, check=False,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr
