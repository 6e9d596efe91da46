"""Recorded discovery facts (data/*.json, written by data/build.py) and an estate whose VMs they match."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.generate import GenerateOptions, GenerateResult, generate
from planner.generate_policy import BaseImagePolicy
from planner.models import Estate, PowerState, Vm
from planner.models.discovery import GuestDiscovery

DATA = Path(__file__).parent / "data"
TEST_POLICY = BaseImagePolicy.model_validate({"images": {
    "debian:bookworm-slim": "planner-test/debian:bookworm",
    "ubuntu:22.04": {"image": "planner-test/ubuntu:22.04", "digest": "sha256:" + "ab" * 32},
}})
"""What an enterprise does with public images: map them to its own registry (here, local test tags)."""


def load_guests(pattern: str | None = None) -> dict[str, GuestDiscovery]:
    """The hand-made fixtures (default), or the real recordings (``rec-*.json``: one estate each, as they reuse the
    test guests' addresses)."""
    return {path.stem: GuestDiscovery.model_validate_json(path.read_text(encoding="utf-8"))
            for path in sorted(DATA.glob(pattern or "*.json"))
            if pattern is not None or not path.stem.startswith("rec-")}


def estate_for(guests: dict[str, GuestDiscovery], *extra: str) -> Estate:
    names = [*guests, *extra]
    return Estate(collected_at=datetime.now(UTC), vms=[
        Vm(name=name, source="vc", moid=f"vm-{index}", power_state=PowerState.ON, num_cpu=2,
           guest_ips=[guests[name].reached_address or ""] if name in guests else [])
        for index, name in enumerate(names)])


@pytest.fixture(scope="session")
def guests() -> dict[str, GuestDiscovery]:
    return load_guests()


@pytest.fixture(scope="session")
def recordings() -> dict[str, GuestDiscovery]:
    return load_guests("rec-*.json")


@pytest.fixture(scope="session")
def generated_recordings(tmp_path_factory: pytest.TempPathFactory,
                         recordings: dict[str, GuestDiscovery]) -> list[GenerateResult]:
    """Each real recording generated in its own estate."""
    results = []
    for name, guest in recordings.items():
        output = tmp_path_factory.mktemp(name)
        results.append(generate(estate_for({name: guest}), [guest], GenerateOptions(
            output=output, policy=TEST_POLICY, policy_origin="test-policy.yaml")))
    return results


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, guests: dict[str, GuestDiscovery]) -> GenerateResult:
    """Every recorded guest generated once, plus a VM without discovery facts named with --vm."""
    output = tmp_path_factory.mktemp("generated")
    estate = estate_for(guests, "legacy")
    return generate(estate, list(guests.values()), GenerateOptions(
        output=output, vms=[*guests, "legacy"], policy=TEST_POLICY, policy_origin="test-policy.yaml"), snapshot=7)
