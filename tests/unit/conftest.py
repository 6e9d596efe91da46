"""Unit tests start from a plain pipe: no inherited ``COLUMNS`` (some test runners' workers set one), and planner's
stdout console at the width it takes for a pipe without it."""

from __future__ import annotations

import pytest

from planner.cli import common


@pytest.fixture(autouse=True)
def _piped_without_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(common.console, "width", common._stdout_width() or common.PIPED_WIDTH)
