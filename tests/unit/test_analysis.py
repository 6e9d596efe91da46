"""The analysis entry point on recorded discovery: one VM identity (two vCenters, one VM name) and discovery
carried forward to later snapshots of the same VMs (a weekly collect keeps the dependencies and guest findings)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from planner.analysis import analyse_snapshot, gather_evidence
from planner.discovery.inventory import build_inventory
from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest
from planner.discovery.storage import INDEX_KIND, save_flows, save_guests
from planner.errors import StoreError
from planner.graph.matching import match_guests
from planner.models import Estate, GuestOs, PowerState, Vm
from planner.models.discovery import FlowRecord, GuestDiscovery
from planner.store import Store
from tests.support.cli import run_planner

DATA = Path(__file__).parent / "discovery" / "data"
LINUX = GuestOs(configured_id="debian12_64Guest", configured_name="Debian GNU/Linux 12 (64-bit)", family="linux")
WINDOWS = GuestOs(configured_id="windows2019srv_64Guest", configured_name="Microsoft Windows Server 2019 (64-bit)",
                  family="windows")


def recorded(name: str) -> GuestDiscovery:
    """A guest as `planner discover run` recorded it from the test guests (web -> app -> redis on 127.0.77.x)."""
    return merge(RawGuest.model_validate_json((DATA / f"{name}.json").read_text()))


def vm(name: str, moid: str, *, source: str = "vc-a", guest: GuestOs = LINUX, **extra: object) -> Vm:
    return Vm(name=name, source=source, moid=moid, power_state=PowerState.ON, num_cpu=2, memory_mib=4096,
              guest=guest, **extra)


def save(db: Path, *vms: Vm) -> int:
    with Store.open(db) as store:
        return store.save(Estate(collected_at=datetime.now(UTC), vms=list(vms)), origin="test").id


def discover(db: Path, snapshot_id: int, *guests: GuestDiscovery) -> None:
    """What `planner discover run` does with its results: match them to the snapshot's VMs, store them."""
    with Store.open(db) as store:
        match_guests(store.load(snapshot_id), list(guests))
        save_guests(store, snapshot_id, list(guests))


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[Any, str]:
    assert run_planner(list(argv)) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), " ".join(captured.err.split())


# --- one VM identity ------------------------------------------------------------------------------------------

@pytest.fixture
def two_vcenters(tmp_path: Path) -> tuple[Path, int]:
    """Two VMs named web, one per vCenter, with the same moid (moids are per vCenter); redis's facts belong to the
    first (matched by its guest IP), the second is a Windows VM the assessment keeps on a VM."""
    db = tmp_path / "planner.db"
    snapshot_id = save(db, vm("web", "vm-1", guest_ips=["127.0.77.13"]),
                       vm("web", "vm-1", source="vc-b", guest=WINDOWS, guest_ips=["192.0.2.50"]))
    discover(db, snapshot_id, recorded("redis"))
    return db, snapshot_id


def test_duplicate_names_get_their_own_facts_and_verdicts(two_vcenters, capsys):
    db, _ = two_vcenters
    assessed = cli_json(capsys, "--db", str(db), "assess", "-f", "json")[0]["vms"]
    by_key = {item["vm_key"]: item for item in assessed}
    assert [item["vm"] for item in assessed] == ["web", "web"]
    linux, windows = by_key["vc-a:vm-1"], by_key["vc-b:vm-1"]
    assert linux["sizing"]["basis"]["memory"] == "discovery", "the guest rules ran on the VM the facts belong to"
    assert any(f["rule"].startswith("GST") for f in linux["findings"])
    assert not any(f["rule"].startswith("GST") for f in windows["findings"])
    assert (linux["strategy"], windows["strategy"]) == ("containerize", "keep-vm")

    document, _ = cli_json(capsys, "--db", str(db), "waves", "-f", "json")
    staying = {each["vm"]: each["strategy"] for each in document["staying_behind"]}
    assert staying == {"web [vc-b:vm-1]": "keep-vm"}
    assert {v for wave in document["waves"] for v in wave["vms"]} == {"web [vc-a:vm-1]"}
    graph, _ = cli_json(capsys, "--db", str(db), "graph", "-f", "json")
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert (nodes["web [vc-a:vm-1]"]["fit"], nodes["web [vc-b:vm-1]"]["fit"]) == (linux["fit"], windows["fit"])
    assert nodes["web [vc-b:vm-1]"]["vm_key"] == "vc-b:vm-1"


