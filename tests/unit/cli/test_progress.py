"""Item 10 of issue 12: slow steps show a spinner on a terminal; nothing when piped or with --format json."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from planner.cli import common, progress
from planner.cli.progress import quiet_for
from tests.unit.cli.conftest import Run


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a terminal, and no delay before a spinner appears."""
    screen = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=screen, force_terminal=True, width=80))
    monkeypatch.setattr(progress, "DELAY", 0.0)
    return screen


def test_import_shows_progress_on_a_terminal(run: Run, terminal: io.StringIO) -> None:
    assert run("inventory", "import", "inventories/example/estate.json")[0] == 0
    assert "reading estate.json" in terminal.getvalue()
    assert run("assess")[0] == 0
    assert re.search(r"assessing \d+ VMs", terminal.getvalue())


def test_json_output_stays_quiet(run: Run, terminal: io.StringIO) -> None:
    assert run("inventory", "import", "inventories/example/estate.json", "-f", "json")[0] == 0
    assert run("assess", "-f", "json")[0] == 0
    assert terminal.getvalue() == ""


def test_piped_stays_quiet(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    code, out, err = run("inventory", "import", "inventories/example/estate.json")
    assert code == 0 and "reading" not in err and "reading" not in out


def test_fast_steps_print_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=screen, force_terminal=True, width=80))
    with progress.activity("quick"):
        pass
    assert screen.getvalue() == ""


def test_quiet_for_json() -> None:
    assert quiet_for(["assess", "-f", "json"]) and quiet_for(["waves", "--format=json"])
    assert not quiet_for(["assess", "-o", "a.json"])
