"""`inventory collect` through the stream parser and through pyVmomi's: the same snapshot, the same failures.

The differential half collects the seeded example estate (and generated ones) both ways and compares every
field of every object. The failure half puts a small HTTPS proxy on 127.0.0.1 in front of the simulator that
breaks the VirtualMachine answer (tests/support/soap_proxy.py): each break is one clear error with its exit code,
through either parser, and the store keeps only what it had.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from planner.models import Estate
from planner.store import Store
from tests.support.cli import run_planner as run
from tests.support.seed import TRAIT_FIELDS, SeedResult
from tests.support.soap_proxy import SoapProxy
from tests.support.vcsim import Vcsim

pytestmark = pytest.mark.vcsim

PARSERS = ("stream", "pyvmomi")


def args(port: int, cert: Path, db: Path, password: Path, *extra: str) -> list[str]:
    return ["--db", str(db), "inventory", "collect", "--server", f"127.0.0.1:{port}", "--user", "auditor",
            "--password-file", str(password), "--ca-file", str(cert), "--format", "json", *extra]


def collect(server: Vcsim, tmp_path: Path, parser: str, capsys: pytest.CaptureFixture[str],
            *extra: str) -> tuple[dict[str, Any], list[str]]:
    """Collect with one parser; the snapshot as JSON (collection times left out) and the warnings."""
    db = tmp_path / f"{parser}.db"
    password = tmp_path / "password"
    password.write_text(server.password or "x")
    assert run(args(server.port, server.cert_path, db, password, "--parser", parser, *extra)) == 0  # type: ignore[arg-type]
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    with Store.open(db) as store:
        estate = store.load(store.resolve(None))
    dump = estate.model_dump(mode="json", exclude={"collected_at"})
    for source in dump["sources"]:
        source.pop("collected_at")
    return dump, warnings


def test_the_seeded_example_estate_is_identical_through_both_parsers(
        seeded: tuple[Vcsim, Estate, SeedResult], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, _expected, result = seeded
    fast, fast_warnings = collect(server, tmp_path, "stream", capsys, "--page-size", "10")
    slow, slow_warnings = collect(server, tmp_path, "pyvmomi", capsys, "--page-size", "10")
    assert fast_warnings == slow_warnings
    for collection in ("sources", "datacenters", "clusters", "hosts", "datastores", "networks"):
        assert fast[collection] == slow[collection], collection
    fast_vms = {vm["name"]: vm for vm in fast["vms"]}
    slow_vms = {vm["name"]: vm for vm in slow["vms"]}
    assert set(fast_vms) == set(slow_vms) >= set(result.vms)
    compared = 0
    for name, seed in result.vms.items():  # every seeded trait, named, so a difference says where it is
        for trait in sorted(seed.seeded):
            for path in TRAIT_FIELDS[trait]:
                field = path.split(".")[0].split("[")[0]
                assert fast_vms[name].get(field) == slow_vms[name].get(field), (name, trait, path)
                compared += 1
    assert compared > 500
    assert fast == slow  # and everything else the snapshot holds


@pytest.mark.parametrize("page_size", ["3", "1000"])
def test_generated_estates_are_identical_through_both_parsers(
        vcsim_factory: Callable[..., Vcsim], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        page_size: str) -> None:
    server = vcsim_factory(dc=2, cluster=2, host=2, vm=3, standalone_host=1)
    fast, fast_warnings = collect(server, tmp_path, "stream", capsys, "--page-size", page_size)
    slow, slow_warnings = collect(server, tmp_path, "pyvmomi", capsys, "--page-size", page_size)
    assert len(fast["vms"]) == 18 and fast == slow and fast_warnings == slow_warnings


def test_unknown_paths_and_denied_objects_behave_the_same(vcsim_factory: Callable[..., Vcsim], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.sources.vcenter import properties

    monkeypatch.setattr(properties, "VM_PATHS", (*properties.VM_PATHS, "config.fromTheFuture"))
    server = vcsim_factory(vm=2)
    fast, fast_warnings = collect(server, tmp_path, "stream", capsys)
    slow, slow_warnings = collect(server, tmp_path, "pyvmomi", capsys)
    assert fast == slow and fast_warnings == slow_warnings
    assert any("VirtualMachine.config.fromTheFuture" in w for w in fast_warnings)

    denied = vcsim_factory(vm=3, deny=["DC0_C0_RP0_VM1"])
    password = tmp_path / "password"
    errors = []
    for parser in PARSERS:
        db = tmp_path / f"denied-{parser}.db"
        assert run(args(denied.port, denied.cert_path, db, password, "--parser", parser)) == 8  # type: ignore[arg-type]
        errors.append(capsys.readouterr().err)
        assert not db.exists() or not Store.open(db).list()
    assert errors[0] == errors[1] and "may not read 1 object(s)" in errors[0] and "VirtualMachine" in errors[0]


def test_auto_falls_back_to_pyvmomi_with_a_warning(vcsim_factory: Callable[..., Vcsim], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Something the stream parser does not know (here: its schema table lacks VirtualDisk's key, as it would
    lack a property a newer vCenter adds) makes auto re-read that type through pyVmomi; stream refuses."""
    from planner.sources.vcenter import wire_types

    server = vcsim_factory(vm=2)
    slow, _ = collect(server, tmp_path, "pyvmomi", capsys)
    real = wire_types._fields

    def without_capacity(kind: type) -> dict[str, Any]:
        table = dict(real(kind))
        wire_types._FIELDS.clear()  # nothing cached: every VirtualDisk comes back here
        if kind.__name__.endswith("VirtualDisk"):
            table = {tag: entry for tag, entry in table.items() if entry[0] != "capacityInKB"}
        return table

    monkeypatch.setattr(wire_types, "_FIELDS", {})
    monkeypatch.setattr(wire_types, "_fields", without_capacity)
    fallback, warnings = collect(server, tmp_path, "auto", capsys)
    assert fallback == slow
    assert [w for w in warnings if "VirtualMachine properties hold the property" in w
            and "VirtualDisk.capacityInKB" in w and "read again through pyVmomi" in w]
    password = tmp_path / "password"
    db = tmp_path / "strict.db"
    assert run(args(server.port, server.cert_path, db, password, "--parser", "stream")) == 5  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "which the stream parser does not read; nothing was stored" in err and "--parser auto" in err


