"""`build_plan`: one snapshot's assessment, dependency graph, move groups, waves, sizing, stacks and effort, as the
versioned plan document (``planner-plan`` version 1, planner/plan/schema.json, docs/plan.md).

Everything goes through the library's analysis entry point (``planner.analysis``). Without dependency data, VMs are
grouped by application tag, custom attribute or folder (``planner.plan.grouping``) and the plan says dependencies
are unknown. Nothing here writes files or prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner import __version__
from planner.analysis import Evidence, SnapshotAnalysis, analyse_snapshot, gather_evidence
from planner.assess import Assessment, assess_estate, load_policy, summary_document
from planner.assess.policy import check_rule_ids
from planner.assess.registry import default_registry
from planner.graph import analyse
from planner.graph.policy import LayeredSettings
from planner.memory import bulk_objects
from planner.models import Estate, Vm
from planner.models.discovery import GuestDiscovery
from planner.models.identity import vm_display_ids
from planner.plan.grouping import basis_note, fallback_groups, has_dependencies
from planner.plan.vms import plan_risks, plan_summary, plan_vms, plan_waves
from planner.store import Store

PLAN_KIND = "planner-plan"
PLAN_VERSION = 1


@dataclass
class PlanSource:
    """What the plan is of: ``kind`` (store, snapshot-json, rvtools, vcenter, example), a label for people, the
    store snapshot (``#3``) or None, and when the estate was collected."""

    kind: str
    label: str
    snapshot: str | None = None
    collected_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "snapshot": self.snapshot,
                "collected_at": self.collected_at.isoformat() if self.collected_at else None}


@dataclass
class PlanBuild:
    """The plan document and what it was built from (generation and the report need the parts)."""

    plan: dict[str, Any]
    estate: Estate
    analysis: SnapshotAnalysis
    assessment: Assessment
    evidence: Evidence
    nodes: dict[str, Vm] = field(default_factory=dict)
    """Graph node id -> VM."""
    notes: list[str] = field(default_factory=list)


def _assess(estate: Estate, policy_path: Path | None, evidence: Evidence) -> Assessment:
    registry = default_registry()
    policy = load_policy(policy_path)
    check_rule_ids(policy, registry.ids(), str(policy_path or "policy"))
    origins = {key: origin.as_dict(evidence.now) for key, origin in evidence.origins.items() if key in evidence.facts}
    with bulk_objects():
        return assess_estate(estate, policy, evidence.facts, registry=registry, facts_origin=origins)


def _dependencies(result: SnapshotAnalysis, nodes: Mapping[str, Vm]) -> tuple[dict[str, Any], list[str]]:
    """The ``dependencies`` block; without dependency data, waves regrouped by the fallback (in place)."""
    graph = result.analysis.graph
    if has_dependencies(graph):
        sources = [name for name, present in (("discovery", bool(result.evidence.guests)),
                                              ("flows", bool(result.evidence.flows))) if present]
        covered = len(result.evidence.guests)
        return {"known": True, "basis": sources or ["discovery"],
                "note": f"from {', '.join(sources) or 'observed links'}: {covered} of {len(nodes)} VMs have "
                        "discovery facts; links of the others are only those their peers saw"}, []
    basis, groups = fallback_groups(graph, nodes)
    merged = result.settings.merged
    result.analysis = analyse(graph, together=[*merged.together, *groups], together_tag=merged.categories(),
                              options=merged.wave_options(result.strategies))
    return {"known": False, "basis": [basis] if basis else [], "note": basis_note(basis)}, [basis_note(basis)]


def plan_time() -> datetime:
    """Now, or the time ``SOURCE_DATE_EPOCH`` gives (reproducible output: the committed example plan)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def build_plan(estate: Estate, source: PlanSource, *, store: Store | None = None, snapshot_id: int | None = None,
               policy_path: Path | None = None, settings: LayeredSettings | None = None,
               recorded: Mapping[str, GuestDiscovery] | None = None, now: datetime | None = None) -> PlanBuild:
    """The plan of ``estate`` (stored as ``snapshot_id`` in ``store``, or a file: None). ``recorded`` adds guest
    facts kept outside the store (``Vm.key`` -> guest: the example estate's). Raises InputError for a bad policy or
    VM names in ``settings`` that match no VM."""
    now = now or plan_time()
    evidence = gather_evidence(estate, store, snapshot_id, now=now, recorded=recorded)
    assessment = _assess(estate, policy_path, evidence)
    result = analyse_snapshot(estate, label=source.snapshot or source.label, store=store, snapshot_id=snapshot_id,
                              settings=settings, assessment={"plan": summary_document(assessment)}, now=now,
                              evidence=evidence)
    workloads = estate.workloads()
    nodes = dict(zip(vm_display_ids(workloads), workloads, strict=True))
    dependencies, notes = _dependencies(result, nodes)
    evidence.flows = []  # in the graph now; 500,000 flow records need not outlive it
    with bulk_objects():  # 50,000 VM entries and their findings: no cyclic GC rescanning them as they grow
        return _document(estate, source, now, result, assessment, evidence, nodes, dependencies, notes)


def _document(estate: Estate, source: PlanSource, now: datetime, result: SnapshotAnalysis, assessment: Assessment,
              evidence: Evidence, nodes: dict[str, Vm], dependencies: dict[str, Any], notes: list[str]) -> PlanBuild:
    vms = plan_vms(estate, assessment, result, nodes)
    waves, groups = plan_waves(result, vms, dependencies["known"])
    plan: dict[str, Any] = {
        "kind": PLAN_KIND, "version": PLAN_VERSION,
        "generated_at": now.isoformat(timespec="seconds"), "planner_version": __version__,
        "source": source.as_dict(), "dependencies": dependencies,
        "summary": plan_summary(assessment, vms, waves, groups),
        "waves": waves, "move_groups": groups,
        "risks": plan_risks(result, vms, nodes),
        "vms": vms,
        "artifacts": {"dir": "artifacts", "images": 0, "compose": [], "ansible": None},
        "warnings": list(result.warnings), "notes": [*result.notes, *notes],
    }
    return PlanBuild(plan, estate, result, assessment, evidence, nodes, [*result.notes, *notes])
