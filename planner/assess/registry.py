"""The explicit rule registry: built-in rules plus third-party rules from the ``planner.rules`` entry points.

A plugin entry point may name a :class:`Rule` subclass, or a module/iterable exposing rule classes
(a module's ``RULES`` tuple). Plugins are loaded once per run; a broken plugin is an ``InputError``
naming it, never a silent skip.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import metadata
from types import ModuleType
from typing import Any

from planner.assess.base import Rule, validate_rule_class
from planner.errors import InputError

ENTRY_POINT_GROUP = "planner.rules"


class RuleRegistry:
    """Rule classes by id, in registration order; duplicate ids are refused."""

    def __init__(self, rules: Iterable[type[Rule]] = ()) -> None:
        self._rules: dict[str, type[Rule]] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule: type[Rule]) -> type[Rule]:
        if not (isinstance(rule, type) and issubclass(rule, Rule)):
            raise TypeError(f"{rule!r} is not a Rule subclass")
        validate_rule_class(rule)
        if rule.id in self._rules and self._rules[rule.id] is not rule:
            other = self._rules[rule.id]
            raise ValueError(f"duplicate rule id {rule.id}: {other.__module__}.{other.__qualname__} and "
                             f"{rule.__module__}.{rule.__qualname__}")
        self._rules[rule.id] = rule
        return rule

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> type[Rule]:
        return self._rules[rule_id]

    def ids(self) -> list[str]:
        return list(self._rules)


def builtin_registry() -> RuleRegistry:
    """The shipped catalogue only."""
    from planner.assess.rules import BUILTIN_RULES

    return RuleRegistry(BUILTIN_RULES)


def _rules_in(obj: Any) -> list[type[Rule]]:
    if isinstance(obj, type):
        return [obj]
    if isinstance(obj, ModuleType):
        return list(getattr(obj, "RULES", ()))
    if isinstance(obj, Iterable):
        return list(obj)
    raise TypeError(f"expected a Rule subclass, a module with RULES, or an iterable of rules; got {obj!r}")


def load_plugin_rules(registry: RuleRegistry) -> RuleRegistry:
    """Add the rules of every installed ``planner.rules`` entry point to ``registry``."""
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            for rule in _rules_in(entry_point.load()):
                registry.register(rule)
        except Exception as exc:
            raise InputError(
                f"rule plugin {entry_point.name!r} ({entry_point.value}) cannot be loaded: {type(exc).__name__}: {exc}",
                hint="Fix or uninstall the plugin package.",
            ) from exc
    return registry


def default_registry() -> RuleRegistry:
    """Built-in rules plus installed plugins."""
    return load_plugin_rules(builtin_registry())
