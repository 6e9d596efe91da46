"""`--policy` takes an assessment policy in `assess` and a wave policy in `graph` and `waves`: a file of the other
kind is named as such (exit 3), instead of a list of "unknown key" errors."""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError
from planner.validation import read_yaml

_KEYS = {
    "assessment": frozenset({"target", "rules", "thresholds", "keywords", "network", "sizing"}),
    "wave": frozenset({"waves"}),
}
_EXAMPLE = {"assessment": "examples/policy.yaml", "wave": "examples/waves.yaml"}
_TAKEN_BY = {"assessment": "`planner assess --policy`", "wave": "`planner waves --policy` or `planner graph --policy`"}


def policy_kind(path: Path) -> str | None:
    """`assessment` or `wave` when the file's top-level keys are all of one kind; None otherwise (or unreadable:
    the policy's own loader then reports what is wrong)."""
    try:
        document = read_yaml(path, "policy")
    except InputError:
        return None
    if not isinstance(document, dict):
        return None
    keys = {str(key) for key in document} - {"version"}
    return next((kind for kind, known in _KEYS.items() if keys and keys <= known), None)


def expect_policy(path: Path | None, expected: str, command: str) -> None:
    """Refuse a policy file of the other kind, saying which kind it is and which command takes it."""
    if path is None:
        return
    kind = policy_kind(path)
    if kind is not None and kind != expected:
        raise InputError(f"{path} is {'an' if kind == 'assessment' else 'a'} {kind} policy; {command} takes "
                         f"{'an' if expected == 'assessment' else 'a'} {expected} policy (like {_EXAMPLE[expected]}).",
                         hint=f"Give this one to {_TAKEN_BY[kind]}.")
