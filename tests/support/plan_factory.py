"""Plans of N VMs shaped like plan.json version 1 (the plan/report contract), for report tests and benchmarks.

``make_plan(n)`` is deterministic for a given ``seed``. With ``hostile=True`` the first VM, its findings, tags,
annotation, artifacts, a risk, a wave reason and the source label carry text that would be markup or script if
it were pasted into HTML (``HOSTILE``). The summary is computed from the VMs, as plan.json's is.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

HOSTILE = ('<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">{{ 7*7 }}{% raw %}'
           "</script><!--\u2028\u2029\u202egnp.exe\u200b&amp;")
"""Tags, quotes, a template expression, a comment opener, line/paragraph separators, an RTL override."""

FITS = ("excellent", "good", "moderate", "poor", "none", "unknown")
STRATEGIES = ("containerize", "refactor", "keep-vm", "retire", "investigate", "exclude")
CRITERIA = ("architecture", "resource-utilization", "isolation", "portability", "performance")
SEVERITIES = ("info", "low", "medium", "high", "blocker")
STACKS = ("nginx", "postgresql", "redis", "tomcat", "python", "node", "rabbitmq", "mysql")
RULES = [(f"{criterion[:3].upper()}{number:03d}", criterion) for criterion in CRITERIA for number in range(1, 5)]
MOVING = {"containerize", "refactor"}
VMS_PER_GROUP = 5
GROUPS_PER_WAVE = 20


def _finding(rng: random.Random, index: int, hostile: bool) -> dict[str, Any]:
    rule, criterion = rng.choice(RULES)
    evidence = HOSTILE if hostile else f"observed on vm {index}: value {rng.randint(1, 999)}"
    return {"rule": rule, "criterion": criterion, "severity": rng.choice(SEVERITIES),
            "title": f"{rule} " + (HOSTILE if hostile else f"title of {rule}"), "evidence": evidence,
            "remediation": HOSTILE if hostile else f"remediation for {rule}: change the thing."}


def _sizing(rng: random.Random, cpu: int, memory_mib: int, moving: bool) -> dict[str, Any]:
    request_cpu = max(0.25, round(cpu * rng.choice((0.25, 0.5, 0.75)), 2))
    request_mib = max(256, memory_mib // rng.choice((2, 4)))
    return {"requests": {"cpu_cores": request_cpu, "memory_mib": request_mib},
            "limits": {"cpu_cores": request_cpu * 2, "memory_mib": request_mib * 2},
            "allocated": {"vcpu": float(cpu), "memory_mib": memory_mib},
            "reclaimable": {"vcpu": round(cpu - request_cpu, 2) if moving else 0.0,
                            "memory_gib": round((memory_mib - request_mib) / 1024, 2) if moving else 0.0},
            "basis": {"cpu": rng.choice(("quickstats", "allocation")), "memory": "quickstats"}}


def _vm(rng: random.Random, index: int, hostile: bool) -> dict[str, Any]:
    name = (HOSTILE + " web-000") if hostile else f"vm{index:06d}"
    cpu = rng.choice((1, 2, 2, 4, 8))
    memory_mib = rng.choice((1024, 2048, 4096, 8192))
    strategy = rng.choices(STRATEGIES, weights=(50, 15, 15, 8, 8, 4))[0]
    stacks = [{"stack": stack, "image": f"{name}-{stack}", "confidence": rng.choice(("high", "low"))}
              for stack in sorted(rng.sample(STACKS, rng.choice((0, 1, 1, 2))))]
    artifacts = [f"artifacts/images/{stack['image']}/Dockerfile" for stack in stacks]
    if hostile:
        artifacts.append("javascript:alert(document.domain)")  # never a link
    vm: dict[str, Any] = {
        "key": f"vc:vm-{index}", "name": name, "display": name,
        "cluster": HOSTILE if hostile else f"cluster-{index % 7}",
        "folder": f"/dc/vm/{HOSTILE}" if hostile else f"/dc/vm/app{index // 10}",
        "power_state": "poweredOn" if index % 11 else "poweredOff", "guest_os": "Debian 12",
        "num_cpu": cpu, "memory_mib": memory_mib, "disk_gib": float(rng.choice((20, 40, 100))),
        "fit": rng.choice(FITS), "score": rng.randint(0, 100), "strategy": strategy, "wave": None,
        "move_group": None,
        "sizing": None if strategy == "exclude" else _sizing(rng, cpu, memory_mib, strategy in MOVING),
        "findings": [_finding(rng, index, hostile and number == 0) for number in range(rng.choice((0, 1, 2, 3, 4)))],
        "stacks": stacks, "artifacts": artifacts, "effort_person_days": 0.0,
    }
    if hostile:
        vm["findings"].append(_finding(rng, index, True))
        vm["annotation"] = HOSTILE
        vm["tags"] = [f"app:{HOSTILE}", "env:prod"]
    return vm


def _placed(vms: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Move groups of VMS_PER_GROUP planned VMs, GROUPS_PER_WAVE groups a wave (assigned in the VM dicts)."""
    planned = [vm for vm in vms if vm["strategy"] in {*MOVING, "investigate"}]
    groups: list[dict[str, Any]] = []
    for start in range(0, len(planned), VMS_PER_GROUP):
        members = planned[start:start + VMS_PER_GROUP]
        group = {"id": f"g{len(groups) + 1}", "vms": [vm["key"] for vm in members],
                 "wave": len(groups) // GROUPS_PER_WAVE + 1}
        for vm in members:
            vm["move_group"], vm["wave"], vm["effort_person_days"] = group["id"], group["wave"], 0.75
        groups.append(group)
    by_key = {vm["key"]: vm for vm in vms}
    waves = []
    for number in sorted({group["wave"] for group in groups}):
        in_wave = [group for group in groups if group["wave"] == number]
        keys = [key for group in in_wave for key in group["vms"]]
        members = [by_key[key] for key in keys]
        waves.append({"number": number, "vms": keys, "move_groups": [group["id"] for group in in_wave],
                      "vcpu": sum(vm["num_cpu"] for vm in members),
                      "memory_gib": round(sum(vm["memory_mib"] for vm in members) / 1024, 1),
                      "effort_person_days": round(len(members) * 0.75, 2),
                      "reason": "providers first: nothing in it uses a later wave"})
    return waves, groups


def _summary(vms: list[dict[str, Any]], waves: list[dict[str, Any]], groups: list[dict[str, Any]]) -> dict[str, Any]:
    findings: dict[str, dict[str, int]] = {criterion: dict.fromkeys(SEVERITIES, 0) for criterion in CRITERIA}
    for vm in vms:
        for finding in vm["findings"]:
            findings[finding["criterion"]][finding["severity"]] += 1
    moving = [vm for vm in vms if vm["strategy"] in MOVING and vm["sizing"]]
    stacks = Counter(stack["stack"] for vm in vms for stack in vm["stacks"])
    excluded = sum(1 for vm in vms if vm["strategy"] == "exclude")
    return {
        "vms": len(vms), "assessed": len(vms) - excluded, "excluded": excluded,
        "by_fit": {fit: sum(1 for vm in vms if vm["fit"] == fit) for fit in FITS},
        "by_strategy": {strategy: sum(1 for vm in vms if vm["strategy"] == strategy) for strategy in STRATEGIES},
        "reclaimable": {"vcpu": round(sum(vm["sizing"]["reclaimable"]["vcpu"] for vm in moving), 1),
                        "memory_gib": round(sum(vm["sizing"]["reclaimable"]["memory_gib"] for vm in moving), 1)},
        "waves": len(waves), "move_groups": len(groups), "images": sum(stacks.values()),
        "stacks": dict(sorted(stacks.items())), "findings_by_criterion": findings,
        "effort": {"person_days": round(sum(wave["effort_person_days"] for wave in waves), 2),
                   "basis": "0.75 person-days a planned VM (factory)"},
    }


def _risks(rng: random.Random, vms: list[dict[str, Any]], hostile: bool) -> list[dict[str, Any]]:
    placed = [vm for vm in vms if vm["wave"] is not None]
    risks = []
    for _ in range(min(len(placed) // 4, 2000)):
        client, server = rng.sample(placed, 2) if len(placed) > 1 else (placed[0], placed[0])
        if client["wave"] != server["wave"]:
            risks.append({"kind": "cross-wave-dependency", "severity": rng.choice(("low", "medium", "high")),
                          "vms": [client["key"], server["key"]],
                          "detail": f"{client['display']} (wave {client['wave']}) uses {server['display']} "
                                    f"(wave {server['wave']})"})
    blockers = [vm for vm in vms if any(f["severity"] == "blocker" for f in vm["findings"])][:50]
    risks.extend({"kind": "blocker", "severity": "high", "vms": [vm["key"]], "detail": "a blocker finding"}
                 for vm in blockers)
    if hostile:
        risks.insert(0, {"kind": "stale-facts", "severity": "medium", "vms": [vms[0]["key"]], "detail": HOSTILE})
    return risks


def make_plan(vm_count: int, *, hostile: bool = True, seed: int = 1, dependencies_known: bool = True
              ) -> dict[str, Any]:
    """A contract-conformant plan of ``vm_count`` VMs (at least 1)."""
    rng = random.Random(seed)
    vms = [_vm(rng, index, hostile and index == 0) for index in range(max(1, vm_count))]
    waves, groups = _placed(vms)
    if hostile and waves:
        waves[0]["reason"] = HOSTILE
    vms.sort(key=lambda vm: vm["display"])
    basis = ["discovery", "flows"] if dependencies_known else ["tag:app"]
    note = ("dependencies from discovery and flow data" if dependencies_known
            else "no discovery or flow data: grouped by application tag")
    return {
        "kind": "planner-plan", "version": 1, "generated_at": "2026-12-02T01:00:00+00:00", "planner_version": "0.1.0",
        "source": {"kind": "store", "label": HOSTILE if hostile else "factory estate", "snapshot": "#3",
                   "collected_at": "2026-12-01T22:00:00+00:00"},
        "dependencies": {"known": dependencies_known, "basis": basis, "note": note},
        "summary": _summary(vms, waves, groups),
        "waves": waves, "move_groups": groups, "risks": _risks(rng, vms, hostile), "vms": vms,
        "artifacts": {"dir": "artifacts", "images": sum(len(vm["stacks"]) for vm in vms),
                      "compose": [f"artifacts/compose/wave-{wave['number']}.yml" for wave in waves],
                      "ansible": "artifacts/ansible"},
    }
