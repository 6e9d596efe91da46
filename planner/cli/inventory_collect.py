"""`planner inventory collect` (being written)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `collect` command to the inventory group."""
