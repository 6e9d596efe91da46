"""The shipped playbook parses, passes ansible-lint's production profile, and the script is POSIX sh."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from planner.discovery.runner import PLAYBOOK, PLAYBOOK_DIR
from tests.support.components import require

pytestmark = pytest.mark.ansible


def test_collect_script_is_posix_sh():
    subprocess.run(["sh", "-n", str(PLAYBOOK_DIR / "files" / "collect.sh")], check=True)


def test_playbook_syntax():
    if shutil.which("ansible-playbook") is None:
        require("ansible", "ansible-playbook is not on PATH (pip install ansible-core)")
    subprocess.run(["ansible-playbook", "--syntax-check", "-i", "localhost,", str(PLAYBOOK)], check=True,
                   capture_output=True, timeout=120)


def test_playbook_passes_ansible_lint_production(tmp_path):
    if shutil.which("ansible-lint") is None:
        require("ansible", "ansible-lint is not on PATH (pip install ansible-lint)")
    result = subprocess.run(["ansible-lint", "--offline", "--nocolor", "--profile", "production", str(PLAYBOOK)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
