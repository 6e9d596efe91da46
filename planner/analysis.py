"""One analysis of a snapshot: its estate, the discovery and flows that apply to it (carried forward from earlier
snapshots of the same VMs), and its assessment -> dependency graph, move groups, waves, warnings and notes.

`planner graph`, `planner waves` and `planner assess` call it (the CLI only parses options and prints); `planner
plan` builds on the same entry point. Nothing here prints: warnings and notes are returned. Every VM is matched
by its identity (``Vm.key``: source + moid), never by name, so VMs of one name from two vCenters stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from planner.assess import (
    ASSESSMENT_DOCUMENT_KIND,
    AssessOutput,
    ReportFormat,
    assess_estate,
    load_policy,
    run_assessment,
    summary_document,
)
from planner.assess.facts import GuestFacts, facts_from_discovery
from planner.discovery.storage import latest_flows, latest_guests
from planner.graph import Analysis, analyse, graph_from_sources, is_external
from planner.graph.policy import LayeredSettings
from planner.graph.report import verdicts_by_node
from planner.memory import bulk_objects
from planner.models import Estate
from planner.models.discovery import FlowRecord, GuestDiscovery
from planner.models.identity import vm_display_ids
from planner.store import Store
from planner.store.snapshots import StoredParts

MAX_NAMED = 10
"""VMs named in one carried-forward note before the rest are counted."""


def _age_days(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    when = then if then.tzinfo else then.replace(tzinfo=UTC)
    return round(max((now - when).total_seconds(), 0.0) / 86400, 1)


def _age_text(age: float | None) -> str:
    return "age unknown" if age is None else f"{age:g} days old"


@dataclass(frozen=True)
class FactsOrigin:
    """Where one VM's discovered facts come from: which guest, which snapshot, when they were last seen."""

    vm: str
    vm_key: str
    host: str
    snapshot_id: int
    last_seen: datetime | None
    carried: bool
    """True when the facts were stored with an earlier snapshot of this VM (the current one has none newer)."""

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {"vm": self.vm, "vm_key": self.vm_key, "host": self.host, "snapshot": f"#{self.snapshot_id}",
                "last_seen": self.last_seen.isoformat() if self.last_seen else None,
                "age_days": _age_days(now, self.last_seen), "carried": self.carried}


@dataclass(frozen=True)
class FlowsOrigin:
    """One imported flow document that applies, and where it was stored."""

    name: str
    snapshot_id: int
    imported_at: datetime | None
    records: int
    carried: bool

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {"name": self.name, "snapshot": f"#{self.snapshot_id}", "records": self.records,
                "imported_at": self.imported_at.isoformat() if self.imported_at else None,
                "age_days": _age_days(now, self.imported_at), "carried": self.carried}


@dataclass
class Evidence:
    """The discovery and flows that apply to one snapshot, adapted for the graph and the assessment."""

    now: datetime
    guests: list[GuestDiscovery] = field(default_factory=list)
    """Guests with ``vm`` set to the node id of *this* snapshot's VM (None: matched to no VM)."""
    flows: list[FlowRecord] = field(default_factory=list)
    facts: dict[str, GuestFacts] = field(default_factory=dict)
    """``Vm.key`` -> guest facts, what ``assess_estate`` takes."""
    origins: dict[str, FactsOrigin] = field(default_factory=dict)
    """``Vm.key`` -> where its facts come from."""
    flow_origins: list[FlowsOrigin] = field(default_factory=list)

    def notes(self) -> list[str]:
        """One line for discovery carried from earlier snapshots (with its age), one per carried flow import."""
        lines = []
        carried = sorted((o for o in self.origins.values() if o.carried), key=lambda o: o.vm)
        if carried:
            named = ", ".join(f"{o.vm} from #{o.snapshot_id} ({_age_text(_age_days(self.now, o.last_seen))})"
                              for o in carried[:MAX_NAMED])
            more = f" and {len(carried) - MAX_NAMED} more" if len(carried) > MAX_NAMED else ""
            lines.append(f"discovery of {len(carried)} VM{'' if len(carried) == 1 else 's'} is carried from earlier "
                         f"snapshots: {named}{more}; run `planner discover run` again to refresh it")
        for flows in self.flow_origins:
            if flows.carried:
                age = _age_days(self.now, flows.imported_at)
                when = "at an unknown time" if age is None else f"{age:g} days ago"
                lines.append(f"flows {flows.name} ({flows.records} records) are carried from snapshot "
                             f"#{flows.snapshot_id} (imported {when})")
        return lines

    def document(self) -> dict[str, Any]:
        """The ``discovery`` block of JSON outputs: every VM's facts origin and age, and the flow imports used."""
        origins = sorted(self.origins.values(), key=lambda o: o.vm)
        return {"vms": len(origins), "carried": sum(1 for o in origins if o.carried),
                "guests": [o.as_dict(self.now) for o in origins],
                "flows": [f.as_dict(self.now) for f in self.flow_origins]}


