"""Discovery facts and imported flows, stored as documents of the snapshot they enrich (one transaction each), and
carried forward: a later snapshot of the same VM reads the latest facts and flows of any snapshot up to it.

Each discovery write also stores a small ``discovery-index`` document: per guest, the VM identity it was matched
to (``Vm.key``, the instance UUID), its status and when it was last seen, so later snapshots find a VM's latest
facts without loading old estates. Snapshots stored before the index existed are indexed at read time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from planner.discovery.flows import aggregate_flows
from planner.discovery.settings import RunSettings, settings_document
from planner.errors import StoreError
from planner.memory import bulk_objects
from planner.models import Vm
from planner.models.discovery import DISCOVERY_FORMAT_VERSION, FlowRecord, GuestDiscovery, GuestStatus
from planner.models.identity import unique_index, vm_display_ids
from planner.store import Store
from planner.store.parts import NONE

DISCOVERY_KIND = "discovery"
FLOWS_KIND = "flows"


FAILURE_KIND = "discovery-failure"
INDEX_KIND = "discovery-index"
INDEX_NAME = "guests"
REACHED = frozenset({GuestStatus.OK, GuestStatus.PARTIAL})


@dataclass
class SavedGuests:
    """What ``save_guests`` did: hosts stored, and failed hosts whose earlier good facts were kept."""

    stored: list[str] = field(default_factory=list)
    kept_earlier: dict[str, datetime | None] = field(default_factory=dict)
    """host -> when its kept facts were last seen (the earlier run)."""


def save_guests(store: Store, snapshot_id: int, guests: Sequence[GuestDiscovery],
                settings: RunSettings | None = None) -> SavedGuests:
    """One ``discovery`` document per guest, named by its inventory name; all in one transaction.

    A reached guest (ok or partial) replaces the host's document. An unreachable or failed guest never replaces an
    earlier reached one: those facts are kept and the failure is recorded as a ``discovery-failure`` document of
    the same name (the latest failure). A failed guest with no earlier good facts is stored as before, so the
    failure is visible. When no guest was reached at all, nothing is stored. ``settings`` (how the run reached the
    guests, :mod:`planner.discovery.settings`) are stored in the same transaction.
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
    kept = {host: guest for host, guest in earlier.items() if host not in documents}
    index = _index_document(store, snapshot_id, [*kept.values(), *(g for g in guests if g.host in documents)])
    sets = {DISCOVERY_KIND: documents, INDEX_KIND: {INDEX_NAME: index}}
    if failures:
        sets[FAILURE_KIND] = failures
    if settings is not None:
        sets.update(settings_document(settings))
    store.save_document_sets(snapshot_id, sets)  # facts, index and failures in one transaction
    return saved


def load_guests(store: Store, snapshot_id: int) -> list[GuestDiscovery]:
    """The discovery documents stored with this snapshot itself (``latest_guests`` adds what carries forward)."""
    return [_read_guest(body, name, snapshot_id)
            for name, body in store.documents(snapshot_id, DISCOVERY_KIND).items()]


def _read_guest(body: str, name: str, snapshot_id: int) -> GuestDiscovery:
    try:
        return GuestDiscovery.model_validate_json(body)
    except ValidationError as exc:
        raise StoreError(f"discovery document {name!r} of snapshot {snapshot_id} is unreadable: {exc}") from exc


FLOWS_FORMAT_VERSION = 2
"""Stored flow documents: 1 held every row (``flows``, still read); 2 holds one record per edge (``edges``)."""
_EDGES = TypeAdapter(list[FlowRecord])


def save_flows(store: Store, snapshot_id: int, name: str, records: Sequence[FlowRecord], *,
               aggregated: bool = False) -> None:
    """All flows of one import as one document (named by the file; re-importing it replaces it), aggregated into
    one row per edge (``aggregate_flows``): what the graph reads, a fraction of the rows. ``aggregated``: the
    records already are one per edge (``read_flows(edges=True)``)."""
    with bulk_objects():
        edges = list(records) if aggregated else aggregate_flows(records)
    head = json.dumps({"format_version": FLOWS_FORMAT_VERSION, "source": name,
                       "imported_at": datetime.now(UTC).isoformat(), "rows": sum(record.count for record in records)},
                      separators=(",", ":"))
    body = f'{head[:-1]},"edges":{_EDGES.dump_json(edges, exclude_none=True).decode()}}}'
    store.save_document(snapshot_id, FLOWS_KIND, name, body)


def load_flows(store: Store, snapshot_id: int) -> list[FlowRecord]:
    """The flows stored with this snapshot itself (``latest_flows`` adds what carries forward)."""
    records: list[FlowRecord] = []
    for name, body in store.documents(snapshot_id, FLOWS_KIND).items():
        records.extend(_read_flows(body, name, snapshot_id)[0])
    return records


class _FlowsDocument(BaseModel):
    """A stored flows document as read back: version 2 holds ``edges``, version 1 ``flows`` (one per row)."""

    imported_at: datetime | None = None
    edges: list[FlowRecord] = Field(default_factory=list)
    flows: list[FlowRecord] = Field(default_factory=list)


def _read_flows(body: str, name: str, snapshot_id: int) -> tuple[list[FlowRecord], datetime | None]:
    """Records and import time of one document, validated in pydantic's compiled core in one pass (what a
    per-row loop in Python took seconds for at 500,000 rows)."""
    try:
        with bulk_objects():
            document = _FlowsDocument.model_validate_json(body)
        if not document.model_fields_set & {"edges", "flows"}:
            raise ValueError("it holds neither edges nor flows")
    except ValueError as exc:  # a ValidationError is one
        raise StoreError(f"flows document {name!r} of snapshot {snapshot_id} is unreadable: {exc}") from exc
    return document.edges or document.flows, document.imported_at


