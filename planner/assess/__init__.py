"""Containerization assessment: a tunable rule catalogue -> findings -> fit, score, strategy and sizing per VM.

Library entry points: ``assess_estate(estate, policy, facts)`` and ``run_assessment`` (what the CLI calls).
See docs/assessment.md for how verdicts are derived and docs/rules.md for the catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.assess.base import Criterion, Finding, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.engine import FORMAT_VERSION, Assessment, VmAssessment, assess_estate
from planner.assess.facts import GuestFacts, facts_by_vm
from planner.assess.fit import Fit, Strategy
from planner.assess.policy import Policy, check_rule_ids, load_policy
from planner.assess.registry import default_registry
from planner.assess.report import ReportFormat, render
from planner.models import Estate

ASSESSMENT_DOCUMENT_KIND = "assessment"
"""Store document kind of a snapshot's latest assessment summary (read by `planner graph`/plans for fits)."""


def summary_document(assessment: Assessment) -> str:
    """Compact JSON kept with a stored snapshot: ``{"format_version", "vsphere_only", "vms": [{vm, vm_key, fit, score,
    strategy, guest_data}]}`` (``vm_key`` is the VM's identity, ``Vm.key``: reports match by it, so duplicate names
    never collide; ``vsphere_only``: workloads assessed without guest discovery facts)."""
    return json.dumps({"format_version": FORMAT_VERSION, "vsphere_only": assessment.vsphere_only(), "vms": [
        {"vm": a.vm, "vm_key": a.vm_key, "fit": a.fit.value, "score": a.score, "strategy": a.strategy.value,
         "guest_data": a.guest_data} for a in assessment.vms]}, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class AssessOutput:
    """What `planner assess` prints, and the summary it keeps with a stored snapshot."""

    text: str
    summary: str


def run_assessment(estate: Estate, policy_path: Path | None, fmt: ReportFormat | str,
                   facts: Mapping[str, GuestFacts] | None = None,
                   facts_origin: Mapping[str, Mapping[str, Any]] | None = None,
                   width: int | None = None, prepare: Callable[[int, int], None] | None = None) -> AssessOutput:
    """The whole of `planner assess`: load the policy, assess (``facts`` keyed by ``Vm.key``; ``prepare`` as
    `assess_estate` has it), render (a table within ``width`` columns when it can; None: its natural width)."""
    registry = default_registry()
    policy = load_policy(policy_path)
    check_rule_ids(policy, registry.ids(), str(policy_path or "policy"))
    assessment = assess_estate(estate, policy, facts, registry=registry, facts_origin=facts_origin,
                               prepare=prepare)
    return AssessOutput(render(assessment, fmt, width), summary_document(assessment))


__all__ = [
    "ASSESSMENT_DOCUMENT_KIND", "FORMAT_VERSION", "AssessOutput", "Assessment", "Criterion", "Finding", "Fit",
    "GuestFacts", "Hit", "Policy", "ReportFormat", "Rule", "RuleContext", "Severity", "Strategy", "VmAssessment",
    "assess_estate", "facts_by_vm", "load_policy", "render", "run_assessment", "summary_document",
]
