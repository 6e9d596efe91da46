"""Prepare everything the report template prints from a plan document (plan.json version 1).

Templates make no decisions: this module picks the graph picture, orders and caps lists, formats numbers and
makes untrusted text visible-safe; the template escapes it (autoescape) and prints it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from planner.errors import InputError
from planner.report.charts import FIT_COLOURS, SEVERITY_COLOURS, STRATEGY_COLOURS, bars, donut, stacked, timeline
from planner.report.overview import overview
from planner.report.safety import long_text, text
from planner.report.svg import UnsafeSvg, sanitise_svg

PLAN_KIND, PLAN_VERSION = "planner-plan", 1
CRITERIA = ("architecture", "resource-utilization", "isolation", "portability", "performance")
SEVERITIES = tuple(SEVERITY_COLOURS)
RISK_RANK = {"high": 0, "medium": 1, "low": 2}
MAX_RISKS = 200
MAX_RISK_VMS = 6
MAX_STACKS = 12
GRAPH_MAX_VMS = 2000
"""Above this many VMs the page shows waves and move groups instead of a per-VM graph (as `planner graph` refuses
an SVG of more than 2,000 nodes)."""


def number(value: Any) -> str:
    """``50,000``, ``312.5``, ``0``; ``-`` for no value."""
    if value is None or isinstance(value, bool):
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}" if isinstance(value, int | float) else text(value)


def _need(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise InputError(f"the plan has no {where}{key!r}; it is not a plan.json of version {PLAN_VERSION}.")
    return mapping[key]


def check_plan(plan: Mapping[str, Any]) -> None:
    """Refuse what is not a version-1 plan with one clear sentence."""
    if not isinstance(plan, Mapping) or plan.get("kind") != PLAN_KIND:
        raise InputError(f"not a planner plan (kind should be {PLAN_KIND!r}).")
    if plan.get("version") != PLAN_VERSION:
        raise InputError(f"plan version {text(plan.get('version'))} is not one this planner renders "
                         f"(it renders version {PLAN_VERSION}).")
    for key in ("summary", "waves", "vms", "dependencies", "source"):
        _need(plan, key, "")


def _kpis(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    reclaimable = _need(summary, "reclaimable", "summary field ")
    effort = summary.get("effort") or {}
    strategies = summary.get("by_strategy") or {}
    moving = int(strategies.get("containerize", 0)) + int(strategies.get("refactor", 0))
    items = [
        ("vms", "VMs", summary.get("vms"), f"{number(summary.get('assessed'))} assessed, "
                                           f"{number(summary.get('excluded'))} excluded"),
        ("moving", "to containers", moving, "containerize or refactor"),
        ("reclaimable.vcpu", "reclaimable vCPU", reclaimable.get("vcpu"), "from the VMs that move"),
        ("reclaimable.memory_gib", "reclaimable GiB", reclaimable.get("memory_gib"), "memory, from the VMs that move"),
        ("waves", "waves", summary.get("waves"), f"{number(summary.get('move_groups'))} move groups"),
        ("images", "images", summary.get("images"), "container images to build"),
        ("effort.person_days", "person-days", effort.get("person_days"), "estimated effort (basis below)"),
    ]
    return [{"id": key, "label": label, "value": json.dumps(value), "shown": number(value), "note": note}
            for key, label, value, note in items]


def _ordered(counts: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, float]:
    known = {key: counts.get(key, 0) or 0 for key in order}
    extra = {text(key): value or 0 for key, value in sorted(counts.items()) if key not in order}
    return {**known, **extra}


def _charts(summary: Mapping[str, Any]) -> dict[str, Any]:
    findings = summary.get("findings_by_criterion") or {}
    rows = {text(criterion): {sev: int((findings.get(criterion) or {}).get(sev, 0) or 0) for sev in SEVERITIES}
            for criterion in [*CRITERIA, *sorted(k for k in findings if k not in CRITERIA)]}
    stacks = sorted((summary.get("stacks") or {}).items(), key=lambda item: (-item[1], str(item[0])))
    return {"fit": donut(_ordered(summary.get("by_fit") or {}, tuple(FIT_COLOURS)), FIT_COLOURS),
            "strategy": bars(_ordered(summary.get("by_strategy") or {}, tuple(STRATEGY_COLOURS)), STRATEGY_COLOURS),
            "stacks": bars({text(k): v for k, v in stacks[:MAX_STACKS]}, {}) if stacks else None,
            "stacks_hidden": max(0, len(stacks) - MAX_STACKS),
            "findings": stacked(rows, SEVERITIES, SEVERITY_COLOURS),
            "findings_total": number(sum(sum(values.values()) for values in rows.values()))}


def _graph(plan: Mapping[str, Any], graph_svg: str | None) -> dict[str, Any]:
    vm_count = len(plan.get("vms") or [])
    note = None
    if graph_svg and vm_count <= GRAPH_MAX_VMS:
        try:
            return {"kind": "svg", "markup": Markup(sanitise_svg(graph_svg)), "note": None}  # noqa: S704 - rebuilt
        except UnsafeSvg as exc:
            note = f"The dependency graph picture was left out: {exc}. This shows waves and move groups instead."
    elif graph_svg:
        note = (f"With {vm_count:,} VMs a picture of every VM would be unreadable; this shows waves and move "
                "groups instead.")
    return {"kind": "overview", "note": note, **overview(plan)}


def _risks(plan: Mapping[str, Any], display_of: Mapping[str, str]) -> dict[str, Any]:
    risks = sorted(plan.get("risks") or [], key=lambda r: (RISK_RANK.get(str(r.get("severity")), 9),
                                                           str(r.get("kind")), str(r.get("detail"))))
    shown = []
    for risk in risks[:MAX_RISKS]:
        keys = list(risk.get("vms") or [])
        names = [display_of.get(key, text(key)) for key in keys[:MAX_RISK_VMS]]
        more = len(keys) - len(names)
        shown.append({"severity": text(risk.get("severity")), "kind": text(risk.get("kind")),
                      "detail": long_text(risk.get("detail")), "vms": names, "more": more})
    counts: dict[str, int] = {}
    for risk in risks:
        counts[text(risk.get("severity"))] = counts.get(text(risk.get("severity")), 0) + 1
    return {"rows": shown, "total": number(len(risks)), "hidden": max(0, len(risks) - MAX_RISKS),
            "counts": [(severity, number(n)) for severity, n in sorted(counts.items(),
                                                                      key=lambda item: RISK_RANK.get(item[0], 9))]}


def _waves(waves: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"number": int(wave["number"]), "vms": number(len(wave.get("vms") or [])),
             "groups": number(len(wave.get("move_groups") or [])), "vcpu": number(wave.get("vcpu")),
             "memory_gib": number(wave.get("memory_gib")), "effort": number(wave.get("effort_person_days")),
             "reason": long_text(wave.get("reason"))} for wave in waves]


def build_view(plan: Mapping[str, Any], graph_svg: str | None) -> dict[str, Any]:
    """The template's context for ``plan``."""
    check_plan(plan)
    summary, source, deps = plan["summary"], plan["source"], plan["dependencies"]
    waves = sorted(plan["waves"], key=lambda wave: wave["number"])
    display_of = {vm["key"]: text(vm.get("display") or vm.get("name") or vm["key"]) for vm in plan["vms"]}
    timeline_rows = timeline(waves)
    timeline_rows["total_shown"] = number(sum(float(wave.get("effort_person_days") or 0) for wave in waves))
    return {
        "title": f"Migration plan: {text(source.get('label'))}",
        "source": {"label": text(source.get("label")), "kind": text(source.get("kind")),
                   "snapshot": text(source.get("snapshot")), "collected_at": text(source.get("collected_at"))},
        "generated_at": text(plan.get("generated_at")), "planner_version": text(plan.get("planner_version")),
        "kpis": _kpis(summary), "effort_basis": long_text((summary.get("effort") or {}).get("basis")),
        "dependencies": {"known": bool(deps.get("known")), "basis": [text(b) for b in deps.get("basis") or []],
                         "note": long_text(deps.get("note"))},
        "charts_data": _charts(summary), "graph": _graph(plan, graph_svg), "timeline": timeline_rows,
        "waves": _waves(waves), "wave_count": number(len(waves)), "risks": _risks(plan, display_of),
        "vm_count": number(len(plan["vms"])),
        "wave_numbers": [int(wave["number"]) for wave in waves],
        "fits": list(FIT_COLOURS), "strategies": list(STRATEGY_COLOURS),
    }
