"""Discovery remembers how it reached the guests (inventory, limit, become, SSH settings; never a secret), and
`planner generate --capture` without -i captures with them, or says clearly why it cannot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from planner.cli import discover as discover_cli
from planner.cli.generate import capture_inventory
from planner.discovery.runner import DiscoveryRun
from planner.discovery.settings import RUN_KIND, remembered_settings
from planner.models import Estate
from planner.store import Store
from tests.support.cli import run_planner
from tests.unit.discovery.test_discovery_cli_usability import new_store, recorded

SECRET = "hunter2-never-stored"


def _inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_user": "ops", "ansible_port": 2222, "ansible_ssh_private_key_file": "/keys/id_ed25519",
                 "ansible_password": SECRET, "ansible_become_password": SECRET, "ansible_become": True},
        "hosts": {"web": {"ansible_host": "127.0.0.5"}}}}))
    return path


def _discover(db: str, inventory: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> None:
    monkeypatch.setattr(discover_cli, "run_discovery",
                        lambda options, progress=None: DiscoveryRun([recorded("web")], [], 0, "successful", 1.0))
    assert run_planner(["--db", db, "discover", "run", "-i", str(inventory), "-f", "json", *extra]) == 0


def test_a_discovery_run_remembers_its_inventory_and_settings_but_no_secret(tmp_path, monkeypatch, capsys):
    db, snapshot_id = new_store(tmp_path, "web")
    inventory = _inventory(tmp_path)
    _discover(db, inventory, monkeypatch, "--limit", "web", "--become")
    with Store.open(Path(db)) as store:
        settings = remembered_settings(store, snapshot_id)
        stored = store.documents(snapshot_id, RUN_KIND)
    assert settings is not None and settings.snapshot_id == snapshot_id
    assert (settings.inventory, settings.limit, settings.become) == (str(inventory.resolve()), "web", True)
    assert settings.connection == {"ansible_user": "ops", "ansible_port": 2222,
                                   "ansible_ssh_private_key_file": "/keys/id_ed25519", "ansible_become": True}
    assert SECRET not in json.dumps(stored) and "password" not in json.dumps(stored)


def test_capture_without_i_uses_the_remembered_inventory_also_for_later_snapshots(tmp_path, monkeypatch, capsys):
    db, first = new_store(tmp_path, "web")
    inventory = _inventory(tmp_path)
    _discover(db, inventory, monkeypatch)
    with Store.open(Path(db)) as store:
        second = store.save(Estate(collected_at=datetime.now(UTC)), origin="test").id
    monkeypatch.setenv("PLANNER_DB", db)
    assert capture_inventory(True, None, str(second)) == str(inventory.resolve())  # carried forward
    assert capture_inventory(True, "other.yml", None) == "other.yml"  # -i wins
    assert capture_inventory(None, None, None) is None and capture_inventory(False, "inv.yml", None) is None
    with Store.open(Path(db)) as store:
        assert remembered_settings(store, first) is not None


def test_capture_without_i_and_nothing_remembered_is_a_clear_usage_error(tmp_path, capsys):
    db, _ = new_store(tmp_path, "web")
    assert run_planner(["--db", db, "generate", "-o", str(tmp_path / "out"), "--capture"]) == 2
    err = capsys.readouterr().err
    assert "--capture needs -i INVENTORY: no discovery run with this snapshot" in err
    assert not (tmp_path / "out").exists()  # failed before any work


def test_a_remembered_inventory_that_is_gone_is_named(tmp_path, monkeypatch, capsys):
    db, snapshot_id = new_store(tmp_path, "web")
    inventory = _inventory(tmp_path)
    _discover(db, inventory, monkeypatch)
    inventory.unlink()
    capsys.readouterr()
    assert run_planner(["--db", db, "generate", "-o", str(tmp_path / "out"), "--capture"]) == 4
    err = capsys.readouterr().err
    assert f"the inventory discovery ran with (snapshot #{snapshot_id}), {inventory.resolve()}, does not exist" in err
    assert "-i INVENTORY" in err


def test_generated_inventory_gets_the_remembered_ssh_settings(tmp_path, monkeypatch, capsys):
    db, _ = new_store(tmp_path, "web")
    _discover(db, _inventory(tmp_path), monkeypatch)
    out = tmp_path / "out"
    assert run_planner(["--db", db, "generate", "-o", str(out), "--vm", "web", "--no-capture"]) == 0
    vms = (out / "ansible" / "inventory" / "group_vars" / "vms.yml").read_text()
    assert "ops" in vms and "2222" in vms and SECRET not in vms