def test_the_inventory_names_each_of_two_same_named_vms_so_discovery_matches_it():
    estate = Estate(collected_at=datetime.now(UTC), vms=[
        vm("web", "vm-1", guest_ips=["192.0.2.1"]), vm("web", "vm-1", source="vc-b", guest_ips=["192.0.2.2"]),
        vm("db", "vm-2", guest_ips=["192.0.2.3"])])
    inventory, _ = build_inventory(estate)
    named = {host: str(variables["planner_vm"]) for host, variables in inventory["all"]["hosts"].items()}
    assert sorted(named.values()) == ["db", "web [vc-a:vm-1]", "web [vc-b:vm-1]"]
    guests = [GuestDiscovery(host=host, planner_vm=value) for host, value in named.items()]
    report = match_guests(estate, guests)
    assert {guest.planner_vm: (guest.vm, guest.matched_by) for guest in guests} == {
        value: (value, "planner-vm") for value in named.values()}
    assert not report.ambiguities


def test_assessments_stored_before_vm_keys_match_unique_names_only(tmp_path):
    db = tmp_path / "planner.db"
    snapshot_id = save(db, vm("web", "vm-1"), vm("web", "vm-1", source="vc-b"), vm("db", "vm-2"))
    legacy = json.dumps({"format_version": 1, "vms": [{"vm": "web", "fit": "none", "strategy": "keep-vm"},
                                                      {"vm": "db", "fit": "none", "strategy": "keep-vm"}]})
    with Store.open(db) as store:
        outcome = analyse_snapshot(store.load(snapshot_id), label="#1", store=store, snapshot_id=snapshot_id,
                                   assessment={"latest": legacy})
    assert outcome.strategies == {"db": "keep-vm"}, "an old name-only verdict never lands on both VMs named web"


# --- discovery carried forward --------------------------------------------------------------------------------

ESTATE = (vm("web", "vm-11"), vm("app", "vm-12", instance_uuid="5012aaaa-0000-4000-8000-000000000012"),
          vm("redis", "vm-13"))


def test_a_later_snapshot_keeps_the_edges_and_guest_findings_with_their_age(tmp_path, capsys):
    db = tmp_path / "planner.db"
    first = save(db, *ESTATE)
    discover(db, first, recorded("web"), recorded("app"), recorded("redis"))
    # The weekly collect: web renamed (same moid), app re-registered (new moid, same instance UUID).
    web, app, redis = ESTATE
    second = save(db, web.model_copy(update={"name": "web-renamed"}), app.model_copy(update={"moid": "vm-99"}),
                  redis)
    graph, err = cli_json(capsys, "--db", str(db), "graph", "-f", "json")
    edges = {(link["source"], link["target"]) for link in graph["links"]}
    assert edges == {("web-renamed", "app"), ("app", "redis")}
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["app"]["discovery_snapshot"] == "#1" and nodes["app"]["discovery_carried"] is True
    assert nodes["app"]["discovery_age_days"] >= 0
    assert "discovery of 3 VMs is carried from earlier snapshots: app from #1 (" in err and "days old" in err

    document, _ = cli_json(capsys, "--db", str(db), "waves", "-f", "json")
    assert [wave["vms"] for wave in document["waves"]] == [["redis"], ["app"], ["web-renamed"]]
    discovery = document["discovery"]
    assert (discovery["vms"], discovery["carried"]) == (3, 3)
    assert {(g["vm"], g["host"], g["snapshot"]) for g in discovery["guests"]} == {
        ("web-renamed", "web", "#1"), ("app", "app", "#1"), ("redis", "redis", "#1")}
    assert all(g["age_days"] is not None and g["last_seen"] for g in discovery["guests"])

    document, err = cli_json(capsys, "--db", str(db), "assess", str(second), "-f", "json")
    assessed = document["vms"]
    assert {item["vm"]: item["sizing"]["basis"]["memory"] for item in assessed} == dict.fromkeys(
        ("web-renamed", "app", "redis"), "discovery")
    assert "discovery of 3 VMs is carried from earlier snapshots" in err
    origin = {item["vm"]: item["discovery"] for item in assessed}["app"]
    assert (origin["host"], origin["snapshot"], origin["carried"]) == ("app", "#1", True)
    assert origin["vm_key"] == "vc-a:vm-99", "the VM of this snapshot, found by its instance UUID"
    assert origin["age_days"] >= 0 and origin["last_seen"].startswith("2026-")


