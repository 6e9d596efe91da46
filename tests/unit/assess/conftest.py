"""Helpers for the assessment tests: a default VM/estate/facts, deep merge, and a one-rule runner."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.assess.base import Hit, Rule
from planner.assess.context import EstateIndex, RuleContext
from planner.assess.engine import effective_family
from planner.assess.facts import GuestFacts
from planner.assess.policy import compile_policy, parse_policy
from planner.assess.registry import builtin_registry
from planner.models import Estate, Vm

CASES_DIR = Path(__file__).parent / "cases"
GIB = 1024**3

DEFAULT_VM: dict[str, Any] = {
    "name": "app01",
    "source": "vc1",
    "datacenter": "dc1",
    "cluster": "cl1",
    "host": "esx1",
    "power_state": "poweredOn",
    "guest": {"configured_id": "rhel9_64Guest", "configured_name": "Red Hat Enterprise Linux 9 (64-bit)",
              "tools_id": "rhel9_64Guest", "tools_name": "Red Hat Enterprise Linux 9 (64-bit)", "family": "linux",
              "hostname": "app01.example.com"},
    "tools": {"status": "toolsOk", "running_status": "guestToolsRunning"},
    "hardware_version": "vmx-19",
    "firmware": "efi",
    "secure_boot": False,
    "num_cpu": 4,
    "memory_mib": 8192,
    "disks": [{"label": "Hard disk 1", "capacity_bytes": 40 * GIB, "backing": "flat", "disk_mode": "persistent",
               "sharing": "sharingNone", "datastore": "ds1"}],
    "nics": [{"label": "Network adapter 1", "adapter": "vmxnet3", "network": "prod-web", "connected": True,
              "ips": ["10.1.2.3"]}],
    "usage": {"cpu_mhz": 4000, "guest_memory_mib": 4096, "host_memory_mib": 8000, "uptime_seconds": 864000},
    "guest_ips": ["10.1.2.3"],
}

DEFAULT_ESTATE: dict[str, Any] = {
    "schema_version": 1,
    "collected_at": "2026-11-01T00:00:00Z",
    "sources": [{"name": "vc1", "kind": "vcenter", "collected_at": "2026-11-01T00:00:00Z"}],
    "clusters": [{"name": "cl1", "source": "vc1", "rules": []}],
    "hosts": [{"name": "esx1", "source": "vc1", "cluster": "cl1", "cpu_mhz": 2400, "cpu_sockets": 2,
               "cpu_cores": 16, "memory_mib": 262144}],
}

DEFAULT_FACTS: dict[str, Any] = {
    "os_id": "rhel", "os_version": "9.3", "kernel": "5.14.0-362.el9.x86_64", "arch": "x86_64",
    "processes": [{"user": "root", "exe": "/usr/sbin/sshd", "cmdline": ["sshd", "-D"]},
                  {"user": "app", "exe": "/opt/app/bin/app", "cmdline": ["/opt/app/bin/app", "--port=8080"]}],
    "listeners": [{"address": "0.0.0.0", "port": 8080, "process": "app"}],
    "mounts": [{"fstype": "xfs", "source": "/dev/sda1", "target": "/"}],
    "packages": ["openssh-server", "app"],
    "systemd_units": ["sshd.service", "app.service", "chronyd.service"],
    "selinux": "permissive",
    "memory_used_mib": 3000,
    "cpu_used_cores": 1.0,
}


def merge(base: Any, override: Any) -> Any:
    """Deep merge: mappings merge key by key, anything else (lists included) replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def make_vm(**overrides: Any) -> dict[str, Any]:
    return merge(DEFAULT_VM, overrides)


def make_estate(vms: list[dict[str, Any]] | None = None, **overrides: Any) -> Estate:
    document = merge(DEFAULT_ESTATE, overrides)
    document["vms"] = vms if vms is not None else [make_vm()]
    return Estate.model_validate(document)


def make_facts(overrides: dict[str, Any] | None = None) -> GuestFacts:
    return GuestFacts.model_validate(merge(DEFAULT_FACTS, overrides or {}))


REGISTRY = builtin_registry()
SEVERITIES = {rule.id: rule.severity for rule in REGISTRY}


def run_rule(rule_cls: type[Rule], case: dict[str, Any]) -> list[Hit]:
    """Run one rule on the case's VM exactly as the engine would (same context), returning its hits."""
    estate = make_estate([make_vm(**(case.get("vm") or {}))], **(case.get("estate") or {}))
    vm = estate.vms[0]
    facts_spec = case.get("facts", {} if rule_cls.requires_facts else None)
    facts = None if facts_spec is None else make_facts(facts_spec)
    policy = compile_policy(parse_policy(case.get("policy"), "case"), SEVERITIES)
    guest_rules = tuple(r.id for r in REGISTRY if r.requires_facts and r.id in policy.enabled)
    ctx = RuleContext(policy=policy, index=EstateIndex.build(estate), facts=facts, family=effective_family(vm, facts),
                      guest_rules=guest_rules)
    # No short-cut for guest rules without facts: the rule's own guard is what a `facts: null` case tests.
    return list(rule_cls().check(vm, ctx))


def load_cases() -> dict[str, list[dict[str, Any]]]:
    """rule id -> its cases, from every cases/*.yaml file."""
    cases: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule_id, items in document.items():
            cases.setdefault(rule_id, []).extend(dict(item, file=path.name) for item in items)
    return cases


@pytest.fixture
def vm_factory() -> Callable[..., dict[str, Any]]:
    return make_vm


def key_of(vm: dict[str, Any]) -> str:
    """The identity (``Vm.key``) a VM document gets: what ``assess_estate``'s ``facts`` are keyed by."""
    return Vm.model_validate(vm).key
