"""Stack detection: which stacks run on a VM, from its discovery facts (pure; catalogue in docs/stacks.md)."""

from __future__ import annotations

from collections.abc import Iterable

from planner.detect.registry import DetectorRegistry, builtin_registry
from planner.models import Vm
from planner.models.discovery import GuestDiscovery
from planner.models.generation import Detection

__all__ = ["DetectorRegistry", "builtin_registry", "detect_stacks"]


def detect_stacks(guest: GuestDiscovery, vm: Vm | None = None,
                  registry: DetectorRegistry | None = None) -> list[Detection]:
    """Every stack on the guest, one detection per running instance. A fallback detector's detection is kept only
    when no other detection claimed any of its processes; a process is claimed by the first detector naming it."""
    claimed: set[int] = set()
    found: list[Detection] = []
    for detector in registry or builtin_registry():
        for detection in detector().detect(guest, vm):
            if claimed.intersection(detection.pids):
                continue
            claimed.update(detection.pids)
            found.append(detection)
    return found


def stack_ids(detections: Iterable[Detection]) -> list[str]:
    return [detection.stack for detection in detections]
