"""`planner plan -o DIR`: what DIR holds, and safe output (refused foreign folder, edited files kept, --force, a
kill mid-run leaving the previous DIR byte-identical)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from planner.plan import SCHEMA_PATH
from planner.plan import writer as plan_writer
from planner.plan.output import MANIFEST, OLD_MARK, TMP_MARK, read_manifest, sha256_file
from planner.resources import example_estate_path
from tests.support.cli import run_planner

ROOT = Path(__file__).resolve().parents[3]


def tiny_report(plan: dict[str, Any], *, graph_svg: str | None = None) -> str:
    """Stands in for planner.report.render_report (another branch) behind the writer's seam."""
    return f"<html><body>{len(plan['vms'])} VMs, graph {'yes' if graph_svg else 'no'}</body></html>\n"


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "empty.db"))
    monkeypatch.setattr(plan_writer, "default_report_writer", lambda: tiny_report)


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def plan_dir(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "plan"
    assert run_planner(["plan", "-o", str(out), *extra]) == 0
    return out


def test_dir_holds_the_plan_report_assessment_and_artifacts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = plan_dir(tmp_path)
    captured = capsys.readouterr()
    assert "bundled example estate" in captured.err
    assert "11 images generated" in captured.out
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(plan)
    assert yaml.safe_load((out / "plan.yaml").read_text(encoding="utf-8")) == plan
    assert (out / "report.html").read_text().startswith(f"<html><body>{len(plan['vms'])} VMs, graph")
    assert (out / "assessment.csv").read_text().startswith("vm,source,cluster")
    from openpyxl import load_workbook
    assert load_workbook(out / "assessment.xlsx", read_only=True).sheetnames == ["vms", "findings"]
    dockerfile = (out / "artifacts/images/web-nginx-01-nginx/Dockerfile").read_text()
    assert "a capture would add: /var/www/shop" in dockerfile  # offline: says what a capture would bring
    assert (out / "artifacts/compose/wave-1.yml").is_file() and (out / "artifacts/ansible/ansible.cfg").is_file()
    nginx = next(vm for vm in plan["vms"] if vm["name"] == "web-nginx-01")
    assert "artifacts/images/web-nginx-01-nginx/Dockerfile" in nginx["artifacts"]
    assert all((out / path).is_file() for vm in plan["vms"] for path in vm["artifacts"])
    assert plan["summary"]["images"] == plan["artifacts"]["images"] == 11
    manifest = read_manifest(out)
    assert manifest is not None and set(manifest) == set(tree(out)) - {MANIFEST}
    assert all(sha256_file(out / path) == digest for path, digest in manifest.items())


def test_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    plan_dir(tmp_path, "-f", "json")
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["waves"] == 3 and document["kept_edited"] == []


def test_a_snapshot_file_is_a_source(tmp_path: Path) -> None:
    out = plan_dir(tmp_path, str(example_estate_path()))
    plan = json.loads((out / "plan.json").read_text())
    assert plan["source"] == {"kind": "snapshot-json", "label": "estate.json", "snapshot": None,
                              "collected_at": "2026-03-02T06:00:00+00:00"}
    assert plan["dependencies"]["known"] is False  # a bare snapshot file: no discovery


def test_a_folder_planner_did_not_make_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "plan"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    assert run_planner(["plan", "-o", str(out)]) == 12
    assert "was not made by `planner plan`" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert run_planner(["plan", "-o", str(out), "--force"]) == 0
    assert not (out / "notes.txt").exists() and (out / "plan.json").is_file()


def test_an_edited_file_is_kept_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = plan_dir(tmp_path)
    dockerfile = out / "artifacts/images/web-nginx-01-nginx/Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "# my change\n")
    (out / "mine.md").write_text("my notes\n")
    capsys.readouterr()
    assert run_planner(["plan", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kept 1 file you edited" in text and "artifacts/images/web-nginx-01-nginx/Dockerfile" in text
    assert dockerfile.read_text().endswith("# my change\n") and (out / "mine.md").read_text() == "my notes\n"
    assert run_planner(["plan", "-o", str(out)]) == 0  # still edited on the next run
    assert dockerfile.read_text().endswith("# my change\n")
    assert run_planner(["plan", "-o", str(out), "--force"]) == 0
    assert "# my change" not in dockerfile.read_text() and not (out / "mine.md").exists()


def test_a_kill_between_the_renames_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    out = plan_dir(tmp_path)
    before = tree(out)
    left = out.with_name(f".{out.name}{OLD_MARK}x")
    os.rename(out, left)  # what a kill right after the first rename leaves
    (out.parent / f".{out.name}{TMP_MARK}y").mkdir()
    from planner.plan.output import recover
    recover(out)
    assert tree(out) == before and not left.exists()
    assert not list(out.parent.glob(f".{out.name}.planner-*"))


def test_sigkill_mid_run_leaves_the_previous_dir_byte_identical(tmp_path: Path) -> None:
    out = plan_dir(tmp_path)
    marker = out / "artifacts/images/web-nginx-01-nginx/Dockerfile"
    marker.write_text(marker.read_text() + "# edited\n")
    before = tree(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _attempt in range(20):
        process = subprocess.Popen([sys.executable, "-m", "planner", "plan", "-o", str(out)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        staged = False
        while process.poll() is None and time.monotonic() < deadline:
            if any(tmp_path.glob(f".{out.name}{TMP_MARK}*/plan.json")) or any(
                    tmp_path.glob(f".{out.name}{TMP_MARK}*/artifacts/generate.json")):
                staged = True
                break
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        assert tree(out) == before
        if staged and process.returncode == -signal.SIGKILL:
            break
    else:
        pytest.fail("never caught the run mid-way")
    assert run_planner(["plan", "-o", str(out)]) == 0  # the next run cleans up after the killed one
    assert not list(tmp_path.glob(f".{out.name}.planner-*"))
    assert marker.read_text().endswith("# edited\n")


def test_latest_of_an_empty_store_is_the_example_and_a_missing_id_is_not_found(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert run_planner(["plan", "latest", "-o", str(tmp_path / "a")]) == 0
    assert "bundled example estate" in capsys.readouterr().err
    assert run_planner(["--db", str(tmp_path / "none.db"), "plan", "7", "-o", str(tmp_path / "b")]) == 4
    assert not (tmp_path / "b").exists()


def test_capture_needs_an_inventory_and_fails_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`--capture` without -i reuses the inventory a discovery ran with; the example has none: exit 2, no DIR."""
    out = tmp_path / "captured"
    assert run_planner(["plan", "example", "--capture", "-o", str(out)]) == 2
    assert "--capture needs -i INVENTORY" in " ".join(capsys.readouterr().err.split())
    assert not out.exists()
    code = run_planner(["plan", "example", "-i", str(tmp_path / "missing.yml"), "-o", str(out)])
    assert code in (2, 3, 4) and "missing.yml" in " ".join(capsys.readouterr().err.split())
    assert not out.exists()
