"""`.venv/bin/planner discover run` works when the venv's bin/ is not on PATH (no `activate`, or a pipx install):
planner finds the Ansible commands of its own interpreter first, then PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.discovery import runner
from planner.errors import ExecutionError
from tests.support.components import require

ROOT = Path(__file__).resolve().parents[3]
ANSIBLE_COMMANDS = ("ansible-playbook", "ansible-inventory")


def path_without_ansible() -> str:
    """The current PATH less every directory that holds an Ansible command (the venv's bin/ among them)."""
    entries = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(entry for entry in entries
                           if entry and not any((Path(entry) / name).exists() for name in ANSIBLE_COMMANDS))


@pytest.fixture
def own_ansible() -> Path:
    """The directory of this interpreter's Ansible commands (the venv planner runs in)."""
    here = Path(sys.executable).parent
    if not all((here / name).exists() for name in ANSIBLE_COMMANDS):
        require("ansible", f"ansible-core is not installed beside {sys.executable}")
    return here


def test_commands_beside_the_interpreter_come_before_path(own_ansible, monkeypatch):
    monkeypatch.setenv("PATH", path_without_ansible())
    assert runner.ansible_executable("ansible-inventory") == str(own_ansible / "ansible-inventory")
    assert runner._path_with(str(own_ansible / "ansible-playbook")).split(os.pathsep)[0] == str(own_ansible)


def test_a_missing_command_names_where_it_was_looked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExecutionError, match=r"ansible-nothing is neither beside planner's Python .* nor on PATH"):
        runner.ansible_executable("ansible-nothing")


def test_discover_run_without_the_venv_on_path(own_ansible, tmp_path):
    """The README's call, `.venv/bin/planner discover run`, with a PATH that lacks the venv: a real Ansible run on
    a local-connection host (read-only), through ansible-inventory and ansible-runner's ansible-playbook."""
    hosts = tmp_path / "hosts.ini"
    hosts.write_text(f"local ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    env = {**os.environ, "PATH": path_without_ansible(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "planner", "--db", str(tmp_path / "p.db"), "discover", "run",
                           "-i", str(hosts), "--samples", "1", "--interval", "0", "-f", "json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert "not on PATH" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    guests = json.loads(proc.stdout)["guests"]
    assert [(guest["host"], guest["status"]) for guest in guests] == [("local", "ok")]
