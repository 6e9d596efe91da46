"""The dependency picture at the level of waves and move groups, for plans without (or too large for) a per-VM
graph: one column per wave, one box per move group (the largest first, the rest summed in one box), and lines
between groups for the cross-wave dependencies the plan lists as risks. Output is geometry for the template."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from planner.report.charts import FIT_COLOURS, OTHER_COLOUR, num
from planner.report.safety import text

MAX_WAVES = 24
MAX_GROUPS_PER_WAVE = 10
MAX_LINES = 400
COLUMN, BOX_W, BOX_H, GAP, TOP = 150, 124, 34, 10, 40


def _natural(value: object) -> tuple[int, str]:
    """``g2`` before ``g10``: shorter ids first, then by text."""
    return len(str(value)), str(value)


def _dominant_fit(keys: Sequence[str], fit_of: Mapping[str, str]) -> str:
    counts = Counter(fit_of.get(key, "unknown") for key in keys)
    return min(counts, key=lambda fit: (-counts[fit], fit)) if counts else "unknown"


def _column(index: int, wave: Mapping[str, Any], groups: Mapping[str, Sequence[str]],
            fit_of: Mapping[str, str], box_of: dict[str, int], boxes: list[dict[str, Any]]) -> None:
    """The boxes of one wave: its largest groups, then one box for the rest."""
    ids = sorted(wave.get("move_groups") or [], key=lambda gid: (-len(groups.get(gid, ())), *_natural(gid)))
    x = 10 + index * COLUMN
    shown, rest = ids[:MAX_GROUPS_PER_WAVE], ids[MAX_GROUPS_PER_WAVE:]
    for row, gid in enumerate([*shown, *([None] if rest else [])]):
        members = list(groups.get(gid, ())) if gid is not None else [k for g in rest for k in groups.get(g, ())]
        label = text(gid) if gid is not None else f"+{len(rest):,} groups"
        for member_group in ([gid] if gid is not None else rest):
            box_of[member_group] = len(boxes)
        fit = _dominant_fit(members, fit_of)
        y = TOP + row * (BOX_H + GAP)
        boxes.append({"x": num(x), "y": num(y), "w": num(BOX_W), "h": num(BOX_H), "label": label,
                      "detail": f"{len(members):,} VM{'' if len(members) == 1 else 's'} · {fit}",
                      "colour": FIT_COLOURS.get(fit, OTHER_COLOUR), "dark": fit in {"excellent", "none"},
                      "tx": num(x + 6), "ty1": num(y + 14), "ty2": num(y + 28),
                      "cx": x + BOX_W / 2, "cy": y + BOX_H / 2, "left": x, "right": x + BOX_W})


def _lines(risks: Sequence[Mapping[str, Any]], group_of: Mapping[str, str], box_of: Mapping[str, int],
           boxes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    counts: Counter[tuple[int, int]] = Counter()
    for risk in risks:
        if risk.get("kind") != "cross-wave-dependency":
            continue
        keys = list(risk.get("vms") or [])
        ends = [box_of.get(group_of.get(key, ""), -1) for key in keys[:2]]
        if len(ends) == 2 and -1 not in ends and ends[0] != ends[1]:
            counts[(ends[0], ends[1])] += 1
    lines = []
    for (a, b), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_LINES]:
        start, end = boxes[a], boxes[b]
        forward = start["cx"] <= end["cx"]
        x1 = start["right"] if forward else start["left"]
        x2 = end["left"] if forward else end["right"]
        lines.append({"x1": num(x1), "y1": num(start["cy"]), "x2": num(x2), "y2": num(end["cy"]),
                      "width": num(min(4.0, 0.8 + count / 4)), "count": count})
    return sorted(lines, key=lambda line: (line["x1"], line["y1"], line["x2"], line["y2"]))


def overview(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Geometry of the waves/move-groups picture of ``plan``."""
    waves = sorted(plan.get("waves") or [], key=lambda wave: wave["number"])
    shown = waves[:MAX_WAVES]
    groups = {group["id"]: list(group.get("vms") or []) for group in plan.get("move_groups") or []}
    group_of = {key: gid for gid, keys in groups.items() for key in keys}
    fit_of = {vm["key"]: vm.get("fit") or "unknown" for vm in plan.get("vms") or []}
    box_of: dict[str, int] = {}
    boxes: list[dict[str, Any]] = []
    columns = []
    for index, wave in enumerate(shown):
        columns.append({"x": num(10 + index * COLUMN), "label": f"Wave {int(wave['number'])}",
                        "detail": f"{len(wave.get('vms') or []):,} VMs"})
        _column(index, wave, groups, fit_of, box_of, boxes)
    rows = max([sum(1 for box in boxes if box["x"] == column["x"]) for column in columns] + [1])
    placed = sum(len(wave.get("vms") or []) for wave in waves)
    return {"width": num(20 + max(1, len(shown)) * COLUMN), "height": num(TOP + rows * (BOX_H + GAP) + 10),
            "columns": columns, "boxes": boxes, "lines": _lines(plan.get("risks") or [], group_of, box_of, boxes),
            "hidden_waves": f"{len(waves) - len(shown):,}" if len(waves) > len(shown) else None,
            "unplaced": f"{len(plan.get('vms') or []) - placed:,}" if len(plan.get("vms") or []) > placed else None}
