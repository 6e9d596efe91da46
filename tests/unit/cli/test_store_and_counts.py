"""Items 7 and 8 of issue 12: read-only commands never create a store; VMs and templates are counted apart and
in the right number everywhere; a version-1 store gains its template counts on upgrade."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

import pytest

from planner.store import Store
from planner.store.schema import MIGRATIONS
from tests.unit.cli.conftest import Run

READ_ONLY = [("inventory", "list"), ("inventory", "show"), ("inventory", "export"), ("inventory", "diff", "1"),
             ("assess",), ("graph",), ("waves",), ("discover", "inventory")]


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_a_read_only_command_never_creates_a_store(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   args: tuple[str, ...]) -> None:
    typo = tmp_path / "plannr.db"
    monkeypatch.setenv("PLANNER_DB", str(typo))
    code, _, err = run(*args, db=False)
    assert not typo.exists()
    assert str(typo) in err
    assert code == (0 if args == ("inventory", "list") else 4)


def test_opening_without_create_names_the_missing_store(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="there is no snapshot store at"):
        Store.open(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()
    Store.open(tmp_path / "yes.db").close()
    Store.open(tmp_path / "yes.db", create=False).close()


def test_list_counts_like_import(run: Run) -> None:
    vms = json.loads(Path("inventories/example/estate.json").read_text())["vms"]
    templates = sum(1 for vm in vms if vm.get("template"))
    assert templates > 1
    code, _, err = run("inventory", "import", "inventories/example/estate.json")
    assert code == 0 and f"{len(vms) - templates} VMs (+{templates} templates)" in err
    code, out, _ = run("inventory", "list")
    row = next(line for line in out.splitlines() if "import:estate.json" in line)
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    assert str(len(vms) - templates) in cells and str(templates) in cells and str(len(vms)) not in cells
    code, out, _ = run("inventory", "list", "-f", "json")
    snapshot = json.loads(out)["snapshots"][0]
    assert (snapshot["vm_count"], snapshot["template_count"]) == (len(vms), templates)


def test_one_vm_is_singular(run: Run, tmp_path: Path) -> None:
    estate = json.loads(Path("inventories/example/estate.json").read_text())
    estate["vms"] = [vm for vm in estate["vms"] if not vm.get("template")][:1]
    single = tmp_path / "one.json"
    single.write_text(json.dumps(estate))
    code, _, err = run("inventory", "import", str(single))
    assert code == 0 and "stored snapshot 1: 1 VM from" in err
    code, out, _ = run("inventory", "show")
    assert "1 VM," in out and "1 VMs" not in out
    code, _, err = run("inventory", "export", "-o", str(tmp_path / "one.csv"))
    assert "1 VM" in err and "1 VMs" not in err


def test_a_version_1_store_gains_template_counts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    document = Path("inventories/example/estate.json").read_text()
    conn.execute("INSERT INTO snapshots (created_at, collected_at, label, origin, sources, vm_count, schema_version,"
                 " estate) VALUES ('2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL, 'import:x', '[]',"
                 " 43, 1, ?)", (zlib.compress(document.encode()),))
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(path, create=False) as store:
        assert store.list()[0].template_count == sum(1 for vm in json.loads(document)["vms"] if vm.get("template"))
