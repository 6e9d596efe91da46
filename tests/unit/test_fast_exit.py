"""A console run ends without freeing its large results (planner.memory.keep_until_exit): its output must still
be whole, its exit code right, and an in-process caller must keep nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from planner import memory
from tests.support.cli import run_planner


def _planner(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner", "--db", str(cwd / "p.db"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_piped_json_and_a_written_file_are_whole(tmp_path):
    waves = _planner("waves", "example", "-f", "json", cwd=tmp_path)
    assert waves.returncode == 0, waves.stderr
    document = json.loads(waves.stdout)  # all of it reached the pipe before the process ended
    assert document["summary"]["vms"] == 43 and "assessed it with the default policy" in waves.stderr
    written = _planner("assess", "example", "-o", str(tmp_path / "a.json"), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert len(json.loads((tmp_path / "a.json").read_text())["vms"]) == 45


def test_an_error_still_exits_with_its_code(tmp_path):
    missing = _planner("assess", "latest", cwd=tmp_path)
    assert missing.returncode == 4 and "there is no snapshot store" in missing.stderr


def test_an_in_process_caller_keeps_nothing(capsys):
    assert run_planner(["assess", "example", "-f", "json"]) == 0
    assert not memory.holding()
