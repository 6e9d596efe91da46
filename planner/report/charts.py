"""Geometry of the report's inline SVG charts: donut, horizontal bars, stacked bars, waves timeline.

Functions return plain dicts of numbers already formatted as text (so the page is byte-for-byte deterministic);
the templates only print them. Labels are untrusted text and are escaped by the templates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

FIT_COLOURS = {"excellent": "#1a9850", "good": "#91cf60", "moderate": "#fee08b", "poor": "#fc8d59",
               "none": "#d73027", "unknown": "#bdbdbd"}
"""As the graph export's (planner/graph/export.py), so a fit has one colour everywhere."""
STRATEGY_COLOURS = {"containerize": "#2b8cbe", "refactor": "#7bccc4", "keep-vm": "#969696", "retire": "#fdae6b",
                    "investigate": "#bc80bd", "exclude": "#d9d9d9"}
SEVERITY_COLOURS = {"info": "#c6dbef", "low": "#6baed6", "medium": "#fdd049", "high": "#f16913",
                    "blocker": "#a50f15"}
OTHER_COLOUR = "#9e9e9e"
TIMELINE_MAX_WAVES = 60


def num(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros, never ``-0``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def percent(part: float, whole: float) -> str:
    if not whole:
        return "0%"
    share = 100 * part / whole
    return f"{share:.0f}%" if share >= 1 or share == 0 else "<1%"


def _arc(cx: float, cy: float, outer: float, inner: float, start: float, end: float) -> str:
    """A ring segment from angle ``start`` to ``end`` (radians, 0 at 12 o'clock, clockwise)."""
    if end - start >= 2 * math.pi - 1e-9:  # a full ring: two half rings
        middle = start + math.pi
        return _arc(cx, cy, outer, inner, start, middle) + " " + _arc(cx, cy, outer, inner, middle, end)

    def point(radius: float, angle: float) -> str:
        return f"{num(cx + radius * math.sin(angle))} {num(cy - radius * math.cos(angle))}"

    large = 1 if end - start > math.pi else 0
    return (f"M {point(outer, start)} A {num(outer)} {num(outer)} 0 {large} 1 {point(outer, end)} "
            f"L {point(inner, end)} A {num(inner)} {num(inner)} 0 {large} 0 {point(inner, start)} Z")


def donut(counts: Mapping[str, float], colours: Mapping[str, str], *, size: int = 180) -> dict[str, Any]:
    """Ring segments for each non-zero count (in ``counts`` order) and a legend of every label."""
    total = float(sum(counts.values()))
    centre, outer = size / 2, size / 2 - 4
    segments, angle = [], 0.0
    for label, value in counts.items():
        if value <= 0 or total <= 0:
            continue
        end = angle + 2 * math.pi * value / total
        segments.append({"d": _arc(centre, centre, outer, outer * 0.58, angle, end),
                         "colour": colours.get(label, OTHER_COLOUR), "label": label, "value": value,
                         "share": percent(value, total)})
        angle = end
    legend = [{"label": label, "value": value, "colour": colours.get(label, OTHER_COLOUR),
               "share": percent(value, total)} for label, value in counts.items()]
    return {"size": size, "centre": num(centre), "segments": segments, "legend": legend, "total": total,
            "total_shown": f"{round(total):,}"}


def bars(counts: Mapping[str, float], colours: Mapping[str, str], *, width: int = 380, row: int = 24,
         label_width: int = 120) -> dict[str, Any]:
    """One horizontal bar per label, scaled to the largest value."""
    top = max([*counts.values(), 0]) or 1
    room = width - label_width - 70
    rows = []
    for index, (label, value) in enumerate(counts.items()):
        y = index * row
        rows.append({"label": label, "value": value, "colour": colours.get(label, OTHER_COLOUR),
                     "x": num(label_width), "y": num(y + 3), "w": num(room * value / top), "h": num(row - 6),
                     "text_y": num(y + row / 2 + 4), "value_x": num(label_width + room * value / top + 6)})
    return {"width": width, "height": num(max(row, row * len(rows))), "label_x": num(label_width - 8), "rows": rows}


def stacked(rows: Mapping[str, Mapping[str, int]], order: Sequence[str], colours: Mapping[str, str], *,
            width: int = 560, row: int = 30, label_width: int = 170) -> dict[str, Any]:
    """One bar per row made of segments in ``order`` (e.g. findings per criterion by severity)."""
    top = max([sum(values.values()) for values in rows.values()] + [0]) or 1
    room = width - label_width - 60
    out = []
    for index, (label, values) in enumerate(rows.items()):
        y, x, segments = index * row, float(label_width), []
        for key in order:
            value = values.get(key, 0)
            if value <= 0:
                continue
            w = room * value / top
            segments.append({"key": key, "value": value, "colour": colours.get(key, OTHER_COLOUR),
                             "x": num(x), "w": num(w)})
            x += w
        out.append({"label": label, "total": sum(values.values()), "segments": segments, "y": num(y + 4),
                    "h": num(row - 8), "text_y": num(y + row / 2 + 4), "total_x": num(x + 6)})
    legend = [{"key": key, "colour": colours.get(key, OTHER_COLOUR)} for key in order]
    return {"width": width, "height": num(max(row, row * len(out))), "label_x": num(label_width - 8), "rows": out,
            "legend": legend}


def timeline(waves: Sequence[Mapping[str, Any]], *, width: int = 900, row: int = 26,
             label_width: int = 80) -> dict[str, Any]:
    """Waves one after another: each bar starts where the previous ends and is as long as its effort (equal
    lengths when no wave has an effort). At most TIMELINE_MAX_WAVES rows; the rest are counted."""
    shown = list(waves[:TIMELINE_MAX_WAVES])
    efforts = [float(wave.get("effort_person_days") or 0) for wave in shown]
    use_effort = any(efforts)
    lengths = efforts if use_effort else [1.0] * len(shown)
    total = sum(lengths) or 1.0
    room = width - label_width - 20
    rows, start = [], 0.0
    for index, (wave, length) in enumerate(zip(shown, lengths, strict=True)):
        y = index * row
        rows.append({"number": wave["number"], "vms": len(wave.get("vms") or []),
                     "groups": len(wave.get("move_groups") or []), "vcpu": wave.get("vcpu"),
                     "memory_gib": wave.get("memory_gib"), "effort": wave.get("effort_person_days"),
                     "x": num(label_width + room * start / total), "w": num(max(2.0, room * length / total)),
                     "y": num(y + 4), "h": num(row - 8), "text_y": num(y + row / 2 + 4)})
        start += length
    return {"width": width, "height": num(max(row, row * len(rows)) + 18), "rows": rows,
            "axis_y": num(row * len(rows) + 14), "label_x": num(label_width - 8),
            "scale": "effort (person-days)" if use_effort else "order (no effort estimates)",
            "total": num(sum(efforts)), "hidden": max(0, len(waves) - len(shown))}
