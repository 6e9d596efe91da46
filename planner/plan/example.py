"""The bundled example estate with its recorded discovery facts (inventories/example/discovery.json), so the
offline main job shows the whole path: stacks detected, Dockerfiles, compose and Ansible."""

from __future__ import annotations

import json

from planner.models import Estate
from planner.models.discovery import GuestDiscovery
from planner.resources import example_discovery_path, example_estate_path
from planner.sources import load_estate_file


def example_estate() -> Estate:
    return load_estate_file(example_estate_path())


def example_guests(estate: Estate) -> dict[str, GuestDiscovery]:
    """``Vm.key`` -> recorded guest facts, matched by the guest's ``planner_vm`` (the example VM's name)."""
    path = example_discovery_path()
    if not path.is_file():
        return {}
    by_name = {vm.name: vm.key for vm in estate.workloads()}
    guests = [GuestDiscovery.model_validate(item) for item in json.loads(path.read_text(encoding="utf-8"))]
    return {by_name[guest.planner_vm]: guest for guest in guests if guest.planner_vm in by_name}
