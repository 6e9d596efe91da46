"""`planner generate` as a user runs it: a stored snapshot with discovery facts and an assessment."""

from __future__ import annotations

import json

import pytest

from planner.discovery.storage import save_guests
from planner.store import Store
from tests.support.cli import run_planner
from tests.unit.generate.conftest import estate_for


@pytest.fixture
def stored(tmp_path, guests):
    db = tmp_path / "planner.db"
    chosen = {name: guests[name] for name in ("web", "app", "redis", "jump")}
    with Store.open(db) as store:
        snapshot = store.save(estate_for(chosen, "legacy"), origin="test").id
        save_guests(store, snapshot, list(chosen.values()))
        store.save_document(snapshot, "assessment", "latest", json.dumps({"vms": [
            {"name": "web", "strategy": "containerize"}, {"name": "app", "strategy": "containerize"},
            {"name": "redis", "strategy": "keep-vm"}, {"name": "jump", "strategy": "containerize"}]}))
    return str(db), snapshot


def test_generate_summary_and_strategy(stored, tmp_path, capsys):
    db, snapshot = stored
    out = tmp_path / "out"
    assert run_planner(["--db", db, "generate", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "generated 3 image folders for 3 VMs" in printed and "1 VM left out by strategy" in printed
    document = json.loads((out / "generate.json").read_text())
    assert document["snapshot"] == snapshot
    assert [image["name"] for image in document["images"]] == ["app-python-wsgi", "jump-starter", "web-nginx"]
    assert document["skipped"][0]["vm"] == "redis"


def test_generate_json_with_named_vms_and_include(stored, tmp_path, capsys):
    db, _ = stored
    out = tmp_path / "out"
    assert run_planner(["--db", db, "generate", "latest", "-o", str(out), "--include-strategy", "keep-vm",
                        "--vm", "redis", "--vm", "legacy", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [image["name"] for image in document["images"]] == ["legacy-starter", "redis-redis"]


def test_base_image_policy_from_the_command_line(stored, tmp_path):
    db, _ = stored
    policy = tmp_path / "corp.yaml"
    policy.write_text("images:\n  debian:bookworm-slim: registry.example.com/debian:bookworm-slim\n")
    assert run_planner(["--db", db, "generate", "-o", str(tmp_path / "out"), "--vm", "web",
                        "--base-images", str(policy)]) == 0
    dockerfile = (tmp_path / "out" / "images" / "web-nginx" / "Dockerfile").read_text()
    assert "FROM registry.example.com/debian:bookworm-slim\n" in dockerfile


@pytest.mark.parametrize(("extra", "code", "message"), [
    (["--vm", "nosuch"], 4, "--vm nosuch: no such VM in the snapshot."),
    (["--include-strategy", "keep-vms"], 2, "--include-strategy keep-vms: not one of"),
    (["--base-images", "{policy}"], 3, "images.debian:bookworm-slim.digest"),
    (["--base-images", "{missing}"], 4, "does not exist"),
])
def test_bad_input_exits_with_one_clear_line(stored, tmp_path, capsys, extra, code, message):
    db, _ = stored
    policy = tmp_path / "bad.yaml"
    policy.write_text("images:\n  debian:bookworm-slim: {image: x/y:1, digest: nope}\n")
    extra = [item.format(policy=policy, missing=tmp_path / "missing.yaml") for item in extra]
    out = tmp_path / "out"
    assert run_planner(["--db", db, "generate", "-o", str(out), *extra]) == code
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (out / "generate.json").exists()  # nothing half-written


def test_output_that_is_a_file_is_refused(stored, tmp_path, capsys):
    db, _ = stored
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    assert run_planner(["--db", db, "generate", "-o", str(target)]) == 3
    assert "is a file; -o names the output folder" in capsys.readouterr().err and target.read_text() == "keep me"


def test_a_snapshot_file_without_facts_says_so(tmp_path, capsys):
    assert run_planner(["generate", "example", "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "has no discovery facts: nothing to detect" in captured.err and "generated 0 image folders" in captured.out
