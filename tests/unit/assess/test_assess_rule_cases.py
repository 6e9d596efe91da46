"""Every rule against its YAML pass/fail cases (tests/unit/assess/cases/*.yaml)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.assess.conftest import REGISTRY, load_cases, run_rule

CASES = load_cases()
PARAMS = [pytest.param(rule_id, case, id=f"{rule_id}-{case['name']}")
          for rule_id, items in CASES.items() for case in items]


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(_subset(e, a) for e, a in zip(expected, actual, strict=True)))
    return bool(expected == actual)


@pytest.mark.parametrize(("rule_id", "case"), PARAMS)
def test_rule_case(rule_id: str, case: dict[str, Any]) -> None:
    assert rule_id in REGISTRY, f"{case['file']}: unknown rule {rule_id}"
    assert case["expect"] in ("pass", "fail"), f"{case['file']}: expect must be pass or fail"
    hits = run_rule(REGISTRY.get(rule_id), case)
    if case["expect"] == "pass":
        assert hits == [], f"{rule_id} should not fire: {hits}"
        return
    assert hits, f"{rule_id} should fire"
    for hit in hits:
        assert hit.message and "\n" not in hit.message
        json.dumps(hit.evidence)  # evidence is JSON-serialisable as is
    if "evidence" in case:
        assert _subset(case["evidence"], hits[0].evidence), hits[0].evidence
