"""Item 5 of issue 12: importing flows from another file of the same name never silently replaces the earlier
ones; a folder holding two vCenters' RVTools CSVs is refused (exit 3), never half imported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.store import Store
from tests.unit.cli.conftest import Run
from tests.unit.rvtools.builders import sample_estate, write_export

FLOWS = Path("examples/flows.csv")


def _flow_documents(run: Run) -> dict[str, int]:
    with Store.open(run.db, create=False) as store:
        return {name: json.loads(body)["rows"] for name, body in store.documents(2, "flows").items()}


def test_a_second_file_of_the_same_name_is_added_and_said(example_store: Run, tmp_path: Path) -> None:
    code, _, err = example_store("discover", "import-flows", str(FLOWS))
    assert code == 0
    first = _flow_documents(example_store)["flows.csv"]
    other = tmp_path / "other" / "flows.csv"
    other.parent.mkdir()
    other.write_text("\n".join(FLOWS.read_text().splitlines()[:3]) + "\n")  # the header and two flows
    code, _, err = example_store("discover", "import-flows", str(other))
    assert code == 0 and f"kept the {first} flows imported earlier from another flows.csv" in err
    assert _flow_documents(example_store) == {"flows.csv": first, "flows.csv (2)": 2}

    code, _, err = example_store("discover", "import-flows", str(other))
    assert code == 0 and "the same flows were imported earlier from flows.csv: nothing changed" in err
    assert len(_flow_documents(example_store)) == 2

    code, out, err = example_store("discover", "import-flows", str(other), "--replace", "-f", "json")
    assert code == 0 and json.loads(out)["replaced"] == first + 2
    assert _flow_documents(example_store) == {"flows.csv": 2}


def test_two_vcenters_csv_sets_in_one_folder_are_refused(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for prefix in ("vc1", "vc2"):
        written = write_export(sample_estate(), tmp_path / prefix, shape="csv")
        for path in Path(written).iterdir():
            shutil.copy(path, folder / f"{prefix}_{path.name}")
    code, _, err = run("inventory", "import", str(folder))
    assert code == 3 and "holds more than one RVTools export" in err and "vc2_RVTools_tabvInfo.csv" in err
    assert not run.db.exists()
