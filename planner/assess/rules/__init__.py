"""The built-in rule catalogue, one module per criterion plus the guest-level rules."""

from __future__ import annotations

from planner.assess.base import Rule
from planner.assess.rules import architecture, guest, guest_io, isolation, performance, portability, resources

BUILTIN_RULES: tuple[type[Rule], ...] = (
    *architecture.RULES,
    *resources.RULES,
    *isolation.RULES,
    *portability.RULES,
    *performance.RULES,
    *guest.RULES,
    *guest_io.RULES,
)
"""Every shipped rule, in catalogue order (the order of docs/rules.md)."""

__all__ = ["BUILTIN_RULES"]