def test_the_latest_reached_facts_win_and_a_failure_shadows_nothing(tmp_path):
    db = tmp_path / "planner.db"
    first = save(db, *ESTATE)
    discover(db, first, recorded("web"), recorded("app"), recorded("redis"))
    second = save(db, *ESTATE)
    later = datetime.now(UTC) - timedelta(hours=1)
    lost = recorded("lost").model_copy(update={"host": "web", "planner_vm": "web"})
    discover(db, second, lost, recorded("redis").model_copy(update={"last_seen": later}))
    now = later + timedelta(days=2)
    with Store.open(db) as store:
        evidence = gather_evidence(store.load(second), store, second, now=now)
    origins = {o.vm: (o.snapshot_id, o.carried) for o in evidence.origins.values()}
    assert origins == {"web": (first, True), "app": (first, True), "redis": (second, False)}
    assert evidence.document()["guests"][1]["age_days"] == 2.0  # app, redis, web: sorted by VM
    assert {g.host for g in evidence.guests} == {"web", "app", "redis"} and evidence.facts.keys() == {
        "vc-a:vm-11", "vc-a:vm-12", "vc-a:vm-13"}
    assert len(evidence.notes()) == 1 and "discovery of 2 VMs" in evidence.notes()[0]
    with Store.open(db) as store:
        earlier = gather_evidence(store.load(first), store, first, now=now)
    assert {o.snapshot_id for o in earlier.origins.values()} == {first}, "a later snapshot never leaks backwards"


def test_an_unreadable_discovery_index_is_a_store_error(tmp_path, capsys):
    db = tmp_path / "planner.db"
    first = save(db, *ESTATE)
    discover(db, first, recorded("web"))
    with Store.open(db) as store:
        store.save_document(first, INDEX_KIND, "guests", '{"guests": ["not", "a", "mapping"]}')
    assert run_planner(["--db", str(db), "waves"]) == StoreError.exit_code
    assert "discovery index of snapshot 1 is unreadable" in capsys.readouterr().err


def test_flows_and_discovery_stored_before_the_index_carry_forward(tmp_path):
    db = tmp_path / "planner.db"
    web, app, redis = (each.model_copy(update={"guest_ips": ips}) for each, ips in zip(
        ESTATE, (["192.0.2.11"], ["192.0.2.12"], ["192.0.2.13", "127.0.77.13"]), strict=True))
    first = save(db, web, app, redis)
    guest = recorded("app").model_copy(update={"vm": "app", "matched_by": "inventory-name"})
    with Store.open(db) as store:
        store.save_document(first, "discovery", "app", guest.model_dump_json())  # as stored by earlier releases
        assert not store.documents(first, INDEX_KIND)
        save_flows(store, first, "flows.csv", [FlowRecord(src_ip="192.0.2.11", src_port=40000, dst_ip="192.0.2.12",
                                                          dst_port=8080)])
        second = store.save(Estate(collected_at=datetime.now(UTC), vms=[web, app, redis]), origin="test").id
        outcome = analyse_snapshot(store.load(second), label=f"#{second}", store=store, snapshot_id=second)
    assert set(outcome.analysis.graph.edges) == {("web", "app"), ("app", "redis")}
    assert [(o.vm, o.carried) for o in outcome.evidence.origins.values()] == [("app", True)]
    flows = outcome.evidence.document()["flows"]
    assert [(f["name"], f["snapshot"], f["records"], f["carried"]) for f in flows] == [
        ("flows.csv", f"#{first}", 1, True)]
    assert any(note.startswith("flows flows.csv (1 records) are carried from snapshot #1") for note in outcome.notes)


def test_a_snapshot_file_has_no_stored_discovery(tmp_path):
    outcome = analyse_snapshot(Estate(collected_at=datetime.now(UTC), vms=list(ESTATE)), label="estate.json")
    assert outcome.evidence.document() == {"vms": 0, "carried": 0, "guests": [], "flows": []}
    assert any("no stored assessment for a snapshot file: assessed it with the default policy" in note
               for note in outcome.notes)
