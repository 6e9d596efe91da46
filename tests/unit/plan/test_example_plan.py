"""The example plan committed under examples/plan/ is what `planner plan example` writes today (times and the
planner version aside); `python scripts/example_plan.py` rewrites it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_committed_example_plan_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "example_plan.py"), "--check"],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_normalise_blanks_only_times_and_version() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from example_plan import normalise
    finally:
        sys.path.pop(0)
    assert normalise('"generated_at": "2026-12-02T01:00:00+00:00", "x": 1') == '"generated_at": "-", "x": 1'
    assert normalise("planner_version: 0.3.0\nname: web") == "planner_version: -\nname: web"
    assert normalise('"name": "web"') == '"name": "web"'
