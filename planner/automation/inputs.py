"""What the automation needs beyond generate.json, from the snapshot and the stored assessment."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.errors import InputError, NotFoundError
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


def existing_index(output: Path) -> dict[str, Any]:
    """generate.json of an earlier run (``--only`` without ``images``)."""
    path = output / "generate.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{path} does not exist: generate the images first (without --only, or --only "
                            "images).") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path} is not a generate.json index: {exc}") from exc
