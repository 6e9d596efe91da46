"""Run the `planner` command in-process, as a user would, and return its exit code."""

from __future__ import annotations

from planner.cli import main


def run_planner(argv: list[str]) -> int:
    """The exit code of `planner ARGV` (main() always exits; 0 when it returns normally)."""
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
