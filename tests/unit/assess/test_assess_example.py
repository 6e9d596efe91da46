"""The bundled example estate (inventories/example/estate.json) assessed with the shipped defaults."""

from __future__ import annotations

from collections import Counter

import pytest

from planner.assess import assess_estate, render
from planner.assess.fit import Strategy
from planner.models import Estate
from planner.resources import example_estate_path


@pytest.fixture(scope="module")
def estate() -> Estate:
    path = example_estate_path()
    if not path.exists():
        pytest.skip("inventories/example/estate.json is not there yet")
    return Estate.model_validate_json(path.read_text(encoding="utf-8"))


def test_every_vm_gets_a_verdict(estate: Estate) -> None:
    result = assess_estate(estate)
    assert [a.vm for a in result.vms] == [vm.name for vm in estate.vms]
    assert not [f for a in result.vms for f in a.findings if f.internal]
    strategies = Counter(a.strategy for a in result.vms)
    for strategy in (Strategy.CONTAINERIZE, Strategy.KEEP_VM, Strategy.RETIRE, Strategy.EXCLUDE):
        assert strategies[strategy], strategy
    by_name = {a.vm: a for a in result.vms}
    assert by_name["db-oracle-rac-01"].strategy is Strategy.KEEP_VM
    assert {"POR009", "POR019"} <= {f.rule for f in by_name["db-oracle-rac-01"].findings}
    assert by_name["tmpl-rhel7-base"].strategy is Strategy.EXCLUDE
    assert by_name["web-nginx-01"].strategy is Strategy.CONTAINERIZE
    # the vSphere-visible rules of issue 15 each have a VM
    assert "POR021" in {f.rule for f in by_name["bak-media-01"].findings}
    assert by_name["bak-media-01"].strategy is Strategy.KEEP_VM
    assert {"POR020", "PRF006"} <= {f.rule for f in by_name["app-fix-gateway-01"].findings}


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_every_format_renders(estate: Estate, fmt: str) -> None:
    assert render(assess_estate(estate), fmt).strip()


def test_verdicts_a_migration_engineer_would_sign(estate: Estate) -> None:
    by_name = {a.vm: a for a in assess_estate(estate).vms}
    rules = {name: {f.rule: f.severity.value for f in a.findings} for name, a in by_name.items()}
    # out-of-support releases are called out from guest ids alone (no discovery ran on the example estate) ...
    for name in ("web-apache-01", "web-apache-02", "dmz-proxy-01", "app-kafka-01", "db-oracle-rac-01"):
        assert rules[name].get("ARC005") == "medium", name
    # ... without being told apart from supported ones by luck
    for name in ("app-java-orders-01", "web-nginx-01"):
        assert "ARC005" not in rules[name], name
    assert rules["app-legacy-crm"].get("ARC006") == "high"  # CentOS 6, 32-bit
    assert by_name["app-legacy-crm"].strategy is Strategy.KEEP_VM
    for result in by_name.values():
        severities = {f.severity.value for f in result.findings}
        if result.strategy is Strategy.CONTAINERIZE:
            assert not severities & {"high", "blocker"}, result.vm
        if result.power_state == "poweredOn":
            assert result.sizing.memory_basis == "quickstats", result.vm
            assert 0 < result.sizing.memory_request_mib <= (result.sizing.allocated_memory_mib or 0)


def test_no_vm_is_excellent_on_vsphere_data_alone(estate: Estate) -> None:
    """No discovery ran on the example estate: every workload says so (ARC007) and none comes out excellent."""
    result = assess_estate(estate)
    workloads = [a for a in result.vms if a.strategy is not Strategy.EXCLUDE]
    assert result.vsphere_only() == len(workloads) > 30
    assert all(a.fit.value != "excellent" for a in workloads)
    assert all("ARC007" in {f.rule for f in a.findings} for a in workloads)
    assert f"{len(workloads)} of {len(workloads)} workloads assessed from vSphere data alone" in render(result, "table")
