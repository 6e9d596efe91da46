"""`planner assess`: formats, output file, policy errors -> exit 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_planner as run
from tests.unit.assess.conftest import make_estate, make_vm


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "estate.json"
    estate = make_estate([make_vm(), make_vm(name="win", guest={"family": "windows",
                                                                "configured_id": "windows2019srv_64Guest"})])
    path.write_text(estate.model_dump_json(), encoding="utf-8")
    return path


def test_json_to_stdout(snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["assess", str(snapshot), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["vms"]
    assert [(d["vm"], d["strategy"]) for d in data] == [("app01", "containerize"), ("win", "keep-vm")]


def test_table_default_and_output_file(snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["assess", str(snapshot)]) == 0
    out = capsys.readouterr().out
    assert "good (1)" in out and "excellent" not in out, "no guest data: capped at good (ARC007)"
    assert "2 of 2 workloads assessed from vSphere data alone" in out and "planner discover run" in out
    out = tmp_path / "report.md"
    assert run(["assess", str(snapshot), "-f", "markdown", "-o", str(out)]) == 0
    assert out.read_text().startswith("# Containerization assessment")


def test_policy_changes_the_verdict(snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("target:\n  os_families: [linux, windows]\n")
    assert run(["assess", str(snapshot), "--policy", str(policy), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "win," in out and "keep-vm" not in out


def test_invalid_policy_exits_3(snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("thresholds:\n  huge_memory_gib: 0\n")
    assert run(["assess", str(snapshot), "--policy", str(policy)]) == 3
    assert "thresholds.huge_memory_gib: must be > 0" in capsys.readouterr().err


def test_unknown_format_is_a_usage_error(snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["assess", str(snapshot), "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--format'" in err and "internal error" not in err


def test_format_follows_the_output_extension(snapshot: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["assess", str(snapshot), "-o", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["format_version"] == 2
    assert run(["assess", str(snapshot), "-o", str(tmp_path / "a.md")]) == 0
    assert (tmp_path / "a.md").read_text().startswith("# Containerization assessment")
    assert run(["assess", str(snapshot), "-f", "csv", "-o", str(tmp_path / "b.json")]) == 2
    assert "-f csv contradicts -o b.json" in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()


def test_a_snapshot_file_named_like_a_stored_id_is_a_file(snapshot: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`#3.json` is a file: assessed as such, nothing read from or written to the store."""
    named = tmp_path / "#3.json"
    named.write_text(snapshot.read_text())
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "store.db"))
    assert run(["assess", str(named), "--format", "json"]) == 0
    assert not (tmp_path / "store.db").exists()
