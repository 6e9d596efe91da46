"""The shipped playbook parses, passes ansible-lint's production profile, and the script is POSIX sh."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from planner.discovery import parse
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


@pytest.mark.parametrize("section", ["identity", "packages", "units", "crontabs", "datadirs", "sample",
                                     "storage"])
def test_collect_script_prefixes_every_data_line(section):
    """Run read-only on this machine: every line is a section line or "|"-prefixed data, so guest text (file names,
    crontab lines) can never pass for a section line; and parsing it yields sections."""
    script = PLAYBOOK_DIR / "files" / "collect.sh"
    result = subprocess.run(["sh", str(script), section, "20"], capture_output=True, timeout=120, check=True)
    lines = result.stdout.decode("utf-8", "replace").split("\n")
    assert lines[-1] == ""
    assert all(line.startswith("|") or parse._SECTION.match(line) for line in lines[:-1])
    if section in {"identity", "datadirs", "sample", "storage"}:
        assert parse.sections(result.stdout.decode("utf-8", "replace"))


def test_datadirs_stops_when_its_budget_is_spent():
    script = PLAYBOOK_DIR / "files" / "collect.sh"
    result = subprocess.run(["sh", str(script), "datadirs", "0"], capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout == "@@planner:datadirs@@\n"
