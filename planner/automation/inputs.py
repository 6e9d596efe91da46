"""What the automation needs beyond generate.json, from the snapshot and the stored assessment."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from planner.automation.view import CONNECTION_KEYS
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


def connection_from_inventory(path: str | None) -> dict[str, Any]:
    """The group-wide SSH settings (``all.vars``) of a YAML inventory file, as discovery used them; ``{}`` for
    other inventories (INI, scripts, plugins): set them in ``inventory/group_vars/vms.yml`` then."""
    if not path or not Path(path).is_file():
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    variables = data.get("all", {}).get("vars") if isinstance(data, dict) and isinstance(data.get("all"), dict) \
        else None
    return {key: value for key, value in (variables or {}).items()
            if key in CONNECTION_KEYS and isinstance(value, str | int | bool)}


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
