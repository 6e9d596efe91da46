"""`discover import-flows` never silently replaces flows imported earlier from another file of the same name.

Flows are stored per import, as a document named by the file. A second import with the same file name is
stored beside the first (``flows.csv (2)``) unless ``--replace`` is given; an import identical to an earlier one
stores nothing. Either way the command says what happened to the earlier flows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.cli.common import count
from planner.discovery.flows import aggregate_flows
from planner.models.discovery import FlowRecord


@dataclass(frozen=True)
class FlowPlacement:
    """Where an import goes: the document name (None: identical to an earlier import) and what it does."""

    name: str | None
    replaced: int
    note: str
    superseded: tuple[str, ...] = ()
    """Earlier documents of the same file name that `--replace` removes once the new one is stored."""


def _flow_count(body: str) -> int:
    """Rows of a stored import: ``rows`` of a per-edge (version 2) document, else its row objects (version 1)."""
    try:
        data = json.loads(body)
        return int(data["rows"]) if "rows" in data else len(data.get("flows", []))
    except (ValueError, AttributeError, TypeError):
        return 0


def _same_flows(body: str, edges: list[dict[str, object]]) -> bool:
    """The stored import holds the same edges (version 2) or the same rows (version 1)."""
    try:
        data = json.loads(body)
        return bool(data.get("edges", data.get("flows")) == edges)
    except (ValueError, AttributeError):
        return False


def place_flows(existing: Mapping[str, str], name: str, records: Sequence[FlowRecord], *,
                replace: bool, aggregated: bool = False) -> FlowPlacement:
    """Decide where the flows of file `name` go, given the snapshot's flow documents (name -> body);
    ``aggregated``: the records already are one per edge."""
    same_name = {key: body for key, body in existing.items()
                 if key == name or re.fullmatch(re.escape(name) + r" \(\d+\)", key)}
    if not same_name:
        return FlowPlacement(name, 0, "")
    if replace:
        earlier = sum(_flow_count(body) for body in same_name.values())
        return FlowPlacement(name, earlier, f"; replaced {count(earlier, 'flow')} imported earlier from {name}",
                             tuple(key for key in same_name if key != name))
    edges = [record.model_dump(mode="json", exclude_none=True)
             for record in (records if aggregated else aggregate_flows(records))]
    if any(_same_flows(body, edges) for body in same_name.values()):
        return FlowPlacement(None, 0, f"; the same flows were imported earlier from {name}: nothing changed")
    number = 2
    while f"{name} ({number})" in existing:
        number += 1
    earlier = sum(_flow_count(body) for body in same_name.values())
    return FlowPlacement(f"{name} ({number})", 0, f"; kept the {count(earlier, 'flow')} imported earlier from "
                                                  f"another {name} (--replace replaces them)")
