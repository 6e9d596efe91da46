"""Discovery facts and imported flows, stored as documents of the snapshot they enrich (one transaction each)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from planner.discovery.models import DISCOVERY_FORMAT_VERSION, FlowRecord, GuestDiscovery
from planner.errors import StoreError
from planner.store import Store

DISCOVERY_KIND = "discovery"
FLOWS_KIND = "flows"


def save_guests(store: Store, snapshot_id: int, guests: Sequence[GuestDiscovery]) -> None:
    """One document per guest, named by its inventory name (a later run replaces it); all in one transaction."""
    store.save_documents(snapshot_id, DISCOVERY_KIND, {guest.host: guest.model_dump_json() for guest in guests})


def load_guests(store: Store, snapshot_id: int) -> list[GuestDiscovery]:
    guests = []
    for name, body in store.documents(snapshot_id, DISCOVERY_KIND).items():
        try:
            guests.append(GuestDiscovery.model_validate_json(body))
        except ValidationError as exc:
            raise StoreError(f"discovery document {name!r} of snapshot {snapshot_id} is unreadable: {exc}") from exc
    return guests


def save_flows(store: Store, snapshot_id: int, name: str, records: Sequence[FlowRecord]) -> None:
    """All flows of one import as one document (named by the file; re-importing it replaces it)."""
    body = {
        "format_version": DISCOVERY_FORMAT_VERSION,
        "source": name,
        "imported_at": datetime.now(UTC).isoformat(),
        "flows": [record.model_dump(mode="json", exclude_none=True) for record in records],
    }
    store.save_document(snapshot_id, FLOWS_KIND, name, json.dumps(body, separators=(",", ":")))


def load_flows(store: Store, snapshot_id: int) -> list[FlowRecord]:
    records: list[FlowRecord] = []
    for name, body in store.documents(snapshot_id, FLOWS_KIND).items():
        try:
            records.extend(FlowRecord.model_validate(item) for item in json.loads(body)["flows"])
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise StoreError(f"flows document {name!r} of snapshot {snapshot_id} is unreadable: {exc}") from exc
    return records
