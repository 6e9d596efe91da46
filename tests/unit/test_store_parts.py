"""Estates stored in parts: read whole they are the estate saved; a command reads only the parts it asks for;
snapshots stored whole before (schema 1) are still read; a damaged part is a store error."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest

from planner.errors import StoreError
from planner.models import Estate
from planner.resources import example_estate_path
from planner.sources import load_estate_file
from planner.store import Store
from planner.store.parts import GRAPH, LISTING, NONE, PARTS
from planner.store.schema import MIGRATIONS, SCHEMA_VERSION


@pytest.fixture(scope="module")
def example() -> Estate:
    return load_estate_file(example_estate_path())


def test_a_whole_load_is_the_estate_saved(tmp_path: Path, example: Estate) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        loaded = store.load(snapshot_id)
    assert loaded == example
    assert loaded.model_dump_json() == example.model_dump_json()
    assert [vm.model_fields_set for vm in loaded.vms] == [vm.model_fields_set for vm in example.vms]


def test_a_partial_load_holds_only_the_parts_asked_for(tmp_path: Path, example: Estate) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        listing, graph, base = (store.load(snapshot_id, parts) for parts in (LISTING, GRAPH, NONE))
    with_disks = [vm for vm in example.vms if vm.disks]
    assert with_disks and all(vm.nics for vm in with_disks)
    for full, light in zip(example.vms, listing.vms, strict=True):
        assert (light.name, light.key, light.tags, light.guest, light.disks) == \
            (full.name, full.key, full.tags, full.guest, full.disks)
        assert light.provisioned_bytes == full.provisioned_bytes and light.nics == []
    assert [vm.nics for vm in graph.vms] == [vm.nics for vm in example.vms]
    assert all(not vm.disks and not vm.nics and not vm.custom_attributes for vm in base.vms)
    assert [vm.guest_ips for vm in base.vms] == [vm.guest_ips for vm in example.vms]


def test_parts_hold_every_bulky_field_once() -> None:
    fields = [field for group in PARTS.values() for field in group]
    assert len(fields) == len(set(fields))
    assert "name" not in fields and "tags" not in fields


def test_an_unknown_part_is_a_programming_error(tmp_path: Path, example: Estate) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        with pytest.raises(ValueError, match="unknown estate parts"):
            store.load(snapshot_id, {"disk"})


def test_a_snapshot_stored_whole_by_schema_1_is_still_read(tmp_path: Path, example: Estate) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO snapshots (created_at, collected_at, label, origin, sources, vm_count, schema_version,"
                 " estate) VALUES ('2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL, 'old', '[]', ?,"
                 " 1, ?)", (len(example.vms), zlib.compress(example.model_dump_json().encode(), 3)))
    conn.close()
    with Store.open(path) as store:
        assert store.load(1) == example
        assert store.load(1, NONE) == example  # read whole: nothing is left out
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("damage", ["UPDATE snapshot_parts SET body = x'00' WHERE part = 'nics'",
                                    "DELETE FROM snapshot_parts WHERE part = 'disks'"])
def test_a_damaged_part_is_a_store_error(tmp_path: Path, example: Estate, damage: str) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
    sqlite3.connect(tmp_path / "p.db", isolation_level=None).execute(damage)
    with Store.open(tmp_path / "p.db") as store:
        store.load(snapshot_id, NONE)  # the base alone is intact
        with pytest.raises(StoreError, match="unreadable"):
            store.load(snapshot_id)


def test_a_part_of_another_vm_count_is_a_store_error(tmp_path: Path, example: Estate) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        small = store.save(Estate(collected_at=example.collected_at, vms=example.vms[:1]), origin="test").id
    conn = sqlite3.connect(tmp_path / "p.db", isolation_level=None)
    conn.execute("UPDATE snapshot_parts SET body = (SELECT body FROM snapshot_parts WHERE snapshot_id = ? AND "
                 "part = 'disks') WHERE snapshot_id = ? AND part = 'disks'", (small, snapshot_id))
    conn.close()
    with Store.open(tmp_path / "p.db") as store, pytest.raises(StoreError, match="holds 1 VMs"):
        store.load(snapshot_id, LISTING)
