"""Meta-tests on the catalogue: ids, metadata, docs, and test cases for every rule."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from planner.assess.base import RULE_ID, Criterion, Hit, Rule, Severity
from planner.assess.docs import main as docs_main
from planner.assess.docs import render_rules_doc
from planner.assess.registry import RuleRegistry, builtin_registry
from planner.assess.rules import BUILTIN_RULES
from tests.unit.assess.conftest import load_cases

ROOT = Path(__file__).resolve().parents[3]
RULES_DOC = ROOT / "docs" / "rules.md"
ISSUE_PREFIXES = {"ARC": Criterion.ARCHITECTURE, "RES": Criterion.RESOURCE_UTILIZATION,
                  "ISO": Criterion.ISOLATION, "POR": Criterion.PORTABILITY, "PRF": Criterion.PERFORMANCE}


def test_at_least_thirty_rules() -> None:
    assert len(BUILTIN_RULES) >= 30


def test_ids_are_unique_and_well_formed() -> None:
    counts = Counter(rule.id for rule in BUILTIN_RULES)
    assert [rid for rid, n in counts.items() if n > 1] == []
    assert all(RULE_ID.match(rule.id) for rule in BUILTIN_RULES)


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda r: r.id)
def test_rule_metadata(rule: type[Rule]) -> None:
    assert isinstance(rule.criterion, Criterion)
    assert isinstance(rule.severity, Severity)
    assert rule.summary and "\n" not in rule.summary and rule.summary == (rule.__doc__ or "").strip()
    assert rule.remediation.strip()
    prefix = rule.id[:3]
    if prefix in ISSUE_PREFIXES:
        assert rule.criterion is ISSUE_PREFIXES[prefix], "the id prefix names the criterion"
        assert not rule.requires_facts
    else:
        assert prefix == "GST" and rule.requires_facts, "guest-level rules are GST and need discovery data"


def test_every_criterion_and_severity_is_used() -> None:
    assert {r.criterion for r in BUILTIN_RULES} == set(Criterion)
    assert {r.severity for r in BUILTIN_RULES} == set(Severity)


def test_every_rule_has_a_pass_and_a_fail_case() -> None:
    cases = load_cases()
    missing = []
    for rule in BUILTIN_RULES:
        expects = {case["expect"] for case in cases.get(rule.id, [])}
        if expects != {"pass", "fail"}:
            missing.append(f"{rule.id}: has {sorted(expects)}")
    assert missing == []
    assert set(cases) <= {r.id for r in BUILTIN_RULES}, "cases for rules that do not exist"


def test_every_rule_has_a_docs_entry_and_the_page_is_fresh() -> None:
    text = RULES_DOC.read_text(encoding="utf-8")
    for rule in BUILTIN_RULES:
        assert f"### {rule.id}\n" in text, f"{rule.id} missing from docs/rules.md"
    assert text == render_rules_doc(builtin_registry()), (
        "docs/rules.md is stale: run `python -m planner.assess.docs`")


def test_docs_check_mode(tmp_path: Path) -> None:
    page = tmp_path / "rules.md"
    assert docs_main(["--check", str(page)]) == 1
    assert docs_main([str(page)]) == 0
    assert docs_main(["--check", str(page)]) == 0


def test_issue_catalogue_is_covered() -> None:
    """Each trait the issue lists maps to a rule that exists (a guard against silently dropping one)."""
    traits = {
        "non-Linux guest": "ARC001", "Windows desktop": "ARC002", "unknown OS": "ARC003", "32-bit": "ARC004",
        "end-of-life": "ARC005", "very old release": "ARC006", "USB": "POR001", "serial": "POR003",
        "parallel": "POR004",
        "PCI passthrough": "POR005", "vGPU": "POR006", "RDM physical": "POR007", "RDM virtual": "POR008",
        "multi-writer": "POR009", "independent": "POR010", "connected ISO": "POR011", "snapshots": "POR012",
        "consolidation": "POR013", "huge vCPU": "RES003", "huge memory": "RES004", "reservations": "RES005",
        "memory reservation": "RES006", "latency sensitivity": "PRF001", "CPU affinity": "PRF002",
        "NUMA": "PRF003", "fault tolerance": "POR015", "VM-host affinity": "POR019", "TPM": "POR014",
        "secure boot": "ISO004", "many NICs": "POR017", "powered off": "RES001", "templates": "RES002",
        "compliance tags": "ISO001", "compliance attributes": "ISO002", "compliance annotation": "ISO003",
        "database engine": "GST001", "listeners on IPs": "GST002", "NFS/CIFS": "GST003", "kernel modules": "GST004",
        "privileged processes": "GST005", "cron": "GST006", "local data": "GST007", "/etc/hosts": "GST008",
        "SELinux": "GST009", "Docker installed": "GST010",
    }
    ids = {r.id for r in BUILTIN_RULES}
    assert {t: r for t, r in traits.items() if r not in ids} == {}


ANCHORS = {  # issue 15: the rule each anchor check maps to (Konveyor Forklift, Google Migration Center's mcdc)
    "mcdc FIT-1 insufficient data": "ARC007", "mcdc HRD-3 CPU architecture": "ARC008",
    "Forklift sriov_device": "POR020", "SCSI passthrough (tape, changer)": "POR021",
    "Forklift numa_affinity": "PRF006", "mcdc NET-3 one port, several addresses": "GST013",
    "mcdc STO-5 exported NFS": "GST014", "mcdc STO-7 raw block devices": "GST015",
    "mcdc STO-2 / Forklift btrfs: file systems that do not carry over": "GST016",
}


def test_issue_15_anchor_checks_are_covered() -> None:
    rules = {r.id: r for r in BUILTIN_RULES}
    assert {anchor: rule for anchor, rule in ANCHORS.items() if rule not in rules} == {}
    assert rules["POR021"].severity is Severity.BLOCKER and rules["POR021"].criterion is Criterion.PORTABILITY
    assert not rules["ARC007"].requires_facts and rules["GST015"].requires_facts


class _Good(Rule):
    """A fine rule."""

    id = "TST001"
    criterion = Criterion.PORTABILITY
    severity = Severity.LOW
    remediation = "Nothing."

    def check(self, vm, ctx):
        yield Hit("x")


@pytest.mark.parametrize(("attrs", "problem"), [
    ({"id": "bad"}, "id must look like"),
    ({"criterion": "architecture"}, "criterion must be"),
    ({"severity": "fatal"}, "severity must be"),
    ({"__doc__": None}, "one-line docstring"),
    ({"__doc__": "two\nlines"}, "one-line docstring"),
    ({"remediation": " "}, "remediation"),
])
def test_metadata_is_validated_at_class_definition(attrs: dict[str, object], problem: str) -> None:
    namespace = {"id": "TST002", "criterion": Criterion.PORTABILITY, "severity": Severity.LOW,
                 "remediation": "r", "__doc__": "Doc.", "check": _Good.check} | attrs
    with pytest.raises(TypeError, match=re.escape(problem)):
        type("Broken", (Rule,), namespace)


def test_rule_without_check_is_refused() -> None:
    with pytest.raises(TypeError, match="must implement check"):
        type("NoCheck", (Rule,), {"id": "TST003", "criterion": Criterion.PORTABILITY, "severity": Severity.LOW,
                                  "remediation": "r", "__doc__": "Doc."})


def test_registry_refuses_duplicate_ids() -> None:
    twin = type("Twin", (_Good,), {"__doc__": "Same id."})
    with pytest.raises(ValueError, match="duplicate rule id TST001"):
        RuleRegistry([_Good, twin])
