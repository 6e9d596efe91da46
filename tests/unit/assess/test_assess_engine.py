"""The engine: internal findings, plugins, policy switches, facts, and the fit/strategy invariants."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pytest

from planner.assess import assess_estate
from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.engine import Assessment, VmAssessment
from planner.assess.fit import Fit, Strategy
from planner.assess.policy import parse_policy
from planner.assess.registry import ENTRY_POINT_GROUP, RuleRegistry, builtin_registry, default_registry
from planner.errors import InputError
from planner.models import Vm
from tests.unit.assess.conftest import key_of, make_estate, make_facts, make_vm

UNKNOWN_GUEST = {"family": "unknown", "configured_id": None, "tools_id": None, "configured_name": None,
                 "tools_name": None}


def one(vm: dict[str, Any] | None = None, policy: dict[str, Any] | None = None, **kwargs: Any) -> VmAssessment:
    result = assess_estate(make_estate([vm or make_vm()]), parse_policy(policy, "test"), **kwargs)
    assert len(result.vms) == 1
    return result.vms[0]


class Exploding(Rule):
    """Always raises."""

    id = "TST100"
    criterion = Criterion.PERFORMANCE
    severity = Severity.HIGH
    remediation = "None."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        raise RuntimeError("boom")


class FromPlugin(Rule):
    """A third-party rule."""

    id = "EXT001"
    criterion = Criterion.ISOLATION
    severity = Severity.LOW
    remediation = "Do the thing."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        yield Hit("plugin says hi", {"vm": vm.name})


FACTS = {key_of(make_vm()): make_facts()}
"""Discovery facts for the default VM: without them ARC007 fires on every workload."""


def test_clean_vm_is_containerized() -> None:
    result = one(facts=FACTS)
    assert result.findings == [] and result.guest_data
    assert (result.fit, result.score, result.strategy) == (Fit.EXCELLENT, 100, Strategy.CONTAINERIZE)


def test_without_guest_data_the_fit_is_capped_at_good() -> None:
    result = one()
    assert [(f.rule, f.severity) for f in result.findings] == [("ARC007", Severity.INFO)]
    assert "GST001" in result.findings[0].evidence["guest_checks"] and not result.guest_data
    assert (result.fit, result.score, result.strategy) == (Fit.GOOD, 100, Strategy.CONTAINERIZE)
    assert result.as_dict()["guest_data"] is False
    # turned off by policy (the team accepts vSphere-only verdicts): no finding, no cap
    quiet = one(policy={"rules": {"ARC007": {"enabled": False}}})
    assert (quiet.findings, quiet.fit) == ([], Fit.EXCELLENT)


def test_raising_rule_becomes_an_internal_finding() -> None:
    registry = RuleRegistry([*builtin_registry(), Exploding])
    result = assess_estate(make_estate([make_vm(), make_vm(name="app02")]), registry=registry)
    assert len(result.vms) == 2
    for vm in result.vms:
        internal = [f for f in vm.findings if f.rule == "TST100"]
        assert len(internal) == 1 and internal[0].internal
        assert internal[0].severity is Severity.INFO and "RuntimeError: boom" in internal[0].message
        assert internal[0].as_dict()["internal"] is True
        assert vm.strategy is Strategy.INVESTIGATE, "an incomplete assessment is never containerize"
        assert vm.score == 100


def test_entry_point_rules_load(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("planner_test_plugin")
    module.RULES = (FromPlugin,)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "planner_test_plugin", module)
    entry = metadata.EntryPoint(name="demo", value="planner_test_plugin", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [entry] if group == ENTRY_POINT_GROUP else [])
    registry = default_registry()
    assert "EXT001" in registry
    result = assess_estate(make_estate(), registry=registry, facts=FACTS)
    assert [f.rule for f in result.vms[0].findings] == ["EXT001"]
    # policy can address plugin rules too
    quiet = assess_estate(make_estate(), parse_policy({"rules": {"EXT001": {"enabled": False}}}, "t"),
                          registry=registry, facts=FACTS)
    assert quiet.vms[0].findings == []


def test_broken_entry_point_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = metadata.EntryPoint(name="broken", value="planner_no_such_module_xyz", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [entry])
    with pytest.raises(InputError, match="rule plugin 'broken'"):
        default_registry()


def test_policy_disables_and_overrides() -> None:
    vm = make_vm(devices={"pci": [{"label": "PCI 0", "kind": "passthrough"}]}, secure_boot=True)
    assert {f.rule for f in one(vm, facts=FACTS).findings} == {"POR005", "ISO004"}
    result = one(vm, {"rules": {"ISO004": {"enabled": False}, "POR005": {"severity": "medium"}}}, facts=FACTS)
    assert [(f.rule, f.severity) for f in result.findings] == [("POR005", Severity.MEDIUM)]
    assert result.fit is not Fit.NONE


def test_unknown_rule_id_in_policy() -> None:
    with pytest.raises(InputError, match=r"rules\.XYZ999: unknown rule id"):
        assess_estate(make_estate(), parse_policy({"rules": {"XYZ999": {"enabled": False}}}, "p.yaml"))


def test_guest_rules_need_facts() -> None:
    facts = make_facts({"processes": [{"user": "mysql", "exe": "/usr/sbin/mysqld"}]})
    assert "GST001" not in {f.rule for f in one().findings}
    assert "GST001" in {f.rule for f in one(facts={key_of(make_vm()): facts}).findings}
    assert "GST001" not in {f.rule for f in one(facts={"app01": facts}).findings}, "facts are keyed by Vm.key"


def test_findings_carry_the_contract_fields() -> None:
    result = one(make_vm(devices={"tpm": True}), facts=FACTS)
    (finding,) = result.findings
    data = finding.as_dict()
    assert set(data) == {"rule", "criterion", "severity", "message", "evidence", "remediation"}
    assert data["criterion"] in {c.value for c in Criterion} and data["severity"] in {s.value for s in Severity}


# --- fit / strategy invariants -------------------------------------------------------------------------

TRAITS: list[dict[str, Any]] = [
    {},
    {"power_state": "poweredOff"},
    {"guest": UNKNOWN_GUEST},
    {"guest": {"family": "windows", "configured_id": "windows2019srv_64Guest"}},
    {"devices": {"pci": [{"label": "PCI 0", "kind": "passthrough"}]}},
    {"disks": [{"label": "d", "backing": "rdm", "rdm_mode": "physical"}]},
    {"disks": [{"label": "d", "sharing": "sharingMultiWriter"}]},
    {"devices": {"serial_ports": [{"label": "s"}], "tpm": True}, "latency_sensitivity": "high"},
    {"tags": [{"category": "compliance", "name": "PCI"}]},
    {"num_cpu": 32, "memory_mib": 262144},
    {"snapshots": [{"name": "s"}], "consolidation_needed": True},
    {"guest": UNKNOWN_GUEST, "devices": {"pci": [{"label": "PCI 0", "kind": "passthrough"}]}},
    {"power_state": "poweredOff", "devices": {"pci": [{"label": "PCI 0", "kind": "passthrough"}]}},
]


def _assessed() -> Assessment:
    vms = [make_vm(name=f"vm{i}", **trait) for i, trait in enumerate(TRAITS)]
    vms += [make_vm(**{"power_state": "poweredOff", **trait, "name": f"tpl{i}", "template": True})
            for i, trait in enumerate(TRAITS)]
    return assess_estate(make_estate(vms))


def test_templates_are_always_excluded() -> None:
    for result in _assessed().vms:
        assert (result.strategy is Strategy.EXCLUDE) == result.template, result.vm


def test_no_os_data_is_unknown_and_investigate() -> None:
    unknown = [r for r in _assessed().vms if r.os_family.value == "unknown"]
    assert unknown
    for result in unknown:
        assert result.fit is Fit.UNKNOWN
        assert result.strategy in (Strategy.INVESTIGATE, Strategy.EXCLUDE)
        assert result.strategy is Strategy.INVESTIGATE or result.template


def test_any_blocker_is_never_containerize() -> None:
    blocked = [r for r in _assessed().vms if any(f.severity is Severity.BLOCKER for f in r.findings)]
    assert len(blocked) >= 6
    for result in blocked:
        assert result.strategy is not Strategy.CONTAINERIZE
        assert result.fit in (Fit.NONE, Fit.UNKNOWN)
        assert result.score == 0


def test_high_findings_are_never_containerize() -> None:
    for result in _assessed().vms:
        if any(f.severity is Severity.HIGH for f in result.findings):
            assert result.strategy is not Strategy.CONTAINERIZE


def test_score_bounds_and_fit_bands() -> None:
    for result in _assessed().vms:
        assert 0 <= result.score <= 100
        if result.fit is Fit.EXCELLENT:
            assert result.score >= 85


def test_powered_off_is_retire() -> None:
    assert one(make_vm(power_state="poweredOff")).strategy is Strategy.RETIRE


def test_moderate_is_refactor() -> None:
    vm = make_vm(num_cpu=32, memory_mib=262144, host="unknown-host",
                 nics=[{"label": str(i), "network": "n"} for i in range(4)],
                 usage={"cpu_mhz": 30000, "guest_memory_mib": 200000})
    result = one(vm)
    assert result.fit is Fit.MODERATE and result.strategy is Strategy.REFACTOR, result


def test_single_pass_uses_index_not_scans() -> None:
    """VM-host rules are looked up per VM through the index (no pairwise scan); check the answer is right."""
    rules = [{"name": f"r{i}", "kind": "vm-host", "vms": [f"vm{i}"]} for i in range(0, 200, 2)]
    estate = make_estate([make_vm(name=f"vm{i}") for i in range(200)],
                         clusters=[{"name": "cl1", "source": "vc1", "rules": rules}])
    result = assess_estate(estate)
    pinned = [r.vm for r in result.vms if any(f.rule == "POR019" for f in r.findings)]
    assert pinned == [f"vm{i}" for i in range(0, 200, 2)]


def test_unspecified_other_guest_type_is_unknown_not_a_blocker() -> None:
    # "Other (64-bit)" means nobody set the guest OS type (often a Linux appliance): investigate, don't condemn.
    generic = {"family": "other", "configured_id": "otherGuest64", "configured_name": "Other (64-bit)",
               "tools_id": None, "tools_name": None}
    result = one(make_vm(guest=generic))
    rules = {f.rule for f in result.findings}
    assert "ARC001" not in rules and "ARC003" in rules
    assert (result.fit, result.strategy) == (Fit.UNKNOWN, Strategy.INVESTIGATE)
    # a real non-Linux "other" (NetWare) stays a blocker, and tools that know better win
    netware = {"family": "other", "configured_id": "netware6Guest", "configured_name": "Novell NetWare 6.x",
               "tools_id": None, "tools_name": None}
    assert "ARC001" in {f.rule for f in one(make_vm(guest=netware)).findings}
    told = dict(generic, family="unknown", tools_id="debian12_64Guest", tools_name="Debian GNU/Linux 12 (64-bit)")
    assert one(make_vm(guest=told)).os_family.value == "linux"
