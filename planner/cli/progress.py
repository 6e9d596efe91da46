"""Progress for slow steps: a spinner with the elapsed time on stderr, only where a person watches.

``with activity("reading RVTools_export.xlsx"):`` shows nothing when stderr is not a terminal, when the command
writes JSON (``-f json`` anywhere on the command line sets :data:`state.quiet`), or when the step ends within
:data:`DELAY` seconds; otherwise one transient line ``⠋ reading RVTools_export.xlsx 0:00:04`` until it ends.
Steps with a count of their own (collect, discover run) use rich progress bars directly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from planner.cli import common
from planner.text import printable

DELAY = 1.0
"""Seconds a step runs before its spinner appears (a fast step prints nothing)."""


@dataclass
class _State:
    quiet: bool = False


state = _State()


def quiet_for(argv: list[str]) -> bool:
    """Whether the command line asks for JSON output (`-f json`, `--format json`, `--format=json`, `-fjson`)."""
    for index, arg in enumerate(argv):
        if arg in ("-f", "--format") and index + 1 < len(argv) and argv[index + 1] == "json":
            return True
        if arg in ("--format=json", "-fjson"):
            return True
    return False


@contextmanager
def activity(description: str) -> Iterator[None]:
    """Show `description` with a spinner and the elapsed time while the block runs, as described above."""
    console = common.err_console
    if state.quiet or not console.is_terminal:
        yield
        return
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                   console=console, transient=True)
    bar.add_task(printable(description), total=None)
    lock = threading.Lock()
    done = False

    def start() -> None:
        with lock:
            if not done:
                bar.start()

    timer = threading.Timer(DELAY, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            done = True
            timer.cancel()
            bar.stop()
