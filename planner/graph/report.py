"""The versioned JSON document of `planner waves --format json`, and fit colours from a stored assessment."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from planner.graph import Analysis, WaveOptions
from planner.graph.waves import WAVES_FORMAT_VERSION


def waves_document(analysis: Analysis, *, snapshot: str, options: WaveOptions) -> dict[str, Any]:
    """Waves, move groups, cutover risks and warnings (contract in docs/graph.md)."""
    plan = analysis.plan
    opts = asdict(options)
    opts["pins"] = dict(sorted(options.pins.items()))
    opts["exclude"] = sorted(options.exclude)
    groups = []
    for group in analysis.groups.groups:
        entry = group.as_dict()
        entry["wave"] = plan.group_wave.get(group.id)
        groups.append(entry)
    graph = analysis.graph
    return {
        "format_version": WAVES_FORMAT_VERSION,
        "snapshot": snapshot,
        "options": opts,
        "summary": {
            "vms": len(analysis.groups.group_of), "edges": graph.number_of_edges(), "waves": len(plan.waves),
            "move_groups": len(groups), "excluded": len(plan.excluded), "cutover_risks": len(plan.risks),
        },
        "waves": [wave.as_dict() for wave in plan.waves],
        "move_groups": groups,
        "excluded": plan.excluded,
        "cutover_risks": [risk.as_dict() for risk in plan.risks],
        "warnings": [*graph.graph.get("warnings", []), *plan.warnings],
        "ignored_observations": graph.graph.get("ignored", {}),
    }


def fits_from_documents(documents: dict[str, str]) -> dict[str, str]:
    """VM name -> fit from stored assessment documents, whatever their exact shape (missing parts are skipped):
    ``{"vms": [{"name"|"vm": ..., "fit": ...}]}``, ``{"results": [...]}`` or ``{vm: {"fit": ...}}``."""
    fits: dict[str, str] = {}
    for body in documents.values():
        try:
            data = json.loads(body)
        except ValueError:
            continue
        items: list[Any] = []
        if isinstance(data, dict):
            for key in ("vms", "results", "assessments"):
                if isinstance(data.get(key), list):
                    items = data[key]
                    break
            else:
                items = [{"name": name, **value} for name, value in data.items() if isinstance(value, dict)]
        elif isinstance(data, list):
            items = data
        for item in items:
            if not isinstance(item, dict):
                continue
            name = item.get("name") or item.get("vm")
            fit = item.get("fit")
            if isinstance(name, str) and isinstance(fit, str):
                fits[name] = fit
    return fits
