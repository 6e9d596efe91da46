"""The automation written from the recorded guests' generate.json (the generation tests' fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.automation import AutomationOptions, write_automation
from planner.generate import GenerateOptions, GenerateResult, generate
from tests.unit.generate.conftest import TEST_POLICY, estate_for, load_guests

CONNECTION = {"ansible_user": "root", "ansible_port": 2277, "ansible_password": "never-written",
              "ansible_ssh_common_args": "-o StrictHostKeyChecking=no"}
SIZING = {"redis": {"requests": {"cpu_cores": 0.25, "memory_mib": 256}, "limits": {"cpu_cores": 1, "memory_mib": 512}}}


@pytest.fixture(scope="session")
def generated_images(tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    guests = load_guests()
    output = tmp_path_factory.mktemp("automation")
    return generate(estate_for(guests), list(guests.values()), GenerateOptions(
        output=output, vms=list(guests), policy=TEST_POLICY, policy_origin="test-policy.yaml"), snapshot=7)


@pytest.fixture(scope="session")
def automation(generated_images: GenerateResult) -> Path:
    output = generated_images.path.parent
    write_automation(output, generated_images.document, AutomationOptions(
        connection=CONNECTION, sizing=SIZING, datacenters={"web": "DC0"}, datacenter="DC0"))
    return output
