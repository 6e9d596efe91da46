"""Item 1 and 8 of issue 12: an argument starting with `-` is an option everywhere (a negative number is a
snapshot offset), and `--db` works wherever the user puts it."""

from __future__ import annotations

import json

import pytest

from planner.cli.parsing import hoist_global_options
from tests.unit.cli.conftest import Run

MISTYPED = [
    (("waves", "--max-vm", "5"), "--max-vm", "--max-vms"),
    (("assess", "--polcy", "x"), "--polcy", "--policy"),
    (("graph", "-O", "x.svg"), "-O", None),
    (("inventory", "export", "--ouput", "x.json"), "--ouput", "--output"),
    (("inventory", "show", "--tpo", "3"), "--tpo", "--top"),
    (("inventory", "diff", "1", "--ouput", "d.json"), "--ouput", "--output"),
    (("discover", "inventory", "--ouput", "h.yml"), "--ouput", "--output"),
    (("discover", "import-flows", "examples/flows.csv", "--skip-bda"), "--skip-bda", "--skip-bad"),
]


@pytest.mark.parametrize(("args", "typo", "suggestion"), MISTYPED)
def test_a_mistyped_option_is_no_such_option(example_store: Run, args: tuple[str, ...], typo: str,
                                             suggestion: str | None) -> None:
    code, out, err = example_store(*args)
    assert code == 2 and not out
    assert f"No such option: {typo}" in err
    assert "snapshot" not in err.split("Error:")[-1]
    if suggestion:
        assert suggestion in err


def test_a_negative_number_is_still_a_snapshot_offset(example_store: Run) -> None:
    code, out, _ = example_store("inventory", "show", "-1", "-f", "json")
    assert code == 0 and json.loads(out)["snapshot"] == "#1"
    code, out, _ = example_store("inventory", "diff", "-1", "latest", "-f", "json")
    assert code == 0 and json.loads(out)["before"]["snapshot"] == "#1"
    code, out, _ = example_store("waves", "-1", "--max-vms", "5", "-f", "json")
    assert code == 0 and json.loads(out)["snapshot"] == "#1"


def test_db_after_the_subcommand(run: Run, tmp_path) -> None:
    store = tmp_path / "elsewhere.db"
    assert run("inventory", "import", "inventories/example/estate.json", "--db", str(store), db=False)[0] == 0
    code, out, _ = run("inventory", "list", "-f", "json", f"--db={store}", db=False)
    assert code == 0 and len(json.loads(out)["snapshots"]) == 1
    code, out, _ = run("assess", "--db", str(store), "-f", "json", db=False)
    assert code == 0 and store.exists()


def test_hoisting_stops_at_double_dash() -> None:
    assert hoist_global_options(["inventory", "list", "--db", "x", "--debug"]) == [
        "--db", "x", "--debug", "inventory", "list"]
    assert hoist_global_options(["a", "--", "--db", "x"]) == ["a", "--", "--db", "x"]


def test_db_without_a_value_says_so(run: Run) -> None:
    code, _, err = run("inventory", "list", "--db", db=False)
    assert code == 2 and "error: --db needs a value: --db FILE." in err
