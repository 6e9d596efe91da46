"""Start-up imports only what the command being run needs (the rest was most of `planner --version`'s 0.7 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from planner.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("pyVmomi", "networkx", "planner.cli.graph", "planner.cli.assess", "planner.cli.discover",
         "planner.cli.inventory", "planner.assess.engine", "openpyxl")
sys.stderr.write(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def imported(tmp_path: Path, *args: str) -> list[str]:
    env = {**os.environ, "PLANNER_DB": str(tmp_path / "p.db"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, check=True)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(("args", "expected"), [
    (["--version"], []),
    (["--db", "x.db", "inventory", "list"], ["planner.cli.inventory"]),
    (["waves", "example", "-f", "json"], ["networkx", "planner.assess.engine", "planner.cli.graph"]),
])
def test_a_command_imports_only_its_own_module(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    assert imported(tmp_path, *args) == expected


def test_help_still_lists_every_command(tmp_path: Path) -> None:
    env = {**os.environ, "PLANNER_DB": str(tmp_path / "p.db"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "planner", "--help"], capture_output=True, text=True, env=env,
                         check=True).stdout
    for command in ("inventory", "discover", "graph", "waves", "assess"):
        assert command in out
