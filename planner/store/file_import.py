"""`inventory import` of a large snapshot file a chunk of VMs at a time, never the whole estate in memory.

The file's text is split at its top level (`split_snapshot`): the estate without its VMs, and where each VM object
starts and ends (found by the C JSON scanner). Each chunk of ``CHUNK_VMS`` VMs is then validated from its own text,
turned into its stored part chunks and its ``base`` items, and dropped; so the peak is the file's text plus one
chunk of VMs, instead of every VM of the estate as pydantic objects (about 20 KB each).

Anything this cannot read plainly (not an object, a ``vms`` that is not a list of objects, a repeated key, invalid
JSON or an invalid VM, another schema version) returns None: the caller reads the file whole, which names the first
bad field. Storing stays one transaction (``Store.save_parts``).
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from planner.memory import bulk_objects
from planner.models import SCHEMA_VERSION, Estate
from planner.store import parts

MIN_BYTES = 32 * 1024 * 1024
"""Smaller files (about 10,000 VMs) are read whole: quicker, and they fit in memory anyway."""
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _NotPlain(Exception):
    """The document is not a plain snapshot object: read it whole instead."""


@dataclass
class PreparedSnapshot:
    """A snapshot file turned into what the store keeps: its listing facts and its compressed parts."""

    estate: Estate
    """The estate without its VMs (sources, hosts, clusters, …), for the listing row."""
    vm_count: int = 0
    template_count: int = 0
    rows: list[tuple[str, bytes]] = field(default_factory=list)
    """(stored part name, compressed JSON), ``base`` included."""


def prepare_snapshot_file(path: Path) -> PreparedSnapshot | None:
    """`prepare_snapshot` of a ``.json`` file of ``MIN_BYTES`` or more; None for anything else, or a file that
    cannot be read (the whole read then says why)."""
    try:
        if path.suffix.lower() != ".json" or not path.is_file() or path.stat().st_size < MIN_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return prepare_snapshot(data)


def prepare_snapshot(data: bytes) -> PreparedSnapshot | None:
    """The parts of a snapshot file's bytes, chunk by chunk; None when it must be read whole (see the module)."""
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        return None
    del data
    try:
        rest, spans = split_snapshot(text)
        with bulk_objects():
            estate = Estate.model_validate_json(rest)
            if estate.schema_version != SCHEMA_VERSION:
                return None
            return _prepared(estate, text, spans)
    except (_NotPlain, ValueError):  # ValidationError and JSONDecodeError are ValueErrors
        return None


def _prepared(estate: Estate, text: str, spans: list[tuple[int, int]]) -> PreparedSnapshot:
    prepared = PreparedSnapshot(estate, vm_count=len(spans))
    base_vms: list[bytes] = []
    for start in range(0, max(1, len(spans)), parts.CHUNK_VMS):
        vms = parts.validate_vms("[" + ",".join(text[a:b] for a, b in spans[start:start + parts.CHUNK_VMS]) + "]")
        prepared.template_count += sum(1 for vm in vms if vm.template)
        base_vms.append(parts.dump_base_vms(vms)[1:-1])
        prepared.rows.extend((name, zlib.compress(body, 3)) for name, body in parts.dump_vm_chunk(vms, start))
    head = estate.__pydantic_serializer__.to_json(estate, exclude={"vms"})  # never empty: schema_version
    base = head[:-1] + b',"vms":[' + b",".join(item for item in base_vms if item) + b"]}"
    prepared.rows.insert(0, (parts.BASE, zlib.compress(base, 3)))
    return prepared


def split_snapshot(text: str) -> tuple[str, list[tuple[int, int]]]:
    """(the document without its ``vms`` member, the (start, end) of each VM object in ``text``).

    Raises ``_NotPlain`` (or ``JSONDecodeError``) for anything but one object holding at most one ``vms`` list of
    objects."""
    members: list[str] = []
    spans: list[tuple[int, int]] | None = None
    index = _skip(text, _expect(text, _skip(text, 0), "{"))
    if text[index:index + 1] == "}":
        index += 1
    else:
        while True:
            key, index = _DECODER.raw_decode(text, _skip(text, index))
            if not isinstance(key, str):
                raise _NotPlain
            index = _skip(text, _expect(text, _skip(text, index), ":"))
            if key == "vms":
                if spans is not None:
                    raise _NotPlain
                spans, index = _objects(text, index)
            else:
                value_start = index
                _value, index = _DECODER.raw_decode(text, index)
                members.append(f"{json.dumps(key)}:{text[value_start:index]}")
            index = _skip(text, index)
            if text[index:index + 1] == "}":
                index += 1
                break
            index = _expect(text, index, ",")
    if spans is None or _skip(text, index) != len(text):
        raise _NotPlain
    return "{" + ",".join(members) + "}", spans


def _objects(text: str, index: int) -> tuple[list[tuple[int, int]], int]:
    """The spans of the objects of the list at ``index``, and the index after the list."""
    spans: list[tuple[int, int]] = []
    index = _skip(text, _expect(text, index, "["))
    if text[index:index + 1] == "]":
        return spans, index + 1
    while True:
        value, end = _DECODER.raw_decode(text, index)
        if not isinstance(value, dict):
            raise _NotPlain
        spans.append((index, end))
        index = _skip(text, end)
        if text[index:index + 1] == "]":
            return spans, index + 1
        index = _skip(text, _expect(text, index, ","))


def _skip(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match else index


def _expect(text: str, index: int, char: str) -> int:
    if text[index:index + 1] != char:
        raise _NotPlain
    return index + 1


