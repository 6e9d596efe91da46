"""`planner report`: what it refuses before any work, and (after the plan branch is merged) the page it writes."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import Run


def test_report_writes_only_html(run: Run, tmp_path: Path) -> None:
    code, out, err = run("report", "example", "-o", str(tmp_path / "report.pdf"))
    assert code == 2 and not out
    assert "-o report.pdf: planner report writes an HTML page; give a file ending in .html." in err
    assert not (tmp_path / "report.pdf").exists()


def test_report_needs_an_output_file(run: Run) -> None:
    code, _, err = run("report", "example")
    assert code == 2 and "Missing option '--output' / '-o'" in err


@pytest.mark.parametrize(("option", "policy", "kind"), [("--policy", "examples/waves.yaml", "a wave policy"),
                                                         ("--waves-policy", "examples/policy.yaml",
                                                          "an assessment policy")])
def test_report_names_a_policy_of_the_other_kind(run: Run, tmp_path: Path, option: str, policy: str,
                                                 kind: str) -> None:
    code, _, err = run("report", "example", option, policy, "-o", str(tmp_path / "r.html"))
    assert code == 3 and f"{policy} is {kind}" in err
    assert not (tmp_path / "r.html").exists()


def test_report_of_the_example_estate_end_to_end(run: Run, tmp_path: Path) -> None:
    from tests.unit.report.pagehtml import Page

    build_plan_for_report = importlib.import_module("planner.plan").build_plan_for_report

    output = tmp_path / "out" / "report.html"
    code, out, _ = run("report", "example", "-o", str(output), "-f", "json")
    assert code == 0, out
    document = json.loads(out)
    page_text = output.read_text(encoding="utf-8")
    assert document["kind"] == "planner-report" and document["bytes"] == len(page_text.encode("utf-8"))
    plan, _ = build_plan_for_report(None, "example")
    summary = plan["summary"]
    page = Page(page_text)
    values = {attrs["data-summary"]: json.loads(attrs["data-value"] or "null")
              for _, attrs in page.with_attr("data-summary")}
    assert values["vms"] == summary["vms"] == document["vms"] and values["waves"] == summary["waves"]
    assert values["reclaimable.vcpu"] == summary["reclaimable"]["vcpu"]
    assert len(page.island()["vms"]) == len(plan["vms"])
    assert [attrs.get("data-kind") for _, attrs in page.with_attr("data-kind")] in (["svg"], ["overview"])
    hostile = tmp_path / "r\u202e[bold]\x1b[31m.html"  # the path is printed escaped, never as markup or controls
    code, out, _ = run("report", "example", "-o", str(hostile))
    assert code == 0 and hostile.exists() and "r\\u202e[bold]\\x1b[31m.html (" in out
    assert "\u202e" not in out and "\x1b" not in out


def test_report_of_a_snapshot_file_as_planner_plan_reads_it(run: Run, tmp_path: Path) -> None:
    code, _, err = run("report", "inventories/example/estate.json", "-o", str(tmp_path / "r.html"))
    assert code == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "estate.json" in page and "web-nginx-01" in page
    code, _, err = run("report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "m.html"))
    assert code == 4 and "missing.json does not exist" in err and not (tmp_path / "m.html").exists()


def test_report_of_a_stored_snapshot_with_hostile_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from planner.report.safety import text
    from tests.support.cli import run_planner
    from tests.unit.report.pagehtml import Page
    from tests.unit.test_cli_untrusted_text import HOSTILE, RAW_CONTROLS, hostile_store

    db, _ = hostile_store(tmp_path)
    output = tmp_path / "report.html"
    capsys.readouterr()
    assert run_planner(["--db", db, "report", "-o", str(output)]) == 0
    captured = capsys.readouterr()
    assert not [char for char in RAW_CONTROLS if char in captured.out + captured.err]
    page = Page(output.read_text(encoding="utf-8"))
    names = {row[0] for row in page.island()["vms"]}
    assert {text(f"web{HOSTILE}"), text(f"db{HOSTILE}")} <= names
    assert [tag for tag, _ in page.tags if tag in {"img", "iframe"}] == []
    assert not [char for char in RAW_CONTROLS if char in page.text + "".join(names)]
    assert "gnp.exe" in page.text or any("gnp.exe" in name for name in names)
