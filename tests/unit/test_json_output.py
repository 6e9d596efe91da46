"""JSON outputs: small ones indented as always; large ones one item of each top-level list per line (the C
encoder), with the same data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from planner.cli.common import LARGE_JSON_ITEMS, dump_json


def test_a_small_output_is_indented_throughout() -> None:
    data = {"format_version": 1, "waves": [{"wave": 1, "vms": ["a", "b"]}]}
    assert dump_json(data) == json.dumps(data, indent=2) + "\n"


def test_a_large_output_has_one_item_per_line_and_the_same_data() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    nodes = [{"id": f"vm-{i}", "name": "wéb\n<x>", "seen": when, "ports": [443, 8080]} for i in range(LARGE_JSON_ITEMS)]
    data = {"directed": True, "nodes": nodes, "links": [{"source": "vm-0", "target": "vm-1"}], "empty": {}}
    text = dump_json(data)
    assert json.loads(text) == json.loads(json.dumps(data, default=str))
    lines = text.splitlines()
    assert len(lines) == len(nodes) + 9 and lines[3].startswith('    {"id": "vm-0", ')
    assert "wéb\\n<x>" in lines[3]  # escaped newline: one line per item, non-ASCII kept
