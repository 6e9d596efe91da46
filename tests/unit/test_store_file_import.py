"""A snapshot file imported a chunk of VMs at a time is stored exactly as the whole estate would be; anything it
cannot read plainly is left to the whole read (which names the problem)."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

import pytest

from planner.cli import inventory
from planner.models import Estate
from planner.resources import example_estate_path
from planner.sources import load_estate_file
from planner.store import Store, file_import, parts
from planner.store.file_import import prepare_snapshot, prepare_snapshot_file
from planner.store.parts import BASE
from tests.support.cli import run_planner


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "CHUNK_VMS", 10)


def example_bytes() -> bytes:
    return example_estate_path().read_bytes()


def stored_rows(path: Path) -> dict[str, bytes]:
    rows = sqlite3.connect(path).execute("SELECT part, body FROM snapshot_parts").fetchall()
    return {name: zlib.decompress(body) for name, body in rows}


def test_a_file_stored_chunk_by_chunk_reads_back_as_the_whole_file(tmp_path: Path, small_chunks: None) -> None:
    example = load_estate_file(example_estate_path())
    prepared = prepare_snapshot(example_bytes())
    assert prepared is not None and not prepared.estate.vms
    assert (prepared.vm_count, prepared.template_count) == (len(example.vms), sum(vm.template for vm in example.vms))
    with Store.open(tmp_path / "chunked.db") as store:
        info = store.save_parts(prepared.estate, prepared.rows, vm_count=prepared.vm_count,
                                template_count=prepared.template_count, origin="test")
        assert store.load(info.id) == example
        assert (info.vm_count, info.template_count, info.sources) == \
            (len(example.vms), prepared.template_count, [s.name for s in example.sources])
    with Store.open(tmp_path / "whole.db") as store:
        store.save(example, origin="test")
    chunked, whole = stored_rows(tmp_path / "chunked.db"), stored_rows(tmp_path / "whole.db")
    assert chunked.keys() == whole.keys() and len(chunked) == 1 + 5 * 5
    assert {k: v for k, v in chunked.items() if k != BASE} == {k: v for k, v in whole.items() if k != BASE}
    assert Estate.model_validate_json(chunked[BASE]) == Estate.model_validate_json(whole[BASE])


def test_an_estate_without_vms_keeps_its_empty_parts(tmp_path: Path) -> None:
    document = json.loads(example_bytes())
    document["vms"] = []
    prepared = prepare_snapshot(b"\xef\xbb\xbf  " + json.dumps(document, indent=1).encode() + b"\n")
    assert prepared is not None and prepared.vm_count == 0
    with Store.open(tmp_path / "p.db") as store:
        info = store.save_parts(prepared.estate, prepared.rows, vm_count=0, template_count=0, origin="test")
        loaded = store.load(info.id)
    assert loaded.vms == [] and loaded.hosts == load_estate_file(example_estate_path()).hosts


def _edited(edit) -> bytes:
    document = json.loads(example_bytes())
    edit(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize("data", [
    b"[]", b"not json", b'{"vms": [}', example_bytes()[:-40], example_bytes() + b" {}",
    _edited(lambda d: d.pop("vms")), _edited(lambda d: d.update(vms={"a": 1})), _edited(lambda d: d["vms"].append(3)),
    _edited(lambda d: d.update(schema_version=99)), _edited(lambda d: d["vms"][5].update(num_cpu="many")),
    example_bytes().rstrip()[:-1] + b', "vms": []}', b"\xff\xfe{}",
], ids=["list", "garbage", "broken", "truncated", "trailing", "no-vms", "vms-object", "vm-not-object",
        "other-schema", "bad-vm", "repeated-key", "not-utf8"])
def test_what_does_not_read_plainly_is_left_to_the_whole_read(data: bytes) -> None:
    assert prepare_snapshot(data) is None


def test_only_large_readable_json_files_are_prepared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "estate.json").write_bytes(example_bytes())
    assert prepare_snapshot_file(tmp_path / "estate.json") is None  # small: read whole
    monkeypatch.setattr(file_import, "MIN_BYTES", 0)
    assert prepare_snapshot_file(tmp_path / "missing.json") is None
    (tmp_path / "export.xlsx").write_bytes(b"PK")
    assert prepare_snapshot_file(tmp_path / "export.xlsx") is None
    assert prepare_snapshot_file(tmp_path / "estate.json") is not None


def test_inventory_import_stores_a_large_file_chunk_by_chunk(tmp_path: Path, small_chunks: None,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(file_import, "MIN_BYTES", 0)
    prepared = []
    monkeypatch.setattr(inventory, "prepare_snapshot_file",
                        lambda path: prepared.append(file_import.prepare_snapshot_file(path)) or prepared[-1])
    db = str(tmp_path / "p.db")
    assert run_planner(["--db", db, "inventory", "import", str(example_estate_path()), "-f", "json"]) == 0
    assert prepared[0] is not None and json.loads(capsys.readouterr().out)["snapshot"]["vm_count"] == 45
    assert run_planner(["--db", db, "inventory", "export", "-f", "json"]) == 0
    assert Estate.model_validate_json(capsys.readouterr().out) == load_estate_file(example_estate_path())
