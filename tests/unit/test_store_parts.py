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
from planner.store import Store, parts
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


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Chunks of 10 VMs, so that the example (45 VMs with its templates) is stored in five."""
    monkeypatch.setattr(parts, "CHUNK_VMS", 10)
    return 10


def test_parts_are_stored_in_chunks_that_read_back_whole(tmp_path: Path, example: Estate, small_chunks: int) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        loaded = store.load(snapshot_id)
    names = [row[0] for row in sqlite3.connect(tmp_path / "p.db").execute(
        "SELECT part FROM snapshot_parts WHERE snapshot_id = ? AND part LIKE 'disks%'", (snapshot_id,))]
    assert sorted(names) == ["disks", "disks@10", "disks@20", "disks@30", "disks@40"]
    assert loaded == example
    assert [vm.model_fields_set for vm in loaded.vms] == [vm.model_fields_set for vm in example.vms]


@pytest.mark.parametrize(("start", "stop"), [(0, 99), (0, 21), (21, 99), (15, 16), (10, 30)])
def test_a_range_of_vms_gets_its_parts_and_only_it(tmp_path: Path, example: Estate, small_chunks: int,
                                                   start: int, stop: int) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        base = store.load(snapshot_id, NONE)
        store.vm_parts(snapshot_id).fill(base.vms, start, stop)
    for index, (full, filled) in enumerate(zip(example.vms, base.vms, strict=True)):
        if start <= index < stop:
            assert filled == full, index
        elif full.disks or full.nics:
            assert not filled.disks and not filled.nics, index


def test_parts_stored_in_one_piece_still_fill_a_range(tmp_path: Path, example: Estate,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(tmp_path / "p.db") as store:  # as stored before chunking: one row per part
        snapshot_id = store.save(example, origin="test").id
    monkeypatch.setattr(parts, "CHUNK_VMS", 10)
    with Store.open(tmp_path / "p.db") as store:
        assert store.load(snapshot_id) == example
        base = store.load(snapshot_id, NONE)
        store.vm_parts(snapshot_id).fill(base.vms, 30, len(base.vms))
    assert base.vms[30:] == example.vms[30:]
    assert not any(vm.disks for vm in base.vms[:30])


def test_a_missing_chunk_is_a_store_error(tmp_path: Path, example: Estate, small_chunks: int) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
    sqlite3.connect(tmp_path / "p.db", isolation_level=None).execute(
        "DELETE FROM snapshot_parts WHERE part = 'devices@20'")
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(StoreError, match=r"unreadable.*devices"):
            store.load(snapshot_id)
        base = store.load(snapshot_id, NONE)
        with pytest.raises(StoreError, match=r"unreadable.*devices"):
            store.vm_parts(snapshot_id).fill(base.vms, 0, len(base.vms))


def test_chunks_filled_in_turn_are_emptied_again(tmp_path: Path, example: Estate, small_chunks: int) -> None:
    with Store.open(tmp_path / "p.db") as store:
        snapshot_id = store.save(example, origin="test").id
        base = store.load(snapshot_id, NONE)
        stored = store.vm_parts(snapshot_id, LISTING)
    seen = []
    for chunk in stored.in_turn(base.vms):
        seen.extend(vm.disks for vm in chunk)
        assert all(not vm.disks for vm in base.vms if vm not in chunk)
    assert seen == [vm.disks for vm in example.vms]
    assert all(vm.disks == [] for vm in base.vms)
