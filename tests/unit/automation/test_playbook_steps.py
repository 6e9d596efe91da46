"""Steps of the generated playbooks run by real Ansible on this machine (no vCenter, no guests needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from planner.automation import ansible_roles, write_automation

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
ENV = {**os.environ, "ANSIBLE_NOCOLOR": "1"}


def _play(tmp_path: Path, tasks: list, variables: dict) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([{"name": "Steps", "hosts": "localhost", "gather_facts": False,
                                     "vars": variables, "tasks": tasks}]))
    return subprocess.run([ANSIBLE_PLAYBOOK, str(path)], capture_output=True, text=True, check=False, env=ENV,
                          cwd=tmp_path)


def test_switch_reports_nothing_was_switched_unless_the_user_wrote_the_step(tmp_path):
    variables = {"planner_switch_files": [f"{tmp_path}/switch/{{{{ inventory_hostname }}}}.yml",
                                          f"{tmp_path}/switch/default.yml"]}
    result = _play(tmp_path, ansible_roles.switch(), variables)
    assert result.returncode == 0, result.stdout
    assert "NOTHING WAS SWITCHED for localhost" in result.stdout
    (tmp_path / "switch").mkdir()
    (tmp_path / "switch" / "localhost.yml").write_text(
        "- name: Move the address\n  ansible.builtin.debug:\n    msg: USER-SWITCH-RAN\n")
    result = _play(tmp_path, ansible_roles.switch(), variables)
    assert result.returncode == 0, result.stdout
    assert "USER-SWITCH-RAN" in result.stdout and "NOTHING WAS SWITCHED" not in result.stdout


def test_cutover_stops_at_preflight_before_touching_the_vm(tmp_path, generated_images):
    """The container host does not answer: the play ends in preflight; no snapshot, stop or power-off runs."""
    write_automation(tmp_path, generated_images.document, only={"ansible"})
    result = subprocess.run([ANSIBLE_PLAYBOOK, "playbooks/cutover.yml", "--limit", "redis"],
                            cwd=tmp_path / "ansible", capture_output=True, text=True, check=False,
                            env={**ENV, "DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode != 0
    assert "Preflight | the container host answers" in result.stdout
    for step in ("VMware | snapshot", "Guest | stop", "Sync |", "VMware | power"):
        assert step not in result.stdout, step
