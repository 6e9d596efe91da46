"""Policy files: defaults, strict validation with key paths, compilation."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.assess.policy import Policy, compile_policy, load_policy, parse_policy
from planner.assess.registry import builtin_registry
from planner.errors import InputError
from planner.models import OsFamily

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
    with pytest.raises(InputError, match="cannot read policy"):
        load_policy(tmp_path / "missing.yaml")


def test_bad_keyword_regex_names_the_list() -> None:
    policy = parse_policy({"keywords": {"compliance": ["pci("]}}, "p")
    with pytest.raises(InputError, match=r"keywords\.compliance: not a valid regular expression"):
        compile_policy(policy, SEVERITIES)


def test_unquoted_numeric_versions_are_accepted() -> None:
    policy = parse_policy({"thresholds": {"min_os_versions": {"Debian": 11, "ubuntu": 20.04}}}, "p")
    assert policy.thresholds.min_os_versions == {"debian": "11", "ubuntu": "20.04"}


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
