"""Policy files: defaults, strict validation with key paths, compilation."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.assess import run_assessment
from planner.assess.base import Severity
from planner.assess.policy import Policy, compile_policy, load_policy, parse_policy
from planner.assess.registry import builtin_registry
from planner.errors import InputError, NotFoundError
from planner.models import OsFamily
from tests.unit.assess.conftest import make_estate, make_vm

ROOT = Path(__file__).resolve().parents[3]
SEVERITIES = {rule.id: rule.severity for rule in builtin_registry()}


def test_shipped_example_is_the_defaults() -> None:
    assert load_policy(ROOT / "examples" / "policy.yaml") == Policy()


def test_no_file_and_empty_file_are_defaults(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    assert load_policy(None) == Policy() == load_policy(empty)


@pytest.mark.parametrize(("document", "message"), [
    ({"thresholds": {"huge_memory_gib": 0}}, "thresholds.huge_memory_gib: must be > 0"),
    ({"thresholds": {"huge_memory_gib": -1}}, "thresholds.huge_memory_gib: must be > 0"),
    ({"thresholds": {"idle_cpu_percent": 101}}, "thresholds.idle_cpu_percent: must be <= 100"),
    ({"thresholds": {"huge_vcpus": 8}}, "thresholds.huge_vcpus: unknown key"),
    ({"treshold": {}}, "treshold: unknown key"),
    ({"rules": {"ARC001": {"severity": "fatal"}}}, "rules.ARC001.severity: must be 'info', 'low'"),
    ({"rules": {"ARC001": {"enable": False}}}, "rules.ARC001.enable: unknown key"),
    ({"target": {"os_families": ["linux", "plan9"]}}, "target.os_families[1]: must be"),
    ({"target": {"os_families": []}}, "target.os_families: "),
    ({"network": {"static_ip_cidrs": ["10.0.0.0/33"]}}, "network.static_ip_cidrs: '10.0.0.0/33' is not a CIDR"),
    ({"thresholds": {"min_kernel": "3"}}, "thresholds.min_kernel: "),
    ({"thresholds": {"min_os_versions": {"debian": "bookworm"}}}, "thresholds.min_os_versions: debian"),
    ({"version": 2}, "version: must be 1"),
    ({"sizing": {"cpu_limit_factor": 0.5}}, "sizing.cpu_limit_factor: must be >= 1"),
])
def test_invalid_policy_names_the_key_path(document: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_policy(document, "my.yaml")
    assert info.value.exit_code == 3
    assert str(info.value).startswith("my.yaml: invalid policy: ")
    assert message in str(info.value)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="must be a mapping"):
        load_policy(path)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("rules: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_policy(path)
    with pytest.raises(NotFoundError, match="does not exist") as info:
        load_policy(tmp_path / "missing.yaml")
    assert info.value.exit_code == 4  # docs/exit-codes.md: missing file -> not found
    (tmp_path / "latin1.yaml").write_bytes(b"rules: {}  # caf\xe9\n")
    with pytest.raises(InputError, match=r"cannot read policy .*not UTF-8"):
        load_policy(tmp_path / "latin1.yaml")


def test_bad_keyword_regex_names_the_list_and_file() -> None:
    with pytest.raises(InputError, match=r"^p\.yaml: invalid policy: keywords\.compliance: 'pci\(' is not a valid "):
        parse_policy({"keywords": {"compliance": ["pci("]}}, "p.yaml")


def test_unquoted_integer_versions_are_accepted() -> None:
    policy = parse_policy({"thresholds": {"min_os_versions": {"Debian": 11, "ubuntu": "20.04"}}}, "p")
    assert policy.thresholds.min_os_versions == {"debian": "11", "ubuntu": "20.04"}


@pytest.mark.parametrize(("document", "message"), [
    # YAML reads `rhel: 8.10` as the float 8.1: refused (with how to fix it) rather than silently changed.
    ({"thresholds": {"min_os_versions": {"rhel": 8.10}}}, 'thresholds.min_os_versions: rhel: write the version in '
                                                           'quotes'),
    # a non-string key used to crash the validator (AttributeError -> internal error, exit 1)
    ({"thresholds": {"min_os_versions": {1: "8"}}}, "thresholds.min_os_versions: 1 is not an os-release ID"),
    ({"thresholds": {"min_os_versions": {"rhel": True}}}, "thresholds.min_os_versions: rhel: True is not a version"),
    # lax coercion used to accept these silently
    ({"thresholds": {"huge_vcpu": "16"}}, "thresholds.huge_vcpu: must be a valid integer"),
    ({"thresholds": {"huge_vcpu": True}}, "thresholds.huge_vcpu: must be a valid integer"),
    ({"rules": {"ARC001": {"enabled": "no"}}}, "rules.ARC001.enabled: must be a valid boolean"),
    ({"rules": {"ARC001": {"enabled": 0}}}, "rules.ARC001.enabled: must be a valid boolean"),
    ({"keywords": {"compliance": "pci"}}, "keywords.compliance: must be a valid list"),
    # infinite headroom used to crash sizing (int(inf)); NaN/inf are never meaningful
    ({"sizing": {"memory_headroom_percent": float("inf")}}, "sizing.memory_headroom_percent: must be a finite"),
    ({"thresholds": {"huge_memory_gib": float("nan")}}, "thresholds.huge_memory_gib: must be a finite"),
    ({"target": {"os_families": ["unknown"]}}, "target.os_families: 'unknown' is not an OS family"),
])
def test_wrong_types_are_errors_not_coerced(document: dict[object, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_policy(document, "my.yaml")
    assert str(info.value).startswith("my.yaml: invalid policy: ")
    assert message in str(info.value)


def test_strings_still_name_severities_and_families() -> None:
    policy = parse_policy({"rules": {"ARC001": {"severity": "low", "enabled": True}},
                           "target": {"os_families": ["linux", "windows"]},
                           "thresholds": {"huge_memory_gib": 64, "idle_cpu_percent": 1.5}}, "p")
    assert policy.rules["ARC001"].severity is Severity.LOW
    assert policy.target.os_families == [OsFamily.LINUX, OsFamily.WINDOWS]
    assert policy.thresholds.huge_memory_gib == 64


def test_unknown_rule_id_names_file_key_and_closest_id(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("rules:\n  arc001: {enabled: false}\n")
    with pytest.raises(InputError) as info:
        run_assessment(make_estate([make_vm()]), path, "json")
    assert str(info.value) == f"{path}: invalid policy: rules.arc001: unknown rule id (did you mean ARC001?)"
    assert info.value.exit_code == 3


def test_compile_resolves_switches_and_keywords() -> None:
    policy = parse_policy({"rules": {"ISO004": {"enabled": False}, "RES003": {"severity": "high"}},
                           "target": {"os_families": ["linux", "windows"]},
                           "keywords": {"compliance": ["pci"], "sensitive_networks": []}}, "p")
    compiled = compile_policy(policy, SEVERITIES)
    assert "ISO004" not in compiled.enabled and "RES003" in compiled.enabled
    assert compiled.severities["RES003"].value == "high"
    assert compiled.severities["RES004"] is SEVERITIES["RES004"]
    assert compiled.accepted_families == {OsFamily.LINUX, OsFamily.WINDOWS}
    assert compiled.compliance is not None and compiled.compliance.search("in PCI scope")
    assert not compiled.compliance.search("epicenter")
    assert compiled.sensitive_networks is None


def test_empty_sections_mean_defaults(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("rules:\n  # ISO004: {enabled: false}\nthresholds:\nkeywords:\n")
    assert load_policy(path) == Policy()
    with pytest.raises(InputError, match=r"thresholds\.huge_vcpu: must be a valid integer"):
        parse_policy({"thresholds": {"huge_vcpu": None}}, "p")


def test_idle_must_be_below_busy() -> None:
    with pytest.raises(InputError, match=r"thresholds: idle_cpu_percent \(90\) must be below busy_cpu_percent"):
        parse_policy({"thresholds": {"idle_cpu_percent": 90}}, "p")


def test_target_architectures_are_named_and_normalised() -> None:
    policy = parse_policy({"target": {"architectures": ["amd64", "arm64", "aarch64"]}}, "p.yaml")
    assert policy.target.architectures == ["x86_64", "aarch64"]
    assert compile_policy(policy, SEVERITIES).target_architectures == frozenset({"x86_64", "aarch64"})
    assert compile_policy(Policy(), SEVERITIES).target_architectures == frozenset({"x86_64"})
    with pytest.raises(InputError, match=r"p\.yaml: invalid policy: target\.architectures: .*'sparcv9' is not a CPU "
                                         r"architecture planner knows \(one of x86_64, aarch64"):
        parse_policy({"target": {"architectures": ["sparcv9"]}}, "p.yaml")
    with pytest.raises(InputError, match=r"target\.architectures"):
        parse_policy({"target": {"architectures": []}}, "p.yaml")
