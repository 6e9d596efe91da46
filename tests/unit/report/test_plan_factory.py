"""The test factory's plans are what planner.plan writes: they validate against planner/plan/schema.json."""

from __future__ import annotations

import importlib
import importlib.util
import json

import pytest

from tests.support.plan_factory import make_plan


@pytest.mark.parametrize(("vms", "hostile", "known"), [(1, False, True), (60, True, True), (60, False, False)])
def test_factory_plans_validate_against_the_plan_schema(vms: int, hostile: bool, known: bool) -> None:
    import jsonschema

    schema_path = importlib.import_module("planner.plan").SCHEMA_PATH  # (ruff sorts it alike before and after merge)
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(
        make_plan(vms, hostile=hostile, dependencies_known=known)))
    assert [f"{list(error.absolute_path)}: {error.message}" for error in errors[:5]] == []
