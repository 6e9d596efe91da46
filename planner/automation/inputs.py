"""What the automation needs beyond generate.json, from the snapshot and the stored assessment."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from planner.models import Vm


def sizing_from_documents(documents: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """VM name -> the assessment's sizing (``requests``/``limits``) from stored assessment documents."""
    sizing: dict[str, dict[str, Any]] = {}
    for body in documents.values():
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            continue
        items = data.get("vms") if isinstance(data, dict) else data
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("vm"), str) and isinstance(item.get("sizing"), dict):
                sizing[item["vm"]] = item["sizing"]
    return sizing


def datacenters(vms: Iterable[Vm]) -> dict[str, str]:
    """VM name -> its datacenter, as the snapshot recorded it."""
    return {vm.name: vm.datacenter for vm in vms if vm.datacenter}
