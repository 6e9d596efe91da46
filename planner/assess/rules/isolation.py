"""Isolation: does the workload need a kernel boundary?"""

from __future__ import annotations

from collections.abc import Iterator

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.rules._helpers import first
from planner.models import Vm

I = Criterion.ISOLATION  # noqa: E741

_NEGATIVE = {"", "no", "none", "n/a", "na", "false", "0", "-", "not applicable", "out of scope", "not in scope",
             "exempt", "n", "off"}
_NEGATING_PREFIXES = ("no ", "non ", "not ", "out of ")


def negative(text: str) -> bool:
    """True for values that deny a scope: "no", "N/A", "out-of-scope", "non-PCI", "Not PCI", "no_phi"."""
    value = " ".join(text.lower().replace("-", " ").replace("_", " ").split())
    return value in _NEGATIVE or value.startswith(_NEGATING_PREFIXES)


class ComplianceTag(Rule):
    """A vSphere tag puts the VM in a compliance scope (PCI DSS, HIPAA, SOX... per `keywords.compliance`)."""

    id = "ISO001"
    criterion = I
    severity = Severity.HIGH
    remediation = ("Agree with the compliance owner whether a shared-kernel platform is in scope; if it is, "
                   "plan a dedicated, hardened cluster or node pool (or sandboxed runtimes) for it.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        pattern = ctx.policy.compliance
        if pattern is None:
            return
        matched = [f"{t.category}/{t.name}" for t in vm.tags  # the search first: most tags match nothing
                   if (pattern.search(t.name) or pattern.search(t.category)) and not negative(t.name)]
        if matched:
            yield Hit(f"compliance tag {matched[0]}", {"tags": first(matched)})


class ComplianceAttribute(Rule):
    """A custom attribute puts the VM in a compliance scope (key or value matches `keywords.compliance`)."""

    id = "ISO002"
    criterion = I
    severity = Severity.HIGH
    remediation = ComplianceTag.remediation

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        pattern = ctx.policy.compliance
        if pattern is None:
            return
        matched = {key: value for key, value in vm.custom_attributes.items()
                   if (pattern.search(key) or pattern.search(value)) and not negative(value)}
        if matched:
            key = next(iter(matched))
            yield Hit(f"compliance attribute {key}={matched[key]}", {"custom_attributes": matched})


class ComplianceAnnotation(Rule):
    """The VM's annotation (notes) mentions a compliance keyword."""

    id = "ISO003"
    criterion = I
    severity = Severity.MEDIUM
    remediation = ("Notes are free text: confirm the scope with the owner, then tag the VM so the finding "
                   "becomes ISO001 (or remove the word from the notes).")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        pattern = ctx.policy.compliance
        if pattern is None or not vm.annotation:
            return
        words = sorted({m.group(0).lower() for m in pattern.finditer(vm.annotation)})
        if words:
            yield Hit(f"annotation mentions {', '.join(words)}",
                      {"keywords": words, "annotation": vm.annotation[:200]})


class SecureBoot(Rule):
    """UEFI Secure Boot is enabled: the workload may rely on a verified boot chain of its own."""

    id = "ISO004"
    criterion = I
    severity = Severity.LOW
    remediation = ("Containers inherit the node's boot chain: check whether anything (attestation, signed "
                   "kernel modules) depends on the VM's own; if not, use Secure Boot on the nodes.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.secure_boot:
            yield Hit("Secure Boot enabled", {"secure_boot": True, "firmware": vm.firmware})


class SensitiveNetwork(Rule):
    """A NIC is on a sensitive network segment (DMZ, cardholder data... per `keywords.sensitive_networks`)."""

    id = "ISO005"
    criterion = I
    severity = Severity.MEDIUM
    remediation = ("Plan a segregated node pool or cluster for that segment, with NetworkPolicies and "
                   "egress controls equivalent to today's firewalling.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        pattern = ctx.policy.sensitive_networks
        if pattern is None:
            return
        networks = sorted({n.network for n in vm.nics if n.network and pattern.search(n.network)})
        if networks:
            yield Hit(f"on sensitive network {networks[0]}", {"networks": first(networks)})


RULES: tuple[type[Rule], ...] = (ComplianceTag, ComplianceAttribute, ComplianceAnnotation, SecureBoot,
                                 SensitiveNetwork)
