"""The parts of the plan document: per-VM entries, waves and move groups, the summary, cross-wave risks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from planner.analysis import SnapshotAnalysis
from planner.assess import Assessment, Criterion, Finding, Severity
from planner.assess.engine import VmAssessment
from planner.assess.fit import Fit, Strategy
from planner.detect import detect_stacks
from planner.generate import image_name
from planner.models import Vm
from planner.plan.effort import BASIS, PER_WAVE, vm_effort

GIB = 1024**3
MAX_LINK_RISKS = 200
"""Cross-wave links listed one by one up to this many; above it they are summed per pair of waves."""
MAX_RISK_VMS = 50
"""VMs named in one aggregated risk (the detail counts them all)."""
STALE_DAYS = 30
"""Discovery older than this is a stale-facts risk."""


_encode = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=True).encode


def _evidence_text(evidence: Mapping[str, Any]) -> str:
    return _encode(evidence) if evidence else ""


def _finding(finding: Finding) -> dict[str, Any]:
    return {"rule": finding.rule, "criterion": finding.criterion.value, "severity": finding.severity.value,
            "title": finding.message, "evidence": _evidence_text(finding.evidence),
            "remediation": finding.remediation}


def _stacks(analysis: SnapshotAnalysis, nodes: Mapping[str, Vm]) -> dict[str, list[dict[str, Any]]]:
    """Graph node -> the stacks detected from its discovery facts (what generation would make images of)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for guest in analysis.evidence.guests:
        if guest.vm is None or guest.vm not in nodes:
            continue
        vm = nodes[guest.vm]
        found[guest.vm] = [{"stack": d.stack, "image": image_name(vm.name, d.stack),
                            "confidence": "low" if d.stack == "system-service" else "high"}
                           for d in detect_stacks(guest, vm)]
    return found


