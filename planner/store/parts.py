"""A stored estate in parts, so a command reads only what it needs.

The ``base`` part is the whole estate with each VM's bulky fields left out; each other part holds one group of
those fields for every VM, in the estate's VM order (``{"vms": [{...}, ...]}``). Every part is written by
``Store.save`` from a validated ``Estate`` and read back with pydantic's JSON validation (in its compiled core, one
pass per part): the parts a command does not ask for are never parsed, and their fields keep their defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from pydantic import create_model

from planner.models import Estate, Model, Vm

BASE = "base"
PARTS: dict[str, tuple[str, ...]] = {
    "disks": ("disks",),
    "nics": ("nics",),
    "devices": ("devices", "snapshots", "current_snapshot", "partitions"),
    "details": ("tools", "usage", "annotation", "custom_attributes"),
    "hardware": ("resource_pool", "folder", "connection_state", "hardware_version", "firmware", "secure_boot",
                 "cores_per_socket", "cpu_reservation_mhz", "cpu_limit_mhz", "memory_reservation_mib",
                 "memory_limit_mib", "cpu_hot_add", "memory_hot_add", "latency_sensitivity", "cpu_affinity",
                 "ft_state", "consolidation_needed"),
}
"""Part name -> the VM fields it holds. Every other VM field is in ``base``."""
ALL = frozenset(PARTS)
LISTING = frozenset({"disks"})
"""What a listing or summary needs (sizes come from the disks)."""
GRAPH = frozenset({"nics"})
"""What the dependency graph, guest matching and waves need (addresses come from the NICs too)."""
NONE: frozenset[str] = frozenset()
"""Identity, placement and state only (``base``)."""

_BULKY = frozenset(field for fields in PARTS.values() for field in fields)


def dump_parts(estate: Estate) -> Iterator[tuple[str, bytes]]:
    """The estate as its parts' JSON (UTF-8), ``base`` first, one at a time (the caller compresses each)."""
    yield BASE, estate.__pydantic_serializer__.to_json(estate, exclude={"vms": {"__all__": set(_BULKY)}})
    for name, fields in PARTS.items():
        yield name, estate.__pydantic_serializer__.to_json(estate, include={"vms": {"__all__": set(fields)}})


@cache
def _part_model(name: str) -> type[Model]:
    """``{"vms": [...]}`` of one part, each item validated by the same field definitions as ``Vm``."""
    fields: dict[str, Any] = {field: (Vm.model_fields[field].annotation, Vm.model_fields[field])
                              for field in PARTS[name]}
    item = create_model(f"Vm_{name}", __base__=Model, **fields)
    return create_model(f"Estate_{name}", __base__=Model, vms=(list[item], ...))


def load_parts(texts: dict[str, str], wanted: Iterable[str]) -> Estate:
    """An estate from the ``base`` text and the texts of the ``wanted`` parts (``ValueError``/``ValidationError``
    when one does not fit the base: another VM count)."""
    estate = Estate.model_validate_json(texts[BASE])
    for name in sorted(set(wanted)):
        items = _part_model(name).model_validate_json(texts[name]).vms  # type: ignore[attr-defined]
        if len(items) != len(estate.vms):
            raise ValueError(f"part {name!r} holds {len(items)} VMs, the estate {len(estate.vms)}")
        for vm, item in zip(estate.vms, items, strict=True):
            vm.__dict__.update(item.__dict__)
            vm.__pydantic_fields_set__ |= item.model_fields_set
    return estate


def unknown_parts(wanted: Iterable[str]) -> set[str]:
    return set(wanted) - ALL
