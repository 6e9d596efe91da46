"""Fit, score and strategy of one VM, derived from its findings (see docs/assessment.md).

Score: 100 minus one penalty per rule that fired (its highest severity), floored at 0; internal
findings carry no penalty. Fit: ``unknown`` without usable OS data, ``none`` with any blocker,
else by score band, capped at ``good`` when ARC007 fired (no guest data). Strategy, first match wins:
template -> exclude; no OS data -> investigate; powered off (RES001) -> retire; blocker -> keep-vm; a rule
failed internally -> investigate; then excellent/good with no high finding -> containerize;
excellent/good/moderate -> refactor; else keep-vm.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from planner.assess.base import Finding, Severity


class Fit(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    MODERATE = "moderate"
    POOR = "poor"
    NONE = "none"
    UNKNOWN = "unknown"


class Strategy(StrEnum):
    CONTAINERIZE = "containerize"
    REFACTOR = "refactor"
    KEEP_VM = "keep-vm"
    RETIRE = "retire"
    INVESTIGATE = "investigate"
    EXCLUDE = "exclude"


PENALTY: dict[Severity, int] = {
    Severity.INFO: 0, Severity.LOW: 5, Severity.MEDIUM: 15, Severity.HIGH: 30, Severity.BLOCKER: 100,
}
FIT_BANDS: tuple[tuple[int, Fit], ...] = ((85, Fit.EXCELLENT), (70, Fit.GOOD), (45, Fit.MODERATE), (0, Fit.POOR))
RETIRE_RULE = "RES001"
GUEST_DATA_RULE = "ARC007"
"""Fired when no guest facts exist: the fit is then capped at ``good`` (the verdict rests on vSphere data alone)."""


def score(findings: Iterable[Finding]) -> int:
    """100 minus the penalty of each rule's worst finding, floored at 0."""
    worst: dict[str, Severity] = {}
    for finding in findings:
        if finding.internal:
            continue
        current = worst.get(finding.rule)
        if current is None or finding.severity.rank > current.rank:
            worst[finding.rule] = finding.severity
    return max(0, 100 - sum(PENALTY[s] for s in worst.values()))


def fit_for(value: int, findings: list[Finding], os_known: bool) -> Fit:
    if not os_known:
        return Fit.UNKNOWN
    if any(f.severity is Severity.BLOCKER for f in findings):
        return Fit.NONE
    fit = next((band for floor, band in FIT_BANDS if value >= floor), Fit.POOR)
    if fit is Fit.EXCELLENT and any(f.rule == GUEST_DATA_RULE and not f.internal for f in findings):
        return Fit.GOOD
    return fit


def strategy_for(fit: Fit, findings: list[Finding], *, template: bool, os_known: bool) -> Strategy:
    if template:
        return Strategy.EXCLUDE
    if not os_known:
        return Strategy.INVESTIGATE
    if any(f.rule == RETIRE_RULE and not f.internal for f in findings):
        return Strategy.RETIRE
    if fit is Fit.NONE:
        return Strategy.KEEP_VM
    if any(f.internal for f in findings):
        return Strategy.INVESTIGATE
    if fit in (Fit.EXCELLENT, Fit.GOOD) and not any(f.severity is Severity.HIGH for f in findings):
        return Strategy.CONTAINERIZE
    if fit in (Fit.EXCELLENT, Fit.GOOD, Fit.MODERATE):
        return Strategy.REFACTOR
    return Strategy.KEEP_VM