def _display_of_templates(estate_vms: Sequence[Vm], used: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for vm in estate_vms:
        if vm.template:
            display = vm.name if vm.name not in used else f"{vm.name} [{vm.key}]"
            used.add(display)
            names[vm.key] = display
    return names


def _vm_entry(vm: Vm, display: str, verdict: VmAssessment | None, node: str | None, analysis: SnapshotAnalysis,
              stacks: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    plan = analysis.analysis.plan
    group = analysis.analysis.groups.group_of.get(node) if node else None
    return {
        "key": vm.key, "name": vm.name, "display": display, "cluster": vm.cluster, "folder": vm.folder,
        "power_state": vm.power_state.value if vm.power_state else None,
        "guest_os": vm.guest.tools_name or vm.guest.configured_name, "template": vm.template,
        "num_cpu": vm.num_cpu, "memory_mib": vm.memory_mib,
        "disk_gib": round(sum(d.capacity_bytes or 0 for d in vm.disks) / GIB, 1),
        "fit": verdict.fit.value if verdict else Fit.UNKNOWN.value, "score": verdict.score if verdict else 0,
        "strategy": verdict.strategy.value if verdict else Strategy.INVESTIGATE.value,
        "wave": plan.wave_of.get(node) if node else None, "move_group": f"g{group}" if group else None,
        "sizing": verdict.sizing.as_dict() if verdict else None,
        "guest_data": verdict.guest_data if verdict else False,
        "findings": [_finding(f) for f in verdict.findings] if verdict else [],
        "stacks": list(stacks.get(node, [])) if node else [],
        "artifacts": [],
        "effort_person_days": round(vm_effort(verdict.strategy.value, (f.severity.value for f in verdict.findings)),
                                    2) if verdict else 0.0,
    }


def plan_vms(estate: Any, assessment: Assessment, analysis: SnapshotAnalysis,
             nodes: Mapping[str, Vm]) -> list[dict[str, Any]]:
    """One entry per VM of the estate (templates too, strategy exclude), sorted by display id."""
    verdicts = {verdict.vm_key: verdict for verdict in assessment.vms}
    node_of = {vm.key: node for node, vm in nodes.items()}
    templates = _display_of_templates(estate.vms, set(nodes))
    stacks = _stacks(analysis, nodes)
    entries = [_vm_entry(vm, node_of.get(vm.key) or templates.get(vm.key) or vm.key, verdicts.get(vm.key),
                         node_of.get(vm.key), analysis, stacks) for vm in estate.vms]
    return sorted(entries, key=lambda entry: entry["display"])


def _wave_reason(number: int, known: bool, consumers_first: bool) -> str:
    if not known:
        return "capped by the wave policy; the order does not come from dependencies (none are known)"
    if number == 1:
        return ("its VMs serve no VM of a later wave" if consumers_first
                else "its VMs depend on no VM that moves later: providers first")
    return ("its VMs serve only VMs of earlier waves" if consumers_first
            else f"its VMs depend only on VMs of waves before {number} (or of this one)")


def plan_waves(analysis: SnapshotAnalysis, vms: Sequence[Mapping[str, Any]],
               known: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Waves (by number, VMs by display id) and move groups (``g1``...), with their capacity and effort."""
    by_display = {vm["display"]: vm for vm in vms}
    result = analysis.analysis
    consumers_first = bool(analysis.settings.merged.consumers_first)
    waves = []
    for wave in result.plan.waves:
        members = [by_display[node] for node in sorted(wave.vms) if node in by_display]
        waves.append({
            "number": wave.number, "vms": [vm["key"] for vm in members],
            "move_groups": [f"g{group}" for group in sorted(wave.groups)],
            "vcpu": sum(vm["num_cpu"] or 0 for vm in members),
            "memory_gib": round(sum(vm["memory_mib"] or 0 for vm in members) / 1024, 1),
            "effort_person_days": round(sum(vm["effort_person_days"] for vm in members) + PER_WAVE, 2),
            "reason": _wave_reason(wave.number, known, consumers_first),
        })
    groups = [{"id": f"g{group.id}", "vms": [by_display[node]["key"] for node in sorted(group.members)
                                              if node in by_display],
               "wave": result.plan.group_wave.get(group.id), "reasons": list(group.reasons)}
              for group in result.groups.groups]
    return waves, groups


def plan_summary(assessment: Assessment, vms: Sequence[Mapping[str, Any]], waves: Sequence[Mapping[str, Any]],
                 groups: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts by fit and strategy (every key present), reclaimable capacity, stacks, findings, effort."""
    workloads = [vm for vm in vms if vm["strategy"] != Strategy.EXCLUDE.value]
    fits = Counter(vm["fit"] for vm in workloads)
    strategies = Counter(vm["strategy"] for vm in vms)
    findings = {c.value: dict.fromkeys((s.value for s in Severity), 0) for c in Criterion}
    for vm in vms:
        for finding in vm["findings"]:
            findings[finding["criterion"]][finding["severity"]] += 1
    stacks = Counter(stack["stack"] for vm in vms for stack in vm["stacks"])
    reclaim = assessment.reclaimable()
    effort = sum(vm["effort_person_days"] for vm in vms) + PER_WAVE * len(waves)
    return {
        "vms": len(vms), "assessed": len(workloads), "excluded": len(vms) - len(workloads),
        "by_fit": {fit.value: fits[fit.value] for fit in Fit},
        "by_strategy": {strategy.value: strategies[strategy.value] for strategy in Strategy},
        "reclaimable": {"vcpu": reclaim["vcpu"], "memory_gib": reclaim["memory_gib"]},
        "waves": len(waves), "move_groups": len(groups),
        # what generation makes by default: an image per stack of each VM to containerize (the plan counts them made)
        "images": sum(len(vm["stacks"]) for vm in vms if vm["strategy"] == Strategy.CONTAINERIZE.value),
        "stacks": dict(sorted(stacks.items())),
        "findings_by_criterion": findings,
        "effort": {"person_days": round(effort, 1), "basis": BASIS},
    }


def _named(keys: Sequence[str]) -> list[str]:
    return sorted(keys)[:MAX_RISK_VMS]


def _link_risks(analysis: SnapshotAnalysis, key_of: Mapping[str, str]) -> list[dict[str, Any]]:
    risks = analysis.analysis.plan.risks
    if len(risks) <= MAX_LINK_RISKS:
        return [{"kind": "cross-wave-dependency" if risk.kind == "interim" else "stays-behind-dependency",
                 "severity": "medium" if risk.kind == "interim" else "high",
                 "vms": [key_of.get(risk.client, risk.client), key_of.get(risk.server, risk.server)],
                 "detail": (f"{risk.client} (wave {risk.client_wave or '-'}) uses {risk.server} (wave "
                            f"{risk.server_wave or '-'}) on {', '.join(risk.ports) or 'unknown ports'}: "
                            + ("the link crosses platforms until both have moved" if risk.kind == "interim"
                               else "the link crosses platforms for good: one side stays on a VM"))}
                for risk in risks]
    pairs: dict[tuple[str, int | None, int | None], set[str]] = {}
    links: Counter[tuple[str, int | None, int | None]] = Counter()
    for risk in risks:
        pair = (risk.kind, risk.client_wave, risk.server_wave)
        pairs.setdefault(pair, set()).update((key_of.get(risk.client, risk.client), key_of.get(risk.server,
                                                                                                 risk.server)))
        links[pair] += 1
    return [{"kind": "cross-wave-dependency" if kind == "interim" else "stays-behind-dependency",
             "severity": "medium" if kind == "interim" else "high", "vms": _named(list(members)),
             "detail": f"{links[(kind, client, server)]} links from wave {client or '-'} to wave {server or '-'} "
                       f"between {len(members)} VMs"}
            for (kind, client, server), members in sorted(pairs.items(), key=lambda item: (
                item[0][0], item[0][1] or 0, item[0][2] or 0))]


def plan_risks(analysis: SnapshotAnalysis, vms: Sequence[Mapping[str, Any]],
               nodes: Mapping[str, Vm]) -> list[dict[str, Any]]:
    """Cross-wave and stays-behind links, blockers among planned VMs, unplaced movers, stale discovery."""
    key_of = {node: vm.key for node, vm in nodes.items()}
    risks = _link_risks(analysis, key_of)
    blocked = [vm["key"] for vm in vms if vm["wave"] is not None
               and any(f["severity"] == "blocker" for f in vm["findings"])]
    if blocked:
        risks.append({"kind": "blocker", "severity": "high", "vms": _named(blocked),
                      "detail": f"{len(blocked)} VMs in waves have a blocker finding (planned anyway by the wave "
                                "policy's include_strategies): resolve it or keep them on VMs"})
    unplaced = [vm["key"] for vm in vms if vm["wave"] is None and vm["strategy"] in ("containerize", "refactor")]
    if unplaced:
        risks.append({"kind": "unplaced", "severity": "medium", "vms": _named(unplaced),
                      "detail": f"{len(unplaced)} VMs to containerize or refactor are in no wave (excluded, or in a "
                                "move group with a VM that stays behind)"})
    now = analysis.evidence.now
    stale = [origin for origin in analysis.evidence.origins.values() if origin.last_seen is not None
             and (now - (origin.last_seen if origin.last_seen.tzinfo else origin.last_seen.replace(tzinfo=UTC))
                  ).days > STALE_DAYS]
    if stale:
        risks.append({"kind": "stale-facts", "severity": "low", "vms": _named([o.vm_key for o in stale]),
                      "detail": f"discovery of {len(stale)} VMs is more than {STALE_DAYS} days old: run `planner "
                                "discover run` again before the move"})
    return risks