def gather_evidence(estate: Estate, store: Store | None = None, snapshot_id: int | None = None, *,
                    extra_flows: Sequence[FlowRecord] = (), now: datetime | None = None,
                    flows: bool = True, recorded: Mapping[str, GuestDiscovery] | None = None) -> Evidence:
    """Discovery and flows for ``estate`` (stored as ``snapshot_id``): the latest reached facts per VM from this
    snapshot or an earlier one, matched by identity; every flow import up to it (unless ``flows`` is False: the
    assessment reads none); ``extra_flows`` (flow files). ``recorded`` (``Vm.key`` -> guest) adds facts kept
    outside the store, e.g. the bundled example estate's recorded discovery."""
    evidence = Evidence(now=now or datetime.now(UTC))
    vms = estate.workloads()
    node_of = {vm.key: node for vm, node in zip(vms, vm_display_ids(vms), strict=True)}
    for vm_key, recorded_guest in (recorded or {}).items():
        if (node := node_of.get(vm_key)) is None:
            continue
        guest = recorded_guest.model_copy(update={"vm": node})
        evidence.guests.append(guest)
        if (facts := facts_from_discovery(guest)) is not None:
            evidence.facts[vm_key] = facts
    if store is not None and snapshot_id is not None:
        for stored in latest_guests(store, snapshot_id, vms):
            node = node_of.get(stored.vm_key) if stored.vm_key else None
            guest = stored.guest.model_copy(update={"vm": node})
            evidence.guests.append(guest)
            if stored.vm_key is None or node is None:
                continue
            if (facts := facts_from_discovery(guest)) is not None:
                evidence.facts[stored.vm_key] = facts
            evidence.origins[stored.vm_key] = FactsOrigin(node, stored.vm_key, guest.host, stored.snapshot_id,
                                                          guest.last_seen, stored.carried)
        for stored_flows in latest_flows(store, snapshot_id) if flows else ():
            evidence.flows.extend(stored_flows.records)
            evidence.flow_origins.append(FlowsOrigin(stored_flows.name, stored_flows.snapshot_id,
                                                     stored_flows.imported_at, stored_flows.rows,
                                                     stored_flows.carried))
    evidence.flows.extend(extra_flows)
    return evidence


@dataclass(frozen=True)
class AssessedSnapshot:
    """What `planner assess` prints (``output.text``), keeps (``output.summary``) and notes on stderr."""

    output: AssessOutput
    notes: list[str]


def assess_snapshot(estate: Estate, *, policy: Path | None, fmt: ReportFormat | str, store: Store | None = None,
                    snapshot_id: int | None = None, now: datetime | None = None,
                    width: int | None = None, stored_parts: StoredParts | None = None) -> AssessedSnapshot:
    """The assessment of a snapshot with the guest facts that apply to it (its own or carried forward, each VM's
    origin and age in its ``discovery`` key). Storing the summary is the caller's choice. With ``stored_parts``,
    ``estate`` is its ``base`` alone and each assessing worker reads its own VMs' parts (only that first share of
    ``estate`` is complete afterwards)."""
    evidence = gather_evidence(estate, store, snapshot_id, now=now, flows=False)
    origins = {key: origin.as_dict(evidence.now) for key, origin in evidence.origins.items() if key in evidence.facts}
    prepare = partial(stored_parts.fill, estate.vms) if stored_parts is not None else None
    with bulk_objects():  # findings of every VM: no cyclic GC rescanning the estate while they are built
        output = run_assessment(estate, policy, fmt, evidence.facts, origins, width, prepare)
    return AssessedSnapshot(output, evidence.notes())


