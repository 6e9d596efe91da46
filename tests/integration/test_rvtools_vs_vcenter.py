"""RVTools import and vCenter collection agree: same VM set, same traits where both sources carry them.

The bundled example estate is seeded into the simulator and collected with `planner inventory collect`. An
RVTools export of what the simulator holds is then written (tests/unit/rvtools/builders.py plays RVTools: it
writes the tabs and columns RVTools writes, from the collected inventory) in two shapes, an Excel-style xlsx and
a zip of semicolon CSVs, and imported through the real parser. Both snapshots must hold the same VMs with the
same traits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planner.audit.diff import diff_estates
from planner.models import Estate
from planner.store import Store
from tests.support.cli import run_planner as _run
from tests.support.seed import seed_estate
from tests.unit.rvtools.builders import vm_traits, write_export

pytestmark = pytest.mark.vcsim

ESTATE_JSON = Path(__file__).resolve().parents[2] / "inventories" / "example" / "estate.json"


@pytest.fixture
def collected(vcsim_factory: Callable[..., Any], tmp_path: Path) -> Estate:
    seeded = Estate.model_validate_json(ESTATE_JSON.read_text(encoding="utf-8"))
    sim = vcsim_factory(dc=1, cluster=1, host=1, vm=0, ds=1)
    seed_estate(sim.connect(), seeded, rest=(sim.host, sim.port, sim.user, sim.password, sim.ssl_context()),
                workdir=str(tmp_path))
    password = tmp_path / "password"
    password.write_text(sim.password + "\n")
    db = tmp_path / "collected.db"
    code = _run(["--db", str(db), "inventory", "collect", "--server", f"127.0.0.1:{sim.port}", "--user", sim.user,
                 "--password-file", str(password), "--ca-file", str(sim.cert_path), "--format", "json"])
    assert code == 0
    with Store.open(db) as store:
        return store.load(store.resolve("latest"))


@pytest.mark.parametrize(("shape", "options"), [
    pytest.param("excel", {}, id="xlsx"),
    pytest.param("zip", {"delimiter": ";", "bom": True}, id="zip-semicolon-csv"),
])
def test_rvtools_import_matches_the_collected_snapshot(collected: Estate, tmp_path: Path, shape: str,
                                                       options: dict[str, Any]) -> None:
    names = {vm.name for vm in collected.vms}
    assert len(names) >= 5, "the seeded estate should hold several VMs"
    export = write_export(collected, tmp_path / f"rvtools.{'xlsx' if shape == 'excel' else 'zip'}", shape=shape,
                          **options)
    db = tmp_path / "imported.db"

    assert _run(["--db", str(db), "inventory", "import", str(export)]) == 0
    with Store.open(db) as store:
        imported = store.load(store.resolve("latest"))

    assert {(vm.name, vm.instance_uuid) for vm in imported.vms} == {(vm.name, vm.instance_uuid)
                                                                     for vm in collected.vms}
    by_name = {vm.name: vm for vm in imported.vms}
    for vm in collected.vms:
        assert vm_traits(by_name[vm.name]) == vm_traits(vm), vm.name
        assert by_name[vm.name].template == vm.template
        assert by_name[vm.name].custom_attributes == vm.custom_attributes
    assert {h.name for h in imported.hosts} == {h.name for h in collected.hosts}
    assert {c.name for c in imported.clusters} == {c.name for c in collected.clusters}

    result = diff_estates(collected, imported)
    assert result.summary() == {"added": 0, "removed": 0, "renamed": 0, "changed": 0,
                                "unchanged": len(collected.vms)}
