"""Discovery facts and imported flows, stored as documents of the snapshot they enrich (one transaction each)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from planner.errors import StoreError
from planner.models.discovery import DISCOVERY_FORMAT_VERSION, FlowRecord, GuestDiscovery, GuestStatus
from planner.store import Store

DISCOVERY_KIND = "discovery"
FLOWS_KIND = "flows"


FAILURE_KIND = "discovery-failure"
REACHED = frozenset({GuestStatus.OK, GuestStatus.PARTIAL})


@dataclass
class SavedGuests:
    """What ``save_guests`` did: hosts stored, and failed hosts whose earlier good facts were kept."""

    stored: list[str] = field(default_factory=list)
    kept_earlier: dict[str, datetime | None] = field(default_factory=dict)
    """host -> when its kept facts were last seen (the earlier run)."""


def save_guests(store: Store, snapshot_id: int, guests: Sequence[GuestDiscovery]) -> SavedGuests:
    """One ``discovery`` document per guest, named by its inventory name; all in one transaction.

    A reached guest (ok or partial) replaces the host's document. An unreachable or failed guest never replaces an
    earlier reached one: those facts are kept and the failure is recorded as a ``discovery-failure`` document of
    the same name (the latest failure). A failed guest with no earlier good facts is stored as before, so the
    failure is visible. When no guest was reached at all, nothing is stored.
    """
    saved = SavedGuests()
    if not any(guest.status in REACHED for guest in guests):
        return saved
    earlier = {guest.host: guest for guest in load_guests(store, snapshot_id)}
    documents: dict[str, str] = {}
    failures: dict[str, str] = {}
    for guest in guests:
        before = earlier.get(guest.host)
        if guest.status not in REACHED and before is not None and before.status in REACHED:
            saved.kept_earlier[guest.host] = before.last_seen
            failures[guest.host] = json.dumps({
                "format_version": DISCOVERY_FORMAT_VERSION, "host": guest.host, "status": guest.status.value,
                "errors": guest.errors, "failed_at": datetime.now(UTC).isoformat(),
                "kept_facts_last_seen": before.last_seen.isoformat() if before.last_seen else None,
            }, separators=(",", ":"))
            continue
        documents[guest.host] = guest.model_dump_json()
        saved.stored.append(guest.host)
    store.save_documents(snapshot_id, DISCOVERY_KIND, documents)  # the facts in one transaction
    if failures:
        store.save_documents(snapshot_id, FAILURE_KIND, failures)
    return saved


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
