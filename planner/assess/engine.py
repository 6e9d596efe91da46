"""The engine: one pass over the estate, every enabled rule on every VM, findings -> fit, score, strategy, sizing.

A rule that raises becomes an internal finding on that VM (and sends the VM to ``investigate``); the run goes on.
"""

from __future__ import annotations

import gc
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

from planner.assess.base import Criterion, Finding, Rule, Severity
from planner.assess.context import EstateIndex, RuleContext
from planner.assess.facts import GuestFacts
from planner.assess.fit import Fit, Strategy, fit_for, score, strategy_for
from planner.assess.policy import CompiledPolicy, Policy, compile_policy
from planner.assess.registry import RuleRegistry, default_registry
from planner.assess.sizing import Sizing, size_vm
from planner.models import Estate, OsFamily, Vm, os_family
from planner.workers import forked_map

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Version of the per-VM JSON object (docs/assessment.md). Bump on any incompatible change."""

MOVING = (Strategy.CONTAINERIZE, Strategy.REFACTOR)
INTERNAL_REMEDIATION = "A bug in this rule, not in the VM: report it with `planner --debug assess` output."


@dataclass(slots=True)
class VmAssessment:
    """The verdict on one VM."""

    vm: str
    vm_key: str
    source: str
    cluster: str | None
    power_state: str | None
    os_family: OsFamily
    template: bool
    fit: Fit
    score: int
    strategy: Strategy
    sizing: Sizing
    findings: list[Finding]
    discovery: Mapping[str, Any] | None = None
    """Where the guest facts used come from (snapshot, last seen, age), None without facts."""
    guest_data: bool = False
    """Discovery facts were used; False: assessed from vSphere data alone."""

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON object (``format_version`` 1)."""
        return {
            "format_version": FORMAT_VERSION,
            "vm": self.vm,
            "vm_key": self.vm_key,
            "source": self.source,
            "cluster": self.cluster,
            "power_state": self.power_state,
            "os_family": self.os_family.value,
            "template": self.template,
            "fit": self.fit.value,
            "score": self.score,
            "strategy": self.strategy.value,
            "sizing": self.sizing.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
            "discovery": dict(self.discovery) if self.discovery is not None else None,
            "guest_data": self.guest_data,
        }


@dataclass(slots=True)
class Assessment:
    """All verdicts of one run, in estate order, with the rules and policy that produced them."""

    vms: list[VmAssessment]
    policy: Policy
    rules: list[type[Rule]] = field(default_factory=list)

    def by_fit(self) -> dict[Fit, int]:
        counts = Counter(a.fit for a in self.vms)
        return {fit: counts[fit] for fit in Fit if counts[fit]}

    def by_strategy(self) -> dict[Strategy, int]:
        counts = Counter(a.strategy for a in self.vms)
        return {strategy: counts[strategy] for strategy in Strategy if counts[strategy]}

    def vsphere_only(self) -> int:
        """Workloads (templates aside) assessed from vSphere data alone, without guest discovery facts."""
        return sum(1 for a in self.vms if not a.guest_data and a.strategy is not Strategy.EXCLUDE)

    def reclaimable(self) -> dict[str, float]:
        """vCPU and GiB reclaimed if every VM to containerize or refactor moves at its sizing."""
        moving = [a.sizing for a in self.vms if a.strategy in MOVING]
        return {"vms": len(moving), "vcpu": round(sum(s.reclaimable_vcpu for s in moving), 2),
                "memory_gib": round(sum(s.reclaimable_memory_gib for s in moving), 2)}


_UNSPECIFIED_OS = re.compile(r"^(?:other(?:guest(?:64)?|64guest)|other \((?:32|64)-bit\))$", re.IGNORECASE)
"""VMware's "Other (32/64-bit)": nobody chose a guest OS type. Not evidence of a non-Linux OS (often a Linux
appliance), so such a VM is *unknown* (ARC003, investigate), not an ARC001 blocker like NetWare or OS/2."""


def effective_family(vm: Vm, facts: GuestFacts | None) -> OsFamily:
    """OS family from discovery (os-release) when present, else the snapshot's, else re-derived from guest ids."""
    if facts is not None and facts.os_id:
        family = os_family(facts.os_id)
        return OsFamily.LINUX if family is OsFamily.UNKNOWN else family
    guest = vm.guest
    identifiers = [v for v in (guest.tools_id, guest.tools_name, guest.configured_id, guest.configured_name) if v]
    family = guest.family if guest.family is not OsFamily.UNKNOWN else os_family(*identifiers)
    if family is OsFamily.OTHER and identifiers and all(_UNSPECIFIED_OS.match(v.strip()) for v in identifiers):
        return OsFamily.UNKNOWN
    return family


@dataclass(frozen=True, slots=True)
class _Active:
    rule: Rule
    id: str
    criterion: Criterion
    severity: Severity
    remediation: str


def _internal(active: _Active, exc: Exception) -> Finding:
    return Finding(
        rule=active.id, criterion=active.criterion, severity=Severity.INFO,
        message=f"rule {active.id} could not be evaluated: {type(exc).__name__}: {exc}"[:500],
        evidence={"error": type(exc).__name__, "detail": str(exc)[:500]},
        remediation=INTERNAL_REMEDIATION, internal=True,
    )


