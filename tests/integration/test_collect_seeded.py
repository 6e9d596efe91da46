"""The example estate, seeded into the simulator through the vSphere API, comes back through `inventory collect`.

Each VM is compared trait by trait, for exactly the traits the seeder could store in the simulator
(tests/support/seed.py lists what vcsim 0.24 can and cannot hold).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.models import Estate
from planner.resources import example_estate_path
from planner.store import Store
from tests.support.seed import TRAIT_FIELDS, SeedResult, seed_estate
from tests.support.vcsim import Vcsim

pytestmark = pytest.mark.vcsim

_STEP = re.compile(r"([a-z_]+)(\[(\d*)\])?")


def pluck(value: Any, path: str) -> Any:
    """Follow `a.b[].c` / `a[0].b` through a model dump: `[]` maps over a list, `[N]` indexes it."""
    if not path:
        return value
    head, _, rest = path.partition(".")
    match = _STEP.fullmatch(head)
    assert match, path
    value = value.get(match.group(1)) if isinstance(value, dict) else None
    if match.group(2) is None:
        return pluck(value, rest)
    items = value or []
    if match.group(3) == "":
        return [pluck(item, rest) for item in items]
    index = int(match.group(3))
    return pluck(items[index], rest) if index < len(items) else None


def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


def normalise(trait: str, value: Any) -> Any:
    """Leave out what the simulator assigns itself or cannot store, per trait (see tests/support/seed.py)."""
    if trait == "disks" and isinstance(value, list):
        # device keys, labels and file names are the simulator's; vcsim drops `sharing` on RDM backings
        value = _without(value, {"key", "label", "file_name", "controller", "datastore", "lun_uuid",
                                 "capacity_bytes", "eager_zero", "controller_sharing"})
        return [_without(d, {"sharing"}) if d.get("backing") == "rdm" else d for d in value]
    if trait == "snapshots":
        return _without(value, {"created"})  # vcsim stamps the seeding time
    if trait == "usb_device":
        return _without(value, {"label", "connected"})  # vcsim 0.24 does not keep VirtualUSB.connected
    if trait == "tags" and isinstance(value, list):
        return sorted((t["category"], t["name"]) for t in value)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return _without(value, {"label"})
    return value


@pytest.fixture
def seeded(vcsim_factory: Callable[..., Vcsim], tmp_path: Path) -> tuple[Vcsim, Estate, SeedResult]:
    server = vcsim_factory(dc=1, cluster=1, host=1, vm=0)
    expected = Estate.model_validate_json(example_estate_path().read_text())
    result = seed_estate(server.connect(), expected, workdir=str(tmp_path / "datastores"),
                         rest=(server.host, server.port, server.user, server.password, server.ssl_context()))
    return server, expected, result


def test_collect_reads_back_every_seeded_trait(seeded: tuple[Vcsim, Estate, SeedResult], tmp_path: Path) -> None:
    server, expected, result = seeded
    db = tmp_path / "planner.db"
    password = tmp_path / "pw"
    password.write_text(server.password)
    try:
        main(["--db", str(db), "inventory", "collect", "--server", f"127.0.0.1:{server.port}", "--user", server.user,
              "--password-file", str(password), "--ca-file", str(server.cert_path), "--page-size", "10"])
    except SystemExit as exc:
        assert not exc.code
    with Store.open(db) as store:
        collected = store.load(store.resolve(None))

    want = {vm.name: vm.model_dump(mode="json") for vm in expected.vms}
    got = {vm.name: vm.model_dump(mode="json") for vm in collected.vms}
    assert set(want) <= set(got)
    mismatches: list[str] = []
    compared = 0
    for name, seed in result.vms.items():
        for trait in sorted(seed.seeded):
            for path in TRAIT_FIELDS[trait]:
                a, b = normalise(trait, pluck(want[name], path)), normalise(trait, pluck(got[name], path))
                compared += 1
                if trait == "usage" and a is None and b == 0:
                    continue  # vcsim reports 0 where a powered-off VM has no figure
                if a != b:
                    mismatches.append(f"{name} {trait} {path}: seeded {a!r}, collected {b!r}")
    assert not mismatches, "\n".join(mismatches[:40])
    assert compared > 500
    # every trait the model holds is exercised by at least one VM
    exercised = {trait for seed in result.vms.values() for trait in seed.seeded}
    for trait in ("rdm_physical", "rdm_virtual", "multi_writer", "independent_disk", "usb_device", "serial_port",
                  "parallel_port", "pci_passthrough", "vgpu", "iso_connected", "snapshots", "custom_attributes",
                  "tags", "template", "latency_sensitivity", "cpu_affinity"):
        assert trait in exercised, trait
