"""The plan folder's files: the streaming xlsx writer (read back by openpyxl, text never a formula), plan.yaml of a
large plan (one flow mapping per line) reading back as plan.json, and hostile names as data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from planner.models import Estate, PowerState, Vm
from planner.plan import PlanSource, build_for_ref, build_plan
from planner.plan import writer as plan_writer
from planner.plan.writer import WriteOptions, write_plan
from planner.xlsx import column_letter, write_workbook

HOSTILE = "\x1b[31m<script>alert(1)</script>\u202e\u200b'\"&\\ 😀\ud800"


def test_xlsx_reads_back_with_types_and_text_never_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    rows = [["=HYPERLINK(\"http://203.0.113.9\")", 3, 2.5, True, None, " padded "],
            ["a\x00b<&>", -1, 0.0, False, "", "x" * 40_000]]
    write_workbook(path, {"vms": (["name", "n", "f", "b", "empty", "long"], rows), "bad/name?": (["x"], [])})
    book = load_workbook(path)
    assert book.sheetnames == ["vms", "bad_name_"]
    sheet = book["vms"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["name", "n", "f", "b", "empty", "long"]
    assert values[1][:5] == ['=HYPERLINK("http://203.0.113.9")', 3, 2.5, True, None]
    assert sheet["A2"].data_type == "s"  # text, never a formula
    assert values[1][5] == " padded "
    assert values[2][0] == "ab<&>" and len(values[2][5]) == 32_767
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


@pytest.fixture
def hostile_build() -> Any:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    estate = Estate(collected_at=now, vms=[
        Vm(name=f"web{HOSTILE}", source="vc", moid="vm-1", power_state=PowerState.ON, num_cpu=2, memory_mib=1024,
           annotation=HOSTILE, folder=f"/dc/vm/{HOSTILE}"),
        Vm(name="db", source="vc", moid="vm-2", power_state=PowerState.ON, num_cpu=2, memory_mib=1024,
           folder=f"/dc/vm/{HOSTILE}")])
    return build_plan(estate, PlanSource("snapshot-json", f"e{HOSTILE}.json"))


@pytest.mark.parametrize("large", [False, True])
def test_plan_yaml_reads_back_as_plan_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large: bool,
                                           hostile_build: Any) -> None:
    if large:
        monkeypatch.setattr(plan_writer, "LARGE_PLAN_VMS", 0)
    write_plan(hostile_build, tmp_path, WriteOptions(report_writer=lambda plan, graph_svg=None: "<html></html>"))
    text = (tmp_path / "plan.yaml").read_text(encoding="utf-8")
    assert ("\n- {" in text) is large
    assert "\x1b" not in text and "\u202e" not in text
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert "\x1b" not in (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == plan
    assert ('\n    {"key": ' in (tmp_path / "plan.json").read_text(encoding="utf-8")) is large
    assert any(vm["name"] == f"web{HOSTILE}" for vm in plan["vms"])  # the same value, read back


def test_artifacts_follow_the_plans_waves(tmp_path: Path) -> None:
    build = build_for_ref(None, "example")
    write_plan(build, tmp_path, WriteOptions(report_writer=lambda plan, graph_svg=None: ""))
    plan = json.loads((tmp_path / "plan.json").read_text())
    index = json.loads((tmp_path / "artifacts/generate.json").read_text())
    wave_of = {vm["name"]: vm["wave"] for vm in plan["vms"]}
    assert index["images"] and all(image["wave"] == wave_of[image["vm_name"]] for image in index["images"])
    compose = yaml.safe_load((tmp_path / "artifacts/compose/wave-1.yml").read_text())
    planned = {vm["name"] for vm in plan["vms"] if vm["wave"] == 1}
    assert compose["services"] and all(any(name.startswith(vm) for vm in planned) for name in compose["services"])