def assess_estate(
    estate: Estate,
    policy: Policy | None = None,
    facts: Mapping[str, GuestFacts] | None = None,
    *,
    registry: RuleRegistry | None = None,
    facts_origin: Mapping[str, Mapping[str, Any]] | None = None,
    prepare: Callable[[int, int], None] | None = None,
) -> Assessment:
    """Assess every VM (templates included, as ``exclude``). ``facts`` are keyed by VM identity (``Vm.key``:
    source and moid), so two VMs of the same name from two vCenters each get their own; ``facts_origin`` (same
    keys) says where each VM's facts come from and how old they are (the ``discovery`` key of its JSON).

    Large estates are shared between forked workers (``planner.workers``). ``prepare(start, stop)`` runs in the
    process assessing ``estate.vms[start:stop]`` before it does (``StoredParts.fill``: each worker reads only its
    VMs' stored details); the estate is then complete only for the first share in this process."""
    policy = policy or Policy()
    registry = registry if registry is not None else default_registry()
    compiled = compile_policy(policy, {rule.id: rule.severity for rule in registry})
    index = EstateIndex.build(estate)
    active = [_Active(cls(), cls.id, cls.criterion, compiled.severities[cls.id], cls.remediation)
              for cls in registry if cls.id in compiled.enabled]
    config_rules = [a for a in active if not a.rule.requires_facts]
    guest_rules = tuple(a.id for a in active if a.rule.requires_facts)
    facts = facts or {}
    # The run allocates millions of small, acyclic objects: with the collector on, each full collection walks the
    # whole (large) estate again, so the run slows as it goes. Nothing here creates reference cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        results = forked_map(partial(_assess_one, compiled, index, facts, config_rules, active, guest_rules),
                             estate.vms, pack=_pack, unpack=_unpack, prepare=prepare)
        for result in results:
            result.discovery = (facts_origin or {}).get(result.vm_key)
    finally:
        if collecting:
            gc.enable()
    return Assessment(vms=results, policy=policy, rules=list(registry))


def _assess_one(compiled: CompiledPolicy, index: EstateIndex, facts: Mapping[str, GuestFacts],
                config_rules: list[_Active], all_rules: list[_Active], guest_rules: tuple[str, ...], vm: Vm
                ) -> VmAssessment:
    return _assess_vm(vm, compiled, index, facts.get(vm.key), config_rules, all_rules, guest_rules)


_OS_FAMILIES = {member.value: member for member in OsFamily}
_FITS = {member.value: member for member in Fit}
_STRATEGIES = {member.value: member for member in Strategy}
_CRITERIA = {member.value: member for member in Criterion}
_SEVERITIES = {member.value: member for member in Severity}
_SIZING_FIELDS = tuple(item.name for item in fields(Sizing))


def _pack(a: VmAssessment) -> tuple[Any, ...]:
    """A verdict as plain values, for a worker process to send (`planner.workers`); `_unpack` rebuilds it."""
    return (a.vm, a.vm_key, a.source, a.cluster, a.power_state, a.os_family.value, a.template, a.fit.value, a.score,
            a.strategy.value, tuple(getattr(a.sizing, name) for name in _SIZING_FIELDS),
            [(f.rule, f.criterion.value, f.severity.value, f.message, f.evidence, f.remediation, f.internal)
             for f in a.findings], a.discovery, a.guest_data)


def _unpack(t: tuple[Any, ...]) -> VmAssessment:
    return VmAssessment(
        t[0], t[1], t[2], t[3], t[4], _OS_FAMILIES[t[5]], t[6], _FITS[t[7]], t[8], _STRATEGIES[t[9]], Sizing(*t[10]),
        [Finding(f[0], _CRITERIA[f[1]], _SEVERITIES[f[2]], *f[3:]) for f in t[11]], t[12], t[13])


def _assess_vm(vm: Vm, compiled: CompiledPolicy, index: EstateIndex, vm_facts: GuestFacts | None,
               config_rules: list[_Active], all_rules: list[_Active], guest_rules: tuple[str, ...] = ()
               ) -> VmAssessment:
    family = effective_family(vm, vm_facts)
    ctx = RuleContext(policy=compiled, index=index, facts=vm_facts, family=family, guest_rules=guest_rules)
    findings: list[Finding] = []
    for item in (all_rules if vm_facts is not None else config_rules):
        try:
            for hit in item.rule.check(vm, ctx):
                findings.append(Finding(item.id, item.criterion, item.severity, hit.message, hit.evidence,
                                        item.remediation))
        except Exception as exc:  # a broken rule must not stop the run
            log.debug("rule %s failed on VM %r", item.id, vm.name, exc_info=True)
            findings.append(_internal(item, exc))
    os_known = family is not OsFamily.UNKNOWN
    value = score(findings)
    fit = fit_for(value, findings, os_known)
    return VmAssessment(
        vm=vm.name, vm_key=vm.key, source=vm.source, cluster=vm.cluster,
        power_state=vm.power_state.value if vm.power_state else None,
        os_family=family, template=vm.template, fit=fit, score=value,
        strategy=strategy_for(fit, findings, template=vm.template, os_known=os_known),
        sizing=size_vm(vm, ctx), findings=findings, guest_data=vm_facts is not None,
    )
