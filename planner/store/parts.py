"""A stored estate in parts, so a command reads only what it needs.

The ``base`` part is the whole estate with each VM's bulky fields left out; each other part holds one group of
those fields for every VM, in the estate's VM order (``{"vms": [{...}, ...]}``), written in chunks of
``CHUNK_VMS`` VMs: ``disks`` holds the first chunk, ``disks@2500`` the chunk starting at VM 2,500, and so on (a
part stored before chunking is one chunk). Every part is written by ``Store.save`` from a validated ``Estate`` and
read back with pydantic's JSON validation (in its compiled core, one pass per chunk): the parts a command does not
ask for are never parsed, and their fields keep their defaults. `fill_parts` reads them for a range of VMs only, so
that workers assessing one share of a large estate each parse only their share (``planner.workers``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from pydantic import TypeAdapter, create_model

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

CHUNK_VMS = 2_500
"""VMs per stored chunk of a part."""

_BULKY = frozenset(field for fields in PARTS.values() for field in fields)
_VMS = TypeAdapter(list[Vm])


def chunk_name(part: str, start: int) -> str:
    """The stored name of the chunk of ``part`` that starts at VM ``start``."""
    return part if start == 0 else f"{part}@{start}"


def split_name(stored: str) -> tuple[str, int]:
    """(part, first VM) of a stored name (``ValueError`` for a malformed one)."""
    part, _, start = stored.partition("@")
    return part, int(start) if start else 0


def dump_parts(estate: Estate) -> Iterator[tuple[str, bytes]]:
    """The estate as its parts' JSON (UTF-8), ``base`` first, then each part chunk by chunk, one at a time (the
    caller compresses each)."""
    yield BASE, estate.__pydantic_serializer__.to_json(estate, exclude={"vms": {"__all__": set(_BULKY)}})
    for start in range(0, max(1, len(estate.vms)), CHUNK_VMS):
        yield from dump_vm_chunk(estate.vms[start:start + CHUNK_VMS], start)


def dump_vm_chunk(vms: list[Vm], start: int) -> Iterator[tuple[str, bytes]]:
    """(stored name, JSON) of every part of the chunk ``vms`` that starts at VM ``start``."""
    for name, fields in PARTS.items():
        yield chunk_name(name, start), b'{"vms":' + _VMS.dump_json(vms, include={"__all__": set(fields)}) + b"}"


def dump_base_vms(vms: list[Vm]) -> bytes:
    """The JSON list of ``vms`` with only their ``base`` fields."""
    return _VMS.dump_json(vms, exclude={"__all__": set(_BULKY)})


def validate_vms(text: str | bytes) -> list[Vm]:
    """VMs from the JSON text of a list of them (``ValidationError`` names the first bad field)."""
    return _VMS.validate_json(text)


@cache
def _part_model(name: str) -> type[Model]:
    """``{"vms": [...]}`` of one part, each item validated by the same field definitions as ``Vm``."""
    fields: dict[str, Any] = {field: (Vm.model_fields[field].annotation, Vm.model_fields[field])
                              for field in PARTS[name]}
    item = create_model(f"Vm_{name}", __base__=Model, **fields)
    return create_model(f"Estate_{name}", __base__=Model, vms=(list[item], ...))


def load_parts(texts: dict[str, str], wanted: Iterable[str]) -> Estate:
    """An estate from the ``base`` text and the texts of every chunk of the ``wanted`` parts (``ValueError`` /
    ``ValidationError`` when they do not fit the base: missing chunks, another VM count)."""
    estate = Estate.model_validate_json(texts[BASE])
    fill_parts(estate.vms, texts, wanted, 0, len(estate.vms))
    return estate


def fill_parts(vms: list[Vm], texts: Mapping[str, str | bytes], wanted: Iterable[str], start: int, stop: int
               ) -> None:
    """Give ``vms[start:stop]`` their fields of the ``wanted`` parts, in place, parsing only the chunks that hold
    them. ``texts`` maps stored chunk names to their JSON (it may hold other chunks; missing ones are an error)."""
    for name in sorted(set(wanted)):
        chunks = sorted(first for part, first in map(split_name, texts) if part == name)
        ends = [*chunks[1:], len(vms)]
        if not chunks or chunks[0] != 0:
            raise ValueError(f"part {name!r} is missing")
        for first, end in zip(chunks, ends, strict=True):
            if end <= start or first >= stop:
                continue
            model = _part_model(name)
            items = model.model_validate_json(texts[chunk_name(name, first)]).vms  # type: ignore[attr-defined]
            if len(items) != end - first:
                raise ValueError(f"part {name!r} holds {len(items)} VMs from VM {first}, the estate {end - first}")
            for vm, item in zip(vms[max(first, start):min(end, stop)], items[max(0, start - first):stop - first],
                                strict=True):
                vm.__dict__.update(item.__dict__)
                vm.__pydantic_fields_set__.update(item.__pydantic_fields_set__)


def unknown_parts(wanted: Iterable[str]) -> set[str]:
    return set(wanted) - ALL
