"""Snapshot JSON files: validation names the file and the first bad field; versions are checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.errors import InputError, NotFoundError
from planner.resources import example_estate_path
from planner.sources import load_estate_file


def write(tmp_path: Path, document: object, name: str = "snap.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def example() -> dict:
    return json.loads(example_estate_path().read_text())


def test_example_loads() -> None:
    estate = load_estate_file(example_estate_path())
    assert len(estate.vms) >= 38


def test_bad_field_is_named(tmp_path: Path) -> None:
    document = example()
    document["vms"][3]["disks"][0]["capacity_bytes"] = "lots"
    path = write(tmp_path, document)
    with pytest.raises(InputError, match=r"snap.json: invalid snapshot at vms\[3\].disks\[0\].capacity_bytes"):
        load_estate_file(path)


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    document = example()
    document["vms"][0]["colour"] = "blue"
    with pytest.raises(InputError, match=r"vms\[0\].colour"):
        load_estate_file(write(tmp_path, document))


@pytest.mark.parametrize(("document", "needle"), [
    ("{not json", r"not valid JSON \(line 1, column 2"),
    ([1, 2], "not a planner snapshot"),
    ({"schema_version": 99, "vms": []}, "schema version 99 is not supported"),
    ({"vms": []}, "schema version None"),
])
def test_not_a_snapshot(tmp_path: Path, document: object, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        load_estate_file(write(tmp_path, document))


def test_missing_and_unrecognised_files(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_estate_file(tmp_path / "nope.json")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(InputError, match="unrecognised input"):
        load_estate_file(other)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf16.json"
    path.write_text('{"vms": []}', encoding="utf-16")
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_estate_file(path)
