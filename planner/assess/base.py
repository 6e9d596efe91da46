"""The vocabulary of the assessment: criteria, severities, findings, and the base class every rule extends.

A rule is a small class: ``id``, ``criterion``, ``severity``, a one-line docstring (its summary),
``remediation``, and a pure ``check(vm, ctx)`` that yields :class:`Hit` objects (message + evidence).
The engine turns hits into :class:`Finding` objects, applying the policy's severity overrides.
Metadata is validated when the class is defined, so a malformed rule fails at import, not mid-run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from planner.assess.context import RuleContext
    from planner.models import Vm


class Criterion(StrEnum):
    """The five questions every finding answers one of (see docs/assessment.md)."""

    ARCHITECTURE = "architecture"
    RESOURCE_UTILIZATION = "resource-utilization"
    ISOLATION = "isolation"
    PORTABILITY = "portability"
    PERFORMANCE = "performance"


class Severity(StrEnum):
    """How much a finding stands in the way, from ``info`` (nothing) to ``blocker`` (cannot containerize)."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    BLOCKER = "blocker"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {severity: index for index, severity in enumerate(Severity)}

RULE_ID = re.compile(r"^[A-Z]{3}\d{3}$")


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule's ``check`` yields: a message and the property values that triggered it."""

    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding in the report: a hit with its rule's metadata and the effective severity."""

    rule: str
    criterion: Criterion
    severity: Severity
    message: str
    evidence: dict[str, Any]
    remediation: str
    internal: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "criterion": self.criterion.value,
            "severity": self.severity.value,
            "message": self.message,
            "evidence": self.evidence,
            "remediation": self.remediation,
        }
        if self.internal:
            data["internal"] = True
        return data


class Rule:
    """Base class of every rule. Subclasses set the metadata and implement ``check``.

    ``requires_facts`` rules only run when discovery data (GuestFacts) exists for the VM.
    """

    id: ClassVar[str]
    criterion: ClassVar[Criterion]
    severity: ClassVar[Severity]
    remediation: ClassVar[str]
    requires_facts: ClassVar[bool] = False
    summary: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        validate_rule_class(cls)
        cls.summary = (cls.__doc__ or "").strip()

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        """Yield a :class:`Hit` per problem found (most rules yield at most one)."""
        raise NotImplementedError


def validate_rule_class(cls: type) -> None:
    """Raise ``TypeError`` naming the class and the problem if its metadata is incomplete or invalid."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    rule_id = getattr(cls, "id", None)
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise TypeError(f"{name}: id must look like ARC001 (three capitals, three digits), got {rule_id!r}")
    if not isinstance(getattr(cls, "criterion", None), Criterion):
        raise TypeError(f"{name} ({rule_id}): criterion must be a Criterion, got {getattr(cls, 'criterion', None)!r}")
    if not isinstance(getattr(cls, "severity", None), Severity):
        raise TypeError(f"{name} ({rule_id}): severity must be a Severity, got {getattr(cls, 'severity', None)!r}")
    doc = (cls.__doc__ or "").strip()
    if not doc or "\n" in doc:
        raise TypeError(f"{name} ({rule_id}): needs a one-line docstring (its summary)")
    remediation = getattr(cls, "remediation", None)
    if not isinstance(remediation, str) or not remediation.strip():
        raise TypeError(f"{name} ({rule_id}): needs a non-empty remediation")
    if getattr(cls, "check", None) is Rule.check:
        raise TypeError(f"{name} ({rule_id}): must implement check(vm, ctx)")