def _assessed_in_memory(estate: Estate, evidence: Evidence) -> dict[str, str]:
    """The summary document the default policy's assessment would store (nothing is stored)."""
    with bulk_objects():
        assessment = assess_estate(estate, load_policy(None), evidence.facts)
    return {"latest": summary_document(assessment)}


@dataclass
class SnapshotAnalysis:
    """Everything `planner graph` and `planner waves` show about one snapshot."""

    label: str
    analysis: Analysis
    evidence: Evidence
    settings: LayeredSettings
    fits: dict[str, str]
    """Graph node -> assessed fit."""
    strategies: dict[str, str]
    """Graph node -> assessed strategy (decides which VMs stay behind)."""
    warnings: list[str]
    notes: list[str]
    snapshot_id: int | None = None
    """Its id in the store (None for a snapshot file or the example)."""

    @property
    def assessed(self) -> bool:
        return bool(self.strategies)


def analyse_snapshot(estate: Estate, *, label: str, store: Store | None = None, snapshot_id: int | None = None,
                     settings: LayeredSettings | None = None, extra_flows: Sequence[FlowRecord] = (),
                     assessment: Mapping[str, str] | None = None, now: datetime | None = None,
                     evidence: Evidence | None = None) -> SnapshotAnalysis:
    """Graph, move groups and waves of a snapshot. ``store``/``snapshot_id`` name where it is stored (None for a
    file: no discovery, no stored assessment); ``assessment`` gives assessment documents (``summary_document``)
    instead of the stored ones; ``evidence`` the discovery and flows already gathered (``gather_evidence``).
    Raises InputError for VM names in ``settings`` that match no VM."""
    settings = settings or LayeredSettings()
    if evidence is None:
        evidence = gather_evidence(estate, store, snapshot_id, extra_flows=extra_flows, now=now)
    graph = graph_from_sources(estate, evidence.guests, evidence.flows)
    settings.check_names({node for node in graph if not is_external(node)})
    if assessment is None:
        assessment = store.documents(snapshot_id, ASSESSMENT_DOCUMENT_KIND) \
            if store is not None and snapshot_id is not None else {}
    merged = settings.merged
    notes = evidence.notes()
    if not assessment and merged.stay_behind_strategies():
        assessment = _assessed_in_memory(estate, evidence)
        where = f"snapshot {label}" if snapshot_id is not None else "a snapshot file"
        notes.append(f"no stored assessment for {where}: assessed it with the default policy to keep keep-vm/retire "
                     "VMs out of the waves (`planner assess --policy FILE` stores your own)")
    fits, strategies = verdicts_by_node(graph, assessment)
    result = analyse(graph, together=merged.together, together_tag=merged.categories(),
                     options=merged.wave_options(strategies))
    _mark_discovery(result, evidence)
    warnings = [*graph.graph.get("warnings", []), *result.plan.warnings]
    return SnapshotAnalysis(label, result, evidence, settings, fits, strategies,
                            warnings, notes, snapshot_id)


def _mark_discovery(result: Analysis, evidence: Evidence) -> None:
    """Flat node attributes (GraphML holds no nesting): where each VM's facts come from and how old they are."""
    for origin in evidence.origins.values():
        if origin.vm in result.graph:
            data = result.graph.nodes[origin.vm]
            data["discovery_snapshot"] = f"#{origin.snapshot_id}"
            data["discovery_last_seen"] = origin.last_seen.isoformat() if origin.last_seen else None
            data["discovery_age_days"] = _age_days(evidence.now, origin.last_seen)
            data["discovery_carried"] = origin.carried
