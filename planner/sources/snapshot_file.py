"""Read and write planner snapshot JSON files (the output of `inventory export --format json`)."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

from pydantic import ValidationError

from planner.errors import InputError
from planner.memory import bulk_objects
from planner.models import SCHEMA_VERSION, Estate
from planner.validation import key_path


def parse_snapshot(text: str | bytes, origin: str) -> Estate:
    """Validate a snapshot document, naming the first bad field on error.

    A good document is validated straight from its JSON text (pydantic's compiled parser: a 50,000-VM snapshot
    in a few seconds, half the time and memory of ``json.loads`` and validating the objects); anything else is read
    again the slow way, for the precise message."""
    estate = _validated(text)
    if estate is not None:
        return estate
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{origin}: not UTF-8 text (byte {exc.start}); planner snapshots are UTF-8 JSON.") from exc
    return _parse_checked(text, origin)


def _validated(text: str | bytes) -> Estate | None:
    """The estate if the document is a good snapshot of this schema version, else None."""
    if isinstance(text, bytes):
        text = text.removeprefix(codecs.BOM_UTF8)
    try:
        with bulk_objects():
            estate = Estate.model_validate_json(text)
    except ValidationError:
        return None
    if "vms" in estate.model_fields_set and estate.schema_version == SCHEMA_VERSION:
        return estate
    return None


def _parse_checked(text: str, origin: str) -> Estate:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{origin}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from exc
    if not isinstance(document, dict) or "vms" not in document:
        raise InputError(f"{origin}: not a planner snapshot (expected an object with a 'vms' list).")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{origin}: snapshot schema version {version!r} is not supported (this planner reads {SCHEMA_VERSION}).",
            hint="Export it again with a matching planner version.",
        )
    try:
        return Estate.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = key_path(first["loc"])
        extra = f" ({exc.error_count()} problems in all)" if exc.error_count() > 1 else ""
        raise InputError(f"{origin}: invalid snapshot at {where}: {first['msg']}{extra}.") from exc


def read_snapshot_file(path: Path) -> Estate:
    """A snapshot file, validated from its bytes (no decoded copy of a large file held beside them)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}.") from exc
    return parse_snapshot(data, str(path))
