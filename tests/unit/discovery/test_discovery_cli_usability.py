"""New-user review of `planner discover`: host-list inventories, exit codes, re-runs that keep good facts,
option names shared with the rest of the CLI, and output that is not cut when piped."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.cli import discover as discover_cli
from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest
from planner.discovery.runner import DiscoveryOptions, DiscoveryRun, resolve_inventory
from planner.discovery.storage import FAILURE_KIND, load_guests, save_guests
from planner.errors import InputError, NotFoundError
from planner.models import Estate, PowerState, Vm
from planner.models.discovery import GuestDiscovery, GuestStatus
from planner.store import Store
from tests.support.cli import run_planner
from tests.support.components import require

DATA = Path(__file__).parent / "data"
LONG_HOST = "app-server-with-a-rather-long-inventory-name-01.example.internal"


def recorded(name: str, host: str | None = None) -> GuestDiscovery:
    raw = RawGuest.model_validate_json((DATA / f"{name}.json").read_text())
    if host is not None:
        raw = raw.model_copy(update={"host": host})
    return merge(raw)


def new_store(tmp_path: Path, *names: str) -> tuple[str, int]:
    db = tmp_path / "planner.db"
    vms = [Vm(name=name, source="vc", power_state=PowerState.ON, num_cpu=2, guest_ips=["192.0.2.10"])
           for name in names]
    with Store.open(db) as store:
        return str(db), store.save(Estate(collected_at=datetime.now(UTC), vms=vms), origin="test").id


@pytest.fixture
def ansible_inventory_cli():
    if shutil.which("ansible-inventory") is None:
        require("ansible", "ansible-inventory is not on PATH (pip install ansible-core)")


# 1. -i: host lists, missing paths, files that are no inventory

def test_host_lists_are_read_as_ansible_reads_them(ansible_inventory_cli):
    assert resolve_inventory("127.0.0.5,") == {"all": {"hosts": {"127.0.0.5": {}}}}
    assert resolve_inventory("127.0.0.5,127.0.0.6:2222") == {
        "all": {"hosts": {"127.0.0.5": {}, "127.0.0.6": {"ansible_port": 2222}}}}


def test_inventory_files_missing_invalid_or_empty(ansible_inventory_cli, tmp_path):
    good = tmp_path / "hosts.ini"
    good.write_text("web ansible_host=127.0.0.5\n")
    assert resolve_inventory(str(good)) == str(good.resolve())
    with pytest.raises(NotFoundError, match=r"inventory /nope\.yaml does not exist"):
        resolve_inventory("/nope.yaml")
    notes = tmp_path / "notes.txt"
    notes.write_text("remember to check the backups\n")
    with pytest.raises(InputError, match=r"notes.txt is not an Ansible inventory \(Expected key=value"):
        resolve_inventory(str(notes))
    empty = tmp_path / "empty.ini"
    empty.write_text("# nothing yet\n")
    with pytest.raises(InputError, match="lists no host"):
        resolve_inventory(str(empty))


def test_exit_codes_for_missing_and_invalid_files(ansible_inventory_cli, tmp_path, capsys):
    db, _ = new_store(tmp_path, "web")
    assert run_planner(["--db", db, "discover", "import-flows", str(tmp_path / "nope.csv")]) == 4
    assert run_planner(["--db", db, "discover", "run", "-i", str(tmp_path / "nope.yaml")]) == 4
    capsys.readouterr()
    notes = tmp_path / "notes.txt"
    notes.write_text("remember to check the backups\n")
    assert run_planner(["--db", db, "discover", "run", "-i", str(notes)]) == 3
    err = capsys.readouterr().err
    assert "not an Ansible inventory" in err and "PLAY RECAP" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


# 2. re-runs never replace good facts with a failure; nothing is stored when nothing succeeded

def test_a_failed_rerun_keeps_the_earlier_good_facts(tmp_path):
    db, snapshot_id = new_store(tmp_path, "web", "app")
    with Store.open(Path(db)) as store:
        first = save_guests(store, snapshot_id, [recorded("web"), recorded("app")])
        assert first.stored == ["web", "app"] and not first.kept_earlier
        # web is unreachable now (the recorded unreachable host, renamed), app is fine; a new host fails too
        again = save_guests(store, snapshot_id, [recorded("lost", "web"), recorded("app"), recorded("lost", "new")])
        assert again.stored == ["app", "new"] and set(again.kept_earlier) == {"web"}
        guests = {guest.host: guest for guest in load_guests(store, snapshot_id)}
        assert guests["web"].status is GuestStatus.OK and guests["web"].processes
        assert guests["new"].status is GuestStatus.UNREACHABLE  # no earlier facts: the failure is visible
        failure = json.loads(store.documents(snapshot_id, FAILURE_KIND)["web"])
        assert failure["status"] == "unreachable" and "Connection refused" in failure["errors"][0]
        # nothing reached: nothing new is stored at all
        nothing = save_guests(store, snapshot_id, [recorded("lost", "app")])
        assert nothing.stored == [] and not nothing.kept_earlier
        assert {g.host: g.status for g in load_guests(store, snapshot_id)}["app"] is GuestStatus.OK


def fake_run(guests: list[GuestDiscovery], monkeypatch) -> list[DiscoveryOptions]:
    """`discover run` without Ansible: the runner returns recorded guests."""
    seen: list[DiscoveryOptions] = []

    def run_discovery(options, progress=None):
        seen.append(options)
        return DiscoveryRun(guests, [], 0, "successful", 1.5)

    monkeypatch.setattr(discover_cli, "resolve_inventory", lambda text: {"all": {"hosts": {}}})
    monkeypatch.setattr(discover_cli, "run_discovery", run_discovery)
    return seen


def test_cli_all_hosts_failed_stores_nothing_and_says_so(tmp_path, capsys, monkeypatch):
    db, snapshot_id = new_store(tmp_path, "web")
    with Store.open(Path(db)) as store:
        save_guests(store, snapshot_id, [recorded("web")])
    fake_run([recorded("lost", "web")], monkeypatch)
    assert run_planner(["--db", db, "discover", "run", "-i", "web,"]) == 10
    err = capsys.readouterr().err
    assert "nothing stored" in err and "stored discovery of" not in err
    assert "the host could not be discovered" in err
    with Store.open(Path(db)) as store:
        assert load_guests(store, snapshot_id)[0].status is GuestStatus.OK


def test_cli_reports_kept_facts(tmp_path, capsys, monkeypatch):
    db, snapshot_id = new_store(tmp_path, "web", "app")
    with Store.open(Path(db)) as store:
        save_guests(store, snapshot_id, [recorded("web"), recorded("app")])
    fake_run([recorded("lost", "web"), recorded("app")], monkeypatch)
    assert run_planner(["--db", db, "discover", "run", "-i", "web,app", "-f", "json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["stored"] == ["app"] and list(result["kept_earlier"]) == ["web"]
    assert "stored discovery of 1 host with" in captured.err and "earlier run" in captured.err


# 4. options: SNAPSHOT positional (-1 too), -f is --format, --forks has no short form, snapshot files refused

def test_run_takes_snapshot_positionally_and_f_is_format(tmp_path, capsys, monkeypatch):
    db, first = new_store(tmp_path, "web")
    _, second = new_store(tmp_path, "web")
    seen = fake_run([recorded("web")], monkeypatch)
    assert run_planner(["--db", db, "discover", "run", "-i", "web,", "-1", "-f", "json", "--forks", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["snapshot"] == f"#{first}" and seen[-1].forks == 3
    assert run_planner(["--db", db, "discover", "run", "-i", "web,", "--snapshot", str(second), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["snapshot"] == f"#{second}"
    assert run_planner(["--db", db, "discover", "run", "-i", "web,", "-f", "5"]) == 2  # -f is not --forks
    snapshot_file = tmp_path / "estate.json"
    snapshot_file.write_text(Estate(collected_at=datetime.now(UTC)).model_dump_json())
    capsys.readouterr()
    assert run_planner(["--db", db, "discover", "run", "-i", "web,", str(snapshot_file)]) == 3
    assert "is a snapshot file" in capsys.readouterr().err
    assert run_planner(["--db", db, "discover", "run", "-i", "web,", "42"]) == 4


def test_import_flows_snapshot_positional_alias_and_json(tmp_path, capsys):
    db, first = new_store(tmp_path, "web")
    _, second = new_store(tmp_path, "web")
    flows = tmp_path / "flows.csv"
    flows.write_text("src_ip,dst_ip,dst_port\n192.0.2.1,192.0.2.2,80\n")
    assert run_planner(["--db", db, "discover", "import-flows", str(flows), "-1", "-f", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {"format_version": 2, "snapshot": f"#{first}", "source": "flows.csv", "flows": 1,
                      "skipped": 0, "problems": []}
    assert run_planner(["--db", db, "discover", "import-flows", str(flows), "--snapshot", str(first)]) == 0
    assert f"imported 1 flow from flows.csv into snapshot #{first}" in capsys.readouterr().err
    assert run_planner(["--db", db, "discover", "import-flows", str(flows), "1", "--snapshot", "2"]) == 3
    assert run_planner(["--db", db, "discover", "import-flows", str(flows), str(flows)]) == 3  # a file, not stored
    with Store.open(Path(db)) as store:
        assert store.documents(second, "flows") == {}


def test_discover_inventory_json(tmp_path, capsys):
    db, _ = new_store(tmp_path, "web")
    assert run_planner(["--db", db, "discover", "inventory", "-f", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["format_version"] == 2 and result["snapshot"].startswith("#")
    assert result["inventory"]["all"]["hosts"]["web"] == {"planner_vm": "web", "ansible_host": "192.0.2.10"}
    assert result["no_guest_ip"] == []


# 5. the result table is not cut when piped; counts are in the right number

def test_result_table_is_not_cut_when_piped(tmp_path, capsys, monkeypatch):
    db, _ = new_store(tmp_path, "web")
    fake_run([recorded("web", LONG_HOST), recorded("lost", "127.0.77.19")], monkeypatch)
    assert run_planner(["--db", db, "discover", "run", "-i", "x,"]) == 0
    out = capsys.readouterr().out
    assert LONG_HOST in out and "127.0.77.19" in out and "unreachable" in out and "…" not in out
    assert "2 hosts in 1.5 s: 1 ok, 1 unreachable" in out
    fake_run([recorded("web")], monkeypatch)
    assert run_planner(["--db", db, "discover", "run", "-i", "x,"]) == 0
    assert "1 host in 1.5 s: 1 ok" in capsys.readouterr().out
