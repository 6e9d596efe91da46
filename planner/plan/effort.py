"""A simple, documented effort estimate: person-days per VM by strategy, plus per finding by severity.

It is a first order of magnitude for planning, not a quote: a base per VM for its strategy (what the move itself
takes: build and test an image, or rework the code), plus time to deal with each finding of a VM that moves (the
worse the finding, the more work), plus a fixed cost per wave (cutover rehearsal, change window, rollback check).
"""

from __future__ import annotations

from collections.abc import Iterable

PER_STRATEGY = {"containerize": 1.0, "refactor": 5.0, "investigate": 0.5, "retire": 0.25, "keep-vm": 0.0,
                "exclude": 0.0}
"""Person-days for one VM of each strategy, before its findings."""
PER_FINDING = {"info": 0.0, "low": 0.1, "medium": 0.5, "high": 1.0, "blocker": 2.0}
"""Person-days added for each finding of a VM that moves (containerize or refactor), by severity."""
PER_WAVE = 1.0
"""Person-days per wave: cutover rehearsal, change window and rollback check."""
MOVING = frozenset({"containerize", "refactor"})

BASIS = (f"per VM by strategy (containerize {PER_STRATEGY['containerize']:g}, refactor {PER_STRATEGY['refactor']:g}, "
         f"investigate {PER_STRATEGY['investigate']:g}, retire {PER_STRATEGY['retire']:g}, keep-vm and exclude 0 "
         f"person-days), plus per finding of a moving VM by severity (low {PER_FINDING['low']:g}, medium "
         f"{PER_FINDING['medium']:g}, high {PER_FINDING['high']:g}, blocker {PER_FINDING['blocker']:g}), plus "
         f"{PER_WAVE:g} per wave; an order of magnitude, not a quote (docs/plan.md)")


def vm_effort(strategy: str, severities: Iterable[str]) -> float:
    """Person-days for one VM of ``strategy`` with findings of these severities."""
    days = PER_STRATEGY.get(strategy, 0.0)
    if strategy in MOVING:
        days += sum(PER_FINDING.get(severity, 0.0) for severity in severities)
    return days
