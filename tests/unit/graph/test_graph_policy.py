"""The wave policy file: parsing, validation errors by key path, command-line precedence, and its effect on waves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from graph_helpers import flow, make_estate, make_vm

from planner.errors import InputError, NotFoundError
from planner.graph import NO_DEPENDENCY_DATA, WaveOptions, analyse, build_graph
from planner.graph.policy import WavePolicy, WaveSettings, load_wave_policy, parse_wave_policy
from tests.support.cli import run_planner

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "waves.yaml"

FULL = """
version: 1
waves:
  order: consumers-first
  max_vms: 20
  max_vcpu: 64
  pin: {db-pg-01: 1, web-nginx-01: 3}
  exclude: [win-dc-01]
  together:
    - [web-nginx-01, web-nginx-02]
    - [app-kafka-01]
  together_tag_categories: [move-group, app]
"""


def write(tmp_path: Path, text: str, name: str = "waves.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def waves_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict, str]:
    assert run_planner(["waves", "example", "-f", "json", *argv]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def wave_of(document: dict) -> dict[str, int]:
    return {vm: wave["wave"] for wave in document["waves"] for vm in wave["vms"]}


# --- parsing -------------------------------------------------------------------------------------------------------

def test_full_file_round_trip(tmp_path):
    policy = load_wave_policy(write(tmp_path, FULL))
    assert parse_wave_policy(policy.model_dump(), "again") == policy
    settings = policy.settings()
    assert settings.wave_options() == WaveOptions(max_vms=20, max_vcpu=64, pins={"db-pg-01": 1, "web-nginx-01": 3},
                                                  exclude={"win-dc-01"}, consumers_first=True)
    assert settings.together == [["web-nginx-01", "web-nginx-02"], ["app-kafka-01"]]
    assert settings.categories() == ["move-group", "app"]


def test_empty_file_and_empty_keys_mean_defaults(tmp_path):
    assert load_wave_policy(write(tmp_path, "# nothing yet\n")) == WavePolicy()
    policy = parse_wave_policy(yaml.safe_load("waves:\n  pin:\n  exclude:\n  max_vms:\n"), "w.yaml")
    settings = policy.settings()
    assert settings.wave_options() == WaveOptions()
    assert settings.categories() == ["move-group"]
    assert parse_wave_policy({"waves": {"together_tag_categories": []}}, "w").settings().categories() == []


def test_shipped_example_loads():
    settings = load_wave_policy(EXAMPLE).settings()
    assert settings.wave_options() == WaveOptions(max_vms=10, max_vcpu=64, pins={"db-pg-01": 1},
                                                  exclude={"sol-billing-01"}, consumers_first=False)
    assert settings.together == [["web-nginx-01", "web-nginx-02"]]
    assert settings.categories() == ["move-group"]


@pytest.mark.parametrize(("document", "problem"), [
    ({"waves": {"max_vms": 0}}, "waves.max_vms: must be >= 1"),
    ({"waves": {"max_vcpu": -4}}, "waves.max_vcpu: must be >= 1"),
    ({"waves": {"max_vms": "20"}}, "waves.max_vms: must be a valid integer"),
    ({"waves": {"max_vms": 2.5}}, "waves.max_vms: must be a valid integer"),
    ({"waves": {"order": "sideways"}}, "waves.order: must be 'providers-first' or 'consumers-first'"),
    ({"waves": {"pin": {"db-pg-01": 0}}}, "waves.pin.db-pg-01: must be >= 1"),
    ({"waves": {"pin": {"db-pg-01": "2"}}}, "waves.pin.db-pg-01: must be a valid integer"),
    ({"waves": {"pin": ["db-pg-01=1"]}}, "waves.pin: must be a mapping"),
    ({"waves": {"exclude": "win-dc-01"}}, "waves.exclude: must be a valid list"),
    ({"waves": {"exclude": ["ok", 7]}}, "waves.exclude[1]: must be a valid string"),
    ({"waves": {"exclude": [""]}}, "waves.exclude[0]: must not be empty"),
    ({"waves": {"together": [["a", "b"], []]}}, "waves.together[1]: must not be empty"),
    ({"waves": {"together": ["a,b"]}}, "waves.together[0]: must be a valid list"),
    ({"waves": {"together_tag_categories": "move-group"}}, "waves.together_tag_categories: must be a valid list"),
    ({"waves": {"max_wave": 3}}, "waves.max_wave: unknown key"),
    ({"wave": {}}, "wave: unknown key"),
    ({"version": 2}, "version: must be 1"),
    ({"waves": ["max_vms"]}, "waves: must be a mapping"),
])
def test_validation_errors_name_the_file_and_key_path(document, problem):
    with pytest.raises(InputError) as caught:
        parse_wave_policy(document, "waves.yaml")
    assert str(caught.value) == f"waves.yaml: {problem}"


def test_every_problem_is_reported(tmp_path):
    path = write(tmp_path, "waves:\n  max_vms: 0\n  order: up\n  bogus: 1\n")
    with pytest.raises(InputError) as caught:
        load_wave_policy(path)
    assert str(caught.value) == (f"{path}: waves.order: must be 'providers-first' or 'consumers-first'; "
                                 "waves.max_vms: must be >= 1; waves.bogus: unknown key")


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="a wave policy must be a mapping"):
        load_wave_policy(write(tmp_path, "- max_vms: 3\n"))
    with pytest.raises(InputError, match="not valid YAML"):
        load_wave_policy(write(tmp_path, "waves: [\n"))
    with pytest.raises(NotFoundError, match="does not exist"):
        load_wave_policy(tmp_path / "missing.yaml")


# --- precedence ----------------------------------------------------------------------------------------------------

def test_overlay_scalars_override_lists_add():
    base = WaveSettings(consumers_first=True, max_vms=10, max_vcpu=64, pins={"a": 1, "b": 2}, exclude=["x"],
                        together=[["a", "b"]], tag_categories=["move-group"])
    top = WaveSettings(consumers_first=False, max_vms=5, pins={"a": 3}, exclude=["y", "x"], together=[["c", "d"]],
                       tag_categories=["app"])
    merged = base.overlay(top)
    assert (merged.consumers_first, merged.max_vms, merged.max_vcpu) == (False, 5, 64)
    assert merged.pins == {"a": 3, "b": 2} and merged.exclude == ["x", "y"]
    assert merged.together == [["a", "b"], ["c", "d"]]
    assert merged.categories() == ["move-group", "app"]
    assert base.overlay(WaveSettings()) == base


@pytest.mark.parametrize(("file_tags", "cli_tags", "expected"), [
    (None, None, ["move-group"]),
    (None, ["app"], ["app"]),
    ([], None, []),
    (["move-group"], ["app"], ["move-group", "app"]),
    (["move-group"], [""], []),
    (["move-group"], ["", "app"], ["app"]),
])
def test_tag_categories(file_tags, cli_tags, expected):
    merged = WaveSettings(tag_categories=file_tags).overlay(WaveSettings(tag_categories=cli_tags))
    assert merged.categories() == expected


def test_command_line_overrides_the_file(tmp_path, capsys):
    path = write(tmp_path, "waves:\n  order: consumers-first\n  max_vms: 10\n  max_vcpu: 64\n"
                           "  pin: {db-pg-01: 1, db-pg-02: 2}\n  exclude: [sol-billing-01]\n")
    document, _ = waves_json(capsys, "--policy", str(path))
    defaults = {"together": [], "tag_categories": ["move-group"], "include_strategies": [],
                "stay_behind_strategies": ["keep-vm", "retire", "exclude"], "policy": str(path)}
    assert document["options"] == {"max_vms": 10, "max_vcpu": 64, "pins": {"db-pg-01": 1, "db-pg-02": 2},
                                   "exclude": ["sol-billing-01"], "consumers_first": True, **defaults}
    document, _ = waves_json(capsys, "--policy", str(path), "--max-vms", "5", "--providers-first",
                             "--pin", "db-pg-01=3", "--exclude", "lab-plc-01")
    assert document["options"] == {"max_vms": 5, "max_vcpu": 64, "pins": {"db-pg-01": 3, "db-pg-02": 2},
                                   "exclude": ["lab-plc-01", "sol-billing-01"], "consumers_first": False,
                                   **defaults}
    assert wave_of(document)["db-pg-01"] == 3
    assert {each["vm"] for each in document["staying_behind"] if each["reason"] == "exclude"} == {
        "lab-plc-01", "sol-billing-01"}


def test_command_line_together_adds_to_the_files(tmp_path, capsys):
    path = write(tmp_path, "waves:\n  max_vms: 1\n  together: [[web-nginx-01, web-nginx-02]]\n")
    waves = wave_of(waves_json(capsys, "--policy", str(path), "--together", "db-pg-01,db-pg-02")[0])
    assert waves["web-nginx-01"] == waves["web-nginx-02"] and waves["db-pg-01"] == waves["db-pg-02"]


def test_invalid_policy_is_exit_3_naming_the_file(tmp_path, capsys):
    path = write(tmp_path, "waves:\n  max_vms: 0\n")
    assert run_planner(["waves", "example", "--policy", str(path)]) == 3
    assert f"{path}: waves.max_vms: must be >= 1" in capsys.readouterr().err.replace("\n", "")


def test_shipped_example_runs_on_the_example_estate(capsys):
    flows = str(EXAMPLE.with_name("flows.csv"))
    for argv, warnings in ((["--policy", str(EXAMPLE)], [NO_DEPENDENCY_DATA]),
                           (["--policy", str(EXAMPLE), "--flows", flows], [])):
        document, err = waves_json(capsys, *argv)
        assert document["warnings"] == warnings and err.count("warning") == len(warnings)
        behind = {each["vm"]: each["reason"] for each in document["staying_behind"]}
        assert behind["sol-billing-01"] == "exclude" and wave_of(document)["db-pg-01"] == 1
        # issue 12, item 8: the macOS build box and the domain controller (keep-vm) stay out of the waves
        assert behind["ci-macos-01"] == behind["win-dc-01"] == "strategy"
        assert all(wave["vm_count"] <= 10 and wave["num_cpu"] <= 64 for wave in document["waves"])
        waves = wave_of(document)
        assert waves["web-nginx-01"] == waves["web-nginx-02"]


# --- effect on groups and waves --------------------------------------------------------------------------------------

def chain_graph(three_tier):
    return build_graph(three_tier, [flow("192.0.2.10", "192.0.2.20", 8080), flow("192.0.2.20", "192.0.2.30", 5432)])


def analyse_with(graph, document):
    settings = parse_wave_policy(document, "waves.yaml").settings()
    return analyse(graph, together=settings.together, together_tag=settings.categories(),
                   options=settings.wave_options())


def test_together_groups_from_the_file_share_a_wave(three_tier):
    result = analyse_with(build_graph(three_tier, []), {"waves": {"max_vms": 1, "together": [["web", "db"]]}})
    assert result.plan.wave_of["web"] == result.plan.wave_of["db"]
    assert result.groups.group(result.groups.group_of["web"]).reasons == ["together"]
    assert len(result.plan.waves) == 3  # {db, web} over the cap, then app and lonely one by one


def test_tag_categories_from_the_file():
    estate = make_estate(make_vm("x", tags={"app": "erp"}), make_vm("y", tags={"app": "erp"}),
                         make_vm("z", tags={"move-group": "erp"}), make_vm("w", tags={"move-group": "erp"}))
    graph = build_graph(estate, [])
    groups = analyse_with(graph, {"waves": {"together_tag_categories": ["app"]}}).groups
    assert groups.group_of["x"] == groups.group_of["y"] and groups.group_of["z"] != groups.group_of["w"]
    groups = analyse_with(graph, {}).groups
    assert groups.group_of["x"] != groups.group_of["y"] and groups.group_of["z"] == groups.group_of["w"]


def test_order_from_the_file_flips_the_waves(three_tier):
    graph = chain_graph(three_tier)
    flipped = analyse_with(graph, {"waves": {"order": "consumers-first"}}).plan.wave_of
    assert flipped["web"] < flipped["app"] < flipped["db"]
    default = analyse_with(graph, {"waves": {"order": "providers-first"}}).plan.wave_of
    assert default["db"] < default["app"] < default["web"]


def test_pins_and_excludes_from_the_file(three_tier):
    plan = analyse_with(chain_graph(three_tier), {"waves": {"pin": {"lonely": 3}, "exclude": ["web"]}}).plan
    assert plan.wave_of["lonely"] == 3 and "web" not in plan.wave_of and plan.excluded == ["web"]
    assert [(r.client, r.kind) for r in plan.risks if r.kind == "permanent"] == [("web", "permanent")]


def test_unknown_names_in_the_file_are_errors_naming_file_and_key(tmp_path, capsys):
    """A typo in an exclude would silently migrate that VM: every unknown name is an error, by key path."""
    path = write(tmp_path, "waves:\n  pin: {ghost-01: 2}\n  exclude: [db-pg-1]\n"
                           "  together: [[web-nginx-01, web-ngnx-02]]\n")
    assert run_planner(["waves", "example", "--policy", str(path)]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert f"{path}: waves.pin.ghost-01: no VM named 'ghost-01'" in err and "ghost-01' in the snapshot;" in err
    assert "waves.exclude[0]: no VM named 'db-pg-1' in the snapshot (did you mean db-pg-01?)" in err
    assert "waves.together[0][1]: no VM named 'web-ngnx-02' in the snapshot (did you mean web-nginx-02?)" in err


def test_include_strategies_in_the_file(tmp_path):
    policy = parse_wave_policy({"waves": {"include_strategies": ["retire"]}}, "waves.yaml").settings()
    assert policy.stay_behind_strategies() == ["keep-vm", "exclude"]
    merged = policy.overlay(WaveSettings(include_strategies=["keep-vm"]))
    assert merged.stay_behind_strategies() == ["exclude"]
    assert WaveSettings(include_strategies=["all"]).stay_behind_strategies() == []
    with pytest.raises(InputError, match=r"waves.yaml: waves.include_strategies\[0\]"):
        parse_wave_policy({"waves": {"include_strategies": ["keepvm"]}}, "waves.yaml")
