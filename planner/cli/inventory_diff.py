"""`planner inventory diff` (placeholder until the diff stage lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `diff` command to the inventory group."""
