"""`planner graph` / `planner waves` as a new user meets them: assessed strategies, missing dependency data, typos in
VM names, output format from the file extension, and the options block."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from graph_helpers import flow, make_estate, make_vm

from planner.graph import NO_DEPENDENCY_DATA, WaveOptions, analyse, build_graph
from planner.store import Store
from tests.support.cli import run_planner

ROOT = Path(__file__).resolve().parents[3]
ESTATE = ROOT / "inventories" / "example" / "estate.json"
FLOWS = ROOT / "examples" / "flows.csv"
NO_ASSESSMENT = "assessed it with the default policy to keep keep-vm/retire VMs out of the waves"


@pytest.fixture
def store(tmp_path, capsys) -> str:
    """A store with the example estate and its flows; ``assess`` is up to the test."""
    db = str(tmp_path / "planner.db")
    assert run_planner(["--db", db, "inventory", "import", str(ESTATE)]) == 0
    assert run_planner(["--db", db, "discover", "import-flows", str(FLOWS)]) == 0
    capsys.readouterr()
    return db


def waves(capsys, db: str, *argv: str) -> tuple[dict, str]:
    assert run_planner(["--db", db, "waves", "-f", "json", *argv]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), " ".join(captured.err.split())


def planned(document: dict) -> set[str]:
    return {vm for wave in document["waves"] for vm in wave["vms"]}


# --- 1. assessed strategies ------------------------------------------------------------------------------------------

def test_keep_vm_and_retire_stay_behind_after_an_assessment(store, capsys):
    assert run_planner(["--db", store, "assess", "-f", "json"]) == 0
    strategy = {entry["vm"]: entry["strategy"] for entry in json.loads(capsys.readouterr().out)["vms"]}
    document, err = waves(capsys, store)
    held = {vm for vm, s in strategy.items() if s in {"keep-vm", "retire", "exclude"}}
    assert {"db-oracle-rac-01", "fw-pfsense-01"} <= held and NO_ASSESSMENT not in err
    assert not planned(document) & held
    assert planned(document) == {vm for vm, s in strategy.items() if s not in {"keep-vm", "retire", "exclude"}}
    reasons = {each["vm"]: (each["reason"], each["strategy"]) for each in document["staying_behind"]}
    assert reasons["db-oracle-rac-01"] == ("strategy", "keep-vm")
    templates = {vm["name"] for vm in json.loads(ESTATE.read_text())["vms"] if vm.get("template")}
    assert templates and {vm for vm, (why, _) in reasons.items() if why == "strategy"} == held - templates
    assert document["summary"]["assessment"] is True and document["excluded"] == sorted(reasons)
    permanent = [r for r in document["cutover_risks"] if r["kind"] == "permanent"]
    assert permanent and all((r["client"] in held) != (r["server"] in held) for r in permanent)
    table_run = run_planner(["--db", store, "waves"])
    assert table_run == 0 and "strategy keep-vm" in " ".join(capsys.readouterr().out.split())


def test_include_strategy_plans_them_anyway_and_exclude_says_why(store, capsys):
    assert run_planner(["--db", store, "assess"]) == 0
    capsys.readouterr()
    document, _ = waves(capsys, store, "--include-strategy", "keep-vm,retire", "--exclude", "db-pg-02")
    assert {"db-oracle-rac-01", "app-batch-01"} <= planned(document)
    assert document["staying_behind"] == [{"vm": "db-pg-02", "reason": "exclude", "strategy": None,
                                           "move_group": document["staying_behind"][0]["move_group"]}]
    assert document["options"]["stay_behind_strategies"] == ["exclude"]
    assert document["options"]["include_strategies"] == ["keep-vm", "retire"]
    everything, _ = waves(capsys, store, "--include-strategy", "all")
    assert not everything["staying_behind"] and everything["options"]["stay_behind_strategies"] == []
    assert run_planner(["--db", store, "waves", "--include-strategy", "keepvm"]) == 2


def test_without_a_stored_assessment_waves_assess_what_they_plan_and_say_so(store, capsys):
    """Nothing stored: the default policy's assessment keeps keep-vm/retire VMs behind (issue 12, item 8), said once;
    nothing is stored by it, and a stored assessment is used when there is one."""
    document, err = waves(capsys, store)
    assert err.count(NO_ASSESSMENT) == 1 and "no stored assessment for snapshot #1" in err
    assert "db-oracle-rac-01" not in planned(document)
    assert {"vm": "db-oracle-rac-01", "reason": "strategy", "strategy": "keep-vm", "move_group": None} in document[
        "staying_behind"]
    assert document["summary"]["assessment"] is True
    assert (document["snapshot"], document["snapshot_id"]) == ("#1", 1)  # the label beside the integer id
    with Store.open(Path(store)) as opened:
        assert not opened.documents(1, "assessment")
    assert run_planner(["--db", store, "assess"]) == 0
    capsys.readouterr()
    _, err = waves(capsys, store)
    assert NO_ASSESSMENT not in err


def test_a_strategy_held_vm_does_not_hold_back_its_cycle():
    """A keep-vm VM never moves: it is in no move group, and its links become permanent risks."""
    estate = make_estate(*(make_vm(n, f"192.0.2.{i}") for i, n in enumerate(["app", "ora", "web"], start=1)))
    graph = build_graph(estate, [flow("192.0.2.1", "192.0.2.2", 1521), flow("192.0.2.2", "192.0.2.1", 8080),
                                 flow("192.0.2.3", "192.0.2.1", 8080)])
    plan = analyse(graph, options=WaveOptions(stay_behind={"ora": "keep-vm"}, pins={"ora": 1})).plan
    assert plan.wave_of == {"app": 1, "web": 2} and plan.excluded == ["ora"]
    assert {(r.client, r.server, r.kind) for r in plan.risks} == {
        ("app", "ora", "permanent"), ("ora", "app", "permanent"), ("web", "app", "interim")}
    assert [each.as_dict() for each in plan.staying] == [
        {"vm": "ora", "reason": "strategy", "strategy": "keep-vm", "move_group": None}]
    assert any("pin of ora ignored: it stays behind (strategy keep-vm" in w for w in plan.warnings)


# --- 2. no dependency data -------------------------------------------------------------------------------------------

def test_no_dependency_data_is_said_on_stderr_and_in_the_json(capsys):
    assert run_planner(["waves", "example", "-f", "json"]) == 0
    captured = capsys.readouterr()
    document, err = json.loads(captured.out), " ".join(captured.err.split())
    assert f"warning: {NO_DEPENDENCY_DATA}" in err and NO_DEPENDENCY_DATA in document["warnings"]
    assert document["summary"]["dependency_data"] is False
    assert run_planner(["waves", "example", "-f", "json", "--flows", str(FLOWS)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["dependency_data"] is True
    assert NO_DEPENDENCY_DATA not in " ".join(captured.err.split())


# --- 3. typos in VM names --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["--exclude", "db-pg-1"], "--exclude db-pg-1: no VM named 'db-pg-1' in the snapshot (did you mean db-pg-01?)"),
    (["--exclude", "nosuchvm"], "--exclude nosuchvm: no VM named 'nosuchvm' in the snapshot"),
    (["--pin", "nosuchvm=2"], "--pin nosuchvm=2: no VM named 'nosuchvm'"),
    (["--together", "web-nginx-01,web-ngnx-02"],
     "--together web-nginx-01,web-ngnx-02: no VM named 'web-ngnx-02' in the snapshot (did you mean web-nginx-02?)"),
])
def test_unknown_vm_names_on_the_command_line_are_errors(argv, message, capsys):
    assert run_planner(["waves", "example", *argv]) == 3
    assert message in " ".join(capsys.readouterr().err.split())


def test_pin_to_wave_zero_is_a_usage_error(capsys):
    assert run_planner(["waves", "example", "--pin", "db-pg-01=0"]) == 2
    assert "--pin db-pg-01=0: waves count from 1" in capsys.readouterr().err


# --- 4. format from the -o extension ---------------------------------------------------------------------------------

def test_graph_format_follows_the_output_extension(tmp_path, capsys):
    assert run_planner(["graph", "example", "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert run_planner(["graph", "example", "-o", str(tmp_path / "g.graphml")]) == 0
    assert "<graphml" in (tmp_path / "g.graphml").read_text()
    assert run_planner(["graph", "example", "-o", str(tmp_path / "g.out")]) == 2  # unknown: ask, never guess
    assert run_planner(["graph", "example", "-f", "json", "-o", str(tmp_path / "g.out")]) == 0
    assert json.loads((tmp_path / "g.out").read_text())["format_version"] == 1
    if shutil.which("dot"):
        assert run_planner(["graph", "example", "-o", str(tmp_path / "g.svg")]) == 0
        assert "<svg" in (tmp_path / "g.svg").read_text()


def test_format_and_extension_at_odds_is_a_usage_error_before_any_work(tmp_path, capsys):
    """Exit 2 even for a snapshot that does not exist: nothing is loaded or written."""
    assert run_planner(["graph", "no-such-snapshot.json", "-f", "json", "-o", str(tmp_path / "g.svg")]) == 2
    assert "-f json contradicts -o g.svg, which names the svg format" in " ".join(capsys.readouterr().err.split())
    assert run_planner(["waves", "no-such-snapshot.json", "-f", "table", "-o", str(tmp_path / "w.json")]) == 2
    assert not list(tmp_path.iterdir())


def test_waves_format_follows_the_output_extension(tmp_path, capsys):
    assert run_planner(["waves", "example", "-o", str(tmp_path / "w.json")]) == 0
    assert json.loads((tmp_path / "w.json").read_text())["format_version"] == 1
    assert run_planner(["waves", "example", "-o", str(tmp_path / "w.txt")]) == 0
    assert "Waves of snapshot" in (tmp_path / "w.txt").read_text()


# --- 5. the options block --------------------------------------------------------------------------------------------

def test_options_record_together_tags_policy_and_strategies(tmp_path, capsys):
    policy = tmp_path / "waves.yaml"
    policy.write_text("waves:\n  together: [[db-pg-01, db-pg-02]]\n  include_strategies: [retire]\n")
    assert run_planner(["waves", "example", "-f", "json", "--policy", str(policy), "--together",
                        "web-nginx-01,web-nginx-02", "--together-tag", "app"]) == 0
    options = json.loads(capsys.readouterr().out)["options"]
    assert options["together"] == [["db-pg-01", "db-pg-02"], ["web-nginx-01", "web-nginx-02"]]
    assert options["tag_categories"] == ["app"] and options["policy"] == str(policy)
    assert options["include_strategies"] == ["retire"]
    assert options["stay_behind_strategies"] == ["keep-vm", "exclude"]
