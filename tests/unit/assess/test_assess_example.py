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
    for strategy in (Strategy.CONTAINERIZE, Strategy.REFACTOR, Strategy.KEEP_VM, Strategy.RETIRE, Strategy.EXCLUDE):
        assert strategies[strategy], strategy
    by_name = {a.vm: a for a in result.vms}
    assert by_name["db-oracle-rac-01"].strategy is Strategy.KEEP_VM
    assert {"POR009", "POR019"} <= {f.rule for f in by_name["db-oracle-rac-01"].findings}
    assert by_name["tmpl-rhel7-base"].strategy is Strategy.EXCLUDE
    assert by_name["web-nginx-01"].strategy is Strategy.CONTAINERIZE


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_every_format_renders(estate: Estate, fmt: str) -> None:
    assert render(assess_estate(estate), fmt).strip()
