"""Item 9 of issue 12 (in part): the snapshot a JSON document describes is a label and an integer id
everywhere; booleans in CSV are `true`/`false` as in JSON."""

from __future__ import annotations

import csv
import io
import json

from tests.unit.cli.conftest import Run


def test_snapshot_label_and_id(example_store: Run) -> None:
    code, out, _ = example_store("inventory", "show", "1", "-f", "json")
    assert code == 0
    assert (json.loads(out)["snapshot"], json.loads(out)["snapshot_id"]) == ("#1", 1)
    code, out, _ = example_store("inventory", "show", "example", "-f", "json")
    assert code == 0
    assert (json.loads(out)["snapshot"], json.loads(out)["snapshot_id"]) == ("example", None)
    code, out, _ = example_store("inventory", "diff", "1", "example", "-f", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["before"]["snapshot_id"], document["after"]["snapshot_id"]) == (1, None)
    code, out, _ = example_store("discover", "inventory", "2", "-f", "json")
    assert code == 0
    assert (json.loads(out)["snapshot"], json.loads(out)["snapshot_id"]) == ("#2", 2)
    code, out, _ = example_store("discover", "import-flows", "examples/flows.csv", "-f", "json")
    assert code == 0
    assert (json.loads(out)["snapshot"], json.loads(out)["snapshot_id"]) == ("#2", 2)


def test_csv_booleans_read_like_json(run: Run) -> None:
    code, out, _ = run("inventory", "export", "example", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {row["template"] for row in rows} == {"true", "false"}
    assert "False" not in out.split("\n", 1)[1].split(",") and "True" not in out