# -- carried forward -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexEntry:
    """One stored guest as the index knows it: the VM it was matched to and how fresh its facts are."""

    host: str
    vm: str | None
    vm_key: str | None
    instance_uuid: str | None
    status: str
    last_seen: datetime | None


@dataclass(frozen=True)
class StoredGuest:
    """A guest's facts that apply to a snapshot, from that snapshot or an earlier one (``carried``)."""

    guest: GuestDiscovery
    snapshot_id: int
    vm_key: str | None
    """Identity of the VM of *the snapshot asked for* that these facts belong to; None for an unmatched guest."""
    carried: bool


@dataclass(frozen=True)
class StoredFlows:
    """One imported flow document that applies to a snapshot, from it or an earlier one."""

    name: str
    snapshot_id: int
    imported_at: datetime | None
    records: list[FlowRecord]
    carried: bool

    @property
    def rows(self) -> int:
        """Flow rows imported (a stored record may aggregate many)."""
        return sum(record.count for record in self.records)


def _index_document(store: Store, snapshot_id: int, guests: Sequence[GuestDiscovery]) -> str:
    identity = _identities(store, snapshot_id)
    entries = {}
    for guest in guests:
        vm = identity.get(guest.vm) if guest.vm else None
        entries[guest.host] = {
            "vm": guest.vm, "vm_key": vm.key if vm else None, "instance_uuid": vm.instance_uuid if vm else None,
            "status": guest.status.value, "last_seen": guest.last_seen.isoformat() if guest.last_seen else None}
    return json.dumps({"format_version": 1, "guests": entries}, separators=(",", ":"))


def _identities(store: Store, snapshot_id: int) -> dict[str, Vm]:
    """Graph node id (what ``guest.vm`` holds) -> VM, for the workloads of one stored snapshot."""
    vms = store.load(snapshot_id, NONE).workloads()
    return dict(zip(vm_display_ids(vms), vms, strict=True))


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _index(store: Store, snapshot_id: int) -> list[IndexEntry]:
    """The index of one snapshot's discovery: its stored index, else built from its documents and estate."""
    body = store.documents(snapshot_id, INDEX_KIND).get(INDEX_NAME)
    if body is not None:
        try:
            guests = json.loads(body)["guests"]
            return [IndexEntry(host, item.get("vm"), item.get("vm_key"), item.get("instance_uuid"),
                               str(item.get("status")), _parse_time(item.get("last_seen")))
                    for host, item in guests.items()]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(f"discovery index of snapshot {snapshot_id} is unreadable: {exc}") from exc
    identity = _identities(store, snapshot_id)
    entries = []
    for guest in load_guests(store, snapshot_id):
        vm = identity.get(guest.vm) if guest.vm else None
        entries.append(IndexEntry(guest.host, guest.vm, vm.key if vm else None, vm.instance_uuid if vm else None,
                                  guest.status.value, guest.last_seen))
    return entries


def latest_guests(store: Store, snapshot_id: int, vms: Sequence[Vm]) -> list[StoredGuest]:
    """The discovery that applies to snapshot ``snapshot_id`` (whose workloads are ``vms``): per VM, the latest
    reached facts of any snapshot up to this one, matched by ``Vm.key`` (source + moid), else by instance UUID;
    plus this snapshot's reached guests that matched no VM. Latest means last seen (then the newer snapshot)."""
    by_key, by_uuid = unique_index(vms, "key"), unique_index(vms, "instance_uuid")
    best: dict[str, tuple[tuple[datetime, int], int, str]] = {}
    unmatched: list[str] = []
    for source_id in store.snapshots_with(DISCOVERY_KIND, up_to=snapshot_id):
        for entry in _index(store, source_id):
            if entry.status not in REACHED:
                continue
            vm = by_key.get(entry.vm_key or "") or by_uuid.get((entry.instance_uuid or "").lower())
            if vm is None:
                if source_id == snapshot_id:
                    unmatched.append(entry.host)
                continue
            rank = (entry.last_seen or datetime.min.replace(tzinfo=UTC), source_id)
            if vm.key not in best or rank > best[vm.key][0]:
                best[vm.key] = (rank, source_id, entry.host)
    wanted: dict[int, dict[str, str | None]] = {snapshot_id: dict.fromkeys(unmatched)}
    for key, (_rank, source_id, host) in best.items():
        wanted.setdefault(source_id, {})[host] = key
    found: list[StoredGuest] = []
    for source_id, hosts in sorted(wanted.items(), reverse=True):
        documents = store.documents(source_id, DISCOVERY_KIND)
        for host, vm_key in hosts.items():
            if host in documents:
                guest = _read_guest(documents[host], host, source_id)
                found.append(StoredGuest(guest, source_id, vm_key, carried=source_id != snapshot_id))
    return found


def latest_flows(store: Store, snapshot_id: int) -> list[StoredFlows]:
    """Imported flows that apply to snapshot ``snapshot_id``: per flow document name (the imported file), the
    newest import of any snapshot up to this one (re-importing a file replaces it, as within one snapshot)."""
    found: dict[str, StoredFlows] = {}
    for source_id in store.snapshots_with(FLOWS_KIND, up_to=snapshot_id):
        for name, body in store.documents(source_id, FLOWS_KIND).items():
            if name not in found:
                records, imported_at = _read_flows(body, name, source_id)
                found[name] = StoredFlows(name, source_id, imported_at, records, carried=source_id != snapshot_id)
    return [found[name] for name in sorted(found)]
