"""`build_plan`: the plan document of the example estate (with and without its recorded discovery) against the
schema and the estate's truth, the fallback grouping without dependency data, and the effort and risk rules."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from planner.models import Estate, PowerState, Tag, Vm
from planner.plan import SCHEMA_PATH, PlanSource, build_for_ref, build_plan, vms
from planner.plan.effort import PER_FINDING, PER_STRATEGY, PER_WAVE, vm_effort
from planner.plan.example import example_estate

ROOT = Path(__file__).resolve().parents[3]


def validate(plan: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(plan)))


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return build_for_ref(None, "example").plan


def by_name(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {vm["name"]: vm for vm in plan["vms"]}


def test_example_plan_matches_the_schema(plan: dict[str, Any]) -> None:
    validate(plan)
    assert plan["kind"] == "planner-plan" and plan["version"] == 1
    assert plan["source"]["kind"] == "example"


def test_a_schema_violation_is_caught(plan: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(plan))
    broken["vms"][0]["strategy"] = "teleport"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_recorded_discovery_orders_the_chain(plan: dict[str, Any]) -> None:
    vms_ = by_name(plan)
    assert plan["dependencies"]["known"] is True and plan["dependencies"]["basis"] == ["discovery"]
    assert vms_["db-pg-01"]["wave"] < vms_["app-python-api-01"]["wave"] < vms_["web-nginx-01"]["wave"]


def test_stacks_from_the_recorded_facts(plan: dict[str, Any]) -> None:
    vms_ = by_name(plan)
    assert [s["stack"] for s in vms_["web-apache-01"]["stacks"]] == ["apache", "php-fpm"]
    assert [s["stack"] for s in vms_["web-nginx-01"]["stacks"]] == ["nginx"]
    assert vms_["app-reporting-01"]["stacks"] == [] and vms_["app-reporting-01"]["guest_data"] is True
    assert plan["summary"]["stacks"]["nginx"] == 2


def test_summary_counts_agree_with_the_vms(plan: dict[str, Any]) -> None:
    summary = plan["summary"]
    assert summary["vms"] == len(plan["vms"]) == summary["assessed"] + summary["excluded"]
    assert sum(summary["by_fit"].values()) == summary["assessed"]
    assert sum(summary["by_strategy"].values()) == summary["vms"]
    moving = [vm for vm in plan["vms"] if vm["strategy"] in ("containerize", "refactor")]
    assert summary["reclaimable"]["vcpu"] == pytest.approx(sum(vm["sizing"]["reclaimable"]["vcpu"] for vm in moving))
    assert summary["waves"] == len(plan["waves"])
    planned = sorted(key for wave in plan["waves"] for key in wave["vms"])
    assert planned == sorted(vm["key"] for vm in plan["vms"] if vm["wave"] is not None)
    assert summary["effort"]["person_days"] == pytest.approx(
        sum(vm["effort_person_days"] for vm in plan["vms"]) + PER_WAVE * len(plan["waves"]), abs=0.1)


def test_vms_sorted_by_display_and_unique(plan: dict[str, Any]) -> None:
    displays = [vm["display"] for vm in plan["vms"]]
    assert displays == sorted(displays) and len(set(displays)) == len(displays)


def test_cross_wave_risk_names_both_vms(plan: dict[str, Any]) -> None:
    vms_ = by_name(plan)
    pair = [vms_["web-nginx-01"]["key"], vms_["app-python-api-01"]["key"]]
    assert any(r["kind"] == "cross-wave-dependency" and r["vms"] == pair for r in plan["risks"])
    assert any(r["kind"] == "stays-behind-dependency" and vms_["db-mysql-01"]["key"] in r["vms"]
               for r in plan["risks"])


def test_many_links_are_summed_per_pair_of_waves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vms, "MAX_LINK_RISKS", 1)
    risks = build_for_ref(None, "example").plan["risks"]
    links = [r for r in risks if r["kind"] == "cross-wave-dependency"]
    assert links and all("links from wave" in r["detail"] for r in links)
    assert len({(r["detail"].split(" between")[0]) for r in links}) == len(links)


def test_without_dependency_data_groups_by_application_tag() -> None:
    estate = example_estate()
    plan = build_plan(estate, PlanSource("example", "example estate")).plan
    validate(plan)
    assert plan["dependencies"]["known"] is False and plan["dependencies"]["basis"] == ["tag:app"]
    assert "dependencies are unknown" in plan["dependencies"]["note"]
    vms_ = by_name(plan)
    assert vms_["web-nginx-01"]["move_group"] == vms_["web-nginx-02"]["move_group"] is not None
    assert vms_["web-nginx-01"]["move_group"] != vms_["app-python-api-01"]["move_group"]


def _vm(name: str, moid: str, **extra: Any) -> Vm:
    return Vm(name=name, source="vc", moid=moid, power_state=PowerState.ON, num_cpu=2, memory_mib=2048, **extra)


def test_without_tags_groups_by_attribute_then_folder() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    by_attribute = Estate(collected_at=now, vms=[
        _vm("a", "vm-1", custom_attributes={"Application": "shop"}, folder="/dc/vm/x"),
        _vm("b", "vm-2", custom_attributes={"Application": "shop"}, folder="/dc/vm/y"),
        _vm("c", "vm-3", custom_attributes={"Application": "crm"}, folder="/dc/vm/x")])
    plan = build_plan(by_attribute, PlanSource("snapshot-json", "x.json")).plan
    assert plan["dependencies"]["basis"] == ["attribute:Application"]
    groups = {vm["name"]: vm["move_group"] for vm in plan["vms"]}
    assert groups["a"] == groups["b"] != groups["c"]
    by_folder = Estate(collected_at=now, vms=[_vm("a", "vm-1", folder="/dc/vm/x"), _vm("b", "vm-2", folder="/dc/vm/y"),
                                              _vm("c", "vm-3", folder="/dc/vm/x", tags=[Tag(category="env",
                                                                                             name="prod")])])
    plan = build_plan(by_folder, PlanSource("snapshot-json", "x.json")).plan
    assert plan["dependencies"]["basis"] == ["folder"]
    groups = {vm["name"]: vm["move_group"] for vm in plan["vms"]}
    assert groups["a"] == groups["c"] != groups["b"]


def test_effort_per_strategy_and_severity() -> None:
    assert vm_effort("containerize", []) == PER_STRATEGY["containerize"]
    assert vm_effort("containerize", ["blocker", "low", "info"]) == pytest.approx(
        PER_STRATEGY["containerize"] + PER_FINDING["blocker"] + PER_FINDING["low"])
    assert vm_effort("keep-vm", ["blocker"]) == 0.0  # findings of a VM that stays cost no migration work


def test_example_discovery_file_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "inventories" / "example" / "discovery.py"), "--check"],
                            capture_output=True, text=True, check=False, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


def test_plan_for_report_of_a_file_a_store_and_an_empty_store(tmp_path: Path) -> None:
    from planner.plan import build_plan_for_report
    from planner.plan.example import example_estate
    from planner.resources import example_estate_path
    from planner.store import Store

    plan, _svg = build_plan_for_report(None, str(example_estate_path()))
    assert plan["source"]["kind"] == "snapshot-json" and plan["artifacts"]["images"] == 0
    with Store.open(tmp_path / "s.db") as store:
        assert build_plan_for_report(store, None)[0]["source"]["kind"] == "example"  # empty store
        store.save(example_estate(), origin="test")
        plan, _svg = build_plan_for_report(store, "latest")
        assert plan["source"] == {"kind": "store", "label": "snapshot #1", "snapshot": "#1",
                                  "collected_at": "2026-03-02T06:00:00+00:00"}
        validate(plan)


def test_images_before_generation_are_what_generation_makes(plan: dict[str, Any], tmp_path: Path) -> None:
    from planner.plan.writer import WriteOptions, write_plan

    build = build_for_ref(None, "example")
    expected = build.plan["summary"]["images"]
    write_plan(build, tmp_path, WriteOptions(report_writer=lambda plan, graph_svg=None: ""))
    assert expected == build.plan["summary"]["images"] == 11


def test_stale_discovery_and_unplaced_movers_are_risks(tmp_path: Path) -> None:
    from planner.discovery.storage import save_guests
    from planner.graph.policy import LayeredSettings, WaveSettings
    from planner.models.identity import vm_display_ids
    from planner.plan.example import example_guests
    from planner.store import Store

    estate = example_estate()
    nodes = dict(zip((vm.key for vm in estate.workloads()), vm_display_ids(estate.workloads()), strict=True))
    guests = [guest.model_copy(update={"vm": nodes[key]}) for key, guest in example_guests(estate).items()]
    with Store.open(tmp_path / "s.db") as store:
        snapshot_id = store.save(estate, origin="test").id
        save_guests(store, snapshot_id, guests)  # last seen 2026-03-01: months before "now"
        settings = LayeredSettings.load(None, WaveSettings(exclude=["web-nginx-01"]))
        plan = build_plan(estate, PlanSource("store", "snapshot #1", "#1"), store=store, snapshot_id=snapshot_id,
                          settings=settings, now=datetime(2026, 12, 1, tzinfo=UTC)).plan
    risks = {risk["kind"]: risk for risk in plan["risks"]}
    assert risks["stale-facts"]["severity"] == "low" and len(risks["stale-facts"]["vms"]) == 12
    nginx = next(vm for vm in plan["vms"] if vm["name"] == "web-nginx-01")
    assert nginx["wave"] is None and nginx["key"] in risks["unplaced"]["vms"]
    fresh = build_plan(estate, PlanSource("example", "example estate"), recorded=example_guests(estate),
                       now=datetime(2026, 3, 2, tzinfo=UTC)).plan
    assert "stale-facts" not in {risk["kind"] for risk in fresh["risks"]}  # recorded facts carry no store origin