# --- a proxy that breaks the VM answer ---------------------------------------------------------------------------

LOST = "was lost while collecting the inventory (IncompleteRead"
MALFORMED = "sent a malformed answer while collecting the inventory"
BREAKS = {
    "fault": "failed while collecting the inventory: vpxd is out of memory",
    "drop": "was lost while collecting the inventory",
    "truncate": LOST,
    "cut-clean": MALFORMED,
    "corrupt": MALFORMED,
    "doctype": MALFORMED + " (a DOCTYPE declaration",
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("mode", sorted(BREAKS))
def test_a_broken_answer_is_one_clear_error_and_the_store_is_unchanged(
        vcsim_factory: Callable[..., Vcsim], tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str,
        parser: str) -> None:
    from tests.support.https_stub import make_certificate

    server = vcsim_factory(vm=20)  # 40 VMs: the answer is large enough to be cut mid-object
    db = tmp_path / "planner.db"
    with Store.open(db) as store:
        store.save(Estate(collected_at=datetime.now(UTC)), origin="earlier")
    password = tmp_path / "password"
    password.write_text("x")
    with SoapProxy(server.port, server.cert_path, make_certificate(tmp_path), mode) as proxy:  # type: ignore[arg-type]
        code = run(args(proxy.port, proxy.cert_path, db, password, "--parser", parser))
        assert proxy.broken == 1
    err = capsys.readouterr().err
    if mode == "doctype" and parser == "pyvmomi":
        # pyVmomi's expat reads the DTD but fetches no external entity: the answer is read as sent
        assert code == 0, err
        return
    assert code == 5, err
    expected = MALFORMED if (mode, parser) == ("truncate", "pyvmomi") else BREAKS[mode]  # pyVmomi: expat's error
    assert expected in err.replace("\n", " "), err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3
    with Store.open(db) as store:
        assert [s.origin for s in store.list()] == ["earlier"]
