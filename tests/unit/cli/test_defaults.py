"""Item 8 of issue 12: a backwards diff is flagged; README outputs are ignored by git."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.unit.cli.conftest import Run

ROOT = Path(__file__).resolve().parents[3]


def test_a_backwards_diff_warns(example_store: Run, tmp_path: Path) -> None:
    code, _, err = example_store("inventory", "diff", "2", "1")
    assert code == 0 and "warning: BEFORE (#2," in err and "is newer than AFTER (#1," in err
    code, _, err = example_store("inventory", "diff", "1", "2")
    assert code == 0 and "warning" not in err
    estate = json.loads((ROOT / "inventories/example/estate.json").read_text())
    estate["collected_at"] = "2020-01-01T00:00:00+00:00"
    older = tmp_path / "older.json"
    older.write_text(json.dumps(estate))
    code, _, err = example_store("inventory", "diff", "latest", str(older))
    assert "is newer than AFTER (older.json, collected 2020-01-01 00:00)" in err


def test_readme_outputs_are_git_ignored() -> None:
    readme = (ROOT / "README.md").read_text()
    outputs = set(re.findall(r"-o ([\w.-]+)", readme))
    assert {"audit.xlsx", "graph.svg", "assessment.json"} <= outputs
    checked = subprocess.run(["git", "check-ignore", "--no-index", *sorted(outputs)], cwd=ROOT, capture_output=True,
                             text=True, check=False)
    assert sorted(checked.stdout.split()) == sorted(outputs)
